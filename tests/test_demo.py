"""`make demo`'s processes, started by the same launcher on the test database: web, worker and beat
come up, an upload is answered at once (202, still pending) and a worker completes it, and Ctrl-C
stops every process the demo started."""

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import pytest
from rest_framework_simplejwt.tokens import RefreshToken

from tests.factories import MembershipFactory
from tests.worker import ROOT, free_port, process_env, wait_until

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

CSV = (
    "invoice,sku,quantity,unit_price,timestamp,customer_id,product_name\n"
    "INV-1,SKU-1,2,3.50,2026-03-02 10:00,C-1,Tea\n"
    "INV-1,SKU-2,1,10.00,2026-03-02 10:00,C-1,Honey\n"
    "INV-2,SKU-1,4,3.50,2026-03-03 16:30,,Tea\n"
)


def request(url, *, token=None, business=None, body=None, content_type=None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if business:
        headers["X-Business-ID"] = str(business)
    if content_type:
        headers["Content-Type"] = content_type
    call = urllib.request.Request(url, data=body, headers=headers, method="POST" if body else "GET")
    try:
        with urllib.request.urlopen(call, timeout=60) as answer:
            return answer.status, json.loads(answer.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def multipart(name: str, filename: str, content: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
            f"Content-Type: text/csv\r\n\r\n"
        ).encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, f"multipart/form-data; boundary={boundary}"


def process_groups_of(parent: int) -> set[int]:
    groups = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == parent:
            groups.add(int(fields[2]))
    return groups


def alive_in(group: int) -> list[int]:
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == group and fields[0] != "Z":
            members.append(int(stat.parent.name))
    return members


def test_the_demo_serves_an_upload_that_its_worker_completes_and_ctrl_c_stops_it_all(tmp_path):
    from project.celery import app

    app.control.purge()  # messages left by earlier tests name rows that no longer exist
    membership = MembershipFactory()
    token = str(RefreshToken.for_user(membership.user).access_token)
    port = free_port()
    env = process_env(
        DJANGO_SETTINGS_MODULE="project.settings", DEBUG="1", PORT=str(port), VAR_DIR=str(tmp_path / "var")
    )
    log = open(tmp_path / "demo.log", "wb")  # noqa: SIM115 - closed below
    demo = subprocess.Popen(
        [sys.executable, "project/devserver.py", "demo", "--no-seed"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # as a terminal's foreground job: Ctrl-C reaches the launcher only
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(
            lambda: (
                demo.poll() is not None or b"Ctrl-C stops everything" in (tmp_path / "demo.log").read_bytes()
            ),
            timeout=900,  # a ceiling for a loaded machine; idle, it takes well under a minute
            interval=0.5,
            message="the demo to come up",
        )
        assert demo.poll() is None, (tmp_path / "demo.log").read_text()
        groups = process_groups_of(demo.pid) - {os.getpgid(demo.pid)}
        assert len(groups) == 1  # web, worker and beat share one group of their own
        started = {Path(f"/proc/{pid}/cmdline").read_bytes() for pid in alive_in(*groups)}
        assert any(b"gunicorn" in line for line in started)
        assert any(b"worker" in line for line in started) and any(b"beat" in line for line in started)

        body, content_type = multipart("file", "sales.csv", CSV.encode())
        status, upload = request(
            f"{base}/api/data/upload/transactions/",
            token=token,
            business=membership.business.pk,
            body=body,
            content_type=content_type,
        )
        assert status == 202, upload
        assert upload["status"] == "pending"  # queued for the worker, not run inside the request

        def finished():
            _, current = request(
                f"{base}/api/data/uploads/{upload['id']}/", token=token, business=membership.business.pk
            )
            return current if current["status"] in {"completed", "failed"} else None

        done = wait_until(
            finished, timeout=600, interval=0.5, message="the demo's worker to finish the upload"
        )
        assert (done["status"], done["rows_total"], done["rows_imported"], done["rows_failed"]) == (
            "completed",
            3,
            3,
            0,
        )
    finally:
        # Ctrl-C under make: the terminal's SIGINT, then make's own, while the launcher is stopping.
        demo.send_signal(signal.SIGINT)
        time.sleep(0.2)
        demo.send_signal(signal.SIGINT)
        try:
            code = demo.wait(timeout=90)
        finally:
            if demo.poll() is None:
                os.killpg(demo.pid, signal.SIGKILL)
            log.close()
    assert code == 0, (tmp_path / "demo.log").read_text()
    time.sleep(0.5)
    assert [alive_in(group) for group in groups] == [[]]
