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
    # Every minute: one bounded round of late detection, reminder/escalation stages and the transition outbox
    # (a round that fills its batch enqueues the next one after its commit: runs, not one long task), and the
    # sweeper that re-sends due deliveries (new, retrying, or left by a worker that died).
    "alerts": {
        "task": "workers.tasks.alerts_task",
        "schedule": 60.0,
        "options": {"expires": 60},
    },
    # Every minute: enqueue a pull for each fingerprint device whose interval (or retry backoff) has passed.
    "attendance-pulls": {
        "task": "workers.tasks.attendance_dispatch_task",
        "schedule": 60.0,
        "options": {"expires": 60},
    },
    # Every minute: recompute the daily attendance statuses marked dirty (a sweeper behind the enqueue after
    # each change, in case that message was lost).
    "attendance-status": {
        "task": "workers.tasks.attendance_status_task",
        "schedule": 60.0,
        "options": {"expires": 60},
    },
    # Every 5 minutes: alert the Kasi Tapem, once per silence, about push (ADMS) machines that stopped calling.
    "attendance-push-silent": {
        "task": "workers.tasks.push_silent_task",
        "schedule": 300.0,
        "options": {"expires": 300},
    },
    # https://crontab.guru/#30_17_*_*_* — 00:30 WIB: close yesterday for every desa, devices or not, so each
    # working day gets a status (ND where nothing reported).
    "attendance-close-day": {
        "task": "workers.tasks.attendance_close_day_task",
        "schedule": crontab(minute=30, hour=17),
        "options": {"expires": 3600},
    },
    # https://crontab.guru/#45_17_*_*_* — 00:45 WIB: the punch table's monthly partitions a year ahead, and a
    # partition for any month whose punches sit in the default one (an old log pulled late). PostgreSQL only.
    "attendance-punch-partitions": {
        "task": "workers.tasks.punch_partitions_task",
        "schedule": crontab(minute=45, hour=17),
        "options": {"expires": 3600},
    },
    # https://crontab.guru/#0_1_*_*_* — 08:00 WIB: Musrenbang reminders (H-7, H-1) and late notices.
    "musrenbang-alerts": {
        "task": "workers.tasks.musrenbang_alerts_task",
        "schedule": crontab(minute=0, hour=1),
        "options": {"expires": 3600},
    },
    # https://crontab.guru/#0_0_*_*_1 — Monday 00:00 UTC = 07:00 WIB: the Kasi Tapem's weekly digest.
    "weekly-digest": {
        "task": "workers.tasks.weekly_digest_task",
        "schedule": crontab(minute=0, hour=0, day_of_week=1),
        "options": {"expires": 3600},
    },
    # https://crontab.guru/#15_1_*_*_* — 08:15 WIB: monev recommendations past their due date (each stage once).
    "visit-recommendations-overdue": {
        "task": "workers.tasks.visit_recommendations_overdue_task",
        "schedule": crontab(minute=15, hour=1),
        "options": {"expires": 3600},
    },
    # Operations (#18): BACKUP-SCHEDULE-BEGIN
    # https://crontab.guru/#0_19_*_*_* — 02:00 WIB, the quietest hour: one archive (database, media, manifest),
    # copied to BACKUP_COPY_DIR, old ones pruned (portal.backup). A run that missed its hour is dropped, not
    # piled up: the next night's runs anyway.
    "backup": {
        "task": "workers.tasks.backup_task",
        "schedule": crontab(minute=0, hour=19),
        "options": {"expires": 6 * 3600},
    },
    # BACKUP-SCHEDULE-END
    # HEALTH-SCHEDULE-BEGIN
    # Every minute: the worker side of the admins' health notices (portal/health.py says who sees what).
    "health-watch": {
        "task": "workers.tasks.health_watch_task",
        "schedule": 60.0,
        "options": {"expires": 60},
    },
    # HEALTH-SCHEDULE-END
    # RETENTION-SCHEDULE-BEGIN
    # https://crontab.guru/#30_20_*_*_* — 03:30 WIB, after the backup: processed push uploads older than
    # PUSH_REQUEST_KEEP_DAYS, in batches that re-enqueue themselves (attendance.push.push_requests_prune).
    "push-requests-prune": {
        "task": "workers.tasks.push_requests_prune_task",
        "schedule": crontab(minute=30, hour=20),
        "options": {"expires": 3600},
    },
    # RETENTION-SCHEDULE-END
}
