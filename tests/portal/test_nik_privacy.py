"""A perangkat's full NIK only for those who keep the record (``permissions.can_see_full_nik``): the desa's own
Operator Desa and Kepala Desa, and the Administrator. Every kecamatan role sees it masked, on the list page, the
edit form, the API and the Excel export, and cannot find it by searching its digits."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from portal import permissions, privacy
from portal.choices import KECAMATAN_ROLES, Role
from portal.models import Perangkat
from tests.factories import UserFactory
from tests.helpers import login, rows

pytestmark = pytest.mark.django_db
NIK = "3524130101850001"
MASKED = "3524••••••••0001"
KECAMATAN = sorted(KECAMATAN_ROLES)


@pytest.fixture
def people(tenancy):
    tenancy.perangkat_a.nik = NIK
    tenancy.perangkat_a.save()
    users = {role: UserFactory(username=f"u_{role}", role=role, kecamatan=tenancy.kecamatan) for role in KECAMATAN}
    users["admin"] = UserFactory(username="u_admin", role=Role.ADMIN)
    users["operator_desa"], users["kepala_desa"] = tenancy.operator_a, tenancy.kades_a
    return users


EXPECTED = [(role, MASKED) for role in KECAMATAN] + [
    ("admin", NIK),
    ("operator_desa", NIK),
    ("kepala_desa", NIK),
]


def test_masking():
    assert privacy.nik_masked(NIK) == MASKED
    assert privacy.nik_masked("12345678") == "••••••••"  # too short to show both ends


@pytest.mark.parametrize(("who", "shown"), EXPECTED)
def test_the_list_page_shows_the_nik_by_role(client, people, who, shown):
    html = login(client, people[who]).get(reverse("perangkat-list")).content.decode()
    assert f'<td data-testid="nik">{shown}</td>' in html
    assert (NIK in html) == (shown == NIK)


@pytest.mark.parametrize(("who", "shown"), EXPECTED)
def test_the_api_shows_the_nik_by_role(tenancy, people, who, shown):
    api = tenancy.client(people[who])
    [row] = [r for r in rows(api, "api:perangkat-list") if r["id"] == tenancy.perangkat_a.pk]
    assert row["nik"] == shown
    detail = api.get(reverse("api:perangkat-detail", args=[tenancy.perangkat_a.pk]))
    assert detail.json()["nik"] == shown


@pytest.mark.parametrize(("who", "shown"), EXPECTED)
def test_the_export_shows_the_nik_by_role(client, people, who, shown):
    response = login(client, people[who]).get(reverse("perangkat-export"), {"desa": "35.24.13.2001"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    header = [cell.value for cell in sheet[1]]
    niks = {row[2]: row[header.index("NIK")] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert niks["Slamet Riyadi"] == shown


@pytest.mark.parametrize(("who", "shown"), EXPECTED)
def test_a_masked_nik_cannot_be_found_by_its_digits(client, tenancy, people, who, shown):
    html = login(client, people[who]).get(reverse("perangkat-list"), {"q": NIK[:8]}).content.decode()
    found = "<td>Slamet Riyadi</td>" in html
    api_found = rows(tenancy.client(people[who]), "api:perangkat-list", search=NIK[:8])
    assert found == bool(api_found) == (shown == NIK)


@pytest.mark.parametrize("who", ["kasi_tapem", "staf_kecamatan", "camat"])
def test_kecamatan_staff_edit_a_perangkat_without_seeing_or_losing_its_nik(client, tenancy, people, who):
    login(client, people[who])
    url = reverse("perangkat-edit", args=[tenancy.perangkat_a.pk])
    html = client.get(url).content.decode()
    assert NIK not in html and MASKED in html
    data = {"desa": tenancy.desa_a.pk, "nama": "Slamet Riyadi, S.Pd.", "jabatan": "kepala_desa", "nik": ""}
    assert client.post(url, data).status_code == 302
    assert Perangkat.objects.get(pk=tenancy.perangkat_a.pk).nik == NIK  # the empty field kept the number


def test_the_masked_nik_sent_back_through_the_api_keeps_the_number(tenancy, people):
    api = tenancy.client(people["kasi_tapem"])
    url = reverse("api:perangkat-detail", args=[tenancy.perangkat_a.pk])
    body = api.get(url).json()
    sent = {key: value for key, value in body.items() if key not in ("id", "desa_nama", "jabatan_label")}
    response = api.put(url, {**sent, "nama": "Slamet Riyadi, S.Pd."}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["nik"] == MASKED
    perangkat = Perangkat.objects.get(pk=tenancy.perangkat_a.pk)
    assert (perangkat.nama, perangkat.nik) == ("Slamet Riyadi, S.Pd.", NIK)


def test_the_desa_operator_edits_the_nik_in_full(client, tenancy, people):
    html = login(client, tenancy.operator_a).get(reverse("perangkat-edit", args=[tenancy.perangkat_a.pk]))
    assert f'value="{NIK}"' in html.content.decode()


def test_the_rule(tenancy, people):
    a, b, operator = tenancy.desa_a.pk, tenancy.desa_b.pk, tenancy.operator_a
    assert permissions.can_see_full_nik(operator, a) and not permissions.can_see_full_nik(operator, b)
    assert permissions.can_see_full_nik(people["admin"], b)
    assert not any(permissions.can_see_full_nik(people[role], a) for role in KECAMATAN)
