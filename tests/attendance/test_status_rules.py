"""The daily status rules, table by table (attendance/status.py is pure: no database)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from attendance.status import DayInput, DayRule, bucket, compute_day, reported, windows

DAY = dt.date(2026, 8, 3)
RULE = DayRule(dt.time(7, 30), dt.time(16, 0), tolerance=10)
KNOWN = dt.datetime(2026, 8, 5, 0, 0)  # the day is over and pulled


def at(hhmm: str, day: dt.date = DAY) -> dt.datetime:
    h, m, *s = map(int, hhmm.split(":"))
    return dt.datetime.combine(day, dt.time(h, m, *(s or [0])))


def run(*punches: str, rule: DayRule | None = RULE, leave=None, collecting=True, known=KNOWN, day=DAY) -> tuple:
    result = compute_day(
        DayInput(
            day=day,
            rule=rule,
            punches=[at(p) if isinstance(p, str) else p for p in punches],
            leave=leave,
            collecting=collecting,
            known_until=known,
        )
    )
    return result.status, result.codes, result.late_minutes, result.early_minutes


@pytest.mark.parametrize(
    "punches,expected",
    [
        (("07:25", "16:05"), ("H", (), 0, 0)),
        (("07:40", "16:00"), ("H", (), 0, 0)),  # exactly start + tolerance: on time
        (("07:40:59", "16:00"), ("H", (), 0, 0)),  # to the minute, as the machine shows it
        (("07:41", "16:00"), ("TL", ("TL1",), 11, 0)),  # one minute past the tolerance: late from the start
        (("08:00", "16:00"), ("TL", ("TL1",), 30, 0)),
        (("08:01", "16:00"), ("TL", ("TL2",), 31, 0)),
        (("08:30", "16:00"), ("TL", ("TL2",), 60, 0)),
        (("08:31", "16:00"), ("TL", ("TL3",), 61, 0)),
        (("09:00", "16:00"), ("TL", ("TL3",), 90, 0)),
        (("09:01", "16:00"), ("TL", ("TL4",), 91, 0)),
        (("07:30", "15:59:59"), ("PSW", ("PSW1",), 0, 1)),
        (("07:30", "15:30"), ("PSW", ("PSW1",), 0, 30)),
        (("07:30", "15:29"), ("PSW", ("PSW2",), 0, 31)),
        (("07:30", "14:59"), ("PSW", ("PSW3",), 0, 61)),
        (("07:30", "13:00"), ("PSW", ("PSW4",), 0, 180)),
        (("08:15", "15:00"), ("TL", ("TL2", "PSW2"), 45, 60)),  # late and early on one day
        (("15:00",), ("TAM", ("TAM", "PSW2"), 0, 60)),  # no arrival punch
        (("07:20",), ("TAP", ("TAP",), 0, 0)),  # no departure punch
        (("07:20", "07:21", "07:22", "16:10", "16:11"), ("H", (), 0, 0)),  # repeats ignored
        ((), ("TK", ("TK",), 0, 0)),
    ],
)
def test_working_day(punches, expected):
    assert run(*punches) == expected


def test_first_arrival_and_last_departure_count():
    result = compute_day(DayInput(DAY, RULE, [at("07:50"), at("07:20"), at("16:30"), at("16:05")], known_until=KNOWN))
    assert (result.arrival, result.departure) == (at("07:20"), at("16:30"))


def test_punch_after_midnight_is_the_previous_days_departure():
    late_shift = DayRule(dt.time(7, 30), dt.time(16, 0), departure_after=600)  # window to 02:00
    next_day = DAY + dt.timedelta(days=1)
    punches = ["07:25", at("00:30", next_day)]
    assert run(*punches, rule=late_shift) == ("H", (), 0, 0)
    # …and does not count on the next day, whose arrival window opens at 04:30.
    assert run(at("00:30", next_day), rule=late_shift, day=next_day)[0] == "TK"


def test_punch_after_midnight_outside_the_window_is_not_a_departure():
    next_day = DAY + dt.timedelta(days=1)
    assert run("07:25", at("00:30", next_day))[:2] == ("TAP", ("TAP",))


def test_ramadan_hours_are_just_another_rule():
    ramadan = DayRule(dt.time(8, 0), dt.time(15, 0))
    assert run("07:59", "15:00", rule=ramadan) == ("H", (), 0, 0)
    assert run("07:59", "15:00") == ("TL", ("TL1", "PSW2"), 29, 60)  # the same punches under normal hours


def test_short_day_windows_never_make_one_punch_both():
    saturday = DayRule(dt.time(7, 30), dt.time(12, 0))
    assert windows(DAY, saturday)[1] <= windows(DAY, saturday)[2]
    assert run("09:00", rule=saturday)[1] == ("TL3", "TAP")  # before the middle (09:45): an arrival
    assert run("10:00", rule=saturday)[1] == ("TAM", "PSW4")  # after it: a departure, 120 minutes early


@pytest.mark.parametrize("code", ["I", "S", "C", "DL"])
def test_approved_leave(code):
    assert run(leave=code)[:2] == (code, (code,))
    assert run("07:20", "16:00", leave=code)[0] == code  # leave wins over punches


def test_holiday_with_punches_is_a_day_off():
    result = compute_day(DayInput(DAY, None, [at("07:30"), at("12:00")], known_until=KNOWN))
    assert (result.status, result.arrival, result.departure) == ("L", at("07:30"), at("12:00"))


def test_device_offline_is_no_data_not_absent():
    assert run(collecting=False) == ("ND", (), 0, 0)
    assert run("07:20", "16:00", collecting=False)[0] == "H"  # punches prove presence whatever the coverage


def test_today_before_the_windows_close_is_not_yet_judged():
    morning = at("09:00")
    assert run(known=morning)[0] == "ND"  # could still arrive: not TK yet
    assert run("07:20", known=morning) == ("H", (), 0, 0)  # no TAP before the departure window closes
    assert run("07:20", known=at("00:00", DAY + dt.timedelta(days=1)))[1] == ("TAP",)  # window closed at midnight
    assert run(known=None)[0] == "ND"  # never pulled


@pytest.mark.parametrize("minutes,level", [(1, 1), (30, 1), (31, 2), (60, 2), (61, 3), (90, 3), (91, 4), (600, 4)])
def test_buckets(minutes, level):
    assert bucket(minutes) == level


minutes_of_day = st.integers(min_value=0, max_value=24 * 60 * 2 - 1)


@given(st.lists(minutes_of_day, max_size=8), st.booleans(), st.sampled_from([None, "I", "S", "C", "DL"]))
def test_total_and_deterministic(offsets, collecting, leave):
    """Any punches give one status from the list, the same whatever their order, with minutes consistent."""
    start = dt.datetime.combine(DAY, dt.time(0))
    punches = [start + dt.timedelta(minutes=m) for m in offsets]
    first = compute_day(DayInput(DAY, RULE, punches, leave, collecting, KNOWN))
    again = compute_day(DayInput(DAY, RULE, list(reversed(punches)), leave, collecting, KNOWN))
    assert first == again
    assert first.status in {"H", "TL", "PSW", "TAM", "TAP", "I", "S", "C", "DL", "TK", "ND"}
    assert (first.late_minutes > 0) == any(c.startswith("TL") for c in first.codes)
    assert (first.early_minutes > 0) == any(c.startswith("PSW") for c in first.codes)
    if first.arrival and first.departure:
        assert first.arrival < first.departure


# Evidence and koreksi absen ---------------------------------------------------------------------------------


def test_a_machine_holding_no_punch_by_anyone_is_no_data_for_everyone():
    assert run(collecting=True) == ("TK", ("TK",), 0, 0)
    result = compute_day(DayInput(DAY, RULE, [], known_until=KNOWN, anyone_punched=False))
    assert (result.status, result.codes) == ("ND", ())


@pytest.mark.parametrize(
    ("punched", "pulled", "expected"),
    [
        (True, None, True),  # a punch of the day is evidence whenever it was pulled
        (False, None, False),
        (False, at("00:05"), False),  # a pull at 00:05 says nothing about the day
        (False, at("11:29"), False),  # the arrival window (to 11:30) is still open
        (False, at("11:30"), True),
        (False, at("08:00", DAY + dt.timedelta(days=1)), True),  # the next morning's pull
    ],
)
def test_reported_needs_a_punch_or_a_pull_after_the_arrival_window(punched, pulled, expected):
    rule = DayRule(dt.time(7, 30), dt.time(16, 0))
    assert reported(DAY, rule, punched=punched, pulled_at=pulled) is expected


@pytest.mark.parametrize(
    ("punches", "fix_in", "fix_out", "expected"),
    [
        (("16:05",), "07:25", None, ("H", (), True)),  # TAM corrected to on time
        (("16:05",), "08:10", None, ("TL", ("TL2",), True)),
        (("07:20",), None, "16:02", ("H", (), True)),  # TAP corrected
        (("07:20", "16:05"), "07:10", None, ("H", (), True)),  # the earlier arrival wins
        (("07:05", "16:05"), "07:25", None, ("H", (), False)),  # the machine's earlier arrival wins: unused
        ((), "07:25", "16:05", ("H", (), True)),  # both punches forgotten
    ],
)
def test_an_approved_correction_is_one_more_punch_of_its_kind(punches, fix_in, fix_out, expected):
    result = compute_day(
        DayInput(
            DAY,
            RULE,
            [at(p) for p in punches],
            known_until=KNOWN,
            corrected_in=at(fix_in) if fix_in else None,
            corrected_out=at(fix_out) if fix_out else None,
        )
    )
    assert (result.status, result.codes, result.corrected) == expected


def test_corrections_never_beat_leave_or_a_holiday():
    assert compute_day(DayInput(DAY, RULE, [], leave="S", corrected_in=at("07:25"), known_until=KNOWN)).status == "S"
    day_off = compute_day(DayInput(DAY, None, [], corrected_in=at("07:25"), known_until=KNOWN))
    assert (day_off.status, day_off.corrected) == ("L", False)


def test_a_missing_punch_carries_its_weight_for_the_recap():
    tam = compute_day(DayInput(DAY, DayRule(dt.time(7, 30), dt.time(16, 0)), [at("16:05")], known_until=KNOWN))
    assert (tam.codes, tam.late_minutes, tam.missing_in_minutes, tam.missing_out_minutes) == (("TAM",), 0, 240, 0)
    tap = compute_day(DayInput(DAY, DayRule(dt.time(7, 30), dt.time(16, 0)), [at("07:20")], known_until=KNOWN))
    assert (tap.codes, tap.missing_in_minutes, tap.missing_out_minutes) == (("TAP",), 0, 240)
