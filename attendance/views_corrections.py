"""Koreksi absen pages: the list with approve/reject/cancel buttons, the request form and the evidence
download. The pages are those every request shares (``attendance.views_requests``); this module says what
makes them the koreksi absen pages, and shows each correction's time as the desa's clocks show it. Writes go
through ``attendance.corrections``."""

from __future__ import annotations

from collections.abc import Iterable
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from attendance import views_requests
from attendance.corrections import correction_request
from attendance.forms import CorrectionForm
from attendance.models import Device, PunchCorrection


def _local_times(rows: Iterable[PunchCorrection]) -> None:
    """The time as the desa's clocks show it (a WITA desa's 07:30 is 07:30), not the server's zone."""
    rows = list(rows)
    zones = _zones({row.perangkat.desa_id for row in rows})
    for row in rows:
        local = row.punched_at.astimezone(zones.get(row.perangkat.desa_id, ZoneInfo(settings.TIME_ZONE)))
        row.local_at = local.replace(tzinfo=None)


def _zones(desa_ids: set[int]) -> dict[int, ZoneInfo]:
    """Each desa's zone: its machines' (the first by name, as the recompute takes it)."""
    zones: dict[int, ZoneInfo] = {}
    for desa_id, name in (
        Device.objects.filter(desa_id__in=desa_ids).order_by("name").values_list("desa_id", "timezone")
    ):
        zones.setdefault(desa_id, ZoneInfo(name))
    return zones


CORRECTIONS = views_requests.Pages(
    name="correction",
    model=PunchCorrection,
    list_url="attendance-corrections",
    form_class=CorrectionForm,
    create=correction_request,
    saved=_("Koreksi absen disimpan dan menunggu keputusan."),
    done={
        "approve": _("Koreksi absen %(name)s disetujui."),
        "reject": _("Koreksi absen %(name)s ditolak."),
        "cancel": _("Koreksi absen %(name)s dibatalkan."),
    },
    prepare_rows=_local_times,
)

correction_list = views_requests.list_view(CORRECTIONS)
correction_new = views_requests.form_view(CORRECTIONS)
correction_attachment = views_requests.attachment_view(CORRECTIONS)
correction_approve, correction_reject, correction_cancel = views_requests.action_views(CORRECTIONS)
