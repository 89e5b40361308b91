"""Settings for the test suite and the worker and server processes it starts: the production settings
(``DEBUG`` off, PostgreSQL and Redis required) with a throwaway key, fast hashing and plain HTTP.

pytest reads it from ``pyproject.toml``; ``tests/worker.py`` hands it to the processes it starts.
"""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "insecure-key-for-the-test-suite-only")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
# Tests run many threads on their own connections in one process (concurrency specifications).
os.environ.setdefault("DATABASE_POOL_MAX_SIZE", "12")

from project.settings import *  # noqa: F403
from project.settings import env_bool

# Hashing is deliberately slow; the suite logs in hundreds of times.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Tests render templates without running collectstatic first: static files come from the apps.
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405
STATIC_ROOT = None
WHITENOISE_USE_FINDERS = True
# Forecast and scoring refreshes after an upload only where a test asks for them.
ML_REFRESH_AFTER_UPLOAD = env_bool("ML_REFRESH_AFTER_UPLOAD", False)
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = False
