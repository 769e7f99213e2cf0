"""The one Celery app. Configuration comes from Django settings (``CELERY_*``); the beat schedule is
``workers.schedule.BEAT_SCHEDULE``; tasks live in ``workers.tasks`` and stay thin (take ids, call a service)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("pantau")
app.config_from_object("django.conf:settings", namespace="CELERY")
# force=True imports workers.tasks now, so enqueue-by-name finds every task in the web process too.
app.autodiscover_tasks(["workers"], force=True)


def _apply_schedule() -> None:
    from workers.schedule import BEAT_SCHEDULE

    app.conf.beat_schedule = BEAT_SCHEDULE


_apply_schedule()
