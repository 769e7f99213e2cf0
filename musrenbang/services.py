"""Writes of Musrenbang: schedules, holding a meeting and its documents, participation, proposals and
their flow, carry-over, the ranking rule, and the alerts. Every write checks the role and the scope; every
proposal status change is a conditional UPDATE plus a transition row (two clicks cannot both win)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from musrenbang import rules
from musrenbang.choices import DocumentRole, MeetingKind, ParticipantGroup, ProposalStatus
from musrenbang.models import (
    Meeting,
    MeetingDocument,
    Participant,
    Participation,
    Proposal,
    ProposalTransition,
    RankingRule,
)
from portal import files, notify, permissions
from portal.choices import Role
from portal.models import Desa, Kecamatan, Notification, User
from portal.scoping import in_scope
from portal.validators import validate_business_date

DOCUMENT_KINDS = {
    DocumentRole.UNDANGAN: {files.KIND_PDF, files.KIND_JPEG, files.KIND_PNG},
    DocumentRole.DAFTAR_HADIR: {files.KIND_PDF, files.KIND_JPEG, files.KIND_PNG, files.KIND_XLSX},
    DocumentRole.BERITA_ACARA: {files.KIND_PDF, files.KIND_JPEG, files.KIND_PNG},
    DocumentRole.FOTO: {files.KIND_JPEG, files.KIND_PNG},
}
DOCUMENT_MAX_BYTES = 10 * 1024 * 1024
PROPOSAL_FIELDS = (
    "bidang",
    "sub_bidang",
    "activity",
    "location",
    "volume",
    "unit",
    "estimated_cost",
    "fund_source",
    "beneficiaries",
    "desa_rank",
)


def can_edit_meeting(user: User, meeting: Meeting) -> bool:
    """The desa records its own Musdes/Musrenbangdes; the kecamatan records its forum (and may help a desa)."""
    if not in_scope(meeting, user):
        return False
    if permissions.is_kecamatan_staff(user):
        return True
    return meeting.desa_id is not None and permissions.can_submit_for_desa(user) and meeting.desa_id == user.desa_id


# Meetings -----------------------------------------------------------------------------------------------


def meeting_ensure(*, kecamatan: Kecamatan, desa: Desa | None, year: int, kind: str) -> Meeting:
    start, end = rules.default_window(kind, year)
    lookup = {"kecamatan": kecamatan, "year": year, "kind": kind, "desa": desa}
    try:
        with transaction.atomic():
            meeting, _created = Meeting.objects.get_or_create(
                **lookup, defaults={"window_start": start, "window_end": end}
            )
    except IntegrityError:  # created meanwhile by another request: the unique constraint decided
        meeting = Meeting.objects.get(**lookup)
    return meeting


@transaction.atomic
def meetings_schedule(
    *,
    actor: User,
    kecamatan: Kecamatan,
    year: int,
    kind: str,
    planned_date: dt.date | None,
    desa: list[Desa] | None = None,
    window: tuple[dt.date, dt.date] | None = None,
) -> list[Meeting]:
    """The kecamatan sets the planned date (and optionally the window) of one kind of meeting, for the given
    desa or every desa of the kecamatan (or its own forum)."""
    if not permissions.is_kecamatan_staff(actor) or not in_scope(kecamatan, actor):
        raise PermissionDenied
    if kind not in MeetingKind.values:
        raise ValidationError({"kind": _("Jenis musyawarah tidak dikenal.")})
    validate_business_date(planned_date, "planned_date")
    if window:
        validate_business_date(window[0], "window_start")
        validate_business_date(window[1], "window_end")
    start, end = window or rules.default_window(kind, year)
    if end < start:
        raise ValidationError({"window_end": _("Akhir jendela tidak boleh sebelum awalnya.")})
    if planned_date and not start <= planned_date <= end:
        raise ValidationError(
            {
                "planned_date": _("Tanggal rencana harus di dalam jendela %(a)s–%(b)s.")
                % {"a": f"{start:%d/%m/%Y}", "b": f"{end:%d/%m/%Y}"}
            }
        )
    if kind == MeetingKind.KECAMATAN:
        owners: list[Desa | None] = [None]
    else:
        owners = list(desa) if desa is not None else list(Desa.objects.filter(kecamatan=kecamatan).order_by("kode"))
        if any(d.kecamatan_id != kecamatan.pk for d in owners):
            raise ValidationError({"desa": _("Desa harus di kecamatan ini.")})
    result = []
    for owner in owners:
        meeting = meeting_ensure(kecamatan=kecamatan, desa=owner, year=year, kind=kind)
        meeting.planned_date, meeting.window_start, meeting.window_end = planned_date, start, end
        meeting.reminded_at = None
        meeting.save()
        result.append(meeting)
    return result


@transaction.atomic
def meeting_record(
    *, actor: User, meeting: Meeting, held_date: dt.date | None, place: str = "", notes: str = ""
) -> Meeting:
    if not can_edit_meeting(actor, meeting):
        raise PermissionDenied
    validate_business_date(held_date, "held_date")
    if held_date and held_date > timezone.localdate():
        raise ValidationError({"held_date": _("Tanggal pelaksanaan tidak boleh di masa depan.")})
    meeting.held_date, meeting.place, meeting.notes = held_date, place, notes
    meeting.save()
    return meeting


def meeting_document_add(*, actor: User, meeting: Meeting, role: str, upload) -> MeetingDocument:
    """Store a document after checking its content (not its name). Images are allowed for photos and scans."""
    if not can_edit_meeting(actor, meeting):
        raise PermissionDenied
    if role not in DOCUMENT_KINDS:
        raise ValidationError({"role": _("Jenis dokumen tidak dikenal.")})
    checked = files.check_upload(upload, allowed_kinds=DOCUMENT_KINDS[role], max_bytes=DOCUMENT_MAX_BYTES)
    with files.atomic_storage() as stored:
        path = stored.store_upload(upload, checked, subdir=f"musrenbang/{meeting.year}")
        return MeetingDocument.objects.create(
            meeting=meeting,
            role=role,
            original_name=checked.safe_name,
            stored_path=path,
            kind=checked.kind,
            size=checked.size,
            sha256=checked.sha256,
            uploaded_by=actor,
        )


@transaction.atomic
def participation_set(*, actor: User, meeting: Meeting, counts: dict[str, tuple[int, int]]) -> list[Participation]:
    """Replace the per-group counts: {group: (men, women)}. Groups left out count zero."""
    if not can_edit_meeting(actor, meeting):
        raise PermissionDenied
    unknown = set(counts) - set(ParticipantGroup.values)
    if unknown:
        raise ValidationError({"group": _("Kelompok tidak dikenal: %(g)s.") % {"g": ", ".join(sorted(unknown))}})
    if any(m < 0 or w < 0 for m, w in counts.values()):
        raise ValidationError({"count": _("Jumlah peserta tidak boleh negatif.")})
    meeting.participation.all().delete()
    return Participation.objects.bulk_create(
        [Participation(meeting=meeting, group=g, men=m, women=w) for g, (m, w) in counts.items() if m or w]
    )


@transaction.atomic
def participants_add(*, actor: User, meeting: Meeting, rows: Iterable[dict]) -> list[Participant]:
    """Add named participants ({name, group, gender, origin}) to the meeting; earlier ones are kept. All or
    none: the first invalid row refuses them all (the Excel import checks them first, to name each row)."""
    if not can_edit_meeting(actor, meeting):
        raise PermissionDenied
    participants = [Participant(meeting=meeting, **row) for row in rows]
    for participant in participants:
        participant.full_clean(exclude=["meeting"])  # the meeting is checked above, once
    return Participant.objects.bulk_create(participants)


# Proposals ----------------------------------------------------------------------------------------------


def _clean_fields(fields: dict) -> dict:
    unknown = set(fields) - set(PROPOSAL_FIELDS)
    if unknown:
        raise ValidationError({"fields": _("Kolom tidak dikenal: %(f)s.") % {"f": ", ".join(sorted(unknown))}})
    return fields


@transaction.atomic
def proposal_create(*, actor: User, desa: Desa, year: int, **fields) -> Proposal:
    if not permissions.can_write_for_desa(actor) or not in_scope(desa, actor):
        raise PermissionDenied
    proposal = Proposal(desa=desa, year=year, created_by=actor, **_clean_fields(fields))
    proposal.full_clean()
    proposal.save()
    ProposalTransition.objects.create(proposal=proposal, to_status=proposal.status, by=actor, note=_("Diusulkan"))
    return proposal


@transaction.atomic
def proposal_update(*, actor: User, proposal: Proposal, **fields) -> Proposal:
    """The desa edits its proposal while it is still only proposed; afterwards it belongs to the forum."""
    if not in_scope(proposal, actor) or not permissions.can_write_for_desa(actor):
        raise PermissionDenied
    if proposal.status not in rules.DESA_EDITABLE:
        raise ValidationError(_("Usulan yang sudah dibahas tidak dapat diubah lagi."))
    for name, value in _clean_fields(fields).items():
        setattr(proposal, name, value)
    proposal.full_clean()
    proposal.save()
    return proposal


@transaction.atomic
def proposal_move(
    *,
    actor: User,
    proposal: Proposal,
    to_status: str,
    note: str = "",
    kecamatan_priority: int | None = None,
    score: Decimal | None = None,
    outcome_reason: str = "",
    program: str = "",
    accommodated_cost: Decimal | None = None,
) -> Proposal:
    """One step of the flow, by kecamatan staff. Accommodated needs the program that took it; not accommodated
    needs a reason."""
    if not permissions.is_kecamatan_staff(actor) or not in_scope(proposal, actor):
        raise PermissionDenied
    current = proposal.status
    if not rules.can_move(current, to_status):
        raise ValidationError(
            _("Usulan berstatus %(a)s tidak dapat dipindah ke %(b)s.")
            % {
                "a": ProposalStatus(current).label,
                "b": ProposalStatus(to_status).label if to_status in ProposalStatus.values else to_status,
            }
        )
    changes: dict = {"status": to_status}
    if to_status == ProposalStatus.DIBAHAS:
        if score is not None and not Decimal(0) <= Decimal(score) <= Decimal(100):
            raise ValidationError({"score": _("Skor harus antara 0 dan 100.")})
        changes.update(kecamatan_priority=kecamatan_priority, score=score)
    if to_status == ProposalStatus.DIAKOMODASI:
        if not program.strip():
            raise ValidationError({"program": _("Sebutkan program/OPD yang menampung usulan ini.")})
        changes.update(
            program=program.strip(),
            outcome_reason=outcome_reason,
            accommodated_cost=accommodated_cost if accommodated_cost is not None else proposal.estimated_cost,
        )
    if to_status == ProposalStatus.TIDAK_DIAKOMODASI:
        if not outcome_reason.strip():
            raise ValidationError({"outcome_reason": _("Tuliskan alasan usulan tidak diakomodasi.")})
        changes.update(outcome_reason=outcome_reason.strip(), program=program, accommodated_cost=None)
    changed = Proposal.objects.filter(pk=proposal.pk, status=current).update(**changes, updated_at=timezone.now())
    if not changed:
        raise ValidationError(_("Usulan ini baru saja diubah orang lain; muat ulang halaman."))
    proposal.refresh_from_db()
    proposal.save()  # a history row for the step (update() writes none)
    ProposalTransition.objects.create(proposal=proposal, from_status=current, to_status=to_status, note=note, by=actor)
    return proposal


@transaction.atomic
def proposal_carry_over(*, actor: User, proposal: Proposal) -> Proposal:
    """Propose again next year a proposal that was not accommodated: a new proposal linked to this one, so
    the chain of years keeps its whole history. Once per proposal (a one-to-one link)."""
    if not permissions.can_submit_for_desa(actor) or not in_scope(proposal, actor):
        raise PermissionDenied
    if proposal.status != ProposalStatus.TIDAK_DIAKOMODASI:
        raise ValidationError(_("Hanya usulan yang tidak diakomodasi yang dapat diusulkan lagi tahun depan."))
    fields = {name: getattr(proposal, name) for name in PROPOSAL_FIELDS}
    try:
        with transaction.atomic():
            follow = Proposal.objects.create(
                desa=proposal.desa, year=proposal.year + 1, created_by=actor, carried_from=proposal, **fields
            )
    except IntegrityError:
        raise ValidationError(_("Usulan ini sudah diusulkan lagi untuk tahun berikutnya.")) from None
    ProposalTransition.objects.create(
        proposal=follow,
        to_status=follow.status,
        by=actor,
        note=_("Lanjutan usulan tahun %(y)d") % {"y": proposal.year},
    )
    return follow


def ranking_rule_set(*, actor: User, kecamatan: Kecamatan, tie_breakers: list[str]) -> RankingRule:
    if not permissions.is_kecamatan_staff(actor) or not in_scope(kecamatan, actor):
        raise PermissionDenied
    unknown = [t for t in tie_breakers if t not in rules.TIE_BREAKERS]
    if unknown or len(set(tie_breakers)) != len(tie_breakers):
        raise ValidationError(
            {"tie_breakers": _("Urutan penentu peringkat tidak sah: %(t)s.") % {"t": ", ".join(unknown) or _("ganda")}}
        )
    rule, _created = RankingRule.objects.update_or_create(kecamatan=kecamatan, defaults={"tie_breakers": tie_breakers})
    return rule


# Alerts -------------------------------------------------------------------------------------------------

REMIND_DAYS = (7, 1)


def musrenbang_alerts(*, today: dt.date | None = None) -> int:
    """Daily: remind the desa before a planned meeting (H-7, H-1) and send a late notice (desa and Kasi Tapem)
    the day after the planned date passes without a berita acara. Deliveries are unique per event and
    recipient, so running twice sends nothing twice."""
    today = today or timezone.localdate()
    sent = 0
    meetings = Meeting.objects.filter(planned_date__isnull=False, window_end__gte=today - dt.timedelta(days=1))
    meetings = meetings.select_related("desa", "kecamatan").exclude(documents__role=DocumentRole.BERITA_ACARA)
    for meeting in meetings:
        days_left = (meeting.planned_date - today).days
        if days_left in REMIND_DAYS:
            key = f"musren:{meeting.pk}:remind:{meeting.planned_date}:{days_left}"
            sent += _alert(meeting, key, meeting_reminder_payload(meeting, days_left), late=False)
        elif days_left < 0:
            key = f"musren:{meeting.pk}:late:{meeting.planned_date}"
            sent += _alert(meeting, key, meeting_late_payload(meeting), late=True)
    return sent


def meeting_reminder_payload(meeting: Meeting, days_left: int) -> dict:
    planned = f"{meeting.planned_date:%d/%m/%Y}"
    title = notify.text(gettext_noop("%(m)s %(d)s hari lagi"), m=meeting, d=days_left)
    # The place is typed by the desa and may end with its own period: it closes the message, with none added.
    message = notify.text(
        gettext_noop("%(m)s direncanakan pada %(t)s. Tempat: %(p)s"), m=meeting, t=planned, p=meeting.place or "-"
    )
    return _meeting_payload(meeting, Notification.Kind.REMINDER, title, message)


def meeting_late_payload(meeting: Meeting) -> dict:
    planned = f"{meeting.planned_date:%d/%m/%Y}"
    title = notify.text(gettext_noop("%(m)s belum ada berita acara"), m=meeting)
    message = notify.text(
        gettext_noop("%(m)s direncanakan %(t)s, tetapi berita acaranya belum diunggah."), m=meeting, t=planned
    )
    return _meeting_payload(meeting, Notification.Kind.LATE, title, message)


def _meeting_payload(meeting: Meeting, kind: str, title, message) -> dict:
    # The meeting's own __str__ (its kind, translated) renders inside the payload, in the payload's language.
    return notify.payload_build(
        title=title,
        message=message,
        url_name="musrenbang-meeting",
        args=[meeting.pk],
        kind=kind,
        desa=meeting.desa.kode if meeting.desa_id else "",
    )


def _alert(meeting: Meeting, key: str, payload: dict, *, late: bool) -> int:
    roles = [Role.OPERATOR_DESA, Role.KEPALA_DESA]
    recipients = User.objects.filter(is_active=True, kecamatan_id=meeting.kecamatan_id)
    if meeting.desa_id:
        desa_users = recipients.filter(desa_id=meeting.desa_id, role__in=roles)
        kasi = recipients.filter(role=Role.KASI_TAPEM) if late else User.objects.none()
        targets = list(desa_users) + list(kasi)
    else:
        targets = list(recipients.filter(role__in=[Role.KASI_TAPEM, Role.CAMAT]))
    return notify.deliveries_create(
        event_key=key,
        kind=payload["kind"],
        recipients=targets,
        kecamatan_id=meeting.kecamatan_id,
        desa_id=meeting.desa_id,
        payload=payload,
    )
