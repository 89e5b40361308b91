"""Real processes for tests (Celery workers, the web server), pointed at the test database and Redis."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent


def database_url_for_tests() -> str:
    """``DATABASE_URL`` with the test database's name in place of the one it names (host, socket and
    options, e.g. the embedded server's ``?host=/…/var/pg``, stay as they are)."""
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path="/" + settings.DATABASES["default"]["NAME"]))


def database_params() -> dict:
    """psycopg.connect() arguments for a connection of a test's own to the test database (any host or
    unix socket), beside Django's."""
    from django.db import connection

    params = connection.get_connection_params()
    for django_only in ("cursor_factory", "context", "prepare_threshold"):
        params.pop(django_only, None)
    return params


def process_env(**extra) -> dict[str, str]:
    """The environment of a process a test starts: the test settings, database and media folder."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "project.settings_test",
        "DATABASE_URL": database_url_for_tests(),
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        **extra,
    }


class WorkerProcess:
    """``celery -A project worker`` with one pool process, started and stopped by a test fixture."""

    def __init__(self, *, log_path: Path, extra_env: dict | None = None):
        self.log_path = log_path
        self.extra_env = extra_env or {}
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 180) -> "WorkerProcess":
        from project.celery import app

        env = process_env(**self.extra_env)
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


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class WebProcess:
    """The production web server, ``gunicorn -c gunicorn.conf.py``, on a free port of 127.0.0.1."""

    def __init__(self, *, log_path: Path, env: dict[str, str] | None = None):
        self.log_path = log_path
        self.env = env or process_env()
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 180) -> "WebProcess":
        self.log = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [
                Path(sys.executable).parent / "gunicorn",
                "-c",
                "gunicorn.conf.py",
                f"--bind=127.0.0.1:{self.port}",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited at start: see {self.log_path}")
            try:
                with urllib.request.urlopen(f"{self.url}/api/health/", timeout=2):
                    return self
            except OSError:
                time.sleep(0.3)
        raise RuntimeError(f"gunicorn did not answer within {timeout}s: see {self.log_path}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()
