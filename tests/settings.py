"""Test settings: the real settings plus speed (MD5 hasher), in-memory mail, eager Celery by default.
Tests that need a real worker, Redis or PostgreSQL ask for them through fixtures in tests/conftest.py."""

import os
import secrets
import tempfile

# Hermetic: a SECRET_KEY_FILE from the developer's shell must not leak into the tests.
os.environ.pop("SECRET_KEY_FILE", None)
os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(40))
# Each run gets its own var/ (broker folders, media) so runs never see each other's files.
os.environ.setdefault("VAR_DIR", tempfile.mkdtemp(prefix="pantau-test-"))

from portal.settings import *  # noqa: E402,F403
from portal.settings import DATABASES, STORAGES, VAR_DIR  # noqa: E402

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
AXES_FAILURE_LIMIT = 3
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405  (whitenoise warns when it is missing)

# Tests that start other processes (a Celery worker, two `send_alerts --once`) need a database those
# processes can open: a file for SQLite instead of pytest-django's in-memory default.
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
AUTH_RATE = "1000/min"  # tests log in often; tests/portal/test_security.py lowers it
ATTENDANCE_ALLOW_LOOPBACK = True  # the ZKTeco emulator of the tests listens on 127.0.0.1
# Each /readyz test changes what the checks see between calls; tests/portal/test_health.py turns the cache on.
HEALTH_READY_CACHE_SECONDS = 0
