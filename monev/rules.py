"""Pure deadline and status rules: no database, no clock. Everything here takes its inputs as arguments
so it can be tested on unsaved objects and with hypothesis."""

from __future__ import annotations

import calendar as pycalendar
import datetime as dt
import zoneinfo
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.utils import timezone

from monev.choices import OffsetUnit, Periodicity, RuleKind, State
from portal.calendar import MONTHS_ID, WorkCalendar
from portal.models import Notification

if TYPE_CHECKING:
    from monev.models import Obligation

ROMAN = ["I", "II", "III", "IV"]


@dataclass(frozen=True)
class Period:
    code: str  # "" for a once-a-year obligation
    label: str
    end: dt.date | None = None  # last day of the period (periodic rules)
    due_date: dt.date | None = None  # given directly (yearly table)


def _clamped(year: int, month: int, day: int) -> dt.date:
    return dt.date(year, month, min(day, pycalendar.monthrange(year, month)[1]))


def periods_for(doc_type, year: int, schedules: list | None = None) -> list[Period]:
    """The periods one desa owes in a budget year for this document type."""
    if doc_type.rule_kind == RuleKind.PERIODIC:
        if doc_type.periodicity == Periodicity.MONTHLY:
            return [Period(f"M{m:02d}", MONTHS_ID[m - 1], _clamped(year, m, 31)) for m in range(1, 13)]
        if doc_type.periodicity == Periodicity.QUARTERLY:
            return [Period(f"Q{q}", f"Triwulan {ROMAN[q - 1]}", _clamped(year, q * 3, 31)) for q in range(1, 5)]
        return [
            Period("S1", "Semester I", dt.date(year, 6, 30)),
            Period("S2", "Semester II", dt.date(year, 12, 31)),
        ]
    if doc_type.rule_kind == RuleKind.YEARLY_TABLE:
        return [Period(s.period, s.period_label, due_date=s.due_date) for s in schedules or [] if s.year == year]
    return [Period("", "")]


def _offset(start: dt.date, days: int, unit: str, cal: WorkCalendar) -> dt.date:
    if unit == OffsetUnit.WORKING:
        return cal.add_working_days(start, days)
    return start + dt.timedelta(days=days)


def fallback_trigger(doc_type, year: int) -> dt.date | None:
    """The date an event-based rule assumes while the event is not recorded, when the regulation gives one
    (the BPD agreement on the Raperdes APBDes: end of October N-1). Set by fixed month/day on an offset rule."""
    if doc_type.rule_kind != RuleKind.OFFSET or not (doc_type.fixed_month and doc_type.fixed_day):
        return None
    return _clamped(year + doc_type.year_offset, doc_type.fixed_month, doc_type.fixed_day)


def legal_due_date(
    doc_type, year: int, period: Period, trigger_date: dt.date | None, cal: WorkCalendar
) -> dt.date | None:
    """The date the rule gives — the one a regulation names and a teguran cites — or None while an
    event-based obligation waits for its trigger (and the rule has no fallback date for it).

    Fixed dates are not moved: "paling lambat 31 Desember N-1" is 31 December even on a Sunday. Working-day
    offsets (evaluation, correction windows) land on a working day by their own count."""
    if doc_type.rule_kind == RuleKind.FIXED:
        return _clamped(year + doc_type.year_offset, doc_type.fixed_month, doc_type.fixed_day)
    if doc_type.rule_kind == RuleKind.OFFSET:
        start = trigger_date or fallback_trigger(doc_type, year)
        return None if start is None else _offset(start, doc_type.offset_days, doc_type.offset_unit, cal)
    if doc_type.rule_kind == RuleKind.PERIODIC:
        return _offset(period.end, doc_type.offset_days, doc_type.offset_unit, cal)
    return period.due_date


def due_in_force(
    doc_type, legal: dt.date | None, cal: WorkCalendar, extended_to: dt.date | None = None
) -> dt.date | None:
    """The date in force: a dispensasi's date when one was granted, else the legal date — moved to the next
    working day only for a type whose rule explicitly says so ("geser ke hari kerja")."""
    if extended_to is not None:
        return extended_to
    if legal is not None and doc_type.roll_to_working_day:
        return cal.next_working_day(legal)
    return legal


# The state sets, one definition each: services, alerts, the digest, selectors and the templates' flags read these.
AWAITING_SUBMISSION = frozenset({State.BELUM, State.TERLAMBAT, State.DISPENSASI})
"""Nothing handed in yet: reminders run, a dispensasi can be granted, the overdue pass may mark it late."""
GOES_LATE = AWAITING_SUBMISSION - {State.TERLAMBAT}
"""Open and not yet late: the overdue pass moves these to 'terlambat' once their date has passed."""
OUTSTANDING = AWAITING_SUBMISSION | {State.DIKEMBALIKAN}
"""The desa owes something: a document, or a correction of one returned (the digest, the desa's "segera")."""
CLOSED = frozenset({State.DITERIMA, State.TIDAK_BERLAKU})
"""Nothing more to hand in and no deadline to recompute."""


# The short names a column header or a one-line note can carry; the full name and the code go in its title.
SHORT_NAMES = {
    "RKPDES": "RKPDes",
    "RAPERDES_APBDES": "Raperdes APBDes",
    "EVALUASI_APBDES": "Evaluasi APBDes",
    "PERBAIKAN_APBDES": "Perbaikan APBDes",
    "APBDES": "Perdes APBDes",
    "LAP_SEMESTER_1": "Lap. Semester I",
    "LPJ_APBDES": "LPJ APBDes",
    "LPPD": "LPPD",
    "IPPD": "IPPD",
    "PERDES": "Perdes",
    "SPJ_DD": "SPJ DD",
    "SPJ_ADD": "SPJ ADD",
}


def short_name(code: str, name: str) -> str:
    """A known type's short name; an admin's new type its name up to a bracket ("RKPDes (…)" → "RKPDes")."""
    return SHORT_NAMES.get(code) or name.split(" (")[0]


def can_extend(state: str) -> bool:
    """A dispensasi moves a deadline that has not been met yet."""
    return state in AWAITING_SUBMISSION


def can_mark_not_applicable(state: str) -> bool:
    """Anything but an accepted obligation (and one already not applicable) may be declared not applicable."""
    return state not in CLOSED


def can_reopen(state: str) -> bool:
    return state == State.TIDAK_BERLAKU


def accepts_submission(state: str) -> bool:
    return state not in CLOSED


def display_state(state: str, due_date: dt.date | None, today: dt.date) -> str:
    """What the user sees: an open obligation past its due date is late even before the overdue pass ran."""
    if state in (State.BELUM, State.DISPENSASI) and due_date is not None and today > due_date:
        return State.TERLAMBAT
    return state


def deadline_in_force(state: str, due_date: dt.date | None, correction_due_date: dt.date | None) -> dt.date | None:
    """The date the desa must meet now: the correction deadline while a returned document waits for its
    correction, else the obligation's deadline (which then stays the secondary, original date)."""
    if state == State.DIKEMBALIKAN and correction_due_date is not None:
        return correction_due_date
    return due_date


def days_until(due_date: dt.date | None, today: dt.date) -> int | None:
    """Positive: days to go; negative: days late; None: no date yet."""
    return None if due_date is None else (due_date - today).days


def timeliness(basis_day: dt.date, due_date: dt.date | None) -> tuple[bool | None, int | None]:
    """(on time?, days late) of an accepted obligation, judged by the day of its counted submission."""
    if due_date is None:
        return None, None
    late = (basis_day - due_date).days
    return late <= 0, max(late, 0)


def basis_after_resubmission(
    basis: dt.datetime | None, submitted_at: dt.datetime, submitted_day: dt.date, correction_due: dt.date | None
) -> dt.datetime:
    """Which submission time counts. The first one does; a returned submission resubmitted within its
    correction deadline keeps it; a resubmission after that deadline counts from its own time."""
    if basis is None:
        return submitted_at
    if correction_due is not None and submitted_day > correction_due:
        return submitted_at
    return basis


def score_row(
    state: str, due_date: dt.date | None, on_time: bool | None, basis_at: dt.datetime | None
) -> tuple[str, dt.date | None, bool | None, dt.date | None]:
    """An obligation as ``timeliness_score`` reads it: the counted submission as the day it was in
    Asia/Jakarta — not the UTC day, which would count a report sent at 00:30 WIB the day after its deadline
    as on time."""
    return (state, due_date, on_time, timezone.localdate(basis_at) if basis_at else None)


def timeliness_score(
    rows: list[tuple[str, dt.date | None, bool | None, dt.date | None]], today: dt.date
) -> float | None:
    """Share of a desa's due obligations that were submitted on time.

    ``rows`` are (state, due_date, on_time, basis_day). Due = the due date has passed or something was sent;
    not applicable rows do not count. Accepted rows use their recorded ``on_time``; sent-but-unreviewed rows
    are judged by their counted submission day; open rows past their date count as late."""
    due = on_time = 0
    for state, due_date, accepted_on_time, basis_day in rows:
        if state == State.TIDAK_BERLAKU or due_date is None:
            continue
        if basis_day is None and today <= due_date:
            continue  # not yet due, nothing sent
        due += 1
        if state == State.DITERIMA:
            on_time += bool(accepted_on_time)
        elif basis_day is not None:
            on_time += basis_day <= due_date
    return None if due == 0 else on_time / due


# The budget chain: Raperdes APBDes → evaluation by the kecamatan → (revision) → Perdes APBDes --------------

CHAIN_CODES = ("RAPERDES_APBDES", "EVALUASI_APBDES", "PERBAIKAN_APBDES", "APBDES")


@dataclass(frozen=True)
class ChainDoc:
    """One link of the chain as the rules need it: dates are local days."""

    state: str
    due_date: dt.date | None = None
    submitted_on: dt.date | None = None
    accepted_on: dt.date | None = None
    outcome: str = ""


def budget_chain_warnings(
    raperdes: ChainDoc | None,
    evaluasi: ChainDoc | None,
    revision: ChainDoc | None,
    apbdes: ChainDoc | None,
    today: dt.date,
) -> list[str]:
    """What is out of order in a desa's budget year (Permendagri 20/2018 Pasal 35–36), as sentences a Kasi
    can act on. The evaluation answers within 20 hari kerja of receipt; past that the draft takes effect by
    itself, so an APBDes set after that lapse is in order. "Perlu perbaikan" gives the desa 20 hari kerja to
    revise before the APBDes is set."""
    from django.utils.translation import gettext as _

    warnings: list[str] = []
    lapsed_on = evaluasi.due_date if evaluasi and evaluasi.accepted_on is None else None
    if apbdes and apbdes.submitted_on:
        if raperdes is None or raperdes.submitted_on is None:
            warnings.append(_("Perdes APBDes dikirim tanpa Raperdes APBDes yang dievaluasi kecamatan."))
        elif evaluasi is not None:
            evaluated_first = evaluasi.accepted_on is not None and evaluasi.accepted_on <= apbdes.submitted_on
            lapsed_first = evaluasi.due_date is not None and evaluasi.due_date < apbdes.submitted_on
            if not evaluated_first and not lapsed_first:
                warnings.append(
                    _("Perdes APBDes dikirim %(day)s sebelum hasil evaluasi kecamatan (batas evaluasi %(due)s).")
                    % {"day": _fmt(apbdes.submitted_on), "due": _fmt(evaluasi.due_date)}
                )
        if revision is not None and (revision.submitted_on is None or revision.submitted_on > apbdes.submitted_on):
            warnings.append(_("Perdes APBDes dikirim sebelum perbaikan hasil evaluasi diserahkan."))
    if lapsed_on is not None and today > lapsed_on:
        warnings.append(
            _("Evaluasi melewati 20 hari kerja (batas %(due)s): Raperdes APBDes berlaku dengan sendirinya.")
            % {"due": _fmt(lapsed_on)}
        )
    elif evaluasi and evaluasi.accepted_on and evaluasi.due_date and evaluasi.accepted_on > evaluasi.due_date:
        warnings.append(
            _("Hasil evaluasi terbit %(day)s, sesudah batas 20 hari kerja %(due)s.")
            % {"day": _fmt(evaluasi.accepted_on), "due": _fmt(evaluasi.due_date)}
        )
    return warnings


def _fmt(day: dt.date | None) -> str:
    return day.strftime("%d/%m/%Y") if day else "-"


# Alert stages ------------------------------------------------------------------------------------------
# When an obligation alerts, and whom (pure: the alert pass in ``monev.alerts`` and the services that schedule
# the next moment both read these, so neither imports the other).

Kind = Notification.Kind
ALERTING = {State.TERLAMBAT: (Kind.LATE, ("desa", "kasi")), State.DIKEMBALIKAN: (Kind.RETURNED, ("desa",))}
"""A transition into these states notifies at once: (kind, audiences)."""


@dataclass(frozen=True)
class Stage:
    key: str  # unique within the obligation's current schedule, e.g. "reminder-7@2027-03-31"
    at: dt.datetime
    kind: str
    audience: str  # desa | kasi | camat
    days: int = 0


def _day_list(text: str) -> list[int]:
    return sorted({int(p) for p in text.split(",") if p.strip().isdigit()})


def _alert_at(day: dt.date) -> dt.datetime:
    tz = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    return dt.datetime.combine(day, dt.time(settings.ALERT_HOUR), tzinfo=tz)


def alert_stages(o: Obligation, cal: WorkCalendar) -> list[Stage]:
    """Every alert moment of the obligation's current state and dates (pure)."""
    stages: list[Stage] = []
    doc = o.document_type
    if o.state in AWAITING_SUBMISSION and o.due_date:
        anchor = o.due_date.isoformat()
        for n in _day_list(doc.reminder_days):
            if o.state != State.TERLAMBAT:
                stages.append(
                    Stage(
                        f"reminder-{n}@{anchor}", _alert_at(o.due_date - dt.timedelta(days=n)), Kind.REMINDER, "desa", n
                    )
                )
        for n in _day_list(doc.escalation_days):
            stages.append(
                Stage(
                    f"escalation-{n}@{anchor}",
                    _alert_at(o.due_date + dt.timedelta(days=n)),
                    Kind.ESCALATION,
                    "camat",
                    n,
                )
            )
    elif o.state == State.DIKEMBALIKAN and o.correction_due_date:
        n = settings.MONEV_CORRECTION_REMINDER_DAYS
        day = o.correction_due_date - dt.timedelta(days=n)
        stages.append(
            Stage(f"correction@{o.correction_due_date.isoformat()}", _alert_at(day), Kind.CORRECTION, "desa", n)
        )
    elif o.state == State.DIKIRIM:
        sent = timezone.localdate(o.state_changed_at)
        n = settings.MONEV_AWAITING_WORKING_DAYS
        stages.append(
            Stage(f"awaiting@{sent.isoformat()}", _alert_at(cal.add_working_days(sent, n)), Kind.AWAITING, "kasi", n)
        )
    return sorted(stages, key=lambda s: s.at)


def next_alert_stage(o: Obligation, cal: WorkCalendar, after: dt.datetime) -> Stage | None:
    return next((s for s in alert_stages(o, cal) if s.at > after), None)


def alert_schedule(o: Obligation, cal: WorkCalendar, *, now: dt.datetime) -> None:
    """Set the next alert moment from now on. Moments already past are skipped: an edit that makes an
    obligation late at once is recorded but alerts only through the next normal stage."""
    stage = next_alert_stage(o, cal, now)
    o.next_alert_at = stage.at if stage else None
    o.next_alert_stage = stage.key if stage else ""


def first_escalation_day(escalation_days: str) -> int | None:
    """Days after the due date at which a late obligation is escalated to the Camat (its first stage), or
    None when the type never escalates."""
    days = _day_list(escalation_days)
    return days[0] if days else None
