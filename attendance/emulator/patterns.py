"""Realistic punches for a desa office: perangkat arrive around 07:30 and leave around 16:00 on working days.

Deterministic for a seed: every user draws from their own RNG, so the same (seed, users, range) gives the same log.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

PUNCH_IN = 0
PUNCH_OUT = 1
VERIFY_FINGER = 1

FIRST_NAMES = (
    "Siti",
    "Budi",
    "Slamet",
    "Sri",
    "Agus",
    "Dewi",
    "Joko",
    "Endang",
    "Bambang",
    "Rina",
    "Eko",
    "Wahyuni",
    "Heru",
    "Nur",
    "Teguh",
    "Yuliana",
    "Suparman",
    "Ratna",
    "Dedi",
    "Lestari",
    "Made",
    "Ketut",
    "Asep",
    "Euis",
    "Rahmat",
    "Fitri",
    "Hendra",
    "Indah",
    "Sutrisno",
    "Puji",
    "Arif",
    "Nining",
    "Wayan",
    "Ujang",
    "Marlina",
    "Yusuf",
)
LAST_NAMES = (
    "Santoso",
    "Rahayu",
    "Wibowo",
    "Susanti",
    "Hidayat",
    "Lestari",
    "Prasetyo",
    "Kurniawan",
    "Setiawati",
    "Saputra",
    "Nugroho",
    "Handayani",
    "Gunawan",
    "Purnomo",
    "Suryani",
    "Sitompul",
    "Siregar",
    "Nasution",
    "Hasibuan",
    "Mulyadi",
    "Sudirman",
    "Wulandari",
    "Hartono",
    "Permana",
    "Suhendra",
    "Maharani",
    "Kusuma",
    "Firmansyah",
    "Rohmah",
)


@dataclass(frozen=True)
class PatternProfile:
    """Knobs of the office routine; minutes are relative to midnight, local wall time."""

    # Most people come a little before 07:30 and leave a little after 16:00 (16:30 on Fridays), so the
    # portal's daily status shows mostly H, with TL/PSW from the late and early draws below.
    arrival: float = 7 * 60 + 20
    arrival_spread: float = 6.0
    late_probability: float = 0.07
    late_max: float = 120.0
    departure: float = 16 * 60 + 8
    departure_spread: float = 6.0
    friday_extra: float = 30.0
    early_probability: float = 0.05
    early_max: float = 150.0
    habit_spread: float = 5.0  # some people are habitually a little early or late
    absent_probability: float = 0.04  # sick, cuti, dinas luar
    forgot_out_probability: float = 0.02
    repeat_probability: float = 0.05  # a second press within a minute because the first "did not beep"


@dataclass(frozen=True)
class PunchEvent:
    user_id: str
    timestamp: datetime
    punch: int = PUNCH_IN
    status: int = VERIFY_FINGER


def indonesian_names(count: int, seed: int = 0) -> list[str]:
    """`count` distinct-looking full names (first + family name), deterministic for a seed."""
    rng = random.Random(f"names:{seed}")
    names: list[str] = []
    seen: set[str] = set()
    while len(names) < count:
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        if name in seen and len(seen) < len(FIRST_NAMES) * len(LAST_NAMES):
            continue
        seen.add(name)
        names.append(name)
    return names


def working_days(start: date, end: date, holidays: Iterable[date] = ()) -> list[date]:
    """Monday-Friday between start and end inclusive, minus holidays (libur nasional, cuti bersama)."""
    off = set(holidays)
    days = (start + timedelta(days=n) for n in range((end - start).days + 1))
    return [day for day in days if day.weekday() < 5 and day not in off]


def _at(day: date, minutes: float, rng: random.Random) -> datetime:
    whole = max(0, min(int(minutes), 24 * 60 - 1))
    return datetime.combine(day, time(whole // 60, whole % 60, rng.randrange(60)))


def _arrival(rng: random.Random, profile: PatternProfile, habit: float) -> float:
    if rng.random() < profile.late_probability:
        return profile.arrival + rng.uniform(20, profile.late_max)
    return rng.gauss(profile.arrival + habit, profile.arrival_spread)


def _departure(rng: random.Random, profile: PatternProfile, habit: float, day: date) -> float:
    end = profile.departure + (profile.friday_extra if day.weekday() == 4 else 0)
    if rng.random() < profile.early_probability:
        return end - rng.uniform(30, profile.early_max)
    return rng.gauss(end + habit / 2, profile.departure_spread)


def _press(user_id: str, moment: datetime, punch: int, rng: random.Random, profile: PatternProfile) -> list[PunchEvent]:
    events = [PunchEvent(user_id, moment, punch)]
    if rng.random() < profile.repeat_probability:
        events.append(PunchEvent(user_id, moment + timedelta(seconds=rng.randint(3, 50)), punch))
    return events


def _user_days(user_id: str, days: Sequence[date], seed: int, profile: PatternProfile) -> Iterable[list[PunchEvent]]:
    rng = random.Random(f"punch:{seed}:{user_id}")
    habit = rng.gauss(0, profile.habit_spread)
    for day in days:
        if rng.random() < profile.absent_probability:
            continue
        events = _press(user_id, _at(day, _arrival(rng, profile, habit), rng), PUNCH_IN, rng, profile)
        if rng.random() >= profile.forgot_out_probability:
            events += _press(user_id, _at(day, _departure(rng, profile, habit, day), rng), PUNCH_OUT, rng, profile)
        yield events


def generate_punches(
    user_ids: Sequence[str],
    start: date,
    end: date,
    holidays: Iterable[date] = (),
    seed: int = 0,
    profile: PatternProfile | None = None,
) -> list[PunchEvent]:
    """All punches of `user_ids` on the working days in [start, end], in device log (chronological) order."""
    profile = profile or PatternProfile()
    days = working_days(start, end, holidays)
    events = [ev for uid in user_ids for evs in _user_days(uid, days, seed, profile) for ev in evs]
    events.sort(key=lambda ev: (ev.timestamp, ev.user_id))
    return events


def generate_recent(
    user_ids: Sequence[str],
    count: int,
    end: date | None = None,
    holidays: Iterable[date] = (),
    seed: int = 0,
    profile: PatternProfile | None = None,
) -> list[PunchEvent]:
    """Exactly `count` punches: the most recent ones up to `end` (default: up to now), over as many days as needed."""
    if count <= 0 or not user_ids:
        return []
    # A device never holds punches from its future: by default today's afternoon punches are not there yet.
    not_after = datetime.now() if end is None else datetime.combine(end, time.max)
    end = not_after.date()
    holidays = list(holidays)
    # About two punches per user per working day, 5 working days per 7 calendar days; widen until enough.
    span = math.ceil(count / (2 * len(user_ids)) * 7 / 5) + 7
    while True:
        events = generate_punches(user_ids, end - timedelta(days=span), end, holidays, seed, profile)
        events = [ev for ev in events if ev.timestamp <= not_after]
        if len(events) >= count:
            return events[-count:]
        span = span * 2
