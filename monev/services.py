"""Writes on obligations. Keyword-only, typed, atomic. State changes lock the obligation row
(``select_for_update``) and write a ``Transition`` in the same transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from monev import rules
from monev.choices import FileRole, Outcome, Responsible, RuleKind, State, SubmissionStatus
from monev.models import (
    DocumentType,
    DocumentTypeSchedule,
    Extension,
    Obligation,
    Submission,
    SubmissionFile,
    Transition,
)
from portal import files, permissions
from portal.calendar import WorkCalendar, calendar_for
from portal.models import Desa, User
from portal.queue import enqueue
from portal.validators import validate_business_date

GENERATE_BATCH = 2000


# Generation -------------------------------------------------------------------------------------------


def _calendars(kecamatan_ids: Iterable[int], year: int) -> dict[int, WorkCalendar]:
    years = range(year - 1, year + 3)
    return {kid: calendar_for(kecamatan_id=kid, years=years) for kid in set(kecamatan_ids)}


def obligations_generate(
    *, year: int, desa_ids: Iterable[int] | None = None, document_type_ids: Iterable[int] | None = None
) -> int:
    """Create the year's obligations of every desa for every active document type. Idempotent: the unique
    constraint makes an existing obligation a no-op, so it is safe from beat, commands and admin saves."""
    types = list(DocumentType.objects.filter(active=True, per_event=False).prefetch_related("schedules"))
    if document_type_ids is not None:
        types = [t for t in types if t.id in set(document_type_ids)]
    desa_qs = Desa.objects.order_by("id")
    if desa_ids is not None:
        desa_qs = desa_qs.filter(id__in=list(desa_ids))
    desa_rows = list(desa_qs.values_list("id", "kecamatan_id"))
    calendars = _calendars((k for _d, k in desa_rows), year)
    periods = {t.id: rules.periods_for(t, year, list(t.schedules.all())) for t in types}
    before = Obligation.objects.filter(year=year).count()
    now = timezone.now()
    batch: list[Obligation] = []
    for desa_id, kecamatan_id in desa_rows:
        cal = calendars[kecamatan_id]
        for doc_type in types:
            for period in periods[doc_type.id]:
                legal = rules.legal_due_date(doc_type, year, period, None, cal)
                obligation = Obligation(
                    desa_id=desa_id,
                    document_type=doc_type,
                    year=year,
                    period=period.code,
                    period_label=period.label,
                    legal_due_date=legal,
                    due_date=rules.due_in_force(doc_type, legal, cal),
                )
                rules.alert_schedule(obligation, cal, now=now)
                batch.append(obligation)
                if len(batch) >= GENERATE_BATCH:
                    Obligation.objects.bulk_create(batch, ignore_conflicts=True)
                    batch = []
    Obligation.objects.bulk_create(batch, ignore_conflicts=True)
    return Obligation.objects.filter(year=year).count() - before


# Transitions ------------------------------------------------------------------------------------------


def _move(obligation: Obligation, to_state: str, *, actor: User | None, note: str = "", at=None, silent=False) -> None:
    """Set the state of a locked obligation and write the history row (only when the state changes).

    The row is also the alert outbox: it is born processed when it alerts nobody, or when ``silent`` (an
    edit that made the obligation late at once is recorded, but alerts only through the next stage)."""
    if obligation.state == to_state:
        return
    at = at or timezone.now()
    if (
        to_state == State.TERLAMBAT
        and obligation.transitions.filter(
            to_state=State.TERLAMBAT, due_date=obligation.due_date, previous_due_date__isnull=True
        ).exists()
    ):
        # Late again for the same due date (a trigger set back and forth): the lateness is already on record
        # and was already announced once. The row lock held by the caller makes this check safe.
        obligation.state, obligation.state_changed_at = to_state, at
        return
    alerting = to_state in rules.ALERTING and not silent
    transition = Transition.objects.create(
        obligation=obligation,
        from_state=obligation.state,
        to_state=to_state,
        at=at,
        by=actor,
        due_date=obligation.due_date,
        note=note,
        processed_at=None if alerting else at,
    )
    obligation.state = to_state
    obligation.state_changed_at = at
    if alerting:
        # Dispatch soon after the commit; the minute pass is the sweeper if this message is lost.
        transaction.on_commit(lambda: enqueue("workers.tasks.process_transition_task", transition.pk))


def _reschedule(obligation: Obligation) -> None:
    """Recompute the next alert moment after a change of state or dates (before ``save``)."""
    rules.alert_schedule(obligation, _calendar_of(obligation), now=timezone.now())


def _locked(obligation: Obligation) -> Obligation:
    return Obligation.objects.select_for_update().select_related("document_type", "desa").get(pk=obligation.pk)


def _calendar_of(obligation: Obligation) -> WorkCalendar:
    return calendar_for(
        kecamatan_id=obligation.desa.kecamatan_id, years=range(obligation.year - 1, obligation.year + 3)
    )


def _extended_to(obligation: Obligation) -> dt.date | None:
    """The date of the latest dispensasi, which stays in force whatever the rule says later."""
    return obligation.extensions.order_by("-granted_at", "-id").values_list("new_due_date", flat=True).first()


def _period_of(obligation: Obligation) -> rules.Period:
    doc_type = obligation.document_type
    schedules = list(DocumentTypeSchedule.objects.filter(document_type=doc_type, year=obligation.year))
    for period in rules.periods_for(doc_type, obligation.year, schedules):
        if period.code == obligation.period:
            return period
    return rules.Period(obligation.period, obligation.period_label)


def _follow_due_date(obligation: Obligation, actor: User | None, back_note: str, late_note: str) -> None:
    """After the date in force changed: a late obligation whose new date is still ahead is open again; an
    open one whose new date has passed is late at once, recorded silently (it alerts only through the next
    stage, like any edit that makes an obligation late)."""
    today = timezone.localdate()
    if obligation.state == State.TERLAMBAT and obligation.due_date and obligation.due_date >= today:
        _move(obligation, State.BELUM, actor=actor, note=back_note)
    elif obligation.state in (State.BELUM, State.DISPENSASI) and obligation.due_date and obligation.due_date < today:
        _move(obligation, State.TERLAMBAT, actor=actor, note=late_note, silent=True)


@transaction.atomic
def obligation_set_trigger(*, actor: User, obligation: Obligation, trigger_date: dt.date) -> Obligation:
    """Record the trigger event of an event-based obligation; its due date follows from the rule. Recorded by
    the desa (its operator or Kepala Desa) or kecamatan staff; the writes that set one on their own (a receipt
    starting a dependent clock, an evaluation opening a revision) act for a submitter or a reviewer, who are
    among them."""
    if not permissions.can_write_for_desa(actor):
        raise PermissionDenied
    validate_business_date(trigger_date, "trigger_date")
    obligation = _locked(obligation)
    if obligation.document_type.rule_kind != RuleKind.OFFSET:
        raise ValidationError({"trigger_date": _("Jenis dokumen ini tidak memakai tanggal pemicu.")})
    if obligation.state in rules.CLOSED:
        raise ValidationError(
            {"trigger_date": _("Kewajiban yang sudah diterima atau tidak berlaku tidak dapat diubah.")}
        )
    cal = _calendar_of(obligation)
    legal = rules.legal_due_date(obligation.document_type, obligation.year, _period_of(obligation), trigger_date, cal)
    obligation.trigger_date = trigger_date
    obligation.legal_due_date = legal
    obligation.due_date = rules.due_in_force(obligation.document_type, legal, cal, _extended_to(obligation))
    _follow_due_date(
        obligation,
        actor,
        _("Tanggal pemicu diubah; tenggat belum lewat."),
        _("Tenggat dari tanggal pemicu sudah lewat."),
    )
    _reschedule(obligation)
    obligation._change_reason = "trigger_date"
    obligation.save()
    return obligation


@transaction.atomic
def obligation_extend(*, actor: User, obligation: Obligation, new_due_date: dt.date, reason: str) -> Obligation:
    if not permissions.can_grant(actor):
        raise PermissionDenied
    validate_business_date(new_due_date, "new_due_date")  # far dates overflow the working-day arithmetic
    obligation = _locked(obligation)
    if not rules.can_extend(obligation.state):
        raise ValidationError(_("Dispensasi hanya untuk kewajiban yang belum dikirim atau terlambat."))
    if not reason.strip():
        raise ValidationError({"reason": _("Alasan dispensasi wajib diisi.")})
    if obligation.due_date and new_due_date <= obligation.due_date:
        raise ValidationError({"new_due_date": _("Tenggat baru harus sesudah tenggat yang berlaku.")})
    Extension.objects.create(
        obligation=obligation,
        previous_due_date=obligation.due_date,
        new_due_date=new_due_date,
        reason=reason,
        granted_by=actor,
    )
    obligation.due_date = new_due_date
    _move(obligation, State.DISPENSASI, actor=actor, note=reason)
    _reschedule(obligation)
    obligation.save()
    return obligation


@transaction.atomic
def obligation_mark_not_applicable(*, actor: User, obligation: Obligation, reason: str) -> Obligation:
    if not permissions.can_grant(actor):
        raise PermissionDenied
    obligation = _locked(obligation)
    if obligation.state == State.DITERIMA:
        raise ValidationError(_("Kewajiban yang sudah diterima tidak dapat dinyatakan tidak berlaku."))
    if not rules.can_mark_not_applicable(obligation.state):
        raise ValidationError(_("Kewajiban ini sudah dinyatakan tidak berlaku."))
    if not reason.strip():
        raise ValidationError({"reason": _("Alasan wajib diisi.")})
    obligation.not_applicable_reason = reason
    _move(obligation, State.TIDAK_BERLAKU, actor=actor, note=reason)
    _reschedule(obligation)
    obligation.save()
    return obligation


@transaction.atomic
def obligation_reopen(*, actor: User, obligation: Obligation, reason: str) -> Obligation:
    """Undo 'tidak berlaku' (the obligation applies after all)."""
    if not permissions.can_grant(actor):
        raise PermissionDenied
    obligation = _locked(obligation)
    if not rules.can_reopen(obligation.state):
        raise ValidationError(_("Hanya kewajiban yang tidak berlaku yang dapat dibuka kembali."))
    back = State.DIKIRIM if obligation.submissions.filter(status=SubmissionStatus.MENUNGGU).exists() else State.BELUM
    _move(obligation, back, actor=actor, note=reason)
    _reschedule(obligation)
    obligation.save()
    return obligation


# Recompute ---------------------------------------------------------------------------------------------

# A changed day off can move a due date that lies this far from it (20 hari kerja across Lebaran ≈ 6 weeks).
CALENDAR_REACH = dt.timedelta(days=70)


def _recompute_candidates(document_type_ids, kecamatan_id, years, around):
    qs = Obligation.objects.exclude(state__in=rules.CLOSED)
    if document_type_ids is not None:
        qs = qs.filter(document_type_id__in=list(document_type_ids))
    if kecamatan_id is not None:
        qs = qs.filter(desa__kecamatan_id=kecamatan_id)
    if years is not None:
        qs = qs.filter(year__in=list(years))
    if around:
        lo, hi = min(around) - CALENDAR_REACH, max(around) + CALENDAR_REACH
        qs = qs.filter(Q(due_date__range=(lo, hi)) | Q(legal_due_date__range=(lo, hi)))
    return qs.select_related("document_type", "desa").order_by("id")


def _dates_by_rule(obligation: Obligation, cal: WorkCalendar, schedules, extended_to) -> tuple:
    doc_type = obligation.document_type
    period = next(
        (p for p in rules.periods_for(doc_type, obligation.year, schedules) if p.code == obligation.period),
        rules.Period(obligation.period, obligation.period_label),
    )
    if doc_type.rule_kind == RuleKind.YEARLY_TABLE and period.due_date is None:
        return obligation.legal_due_date, obligation.due_date  # its row left the yearly table: keep the dates
    legal = rules.legal_due_date(doc_type, obligation.year, period, obligation.trigger_date, cal)
    return legal, rules.due_in_force(doc_type, legal, cal, extended_to)


def obligations_recompute(
    *,
    reason: str,
    document_type_ids: Iterable[int] | None = None,
    kecamatan_id: int | None = None,
    years: Iterable[int] | None = None,
    around: list[dt.date] | None = None,
) -> int:
    """Bring every open obligation in reach back in line with its rule, its yearly table and the calendar.

    Runs inside the caller's transaction (a document type, yearly date or holiday edit), so the edit and the
    dates that follow from it commit together. Each changed row is locked and recomputed again under the lock,
    and gets a Transition recording old → new and why; accepted and not-applicable obligations keep their
    history untouched. Idempotent: a second run changes nothing. Returns the number of obligations changed."""
    changed = 0
    with transaction.atomic():
        candidates = list(_recompute_candidates(document_type_ids, kecamatan_id, years, around))
        if not candidates:
            return 0
        ctx = _RecomputeContext(candidates)
        for obligation in candidates:
            if ctx.dates(obligation) == (obligation.legal_due_date, obligation.due_date):
                continue
            changed += _recompute_one(obligation, ctx, reason)
    return changed


class _RecomputeContext:
    """Calendars, yearly tables and dispensasi dates for a set of obligations, read once."""

    def __init__(self, obligations: list[Obligation]):
        years = {o.year for o in obligations}
        kecamatan_ids = {o.desa.kecamatan_id for o in obligations}
        span = range(min(years) - 1, max(years) + 3)
        self.calendars = {kid: calendar_for(kecamatan_id=kid, years=span) for kid in kecamatan_ids}
        self.schedules: dict[tuple[int, int], list] = {}
        for row in DocumentTypeSchedule.objects.filter(
            document_type_id__in={o.document_type_id for o in obligations}, year__in=years
        ):
            self.schedules.setdefault((row.document_type_id, row.year), []).append(row)
        self.extended: dict[int, dt.date] = {}
        for oid, day in (
            Extension.objects.filter(obligation_id__in=[o.id for o in obligations])
            .order_by("obligation_id", "granted_at", "id")
            .values_list("obligation_id", "new_due_date")
        ):
            self.extended[oid] = day  # the latest wins

    def dates(self, obligation: Obligation) -> tuple:
        return _dates_by_rule(
            obligation,
            self.calendars[obligation.desa.kecamatan_id],
            self.schedules.get((obligation.document_type_id, obligation.year), []),
            self.extended.get(obligation.id),
        )


def _recompute_one(obligation: Obligation, ctx: _RecomputeContext, reason: str) -> int:
    obligation = _locked(obligation)
    if obligation.state in rules.CLOSED:
        return 0
    legal, due = ctx.dates(obligation)
    if (legal, due) == (obligation.legal_due_date, obligation.due_date):
        return 0
    now = timezone.now()
    old_due = obligation.due_date
    obligation.legal_due_date, obligation.due_date = legal, due
    if due != old_due:
        Transition.objects.create(
            obligation=obligation,
            from_state=obligation.state,
            to_state=obligation.state,
            at=now,
            due_date=due,
            previous_due_date=old_due,
            processed_at=now,
            note=_("Tenggat dihitung ulang (%(why)s): %(old)s → %(new)s")
            % {"why": reason, "old": _fmt(old_due), "new": _fmt(due)},
        )
        _follow_due_date(
            obligation, None, _("Tenggat dihitung ulang; belum lewat."), _("Tenggat yang dihitung ulang sudah lewat.")
        )
    _reschedule(obligation)
    obligation._change_reason = reason
    obligation.save()
    return 1


def _fmt(day: dt.date | None) -> str:
    return day.strftime("%d/%m/%Y") if day else "-"


def obligations_mark_overdue(*, today: dt.date, batch_size: int = 5000) -> int:
    """Move open obligations whose due date has passed to 'terlambat'. Each row is claimed with a
    compare-and-set UPDATE (``WHERE state = old``); a Transition is written only for rows this pass won,
    so two passes at once never record the same change twice."""
    moved = 0
    for old_state in (State.BELUM, State.DISPENSASI):
        while True:
            with transaction.atomic():
                ids = list(
                    Obligation.objects.filter(state=old_state, due_date__lt=today)
                    .order_by("id")
                    .values_list("id", flat=True)[:batch_size]
                )
                if not ids:
                    break
                now = timezone.now()
                won = _compare_and_set(ids, old_state, State.TERLAMBAT, now)
                # ignore_conflicts: the unique (obligation, due_date) of late transitions already exists if
                # another pass recorded this lateness; the state move above is then a no-op anyway.
                Transition.objects.bulk_create(
                    [
                        Transition(
                            obligation_id=oid, from_state=old_state, to_state=State.TERLAMBAT, at=now, due_date=due
                        )
                        for oid, due in won
                    ],
                    ignore_conflicts=True,
                )
                moved += len(won)
    return moved


def _compare_and_set(ids: list[int], old: str, new: str, now) -> list[tuple[int, dt.date]]:
    table = Obligation._meta.db_table
    placeholders = ",".join(["%s"] * len(ids))
    sql = (
        f"UPDATE {table} SET state = %s, state_changed_at = %s "  # noqa: S608  (table name is ours, values bound)
        f"WHERE id IN ({placeholders}) AND state = %s RETURNING id, due_date"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [new, now, *ids, old])
        rows = cursor.fetchall()
    return [(oid, due if isinstance(due, dt.date) else dt.date.fromisoformat(due)) for oid, due in rows]


# Submissions ------------------------------------------------------------------------------------------


def may_submit_for(user: User, obligation: Obligation) -> bool:
    """Who hands in this obligation's document: kecamatan staff for the kecamatan's own, the desa otherwise."""
    if obligation.document_type.responsible == Responsible.KECAMATAN:
        return permissions.is_kecamatan_staff(user)
    return permissions.can_submit_for_desa(user) or user.is_portal_admin


def can_submit(user: User, obligation: Obligation) -> bool:
    """The upload form is shown: the role may hand in, and the obligation still takes a document."""
    return rules.accepts_submission(obligation.state) and may_submit_for(user, obligation)


def _check_can_submit(actor: User, obligation: Obligation) -> None:
    if not may_submit_for(actor, obligation):
        raise PermissionDenied
    if obligation.state == State.DITERIMA:
        raise ValidationError(_("Dokumen ini sudah diterima; tidak perlu dikirim lagi."))
    if obligation.state == State.TIDAK_BERLAKU:
        raise ValidationError(_("Kewajiban ini dinyatakan tidak berlaku."))
    if obligation.trigger_date is None and obligation.document_type.rule_kind == RuleKind.OFFSET:
        # A fallback date keeps the deadline watched, but the event itself (the BPD agreement) is a fact the
        # desa records before handing in: the legal clock runs from it.
        raise ValidationError(_("Isi dulu tanggal pemicu (%(t)s).") % {"t": obligation.document_type.trigger_label})


def _checked_files(obligation: Obligation, document, attachments) -> list[tuple[str, object, files.CheckedUpload]]:
    if document is None:
        raise ValidationError({"document": _("Berkas dokumen (PDF) wajib diunggah.")})
    checked = [(FileRole.DOCUMENT, document, files.check_upload(document, allowed_kinds={files.KIND_PDF}))]
    for attachment in attachments:
        if not obligation.document_type.accepts_xlsx:
            raise ValidationError({"attachments": _("Jenis dokumen ini tidak menerima lampiran.")})
        checked.append(
            (
                FileRole.ATTACHMENT,
                attachment,
                files.check_upload(attachment, allowed_kinds={files.KIND_PDF, files.KIND_XLSX}),
            )
        )
    return checked


def submission_create(
    *,
    actor: User,
    obligation: Obligation,
    document,
    attachments: Iterable = (),
    document_number: str = "",
    document_date: dt.date | None = None,
    notes: str = "",
    outcome: str = "",
    confirm_duplicate: bool = False,
) -> Submission:
    """Hand in a new version. Files are checked by content before anything is written; the stored files are
    removed again if the database transaction fails, so a failed submission leaves nothing behind. A document
    identical (SHA-256) to an earlier version of the same obligation is refused unless ``confirm_duplicate``:
    re-sending the old file by mistake would otherwise pass as the correction."""
    with files.atomic_storage() as stored:
        submission = _submission_create(
            actor,
            obligation,
            document,
            list(attachments),
            document_number,
            document_date,
            notes,
            outcome,
            stored,
            confirm_duplicate,
        )
        return submission


def _check_outcome(obligation: Obligation, outcome: str) -> None:
    if obligation.document_type.outcome_required and outcome not in Outcome.values:
        raise ValidationError({"outcome": _("Pilih hasil evaluasi: sesuai atau perlu perbaikan.")})
    if not obligation.document_type.outcome_required and outcome:
        raise ValidationError({"outcome": _("Jenis dokumen ini tidak mencatat hasil evaluasi.")})


def _check_not_duplicate(obligation: Obligation, sha256: str) -> None:
    earlier = (
        SubmissionFile.objects.filter(submission__obligation=obligation, role=FileRole.DOCUMENT, sha256=sha256)
        .select_related("submission")
        .order_by("-submission__version")
        .first()
    )
    if earlier is not None:
        raise ValidationError(
            {
                "document": _(
                    "Berkas ini sama dengan versi %(version)s yang sudah dikirim pada %(date)s. Centang "
                    "“Tetap kirim berkas yang sama” bila memang ingin mengirimnya lagi."
                )
                % {
                    "version": earlier.submission.version,
                    "date": f"{timezone.localtime(earlier.submission.submitted_at):%d/%m/%Y}",
                }
            }
        )


def _submission_create(
    actor,
    obligation,
    document,
    attachments,
    document_number,
    document_date,
    notes,
    outcome,
    stored,
    confirm_duplicate=False,
):
    obligation = _locked(obligation)
    _check_can_submit(actor, obligation)
    _check_outcome(obligation, outcome)
    checked = _checked_files(obligation, document, attachments)
    if not confirm_duplicate:
        _check_not_duplicate(obligation, checked[0][2].sha256)
    now = timezone.now()
    version = (obligation.submissions.order_by("-version").values_list("version", flat=True).first() or 0) + 1
    obligation.submissions.filter(status=SubmissionStatus.MENUNGGU).update(status=SubmissionStatus.DIGANTI)
    submission = Submission.objects.create(
        obligation=obligation,
        version=version,
        submitted_by=actor,
        submitted_at=now,
        document_number=document_number,
        document_date=document_date,
        notes=notes,
        outcome=outcome,
    )
    subdir = f"monev/{obligation.year}/{obligation.desa.kode.replace('.', '-')}"
    for role, upload, check in checked:
        path = stored.store_upload(upload, check, subdir=subdir)
        SubmissionFile.objects.create(
            submission=submission,
            role=role,
            original_name=check.safe_name,
            stored_path=path,
            size=check.size,
            sha256=check.sha256,
            content_type=check.content_type,
        )
    first = obligation.first_submitted_at is None
    obligation.first_submitted_at = obligation.first_submitted_at or now
    obligation.basis_submitted_at = rules.basis_after_resubmission(
        obligation.basis_submitted_at, now, timezone.localdate(now), obligation.correction_due_date
    )
    obligation.correction_due_date = None
    if obligation.document_type.responsible == Responsible.KECAMATAN:
        # The kecamatan's own document (e.g. its evaluation of the Raperdes): nobody above it to verify.
        _accept(obligation, submission, actor, now, note=_("Dokumen kecamatan, diterima saat diunggah."))
    else:
        _move(obligation, State.DIKIRIM, actor=actor, at=now)
    _reschedule(obligation)
    obligation.save()
    if first:
        _fill_dependent_triggers(obligation, timezone.localdate(now), actor)
    return submission


def _fill_dependent_triggers(obligation: Obligation, day: dt.date, actor: User) -> None:
    """A document whose receipt starts another clock (the Raperdes APBDes starts the evaluation)."""
    dependents = Obligation.objects.filter(
        desa_id=obligation.desa_id,
        year=obligation.year,
        trigger_date__isnull=True,
        document_type__trigger_from=obligation.document_type,
    )
    for dependent in dependents:
        obligation_set_trigger(actor=actor, obligation=dependent, trigger_date=day)


def _accept(obligation: Obligation, submission: Submission, actor: User, now, note: str = "") -> None:
    submission.status = SubmissionStatus.DITERIMA
    submission.reviewed_by, submission.reviewed_at, submission.review_note = actor, now, note
    submission.save()
    obligation.accepted_at = now
    basis = obligation.basis_submitted_at or submission.submitted_at
    obligation.on_time, obligation.days_late = rules.timeliness(timezone.localdate(basis), obligation.due_date)
    _move(obligation, State.DITERIMA, actor=actor, at=now, note=note)
    if submission.outcome == Outcome.PERLU_PERBAIKAN:
        _open_revisions(obligation, timezone.localdate(now), actor)


def _open_revisions(evaluated: Obligation, day: dt.date, actor: User) -> None:
    """An evaluation that asks for corrections starts the desa's revision clock (20 hari kerja for the
    Raperdes APBDes): one obligation of each per-event type that follows this one."""
    for doc_type in DocumentType.objects.filter(trigger_from=evaluated.document_type, per_event=True, active=True):
        label = _("Perbaikan hasil evaluasi %(day)s") % {"day": _fmt(day)}
        _event_obligation(evaluated.desa, doc_type, evaluated.year, label, day, actor)


@transaction.atomic
def submission_review(*, actor: User, submission: Submission, decision: str, note: str = "") -> Submission:
    """Accept, or return with a note (the desa gets a correction deadline in working days)."""
    if not permissions.can_verify(actor):
        raise PermissionDenied
    obligation = _locked(submission.obligation)
    submission = Submission.objects.select_for_update().get(pk=submission.pk)
    if submission.status != SubmissionStatus.MENUNGGU or obligation.state != State.DIKIRIM:
        raise ValidationError(_("Kiriman ini sudah diverifikasi atau sudah diganti versi baru."))
    now = timezone.now()
    if decision == "accept":
        _accept(obligation, submission, actor, now, note=note)
    elif decision == "return":
        if not note.strip():
            raise ValidationError({"note": _("Tuliskan catatan perbaikan untuk desa.")})
        days = obligation.document_type.correction_working_days
        correction_due = _calendar_of(obligation).add_working_days(timezone.localdate(now), days)
        submission.status = SubmissionStatus.DIKEMBALIKAN
        submission.reviewed_by, submission.reviewed_at, submission.review_note = actor, now, note
        submission.correction_due_date = correction_due
        submission.save()
        obligation.correction_due_date = correction_due
        _move(obligation, State.DIKEMBALIKAN, actor=actor, at=now, note=note)
    else:
        raise ValidationError({"decision": _("Keputusan harus 'accept' (terima) atau 'return' (kembalikan).")})
    _reschedule(obligation)
    obligation.save()
    return submission


@transaction.atomic
def obligation_create_for_event(
    *, actor: User, desa: Desa, document_type: DocumentType, year: int, label: str, trigger_date: dt.date
) -> Obligation:
    """Record one event of a per-event document type (e.g. a Perdes promulgated on a date)."""
    if not document_type.per_event:
        raise ValidationError({"document_type": _("Jenis dokumen ini dibuat otomatis per tahun, bukan per peristiwa.")})
    if document_type.trigger_from_id is not None:
        # e.g. the revision after "perlu perbaikan": opened by the evaluation itself, never typed in by hand.
        raise ValidationError(
            {
                "document_type": _("Kewajiban ini dibuat otomatis oleh %(code)s.")
                % {"code": document_type.trigger_from.code}
            }
        )
    if not label.strip():
        raise ValidationError({"label": _("Isi nama/nomor dokumen, mis. 'Perdes No. 3 Tahun 2026'.")})
    if not permissions.can_write_for_desa(actor):
        raise PermissionDenied
    validate_business_date(trigger_date, "trigger_date")
    return _event_obligation(desa, document_type, year, label.strip(), trigger_date, actor)


def _event_obligation(
    desa: Desa, document_type: DocumentType, year: int, label: str, trigger_date, actor
) -> Obligation:
    count = Obligation.objects.filter(desa=desa, document_type=document_type, year=year).count()
    obligation = Obligation.objects.create(
        desa=desa, document_type=document_type, year=year, period=f"E{count + 1:03d}", period_label=label
    )
    return obligation_set_trigger(actor=actor, obligation=obligation, trigger_date=trigger_date)
