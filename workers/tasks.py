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
