"""The demo fleet: `make run` starts one emulated machine per Pucuk desa and the demo registers the same
serial numbers and ports, so the demo's attendance fills by itself."""

import random
import subprocess
import sys
from pathlib import Path

import pytest
from django.db.models import F

from attendance.choices import Protocol
from attendance.demo import demo_load
from attendance.emulator.fleet import BASE_PORT, PUSH_MACHINES, demo_port, demo_serial, desa_codes
from attendance.models import Device, Punch
from attendance.services import device_pull
from portal.services import wilayah_load_csv

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_fleet_answers_the_demo_devices():
    wilayah_load_csv()
    demo_load()
    demo_load()  # idempotent
    assert Device.objects.count() == 17
    base = 15370 + random.randint(0, 2000)  # away from a running `make run` fleet on 14370–14386
    Device.objects.update(port=F("port") + (base - BASE_PORT))
    proc = subprocess.Popen(
        [sys.executable, "-m", "attendance.emulator.fleet", "--base-port", str(base), "--users", "4"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        lines = [proc.stdout.readline() for _ in range(17)]
        assert all("listening on" in line for line in lines), lines
        device = Device.objects.get(desa__kode="35.24.13.2005")
        result = device_pull(device_id=device.pk, trigger="test")
        assert result.outcome == "success", result.error
        assert result.new > 0 and Punch.objects.filter(device=device).count() == result.new
        device.refresh_from_db()
        assert abs(device.clock_offset_seconds) < 120  # the fleet's clocks read WIB, as the device zone says
    finally:
        proc.terminate()
        proc.wait(timeout=20)


@pytest.mark.django_db
def test_demo_registers_the_fleets_push_machines_as_push():
    wilayah_load_csv()
    demo_load()
    codes = desa_codes()
    pushers = {demo_serial(kode) for kode in codes[-PUSH_MACHINES:]}
    push = Device.objects.filter(protocol=Protocol.PUSH)
    assert set(push.values_list("serial_number", flat=True)) == pushers
    assert set(push.values_list("host", "port")) == {("", 4370)}
    pulled = {(d.serial_number, d.host, d.port) for d in Device.objects.filter(protocol=Protocol.PULL)}
    assert pulled == {(demo_serial(k), "127.0.0.1", demo_port(i)) for i, k in enumerate(codes[:-PUSH_MACHINES])}
    # A demo database from before the machine pushed: the next load makes it follow the fleet again.
    Device.objects.filter(serial_number=min(pushers)).update(protocol=Protocol.PULL, host="127.0.0.1", port=14383)
    demo_load()
    assert set(Device.objects.filter(protocol=Protocol.PUSH).values_list("serial_number", "host", "port")) == {
        (serial, "", 4370) for serial in pushers
    }
