"""Fixtures shared by the whole suite (always on PostgreSQL and Redis: see project/settings_test.py)."""

import os

import pytest
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.models import Role
from tests.factories import BusinessFactory, MembershipFactory, UserFactory


def pytest_sessionfinish(session, exitstatus):
    """CI sets SMART_MARKET_FORBID_SKIPS=1: every test runs on both of its setups, so a skip is a failure."""
    if os.environ.get("SMART_MARKET_FORBID_SKIPS") != "1" or exitstatus != pytest.ExitCode.OK:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter else 0
    if skipped:
        reporter.write_line(f"SMART_MARKET_FORBID_SKIPS=1 and {skipped} test(s) were skipped", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(autouse=True, scope="session")
def media_root(tmp_path_factory):
    """Uploaded files go to a temporary folder, shared with worker processes."""
    from django.conf import settings

    settings.MEDIA_ROOT = str(tmp_path_factory.mktemp("media"))
    return settings.MEDIA_ROOT


@pytest.fixture
def start_worker(django_db_blocker, tmp_path):
    """Starts real ``celery -A project worker`` processes on the test database; stops them afterwards.

    Use with ``django_db(transaction=True)`` so the worker sees committed rows. Keyword arguments are
    environment variables for the worker (e.g. ``UPLOAD_CHUNK_ROWS="500"``); ``purge=False`` keeps
    what is queued already; ``timeout`` is how long the worker may take to answer (a loaded machine
    needs more than the default minute).
    """
    from project.celery import app
    from tests.worker import WorkerProcess

    workers = []

    def start(purge: bool = True, timeout: float = 60, **env):
        with django_db_blocker.unblock():
            if purge:  # messages left by earlier tests name rows that no longer exist
                app.control.purge()
            worker = WorkerProcess(log_path=tmp_path / f"worker-{len(workers)}.log", extra_env=env)
            workers.append(worker)
            return worker.start(timeout=timeout)

    yield start
    for worker in workers:
        worker.stop()


def auth_client(user, business=None) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
    if business is not None:
        client.defaults["HTTP_X_BUSINESS_ID"] = str(business.pk)
    return client


@pytest.fixture
def business(db):
    return BusinessFactory(name="Corner Shop")


@pytest.fixture
def owner(business):
    return MembershipFactory(business=business, role=Role.OWNER).user


@pytest.fixture
def manager(business):
    return MembershipFactory(business=business, role=Role.MANAGER).user


@pytest.fixture
def viewer(business):
    return MembershipFactory(business=business, role=Role.VIEWER).user


@pytest.fixture
def api(owner, business) -> APIClient:
    """An owner's client acting for ``business``."""
    return auth_client(owner, business)


@pytest.fixture
def anonymous() -> APIClient:
    return APIClient()


@pytest.fixture
def user_factory(db):
    return UserFactory
