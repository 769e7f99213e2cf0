"""Pure rules on unsaved objects: no database."""

import datetime as dt
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from monev import rules
from monev.choices import OffsetUnit, Periodicity, RuleKind, State
from monev.models import DocumentType, DocumentTypeSchedule
from portal.calendar import WorkCalendar

D = dt.date
CAL = WorkCalendar(frozenset({D(2026, 3, 20), D(2026, 3, 23), D(2026, 3, 24), D(2026, 12, 25)}))


def test_fixed_date_relative_to_the_budget_year():
    rkpdes = DocumentType(rule_kind=RuleKind.FIXED, fixed_month=9, fixed_day=30, year_offset=-1)
    assert rules.legal_due_date(rkpdes, 2027, rules.Period("", ""), None, CAL) == D(2026, 9, 30)
    lppd = DocumentType(rule_kind=RuleKind.FIXED, fixed_month=3, fixed_day=31, year_offset=1)
    assert rules.legal_due_date(lppd, 2026, rules.Period("", ""), None, CAL) == D(2027, 3, 31)


def test_a_fixed_legal_date_on_a_day_off_stays_unless_the_type_says_to_move_it():
    # Changed with issue "Trustworthy verdicts": a fixed legal date is no longer moved by default. The legal
    # date never moves; only the date in force moves, and only for a type whose own rule says so.
    doc = DocumentType(rule_kind=RuleKind.FIXED, fixed_month=12, fixed_day=25, year_offset=0)
    legal = rules.legal_due_date(doc, 2026, rules.Period("", ""), None, CAL)
    assert legal == D(2026, 12, 25)
    assert rules.due_in_force(doc, legal, CAL) == D(2026, 12, 25)
    doc.roll_to_working_day = True
    assert rules.legal_due_date(doc, 2026, rules.Period("", ""), None, CAL) == D(2026, 12, 25)
    assert rules.due_in_force(doc, legal, CAL) == D(2026, 12, 28)
    assert rules.due_in_force(doc, legal, CAL, extended_to=D(2027, 1, 15)) == D(2027, 1, 15)


def test_offset_in_calendar_days_and_in_working_days():
    raperdes = DocumentType(rule_kind=RuleKind.OFFSET, offset_days=3, offset_unit=OffsetUnit.CALENDAR)
    assert rules.legal_due_date(raperdes, 2027, rules.Period("", ""), D(2026, 10, 26), CAL) == D(2026, 10, 29)
    # 3 calendar days after Thu 19 Mar 2026 is Sun 22 Mar: a calendar-day clock is not moved by days off.
    assert rules.legal_due_date(raperdes, 2026, rules.Period("", ""), D(2026, 3, 19), CAL) == D(2026, 3, 22)
    evaluasi = DocumentType(rule_kind=RuleKind.OFFSET, offset_days=2, offset_unit=OffsetUnit.WORKING)
    assert rules.legal_due_date(evaluasi, 2026, rules.Period("", ""), D(2026, 3, 19), CAL) == D(2026, 3, 26)


def test_offset_waits_for_its_trigger():
    doc = DocumentType(rule_kind=RuleKind.OFFSET, offset_days=7)
    assert rules.legal_due_date(doc, 2026, rules.Period("", ""), None, CAL) is None


def test_raperdes_without_a_recorded_bpd_agreement_falls_back_to_the_end_of_october():
    raperdes = DocumentType(
        rule_kind=RuleKind.OFFSET,
        offset_days=3,
        offset_unit=OffsetUnit.CALENDAR,
        fixed_month=10,
        fixed_day=31,
        year_offset=-1,
    )
    assert rules.fallback_trigger(raperdes, 2027) == D(2026, 10, 31)
    assert rules.legal_due_date(raperdes, 2027, rules.Period("", ""), None, CAL) == D(2026, 11, 3)
    # A recorded agreement date replaces the fallback.
    assert rules.legal_due_date(raperdes, 2027, rules.Period("", ""), D(2026, 10, 20), CAL) == D(2026, 10, 23)


def test_periodic_rules_make_one_period_each():
    monthly = DocumentType(rule_kind=RuleKind.PERIODIC, periodicity=Periodicity.MONTHLY, offset_days=10)
    periods = rules.periods_for(monthly, 2026)
    assert [p.code for p in periods][:3] == ["M01", "M02", "M03"] and len(periods) == 12
    assert periods[1].label == "Februari"
    assert rules.legal_due_date(monthly, 2026, periods[1], None, CAL) == D(2026, 3, 10)
    quarterly = DocumentType(rule_kind=RuleKind.PERIODIC, periodicity=Periodicity.QUARTERLY, offset_days=0)
    assert [p.end for p in rules.periods_for(quarterly, 2026)] == [
        D(2026, 3, 31),
        D(2026, 6, 30),
        D(2026, 9, 30),
        D(2026, 12, 31),
    ]
    semester = DocumentType(
        rule_kind=RuleKind.PERIODIC, periodicity=Periodicity.SEMESTER, offset_days=5, offset_unit=OffsetUnit.WORKING
    )
    first, second = rules.periods_for(semester, 2026)
    assert first.label == "Semester I"
    assert rules.legal_due_date(semester, 2026, first, None, CAL) == D(2026, 7, 7)


def test_yearly_table_takes_its_dates_from_the_schedule():
    spj = DocumentType(rule_kind=RuleKind.YEARLY_TABLE)
    schedules = [
        DocumentTypeSchedule(year=2026, period="TAHAP1", period_label="Tahap I", due_date=D(2026, 7, 31)),
        DocumentTypeSchedule(year=2027, period="TAHAP1", period_label="Tahap I", due_date=D(2027, 7, 30)),
    ]
    periods = rules.periods_for(spj, 2026, schedules)
    assert [(p.code, p.label) for p in periods] == [("TAHAP1", "Tahap I")]
    assert rules.legal_due_date(spj, 2026, periods[0], None, CAL) == D(2026, 7, 31)
    assert rules.periods_for(spj, 2028, schedules) == []


def test_display_state_marks_open_rows_late_after_the_due_date():
    assert rules.display_state(State.BELUM, D(2026, 3, 31), D(2026, 3, 31)) == State.BELUM
    assert rules.display_state(State.BELUM, D(2026, 3, 31), D(2026, 4, 1)) == State.TERLAMBAT
    assert rules.display_state(State.DISPENSASI, D(2026, 3, 31), D(2026, 4, 1)) == State.TERLAMBAT
    assert rules.display_state(State.DIKIRIM, D(2026, 3, 31), D(2026, 4, 1)) == State.DIKIRIM
    assert rules.display_state(State.BELUM, None, D(2026, 4, 1)) == State.BELUM


def test_timeliness_counts_calendar_days_late():
    assert rules.timeliness(D(2026, 3, 31), D(2026, 3, 31)) == (True, 0)
    assert rules.timeliness(D(2026, 4, 3), D(2026, 3, 31)) == (False, 3)
    assert rules.timeliness(D(2026, 3, 1), D(2026, 3, 31)) == (True, 0)


def test_a_resubmission_within_the_correction_deadline_keeps_the_first_time():
    first = dt.datetime(2026, 3, 30, 9, tzinfo=dt.UTC)
    again = dt.datetime(2026, 4, 6, 9, tzinfo=dt.UTC)
    assert rules.basis_after_resubmission(None, first, first.date(), None) == first
    assert rules.basis_after_resubmission(first, again, again.date(), D(2026, 4, 8)) == first
    assert rules.basis_after_resubmission(first, again, again.date(), D(2026, 4, 6)) == first
    assert rules.basis_after_resubmission(first, again, again.date(), D(2026, 4, 5)) == again


def test_timeliness_score():
    today = D(2026, 6, 1)
    rows = [
        (State.DITERIMA, D(2026, 3, 31), True, D(2026, 3, 30)),
        (State.DITERIMA, D(2026, 3, 31), False, D(2026, 4, 2)),
        (State.DIKIRIM, D(2026, 3, 31), None, D(2026, 3, 31)),
        (State.TERLAMBAT, D(2026, 3, 31), None, None),
        (State.BELUM, D(2026, 7, 14), None, None),  # not yet due: not counted
        (State.TIDAK_BERLAKU, D(2026, 1, 31), None, None),  # not counted
    ]
    assert rules.timeliness_score(rows, today) == 2 / 4
    assert rules.timeliness_score([(State.BELUM, D(2026, 7, 14), None, None)], today) is None


@given(
    st.dates(min_value=D(2020, 1, 1), max_value=D(2030, 12, 31)),
    st.dates(min_value=D(2020, 1, 1), max_value=D(2030, 12, 31)),
)
def test_days_until_and_display_state_agree(due, today):
    days = rules.days_until(due, today)
    late = rules.display_state(State.BELUM, due, today) == State.TERLAMBAT
    assert late == (days < 0)


def test_score_row_counts_the_day_in_jakarta_not_utc():
    # 00:30 WIB on 1 April is still 31 March in UTC: the report came a day after a 31 March deadline.
    sent = dt.datetime(2026, 4, 1, 0, 30, tzinfo=ZoneInfo("Asia/Jakarta"))
    row = rules.score_row(State.DIKIRIM, D(2026, 3, 31), None, sent.astimezone(dt.UTC))
    assert row[3] == D(2026, 4, 1)
    assert rules.timeliness_score([row], D(2026, 6, 1)) == 0
