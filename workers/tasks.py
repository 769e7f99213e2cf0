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
    """Daily: this year's and next year's obligations (idempotent, so new desa and types are caught)."""
    from django.utils import timezone

    from monev.services import obligations_generate
    from portal.calendar import holidays_sync

    years = [year] if year else [timezone.localdate().year, timezone.localdate().year + 1]
    holidays_sync(years=years)
    return sum(obligations_generate(year=y) for y in years)


@shared_task(name="workers.tasks.mark_overdue_task")
def mark_overdue_task() -> int:
    from django.utils import timezone

    from monev.services import obligations_mark_overdue

    return obligations_mark_overdue(today=timezone.localdate())
