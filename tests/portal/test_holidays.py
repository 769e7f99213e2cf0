"""Holiday rows written by hand go through ``portal.calendar``'s services (API viewset included): who may
write which row, duplicates, and ``calendar_changed`` following every write."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from portal.calendar import holiday_create, holiday_delete, holiday_update
from portal.choices import Role
from portal.models import HariLibur
from portal.signals import calendar_changed
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 6, 10)
NATIONAL_ONLY = "Hari libur nasional hanya dapat diubah administrator."


@pytest.fixture
def changes():
    """The ``calendar_changed`` signals sent during the test, as (kecamatan_id, dates)."""
    sent: list[tuple[int | None, list[dt.date]]] = []

    def receiver(sender, kecamatan_id, dates, **kwargs):
        sent.append((kecamatan_id, list(dates)))

    calendar_changed.connect(receiver, dispatch_uid="test-holiday-changes")
    yield sent
    calendar_changed.disconnect(dispatch_uid="test-holiday-changes")


def test_kecamatan_staff_write_their_own_rows_and_the_calendar_follows(tenancy, changes):
    row = holiday_create(actor=tenancy.kasi_tapem, tanggal=DAY, nama="Hari jadi Lamongan", jenis="lokal")
    assert (row.kecamatan, row.diubah_manual, row.libur) == (tenancy.kecamatan, True, True)
    assert changes == [(tenancy.kecamatan.pk, [DAY])]
    holiday_update(actor=tenancy.camat, holiday=row, tanggal=DAY + dt.timedelta(days=1), kecamatan=None)
    row.refresh_from_db()
    assert row.tanggal == DAY + dt.timedelta(days=1) and row.kecamatan == tenancy.kecamatan  # never moved
    assert changes[1:] == [(tenancy.kecamatan.pk, [DAY]), (tenancy.kecamatan.pk, [DAY + dt.timedelta(days=1)])]
    holiday_delete(actor=tenancy.kasi_tapem, holiday=row)
    assert not HariLibur.objects.filter(pk=row.pk).exists()
    assert changes[-1] == (tenancy.kecamatan.pk, [DAY + dt.timedelta(days=1)])


def test_who_may_not_write_holidays(tenancy, changes):
    for user in (tenancy.operator_a, tenancy.kades_a):
        with pytest.raises(PermissionDenied):
            holiday_create(actor=user, tanggal=DAY, nama="Libur desa")
    local = holiday_create(actor=tenancy.kasi_tapem, tanggal=DAY, nama="Hari jadi Lamongan")
    national = HariLibur.objects.create(tanggal=dt.date(2026, 8, 17), nama="Kemerdekaan", jenis="nasional")
    for user, row in ((tenancy.outsider, local), (tenancy.operator_a, local), (tenancy.kasi_tapem, national)):
        with pytest.raises(PermissionDenied):
            holiday_update(actor=user, holiday=row, nama="Diubah")
        with pytest.raises(PermissionDenied):
            holiday_delete(actor=user, holiday=row)
    with pytest.raises(PermissionDenied, match=NATIONAL_ONLY):  # kecamatan staff are told why
        holiday_update(actor=tenancy.kasi_tapem, holiday=national, nama="Diubah")
    assert HariLibur.objects.filter(nama="Diubah").count() == 0 and HariLibur.objects.count() == 2
    admin = UserFactory(role=Role.ADMIN, kecamatan=None)
    holiday_update(actor=admin, holiday=national, nama="Hari Kemerdekaan RI")
    assert HariLibur.objects.get(pk=national.pk).nama == "Hari Kemerdekaan RI"
    assert holiday_create(actor=admin, tanggal=DAY, nama="Libur nasional baru", jenis="nasional").kecamatan is None


def test_a_second_row_on_the_same_date_is_refused(tenancy):
    holiday_create(actor=tenancy.kasi_tapem, tanggal=DAY, nama="Hari jadi Lamongan")
    with pytest.raises(ValidationError) as excinfo:
        holiday_create(actor=tenancy.camat, tanggal=DAY, nama="Lagi")
    assert excinfo.value.message_dict == {"tanggal": ["Sudah ada hari libur pada tanggal ini untuk wilayah yang sama."]}
    assert HariLibur.objects.filter(tanggal=DAY).count() == 1


def test_the_api_writes_through_the_services_and_keeps_its_answers(tenancy, monkeypatch):
    from portal.api import views

    calls = []
    for name in ("holiday_create", "holiday_update", "holiday_delete"):
        real = getattr(views, name)
        monkeypatch.setattr(views, name, lambda real=real, name=name, **kw: calls.append(name) or real(**kw))
    api = tenancy.client(tenancy.kasi_tapem)
    payload = {"date": DAY.isoformat(), "name": "Hari jadi Lamongan", "kind": "lokal"}
    created = api.post(reverse("api:holiday-list"), payload)
    assert created.status_code == 201 and created.json()["diubah_manual"] is True
    duplicate = api.post(reverse("api:holiday-list"), payload)
    assert duplicate.status_code == 400
    assert duplicate.json()["fields"] == {"date": ["Sudah ada hari libur pada tanggal ini untuk wilayah yang sama."]}
    url = reverse("api:holiday-detail", args=[created.json()["id"]])
    assert api.patch(url, {"name": "Hari Jadi Kab. Lamongan"}).json()["name"] == "Hari Jadi Kab. Lamongan"
    national = HariLibur.objects.create(tanggal=dt.date(2026, 8, 17), nama="Kemerdekaan", jenis="nasional")
    refused = api.delete(reverse("api:holiday-detail", args=[national.pk]))
    assert refused.status_code == 403 and refused.json()["detail"] == NATIONAL_ONLY
    assert api.delete(url).status_code == 204
    assert calls == ["holiday_create", "holiday_create", "holiday_update", "holiday_delete", "holiday_delete"]
