"""Izin, sakit, cuti and dinas luar: the list with approve/reject/cancel, the request form and the attachment
download. The pages are those every request shares (``attendance.views_requests``); this module says what
makes them the leave pages. Writes go through ``attendance.leave``."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from attendance import views_requests
from attendance.forms import LeaveForm
from attendance.leave import leave_request
from attendance.models import Leave

LEAVE = views_requests.Pages(
    name="leave",
    model=Leave,
    list_url="attendance-leave",
    form_class=LeaveForm,
    create=leave_request,
    saved=_("Pengajuan izin/cuti disimpan dan menunggu keputusan."),
    done={
        "approve": _("Izin/cuti %(name)s disetujui."),
        "reject": _("Izin/cuti %(name)s ditolak."),
        "cancel": _("Izin/cuti %(name)s dibatalkan."),
    },
)

leave_list = views_requests.list_view(LEAVE)
leave_new = views_requests.form_view(LEAVE)
leave_attachment = views_requests.attachment_view(LEAVE)
leave_approve, leave_reject, leave_cancel = views_requests.action_views(LEAVE)
