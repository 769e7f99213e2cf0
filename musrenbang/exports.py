"""Musrenbang exports: the consolidated usulan list as an Excel workbook in a layout ready to key into the
kabupaten's planning system (like SIPD's usulan list), with recaps per desa and per bidang; and the *berita
acara* summary of a cycle's Musrenbang Kecamatan as a PDF.

Everything read here comes through the scoped selectors of ``musrenbang.selectors`` (or ``restrict``);
scoping is never decided here. The only other read is the Camat's name for the signature block
(``portal.letters.camat_name``, as for every letter); the letterhead is the letters' one too."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from itertools import groupby

from django.template.loader import render_to_string
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from musrenbang import rules, selectors
from musrenbang.choices import Bidang, MeetingKind, ParticipantGroup, ProposalStatus
from musrenbang.models import Proposal
from portal.exports import safe_value, workbook_bytes
from portal.letters import camat_name
from portal.models import Desa, Kecamatan
from portal.scoping import restrict

MONEY_FORMAT = "#,##0"  # Excel shows the grouping of the reader's locale (1.234.567 in Indonesian)
PERCENT_FORMAT = "0.0"
HEAD_FILL = PatternFill("solid", fgColor="E9ECEF")
THIN = Side(style="thin", color="999999")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
BLANK_NAME = "(................................)"

USULAN_COLUMNS = [
    ("No", 5),
    ("Kode desa", 15),
    ("Desa", 18),
    ("Bidang", 30),
    ("Sub bidang", 22),
    ("Kegiatan", 40),
    ("Lokasi", 18),
    ("Volume", 9),
    ("Satuan", 9),
    ("Perkiraan biaya (Rp)", 16),
    ("Sumber dana", 18),
    ("Sasaran", 22),
    ("Prioritas desa", 9),
    ("Prioritas kecamatan", 11),
    ("Skor", 7),
    ("Status", 20),
    ("Program/OPD", 24),
    ("Pagu ditampung (Rp)", 16),
    ("Alasan", 30),
    ("Lanjutan dari tahun", 10),
]
USULAN_MONEY = ("Perkiraan biaya (Rp)", "Pagu ditampung (Rp)")
REKAP_TOTALS = [
    ("Jumlah usulan", 10),
    ("Total perkiraan biaya (Rp)", 18),
    ("Usulan diakomodasi", 12),
    ("Pagu diakomodasi (Rp)", 18),
    ("Sudah diputus", 10),
    ("Tercover usulan (%)", 11),
    ("Tercover dana (%)", 11),
]
# Status groups of the usulan sheet without a kecamatan ranking: the rest, by desa and desa priority.
UNRANKED = (ProposalStatus.DIUSULKAN,)


# Formatting for people ----------------------------------------------------------------------------------------


def _grouped(number: int) -> str:
    return f"{number:,}".replace(",", ".")


def rupiah(value) -> str:
    """1234567 -> "Rp 1.234.567"; None -> "-"."""
    if value is None:
        return "-"
    amount = Decimal(value).quantize(Decimal(1))
    sign = "-" if amount < 0 else ""
    return f"{sign}Rp {_grouped(abs(int(amount)))}"


def number_id(value, places: int = 2) -> str:
    """Indonesian number: 1250 -> "1.250", Decimal("12.50") -> "12,5"; None -> "-"."""
    if value is None:
        return "-"
    amount = Decimal(value).quantize(Decimal(1).scaleb(-places))
    whole = int(abs(amount))
    fraction = f"{abs(amount) - whole:.{places}f}"[2:].rstrip("0")
    sign = "-" if amount < 0 else ""
    return f"{sign}{_grouped(whole)}{',' + fraction if fraction else ''}"


def date_id(value: dt.date | None) -> str:
    return f"{value:%d/%m/%Y}" if value else "-"


def bidang_text(code: str) -> str:
    return f"{code}. {Bidang(code).label}" if code in Bidang.values else code


def _excel_number(value):
    """Decimal -> int when whole, else float (Excel has no decimals); None stays empty."""
    if value is None:
        return None
    value = Decimal(value)
    return int(value) if value == value.to_integral_value() else float(value)


# Ordering ------------------------------------------------------------------------------------------------------


def ordered_proposals(
    *, user, year: int, desa: str | None = None, bidang: str | None = None, status: str | None = None
) -> list[Proposal]:
    """The scoped, filtered proposals of a cycle: first those that reached the kecamatan forum, per kecamatan
    in its ranking order (score, then the kecamatan's tie-breakers: the same order as ``selectors.ranking``),
    then those still only proposed, by desa code and desa priority."""
    qs = selectors.proposals(user=user, year=year, desa=desa, bidang=bidang, status=status)
    items = list(qs.select_related("desa__kecamatan"))
    ranked_part = sorted((p for p in items if p.status not in UNRANKED), key=lambda p: p.desa.kecamatan.kode)
    result: list[Proposal] = []
    for _kode, group in groupby(ranked_part, key=lambda p: p.desa.kecamatan.kode):
        group = list(group)
        result.extend(rules.ranked(group, selectors.tie_breakers_for(group[0].desa.kecamatan)))
    rest = [p for p in items if p.status in UNRANKED]
    result.extend(sorted(rest, key=lambda p: (p.desa.kode, p.desa_rank, p.pk)))
    return result


def _totals_of(proposals: list[Proposal]) -> selectors.Totals:
    """The figures of ``selectors.totals`` (same definitions) for an already filtered list."""
    t = selectors.Totals()
    for p in proposals:
        t.count += 1
        t.cost += p.estimated_cost
        if p.status == ProposalStatus.DIAKOMODASI:
            t.accommodated += 1
            t.accommodated_cost += p.accommodated_cost or 0
        if p.status in rules.FINAL:
            t.decided += 1
    return t


# Workbook ------------------------------------------------------------------------------------------------------


def _header(ws: Worksheet, columns: list[tuple[str, int]]) -> None:
    for col, (label, width) in enumerate(columns, start=1):
        cell = ws.cell(row=1, column=col, value=label)
        cell.font = Font(bold=True)
        cell.fill = HEAD_FILL
        cell.border = BORDER
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        ws.column_dimensions[get_column_letter(col)].width = width
    ws.row_dimensions[1].height = 32
    ws.freeze_panes = "A2"


def _write_row(
    ws: Worksheet,
    row: int,
    values: list,
    money_cols: set[int],
    percent_cols: set[int] = frozenset(),
    bold: bool = False,
) -> None:
    for col, value in enumerate(values, start=1):
        cell = ws.cell(row=row, column=col, value=safe_value(value))
        cell.border = BORDER
        cell.alignment = Alignment(vertical="top", wrap_text=isinstance(value, str) and len(value) > 30)
        if bold:
            cell.font = Font(bold=True)
        if col in money_cols:
            cell.number_format = MONEY_FORMAT
        elif col in percent_cols and isinstance(value, int | float):
            cell.number_format = PERCENT_FORMAT


def _percent(value: float | None):
    return "-" if value is None else value


def _totals_values(t: selectors.Totals) -> list:
    return [
        t.count,
        int(t.cost),
        t.accommodated,
        int(t.accommodated_cost),
        t.decided,
        _percent(t.share),
        _percent(t.money_share),
    ]


def _write_usulan(ws: Worksheet, proposals: list[Proposal]) -> None:
    _header(ws, USULAN_COLUMNS)
    labels = [label for label, _w in USULAN_COLUMNS]
    money = {labels.index(label) + 1 for label in USULAN_MONEY}
    for no, p in enumerate(proposals, start=1):
        values = [
            no,
            p.desa.kode,
            p.desa.nama,
            bidang_text(p.bidang),
            p.sub_bidang,
            p.activity,
            p.location,
            _excel_number(p.volume),
            p.unit,
            int(p.estimated_cost),
            str(p.get_fund_source_display()),
            p.beneficiaries,
            p.desa_rank,
            p.kecamatan_priority,
            _excel_number(p.score),
            str(p.get_status_display()),
            p.program,
            _excel_number(p.accommodated_cost),
            p.outcome_reason,
            p.carried_from.year if p.carried_from_id else None,
        ]
        _write_row(ws, no + 1, values, money)
    if proposals:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(USULAN_COLUMNS))}{len(proposals) + 1}"
    ws.page_setup.orientation = ws.ORIENTATION_LANDSCAPE
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.print_title_rows = "1:1"


def _write_rekap(ws: Worksheet, lead: list[tuple[str, int]], rows: list[tuple[list, selectors.Totals]]) -> None:
    """Lead columns (who), then the totals columns, then a "Jumlah" row over all rows."""
    _header(ws, [*lead, *REKAP_TOTALS])
    first = len(lead) + 1
    money = {first + 1, first + 3}
    percent = {first + 5, first + 6}
    overall = selectors.Totals()
    for offset, (who, t) in enumerate(rows, start=2):
        _write_row(ws, offset, [*who, *_totals_values(t)], money, percent)
        overall.count += t.count
        overall.cost += t.cost
        overall.accommodated += t.accommodated
        overall.accommodated_cost += t.accommodated_cost
        overall.decided += t.decided
    label = ["Jumlah", *([""] * (len(lead) - 1))]
    _write_row(ws, len(rows) + 2, [*label, *_totals_values(overall)], money, percent, bold=True)


def proposals_workbook(
    *, user, year: int, desa: str | None = None, bidang: str | None = None, status: str | None = None
) -> bytes:
    """xlsx bytes: sheet "Usulan" (one row per proposal, the columns of the kabupaten's usulan list, money as
    numbers), "Rekap per desa" and "Rekap per bidang" over the same rows. Only the user's scope; ``desa`` is a
    desa code, ``bidang`` a bidang code, ``status`` a ProposalStatus value."""
    proposals = ordered_proposals(user=user, year=year, desa=desa, bidang=bidang, status=status)
    wb = Workbook()
    ws = wb.active
    ws.title = "Usulan"
    _write_usulan(ws, proposals)

    by_desa: dict[int, list[Proposal]] = defaultdict(list)
    for p in proposals:
        by_desa[p.desa_id].append(p)
    desa_qs = restrict(Desa.objects.select_related("kecamatan").order_by("kode"), user)
    if desa:
        desa_qs = desa_qs.filter(kode=desa)
    desa_rows = [([d.kode, d.nama, d.kecamatan.nama], _totals_of(by_desa.get(d.pk, []))) for d in desa_qs]
    _write_rekap(wb.create_sheet("Rekap per desa"), [("Kode desa", 15), ("Desa", 20), ("Kecamatan", 16)], desa_rows)

    by_bidang: dict[str, list[Proposal]] = defaultdict(list)
    for p in proposals:
        by_bidang[p.bidang].append(p)
    codes = [bidang] if bidang else list(Bidang.values)
    bidang_rows = [
        ([code, str(Bidang(code).label)], _totals_of(by_bidang.get(code, [])))
        for code in codes
        if code in Bidang.values
    ]
    _write_rekap(wb.create_sheet("Rekap per bidang"), [("Kode", 6), ("Bidang", 45)], bidang_rows)

    return workbook_bytes(wb)


# Berita acara (PDF) --------------------------------------------------------------------------------------------


def berita_acara_context(*, user, kecamatan: Kecamatan, year: int) -> dict:
    """What the berita acara shows, all from scoped selectors (the caller has checked the kecamatan)."""
    meeting = (
        selectors.meetings(user=user)
        .filter(kecamatan=kecamatan, year=year, kind=MeetingKind.KECAMATAN, desa__isnull=True)
        .first()
    )
    summary = selectors.participation(meeting) if meeting else None
    groups = []
    if summary is not None:
        for group in ParticipantGroup:
            men, women = summary.by_group.get(group.value, (0, 0))
            if men or women:
                groups.append({"label": str(group.label), "men": men, "women": women, "total": men + women})
    board = selectors.board(user=user, year=year)
    in_kecamatan = [row for row in board.rows if row.desa.kecamatan_id == kecamatan.pk]
    taking_part = [row for row in in_kecamatan if row.participates]
    ranked = selectors.ranking(user=user, year=year, kecamatan=kecamatan)
    proposals = [
        {
            "no": no,
            "desa": p.desa.nama,
            "bidang": bidang_text(p.bidang),
            "activity": p.activity,
            "location": p.location,
            "volume": f"{number_id(p.volume)} {p.unit}".strip(),
            "cost": rupiah(p.estimated_cost),
            "fund_source": str(p.get_fund_source_display()),
            "score": number_id(p.score),
            "status": str(p.get_status_display()),
        }
        for no, p in enumerate(ranked, start=1)
    ]
    forwarded = [p for p in ranked if p.status in (ProposalStatus.DITERUSKAN, ProposalStatus.DIAKOMODASI)]
    signed_on = meeting.held_date if meeting and meeting.held_date else None
    return {
        "kecamatan": kecamatan,
        "year": year,
        "title": f"BERITA ACARA MUSRENBANG KECAMATAN {kecamatan.nama.upper()} TAHUN {year}",
        "meeting": meeting,
        "held": date_id(meeting.held_date if meeting else None),
        "planned": date_id(meeting.planned_date if meeting else None),
        "place": (meeting.place or "-") if meeting else "-",
        "summary": summary,
        "groups": groups,
        "women_share": "-"
        if summary is None or summary.women_share is None
        else f"{number_id(summary.women_share, 1)}%",
        "groups_missing": [str(ParticipantGroup(g).label) for g in summary.groups_missing] if summary else [],
        "desa_total": len(in_kecamatan),
        "taking_part": [row.desa for row in taking_part],
        "proposals": proposals,
        "total_count": len(ranked),
        "total_cost": rupiah(sum((p.estimated_cost for p in ranked), Decimal(0))),
        "forwarded_count": len(forwarded),
        "forwarded_cost": rupiah(sum((p.estimated_cost for p in forwarded), Decimal(0))),
        "place_date": f"{kecamatan.nama}, {date_id(signed_on)}"
        if signed_on
        else f"{kecamatan.nama}, ....................",
        "camat_title": f"CAMAT {kecamatan.nama.upper()}",
        "camat_name": camat_name(kecamatan),
        "blank_name": BLANK_NAME,
    }


def berita_acara_pdf(*, user, kecamatan: Kecamatan, year: int) -> bytes:
    """PDF bytes (A4) of the berita acara summary of the Musrenbang Kecamatan of cycle ``year``."""
    from weasyprint import HTML

    html = render_to_string(
        "musrenbang/exports/berita_acara.html", berita_acara_context(user=user, kecamatan=kecamatan, year=year)
    )
    return HTML(string=html).write_pdf()
