"""The demo fleet: `make run` starts one emulated machine per Pucuk desa and the demo registers the same
serial numbers and ports, so the demo's attendance fills by itself."""

import random
import subprocess
import sys
from pathlib import Path

import pytest
from django.db.models import F

from attendance.demo import demo_load
from attendance.emulator.fleet import BASE_PORT
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
