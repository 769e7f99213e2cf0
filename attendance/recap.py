"""Reads for the Camat's review: today, the month per desa (ranking), a desa's grid of perangkat × days,
flags and trends. Everything starts from ``restrict`` (scoped) and aggregates in the database, so the
number of queries does not grow with the number of desa.

Totals (the usual *rekap absensi* columns):
  hari kerja  working days (every status but L)
  H           on time all day; TL / PSW count days with that code, and their minutes
  TAM / TAP   days without an arrival / departure punch
  I S C DL    approved leave; DL counts as present
  TK          absent without reason; ND no data (not counted as absent, left out of the rate)
  % kehadiran present days (H, TL, PSW, TAM, TAP, DL) / (hari kerja − ND)"""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from attendance.models import DailyStatus, Device, DeviceDay
from attendance.status import PRESENT
from portal.models import Desa, Perangkat
from portal.scoping import restrict

COUNTED = ("H", "I", "S", "C", "DL", "TK", "ND", "L")


def month_bounds(month: dt.date) -> tuple[dt.date, dt.date]:
    first = month.replace(day=1)
    return first, first.replace(day=calendar.monthrange(first.year, first.month)[1])


def parse_month(value: str | None) -> dt.date:
    """``YYYY-MM`` → the first of that month; anything else → this month."""
    try:
        year, month = (int(x) for x in (value or "").split("-"))
        return dt.date(year, month, 1)
    except (ValueError, TypeError):
        return timezone.localdate().replace(day=1)


@dataclass
class Totals:
    hari_kerja: int = 0
    h: int = 0
    tl: int = 0
    tl_minutes: int = 0
    psw: int = 0
    psw_minutes: int = 0
    tam: int = 0
    tap: int = 0
    i: int = 0
    s: int = 0
    c: int = 0
    dl: int = 0
    tk: int = 0
    nd: int = 0
    present: int = 0

    @property
    def rate(self) -> float | None:
        """% kehadiran, or None when no day had data."""
        known = self.hari_kerja - self.nd
        return round(100 * self.present / known, 1) if known > 0 else None

    def add(self, status: str, codes: str, late: int, early: int) -> None:
        if status == "L":
            return
        self.hari_kerja += 1
        self.present += status in PRESENT
        self.h += status == "H"
        self.tl += "TL" in codes
        self.tl_minutes += late
        self.psw += "PSW" in codes
        self.psw_minutes += early
        self.tam += "TAM" in codes
        self.tap += "TAP" in codes
        for code in ("I", "S", "C", "DL", "TK", "ND"):
            if status == code:
                setattr(self, code.lower(), getattr(self, code.lower()) + 1)


def _aggregates() -> dict:
    present = Q(status__in=sorted(PRESENT))
    return {
        "hari_kerja": Count("id", filter=~Q(status="L")),
        "h": Count("id", filter=Q(status="H")),
        "tl": Count("id", filter=Q(codes__contains="TL")),
        "tl_minutes": Sum("late_minutes", default=0),
        "psw": Count("id", filter=Q(codes__contains="PSW")),
        "psw_minutes": Sum("early_minutes", default=0),
        "tam": Count("id", filter=Q(codes__contains="TAM")),
        "tap": Count("id", filter=Q(codes__contains="TAP")),
        "i": Count("id", filter=Q(status="I")),
        "s": Count("id", filter=Q(status="S")),
        "c": Count("id", filter=Q(status="C")),
        "dl": Count("id", filter=Q(status="DL")),
        "tk": Count("id", filter=Q(status="TK")),
        "nd": Count("id", filter=Q(status="ND")),
        "present": Count("id", filter=present),
    }


def _totals(row: dict) -> Totals:
    return Totals(**{k: row[k] or 0 for k in Totals.__dataclass_fields__})


@dataclass
class DesaMonth:
    desa: Desa
    totals: Totals
    rank: int = 0


def desa_month(*, user, month: dt.date) -> list[DesaMonth]:
    """One row per desa in scope, ranked by attendance rate (then fewer late minutes, then fewer TK)."""
    first, last = month_bounds(month)
    desa = {d.pk: d for d in restrict(Desa.objects.select_related("kecamatan"), user)}
    rows = (
        restrict(DailyStatus.objects.all(), user)
        .filter(date__range=(first, last))
        .values("desa_id")
        .annotate(**_aggregates())
    )
    by_desa = {row["desa_id"]: _totals(row) for row in rows}
    result = [DesaMonth(d, by_desa.get(pk, Totals())) for pk, d in desa.items()]
    result.sort(
        key=lambda r: (r.totals.rate is None, -(r.totals.rate or 0), r.totals.tl_minutes, r.totals.tk, r.desa.kode)
    )
    for position, row in enumerate(result, start=1):
        row.rank = position
    return result


@dataclass
class GridRow:
    perangkat: Perangkat
    cells: list[str]
    totals: Totals = field(default_factory=Totals)


@dataclass
class Grid:
    desa: Desa
    days: list[dt.date]
    rows: list[GridRow]
    day_off: list[bool]  # per day: a non-working day for everyone (shaded "L")
    totals: Totals = field(default_factory=Totals)


def desa_grid(*, user, desa: Desa, month: dt.date) -> Grid:
    """Perangkat × days with the codes, and totals per perangkat and for the desa. ``desa`` must already be
    in the user's scope (the caller looked it up through ``restrict``)."""
    first, last = month_bounds(month)
    days = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
    index = {day: i for i, day in enumerate(days)}
    statuses = (
        restrict(DailyStatus.objects.all(), user)
        .filter(desa=desa, date__range=(first, last))
        .values_list("perangkat_id", "date", "status", "codes", "late_minutes", "early_minutes")
    )
    cells: dict[int, list[str]] = defaultdict(lambda: [""] * len(days))
    totals: dict[int, Totals] = defaultdict(Totals)
    off_votes: dict[dt.date, list[bool]] = defaultdict(list)
    for perangkat_id, day, status, codes, late, early in statuses:
        cells[perangkat_id][index[day]] = codes.replace(" ", "/") if codes else status
        totals[perangkat_id].add(status, codes, late, early)
        off_votes[day].append(status == "L")
    perangkat = list(restrict(Perangkat.objects.filter(desa=desa), user).filter(Q(aktif=True) | Q(pk__in=list(cells))))
    rows = [GridRow(p, cells[p.pk], totals[p.pk]) for p in perangkat]
    desa_totals = Totals()
    for row in rows:
        for name in Totals.__dataclass_fields__:
            setattr(desa_totals, name, getattr(desa_totals, name) + getattr(row.totals, name))
    day_off = [bool(off_votes.get(day)) and all(off_votes[day]) for day in days]
    return Grid(desa, days, rows, day_off, desa_totals)


@dataclass
class TodayRow:
    desa: Desa
    present: int = 0
    late: int = 0
    absent: int = 0
    on_leave: int = 0
    no_data: int = 0
    day_off: int = 0
    devices: list = field(default_factory=list)


def today(*, user, day: dt.date | None = None) -> list[TodayRow]:
    from attendance.selectors import health

    day = day or timezone.localdate()
    rows = {d.pk: TodayRow(d) for d in restrict(Desa.objects.all(), user)}
    counts = (
        restrict(DailyStatus.objects.all(), user)
        .filter(date=day)
        .values("desa_id")
        .annotate(
            present=Count("id", filter=Q(status__in=sorted(PRESENT))),
            late=Count("id", filter=Q(codes__contains="TL")),
            absent=Count("id", filter=Q(status="TK")),
            on_leave=Count("id", filter=Q(status__in=["I", "S", "C", "DL"])),
            no_data=Count("id", filter=Q(status="ND")),
            day_off=Count("id", filter=Q(status="L")),
        )
    )
    for c in counts:
        row = rows.get(c["desa_id"])
        if row:
            for key in ("present", "late", "absent", "on_leave", "no_data", "day_off"):
                setattr(row, key, c[key])
    now = timezone.now()
    for device in restrict(Device.objects.all(), user):
        if device.desa_id in rows:
            device.health = health(device, now)
            rows[device.desa_id].devices.append(device)
    return sorted(rows.values(), key=lambda r: r.desa.kode)


@dataclass
class Flag:
    kind: str  # chronic_late | tk_streak | coverage_gap
    desa: Desa
    perangkat: Perangkat | None
    count: int
    detail: str = ""


def flags(*, user, month: dt.date) -> list[Flag]:
    """Chronic lateness (≥ ATTENDANCE_CHRONIC_LATE TL days), TK streaks (≥ ATTENDANCE_TK_STREAK working days
    in a row) and machines that did not report on working days."""
    first, last = month_bounds(month)
    scoped = restrict(DailyStatus.objects.all(), user).filter(date__range=(first, last))
    result: list[Flag] = []
    late = (
        scoped.filter(codes__contains="TL").values("perangkat_id").annotate(n=Count("id"))
        .filter(n__gte=settings.ATTENDANCE_CHRONIC_LATE)
    )  # fmt: skip
    late_counts = {row["perangkat_id"]: row["n"] for row in late}
    streaks = _tk_streaks(scoped)
    people = Perangkat.objects.select_related("desa").in_bulk(set(late_counts) | set(streaks))
    for pid, n in late_counts.items():
        result.append(Flag("chronic_late", people[pid].desa, people[pid], n))
    for pid, (n, start) in streaks.items():
        result.append(Flag("tk_streak", people[pid].desa, people[pid], n, f"{start:%d/%m/%Y}"))
    result.extend(_coverage_gaps(user, scoped, first, last))
    return result


def _tk_streaks(scoped) -> dict[int, tuple[int, dt.date]]:
    """Longest run of TK per perangkat, counting working days only (days off do not break a run)."""
    best: dict[int, tuple[int, dt.date]] = {}
    run: dict[int, tuple[int, dt.date | None]] = {}
    for pid, day, status in (
        scoped.exclude(status="L").order_by("perangkat_id", "date").values_list("perangkat_id", "date", "status")
    ):
        length, start = run.get(pid, (0, None))
        if status == "TK":
            length, start = length + 1, start or day
            run[pid] = (length, start)
            if length >= settings.ATTENDANCE_TK_STREAK and length > best.get(pid, (0, day))[0]:
                best[pid] = (length, start)
        else:
            run[pid] = (0, None)
    return best


def _coverage_gaps(user, scoped, first: dt.date, last: dt.date) -> list[Flag]:
    working = defaultdict(set)
    # order_by(): DailyStatus's default ordering would join perangkat into the DISTINCT (one row per status).
    for desa_id, day in scoped.exclude(status="L").values_list("desa_id", "date").order_by().distinct():
        working[desa_id].add(day)
    reported = defaultdict(set)
    devices = list(restrict(Device.objects.select_related("desa"), user).filter(enabled=True))
    for device_id, day in DeviceDay.objects.filter(device__in=devices, date__range=(first, last)).values_list(
        "device_id", "date"
    ):
        reported[device_id].add(day)
    flags_out = []
    for device in devices:
        missing = sorted(working[device.desa_id] - reported[device.pk])
        if missing:
            shown = ", ".join(f"{d:%d/%m}" for d in missing[:10]) + (" …" if len(missing) > 10 else "")
            flags_out.append(Flag("coverage_gap", device.desa, None, len(missing), f"{device.name}: {shown}"))
    return flags_out


def trends(*, user, months: int = 12, until: dt.date | None = None) -> dict[int, list[tuple[dt.date, Totals]]]:
    """Per desa, the last ``months`` months: (month, totals) for a chart of rate and late minutes."""
    last_month = (until or timezone.localdate()).replace(day=1)
    first = last_month
    for _ in range(months - 1):
        first = (first - dt.timedelta(days=1)).replace(day=1)
    rows = (
        restrict(DailyStatus.objects.all(), user)
        .filter(date__gte=first, date__lte=month_bounds(last_month)[1])
        .annotate(month=TruncMonth("date"))
        .values("desa_id", "month")
        .annotate(**_aggregates())
        .order_by("desa_id", "month")
    )
    result: dict[int, list[tuple[dt.date, Totals]]] = defaultdict(list)
    for row in rows:
        month = row["month"].date() if isinstance(row["month"], dt.datetime) else row["month"]
        result[row["desa_id"]].append((month, _totals(row)))
    return result
