"""The one beat schedule. django-celery-beat's DatabaseScheduler copies these entries into the database at
start, where an admin can see and pause them. Every entry's ``expires`` is no longer than its interval, so a
backlog after downtime does not pile up runs (Saleor's rule)."""

from celery.schedules import crontab  # noqa: F401  (used by entries added by later apps)

BEAT_SCHEDULE: dict[str, dict] = {
    "heartbeat": {
        "task": "workers.tasks.heartbeat_task",
        "schedule": 60.0,
        "options": {"expires": 60},
    },
}
