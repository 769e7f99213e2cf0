"""The monthly rollup (``attendance.rollup``): kept by the recompute in its own transaction, it always equals the
recap's aggregate of the statuses (``recap._aggregates`` per desa and month) — after recomputes that add, change
and delete statuses, for several desa, months and kecamatan policies — so the 12-month trend and the recap page
read the same numbers as when they aggregated a year of statuses, in a number of queries that does not grow
with the desa or the months."""

from __future__ import annotations

import datetime as dt
import importlib
import random
from collections import defaultdict
from types import SimpleNamespace

import pytest
import time_machine
from django.apps import apps
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import Q
from django.db.models.functions import TruncMonth
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from attendance import charts, daily, dirty, recap, rollup, views_review
from attendance.choices import MissingPunchPolicy
from attendance.models import (
    AttendancePolicy,
    DailyStatus,
    DesaMonthRollup,
    Device,
    DeviceDay,
    DeviceUser,
    Leave,
)
from attendance.store import punches_insert
from attendance.zk.parser import RawRecord
from portal.choices import Role
from portal.models import Desa, Perangkat
from portal.scoping import restrict
from tests.factories import DesaFactory, PerangkatFactory, UserFactory
from tests.helpers import WIB

pytestmark = pytest.mark.django_db
JUNE, JULY, AUGUST = dt.date(2026, 6, 1), dt.date(2026, 7, 1), dt.date(2026, 8, 1)
LAST = dt.date(2026, 8, 31)
NOW = dt.datetime(2026, 9, 2, 9, 0, tzinfo=WIB)
FIELDS = list(recap.Totals.__dataclass_fields__)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def days(start: dt.date, end: dt.date) -> list[dt.date]:
    return [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]


def at(day: dt.date, hhmm: str) -> dt.datetime:
    hour, minute = map(int, hhmm.split(":"))
    return dt.datetime.combine(day, dt.time(hour, minute))


def office(desa: Desa, people: list[Perangkat], rng: random.Random, *, silent: set[dt.date] = frozenset()) -> Device:
    """A machine in ``desa`` that reported every day of June–August (but ``silent`` days: no pull and no punch),
    with every perangkat linked, and three months of punches in a seeded mix of on time, late, early, missing
    arrival or departure, absent, and one day nobody punched (ND)."""
    device = Device.objects.create(
        serial_number=f"R-{desa.kode}",
        desa=desa,
        name="Balai",
        host="127.0.0.1",
        last_success_at=timezone.now() - dt.timedelta(minutes=5),
    )
    for pin, person in enumerate(people, start=1):
        DeviceUser.objects.create(device=device, pin=str(pin), name=person.nama[:24], perangkat=person)
    month_days = days(JUNE, LAST)
    DeviceDay.objects.bulk_create(
        DeviceDay(
            device=device, date=day, pulled_at=dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0, 10), WIB)
        )
        for day in month_days
        if day not in silent
    )
    nobody = {dt.date(2026, 7, 8)} | set(silent)  # a working day the machine reported without any punch: ND
    records = []
    for day in month_days:
        if day.weekday() >= 5 or day in nobody:
            continue
        for pin in range(1, len(people) + 1):
            kind = rng.choice(["H", "H", "H", "TL", "PSW", "TLPSW", "TAM", "TAP", "TK"])
            arrive = {"TL": "08:%02d", "TLPSW": "09:%02d"}.get(kind, "07:%02d") % rng.randint(0, 29)
            leave = {"PSW": "15:%02d", "TLPSW": "14:%02d"}.get(kind, "16:%02d") % rng.randint(0, 40)
            if kind not in ("TAM", "TK"):
                records.append(RawRecord(str(pin), None, at(day, arrive), 1, 0))
            if kind not in ("TAP", "TK"):
                records.append(RawRecord(str(pin), None, at(day, leave), 1, 1))
    with transaction.atomic():
        punches_insert(device=device, records=records)
    return device


@pytest.fixture
def world(tenancy):
    """Three desa in two kecamatan (Sukodadi counts a TAM/TAP day as not present, Pucuk keeps the default "TAM =
    TL4"), June–August computed by the recompute, with approved leave (I, S, DL) here and there."""
    rng = random.Random(20260902)
    a = [tenancy.perangkat_a, PerangkatFactory(desa=tenancy.desa_a), PerangkatFactory(desa=tenancy.desa_a)]
    b = [tenancy.perangkat_b]
    other = [tenancy.other_perangkat, PerangkatFactory(desa=tenancy.other_desa)]
    devices = {
        tenancy.desa_a.pk: office(tenancy.desa_a, a, rng),
        tenancy.desa_b.pk: office(tenancy.desa_b, b, rng, silent={dt.date(2026, 6, 10)}),
        tenancy.other_desa.pk: office(tenancy.other_desa, other, rng),
    }
    AttendancePolicy.objects.create(kecamatan=tenancy.other_kecamatan, missing_punch=MissingPunchPolicy.NOT_PRESENT)
    admin = UserFactory(username="admin-rollup", role=Role.ADMIN)
    for person, kind, start, end in (
        (a[1], "S", dt.date(2026, 6, 15), dt.date(2026, 6, 17)),
        (a[2], "I", dt.date(2026, 7, 20), dt.date(2026, 7, 20)),
        (other[0], "DL", dt.date(2026, 8, 3), dt.date(2026, 8, 5)),
    ):
        Leave.objects.create(
            perangkat=person,
            kind=kind,
            date_from=start,
            date_to=end,
            state=Leave.State.APPROVED,
            requested_by=admin,
            decided_by=admin,
            decided_at=timezone.now(),
        )
    desa_ids = [tenancy.desa_a.pk, tenancy.desa_b.pk, tenancy.other_desa.pk]
    daily.statuses_rebuild(date_from=JUNE, date_to=LAST, desa_ids=desa_ids)
    return SimpleNamespace(tenancy=tenancy, admin=admin, a=a, b=b, other=other, devices=devices, desa_ids=desa_ids)


def aggregate() -> dict[tuple[int, dt.date], recap.Totals]:
    """What the recap counted before the rollup: ``recap._aggregates`` over each desa's month of statuses."""
    rows = (
        DailyStatus.objects.annotate(month=TruncMonth("date"))
        .values("desa_id", "month")
        .annotate(**recap._aggregates())
        .order_by()
    )
    return {(row["desa_id"], _date(row["month"])): recap._totals(row) for row in rows}


def stored() -> dict[tuple[int, dt.date], recap.Totals]:
    return {
        (desa_id, month): recap.Totals(*values)
        for desa_id, month, *values in DesaMonthRollup.objects.values_list("desa_id", "month", *FIELDS)
    }


def _date(value) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def old_trends(*, user, months: int = 12, until: dt.date) -> dict[int, list[tuple[dt.date, recap.Totals]]]:
    """``recap.trends`` as it was before the rollup: a year of statuses aggregated per desa and month, counted
    under each kecamatan's policy. The reference the rollup's trend must equal."""
    last_month = until.replace(day=1)
    first = last_month
    for _ in range(months - 1):
        first = (first - dt.timedelta(days=1)).replace(day=1)
    rows = list(
        restrict(DailyStatus.objects.all(), user)
        .filter(date__gte=first, date__lte=recap.month_bounds(last_month)[1])
        .annotate(month=TruncMonth("date"))
        .values("desa_id", "desa__kecamatan_id", "month")
        .annotate(**recap._aggregates())
        .order_by("desa_id", "month")
    )
    policy_of = recap.policies(row["desa__kecamatan_id"] for row in rows)
    result = defaultdict(list)
    for row in rows:
        result[row["desa_id"]].append(
            (_date(row["month"]), recap._totals(row).counted(policy_of[row["desa__kecamatan_id"]]))
        )
    return dict(result)


def assert_rollup_is_the_statuses(world) -> None:
    expected = aggregate()
    assert stored() == expected
    for user in (world.admin, world.tenancy.camat, world.tenancy.outsider, world.tenancy.operator_a):
        for until in (JUNE, JULY, AUGUST, dt.date(2026, 9, 1)):
            assert dict(recap.trends(user=user, until=until)) == old_trends(user=user, until=until), (user, until)
            ranking = recap.desa_month(user=user, month=until)
            with_ranking = recap.trends(user=user, until=until, ranking=ranking)
            assert dict(with_ranking) == old_trends(user=user, until=until), (user, until, "ranking")


def test_the_recompute_keeps_the_rollup_equal_to_the_statuses(world):
    expected = aggregate()
    # Three desa × three months, each with a real mix of codes, leave, ND and both policies' raw material.
    assert set(expected) == {(desa_id, month) for desa_id in world.desa_ids for month in (JUNE, JULY, AUGUST)}
    mix = recap.Totals()
    for totals in expected.values():
        mix += totals
    for name in ("h", "tl", "psw", "tam", "tap", "i", "s", "dl", "tk", "nd", "present_missing"):
        assert getattr(mix, name) > 0, name
    assert mix.missing_in_minutes > 0 and mix.missing_out_minutes > 0
    assert_rollup_is_the_statuses(world)


def test_policy_is_applied_when_the_trend_is_read(world):
    """The rollup stores raw totals; a kecamatan's policy (and a change of it) shows in the trend at once."""
    other = world.tenancy.other_desa.pk
    raw = stored()[(other, JULY)]
    assert raw.tam + raw.tap > 0 and raw.present_missing > 0
    series = dict(recap.trends(user=world.admin, until=AUGUST)[other])
    assert series[JULY] == raw.counted(MissingPunchPolicy.NOT_PRESENT)
    assert series[JULY].present == raw.present - raw.present_missing and series[JULY].tl == raw.tl
    AttendancePolicy.objects.filter(kecamatan=world.tenancy.other_kecamatan).update(
        missing_punch=MissingPunchPolicy.AS_LATE
    )
    series = dict(recap.trends(user=world.admin, until=AUGUST)[other])
    assert series[JULY] == raw.counted(MissingPunchPolicy.AS_LATE)
    assert series[JULY].tl == raw.tl + raw.tam and series[JULY].tl_minutes == raw.tl_minutes + raw.missing_in_minutes
    assert_rollup_is_the_statuses(world)


def test_added_changed_and_deleted_statuses_through_the_incremental_recompute(world, tenancy):
    before = stored()
    # Added: a newcomer in desa A from 20 July, linked on the machine (ND until linked days, then TK/H).
    newcomer = PerangkatFactory(desa=tenancy.desa_a, nama="Baru", tanggal_mulai=dt.date(2026, 7, 20))
    DeviceUser.objects.create(device=world.devices[tenancy.desa_a.pk], pin="9", name="BARU", perangkat=newcomer)
    with transaction.atomic():
        punches_insert(
            device=world.devices[tenancy.desa_a.pk],
            records=[RawRecord("9", None, at(dt.date(2026, 7, 21), "07:10"), 1, 0)],
        )
    # Changed: approved leave over punched days in desa A (August) and Sukodadi (2 June; 1 June is a holiday).
    for person, start, end in (
        (world.a[0], dt.date(2026, 8, 10), dt.date(2026, 8, 14)),
        (world.other[1], dt.date(2026, 6, 2), dt.date(2026, 6, 2)),
    ):
        Leave.objects.create(
            perangkat=person,
            kind="C",
            date_from=start,
            date_to=end,
            state=Leave.State.APPROVED,
            requested_by=world.admin,
            decided_by=world.admin,
            decided_at=timezone.now(),
        )
    dirty.status_mark_dirty(
        [(tenancy.desa_a.pk, day) for day in days(dt.date(2026, 7, 20), LAST)]
        + [(tenancy.other_desa.pk, dt.date(2026, 6, 2))]
    )
    daily.status_dirty_process()
    after = stored()
    assert after != before
    assert after[(tenancy.desa_a.pk, JULY)].hari_kerja > before[(tenancy.desa_a.pk, JULY)].hari_kerja
    assert after[(tenancy.desa_a.pk, AUGUST)].c == 5 and after[(tenancy.other_desa.pk, JUNE)].c == 1
    assert after[(tenancy.desa_a.pk, JUNE)] == before[(tenancy.desa_a.pk, JUNE)]  # a month not touched
    assert_rollup_is_the_statuses(world)

    # Deleted: desa B's only perangkat left at the end of June; its July and August statuses go, and so do the
    # rollup rows of those months (a month without statuses has no trend point, as before).
    person = world.b[0]
    person.aktif, person.tanggal_selesai = False, dt.date(2026, 6, 30)
    person.save()
    daily.status_dirty_process()
    assert not DailyStatus.objects.filter(desa=tenancy.desa_b, date__gt=dt.date(2026, 6, 30)).exists()
    months_b = set(DesaMonthRollup.objects.filter(desa=tenancy.desa_b).values_list("month", flat=True))
    trend_b = [month for month, _t in recap.trends(user=tenancy.camat, until=AUGUST)[tenancy.desa_b.pk]]
    # (The recompute's calendar sync also marked this year's holidays dirty: those months hold L days now.)
    assert JUNE in months_b and JUNE in trend_b
    assert not {JULY, AUGUST} & months_b and not {JULY, AUGUST} & set(trend_b)
    assert_rollup_is_the_statuses(world)


@pytest.mark.parametrize("set_based", [True, False], ids=["sql", "python"])
def test_a_perangkat_who_moves_leaves_the_old_desa_months(world, tenancy, monkeypatch, set_based):
    """A perangkat moves from desa A to desa B and B's days are recomputed first, in a batch of their own (as
    the dirty queue may claim them): B's write takes the statuses over from A. A's months are summed again in that
    same transaction, because A's own recompute, later, finds nothing left to change and writes nothing."""
    if set_based and connection.vendor != "postgresql":
        pytest.skip("the SQL path is PostgreSQL's")
    monkeypatch.setattr(daily, "_set_based", lambda: set_based)
    mover = world.a[2]
    held = DailyStatus.objects.filter(perangkat=mover, desa=tenancy.desa_a).count()
    assert held > 0
    Perangkat.objects.filter(pk=mover.pk).update(desa=tenancy.desa_b)  # the move, without the signal's dirty marks
    assert daily.statuses_recompute(desa_ids=[tenancy.desa_b.pk], date_from=JUNE, date_to=LAST) > 0
    assert DailyStatus.objects.filter(perangkat=mover, desa=tenancy.desa_b).count() == held
    assert stored() == aggregate()  # A's months no longer count the mover's days
    assert daily.statuses_recompute(desa_ids=[tenancy.desa_a.pk], date_from=JUNE, date_to=LAST) == 0
    assert_rollup_is_the_statuses(world)


def test_a_full_recompute_of_a_range_that_changes_nothing_leaves_it_equal(world):
    before = stored()
    assert daily.statuses_rebuild(date_from=JUNE, date_to=LAST, desa_ids=world.desa_ids) == 0
    assert stored() == before
    assert_rollup_is_the_statuses(world)


def test_months_refresh_is_set_based(world, tenancy):
    """Two statements (the upsert and the delete) whatever the number of desa and months."""
    counts = []
    for ids, start, end in (
        ([tenancy.desa_a.pk], dt.date(2026, 7, 14), dt.date(2026, 7, 14)),
        (world.desa_ids, JUNE, LAST),
    ):
        DesaMonthRollup.objects.all().delete()
        with CaptureQueriesContext(connection) as ctx:
            rollup.months_refresh(desa_ids=ids, date_from=start, date_to=end)
        counts.append(len(ctx.captured_queries))
        assert DesaMonthRollup.objects.count() == len(ids) * len({d.replace(day=1) for d in days(start, end)})
    assert counts == [2, 2]
    rollup.months_refresh(desa_ids=world.desa_ids, date_from=JUNE, date_to=LAST)
    assert stored() == aggregate()


def test_rebuild_command_repairs_a_rollup_written_past_the_recompute(world, tenancy):
    DesaMonthRollup.objects.filter(desa=tenancy.desa_a, month=JULY).delete()
    DesaMonthRollup.objects.filter(desa=tenancy.desa_b, month=JUNE).update(h=999)
    DesaMonthRollup.objects.create(desa=tenancy.desa_b, month=dt.date(2026, 2, 1), h=1, computed_at=timezone.now())
    DailyStatus.objects.filter(desa=tenancy.other_desa, date__month=8).delete()  # bypassing the recompute
    call_command("attendance_rollup", "--from", "2026-07-01", "--to", "2026-08-31")
    assert DesaMonthRollup.objects.filter(desa=tenancy.desa_b, month=JUNE, h=999).exists()  # outside the range
    assert not DesaMonthRollup.objects.filter(desa=tenancy.other_desa, month=AUGUST).exists()
    call_command("attendance_rollup")
    assert stored() == aggregate()


def test_migration_backfills_the_rollup_of_a_database_that_holds_statuses(world):
    expected = stored()
    assert expected == aggregate()
    DesaMonthRollup.objects.all().delete()
    migration = importlib.import_module("attendance.migrations.0008_pull_prefix_month_rollup")
    migration.rollup_backfill(apps, SimpleNamespace(connection=connection))
    assert stored() == expected


def test_recap_page_numbers_are_those_of_the_statuses(client, world, tenancy):
    """The month page's heatmap and trend charts equal what they were when the trend aggregated the statuses."""
    for user in (tenancy.camat, world.admin):
        client.force_login(user)
        response = client.get(reverse("attendance-month"), {"bulan": "2026-08"})
        assert response.status_code == 200
        rows = response.context["rows"]
        months = response.context["heat_months"]
        reference = old_trends(user=user, until=AUGUST)
        assert len(reference) == len(rows)
        expected_heat = charts.heatmap(rows, reference, months)
        assert [(h.desa.pk, [(c.text, c.level, c.title) for c in h.cells]) for h in response.context["heatmap"]] == [
            (h.desa.pk, [(c.text, c.level, c.title) for c in h.cells]) for h in expected_heat
        ]
        expected_charts = views_review._trend_charts(rows, reference, months)
        assert {row.desa.pk: row.chart for row in rows} == expected_charts
        # The trend's last point is the ranking's number of the same month.
        for row in rows:
            assert dict(reference[row.desa.pk])[AUGUST] == row.totals


def test_trends_and_the_recap_page_queries_do_not_grow_with_desa_or_months(client, world, tenancy):
    def page_queries() -> int:
        client.force_login(tenancy.camat)
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(reverse("attendance-month"), {"bulan": "2026-08"})
        assert response.status_code == 200
        return len(ctx.captured_queries)

    def trends_queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            recap.trends(user=tenancy.camat, until=AUGUST)
        return len(ctx.captured_queries)

    page, trend = page_queries(), trends_queries()
    assert trend <= 2
    # Five more desa in the kecamatan, each with a perangkat and statuses over a year (twelve more months).
    for n in range(5):
        desa = DesaFactory(kecamatan=tenancy.kecamatan, kode=f"35.24.13.21{n:02d}", nama=f"Baru {n}")
        person = PerangkatFactory(desa=desa)
        DailyStatus.objects.bulk_create(
            DailyStatus(
                perangkat=person, desa=desa, date=day, status="TL", codes="TL1", late_minutes=5, computed_at=NOW
            )
            for day in days(dt.date(2025, 9, 1), LAST)
            if day.weekday() < 5
        )
    rollup.rebuild()
    assert DesaMonthRollup.objects.filter(desa__kode__startswith="35.24.13.21").count() == 5 * 12
    assert len(recap.trends(user=tenancy.camat, until=AUGUST)) == 2 + 5
    assert (page_queries(), trends_queries()) == (page, trend)


def test_recap_page_flags_still_name_the_silent_and_the_empty_days(world, tenancy):
    """The page's other reads were made cheaper too (a day the machine holds a punch of is skipped before its
    schedule is looked up): the coverage flags still name every working day the machine did not report (no
    pull: 10 June in desa B) and every one it reported without a punch by anyone (8 July everywhere, and the
    days desa B's only perangkat was absent), read here from the statuses themselves."""

    def expected(desa_id: int, month: dt.date) -> tuple[int, str]:
        first, last = recap.month_bounds(month)
        statuses = DailyStatus.objects.filter(desa_id=desa_id, date__range=(first, last)).exclude(status="L")
        working = set(statuses.values_list("date", flat=True))
        arrived = set(
            statuses.filter(Q(arrival_at__isnull=False) | Q(departure_at__isnull=False)).values_list("date", flat=True)
        )
        pulled = set(DeviceDay.objects.filter(device__desa_id=desa_id).values_list("date", flat=True))
        silent = sorted(working - pulled)
        empty = sorted(working & pulled - arrived)
        parts = [
            f"{label} {', '.join(f'{d:%d/%m}' for d in found)}"
            for label, found in (("tidak melapor", silent), ("melapor tanpa absen", empty))
            if found
        ]
        return len(silent) + len(empty), f"Balai: {'; '.join(parts)}"

    for user, month in ((tenancy.camat, JUNE), (world.admin, JULY), (world.admin, AUGUST)):
        found = {
            f.desa.pk: (f.count, f.detail) for f in recap.flags(user=user, month=month) if f.kind == "coverage_gap"
        }
        wanted = {pk: expected(pk, month) for pk in restrict(Desa.objects.all(), user).values_list("pk", flat=True)}
        assert found == {pk: value for pk, value in wanted.items() if value[0]}, month
        if month == JUNE:
            assert "tidak melapor 10/06" in found[tenancy.desa_b.pk][1]
        if month == JULY:
            assert all("melapor tanpa absen 08/07" in detail for _n, detail in found.values())
            assert set(found) == set(world.desa_ids)
