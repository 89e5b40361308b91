"""A real Celery worker process for tests, pointed at the test database and Redis."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent


def test_database_url() -> str:
    database = settings.DATABASES["default"]
    credentials = f"{database['USER']}:{database.get('PASSWORD') or ''}"
    return f"postgres://{credentials}@{database['HOST']}:{database['PORT']}/{database['NAME']}"


class WorkerProcess:
    """``celery -A project worker`` with one pool process, started and stopped by a test fixture."""

    def __init__(self, *, log_path: Path, extra_env: dict | None = None):
        self.log_path = log_path
        self.extra_env = extra_env or {}
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 180) -> "WorkerProcess":
        from project.celery import app

        env = {
            **os.environ,
            "DATABASE_URL": test_database_url(),
            "DATABASE_CONN_MAX_AGE": "0",
            "TESTING": "1",
            "MEDIA_ROOT": str(settings.MEDIA_ROOT),
            **self.extra_env,
        }
        self.log = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "project",
                "worker",
                "--loglevel=INFO",
                "--concurrency=1",
                "--pool=prefork",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                f"--hostname=test-{os.getpid()}-{time.monotonic_ns()}@localhost",
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the worker exited at start: see {self.log_path}")
            if app.control.ping(timeout=0.5):
                return self
        raise RuntimeError(f"the worker did not answer within {timeout}s: see {self.log_path}")

    def pool_children(self) -> list[int]:
        """Pids of the worker's pool processes (the ones that run tasks)."""
        children = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if int(fields[1]) == self.process.pid:
                children.append(int(stat.parent.name))
        return children

    def kill_pool_process(self) -> int:
        """SIGKILL the pool process running the task, as the kernel's OOM killer would."""
        children = self.pool_children()
        if not children:
            raise RuntimeError("the worker has no pool process to kill")
        os.kill(children[0], signal.SIGKILL)
        return children[0]

    def kill(self) -> None:
        """SIGKILL the whole worker, pool processes first, as a lost machine would: nothing is requeued."""
        for pid in self.pool_children():
            os.kill(pid, signal.SIGKILL)
        self.process.kill()
        self.process.wait()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


def wait_until(predicate, *, timeout: float, interval: float = 0.2, message: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {message}")
