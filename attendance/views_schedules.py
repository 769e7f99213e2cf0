"""Working hours (jam kerja) and the kecamatan's missing-punch policy: the list, the schedule form, removal.
Writes go through ``attendance.schedules``, which checks the role and scope again."""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from attendance import recap
from attendance.forms import PRESETS, PolicyForm, ScheduleForm
from attendance.models import WorkSchedule
from attendance.schedules import DEFAULT_SPEC, WEEKDAYS, policy_set, schedule_delete, schedule_save
from portal import files, permissions, web
from portal.models import Kecamatan
from portal.scoping import get_in_scope_or_404, restrict

PDF_TYPE = files.CONTENT_TYPES[files.KIND_PDF]


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
        group["rows"].append(
            {
                "schedule": schedule,
                "name": schedule.name,
                "desa": schedule.desa,
                "builtin": False,
                "valid_from": schedule.valid_from,
                "valid_to": schedule.valid_to,
                "tolerance": schedule.tolerance_minutes,
                "hours": _hours(days),
                "work_days": len(days),
            }
        )
    for group in groups.values():
        if not group["has_base"]:
            group["rows"].append(
                {
                    "schedule": None,
                    "name": _("Jam kerja bawaan"),
                    "desa": None,
                    "builtin": True,
                    "valid_from": None,
                    "valid_to": None,
                    "tolerance": DEFAULT_SPEC.tolerance,
                    "hours": _hours(DEFAULT_SPEC.days),
                    "work_days": len(DEFAULT_SPEC.days),
                }
            )
        group["rows"].sort(
            key=lambda r: (
                r["desa"] is not None,
                r["desa"].kode if r["desa"] else "",
                r["valid_from"] is not None,
                r["valid_from"] or dt.date.min,
            )
        )
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
                web.form_add_errors(form, exc)
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
