import datetime as dt

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from portal.calendar import WorkCalendar, calendar_for, holidays_sync, non_working_days, package_holidays
from portal.models import HariLibur

D = dt.date
holiday_sets = st.frozensets(st.dates(min_value=D(2024, 1, 1), max_value=D(2028, 12, 31)), max_size=60)
days = st.dates(min_value=D(2025, 1, 1), max_value=D(2027, 12, 31))


@given(holiday_sets, days, st.integers(min_value=0, max_value=60))
@settings(max_examples=300)
def test_a_working_day_deadline_never_lands_on_a_day_off(holidays, start, n):
    cal = WorkCalendar(holidays)
    due = cal.add_working_days(start, n)
    assert cal.is_working_day(due)
    assert due >= start


@given(holiday_sets, days)
def test_adding_zero_working_days_to_a_working_day_is_that_day(holidays, start):
    cal = WorkCalendar(holidays)
    assume(cal.is_working_day(start))
    assert cal.add_working_days(start, 0) == start


@given(holiday_sets, days, st.integers(min_value=1, max_value=40))
def test_n_working_days_later_there_are_exactly_n_working_days_between(holidays, start, n):
    cal = WorkCalendar(holidays)
    assert cal.working_days_between(start, cal.add_working_days(start, n)) == n


@given(holiday_sets, days, st.integers(min_value=0, max_value=30), st.integers(min_value=0, max_value=30))
def test_working_days_add_up(holidays, start, a, b):
    cal = WorkCalendar(holidays)
    assume(cal.is_working_day(start))
    assert cal.add_working_days(cal.add_working_days(start, a), b) == cal.add_working_days(start, a + b)


def test_package_has_idul_fitri_and_cuti_bersama_2026():
    h = package_holidays(2026)
    assert h[D(2026, 3, 21)][1] == "nasional"  # Idul Fitri
    assert h[D(2026, 3, 20)][1] == "cuti_bersama"
    assert h[D(2026, 3, 23)][1] == "cuti_bersama"
    assert h[D(2026, 3, 19)][1] == "nasional"  # Nyepi
    assert all(name and name[0].isupper() for name, _kind in h.values())


@pytest.mark.django_db
def test_working_days_across_idul_fitri_2026():
    holidays_sync(years=[2026])
    cal = calendar_for(kecamatan_id=None, years=[2026])
    # Tue 17 Mar is a working day; Wed 18 (cuti bersama) to Tue 24 Mar (cuti bersama) are all off.
    assert cal.add_working_days(D(2026, 3, 17), 1) == D(2026, 3, 25)
    assert [cal.is_working_day(D(2026, 3, d)) for d in range(17, 26)] == [True] + [False] * 7 + [True]
    # 20 hari kerja from Mon 16 Mar 2026 (the APBDes evaluation clock), counted by hand: day 1 = Tue 17 Mar;
    # 18–24 Mar off; days 2–8 = 25 Mar–2 Apr; Good Friday 3 Apr off; days 9–18 = 6–17 Apr; 19 = 20 Apr; 20 = 21 Apr.
    assert cal.add_working_days(D(2026, 3, 16), 20) == D(2026, 4, 21)


@pytest.mark.django_db
def test_2026_has_240_working_days_mon_to_fri():
    holidays_sync(years=[2026])
    cal = calendar_for(kecamatan_id=None, years=[2026])
    assert cal.working_days_between(D(2025, 12, 31), D(2026, 12, 31)) == 240  # domain.md §4


@pytest.mark.django_db
def test_sync_is_idempotent_and_keeps_manual_edits():
    assert holidays_sync(years=[2026]) > 0
    assert holidays_sync(years=[2026]) == 0
    row = HariLibur.objects.get(tanggal=D(2026, 12, 24), kecamatan__isnull=True)
    row.libur, row.diubah_manual = False, True  # the government cancelled this cuti bersama
    row.save()
    holidays_sync(years=[2026])
    row.refresh_from_db()
    assert row.libur is False
    assert calendar_for(kecamatan_id=None, years=[2026]).is_working_day(D(2026, 12, 24))


@pytest.mark.django_db
def test_a_kecamatan_day_applies_only_to_that_kecamatan(tenancy):
    holidays_sync(years=[2026])
    HariLibur.objects.create(
        tanggal=D(2026, 5, 26), nama="Hari Jadi Lamongan", jenis="lokal", kecamatan=tenancy.kecamatan
    )
    ours = calendar_for(kecamatan_id=tenancy.kecamatan.id, years=[2026])
    theirs = calendar_for(kecamatan_id=tenancy.other_kecamatan.id, years=[2026])
    assert not ours.is_working_day(D(2026, 5, 26))
    assert theirs.is_working_day(D(2026, 5, 26))
    kinds = {row["date"]: row["kind"] for row in non_working_days(kecamatan_id=tenancy.kecamatan.id, year=2026)}
    assert kinds[D(2026, 5, 26)] == "lokal"
    assert kinds[D(2026, 3, 21)] == "nasional"
    assert kinds[D(2026, 3, 20)] == "cuti_bersama"
    assert kinds[D(2026, 1, 3)] == "akhir_pekan"


@pytest.mark.django_db
def test_a_kecamatan_can_cancel_a_national_day_for_itself(tenancy):
    holidays_sync(years=[2026])
    HariLibur.objects.create(
        tanggal=D(2026, 12, 24), nama="Tetap masuk", jenis="lokal", kecamatan=tenancy.kecamatan, libur=False
    )
    assert calendar_for(kecamatan_id=tenancy.kecamatan.id, years=[2026]).is_working_day(D(2026, 12, 24))
    assert not calendar_for(kecamatan_id=None, years=[2026]).is_working_day(D(2026, 12, 24))
