"""Leave (izin, sakit, cuti, dinas luar): requested by the desa, decided by the Kepala Desa or the kecamatan
through the decision every request shares (``attendance.decisions``).

Overlap is refused under a lock on the perangkat row, so two requests sent at once cannot both pass the
check. Every decision marks the covered days for recompute."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from attendance import decisions
from attendance.models import Leave
from portal.models import Perangkat, User
from portal.validators import validate_business_date


@transaction.atomic
def leave_request(
    *,
    actor: User,
    perangkat: Perangkat,
    kind: str,
    date_from: dt.date,
    date_to: dt.date,
    reason: str = "",
    attachment=None,
) -> Leave:
    decisions.require_can_request(actor=actor, perangkat=perangkat)
    if kind not in Leave.Kind.values:
        raise ValidationError({"kind": _("Jenis izin tidak dikenal.")})
    # The forms check it too; here for every caller: an approval marks every day of the range for recompute.
    validate_business_date(date_from, "date_from")
    validate_business_date(date_to, "date_to")
    if date_to < date_from:
        raise ValidationError({"date_to": _("Tanggal akhir tidak boleh sebelum tanggal mulai.")})
    days = (date_to - date_from).days + 1
    limit = settings.ATTENDANCE_SICK_NOTE_AFTER_DAYS
    if kind == Leave.Kind.SAKIT and days > limit and attachment is None:
        raise ValidationError(
            {"attachment": _("Sakit lebih dari %(n)d hari wajib melampirkan surat keterangan dokter.") % {"n": limit}}
        )
    decisions.request_lock(perangkat)  # the overlap check and the insert are one step
    clash = Leave.objects.filter(
        perangkat=perangkat, state__in=decisions.OPEN_STATES, date_from__lte=date_to, date_to__gte=date_from
    ).first()
    if clash is not None:
        raise ValidationError(
            _("Tumpang tindih dengan %(kind)s %(from)s–%(to)s yang %(state)s.")
            % {
                "kind": clash.get_kind_display().lower(),
                "from": f"{clash.date_from:%d/%m/%Y}",
                "to": f"{clash.date_to:%d/%m/%Y}",
                "state": clash.get_state_display().lower(),
            }
        )
    leave = Leave(
        perangkat=perangkat, kind=kind, date_from=date_from, date_to=date_to, reason=reason, requested_by=actor
    )
    return decisions.request_save(leave, attachment=attachment, subdir=f"izin/{date_from.year}")


def leave_decide(*, actor: User, leave: Leave, approve: bool, note: str = "") -> Leave:
    return decisions.request_decide(actor=actor, row=leave, approve=approve, note=note)


def leave_cancel(*, actor: User, leave: Leave, note: str = "") -> Leave:
    """Withdraw a request, or revoke an approved leave (its days are recomputed)."""
    return decisions.request_cancel(actor=actor, row=leave, note=note)
