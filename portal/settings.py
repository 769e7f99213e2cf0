"""Django settings for Pantau Desa.

All deployment-specific values come from environment variables through ``portal.env`` (see README,
"Konfigurasi"). Defaults give a zero-config local install: SQLite in ``var/``, an embedded Celery broker on
the filesystem, no external server.
"""

from __future__ import annotations

import datetime as dt
import secrets
import zoneinfo
from pathlib import Path

import dj_database_url
import dj_email_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from portal.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", False)


def _secret_key() -> str:
    key = env_str("SECRET_KEY")
    if key:
        return key
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is required when DEBUG is off. Set SECRET_KEY (or SECRET_KEY_FILE); "
            "`make run` generates one in var/secret_key for the local default."
        )
    # Local development only: generate once, keep it across restarts so sessions survive.
    path = VAR_DIR / "secret_key"
    if not path.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SECURE_COOKIES = env_bool("SECURE_COOKIES", False)
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Behind HTTPS (README "Deployment"): redirect plain HTTP, tell browsers to stay on HTTPS, and trust the proxy's
# scheme header only when it is named (a header any client could send must never be trusted by default).
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
# Fingerprint machines that push (ADMS) mostly speak plain HTTP only: never redirect them to HTTPS.
SECURE_REDIRECT_EXEMPT = [r"^iclock/"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
_proxy_header = env_str("SECURE_PROXY_SSL_HEADER", "")
if _proxy_header:
    # e.g. HTTP_X_FORWARDED_PROTO=https
    _name, _sep, _value = _proxy_header.partition("=")
    if not _sep or not _name.startswith("HTTP_") or not _value:
        raise ImproperlyConfigured(
            f"Unexpected value SECURE_PROXY_SSL_HEADER={_proxy_header!r}, use e.g. HTTP_X_FORWARDED_PROTO=https"
        )
    SECURE_PROXY_SSL_HEADER = (_name, _value)
# The admin lives at a path of the deployer's choosing (less noise from scanners); default admin/.
ADMIN_URL = env_str("ADMIN_URL", "admin/").strip("/") + "/"
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000")

INSTALLED_APPS = [
    # portal first: its templates (login, password pages) override the admin's.
    "portal",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "knox",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "simple_history",
    "axes",
    "csp",
    "dbbackup",
    "health_check",
    "monev",
    "attendance",
    "musrenbang",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "portal.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "portal.middleware.CleanTextMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes requires.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.navigation",
            ],
        },
    },
]

# Database ---------------------------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'pantau.sqlite3'}")
try:
    _db = dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)
except ValueError as exc:
    raise ImproperlyConfigured(f"Unexpected value DATABASE_URL={DATABASE_URL!r}: {exc}") from exc
if _db["ENGINE"] == "django.db.backends.sqlite3":
    # Web, worker and beat share one SQLite file in the local default: WAL lets readers run beside the
    # single writer, IMMEDIATE transactions avoid "database is locked" upgrades, the timeout waits out
    # short write bursts.
    _db["CONN_MAX_AGE"] = 0
    _db["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    if _db["NAME"] and _db["NAME"] != ":memory:":
        Path(_db["NAME"]).parent.mkdir(parents=True, exist_ok=True)
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Redis, cache and Celery -----------------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
CELERY_BROKER_DIR = VAR_DIR / "celery"
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS: dict = {"visibility_timeout": 3600}
else:
    # No server needed: kombu's filesystem transport and a file-based cache shared by web and worker.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }
    CELERY_BROKER_URL = "filesystem://"
    _queue_dir = CELERY_BROKER_DIR / "queue"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "control_folder": str(CELERY_BROKER_DIR / "control"),
    }
    CELERY_RESULT_BACKEND = f"file://{CELERY_BROKER_DIR / 'results'}"
    for _dir in (_queue_dir, CELERY_BROKER_DIR / "control", CELERY_BROKER_DIR / "results"):
        _dir.mkdir(parents=True, exist_ok=True)
CELERY_TIMEZONE = "UTC"
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_RESULT_EXPIRES = 3600
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Queues by kind of work (``workers.routes``; README "Scaling"): the minute's alerts, notices and watch on the
# default queue; the fingerprint machines' logs (pulls, push replays) on "devices"; recomputes, the nightly jobs
# and the backup on "bulk". A worker started without -Q consumes all three (make run, docker compose); a province gives each its
# own pool with -Q, so a month's rebuild or a dead machine's timeout never holds the minute's alerts.
CELERY_TASK_DEFAULT_QUEUE = "celery"
WORKER_QUEUES = {"devices": "devices", "bulk": "bulk"}


def celery_queues(default: str, named: dict[str, str]) -> list:
    """What a worker started without -Q consumes: the default queue and every named one. Each with an exchange
    and routing key of its own, as Celery makes a queue it creates on the fly: bare ``Queue(name)``s would all be
    bound to the one default exchange and key, and a send naming that key would land in all three."""
    from kombu import Exchange, Queue

    return [Queue(name, Exchange(name), routing_key=name) for name in (default, *named.values())]


CELERY_TASK_QUEUES = celery_queues(CELERY_TASK_DEFAULT_QUEUE, WORKER_QUEUES)
CELERY_TASK_ROUTES = ("workers.routes.route",)

# Auth ------------------------------------------------------------------------------------------------
AUTH_USER_MODEL = "portal.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"
# Login attempts per client address per minute, web login and API token endpoint together (portal.throttles).
AUTH_RATE = f"{env_int('AUTH_RATE_PER_MINUTE', 20, minimum=1)}/min"
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = env_int("AXES_COOLOFF_MINUTES", 30, minimum=1) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/lockout.html"
AXES_VERBOSE = False

# Internationalisation --------------------------------------------------------------------------------
LANGUAGES = [("id", _("Bahasa Indonesia")), ("en", _("English"))]
LANGUAGE_CODE = env_str("LANGUAGE_CODE", "id")
if LANGUAGE_CODE not in dict(LANGUAGES):
    raise ImproperlyConfigured(f"Unexpected value LANGUAGE_CODE={LANGUAGE_CODE!r}: use 'id' or 'en'.")
TIME_ZONE = env_str("TIME_ZONE", "Asia/Jakarta")
try:
    zoneinfo.ZoneInfo(TIME_ZONE)
except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
    raise ImproperlyConfigured(f"Unexpected value TIME_ZONE={TIME_ZONE!r}: not an IANA time zone.") from exc
USE_I18N = True
USE_TZ = True
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["portal.formats"]

# Files -----------------------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "static")))
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
# No MEDIA_URL is routed: uploaded files are private and leave only through scoped download views.
MEDIA_URL = "/berkas-privat/"


def _bootstrap_dir() -> str:
    import xstatic.pkg.bootstrap as xs_bootstrap  # installed from PyPI; works offline

    return xs_bootstrap.BASE_DIR


STATICFILES_DIRS = [("bootstrap", _bootstrap_dir())]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
UPLOAD_MAX_BYTES = env_int("UPLOAD_MAX_MB", 20, minimum=1) * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Email -----------------------------------------------------------------------------------------------
EMAIL_URL = env_str("EMAIL_URL", "console://")
try:
    _email = dj_email_url.parse(EMAIL_URL)
except (ValueError, KeyError) as exc:
    raise ImproperlyConfigured(f"Unexpected value EMAIL_URL={EMAIL_URL!r}: {exc}") from exc
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_HOST = _email["EMAIL_HOST"] or "localhost"
EMAIL_PORT = _email["EMAIL_PORT"] or 25
EMAIL_HOST_USER = _email["EMAIL_HOST_USER"] or ""
EMAIL_HOST_PASSWORD = _email["EMAIL_HOST_PASSWORD"] or ""
EMAIL_USE_TLS = bool(_email["EMAIL_USE_TLS"])
EMAIL_USE_SSL = bool(_email["EMAIL_USE_SSL"])
EMAIL_TIMEOUT = 20
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Pantau Desa <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# API -------------------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "knox.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": [
        "portal.api.parsers.JSONParser",
        "portal.api.parsers.FormParser",
        "portal.api.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "portal.api.pagination.Pagination",
    "DEFAULT_FILTER_BACKENDS": [
        "portal.api.filtersets.FilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "portal.api.errors.exception_handler",
    "DATETIME_FORMAT": "iso-8601",
}
# API tokens (django-rest-knox): stored hashed, expire, revoked on a password change or on demand.
REST_KNOX = {
    "TOKEN_TTL": dt.timedelta(hours=env_int("API_TOKEN_TTL_HOURS", 24 * 30, minimum=1)),
    "AUTH_HEADER_PREFIX": "Token",
    "AUTO_REFRESH": False,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Pantau Desa API",
    "DESCRIPTION": "API portal pemantauan desa. Semua data dibatasi menurut cakupan (desa/kecamatan) pengguna.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # The enum hook is drf-spectacular's default; ours adds the common error body and each operation's errors.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "portal.api.schema.error_responses",
    ],
    # Choice sets whose field names repeat across apps ("kind", "outcome"): one stable name each.
    "ENUM_NAME_OVERRIDES": {
        "NotificationKindEnum": "portal.models.Notification.Kind",
        "HolidayKindEnum": "portal.models.HariLibur.Jenis",
        "EvaluationOutcomeEnum": "monev.choices.Outcome",
        "PunchKindEnum": "attendance.choices.PunchKind",
        "DeviceCommandStateEnum": "attendance.models.DeviceCommand.State",
        "RequestStateEnum": "attendance.choices.RequestState",
        "DeviceCommandKindEnum": "attendance.models.DeviceCommand.Kind",
        "DeviceEventKindEnum": "attendance.models.DeviceEvent.Kind",
    },
}

# Content-Security-Policy (django-csp), enforced on every page: scripts and styles come only from our own
# static files (no inline <script>, on…= handlers or <style>; see portal/static/portal/site.js), images
# also from data: URIs (Bootstrap's CSS draws its icons with them), and no page may be framed.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}, "axes": {"level": "WARNING"}},
}

# Demo steps run by `manage.py load_demo`, in order; each app appends its own.
DEMO_LOADERS = [
    "portal.demo.demo_load",
    "monev.demo.demo_load",
    "attendance.demo.demo_load",
    "musrenbang.demo.demo_load",
]
CELERY_APP = "workers.celery.app"
API_URLCONFS = ["portal.api.urls", "monev.api.urls", "attendance.api.urls", "musrenbang.api.urls"]
# Each app's web pages and navigation entries (portal imports no app).
WEB_URLCONFS = ["monev.urls", "attendance.urls", "musrenbang.urls"]
NAV_PROVIDERS = ["monev.nav.items", "attendance.nav.items", "musrenbang.nav.items"]

# Alerts (Monev II) ------------------------------------------------------------------------------------
ALERT_HOUR = env_int("ALERT_HOUR", 7, minimum=0)  # local hour at which the day's reminders go out
MONEV_AWAITING_WORKING_DAYS = env_int("MONEV_AWAITING_WORKING_DAYS", 3, minimum=1)
MONEV_CORRECTION_REMINDER_DAYS = env_int("MONEV_CORRECTION_REMINDER_DAYS", 2, minimum=0)
DELIVERY_LEASE_SECONDS = env_int("DELIVERY_LEASE_SECONDS", 300, minimum=1)

# Attendance (ZKTeco) ----------------------------------------------------------------------------------
ATTENDANCE_PULL_TIMEOUT = env_int("ATTENDANCE_PULL_TIMEOUT", 20, minimum=1)  # seconds per device exchange
ATTENDANCE_PULL_LEASE_SECONDS = env_int("ATTENDANCE_PULL_LEASE_SECONDS", 900, minimum=10)
ATTENDANCE_FAILURE_ALERT_AFTER = env_int("ATTENDANCE_FAILURE_ALERT_AFTER", 3, minimum=1)
ATTENDANCE_CAPACITY_ALERT = env_int("ATTENDANCE_CAPACITY_ALERT", 80, minimum=1)  # percent
# Attendance II: daily status thresholds (attendance/status.py documents the codes).
# Upper bounds in minutes of TL1/PSW1, TL2/PSW2, TL3/PSW3; above the last is TL4/PSW4.
ATTENDANCE_LATE_BUCKETS = tuple(int(x) for x in env_list("ATTENDANCE_LATE_BUCKETS", ["30", "60", "90"]))
if len(ATTENDANCE_LATE_BUCKETS) != 3 or list(ATTENDANCE_LATE_BUCKETS) != sorted(set(ATTENDANCE_LATE_BUCKETS)):
    raise ImproperlyConfigured("ATTENDANCE_LATE_BUCKETS must be three increasing minute counts, e.g. 30,60,90")
ATTENDANCE_SICK_NOTE_AFTER_DAYS = env_int("ATTENDANCE_SICK_NOTE_AFTER_DAYS", 2, minimum=0)  # sakit longer needs a note
ATTENDANCE_CHRONIC_LATE = env_int("ATTENDANCE_CHRONIC_LATE", 5, minimum=1)  # TL days in a month that raise a flag
ATTENDANCE_TK_STREAK = env_int("ATTENDANCE_TK_STREAK", 3, minimum=1)  # consecutive TK working days that raise a flag
# Fingerprint machines the server may connect to (attendance/network.py): private ranges always; loopback only for
# the emulated demo fleet and the tests; anything else (a desa's public IP, a DDNS name) only when listed.
ATTENDANCE_ALLOW_LOOPBACK = env_bool("ATTENDANCE_ALLOW_LOOPBACK", DEBUG)
ATTENDANCE_ALLOWED_HOSTS = env_list("ATTENDANCE_ALLOWED_HOSTS", [])
# Push machines (ADMS, /iclock/): the largest upload body kept (a real batch is a few kB; a backfill of a
# month of a busy office well under 1 MB), how often a machine polls, and what an unregistered serial may make
# the server store (replayed when it is registered) and how often it may knock.
ADMS_MAX_BODY_BYTES = env_int("ADMS_MAX_BODY_BYTES", 2_000_000, minimum=10_000)
ADMS_POLL_SECONDS = env_int("ADMS_POLL_SECONDS", 30, minimum=5)
ADMS_UNREGISTERED_KEEP_BYTES = env_int("ADMS_UNREGISTERED_KEEP_BYTES", 5_000_000, minimum=0)
ADMS_UNREGISTERED_MAX_SERIALS = env_int("ADMS_UNREGISTERED_MAX_SERIALS", 200, minimum=1)
ADMS_UNREGISTERED_PER_MINUTE = env_int("ADMS_UNREGISTERED_PER_MINUTE", 30, minimum=1)

# Operations (#18) -------------------------------------------------------------------------------------------
# Backups (portal/backup.py): BACKUP-SETTINGS-BEGIN
# Where `manage.py backup` and the daily beat task write their archives; a second folder (another disk, a mounted
# share) that gets a copy of each, empty for none; how many to keep: the newest of each of the last KEEP_DAILY days
# and of the last KEEP_MONTHLY months that have one (portal.backup.retention_keep). When: workers/schedule.py.
BACKUP_DIR = Path(env_str("BACKUP_DIR", str(VAR_DIR / "backups")))
BACKUP_COPY_DIR = Path(env_str("BACKUP_COPY_DIR")) if env_str("BACKUP_COPY_DIR") else None
BACKUP_KEEP_DAILY = env_int("BACKUP_KEEP_DAILY", 7, minimum=1)
BACKUP_KEEP_MONTHLY = env_int("BACKUP_KEEP_MONTHLY", 12, minimum=0)
# BACKUP-SETTINGS-END
# Health (portal/health.py): HEALTH-SETTINGS-BEGIN
# /readyz, the status page and the admins' notices (README "Operations"): disk use above this percent of
# MEDIA_ROOT's, VAR_DIR's or BACKUP_DIR's file system is an incident.
HEALTH_DISK_MAX_PERCENT = env_int("HEALTH_DISK_MAX_PERCENT", 90, minimum=1)
# Beat sends a heartbeat every minute: no tick (or no worker running it) for this long is an incident.
HEALTH_BEAT_STALE_SECONDS = env_int("HEALTH_BEAT_STALE_SECONDS", 300, minimum=60)
# How long /readyz waits for a worker to answer Celery's ping, and how long no worker may answer before the
# admins hear of it (a deploy restarts the workers in seconds: that is no incident).
HEALTH_WORKER_PING_SECONDS = env_int("HEALTH_WORKER_PING_SECONDS", 1, minimum=1)
HEALTH_WORKER_GRACE_SECONDS = env_int("HEALTH_WORKER_GRACE_SECONDS", 120, minimum=0)
# /readyz answers anyone: each web process makes its report (and pings the workers) at most once in this many
# seconds and answers calls in between with it. 0: a new report every call.
HEALTH_READY_CACHE_SECONDS = env_int("HEALTH_READY_CACHE_SECONDS", 5, minimum=0)
# First: the probes answer before the host check (a healthcheck calls 127.0.0.1, not the public name), the HTTPS
# redirect, sessions, CSRF and axes. portal/views_health.py says what they disclose (nothing secret).
MIDDLEWARE = ["portal.views_health.ProbeMiddleware", *MIDDLEWARE]
# The apps' parts of the status page (portal imports no app): each takes the user and answers sections.
HEALTH_STATUS_PROVIDERS = ["attendance.health_status.status_devices", "monev.health_status.status_outbox"]
# HEALTH-SETTINGS-END
# Retention of raw machine uploads (attendance/push.py): RETENTION-SETTINGS-BEGIN
# Days an upload from a push machine is kept after it was taken in (its punches stay for good); stored, failed and
# unregistered uploads are kept until they are replayed. Pruned daily (workers/schedule.py).
PUSH_REQUEST_KEEP_DAYS = env_int("PUSH_REQUEST_KEEP_DAYS", 90, minimum=1)
# RETENTION-SETTINGS-END
