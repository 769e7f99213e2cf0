"""Settings for worker processes started by tests: the test settings, but tasks really run on the broker
(not eagerly) and the database is the test database the pytest process created."""

import os

from tests.settings import *  # noqa: F403
from tests.settings import DATABASES

CELERY_TASK_ALWAYS_EAGER = False
# pytest-django runs tests against "test_<name>"; a worker started by a test must use the same database.
_test_name = os.environ.get("PANTAU_TEST_DB_NAME")
if _test_name:
    DATABASES["default"]["NAME"] = _test_name

# A test may point the worker at its own SMTP server.
if os.environ.get("PANTAU_TEST_SMTP_PORT"):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = "127.0.0.1"
    EMAIL_PORT = int(os.environ["PANTAU_TEST_SMTP_PORT"])
    EMAIL_USE_TLS = EMAIL_USE_SSL = False
# …and at queues of its own, so tasks enqueued by its processes, routed ones too, reach the worker the test
# started (which, started without -Q, consumes all of them, as a production worker does).
if os.environ.get("PANTAU_TEST_QUEUE"):
    CELERY_TASK_DEFAULT_QUEUE = os.environ["PANTAU_TEST_QUEUE"]
    WORKER_QUEUES = {kind: f"{CELERY_TASK_DEFAULT_QUEUE}-{kind}" for kind in WORKER_QUEUES}  # noqa: F405
    CELERY_TASK_QUEUES = celery_queues(CELERY_TASK_DEFAULT_QUEUE, WORKER_QUEUES)  # noqa: F405
