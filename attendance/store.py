"""Storing raw punches in bulk. Duplicates are skipped by the unique key (device, PIN, time), never by a
watermark or a comparison in Python, so out-of-order logs after a power cut are stored like any other record.

On PostgreSQL a pull streams its records with COPY into a temporary table and inserts them with
``ON CONFLICT DO NOTHING``: a device of 100,000 records is stored in one statement, and a pull that finds
nothing new costs one index probe per record. Other databases (SQLite, the zero-config default) use Django's
``bulk_create(ignore_conflicts=True)`` after skipping what is already stored."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import connection

from attendance.choices import PunchSource
from attendance.models import Device, Punch
from attendance.zk.parser import RawRecord

BULK_BATCH = 5000
# COPY's text format gives these characters a meaning; a PIN is digits in practice, but a corrupt 40-byte
# record can carry any byte, and it must be stored as read rather than break the stream.
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


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
    lines = []
    append = lines.append
    for r in records:
        pin = r.user_id if r.user_id.isalnum() else r.user_id.translate(_COPY_ESCAPES)
        append(f"{pin}\t{r.timestamp.isoformat(' ')}\t{r.status}\t{r.punch}\t{r.workcode}\n")
    return "".join(lines)


def _insert_postgresql(device: Device, records: list[RawRecord], source: str) -> int:
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
        cursor.execute(
            "WITH inserted AS (INSERT INTO attendance_punch (device_id, pin, punched_at, verify_mode, punch_state, "
            "work_code, source, received_at) SELECT %s, pin, local_time AT TIME ZONE %s, verify_mode, punch_state, "
            "work_code, %s, now() FROM punch_incoming ON CONFLICT (device_id, punched_at, pin) DO NOTHING "
            "RETURNING punched_at) "
            "SELECT count(*), array_agg(DISTINCT (punched_at AT TIME ZONE %s)::date) FROM inserted",
            [device.pk, device.timezone, source, device.timezone],
        )
        new, days = cursor.fetchone()
        cursor.execute("DROP TABLE punch_incoming")
    return Stored(new, set(days or ()))


def _insert_generic(device: Device, records: list[RawRecord], source: str) -> int:
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
