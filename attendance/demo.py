"""Attendance part of the Pucuk demo: one registered device per desa, pointing at the emulated fleet that
`make run` starts (`python -m attendance.emulator.fleet`), PINs 1–9 of each machine linked to the desa's
perangkat (PIN 10 stays in the unmapped queue), and a few leave requests. Idempotent.

The last ``PUSH_MACHINES`` desa have machines that call the portal (ADMS push): they are registered with the
push protocol and no host; the others are pulled from the fleet's TCP ports."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from attendance.choices import Protocol
from attendance.emulator.fleet import demo_port, demo_serial, desa_codes, is_push_machine
from attendance.models import Device, DeviceUser, Leave
from portal.choices import Role
from portal.models import Desa, Perangkat, User

LINKED_PINS = 9


def demo_load() -> None:
    codes = desa_codes()
    by_kode = {d.kode: d for d in Desa.objects.filter(kode__in=codes)}
    for index, kode in enumerate(codes):
        desa = by_kode.get(kode)
        if desa is None:
            continue
        device = _demo_device(desa, demo_serial(kode), _connection(index, len(codes)))
        people = list(Perangkat.objects.filter(desa=desa, aktif=True).order_by("pk")[:LINKED_PINS])
        for pin, person in enumerate(people, start=1):
            DeviceUser.objects.get_or_create(
                device=device, pin=str(pin), defaults={"name": person.nama[:24], "perangkat": person}
            )
    _demo_leave(by_kode)


def _connection(index: int, count: int) -> dict:
    """How the portal meets the fleet's machine: it calls the portal (push), or the portal pulls its TCP port."""
    if is_push_machine(index, count):
        return {"protocol": Protocol.PUSH, "host": "", "port": Device._meta.get_field("port").get_default()}
    return {"protocol": Protocol.PULL, "host": "127.0.0.1", "port": demo_port(index)}


def _demo_device(desa: Desa, serial: str, connection: dict) -> Device:
    """Created once; a demo database from before a machine switched protocol follows the fleet again, or the
    portal would wait to pull a machine that now pushes (and refuse its pushes)."""
    device, created = Device.objects.get_or_create(
        serial_number=serial,
        defaults={"desa": desa, "name": f"Kantor Desa {desa.nama}", "pull_interval_minutes": 5, **connection},
    )
    if not created and device.protocol != connection["protocol"]:
        Device.objects.filter(pk=device.pk).update(**connection)
        device.refresh_from_db()
    return device


def _demo_leave(by_kode: dict[str, Desa]) -> None:
    """In the first two desa: an approved cuti this week and a sakit request waiting for the Kepala Desa."""
    today = timezone.localdate()
    monday = today - dt.timedelta(days=today.weekday())
    for kode in sorted(by_kode)[:2]:
        desa = by_kode[kode]
        operator = User.objects.filter(desa=desa, role=Role.OPERATOR_DESA).first()
        kades = User.objects.filter(desa=desa, role=Role.KEPALA_DESA).first() or operator
        people = list(Perangkat.objects.filter(desa=desa, aktif=True).order_by("pk")[1:3])
        if operator is None or len(people) < 2 or Leave.objects.filter(perangkat__desa=desa).exists():
            continue
        Leave.objects.create(
            perangkat=people[0],
            kind=Leave.Kind.CUTI,
            date_from=monday,
            date_to=monday + dt.timedelta(2),
            reason="Cuti tahunan",
            requested_by=operator,
            state=Leave.State.APPROVED,
            decided_by=kades,
            decided_at=timezone.now(),
        )
        Leave.objects.create(
            perangkat=people[1],
            kind=Leave.Kind.SAKIT,
            date_from=today,
            date_to=today,
            reason="Demam",
            requested_by=operator,
        )
