"""The set-based recompute (``attendance.status_sql``, PostgreSQL): the rule of ``attendance.status`` in SQL and
one upsert of only the rows that differ.

* Agreement: on random weeks — punches at any second, after midnight and on other desa's machines, devices in
  WIB/WITA/WIT, random working hours and windows, a desa's Ramadan-like override, holidays and cancelled holidays,
  leave, koreksi absen, pulls, a perangkat who starts, leaves, moves or is unlinked between two recomputes of random
  ranges and (desa, day) pairs — the SQL path leaves exactly the rows, ``computed_at`` stamps and counts that the
  Python path (``status.compute_day`` per row, compared and written in Python) leaves on the same database.
* Queries: a month's recompute reads and writes in a fixed number of queries, whatever the number of desa,
  perangkat and punches (the Python path too)."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
import time_machine
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from attendance import daily
from attendance.models import (
    DailyStatus,
    Device,
    DeviceDay,
    DeviceUser,
    Leave,
    PunchCorrection,
    ScheduleDay,
    WorkSchedule,
)
from attendance.status import DayRule, windows
from attendance.status_sql import COMPARED
from attendance.store import punches_insert
from attendance.zk.parser import RawRecord
from portal.calendar import holidays_ensure
from portal.models import HariLibur
from tests.conftest import IN_CI
from tests.factories import DesaFactory, PerangkatFactory
from tests.helpers import WIB

pytestmark = pytest.mark.django_db
MON = dt.date(2026, 8, 3)  # a week without national holidays
WEEK = [MON + dt.timedelta(days=i) for i in range(7)]
FIRST = dt.datetime(2026, 8, 12, 9, 0, tzinfo=WIB)  # the first recompute …
LATER = FIRST + dt.timedelta(hours=1)  # … and the second: computed_at tells which rows it rewrote
ZONES = ("Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura")
KINDS = [k.value for k in Leave.Kind]

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql" and not IN_CI, reason="the SQL path is PostgreSQL's (CI runs it)"
)


# The world: three desa in two kecamatan, a machine each, linked and unlinked PINs, a PIN linked on another desa's
# machine, a perangkat with no PIN at all. Made once per test; every example plays inside a savepoint.


@pytest.fixture
def world(tenancy):
    holidays_ensure(years=[MON.year])  # outside the savepoints: every play starts from the same calendar
    a, b, c = tenancy.desa_a, tenancy.desa_b, tenancy.other_desa
    people = {
        "slamet": tenancy.perangkat_a,
        "rina": PerangkatFactory(desa=a, nama="Rina"),
        "budi": PerangkatFactory(desa=a, nama="Budi"),  # no PIN anywhere: ND
        "siti": tenancy.perangkat_b,
        "dewi": PerangkatFactory(desa=b, nama="Dewi"),
        "joko": tenancy.other_perangkat,
    }
    devices = {
        "A": Device.objects.create(serial_number="SB-A", desa=a, name="Balai A"),
        "B": Device.objects.create(serial_number="SB-B", desa=b, name="Balai B"),
        "C": Device.objects.create(serial_number="SB-C", desa=c, name="Balai C"),
    }
    links = {
        ("A", "1"): "slamet",
        ("A", "2"): "rina",
        ("A", "3"): None,  # a PIN nobody claimed: its punches are evidence for the day, no one's status
        ("B", "1"): "siti",
        ("B", "2"): "dewi",
        ("B", "9"): "slamet",  # Slamet also punches at the neighbouring desa's machine
        ("C", "1"): "joko",
    }
    for (device, pin), name in links.items():
        DeviceUser.objects.create(device=devices[device], pin=pin, perangkat=people[name] if name else None)
    return type(
        "World",
        (),
        {
            "desa": {"A": a, "B": b, "C": c},
            "people": people,
            "devices": devices,
            "pins": sorted(links),
            "kecamatan": tenancy.kecamatan,
            "actor": tenancy.camat,
        },
    )


# Scenarios --------------------------------------------------------------------------------------------------

minutes_of_day = st.integers(0, 24 * 60 - 1)


@st.composite
def hours(draw) -> dict:
    """A working day's hours and windows that ``schedules.validate`` accepts: the arrival window opens at 00:00
    at the earliest, the departure window closes at 06:00 the next morning at the latest."""
    start = draw(st.integers(4 * 60, 10 * 60))
    end = start + draw(st.integers(60, 10 * 60))
    return {
        "start": start,
        "end": end,
        "tolerance": draw(st.integers(0, 20)),
        "arrival_before": draw(st.integers(0, min(360, start))),
        "arrival_after": draw(st.integers(0, 600)),
        "departure_before": draw(st.integers(0, 600)),
        "departure_after": draw(st.integers(0, min(720, 30 * 60 - end))),
        "weekdays": draw(st.sets(st.integers(0, 6), min_size=1)),
    }


day_offset = st.integers(0, 6)
people = st.sampled_from(["slamet", "rina", "budi", "siti", "dewi", "joko"])
# A moment of a day: any second, or a second around one of the base schedule's edges (where ``<`` and ``<=``
# part ways: a punch at the very close of the window, a pull completed at the second the window closed).
EDGES = ("arrival_open", "start", "tolerance", "arrival_close", "middle", "departure_open", "end", "departure_close")
edge = st.tuples(st.sampled_from(EDGES), st.sampled_from([-60, -1, 0, 1, 60]))
# What the last pull makes known is compared with the windows' closing: mostly right at one.
known = st.tuples(st.sampled_from(["arrival_close", "departure_close"]), st.sampled_from([-1, 0, 0, 1, 3600]))
punch = st.tuples(st.integers(-1, 7), st.integers(0, 24 * 3600 - 1) | edge)  # the evening before to the morning after
# Two people only, so that approved leave overlaps now and then (the first in date order counts).
leave = st.tuples(st.sampled_from(["slamet", "siti"]), st.integers(-2, 6), st.integers(1, 4), st.sampled_from(KINDS))
correction = st.tuples(people, day_offset, st.sampled_from(["in", "out"]), st.integers(0, 30 * 3600 - 1) | edge)


@st.composite
def scenario(draw) -> dict:
    pins = st.sampled_from([("A", "1"), ("A", "2"), ("A", "3"), ("B", "1"), ("B", "2"), ("B", "9"), ("C", "1")])
    return {
        "zone_b": draw(st.sampled_from(ZONES)),
        "zone_c": draw(st.sampled_from(ZONES)),
        "base": draw(hours()),
        "override": draw(st.none() | st.tuples(day_offset, st.integers(0, 3), hours())),  # desa B's own range
        "holidays": draw(st.lists(st.tuples(day_offset, st.sampled_from(["national", "local", "cancelled"])))),
        "punches": draw(st.lists(st.tuples(pins, punch), max_size=40)),
        "leave": draw(st.lists(leave, max_size=4)),
        "corrections": draw(st.lists(correction, max_size=3)),
        # The last successful pull of each machine (None: never), and pulls that covered single days.
        "last_pull": draw(st.fixed_dictionaries({d: st.none() | st.tuples(st.integers(0, 8), known) for d in "ABC"})),
        "pulls": draw(
            st.lists(st.tuples(st.sampled_from("ABC"), day_offset, st.integers(0, 48 * 3600) | edge), max_size=8)
        ),
        "rina_term": draw(st.tuples(st.none() | day_offset, st.none() | day_offset)),
        # Between the two recomputes: more punches, more leave, and people changes.
        "more_punches": draw(st.lists(st.tuples(pins, punch), max_size=10)),
        "more_leave": draw(st.lists(leave, max_size=2)),
        "changes": draw(st.sets(st.sampled_from(["rina_leaves", "dewi_moves", "siti_unlinked", "budi_inactive"]))),
        "second": draw(st.tuples(day_offset, day_offset)),
        "wanted": draw(st.none() | st.sets(st.tuples(st.sampled_from("ABC"), day_offset), min_size=1)),
    }


def seconds(spec: dict, day: dt.date, when: int | tuple[str, int]) -> int:
    """A moment drawn by ``punch``/``edge`` as seconds after the day's 00:00."""
    if isinstance(when, int):
        return when
    name, delta = when
    rule = DayRule(
        dt.time(spec["start"] // 60, spec["start"] % 60),
        dt.time(spec["end"] // 60, spec["end"] % 60),
        spec["tolerance"],
        spec["arrival_before"],
        spec["arrival_after"],
        spec["departure_before"],
        spec["departure_after"],
    )
    a_open, a_close, d_open, d_close = windows(day, rule)
    edges = {
        "arrival_open": a_open,
        "start": dt.datetime.combine(day, rule.start),
        "tolerance": dt.datetime.combine(day, rule.start) + dt.timedelta(minutes=rule.tolerance),
        "middle": dt.datetime.combine(day, rule.start)
        + (dt.datetime.combine(day, rule.end) - dt.datetime.combine(day, rule.start)) / 2,
        "arrival_close": a_close,
        "departure_open": d_open,
        "end": dt.datetime.combine(day, rule.end),
        "departure_close": d_close,
    }
    return int((edges[name] - dt.datetime.combine(day, dt.time())).total_seconds()) + delta


def local(spec: dict, day: dt.date, when: int | tuple[str, int], zone: str) -> dt.datetime:
    """The moment as an instant, read as wall time in ``zone``."""
    midnight = dt.datetime.combine(day, dt.time()).replace(tzinfo=zoneinfo.ZoneInfo(zone))
    return midnight + dt.timedelta(seconds=seconds(spec, day, when))


def add_schedule(world, spec: dict, *, desa=None, valid: tuple[dt.date, dt.date] | None = None) -> None:
    schedule = WorkSchedule.objects.create(
        kecamatan=world.kecamatan,
        desa=desa,
        name="Acak",
        valid_from=valid[0] if valid else None,
        valid_to=valid[1] if valid else None,
        tolerance_minutes=spec["tolerance"],
        arrival_before_minutes=spec["arrival_before"],
        arrival_after_minutes=spec["arrival_after"],
        departure_before_minutes=spec["departure_before"],
        departure_after_minutes=spec["departure_after"],
    )
    start = dt.time(spec["start"] // 60, spec["start"] % 60)
    end = dt.time(spec["end"] // 60, spec["end"] % 60)
    ScheduleDay.objects.bulk_create(
        [ScheduleDay(schedule=schedule, weekday=w, start=start, end=end) for w in sorted(spec["weekdays"])]
    )


def add_punches(world, spec: dict, punches) -> None:
    by_device: dict[str, list[RawRecord]] = {}
    for (device, pin), (offset, when) in punches:
        day = MON + dt.timedelta(days=offset)
        moment = dt.datetime.combine(day, dt.time()) + dt.timedelta(seconds=seconds(spec, day, when))
        by_device.setdefault(device, []).append(RawRecord(pin, None, moment, 1, 0))
    with transaction.atomic():
        for device, records in by_device.items():
            punches_insert(device=Device.objects.get(pk=world.devices[device].pk), records=records)


def add_leave(world, rows) -> None:
    for name, start, length, kind in rows:
        first = MON + dt.timedelta(days=start)
        Leave.objects.create(
            perangkat=world.people[name],
            kind=kind,
            date_from=first,
            date_to=first + dt.timedelta(days=length - 1),
            state=Leave.State.APPROVED,
            requested_by=world.actor,
            decided_by=world.actor,
            decided_at=FIRST,
        )


def arrange(world, s: dict) -> None:
    """The scenario's state before the first recompute."""
    # ``change`` moves and edits people through the world's own model instances: a savepoint rollback restores
    # their rows, not those instances. Without this, a desa change of one play (Dewi moved to desa A) would
    # outlive it, and the next play would place her koreksi absen in desa A's zone while the database still
    # has her in desa B: the two paths would play different scenarios (flaky: the replay starts stale in both).
    for person in world.people.values():
        person.refresh_from_db()
    Device.objects.filter(pk=world.devices["B"].pk).update(timezone=s["zone_b"])
    Device.objects.filter(pk=world.devices["C"].pk).update(timezone=s["zone_c"])
    add_schedule(world, s["base"])
    if s["override"]:
        first, length, spec = s["override"]
        start = MON + dt.timedelta(days=first)
        add_schedule(world, spec, desa=world.desa["B"], valid=(start, start + dt.timedelta(days=length)))
    for offset, kind in dict(s["holidays"]).items():
        day = MON + dt.timedelta(days=offset)
        kecamatan = None if kind == "national" else world.kecamatan
        HariLibur.objects.update_or_create(
            tanggal=day, kecamatan=kecamatan, defaults={"nama": "Acak", "jenis": "lokal", "libur": kind != "cancelled"}
        )
    add_punches(world, s["base"], s["punches"])
    add_leave(world, s["leave"])
    corrections = {(name, offset, kind): when for name, offset, kind, when in s["corrections"]}
    for (name, offset, kind), when in corrections.items():
        person = world.people[name]
        zone = Device.objects.get(desa=person.desa).timezone
        PunchCorrection.objects.create(
            perangkat=person,
            date=MON + dt.timedelta(days=offset),
            kind=kind,
            punched_at=local(s["base"], MON + dt.timedelta(days=offset), when, zone),
            reason="Lupa absen",
            requested_by=world.actor,
            state=PunchCorrection.State.APPROVED,
        )
    zone = {"A": "Asia/Jakarta", "B": s["zone_b"], "C": s["zone_c"]}
    for device, pull in s["last_pull"].items():
        at = None if pull is None else local(s["base"], MON + dt.timedelta(days=pull[0]), pull[1], zone[device])
        Device.objects.filter(pk=world.devices[device].pk).update(last_success_at=at)
    for device, offset, when in s["pulls"]:
        day = MON + dt.timedelta(days=offset)
        DeviceDay.objects.update_or_create(
            device=world.devices[device], date=day, defaults={"pulled_at": local(s["base"], day, when, zone[device])}
        )
    start, end = s["rina_term"]
    rina = world.people["rina"]
    rina.tanggal_mulai = None if start is None else MON + dt.timedelta(days=start)
    rina.tanggal_selesai = None if end is None else max(MON + dt.timedelta(days=end), rina.tanggal_mulai or MON)
    rina.save()


def change(world, s: dict) -> None:
    """What happens between the two recomputes."""
    add_punches(world, s["base"], s["more_punches"])
    add_leave(world, s["more_leave"])
    if "rina_leaves" in s["changes"]:
        rina = world.people["rina"]
        rina.tanggal_selesai = max(MON + dt.timedelta(days=2), rina.tanggal_mulai or MON)
        rina.save()
    if "dewi_moves" in s["changes"]:
        dewi = world.people["dewi"]
        dewi.desa = world.desa["A"]
        dewi.save()
    if "siti_unlinked" in s["changes"]:
        DeviceUser.objects.filter(perangkat=world.people["siti"]).update(perangkat=None)
    if "budi_inactive" in s["changes"]:
        world.people["budi"].aktif = False
        world.people["budi"].save()


def snapshot() -> set[tuple]:
    return set(DailyStatus.objects.values_list("perangkat_id", "date", *COMPARED, "computed_at"))


def play(world, s: dict, *, set_based: bool, monkeypatch) -> tuple[tuple[int, int], set[tuple]]:
    """Arrange, recompute the week, change, recompute the second range (and pairs); what is stored at the end.
    Everything is undone afterwards, so both paths play the same scenario on the same database."""
    monkeypatch.setattr(daily, "_set_based", lambda: set_based)
    ids = [d.pk for d in world.desa.values()]
    sid = transaction.savepoint()
    try:
        arrange(world, s)
        with time_machine.travel(FIRST, tick=False):
            first = daily.statuses_recompute(desa_ids=ids, date_from=WEEK[0], date_to=WEEK[-1])
        change(world, s)
        lo, hi = sorted(s["second"])
        wanted = None
        if s["wanted"] is not None:
            wanted = {(world.desa[d].pk, MON + dt.timedelta(days=o)) for d, o in s["wanted"]}
        with time_machine.travel(LATER, tick=False):
            second = daily.statuses_recompute(
                desa_ids={d for d, _ in wanted} if wanted else ids,
                date_from=MON + dt.timedelta(days=lo),
                date_to=MON + dt.timedelta(days=hi),
                wanted=wanted,
            )
        return (first, second), snapshot()
    finally:
        transaction.savepoint_rollback(sid)


@postgresql_only
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(s=scenario())
def test_sql_and_python_paths_leave_the_same_statuses(world, monkeypatch, s):
    counts_sql, rows_sql = play(world, s, set_based=True, monkeypatch=monkeypatch)
    counts_python, rows_python = play(world, s, set_based=False, monkeypatch=monkeypatch)
    assert rows_sql == rows_python
    assert counts_sql == counts_python


@postgresql_only
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(s=scenario())
def test_sql_statuses_are_compute_day_of_every_day(world, monkeypatch, s):
    """Straight from an empty table: every stored row is ``status.compute_day``'s answer for its day (through
    ``daily.statuses_compute``), and a second recompute writes nothing."""
    ids = [d.pk for d in world.desa.values()]
    sid = transaction.savepoint()
    try:
        arrange(world, s)
        with time_machine.travel(FIRST, tick=False):
            written = daily.statuses_recompute(desa_ids=ids, date_from=WEEK[0], date_to=WEEK[-1])
            expected = daily.statuses_compute(desa_ids=ids, date_from=WEEK[0], date_to=WEEK[-1])
            stored = set(DailyStatus.objects.values_list("perangkat_id", "date", *COMPARED))
            assert stored == {(r.perangkat_id, r.date, r.desa_id, *r[3:]) for r in expected}
            assert written == len(expected)
            assert daily.statuses_recompute(desa_ids=ids, date_from=WEEK[0], date_to=WEEK[-1]) == 0
    finally:
        transaction.savepoint_rollback(sid)


# One day, close up: few punches, all of them on or next to a window's edge, so that corrections meet punches,
# an arrival sits exactly at the start plus the tolerance, a punch exactly at the middle of a short day is in
# both windows, and the last pull completed the very second a window closed.

near = st.tuples(st.sampled_from(EDGES), st.sampled_from([-60, -1, 0, 0, 1, 59]))


@st.composite
def close_day(draw) -> dict:
    base = draw(hours())
    slamet = draw(st.lists(near, max_size=3))
    return {
        "zone": draw(st.sampled_from(ZONES)),
        "base": {**base, "weekdays": base["weekdays"] | {MON.weekday()}},
        "holiday": draw(st.sampled_from([False, False, False, True])),
        "slamet": slamet,
        "rina": draw(st.lists(near, max_size=2)),
        "stranger": draw(st.lists(near, max_size=1)),  # the unclaimed PIN: evidence that the machine worked
        "rina_linked": draw(st.booleans()),
        # A correction now and then at the very second of one of his punches.
        "fix_in": draw(st.none() | near | (st.sampled_from(slamet) if slamet else st.nothing())),
        "fix_out": draw(st.none() | near | (st.sampled_from(slamet) if slamet else st.nothing())),
        "leave": draw(st.none() | st.sampled_from(KINDS)),
        "known": draw(st.none() | known),
        "pulled": draw(st.none() | near),
    }


@postgresql_only
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(s=close_day())
def test_one_day_at_the_edges_sql_is_compute_day(world, s):
    device, slamet = world.devices["A"], world.people["slamet"]
    sid = transaction.savepoint()
    try:
        Device.objects.filter(pk=device.pk).update(
            timezone=s["zone"],
            last_success_at=None if s["known"] is None else local(s["base"], MON, s["known"], s["zone"]),
        )
        add_schedule(world, s["base"])
        if s["holiday"]:
            HariLibur.objects.update_or_create(
                tanggal=MON, kecamatan=world.kecamatan, defaults={"nama": "Acak", "jenis": "lokal", "libur": True}
            )
        pins = [("1", s["slamet"]), ("2", s["rina"]), ("3", s["stranger"])]
        add_punches(world, s["base"], [(("A", pin), (0, when)) for pin, moments in pins for when in moments])
        if not s["rina_linked"]:
            DeviceUser.objects.filter(device=device, pin="2").update(perangkat=None)
        for kind in ("in", "out"):
            if s[f"fix_{kind}"] is not None:
                PunchCorrection.objects.create(
                    perangkat=slamet,
                    date=MON,
                    kind=kind,
                    punched_at=local(s["base"], MON, s[f"fix_{kind}"], s["zone"]),
                    reason="Lupa absen",
                    requested_by=world.actor,
                    state=PunchCorrection.State.APPROVED,
                )
        if s["leave"]:
            add_leave(world, [("slamet", 0, 1, s["leave"])])
        if s["pulled"] is not None:
            DeviceDay.objects.create(device=device, date=MON, pulled_at=local(s["base"], MON, s["pulled"], s["zone"]))
        ids = [world.desa["A"].pk]
        with time_machine.travel(FIRST, tick=False):
            daily.statuses_recompute(desa_ids=ids, date_from=MON, date_to=MON)
            expected = daily.statuses_compute(desa_ids=ids, date_from=MON, date_to=MON)
        stored = set(DailyStatus.objects.values_list("perangkat_id", "date", *COMPARED))
        assert stored == {(r.perangkat_id, r.date, r.desa_id, *r[3:]) for r in expected}
    finally:
        transaction.savepoint_rollback(sid)


# Queries ----------------------------------------------------------------------------------------------------

JULY = (dt.date(2026, 7, 1), dt.date(2026, 7, 31))


def a_desa_with_a_month(world, n: int) -> int:
    """One more desa of the kecamatan: a machine, three linked perangkat with two punches a working day, a leave
    and a koreksi absen."""
    desa = DesaFactory(kecamatan=world.kecamatan, kode=f"35.24.13.{3000 + n}")
    device = Device.objects.create(serial_number=f"SQ-{n}", desa=desa, name="Balai", last_success_at=FIRST)
    records = []
    for pin in ("1", "2", "3"):
        person = PerangkatFactory(desa=desa)
        DeviceUser.objects.create(device=device, pin=pin, perangkat=person)
        for day in range(1, 32):
            records.append(RawRecord(pin, None, dt.datetime(2026, 7, day, 7, 20 + day % 20), 1, 0))
            records.append(RawRecord(pin, None, dt.datetime(2026, 7, day, 16, 5), 1, 1))
    Leave.objects.create(
        perangkat=person,
        kind="S",
        date_from=dt.date(2026, 7, 7),
        date_to=dt.date(2026, 7, 8),
        state=Leave.State.APPROVED,
        requested_by=world.actor,
    )
    PunchCorrection.objects.create(
        perangkat=person,
        date=dt.date(2026, 7, 9),
        kind="in",
        punched_at=dt.datetime(2026, 7, 9, 7, 0, tzinfo=WIB),
        reason="Lupa",
        requested_by=world.actor,
        state=PunchCorrection.State.APPROVED,
    )
    with transaction.atomic():
        punches_insert(device=device, records=records)
    return desa.pk


def month_queries(ids: list[int]) -> tuple[int, int]:
    """Queries of a month's first recompute (every status written) and of the next one (nothing changes)."""
    DailyStatus.objects.filter(desa_id__in=ids).delete()
    with time_machine.travel(FIRST, tick=False):
        daily.statuses_recompute(desa_ids=ids, date_from=JULY[0], date_to=JULY[1])  # the calendar's year, warm
        DailyStatus.objects.filter(desa_id__in=ids).delete()
        with CaptureQueriesContext(connection) as first:
            written = daily.statuses_recompute(desa_ids=ids, date_from=JULY[0], date_to=JULY[1])
        with CaptureQueriesContext(connection) as second:
            again = daily.statuses_recompute(desa_ids=ids, date_from=JULY[0], date_to=JULY[1])
    assert written == DailyStatus.objects.filter(desa_id__in=ids).count() == 3 * 31 * len(ids) and again == 0
    return len(first), len(second)


def test_a_month_recompute_takes_the_same_queries_for_2_and_for_6_desa(world):
    few = [a_desa_with_a_month(world, n) for n in range(2)]
    small = month_queries(few)
    many = few + [a_desa_with_a_month(world, n) for n in range(2, 6)]
    assert month_queries(many) == small


@postgresql_only
def test_the_set_based_recompute_is_a_fixed_handful_of_statements(world):
    """On PostgreSQL nothing is read row by row: the desa-wide inputs (desa, machines, calendar, schedules and
    their days, holidays), then the day table, its statistics, the one statement that computes, upserts and
    deletes, and the table's drop (the COPY into it goes past Django's cursor). A recompute that changes nothing
    is exactly that; one that changes something adds only the monthly rollup."""
    ids = [a_desa_with_a_month(world, n) for n in range(3)]
    first, second = month_queries(ids)
    with CaptureQueriesContext(connection) as ctx, time_machine.travel(FIRST, tick=False):
        daily.statuses_recompute(desa_ids=ids, date_from=JULY[0], date_to=JULY[1])
    statements = [q["sql"].split()[0].upper() for q in ctx.captured_queries]
    assert statements.count("WITH") == 1  # the computation and the write
    assert not any(s in ("INSERT", "UPDATE", "DELETE") for s in statements)  # nothing else writes
    assert second == len(statements) <= 12
    assert first > second  # the rollup of the months that changed
