"""Daily attendance statuses at kabupaten scale on PostgreSQL: 474 desa in 27 kecamatan, ~4,500 perangkat each
linked to a PIN on their desa's machine, a year (2025) of punches (~2 million rows, loaded with COPY), every
day of the year covered by DeviceDay, the national calendar, a base schedule and Ramadan hours per kecamatan,
and a sprinkling of approved leave.

Figures, all as ratios against the baseline — one SQL aggregate (first/last punch per device, PIN and local
day) over the same month's punches, measured in this run:
  * one day for everyone (``statuses_recompute`` over every desa for one date);
  * a whole month for everyone, first and second (idempotent) rebuild, and ``statuses_rebuild`` of the month
    (which adds the DeviceDay backfill);
  * the incremental path: one closed day marked dirty for every desa, then ``status_dirty_process``;
  * the Camat's reads for the month, on a status table holding a year: ``recap.desa_month`` (kabupaten
    ranking), ``recap.desa_grid`` (one desa), ``recap.flags``, ``recap.trends`` (12 months from the monthly
    rollup), and the recap API and pages when their URLs exist (server time through the test client, logged in
    as a portal admin).

``BENCH_SCALE`` (default 1; 0.05 under ``--quick`` unless set) shrinks the kabupaten for quick development runs.
Goals for the recompute (issue "Performance II"): a month's first rebuild at most 5× the aggregate, a rebuild that
changes nothing at most 2×."""

from __future__ import annotations

import datetime as dt
import os
import random
import time
import zoneinfo
from contextlib import contextmanager

from django.db import connection
from django.test.utils import CaptureQueriesContext

YEAR = 2025
MONTH = dt.date(YEAR, 8, 1)  # the month rebuilt and read
ONE_DAY_DATE = dt.date(YEAR, 7, 15)  # a Tuesday in another month (so the August rebuild starts from empty)
DIRTY_DATE = dt.date(YEAR, 9, 10)  # a Wednesday, for the incremental path
RAMADAN = (dt.date(YEAR, 3, 1), dt.date(YEAR, 3, 30))
DESA = 474
KECAMATAN = 27
SEED = 20250817
ZONE = zoneinfo.ZoneInfo("Asia/Jakarta")
ADMIN = "bench-status-admin"

TABLES = (
    "attendance_dailystatus, attendance_statusdirty, attendance_deviceday, attendance_punch, attendance_syncrun, "
    "attendance_deviceaudit, attendance_historicaldeviceuser, attendance_deviceuser, attendance_historicaldevice, "
    "attendance_device, attendance_historicalleave, attendance_leave, attendance_scheduleday, "
    "attendance_historicalworkschedule, attendance_workschedule, attendance_reviewnote, "
    "attendance_attendancewarning, portal_historicalperangkat, portal_perangkat, portal_user, "
    "portal_historicaldesa, portal_desa, portal_historicalkecamatan, portal_kecamatan"
)


def scale() -> float:
    from bench.common import quick

    return float(os.environ.get("BENCH_SCALE", "0.05" if quick() else "1"))


def reset() -> None:
    """Raw punches refuse DELETE (0003_punch_guards): everything this benchmark made is emptied wholesale.
    National holidays (portal_harilibur) go with the kecamatan (CASCADE) and are synced again by the next run."""
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {TABLES} RESTART IDENTITY CASCADE")


@contextmanager
def count_queries():
    """Cheap query counter for the heavy writes (CaptureQueriesContext would keep every 2,000-row INSERT)."""
    counter = {"n": 0}

    def wrapper(execute, sql, params, many, context):
        counter["n"] += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        yield counter


def timed(fn) -> tuple[float, int, object]:
    with count_queries() as q:
        start = time.perf_counter()
        result = fn()
        elapsed = time.perf_counter() - start
    return elapsed, q["n"], result


# Data ----------------------------------------------------------------------------------------------------

JABATAN_ORDER = [
    "kepala_desa",
    "sekretaris_desa",
    "kaur_tu_umum",
    "kaur_keuangan",
    "kaur_perencanaan",
    "kasi_pemerintahan",
    "kasi_kesejahteraan",
    "kasi_pelayanan",
    "kepala_dusun",
    "kepala_dusun",
    "staf",
]


def _copy(sql: str, lines) -> None:
    """COPY ``lines`` (an iterable of text chunks) into the database through psycopg's own cursor."""
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for chunk in lines:
            copy.write(chunk)


def build(rng: random.Random) -> dict:
    from django.db import transaction

    from attendance.models import Device, DeviceUser, Leave, ScheduleDay, WorkSchedule
    from portal.calendar import holidays_sync, package_holidays
    from portal.choices import Role
    from portal.models import Desa, Kecamatan, Perangkat, User

    desa_count = max(1, round(DESA * scale()))
    kec_count = max(1, round(KECAMATAN * scale()))
    holidays_sync(years=[YEAR])
    holidays = set(package_holidays(YEAR))
    admin = User.objects.create(username=ADMIN, role=Role.ADMIN, is_superuser=True, is_staff=True)

    with transaction.atomic():
        kecamatan = Kecamatan.objects.bulk_create(
            [Kecamatan(kode=f"35.24.{k + 1:02d}", nama=f"Kec {k + 1}", kabupaten="Lamongan") for k in range(kec_count)]
        )
        desa, per_kecamatan = [], [0] * kec_count
        for i in range(desa_count):  # 474 over 27: 17 or 18 desa each
            k = i * kec_count // desa_count
            per_kecamatan[k] += 1
            kode = f"{kecamatan[k].kode}.{2000 + per_kecamatan[k]:04d}"
            desa.append(Desa(kode=kode, nama=f"Desa {i + 1}", kecamatan=kecamatan[k]))
        desa = Desa.objects.bulk_create(desa)
        perangkat = []
        for d in desa:
            for j in range(rng.choice((9, 9, 10, 10, 10))):
                perangkat.append(
                    Perangkat(
                        desa=d,
                        nama=f"Perangkat {d.kode} {j + 1}",
                        jabatan=JABATAN_ORDER[min(j, len(JABATAN_ORDER) - 1)],
                    )
                )
        perangkat = Perangkat.objects.bulk_create(perangkat, batch_size=2000)
        last_pull = dt.datetime(YEAR + 1, 1, 1, tzinfo=ZONE)
        devices = Device.objects.bulk_create(
            [
                Device(
                    serial_number=f"BST{d.pk:06d}",
                    desa=d,
                    name=f"Kantor {d.nama}",
                    host=f"10.24.{i // 250}.{i % 250 + 1}",
                    last_success_at=last_pull,
                    last_contact_at=last_pull,
                )
                for i, d in enumerate(desa)
            ]
        )
        device_of = {dev.desa_id: dev for dev in devices}
        members: dict[int, list[tuple[str, int]]] = {}  # device id -> [(pin, perangkat id)]
        device_users = []
        for p in perangkat:
            dev = device_of[p.desa_id]
            pin = str(len(members.setdefault(dev.pk, [])) + 1)
            members[dev.pk].append((pin, p.pk))
            device_users.append(DeviceUser(device=dev, pin=pin, name=p.nama[:24], perangkat=p, linked_at=last_pull))
        DeviceUser.objects.bulk_create(device_users, batch_size=2000)
        # Each kecamatan's SOP: five days 07:30–16:00 (Friday 16:30), and Ramadan hours 08:00–15:00 (15:30).
        schedules = []
        for kec in kecamatan:
            schedules.append(WorkSchedule(kecamatan=kec, name="Jam kerja", tolerance_minutes=0))
            schedules.append(WorkSchedule(kecamatan=kec, name="Ramadan", valid_from=RAMADAN[0], valid_to=RAMADAN[1]))
        schedules = WorkSchedule.objects.bulk_create(schedules)
        days = []
        for s in schedules:
            ramadan = s.valid_from is not None
            for wd in range(5):
                start = dt.time(8, 0) if ramadan else dt.time(7, 30)
                end = dt.time(15, 30 if wd == 4 else 0) if ramadan else dt.time(16, 30 if wd == 4 else 0)
                days.append(ScheduleDay(schedule=s, weekday=wd, start=start, end=end))
        ScheduleDay.objects.bulk_create(days)

        # DeviceDay: every device reported every day of the year (evidence: a pull at 00:10 the next day, and
        # punches on weekdays).
        year_days = [dt.date(YEAR, 1, 1) + dt.timedelta(days=i) for i in range(365)]
        _copy(
            "COPY attendance_deviceday (device_id, date, punched, pulled_at) FROM STDIN",
            (
                "".join(
                    f"{dev.pk}\t{day.isoformat()}\t{'t' if day.weekday() < 5 else 'f'}\t"
                    f"{day + dt.timedelta(days=1)} 00:10:00+07\n"
                    for day in year_days
                )
                for dev in devices
            ),
        )

        # Leave: now and then a perangkat is away 1–3 working days with an approved I/S/C/DL.
        working = [d for d in year_days if d.weekday() < 5 and d not in holidays]
        leave_rows, away = [], set()
        for p in perangkat:
            for i in range(len(working)):
                if rng.random() < 0.006:
                    span = working[i : i + rng.randint(1, 3)]
                    kind = rng.choice(("I", "S", "S", "C", "DL"))
                    leave_rows.append(
                        Leave(
                            perangkat=p,
                            kind=kind,
                            date_from=span[0],
                            date_to=span[-1],
                            state=Leave.State.APPROVED,
                            requested_by=admin,
                            decided_by=admin,
                            decided_at=last_pull,
                        )
                    )
                    away.update((p.pk, d) for d in span)
        Leave.objects.bulk_create(leave_rows, batch_size=2000)

        punches = _load_punches(rng, devices, members, working, away)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {
        "admin": admin,
        "desa": desa,
        "perangkat": len(perangkat),
        "punches": punches,
        "leave": len(leave_rows),
    }


def _load_punches(rng, devices, members, working, away) -> int:
    """Two punches per working day per perangkat, in time order across the kabupaten (as pulls store them):
    arrivals around 07:18 with a personal habit, some late; departures around 16:12, some early; a few absent
    days, a few forgotten punches, now and then a double tap. Leave days have none."""
    gauss, random_ = rng.gauss, rng.random
    people = [
        (dev.pk, pin, pid, rng.gauss(-12, 6), rng.uniform(0.01, 0.06))
        for dev in devices
        for pin, pid in members[dev.pk]
    ]
    ramadan_lo, ramadan_hi = RAMADAN
    tail = f"\tpull\t{YEAR + 1}-01-01 00:00:00+07\n"  # source, received_at (Django-side defaults)
    count = 0

    def chunks():
        nonlocal count
        for day in working:
            ramadan = ramadan_lo <= day <= ramadan_hi
            arrive_at = (8 * 60 if ramadan else 7 * 60 + 30) * 60
            leave_at = ((15 if ramadan else 16) * 60 + (30 if day.weekday() == 4 else 0)) * 60
            prefix = day.isoformat() + " "
            out = []
            append = out.append
            for device_id, pin, pid, habit, absent_p in people:
                if (pid, day) in away or random_() < absent_p:
                    continue
                r = random_()
                head = f"{device_id}\t{pin}\t{prefix}"
                if r > 0.015:  # arrival (1.5 % forget it)
                    s = int(arrive_at + 60 * (habit + gauss(0, 6)))
                    if random_() < 0.03:
                        s += int(60 * rng.expovariate(1 / 45))  # a properly late morning
                    append(f"{head}{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}+07\t1\t0\t0{tail}")
                    if random_() < 0.02:  # double tap
                        s += rng.randint(3, 40)
                        append(f"{head}{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}+07\t1\t0\t0{tail}")
                if not 0.015 < r <= 0.03:  # departure (another 1.5 % forget it)
                    s = int(leave_at + 60 * (12 + gauss(0, 7)))
                    if random_() < 0.03:
                        s -= int(60 * rng.expovariate(1 / 60))  # leaving early
                    append(f"{head}{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}+07\t1\t1\t0{tail}")
            count += len(out)
            yield "".join(out)

    _copy(
        "COPY attendance_punch (device_id, pin, punched_at, verify_mode, punch_state, work_code, source, received_at) "
        "FROM STDIN",
        chunks(),
    )
    return count


# Measurements --------------------------------------------------------------------------------------------


def month_range(month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    nxt = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return dt.datetime.combine(month, dt.time(0), tzinfo=ZONE), dt.datetime.combine(nxt, dt.time(0), tzinfo=ZONE)


def baseline_aggregate(month: dt.date) -> int:
    start, end = month_range(month)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT device_id, pin, (punched_at AT TIME ZONE 'Asia/Jakarta')::date, min(punched_at), max(punched_at) "
            "FROM attendance_punch WHERE punched_at >= %s AND punched_at < %s GROUP BY 1, 2, 3",
            [start, end],
        )
        return len(cursor.fetchall())


def fill_year(month: dt.date) -> int:
    """Give the status table a year of rows before the reads (as in production), cheaply: copies of the
    rebuilt month shifted by whole multiples of four weeks (weekdays kept), never over a computed row. Not
    measured; the reads only aggregate them."""
    first, last = month_range(month)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO attendance_dailystatus (perangkat_id, desa_id, date, status, codes, arrival_at, departure_at, "
            "late_minutes, early_minutes, missing_in_minutes, missing_out_minutes, corrected, computed_at) "
            "SELECT perangkat_id, desa_id, date + 28 * k, status, codes, arrival_at + make_interval(days => 28 * k), "
            "departure_at + make_interval(days => 28 * k), late_minutes, early_minutes, missing_in_minutes, "
            "missing_out_minutes, corrected, computed_at "
            "FROM attendance_dailystatus, generate_series(-8, 5) AS k "
            "WHERE k <> 0 AND date BETWEEN %s AND %s AND date + 28 * k BETWEEN %s AND %s "
            "ON CONFLICT (perangkat_id, date) DO NOTHING",
            [first.date(), last.date() - dt.timedelta(days=1), dt.date(YEAR, 1, 1), dt.date(YEAR, 12, 31)],
        )
        inserted = cursor.rowcount
        cursor.execute("ANALYZE attendance_dailystatus")
    return inserted


def view_figures(fn) -> tuple[float, int]:
    from bench.common import best_of

    with CaptureQueriesContext(connection) as ctx:
        fn()
    return best_of(fn, repeat=5), len(ctx.captured_queries)


def url_figures(client, path: str) -> tuple[float, int] | str:
    """Server time and queries of a page or API URL, or why it cannot be measured (not there yet)."""
    from django.urls import NoReverseMatch, Resolver404, resolve

    from bench.common import best_of

    try:
        resolve(path.split("?")[0])
    except (Resolver404, NoReverseMatch):
        return "not available"
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path)
    queries = len(ctx.captured_queries)  # read now: every request_started signal resets the query log
    if response.status_code == 404:
        return "not available (404)"
    if response.status_code != 200:
        return f"failed: HTTP {response.status_code}"
    return best_of(lambda: client.get(path), repeat=5), queries


def run() -> None:
    from django.db.models import Count
    from django.test import Client

    from attendance import recap
    from attendance.daily import status_dirty_process, statuses_rebuild, statuses_recompute
    from attendance.models import DailyStatus, StatusDirty
    from bench.common import best_of, report

    print(f"== attendance daily statuses, kabupaten {YEAR} (scale {scale():g}) ==")
    reset()
    start = time.perf_counter()
    data = build(random.Random(SEED))
    build_seconds = time.perf_counter() - start
    admin, desa = data["admin"], data["desa"]
    desa_ids = [d.pk for d in desa]
    print(
        f"-- {len(desa)} desa, {data['perangkat']} perangkat, {data['punches']:,} punches, {data['leave']} leave; "
        f"built in {build_seconds:.1f} s"
    )
    month_first, month_last = recap.month_bounds(MONTH)

    base = best_of(lambda: baseline_aggregate(MONTH), repeat=5)
    groups = baseline_aggregate(MONTH)

    day_seconds = best_of(
        lambda: statuses_recompute(desa_ids=desa_ids, date_from=ONE_DAY_DATE, date_to=ONE_DAY_DATE), repeat=3
    )
    _s, day_q, day_rows = timed(
        lambda: statuses_recompute(desa_ids=desa_ids, date_from=ONE_DAY_DATE, date_to=ONE_DAY_DATE)
    )

    first_s, first_q, first_rows = timed(
        lambda: statuses_recompute(desa_ids=desa_ids, date_from=month_first, date_to=month_last)
    )
    snapshot = sorted(
        DailyStatus.objects.filter(date__range=(month_first, month_last)).values_list(
            "perangkat_id", "date", "status", "codes", "arrival_at", "departure_at", "late_minutes", "early_minutes"
        )
    )
    second_s, second_q, second_rows = timed(
        lambda: statuses_recompute(desa_ids=desa_ids, date_from=month_first, date_to=month_last)
    )
    again = sorted(
        DailyStatus.objects.filter(date__range=(month_first, month_last)).values_list(
            "perangkat_id", "date", "status", "codes", "arrival_at", "departure_at", "late_minutes", "early_minutes"
        )
    )
    # statuses_recompute returns how many statuses changed: all of them the first time, none the second.
    assert first_rows == len(snapshot) and second_rows == 0 and snapshot == again, "the rebuild is not idempotent"
    rebuild_s, rebuild_q, _ = timed(
        lambda: statuses_rebuild(date_from=month_first, date_to=month_last, desa_ids=desa_ids)
    )

    StatusDirty.objects.bulk_create([StatusDirty(desa_id=pk, date=DIRTY_DATE) for pk in desa_ids])
    dirty_s, dirty_q, dirty_pairs = timed(status_dirty_process)
    assert dirty_pairs == len(desa_ids) and not StatusDirty.objects.exists()

    mix = dict(
        DailyStatus.objects.filter(date__range=(month_first, month_last))
        .values("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    start = time.perf_counter()
    filled = fill_year(MONTH)
    print(f"-- status table filled to a year for the reads: +{filled:,} rows in {time.perf_counter() - start:.1f} s")
    from attendance import rollup

    # fill_year wrote statuses by raw SQL, past the recompute that keeps the monthly rollup: sum it again.
    start = time.perf_counter()
    rollup_rows = rollup.rebuild()
    print(f"-- monthly rollup rebuilt: {rollup_rows:,} (desa, month) rows in {time.perf_counter() - start:.1f} s")
    # The reads below are what a Camat meets on a running server, where autovacuum has long since set the
    # visibility map and statistics of a year of statuses; straight after the bulk writes above they are not,
    # and every read pays heap fetches for it (the recap page ran ≈ 2× slower). Settle the tables first.
    from django.db import connection

    with connection.cursor() as cursor:
        for table in (
            "attendance_dailystatus",
            "attendance_desamonthrollup",
            "attendance_punch",
            "attendance_deviceday",
        ):
            cursor.execute(f"VACUUM (ANALYZE) {table}")

    board = recap.desa_month(user=admin, month=MONTH)
    assert len(board) == len(desa) and board[0].totals.hari_kerja > 0
    # The ranking and the trend read the rollup: it must be the month's statuses, summed here directly.
    summed = {
        row["desa_id"]: recap._totals(row).counted(recap.DEFAULT_POLICY)
        for row in DailyStatus.objects.filter(date__range=(month_first, month_last))
        .values("desa_id")
        .annotate(**recap._aggregates())
        .order_by()
    }
    assert all(row.totals == summed[row.desa.pk] for row in board), "the ranking is not the statuses"
    series = recap.trends(user=admin, months=12, until=MONTH)
    assert all(dict(series[row.desa.pk])[MONTH] == row.totals for row in board), "the rollup is not the statuses"
    trends_view = view_figures(lambda: recap.trends(user=admin, months=12, until=MONTH))
    month_view = view_figures(lambda: recap.desa_month(user=admin, month=MONTH))
    one = desa[len(desa) // 2]
    grid = recap.desa_grid(user=admin, desa=one, month=MONTH)
    assert grid.rows and grid.totals.hari_kerja > 0
    grid_view = view_figures(lambda: recap.desa_grid(user=admin, desa=one, month=MONTH))
    flags_view = view_figures(lambda: recap.flags(user=admin, month=MONTH))

    client = Client()
    client.force_login(admin)
    urls = [
        ("API /api/v1/attendance/recap/?month=", f"/api/v1/attendance/recap/?month={MONTH:%Y-%m}"),
        (
            "API /api/v1/attendance/recap/?month=&desa=",
            f"/api/v1/attendance/recap/?month={MONTH:%Y-%m}&desa={one.kode}",
        ),
        ("page /absensi/rekap/?bulan= (kabupaten)", f"/absensi/rekap/?bulan={MONTH:%Y-%m}"),
        ("page /absensi/rekap/<kode>/?bulan= (one desa)", f"/absensi/rekap/{one.kode}/?bulan={MONTH:%Y-%m}"),
    ]
    pages = [(label, url_figures(client, path)) for label, path in urls]

    statuses = ", ".join(f"{k} {v}" for k, v in sorted(mix.items(), key=lambda kv: -kv[1]))
    print(f"-- {MONTH:%B %Y}: {groups:,} (device, PIN, day) groups; statuses: {statuses}")
    report(f"one SQL aggregate over {MONTH:%b %Y} punches (baseline)", base, base)
    report(
        f"one day, every desa ({ONE_DAY_DATE:%d %b})",
        day_seconds,
        base,
        note=f"{len(desa_ids)} desa, {day_q} queries (repeat runs find {day_rows} changes)",
    )
    report(
        "whole month, every desa: first rebuild",
        first_s,
        base,
        note=f"{first_rows} statuses written, {first_q} queries",
        goal=5,
    )
    report(
        "whole month, every desa: second rebuild (no change)",
        second_s,
        base,
        note=f"{second_rows} written, {second_q} queries",
        goal=2,
    )
    report("statuses_rebuild of the month (+ DeviceDay backfill)", rebuild_s, base, note=f"{rebuild_q} queries")
    report(
        f"status_dirty_process: {dirty_pairs} dirty (desa, day) pairs",
        dirty_s,
        base,
        note=f"{dirty_q} queries",
    )
    report(
        f"recap.desa_month, kabupaten ({len(desa)} desa)",
        month_view[0],
        base,
        note=f"{month_view[1]} queries",
    )
    report(
        f"recap.desa_grid, one desa ({len(grid.rows)} perangkat)", grid_view[0], base, note=f"{grid_view[1]} queries"
    )
    report("recap.flags, kabupaten month", flags_view[0], base, note=f"{flags_view[1]} queries")
    report(
        f"recap.trends, 12 months from the rollup ({len(desa)} desa)",
        trends_view[0],
        base,
        note=f"{trends_view[1]} queries",
    )
    for label, figures in pages:
        if isinstance(figures, str):
            print(f"{label:<58} {figures}")
        else:
            # The kabupaten page's target is server time (0.3 s at 474 desa), not a ratio to the punch aggregate.
            target = "; target 0.3 s at 474 desa" if "kabupaten" in label else ""
            report(label, figures[0], base, note=f"{figures[1]} queries, {figures[0]:.3f} s server time{target}")
            if "kabupaten" in label:
                # The same figure against its target, so the summary table judges it.
                report(f"{label} against 0.3 s", figures[0], 0.3, note="server time (target at 474 desa)", goal=1)
    reset()
