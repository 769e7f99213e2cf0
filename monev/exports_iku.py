"""The indicator table as the LKjIP / LPPD annex lays it out (No, Sasaran/Indikator Kinerja, Satuan, Target,
Realisasi, Capaian %, Keterangan): Excel through ``portal.exports`` and PDF through ``portal.letters``. Both take
a dashboard already built from scoped selectors."""

from __future__ import annotations

from django.utils import translation
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from monev.selectors_iku import Dashboard, IndicatorRow, number
from portal.exports import safe_row, workbook_bytes
from portal.letters import Letter, letter_pdf

HEADER = ["No", "Sasaran / Indikator Kinerja", "Satuan", "Target", "Realisasi", "Capaian %", "Keterangan"]
ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}


def period_text(board: Dashboard) -> str:
    return f"Triwulan {ROMAN[board.quarter]} {board.year}" if board.quarter else f"Tahun {board.year}"


def table_rows(board: Dashboard) -> list[list]:
    """Rows of the annex: a sasaran line whenever the sasaran changes, then its indicators."""
    rows, goal = [], None
    for row in board.rows:
        indicator = row.indicator
        if indicator.goal and indicator.goal != goal:
            goal = indicator.goal
            rows.append(["", f"Sasaran: {goal}", "", "", "", "", ""])
        rows.append(_line(row))
    return rows


def _line(row: IndicatorRow) -> list:
    indicator = row.indicator
    return [
        row.number,
        indicator.name,
        indicator.get_unit_display(),
        number(row.target),
        number(row.value),
        number(row.achievement),
        row.note,
    ]


def annex_xlsx(board: Dashboard) -> bytes:
    with translation.override("id"):  # an annex to an official report: Bahasa Indonesia whatever the UI
        rows = table_rows(board)
    wb = Workbook()
    ws = wb.active
    ws.title = "Capaian IKU"
    kecamatan = board.kecamatan.nama if board.kecamatan else ""
    ws.append(safe_row([f"Capaian Indikator Kinerja Kecamatan {kecamatan} — {period_text(board)}"]))
    ws["A1"].font = Font(bold=True, size=12)
    ws.append([])
    ws.append(HEADER)
    for cell in ws[3]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for values in rows:
        ws.append(safe_row(values))
    for column, width in zip("ABCDEFG", (5, 60, 10, 10, 10, 11, 30), strict=True):
        ws.column_dimensions[column].width = width
    return workbook_bytes(wb)


def annex_pdf(board: Dashboard) -> bytes:
    with translation.override("id"):
        rows = table_rows(board)
    letter = Letter(
        template_name="monev/iku/annex_pdf.html",
        kecamatan=board.kecamatan,
        context={"header": HEADER, "rows": rows, "period": period_text(board)},
    )
    return letter_pdf(letter)
