"""Excel exports of the board (every desa, not a page) and of the obligation list. They receive scoped
querysets or call scoped selectors; scoping is never decided here."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font, PatternFill

from monev import rules, selectors
from monev.choices import State
from monev.models import Obligation
from portal.exports import safe_row
from portal.models import Desa
from portal.scoping import restrict

STATE_LABELS = dict(State.choices)
FILLS = {
    State.TERLAMBAT: "F8D7DA",
    State.DIKEMBALIKAN: "FFE5B4",
    State.DIKIRIM: "CFE2FF",
    State.DITERIMA: "D1E7DD",
    State.DISPENSASI: "E2D9F3",
    State.TIDAK_BERLAKU: "E9ECEF",
    State.BELUM: "FFFFFF",
}


def _local(moment: dt.datetime | None) -> dt.datetime | None:
    """Excel has no time zones: write the wall-clock time of the portal's zone (Asia/Jakarta)."""
    return timezone.localtime(moment).replace(tzinfo=None) if moment else None


def _bold_header(ws, header: list[str]) -> None:
    ws.append(header)
    for cell in ws[1]:
        cell.font = Font(bold=True)


def matrix_workbook(*, user, year: int, today: dt.date, document_type: str | None, kecamatan: str | None) -> Workbook:
    """Every desa in scope (not a page). Write-only mode streams rows: the province has 7,720."""
    types = selectors.document_types(code=document_type)
    desa_qs = restrict(Desa.objects.select_related("kecamatan").order_by("kode"), user)
    if kecamatan:
        desa_qs = desa_qs.filter(kecamatan__kode=kecamatan)
    cells: dict[tuple[int, int], list[Obligation]] = defaultdict(list)
    obligations = selectors.obligation_list(user=user).filter(year=year, document_type__in=types, desa__in=desa_qs)
    for o in obligations.order_by("due_date").iterator(chunk_size=5000):
        cells[(o.desa_id, o.document_type_id)].append(o)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(f"Matriks {year}")
    ws.append(
        safe_row(_bold(["Kode Desa", "Desa", "Kecamatan", *[t.code for t in types], "Skor ketepatan waktu (%)"], ws))
    )
    fills = {state: PatternFill("solid", fgColor=color) for state, color in FILLS.items()}
    for desa in desa_qs.iterator(chunk_size=2000):
        row, score_rows = [desa.kode, desa.nama, desa.kecamatan.nama], []
        for t in types:
            items = cells.get((desa.id, t.id), [])
            state, days = selectors.Cell(items).worst(today)
            cell = WriteOnlyCell(ws, value=_cell_text(state, days))
            if state in fills:
                cell.fill = fills[state]
            row.append(cell)
            for o in items:
                score_rows.append(rules.score_row(o.state, o.due_date, o.on_time, o.basis_submitted_at))
        score = rules.timeliness_score(score_rows, today)
        row.append(None if score is None else round(score * 100, 1))
        ws.append(safe_row(row))
    return wb


def _bold(values: list[str], ws) -> list[WriteOnlyCell]:
    cells = []
    for value in values:
        cell = WriteOnlyCell(ws, value=value)
        cell.font = Font(bold=True)
        cells.append(cell)
    return cells


def _cell_text(state: str, days: int | None) -> str:
    text = str(STATE_LABELS.get(state, "–"))
    if days is not None and state in (State.BELUM, State.TERLAMBAT, State.DISPENSASI):
        if days > 0:
            text += f" (H-{days})"
        elif days == 0:
            text += " (hari ini)"
        else:
            text += f" (lewat {-days} hari)"
    return text


def list_workbook(queryset, *, today: dt.date) -> Workbook:
    wb = Workbook()
    ws = wb.active
    ws.title = "Kewajiban"
    _bold_header(
        ws,
        [
            "Kode Desa",
            "Desa",
            "Kode Jenis",
            "Jenis Dokumen",
            "Tahun",
            "Periode",
            "Tenggat",
            "Tenggat Menurut Aturan",
            "Status",
            "Pertama Dikirim",
            "Diterima",
            "Tepat Waktu",
            "Hari Terlambat",
        ],
    )
    for o in queryset.order_by("desa__kode", "document_type__sort_order", "period").iterator(chunk_size=5000):
        state = rules.display_state(o.state, o.due_date, today)
        ws.append(
            safe_row(
                [
                    o.desa.kode,
                    o.desa.nama,
                    o.document_type.code,
                    o.document_type.name,
                    o.year,
                    o.period_label,
                    o.due_date,
                    o.legal_due_date,
                    str(STATE_LABELS[state]),
                    _local(o.first_submitted_at),
                    _local(o.accepted_at),
                    {True: "Ya", False: "Tidak"}.get(o.on_time, ""),
                    o.days_late,
                ]
            )
        )
    for row in ws.iter_rows(min_row=2, min_col=7, max_col=8):
        for cell in row:
            cell.number_format = "DD/MM/YYYY"
    for row in ws.iter_rows(min_row=2, min_col=10, max_col=11):
        for cell in row:
            cell.number_format = "DD/MM/YYYY HH:MM"
    return wb
