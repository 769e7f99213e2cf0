"""Thin tasks: each takes ids or plain values, calls a service in an app, and returns."""

from __future__ import annotations

import socket

from celery import shared_task


@shared_task(name="workers.tasks.ping_task")
def ping_task(payload: str) -> dict:
    """Round-trip check: the web side enqueues it, a worker answers."""
    return {"pong": payload, "worker": socket.gethostname()}


@shared_task(name="workers.tasks.heartbeat_task")
def heartbeat_task() -> str:
    from portal.health import heartbeat_record

    return heartbeat_record()


@shared_task(name="workers.tasks.generate_obligations_task")
def generate_obligations_task(year: int | None = None) -> int:
    """Daily: this year's and next year's obligations (idempotent, so new desa and types are caught), and their
    due dates checked against the rules."""
    from django.utils import timezone

    from monev.services import obligations_generate, obligations_recompute
    from portal.calendar import holidays_sync

    years = [year] if year else [timezone.localdate().year, timezone.localdate().year + 1]
    holidays_sync(years=years)
    created = sum(obligations_generate(year=y) for y in years)
    # The sweeper for deadlines: any open obligation whose dates drifted from its rule (an upgrade that
    # changed a rule, an edit made outside the portal) is brought back and the change recorded.
    obligations_recompute(reason="pemeriksaan harian", years=years)
    return created


@shared_task(name="workers.tasks.alerts_task")
def alerts_task(steps: list[str] | None = None, sweep: bool = True) -> dict:
    """Every minute: one bounded round of detection (late, stages, outbox) and the sweep of due deliveries; a
    round that left work behind enqueues this task again for those steps (``sweep=False``) after its commit."""
    from monev.alerts import STEPS, alerts_tick

    return alerts_tick(steps=steps or STEPS, sweep=sweep)


@shared_task(name="workers.tasks.process_transition_task")
def process_transition_task(transition_id: int) -> int:
    from monev.alerts import transition_process_one

    return transition_process_one(transition_id)


@shared_task(
    name="workers.tasks.deliver_task",
    acks_late=True,
    # A lost broker message is recovered by the minute sweeper; the claim makes duplicates harmless.
)
def deliver_task(delivery_id: int) -> str:
    from portal.notify import deliver

    return deliver(delivery_id)


@shared_task(name="workers.tasks.dispatch_inapp_task")
def dispatch_inapp_task() -> int:
    """One batch of due in-app deliveries (claimed with one conditional UPDATE); a full batch enqueues this
    task again after its commit."""
    from portal.notify import dispatch_inapp

    return dispatch_inapp()


@shared_task(name="workers.tasks.weekly_digest_task")
def weekly_digest_task() -> int:
    from monev.digest import digest_send

    return digest_send()


@shared_task(name="workers.tasks.attendance_dispatch_task")
def attendance_dispatch_task() -> int:
    """Every minute: one pull task per device whose time has come (the device lease keeps pulls apart)."""
    from django.utils import timezone

    from attendance.services import devices_due

    ids = devices_due(now=timezone.now())
    for device_id in ids:
        device_pull_task.delay(device_id)
    return len(ids)


@shared_task(name="workers.tasks.device_pull_task")
def device_pull_task(device_id: int, trigger: str = "beat") -> dict:
    from attendance.services import device_pull

    result = device_pull(device_id=device_id, trigger=trigger)
    return {"outcome": result.outcome, "read": result.read, "new": result.new, "error": result.error}


@shared_task(name="workers.tasks.push_replay_task")
def push_replay_task(device_id: int) -> int:
    from attendance.push import push_replay

    return push_replay(device_id)


@shared_task(name="workers.tasks.push_silent_task")
def push_silent_task() -> int:
    from attendance.push import silent_push_devices_alert

    return silent_push_devices_alert()


@shared_task(name="workers.tasks.attendance_status_task")
def attendance_status_task() -> int:
    """Recompute the (desa, day) statuses marked dirty; several workers may run it at once (SKIP LOCKED)."""
    from attendance.daily import status_dirty_process

    return status_dirty_process()


@shared_task(name="workers.tasks.attendance_close_day_task")
def attendance_close_day_task() -> int:
    """Mark yesterday dirty for every desa: the day is over, what was pending becomes TAP, TK or ND."""
    from attendance.dirty import status_close_day

    return status_close_day()


@shared_task(name="workers.tasks.punch_partitions_task")
def punch_partitions_task() -> int:
    """Create the punch table's coming monthly partitions (``attendance.partitions``); idempotent."""
    from attendance.partitions import punch_partitions_ensure

    return len(punch_partitions_ensure())


@shared_task(name="workers.tasks.musrenbang_alerts_task")
def musrenbang_alerts_task() -> int:
    """Daily: Musrenbang reminders before planned meetings and late notices without a berita acara."""
    from musrenbang.services import musrenbang_alerts

    return musrenbang_alerts()


@shared_task(name="workers.tasks.visit_recommendations_overdue_task")
def visit_recommendations_overdue_task() -> int:
    """Daily: notices for monev recommendations past their due date, once per recommendation and stage."""
    from monev.services_visits import recommendations_notify_overdue

    return recommendations_notify_overdue()


# Operations (#18): BACKUP-TASKS-BEGIN
@shared_task(name="workers.tasks.backup_task", acks_late=False)
def backup_task() -> str:
    """Daily: one backup archive, its copy and the pruning (``portal.backup.backup_scheduled``). A failure
    notifies the admins (once per day) and raises, so Celery records it. Not acks_late: a worker lost in the
    middle of a backup must not make the broker start a second one at once."""
    from portal.backup import backup_scheduled

    return str(backup_scheduled())


# BACKUP-TASKS-END
# HEALTH-TASKS-BEGIN
@shared_task(name="workers.tasks.health_watch_task")
def health_watch_task() -> list[str]:
    """Every minute: the worker side of the admins' health notices (disk full; the web side's /readyz also sees
    beat or every worker down, which this task cannot: it does not run then)."""
    from portal.health import health_watch_task_run

    return health_watch_task_run()


def _beat_tick(sender=None, **kwargs) -> None:
    from portal.health import beat_tick_on_publish

    beat_tick_on_publish(sender=sender, **kwargs)


def _beat_tick_connect() -> None:
    """Beat's own tick: stamped in the process that *sends* the heartbeat (beat), so a stale tick means beat is
    down even while workers run. Connected here because every process (beat too) imports this module."""
    from celery.signals import before_task_publish

    before_task_publish.connect(_beat_tick, weak=False, dispatch_uid="pantau-beat-tick")


_beat_tick_connect()


# HEALTH-TASKS-END
# RETENTION-TASKS-BEGIN
@shared_task(name="workers.tasks.push_requests_prune_task")
def push_requests_prune_task() -> int:
    """Daily: one batch of processed push uploads past ``PUSH_REQUEST_KEEP_DAYS``; a full batch enqueues the next."""
    from attendance.push import push_requests_prune

    return push_requests_prune()


# RETENTION-TASKS-END
