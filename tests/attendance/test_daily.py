"""Daily statuses from the database: the recompute gathers punches, links, schedules, holidays, leave and
device coverage, and every change that matters marks its days and is recomputed incrementally."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.management import call_command
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from attendance import daily, dirty, leave, schedules
from attendance.models import DailyStatus, Device, DeviceDay, DeviceUser, Leave, StatusDirty, WorkSchedule
from attendance.store import punches_insert
from attendance.zk.parser import RawRecord
from portal.models import HariLibur
from tests.attendance.conftest import punch
from tests.factories import PerangkatFactory
from tests.helpers import WIB

pytestmark = pytest.mark.django_db
MON = dt.date(2026, 8, 3)  # a Monday without holidays
NOW = dt.datetime(2026, 8, 10, 9, 0, tzinfo=WIB)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def office(tenancy):
    """Desa A with one machine that reported every day of the week of MON (a successful pull covered each day
    and completed after its arrival window closed, at 00:10 the next morning), two linked perangkat."""
    device = Device.objects.create(
        serial_number="A-1",
        desa=tenancy.desa_a,
        name="Balai",
        host="127.0.0.1",
        last_success_at=NOW - dt.timedelta(minutes=5),
    )
    slamet = tenancy.perangkat_a
    rina = PerangkatFactory(desa=tenancy.desa_a, nama="Rina")
    DeviceUser.objects.create(device=device, pin="1", name="SLAMET", perangkat=slamet)
    DeviceUser.objects.create(device=device, pin="2", name="RINA", perangkat=rina)
    for i in range(7):
        day = MON + dt.timedelta(days=i)
        DeviceDay.objects.create(
            device=device, date=day, pulled_at=dt.datetime.combine(day, dt.time(0, 10), WIB) + dt.timedelta(days=1)
        )
    return type("Office", (), {"device": device, "slamet": slamet, "rina": rina, "desa": tenancy.desa_a})


def status(perangkat, day: dt.date) -> str:
    return DailyStatus.objects.get(perangkat=perangkat, date=day).label


def recompute(office, start=MON, end=MON + dt.timedelta(days=6)) -> None:
    daily.statuses_recompute(desa_ids=[office.desa.pk], date_from=start, date_to=end)


def test_a_week_of_codes(office):
    d = office.device
    punch(d, "1", MON, "07:25"), punch(d, "1", MON, "16:05")  # H
    punch(d, "1", MON + dt.timedelta(days=1), "08:10"), punch(d, "1", MON + dt.timedelta(days=1), "15:00")  # TL2 PSW2
    punch(d, "1", MON + dt.timedelta(days=2), "16:30")  # TAM
    punch(d, "2", MON + dt.timedelta(days=3), "07:20"), punch(d, "2", MON + dt.timedelta(days=3), "16:01")
    recompute(office)
    assert status(office.slamet, MON) == "H"
    assert status(office.slamet, MON + dt.timedelta(days=1)) == "TL2/PSW2"
    assert status(office.slamet, MON + dt.timedelta(days=2)) == "TAM"
    assert status(office.slamet, MON + dt.timedelta(days=3)) == "TK"  # the machine holds Rina's punches, not his
    assert status(office.rina, MON + dt.timedelta(days=3)) == "H"
    # Friday: the machine reported (pulled after the window) but holds no punch by anyone: ND for all, not TK.
    assert (status(office.slamet, MON + dt.timedelta(days=4)), status(office.rina, MON + dt.timedelta(days=4))) == (
        "ND",
        "ND",
    )
    assert status(office.slamet, MON + dt.timedelta(days=5)) == "L"  # Saturday
    assert status(office.rina, MON) == "TK"


def test_device_not_reporting_is_nd_not_tk(office):
    DeviceDay.objects.filter(date=MON).delete()
    recompute(office, MON, MON)
    assert status(office.rina, MON) == "ND"


def test_unlinked_perangkat_is_nd(office, tenancy):
    newcomer = PerangkatFactory(desa=tenancy.desa_a, nama="Baru")
    punch(office.device, "1", MON, "07:25")  # the machine worked that day: Rina's silence is TK
    recompute(office, MON, MON)
    assert status(newcomer, MON) == "ND" and status(office.rina, MON) == "TK"


def test_holiday_with_punches_is_l(office):
    HariLibur.objects.create(tanggal=MON, nama="Libur", jenis=HariLibur.Jenis.NASIONAL)
    punch(office.device, "1", MON, "07:20")
    recompute(office, MON, MON)
    row = DailyStatus.objects.get(perangkat=office.slamet, date=MON)
    assert row.status == "L" and row.arrival_at.astimezone(WIB).time() == dt.time(7, 20)


def test_ramadan_override_applies_in_its_range_only(office, tenancy):
    ramadan = WorkSchedule(kecamatan=tenancy.kecamatan, name="Ramadan", valid_from=MON, valid_to=MON)
    schedules.schedule_save(
        actor=tenancy.kasi_tapem, schedule=ramadan, days={w: (dt.time(8, 0), dt.time(15, 0)) for w in range(5)}
    )
    for day in (MON, MON + dt.timedelta(days=1)):
        punch(office.device, "1", day, "07:55"), punch(office.device, "1", day, "15:05")
    recompute(office, MON, MON + dt.timedelta(days=1))
    assert status(office.slamet, MON) == "H"  # 08:00–15:00 that day
    assert status(office.slamet, MON + dt.timedelta(days=1)) == "TL1/PSW2"  # back to 07:30–16:00: 25 min late, 55 early


def test_wita_machine_counts_in_its_own_zone(office):
    Device.objects.filter(pk=office.device.pk).update(timezone="Asia/Makassar")
    office.device.refresh_from_db()
    punch(office.device, "1", MON, "07:30"), punch(office.device, "1", MON, "16:00")  # 07:30 WITA = 06:30 WIB
    recompute(office, MON, MON)
    assert status(office.slamet, MON) == "H"


def test_leave_approved_after_the_day_was_computed_is_recomputed(office, tenancy):
    punch(office.device, "1", MON, "07:25")
    recompute(office, MON, MON)
    assert status(office.rina, MON) == "TK"
    request = leave.leave_request(
        actor=tenancy.operator_a,
        perangkat=office.rina,
        kind=Leave.Kind.IZIN,
        date_from=MON,
        date_to=MON,
        reason="Keluarga",
    )
    assert status(office.rina, MON) == "TK"  # a request alone changes nothing
    leave.leave_decide(actor=tenancy.kades_a, leave=request, approve=True)
    assert StatusDirty.objects.filter(desa=office.desa, date=MON).exists()
    daily.status_dirty_process()
    assert status(office.rina, MON) == "I" and not StatusDirty.objects.exists()


def test_late_punch_arriving_later_is_recomputed_incrementally(office):
    punch(office.device, "1", MON + dt.timedelta(days=2), "07:25")
    recompute(office)
    before = dict(DailyStatus.objects.values_list("pk", "computed_at"))
    StatusDirty.objects.all().delete()
    punch(office.device, "2", MON + dt.timedelta(days=2), "07:29")
    dirty.status_mark_dirty([(office.desa.pk, MON + dt.timedelta(days=2))])
    with time_machine.travel(NOW + dt.timedelta(minutes=1), tick=False):
        assert daily.status_dirty_process() == 1
    changed = {pk for pk, at in DailyStatus.objects.values_list("pk", "computed_at") if at != before[pk]}
    # Only Rina's status of that day was rewritten: Slamet's (TAP) did not change, no other day was touched.
    assert {(r.perangkat_id, r.date) for r in DailyStatus.objects.filter(pk__in=changed)} == {
        (office.rina.pk, MON + dt.timedelta(days=2))
    }
    assert status(office.rina, MON + dt.timedelta(days=2)) == "TAP"


def test_linking_a_pin_attributes_past_days(office):
    DeviceUser.objects.filter(pin="2").update(perangkat=None)
    punch(office.device, "2", MON, "07:10"), punch(office.device, "2", MON, "16:10")
    recompute(office, MON, MON)
    assert status(office.rina, MON) == "ND"
    from attendance.services import device_user_link

    device_user_link(actor=None, device_user=DeviceUser.objects.get(pin="2"), perangkat=office.rina)
    daily.status_dirty_process()
    assert status(office.rina, MON) == "H"


def test_rebuild_command_twice_changes_nothing(office):
    punch(office.device, "1", MON, "07:45")
    call_command("attendance_rebuild", "--from", "2026-08-03", "--to", "09/08/2026", "--desa", office.desa.kode)
    rows = DailyStatus.objects.filter(desa=office.desa)
    first = set(rows.values_list("perangkat_id", "date", "status", "codes", "late_minutes"))
    call_command("attendance_rebuild", "--from", "2026-08-03", "--to", "2026-08-09")  # every desa this time
    assert set(rows.values_list("perangkat_id", "date", "status", "codes", "late_minutes")) == first
    assert DailyStatus.objects.exclude(desa=office.desa).exists()
    assert "TL1 TAP" in {c for *_, c, _m in first} and len(first) == 2 * 7


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    punches=st.lists(
        st.tuples(st.sampled_from(["1", "2", "9"]), st.integers(0, 6), st.integers(4 * 60, 23 * 60)), max_size=30
    ),
    first=st.integers(0, 6),
    length=st.integers(0, 6),
)
def test_recomputing_any_range_twice_changes_nothing(office, punches, first, length):
    sid = transaction.savepoint()
    try:
        with transaction.atomic():
            punches_insert(
                device=office.device,
                records=[
                    RawRecord(
                        pin,
                        None,
                        dt.datetime.combine(MON + dt.timedelta(days=d), dt.time()) + dt.timedelta(minutes=m),
                        1,
                        0,
                    )
                    for pin, d, m in punches
                ],
            )
        recompute(office)
        snapshot = lambda: set(  # noqa: E731
            DailyStatus.objects.values_list(
                "perangkat_id", "date", "status", "codes", "late_minutes", "early_minutes", "arrival_at", "departure_at"
            )
        )
        whole = snapshot()
        start = MON + dt.timedelta(days=first)
        end = min(start + dt.timedelta(days=length), MON + dt.timedelta(days=6))
        recompute(office, start, end)
        assert snapshot() == whole
        recompute(office, start, end)
        assert snapshot() == whole
    finally:
        transaction.savepoint_rollback(sid)


def test_a_perangkat_who_leaves_loses_the_days_after(office):
    recompute(office)
    assert DailyStatus.objects.filter(perangkat=office.rina, date=MON + dt.timedelta(days=3)).exists()
    StatusDirty.objects.all().delete()
    office.rina.tanggal_selesai = MON + dt.timedelta(days=1)
    office.rina.save()
    assert StatusDirty.objects.filter(desa=office.desa, date=MON + dt.timedelta(days=3)).exists()
    daily.status_dirty_process()
    assert set(DailyStatus.objects.filter(perangkat=office.rina).values_list("date", flat=True)) == {
        MON,
        MON + dt.timedelta(days=1),
    }
