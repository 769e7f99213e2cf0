"""The monthly rekap absensi exports: the workbook (a Ringkasan sheet, then one sheet per desa in scope with
the grid of codes, fills, totals, legend and signature block) and the one-desa PDF."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.http import Http404
from django.utils import timezone
from openpyxl import load_workbook
from pypdf import PdfReader

from attendance import rollup
from attendance.exports import TOTALS_HEADER, recap_pdf, recap_workbook
from attendance.models import DailyStatus
from portal.choices import Jabatan, JenisDesa
from tests.factories import DesaFactory, PerangkatFactory

pytestmark = pytest.mark.django_db
AUGUST = dt.date(2026, 8, 1)  # a Saturday: 1–2 August are the weekend


def day(n: int) -> dt.date:
    return dt.date(2026, 8, n)


def status(perangkat, n: int, st: str, codes: str = "", late: int = 0, early: int = 0) -> DailyStatus:
    row = DailyStatus.objects.create(
        perangkat=perangkat,
        desa=perangkat.desa,
        date=day(n),
        status=st,
        codes=codes,
        late_minutes=late,
        early_minutes=early,
        computed_at=timezone.now(),
    )
    # As the recompute does in the transaction that writes a status: its desa's month is summed again.
    rollup.months_refresh(desa_ids=[row.desa_id], date_from=row.date, date_to=row.date)
    return row


@pytest.fixture
def month(tenancy):
    """August 2026. Desa A: the Kepala Desa (75 %) and a staf (60 %); desa B one H day; the other kecamatan's
    desa one TK day. 1–2 August are L for everyone in desa A."""
    t = tenancy
    t.camat.first_name, t.camat.last_name = "Hadi", "Wijaya"
    t.camat.save()
    staf = PerangkatFactory(desa=t.desa_a, nama="Budi Santoso", jabatan=Jabatan.STAF)
    for p in (t.perangkat_a, staf):
        status(p, 1, "L")
        status(p, 2, "L")
    kades = t.perangkat_a
    status(kades, 3, "TL", "TL2", late=45)
    status(kades, 4, "TL", "TL1 PSW1", late=10, early=20)
    status(kades, 5, "TK", "TK")
    status(kades, 6, "H")
    status(kades, 7, "ND")
    status(staf, 3, "H")
    status(staf, 4, "S", "S")
    status(staf, 5, "DL", "DL")
    status(staf, 6, "TK", "TK")
    status(staf, 7, "H")
    status(t.perangkat_b, 3, "H")
    status(t.other_perangkat, 3, "TK", "TK")
    return staf


def open_book(data: bytes):
    return load_workbook(io.BytesIO(data))


def header_row(ws) -> int:
    return next(row[0].row for row in ws.iter_rows(max_col=1) if row[0].value == "No")


def columns(ws) -> dict:
    """Header label (day numbers as int) → column number."""
    row = header_row(ws)
    return {cell.value: cell.column for cell in ws[row] if cell.value is not None}


def row_of(ws, first_or_second: str) -> int:
    for row in ws.iter_rows():
        if first_or_second in (row[0].value, row[1].value):
            return row[0].row
    raise AssertionError(f"no row {first_or_second!r}")


def texts(ws, min_row: int = 1) -> list[str]:
    return [str(c.value) for row in ws.iter_rows(min_row=min_row) for c in row if c.value is not None]


def all_texts(wb) -> list[str]:
    return [text for ws in wb.worksheets for text in texts(ws)]


def test_camat_gets_summary_and_one_sheet_per_desa_of_the_kecamatan(tenancy, month):
    wb = open_book(recap_workbook(user=tenancy.camat, month=AUGUST))
    assert wb.sheetnames == ["Ringkasan", "Pucuk", "Gempolpading"]  # desa by kode after the summary
    everything = all_texts(wb)
    assert "Sukodadi" not in everything  # the other kecamatan's desa …
    assert "Joko Susilo" not in everything  # … and its perangkat never appear
    summary = wb["Ringkasan"]
    cols = {c.value: c.column for c in summary[header_row_summary(summary)]}
    first, second = header_row_summary(summary) + 1, header_row_summary(summary) + 2
    assert summary.cell(first, cols["Desa"]).value == "Gempolpading"  # 100 % ranks first
    assert summary.cell(first, cols["Peringkat"]).value == 1
    assert summary.cell(first, cols["% Kehadiran"]).value == 100.0
    assert summary.cell(second, cols["Desa"]).value == "Pucuk"
    assert summary.cell(second, cols["Kode Desa"]).value == "35.24.13.2001"
    assert summary.cell(second, cols["TL (kali)"]).value == 2
    assert summary.cell(second, cols["TL (menit)"]).value == 55
    assert summary.cell(second, cols["TK"]).value == 2
    assert summary.cell(second, cols["ND"]).value == 1
    assert summary.cell(second, cols["% Kehadiran"]).value == 66.7
    assert summary.cell(second + 1, 1).value is None  # exactly two desa
    title = texts(summary)[:3]
    assert title == ["RINGKASAN REKAP ABSENSI PERANGKAT DESA", "Kecamatan Pucuk", "Bulan: Agustus 2026"]


def header_row_summary(ws) -> int:
    return next(row[0].row for row in ws.iter_rows(max_col=1) if row[0].value == "Peringkat")


def test_desa_sheet_layout_codes_and_fills(tenancy, month):
    wb = open_book(recap_workbook(user=tenancy.camat, month=AUGUST))
    ws = wb["Pucuk"]
    assert texts(ws)[:3] == ["REKAP ABSENSI PERANGKAT DESA", "Desa Pucuk, Kecamatan Pucuk", "Bulan: Agustus 2026"]
    head = [c.value for c in ws[header_row(ws)]]
    assert head == ["No", "Nama", "Jabatan", *range(1, 32), *TOTALS_HEADER]
    cols = columns(ws)
    kades, staf = row_of(ws, "Slamet Riyadi"), row_of(ws, "Budi Santoso")
    assert kades < staf  # Kepala Desa first (SOTK order), then staf
    assert ws.cell(kades, 1).value == 1
    assert ws.cell(kades, cols["Jabatan"]).value == "Kepala Desa"
    assert [ws.cell(kades, cols[n]).value for n in range(1, 9)] == [
        "L",
        "L",
        "TL2",
        "TL1/PSW1",
        "TK",
        "H",
        "ND",
        "L",
    ]  # Sat 8/8: off by the schedule, L like Sundays
    assert [ws.cell(staf, cols[n]).value for n in range(3, 8)] == ["H", "S", "DL", "TK", "H"]

    def fill(row, col) -> str:
        cell = ws.cell(row, col)
        return cell.fill.fgColor.rgb[-6:] if cell.fill.fill_type == "solid" else ""

    assert fill(header_row(ws), cols[1]) == "D9D9D9"  # 1 August is a day off for everyone: grey column
    assert fill(kades, cols[2]) == "D9D9D9"
    assert fill(staf, cols[1]) == "D9D9D9"
    assert fill(kades, cols[3]) == "FFF3CD"  # TL2: yellow
    assert fill(kades, cols[4]) == "FFF3CD"  # TL1/PSW1: yellow
    assert fill(kades, cols[5]) == "F8D7DA"  # TK: red
    assert fill(staf, cols[6]) == "F8D7DA"
    assert fill(kades, cols[6]) == ""  # H: no fill
    assert fill(staf, cols[4]) == ""  # S: no fill
    assert fill(header_row(ws), cols[3]) != "D9D9D9"  # a working day is not shaded

    assert ws.freeze_panes == f"D{header_row(ws) + 1}"
    assert ws.page_setup.orientation == "landscape"
    assert ws.sheet_properties.pageSetUpPr.fitToPage is True
    assert ws.page_setup.fitToWidth == 1


def test_totals_per_perangkat_and_for_the_desa(tenancy, month):
    ws = open_book(recap_workbook(user=tenancy.camat, month=AUGUST))["Pucuk"]
    cols = columns(ws)

    def totals(row: int) -> dict:
        return {label: ws.cell(row, cols[label]).value for label in TOTALS_HEADER}

    assert totals(row_of(ws, "Slamet Riyadi")) == {
        "Hari kerja": 5,
        "H": 1,
        "TL (kali)": 2,
        "TL (menit)": 55,
        "PSW (kali)": 1,
        "PSW (menit)": 20,
        "TAM": 0,
        "TAP": 0,
        "I": 0,
        "S": 0,
        "C": 0,
        "DL": 0,
        "TK": 1,
        "ND": 1,
        "% Kehadiran": 75.0,
    }
    staf = totals(row_of(ws, "Budi Santoso"))
    assert (staf["Hari kerja"], staf["H"], staf["S"], staf["DL"], staf["TK"], staf["% Kehadiran"]) == (
        5,
        2,
        1,
        1,
        1,
        60.0,
    )
    jumlah = row_of(ws, "Jumlah")
    assert jumlah == row_of(ws, "Budi Santoso") + 1
    assert totals(jumlah) == {
        "Hari kerja": 10,
        "H": 3,
        "TL (kali)": 2,
        "TL (menit)": 55,
        "PSW (kali)": 1,
        "PSW (menit)": 20,
        "TAM": 0,
        "TAP": 0,
        "I": 0,
        "S": 1,
        "C": 0,
        "DL": 1,
        "TK": 2,
        "ND": 1,
        "% Kehadiran": 66.7,
    }
    assert ws.cell(jumlah, cols["% Kehadiran"]).number_format == "0.0"


def test_rate_without_data_is_a_dash(tenancy):
    status(tenancy.perangkat_b, 3, "ND")
    ws = open_book(recap_workbook(user=tenancy.camat, month=AUGUST, desa=tenancy.desa_b))["Gempolpading"]
    cols = columns(ws)
    assert ws.cell(row_of(ws, "Siti Aminah"), cols["% Kehadiran"]).value == "-"
    assert ws.cell(row_of(ws, "Jumlah"), cols["% Kehadiran"]).value == "-"
    assert ws.cell(row_of(ws, "Jumlah"), cols["ND"]).value == 1


def test_legend_and_signature_block(tenancy, month):
    ws = open_book(recap_workbook(user=tenancy.camat, month=AUGUST))["Pucuk"]
    legend = row_of(ws, next(t for t in texts(ws) if t.startswith("Keterangan:")))
    assert legend > row_of(ws, "Jumlah")
    legend_text = ws.cell(legend, 1).value
    for piece in (
        "TL1 1–30",
        "TL4 >90",
        "PSW pulang sebelum waktunya",
        "TAM",
        "TAP",
        "TK tanpa keterangan",
        "ND tidak ada data mesin",
        "L libur",
        "DL dinas luar",
    ):
        assert piece in legend_text
    below = texts(ws, min_row=legend + 1)  # the signature block only, not the grid (which also has the names)
    assert below[:4] == ["Mengetahui,", "Pucuk, 31/08/2026", "Camat Pucuk", "Kepala Desa Pucuk"]
    assert "Hadi Wijaya" in below
    assert "Slamet Riyadi" in below


def test_signature_without_camat_or_kepala_desa_leaves_a_line(tenancy):
    """Desa B has no perangkat with jabatan Kepala Desa; an inactive camat is not named."""
    tenancy.camat.first_name, tenancy.camat.is_active = "Hadi", False
    tenancy.camat.save()
    ws = open_book(recap_workbook(user=tenancy.kasi_tapem, month=AUGUST, desa=tenancy.desa_b))["Gempolpading"]
    legend = row_of(ws, next(t for t in texts(ws) if t.startswith("Keterangan:")))
    below = texts(ws, min_row=legend + 1)
    assert below == [
        "Mengetahui,",
        "Gempolpading, 31/08/2026",
        "Camat Pucuk",
        "Kepala Desa Gempolpading",
        "(................................)",
        "(................................)",
    ]


def test_kelurahan_is_named_as_such(tenancy):
    tenancy.desa_b.jenis = JenisDesa.KELURAHAN
    tenancy.desa_b.save()
    ws = open_book(recap_workbook(user=tenancy.camat, month=AUGUST, desa=tenancy.desa_b))["Gempolpading"]
    assert ws["A2"].value == "Kelurahan Gempolpading, Kecamatan Pucuk"
    assert "Lurah Gempolpading" in texts(ws)


def test_operator_gets_only_their_desa(tenancy, month):
    wb = open_book(recap_workbook(user=tenancy.operator_a, month=AUGUST))
    assert wb.sheetnames == ["Ringkasan", "Pucuk"]
    everything = all_texts(wb)
    for foreign in ("Gempolpading", "Siti Aminah", "Sukodadi", "Joko Susilo"):
        assert foreign not in everything
    ws = wb["Pucuk"]
    assert ws.cell(row_of(ws, "Slamet Riyadi"), columns(ws)[3]).value == "TL2"


def test_outsider_sees_only_the_other_kecamatan(tenancy, month):
    wb = open_book(recap_workbook(user=tenancy.outsider, month=AUGUST))
    assert wb.sheetnames == ["Ringkasan", "Sukodadi"]
    ws = wb["Sukodadi"]
    assert ws.cell(row_of(ws, "Joko Susilo"), columns(ws)[3]).value == "TK"
    assert "Pucuk" not in " ".join(all_texts(wb))


def test_one_desa_workbook_and_out_of_scope_desa(tenancy, month):
    wb = open_book(recap_workbook(user=tenancy.camat, month=AUGUST, desa=tenancy.desa_b))
    assert wb.sheetnames == ["Gempolpading"]
    with pytest.raises(Http404):
        recap_workbook(user=tenancy.operator_a, month=AUGUST, desa=tenancy.desa_b)
    with pytest.raises(Http404):
        recap_workbook(user=tenancy.camat, month=AUGUST, desa=tenancy.other_desa)


def test_sheet_titles_are_short_valid_and_unique(tenancy):
    DesaFactory(kecamatan=tenancy.kecamatan, kode="35.24.13.2003", nama="pucuk")
    DesaFactory(kecamatan=tenancy.kecamatan, kode="35.24.13.2004", nama="Sumber/Rejo Kidul Wetan Kali Lor Sekali")
    DesaFactory(kecamatan=tenancy.kecamatan, kode="35.24.13.2005", nama="Ringkasan")
    wb = open_book(recap_workbook(user=tenancy.camat, month=AUGUST))
    assert wb.sheetnames == [
        "Ringkasan",
        "Pucuk",
        "Gempolpading",
        "pucuk (2)",
        "Sumber-Rejo Kidul Wetan Kali Lo",
        "Ringkasan (2)",
    ]
    assert all(len(name) <= 31 for name in wb.sheetnames)


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_pdf_of_the_operators_own_desa(tenancy, month):
    data = recap_pdf(user=tenancy.operator_a, month=AUGUST, desa=tenancy.desa_a)
    assert data.startswith(b"%PDF")
    assert len(data) > 1000
    reader = PdfReader(io.BytesIO(data))
    box = reader.pages[0].mediabox
    assert float(box.width) > float(box.height)  # A4 landscape
    text = pdf_text(data)
    for piece in (
        "REKAP ABSENSI PERANGKAT DESA",
        "Desa Pucuk, Kecamatan Pucuk",
        "Bulan: Agustus 2026",
        "Slamet Riyadi",
        "Budi Santoso",
        "TL2",
        "Mengetahui",
        "Camat Pucuk",
        "Kepala Desa Pucuk",
        "Hadi Wijaya",
        "31/08/2026",
        "75,0",
        "66,7",
        "tanpa keterangan",
    ):
        assert piece in text, piece
    assert "Siti Aminah" not in text


def test_pdf_refuses_a_desa_out_of_scope(tenancy, month):
    with pytest.raises(Http404):
        recap_pdf(user=tenancy.operator_a, month=AUGUST, desa=tenancy.desa_b)
    with pytest.raises(Http404):
        recap_pdf(user=tenancy.camat, month=AUGUST, desa=tenancy.other_desa)
