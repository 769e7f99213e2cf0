"""Attendance part of the Pucuk demo: one registered device per desa, pointing at the emulated fleet that
`make run` starts (`python -m attendance.emulator.fleet`). Idempotent."""

from __future__ import annotations

from attendance.emulator.fleet import demo_port, demo_serial, desa_codes
from attendance.models import Device
from portal.models import Desa


def demo_load() -> None:
    by_kode = {d.kode: d for d in Desa.objects.filter(kode__in=desa_codes())}
    for index, kode in enumerate(desa_codes()):
        desa = by_kode.get(kode)
        if desa is None:
            continue
        Device.objects.get_or_create(
            serial_number=demo_serial(kode),
            defaults={"desa": desa, "name": f"Kantor Desa {desa.nama}", "host": "127.0.0.1", "port": demo_port(index),
                      "pull_interval_minutes": 5},
        )  # fmt: skip
