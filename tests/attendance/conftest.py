"""Attendance fixtures: devices registered in the portal that point at our own ZKTeco emulator, spoken to
by real pyzk over loopback."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction

from attendance.models import Device
from attendance.store import punches_insert
from attendance.zk.parser import RawRecord


@pytest.fixture(autouse=True)
def loopback_devices(settings):
    """The emulator listens on 127.0.0.1: loopback devices are allowed here as in the demo. Production keeps
    them refused (``ATTENDANCE_ALLOW_LOOPBACK`` off); tests of that policy turn it off themselves."""
    settings.ATTENDANCE_ALLOW_LOOPBACK = True


@pytest.fixture
def emulator():
    from attendance.emulator import start_emulator

    handles = []

    def start(*, serial: str, capacity: int | None = None, **options):
        if capacity is not None:
            options["record_capacity"] = capacity
        # The stall must outlast the pull's timeout (3 s in these tests), not the test's patience.
        options.setdefault("stall_seconds", 5.0)
        handle = start_emulator(serial_number=serial, **options)
        handles.append(handle)
        return handle

    yield start
    for handle in handles:
        handle.stop()


@pytest.fixture
def register():
    def make(handle, desa, *, serial=None, udp=False, comm_key=None, **fields) -> Device:
        return Device.objects.create(
            serial_number=serial or handle.device.serial_number,
            desa=desa,
            name=f"Mesin {desa.nama}",
            host="127.0.0.1",
            port=handle.port,
            transport="udp" if udp else "tcp",
            comm_key=comm_key,
            **fields,
        )

    return make


def device_set(handle, tz) -> set[tuple[str, object]]:
    """What the emulated device holds, as (PIN, aware time) pairs."""
    return {(r.user_id, r.timestamp.replace(tzinfo=tz)) for r in handle.device.records}


def punch(device, pin: str, day: dt.date, hhmm: str) -> None:
    """One punch of ``pin`` on ``device`` at ``hhmm`` of ``day`` (device time), stored as a pull stores it."""
    hour, minute = map(int, hhmm.split(":"))
    with transaction.atomic():
        punches_insert(
            device=device, records=[RawRecord(pin, None, dt.datetime.combine(day, dt.time(hour, minute)), 1, 0)]
        )
