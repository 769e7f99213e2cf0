"""Retention of raw push uploads (``attendance.push.push_requests_prune``): processed uploads older than
``PUSH_REQUEST_KEEP_DAYS`` go, in bounded batches that re-enqueue themselves; stored, failed and unregistered ones
stay for a replay; what an upload brought in (punches, the day's evidence, its events) stays."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext

from attendance import push
from attendance.choices import Protocol
from attendance.models import Device, DeviceDay, DeviceEvent, Punch, PushRequest
from tests.conftest import IN_CI

pytestmark = pytest.mark.django_db
SN = "PUSH-RET-1"
NOW = dt.datetime(2026, 12, 1, 3, 0, tzinfo=dt.UTC)
OLD = NOW - dt.timedelta(days=91)
RECENT = NOW - dt.timedelta(days=89)
Outcome = PushRequest.Outcome


@pytest.fixture
def machine(tenancy):
    return Device.objects.create(
        serial_number=SN, desa=tenancy.desa_a, name="Balai Desa", protocol=Protocol.PUSH, host=""
    )


def uploads(machine, count: int, *, at: dt.datetime, outcome=Outcome.PROCESSED) -> list[int]:
    rows = PushRequest.objects.bulk_create(
        PushRequest(
            serial_number=machine.serial_number if machine else "UNKNOWN-1",
            device=machine,
            table="ATTLOG",
            body=f"1\t2026-09-01 07:{n % 60:02d}:00\t0\t1\t0\n",
            received_at=at + dt.timedelta(seconds=n),
            outcome=outcome,
        )
        for n in range(count)
    )
    return [row.pk for row in rows]


def test_only_processed_uploads_past_the_keep_days_go(machine, settings):
    settings.PUSH_REQUEST_KEEP_DAYS = 90
    # A real upload taken in 91 days ago, with a line that could not be read (kept as an event naming it).
    body = "7\t2026-09-01 07:21:00\t0\t1\t0\t0\t0\t\nnot a punch\n"
    taken = push.upload_receive(push.Upload(SN, "ATTLOG", f"SN={SN}&table=ATTLOG", body, "10.0.0.9"), now=OLD)
    assert taken == 2
    old_done = PushRequest.objects.get()
    assert old_done.outcome == Outcome.PROCESSED
    event = DeviceEvent.objects.get(request=old_done)
    recent_done = uploads(machine, 1, at=RECENT)
    kept_for_replay = [
        *uploads(machine, 1, at=OLD, outcome=Outcome.FAILED),
        *uploads(machine, 1, at=OLD, outcome=Outcome.STORED),
        *uploads(None, 1, at=OLD, outcome=Outcome.UNREGISTERED),
    ]
    failed_event = DeviceEvent.objects.create(
        device=machine, kind=DeviceEvent.Kind.MALFORMED, detail="x", request_id=kept_for_replay[0]
    )

    assert push.push_requests_prune(now=NOW) == 1

    assert set(PushRequest.objects.values_list("pk", flat=True)) == {*recent_done, *kept_for_replay}
    # What the upload brought in stays: its punch, the day's evidence, its event (no longer naming it).
    assert Punch.objects.filter(device=machine, pin="7").count() == 1
    assert DeviceDay.objects.filter(device=machine, punched=True).exists()
    event.refresh_from_db()
    assert event.request_id is None and "not a punch" in event.detail
    failed_event.refresh_from_db()
    assert failed_event.request_id == kept_for_replay[0]


def test_the_keep_days_come_from_the_setting(machine, settings):
    uploads(machine, 1, at=NOW - dt.timedelta(days=31))
    settings.PUSH_REQUEST_KEEP_DAYS = 90
    assert push.push_requests_prune(now=NOW) == 0
    settings.PUSH_REQUEST_KEEP_DAYS = 30
    assert push.push_requests_prune(now=NOW) == 1
    assert not PushRequest.objects.exists()


def test_a_batch_is_bounded_and_enqueues_the_next(machine, monkeypatch, django_capture_on_commit_callbacks):
    monkeypatch.setattr(push, "PRUNE_BATCH", 10)
    uploads(machine, 25, at=OLD)
    keep = uploads(machine, 3, at=RECENT)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert push.push_requests_prune(now=NOW) == 10
    assert len(callbacks) == 1  # the next batch
    assert PushRequest.objects.count() == 25 + 3 - 10
    # The oldest went first.
    assert PushRequest.objects.order_by("received_at").first().received_at == OLD + dt.timedelta(seconds=10)

    # The task runs the batches one after the other (eager here) until one is not full: this run of 10 enqueues
    # the next, which takes the last 5 and stops.
    with time_machine.travel(NOW, tick=False), django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert push.push_requests_prune() == 10
    assert len(callbacks) == 1
    assert set(PushRequest.objects.values_list("pk", flat=True)) == set(keep)


def test_the_query_count_does_not_grow_with_the_rows(machine):
    def queries(count: int) -> int:
        uploads(machine, count, at=OLD)
        DeviceEvent.objects.bulk_create(
            DeviceEvent(device=machine, kind=DeviceEvent.Kind.OPLOG, detail="OPLOG", request_id=pk)
            for pk in PushRequest.objects.values_list("pk", flat=True)
        )
        with CaptureQueriesContext(connection) as ctx:
            assert push.push_requests_prune(now=NOW, limit=1000) == count
        assert not PushRequest.objects.exists()
        assert not DeviceEvent.objects.filter(request__isnull=False).exists()
        return len(ctx.captured_queries)

    few, many = queries(3), queries(300)
    assert few == many <= (3 if connection.vendor == "postgresql" else 4)  # savepoint, the work, release


def test_running_it_again_deletes_nothing(machine, django_capture_on_commit_callbacks):
    uploads(machine, 4, at=OLD)
    assert push.push_requests_prune(now=NOW) == 4
    with django_capture_on_commit_callbacks() as callbacks:
        assert push.push_requests_prune(now=NOW) == 0
        assert push.push_requests_prune(now=NOW) == 0
    assert callbacks == []


def test_the_beat_task_is_scheduled_daily():
    from celery.schedules import crontab

    from workers.schedule import BEAT_SCHEDULE

    entry = BEAT_SCHEDULE["push-requests-prune"]
    assert entry["task"] == "workers.tasks.push_requests_prune_task"
    assert isinstance(entry["schedule"], crontab) and entry["schedule"].hour == {20}


@pytest.mark.django_db(transaction=True)
def test_rows_another_run_holds_are_skipped_not_waited_for(tenancy):
    """Two runs at once (a re-enqueued batch beside beat's) take different rows: SKIP LOCKED, no waiting."""
    if connection.vendor != "postgresql":
        if IN_CI:
            pytest.fail("CI runs the suite on PostgreSQL (DATABASE_URL)")
        pytest.skip("row locks: PostgreSQL (CI runs this)")
    machine = Device.objects.create(serial_number=SN, desa=tenancy.desa_a, name="Balai", protocol=Protocol.PUSH)
    ids = uploads(machine, 6, at=OLD)
    other = connections.create_connection("default")
    try:
        other.set_autocommit(False)
        with other.cursor() as cursor:  # the other run holds the three oldest
            cursor.execute("SELECT id FROM attendance_pushrequest WHERE id = ANY(%s) FOR UPDATE", [ids[:3]])
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL lock_timeout = '2s'")  # a wait would fail here instead of hanging
            assert push.push_requests_prune(now=NOW) == 3
        assert sorted(PushRequest.objects.values_list("pk", flat=True)) == ids[:3]
    finally:
        other.rollback()
        other.close()
    assert push.push_requests_prune(now=NOW) == 3
    assert not PushRequest.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_events_of_pruned_uploads_outlive_them_past_the_commit(tenancy):
    """The foreign key from an event to its upload is checked at commit: the prune commits cleanly, and the events
    stay without their upload (``on_delete=SET_NULL``)."""
    machine = Device.objects.create(serial_number=SN, desa=tenancy.desa_a, name="Balai", protocol=Protocol.PUSH)
    ids = uploads(machine, 3, at=OLD)
    DeviceEvent.objects.bulk_create(
        DeviceEvent(device=machine, kind=DeviceEvent.Kind.OPLOG, detail=f"OPLOG {pk}", request_id=pk) for pk in ids
    )
    assert push.push_requests_prune(now=NOW) == 3  # its own transaction, committed here
    assert not PushRequest.objects.exists()
    assert list(DeviceEvent.objects.values_list("request_id", flat=True)) == [None] * 3
