"""Daily statuses: which working hours apply, which (desa, day) pairs need recomputing, and the batched
recompute itself. The rules are in ``attendance.status`` (pure); this module only gathers their inputs in a
fixed number of queries per block, whatever the number of desa, perangkat or days.

Incremental: every change that can alter a status (new punches and pull evidence, a leave or koreksi absen
decision, a PIN link, a schedule or holiday edit, a day closing) marks its (desa, day) pairs in ``StatusDirty``
inside its own transaction, and ``status_dirty_process`` recomputes only those (then sends the flag notices of
the months it touched, ``attendance.notices``)."""

from __future__ import annotations

import bisect
import datetime as dt
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from attendance import rollup, schedules, status_sql
from attendance.dirty import ONE_DAY, dates_between
from attendance.models import (
    DailyStatus,
    Device,
    DeviceDay,
    DeviceUser,
    Leave,
    Punch,
    PunchCorrection,
    StatusDirty,
    WorkSchedule,
)
from attendance.status import DayInput, DayRule, compute_day, reported
from portal.calendar import holidays_ensure
from portal.models import Desa, HariLibur, Perangkat

T = dt.time


def local_zone(devices: list[dict]) -> zoneinfo.ZoneInfo:
    """A desa's days follow its machines' zone (WITA/WIT desa exist); without a machine, the server's."""
    return zoneinfo.ZoneInfo(devices[0]["timezone"] if devices else settings.TIME_ZONE)


def day_rule(*, desa: Desa, day: dt.date) -> tuple[zoneinfo.ZoneInfo, DayRule | None]:
    """One desa's zone and the working hours in force on one day (None: a day off by the schedule or the
    calendar), for checks outside the batched recompute (koreksi absen). The same rules as ``_compute``."""
    from portal.calendar import holiday_rows

    zone = local_zone(list(Device.objects.filter(desa=desa).values("timezone")))
    holidays_ensure(years=[day.year])
    row = holiday_rows(kecamatan_id=desa.kecamatan_id, start=day, end=day).get(day)
    if row is not None and row.libur:
        return zone, None
    specs = [
        schedules.spec_of(s)
        for s in WorkSchedule.objects.filter(kecamatan_id=desa.kecamatan_id).prefetch_related("days")
    ]
    return zone, schedules.schedule_for(specs, desa_id=desa.pk, kecamatan_id=desa.kecamatan_id, day=day).rule(day)


# Recompute -----------------------------------------------------------------------------------------------


@dataclass
class _Desa:
    """What holds for a whole desa over the range, loaded in a fixed number of queries: both paths need it."""

    desa_ids: list[int]
    lo: dt.date
    hi: dt.date
    kecamatan_of: dict[int, int] = field(default_factory=dict)
    zone_of: dict[int, zoneinfo.ZoneInfo] = field(default_factory=dict)
    known_until: dict[int, dt.datetime | None] = field(default_factory=dict)
    device_desa: dict[int, int] = field(default_factory=dict)
    specs_of: dict[int, list[schedules.ScheduleSpec]] = field(default_factory=dict)  # by kecamatan
    holidays: dict[int | None, set[dt.date]] = field(default_factory=dict)

    def punch_bounds(self) -> tuple[dt.datetime, dt.datetime]:
        """Every punch the days need, in every zone of the block: each day's slice runs from its 00:00 to 12:00
        the next day (a departure after midnight belongs to the day before)."""
        zones = set(self.zone_of.values()) or {zoneinfo.ZoneInfo(settings.TIME_ZONE)}
        return (
            min(dt.datetime.combine(self.lo, T(0), tzinfo=z) for z in zones),
            max(dt.datetime.combine(self.hi + ONE_DAY, T(12), tzinfo=z) for z in zones),
        )


def _load_desa(desa_ids: list[int], lo: dt.date, hi: dt.date) -> _Desa:
    inputs = _Desa(desa_ids, lo, hi)
    inputs.kecamatan_of = dict(Desa.objects.filter(id__in=desa_ids).values_list("id", "kecamatan_id"))
    devices_of: dict[int, list[dict]] = defaultdict(list)
    for row in Device.objects.filter(desa_id__in=desa_ids).values("id", "desa_id", "timezone", "last_success_at"):
        devices_of[row["desa_id"]].append(row)
        inputs.device_desa[row["id"]] = row["desa_id"]
    for desa_id in desa_ids:
        zone = inputs.zone_of[desa_id] = local_zone(devices_of[desa_id])
        pulls = [d["last_success_at"] for d in devices_of[desa_id] if d["last_success_at"]]
        inputs.known_until[desa_id] = max(pulls).astimezone(zone).replace(tzinfo=None) if pulls else None
    kecamatan_ids = set(inputs.kecamatan_of.values())
    holidays_ensure(years=range(lo.year, hi.year + 1))  # never over a silently empty calendar
    for schedule in WorkSchedule.objects.filter(kecamatan_id__in=kecamatan_ids).prefetch_related("days"):
        inputs.specs_of.setdefault(schedule.kecamatan_id, []).append(schedules.spec_of(schedule))
    for kecamatan_id, day, libur in HariLibur.objects.filter(
        Q(kecamatan__isnull=True) | Q(kecamatan_id__in=kecamatan_ids), tanggal__range=(lo, hi)
    ).values_list("kecamatan_id", "tanggal", "libur"):
        inputs.holidays.setdefault(kecamatan_id, set())
        if libur:
            inputs.holidays[kecamatan_id].add(day)
        elif kecamatan_id is not None:  # a kecamatan's own "not a day off" overrides a national row
            inputs.holidays.setdefault(-kecamatan_id, set()).add(day)
    return inputs


def _is_day_off(inputs: _Desa, kecamatan_id: int, day: dt.date) -> bool:
    if day in inputs.holidays.get(-kecamatan_id, ()):
        return False
    return day in inputs.holidays.get(kecamatan_id, ()) or day in inputs.holidays.get(None, ())


def _rules(inputs: _Desa, wanted: set[tuple[int, dt.date]] | None) -> dict[tuple[int, dt.date], DayRule | None]:
    """The working hours of every (desa, day) to recompute (None: a day off). Desa without a schedule of their
    own share their kecamatan's answer, so a kabupaten's month asks the schedules once per kecamatan and day."""
    own = {s.desa_id for specs in inputs.specs_of.values() for s in specs if s.desa_id is not None}
    shared: dict[tuple[int, int | None, dt.date], DayRule | None] = {}
    rules = {}
    for desa_id in inputs.desa_ids:
        kecamatan_id = inputs.kecamatan_of[desa_id]
        for day in dates_between(inputs.lo, inputs.hi):
            if wanted is not None and (desa_id, day) not in wanted:
                continue
            key = (kecamatan_id, desa_id if desa_id in own else None, day)
            if key not in shared:
                spec = schedules.schedule_for(
                    inputs.specs_of.get(kecamatan_id, ()), desa_id=desa_id, kecamatan_id=kecamatan_id, day=day
                )
                shared[key] = None if _is_day_off(inputs, kecamatan_id, day) else spec.rule(day)
            rules[(desa_id, day)] = shared[key]
    return rules


class StatusRow(NamedTuple):
    """One stored status, as both paths produce it (the columns of ``DailyStatus`` but the computation time)."""

    perangkat_id: int
    desa_id: int
    date: dt.date
    status: str
    codes: str
    arrival_at: dt.datetime | None
    departure_at: dt.datetime | None
    late_minutes: int
    early_minutes: int
    missing_in_minutes: int
    missing_out_minutes: int
    corrected: bool


@dataclass
class _Block:
    """The Python path's per-perangkat inputs (SQLite; the reference the SQL path is tested against)."""

    # Evidence per (desa, day): a punch of the day by anyone on the desa's machines; the latest pull covering
    # the day (local wall time), judged against the day's arrival window by ``status.reported``.
    punched: set[tuple[int, dt.date]] = field(default_factory=set)
    pulled: dict[tuple[int, dt.date], dt.datetime] = field(default_factory=dict)
    perangkat: list[dict] = field(default_factory=list)
    linked: set[int] = field(default_factory=set)
    punches: dict[int, list[dt.datetime]] = field(default_factory=lambda: defaultdict(list))
    leave: dict[int, list[tuple[dt.date, dt.date, str]]] = field(default_factory=lambda: defaultdict(list))
    corrections: dict[tuple[int, dt.date], dict[str, dt.datetime]] = field(default_factory=dict)


def _load_block(inputs: _Desa) -> _Block:
    block = _Block()
    desa_ids, lo, hi, device_desa = inputs.desa_ids, inputs.lo, inputs.hi, inputs.device_desa
    for device_id, day, pulled_at in DeviceDay.objects.filter(
        device_id__in=device_desa, date__range=(lo, hi), pulled_at__isnull=False
    ).values_list("device_id", "date", "pulled_at"):
        desa_id = device_desa[device_id]
        local = pulled_at.astimezone(inputs.zone_of[desa_id]).replace(tzinfo=None)
        block.pulled[(desa_id, day)] = max(local, block.pulled.get((desa_id, day), local))
    block.perangkat = list(
        Perangkat.objects.filter(desa_id__in=desa_ids)
        .filter(Q(aktif=True) | Q(tanggal_selesai__isnull=False))
        .values("id", "desa_id", "tanggal_mulai", "tanggal_selesai")
    )
    owner: dict[tuple[int, str], int] = {}
    for device_id, pin, perangkat_id in DeviceUser.objects.filter(
        device_id__in=device_desa, perangkat__isnull=False
    ).values_list("device_id", "pin", "perangkat_id"):
        owner[(device_id, pin)] = perangkat_id
        block.linked.add(perangkat_id)
    start, end = inputs.punch_bounds()
    for device_id, pin, at in Punch.objects.filter(
        device_id__in=device_desa, punched_at__gte=start, punched_at__lt=end
    ).values_list("device_id", "pin", "punched_at"):
        desa_id = device_desa[device_id]
        local = at.astimezone(inputs.zone_of[desa_id]).replace(tzinfo=None)
        block.punched.add((desa_id, local.date()))  # anyone's punch, linked or not, is evidence for the day
        perangkat_id = owner.get((device_id, pin))
        if perangkat_id is not None:
            block.punches[perangkat_id].append(local)
    for perangkat_id, start_day, end_day, kind in (
        Leave.objects.filter(
            perangkat__desa_id__in=desa_ids, state=Leave.State.APPROVED, date_from__lte=hi, date_to__gte=lo
        )
        .order_by("-date_from", "-id")  # the first that covers a day counts (the SQL path reads them so too)
        .values_list("perangkat_id", "date_from", "date_to", "kind")
    ):
        block.leave[perangkat_id].append((start_day, end_day, kind))
    for perangkat_id, desa_id, day, kind, at in PunchCorrection.objects.filter(
        perangkat__desa_id__in=desa_ids, state=PunchCorrection.State.APPROVED, date__range=(lo, hi)
    ).values_list("perangkat_id", "perangkat__desa_id", "date", "kind", "punched_at"):
        block.corrections.setdefault((perangkat_id, day), {})[kind] = at.astimezone(inputs.zone_of[desa_id]).replace(
            tzinfo=None
        )
    for times in block.punches.values():
        times.sort()
    return block


def _compute(inputs: _Desa, block: _Block, rules: dict[tuple[int, dt.date], DayRule | None]) -> list[StatusRow]:
    rows = []
    days = dates_between(inputs.lo, inputs.hi)
    for p in block.perangkat:
        desa_id, perangkat_id = p["desa_id"], p["id"]
        zone = inputs.zone_of[desa_id]
        times = block.punches.get(perangkat_id, [])
        for day in days:
            if (desa_id, day) not in rules:
                continue
            if (p["tanggal_mulai"] and day < p["tanggal_mulai"]) or (
                p["tanggal_selesai"] and day > p["tanggal_selesai"]
            ):
                continue
            rule = rules[(desa_id, day)]
            lo_i = bisect.bisect_left(times, dt.datetime.combine(day, T(0)))
            hi_i = bisect.bisect_left(times, dt.datetime.combine(day + ONE_DAY, T(12)))
            leave = next((k for a, b, k in block.leave.get(perangkat_id, ()) if a <= day <= b), None)
            anyone = (desa_id, day) in block.punched
            machine_reported = rule is not None and reported(
                day, rule, punched=anyone, pulled_at=block.pulled.get((desa_id, day))
            )
            fixes = block.corrections.get((perangkat_id, day), {})
            result = compute_day(
                DayInput(
                    day=day,
                    rule=rule,
                    punches=times[lo_i:hi_i],
                    leave=leave,
                    collecting=machine_reported and perangkat_id in block.linked,
                    anyone_punched=anyone,
                    known_until=inputs.known_until[desa_id],
                    buckets=settings.ATTENDANCE_LATE_BUCKETS,
                    corrected_in=fixes.get("in"),
                    corrected_out=fixes.get("out"),
                )
            )
            rows.append(
                StatusRow(
                    perangkat_id,
                    desa_id,
                    day,
                    result.status,
                    " ".join(result.codes),
                    result.arrival.replace(tzinfo=zone) if result.arrival else None,
                    result.departure.replace(tzinfo=zone) if result.departure else None,
                    result.late_minutes,
                    result.early_minutes,
                    result.missing_in_minutes,
                    result.missing_out_minutes,
                    result.corrected,
                )
            )
    return rows


def _range(desa_ids: Iterable[int], date_from: dt.date, date_to: dt.date) -> tuple[list[int], dt.date]:
    return sorted(set(desa_ids)), min(date_to, timezone.localdate())


def statuses_compute(
    *, desa_ids: Iterable[int], date_from: dt.date, date_to: dt.date, wanted: set[tuple[int, dt.date]] | None = None
) -> list[StatusRow]:
    """The statuses the rule gives for these desa over the range, computed in Python by ``status.compute_day``
    and not stored: the recompute's path on databases other than PostgreSQL, and the reference its SQL is held
    to."""
    desa_ids, date_to = _range(desa_ids, date_from, date_to)
    if not desa_ids or date_to < date_from:
        return []
    inputs = _load_desa(desa_ids, date_from, date_to)
    return _compute(inputs, _load_block(inputs), _rules(inputs, wanted))


def statuses_recompute(
    *, desa_ids: Iterable[int], date_from: dt.date, date_to: dt.date, wanted: set[tuple[int, dt.date]] | None = None
) -> int:
    """Recompute the statuses of these desa over the range (only ``wanted`` pairs when given). Idempotent:
    the same inputs give the same rows, and only rows that differ are written, so ``computed_at`` says when a
    status last changed and a recompute that changes nothing writes nothing. Returns the number of statuses
    that changed.

    On PostgreSQL the per-perangkat rule runs in SQL (``attendance.status_sql``): the queries do not grow with
    the number of desa, perangkat or days, and no row passes through Python; elsewhere ``statuses_compute``."""
    desa_ids, date_to = _range(desa_ids, date_from, date_to)
    if not desa_ids or date_to < date_from:
        return 0
    inputs = _load_desa(desa_ids, date_from, date_to)
    rules = _rules(inputs, wanted)
    with transaction.atomic():
        if _set_based():
            changed, gone, moved_from = _write_sql(inputs, rules)
        else:
            changed, gone, moved_from = _write_generic(inputs, _compute(inputs, _load_block(inputs), rules), wanted)
        if changed or gone:
            # With the desa a moved perangkat's statuses came from: they left its months, and its own recompute
            # finds nothing to change and would not sum them again.
            rollup.months_refresh(desa_ids=[*desa_ids, *moved_from], date_from=date_from, date_to=date_to)
    return changed


def _set_based() -> bool:
    """The SQL path needs PostgreSQL (COPY, time zones in the database); the tests turn it off to hold it to the
    Python path on the same database."""
    return connection.vendor == "postgresql"


def _write_sql(inputs: _Desa, rules: dict[tuple[int, dt.date], DayRule | None]) -> tuple[int, int, set[int]]:
    start, end = inputs.punch_bounds()
    return status_sql.statuses_write(
        days=(
            status_sql.DesaDay(desa_id, day, inputs.zone_of[desa_id].key, rule, inputs.known_until[desa_id])
            for (desa_id, day), rule in rules.items()
        ),
        devices=[
            status_sql.Device(device_id, desa_id, inputs.zone_of[desa_id].key)
            for device_id, desa_id in inputs.device_desa.items()
        ],
        desa_ids=inputs.desa_ids,
        date_from=inputs.lo,
        date_to=inputs.hi,
        punches_from=start,
        punches_to=end,
        buckets=settings.ATTENDANCE_LATE_BUCKETS,
        now=timezone.now(),
    )


def _write_generic(
    inputs: _Desa, rows: list[StatusRow], wanted: set[tuple[int, dt.date]] | None
) -> tuple[int, int, set[int]]:
    """Compare with the stored rows in Python and write the difference (databases without the SQL path). Returns
    as ``status_sql.statuses_write`` does."""
    existing = {
        (pid, day): (pk, tuple(compared))
        for pk, pid, day, *compared in DailyStatus.objects.filter(
            desa_id__in=inputs.desa_ids, date__range=(inputs.lo, inputs.hi)
        ).values_list("pk", "perangkat_id", "date", *status_sql.COMPARED)
    }
    now = timezone.now()
    changed = [
        DailyStatus(**row._asdict(), computed_at=now)
        for row in rows
        if existing.get((row.perangkat_id, row.date), (0, None))[1] != (row.desa_id, *row[3:])
    ]
    # A new row here may be stored under another desa (a perangkat who moved): the write below takes it over.
    moved_from = set()
    if changed:
        moved_from = set(
            DailyStatus.objects.filter(perangkat__desa_id__in=inputs.desa_ids, date__range=(inputs.lo, inputs.hi))
            .exclude(desa_id__in=inputs.desa_ids)
            .values_list("desa_id", flat=True)
            .distinct()
        )
    DailyStatus.objects.bulk_create(
        changed, update_conflicts=True, unique_fields=["perangkat", "date"], update_fields=UPDATED, batch_size=2000
    )
    # A perangkat who has left (or moved) keeps no status on days it no longer has.
    kept = {(row.perangkat_id, row.date) for row in rows}
    gone = [
        pk
        for (pid, day), (pk, compared) in existing.items()
        if (pid, day) not in kept and (wanted is None or (compared[0], day) in wanted)
    ]
    if gone:
        DailyStatus.objects.filter(pk__in=gone).delete()
    return len(changed), len(gone), moved_from


UPDATED = ["desa", *(name for name in status_sql.COMPARED if name != "desa_id"), "computed_at"]


def status_dirty_process(*, batch: int = 5000) -> int:
    """Claim dirty (desa, day) pairs (rows locked by another worker are skipped), recompute them, send the flag
    notices of the months they touched (``attendance.notices``; exactly once by their unique key), and delete
    the claims in the same transaction. Returns the number of pairs processed."""
    from attendance.notices import flag_notices_after_recompute

    done = 0
    while True:
        with transaction.atomic():
            claimed = list(
                StatusDirty.objects.select_for_update(skip_locked=True)
                .order_by("date")
                .values_list("pk", "desa_id", "date")[:batch]
            )
            if not claimed:
                return done
            pairs = {(desa_id, day) for _pk, desa_id, day in claimed}
            for lo, hi, chunk in _chunks(pairs):
                statuses_recompute(desa_ids={d for d, _ in chunk}, date_from=lo, date_to=hi, wanted=chunk)
            flag_notices_after_recompute(pairs=pairs)
            StatusDirty.objects.filter(pk__in=[pk for pk, *_ in claimed]).delete()
            done += len(claimed)


def _chunks(pairs: set[tuple[int, dt.date]]) -> Iterable[tuple[dt.date, dt.date, set[tuple[int, dt.date]]]]:
    """Group pairs by calendar month, so a block never loads more than a month of punches."""
    by_month: dict[tuple[int, int], set] = defaultdict(set)
    for desa_id, day in pairs:
        by_month[(day.year, day.month)].add((desa_id, day))
    for chunk in by_month.values():
        days = [day for _desa, day in chunk]
        yield min(days), max(days), chunk


def statuses_rebuild(*, date_from: dt.date, date_to: dt.date, desa_ids: Iterable[int] | None = None) -> int:
    """Recompute a whole range, month by month (``attendance_rebuild``; also after an import of old punches)."""
    ids = list(desa_ids) if desa_ids is not None else list(Desa.objects.values_list("id", flat=True))
    device_days_backfill(date_from=date_from, date_to=date_to, desa_ids=ids)
    written, start = 0, date_from
    while start <= date_to:
        month_end = (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - ONE_DAY
        end = min(month_end, date_to)
        written += statuses_recompute(desa_ids=ids, date_from=start, date_to=end)
        start = end + ONE_DAY
    return written


def device_days_backfill(*, date_from: dt.date, date_to: dt.date, desa_ids: list[int]) -> None:
    """A device that holds punches of a day reported that day (history pulled before the evidence was kept, or
    imported). One query per device time zone (usually one), whatever the number of devices."""
    from django.db.models.functions import TruncDate

    devices = Device.objects.filter(desa_id__in=desa_ids)
    for zone_name in devices.values_list("timezone", flat=True).distinct().order_by():
        zone = zoneinfo.ZoneInfo(zone_name)
        start = dt.datetime.combine(date_from, T(0), tzinfo=zone)
        end = dt.datetime.combine(date_to + ONE_DAY, T(0), tzinfo=zone)
        pairs = (
            Punch.objects.filter(
                device__in=devices.filter(timezone=zone_name), punched_at__gte=start, punched_at__lt=end
            )
            .annotate(day=TruncDate("punched_at", tzinfo=zone))
            .values_list("device_id", "day")
            .order_by()  # Punch's default ordering would join into the DISTINCT and return one row per punch
            .distinct()
        )
        device_days_punched(pairs=pairs)


def device_days_punched(*, pairs: Iterable[tuple[int, dt.date]]) -> None:
    """Record that these devices hold punches of these days (punches are never deleted: the flag only rises).
    Keeps ``pulled_at`` of existing rows."""
    DeviceDay.objects.bulk_create(
        [DeviceDay(device_id=device_id, date=day, punched=True) for device_id, day in set(pairs)],
        update_conflicts=True,
        unique_fields=["device", "date"],
        update_fields=["punched"],
        batch_size=5000,
    )


def device_days_pulled(*, device_id: int, days: Iterable[dt.date], at: dt.datetime) -> None:
    """Record a successful pull completed at ``at`` that covered these days (keeps ``punched``). Pulls of one
    device never overlap (the lease), so the latest pull writes last."""
    DeviceDay.objects.bulk_create(
        [DeviceDay(device_id=device_id, date=day, pulled_at=at) for day in set(days)],
        update_conflicts=True,
        unique_fields=["device", "date"],
        update_fields=["pulled_at"],
        batch_size=5000,
    )
