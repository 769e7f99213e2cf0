"""The Camat's attendance review pages: today per desa, the month ranking with flags and trends, a desa's
grid with notes and teguran. Reads go through ``attendance.recap`` and ``restrict`` (an object outside the
user's scope answers 404); writes go through the services, which check again."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from attendance import charts, recap, review
from attendance.forms import NoteForm, WarningForm
from attendance.models import AttendanceWarning, ReviewNote
from portal import files, params, permissions, web
from portal.charts import heat_legend
from portal.exports import XLSX_TYPE
from portal.models import Desa
from portal.scoping import get_in_scope_or_404, restrict
from portal.selectors import desa_list

PDF_TYPE = files.CONTENT_TYPES[files.KIND_PDF]


def _month(request) -> dt.date:
    """``?bulan=``, or the posted form's ``bulan``; this month when absent or wrong (with a message)."""
    query = request.GET if any(request.GET.get(name) for name in params.MONTH) else request.POST
    return params.on_page(request, params.month, query, default=timezone.localdate().replace(day=1))


def _shift(month: dt.date, months: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def _month_context(month: dt.date) -> dict:
    return {
        "month": month,
        "bulan": f"{month:%Y-%m}",
        "month_name": date_format(month, "F Y"),
        "prev_bulan": f"{_shift(month, -1):%Y-%m}",
        "next_bulan": f"{_shift(month, 1):%Y-%m}",
    }


# Today -----------------------------------------------------------------------------------------------------


@login_required
def today(request):
    day = params.on_page(request, params.date, request.GET, default=timezone.localdate())
    rows = recap.today(user=request.user, day=day)
    context = {
        "rows": rows,
        "chart": charts.today_by_desa(rows, bulan=f"{day:%Y-%m}"),
        "day": day,
        "bulan": f"{day:%Y-%m}",
        "prev_day": day - dt.timedelta(days=1),
        "next_day": day + dt.timedelta(days=1),
    }
    return render(request, "attendance/today.html", context)


# Month ranking ---------------------------------------------------------------------------------------------

FLAG_LABELS = {
    "chronic_late": _l("Sering terlambat"),
    "tk_streak": _l("TK berturut-turut"),
    "coverage_gap": _l("Celah data mesin"),
}


def _trend_charts(rows: list[recap.DesaMonth], series: dict, months: list[dt.date]) -> dict[int, str]:
    """The page's trend chart per desa (``charts.trend_charts``); tests compare the page's charts with these."""
    return charts.trend_charts(rows, series, months)


def _flag_text(flag: recap.Flag) -> str:
    """What a flag says after the desa's name. The plural forms (with their msgids) are those the template had."""
    if flag.kind == "chronic_late":
        text = ngettext("%(n)s hari terlambat", "%(n)s hari terlambat", flag.count) % {"n": flag.count}
        return f"{flag.perangkat.nama}: {text}"
    if flag.kind == "tk_streak":
        text = ngettext(
            "%(n)s hari kerja TK berturut-turut mulai %(start)s",
            "%(n)s hari kerja TK berturut-turut mulai %(start)s",
            flag.count,
        ) % {"n": flag.count, "start": flag.detail}
        return f"{flag.perangkat.nama}: {text}"
    return ngettext(
        "%(n)s hari kerja tanpa data mesin, ND untuk semua (%(detail)s)",
        "%(n)s hari kerja tanpa data mesin, ND untuk semua (%(detail)s)",
        flag.count,
    ) % {"n": flag.count, "detail": flag.detail}


# The month page repeats its rows once per desa (474 in a kabupaten) or per flagged perangkat: they are built
# here with format_html, which escapes every value (desa, perangkat and machine names are user data), instead
# of template loops, which cost some 5 µs per printed value.
FLAG_BADGES = {"tk_streak": "bg-danger", "chronic_late": "bg-warning text-dark"}


def _ranking_rows(rows: list[recap.DesaMonth], urls: dict[int, str], figures: charts.Figures) -> str:
    """The ranking's rows, the page's widest loop (ten cells per desa): plain f-strings over values escaped here
    (code, link, name) or made safe by ``figures`` (the numbers)."""
    parts = []
    for row in rows:
        t = row.totals
        rate = f"{figures(t.rate, 1)}%" if t.rate is not None else "–"
        tk = " text-danger fw-semibold" if t.tk else ""
        parts.append(
            f'<tr data-desa="{escape(row.desa.kode)}" data-rank="{row.rank}">'
            f'<td class="text-center" data-testid="rank">{figures(row.rank)}</td>'
            f'<th class="fw-normal"><a href="{escape(urls[row.desa.pk])}" data-testid="desa-link">'
            f"{escape(row.desa.nama)}</a></th>"
            f'<td class="text-center">{figures(t.hari_kerja)}</td><td class="text-center">{figures(t.h)}</td>'
            f'<td class="text-center">{figures(t.tl)}</td><td class="text-center">{figures(t.tl_minutes)}</td>'
            f'<td class="text-center">{figures(t.psw)}</td><td class="text-center{tk}">{figures(t.tk)}</td>'
            f'<td class="text-center text-muted">{figures(t.nd)}</td><td class="text-end" data-testid="rate">{rate}</td>'
            "</tr>\n"
        )
    return mark_safe("".join(parts))  # noqa: S308  (every value escaped above)


def _flag_items(flags: list[recap.Flag], urls: dict[int, str], bulan: str) -> str:
    labels = {kind: str(label) for kind, label in FLAG_LABELS.items()}
    other_url = charts.desa_month_urls(bulan)
    parts = [
        format_html(
            '<li class="list-group-item d-flex flex-wrap gap-2 align-items-center" data-flag="{}">'
            '<span class="badge {}">{}</span> <a href="{}">{}</a> — {}</li>\n',
            flag.kind,
            FLAG_BADGES.get(flag.kind, "bg-secondary"),
            labels.get(flag.kind, flag.kind),
            urls.get(flag.desa.pk) or other_url(flag.desa.kode),
            flag.desa.nama,
            _flag_text(flag),
        )
        for flag in flags
    ]
    return mark_safe("".join(parts))  # noqa: S308  (each part made by format_html)


def _trend_cards(rows: list[recap.DesaMonth], svgs: dict[int, str]) -> str:
    no_data = format_html('<div class="small text-muted">{}</div>', _("Belum ada data."))
    parts = [
        format_html(
            '<div class="col-sm-6 col-lg-4 col-xl-3"><div class="card card-body p-2" data-desa="{}">'
            '<div class="small fw-semibold mb-1">{}</div>{}</div></div>\n',
            row.desa.kode,
            row.desa.nama,
            svgs[row.desa.pk] or no_data,  # made safe by charts.trend_charts
        )
        for row in rows
    ]
    return mark_safe("".join(parts))  # noqa: S308  (each part made by format_html)


@login_required
def month(request):
    """The kabupaten's month: ranking, flags, heatmap and trends of every desa in scope. Built for 474 desa: a
    fixed number of queries; the rows repeated per desa made in Python, each text formatted once per page."""
    month = _month(request)
    bulan = f"{month:%Y-%m}"
    rows = recap.desa_month(user=request.user, month=month)
    flags = recap.flags(user=request.user, month=month, ranking=rows)
    months = [_shift(month, -i) for i in range(11, -1, -1)]
    series = recap.trends(user=request.user, months=12, until=month, ranking=rows)
    trend_charts = _trend_charts(rows, series, months)
    heatmap = charts.heatmap(rows, series, months, bulan=bulan)
    for row in rows:
        row.chart = trend_charts[row.desa.pk]
    urls = {heat.desa.pk: heat.url for heat in heatmap}
    figures = charts.Figures()
    context = {
        **_month_context(month),
        "rows": rows,
        "ranking_rows": _ranking_rows(rows, urls, figures),
        "heatmap": heatmap,
        "heatmap_rows": charts.heatmap_rows(heatmap),
        "heat_months": months,
        "heat_steps": heat_legend(),
        "flags": flags,
        "flag_items": _flag_items(flags, urls, bulan),
        "policy_texts": sorted({recap.policy_text(row.policy) for row in rows}),
        "chart_first": date_format(months[0], "M Y"),
        "chart_last": date_format(months[-1], "M Y"),
        "trend_frame": charts.trend_frame(months),
        "trend_cards": _trend_cards(rows, trend_charts),
    }
    return render(request, "attendance/month.html", context)


@login_required
def month_xlsx(request):
    from attendance import exports

    month = _month(request)
    content = exports.recap_workbook(user=request.user, month=month)
    exports.recap_export_record(request=request, file_format="xlsx", month=month, desa=None)
    return files.file_response(content, filename=f"rekap-absensi-{month:%Y-%m}.xlsx", content_type=XLSX_TYPE)


# A desa's month --------------------------------------------------------------------------------------------


# Two letters each, distinct (Senin and Selasa would both be "Se" from the locale's abbreviations).
WEEKDAY_SHORT = [_l("Sn"), _l("Sl"), _l("Rb"), _l("Km"), _l("Jm"), _l("Sb"), _l("Mg")]


ND_REASONS = {
    "unlinked": _l("Tidak ada data: PIN perangkat ini belum ditautkan"),
    "silent": _l("Tidak ada data: mesin tidak melapor hari ini"),
    "empty": _l("Tidak ada data: mesin melapor tanpa satu pun absen"),
    "pending": _l("Tidak ada data: hari ini belum dapat dipastikan (tarikan belum mencakup jam masuk)"),
}


def _cell_class(code: str, off: bool) -> str:
    if code == "L" or (off and not code):
        return "table-secondary text-muted"
    if "TK" in code:
        return "table-danger fw-semibold"
    if "TL" in code:
        return "table-warning"
    if any(c in code for c in ("PSW", "TAM", "TAP")):
        return "bg-warning-subtle"
    if code in ("I", "S", "C", "DL"):
        return "table-info"
    if code == "ND":
        return "text-muted"
    return "table-secondary" if off else ""


def _desa(request, kode: str) -> Desa:
    return get_in_scope_or_404(desa_list(user=request.user), request.user, kode=kode)


@login_required
def desa_month(request, kode: str):
    desa = _desa(request, kode)
    month = _month(request)
    grid = recap.desa_grid(user=request.user, desa=desa, month=month)
    for row in grid.rows:
        row.display = [
            (code, _cell_class(code, off), fixed, ND_REASONS.get(reason, ""))
            for code, off, fixed, reason in zip(row.cells, grid.day_off, row.corrected, row.nd_reasons, strict=True)
        ]
    user = request.user
    notes = restrict(ReviewNote.objects.filter(desa=desa, month=month).select_related("author", "perangkat"), user)
    warnings = restrict(
        AttendanceWarning.objects.filter(perangkat__desa=desa, month=month).select_related("perangkat", "issued_by"),
        user,
    )
    can_review = review.can_review(user)
    context = {
        **_month_context(month),
        "desa": desa,
        "grid": grid,
        "days": [(day, off, WEEKDAY_SHORT[day.weekday()]) for day, off in zip(grid.days, grid.day_off, strict=True)],
        "notes": notes,
        "warnings": warnings,
        "can_review": can_review,
        "policy_text": recap.policy_text(grid.policy),
        "any_corrected": any(any(row.corrected) for row in grid.rows),
        "can_warn": can_review and permissions.is_kecamatan_staff(user),
        "note_form": NoteForm(user=user, desa=desa) if can_review else None,
        "warning_form": WarningForm(user=user, desa=desa) if can_review else None,
    }
    return render(request, "attendance/desa_month.html", context)


@login_required
def desa_month_xlsx(request, kode: str):
    from attendance import exports

    desa = _desa(request, kode)
    month = _month(request)
    content = exports.recap_workbook(user=request.user, month=month, desa=desa)
    exports.recap_export_record(request=request, file_format="xlsx", month=month, desa=desa)
    name = f"rekap-absensi-{desa.kode}-{month:%Y-%m}.xlsx"
    return files.file_response(content, filename=name, content_type=XLSX_TYPE)


@login_required
def desa_month_pdf(request, kode: str):
    from attendance import exports

    desa = _desa(request, kode)
    month = _month(request)
    content = exports.recap_pdf(user=request.user, month=month, desa=desa)
    exports.recap_export_record(request=request, file_format="pdf", month=month, desa=desa)
    name = f"rekap-absensi-{desa.kode}-{month:%Y-%m}.pdf"
    return files.file_response(content, filename=name, content_type=PDF_TYPE)


def _back_to_grid(desa: Desa, month: dt.date):
    return redirect(f"{reverse('attendance-desa-month', args=[desa.kode])}?bulan={month:%Y-%m}")


@login_required
@require_POST
def note_create(request, kode: str):
    desa = _desa(request, kode)
    if not review.can_review(request.user):
        raise PermissionDenied
    month = _month(request)
    form = NoteForm(request.POST, user=request.user, desa=desa)
    if not form.is_valid():
        messages.error(request, _("Catatan tidak tersimpan: isi catatannya."))
        return _back_to_grid(desa, month)
    try:
        review.note_create(
            actor=request.user,
            desa=desa,
            month=month,
            text=form.cleaned_data["text"],
            perangkat=form.cleaned_data["perangkat"],
        )
    except ValidationError as exc:
        messages.error(request, web.error_text(exc))
    else:
        messages.success(request, _("Catatan disimpan."))
    return _back_to_grid(desa, month)


@login_required
@require_POST
def warning_create(request, kode: str):
    desa = _desa(request, kode)
    if not (review.can_review(request.user) and permissions.is_kecamatan_staff(request.user)):
        raise PermissionDenied
    month = _month(request)
    form = WarningForm(request.POST, user=request.user, desa=desa)
    if not form.is_valid():
        messages.error(request, _("Teguran tidak tersimpan: pilih perangkat, tingkat, dan isi alasannya."))
        return _back_to_grid(desa, month)
    try:
        review.warning_create(actor=request.user, month=month, **form.cleaned_data)
    except ValidationError as exc:
        messages.error(request, web.error_text(exc))
    else:
        messages.success(request, _("Teguran dicatat."))
    return _back_to_grid(desa, month)


@login_required
def warning_letter(request, pk: int):
    warning = get_in_scope_or_404(AttendanceWarning.objects.select_related("perangkat__desa"), request.user, pk=pk)
    if not warning.letter_path:
        raise Http404
    return files.download_response(
        warning.letter_path,
        download_name=f"teguran-absensi-{warning.perangkat.desa.kode}-{warning.pk}.pdf",
        content_type=PDF_TYPE,
    )
