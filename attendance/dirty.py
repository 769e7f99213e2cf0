"""Which (desa, day) pairs need their daily status recomputed. Every change that can alter a status marks its
pairs here inside its own transaction; ``attendance.daily.status_dirty_process`` recomputes them. A module of
its own so that the writers (schedules, leave, koreksi, the pull) and the recompute need not import each other."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.utils import timezone

from attendance.models import StatusDirty
from portal.models import Desa

ONE_DAY = dt.timedelta(days=1)


def status_mark_dirty(pairs: Iterable[tuple[int, dt.date]]) -> int:
    """Mark (desa, day) pairs for recompute (future days are ignored) and enqueue the recompute after commit."""
    from portal.queue import enqueue

    today = timezone.localdate()
    rows = [StatusDirty(desa_id=desa_id, date=day) for desa_id, day in set(pairs) if day <= today]
    if rows:
        StatusDirty.objects.bulk_create(rows, ignore_conflicts=True, batch_size=2000)
        enqueue("workers.tasks.attendance_status_task")
    return len(rows)


def status_close_day(*, day: dt.date | None = None) -> int:
    day = day or timezone.localdate() - ONE_DAY
    return status_mark_dirty((desa_id, day) for desa_id in Desa.objects.values_list("id", flat=True))


def dates_between(start: dt.date, end: dt.date) -> list[dt.date]:
    return [start + ONE_DAY * i for i in range((end - start).days + 1)]
