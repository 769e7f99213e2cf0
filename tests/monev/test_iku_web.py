"""The IKU pages, exports and API: the rightful user, the desa user (403), the outsider (404 / none of it), and
what the Excel and PDF annex say when read back."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from monev import services_iku
from monev.models_iku import Indicator, IndicatorTarget, IndicatorValue, ProgramBudget
from portal.choices import Role
from tests.factories import UserFactory
from tests.helpers import content, rows
from tests.monev.conftest import pdf_bytes

YEAR = 2019


@pytest.fixture
def iku(tenancy):
    services_iku.plan_load()
    return tenancy


@pytest.fixture
def staff(tenancy):
    return UserFactory(username="staf", role=Role.STAF_KECAMATAN, kecamatan=tenancy.kecamatan)


def _ikm():
    return Indicator.objects.get(code="ikm")


def _enter_ikm(user, value="79.75", year=YEAR):
    return services_iku.value_set(
        actor=user,
        indicator=_ikm(),
        year=year,
        quarter=0,
        value=Decimal(value),
        note="Survei IKM",
        evidence=SimpleUploadedFile("ikm.pdf", pdf_bytes("IKM"), content_type="application/pdf"),
    )


# --- pages --------------------------------------------------------------------------------------------------


def test_dashboard_for_camat_shows_value_target_and_light(client, iku):
    _enter_ikm(iku.camat)
    iku.web(client, iku.camat)
    response = client.get(reverse("monev-iku"), {"tahun": YEAR})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Nilai IKM Layanan Kecamatan" in html
    assert 'data-testid="chart-iku"' in html
    rows_by_code = {row.indicator.code: row for row in response.context["board"].rows}
    ikm = rows_by_code["ikm"]
    assert ikm.value == 79.75 and ikm.target == Decimal("80.75")
    assert ikm.light == "kuning"  # 98.8 % of target
    assert rows_by_code["layanan-sop"].light == "abu"
    assert rows_by_code["layanan-sop"].value_text == "-"


def test_dashboard_desa_user_is_refused(client, iku):
    iku.web(client, iku.operator_a)
    for name in ("monev-iku", "monev-iku-xlsx", "monev-iku-pdf", "monev-iku-programs"):
        assert client.get(reverse(name)).status_code == 403


def test_dashboard_outsider_sees_none_of_it(client, iku):
    iku.web(client, iku.outsider)
    response = client.get(reverse("monev-iku"), {"tahun": YEAR})
    assert response.status_code == 200
    assert "Nilai IKM Layanan Kecamatan" not in response.content.decode()
    workbook = load_workbook(io.BytesIO(content(client.get(reverse("monev-iku-xlsx"), {"tahun": YEAR}))))
    texts = [c for row in workbook.active.iter_rows(values_only=True) for c in row if c]
    assert not any("IKM" in str(t) for t in texts)


def test_indicator_detail_and_outsider(client, iku):
    ikm = _ikm()
    url = reverse("monev-iku-indicator", args=[ikm.pk])
    iku.web(client, iku.camat)
    assert client.get(url, {"tahun": YEAR}).status_code == 200
    iku.web(client, iku.outsider)
    assert client.get(url).status_code == 404
    assert client.post(reverse("monev-iku-target", args=[ikm.pk]), {"year": 2019, "value": "1"}).status_code == 404
    assert client.post(reverse("monev-iku-value", args=[ikm.pk]), {"year": 2019, "value": "1"}).status_code == 404
    iku.web(client, iku.operator_a)
    assert client.get(url).status_code == 403


def test_drilldown_lists_records(client, iku):
    from musrenbang.models import Meeting

    Meeting.objects.create(
        kecamatan=iku.kecamatan,
        desa=iku.desa_a,
        kind="musrenbangdes",
        year=YEAR,
        window_start="2018-01-01",
        window_end="2018-12-31",
        held_date="2019-02-01",
    )
    indicator = Indicator.objects.get(code="desa-musrenbang")
    iku.web(client, iku.camat)
    html = client.get(reverse("monev-iku-indicator", args=[indicator.pk]), {"tahun": YEAR}).content.decode()
    assert 'data-testid="drilldown"' in html and "01/02/2019" in html


def test_target_set_supervisor_only(client, iku, staff):
    ikm = _ikm()
    url = reverse("monev-iku-target", args=[ikm.pk])
    iku.web(client, staff)
    assert client.post(url, {"year": 2020, "value": "90"}).status_code == 403
    iku.web(client, iku.camat)
    response = client.post(url, {"year": 2020, "value": "90", "note": "revisi"})
    assert response.status_code == 302
    assert IndicatorTarget.objects.get(indicator=ikm, year=2020).value == 90
    response = client.post(url, {"year": 2030, "value": "90"})  # outside the plan period
    assert response.status_code == 400


def test_value_set_with_evidence_and_download(client, iku, staff):
    ikm = _ikm()
    url = reverse("monev-iku-value", args=[ikm.pk])
    data = {"year": YEAR, "quarter": 0, "value": "80.9", "note": "survei"}
    iku.web(client, staff)
    assert client.post(url, {**data, "evidence": SimpleUploadedFile("a.pdf", pdf_bytes())}).status_code == 403
    iku.web(client, iku.camat)
    assert client.post(url, data).status_code == 400  # no evidence
    fake = SimpleUploadedFile("bukti.pdf", b"MZ not a pdf at all")
    assert client.post(url, {**data, "evidence": fake}).status_code == 400
    assert not IndicatorValue.objects.exists()
    good = SimpleUploadedFile("bukti.pdf", pdf_bytes("IKM 2019"))
    assert client.post(url, {**data, "evidence": good}).status_code == 302
    entry = IndicatorValue.objects.get()
    assert entry.value == Decimal("80.9") and entry.entered_by == iku.camat
    download = reverse("monev-iku-evidence", args=[entry.pk])
    assert content(client.get(download)).startswith(b"%PDF-")
    iku.web(client, iku.outsider)
    assert client.get(download).status_code == 404
    iku.web(client, iku.operator_a)
    assert client.get(download).status_code == 403


def test_value_refused_for_computed_indicator(iku):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services_iku.value_set(
            actor=iku.camat,
            indicator=Indicator.objects.get(code="desa-musrenbang"),
            year=YEAR,
            quarter=0,
            value=1,
            evidence=SimpleUploadedFile("a.pdf", pdf_bytes()),
        )


def test_programs_page(client, iku, staff):
    url = reverse("monev-iku-programs") + "?tahun=2020"
    data = {"name": "Monitoring dan Evaluasi APBDes", "year": 2020, "budget": "68000000"}
    data |= {"r1": "9520000", "r2": "36720000", "r3": "16932840", "r4": "0", "indicator": ""}
    iku.web(client, staff)
    assert client.get(url).status_code == 200
    assert client.post(url, data).status_code == 403
    iku.web(client, iku.camat)
    assert client.post(url, data).status_code == 302
    program = ProgramBudget.objects.get()
    assert program.realised == Decimal("63172840") and program.percent == Decimal("92.90")
    html = client.get(url).content.decode()
    assert "Monitoring dan Evaluasi APBDes" in html
    iku.web(client, iku.outsider)
    assert "Monitoring dan Evaluasi APBDes" not in client.get(url).content.decode()
    assert client.get(f"{url}&ubah={program.pk}").status_code == 404
    assert client.post(f"{url}&ubah={program.pk}", data).status_code == 404


# --- exports ----------------------------------------------------------------------------------------------


def test_export_xlsx_annex_layout(client, iku):
    _enter_ikm(iku.camat)
    iku.web(client, iku.camat)
    response = client.get(reverse("monev-iku-xlsx"), {"tahun": YEAR})
    assert response.status_code == 200
    assert response["X-Content-Type-Options"] == "nosniff"
    sheet = load_workbook(io.BytesIO(content(response))).active
    values = list(sheet.iter_rows(values_only=True))
    assert list(values[2]) == [
        "No",
        "Sasaran / Indikator Kinerja",
        "Satuan",
        "Target",
        "Realisasi",
        "Capaian %",
        "Keterangan",
    ]
    ikm = next(r for r in values if r[1] == "Nilai IKM Layanan Kecamatan")
    assert ikm[2:6] == ("nilai", "80,75", "79,75", "98,76")
    assert ikm[6] == "Survei IKM"
    sop = next(r for r in values if r[1] and str(r[1]).startswith("Persentase capaian layanan"))
    assert sop[4] == "-" and sop[5] == "-"  # no data is never 0
    assert any(str(r[1]).startswith("Sasaran: ") for r in values if r[1])


def test_export_pdf_annex_text(client, iku):
    _enter_ikm(iku.camat)
    iku.web(client, iku.camat)
    response = client.get(reverse("monev-iku-pdf"), {"tahun": YEAR})
    assert response.status_code == 200
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(content(response))).pages)
    for word in ("Keterangan", "Satuan", "Nilai IKM Layanan Kecamatan", "80,75", "79,75", "98,76", "Tahun 2019"):
        assert word in text


# --- API --------------------------------------------------------------------------------------------------


def test_api_lists_scoped(iku):
    _enter_ikm(iku.camat)
    camat = iku.client(iku.camat)
    assert len(rows(camat, "/api/v1/iku-indicators/")) == Indicator.objects.count()
    assert rows(camat, "/api/v1/iku-values/")[0]["value"] == "79.75"
    outsider = iku.client(iku.outsider)
    for path in ("iku-indicators", "iku-targets", "iku-values", "iku-programs"):
        assert rows(outsider, f"/api/v1/{path}/") == []
    assert outsider.get(f"/api/v1/iku-indicators/{_ikm().pk}/").status_code == 404
    entry = IndicatorValue.objects.get()
    assert outsider.get(f"/api/v1/iku-values/{entry.pk}/evidence/").status_code == 404
    assert content(camat.get(f"/api/v1/iku-values/{entry.pk}/evidence/")).startswith(b"%PDF-")
    desa = iku.client(iku.operator_a)
    for path in ("iku-indicators", "iku-targets", "iku-values", "iku-programs", "iku-dashboard"):
        assert desa.get(f"/api/v1/{path}/").status_code == 403


def test_api_writes(iku, staff):
    ikm = _ikm()
    target = {"indicator": ikm.pk, "year": 2020, "value": "82"}
    assert iku.client(staff).post("/api/v1/iku-targets/", target, format="json").status_code == 403
    assert iku.client(iku.outsider).post("/api/v1/iku-targets/", target, format="json").status_code == 404
    assert iku.client(iku.camat).post("/api/v1/iku-targets/", target, format="json").status_code == 201
    assert IndicatorTarget.objects.get(indicator=ikm, year=2020).value == 82
    value = {"indicator": ikm.pk, "year": 2020, "quarter": 0, "value": "81.3"}
    evidence = SimpleUploadedFile("ikm.pdf", pdf_bytes())
    assert iku.client(iku.outsider).post("/api/v1/iku-values/", {**value, "evidence": evidence}).status_code == 404
    evidence = SimpleUploadedFile("ikm.pdf", pdf_bytes())
    assert iku.client(iku.camat).post("/api/v1/iku-values/", {**value, "evidence": evidence}).status_code == 201
    program = {"name": "Pembinaan Pemerintahan Desa", "year": 2020, "budget": "34000000", "r1": "34000000"}
    response = iku.client(iku.camat).post("/api/v1/iku-programs/", program, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["percent"] == "100.00"
    pk = response.json()["id"]
    assert iku.client(iku.outsider).patch(f"/api/v1/iku-programs/{pk}/", {"r2": "1"}, format="json").status_code == 404
    assert iku.client(iku.camat).patch(f"/api/v1/iku-programs/{pk}/", {"r2": "1"}, format="json").status_code == 200


def test_api_dashboard(iku):
    _enter_ikm(iku.camat)
    data = iku.client(iku.camat).get("/api/v1/iku-dashboard/", {"tahun": YEAR}).json()
    ikm = next(row for row in data if row["code"] == "ikm")
    assert (ikm["value"], ikm["target"], ikm["light"]) == (79.75, "80.75", "kuning")
    sop = next(row for row in data if row["code"] == "layanan-sop")
    assert sop["value"] is None and sop["light"] == "abu"
    assert iku.client(iku.outsider).get("/api/v1/iku-dashboard/", {"tahun": YEAR}).json() == []
    assert iku.client(iku.camat).get("/api/v1/iku-dashboard/", {"tw": 9}).status_code == 400


def test_admin_picks_the_kecamatan(client, iku):
    admin = UserFactory(username="adm", role=Role.ADMIN)
    iku.web(client, admin)
    response = client.get(reverse("monev-iku"), {"tahun": YEAR, "kecamatan": iku.other_kecamatan.kode})
    assert response.context["board"].rows == []
    response = client.get(reverse("monev-iku"), {"tahun": YEAR, "kecamatan": iku.kecamatan.kode})
    assert "Nilai IKM Layanan Kecamatan" in response.content.decode()
    assert f"kecamatan={iku.kecamatan.kode}" in response.context["query"]


def test_a_corrected_value_keeps_the_one_it_replaced(tenancy, private_media):
    from decimal import Decimal

    from django.core.files.uploadedfile import SimpleUploadedFile

    from monev import services_iku
    from monev.models_iku import IndicatorValue
    from tests.helpers import blank_pdf

    period = services_iku.plan_load(kecamatan=tenancy.kecamatan)
    ikm = period.indicators.get(code="ikm")
    for value, name in ((70, "a.pdf"), (80, "b.pdf")):
        services_iku.value_set(
            actor=tenancy.camat,
            indicator=ikm,
            year=2019,
            quarter=0,
            value=Decimal(value),
            evidence=SimpleUploadedFile(name, blank_pdf(), "application/pdf"),
            note="",
        )
    row = IndicatorValue.objects.get(indicator=ikm, year=2019, quarter=0)
    assert row.value == 80
    assert sorted(h.value for h in row.history.all()) == [70, 80]  # the first entry and its evidence are kept
