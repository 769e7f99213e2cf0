"""The Camat's attendance review in a real browser: the month ranking in the right order, a desa's grid with
its codes (a day made by an approved koreksi absen marked with an asterisk), and the Excel download of that
desa (opened with openpyxl)."""

from __future__ import annotations

import datetime as dt

import pytest
from openpyxl import load_workbook

from attendance.models import DailyStatus
from tests.attendance.test_views_review import month_data

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def cell_values(sheet) -> set[str]:
    return {str(cell.value) for row in sheet.iter_rows() for cell in row if cell.value is not None}


def test_camat_reviews_the_month_and_downloads_excel(tenancy, page, login, live_server, tmp_path):
    month_data(tenancy)
    # 5 March: Slamet's arrival came from an approved koreksi absen.
    DailyStatus.objects.filter(perangkat=tenancy.perangkat_a, date=dt.date(2026, 3, 5)).update(corrected=True)
    url = live_server.url
    login("camat")

    page.goto(f"{url}/absensi/rekap/?bulan=2026-03")
    assert page.get_by_test_id("month-name").inner_text() == "Maret 2026"
    ranking = page.locator("[data-testid=ranking] tbody tr")
    assert ranking.locator("[data-testid=desa-link]").all_inner_texts() == ["Gempolpading", "Pucuk"]
    assert ranking.locator("[data-testid=rank]").all_inner_texts() == ["1", "2"]
    assert ranking.locator("[data-testid=rate]").all_inner_texts() == ["100,0%", "80,0%"]
    # The trend chart of each desa is an inline SVG.
    assert page.locator("[data-testid=trends] svg polyline").count() == 2

    page.click("[data-testid=ranking] a:has-text('Pucuk')")
    page.wait_for_url(f"{url}/absensi/rekap/35.24.13.2001/?bulan=2026-03")
    row = page.locator(f"[data-testid=grid] tr[data-perangkat='{tenancy.perangkat_a.pk}']")
    assert row.locator("th").inner_text().startswith("Slamet Riyadi")
    cells = row.locator("td[data-code]").all_inner_texts()
    # 1 March is a Sunday without data: a day off by the schedule shows L like every other weekend day (#14)
    assert cells[:9] == ["L", "TL2", "TK", "H", "H*", "TL1/PSW1", "L", "L", "ND"]
    assert "table-danger" in row.locator("td[data-code='TK']").get_attribute("class")
    assert row.locator("td[data-corrected]").all_inner_texts() == ["H*"]  # explained by the legend
    assert "dikoreksi" in page.get_by_test_id("legend-corrected").inner_text()
    assert "TAM dihitung TL4" in page.get_by_test_id("policy").inner_text()
    assert "Gempolpading" not in page.locator("[data-testid=grid]").inner_text()

    with page.expect_download() as info:
        page.get_by_test_id("download-xlsx").click()
    download = info.value
    assert download.suggested_filename == "rekap-absensi-35.24.13.2001-2026-03.xlsx"
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    workbook = load_workbook(path)
    assert workbook.sheetnames == ["Pucuk"]
    values = cell_values(workbook["Pucuk"])
    assert {"Slamet Riyadi", "TL2", "TK", "H*"} <= values
    assert "Siti Aminah" not in values

    # The whole kecamatan from the ranking page: a sheet per desa.
    page.goto(f"{url}/absensi/rekap/?bulan=2026-03")
    with page.expect_download() as info:
        page.get_by_test_id("download-xlsx").click()
    path = tmp_path / "semua.xlsx"
    info.value.save_as(path)
    workbook = load_workbook(path)
    assert {"Pucuk", "Gempolpading"} <= set(workbook.sheetnames)
    assert "TL2" in cell_values(workbook["Pucuk"]) and "TL2" not in cell_values(workbook["Gempolpading"])
