"""Writes of the monev plan and visits: keyword-only services that check role and scope themselves, and the
overdue pass for recommendations. The pure rules of a recommendation's states come first."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from monev.models_visits import (
    ChecklistAnswer,
    ChecklistAnswerChoice,
    ChecklistTemplate,
    Finding,
    FollowUp,
    MonevPlanEntry,
    Recommendation,
    RecommendationState,
    RecommendationTransition,
    Visit,
    VisitFile,
    VisitType,
)
from portal import files, notify, permissions
from portal.choices import DESA_ROLES, Role
from portal.models import Desa, Notification, User
from portal.scoping import in_scope, restrict
from portal.validators import validate_business_date

# Rules (pure) -----------------------------------------------------------------------------------------------

RS = RecommendationState
# Waiting for the desa: these count as open and may run past their due date.
AWAITING_DESA = frozenset({RS.OPEN, RS.REOPENED})
# Days past the due date at which the desa and the Kasi Tapem hear of it again (each stage once).
OVERDUE_STAGES = (1, 14, 30)
EVIDENCE_KINDS = {files.KIND_PDF, files.KIND_JPEG, files.KIND_PNG}


def can_answer(state: str) -> bool:
    return state in AWAITING_DESA


def can_decide(state: str) -> bool:
    return state == RS.ANSWERED


def is_overdue(state: str, due_date: dt.date, today: dt.date) -> bool:
    return state in AWAITING_DESA and due_date < today


def overdue_stage_due(due_date: dt.date, today: dt.date, sent: int) -> int | None:
    """The latest stage reached by ``today`` and not yet sent (after downtime only the latest goes out)."""
    days = (today - due_date).days
    reached = [s for s in OVERDUE_STAGES if s <= days and s > sent]
    return reached[-1] if reached else None


def can_decide_user(user) -> bool:
    """Accept or reopen a follow-up: the kecamatan's staff (the Kasi Tapem and the others of the office)."""
    return permissions.is_kecamatan_staff(user)


def can_answer_user(user, desa_id: int) -> bool:
    """Answer a recommendation: the desa's own operator or Kepala Desa."""
    return permissions.can_submit_for_desa(user) and user.desa_id == desa_id


# Plan -----------------------------------------------------------------------------------------------------


def _require_staff(actor: User) -> None:
    if not permissions.is_kecamatan_staff(actor):
        raise PermissionDenied


def _require_scope(obj, actor: User) -> None:
    if not in_scope(obj, actor):
        raise PermissionDenied


def plan_set(*, actor: User, year: int, cells: dict[tuple[int, int], Iterable[str]]) -> int:
    """Replace the plan of ``year`` for the desa named in ``cells`` ((desa_id, quarter) → type codes). Desa
    outside the actor's scope are refused. Returns the number of entries of the year after the change."""
    _require_staff(actor)
    validate_business_date(dt.date(year, 1, 1), "year")
    desa_ids = {desa_id for desa_id, _q in cells}
    allowed = set(restrict(Desa.objects.filter(pk__in=desa_ids), actor).values_list("pk", flat=True))
    if desa_ids - allowed:
        raise PermissionDenied
    wanted = set()
    for (desa_id, quarter), codes in cells.items():
        if quarter not in (1, 2, 3, 4):
            raise ValidationError({"quarter": _("Triwulan harus 1 sampai 4.")})
        for code in codes:
            if code not in VisitType.values:
                raise ValidationError({"visit_type": _("Jenis evaluasi tidak dikenal.")})
            wanted.add((desa_id, quarter, code))
    with transaction.atomic():
        existing = {
            (e.desa_id, e.quarter, e.visit_type): e
            for e in MonevPlanEntry.objects.filter(year=year, desa_id__in=desa_ids)
        }
        for key, entry in existing.items():
            if key not in wanted:
                entry.delete()
        MonevPlanEntry.objects.bulk_create(
            [
                MonevPlanEntry(desa_id=d, year=year, quarter=q, visit_type=t, created_by=actor)
                for d, q, t in sorted(wanted - set(existing))
            ]
        )
    return MonevPlanEntry.objects.filter(year=year, desa_id__in=desa_ids).count()


def plan_entry_save(*, actor: User, entry: MonevPlanEntry) -> MonevPlanEntry:
    """Create or change one plan entry (the API's door)."""
    _require_staff(actor)
    if not restrict(Desa.objects.filter(pk=entry.desa_id), actor).exists():
        raise PermissionDenied
    if entry.pk is None:
        entry.created_by = actor
    entry.full_clean()
    entry.save()
    return entry


# Visits ---------------------------------------------------------------------------------------------------


def visit_save(
    *,
    actor: User,
    desa: Desa,
    visit_type: str,
    mode: str,
    visit_date: dt.date,
    team: Iterable[User] = (),
    other_members: str = "",
    summary: str = "",
    letter_number: str = "",
    visit: Visit | None = None,
) -> Visit:
    """Record a new visit (its checklist copied from the type's template) or change one."""
    _require_staff(actor)
    if not restrict(Desa.objects.filter(pk=desa.pk), actor).exists():
        raise PermissionDenied
    validate_business_date(visit_date, "visit_date")
    team = list(team)
    if any(u.kecamatan_id != desa.kecamatan_id or u.is_desa_user for u in team):
        raise ValidationError({"team": _("Tim hanya pengguna kecamatan desa ini.")})
    with transaction.atomic():
        new = visit is None
        if new:
            visit = Visit(created_by=actor)
        elif not in_scope(visit, actor):
            raise PermissionDenied
        type_changed = not new and visit.visit_type != visit_type
        visit.desa = desa
        visit.visit_type = visit_type
        visit.mode = mode
        visit.visit_date = visit_date
        visit.other_members = other_members
        visit.summary = summary
        visit.letter_number = letter_number
        visit.plan_entry = MonevPlanEntry.objects.filter(
            desa=desa, year=visit_date.year, quarter=(visit_date.month - 1) // 3 + 1, visit_type=visit_type
        ).first()
        visit.full_clean(exclude=["team", "created_by"])
        visit.save()
        visit.team.set(team)
        if new or (type_changed and not visit.answers.exclude(answer="", note="").exists()):
            visit.answers.all().delete()
            _checklist_copy(visit)
    return visit


def _checklist_copy(visit: Visit) -> None:
    template = ChecklistTemplate.objects.filter(visit_type=visit.visit_type).first()
    if template is None:
        return
    ChecklistAnswer.objects.bulk_create(
        [
            ChecklistAnswer(visit=visit, item_text=item.text, sort_order=item.sort_order)
            for item in template.items.filter(active=True)
        ]
    )


def checklist_answer(*, actor: User, visit: Visit, answers: dict[int, tuple[str, str]]) -> None:
    """Store the answers (answer id → (ya/sebagian/tidak or "", note))."""
    _require_staff(actor)
    _require_scope(visit, actor)
    rows = {a.pk: a for a in visit.answers.all()}
    for pk, (answer, note) in answers.items():
        if pk not in rows:
            raise ValidationError(_("Butir daftar periksa tidak dikenal."))
        if answer and answer not in ChecklistAnswerChoice.values:
            raise ValidationError(_("Jawaban harus ya, sebagian atau tidak."))
        rows[pk].answer, rows[pk].note = answer, note
    ChecklistAnswer.objects.bulk_update(list(rows.values()), ["answer", "note"])


def visit_file_add(*, actor: User, visit: Visit, upload) -> VisitFile:
    """An evidence file (PDF, JPEG, PNG), checked by content before anything is stored."""
    _require_staff(actor)
    _require_scope(visit, actor)
    checked = files.check_upload(upload, allowed_kinds=EVIDENCE_KINDS)
    with files.atomic_storage() as stored:
        path = stored.store_upload(upload, checked, subdir=_subdir(visit))
        return VisitFile.objects.create(
            visit=visit,
            original_name=checked.safe_name,
            stored_path=path,
            size=checked.size,
            sha256=checked.sha256,
            content_type=checked.content_type,
            uploaded_by=actor,
        )


def _subdir(visit: Visit) -> str:
    return f"monev-kunjungan/{visit.visit_date.year}/{visit.desa.kode.replace('.', '-')}"


def finding_add(*, actor: User, visit: Visit, text: str) -> Finding:
    _require_staff(actor)
    _require_scope(visit, actor)
    if not text.strip():
        raise ValidationError({"text": _("Isi temuan.")})
    return Finding.objects.create(visit=visit, text=text.strip())


# Recommendations ------------------------------------------------------------------------------------------


def recommendation_add(
    *,
    actor: User,
    visit: Visit,
    text: str,
    responsible: str,
    due_date: dt.date,
    finding: Finding | None = None,
) -> Recommendation:
    _require_staff(actor)
    _require_scope(visit, actor)
    if finding is not None and finding.visit_id != visit.pk:
        raise ValidationError({"finding": _("Temuan bukan dari kunjungan ini.")})
    if not text.strip():
        raise ValidationError({"text": _("Isi rekomendasi.")})
    if not responsible.strip():
        raise ValidationError({"responsible": _("Isi penanggung jawab di desa.")})
    validate_business_date(due_date, "due_date")
    if due_date < visit.visit_date:
        raise ValidationError({"due_date": _("Tenggat tidak boleh sebelum tanggal kunjungan.")})
    with transaction.atomic():
        rec = Recommendation.objects.create(
            visit=visit, finding=finding, text=text.strip(), responsible=responsible.strip(), due_date=due_date
        )
        RecommendationTransition.objects.create(
            recommendation=rec, from_state="", to_state=RS.OPEN, at=timezone.now(), by=actor
        )
    return rec


def _locked(rec: Recommendation) -> Recommendation:
    return Recommendation.objects.select_for_update().select_related("visit__desa").get(pk=rec.pk)


def _move(rec: Recommendation, to: str, *, actor: User, note: str = "", follow_up: FollowUp | None = None) -> None:
    now = timezone.now()
    RecommendationTransition.objects.create(
        recommendation=rec, follow_up=follow_up, from_state=rec.state, to_state=to, at=now, by=actor, note=note
    )
    rec.state, rec.state_changed_at = to, now
    rec.save(update_fields=["state", "state_changed_at"])


def follow_up_submit(*, actor: User, recommendation: Recommendation, text: str, upload=None) -> FollowUp:
    """The desa answers: what it did, with an optional evidence file (PDF or image)."""
    if not in_scope(recommendation, actor):
        raise PermissionDenied
    if not can_answer_user(actor, recommendation.visit.desa_id):
        raise PermissionDenied
    if not text.strip():
        raise ValidationError({"text": _("Isi tindak lanjut.")})
    checked = files.check_upload(upload, allowed_kinds=EVIDENCE_KINDS) if upload else None
    with files.atomic_storage() as stored:
        rec = _locked(recommendation)
        if not can_answer(rec.state):
            raise ValidationError(_("Rekomendasi ini tidak menunggu tindak lanjut."))
        follow_up = FollowUp(recommendation=rec, text=text.strip(), submitted_by=actor, submitted_at=timezone.now())
        if checked is not None:
            follow_up.stored_path = stored.store_upload(upload, checked, subdir=_subdir(rec.visit))
            follow_up.original_name, follow_up.size = checked.safe_name, checked.size
            follow_up.sha256, follow_up.content_type = checked.sha256, checked.content_type
        follow_up.save()
        _move(rec, RS.ANSWERED, actor=actor, follow_up=follow_up)
    recommendation.refresh_from_db()
    return follow_up


def recommendation_accept(*, actor: User, recommendation: Recommendation, note: str = "") -> Recommendation:
    return _decide(actor, recommendation, RS.ACCEPTED, note)


def recommendation_reopen(*, actor: User, recommendation: Recommendation, reason: str) -> Recommendation:
    if not reason.strip():
        raise ValidationError({"reason": _("Tuliskan alasan membuka kembali.")})
    return _decide(actor, recommendation, RS.REOPENED, reason.strip())


def _decide(actor: User, recommendation: Recommendation, to: str, note: str) -> Recommendation:
    if not in_scope(recommendation, actor) or not can_decide_user(actor):
        raise PermissionDenied
    with transaction.atomic():
        rec = _locked(recommendation)
        if not can_decide(rec.state):
            raise ValidationError(_("Hanya rekomendasi yang sudah dijawab desa yang dapat diputuskan."))
        last = rec.follow_ups.order_by("-submitted_at", "-id").first()
        _move(rec, to, actor=actor, note=note, follow_up=last)
    recommendation.refresh_from_db()
    return recommendation


# Overdue notices ------------------------------------------------------------------------------------------

OVERDUE_TITLE = gettext_noop("Rekomendasi lewat tenggat: Desa %(desa)s")
OVERDUE_MESSAGE = gettext_noop(
    "Rekomendasi monev “%(text)s” (penanggung jawab: %(responsible)s) belum ditindaklanjuti %(days)s hari "
    "setelah tenggat %(due)s."
)


def overdue_recipients(rec: Recommendation) -> list[User]:
    desa = rec.visit.desa
    return list(
        User.objects.filter(is_active=True, desa_id=desa.pk, role__in=[r.value for r in DESA_ROLES])
        | User.objects.filter(is_active=True, kecamatan_id=desa.kecamatan_id, role=Role.KASI_TAPEM)
    )


def overdue_payload(rec: Recommendation, days: int) -> dict:
    values = {
        "desa": rec.visit.desa.nama,
        "text": rec.text[:120],
        "responsible": rec.responsible,
        "days": days,
        "due": f"{rec.due_date:%d/%m/%Y}",
    }
    return notify.payload_build(
        title=notify.text(OVERDUE_TITLE, **values),
        message=notify.text(OVERDUE_MESSAGE, **values),
        url_name="monev-visit-detail",
        args=[rec.visit_id],
        kind=Notification.Kind.LATE,
        desa=rec.visit.desa.kode,
        recommendation_id=rec.pk,
    )


def recommendations_notify_overdue(*, today: dt.date | None = None) -> int:
    """Tell the desa and the Kasi Tapem of open recommendations past their due date, once per stage: each stage
    is claimed with a conditional UPDATE of ``overdue_stage`` and its deliveries are unique per event."""
    today = today or timezone.localdate()
    sent = 0
    rows = Recommendation.objects.filter(state__in=AWAITING_DESA, due_date__lt=today).select_related("visit__desa")
    for rec in rows.iterator():
        stage = overdue_stage_due(rec.due_date, today, rec.overdue_stage)
        if stage is None:
            continue
        with transaction.atomic():
            won = Recommendation.objects.filter(
                pk=rec.pk, overdue_stage=rec.overdue_stage, state__in=AWAITING_DESA
            ).update(overdue_stage=stage)
            if not won:
                continue
            sent += notify.deliveries_create(
                event_key=f"monev-rec:{rec.pk}:lewat:{stage}",
                kind=Notification.Kind.LATE,
                recipients=overdue_recipients(rec),
                kecamatan_id=rec.visit.desa.kecamatan_id,
                desa_id=rec.visit.desa_id,
                payload=overdue_payload(rec, (today - rec.due_date).days),
            )
    return sent
