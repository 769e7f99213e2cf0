"""Leave (izin, sakit, cuti, dinas luar): requested by the desa, decided by the Kepala Desa or the kecamatan.

Overlap is refused under a lock on the perangkat row, so two requests sent at once cannot both pass the
check. Every decision marks the covered days for recompute."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from attendance import dirty
from attendance.models import Leave
from portal import files, permissions
from portal.choices import Jabatan, Role
from portal.models import Perangkat, User
from portal.scoping import in_scope
from portal.validators import validate_business_date

ATTACHMENT_KINDS = {files.KIND_PDF, files.KIND_JPEG, files.KIND_PNG}
OPEN_STATES = (Leave.State.REQUESTED, Leave.State.APPROVED)


def can_request(user: User) -> bool:
    return user.is_authenticated and (
        user.is_portal_admin
        or user.role in (Role.OPERATOR_DESA, Role.KEPALA_DESA)
        or permissions.is_kecamatan_staff(user)
    )


def can_decide(user: User, leave: Leave) -> bool:
    """The Kepala Desa decides for his perangkat; the Kepala Desa's own leave, and any other, can be decided
    by kecamatan staff."""
    return can_decide_for(user, leave.perangkat)


def can_decide_for(user: User, perangkat: Perangkat) -> bool:
    """Who decides a request about a perangkat (leave, koreksi absen); always on top of the scope."""
    if permissions.is_kecamatan_staff(user):
        return True
    return user.role == Role.KEPALA_DESA and perangkat.jabatan != Jabatan.KEPALA_DESA


def cancellable_states(user: User, perangkat: Perangkat) -> tuple[str, ...]:
    """Which states of a request about ``perangkat`` the user may cancel (leave and koreksi absen share the
    states' values). Withdrawing a request still waiting is open to whoever may request one (the Operator Desa,
    the Kepala Desa, kecamatan staff); revoking an *approved* one undoes a decision, so it belongs to those who
    decide: the Kepala Desa for his perangkat (not his own), kecamatan staff for anyone. Always on top of the
    scope."""
    if can_decide_for(user, perangkat):
        return (Leave.State.REQUESTED, Leave.State.APPROVED)
    if can_request(user):
        return (Leave.State.REQUESTED,)
    return ()


def can_cancel(user: User, leave: Leave) -> bool:
    return leave.state in cancellable_states(user, leave.perangkat)


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
    if not can_request(actor) or not in_scope(perangkat, actor):
        raise PermissionDenied
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
    # The lock serialises requests for one perangkat: the overlap check and the insert are one step.
    Perangkat.objects.select_for_update().get(pk=perangkat.pk)
    clash = Leave.objects.filter(
        perangkat=perangkat, state__in=OPEN_STATES, date_from__lte=date_to, date_to__gte=date_from
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
    with files.atomic_storage() as stored:
        if attachment is not None:
            checked = files.check_upload(attachment, allowed_kinds=ATTACHMENT_KINDS, max_bytes=10 * 1024 * 1024)
            path = stored.store_upload(attachment, checked, subdir=f"izin/{date_from.year}")
            leave.attachment_path, leave.attachment_sha256 = path, checked.sha256
            leave.attachment_name, leave.attachment_kind = checked.safe_name, checked.kind
        leave.save()
    return leave


@transaction.atomic
def leave_decide(*, actor: User, leave: Leave, approve: bool, note: str = "") -> Leave:
    if not in_scope(leave, actor) or not can_decide(actor, leave):
        raise PermissionDenied
    # Conditional UPDATE: only a request still waiting can be decided, whoever clicks first wins.
    state = Leave.State.APPROVED if approve else Leave.State.REJECTED
    now = timezone.now()
    changed = Leave.objects.filter(pk=leave.pk, state=Leave.State.REQUESTED).update(
        state=state, decided_by=actor, decided_at=now, decision_note=note
    )
    if not changed:
        raise ValidationError(_("Pengajuan ini sudah diputuskan."))
    leave.refresh_from_db()
    leave.save()  # a history row for the decision: update() writes none
    if approve:
        _mark(leave)
    return leave


@transaction.atomic
def leave_cancel(*, actor: User, leave: Leave, note: str = "") -> Leave:
    """Withdraw a request, or revoke an approved leave (the days are recomputed); ``cancellable_states`` says
    who may do which."""
    states = cancellable_states(actor, leave.perangkat)
    if not in_scope(leave, actor) or not states or (leave.state == Leave.State.APPROVED and leave.state not in states):
        raise PermissionDenied
    # Conditional UPDATE on the states this actor may cancel: an approval that lands between the page and the
    # click is not undone by someone who may only withdraw a request.
    changed = Leave.objects.filter(pk=leave.pk, state__in=states).update(
        state=Leave.State.CANCELLED, decided_by=actor, decided_at=timezone.now(), decision_note=note
    )
    was_approved = leave.state == Leave.State.APPROVED
    leave.refresh_from_db()
    if not changed:
        raise ValidationError(cancel_refusal(leave.state))
    leave.save()
    if was_approved:
        _mark(leave)
    return leave


def cancel_refusal(state: str) -> str:
    if state == Leave.State.APPROVED:
        return _("Pengajuan ini sudah disetujui; pembatalannya diputuskan Kepala Desa atau kecamatan.")
    return _("Pengajuan ini sudah ditolak atau dibatalkan.")


def _mark(leave: Leave) -> None:
    desa_id = leave.perangkat.desa_id
    dirty.status_mark_dirty((desa_id, day) for day in dirty.dates_between(leave.date_from, leave.date_to))
