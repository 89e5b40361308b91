"""Settings, all read from the environment in this one file.

One engine everywhere: PostgreSQL (``DATABASE_URL``) and Redis (``REDIS_URL``, the cache and Celery's
broker) are always required; ``project/devserver.py`` starts embedded ones for the demo and the tests
when they are not given. Development (``DEBUG=1``) may go without ``DJANGO_SECRET_KEY``; production
(``DEBUG`` unset) stops with a message naming whatever is missing rather than run on a guess.
The test suite uses ``project.settings_test``, which imports this module.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from corsheaders.defaults import default_headers as cors_default_headers
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_duration(name: str, default: str) -> timedelta:
    """A duration such as ``15m``, ``12h``, ``7d`` or a number of seconds."""
    raw = os.environ.get(name, default).strip().lower()
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    try:
        if raw[-1] in units:
            return timedelta(seconds=float(raw[:-1]) * units[raw[-1]])
        return timedelta(seconds=float(raw))
    except (ValueError, IndexError) as error:
        raise ImproperlyConfigured(f"{name} must be a duration like 15m, 12h or 7d, not {raw!r}.") from error


def env_required(name: str, meaning: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise ImproperlyConfigured(
            f"{name} must be set ({meaning}). For the demo and the tests, `make demo` and `make test` "
            "(project/devserver.py) set it to an embedded server."
        )
    return value


DEBUG = env_bool("DEBUG")

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "insecure-development-key-never-used-in-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1" if DEBUG else "")
FRONTEND_URL = os.environ.get("FRONTEND_URL", "http://localhost:3000")
CORS_ALLOWED_ORIGINS = env_list("CORS_ALLOWED_ORIGINS", FRONTEND_URL)
# A browser client names its business and makes retries safe with these: the preflight must allow them.
CORS_ALLOW_HEADERS = (*cors_default_headers, "x-business-id", "idempotency-key")
# What a browser client may read of an answer besides the basics: when to retry after a 429.
CORS_EXPOSE_HEADERS = ["Retry-After"]
CSRF_TRUSTED_ORIGINS = CORS_ALLOWED_ORIGINS
# Campaign copy: an optional OpenAI-compatible chat-completions endpoint may rewrite the built-in
# templates (its output is checked against the plan); unset, the templates are used as they are.
ADVICE_LLM_URL = os.environ.get("ADVICE_LLM_URL", "").rstrip("/")
ADVICE_LLM_MODEL = os.environ.get("ADVICE_LLM_MODEL", "gpt-4o-mini")
ADVICE_LLM_API_KEY = os.environ.get("ADVICE_LLM_API_KEY", "")
ADVICE_LLM_TIMEOUT_SECONDS = float(os.environ.get("ADVICE_LLM_TIMEOUT_SECONDS", "10"))

INSTALLED_APPS = [
    "accounts.apps.AdminConfig",  # django.contrib.admin, with the throttled login
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "corsheaders",
    "rest_framework",
    "rest_framework_simplejwt",
    "rest_framework_simplejwt.token_blacklist",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "project.common",
    "accounts",
    "data",
    "apps.churn",
    "apps.forecasting",
    "apps.advice",
    "apps.analytics",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "project.common.middleware.ApiHeadersMiddleware",
]

ROOT_URLCONF = "project.urls"
WSGI_APPLICATION = "project.wsgi.application"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]

# PostgreSQL. Each process holds at most DATABASE_POOL_MAX_SIZE connections (psycopg's pool; a thread
# that finds them all busy waits up to DATABASE_POOL_TIMEOUT); 0 turns the pool off, and every request
# or task then opens and closes its own. Either way no connection outlives its request (CONN_MAX_AGE 0).
DATABASES = {
    "default": dj_database_url.parse(
        env_required("DATABASE_URL", "PostgreSQL, postgres://…"),
        # With the pool: a connection the server dropped is not handed out again.
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured("DATABASE_URL must name a PostgreSQL database (postgres://…).")
DATABASE_POOL_MAX_SIZE = int(os.environ.get("DATABASE_POOL_MAX_SIZE", "4"))
if DATABASE_POOL_MAX_SIZE:
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 1,
        "max_size": DATABASE_POOL_MAX_SIZE,
        "timeout": float(os.environ.get("DATABASE_POOL_TIMEOUT", "10")),
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

REDIS_URL = env_required("REDIS_URL", "the cache and Celery's broker, redis://…")
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        # A cache that does not answer within a second is treated as down (login then degrades to
        # per-process throttle counters) instead of holding a request thread.
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
    }
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# Collected by `manage.py collectstatic` (the image, compose and the demo do it); whitenoise serves them.
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "static"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["accounts.authentication.JWTAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "project.common.pagination.PageNumberPagination",
    # JSON only, also for a browser: every answer under /api/ is JSON (no browsable HTML pages).
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # Bodies are bounded in size and depth (project/common/parsers.py).
    "DEFAULT_PARSER_CLASSES": [
        "project.common.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "project.common.schema.AutoSchema",
    "EXCEPTION_HANDLER": "project.common.exceptions.exception_handler",
    "COERCE_DECIMAL_TO_STRING": True,
    "PAGE_SIZE": 50,
}

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": env_duration("JWT_ACCESS_LIFETIME", "15m"),
    "REFRESH_TOKEN_LIFETIME": env_duration("JWT_REFRESH_LIFETIME", "7d"),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    "AUTH_HEADER_TYPES": ("Bearer",),
    # A login starts a token family that logout and refresh-token reuse revoke whole (accounts/tokens.py).
    "TOKEN_OBTAIN_SERIALIZER": "accounts.serializers.LoginSerializer",
    "TOKEN_REFRESH_SERIALIZER": "accounts.serializers.RefreshSerializer",
}

# Failed logins allowed before 429, over LOGIN_FAILURE_WINDOW (accounts/throttling.py): per account and
# client pair; per address across accounts and per account across addresses, both skipped for a client
# that logged in to that account before (its address, or the signed device cookie of its browser).
LOGIN_FAILURES_PER_PAIR = int(os.environ.get("LOGIN_FAILURES_PER_PAIR", "5"))
LOGIN_FAILURES_PER_ADDRESS = int(os.environ.get("LOGIN_FAILURES_PER_ADDRESS", "20"))
LOGIN_FAILURES_PER_ACCOUNT = int(os.environ.get("LOGIN_FAILURES_PER_ACCOUNT", "50"))
LOGIN_FAILURE_WINDOW = env_duration("LOGIN_FAILURE_WINDOW", "15m")
LOGIN_KNOWN_ADDRESS_LIFETIME = env_duration("LOGIN_KNOWN_ADDRESS_LIFETIME", "30d")
LOGIN_KNOWN_DEVICE_LIFETIME = env_duration("LOGIN_KNOWN_DEVICE_LIFETIME", "180d")
# Registrations per client address over REGISTRATION_WINDOW: bounds sign-up spam and email probing.
REGISTRATIONS_PER_ADDRESS = int(os.environ.get("REGISTRATIONS_PER_ADDRESS", "10"))
REGISTRATION_WINDOW = env_duration("REGISTRATION_WINDOW", "1h")
# The header a trusted reverse proxy sets to the client's address (e.g. X-Forwarded-For), and how many
# trusted proxies append to it. Off by default: a header any client can send must not be believed.
TRUSTED_PROXY_HEADER = os.environ.get("TRUSTED_PROXY_HEADER", "").strip()
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "1"))

# Retry-After of a 429 whose throttle did not say how long it lasts.
THROTTLE_RETRY_AFTER_SECONDS = int(os.environ.get("THROTTLE_RETRY_AFTER_SECONDS", "60"))
# The Swagger UI page, which gets a Content-Security-Policy of its own (project/common/middleware.py).
API_DOCS_PATH = "/api/docs/"

SPECTACULAR_SETTINGS = {
    "TITLE": "Smart Market API",
    "DESCRIPTION": "Retail intelligence for small merchants. Authenticate with POST /api/auth/login/, "
    "then send `Authorization: Bearer <access>`; `X-Business-ID` picks the business.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SECURITY": [{"jwtAuth": []}],
    # Several models have a "kind" or "status"; name each enum after its model.
    "ENUM_NAME_OVERRIDES": {
        "StockAlertKindEnum": "data.models.StockAlert.Kind",
        "UploadKindEnum": "data.models.UploadRecord.Kind",
        "RecommendationKindEnum": "data.models.Recommendation.Kind",
        "JobStatusEnum": "project.common.models.JobStatus",
        # Urgency and churn risk are the same three levels.
        "LevelEnum": "data.models.Recommendation.Urgency",
    },
}

# Celery: Redis is the broker; tasks always run on a worker, never inside a request.
CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
# Late acks alone do not redeliver a task whose worker process was killed; this does.
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "default"
# A task that outlives the visibility timeout is delivered twice: keep it above every task's time limit.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 4 * 3600}
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"

UPLOAD_MAX_BYTES = int(os.environ.get("UPLOAD_MAX_BYTES", str(200 * 1024 * 1024)))
# Rows per committed chunk: a killed import resumes after the last committed chunk.
UPLOAD_CHUNK_ROWS = int(os.environ.get("UPLOAD_CHUNK_ROWS", "20000"))
# PostgreSQL connections that load one upload's sales chunks side by side (they commit in file order).
UPLOAD_LOAD_CONNECTIONS = int(os.environ.get("UPLOAD_LOAD_CONNECTIONS", "2"))
# How many row errors an upload keeps (all are counted).
UPLOAD_ERRORS_KEPT = 1000
# Uploads are streamed to disk past this size instead of held in memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Receipts: the largest image accepted (bytes, and pixels: an A4 page scanned at 600 dpi is 35 megapixels,
# so the default admits it while a decompression bomb's billions of pixels are refused from its header).
RECEIPT_MAX_BYTES = int(os.environ.get("RECEIPT_MAX_BYTES", str(50 * 1024 * 1024)))
RECEIPT_MAX_PIXELS = int(os.environ.get("RECEIPT_MAX_PIXELS", str(50_000_000)))
# OCR: an external service (see README, "OCR provider interface") instead of Tesseract when set.
OCR_PROVIDER_URL = os.environ.get("OCR_PROVIDER_URL", "")
OCR_PROVIDER_TOKEN = os.environ.get("OCR_PROVIDER_TOKEN", "")
OCR_PROVIDER_MAX_RESPONSE_BYTES = 5 * 1024 * 1024
# Seconds one image may take (Tesseract is stopped, the HTTP call times out); the task's limit is above.
OCR_TIMEOUT_SECONDS = int(os.environ.get("OCR_TIMEOUT_SECONDS", "120"))
# A catalogue product is suggested for a receipt line when the names match at least this well (0-100).
RECEIPT_MATCH_MIN_SCORE = int(os.environ.get("RECEIPT_MATCH_MIN_SCORE", "85"))

# Job rows (project/common/jobs.py): a running job heartbeats every JOB_HEARTBEAT_INTERVAL; one
# silent for JOB_HEARTBEAT_TIMEOUT lost its worker and the sweep (every minute) queues it again. A
# pending job the broker took but no worker claimed within JOB_PENDING_REQUEUE_AFTER is sent again
# (a broker restart may have lost it). An active job older than JOB_ABANDONED_AFTER with no live
# heartbeat is failed by the next request for one.
JOB_HEARTBEAT_INTERVAL = env_duration("JOB_HEARTBEAT_INTERVAL", "10s")
JOB_HEARTBEAT_TIMEOUT = env_duration("JOB_HEARTBEAT_TIMEOUT", "60s")
JOB_PENDING_REQUEUE_AFTER = env_duration("JOB_PENDING_REQUEUE_AFTER", "10m")
JOB_ABANDONED_AFTER = env_duration("JOB_ABANDONED_AFTER", "2h")

# How long after an upload a refresh waits for more.
ML_DEBOUNCE_SECONDS = int(os.environ.get("ML_DEBOUNCE_SECONDS", "60"))
# Products per forecast batch task: a run's batches spread over every worker on the ml queue.
FORECAST_BATCH_PRODUCTS = int(os.environ.get("FORECAST_BATCH_PRODUCTS", "500"))
# Refresh forecasts and customer scores after an upload completes (off in the test suite unless asked).
ML_REFRESH_AFTER_UPLOAD = env_bool("ML_REFRESH_AFTER_UPLOAD", True)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "cmdstanpy": {"level": "WARNING"},
        "prophet": {"level": "WARNING"},
    },
}

if UPLOAD_LOAD_CONNECTIONS >= DATABASE_POOL_MAX_SIZE > 0:
    raise ImproperlyConfigured(
        "DATABASE_POOL_MAX_SIZE must exceed UPLOAD_LOAD_CONNECTIONS: an upload's load lanes and the task's "
        "own connection come from one process's pool."
    )

if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
    CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", True)
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
