"""PIN linking (#14): only an exact full-name match with a perangkat free on the device is chosen in advance;
a surname or a look-alike is offered but not selected; linking a PIN with past punches needs the user to
confirm how many punches move with it."""

import datetime as dt

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from attendance.models import Device, DeviceUser, Punch
from portal.choices import Jabatan
from tests.factories import PerangkatFactory
from tests.helpers import WIB

pytestmark = pytest.mark.django_db


@pytest.fixture
def device(tenancy):
    return Device.objects.create(serial_number="A-1", desa=tenancy.desa_a, name="Balai", host="127.0.0.1")


def pin(device, number: str, name: str, punches: int = 1, **fields) -> DeviceUser:
    user = DeviceUser.objects.create(device=device, pin=number, name=name, **fields)
    for i in range(punches):
        Punch.objects.create(device=device, pin=number, punched_at=dt.datetime(2026, 8, 3, 7, i, tzinfo=WIB))
    return user


def rows(client, user):
    client.force_login(user)
    response = client.get(reverse("attendance-unmapped"))
    assert response.status_code == 200
    return {r.pin: r for r in response.context["rows"]}, response.content.decode()


def test_exact_full_name_is_preselected(client, tenancy, device):
    pin(device, "7", "  slamet   RIYADI ")
    row, html = rows(client, tenancy.operator_a)
    assert row["7"].suggestion.preselect and row["7"].suggestion.perangkat == tenancy.perangkat_a
    assert f'<option value="{tenancy.perangkat_a.pk}" selected>' in html


def test_surname_only_is_suggested_but_not_selected(client, tenancy, device):
    pin(device, "9", "Riyadi")
    row, html = rows(client, tenancy.operator_a)
    suggestion = row["9"].suggestion
    assert suggestion.perangkat == tenancy.perangkat_a and not suggestion.preselect
    assert f'<option value="{tenancy.perangkat_a.pk}" selected>' not in html
    assert "Saran berdasarkan nama (belum dipilih, periksa dulu): Slamet Riyadi" in html


def test_exact_name_already_linked_to_another_pin_is_not_selected(client, tenancy, device):
    pin(device, "3", "Slamet Riyadi", punches=0, perangkat=tenancy.perangkat_a)
    pin(device, "7", "Slamet Riyadi")
    row, html = rows(client, tenancy.operator_a)
    suggestion = row["7"].suggestion
    assert suggestion.perangkat == tenancy.perangkat_a and not suggestion.preselect
    assert suggestion.linked_pin == "3"
    assert (
        f'<option value="{tenancy.perangkat_a.pk}" selected>' not in html
        and "sudah ditautkan ke PIN 3 di mesin ini" in html
    )


def test_two_perangkat_with_the_same_name_are_not_guessed(client, tenancy, device):
    PerangkatFactory(desa=tenancy.desa_a, nama="Slamet Riyadi", jabatan=Jabatan.SEKRETARIS_DESA)
    pin(device, "7", "Slamet Riyadi")
    row, _html = rows(client, tenancy.operator_a)
    assert not row["7"].suggestion.preselect


def test_the_page_asks_to_confirm_the_punch_count(client, tenancy, device):
    pin(device, "7", "Slamet Riyadi", punches=4)
    row, html = rows(client, tenancy.operator_a)
    assert row["7"].punch_count == 4
    assert 'name="confirm_punches" value="4"' in html and "required" in html
    assert "Saya paham 4 absen lama ikut dihitung untuk perangkat yang dipilih." in html


@pytest.mark.parametrize("confirm", [None, "", "2", "abc"])
def test_link_without_confirming_every_punch_is_refused(client, tenancy, device, confirm):
    user = pin(device, "7", "Slamet Riyadi", punches=3)
    client.force_login(tenancy.operator_a)
    body = {"perangkat": tenancy.perangkat_a.pk}
    if confirm is not None:
        body["confirm_punches"] = confirm
    response = client.post(reverse("attendance-link", args=[user.pk]), body)
    assert response.status_code == 302
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "PIN 7 belum ditautkan: centang dulu bahwa 3 absen lamanya ikut dihitung untuk Slamet Riyadi."
    ]
    user.refresh_from_db()
    assert user.perangkat is None and user.linked_at is None


def test_link_with_confirmation_goes_through(client, tenancy, device):
    user = pin(device, "7", "Slamet Riyadi", punches=3)
    client.force_login(tenancy.operator_a)
    body = {"perangkat": tenancy.perangkat_a.pk, "confirm_punches": "3"}
    client.post(reverse("attendance-link", args=[user.pk]), body)
    user.refresh_from_db()
    assert user.perangkat == tenancy.perangkat_a


def test_pin_without_punches_links_without_confirmation(client, tenancy, device):
    user = pin(device, "8", "Slamet Riyadi", punches=0)
    client.force_login(tenancy.operator_a)
    client.post(reverse("attendance-link", args=[user.pk]), {"perangkat": tenancy.perangkat_a.pk})
    user.refresh_from_db()
    assert user.perangkat == tenancy.perangkat_a


def test_outsider_cannot_link_even_when_confirming(client, tenancy, device):
    user = pin(device, "7", "Slamet Riyadi", punches=1)
    client.force_login(tenancy.outsider)
    body = {"perangkat": tenancy.perangkat_a.pk, "confirm_punches": "1"}
    assert client.post(reverse("attendance-link", args=[user.pk]), body).status_code == 404
    user.refresh_from_db()
    assert user.perangkat is None
