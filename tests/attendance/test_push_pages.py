"""The push (ADMS) screens and API: a Kasi Tapem queues commands and registers serials that called; a desa
sees its own machine's commands and events; nobody reaches another kecamatan's (404), and a desa user never
sees or registers serials."""

from __future__ import annotations

import uuid

import pytest
from django.urls import reverse

from attendance import push
from attendance.choices import Protocol
from attendance.models import Device, DeviceCommand, DeviceEvent, UnregisteredDevice
from tests.helpers import login

pytestmark = pytest.mark.django_db


@pytest.fixture
def machine(tenancy):
    return Device.objects.create(
        serial_number=f"PUSH{uuid.uuid4().hex[:6]}", desa=tenancy.desa_a, name="Balai", protocol=Protocol.PUSH, host=""
    )


@pytest.fixture
def caller():
    return UnregisteredDevice.objects.create(serial_number=f"NEW{uuid.uuid4().hex[:6]}", requests=3)


def test_kasi_queues_a_backfill_from_the_device_page(client, tenancy, machine):
    login(client, tenancy.kasi_tapem)
    page = client.get(reverse("attendance-device", args=[machine.pk])).content.decode()
    assert 'data-testid="command-form"' in page and "Alamat server di mesin" in page
    response = client.post(
        reverse("attendance-device-command", args=[machine.pk]),
        {"kind": "backfill", "start": "01/03/2026", "end": "31/03/2026"},
    )
    assert response.status_code == 302
    command = DeviceCommand.objects.get(device=machine)
    assert command.command.startswith("DATA QUERY ATTLOG StartTime=2026-03-01 00:00:00")
    page = client.get(reverse("attendance-device", args=[machine.pk])).content.decode()
    assert 'data-state="queued"' in page


def test_a_backfill_without_dates_is_refused_with_the_input_kept(client, tenancy, machine):
    login(client, tenancy.kasi_tapem)
    response = client.post(
        reverse("attendance-device-command", args=[machine.pk]), {"kind": "backfill", "start": "01/03/2026"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Kirim ulang absen perlu tanggal awal dan akhir" in html
    assert 'value="01/03/2026"' in html
    assert not DeviceCommand.objects.exists()


def test_operator_sees_the_commands_but_cannot_queue(client, tenancy, machine):
    push.device_command_queue(actor=tenancy.kasi_tapem, device=machine, kind=DeviceCommand.Kind.INFO)
    login(client, tenancy.operator_a)
    page = client.get(reverse("attendance-device", args=[machine.pk])).content.decode()
    assert 'data-testid="commands"' in page and 'data-testid="command-form"' not in page
    response = client.post(reverse("attendance-device-command", args=[machine.pk]), {"kind": "info"})
    assert response.status_code == 403
    assert DeviceCommand.objects.count() == 1


@pytest.mark.parametrize("who", ["outsider", "outsider_operator", "operator_b"])
def test_outsiders_get_404_on_the_machine_and_its_commands(client, tenancy, machine, who):
    login(client, getattr(tenancy, who))
    assert client.get(reverse("attendance-device", args=[machine.pk])).status_code == 404
    assert client.post(reverse("attendance-device-command", args=[machine.pk]), {"kind": "info"}).status_code == 404
    assert not DeviceCommand.objects.exists()


def test_kasi_registers_a_caller_with_one_click(client, tenancy, caller, django_capture_on_commit_callbacks):
    login(client, tenancy.kasi_tapem)
    listing = client.get(reverse("attendance-devices")).content.decode()
    assert f'data-serial="{caller.serial_number}"' in listing
    prefix = f"sn-{caller.pk}"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("attendance-register", args=[caller.pk]),
            {f"{prefix}-desa": tenancy.desa_a.pk, f"{prefix}-name": "Kantor Desa"},
        )
    device = Device.objects.get(serial_number=caller.serial_number)
    assert response.status_code == 302 and response["Location"] == reverse("attendance-device", args=[device.pk])
    assert (device.protocol, device.desa, device.name, device.host) == (
        Protocol.PUSH,
        tenancy.desa_a,
        "Kantor Desa",
        "",
    )
    assert DeviceEvent.objects.filter(device=device, kind=DeviceEvent.Kind.REGISTERED).exists()


def test_a_kasi_cannot_register_a_caller_into_another_kecamatan(client, tenancy, caller):
    login(client, tenancy.kasi_tapem)
    prefix = f"sn-{caller.pk}"
    response = client.post(reverse("attendance-register", args=[caller.pk]), {f"{prefix}-desa": tenancy.other_desa.pk})
    assert response.status_code == 302
    assert not Device.objects.filter(serial_number=caller.serial_number).exists()


@pytest.mark.parametrize("who", ["operator_a", "kades_a", "outsider_operator"])
def test_desa_users_never_see_or_register_callers(client, tenancy, caller, who):
    login(client, getattr(tenancy, who))
    assert caller.serial_number not in client.get(reverse("attendance-devices")).content.decode()
    response = client.post(
        reverse("attendance-register", args=[caller.pk]), {f"sn-{caller.pk}-desa": tenancy.desa_a.pk}
    )
    assert response.status_code == 404
    api = client.get("/api/v1/attendance/unregistered-devices/")
    assert api.status_code == 200 and api.json()["count"] == 0
    assert (
        client.post(f"/api/v1/attendance/unregistered-devices/{caller.serial_number}/register/", {}).status_code == 404
    )


def test_api_commands_are_scoped_and_queued_by_staff(client, tenancy, machine):
    login(client, tenancy.kasi_tapem)
    created = client.post(
        "/api/v1/attendance/device-commands/",
        {"device": machine.pk, "kind": "backfill", "start": "2026-03-01", "end": "2026-03-02"},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    assert created.json()["state"] == "queued" and "StartTime=2026-03-01 00:00:00" in created.json()["command"]
    command_id = created.json()["id"]
    login(client, tenancy.outsider)
    assert client.get(f"/api/v1/attendance/device-commands/{command_id}/").status_code == 404
    assert client.get("/api/v1/attendance/device-commands/").json()["count"] == 0
    refused = client.post(
        "/api/v1/attendance/device-commands/", {"device": machine.pk, "kind": "info"}, content_type="application/json"
    )
    assert refused.status_code == 400 and "device" in refused.json()["fields"]
    login(client, tenancy.operator_a)
    assert client.get("/api/v1/attendance/device-commands/").json()["count"] == 1
    denied = client.post(
        "/api/v1/attendance/device-commands/", {"device": machine.pk, "kind": "info"}, content_type="application/json"
    )
    assert denied.status_code == 403


def test_api_events_are_scoped(client, tenancy, machine):
    DeviceEvent.objects.create(device=machine, kind=DeviceEvent.Kind.OPLOG, detail="OPLOG 4")
    login(client, tenancy.operator_a)
    assert client.get("/api/v1/attendance/device-events/", {"device": machine.pk}).json()["count"] == 1
    login(client, tenancy.outsider_operator)
    assert client.get("/api/v1/attendance/device-events/").json()["count"] == 0


def test_api_registers_a_caller(client, tenancy, caller, django_capture_on_commit_callbacks):
    login(client, tenancy.kasi_tapem)
    listed = client.get("/api/v1/attendance/unregistered-devices/").json()
    assert caller.serial_number in [row["serial_number"] for row in listed["results"]]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/api/v1/attendance/unregistered-devices/{caller.serial_number}/register/",
            {"desa": tenancy.desa_a.kode, "name": "Balai"},
            content_type="application/json",
        )
    assert response.status_code == 201
    assert Device.objects.get(serial_number=caller.serial_number).protocol == Protocol.PUSH
    # Another kecamatan's desa is not found for this Kasi.
    other = UnregisteredDevice.objects.create(serial_number=f"X{uuid.uuid4().hex[:6]}")
    refused = client.post(
        f"/api/v1/attendance/unregistered-devices/{other.serial_number}/register/",
        {"desa": tenancy.other_desa.kode},
        content_type="application/json",
    )
    assert refused.status_code == 400
    assert not Device.objects.filter(serial_number=other.serial_number).exists()


def test_the_kasi_home_page_lists_callers_waiting_for_registration(client, tenancy, caller):
    from django.utils import timezone

    from portal import home

    sections = {s.key: s for s in home.sections(tenancy.kasi_tapem, timezone.localdate())}
    waiting = sections["attendance-unregistered"]
    assert [i.text for i in waiting.items] == [caller.serial_number]
    assert waiting.url.endswith("/absensi/mesin/#belum-terdaftar")
    assert "attendance-unregistered" not in {s.key for s in home.sections(tenancy.operator_a, timezone.localdate())}
