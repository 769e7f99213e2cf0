"""The daily attendance status of one perangkat on one day: a pure function of the day's working hours,
the punches around it, approved corrections and leave, and what the desa's machines prove about the day.

No Django, no database: the rules are tested table by table and with hypothesis, and the recompute service
(``attendance.daily``) feeds them. Defaults follow ASN practice (``shared/reference/domain.md``), every
threshold is data.

Codes
    L   non-working day (weekend by the schedule, national holiday, cuti bersama, the kecamatan's own day)
    H   present and on time
    TL  late: arrival after start + tolerance; minutes counted from the start; TL1 1–30, TL2 31–60,
        TL3 61–90, TL4 > 90 minutes
    PSW left early: departure before the end; minutes and PSW1–PSW4 the same way (a day can be TL and PSW)
    TAM / TAP   no arrival / no departure punch on a day with punches. The day also carries what the missing
        punch weighs under the kecamatan's "TAM = TL4, TAP = PSW4" policy (``missing_in/out_minutes``: the
        whole arrival window after the start, the whole departure window before the end, at least the TL4
        threshold), so a missing morning punch is never worth less than any arrival that counts; the recap
        applies the policy, the status stays TAM/TAP.
    I S C DL    approved izin, sakit, cuti, dinas luar (DL counts as present)
    TK  absent without reason: a working day with no punch and no leave while the machine reported *and*
        holds a punch of the day by someone of the desa, and the pulls cover the arrival window
    ND  no data — never counted as absent: the PIN is not linked; the machine did not report the day (no
        punch of it and no successful pull completed after its arrival window closed: a pull at 00:05
        followed by silence proves nothing about the day); the machine reported but holds no punch by anyone
        (a dead machine or a closed office is never TK for everyone; the recap flags the machine); or the
        day is not known yet

Koreksi absen: an approved correction is one more punch of its kind (an arrival or a departure) for the
day; the earlier arrival and the later departure win as with machine punches. When the arrival or departure
that counts came from a correction, the day is ``corrected`` (the grid marks it).

Times are compared to the minute, as the machines show them: 07:40:59 is "07:40" (ANRI practice: after
07:30:59 is late with zero tolerance)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

LEAVE_CODES = ("I", "S", "C", "DL")
PRESENT = frozenset({"H", "TL", "PSW", "TAM", "TAP", "DL"})
STATUSES = ("L", "H", "TL", "PSW", "TAM", "TAP", "I", "S", "C", "DL", "TK", "ND")
DEFAULT_BUCKETS = (30, 60, 90)  # upper bounds of TL1/PSW1, TL2/PSW2, TL3/PSW3; above is 4


@dataclass(frozen=True)
class DayRule:
    """One working day's hours and windows, all in minutes. A punch counts as arrival inside
    [start − arrival_before, start + arrival_after] and as departure inside [end − departure_before,
    end + departure_after], the two never past the middle of the working day; the departure window may run
    past midnight (to 06:00 at most, checked when a schedule is saved)."""

    start: dt.time
    end: dt.time
    tolerance: int = 0
    arrival_before: int = 180
    arrival_after: int = 240
    departure_before: int = 240
    departure_after: int = 480


@dataclass(frozen=True)
class DayInput:
    day: dt.date
    rule: DayRule | None  # None: not a working day
    punches: Sequence[dt.datetime]  # this perangkat's punches around the day, local wall time (naive or aware)
    leave: str | None = None  # approved leave code covering the day
    collecting: bool = True  # a machine of the desa reported the day (``reported``) and the PIN is linked
    known_until: dt.datetime | None = None  # punches are complete up to here (last successful pull), local
    buckets: tuple[int, int, int] = DEFAULT_BUCKETS
    anyone_punched: bool = True  # the desa's machines hold a punch of this day by anyone (linked or not)
    corrected_in: dt.datetime | None = None  # approved koreksi absen: arrival, local wall time
    corrected_out: dt.datetime | None = None  # approved koreksi absen: departure, local wall time


@dataclass(frozen=True)
class DayResult:
    status: str
    codes: tuple[str, ...] = ()
    arrival: dt.datetime | None = None
    departure: dt.datetime | None = None
    late_minutes: int = 0
    early_minutes: int = 0
    missing_in_minutes: int = 0  # on a TAM day: what it weighs as TL4 (see the module docstring)
    missing_out_minutes: int = 0  # on a TAP day: what it weighs as PSW4
    corrected: bool = False  # the arrival or departure that counts came from an approved correction

    @property
    def label(self) -> str:
        """What a grid cell shows: "TL2/PSW1", "TAM", "H" …"""
        return "/".join(self.codes) if self.codes else self.status


def bucket(minutes: int, buckets: tuple[int, int, int] = DEFAULT_BUCKETS) -> int:
    for level, upper in enumerate(buckets, start=1):
        if minutes <= upper:
            return level
    return len(buckets) + 1


def windows(day: dt.date, rule: DayRule) -> tuple[dt.datetime, dt.datetime, dt.datetime, dt.datetime]:
    """Arrival open/close and departure open/close as naive local times of ``day``."""
    start = dt.datetime.combine(day, rule.start)
    end = dt.datetime.combine(day, rule.end)
    minute = dt.timedelta(minutes=1)
    # On a short day (a Saturday to 12:00, Ramadan hours) the two windows may meet: they split at the middle
    # of the working day, so a punch is never both an arrival and a departure.
    middle = start + (end - start) / 2
    return (
        start - rule.arrival_before * minute,
        min(start + rule.arrival_after * minute, middle),
        max(end - rule.departure_before * minute, middle),
        end + rule.departure_after * minute,
    )


def _minute(moment: dt.datetime) -> dt.datetime:
    return moment.replace(second=0, microsecond=0, tzinfo=None)


def _naive(moment: dt.datetime) -> dt.datetime:
    return moment.replace(tzinfo=None)


def reported(day: dt.date, rule: DayRule, *, punched: bool, pulled_at: dt.datetime | None) -> bool:
    """Whether a machine reported a working day: it holds a punch of the day, or a successful pull completed
    after the day's arrival window closed (``pulled_at``: the latest pull covering the day, local time)."""
    if punched:
        return True
    return pulled_at is not None and _naive(pulled_at) >= windows(day, rule)[1]


def missing_minutes(day: dt.date, rule: DayRule, buckets: tuple[int, int, int] = DEFAULT_BUCKETS) -> tuple[int, int]:
    """What a missing arrival / departure punch weighs as TL4 / PSW4: the whole arrival window after the start
    (any arrival that counts is at most that late), the whole departure window before the end — never less
    than the TL4/PSW4 threshold. With the default windows: 240 and 240 minutes."""
    a_open, a_close, d_open, d_close = windows(day, rule)
    floor = buckets[-1] + 1
    late = int((a_close - dt.datetime.combine(day, rule.start)).total_seconds() // 60)
    early = int((dt.datetime.combine(day, rule.end) - d_open).total_seconds() // 60)
    return max(late, floor), max(early, floor)


def compute_day(inp: DayInput) -> DayResult:
    punches = sorted(_naive(p) for p in inp.punches)
    on_day = [p for p in punches if p.date() == inp.day]
    if inp.rule is None:
        # A holiday with punches stays a holiday; the punches are shown, not counted.
        return DayResult("L", arrival=on_day[0] if on_day else None, departure=on_day[-1] if len(on_day) > 1 else None)
    a_open, a_close, d_open, d_close = windows(inp.day, inp.rule)
    arrival = next((p for p in punches if a_open <= p <= a_close), None)
    corrected = False
    fix_in = _naive(inp.corrected_in) if inp.corrected_in else None
    if fix_in is not None and (arrival is None or fix_in < arrival):
        arrival, corrected = fix_in, True
    departure = next(
        (p for p in reversed(punches) if d_open <= p <= d_close and (arrival is None or p > arrival)), None
    )
    fix_out = _naive(inp.corrected_out) if inp.corrected_out else None
    if fix_out is not None and (arrival is None or fix_out > arrival) and (departure is None or fix_out > departure):
        departure, corrected = fix_out, True
    if inp.leave:
        return DayResult(inp.leave, codes=(inp.leave,), arrival=arrival, departure=departure)
    known = _naive(inp.known_until) if inp.known_until else None
    if arrival is None and departure is None:
        day_punches = [p for p in punches if a_open <= p <= d_close]
        if not day_punches:
            if not (inp.collecting and inp.anyone_punched) or known is None or known < a_close:
                return DayResult("ND")
            return DayResult("TK", codes=("TK",))
    codes: list[str] = []
    late = early = missing_in = missing_out = 0
    if arrival is None:
        if known is None or known >= a_close:
            codes.append("TAM")
            missing_in = missing_minutes(inp.day, inp.rule, inp.buckets)[0]
    else:
        late = int((_minute(arrival) - dt.datetime.combine(inp.day, inp.rule.start)).total_seconds() // 60)
        if late > inp.rule.tolerance:
            codes.append(f"TL{bucket(late, inp.buckets)}")
        else:
            late = 0
    if departure is None:
        if known is None or known >= d_close:
            codes.append("TAP")
            missing_out = missing_minutes(inp.day, inp.rule, inp.buckets)[1]
    else:
        early = int((dt.datetime.combine(inp.day, inp.rule.end) - _minute(departure)).total_seconds() // 60)
        if early > 0:
            codes.append(f"PSW{bucket(early, inp.buckets)}")
        else:
            early = 0
    status = _family(codes[0]) if codes else "H"
    return DayResult(status, tuple(codes), arrival, departure, late, early, missing_in, missing_out, corrected)


def _family(code: str) -> str:
    return code.rstrip("0123456789")
