"""Izin, sakit, cuti and dinas luar: the list with approve/reject/cancel, the request form and the attachment
download. Reads go through ``restrict`` (outside the user's scope: 404); writes go through
``attendance.leave``, which checks again."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from attendance import leave as leave_service
from attendance.forms import LeaveDecisionForm, LeaveForm
from attendance.models import Leave
from portal import files, web
from portal.scoping import get_in_scope_or_404, restrict
from portal.selectors import desa_list

PDF_TYPE = files.CONTENT_TYPES[files.KIND_PDF]


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
        "page": page,
        "filters": filters,
        "states": Leave.State.choices,
        "can_request": may_request,
        "desa_choices": [] if user.is_desa_user else list(desa_list(user=user)),
        "querystring": query.urlencode(),
        "decision_form": LeaveDecisionForm(),
    }
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
                    actor=user,
                    perangkat=data["perangkat"],
                    kind=data["kind"],
                    date_from=data["date_from"],
                    date_to=data["date_to"],
                    reason=data["reason"],
                    attachment=data["attachment"] or None,
                )
            except files.UploadRejected as exc:
                form.add_error("attachment", exc.messages)
            except ValidationError as exc:
                web.form_add_errors(form, exc)
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
        messages.error(request, web.error_text(exc))
    else:
        messages.success(request, message)
    return redirect(web.safe_next(request, reverse("attendance-leave")))


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
