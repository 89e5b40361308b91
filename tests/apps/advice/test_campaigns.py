"""The campaign plan, and copy that never invents a number: templates, and an LLM rewrite checked."""

import json
import re
import threading
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from apps.advice.copywriting import SMS_LIMIT
from apps.advice.selectors import clearance_discount
from apps.advice.services import recommendations_refresh
from tests.apps.advice.builders import overstocked_product, slipping_customer
from tests.factories import CustomerFactory, ProductFactory

pytestmark = pytest.mark.django_db

NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


@pytest.fixture
def plan(api, business):
    overstocked_product(business, name="Doormat")  # 10.00, cost 6.00, 896 units too many
    ProductFactory(business=business, name="Welly boots")
    slipping_customer(business)
    CustomerFactory(business=business, segment="at_risk")
    recommendations_refresh(business=business)
    rows = api.get("/api/data/campaign-plan/").json()["results"]
    return {row["objective"]: row for row in rows}


def test_the_plan_names_the_push_its_audience_and_a_discount_the_figures_justify(plan):
    clear, win_back = plan["clear_overstock"], plan["win_back"]

    assert clear["product_name"] == "Doormat"
    # No measured elasticity: a 20% trial, which leaves 10.00 x 0.8 = 8.00 against a 6.00 cost.
    assert (clear["discount"], clear["margin_left"]) == (20, 0.25)
    assert clear["figures"]["units_to_clear"] == 896
    assert "896 units more than will sell" in clear["reason"]
    assert "leaving a 25% margin" in clear["reason"]
    assert (win_back["target_segment"], win_back["segment_size"], win_back["discount"]) == ("at_risk", 2, 10)
    assert win_back["figures"]["worth_it"] == 1


def test_a_discount_never_eats_the_margin_floor_and_a_measured_elasticity_sizes_it():
    thin = clearance_discount(
        price=10.0, cost=8.5, elasticity=None, expected_units=30, excess=100, dead=False
    )
    measured = clearance_discount(
        price=10.0, cost=2.0, elasticity=-2.0, expected_units=100, excess=44, dead=False
    )
    dead = clearance_discount(price=10.0, cost=8.5, elasticity=None, expected_units=0, excess=100, dead=True)

    assert thin["discount"] == 5  # 10% margin floor: at most 1 - 8.5 / 9 = 5.6%
    assert thin["discounted_price"] * 0.9 >= 8.5 - 1e-9
    # (1 - d) ** -2 = 1.44 needs d = 16.7%; in 5% steps down: 15%, which sells 100 * (0.85 ** -2 - 1) more.
    assert (measured["discount"], measured["expected_extra_units"]) == (15, 38.4)
    assert dead["discount"] == 15  # dead stock may go down to cost: 1 - 8.5 / 10


def numbers(text: str) -> set[str]:
    return {token.replace(",", "") for token in NUMBER.findall(text)}


def test_the_built_in_writer_fills_templates_from_the_row_in_the_merchants_currency(api, business, plan):
    response = api.post("/api/data/campaigns/generate/", {"id": plan["clear_overstock"]["id"]}, format="json")
    again = api.post("/api/data/campaigns/generate/", {"id": plan["clear_overstock"]["id"]}, format="json")

    copy = response.json()
    assert response.status_code == 200
    assert copy == again.json()  # deterministic
    assert copy["source"] == "template"
    assert copy["email_subject"] == "20% off Doormat while stock lasts"
    assert "£8.00 instead of £10.00" in copy["email_body"]
    assert len(copy["sms_text"]) <= SMS_LIMIT
    stated = numbers(copy["email_subject"] + copy["email_body"] + copy["sms_text"])
    assert stated <= {"20", "8.00", "10.00"}


def test_copy_follows_the_business_currency(api, business, plan):
    business.currency = "EUR"
    business.save(update_fields=["currency"])
    recommendations_refresh(business=business)

    copy = api.post(
        "/api/data/campaigns/generate/", {"id": plan["clear_overstock"]["id"]}, format="json"
    ).json()

    assert "€8.00 instead of €10.00" in copy["email_body"]


def test_generate_needs_a_row_of_this_business_plan(api, plan):
    from tests.conftest import auth_client
    from tests.factories import MembershipFactory

    stranger = MembershipFactory()

    assert api.post("/api/data/campaigns/generate/", {}, format="json").status_code == 400
    assert api.post("/api/data/campaigns/generate/", {"id": 10**9}, format="json").status_code == 400
    foreign = auth_client(stranger.user, stranger.business).post(
        "/api/data/campaigns/generate/", {"id": plan["clear_overstock"]["id"]}, format="json"
    )
    assert foreign.status_code == 400
    assert "Doormat" not in foreign.content.decode()


class FakeProvider:
    """An OpenAI-compatible chat-completions server that answers with the rewrite it is given."""

    def __init__(self):
        self.rewrite: dict = {}
        self.requests: list[dict] = []
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                provider.requests.append(
                    {
                        "path": self.path,
                        "body": json.loads(self.rfile.read(int(self.headers["Content-Length"]))),
                    }
                )
                answer = {
                    "choices": [{"message": {"role": "assistant", "content": json.dumps(provider.rewrite)}}]
                }
                data = json.dumps(answer).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/v1"

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def provider(settings):
    fake = FakeProvider()
    settings.ADVICE_LLM_URL = fake.url
    settings.ADVICE_LLM_API_KEY = "test-key"
    yield fake
    fake.stop()


def generate(api, row) -> dict:
    response = api.post("/api/data/campaigns/generate/", {"id": row["id"]}, format="json")
    assert response.status_code == 200
    return response.json()


def test_a_faithful_rewrite_is_used(api, plan, provider):
    provider.rewrite = {
        "email_subject": "Doormat: 20% off, this week only while stock lasts",
        "email_body": "Hi there! Our Doormat is now £8.00 (was £10.00). Wipe your feet in style.",
        "sms_text": "20% off Doormat: now £8.00. While stock lasts!",
    }

    copy = generate(api, plan["clear_overstock"])

    assert copy["source"] == "llm"
    assert copy["email_subject"] == provider.rewrite["email_subject"]
    assert provider.requests[0]["path"] == "/v1/chat/completions"
    assert "Doormat" in json.dumps(provider.requests[0]["body"]["messages"])


@pytest.mark.parametrize(
    ("rewrite", "problem"),
    [
        (
            {
                "email_subject": "Half price Doormat!",
                "email_body": "50% off today.",
                "sms_text": "50% off Doormat",
            },
            "figures the plan does not hold: 50",
        ),
        (
            {"email_subject": "Doormat deal", "email_body": "Now only £7.50.", "sms_text": "Doormat £7.50"},
            "figures the plan does not hold: 7.5",
        ),
        (
            {
                "email_subject": "Doormat deal",
                "email_body": "20% off, and Welly boots too.",
                "sms_text": "20% off",
            },
            "products the plan does not hold: Welly boots",
        ),
        (
            {"email_subject": "Doormat deal", "email_body": "20% off, now $8.00.", "sms_text": "20% off"},
            "another currency: $",
        ),
        (
            {"email_subject": "Doormat", "email_body": "20% off", "sms_text": "20% off " + "x" * 160},
            "the SMS is",
        ),
        ({"email_subject": "Doormat"}, "did not return"),
    ],
)
def test_a_rewrite_that_invents_is_rejected_for_the_template(api, plan, provider, rewrite, problem):
    provider.rewrite = rewrite

    copy = generate(api, plan["clear_overstock"])

    assert copy["source"] == "template"
    assert copy["email_subject"] == "20% off Doormat while stock lasts"
    assert any(problem in reason for reason in copy["rejected"]), copy["rejected"]


def test_an_unreachable_provider_falls_back_to_the_template(api, plan, settings):
    settings.ADVICE_LLM_URL = "http://127.0.0.1:9/v1"  # the discard port: nothing listens
    settings.ADVICE_LLM_TIMEOUT_SECONDS = 2

    copy = generate(api, plan["win_back"])

    assert copy["source"] == "template"
    assert copy["email_subject"] == "We miss you at Corner Shop: 10% off your next order"
    assert Decimal("10") in {Decimal(token) for token in numbers(copy["sms_text"])}
