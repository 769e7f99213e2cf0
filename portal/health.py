"""Liveness of the background side: beat sends ``heartbeat_task`` every minute; the worker that runs it
stamps the cache. The dashboard shows the stamp so an admin sees when worker or beat stopped."""

from __future__ import annotations

import datetime as dt

from django.core.cache import cache
from django.utils import timezone

HEARTBEAT_KEY = "pantau:heartbeat"


def heartbeat_record() -> str:
    now = timezone.now().isoformat()
    cache.set(HEARTBEAT_KEY, now, timeout=None)
    return now


def heartbeat_last() -> dt.datetime | None:
    value = cache.get(HEARTBEAT_KEY)
    return dt.datetime.fromisoformat(value) if value else None
