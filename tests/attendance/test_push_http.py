"""A push machine over real HTTP: the project's emulator in push mode (``attendance.emulator.push.PushClient``,
speaking the device's side of ADMS) against the running portal (pytest-django's live server). The handshake,
ATTLOG batches with duplicates across batches and malformed lines, OPERLOG users, a command round trip, an
unknown serial registered and replayed, an oversized body, and a machine moved from pull to push."""

from __future__ import annotations

import datetime as dt
import uuid
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from attendance import push
from attendance.choices import Protocol
from attendance.emulator import start_emulator
from attendance.emulator.device import EmulatedDevice
from attendance.emulator.push import PushClient
from attendance.models import Device, DeviceCommand, DeviceEvent, DeviceUser, Punch, PushRequest, UnregisteredDevice
from attendance.services import device_pull

pytestmark = [pytest.mark.django_db(transaction=True)]
WIB = ZoneInfo("Asia/Jakarta")
MONDAY = dt.datetime(2026, 3, 2)


def machine(serial: str | None = None, *, users: int = 3) -> EmulatedDevice:
    return EmulatedDevice(serial_number=serial or f"PSH{uuid.uuid4().hex[:8]}", users=users, records=0)


def registered(emulated: EmulatedDevice, desa) -> Device:
    return Device.objects.create(
        serial_number=emulated.serial_number, desa=desa, name="Balai", protocol=Protocol.PUSH, host=""
    )


def punches(device: Device) -> list[tuple[str, str]]:
    return sorted(
        (p.pin, p.punched_at.astimezone(WIB).strftime("%Y-%m-%d %H:%M:%S")) for p in Punch.objects.filter(device=device)
    )


def test_handshake_over_http_gives_the_options_and_a_date(live_server, tenancy):
    emulated = machine()
    registered(emulated, tenancy.desa_a)
    client = PushClient(live_server.url, emulated)
    options = client.handshake()
    assert client.last_status == 200
    assert options["TimeZone"] == "7" and options["Realtime"] == "1" and options["ATTLOGStamp"] == "0"
    assert abs((client.last_date - timezone.now()).total_seconds()) < 5


def test_attlog_batches_with_duplicates_and_garbage_store_each_punch_once(live_server, tenancy):
    emulated = machine()
    device = registered(emulated, tenancy.desa_a)
    users = [u.user_id for u in emulated.users]
    for minute, pin in enumerate(users):
        emulated.add_punch(pin, MONDAY.replace(hour=7, minute=30 + minute))
    client = PushClient(live_server.url, emulated, batch=2, malformed_lines=["not a punch", "9\tyesterday\t0\t1"])
    client.handshake()
    sent = client.push_attlog()
    assert sent is not None and sent >= len(users)
    assert client.resend_last() is not None  # the last batch again: a machine that missed our answer
    emulated.add_punch(users[0], MONDAY.replace(hour=16, minute=5), punch=1)
    client.malformed_lines = []
    client.push_attlog()
    stored = punches(device)
    assert len(stored) == len(users) + 1 == len(set(stored))
    assert (users[0], "2026-03-02 16:05:00") in stored
    bad = DeviceEvent.objects.filter(device=device, kind=DeviceEvent.Kind.MALFORMED)
    assert bad.count() >= 2 and any("not a punch" in e.detail for e in bad)
    assert PushRequest.objects.filter(device=device, outcome="processed").count() >= 3


def test_operlog_users_arrive_for_pin_linking(live_server, tenancy):
    emulated = machine(users=4)
    device = registered(emulated, tenancy.desa_a)
    client = PushClient(live_server.url, emulated)
    client.handshake()
    assert client.push_users() == 4
    stored = dict(DeviceUser.objects.filter(device=device).values_list("pin", "name"))
    assert stored == {u.user_id: u.name for u in emulated.users}


def test_command_round_trip_backfill_and_info(live_server, tenancy):
    emulated = machine()
    device = registered(emulated, tenancy.desa_a)
    pin = emulated.users[0].user_id
    emulated.add_punch(pin, dt.datetime(2026, 2, 27, 7, 31))
    emulated.add_punch(pin, dt.datetime(2026, 3, 2, 7, 29))
    client = PushClient(live_server.url, emulated)
    client.handshake()
    client.cursor = len(emulated.log())  # as if everything had been sent before the portal lost it
    backfill = push.device_command_queue(
        actor=tenancy.kasi_tapem,
        device=device,
        kind=DeviceCommand.Kind.BACKFILL,
        start=dt.date(2026, 3, 1),
        end=dt.date(2026, 3, 31),
    )
    info = push.device_command_queue(actor=tenancy.kasi_tapem, device=device, kind=DeviceCommand.Kind.INFO)
    results = client.poll()
    assert [int(r.command_id) for r in results] == [backfill.pk, info.pk]
    backfill.refresh_from_db()
    info.refresh_from_db()
    assert (backfill.state, backfill.return_code, info.state) == ("done", 0, "done")
    assert punches(device) == [(pin, "2026-03-02 07:29:00")]  # only the range asked for
    device.refresh_from_db()
    assert device.users_on_device == len(emulated.users) and device.firmware
    assert client.poll() == []  # delivered once


def test_unknown_serial_then_registration_replays_its_punches(live_server, tenancy):
    emulated = machine()
    pin = emulated.users[0].user_id
    emulated.add_punch(pin, MONDAY.replace(hour=7, minute=31))
    client = PushClient(live_server.url, emulated)
    assert client.handshake() is None and client.last_status == 403
    assert client.push_attlog() is None  # refused; the machine keeps it
    assert UnregisteredDevice.objects.filter(serial_number=emulated.serial_number).exists()
    assert not Punch.objects.exists()
    device = push.device_register_push(
        actor=tenancy.kasi_tapem, serial=emulated.serial_number, desa=tenancy.desa_a, name="Baru"
    )  # the replay task runs after commit (eager in tests)
    assert punches(device) == [(pin, "2026-03-02 07:31:00")]
    assert client.handshake() is not None
    assert client.push_attlog() is not None  # the machine sends it again: still one punch
    assert punches(device) == [(pin, "2026-03-02 07:31:00")]


def test_an_oversized_body_is_refused_and_nothing_is_half_stored(live_server, tenancy, settings):
    settings.ADMS_MAX_BODY_BYTES = 10_000
    emulated = machine()
    device = registered(emulated, tenancy.desa_a)
    pin = emulated.users[0].user_id
    for i in range(400):
        emulated.add_punch(pin, MONDAY + dt.timedelta(minutes=i))
    client = PushClient(live_server.url, emulated, batch=400)
    client.handshake()
    assert client.push_attlog() is None and client.last_status == 413
    assert not Punch.objects.filter(device=device).exists()
    assert DeviceEvent.objects.filter(device=device, kind=DeviceEvent.Kind.REFUSED).exists()
    smaller = PushClient(live_server.url, emulated, batch=50)  # a smaller batch size gets everything in
    smaller.handshake()
    smaller.push_attlog()
    assert Punch.objects.filter(device=device).count() == 400


def test_a_machine_moved_from_pull_to_push_never_doubles_a_punch(live_server, tenancy):
    emulated = machine()
    pin = emulated.users[0].user_id
    for minute in (0, 10, 20):
        emulated.add_punch(pin, MONDAY.replace(hour=7, minute=minute))
    handle = start_emulator(device=emulated, port=0)
    try:
        device = Device.objects.create(
            serial_number=emulated.serial_number, desa=tenancy.desa_a, name="Balai", host="127.0.0.1", port=handle.port
        )
        assert device_pull(device_id=device.pk, trigger="test").new == 3
    finally:
        handle.stop()
    push.device_register_push(actor=tenancy.kasi_tapem, serial=emulated.serial_number, desa=tenancy.desa_a, name="")
    emulated.add_punch(pin, MONDAY.replace(hour=16))
    client = PushClient(live_server.url, emulated)  # a fresh push cursor: the whole log, overlapping the pull
    client.handshake()
    client.push_attlog()
    assert len(punches(device)) == 4
    assert sorted(Punch.objects.filter(device=device).values_list("source", flat=True)) == [
        "pull",
        "pull",
        "pull",
        "push",
    ]


def test_a_machine_moved_back_from_push_to_pull_never_doubles_a_punch(live_server, client, tenancy):
    from tests.helpers import login

    emulated = machine()
    device = registered(emulated, tenancy.desa_a)
    pin = emulated.users[0].user_id
    for minute in (0, 10):
        emulated.add_punch(pin, MONDAY.replace(hour=7, minute=minute))
    pusher = PushClient(live_server.url, emulated)
    pusher.handshake()
    pusher.push_attlog()
    emulated.add_punch(pin, MONDAY.replace(hour=16))  # after the last push
    handle = start_emulator(device=emulated, port=0)
    try:
        login(client, tenancy.kasi_tapem)
        url = f"/api/v1/attendance/devices/{device.pk}/"
        refused = client.patch(url, {"protocol": "pull"}, content_type="application/json")
        assert refused.status_code == 400 and "host" in refused.json()["fields"]  # a pull machine needs a host
        moved = client.patch(
            url, {"protocol": "pull", "host": "127.0.0.1", "port": handle.port}, content_type="application/json"
        )
        assert moved.status_code == 200, moved.content
        assert device_pull(device_id=device.pk, trigger="test").new == 1  # the whole log read, one new punch
    finally:
        handle.stop()
    assert len(punches(device)) == 3
    assert client.get("/iclock/cdata", {"SN": emulated.serial_number}).status_code == 403  # no longer served
