"""The pull's log prefix: a pull stores only the records after the prefix the last stored pull saw, when the
device's log still starts with it, and falls back to storing the whole log otherwise. Against the emulator with
real pyzk, on whichever database the suite runs; plus the pure prefix comparison and the query counts."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from attendance import services
from attendance.models import Device, DeviceUser, Punch, SyncRun
from attendance.services import device_clear_log, device_pull, device_users_sync
from attendance.zk.encoder import encode_attendance
from attendance.zk.parser import ParseError, RawRecord, attendance_log, parse_log
from attendance.zk.prefix import LogPrefix, log_split
from tests.attendance.conftest import device_set
from tests.conftest import IN_CI

pytestmark = pytest.mark.django_db
BEFORE_ALL = dt.datetime(2025, 9, 1, 7, 0, 13)
postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql" and not IN_CI, reason="the COPY path exists on PostgreSQL (CI runs it)"
)


@pytest.fixture(autouse=True)
def quick_timeout(settings):
    settings.ATTENDANCE_PULL_TIMEOUT = 3


@pytest.fixture
def inserted(monkeypatch) -> list[int]:
    """How many records each pull handed to the punch store (the parsed tail, or the whole log)."""
    sizes: list[int] = []
    real = services.punches_insert

    def spy(*, device, records, **kwargs):
        sizes.append(len(records))
        return real(device=device, records=records, **kwargs)

    monkeypatch.setattr(services, "punches_insert", spy)
    return sizes


@pytest.fixture
def pulled_once(tenancy, emulator, register):
    """A device on the emulator, pulled once: its log stored and its prefix saved."""

    def make(serial: str, *, users: int = 5, records: int = 200, record_size: int = 40):
        handle = emulator(serial=serial, users=users, records=records, record_size=record_size)
        device = register(handle, tenancy.desa_a)
        assert pulled(device).new == records
        return handle, device

    return make


def stored(device: Device) -> set:
    return set(Punch.objects.filter(device=device).values_list("pin", "punched_at"))


def prefix(device: Device) -> LogPrefix:
    device.refresh_from_db()
    return LogPrefix(device.pull_prefix_records, device.pull_prefix_sha256)


def pulled(device: Device) -> services.PullResult:
    result = device_pull(device_id=device.pk, trigger="test")
    assert result.outcome == "success", result.error
    return result


def latest(handle) -> dt.datetime:
    return max(r.timestamp for r in handle.device.records)


def latest_or_before_all(handle) -> dt.datetime:
    # Before any generated punch (they cover the last weeks), so a new punch cannot be one stored already.
    return latest(handle) if handle.device.records else BEFORE_ALL


# Over the wire -------------------------------------------------------------------------------------------


def test_tail_only_stores_out_of_order_records_appended_after_the_prefix(pulled_once, inserted):
    handle, device = pulled_once("TAIL-1", users=6, records=400, record_size=40)
    assert prefix(device).records == 400
    # After a power cut the clock ran behind: the punches are appended with times older than the newest stored.
    oldest = min(r.timestamp for r in handle.device.records)
    late = [handle.device.add_punch(str(n), oldest - dt.timedelta(days=n, minutes=7)) for n in range(1, 4)]
    late.append(handle.device.add_punch("2", latest(handle) + dt.timedelta(minutes=5)))
    result = pulled(device)
    assert (result.read, result.new, result.duplicates) == (404, 4, 400)
    assert inserted == [400, 4]  # only the tail was parsed and handed to the store
    assert stored(device) == device_set(handle, device.tz)
    assert {(p.user_id, p.timestamp.replace(tzinfo=device.tz)) for p in late} <= stored(device)
    assert prefix(device).records == 404


def test_nothing_new_parses_nothing(pulled_once, inserted):
    handle, device = pulled_once("TAIL-2", users=4, records=300, record_size=16)
    first = prefix(device)
    again = pulled(device)
    assert (again.read, again.new, again.duplicates) == (300, 0, 300)
    assert inserted == [300, 0]
    assert prefix(device) == first
    run = SyncRun.objects.filter(device=device).first()
    assert (run.records_read, run.records_new, run.duplicates) == (300, 0, 300)


def test_a_cleared_log_is_stored_in_full_and_loses_nothing(pulled_once, inserted):
    handle, device = pulled_once("CLR-1", users=5, records=300, record_size=40)
    before = stored(device)
    handle.device.clear()  # cleared on the machine's own menu, not through the portal
    for n in range(5):
        handle.device.add_punch(str(n + 1), latest_or_before_all(handle) + dt.timedelta(minutes=n))
    result = pulled(device)
    assert (result.read, result.new) == (5, 5)
    assert inserted == [300, 5]  # fewer records than the prefix: the whole (new) log
    assert before | device_set(handle, device.tz) == stored(device)
    assert prefix(device).records == 5


def test_a_different_log_as_long_as_the_prefix_is_stored_in_full(pulled_once, inserted):
    handle, device = pulled_once("SWAP-1", users=5, records=200, record_size=40)
    before = stored(device)
    # Another log behind the same serial (a replaced main board, a restored backup): the first records differ.
    with handle.device.lock:
        handle.device.records = [
            dataclasses.replace(p, timestamp=p.timestamp + dt.timedelta(seconds=1)) for p in handle.device.records
        ] + [handle.device.records[0]]
    result = pulled(device)
    assert (result.read, result.new, result.duplicates) == (201, 200, 1)
    assert inserted == [200, 201]
    assert before | device_set(handle, device.tz) == stored(device)


def test_a_record_changed_inside_the_prefix_is_detected_and_stored(pulled_once, inserted):
    handle, device = pulled_once("EDIT-1", users=5, records=250, record_size=16)
    old = prefix(device)
    with handle.device.lock:
        changed = handle.device.records[37] = dataclasses.replace(
            handle.device.records[37], timestamp=handle.device.records[37].timestamp + dt.timedelta(seconds=3)
        )
    result = pulled(device)
    assert (result.read, result.new) == (250, 1)
    assert inserted == [250, 250]  # same length, different bytes: the whole log again, the key deciding
    assert (changed.user_id, changed.timestamp.replace(tzinfo=device.tz)) in stored(device)
    assert prefix(device).records == 250 and prefix(device) != old


def test_a_new_device_time_zone_stores_the_whole_log_again(pulled_once, inserted):
    # What is stored depends on the zone: the shortcut must not hide a change that a full store would show.
    _handle, device = pulled_once("ZONE-1", users=3, records=60, record_size=40)
    Device.objects.filter(pk=device.pk).update(timezone="Asia/Makassar")
    device.refresh_from_db()
    assert pulled(device).new == 60
    assert inserted == [60, 60]


def test_a_failed_transfer_does_not_move_the_prefix(pulled_once, inserted):
    handle, device = pulled_once("FAIL-1", users=5, records=3000, record_size=40)
    before = prefix(device)
    for n in range(3):
        handle.device.add_punch("1", latest(handle) + dt.timedelta(minutes=n + 1))
    handle.device.set_faults(["drop-mid-transfer"])
    assert device_pull(device_id=device.pk).outcome == "failed"
    assert prefix(device) == before
    handle.device.set_faults([])
    assert pulled(device).new == 3
    assert inserted == [3000, 3]
    assert prefix(device).records == 3003


def test_a_failed_store_does_not_move_the_prefix(pulled_once, monkeypatch):
    handle, device = pulled_once("FAIL-2", users=5, records=200, record_size=40)
    before, punches = prefix(device), stored(device)
    handle.device.add_punch("3", latest(handle) + dt.timedelta(minutes=1))

    def broken(device, users):
        raise RuntimeError("database went away")

    monkeypatch.setattr(services, "device_users_sync", broken)  # fails after the punches are inserted
    with pytest.raises(RuntimeError):
        device_pull(device_id=device.pk)
    assert prefix(device) == before and stored(device) == punches  # one transaction: neither moved
    monkeypatch.undo()
    assert pulled(device).new == 1
    assert stored(device) == device_set(handle, device.tz)


def test_garbage_after_the_prefix_fails_the_pull_and_stores_nothing(pulled_once):
    handle, device = pulled_once("BAD-1", users=5, records=100, record_size=40)
    before, punches = prefix(device), stored(device)
    bad = dataclasses.replace(handle.device.records[0], timestamp=dt.datetime(2026, 11, 20, 7, 0))
    with handle.device.lock:
        handle.device.records.append(bad)
    real = handle.device.make_attendance_buffer

    def corrupt_tail() -> bytes:  # the new record's time is 31 February: the tail cannot be parsed
        buffer = bytearray(real())
        buffer[-40 + 27 : -40 + 31] = (((26 * 12 + 1) * 31 + 30) * 86_400).to_bytes(4, "little")
        return bytes(buffer)

    handle.device.make_attendance_buffer = corrupt_tail
    result = device_pull(device_id=device.pk)
    assert result.outcome == "failed" and "rusak" in result.error
    assert prefix(device) == before and stored(device) == punches


def test_clearing_the_log_through_the_portal_checks_every_record(tenancy, pulled_once, inserted):
    handle, device = pulled_once("CLEAR-2", users=4, records=150, record_size=40)
    device.refresh_from_db()
    device_clear_log(actor=tenancy.camat, device=device)
    assert inserted == [150, 150]  # the prefix is not trusted when the log is about to go
    assert handle.device.records == []
    handle.device.add_punch("1", BEFORE_ALL)
    assert pulled(device).new == 1


# Query counts --------------------------------------------------------------------------------------------


def queries_of_pull(device: Device) -> int:
    with CaptureQueriesContext(connection) as queries:
        pulled(device)
    return len(queries)


def test_a_repull_with_nothing_new_makes_the_same_few_queries_whatever_the_log(tenancy, emulator, register):
    small = register(emulator(serial="Q-S", users=3, records=100, record_size=40), tenancy.desa_a)
    large_handle = emulator(serial="Q-L", users=40, records=5000, record_size=40)
    large = register(large_handle, tenancy.desa_a)
    for device in (small, large):
        pulled(device)
    counts = [queries_of_pull(small), queries_of_pull(large)]
    # Lease and release, device, run and its end, day evidence and dirty days, users, device health, and the
    # transaction's savepoint inside the test's own: nothing per record.
    assert counts[0] == counts[1] <= 11, counts
    # A tail of new punches costs a fixed number more, not one per punch or per known record.
    for n in range(40):
        large_handle.device.add_punch(str(n % 40 + 1), latest(large_handle) + dt.timedelta(minutes=n + 1))
    assert queries_of_pull(large) <= counts[0] + 10


@postgresql_only
def test_a_full_pull_makes_the_same_queries_whatever_the_log(tenancy, emulator, register):
    # The set-based store: COPY, one INSERT … SELECT with its anti-join, whatever the number of records.
    small = register(emulator(serial="F-S", users=3, records=150, record_size=16), tenancy.desa_a)
    large = register(emulator(serial="F-L", users=3, records=6000, record_size=16), tenancy.desa_a)
    counts = [queries_of_pull(small), queries_of_pull(large)]
    assert counts[0] == counts[1], counts


def test_device_users_sync_reads_once_when_nothing_changed(tenancy, django_assert_num_queries):
    device = Device.objects.create(serial_number="U-1", desa=tenancy.desa_a, name="Balai", host="127.0.0.1")
    users = [(str(pin), f"Perangkat {pin}", 0) for pin in range(1, 301)]
    device_users_sync(device, users)
    assert DeviceUser.objects.filter(device=device).count() == 300
    with django_assert_num_queries(1):
        device_users_sync(device, users)
    renamed = [(pin, f"{name} (baru)" if pin in {"7", "8"} else name, priv) for pin, name, priv in users]
    renamed += [("301", "Baru", 0), ("7", "Terakhir", 0)]  # a PIN listed twice: the last entry names it
    with django_assert_num_queries(3):  # read, insert the new, one UPDATE for the renamed
        device_users_sync(device, renamed)
    names = dict(DeviceUser.objects.filter(device=device).values_list("pin", "name"))
    assert (names["7"], names["8"], names["301"], names["9"]) == (
        "Terakhir",
        "Perangkat 8 (baru)",
        "Baru",
        "Perangkat 9",
    )


# The comparison itself (no device, no database) ---------------------------------------------------------


def records(n: int, *, shift: int = 0) -> list[RawRecord]:
    start = dt.datetime(2026, 11, 2, 7, 0)
    return [RawRecord(str(i % 7 + 1), i % 7 + 1, start + dt.timedelta(minutes=i + shift), 1, 0) for i in range(n)]


def log_of(rows: list[RawRecord], size: int = 40):
    return attendance_log(encode_attendance(rows, record_size=size), record_count=len(rows))


def test_log_split_trusts_only_an_identical_prefix():
    first = log_split(log_of(records(10)), stored=LogPrefix(0, ""), context="Asia/Jakarta")
    assert first.known == 0 and first.prefix.records == 10
    grown = log_of(records(10) + records(3, shift=-600))
    assert log_split(grown, stored=first.prefix, context="Asia/Jakarta").known == 10
    assert log_split(log_of(records(13, shift=1)), stored=first.prefix, context="Asia/Jakarta").known == 0
    assert log_split(log_of(records(9)), stored=first.prefix, context="Asia/Jakarta").known == 0
    assert log_split(grown, stored=first.prefix, context="Asia/Makassar").known == 0
    assert log_split(log_of(records(13), size=49), stored=first.prefix, context="Asia/Jakarta").known == 0
    # The prefix saved for next time covers the whole log, however much of it was known.
    assert (
        log_split(grown, stored=first.prefix, context="Asia/Jakarta").prefix
        == log_split(grown, stored=LogPrefix(0, ""), context="Asia/Jakarta").prefix
    )


def test_eight_byte_records_depend_on_the_user_table_other_sizes_do_not():
    eight = log_of(records(10), size=8)
    users = {n: str(n) for n in range(1, 8)}
    saved = log_split(eight, stored=LogPrefix(0, ""), context="z", users_by_uid=users).prefix
    assert log_split(eight, stored=saved, context="z", users_by_uid=users).known == 10
    assert log_split(eight, stored=saved, context="z", users_by_uid={**users, 3: "1003"}).known == 0
    forty = log_of(records(10))
    saved = log_split(forty, stored=LogPrefix(0, ""), context="z", users_by_uid=users).prefix
    assert log_split(forty, stored=saved, context="z", users_by_uid={**users, 3: "1003"}).known == 10


def test_parse_log_from_an_index_names_records_by_their_place_in_the_log():
    log = log_of(records(6))
    assert parse_log(log, start=4) == records(6)[4:]
    assert parse_log(log, start=6) == []
    buffer = bytearray(encode_attendance(records(6), record_size=40))
    buffer[4 + 5 * 40 + 27 : 4 + 5 * 40 + 31] = (((26 * 12 + 1) * 31 + 30) * 86_400).to_bytes(4, "little")
    with pytest.raises(ParseError, match="record 5:"):
        parse_log(attendance_log(bytes(buffer), record_count=6), start=3)
