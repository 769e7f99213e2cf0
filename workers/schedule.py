"""The one beat schedule. django-celery-beat's DatabaseScheduler copies these entries into the database at
start, where an admin can see and pause them. Every entry's ``expires`` is no longer than its interval, so a
backlog after downtime does not pile up runs (Saleor's rule)."""

from celery.schedules import crontab

BEAT_SCHEDULE: dict[str, dict] = {
    "heartbeat": {
        "task": "workers.tasks.heartbeat_task",
        "schedule": 60.0,
        "options": {"expires": 60},
    },
    # https://crontab.guru/#10_0_*_*_* (UTC: 07:10 WIB) — this and next year's obligations; idempotent.
    "generate-obligations": {
        "task": "workers.tasks.generate_obligations_task",
        "schedule": crontab(minute=10, hour=0),
        "options": {"expires": 3600},
    },
    "mark-overdue": {
        "task": "workers.tasks.mark_overdue_task",
        "schedule": 300.0,
        "options": {"expires": 300},
    },
}
