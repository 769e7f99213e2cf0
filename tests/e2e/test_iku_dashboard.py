"""The Camat's IKU dashboard in a real browser: value against target with its light, no 0 where there is no
data, the chart, the drill-down, the Excel and PDF annex downloads, axe and the phone layout."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from monev import services_iku
from monev.models_iku import Indicator
from tests.e2e.helpers import SIZES, problems_on
from tests.monev.conftest import pdf_bytes

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def iku(tenancy, private_media):
    services_iku.plan_load()
    services_iku.value_set(
        actor=tenancy.camat,
        indicator=Indicator.objects.get(code="ikm"),
        year=2019,
        quarter=0,
        value=Decimal("79.75"),
        note="Survei IKM 2019",
        evidence=SimpleUploadedFile("ikm.pdf", pdf_bytes("IKM 2019")),
    )
    return tenancy


def test_camat_dashboard_and_exports(iku, login, live_server):
    page = login("camat")
    page.goto(f"{live_server.url}/monev/iku/?tahun=2019")
    ikm = page.locator("[data-testid=iku-row][data-code=ikm]")
    assert ikm.get_attribute("data-light") == "kuning"
    assert "79,75" in ikm.inner_text() and "80,75" in ikm.inner_text()
    sop = page.locator("[data-testid=iku-row][data-code=layanan-sop]")
    assert sop.get_attribute("data-light") == "abu"
    assert sop.get_by_test_id("iku-value").inner_text() == "-"
    assert page.get_by_test_id("chart-iku").is_visible()
    for name, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        assert problems_on(page) == [], name

    with page.expect_download() as download_info:
        page.get_by_test_id("export-xlsx").click()
    sheet = load_workbook(io.BytesIO(Path(download_info.value.path()).read_bytes())).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[2][0] == "No" and values[2][5] == "Capaian %"
    assert any(row[1] == "Nilai IKM Layanan Kecamatan" and row[4] == "79,75" for row in values)

    with page.expect_download() as download_info:
        page.get_by_test_id("export-pdf").click()
    assert Path(download_info.value.path()).read_bytes().startswith(b"%PDF-")
    assert download_info.value.suggested_filename == "capaian-iku-2019.pdf"

    page.locator("[data-testid=iku-row][data-code=ikm] a").click()
    assert page.get_by_test_id("indicator-value").inner_text() == "79,75"
    assert problems_on(page) == []

    page.goto(f"{live_server.url}/monev/iku/program/?tahun=2020")
    page.fill("#id_name", "Monitoring dan Evaluasi APBDes")
    page.fill("#id_year", "2020")
    page.fill("#id_budget", "68000000")
    page.fill("#id_r1", "9520000")
    page.get_by_test_id("program-form").locator("button").click()
    assert "Monitoring dan Evaluasi APBDes" in page.get_by_test_id("programs").inner_text()
    assert problems_on(page) == []


def test_desa_user_cannot_open_the_dashboard(iku, login, live_server):
    page = login("op_a")
    response = page.goto(f"{live_server.url}/monev/iku/?tahun=2019")
    assert response.status == 403
