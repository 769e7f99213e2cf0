"""The working-day calendar: weekends, national holidays and cuti bersama, and each kecamatan's own days.

The arithmetic is pure (``WorkCalendar`` takes a set of holiday dates) so it can be tested with hypothesis
without a database; ``calendar_for`` builds one from the ``HariLibur`` table.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

import holidays as holidays_lib
from django.db import transaction
from django.db.models import Q

from portal.models import HariLibur

WEEKEND = frozenset({5, 6})  # Saturday, Sunday
ONE_DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class WorkCalendar:
    holidays: frozenset[dt.date] = field(default_factory=frozenset)
    weekend: frozenset[int] = WEEKEND

    def is_working_day(self, day: dt.date) -> bool:
        return day.weekday() not in self.weekend and day not in self.holidays

    def next_working_day(self, day: dt.date) -> dt.date:
        """``day`` itself when it is a working day, else the first working day after it."""
        while not self.is_working_day(day):
            day += ONE_DAY
        return day

    def add_working_days(self, start: dt.date, days: int) -> dt.date:
        """The date ``days`` working days after ``start`` (day 1 is the first working day after ``start``).

        Zero days from a working day is that day; zero days from a non-working day is the next working day,
        so a working-day deadline never lands on a day off.
        """
        if days < 0:
            raise ValueError("days must not be negative")
        day = self.next_working_day(start) if days == 0 else start
        for _ in range(days):
            day = self.next_working_day(day + ONE_DAY)
        return day

    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        """Working days in the half-open range (start, end]."""
        count, day = 0, start
        while day < end:
            day += ONE_DAY
            count += self.is_working_day(day)
        return count


def holiday_rows(*, kecamatan_id: int | None, start: dt.date, end: dt.date) -> dict[dt.date, HariLibur]:
    """The rows in force for a kecamatan between two dates: national ones, overridden by its own."""
    rows = HariLibur.objects.filter(tanggal__range=(start, end)).filter(
        Q(kecamatan__isnull=True) | Q(kecamatan_id=kecamatan_id)
    )
    by_date: dict[dt.date, HariLibur] = {}
    for row in sorted(rows, key=lambda r: r.kecamatan_id is not None):  # national first, local overrides
        by_date[row.tanggal] = row
    return by_date


def calendar_for(*, kecamatan_id: int | None, years: Iterable[int]) -> WorkCalendar:
    years = sorted(set(years))
    start, end = dt.date(years[0], 1, 1), dt.date(years[-1], 12, 31)
    rows = holiday_rows(kecamatan_id=kecamatan_id, start=start, end=end)
    return WorkCalendar(frozenset(day for day, row in rows.items() if row.libur))


def package_holidays(year: int) -> dict[dt.date, tuple[str, str]]:
    """National holidays and cuti bersama of one year from the ``holidays`` package: date -> (name, jenis).

    ``language="id"`` always: without it the names follow the process locale (English under C.UTF-8)."""
    public = holidays_lib.country_holidays("ID", years=year, language="id", categories=("public",))
    government = holidays_lib.country_holidays("ID", years=year, language="id", categories=("government",))
    result = {day: (name, HariLibur.Jenis.NASIONAL) for day, name in public.items()}
    for day, name in government.items():
        if day not in result:
            result[day] = (name, HariLibur.Jenis.CUTI_BERSAMA)
    return result


@transaction.atomic
def holidays_sync(*, years: Iterable[int]) -> int:
    """Create or refresh the national rows from the package. Rows edited by hand are left alone."""
    changed = 0
    for year in years:
        for day, (name, jenis) in package_holidays(year).items():
            row = HariLibur.objects.filter(tanggal=day, kecamatan__isnull=True).first()
            if row is None:
                HariLibur.objects.create(tanggal=day, nama=name, jenis=jenis)
                changed += 1
            elif not row.diubah_manual and (row.nama, row.jenis, row.libur) != (name, jenis, True):
                row.nama, row.jenis, row.libur = name, jenis, True
                row.save()
                changed += 1
    return changed


def non_working_days(*, kecamatan_id: int | None, year: int) -> list[dict]:
    """Every day off of a year with its reason: weekends and the holiday table (API and screens)."""
    rows = holiday_rows(kecamatan_id=kecamatan_id, start=dt.date(year, 1, 1), end=dt.date(year, 12, 31))
    result = []
    day = dt.date(year, 1, 1)
    while day.year == year:
        row = rows.get(day)
        if row is not None and row.libur:
            result.append({"date": day, "name": row.nama, "kind": row.jenis})
        elif day.weekday() in WEEKEND:
            result.append({"date": day, "name": "Sabtu" if day.weekday() == 5 else "Minggu", "kind": "akhir_pekan"})
        day += ONE_DAY
    return result
