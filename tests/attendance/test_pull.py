"""Pulls against the emulator with real pyzk: every record size, comm key, UDP, 100k records, each fault
ending in a complete store or a clean failure, serial mismatch, and the per-device lock."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from attendance.models import Device, DeviceUser, Punch, SyncRun
from attendance.services import device_pull
from portal.models import Notification
from tests.attendance.conftest import device_set

pytestmark = pytest.mark.django_db


def stored(device: Device) -> set:
    return set(Punch.objects.filter(device=device).values_list("pin", "punched_at"))


@pytest.fixture(autouse=True)
def quick_timeout(settings):
    settings.ATTENDANCE_PULL_TIMEOUT = 3


@pytest.mark.parametrize("record_size", [8, 16, 40, 49])
def test_every_record_size_is_stored_exactly(tenancy, emulator, register, record_size):
    handle = emulator(serial=f"PUCUK-{record_size}", users=12, records=600, record_size=record_size)
    device = register(handle, tenancy.desa_a)
    result = device_pull(device_id=device.pk, trigger="test")
    assert result.outcome == "success", result.error
    assert result.read == len(handle.device.records) and result.new == result.read
    assert stored(device) == device_set(handle, device.tz)
    assert DeviceUser.objects.filter(device=device).count() == 12


def test_second_pull_finds_nothing_new(tenancy, emulator, register):
    handle = emulator(serial="PUCUK-2", users=5, records=300, record_size=40)
    device = register(handle, tenancy.desa_a)
    device_pull(device_id=device.pk)
    again = device_pull(device_id=device.pk)
    assert (again.outcome, again.new, again.duplicates) == ("success", 0, 300)
    assert Punch.objects.filter(device=device).count() == 300
    run = SyncRun.objects.filter(device=device).first()
    assert (run.records_read, run.records_new, run.duplicates, run.outcome) == (300, 0, 300, "success")


def test_comm_key_right_and_wrong(tenancy, emulator, register):
    handle = emulator(serial="KEY-1", users=3, records=50, comm_key=123456)
    device = register(handle, tenancy.desa_a, comm_key=123456)
    assert device_pull(device_id=device.pk).outcome == "success"
    Device.objects.filter(pk=device.pk).update(comm_key=111)
    result = device_pull(device_id=device.pk)
    assert result.outcome == "failed"
    assert "Comm key salah" in result.error
    device.refresh_from_db()
    assert device.consecutive_failures == 1 and "Comm key salah" in device.last_error


def test_udp(tenancy, emulator, register):
    handle = emulator(serial="UDP-1", users=8, records=2000, record_size=40, udp=True)
    device = register(handle, tenancy.desa_a, udp=True)
    result = device_pull(device_id=device.pk)
    assert result.outcome == "success", result.error
    assert stored(device) == device_set(handle, device.tz)


def test_100k_records(tenancy, emulator, register):
    handle = emulator(serial="BIG-1", users=200, records=100_000, record_size=40)
    device = register(handle, tenancy.desa_a)
    result = device_pull(device_id=device.pk)
    assert (result.outcome, result.new) == ("success", 100_000), result.error
    assert Punch.objects.filter(device=device).count() == 100_000
    assert device_pull(device_id=device.pk).new == 0


def test_serial_mismatch_stores_nothing(tenancy, emulator, register):
    handle = emulator(serial="REAL-SN", users=3, records=40)
    device = register(handle, tenancy.desa_a, serial="REGISTERED-SN")
    result = device_pull(device_id=device.pk)
    assert result.outcome == "failed"
    assert "REAL-SN" in result.error and "REGISTERED-SN" in result.error
    assert not Punch.objects.exists() and not DeviceUser.objects.exists()


@pytest.mark.parametrize(
    "fault,words",
    [
        ("refuse", "koneksi"),
        ("drop-mid-transfer", "terputus"),
        ("stall", "tidak menjawab"),
        ("count-mismatch", "rusak"),
        ("garbage", "rusak"),
    ],
)
def test_fault_fails_cleanly_then_next_pull_is_complete(tenancy, emulator, register, fault, words):
    handle = emulator(serial=f"F-{fault}", users=20, records=3000, record_size=40, faults=[fault])
    device = register(handle, tenancy.desa_a)
    failed = device_pull(device_id=device.pk)
    assert failed.outcome == "failed"
    assert words in failed.error.lower() or words in failed.error
    assert not Punch.objects.filter(device=device).exists()  # nothing half-parsed
    handle.device.faults.clear()
    ok = device_pull(device_id=device.pk)
    assert ok.outcome == "success", ok.error
    assert stored(device) == device_set(handle, device.tz)
    assert Punch.objects.filter(device=device).count() == len(device_set(handle, device.tz))


@pytest.mark.parametrize("fault", ["unordered", "duplicates", "wrap"])
def test_log_quirks_lose_nothing_and_double_nothing(tenancy, emulator, register, fault):
    handle = emulator(serial=f"Q-{fault}", users=10, records=800, record_size=16, faults=[fault])
    device = register(handle, tenancy.desa_a)
    assert device_pull(device_id=device.pk).outcome == "success"
    first = stored(device)
    assert first == device_set(handle, device.tz)
    if fault == "wrap":
        # The device deletes its oldest punches as new ones come; what was pulled before stays stored.
        for n in range(50):
            handle.device.add_punch("1", __import__("datetime").datetime(2026, 11, 20, 7, 0, n))
        assert device_pull(device_id=device.pk).outcome == "success"
        assert first <= stored(device)
        assert device_set(handle, device.tz) <= stored(device)
    pins_times = list(Punch.objects.filter(device=device).values_list("pin", "punched_at"))
    assert len(pins_times) == len(set(pins_times))


def test_a_pull_skips_while_another_holds_the_device(tenancy, emulator, register):
    from django.utils import timezone

    from attendance.services import device_claim

    handle = emulator(serial="LOCK-1", users=3, records=30)
    device = register(handle, tenancy.desa_a)
    assert device_claim(device.pk, now=timezone.now())  # another worker holds the lease
    assert device_pull(device_id=device.pk).outcome == "skipped"
    assert not Punch.objects.exists() and not SyncRun.objects.exists()


def test_repeated_failures_alert_the_kasi_tapem_once(tenancy, emulator, register, settings):
    settings.ATTENDANCE_FAILURE_ALERT_AFTER = 3
    handle = emulator(serial="DOWN-1", users=3, records=30, faults=["refuse"])
    device = register(handle, tenancy.desa_a)
    for _ in range(5):
        Device.objects.filter(pk=device.pk).update(pull_lock_until=None)
        device_pull(device_id=device.pk)
    from portal.notify import dispatch_due

    dispatch_due()
    alerts = Notification.objects.filter(kind="device")
    assert [n.recipient.username for n in alerts] == ["kasitapem"]
    assert "gagal ditarik 3 kali" in alerts[0].message


def test_a_nearly_full_device_alerts(tenancy, emulator, register):
    handle = emulator(serial="FULL-1", users=3, records=900, capacity=1000)
    device = register(handle, tenancy.desa_a)
    assert device_pull(device_id=device.pk).outcome == "success"
    from portal.notify import dispatch_due

    dispatch_due()
    assert Notification.objects.filter(kind="device", title__contains="90% penuh").count() == 1


def test_clock_offset_and_device_zone(tenancy, emulator, register):
    handle = emulator(serial="WITA-1", users=2, records=20, clock_offset=3600)
    device = register(handle, tenancy.desa_a, timezone="Asia/Makassar")
    assert device_pull(device_id=device.pk).outcome == "success"
    device.refresh_from_db()
    # The emulator's clock runs on this machine's wall time + 1 h; read as WITA (UTC+8) that is an offset
    # of 1 h minus the difference between WITA and the machine's zone, so just check it was recorded.
    assert device.clock_offset_seconds is not None
    stored_times = {t for _pin, t in stored(device)}
    assert stored_times == {r.timestamp.replace(tzinfo=device.tz) for r in handle.device.records}


def test_attendance_pull_command(tenancy, emulator, register):
    handle = emulator(serial="CLI-1", users=4, records=120)
    register(handle, tenancy.desa_a)
    out = io.StringIO()
    call_command("attendance_pull", "--device", "CLI-1", stdout=out)
    assert "CLI-1: dibaca 120, baru 120, 0 sudah tersimpan sebelumnya (tidak diulang)" in out.getvalue()
    assert "duplikat" not in out.getvalue()
