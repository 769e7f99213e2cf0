"""Bulk punch storage on whichever database the suite runs (PostgreSQL's COPY path under CI, SQLite's
bulk_create locally): what is stored, what counts as new, and that a device with punches stays."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import ProtectedError
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from attendance.models import Device, Punch
from attendance.store import punches_insert
from attendance.zk.parser import RawRecord
from tests.conftest import IN_CI
from tests.factories import DesaFactory

pytestmark = pytest.mark.django_db
WITA = ZoneInfo("Asia/Makassar")


def device(serial: str = "S-1", tz: str = "Asia/Jakarta") -> Device:
    return Device.objects.create(serial_number=serial, desa=DesaFactory(), name="Balai", host="127.0.0.1", timezone=tz)


def record(pin: str, when: dt.datetime, status: int = 1, punch: int = 0, workcode: int = 0) -> RawRecord:
    return RawRecord(pin, None, when, status, punch, workcode)


def insert(dev: Device, records: list[RawRecord]) -> int:
    with transaction.atomic():
        return punches_insert(device=dev, records=records).new


def stored(dev: Device) -> list[tuple]:
    return list(
        Punch.objects.filter(device=dev)
        .order_by("punched_at", "pin")
        .values_list("pin", "punched_at", "verify_mode", "punch_state", "work_code", "source")
    )


def test_stores_every_field_in_the_device_zone_and_counts_new():
    dev = device(tz="Asia/Makassar")  # a WITA machine: 07:30 on its clock is 06:30 in Jakarta
    at = dt.datetime(2026, 8, 3, 7, 30)
    assert insert(dev, [record("7", at, status=15, punch=1, workcode=42)]) == 1
    assert stored(dev) == [("7", at.replace(tzinfo=WITA), 15, 1, 42, "pull")]
    assert Punch.objects.get().punched_at == dt.datetime(2026, 8, 2, 23, 30, tzinfo=dt.UTC)


def test_pins_with_copy_control_characters_are_stored_as_read():
    # A corrupt 40-byte record can carry any byte; COPY's text format must not misread it as a delimiter.
    dev = device()
    at = dt.datetime(2026, 8, 3, 7, 30)
    odd = ["a\tb", "back\\slash", "new\nline", "cr\rx", "\\N", "é"]
    assert insert(dev, [record(pin, at) for pin in odd]) == len(odd)
    assert sorted(p for p, *_ in stored(dev)) == sorted(odd)


def test_duplicates_in_one_batch_and_across_pulls_are_stored_once():
    dev = device()
    at = dt.datetime(2026, 8, 3, 7, 30)
    batch = [record("1", at), record("1", at), record("2", at), record("1", at + dt.timedelta(seconds=1))]
    assert insert(dev, batch) == 3
    # A later pull holding the same punches plus one out of order (after a power cut) stores only that one.
    late = record("2", at - dt.timedelta(days=3))
    assert insert(dev, [*batch, late]) == 1
    assert len(stored(dev)) == 4


def test_same_punch_on_two_devices_is_two_punches():
    first, second = device("S-1"), device("S-2")
    at = dt.datetime(2026, 8, 3, 7, 30)
    assert insert(first, [record("1", at)]) == 1
    assert insert(second, [record("1", at)]) == 1


def test_empty_pull_stores_nothing():
    dev = device()
    assert insert(dev, []) == 0
    assert stored(dev) == []


def test_device_with_punches_cannot_be_deleted():
    # The database has no foreign key on punches (see Punch.device); Django's PROTECT is what keeps them.
    dev = device()
    insert(dev, [record("1", dt.datetime(2026, 8, 3, 7, 30))])
    with pytest.raises(ProtectedError):
        dev.delete()
    assert Device.objects.filter(pk=dev.pk).exists() and Punch.objects.filter(device_id=dev.pk).count() == 1


def test_api_delete_of_device_with_punches_is_refused(tenancy):
    dev = Device.objects.create(serial_number="A-1", desa=tenancy.desa_a, name="Balai", host="127.0.0.1")
    insert(dev, [record("1", dt.datetime(2026, 8, 3, 7, 30))])
    response = tenancy.client(tenancy.kasi_tapem).delete(reverse("api:device-detail", args=[dev.pk]))
    assert response.status_code == 409 and response.json()["code"] == "protected"
    assert Punch.objects.filter(device_id=dev.pk).count() == 1


# The guards are PostgreSQL triggers: a SQLite run on a laptop skips them; under CI=true they always run (and
# fail on any other database), as need_service() in tests/conftest.py does for the other services.
postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql" and not IN_CI, reason="database guards exist on PostgreSQL (CI runs it)"
)


@postgresql_only
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE attendance_punch SET pin = 'x'",
        "DELETE FROM attendance_punch",
        "INSERT INTO attendance_punch (device_id, pin, punched_at, verify_mode, punch_state, work_code, source, "
        "received_at) VALUES (999999, '1', now(), 0, 0, 0, 'pull', now())",
        "DELETE FROM attendance_device",
    ],
    ids=["update", "delete", "unknown-device", "delete-device"],
)
def test_database_refuses_to_change_lose_or_orphan_punches(sql):
    dev = device()
    insert(dev, [record("1", dt.datetime(2026, 8, 3, 7, 30))])
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql)
    assert stored(dev)[0][0] == "1" and Device.objects.filter(pk=dev.pk).exists()


def test_two_device_times_that_are_one_instant_are_stored_once():
    # 02:30 does not exist in Berlin on 29 March 2026 (clocks jump from 02:00 to 03:00): both databases read it
    # as 03:30, the same instant as the next record. On PostgreSQL the plain insert is refused by the unique key
    # and redone with ON CONFLICT DO NOTHING in the same transaction.
    dev = device(tz="Europe/Berlin")
    gap, after = dt.datetime(2026, 3, 29, 2, 30), dt.datetime(2026, 3, 29, 3, 30)
    with transaction.atomic():
        result = punches_insert(device=dev, records=[record("1", gap), record("1", after), record("2", after)])
    assert result.new == 2 and result.days == {dt.date(2026, 3, 29)}
    assert [p for p, *_ in stored(dev)] == ["1", "2"]


def test_known_punches_months_apart_are_skipped_and_the_new_one_counted():
    dev = device()
    start = dt.datetime(2025, 1, 6, 7, 0)
    known = [record(str(n % 9), start + dt.timedelta(days=n // 2, hours=n % 2 * 9)) for n in range(1200)]
    assert insert(dev, known) == 1200
    late = record("4", start + dt.timedelta(days=100, minutes=3))  # between known punches, long after the first
    assert insert(dev, [*known, late]) == 1
    assert len(stored(dev)) == 1201


@pytest.mark.skipif(
    connection.vendor != "postgresql" and not IN_CI, reason="the COPY path exists on PostgreSQL (CI runs it)"
)
def test_postgresql_store_makes_the_same_queries_for_ten_records_or_ten_thousand():
    # COPY goes through psycopg's own cursor and is not among Django's queries; the rest is a fixed set: the
    # temporary table, the savepoint around the one INSERT … SELECT, and the drop.
    start = dt.datetime(2026, 8, 3, 7, 0)
    counts = []
    for serial, n in (("S-10", 10), ("S-10k", 10_000)):
        dev, batch = device(serial), [record(str(i % 50), start + dt.timedelta(minutes=i)) for i in range(n)]
        with CaptureQueriesContext(connection) as queries, transaction.atomic():
            assert punches_insert(device=dev, records=batch).new == n
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
