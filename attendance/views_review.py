"""The Camat's attendance review pages: today per desa, the month ranking with flags and trends, a desa's
grid with notes and teguran, working hours and leave. Reads go through ``attendance.recap`` and ``restrict``
(an object outside the user's scope answers 404); writes go through the services, which check again."""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_POST

from attendance import leave as leave_service
from attendance import recap, review
from attendance.daily import DEFAULT_SPEC
from attendance.forms import PRESETS, LeaveDecisionForm, LeaveForm, NoteForm, PolicyForm, ScheduleForm, WarningForm
from attendance.models import AttendanceWarning, Leave, ReviewNote, WorkSchedule
from attendance.schedules import WEEKDAYS, policy_set, schedule_delete, schedule_save
from portal import files, permissions
from portal.exports import XLSX_TYPE
from portal.models import Desa, Kecamatan
from portal.scoping import get_in_scope_or_404, restrict
from portal.selectors import desa_list
from portal.validators import validate_business_date

PDF_TYPE = "application/pdf"


def _error_text(exc: ValidationError) -> str:
    return " ".join(exc.messages)


def _month(request) -> dt.date:
    month = recap.parse_month(request.GET.get("bulan") or request.POST.get("bulan"))
    if not 2000 <= month.year <= 2200:  # keeps the previous/next links and the 12-month trend in range
        return timezone.localdate().replace(day=1)
    return month


def _shift(month: dt.date, months: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def _month_context(month: dt.date) -> dict:
    return {
        "month": month, "bulan": f"{month:%Y-%m}", "month_name": date_format(month, "F Y"),
        "prev_bulan": f"{_shift(month, -1):%Y-%m}", "next_bulan": f"{_shift(month, 1):%Y-%m}",
    }  # fmt: skip


def _safe_next(request, fallback: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return fallback


def _add_errors(form, exc: ValidationError) -> None:
    """A service's ValidationError onto the form: under the field it names, else above the form."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            form.add_error(name if name in form.fields else None, [m for e in errors for m in e.messages])
    else:
        form.add_error(None, exc.messages)


# Today -----------------------------------------------------------------------------------------------------


@login_required
def today(request):
    day = timezone.localdate()
    if request.GET.get("tanggal"):
        try:
            chosen = dt.datetime.strptime(request.GET["tanggal"], "%d/%m/%Y").date()
            validate_business_date(chosen)  # the previous/next-day links must stay in the calendar
        except ValueError:
            messages.error(request, _("Tanggal harus berformat dd/mm/yyyy."))
        except ValidationError as exc:
            messages.error(request, _error_text(exc))
        else:
            day = chosen
    rows = recap.today(user=request.user, day=day)
    context = {
        "rows": rows, "day": day, "bulan": f"{day:%Y-%m}",
        "prev_day": day - dt.timedelta(days=1), "next_day": day + dt.timedelta(days=1),
    }  # fmt: skip
    return render(request, "attendance/today.html", context)


# Month ranking ---------------------------------------------------------------------------------------------

CHART_W, CHART_H, CHART_PAD = 240, 64, 4
FLAG_LABELS = {
    "chronic_late": _l("Sering terlambat"),
    "tk_streak": _l("TK berturut-turut"),
    "coverage_gap": _l("Celah data mesin"),
}


def _n(value: float) -> str:
    """An SVG coordinate: always a dot as decimal separator, whatever the page's locale."""
    return f"{value:.1f}"


def _trend_charts(rows: list[recap.DesaMonth], series: dict, months: list[dt.date]) -> dict[int, dict]:
    """Per desa, an SVG chart (server-rendered, no JavaScript): the attendance rate as a line on 0–100 %,
    late minutes as bars on a scale shared by all desa, so the charts can be compared side by side."""
    by_desa = {desa_id: dict(items) for desa_id, items in series.items()}
    top = max((t.tl_minutes for items in by_desa.values() for t in items.values()), default=0) or 1
    step = (CHART_W - 2 * CHART_PAD) / max(len(months), 1)
    inner_h = CHART_H - 2 * CHART_PAD
    charts = {}
    for row in rows:
        totals = by_desa.get(row.desa.pk, {})
        points, dots, bars = [], [], []
        for i, month in enumerate(months):
            t = totals.get(month)
            if t is None:
                continue
            x = CHART_PAD + step * i + step / 2
            label = date_format(month, "M Y")
            if t.tl_minutes:
                height = max(inner_h * t.tl_minutes / top, 1)
                bars.append({
                    "x": _n(x - step * 0.3), "y": _n(CHART_H - CHART_PAD - height), "w": _n(step * 0.6),
                    "h": _n(height), "title": _("%(m)s: %(n)s menit terlambat") % {"m": label, "n": t.tl_minutes},
                })  # fmt: skip
            if t.rate is not None:
                y = CHART_PAD + inner_h * (1 - t.rate / 100)
                points.append(f"{_n(x)},{_n(y)}")
                rate = number_format(t.rate, 1)
                dots.append({"x": _n(x), "y": _n(y), "title": _("%(m)s: kehadiran %(r)s%%") % {"m": label, "r": rate}})
        charts[row.desa.pk] = {"points": " ".join(points), "dots": dots, "bars": bars, "empty": not totals}
    return charts


@login_required
def month(request):
    month = _month(request)
    rows = recap.desa_month(user=request.user, month=month)
    flags = recap.flags(user=request.user, month=month)
    months = [_shift(month, -i) for i in range(11, -1, -1)]
    series = recap.trends(user=request.user, months=12, until=month)
    charts = _trend_charts(rows, series, months)
    for row in rows:
        row.chart = charts.get(row.desa.pk)
    for flag in flags:
        flag.label = FLAG_LABELS.get(flag.kind, flag.kind)
    policy_texts = sorted({recap.policy_text(row.policy) for row in rows})
    context = {
        **_month_context(month), "rows": rows, "flags": flags, "chart_w": CHART_W, "chart_h": CHART_H,
        "policy_texts": policy_texts,
        "chart_first": date_format(months[0], "M Y"), "chart_last": date_format(months[-1], "M Y"),
        "chart_mid": CHART_H // 2,
    }  # fmt: skip
    return render(request, "attendance/month.html", context)


def _xlsx(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def month_xlsx(request):
    from attendance import exports

    month = _month(request)
    content = exports.recap_workbook(user=request.user, month=month)
    exports.recap_export_record(request=request, file_format="xlsx", month=month, desa=None)
    return _xlsx(content, f"rekap-absensi-{month:%Y-%m}.xlsx")


# A desa's month --------------------------------------------------------------------------------------------


# Two letters each, distinct (Senin and Selasa would both be "Se" from the locale's abbreviations).
WEEKDAY_SHORT = [_l("Sn"), _l("Sl"), _l("Rb"), _l("Km"), _l("Jm"), _l("Sb"), _l("Mg")]


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
            (code, _cell_class(code, off), fixed)
            for code, off, fixed in zip(row.cells, grid.day_off, row.corrected, strict=True)
        ]
    user = request.user
    notes = restrict(ReviewNote.objects.filter(desa=desa, month=month).select_related("author", "perangkat"), user)
    warnings = restrict(
        AttendanceWarning.objects.filter(perangkat__desa=desa, month=month).select_related("perangkat", "issued_by"),
        user,
    )
    can_review = review.can_review(user)
    context = {
        **_month_context(month), "desa": desa, "grid": grid,
        "days": [(day, off, WEEKDAY_SHORT[day.weekday()]) for day, off in zip(grid.days, grid.day_off, strict=True)],
        "notes": notes, "warnings": warnings, "can_review": can_review, "policy_text": recap.policy_text(grid.policy),
        "any_corrected": any(any(row.corrected) for row in grid.rows),
        "can_warn": can_review and permissions.is_kecamatan_staff(user),
        "note_form": NoteForm(user=user, desa=desa) if can_review else None,
        "warning_form": WarningForm(user=user, desa=desa) if can_review else None,
    }  # fmt: skip
    return render(request, "attendance/desa_month.html", context)


@login_required
def desa_month_xlsx(request, kode: str):
    from attendance import exports

    desa = _desa(request, kode)
    month = _month(request)
    content = exports.recap_workbook(user=request.user, month=month, desa=desa)
    exports.recap_export_record(request=request, file_format="xlsx", month=month, desa=desa)
    return _xlsx(content, f"rekap-absensi-{desa.kode}-{month:%Y-%m}.xlsx")


@login_required
def desa_month_pdf(request, kode: str):
    from attendance import exports

    desa = _desa(request, kode)
    month = _month(request)
    content = exports.recap_pdf(user=request.user, month=month, desa=desa)
    exports.recap_export_record(request=request, file_format="pdf", month=month, desa=desa)
    response = HttpResponse(content, content_type=PDF_TYPE)
    response["Content-Disposition"] = f'attachment; filename="rekap-absensi-{desa.kode}-{month:%Y-%m}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


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
            actor=request.user, desa=desa, month=month, text=form.cleaned_data["text"],
            perangkat=form.cleaned_data["perangkat"],
        )  # fmt: skip
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
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
        messages.error(request, _error_text(exc))
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


# Working hours ---------------------------------------------------------------------------------------------


def _hours(days: dict[int, tuple[dt.time, dt.time]]) -> list[str]:
    return [f"{days[w][0]:%H:%M}–{days[w][1]:%H:%M}" if w in days else "" for w in range(7)]


@login_required
def schedule_list(request):
    user = request.user
    groups: OrderedDict[int, dict] = OrderedDict()
    for kecamatan in restrict(Kecamatan.objects.order_by("nama"), user):
        groups[kecamatan.pk] = {"kecamatan": kecamatan, "rows": [], "has_base": False}
    schedules = restrict(WorkSchedule.objects.select_related("kecamatan", "desa").prefetch_related("days"), user)
    for schedule in schedules:
        group = groups.get(schedule.kecamatan_id)
        if group is None:
            continue
        days = {d.weekday: (d.start, d.end) for d in schedule.days.all()}
        if schedule.desa_id is None and schedule.valid_from is None:
            group["has_base"] = True
        group["rows"].append({
            "schedule": schedule, "name": schedule.name, "desa": schedule.desa, "builtin": False,
            "valid_from": schedule.valid_from, "valid_to": schedule.valid_to,
            "tolerance": schedule.tolerance_minutes, "hours": _hours(days), "work_days": len(days),
        })  # fmt: skip
    for group in groups.values():
        if not group["has_base"]:
            group["rows"].append({
                "schedule": None, "name": _("Jam kerja bawaan"), "desa": None, "builtin": True, "valid_from": None,
                "valid_to": None, "tolerance": DEFAULT_SPEC.tolerance, "hours": _hours(DEFAULT_SPEC.days),
                "work_days": len(DEFAULT_SPEC.days),
            })  # fmt: skip
        group["rows"].sort(
            key=lambda r: (r["desa"] is not None, r["desa"].kode if r["desa"] else "", r["valid_from"] is not None,
                           r["valid_from"] or dt.date.min)
        )  # fmt: skip
    policy_of = recap.policies(groups)
    for kecamatan_id, group in groups.items():
        group["policy_text"] = recap.policy_text(policy_of[kecamatan_id])
        group["policy_form"] = PolicyForm(initial={"missing_punch": policy_of[kecamatan_id]}, prefix=str(kecamatan_id))
    context = {"groups": list(groups.values()), "weekdays": WEEKDAYS, "can_edit": permissions.is_kecamatan_staff(user)}
    return render(request, "attendance/schedules.html", context)


@login_required
@require_POST
def policy_save(request):
    """The kecamatan's missing-punch policy, from the form on the working-hours page."""
    user = request.user
    kecamatan = get_in_scope_or_404(Kecamatan.objects.all(), user, kode=request.POST.get("kecamatan", ""))
    if not permissions.is_kecamatan_staff(user):
        raise PermissionDenied
    form = PolicyForm(request.POST, prefix=str(kecamatan.pk))
    if form.is_valid():
        policy_set(actor=user, kecamatan=kecamatan, missing_punch=form.cleaned_data["missing_punch"])
        messages.success(
            request, _("Kebijakan absen tidak lengkap Kecamatan %(name)s disimpan.") % {"name": kecamatan.nama}
        )
    else:
        messages.error(request, _("Pilih kebijakan yang tersedia."))
    return redirect("attendance-schedules")


def _schedule_form(request, schedule: WorkSchedule | None):
    user = request.user
    if not permissions.is_kecamatan_staff(user):
        raise PermissionDenied
    preset = request.GET.get("pola")
    if request.method == "POST":
        form = ScheduleForm(request.POST, user=user, schedule=schedule)
        if form.is_valid():
            target = schedule or WorkSchedule(kecamatan_id=user.kecamatan_id)
            form.apply(target)
            try:
                schedule_save(actor=user, schedule=target, days=form.cleaned_data["days"])
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(request, _("Jam kerja “%(name)s” disimpan.") % {"name": target.name})
                return redirect("attendance-schedules")
    else:
        form = ScheduleForm(user=user, schedule=schedule, preset=preset)
    context = {"form": form, "schedule": schedule, "presets": sorted(PRESETS)}
    return render(request, "attendance/schedule_form.html", context)


@login_required
def schedule_new(request):
    return _schedule_form(request, None)


@login_required
def schedule_edit(request, pk: int):
    schedule = get_in_scope_or_404(
        WorkSchedule.objects.select_related("kecamatan", "desa").prefetch_related("days"), request.user, pk=pk
    )
    return _schedule_form(request, schedule)


@login_required
@require_POST
def schedule_remove(request, pk: int):
    schedule = get_in_scope_or_404(WorkSchedule.objects.all(), request.user, pk=pk)
    if not permissions.is_kecamatan_staff(request.user):
        raise PermissionDenied
    name = schedule.name
    schedule_delete(actor=request.user, schedule=schedule)
    messages.success(request, _("Jam kerja “%(name)s” dihapus.") % {"name": name})
    return redirect("attendance-schedules")


# Leave -----------------------------------------------------------------------------------------------------


@login_required
def leave_list(request):
    user = request.user
    queryset = restrict(
        Leave.objects.select_related("perangkat", "perangkat__desa", "requested_by", "decided_by"), user
    )
    filters = {"desa": request.GET.get("desa", ""), "status": request.GET.get("status", "")}
    if filters["desa"] and not user.is_desa_user:
        queryset = queryset.filter(perangkat__desa__kode=filters["desa"])
    if filters["status"] in Leave.State.values:
        queryset = queryset.filter(state=filters["status"])
    page = Paginator(queryset, 50).get_page(request.GET.get("page"))
    may_request = leave_service.can_request(user)
    for item in page:
        decide = leave_service.can_decide(user, item)
        item.may_decide = item.state == Leave.State.REQUESTED and decide
        item.may_cancel = leave_service.can_cancel(user, item)
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "page": page, "filters": filters, "states": Leave.State.choices, "can_request": may_request,
        "desa_choices": [] if user.is_desa_user else list(desa_list(user=user)),
        "querystring": query.urlencode(), "decision_form": LeaveDecisionForm(),
    }  # fmt: skip
    return render(request, "attendance/leave_list.html", context)


@login_required
def leave_new(request):
    user = request.user
    if not leave_service.can_request(user):
        raise PermissionDenied
    if request.method == "POST":
        form = LeaveForm(request.POST, request.FILES, user=user)
        if form.is_valid():
            data = form.cleaned_data
            try:
                leave_service.leave_request(
                    actor=user, perangkat=data["perangkat"], kind=data["kind"], date_from=data["date_from"],
                    date_to=data["date_to"], reason=data["reason"], attachment=data["attachment"] or None,
                )  # fmt: skip
            except files.UploadRejected as exc:
                form.add_error("attachment", exc.messages)
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(request, _("Pengajuan izin/cuti disimpan dan menunggu keputusan."))
                return redirect("attendance-leave")
    else:
        form = LeaveForm(user=user)
    return render(request, "attendance/leave_form.html", {"form": form})


def _leave_action(request, pk: int, action) -> HttpResponse:
    leave = get_in_scope_or_404(Leave.objects.select_related("perangkat", "perangkat__desa"), request.user, pk=pk)
    form = LeaveDecisionForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        message = action(leave, note)
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, message)
    return redirect(_safe_next(request, reverse("attendance-leave")))


@login_required
@require_POST
def leave_approve(request, pk: int):
    def act(leave, note):
        leave_service.leave_decide(actor=request.user, leave=leave, approve=True, note=note)
        return _("Izin/cuti %(name)s disetujui.") % {"name": leave.perangkat.nama}

    return _leave_action(request, pk, act)


@login_required
@require_POST
def leave_reject(request, pk: int):
    def act(leave, note):
        leave_service.leave_decide(actor=request.user, leave=leave, approve=False, note=note)
        return _("Izin/cuti %(name)s ditolak.") % {"name": leave.perangkat.nama}

    return _leave_action(request, pk, act)


@login_required
@require_POST
def leave_cancel(request, pk: int):
    def act(leave, note):
        leave_service.leave_cancel(actor=request.user, leave=leave, note=note)
        return _("Izin/cuti %(name)s dibatalkan.") % {"name": leave.perangkat.nama}

    return _leave_action(request, pk, act)


@login_required
def leave_attachment(request, pk: int):
    leave = get_in_scope_or_404(Leave.objects.all(), request.user, pk=pk)
    if not leave.attachment_path:
        raise Http404
    return files.download_response(
        leave.attachment_path,
        download_name=leave.attachment_name or f"lampiran-izin-{leave.pk}{files.EXTENSIONS[leave.attachment_kind]}",
        content_type=files.CONTENT_TYPES.get(leave.attachment_kind, "application/octet-stream"),
    )
