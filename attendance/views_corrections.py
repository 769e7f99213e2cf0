"""Koreksi absen pages: the list with approve/reject/cancel buttons, the request form and the evidence
download. Reads go through ``restrict`` (an object outside the user's scope answers 404); writes go through
``attendance.corrections``, which checks again."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from attendance import corrections
from attendance.forms import CorrectionForm, LeaveDecisionForm
from attendance.models import Device, PunchCorrection
from portal import files, web
from portal.scoping import get_in_scope_or_404, restrict
from portal.selectors import desa_list


@login_required
def correction_list(request):
    user = request.user
    queryset = restrict(
        PunchCorrection.objects.select_related("perangkat", "perangkat__desa", "requested_by", "decided_by"), user
    )
    filters = {"desa": request.GET.get("desa", ""), "status": request.GET.get("status", "")}
    if filters["desa"] and not user.is_desa_user:
        queryset = queryset.filter(perangkat__desa__kode=filters["desa"])
    if filters["status"] in PunchCorrection.State.values:
        queryset = queryset.filter(state=filters["status"])
    page = Paginator(queryset, 50).get_page(request.GET.get("page"))
    may_request = corrections.can_request(user)
    zones = _zones({item.perangkat.desa_id for item in page})
    for item in page:
        # The time as the desa's clocks show it (a WITA desa's 07:30 is 07:30), not the server's zone.
        item.local_at = item.punched_at.astimezone(zones.get(item.perangkat.desa_id, ZoneInfo(settings.TIME_ZONE)))
        item.local_at = item.local_at.replace(tzinfo=None)
        decide = corrections.can_decide(user, item)
        item.may_decide = item.state == PunchCorrection.State.REQUESTED and decide
        item.may_cancel = corrections.can_cancel(user, item)
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "page": page,
        "filters": filters,
        "states": PunchCorrection.State.choices,
        "can_request": may_request,
        "desa_choices": [] if user.is_desa_user else list(desa_list(user=user)),
        "querystring": query.urlencode(),
        "decision_form": LeaveDecisionForm(),
    }
    return render(request, "attendance/correction_list.html", context)


def _zones(desa_ids: set[int]) -> dict[int, ZoneInfo]:
    """Each desa's zone: its machines' (the first by name, as the recompute takes it)."""
    zones: dict[int, ZoneInfo] = {}
    for desa_id, name in (
        Device.objects.filter(desa_id__in=desa_ids).order_by("name").values_list("desa_id", "timezone")
    ):
        zones.setdefault(desa_id, ZoneInfo(name))
    return zones


@login_required
def correction_new(request):
    user = request.user
    if not corrections.can_request(user):
        raise PermissionDenied
    if request.method == "POST":
        form = CorrectionForm(request.POST, request.FILES, user=user)
        if form.is_valid():
            data = form.cleaned_data
            try:
                corrections.correction_request(
                    actor=user,
                    perangkat=data["perangkat"],
                    date=data["date"],
                    kind=data["kind"],
                    time=data["time"],
                    reason=data["reason"],
                    attachment=data["attachment"] or None,
                )
            except files.UploadRejected as exc:
                form.add_error("attachment", exc.messages)
            except ValidationError as exc:
                web.form_add_errors(form, exc)
            else:
                messages.success(request, _("Koreksi absen disimpan dan menunggu keputusan."))
                return redirect("attendance-corrections")
    else:
        form = CorrectionForm(user=user)
    return render(request, "attendance/correction_form.html", {"form": form})


def _action(request, pk: int, act) -> HttpResponse:
    row = get_in_scope_or_404(
        PunchCorrection.objects.select_related("perangkat", "perangkat__desa"), request.user, pk=pk
    )
    form = LeaveDecisionForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        message = act(row, note)
    except ValidationError as exc:
        messages.error(request, web.error_text(exc))
    else:
        messages.success(request, message)
    return redirect(web.safe_next(request, reverse("attendance-corrections")))


@login_required
@require_POST
def correction_approve(request, pk: int):
    def act(row, note):
        corrections.correction_decide(actor=request.user, correction=row, approve=True, note=note)
        return _("Koreksi absen %(name)s disetujui.") % {"name": row.perangkat.nama}

    return _action(request, pk, act)


@login_required
@require_POST
def correction_reject(request, pk: int):
    def act(row, note):
        corrections.correction_decide(actor=request.user, correction=row, approve=False, note=note)
        return _("Koreksi absen %(name)s ditolak.") % {"name": row.perangkat.nama}

    return _action(request, pk, act)


@login_required
@require_POST
def correction_cancel(request, pk: int):
    def act(row, note):
        corrections.correction_cancel(actor=request.user, correction=row, note=note)
        return _("Koreksi absen %(name)s dibatalkan.") % {"name": row.perangkat.nama}

    return _action(request, pk, act)


@login_required
def correction_attachment(request, pk: int):
    row = get_in_scope_or_404(PunchCorrection.objects.all(), request.user, pk=pk)
    if not row.attachment_path:
        raise Http404
    return files.download_response(
        row.attachment_path,
        download_name=row.attachment_name or f"bukti-koreksi-{row.pk}{files.EXTENSIONS[row.attachment_kind]}",
        content_type=files.CONTENT_TYPES.get(row.attachment_kind, "application/octet-stream"),
    )
