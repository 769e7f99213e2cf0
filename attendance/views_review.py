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
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
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

# The trend chart's box: a left margin for the % axis, room for values on top and month initials below.
CHART_W, CHART_H, CHART_PAD = 260, 110, 4
CHART_LEFT, CHART_TOP, CHART_BOTTOM = 24, 10, 12
FLAG_LABELS = {
    "chronic_late": _l("Sering terlambat"),
    "tk_streak": _l("TK berturut-turut"),
    "coverage_gap": _l("Celah data mesin"),
}


def _n(value: float) -> str:
    """An SVG coordinate: always a dot as decimal separator, whatever the page's locale."""
    return f"{value:.1f}"


def _trend_charts(rows: list[recap.DesaMonth], series: dict, months: list[dt.date]) -> dict[int, dict]:
    """Per desa, an SVG chart (server-rendered, no JavaScript): the attendance rate as a line on a 0–100 % axis
    with its value over each month, late minutes as bars on a scale shared by all desa (the value in the bar's
    title), so the charts can be compared side by side; month initials along the bottom. Every text that does
    not depend on the desa (month names, the axis labels, the titles' wording) is made once per page, not once
    per desa: the page draws some 500 charts at kabupaten scope."""
    by_desa = {desa_id: dict(items) for desa_id, items in series.items()}
    top = max((t.tl_minutes for items in by_desa.values() for t in items.values()), default=0) or 1
    step = (CHART_W - CHART_LEFT - CHART_PAD) / max(len(months), 1)
    plot_top, plot_bottom = CHART_TOP, CHART_H - CHART_BOTTOM
    inner_h = plot_bottom - plot_top
    xs = [CHART_LEFT + step * i + step / 2 for i in range(len(months))]
    labels = [
        {"x": _n(x), "y": _n(CHART_H - 3), "text": date_format(month, "M")[:3]}
        for x, month in zip(xs, months, strict=True)
    ]
    names = [date_format(month, "M Y") for month in months]
    late_title, rate_title = _("%(m)s: %(n)s menit terlambat"), _("%(m)s: kehadiran %(r)s%%")
    bar_x, bar_w = [_n(x - step * 0.3) for x in xs], _n(step * 0.6)
    dot_x = [_n(x) for x in xs]
    rates: dict[float, str] = {}
    result = {}
    for row in rows:
        totals = by_desa.get(row.desa.pk, {})
        points, dots, bars = [], [], []
        for i, month in enumerate(months):
            t = totals.get(month)
            if t is None:
                continue
            if t.tl_minutes:
                height = max(inner_h * t.tl_minutes / top, 1)
                bars.append(
                    {
                        "x": bar_x[i],
                        "y": _n(plot_bottom - height),
                        "w": bar_w,
                        "h": _n(height),
                        "title": late_title % {"m": names[i], "n": t.tl_minutes},
                    }
                )
            if t.rate is not None:
                y = plot_top + inner_h * (1 - t.rate / 100)
                points.append(f"{dot_x[i]},{_n(y)}")
                if t.rate not in rates:
                    rates[t.rate] = number_format(t.rate, 1)
                dots.append(
                    {
                        "x": dot_x[i],
                        "y": _n(y),
                        "value": f"{t.rate:.0f}",
                        "value_y": _n(y - 3),
                        "title": rate_title % {"m": names[i], "r": rates[t.rate]},
                    }
                )
        result[row.desa.pk] = {
            "points": " ".join(points),
            "dots": dots,
            "bars": bars,
            "labels": labels,
            "empty": not totals,
        }
    return result


def _chart_axis() -> list[dict]:
    """The y axis of every trend chart: 0, 50 and 100 % with a grid line each."""
    inner_h = CHART_H - CHART_BOTTOM - CHART_TOP
    return [
        {
            "y": _n(CHART_TOP + inner_h * (1 - value / 100)),
            "text_y": _n(CHART_TOP + inner_h * (1 - value / 100) + 2.5),
            "text": f"{value}%",
        }
        for value in (0, 50, 100)
    ]


@login_required
def month(request):
    month = _month(request)
    rows = recap.desa_month(user=request.user, month=month)
    flags = recap.flags(user=request.user, month=month)
    months = [_shift(month, -i) for i in range(11, -1, -1)]
    series = recap.trends(user=request.user, months=12, until=month, ranking=rows)
    trend_charts = _trend_charts(rows, series, months)
    for row in rows:
        row.chart = trend_charts.get(row.desa.pk)
    for flag in flags:
        flag.label = FLAG_LABELS.get(flag.kind, flag.kind)
    policy_texts = sorted({recap.policy_text(row.policy) for row in rows})
    context = {
        **_month_context(month),
        "rows": rows,
        "heatmap": charts.heatmap(rows, series, months),
        "heat_months": months,
        "heat_steps": heat_legend(),
        "flags": flags,
        "chart_w": CHART_W,
        "chart_h": CHART_H,
        "policy_texts": policy_texts,
        "chart_first": date_format(months[0], "M Y"),
        "chart_last": date_format(months[-1], "M Y"),
        "chart_axis": _chart_axis(),
        "chart_left": CHART_LEFT,
        "chart_right": CHART_W - CHART_PAD,
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
