"""Flag notices: a TK streak or chronic lateness reaches the Camat and the Kepala Desa of the desa through the
notification channels, exactly once per recipient, flag and month (a unique key, never a check), after the
incremental recompute."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from attendance import daily, dirty, notices
from attendance.choices import MissingPunchPolicy
from attendance.models import AttendancePolicy, DailyStatus, Device, DeviceUser
from attendance.store import punches_insert
from attendance.zk.parser import RawRecord
from portal.choices import Jabatan, Role
from portal.models import Delivery, Notification
from portal.notify import dispatch_due
from tests.factories import PerangkatFactory, UserFactory
from tests.helpers import WIB

pytestmark = pytest.mark.django_db
MARCH, APRIL = dt.date(2026, 3, 1), dt.date(2026, 4, 1)


@pytest.fixture
def rina(tenancy):
    return PerangkatFactory(desa=tenancy.desa_a, nama="Rina Wati", jabatan=Jabatan.KAUR_KEUANGAN)


def put(perangkat, day: dt.date, code: str, late: int = 0, missing_in: int = 0) -> None:
    family = code.rstrip("0123456789")
    DailyStatus.objects.update_or_create(
        perangkat=perangkat,
        date=day,
        defaults={
            "desa": perangkat.desa,
            "status": family,
            "codes": "" if code in ("H", "L", "ND") else code,
            "late_minutes": late,
            "missing_in_minutes": missing_in,
            "computed_at": timezone.now(),
        },
    )


def recipients(event_key: str) -> list[tuple[str, str]]:
    return sorted(Delivery.objects.filter(event_key=event_key).values_list("recipient__username", "channel"))


def test_a_tk_streak_notice_is_sent_once_even_when_detection_runs_twice(settings, tenancy, rina):
    settings.ATTENDANCE_TK_STREAK = 3
    # Mon 2 – Wed 4 March TK, a Saturday in between does not matter; desa B's Kepala Desa must not hear of it.
    UserFactory(username="kades_b", role=Role.KEPALA_DESA, desa=tenancy.desa_b, kecamatan=tenancy.kecamatan)
    for day in (2, 3, 4):
        put(rina, dt.date(2026, 3, day), "TK")
    put(rina, dt.date(2026, 3, 5), "H")
    key = f"att:tk_streak:{rina.pk}:2026-03"
    first = notices.flag_notices_send(desa_ids=[tenancy.desa_a.pk], month=MARCH)
    again = notices.flag_notices_send(desa_ids=[tenancy.desa_a.pk], month=MARCH)  # the detection runs twice
    assert (first, again) == (4, 0)
    assert recipients(key) == [("camat", "email"), ("camat", "inapp"), ("kades_a", "email"), ("kades_a", "inapp")]
    dispatch_due()
    dispatch_due()
    inbox = Notification.objects.filter(delivery__event_key=key)
    assert sorted(inbox.values_list("recipient__username", flat=True)) == ["camat", "kades_a"]
    notice = inbox.get(recipient=tenancy.camat)
    assert notice.title == "TK berturut-turut: Rina Wati, Desa Pucuk"
    assert "3 hari kerja berturut-turut mulai 02/03/2026" in notice.message
    assert notice.link == "/absensi/rekap/35.24.13.2001/?bulan=2026-03"
    assert len(mail.outbox) == 2
    # The streak grows: still nothing new this month.
    put(rina, dt.date(2026, 3, 5), "TK")
    assert notices.flag_notices_send(desa_ids=[tenancy.desa_a.pk], month=MARCH) == 0
    # A new month with a new streak sends again.
    for day in (6, 7, 8):
        put(rina, dt.date(2026, 4, day), "TK")
    assert notices.flag_notices_send(desa_ids=[tenancy.desa_a.pk], month=APRIL) == 4
    assert len(recipients(f"att:tk_streak:{rina.pk}:2026-04")) == 4
    assert Delivery.objects.count() == 8


def test_chronic_lateness_counts_tam_only_under_the_tl4_policy(settings, tenancy, rina):
    settings.ATTENDANCE_CHRONIC_LATE = 3
    put(rina, dt.date(2026, 3, 2), "TL1", late=10)
    put(rina, dt.date(2026, 3, 3), "TL2", late=40)
    put(rina, dt.date(2026, 3, 4), "TAM", missing_in=240)
    AttendancePolicy.objects.create(kecamatan=tenancy.kecamatan, missing_punch=MissingPunchPolicy.NOT_PRESENT)
    assert notices.flag_notices_send(desa_ids=[tenancy.desa_a.pk], month=MARCH) == 0  # 2 late days
    AttendancePolicy.objects.update(missing_punch=MissingPunchPolicy.AS_LATE)
    assert notices.flag_notices_send(desa_ids=[tenancy.desa_a.pk], month=MARCH) == 4  # TAM counts as TL4
    dispatch_due()
    notice = Notification.objects.get(recipient=tenancy.kades_a)
    assert (notice.title, notice.kind) == ("Sering terlambat: Rina Wati, Desa Pucuk", Notification.Kind.LATE)
    assert "terlambat 3 hari kerja pada bulan 03/2026" in notice.message


@pytest.fixture
def office(tenancy, rina):
    device = Device.objects.create(
        serial_number="A-1",
        desa=tenancy.desa_a,
        name="Balai",
        last_success_at=dt.datetime(2026, 8, 7, 8, 0, tzinfo=WIB),
    )
    DeviceUser.objects.create(device=device, pin="1", perangkat=tenancy.perangkat_a)
    DeviceUser.objects.create(device=device, pin="2", perangkat=rina)
    for day in (3, 4, 5):  # Slamet comes every day; Rina does not
        punches_insert(device=device, records=[RawRecord("1", None, dt.datetime(2026, 8, day, 7, 20), 1, 0)])
    return device


def test_the_recompute_sends_the_notice_and_a_second_run_adds_nothing(settings, tenancy, rina, office):
    settings.ATTENDANCE_TK_STREAK = 3
    with time_machine.travel(dt.datetime(2026, 8, 7, 9, 0, tzinfo=WIB), tick=False):
        dirty.status_mark_dirty((tenancy.desa_a.pk, dt.date(2026, 8, day)) for day in (3, 4, 5))
        daily.status_dirty_process()
        assert [DailyStatus.objects.get(perangkat=rina, date=dt.date(2026, 8, d)).label for d in (3, 4, 5)] == [
            "TK"
        ] * 3
        key = f"att:tk_streak:{rina.pk}:2026-08"
        assert [name for name, channel in recipients(key) if channel == "inapp"] == ["camat", "kades_a"]
        dirty.status_mark_dirty((tenancy.desa_a.pk, dt.date(2026, 8, day)) for day in (3, 4, 5))
        daily.status_dirty_process()
    assert Delivery.objects.filter(event_key=key).count() == 4


def test_rebuilding_an_old_month_wakes_nobody(settings, tenancy, rina, office):
    settings.ATTENDANCE_TK_STREAK = 3
    with time_machine.travel(dt.datetime(2026, 11, 20, 9, 0, tzinfo=WIB), tick=False):
        dirty.status_mark_dirty((tenancy.desa_a.pk, dt.date(2026, 8, day)) for day in (3, 4, 5))
        daily.status_dirty_process()
    assert DailyStatus.objects.filter(perangkat=rina, status="TK").count() == 3
    assert not Delivery.objects.exists()
