"""The retention rule of backups (pure): the newest of each of the last N days and M months that have one."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from portal.backup import archive_stamp, retention_keep

stamps = st.lists(
    st.datetimes(min_value=dt.datetime(2024, 1, 1), max_value=dt.datetime(2027, 12, 31)), max_size=60, unique=True
)


def test_keeps_the_newest_of_each_recent_day_and_month():
    # Two a day for ten days in March, and one on 15 Jan and 20 Feb.
    march = [dt.datetime(2026, 3, d, h) for d in range(1, 11) for h in (2, 14)]
    older = [dt.datetime(2026, 1, 15, 2), dt.datetime(2026, 2, 20, 2)]
    keep = retention_keep(march + older, keep_daily=3, keep_monthly=2)
    assert keep == {
        dt.datetime(2026, 3, 10, 14),
        dt.datetime(2026, 3, 9, 14),
        dt.datetime(2026, 3, 8, 14),
        dt.datetime(2026, 2, 20, 2),  # February's newest; January is the third month back
    }


def test_old_backups_are_not_lost_to_the_passing_of_time():
    # Backups stopped a year ago: the last ones are still "the newest days" and stay.
    last = [dt.datetime(2025, 1, d, 2) for d in range(1, 4)]
    assert retention_keep(last, keep_daily=7, keep_monthly=0) == set(last)


def test_nothing_to_keep_from_nothing():
    assert retention_keep([], keep_daily=7, keep_monthly=12) == set()


@given(stamps, st.integers(1, 10), st.integers(0, 14))
def test_rule_properties(times, daily, monthly):
    keep = retention_keep(times, keep_daily=daily, keep_monthly=monthly)
    assert keep <= set(times)
    if times:
        assert max(times) in keep  # the newest backup is never deleted
    assert len(keep) <= daily + monthly
    # Exactly one per kept day: the day's newest, for each of the `daily` newest days.
    days = sorted({t.date() for t in times}, reverse=True)[:daily]
    for day in days:
        assert max(t for t in times if t.date() == day) in keep
    months = sorted({(t.year, t.month) for t in times}, reverse=True)[:monthly]
    for month in months:
        assert max(t for t in times if (t.year, t.month) == month) in keep
    # Nothing else: every kept backup is its day's newest among the kept days or its month's among the kept months.
    for t in keep:
        newest_of_day = t == max(x for x in times if x.date() == t.date()) and t.date() in days
        newest_of_month = (
            t == max(x for x in times if (x.year, x.month) == (t.year, t.month))
            and (
                t.year,
                t.month,
            )
            in months
        )
        assert newest_of_day or newest_of_month
    # Pruning twice deletes nothing more.
    assert retention_keep(keep, keep_daily=daily, keep_monthly=monthly) == keep


def test_only_our_archive_names_have_a_stamp():
    assert archive_stamp("pantau-backup-20260302-190000.tar") == dt.datetime(2026, 3, 2, 19, 0, 0)
    assert archive_stamp("pantau-backup-20260302-190000.tar.part") is None
    assert archive_stamp("pantau-backup-20261302-190000.tar") is None  # month 13
    assert archive_stamp("catatan.txt") is None
