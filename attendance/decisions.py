"""The decision that leave (``attendance.leave``) and koreksi absen (``attendance.corrections``) both go
through, written once: who may request, decide and cancel, and the state machine

    diajukan ─decide→ disetujui | ditolak          diajukan | disetujui ─cancel→ dibatalkan

Each step is a conditional UPDATE on the state, so two clicks cannot both win; who, when and why are kept and
the history gets a row. A decision that changes what stands (an approval, revoking one) marks the days the
request covers (``DecidedRequest.covered_days``) for recompute. What a request is about, and how it is checked
before it is saved, stays with its kind."""

from __future__ import annotations

from typing import TypeVar

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from attendance import dirty
from attendance.choices import RequestState
from attendance.models import DecidedRequest
from portal import files, permissions
from portal.choices import Jabatan, Role
from portal.models import Perangkat, User
from portal.scoping import in_scope

R = TypeVar("R", bound=DecidedRequest)

ATTACHMENT_KINDS = {files.KIND_PDF, files.KIND_JPEG, files.KIND_PNG}
ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024
OPEN_STATES = (RequestState.REQUESTED, RequestState.APPROVED)


# Who may do what (always on top of the scope) --------------------------------------------------------------


def can_request(user: User) -> bool:
    return user.is_authenticated and (
        user.is_portal_admin
        or user.role in (Role.OPERATOR_DESA, Role.KEPALA_DESA)
        or permissions.is_kecamatan_staff(user)
    )


def can_decide_for(user: User, perangkat: Perangkat) -> bool:
    """The Kepala Desa decides for his perangkat; the Kepala Desa's own requests, and any other, are decided
    by kecamatan staff."""
    if permissions.is_kecamatan_staff(user):
        return True
    return user.role == Role.KEPALA_DESA and perangkat.jabatan != Jabatan.KEPALA_DESA


def can_decide(user: User, row: DecidedRequest) -> bool:
    return can_decide_for(user, row.perangkat)


def can_decide_now(user: User, row: DecidedRequest) -> bool:
    """The approve and reject buttons: a request still waiting, and the user decides it."""
    return row.state == RequestState.REQUESTED and can_decide(user, row)


def cancellable_states(user: User, perangkat: Perangkat) -> tuple[str, ...]:
    """Which states of a request about ``perangkat`` the user may cancel. Withdrawing a request still waiting
    is open to whoever may request one (the Operator Desa, the Kepala Desa, kecamatan staff); revoking an
    *approved* one undoes a decision, so it belongs to those who decide: the Kepala Desa for his perangkat
    (not his own), kecamatan staff for anyone."""
    if can_decide_for(user, perangkat):
        return (RequestState.REQUESTED, RequestState.APPROVED)
    if can_request(user):
        return (RequestState.REQUESTED,)
    return ()


def can_cancel(user: User, row: DecidedRequest) -> bool:
    return row.state in cancellable_states(user, row.perangkat)


def cancel_refusal(state: str) -> str:
    if state == RequestState.APPROVED:
        return _("Pengajuan ini sudah disetujui; pembatalannya diputuskan Kepala Desa atau kecamatan.")
    return _("Pengajuan ini sudah ditolak atau dibatalkan.")


# Requesting: the steps every kind takes around its own checks ----------------------------------------------


def require_can_request(*, actor: User, perangkat: Perangkat) -> None:
    if not can_request(actor) or not in_scope(perangkat, actor):
        raise PermissionDenied


def request_lock(perangkat: Perangkat) -> None:
    """Serialise the requests for one perangkat: a kind's clash check and the insert become one step. Inside
    the caller's transaction."""
    Perangkat.objects.select_for_update().get(pk=perangkat.pk)


def request_save(row: R, *, attachment, subdir: str) -> R:
    """Insert a new request with its attachment (PDF, JPEG or PNG, checked by content, at most 10 MB). One
    savepoint: if the insert fails, the stored file goes with it and the caller's transaction stays usable."""
    with files.atomic_storage() as stored:
        if attachment is not None:
            checked = files.check_upload(attachment, allowed_kinds=ATTACHMENT_KINDS, max_bytes=ATTACHMENT_MAX_BYTES)
            row.attachment_path = stored.store_upload(attachment, checked, subdir=subdir)
            row.attachment_sha256 = checked.sha256
            row.attachment_name, row.attachment_kind = checked.safe_name, checked.kind
        row.save()
    return row


# Deciding and cancelling -----------------------------------------------------------------------------------


@transaction.atomic
def request_decide(*, actor: User, row: R, approve: bool, note: str = "") -> R:
    """Approve or reject a request still waiting; an approval marks the days it covers for recompute."""
    if not in_scope(row, actor) or not can_decide(actor, row):
        raise PermissionDenied
    # Conditional UPDATE: only a request still waiting can be decided, whoever clicks first wins.
    state = RequestState.APPROVED if approve else RequestState.REJECTED
    if not _move(row, actor=actor, note=note, from_states=(RequestState.REQUESTED,), to=state):
        raise ValidationError(_("Pengajuan ini sudah diputuskan."))
    row.refresh_from_db()
    row.save()  # a history row for the decision: update() writes none
    if approve:
        _mark(row)
    return row


@transaction.atomic
def request_cancel(*, actor: User, row: R, note: str = "") -> R:
    """Withdraw a request, or revoke an approved one (the days it covers are recomputed without it);
    ``cancellable_states`` says who may do which."""
    states = cancellable_states(actor, row.perangkat)
    was_approved = row.state == RequestState.APPROVED
    if not in_scope(row, actor) or not states or (was_approved and row.state not in states):
        raise PermissionDenied
    # Conditional UPDATE on the states this actor may cancel: an approval that lands between the page and the
    # click is not undone by someone who may only withdraw a request.
    changed = _move(row, actor=actor, note=note, from_states=states, to=RequestState.CANCELLED)
    row.refresh_from_db()
    if not changed:
        raise ValidationError(cancel_refusal(row.state))
    row.save()
    if was_approved:
        _mark(row)
    return row


def _move(row: DecidedRequest, *, actor: User, note: str, from_states: tuple[str, ...], to: str) -> bool:
    updated = type(row).objects.filter(pk=row.pk, state__in=from_states)
    return bool(updated.update(state=to, decided_by=actor, decided_at=timezone.now(), decision_note=note))


def _mark(row: DecidedRequest) -> None:
    """The days were (perhaps) computed already: mark them, so the incremental recompute picks up the change."""
    desa_id = row.perangkat.desa_id
    dirty.status_mark_dirty((desa_id, day) for day in row.covered_days())
