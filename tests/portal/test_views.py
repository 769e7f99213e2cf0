import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from portal.models import Perangkat
from tests.helpers import login

pytestmark = pytest.mark.django_db


def test_login_page_is_indonesian(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert "Masuk ke Pantau Desa" in response.content.decode()


def test_anonymous_is_sent_to_login(client):
    response = client.get(reverse("dashboard"))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_dashboard_counts_only_own_desa(client, tenancy):
    body = login(client, tenancy.operator_a).get(reverse("dashboard")).content.decode()
    assert 'data-testid="count-desa">1<' in body
    assert "Gempolpading" not in body
    body = login(client, tenancy.kasi_tapem).get(reverse("dashboard")).content.decode()
    assert 'data-testid="count-desa">2<' in body
    assert "Sukodadi" not in body


def test_desa_list_and_detail_scoping(client, tenancy):
    login(client, tenancy.operator_a)
    body = client.get(reverse("desa-list")).content.decode()
    assert "Pucuk" in body and "Gempolpading" not in body
    assert client.get(reverse("desa-detail", args=["35.24.13.2001"])).status_code == 200
    assert client.get(reverse("desa-detail", args=["35.24.13.2002"])).status_code == 404
    login(client, tenancy.outsider)
    assert client.get(reverse("desa-detail", args=["35.24.13.2001"])).status_code == 404
    login(client, tenancy.camat)
    assert client.get(reverse("desa-detail", args=["35.24.13.2002"])).status_code == 200


def test_perangkat_list_scoping(client, tenancy):
    body = login(client, tenancy.operator_a).get(reverse("perangkat-list")).content.decode()
    assert "Slamet Riyadi" in body and "Siti Aminah" not in body and "Joko Susilo" not in body
    body = login(client, tenancy.outsider).get(reverse("perangkat-list")).content.decode()
    assert "Joko Susilo" in body and "Slamet Riyadi" not in body


def test_perangkat_edit_and_deactivate_outsider_404(client, tenancy):
    pk = tenancy.perangkat_a.pk
    for user in (tenancy.outsider, tenancy.operator_b):
        login(client, user)
        assert client.get(reverse("perangkat-edit", args=[pk])).status_code == 404
        assert client.post(reverse("perangkat-edit", args=[pk]), {"nama": "X"}).status_code == 404
        assert client.post(reverse("perangkat-deactivate", args=[pk])).status_code == 404
    tenancy.perangkat_a.refresh_from_db()
    assert tenancy.perangkat_a.aktif and tenancy.perangkat_a.nama == "Slamet Riyadi"


def test_operator_creates_and_edits_perangkat_via_form(client, tenancy):
    login(client, tenancy.operator_a)
    response = client.post(
        reverse("perangkat-create"),
        {"nama": "Dwi Lestari", "jabatan": "kasi_pelayanan", "jenis_kelamin": "P", "tanggal_mulai": "02/01/2023"},
    )
    assert response.status_code == 302, response.content.decode()
    perangkat = Perangkat.objects.get(nama="Dwi Lestari")
    assert perangkat.desa == tenancy.desa_a  # the operator's desa, whatever the form said
    assert perangkat.tanggal_mulai.isoformat() == "2023-01-02"
    edit = client.get(reverse("perangkat-edit", args=[perangkat.pk])).content.decode()
    assert 'value="02/01/2023"' in edit  # dd/mm/yyyy


def test_operator_form_ignores_a_forged_desa(client, tenancy):
    login(client, tenancy.operator_a)
    client.post(
        reverse("perangkat-create"),
        {"desa": tenancy.desa_b.pk, "nama": "Palsu", "jabatan": "staf"},
    )
    assert Perangkat.objects.get(nama="Palsu").desa == tenancy.desa_a


def test_kasi_tapem_cannot_pick_a_desa_of_another_kecamatan(client, tenancy):
    login(client, tenancy.kasi_tapem)
    response = client.post(
        reverse("perangkat-create"), {"desa": tenancy.other_desa.pk, "nama": "Palsu", "jabatan": "staf"}
    )
    assert response.status_code == 200
    assert "Masukkan pilihan yang valid" in response.content.decode()
    assert not Perangkat.objects.filter(nama="Palsu").exists()


def test_kepala_desa_cannot_open_the_create_form(client, tenancy):
    assert login(client, tenancy.kades_a).get(reverse("perangkat-create")).status_code == 403


def test_deactivate_keeps_the_row(client, tenancy):
    login(client, tenancy.operator_a)
    response = client.post(
        reverse("perangkat-deactivate", args=[tenancy.perangkat_a.pk]), {"tanggal_selesai": "31/10/2026"}
    )
    assert response.status_code == 302
    tenancy.perangkat_a.refresh_from_db()
    assert not tenancy.perangkat_a.aktif
    assert tenancy.perangkat_a.tanggal_selesai.isoformat() == "2026-10-31"


def test_export_is_scoped(client, tenancy):
    response = login(client, tenancy.operator_b).get(reverse("perangkat-export"))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    ws = load_workbook(io.BytesIO(response.content)).active
    names = [row[2] for row in ws.iter_rows(min_row=2, values_only=True)]
    assert names == ["Siti Aminah"]
    # An operator naming another desa in the filter still gets only their own.
    response = client.get(reverse("perangkat-export"), {"desa": "35.24.13.2001"})
    ws = load_workbook(io.BytesIO(response.content)).active
    assert list(ws.iter_rows(min_row=2, values_only=True)) == []


def test_english_is_available(client, tenancy):
    login(client, tenancy.kasi_tapem)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    body = client.get(reverse("perangkat-list")).content.decode()
    assert "Village officials" in body


def test_an_english_browser_still_gets_indonesian(client, tenancy):
    login(client, tenancy.kasi_tapem)
    body = client.get(reverse("perangkat-list"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert "Perangkat desa" in body and "Village officials" not in body
