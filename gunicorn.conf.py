"""gunicorn for the web process: docker-compose, production, the demo and the tests' servers.

Sized for 2 cores: 2 worker processes (WEB_CONCURRENCY) of 4 threads (WEB_THREADS). Requests mostly wait
on PostgreSQL, so threads, not more processes; each process holds at most DATABASE_POOL_MAX_SIZE (4)
database connections, whatever its thread count (see "Database connections" in the README).
"""

import os

wsgi_app = "project.wsgi:application"
bind = os.environ.get("BIND", f"0.0.0.0:{os.environ.get('PORT', '8000')}")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gthread"
threads = int(os.environ.get("WEB_THREADS", "4"))
# Import the project once, before forking the workers (no connection is opened at import).
preload_app = True
# An upload is read whole before the 202; a worker silent for longer than this is restarted.
timeout = int(os.environ.get("WEB_TIMEOUT", "120"))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then, so that a slow leak cannot grow for ever.
max_requests = 2000
max_requests_jitter = 200
accesslog = "-"
errorlog = "-"
# X-Forwarded-* is believed only from these addresses (the reverse proxy).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# One control socket per user by default: several servers on one machine (tests, demos) would collide.
control_socket_disable = True
