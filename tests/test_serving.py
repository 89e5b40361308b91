"""The web process as production runs it: gunicorn, DEBUG off, static files from whitenoise, and a
bounded number of database connections per process whatever the load."""

import re
import subprocess
import sys
import threading
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest

from tests.worker import ROOT, WebProcess, database_params, database_url_for_tests, process_env

pytestmark = pytest.mark.django_db(transaction=True)

APPLICATION_NAME = "smart-market-web-under-test"


def production_env(static_root, **extra) -> dict[str, str]:
    """``project.settings`` with DEBUG off: what a deployment sets, on the test database."""
    env = process_env(
        DJANGO_SETTINGS_MODULE="project.settings",
        DJANGO_SECRET_KEY="serving-test-key-" + "x" * 40,
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="0",
        STATIC_ROOT=str(static_root),
        **extra,
    )
    env.pop("DEBUG", None)
    return env


@pytest.fixture(scope="module")
def static_root(tmp_path_factory):
    """``collectstatic`` as the image runs it (hashed, compressed names)."""
    root = tmp_path_factory.mktemp("static")
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=production_env(root),
        check=True,
    )
    return root


@pytest.fixture
def start_web(static_root, tmp_path):
    servers = []

    def start(**env):
        log_path = tmp_path / f"web-{len(servers)}.log"
        server = WebProcess(log_path=log_path, env=production_env(static_root, **env))
        servers.append(server)
        return server.start()

    yield start
    for server in servers:
        server.stop()


def get(url: str) -> tuple[int, str, bytes]:
    with urllib.request.urlopen(url, timeout=30) as answer:
        return answer.status, answer.headers.get("Content-Type", ""), answer.read()


def static_links(page: bytes) -> list[str]:
    return re.findall(r"""(/static/[^"'?#\s]+)""", page.decode())


def test_gunicorn_with_debug_off_serves_the_api_the_admin_css_and_swagger_ui(start_web):
    server = start_web()

    status, _, body = get(f"{server.url}/api/health/")
    assert status == 200 and b'"status":"ok"' in body.replace(b" ", b"")

    _, _, login_page = get(f"{server.url}/admin/login/")
    stylesheets = [link for link in static_links(login_page) if link.endswith(".css")]
    assert any("admin/css/base" in link for link in stylesheets)
    for link in stylesheets:
        status, content_type, _ = get(server.url + link)
        assert (status, content_type.split(";")[0]) == (200, "text/css")

    _, _, docs_page = get(f"{server.url}/api/docs/")
    assets = [link for link in static_links(docs_page) if "swagger-ui" in link]
    assert any(link.endswith(".js") for link in assets) and any(link.endswith(".css") for link in assets)
    for link in assets:
        status, _, content = get(server.url + link)
        assert status == 200 and content


def test_many_concurrent_requests_hold_no_more_connections_than_the_pools_allow(start_web):
    """2 processes of 8 threads, each process pooling 3 connections: 64 requests from 32 clients at
    once never hold more than 6 connections (persistent per-thread connections would reach 16)."""
    url = database_url_for_tests()
    named = f"{url}{'&' if '?' in url else '?'}application_name={APPLICATION_NAME}"
    server = start_web(WEB_CONCURRENCY="2", WEB_THREADS="8", DATABASE_POOL_MAX_SIZE="3", DATABASE_URL=named)
    counts, answers = [], []
    done = threading.Event()

    def sample():
        with psycopg.connect(**database_params(), autocommit=True) as db:
            while not done.is_set():
                query = "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s"
                counts.append(db.execute(query, [APPLICATION_NAME]).fetchone()[0])
                done.wait(0.01)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        with ThreadPoolExecutor(max_workers=32) as clients:
            answers = list(clients.map(lambda _: get(f"{server.url}/api/health/")[0], range(64)))
    finally:
        done.set()
        sampler.join()

    assert answers == [200] * 64
    assert max(counts) >= 1  # the sampler saw the server's connections
    assert max(counts) <= 2 * 3
