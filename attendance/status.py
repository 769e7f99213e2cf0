"""The daily attendance status of one perangkat on one day: a pure function of the day's working hours,
the punches around it, approved leave and whether the desa's machines were collecting.

No Django, no database: the rules are tested table by table and with hypothesis, and the recompute service
(``attendance.daily``) feeds them. Defaults follow ASN practice (``shared/reference/domain.md``), every
threshold is data.

Codes
    L   non-working day (weekend by the schedule, national holiday, cuti bersama, the kecamatan's own day)
    H   present and on time
    TL  late: arrival after start + tolerance; minutes counted from the start; TL1 1–30, TL2 31–60,
        TL3 61–90, TL4 > 90 minutes
    PSW left early: departure before the end; minutes and PSW1–PSW4 the same way (a day can be TL and PSW)
    TAM / TAP   no arrival / no departure punch on a day with punches
    I S C DL    approved izin, sakit, cuti, dinas luar (DL counts as present)
    TK  absent without reason: a working day with no punch and no leave while the machine was collecting
    ND  no data: the machine was not reporting, the PIN is not linked, or the day is not known yet —
        never counted as absent

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
    collecting: bool = True  # a machine of the desa was reporting that day and the perangkat's PIN is linked
    known_until: dt.datetime | None = None  # punches are complete up to here (last successful pull), local
    buckets: tuple[int, int, int] = DEFAULT_BUCKETS


@dataclass(frozen=True)
class DayResult:
    status: str
    codes: tuple[str, ...] = ()
    arrival: dt.datetime | None = None
    departure: dt.datetime | None = None
    late_minutes: int = 0
    early_minutes: int = 0

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


def compute_day(inp: DayInput) -> DayResult:
    punches = sorted(_naive(p) for p in inp.punches)
    on_day = [p for p in punches if p.date() == inp.day]
    if inp.rule is None:
        # A holiday with punches stays a holiday; the punches are shown, not counted.
        return DayResult("L", arrival=on_day[0] if on_day else None, departure=on_day[-1] if len(on_day) > 1 else None)
    a_open, a_close, d_open, d_close = windows(inp.day, inp.rule)
    arrival = next((p for p in punches if a_open <= p <= a_close), None)
    departure = next(
        (p for p in reversed(punches) if d_open <= p <= d_close and (arrival is None or p > arrival)), None
    )
    if inp.leave:
        return DayResult(inp.leave, codes=(inp.leave,), arrival=arrival, departure=departure)
    known = _naive(inp.known_until) if inp.known_until else None
    if arrival is None and departure is None:
        day_punches = [p for p in punches if a_open <= p <= d_close]
        if not day_punches:
            if not inp.collecting or known is None or known < a_close:
                return DayResult("ND")
            return DayResult("TK", codes=("TK",))
    codes: list[str] = []
    late = early = 0
    if arrival is None:
        if known is None or known >= a_close:
            codes.append("TAM")
    else:
        late = int((_minute(arrival) - dt.datetime.combine(inp.day, inp.rule.start)).total_seconds() // 60)
        if late > inp.rule.tolerance:
            codes.append(f"TL{bucket(late, inp.buckets)}")
        else:
            late = 0
    if departure is None:
        if known is None or known >= d_close:
            codes.append("TAP")
    else:
        early = int((dt.datetime.combine(inp.day, inp.rule.end) - _minute(departure)).total_seconds() // 60)
        if early > 0:
            codes.append(f"PSW{bucket(early, inp.buckets)}")
        else:
            early = 0
    status = _family(codes[0]) if codes else "H"
    return DayResult(status, tuple(codes), arrival, departure, late, early)


def _family(code: str) -> str:
    return code.rstrip("0123456789")
