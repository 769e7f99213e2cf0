"""The monthly *rekap absensi* as an Excel workbook (one sheet per desa, with a ranking summary first) and as
a PDF of one desa (A4 landscape), both with the grid of codes, the totals, the legend and the signature block.

Everything read here comes from the scoped selectors of ``attendance.recap`` (``desa_month``, ``desa_grid``);
scoping is never decided here. The only other reads are the names for the signature block: the Camat of the
desa's kecamatan (``portal.letters.camat_name``, as in the teguran letters) and the Kepala Desa among the
grid's perangkat."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.http import Http404
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.formats import number_format
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from attendance.recap import Grid, Totals, desa_grid, desa_month, month_bounds, policy_text
from portal.calendar import MONTHS_ID
from portal.choices import Jabatan, JenisDesa
from portal.exports import safe_value, workbook_bytes
from portal.letters import camat_name
from portal.models import Desa, SecurityEvent
from portal.scoping import in_scope
from portal.security import security_event_record
from portal.validators import clean_text

TITLE = "REKAP ABSENSI PERANGKAT DESA"
FIXED_HEADER = ["No", "Nama", "Jabatan"]
TOTALS_HEADER = [
    "Hari kerja",
    "H",
    "TL (kali)",
    "TL (menit)",
    "PSW (kali)",
    "PSW (menit)",
    "TAM",
    "TAP",
    "I",
    "S",
    "C",
    "DL",
    "TK",
    "ND",
    "% Kehadiran",
]
SUMMARY_HEADER = [
    "Peringkat",
    "Kode Desa",
    "Desa",
    "Hari kerja",
    "H",
    "TL (kali)",
    "TL (menit)",
    "PSW (kali)",
    "TK",
    "ND",
    "% Kehadiran",
]
LEGEND = (
    "Keterangan: H hadir tepat waktu; TL terlambat (TL1 1–30 mnt, TL2 31–60 mnt, TL3 61–90 mnt, TL4 >90 mnt); "
    "PSW pulang sebelum waktunya (PSW1–PSW4, menit seperti TL); TAM tidak absen masuk; TAP tidak absen pulang; "
    "I izin; S sakit; C cuti; DL dinas luar; TK tanpa keterangan; ND tidak ada data mesin; L libur. "
    "* dikoreksi: jam masuk atau pulang hari itu dari koreksi absen yang disetujui. "
    "% Kehadiran = hari hadir (H, TL, PSW, TAM, TAP, DL) / (hari kerja − ND)."
)
CORRECTED_MARK = "*"
# The totals columns of the PDF: labels shortened where a word would not fit its column, and widths in mm
# (strings: a localized "6,5" would break the CSS). With No, Nama and Jabatan they leave ~144 of the 277 mm
# for 31 day columns.
PDF_TOTALS_HEADER = [
    ("Hari kerja", "6.5mm"),
    ("H", "4mm"),
    ("TL (kali)", "6mm"),
    ("TL (mnt)", "6mm"),
    ("PSW (kali)", "6mm"),
    ("PSW (mnt)", "6mm"),
    ("TAM", "5mm"),
    ("TAP", "5mm"),
    ("I", "3.5mm"),
    ("S", "3.5mm"),
    ("C", "3.5mm"),
    ("DL", "4mm"),
    ("TK", "4mm"),
    ("ND", "4mm"),
    ("% Kehadiran", "10mm"),
]
BLANK_NAME = "(................................)"

# Fills (the same light colours as the monev board).
OFF_COLOR, TK_COLOR, TL_COLOR, HEAD_COLOR = "D9D9D9", "F8D7DA", "FFF3CD", "E9ECEF"
THIN = Side(style="thin", color="999999")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
SHEET_TITLE_MAX = 31
SHEET_TITLE_FORBIDDEN = re.compile(r"[\\/*?:\[\]]")


def month_label(month: dt.date) -> str:
    return f"{MONTHS_ID[month.month - 1]} {month.year}"


def rate_text(rate: float | None) -> str:
    """% kehadiran with one decimal in the active locale ("87,5" in Indonesian), "-" without data."""
    return "-" if rate is None else number_format(rate, 1)


def totals_values(totals: Totals) -> list:
    """The totals columns in ``TOTALS_HEADER`` order; the rate as a number (or "-")."""
    return [
        totals.hari_kerja,
        totals.h,
        totals.tl,
        totals.tl_minutes,
        totals.psw,
        totals.psw_minutes,
        totals.tam,
        totals.tap,
        totals.i,
        totals.s,
        totals.c,
        totals.dl,
        totals.tk,
        totals.nd,
        "-" if totals.rate is None else totals.rate,
    ]


def cell_kind(text: str) -> str:
    """Which light fill a day cell gets: TK red-ish, any TL yellow-ish (a corrected cell's mark aside)."""
    text = text.rstrip(CORRECTED_MARK)
    if text == "TK":
        return "tk"
    if "TL" in text:
        return "tl"
    return ""


# The page model shared by the workbook and the PDF ------------------------------------------------------------


@dataclass
class RecapRow:
    no: int
    nama: str
    jabatan: str
    cells: list[str]
    totals: Totals


@dataclass
class Signature:
    place_date: str  # "<Desa>, dd/mm/yyyy"
    camat_title: str
    camat_name: str
    kades_title: str
    kades_name: str


@dataclass
class Recap:
    desa: Desa
    month: dt.date
    days: list[dt.date]
    day_off: list[bool]
    rows: list[RecapRow]
    totals: Totals
    signature: Signature
    subtitle: str = ""
    period: str = ""
    policy_text: str = ""  # the kecamatan's missing-punch policy, printed with the legend


def _jabatan(perangkat) -> str:
    label = str(perangkat.get_jabatan_display())
    return f"{label} ({perangkat.keterangan_jabatan})" if perangkat.keterangan_jabatan else label


def build_recap(grid: Grid, month: dt.date, camat_names: dict[int, str] | None = None) -> Recap:
    """Turn a ``desa_grid`` into the rows of the printed rekap: perangkat in the SOTK order (Kepala Desa,
    Sekretaris, Kaur, Kasi, Kepala Dusun, Staf), then by name."""
    desa = grid.desa
    kecamatan = desa.kecamatan
    order = {value: position for position, value in enumerate(Jabatan.values)}
    grid_rows = sorted(grid.rows, key=lambda r: (order.get(r.perangkat.jabatan, len(order)), r.perangkat.nama))
    # Names as typed long ago may hold control characters (input is cleaned at the door only since then): the
    # printed rekap shows them cleaned, in the PDF as in the workbook.
    rows = [
        RecapRow(
            no, clean_text(r.perangkat.nama), clean_text(_jabatan(r.perangkat)), _marked(r.cells, r.corrected), r.totals
        )
        for no, r in enumerate(grid_rows, start=1)
    ]
    kades = sorted(
        (r.perangkat for r in grid.rows if r.perangkat.jabatan == Jabatan.KEPALA_DESA),
        key=lambda p: (not p.aktif, p.tanggal_selesai is not None, p.nama),
    )
    if camat_names is not None and kecamatan.pk in camat_names:
        camat = camat_names[kecamatan.pk]
    else:
        camat = camat_name(kecamatan)
        if camat_names is not None:
            camat_names[kecamatan.pk] = camat
    last = month_bounds(month)[1]
    kelurahan = desa.jenis == JenisDesa.KELURAHAN
    signature = Signature(
        place_date=f"{desa.nama}, {last:%d/%m/%Y}",
        camat_title=f"Camat {kecamatan.nama}",
        camat_name=clean_text(camat),
        kades_title=f"{'Lurah' if kelurahan else 'Kepala Desa'} {desa.nama}",
        kades_name=clean_text(kades[0].nama) if kades else "",
    )
    with translation.override("id"):  # the printed rekap is in Bahasa Indonesia whatever the UI language
        policy = policy_text(grid.policy)
    return Recap(
        desa=desa,
        month=month,
        days=grid.days,
        day_off=grid.day_off,
        rows=rows,
        totals=grid.totals,
        signature=signature,
        subtitle=f"{desa.get_jenis_display()} {desa.nama}, Kecamatan {kecamatan.nama}",
        period=f"Bulan: {month_label(month)}",
        policy_text=f"Kebijakan kecamatan — {policy}",
    )


def _marked(cells: list[str], corrected: list[bool]) -> list[str]:
    """A day made by an approved koreksi absen carries an asterisk ("H*"), explained in the legend."""
    return [f"{text}{CORRECTED_MARK}" if fixed and text else text for text, fixed in zip(cells, corrected, strict=True)]


# Excel ----------------------------------------------------------------------------------------------------------


def _sheet_title(name: str, used: set[str]) -> str:
    """A valid, unique (case-insensitively, as Excel compares them) sheet title of at most 31 characters."""
    base = SHEET_TITLE_FORBIDDEN.sub("-", clean_text(name)).strip().strip("'") or "Desa"
    title = base[:SHEET_TITLE_MAX]
    n = 2
    while title.lower() in used:
        suffix = f" ({n})"
        title = base[: SHEET_TITLE_MAX - len(suffix)] + suffix
        n += 1
    used.add(title.lower())
    return title


def _fill(color: str) -> PatternFill:
    return PatternFill("solid", fgColor=color)


def _page_setup(ws: Worksheet, header_row: int) -> None:
    ws.page_setup.orientation = ws.ORIENTATION_LANDSCAPE
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0  # as many pages down as needed
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.5
    ws.print_title_rows = f"{header_row}:{header_row}"
    ws.print_options.horizontalCentered = True


def _title_block(ws: Worksheet, lines: list[str], width: int) -> None:
    for row, text in enumerate(lines, start=1):
        cell = ws.cell(row=row, column=1, value=safe_value(text))
        cell.font = Font(bold=True, size=13 if row == 1 else 11)
        cell.alignment = Alignment(horizontal="center")
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width)


def _write_desa_sheet(ws: Worksheet, recap: Recap) -> None:
    n_days = len(recap.days)
    first_day_col = len(FIXED_HEADER) + 1
    first_total_col = first_day_col + n_days
    width = first_total_col + len(TOTALS_HEADER) - 1
    _title_block(ws, [TITLE, recap.subtitle, recap.period], width)

    header_row = 5
    header = [*FIXED_HEADER, *(d.day for d in recap.days), *TOTALS_HEADER]
    off_fill, tk_fill, tl_fill, head_fill = _fill(OFF_COLOR), _fill(TK_COLOR), _fill(TL_COLOR), _fill(HEAD_COLOR)
    center = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for col, value in enumerate(header, start=1):
        cell = ws.cell(row=header_row, column=col, value=safe_value(value))
        cell.font = Font(bold=True, size=9)
        cell.alignment = center
        cell.border = BORDER
        day_index = col - first_day_col
        cell.fill = off_fill if 0 <= day_index < n_days and recap.day_off[day_index] else head_fill
    ws.row_dimensions[header_row].height = 30

    day_widths = [3.5] * n_days
    row_no = header_row
    for r in recap.rows:
        row_no += 1
        ws.cell(row=row_no, column=1, value=safe_value(r.no))
        ws.cell(row=row_no, column=2, value=safe_value(r.nama))
        ws.cell(row=row_no, column=3, value=safe_value(r.jabatan))
        for i, text in enumerate(r.cells):
            cell = ws.cell(row=row_no, column=first_day_col + i, value=safe_value(text or None))
            kind = cell_kind(text)
            if recap.day_off[i]:
                cell.fill = off_fill
            elif kind == "tk":
                cell.fill = tk_fill
            elif kind == "tl":
                cell.fill = tl_fill
            day_widths[i] = max(day_widths[i], len(text) * 0.95 + 1)
        for j, value in enumerate(totals_values(r.totals)):
            ws.cell(row=row_no, column=first_total_col + j, value=safe_value(value))

    row_no += 1
    totals_row = row_no
    ws.cell(row=totals_row, column=1, value=safe_value("Jumlah"))
    ws.merge_cells(start_row=totals_row, start_column=1, end_row=totals_row, end_column=len(FIXED_HEADER))
    for i in range(n_days):
        if recap.day_off[i]:
            ws.cell(row=totals_row, column=first_day_col + i).fill = off_fill
    for j, value in enumerate(totals_values(recap.totals)):
        ws.cell(row=totals_row, column=first_total_col + j, value=safe_value(value))

    small = Font(size=9)
    bold_small = Font(size=9, bold=True)
    for row in ws.iter_rows(min_row=header_row + 1, max_row=totals_row, min_col=1, max_col=width):
        for cell in row:
            cell.border = BORDER
            cell.font = bold_small if cell.row == totals_row else small
            if cell.column == 2 or cell.column == 3:
                cell.alignment = Alignment(vertical="center")
            else:
                cell.alignment = Alignment(horizontal="center", vertical="center")
    rate_col = width
    for row in ws.iter_rows(min_row=header_row + 1, max_row=totals_row, min_col=rate_col, max_col=rate_col):
        row[0].number_format = "0.0"

    legend_row = totals_row + 2
    legend = ws.cell(row=legend_row, column=1, value=safe_value(f"{LEGEND} {recap.policy_text}"))
    legend.font = Font(size=8, italic=True)
    legend.alignment = Alignment(wrap_text=True, vertical="top")
    ws.merge_cells(start_row=legend_row, start_column=1, end_row=legend_row, end_column=width)
    ws.row_dimensions[legend_row].height = 54

    _signature_block(ws, recap.signature, legend_row + 2, right_col=max(first_total_col, width - 6))

    ws.column_dimensions["A"].width = 5
    ws.column_dimensions["B"].width = min(40, max([24, *(len(r.nama) + 2 for r in recap.rows)]))
    ws.column_dimensions["C"].width = min(36, max([18, *(len(r.jabatan) + 2 for r in recap.rows)]))
    for i, w in enumerate(day_widths):
        ws.column_dimensions[get_column_letter(first_day_col + i)].width = round(w, 1)
    for j, label in enumerate(TOTALS_HEADER):
        ws.column_dimensions[get_column_letter(first_total_col + j)].width = 9 if len(label) > 3 else 5
    ws.freeze_panes = ws.cell(row=header_row + 1, column=first_day_col).coordinate
    _page_setup(ws, header_row)


def _signature_block(ws: Worksheet, sig: Signature, start: int, *, right_col: int) -> None:
    left = ["Mengetahui,", sig.camat_title, "", "", "", sig.camat_name or BLANK_NAME]
    right = [sig.place_date, sig.kades_title, "", "", "", sig.kades_name or BLANK_NAME]
    for offset, (l_text, r_text) in enumerate(zip(left, right, strict=True)):
        row = start + offset
        name_line = offset == len(left) - 1
        for col, text in ((2, l_text), (right_col, r_text)):
            if text:
                cell = ws.cell(row=row, column=col, value=safe_value(text))
                cell.font = Font(bold=True, underline="single") if name_line and not text.startswith("(") else Font()


def _write_summary_sheet(ws: Worksheet, rows, month: dt.date, subtitle: str) -> None:
    width = len(SUMMARY_HEADER)
    _title_block(ws, [f"RINGKASAN {TITLE}", subtitle, f"Bulan: {month_label(month)}"], width)
    header_row = 5
    for col, label in enumerate(SUMMARY_HEADER, start=1):
        cell = ws.cell(row=header_row, column=col, value=safe_value(label))
        cell.font = Font(bold=True)
        cell.fill = _fill(HEAD_COLOR)
        cell.border = BORDER
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for offset, r in enumerate(rows, start=1):
        t = r.totals
        values = [
            r.rank,
            r.desa.kode,
            r.desa.nama,
            t.hari_kerja,
            t.h,
            t.tl,
            t.tl_minutes,
            t.psw,
            t.tk,
            t.nd,
            "-" if t.rate is None else t.rate,
        ]
        for col, value in enumerate(values, start=1):
            cell = ws.cell(row=header_row + offset, column=col, value=safe_value(value))
            cell.border = BORDER
            if col == width:
                cell.number_format = "0.0"
                cell.alignment = Alignment(horizontal="right")
    for col, w in enumerate([10, 16, 28, 11, 8, 10, 11, 11, 8, 8, 12], start=1):
        ws.column_dimensions[get_column_letter(col)].width = w
    ws.freeze_panes = ws.cell(row=header_row + 1, column=1).coordinate
    _page_setup(ws, header_row)


def _summary_subtitle(rows) -> str:
    kecamatan = {r.desa.kecamatan.pk: r.desa.kecamatan for r in rows}
    if not kecamatan:
        return "Tidak ada desa dalam cakupan Anda"
    if len(kecamatan) == 1:
        return f"Kecamatan {next(iter(kecamatan.values())).nama}"
    return f"{len(rows)} desa di {len(kecamatan)} kecamatan"


def recap_workbook(*, user, month: dt.date, desa: Desa | None = None) -> bytes:
    """xlsx bytes. One sheet per desa in the user's scope (or only ``desa``), in the usual *rekap absensi*
    layout; without ``desa`` a "Ringkasan" sheet (the ranking of ``desa_month``) comes first."""
    month = month.replace(day=1)
    wb = Workbook()
    used: set[str] = set()
    camat_names: dict[int, str] = {}
    if desa is None:
        ranking = desa_month(user=user, month=month)  # scoped: only desa in the user's scope
        summary = wb.active
        summary.title = _sheet_title("Ringkasan", used)
        _write_summary_sheet(summary, ranking, month, _summary_subtitle(ranking))
        sheets = sorted((r.desa for r in ranking), key=lambda d: d.kode)
    else:
        if not in_scope(desa, user):
            raise Http404
        wb.remove(wb.active)
        sheets = [desa]
    # One grid (two queries) per desa: fine for a kecamatan's 17 desa; a kabupaten-wide export (hundreds of
    # desa) makes one grid query per desa and would want a single query grouped by desa instead.
    for d in sheets:
        grid = desa_grid(user=user, desa=d, month=month)
        recap = build_recap(grid, month, camat_names)
        _write_desa_sheet(wb.create_sheet(_sheet_title(d.nama, used)), recap)
    return workbook_bytes(wb)


def recap_export_record(*, request, file_format: str, month: dt.date, desa: Desa | None) -> None:
    """The recap names every perangkat with their attendance: personal data leaving the portal, so each export
    (web or API, Excel or PDF) is a security event. ``request`` is Django's HttpRequest (for the address)."""
    security_event_record(
        kind=SecurityEvent.Kind.EXPORT_PERSONAL,
        user=request.user,
        actor=request.user,
        request=request,
        export="rekap_absensi",
        format=file_format,
        month=f"{month:%Y-%m}",
        desa=desa.kode if desa else "",
    )


# PDF ------------------------------------------------------------------------------------------------------------


def recap_pdf(*, user, month: dt.date, desa: Desa) -> bytes:
    """PDF bytes (A4 landscape) of one desa's month: the same grid, totals, legend and signature block."""
    from weasyprint import HTML

    if not in_scope(desa, user):
        raise Http404
    month = month.replace(day=1)
    recap = build_recap(desa_grid(user=user, desa=desa, month=month), month)
    classes = {"tk": "tk", "tl": "tl"}
    rows = [
        {
            "no": r.no,
            "nama": r.nama,
            "jabatan": r.jabatan,
            # A zero-width space after "/" lets "TL2/PSW1" break inside a narrow day column.
            "cells": [
                (text.replace("/", "/\u200b"), "off" if off else classes.get(cell_kind(text), ""))
                for text, off in zip(r.cells, recap.day_off, strict=True)
            ],
            "totals": _pdf_totals(r.totals),
        }
        for r in recap.rows
    ]
    html = render_to_string(
        "attendance/exports/recap_pdf.html",
        {
            "title": TITLE,
            "recap": recap,
            "rows": rows,
            "days": [(d.day, off) for d, off in zip(recap.days, recap.day_off, strict=True)],
            "totals_header": PDF_TOTALS_HEADER,
            "totals": _pdf_totals(recap.totals),
            "legend": LEGEND,
            "signature": recap.signature,
            "blank_name": BLANK_NAME,
        },
    )
    return HTML(string=html).write_pdf()


def _pdf_totals(totals: Totals) -> list:
    values = totals_values(totals)
    values[-1] = rate_text(totals.rate)
    return values
