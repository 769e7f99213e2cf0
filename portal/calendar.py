"""The working-day calendar: weekends, national holidays and cuti bersama, and each kecamatan's own days.

The arithmetic is pure (``WorkCalendar`` takes a set of holiday dates) so it can be tested with hypothesis
without a database; ``calendar_for`` builds one from the ``HariLibur`` table.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

import holidays as holidays_lib
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from portal import permissions
from portal.models import HariLibur, HolidayYear, User
from portal.signals import calendar_changed

# Indonesian month names for periods, letters and export titles: Indonesian whatever language the UI shows
# (legal periods and official letters are written in Indonesian). Kept as a table of two half-years (one of the
# few ``fmt: skip`` left: twelve lines would hide the shape).
MONTHS_ID = (
    "Januari", "Februari", "Maret", "April", "Mei", "Juni",
    "Juli", "Agustus", "September", "Oktober", "November", "Desember",
)  # fmt: skip

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
        for _step in range(days):
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


class CalendarUnavailable(Exception):
    """No holiday calendar can be had for a year: a computation over it would treat every holiday as a
    working day, so it stops here instead (verdicts are evidence, never computed over an empty calendar)."""

    def __init__(self, year: int):
        self.year = year
        super().__init__(
            _(
                "Kalender hari libur tahun %(year)s tidak tersedia: paket holidays tidak punya data tahun itu. "
                "Isi hari libur tahun itu lebih dulu (admin atau /api/v1/holidays/)."
            )
            % {"year": year}
        )


def calendar_for(*, kecamatan_id: int | None, years: Iterable[int]) -> WorkCalendar:
    years = sorted(set(years))
    holidays_ensure(years=years)
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


def holidays_ensure(*, years: Iterable[int]) -> None:
    """Make sure each year's national holidays and cuti bersama are in the table (one query when they are).

    A year is taken from the package once; afterwards the table is the truth (hand edits, cancellations).
    Fails loudly (``CalendarUnavailable``) for a year the package cannot give."""
    years = set(years)
    known = set(HolidayYear.objects.filter(year__in=years).values_list("year", flat=True))
    missing = sorted(years - known)
    if missing:
        holidays_sync(years=missing)


@transaction.atomic
def holidays_sync(*, years: Iterable[int]) -> int:
    """Create or refresh the national rows from the package, and record each year as synced. Rows edited
    by hand are left alone. Safe to run twice at once: inserts ignore rows another run wrote first.

    Sends ``calendar_changed`` once for the dates it wrote, so deadlines and statuses follow."""
    changed: list[dt.date] = []
    for year in sorted(set(years)):
        from_package = package_holidays(year)
        if not from_package:
            raise CalendarUnavailable(year)
        existing = {
            row.tanggal: row
            for row in HariLibur.objects.filter(tanggal__year=year, kecamatan__isnull=True).select_for_update()
        }
        new_rows = [
            HariLibur(tanggal=day, nama=name, jenis=jenis)
            for day, (name, jenis) in from_package.items()
            if day not in existing
        ]
        HariLibur.objects.bulk_create(new_rows, ignore_conflicts=True)
        changed += [row.tanggal for row in new_rows]
        for day, (name, jenis) in from_package.items():
            row = existing.get(day)
            if row is not None and not row.diubah_manual and (row.nama, row.jenis, row.libur) != (name, jenis, True):
                HariLibur.objects.filter(pk=row.pk).update(nama=name, jenis=jenis, libur=True)
                changed.append(day)
        HolidayYear.objects.bulk_create([HolidayYear(year=year, count=len(from_package))], ignore_conflicts=True)
    if changed:
        calendar_changed.send(sender=HariLibur, kecamatan_id=None, dates=sorted(changed))
    return len(changed)


def non_working_days(*, kecamatan_id: int | None, year: int) -> list[dict]:
    """Every day off of a year with its reason: weekends and the holiday table (API and screens)."""
    holidays_ensure(years=[year])
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


# Rows written by hand (API, screens) ------------------------------------------------------------------------

HOLIDAY_FIELDS = ("tanggal", "nama", "jenis", "libur")


@transaction.atomic
def holiday_create(
    *, actor: User, tanggal: dt.date, nama: str, jenis: str = HariLibur.Jenis.LOKAL, libur: bool = True
) -> HariLibur:
    """A day off added by hand: an administrator's is national; kecamatan staff's belongs to their kecamatan
    (a local holiday, or ``libur=False`` to cancel a national one there). Saving the row sends
    ``calendar_changed`` (``portal.signals``), so deadlines and statuses follow in the same transaction."""
    if not permissions.can_manage_holidays(actor):
        raise PermissionDenied
    kecamatan = None if actor.is_portal_admin else actor.kecamatan
    return _holiday_save(HariLibur(tanggal=tanggal, nama=nama, jenis=jenis, libur=libur, kecamatan=kecamatan))


@transaction.atomic
def holiday_update(*, actor: User, holiday: HariLibur, **fields) -> HariLibur:
    """Change a row's ``HOLIDAY_FIELDS``; other names are ignored (the kecamatan of a row never changes)."""
    _check_may_change(actor, holiday)
    for name, value in fields.items():
        if name in HOLIDAY_FIELDS:
            setattr(holiday, name, value)
    return _holiday_save(holiday)


@transaction.atomic
def holiday_delete(*, actor: User, holiday: HariLibur) -> None:
    """Remove a row; the deadlines and statuses that follow (``calendar_changed``) commit with the deletion."""
    _check_may_change(actor, holiday)
    holiday.delete()


def _check_may_change(actor: User, holiday: HariLibur) -> None:
    if permissions.can_change_holiday(actor, holiday):
        return
    if holiday.kecamatan_id is None and permissions.can_manage_holidays(actor):
        raise PermissionDenied(_("Hari libur nasional hanya dapat diubah administrator."))
    raise PermissionDenied


def _holiday_save(row: HariLibur) -> HariLibur:
    row.diubah_manual = True  # the package sync leaves rows edited by hand alone
    row.full_clean(exclude=["kecamatan"], validate_unique=False, validate_constraints=False)
    try:
        with transaction.atomic():  # a savepoint: the caller's transaction stays usable after a duplicate
            row.save()
    except IntegrityError as exc:
        raise ValidationError({"tanggal": _("Sudah ada hari libur pada tanggal ini untuk wilayah yang sama.")}) from exc
    return row
