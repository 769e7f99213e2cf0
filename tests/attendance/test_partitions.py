"""The punch table partitioned by month (PostgreSQL): migration 0009 on a database that already holds punches
(and back), the guards on the partitioned table, and the daily creation of partitions that moves punches out of
the default partition without losing, changing or renumbering one."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from attendance import partitions
from attendance.models import Device, Punch
from attendance.store import punches_insert
from attendance.zk.parser import RawRecord
from tests.conftest import IN_CI
from tests.factories import DesaFactory

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql" and not IN_CI, reason="partitions exist on PostgreSQL (CI runs it)"
    ),
]

BEFORE = [("attendance", "0008_pull_prefix_month_rollup")]
AFTER = [("attendance", "0009_punch_partitions")]
# A working month, the turn of a month in Jakarta (00:30 WIB on 1 Sep is still 31 Aug in UTC), a clock reset to
# 2000 and one set years ahead: the last two stay in the default partition.
TIMES = [
    dt.datetime(2025, 8, 4, 7, 21),
    dt.datetime(2025, 8, 29, 16, 5),
    dt.datetime(2025, 9, 1, 0, 30),
    dt.datetime(2026, 1, 5, 7, 40),
    dt.datetime(2000, 1, 1, 0, 3),
    dt.datetime(2040, 6, 1, 8, 0),
]


def migrate(targets) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


def partition_of() -> dict[int, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, tableoid::regclass::text FROM attendance_punch")
        return dict(cursor.fetchall())


def is_partitioned() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_partitioned_table WHERE partrelid = 'attendance_punch'::regclass")
        return cursor.fetchone() is not None


def store(device: Device, times: list[dt.datetime], pin: str = "7") -> int:
    with transaction.atomic():
        return punches_insert(device=device, records=[RawRecord(pin, None, t, 1, 0, 0) for t in times]).new


def rows() -> list[tuple]:
    return sorted(Punch.objects.values_list("id", "device_id", "pin", "punched_at", "verify_mode", "source"))


@pytest.mark.django_db(transaction=True)
def test_migration_partitions_a_table_that_holds_punches_and_back():
    migrate(BEFORE)
    try:
        assert not is_partitioned()
        device = Device.objects.create(serial_number="P-1", desa=DesaFactory(), name="Balai", host="127.0.0.1")
        assert store(device, TIMES) == len(TIMES)
        before = rows()

        migrate(AFTER)
        assert is_partitioned()
        assert rows() == before  # every punch, with its id
        where = partition_of()
        by_time = {p.punched_at: where[p.id] for p in Punch.objects.all()}
        tz = device.tz
        assert by_time[TIMES[0].replace(tzinfo=tz)] == "attendance_punch_p202508"
        assert by_time[TIMES[2].replace(tzinfo=tz)] == "attendance_punch_p202509"  # the Jakarta month
        assert by_time[TIMES[4].replace(tzinfo=tz)] == "attendance_punch_default"
        assert by_time[TIMES[5].replace(tzinfo=tz)] == "attendance_punch_default"

        # The unique key still decides, across partitions; the identity continues after the copied ids.
        assert store(device, TIMES) == 0
        assert store(device, [dt.datetime(2025, 8, 5, 7, 25)]) == 1
        assert Punch.objects.order_by("-id").first().id > max(r[0] for r in before)
        with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM attendance_punch")
        with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("UPDATE attendance_punch SET pin = 'x'")
        with pytest.raises(IntegrityError), transaction.atomic():
            device.delete()

        after = rows()
        migrate(BEFORE)
        assert not is_partitioned()
        assert rows() == after
        with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM attendance_punch")
    finally:
        call_command("migrate", verbosity=0)  # the rest of the suite runs on the latest schema
    assert is_partitioned()


@pytest.mark.django_db
def test_partition_ensure_moves_punches_out_of_the_default_partition_unchanged():
    device = Device.objects.create(serial_number="P-2", desa=DesaFactory(), name="Balai", host="127.0.0.1")
    old = [dt.datetime(2019, 5, 2, 7, 30), dt.datetime(2019, 5, 31, 23, 50)]
    store(device, old)
    before = rows()
    assert set(partition_of().values()) == {"attendance_punch_default"}

    created = partitions.punch_partitions_ensure()
    assert "attendance_punch_p201905" in created
    assert rows() == before
    assert set(partition_of().values()) == {"attendance_punch_p201905"}
    assert partitions.punch_partitions_ensure() == []  # idempotent
    # The move's permission ended with it: punches are immutable again.
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM attendance_punch")


@pytest.mark.django_db
def test_partitions_cover_last_month_to_a_year_ahead():
    partitions.punch_partitions_ensure()
    months = set(partitions.existing_months())
    today = dt.date.today().replace(day=1)
    expected = partitions.months_between(
        partitions.month_start(today - dt.timedelta(days=1)), today + dt.timedelta(days=31 * 12)
    )
    assert set(expected) <= months


@pytest.mark.django_db
def test_the_daily_beat_entry_runs_the_partition_task():
    from workers.schedule import BEAT_SCHEDULE
    from workers.tasks import punch_partitions_task

    assert BEAT_SCHEDULE["attendance-punch-partitions"]["task"] == punch_partitions_task.name
    device = Device.objects.create(serial_number="P-3", desa=DesaFactory(), name="Balai", host="127.0.0.1")
    store(device, [dt.datetime(2018, 3, 5, 7, 30)])
    assert punch_partitions_task.delay().get() >= 1
    assert set(partition_of().values()) == {"attendance_punch_p201803"}
