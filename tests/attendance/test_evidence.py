"""What the machines prove about a day, through the real pull storage path (``services._stored``: evidence in
``DeviceDay``, days marked in ``StatusDirty``) and the incremental recompute.

A day counts as reported only with evidence for it: a punch of the day by anyone, or a successful pull that
completed after the day's arrival window closed (07:30 + 240 min = 11:30 with the default hours). A working
day whose machine holds no punch by anyone is ND for everyone, never TK for all, and the month's coverage flag
names it. And the holiday calendar is never silently empty: on a fresh database the rebuild finds Nyepi."""

from __future__ import annotations

import datetime as dt
import struct

import pytest
import time_machine
from django.core.management import call_command

from attendance import daily, dirty, recap, services
from attendance.emulator.device import Punch as EmulatedPunch
from attendance.emulator.device import encode_punch
from attendance.models import DailyStatus, Device, DeviceDay, DeviceUser, Punch, SyncRun
from attendance.zk.client import DeviceRead
from attendance.zk.parser import attendance_log
from portal.models import HariLibur, HolidayYear
from tests.factories import PerangkatFactory
from tests.helpers import WIB

pytestmark = pytest.mark.django_db
MON = dt.date(2026, 8, 3)
D = dt.date(2026, 8, 4)  # the Tuesday under test
AUG = dt.date(2026, 8, 1)


def at(day: dt.date, hhmm: str) -> dt.datetime:
    hour, minute = map(int, hhmm.split(":"))
    return dt.datetime.combine(day, dt.time(hour, minute), WIB)


@pytest.fixture
def office(tenancy):
    device = Device.objects.create(serial_number="A-1", desa=tenancy.desa_a, name="Balai", host="127.0.0.1")
    slamet = tenancy.perangkat_a
    rina = PerangkatFactory(desa=tenancy.desa_a, nama="Rina")
    DeviceUser.objects.create(device=device, pin="1", name="SLAMET", perangkat=slamet)
    DeviceUser.objects.create(device=device, pin="2", name="RINA", perangkat=rina)
    return type("Office", (), {"device": device, "slamet": slamet, "rina": rina, "desa": tenancy.desa_a})


def pull(device: Device, when: dt.datetime, punches: list[tuple[str, dt.datetime]]) -> None:
    """A successful pull completed at ``when`` that read these punches (the machine keeps its whole log, so a
    later pull reads earlier punches again: they are skipped as duplicates)."""
    # The log as the machine sends it (40-byte records), so the pull's own parse and prefix run.
    body = b"".join(
        encode_punch(EmulatedPunch(int(pin), pin, moment.astimezone(WIB).replace(tzinfo=None)), 40)
        for pin, moment in punches
    )
    with time_machine.travel(when, tick=False):
        device.refresh_from_db()
        run = SyncRun.objects.create(device=device, trigger="test", started_at=when)
        data = DeviceRead(
            serial_number=device.serial_number,
            device_time=when.replace(tzinfo=None),
            log=attendance_log(struct.pack("<I", len(body)) + body, record_count=len(punches)),
            users=[("1", "SLAMET", 0), ("2", "RINA", 0)],
            users_by_uid={1: "1", 2: "2"},
            record_count=len(punches),
            record_capacity=100_000,
            user_count=2,
        )
        services._stored(device, run, data, services.pull_batch(device, data))


def settle(when: dt.datetime) -> None:
    """The 00:30 close of the day, then the recompute of everything marked."""
    with time_machine.travel(when, tick=False):
        dirty.status_close_day(day=D)
        daily.status_dirty_process()


def label(perangkat, day: dt.date = D) -> str:
    return DailyStatus.objects.get(perangkat=perangkat, date=day).label


def gaps(user, now: dt.datetime) -> list[recap.Flag]:
    with time_machine.travel(now, tick=False):
        return [f for f in recap.flags(user=user, month=AUG) if f.kind == "coverage_gap"]


MON_PUNCHES = [("1", at(MON, "07:20")), ("1", at(MON, "16:05")), ("2", at(MON, "07:25")), ("2", at(MON, "16:02"))]

# (name, pulls as [(completed at, punches read)], Slamet's and Rina's label on D, the coverage detail for D or None)
SCENARIOS = [
    (
        "a 00:05 pull followed by silence: no evidence for the day",
        [(at(D, "00:05"), MON_PUNCHES)],
        ("ND", "ND"),
        "tidak melapor 04/08",
    ),
    (
        "a 00:05 pull, power back in the evening, next pull the next morning: reported without a punch",
        [
            (at(D, "00:05"), MON_PUNCHES),
            (at(D + dt.timedelta(days=1), "08:00"), MON_PUNCHES + [("1", at(D + dt.timedelta(days=1), "07:21"))]),
        ],
        ("ND", "ND"),
        "melapor tanpa absen 04/08",
    ),
    (
        "a pull after the arrival window with punches: normal statuses",
        [
            (at(D, "00:05"), MON_PUNCHES),
            (at(D, "12:00"), MON_PUNCHES + [("1", at(D, "07:20"))]),
            (at(D + dt.timedelta(days=1), "08:00"), MON_PUNCHES + [("1", at(D, "07:20")), ("1", at(D, "16:05"))]),
        ],
        ("H", "TK"),
        None,
    ),
    (
        "punches pulled before the arrival window closed, then silence: too early to call anyone absent",
        [(at(D, "00:05"), MON_PUNCHES), (at(D, "10:00"), MON_PUNCHES + [("1", at(D, "07:20"))])],
        ("H", "ND"),
        None,
    ),
]


@pytest.mark.parametrize(("name", "pulls", "expected", "gap"), SCENARIOS, ids=[s[0] for s in SCENARIOS])
def test_a_day_counts_as_reported_only_with_evidence(office, tenancy, name, pulls, expected, gap):
    for when, punches in pulls:
        pull(office.device, when, punches)
    settled = max(max(when for when, _ in pulls) + dt.timedelta(minutes=30), at(D + dt.timedelta(days=1), "00:30"))
    settle(settled)
    assert (label(office.slamet), label(office.rina)) == expected
    assert (label(office.slamet, MON), label(office.rina, MON)) == ("H", "H")  # MON's punches are evidence
    flags = gaps(tenancy.camat, settled + dt.timedelta(hours=1))
    if gap is None:
        assert flags == []
    else:
        assert [(f.desa, f.count, f.detail) for f in flags] == [(office.desa, 1, f"Balai: {gap}")]


def test_the_00_05_pull_is_no_evidence_but_the_next_mornings_pull_is(office):
    pull(office.device, at(D, "00:05"), MON_PUNCHES)
    row = DeviceDay.objects.get(device=office.device, date=D)
    assert (row.punched, row.pulled_at) == (False, at(D, "00:05"))
    pull(office.device, at(D + dt.timedelta(days=1), "08:00"), MON_PUNCHES)
    row.refresh_from_db()
    assert (row.punched, row.pulled_at) == (False, at(D + dt.timedelta(days=1), "08:00"))
    assert DeviceDay.objects.get(device=office.device, date=MON).punched


def test_a_dead_machine_is_never_tk_for_everyone_even_with_an_old_fashioned_pull(office, tenancy):
    """The bug this fixes: the 00:05 pull used to mark the whole day as reported, so every linked perangkat
    got TK when the power failed until the evening and the coverage flag stayed silent."""
    pull(office.device, at(D, "00:05"), MON_PUNCHES)
    pull(office.device, at(D, "19:00"), MON_PUNCHES)  # the power is back in the evening: reported, but empty
    settle(at(D + dt.timedelta(days=1), "00:30"))
    assert not DailyStatus.objects.filter(date=D, status="TK").exists()
    assert [f.detail for f in gaps(tenancy.camat, at(D + dt.timedelta(days=1), "09:00"))] == [
        "Balai: melapor tanpa absen 04/08"
    ]


def test_coverage_flag_waits_for_the_arrival_window_and_names_no_day_twice(office, tenancy):
    pull(office.device, at(D, "00:05"), MON_PUNCHES)
    with time_machine.travel(at(D, "09:00"), tick=False):
        dirty.status_mark_dirty([(office.desa.pk, D)])
        daily.status_dirty_process()
    assert label(office.rina) == "ND"  # not known yet
    assert gaps(tenancy.camat, at(D, "09:00")) == []  # the arrival window is still open
    assert [f.count for f in gaps(tenancy.camat, at(D, "11:31"))] == [1]


def test_rebuilding_with_evidence_twice_changes_nothing(office):
    pull(office.device, at(D, "00:05"), MON_PUNCHES)
    pull(office.device, at(D + dt.timedelta(days=1), "08:00"), MON_PUNCHES + [("2", at(D, "07:40"))])
    with time_machine.travel(at(D + dt.timedelta(days=1), "09:00"), tick=False):
        daily.statuses_rebuild(date_from=MON, date_to=D)
        first = set(DailyStatus.objects.values_list("perangkat_id", "date", "status", "codes", "late_minutes"))
        assert daily.statuses_rebuild(date_from=MON, date_to=D) == 0
    assert set(DailyStatus.objects.values_list("perangkat_id", "date", "status", "codes", "late_minutes")) == first
    assert (label(office.slamet), label(office.rina)) == ("TK", "TL1/TAP")


# The calendar is never empty -------------------------------------------------------------------------------

MARCH = {
    dt.date(2026, 3, 17): "a normal Tuesday",
    dt.date(2026, 3, 18): "cuti bersama Nyepi",
    dt.date(2026, 3, 19): "Nyepi",
    dt.date(2026, 3, 20): "cuti bersama Idul Fitri",
}


def test_nyepi_2026_on_a_fresh_database_without_any_holiday_sync(office):
    assert not HariLibur.objects.exists() and not HolidayYear.objects.exists()  # nobody ran sync_holidays
    for day in MARCH:  # Slamet punches every one of these days; Rina none of them
        pull(
            office.device,
            at(dt.date(2026, 4, 1), "08:00"),
            [("1", at(day, "07:25")), ("1", at(day, "16:05"))]
            if day == dt.date(2026, 3, 17)
            else [("1", at(day, "07:25"))],
        )
    Device.objects.filter(pk=office.device.pk).update(last_success_at=at(dt.date(2026, 4, 1), "08:00"))
    with time_machine.travel(at(dt.date(2026, 4, 2), "09:00"), tick=False):
        call_command("attendance_rebuild", "--from", "01/03/2026", "--to", "31/03/2026")
    labels = {
        day: (label(office.slamet, day), label(office.rina, day)) for day in MARCH
    }  # the holidays stay L for everyone: for Slamet who punched, and for Rina who did not (not TK)
    assert labels == {
        dt.date(2026, 3, 17): ("H", "TK"),
        dt.date(2026, 3, 18): ("L", "L"),
        dt.date(2026, 3, 19): ("L", "L"),
        dt.date(2026, 3, 20): ("L", "L"),
    }
    nyepi = DailyStatus.objects.get(perangkat=office.slamet, date=dt.date(2026, 3, 19))
    assert nyepi.arrival_at == at(dt.date(2026, 3, 19), "07:25")  # the punch is shown, not counted
    assert HolidayYear.objects.filter(year=2026).exists()
    assert Punch.objects.count() == 5


def test_the_recompute_reads_a_fixed_number_of_queries_whatever_the_number_of_desa(tenancy, office):
    """Evidence and corrections come in one query each per block, not one per desa or per perangkat."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from attendance.models import PunchCorrection
    from tests.factories import DesaFactory

    counter = iter(range(2201, 2300))

    def add_desa(n: int) -> list[int]:
        ids = []
        for _ in range(n):
            desa = DesaFactory(kecamatan=tenancy.kecamatan, kode=f"35.24.13.{next(counter)}")
            device = Device.objects.create(serial_number=f"X-{desa.kode}", desa=desa, name="Balai")
            person = PerangkatFactory(desa=desa)
            DeviceUser.objects.create(device=device, pin="1", perangkat=person)
            pull(device, at(D, "12:00"), [("1", at(D, "07:40"))])
            PunchCorrection.objects.create(
                perangkat=person,
                date=D,
                kind="out",
                punched_at=at(D, "16:00"),
                reason="x",
                requested_by=tenancy.camat,
                state=PunchCorrection.State.APPROVED,
            )
            ids.append(desa.pk)
        return ids

    def measure(ids: list[int]) -> int:
        with time_machine.travel(at(D + dt.timedelta(days=1), "09:00"), tick=False):
            daily.statuses_recompute(desa_ids=ids, date_from=MON, date_to=D)  # warm (the holiday year, writes)
            with CaptureQueriesContext(connection) as queries:
                daily.statuses_recompute(desa_ids=ids, date_from=MON, date_to=D)
        return len(queries)

    pull(office.device, at(D, "12:00"), MON_PUNCHES + [("1", at(D, "07:20"))])
    few = [office.desa.pk, *add_desa(1)]
    small = measure(few)
    many = few + add_desa(4)
    assert measure(many) == small
    assert DailyStatus.objects.filter(date=D, corrected=True).count() == 5
