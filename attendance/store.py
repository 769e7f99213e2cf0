"""Storing raw punches in bulk. Duplicates are skipped by the unique key (device, PIN, time), never by a
watermark or a comparison in Python, so out-of-order logs after a power cut are stored like any other record.

On PostgreSQL the records are streamed with COPY into a temporary table and inserted with one
``INSERT … SELECT`` that leaves out, with a set-based anti-join over the device's punches in the batch's time
range, what is stored already: a batch of 100,000 known punches costs one hash join, not 100,000 index probes
of ``ON CONFLICT``. What remains is inserted without ``ON CONFLICT`` (its speculative insertion is a third of
the cost of a first pull); should another writer have stored one of those punches meanwhile (a push of the same
punch, a pull whose lease ran out), the unique key refuses the insert and it is redone with ``ON CONFLICT DO
NOTHING``, so the key still decides. The SQL names the parent table only, so it works on the partitioned punch
table as on a plain one. Other databases (SQLite, the zero-config default) use Django's
``bulk_create(ignore_conflicts=True)`` after skipping what is already stored."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from operator import itemgetter

from django.db import IntegrityError, connection, transaction

from attendance.choices import PunchSource
from attendance.models import Device, Punch
from attendance.zk.parser import RawRecord

BULK_BATCH = 5000
# COPY's text format gives these characters a meaning; a PIN is digits in practice, but a corrupt 40-byte
# record can carry any byte, and it must be stored as read rather than break the stream.
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_TIME = itemgetter(2)  # RawRecord.timestamp, without the attribute lookup
# The anti-join's time bounds are taken from device wall time; a day either side covers any zone's offset
# changes, so the bounds only prune partitions and never leave out a stored punch.
_BOUND_MARGIN = dt.timedelta(days=1)

_INSERT = (
    "WITH inserted AS (INSERT INTO attendance_punch (device_id, pin, punched_at, verify_mode, punch_state, "
    "work_code, source, received_at) SELECT %(device)s, i.pin, i.local_time AT TIME ZONE %(zone)s, i.verify_mode, "
    "i.punch_state, i.work_code, %(source)s, now() FROM punch_incoming i WHERE NOT EXISTS (SELECT 1 FROM "
    "attendance_punch p WHERE p.device_id = %(device)s AND p.punched_at BETWEEN %(lo)s AND %(hi)s "
    "AND p.punched_at = i.local_time AT TIME ZONE %(zone)s AND p.pin = i.pin) {conflict}RETURNING punched_at) "
    "SELECT (punched_at AT TIME ZONE %(zone)s)::date, count(*) FROM inserted GROUP BY 1"
)
_ON_CONFLICT = "ON CONFLICT (device_id, punched_at, pin) DO NOTHING "


@dataclass
class Stored:
    new: int = 0
    days: set[dt.date] = field(default_factory=set)  # device-local days of the new punches


def punches_insert(*, device: Device, records: list[RawRecord], source: str = PunchSource.PULL) -> Stored:
    """Insert the records that are not stored yet; returns how many were new and on which days. Call inside
    a transaction."""
    if not records:
        return Stored()
    if connection.vendor == "postgresql":
        return _insert_postgresql(device, records, source)
    return _insert_generic(device, records, source)


def _copy_text(records: list[RawRecord]) -> str:
    """COPY text with one line per (PIN, time), the first in storage order as ``ON CONFLICT DO NOTHING`` would
    keep: some firmware writes a punch twice, and the plain insert would refuse the whole batch for it. Keyed
    by text, not by tuples: 100,000 new tuples would wake the cyclic garbage collector over and over."""
    lines: dict[str, str] = {}
    for r in records:
        pin = r.user_id if r.user_id.isalnum() else r.user_id.translate(_COPY_ESCAPES)
        key = f"{pin}\t{r.timestamp.isoformat(' ')}"
        if key not in lines:
            lines[key] = f"{key}\t{r.status}\t{r.punch}\t{r.workcode}\n"
    return "".join(lines.values())


def _insert_postgresql(device: Device, records: list[RawRecord], source: str) -> Stored:
    params = {
        "device": device.pk,
        "zone": device.timezone,
        "source": source,
        "lo": min(map(_TIME, records)).replace(tzinfo=device.tz) - _BOUND_MARGIN,
        "hi": max(map(_TIME, records)).replace(tzinfo=device.tz) + _BOUND_MARGIN,
    }
    with connection.cursor() as cursor:
        # ON COMMIT DROP: the table lives exactly as long as the pull's transaction.
        cursor.execute(
            "CREATE TEMPORARY TABLE punch_incoming (pin varchar(24), local_time timestamp, verify_mode smallint, "
            "punch_state smallint, work_code integer) ON COMMIT DROP"
        )
        raw = cursor.cursor  # psycopg's own cursor: Django's wrapper has no COPY
        with raw.copy("COPY punch_incoming FROM STDIN") as copy:
            copy.write(_copy_text(records))
        # The device clock is wall time in the device's zone; PostgreSQL converts with the same tz database.
        try:
            with transaction.atomic():  # a savepoint: the pull's transaction stays usable if the key refuses
                cursor.execute(_INSERT.format(conflict=""), params)
                per_day = cursor.fetchall()
        except IntegrityError:
            cursor.execute(_INSERT.format(conflict=_ON_CONFLICT), params)
            per_day = cursor.fetchall()
        cursor.execute("DROP TABLE punch_incoming")
    return Stored(sum(count for _day, count in per_day), {day for day, _count in per_day})


def _insert_generic(device: Device, records: list[RawRecord], source: str) -> Stored:
    before = Punch.objects.filter(device=device).count()
    fresh = _not_yet_stored(device, records)
    days = {r.timestamp.date() for r in fresh}
    rows = [
        Punch(
            device=device,
            pin=r.user_id,
            punched_at=r.timestamp.replace(tzinfo=device.tz),
            verify_mode=r.status,
            punch_state=r.punch,
            work_code=r.workcode,
            source=source,
        )
        for r in fresh
    ]
    # The unique key decides, not the filter: a punch stored meanwhile by a push is skipped here too.
    for start in range(0, len(rows), BULK_BATCH):
        Punch.objects.bulk_create(rows[start : start + BULK_BATCH], ignore_conflicts=True)
    return Stored(Punch.objects.filter(device=device).count() - before, days)


def _not_yet_stored(device: Device, records: list[RawRecord]) -> list[RawRecord]:
    """Records whose (PIN, time) the device has not stored yet: one indexed range query instead of
    thousands of ignored inserts, for the usual case of a device holding mostly known punches."""
    times = [r.timestamp.replace(tzinfo=device.tz) for r in records]
    known = set(
        Punch.objects.filter(device=device, punched_at__range=(min(times), max(times))).values_list("pin", "punched_at")
    )
    return [r for r, t in zip(records, times, strict=True) if (r.user_id, t) not in known]
