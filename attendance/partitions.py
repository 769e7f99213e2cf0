"""Monthly partitions of the raw punch table (PostgreSQL; migration 0009 made ``attendance_punch`` a table
partitioned by range of ``punched_at``).

One partition per calendar month in Asia/Jakarta (``attendance_punch_pYYYYMM``), and a default partition for
what falls outside every month that exists: a machine whose clock reset to 2000 after a flat battery, or one
set years ahead. The daily beat task creates the months ahead and gives every month found in the default
partition its own partition, moving those rows (the only time a raw punch row is deleted, and it is inserted
again unchanged, id included, in the same transaction).

Why by month: a desa's month and a day's kabupaten view touch one or two partitions however many years are
stored, each partition's index stays small enough to be cached, and old years can be detached and archived
whole. On SQLite (the zero-config default) every function here does nothing."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

PARENT = "attendance_punch"
DEFAULT = "attendance_punch_default"
# A month outside this window is a clock gone wrong (ZKTeco machines fall back to 2000 when their clock battery
# dies), not a month of work: it stays in the default partition (still stored, still shown) rather than getting
# a partition of its own.
EARLIEST = dt.date(2015, 1, 1)
AHEAD_MONTHS = 12
_NAME = re.compile(r"^attendance_punch_p(\d{4})(\d{2})$")
# Read by the ``attendance_punch_immutable`` trigger (0009): a move between partitions may delete.
MOVE_SETTING = "pantau.punch_partition_move"


def zone() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def next_month(month: dt.date) -> dt.date:
    return (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def months_between(first: dt.date, last: dt.date) -> list[dt.date]:
    months, month = [], month_start(first)
    while month <= last:
        months.append(month)
        month = next_month(month)
    return months


def partition_name(month: dt.date) -> str:
    return f"{PARENT}_p{month:%Y%m}"


def bounds(month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The month's range in the portal's zone (a desa's month is a local month)."""
    tz = zone()
    return dt.datetime.combine(month, dt.time(0), tzinfo=tz), dt.datetime.combine(
        next_month(month), dt.time(0), tzinfo=tz
    )


def is_partitioned() -> bool:
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_partitioned_table WHERE partrelid = %s::regclass", [PARENT])
        return cursor.fetchone() is not None


def existing_months() -> list[dt.date]:
    """Months that have their own partition."""
    if not is_partitioned():
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = %s::regclass",
            [PARENT],
        )
        names = [row[0] for row in cursor.fetchall()]
    return sorted(dt.date(int(m[1]), int(m[2]), 1) for m in map(_NAME.match, names) if m)


def months_in_default() -> list[dt.date]:
    """Local months of the punches in the default partition that belong in a partition of their own."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT DISTINCT date_trunc('month', punched_at AT TIME ZONE %s)::date FROM {DEFAULT}",  # noqa: S608
            [settings.TIME_ZONE],
        )
        months = [row[0] for row in cursor.fetchall()]
    horizon = month_start(timezone.localdate()) + dt.timedelta(days=31 * (AHEAD_MONTHS + 1))
    return sorted(m for m in months if EARLIEST <= m <= horizon)


def punch_partitions_ensure(*, first: dt.date | None = None, last: dt.date | None = None) -> list[str]:
    """Create the monthly partitions from ``first`` to ``last`` (default: last month to 12 months ahead) and
    one for every month found in the default partition. Idempotent; returns the partitions created."""
    if not is_partitioned():
        return []
    today = timezone.localdate()
    first = first or month_start(month_start(today) - dt.timedelta(days=1))  # last month: late pulls land there
    last = last or month_start(today) + dt.timedelta(days=31 * AHEAD_MONTHS)
    have = set(existing_months())
    wanted = set(months_between(max(first, EARLIEST), last)) | set(months_in_default())
    created = []
    for month in sorted(wanted - have):
        _create(month)
        created.append(partition_name(month))
    return created


def _create(month: dt.date) -> None:
    """One month's partition, taking its rows out of the default partition first (PostgreSQL refuses to
    attach a range the default partition holds rows of). One transaction: a failure leaves nothing half-moved."""
    lo, hi = bounds(month)
    name = partition_name(month)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT set_config(%s, 'on', true)", [MOVE_SETTING])
        cursor.execute(f"CREATE TEMPORARY TABLE punch_moving (LIKE {PARENT}) ON COMMIT DROP")
        cursor.execute(
            f"WITH moved AS (DELETE FROM {DEFAULT} WHERE punched_at >= %s AND punched_at < %s RETURNING *) "  # noqa: S608
            "INSERT INTO punch_moving SELECT * FROM moved",
            [lo, hi],
        )
        # DDL takes no parameters: the bounds are literals made here from dates, never from input.
        cursor.execute(f"CREATE TABLE {name} PARTITION OF {PARENT} FOR VALUES FROM ('{lo}') TO ('{hi}')")
        cursor.execute(f"INSERT INTO {PARENT} SELECT * FROM punch_moving")  # noqa: S608
        cursor.execute("DROP TABLE punch_moving")
        cursor.execute("SELECT set_config(%s, '', true)", [MOVE_SETTING])
