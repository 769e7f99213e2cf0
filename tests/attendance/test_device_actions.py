"""Explicit admin actions on a device: set its clock (audited), clear its log only after a pull proved every
record is stored."""

import pytest
from django.urls import reverse

from attendance.models import DeviceAudit, Punch

pytestmark = pytest.mark.django_db


def test_set_time_is_explicit_and_audited(tenancy, emulator, register):
    handle = emulator(serial="CLOCK-1", users=2, records=10, clock_offset=-900)
    device = register(handle, tenancy.desa_a)
    client = tenancy.client(tenancy.kasi_tapem)
    response = client.post(reverse("api:device-set-time", args=[device.pk]))
    assert response.status_code == 200, response.json()
    device.refresh_from_db()
    assert abs(device.clock_offset_seconds) <= 2
    audit = DeviceAudit.objects.get(device=device)
    assert audit.action == "set_time" and audit.by == tenancy.kasi_tapem
    assert tenancy.client(tenancy.outsider).post(reverse("api:device-set-time", args=[device.pk])).status_code == 404
    assert tenancy.client(tenancy.operator_a).post(reverse("api:device-set-time", args=[device.pk])).status_code == 403


def test_clear_log_only_after_every_record_is_stored(tenancy, emulator, register):
    handle = emulator(serial="CLEAR-1", users=5, records=400, record_size=40)
    device = register(handle, tenancy.desa_a)
    expected = {(r.user_id, r.timestamp.replace(tzinfo=device.tz)) for r in handle.device.records}
    response = tenancy.client(tenancy.kasi_tapem).post(reverse("api:device-clear-log", args=[device.pk]))
    assert response.status_code == 200, response.json()
    assert "400 rekaman dipastikan tersimpan" in response.json()["detail"]
    assert set(Punch.objects.filter(device=device).values_list("pin", "punched_at")) == expected
    assert handle.device.records == []  # cleared on the device
    assert DeviceAudit.objects.get(device=device, action="clear_log").by == tenancy.kasi_tapem


def test_clear_log_refused_when_the_device_cannot_be_read(tenancy, emulator, register):
    handle = emulator(serial="CLEAR-2", users=5, records=300, faults=["count-mismatch"])
    device = register(handle, tenancy.desa_a)
    response = tenancy.client(tenancy.kasi_tapem).post(reverse("api:device-clear-log", args=[device.pk]))
    assert response.status_code == 502
    assert len(handle.device.records) == 300  # nothing cleared
    assert not DeviceAudit.objects.filter(action="clear_log").exists()


def test_clear_log_scoping_and_roles(tenancy, emulator, register):
    handle = emulator(serial="CLEAR-3", users=2, records=20)
    device = register(handle, tenancy.desa_a)
    url = reverse("api:device-clear-log", args=[device.pk])
    assert tenancy.client(tenancy.outsider).post(url).status_code == 404
    assert tenancy.client(tenancy.operator_a).post(url).status_code == 403
    assert len(handle.device.records) == 20
