"""Excel exports. They take an already-scoped queryset: scoping is never decided here.

Every workbook the portal writes — exports, import templates — leaves through ``workbook_bytes``, the one
writer that makes a cell safe whatever a desa typed: control characters are dropped (openpyxl would refuse the
whole file) and text that a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``, tab or CR first) is
kept as text behind an apostrophe (OWASP's advice for CSV/formula injection)."""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Font

from portal import files, privacy
from portal.validators import clean_text

XLSX_TYPE = files.CONTENT_TYPES[files.KIND_XLSX]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell_text(value: str) -> str:
    value = clean_text(value)
    if value.startswith(FORMULA_STARTS) and value != "-":  # a lone "-" is the exports' own "none"
        return "'" + value
    return value


def safe_value(value):
    """One cell's value as the portal writes it (text made safe; numbers, dates and styled cells kept)."""
    if isinstance(value, str):
        return safe_cell_text(value)
    if isinstance(getattr(value, "value", None), str):  # a WriteOnlyCell carrying a style
        value.value = safe_cell_text(value.value)
    return value


def safe_row(values: list) -> list:
    """Every row with text from the database is appended through this: openpyxl refuses a control character
    the moment it is assigned, so cleaning at save time would be too late."""
    return [safe_value(value) for value in values]


def workbook_bytes(workbook: Workbook) -> bytes:
    """Serialise a workbook — the only way the portal saves one — after a last pass that keeps any formula-like
    text as text, whichever way it was written (a write-only workbook streams its rows, which went through
    ``safe_row`` as they were appended)."""
    if not workbook.write_only:
        for sheet in workbook.worksheets:
            for row in sheet.iter_rows():
                for cell in row:
                    if isinstance(cell.value, str):
                        cell.value = safe_cell_text(cell.value)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def perangkat_workbook(queryset, *, user) -> Workbook:
    """The perangkat sheet, each NIK as ``user`` may see it (``portal.privacy``)."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Perangkat"
    header = [
        "Kode Desa",
        "Desa",
        "Nama",
        "Jabatan",
        "Keterangan Jabatan",
        "NIK",
        "NIPD",
        "Jenis Kelamin",
        "Tanggal Mulai",
        "Tanggal Selesai",
        "Aktif",
    ]
    ws.append(header)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for p in queryset.iterator(chunk_size=2000):
        ws.append(
            safe_row(
                [
                    p.desa.kode,
                    p.desa.nama,
                    p.nama,
                    p.get_jabatan_display(),
                    p.keterangan_jabatan,
                    privacy.nik_shown(user, p),
                    p.nipd,
                    p.jenis_kelamin,
                    p.tanggal_mulai,
                    p.tanggal_selesai,
                    "Ya" if p.aktif else "Tidak",
                ]
            )
        )
    for row in ws.iter_rows(min_row=2, min_col=9, max_col=10):
        for cell in row:
            cell.number_format = "DD/MM/YYYY"
    return wb
