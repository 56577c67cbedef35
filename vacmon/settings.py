"""Django settings: every value comes from the environment (see .env.example)."""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url

from vacmon.conf import env_bool, env_choice, env_float, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("VACMON_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DJANGO_DEBUG", False)
# A fixed development key is for development runs only: with DJANGO_DEBUG false the service
# refuses to start on it (vacmon.ops.insecure) unless VACMON_ALLOW_INSECURE is true.
SECRET_KEY = env_str("DJANGO_SECRET_KEY", "vacmon-embedded-default-not-secret")
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["*"])
VACMON_ALLOW_INSECURE = env_bool("VACMON_ALLOW_INSECURE", False)
# Absolute URLs (the /crr/ index, `next` links) are built from this, never from the
# request's Host header, e.g. https://vacmon.example.org
VACMON_BASE_URL = env_str("VACMON_BASE_URL", "").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "vacmon",
]

MIDDLEWARE = [
    "vacmon.ops.baseurl.BaseUrlMiddleware",
    # First, so no NUL in the path or the query reaches a middleware or view that queries.
    "vacmon.queryparams.BadParameterMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "vacmon.urls"
WSGI_APPLICATION = "vacmon.wsgi.application"

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
            ],
        },
    },
]

_default_db = f"sqlite:///{VAR_DIR / 'vacmon.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(env_str("DATABASE_URL", _default_db))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the dashboard read while the listener writes; IMMEDIATE avoids the
    # "database is locked" upgrade race between concurrent writers.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-65536;"
        ),
        "transaction_mode": "IMMEDIATE",
        # How long a write waits for another connection's lock before failing (the failure
        # is retried; see vacmon.store.faults).
        "timeout": env_float("VACMON_SQLITE_BUSY_TIMEOUT", 30.0),
    }
    # A file, not pytest-django's in-memory default, so that the UDP listener's worker
    # processes see the same test database; one per test run, so runs can overlap.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["vacmon.api.renderers.FiniteJSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "EXCEPTION_HANDLER": "vacmon.api.errors.exception_handler",
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": [],
    "DEFAULT_PAGINATION_CLASS": "vacmon.api.pagination.ListCursor",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "VacMon API",
    "DESCRIPTION": "Status of vacuum-model sites: ingest, read and publication.",
    "VERSION": "1",
}

# --- Ingest -------------------------------------------------------------------------------
VACMON_UDP_HOST = env_str("VACMON_UDP_HOST", "::")
VACMON_UDP_PORT = env_int("VACMON_UDP_PORT", 8884, minimum=0)
# The queue behind VACMON_UDP_BUFFER_BYTES, in kernel memory (not the listener's RSS): with
# 32 MiB a 100,000-datagram burst lost 11 % in bench/ingest.py, with 128 MiB none. Beyond
# net.core.rmem_max it needs root (SO_RCVBUFFORCE); otherwise the kernel caps it.
VACMON_UDP_RCVBUF = env_int("VACMON_UDP_RCVBUF", 128 * 1024 * 1024, minimum=65536)
VACMON_UDP_WORKERS = env_int("VACMON_UDP_WORKERS", 2, minimum=0)
VACMON_BATCH_SIZE = env_int("VACMON_BATCH_SIZE", 5000, minimum=1)
VACMON_BATCH_SECONDS = env_float("VACMON_BATCH_SECONDS", 0.25)
# Bytes of received datagrams held between the UDP socket and the parsers (payload plus
# about 200 bytes each). When it is full the listener stops reading and the kernel's
# receive buffer (VACMON_UDP_RCVBUF) is the next queue; what overflows that is counted as
# kernel_buffer_full. 40 MiB keeps the listener under 150 MB on SQLite and on PostgreSQL
# (bench/ingest.py: 48 MiB peaked at 152 MB on PostgreSQL at 20,000 msg/s).
VACMON_UDP_BUFFER_BYTES = env_int("VACMON_UDP_BUFFER_BYTES", 40 * 1024 * 1024, minimum=65536)
# How long the UDP listener may take, after SIGTERM, to write what it holds; what the store
# has not taken by then is kept in VAR_DIR/ingest and read again at the next start.
VACMON_SHUTDOWN_GRACE = env_int("VACMON_SHUTDOWN_GRACE", 25, minimum=1)
VACMON_HTTP_MAX_BODY = env_int("VACMON_HTTP_MAX_BODY", 10 * 1024 * 1024, minimum=65507)
VACMON_HTTP_MAX_ITEMS = env_int("VACMON_HTTP_MAX_ITEMS", 10_000, minimum=1)
VACMON_SKEW_SECONDS = env_int("VACMON_SKEW_SECONDS", 300, minimum=1)
# New site/space/factory/machinetype names one source may introduce per hour; 0 is off.
VACMON_NAME_BUDGET = env_int("VACMON_NAME_BUDGET", 1000, minimum=0)
DATA_UPLOAD_MAX_MEMORY_SIZE = VACMON_HTTP_MAX_BODY

# --- Store --------------------------------------------------------------------------------
ELASTICSEARCH_URL = env_str("ELASTICSEARCH_URL", "")
ELASTICSEARCH_API_KEY = env_str("ELASTICSEARCH_API_KEY", "")
ELASTICSEARCH_USERNAME = env_str("ELASTICSEARCH_USERNAME", "")
ELASTICSEARCH_PASSWORD = env_str("ELASTICSEARCH_PASSWORD", "")
ELASTICSEARCH_CA_CERTS = env_str("ELASTICSEARCH_CA_CERTS", "")
ELASTICSEARCH_PREFIX = env_str("ELASTICSEARCH_PREFIX", "vacmon-")
ELASTICSEARCH_LIFECYCLE = env_choice("ELASTICSEARCH_LIFECYCLE", "dsl", ("dsl", "ilm", "none"))
VACMON_SPOOL_DIR = env_str("VACMON_SPOOL_DIR", str(VAR_DIR / "spool" / "elasticsearch"))
VACMON_SPOOL_MAX_BYTES = env_int("VACMON_SPOOL_MAX_BYTES", 1 << 30, minimum=1 << 20)
VACMON_RAW_RETENTION_DAYS = env_int("VACMON_RAW_RETENTION_DAYS", 30, minimum=1)
ELASTICSEARCH_RETENTION = env_str("ELASTICSEARCH_RETENTION", f"{VACMON_RAW_RETENTION_DAYS}d")
VACMON_ROLLUP_RETENTION_DAYS = env_int("VACMON_ROLLUP_RETENTION_DAYS", 400, minimum=1)
VACMON_STALE_SECONDS = env_int("VACMON_STALE_SECONDS", 600, minimum=60)

# --- Celery -------------------------------------------------------------------------------
# The embedded default is kombu's filesystem transport: no broker server is needed.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "filesystem://")
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {}
if CELERY_BROKER_URL.startswith("filesystem://"):
    _queue_dir = VAR_DIR / "celery"
    for _sub in ("queue", "processed", "control"):
        (_queue_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir / "queue"),
        "data_folder_out": str(_queue_dir / "queue"),
        "processed_folder": str(_queue_dir / "processed"),
        # kombu keeps its exchange bindings in ./control unless told otherwise, so a worker
        # and a beat started in different folders would route tasks to nowhere.
        "control_folder": str(_queue_dir / "control"),
        "store_processed": False,
    }
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 300, minimum=1)
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# The schedule lives in code (see STYLE.md): every periodic job and its period.
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    "maintain-store": {"task": "vacmon.tasks.maintain_store", "schedule": 60.0},
    "publish-crr": {"task": "vacmon.publisher.tasks.publish_all", "schedule": 300.0},
    "dispatch-probes": {"task": "vacmon.probes.tasks.dispatch_probes", "schedule": 60.0},
    "publish-probe-results": {
        "task": "vacmon.probes.tasks.publish_probe_results",
        "schedule": 60.0,
    },
    "daily-availability": {
        "task": "vacmon.probes.tasks.compute_daily_availability",
        "schedule": 3600.0,
    },
    "purge-probe-results": {"task": "vacmon.probes.tasks.purge_probe_results", "schedule": 3600.0},
    "forward-apel": {"task": "vacmon.apel.tasks.forward_apel", "schedule": 60.0},
    "summarise-apel": {"task": "vacmon.apel.tasks.summarise_apel", "schedule": 3600.0},
    "warm-dashboard": {"task": "vacmon.dashboard.tasks.warm_dashboard", "schedule": 60.0},
}

# --- Dashboard ----------------------------------------------------------------------------
VACMON_DASHBOARD_CACHE_SECONDS = env_int("VACMON_DASHBOARD_CACHE_SECONDS", 60, minimum=0)
# A cache every process shares (web workers and the Celery warmer), on disk by default.
CACHES = {
    "default": {
        "BACKEND": "vacmon.filecache.UncompressedFileCache",
        "LOCATION": env_str("VACMON_CACHE_DIR", str(VAR_DIR / "cache")),
        "OPTIONS": {"MAX_ENTRIES": env_int("VACMON_CACHE_MAX_ENTRIES", 20_000, minimum=100)},
    }
}

# --- CRR publication ----------------------------------------------------------------------
VACMON_CRR_WINDOW_SECONDS = env_int("VACMON_CRR_WINDOW_SECONDS", 86400, minimum=60)
VACMON_CRR_KEEP_VERSIONS = env_int("VACMON_CRR_KEEP_VERSIONS", 10, minimum=1)

# --- APEL accounting forwarding ------------------------------------------------------------
# Path of an ssmsend-style INI file ([broker], [certificates], [messaging], optional [ams]);
# empty turns forwarding off: uploaded records are kept and wait in the outbox.
VACMON_APEL_CONFIG = env_str("VACMON_APEL_CONFIG", "")
# Uploads need a sender token of the records' site; off accepts anonymous uploads for
# sites whose policy is open (never for a signed or networks site).
VACMON_APEL_UPLOAD_AUTH = env_bool("VACMON_APEL_UPLOAD_AUTH", True)

# --- Probes and A/R -----------------------------------------------------------------------
# ARGO engines differ in one cell, MISSING OR DOWNTIME (spec 3.2); argo-streaming's is default.
VACMON_ARGO_MISSING_OR_DOWNTIME = env_choice(
    "VACMON_ARGO_MISSING_OR_DOWNTIME", "DOWNTIME", ("DOWNTIME", "MISSING")
)
VACMON_PROBE_DISCOVERY_DAYS = env_int("VACMON_PROBE_DISCOVERY_DAYS", 7, minimum=1)
VACMON_PROBE_RETENTION_DAYS = env_int("VACMON_PROBE_RETENTION_DAYS", 35, minimum=2)
VACMON_PROBE_MONITORING_HOST = env_str("VACMON_PROBE_MONITORING_HOST", "")
# External probes run only plugins found here (after Debian's /usr/lib/nagios/plugins).
VACMON_PROBE_PLUGIN_DIRS = env_list("VACMON_PROBE_PLUGIN_DIRS", [])
# Publication of results over STOMP is off while the host is empty.
VACMON_PROBE_STOMP_HOST = env_str("VACMON_PROBE_STOMP_HOST", "")
VACMON_PROBE_STOMP_PORT = env_int("VACMON_PROBE_STOMP_PORT", 61613, minimum=1)
VACMON_PROBE_STOMP_USER = env_str("VACMON_PROBE_STOMP_USER", "")
VACMON_PROBE_STOMP_PASSWORD = env_str("VACMON_PROBE_STOMP_PASSWORD", "")
VACMON_PROBE_STOMP_DESTINATION = env_str("VACMON_PROBE_STOMP_DESTINATION", "/queue/vacmon.probes")
VACMON_PROBE_STOMP_FORMATS = env_list("VACMON_PROBE_STOMP_FORMATS", ["metricOutput", "sam3"])

# --- Trust: who may send and read (docs/deployment.md) -------------------------------------
# Reads (API, dashboard) without credentials; turn off to require a session or a token.
VACMON_ANONYMOUS_READ = env_bool("VACMON_ANONYMOUS_READ", True)
# HTTP ingest without a bearer token is accepted (as untrusted) unless this is on.
VACMON_HTTP_INGEST_AUTH = env_bool("VACMON_HTTP_INGEST_AUTH", False)
VACMON_PUBLIC_PATHS = env_list("VACMON_PUBLIC_PATHS", ["/crr/"])
# OIDC bearer tokens (JWT): off while VACMON_OIDC_ISSUER is unset.
VACMON_OIDC_ISSUER = env_str("VACMON_OIDC_ISSUER", "")
VACMON_OIDC_AUDIENCE = env_str("VACMON_OIDC_AUDIENCE", "")
VACMON_OIDC_JWKS_URL = env_str("VACMON_OIDC_JWKS_URL", "")  # unset: OIDC discovery
VACMON_OIDC_GROUPS_CLAIM = env_str("VACMON_OIDC_GROUPS_CLAIM", "groups")
VACMON_OIDC_OPERATOR_GROUPS = env_list("VACMON_OIDC_OPERATOR_GROUPS", [])
VACMON_OIDC_SITE_GROUP_PREFIX = env_str("VACMON_OIDC_SITE_GROUP_PREFIX", "/vacmon/sites/")
VACMON_OIDC_ALGORITHMS = env_list("VACMON_OIDC_ALGORITHMS", ["RS256", "ES256"])
VACMON_OIDC_JWKS_CACHE_SECONDS = env_int("VACMON_OIDC_JWKS_CACHE_SECONDS", 300, minimum=1)
# Signed UDP messages must have time_sent within this many seconds of the receiver clock.
VACMON_UDP_REPLAY_WINDOW = env_int("VACMON_UDP_REPLAY_WINDOW", 600, minimum=1)
# Per-source rate limits (messages/s for UDP, requests/s for HTTP); 0 turns a limit off.
VACMON_UDP_RATE = env_float("VACMON_UDP_RATE", 0.0)
VACMON_UDP_BURST = env_int("VACMON_UDP_BURST", 5000, minimum=1)
VACMON_HTTP_RATE = env_float("VACMON_HTTP_RATE", 0.0)
VACMON_HTTP_BURST = env_int("VACMON_HTTP_BURST", 50, minimum=1)
VACMON_CRR_TRUSTED_ONLY = env_bool("VACMON_CRR_TRUSTED_ONLY", False)
# Seconds each /readyz dependency check may take.
VACMON_READY_TIMEOUT = env_float("VACMON_READY_TIMEOUT", 2.0)
MIDDLEWARE.append("vacmon.trust.middleware.BearerMiddleware")
REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"] = [
    "vacmon.trust.drf.BearerAuthentication",
    "rest_framework.authentication.SessionAuthentication",
]
REST_FRAMEWORK["DEFAULT_PERMISSION_CLASSES"] = ["vacmon.trust.drf.ReadAccess"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "vacmon.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if env_bool("VACMON_JSON_LOGS", False) else "plain",
        }
    },
    "root": {"handlers": ["console"], "level": env_str("VACMON_LOG_LEVEL", "INFO")},
    # The Elasticsearch client logs every request at INFO: thousands of lines a minute
    # from the listener and the dashboard. Its warnings (retries, dead nodes) still show.
    "loggers": {"elastic_transport": {"level": "WARNING"}},
}
