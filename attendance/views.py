"""Attendance pages: devices with health, device detail with its sync history and "Tarik sekarang", the
queue of unmapped PINs, the punch list. Querysets come from ``attendance.selectors`` (scoped)."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import OuterRef, Subquery
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from attendance import push, selectors, services
from attendance.choices import Protocol
from attendance.forms import PushCommandForm, RegisterPushForm
from attendance.models import DeviceUser
from portal import params, permissions, web
from portal.api.base import is_db_int
from portal.models import Perangkat
from portal.scoping import get_in_scope_or_404, restrict


@login_required
def device_list(request):
    now = timezone.now()
    devices = list(selectors.device_list(user=request.user))
    for d in devices:
        d.health = selectors.health(d, now)
    unregistered = list(selectors.unregistered_devices(user=request.user)[:100])
    for row in unregistered:
        row.form = RegisterPushForm(user=request.user, prefix=f"sn-{row.pk}")
    context = {"devices": devices, "unregistered": unregistered, "iclock_url": request.build_absolute_uri("/")}
    return render(request, "attendance/devices.html", context)


@login_required
@require_POST
def unregistered_register(request, pk: int):
    """The Kasi Tapem's one click: this serial is the push machine of that desa."""
    row = get_object_or_404(selectors.unregistered_devices(user=request.user), pk=pk)
    form = RegisterPushForm(request.POST, user=request.user, prefix=f"sn-{row.pk}")
    if not form.is_valid():
        messages.error(request, _("Pilih desa mesin %(sn)s.") % {"sn": row.serial_number})
        return redirect("attendance-devices")
    try:
        device = push.device_register_push(
            actor=request.user, serial=row.serial_number, desa=form.cleaned_data["desa"], name=form.cleaned_data["name"]
        )
    except ValidationError as exc:
        messages.error(request, web.error_text(exc))
        return redirect("attendance-devices")
    messages.success(
        request,
        _("Mesin %(sn)s terdaftar untuk Desa %(desa)s; absen yang sudah dikirimnya sedang dimasukkan.")
        % {"sn": device.serial_number, "desa": device.desa.nama},
    )
    return redirect("attendance-device", pk=device.pk)


@login_required
def device_detail(request, pk: int):
    device = get_in_scope_or_404(selectors.device_list(user=request.user), request.user, pk=pk)
    device.health = selectors.health(device, timezone.now())
    runs = selectors.sync_runs(user=request.user).filter(device=device)[:30]
    users = selectors.device_users(user=request.user).filter(device=device)
    context = {
        "device": device,
        "runs": runs,
        "device_users": users,
        "can_pull": permissions.is_kecamatan_staff(request.user) and device.protocol == Protocol.PULL,
        **_push_context(request, device),
    }
    return render(request, "attendance/device.html", context)


def _push_context(request, device, form=None) -> dict:
    if device.protocol != Protocol.PUSH:
        return {}
    return {
        "commands": selectors.device_commands(user=request.user).filter(device=device)[:20],
        "events": selectors.device_events(user=request.user).filter(device=device)[:50],
        "command_form": (form or PushCommandForm()) if permissions.is_kecamatan_staff(request.user) else None,
        "iclock_url": request.build_absolute_uri("/"),
    }


@login_required
@require_POST
def device_command(request, pk: int):
    device = get_in_scope_or_404(selectors.device_list(user=request.user), request.user, pk=pk)
    form = PushCommandForm(request.POST)
    if form.is_valid():
        try:
            command = push.device_command_queue(
                actor=request.user,
                device=device,
                kind=form.cleaned_data["kind"],
                start=form.cleaned_data.get("start"),
                end=form.cleaned_data.get("end"),
            )
        except ValidationError as exc:
            web.form_add_errors(form, exc)
        else:
            messages.success(
                request,
                _("Perintah #%(id)s menunggu mesin; terkirim saat mesin menghubungi server berikutnya.")
                % {"id": command.pk},
            )
            return redirect("attendance-device", pk=device.pk)
    # Kept as typed, with the error beside the field.
    device.health = selectors.health(device, timezone.now())
    context = {
        "device": device,
        "runs": selectors.sync_runs(user=request.user).filter(device=device)[:30],
        "device_users": selectors.device_users(user=request.user).filter(device=device),
        "can_pull": False,
        **_push_context(request, device, form),
    }
    return render(request, "attendance/device.html", context, status=400)


@login_required
def unmapped(request):
    rows = list(selectors.unmapped_pins(user=request.user))
    linked = selectors.linked_pins({row.device_id for row in rows})
    perangkat_by_desa: dict[int, list[Perangkat]] = {}
    for row in rows:
        desa_id = row.device.desa_id
        if desa_id not in perangkat_by_desa:
            perangkat_by_desa[desa_id] = list(
                restrict(Perangkat.objects.filter(desa_id=desa_id, aktif=True), request.user)
            )
        row.choices = perangkat_by_desa[desa_id]
        row.suggestion = selectors.suggest_perangkat(row, row.choices, linked)
    return render(request, "attendance/unmapped.html", {"rows": rows})


@login_required
@require_POST
def link(request, pk: int):
    device_user = get_in_scope_or_404(selectors.device_users(user=request.user), request.user, pk=pk)
    if not (permissions.is_kecamatan_staff(request.user) or permissions.can_manage_perangkat(request.user)):
        raise PermissionDenied
    perangkat = None
    if request.POST.get("perangkat"):
        # Not a number, no such id, another kecamatan's: one answer (404), so the form tells nothing about
        # which perangkat exist outside the user's scope.
        if not is_db_int(request.POST["perangkat"]):
            raise Http404
        perangkat = get_in_scope_or_404(Perangkat.objects.all(), request.user, pk=int(request.POST["perangkat"]))
    if perangkat is not None:
        # Every past punch of the PIN goes to the perangkat: the user confirms having seen how many (at least as
        # many as there are now, so punches pulled since the page was shown are asked about again).
        punches = selectors.punches_of(device_user)
        confirmed = request.POST.get("confirm_punches", "")
        if punches and not (is_db_int(confirmed) and int(confirmed) >= punches):
            messages.error(
                request,
                _("PIN %(pin)s belum ditautkan: centang dulu bahwa %(n)s absen lamanya ikut dihitung untuk %(nama)s.")
                % {"pin": device_user.pin, "n": punches, "nama": perangkat.nama},
            )
            return redirect(web.safe_next(request, reverse("attendance-unmapped")))
    try:
        services.device_user_link(actor=request.user, device_user=device_user, perangkat=perangkat)
    except ValidationError as exc:
        messages.error(request, web.error_text(exc))
    else:
        messages.success(request, _("PIN %(pin)s ditautkan; absen lamanya ikut terhitung.") % {"pin": device_user.pin})
    return redirect(web.safe_next(request, reverse("attendance-unmapped")))


def _latest_day(queryset) -> dt.date:
    """Without a date, open on the last day that has punches (on a weekend "today" is always empty)."""
    return selectors.latest_punch_day(queryset) or timezone.localdate()


@login_required
def punch_list(request):
    queryset = selectors.punch_list(user=request.user)
    if any(request.GET.get(name) for name in params.DATE):
        chosen = params.on_page(request, params.date, request.GET, default=timezone.localdate())
    else:
        chosen = _latest_day(queryset)
    queryset = queryset.filter(selectors.local_days(chosen, chosen))
    if request.GET.get("desa"):
        queryset = queryset.filter(device__desa__kode=request.GET["desa"])
    names = DeviceUser.objects.filter(device=OuterRef("device"), pin=OuterRef("pin"))
    queryset = queryset.annotate(
        perangkat_nama=Subquery(names.values("perangkat__nama")[:1]), device_name=Subquery(names.values("name")[:1])
    ).order_by("device__desa__kode", "punched_at")
    page = Paginator(queryset, 100).get_page(request.GET.get("page"))
    return render(
        request, "attendance/punches.html", {"page": page, "day": chosen, "querystring": request.GET.urlencode()}
    )
