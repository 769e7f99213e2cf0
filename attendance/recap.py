"""Reads for the Camat's review: today, the month per desa (ranking), a desa's grid of perangkat × days,
flags and trends. Everything starts from ``restrict`` (scoped) and aggregates in the database, so the
number of queries does not grow with the number of desa.

Totals (the usual *rekap absensi* columns):
  hari kerja  working days (every status but L)
  H           on time all day; TL / PSW count days with that code, and their minutes
  TAM / TAP   days without an arrival / departure punch
  I S C DL    approved leave; DL counts as present
  TK          absent without reason; ND no data (not counted as absent, left out of the rate)
  % kehadiran present days (H, TL, PSW, TAM, TAP, DL) / (hari kerja − ND)

The kecamatan's missing-punch policy (``AttendancePolicy``, default "TAM = TL4, TAP = PSW4") is applied here,
never in the daily status: under the default a TAM day also counts as a TL day with the whole arrival window
after the start as late minutes (240 with the default window, at least 91), a TAP day as a PSW day with the
whole departure window before the end — so skipping the morning punch never ranks better than arriving late;
under "not counted present" a day with TAM or TAP is left out of the present days (it stays in hari kerja, so
the rate drops), and is not TK."""

from __future__ import annotations

import calendar
import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Aggregate, BigIntegerField, Count, F, IntegerField, Q, Sum, Value
from django.db.models.functions import Cast, ExtractDay
from django.utils import timezone

from attendance.choices import MissingPunchPolicy
from attendance.models import AttendancePolicy, DailyStatus, DesaMonthRollup, Device, DeviceDay, WorkSchedule
from attendance.status import LEAVE_CODES, PRESENT, reported, windows
from portal.models import Desa, Perangkat
from portal.scoping import restrict

COUNTED = ("H", "I", "S", "C", "DL", "TK", "ND", "L")


def month_bounds(month: dt.date) -> tuple[dt.date, dt.date]:
    first = month.replace(day=1)
    return first, first.replace(day=calendar.monthrange(first.year, first.month)[1])


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
    # Raw material of the missing-punch policy (``counted``).
    missing_in_minutes: int = 0
    missing_out_minutes: int = 0
    present_missing: int = 0  # present days with TAM or TAP

    @property
    def rate(self) -> float | None:
        """% kehadiran, or None when no day had data."""
        known = self.hari_kerja - self.nd
        return round(100 * self.present / known, 1) if known > 0 else None

    def add(self, status: str, codes: str, late: int, early: int, missing_in: int = 0, missing_out: int = 0) -> None:
        if status == "L":
            return
        self.hari_kerja += 1
        self.present += status in PRESENT
        self.present_missing += status in PRESENT and ("TAM" in codes or "TAP" in codes)
        self.missing_in_minutes += missing_in
        self.missing_out_minutes += missing_out
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

    def counted(self, policy: str) -> Totals:
        """These raw totals as the missing-punch policy counts them (apply once, to raw totals). TL/TAM and
        PSW/TAP never meet on one day (no arrival means no lateness), so the counts simply add up."""
        return dataclasses.replace(self)._count(policy)

    def _count(self, policy: str) -> Totals:
        """``counted`` in place, for raw totals just read (the 12-month trend makes some 5,000: no copy)."""
        if policy == MissingPunchPolicy.NOT_PRESENT:
            self.present -= self.present_missing
        else:
            self.tl += self.tam
            self.tl_minutes += self.missing_in_minutes
            self.psw += self.tap
            self.psw_minutes += self.missing_out_minutes
        return self

    def __iadd__(self, other: Totals) -> Totals:
        for name in Totals.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        return self


DEFAULT_POLICY = MissingPunchPolicy.AS_LATE


def policies(kecamatan_ids: Iterable[int]) -> dict[int, str]:
    """The missing-punch policy of each kecamatan (the default where none was set). One query."""
    ids = set(kecamatan_ids)
    found = dict(AttendancePolicy.objects.filter(kecamatan_id__in=ids).values_list("kecamatan_id", "missing_punch"))
    return {kecamatan_id: found.get(kecamatan_id, DEFAULT_POLICY) for kecamatan_id in ids}


def policy_text(policy: str) -> str:
    """The policy in words, for the recap pages and exports."""
    from django.utils.translation import gettext as _

    if policy == MissingPunchPolicy.NOT_PRESENT:
        return _(
            "Absen tidak lengkap: hari dengan TAM atau TAP tidak dihitung hadir dalam % kehadiran (tetapi bukan TK)."
        )
    return _(
        "Absen tidak lengkap: TAM dihitung TL4 dengan menit terlambat sepanjang jendela datang sesudah jam "
        "masuk (bawaan 240 menit); TAP dihitung PSW4 dengan menit sepanjang jendela pulang sebelum jam "
        "pulang (bawaan 240 menit)."
    )


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
        "missing_in_minutes": Sum("missing_in_minutes", default=0),
        "missing_out_minutes": Sum("missing_out_minutes", default=0),
        "present_missing": Count("id", filter=present & (Q(codes__contains="TAM") | Q(codes__contains="TAP"))),
    }


def _totals(row: dict) -> Totals:
    return Totals(**{k: row[k] or 0 for k in Totals.__dataclass_fields__})


class _DayMask(Aggregate):
    """The days of the month its rows fall on, as a number with bit ``d`` set for day ``d``: ``BIT_OR`` on
    PostgreSQL (which keeps the aggregate parallel), ``SUM(DISTINCT …)`` of the same powers of two elsewhere
    (SQLite has no ``BIT_OR``), which is the same number."""

    function = "BIT_OR"
    name = "DayMask"
    output_field = BigIntegerField()

    def __init__(self, date_field: str, **extra):
        # A bigint 1: a smaller integer type would overflow at day 16 or 31.
        bit = Cast(Value(1), BigIntegerField()).bitleftshift(Cast(ExtractDay(date_field), IntegerField()))
        super().__init__(bit, **extra)

    def as_sqlite(self, compiler, connection, **extra_context):
        clone = self.copy()
        clone.distinct = True  # Aggregate.as_sql writes DISTINCT from this flag
        return clone.as_sql(compiler, connection, function="SUM", **extra_context)


def _days_of(first: dt.date, mask: int | None) -> frozenset[dt.date]:
    mask = int(mask or 0)
    return frozenset(first.replace(day=day) for day in range(1, 32) if mask >> day & 1)


@dataclass
class DesaMonth:
    desa: Desa
    totals: Totals
    rank: int = 0
    policy: str = DEFAULT_POLICY
    computed: bool = False  # the desa has statuses this month (a month without any has no trend point)
    working_days: frozenset[dt.date] = frozenset()  # days with a status other than L (``flags`` reads them)


def desa_month(*, user, month: dt.date) -> list[DesaMonth]:
    """One row per desa in scope, ranked by attendance rate (then fewer late minutes, then fewer TK), each
    counted under its kecamatan's missing-punch policy.

    The totals are the month's row of the monthly rollup (``attendance.rollup``): the recompute sums it from
    the statuses in the same transaction that writes them, so it is the aggregate of the statuses, read as one
    row per desa instead of summing a kabupaten's month of statuses (some 141,000) on every page. Statuses
    written past the recompute (a bulk load) need ``manage.py attendance_rollup``, as the trend always did.
    The working days (for ``flags``) are read from the statuses themselves, one small aggregate."""
    first, last = month_bounds(month)
    desa = {d.pk: d for d in restrict(Desa.objects.select_related("kecamatan"), user)}
    policy_of = policies(d.kecamatan_id for d in desa.values())
    fields = list(Totals.__dataclass_fields__)
    totals_of = {
        desa_id: Totals(*values)
        for desa_id, *values in restrict(DesaMonthRollup.objects.all(), user)
        .filter(month=first)
        .values_list("desa_id", *fields)
    }
    masks = dict(
        restrict(DailyStatus.objects.all(), user)
        .filter(date__range=(first, last))
        .values("desa_id")
        .annotate(working_mask=_DayMask("date", filter=~Q(status="L")))
        .order_by()  # DailyStatus's default ordering would join perangkat and desa for nothing
        .values_list("desa_id", "working_mask")
    )
    result = []
    for pk, d in desa.items():
        totals, mask = totals_of.get(pk), masks.get(pk, 0)
        policy = policy_of[d.kecamatan_id]
        result.append(
            DesaMonth(
                d,
                (totals or Totals())._count(policy),
                policy=policy,
                computed=totals is not None,
                working_days=_days_of(first, mask),
            )
        )
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
    corrected: list[bool] = field(default_factory=list)  # per day: an approved koreksi absen made the cell
    nd_reasons: list[str] = field(default_factory=list)  # per ND day: unlinked | silent | empty | pending


@dataclass
class Grid:
    desa: Desa
    days: list[dt.date]
    rows: list[GridRow]
    day_off: list[bool]  # per day: a non-working day for everyone (shaded "L")
    totals: Totals = field(default_factory=Totals)
    policy: str = DEFAULT_POLICY


def desa_grid(*, user, desa: Desa, month: dt.date) -> Grid:
    """Perangkat × days with the codes, and totals per perangkat and for the desa. ``desa`` must already be
    in the user's scope (the caller looked it up through ``restrict``)."""
    first, last = month_bounds(month)
    days = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
    index = {day: i for i, day in enumerate(days)}
    statuses = (
        restrict(DailyStatus.objects.all(), user)
        .filter(desa=desa, date__range=(first, last))
        .values_list(
            "perangkat_id",
            "date",
            "status",
            "codes",
            "late_minutes",
            "early_minutes",
            "missing_in_minutes",
            "missing_out_minutes",
            "corrected",
        )
    )
    cells: dict[int, list[str]] = defaultdict(lambda: [""] * len(days))
    corrected: dict[int, list[bool]] = defaultdict(lambda: [False] * len(days))
    totals: dict[int, Totals] = defaultdict(Totals)
    off_votes: dict[dt.date, list[bool]] = defaultdict(list)
    for perangkat_id, day, status, codes, late, early, missing_in, missing_out, fixed in statuses:
        cells[perangkat_id][index[day]] = codes.replace(" ", "/") if codes else status
        corrected[perangkat_id][index[day]] = fixed
        totals[perangkat_id].add(status, codes, late, early, missing_in, missing_out)
        off_votes[day].append(status == "L")
    policy = policies([desa.kecamatan_id])[desa.kecamatan_id]
    perangkat = list(restrict(Perangkat.objects.filter(desa=desa), user).filter(Q(aktif=True) | Q(pk__in=list(cells))))
    rows = [GridRow(p, cells[p.pk], totals[p.pk].counted(policy), corrected[p.pk]) for p in perangkat]
    desa_totals = Totals()
    for row in rows:
        desa_totals += row.totals
    planned = _planned_days_off(desa, days)
    # A day with statuses is off when everyone's is L; a day without any (not computed, nobody linked) is off
    # when the schedule and the calendar say so — Saturdays and Sundays then read alike.
    day_off = [all(off_votes[day]) if off_votes.get(day) else off for day, off in zip(days, planned, strict=True)]
    for row in rows:
        row.cells = ["L" if off and not code else code for code, off in zip(row.cells, day_off, strict=True)]
    _explain_no_data(desa, days, rows)
    return Grid(desa, days, rows, day_off, desa_totals, policy)


def _explain_no_data(desa: Desa, days: list[dt.date], rows: list[GridRow]) -> None:
    """Why a day is ND, as far as the stored evidence tells (two queries): the perangkat has no linked PIN;
    no machine of the desa reported the day; a machine reported it without any punch; or not yet known."""
    from attendance.models import DeviceUser

    linked = set(
        DeviceUser.objects.filter(device__desa=desa, perangkat__isnull=False).values_list("perangkat_id", flat=True)
    )
    evidence: dict[dt.date, str] = {}
    for day, punched, pulled in DeviceDay.objects.filter(
        device__desa=desa, date__range=(days[0], days[-1])
    ).values_list("date", "punched", "pulled_at"):
        if punched:
            evidence[day] = "pending"
        elif pulled is not None and evidence.get(day) != "pending":
            evidence[day] = "empty"
    for row in rows:
        row.nd_reasons = [
            "" if code != "ND" else "unlinked" if row.perangkat.pk not in linked else evidence.get(day, "silent")
            for code, day in zip(row.cells, days, strict=True)
        ]


def _planned_days_off(desa: Desa, days: list[dt.date]) -> list[bool]:
    """Per day, whether the calendar or the schedule in force makes it a day off (two queries)."""
    from attendance import schedules
    from portal.calendar import holiday_rows

    holidays = holiday_rows(kecamatan_id=desa.kecamatan_id, start=days[0], end=days[-1])
    specs = [
        schedules.spec_of(s)
        for s in WorkSchedule.objects.filter(kecamatan_id=desa.kecamatan_id).prefetch_related("days")
    ]
    result = []
    for day in days:
        row = holidays.get(day)
        if row is not None and row.libur:
            result.append(True)
            continue
        spec = schedules.schedule_for(specs, desa_id=desa.pk, kecamatan_id=desa.kecamatan_id, day=day)
        result.append(spec.rule(day) is None)
    return result


@dataclass
class TodayRow:
    """One desa's day in disjoint parts, each perangkat in exactly one:
    ``on_time + late + missing_in + on_leave + absent + no_data + day_off == perangkat``. Show these side by side;
    ``arrived`` is a sum of two of them, never shown beside them."""

    desa: Desa
    late: int = 0
    absent: int = 0
    on_leave: int = 0
    no_data: int = 0
    day_off: int = 0
    on_time: int = 0
    missing_in: int = 0
    perangkat: int = 0
    devices: list = field(default_factory=list)

    @property
    def parts(self) -> int:
        return self.on_time + self.late + self.missing_in + self.on_leave + self.absent + self.no_data + self.day_off

    @property
    def arrived(self) -> int:
        """Came at all, with an arrival punch: ``on_time + late``. Not the month's present days (``Totals.present``,
        which also counts TAM and DL): today those are ``missing_in`` and ``on_leave``."""
        return self.on_time + self.late


def today(*, user, day: dt.date | None = None) -> list[TodayRow]:
    from attendance.selectors import health

    day = day or timezone.localdate()
    rows = {d.pk: TodayRow(d) for d in restrict(Desa.objects.all(), user)}
    counts = (
        restrict(DailyStatus.objects.all(), user)
        .filter(date=day)
        .values("desa_id")
        .annotate(
            # The parts are disjoint: a late day is not also on time, DL is leave here (present in the rate).
            on_time=Count("id", filter=Q(status__in=["H", "PSW", "TAP"]) & ~Q(codes__contains="TL")),
            late=Count("id", filter=Q(status="TL") | Q(status__in=["H", "PSW", "TAP"], codes__contains="TL")),
            missing_in=Count("id", filter=Q(status="TAM")),
            absent=Count("id", filter=Q(status="TK")),
            on_leave=Count("id", filter=Q(status__in=LEAVE_CODES)),
            no_data=Count("id", filter=Q(status="ND")),
            day_off=Count("id", filter=Q(status="L")),
        )
    )
    for c in counts:
        row = rows.get(c["desa_id"])
        if row:
            for key in ("on_time", "late", "missing_in", "absent", "on_leave", "no_data", "day_off"):
                setattr(row, key, c[key])
    people = restrict(Perangkat.objects.filter(aktif=True), user).values("desa_id").annotate(n=Count("id"))
    for c in people:
        if c["desa_id"] in rows:
            rows[c["desa_id"]].perangkat = c["n"]
    for row in rows.values():
        # An active perangkat whose day is not computed yet is "no data", as the daily status would say.
        row.no_data += max(0, row.perangkat - row.parts)
        row.perangkat = max(row.perangkat, row.parts)
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
    start: dt.date | None = None  # tk_streak: the first day of the longest streak


def flags(*, user, month: dt.date, ranking: list[DesaMonth] | None = None) -> list[Flag]:
    """Chronic lateness (≥ ATTENDANCE_CHRONIC_LATE TL days, TAM days included under the "TAM = TL4" policy),
    TK streaks (≥ ATTENDANCE_TK_STREAK working days in a row) and machines with coverage gaps (working days
    the machine did not report, or reported without a punch by anyone of the desa).

    ``ranking``: ``desa_month`` of the same user and month, when the caller has it already: its working days
    per desa spare a read of the month's statuses."""
    first, last = month_bounds(month)
    scoped = restrict(DailyStatus.objects.all(), user).filter(date__range=(first, last))
    known = {row.desa.kecamatan_id: row.policy for row in ranking or ()}
    result = _perangkat_flags(scoped, known)
    working = None if ranking is None else {row.desa.pk: row.working_days for row in ranking}
    result.extend(_coverage_gaps(user, scoped, first, last, working))
    return result


def perangkat_flags(*, desa_ids: Iterable[int], month: dt.date) -> list[Flag]:
    """The chronic-lateness and TK-streak flags of these desa (no user: for the flag notices, which pick their
    recipients from roles and scope themselves)."""
    first, last = month_bounds(month)
    return _perangkat_flags(DailyStatus.objects.filter(desa_id__in=list(desa_ids), date__range=(first, last)))


def _perangkat_flags(scoped, known_policies: dict[int, str] | None = None) -> list[Flag]:
    """``known_policies``: the kecamatan policies the caller read already (by kecamatan id)."""
    threshold, streak = settings.ATTENDANCE_CHRONIC_LATE, settings.ATTENDANCE_TK_STREAK
    # One pass over the month finds both kinds of candidates: enough TL and TAM days for chronic lateness (TL
    # and TAM never meet on one day, so tl + tam is a superset of the flags), or enough TK days for a streak.
    tl, tam = Q(codes__contains="TL"), Q(codes__contains="TAM")
    candidates = (
        scoped.filter(tl | tam | Q(status="TK"))
        .values("perangkat_id")
        .annotate(tl=Count("id", filter=tl), tam=Count("id", filter=tam), tk=Count("id", filter=Q(status="TK")))
        .filter(Q(tl__gte=threshold - F("tam")) | Q(tk__gte=streak))
        .order_by()
    )
    late_rows, tk_candidates = {}, []
    for row in candidates:
        if row["tl"] + row["tam"] >= threshold:
            late_rows[row["perangkat_id"]] = (row["tl"], row["tam"])
        if row["tk"] >= streak:
            tk_candidates.append(row["perangkat_id"])
    streaks = _tk_streaks(scoped, tk_candidates)
    people = Perangkat.objects.select_related("desa").in_bulk(set(late_rows) | set(streaks))
    policy_of = dict(known_policies or {})
    policy_of.update(policies({p.desa.kecamatan_id for p in people.values()} - set(policy_of)))
    result: list[Flag] = []
    for pid, (tl, tam) in late_rows.items():
        person = people[pid]
        n = tl + (tam if policy_of[person.desa.kecamatan_id] == MissingPunchPolicy.AS_LATE else 0)
        if n >= threshold:
            result.append(Flag("chronic_late", person.desa, person, n))
    for pid, (n, start) in streaks.items():
        result.append(Flag("tk_streak", people[pid].desa, people[pid], n, f"{start:%d/%m/%Y}", start))
    return result


def _tk_streaks(scoped, candidates: list[int]) -> dict[int, tuple[int, dt.date]]:
    """Longest run of TK per perangkat, counting working days only (days off do not break a run). Only a
    perangkat with at least a streak's worth of TK days in the month (``candidates``) can have one: the days
    of the others are never read, and those of the candidates through the (perangkat, date) key."""
    best: dict[int, tuple[int, dt.date]] = {}
    run: dict[int, tuple[int, dt.date | None]] = {}
    if not candidates:
        return best
    for pid, day, status in (
        scoped.exclude(status="L")
        .filter(perangkat_id__in=candidates)
        .order_by("perangkat_id", "date")
        .values_list("perangkat_id", "date", "status")
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


def _coverage_gaps(
    user, scoped, first: dt.date, last: dt.date, working: dict[int, frozenset[dt.date]] | None = None
) -> list[Flag]:
    """Per machine, the working days (some status of the desa is not L) it did not report (no punch of the day
    and no pull after the arrival window closed), or reported while the desa's machines hold no punch by
    anyone: those days are ND for everyone. A day is judged only once its arrival window has closed.
    ``working``: the working days per desa when the caller knows them (``desa_month``); read otherwise."""
    from django.utils.translation import gettext as _

    from attendance.schedules import schedule_for, spec_of

    if working is None:
        working = defaultdict(set)
        # order_by(): DailyStatus's default ordering would join perangkat into the DISTINCT (one row per status).
        for desa_id, day in scoped.exclude(status="L").values_list("desa_id", "date").order_by().distinct():
            working[desa_id].add(day)
    # Only what is read here: a machine's other fields (four timestamps among them) cost more to load than all
    # of this function's work at kabupaten scope.
    devices = list(
        restrict(Device.objects.select_related("desa"), user).filter(enabled=True).only("desa", "name", "timezone")
    )
    # Only a day some desa worked is ever judged: the evidence of the others (weekends, holidays) is not read.
    # (The month's range as well: it lets the (device, date) key bound the scan.)
    judged = sorted(set().union(*working.values()))
    days = DeviceDay.objects.filter(device__in=devices, date__range=(first, last), date__in=judged)
    # Per machine, the days it holds a punch of as one number (bit d: day d), rather than a row per machine and
    # day (some 10,000 at kabupaten scope); a punch is the report, so nothing else of those days is read.
    punched_days = dict(
        days.filter(punched=True)
        .values("device_id")
        .annotate(mask=_DayMask("date"))
        .order_by()
        .values_list("device_id", "mask")
    )
    desa_punched: dict[int, int] = defaultdict(int)  # per desa, the days any of its machines holds a punch of
    for device in devices:
        desa_punched[device.desa_id] |= int(punched_days.get(device.pk) or 0)
    # A pull's time matters only on a day without a punch: the few rows of such days.
    pulled = {
        (device_id, day): at
        for device_id, day, at in days.filter(punched=False).values_list("device_id", "date", "pulled_at")
    }
    kecamatan_ids = {device.desa.kecamatan_id for device in devices}
    specs_of: dict[int, list] = defaultdict(list)  # schedule_for reads only the desa's kecamatan's schedules
    for schedule in WorkSchedule.objects.filter(kecamatan_id__in=kecamatan_ids).prefetch_related("days"):
        specs_of[schedule.kecamatan_id].append(spec_of(schedule))
    now = timezone.now()
    flags_out = []
    for device in devices:
        local_now = now.astimezone(device.tz).replace(tzinfo=None)
        specs = specs_of[device.desa.kecamatan_id]
        punched_mask, desa_mask = int(punched_days.get(device.pk) or 0), desa_punched[device.desa_id]
        silent, empty = [], []
        for day in sorted(working.get(device.desa_id, ())):
            if punched_mask >> day.day & 1:
                continue  # the machine holds a punch of the day: it reported, and the desa has a punch
            spec = schedule_for(specs, desa_id=device.desa_id, kecamatan_id=device.desa.kecamatan_id, day=day)
            rule = spec.rule(day)
            if rule is None or local_now < windows(day, rule)[1]:
                continue  # no hours that weekday (a day off by the schedule), or not judged yet
            pulled_at = pulled.get((device.pk, day))
            pulled_local = pulled_at.astimezone(device.tz) if pulled_at else None
            if not reported(day, rule, punched=False, pulled_at=pulled_local):
                silent.append(day)
            elif not desa_mask >> day.day & 1:
                empty.append(day)
        if silent or empty:
            parts = [
                f"{label} {_days(days)}"
                for label, days in ((_("tidak melapor"), silent), (_("melapor tanpa absen"), empty))
                if days
            ]
            flags_out.append(
                Flag("coverage_gap", device.desa, None, len(silent) + len(empty), f"{device.name}: {'; '.join(parts)}")
            )
    return flags_out


def _days(days: list[dt.date]) -> str:
    return ", ".join(f"{d:%d/%m}" for d in days[:10]) + (" …" if len(days) > 10 else "")


def trends(
    *, user, months: int = 12, until: dt.date | None = None, ranking: list[DesaMonth] | None = None
) -> dict[int, list[tuple[dt.date, Totals]]]:
    """Per desa, the last ``months`` months: (month, totals) for a chart of rate and late minutes, counted under
    the desa's kecamatan policy. Read from the monthly rollup (``attendance.rollup``, kept by the recompute):
    one row per desa and month, at most two queries whatever the number of desa or months. A month without
    statuses has no entry.

    ``ranking``: the ranking of the month ``until`` (``desa_month``), when the caller has it already. Its totals
    stand for that month, so the trend's last point is the very number of the ranking beside it, and the
    rollup is read for the months before only."""
    last_month = (until or timezone.localdate()).replace(day=1)
    first = last_month
    for _ in range(months - 1):
        first = (first - dt.timedelta(days=1)).replace(day=1)
    read_until = last_month if ranking is None else (last_month - dt.timedelta(days=1)).replace(day=1)
    fields = list(Totals.__dataclass_fields__)
    rows = list(
        restrict(DesaMonthRollup.objects.all(), user)
        .filter(month__gte=first, month__lte=read_until)
        .order_by("desa_id", "month")
        .values_list("desa_id", "desa__kecamatan_id", "month", *fields)
    )
    policy_of = {row.desa.kecamatan_id: row.policy for row in ranking or ()}
    policy_of.update(policies({kecamatan_id for _desa, kecamatan_id, *_rest in rows} - set(policy_of)))
    result: dict[int, list[tuple[dt.date, Totals]]] = defaultdict(list)
    for desa_id, kecamatan_id, month, *values in rows:
        result[desa_id].append((month, Totals(*values)._count(policy_of[kecamatan_id])))
    if ranking is not None and months > 0:
        for row in ranking:
            if row.computed:
                result[row.desa.pk].append((last_month, row.totals))
    return result
