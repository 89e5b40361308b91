"""Members and invitations: owners invite, the invited accept, a business never loses its last owner."""

import pytest
from django.core.cache import cache

from accounts import services
from accounts.models import Invitation, Membership, Role, User
from project.common.exceptions import ApplicationError
from tests.concurrency import run_at_once
from tests.conftest import auth_client
from tests.factories import PASSWORD, BusinessFactory, MembershipFactory, ProductFactory, UserFactory


@pytest.fixture(autouse=True)
def clear_throttle_counters():
    cache.clear()  # registration here counts against the test client's address
    yield
    cache.clear()


@pytest.mark.django_db(transaction=True)
def test_two_owners_removing_each_other_at_once_leave_one_owner():
    trials = 10
    for _ in range(trials):
        business = BusinessFactory()
        first = MembershipFactory(business=business, role=Role.OWNER)
        second = MembershipFactory(business=business, role=Role.OWNER)
        # Each owner's request loaded the other's membership before either removal ran.
        targets = [Membership.objects.get(pk=second.pk), Membership.objects.get(pk=first.pk)]

        def remove(index, targets=targets):
            try:
                services.membership_delete(membership=targets[index])
            except ApplicationError:
                return "refused"
            return "removed"

        outcomes = run_at_once(2, remove)

        assert sorted(outcomes) == ["refused", "removed"]
        assert Membership.objects.filter(business=business, role=Role.OWNER).count() == 1


pytestmark = pytest.mark.django_db

MEMBERS = "/api/business/members/"
INVITATIONS = "/api/business/invitations/"


def invite(client, email, role="manager"):
    return client.post(MEMBERS, {"email": email, "role": role}, format="json")


def comparable(body: dict) -> dict:
    """An invitation answer without what differs between any two invitations (id, email, time)."""
    return {key: value for key, value in body.items() if key not in {"id", "email", "created_at"}}


def test_inviting_answers_the_same_whether_or_not_the_email_has_an_account(api, business):
    UserFactory(email="known@example.com")

    known = invite(api, "known@example.com")
    unknown = invite(api, "ghost@example.com")

    assert (known.status_code, unknown.status_code) == (201, 201)
    assert comparable(known.json()) == comparable(unknown.json())
    assert known.json()["business"] == {"id": business.pk, "name": business.name}
    assert (known.json()["role"], known.json()["status"]) == ("manager", "pending")
    assert set(known.json()) == set(unknown.json())


def test_nothing_changes_for_the_invited_user_until_they_accept(api, business):
    invited = MembershipFactory(role=Role.OWNER, user__email="ben@example.com").user
    own_business = invited.memberships.get().business
    ProductFactory(business=own_business, sku="BENS")

    assert invite(api, "BEN@Example.com").status_code == 201

    # Requests without X-Business-ID still act for their only business: no 400, no new membership.
    response = auth_client(invited).get("/api/data/inventory/products/")
    assert response.status_code == 200
    assert [row["sku"] for row in response.json()["results"]] == ["BENS"]
    assert not Membership.objects.filter(user=invited, business=business).exists()
    assert auth_client(invited, business).get("/api/data/inventory/products/").status_code == 403


def test_the_invited_user_lists_and_accepts_their_invitation(api, business):
    invited = UserFactory(email="ben@example.com")
    invitation_id = invite(api, "ben@example.com", role="manager").json()["id"]
    client = auth_client(invited)

    listed = client.get(INVITATIONS)
    accepted = client.post(f"{INVITATIONS}{invitation_id}/accept/")

    assert listed.status_code == 200
    assert [(row["id"], row["business"]["id"], row["role"]) for row in listed.json()["results"]] == [
        (invitation_id, business.pk, "manager")
    ]
    assert accepted.status_code == 200
    assert accepted.json()["status"] == "accepted"
    assert Membership.objects.get(user=invited, business=business).role == Role.MANAGER
    assert client.get(INVITATIONS).json()["results"] == []
    # Accepting twice is a 404: the invitation is no longer pending.
    assert client.post(f"{INVITATIONS}{invitation_id}/accept/").status_code == 404
    assert Membership.objects.filter(user=invited, business=business).count() == 1


def test_an_invitation_to_an_email_registered_later_is_theirs_once_they_register(api, business, anonymous):
    invitation_id = invite(api, "later@example.com", role="viewer").json()["id"]

    registered = anonymous.post(
        "/api/auth/register/",
        {"email": "Later@Example.com", "password": PASSWORD, "business_name": "Later Ltd"},
        format="json",
    )
    newcomer = User.objects.get(pk=registered.json()["user"]["id"])

    assert [row["id"] for row in auth_client(newcomer).get(INVITATIONS).json()["results"]] == [invitation_id]
    assert auth_client(newcomer).post(f"{INVITATIONS}{invitation_id}/accept/").status_code == 200
    assert Membership.objects.get(user=newcomer, business=business).role == Role.VIEWER


def test_declining_creates_no_membership(api, business):
    invited = UserFactory(email="ben@example.com")
    invitation_id = invite(api, "ben@example.com").json()["id"]

    declined = auth_client(invited).post(f"{INVITATIONS}{invitation_id}/decline/")

    assert declined.status_code == 200
    assert declined.json()["status"] == "declined"
    assert not Membership.objects.filter(user=invited, business=business).exists()
    assert auth_client(invited).post(f"{INVITATIONS}{invitation_id}/accept/").status_code == 404


def test_someone_elses_invitation_is_404_even_for_the_inviting_owner(api, owner, business):
    UserFactory(email="ben@example.com")
    stranger = UserFactory(email="eve@example.com")
    invitation_id = invite(api, "ben@example.com").json()["id"]

    for client in (auth_client(stranger), auth_client(owner), auth_client(owner, business)):
        assert client.post(f"{INVITATIONS}{invitation_id}/accept/").status_code == 404
        assert client.post(f"{INVITATIONS}{invitation_id}/decline/").status_code == 404
        assert client.get(INVITATIONS).json()["results"] == []

    assert Invitation.objects.get().status == Invitation.Status.PENDING
    assert Membership.objects.filter(business=business).count() == 1


def test_inviting_again_updates_the_pending_invitation(api):
    first = invite(api, "ben@example.com", role="viewer").json()
    again = invite(api, "Ben@example.com", role="manager").json()

    assert again["id"] == first["id"]
    assert Invitation.objects.get().role == Role.MANAGER


def test_inviting_a_member_is_400(api, owner):
    response = invite(api, owner.email.upper())

    assert response.status_code == 400
    assert "email" in response.json()
    assert not Invitation.objects.exists()


def test_the_owner_removes_members_but_never_the_last_owner(api, owner, business):
    member = MembershipFactory(business=business, role=Role.MANAGER)

    assert api.delete(f"{MEMBERS}{member.pk}/").status_code == 204
    own = Membership.objects.get(user=owner, business=business)
    assert api.delete(f"{MEMBERS}{own.pk}/").status_code == 409  # a conflict with the state
    assert list(Membership.objects.filter(business=business)) == [own]
