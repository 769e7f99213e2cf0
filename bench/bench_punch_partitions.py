"""Punches at national scale, in a bench: the same reads at 2 million and at 20 million stored punches.

Indonesia has about 75,000 desa; at 10 perangkat and 4 punches a day that is ≈ 750 million punches a year. What
must not grow with the years stored is what a user meets every day: one desa's month and one day's view of the
whole kabupaten. The punch table is partitioned by month (``attendance.partitions``, migration 0009), and both
reads name a time range, so PostgreSQL touches one or two months whatever else is stored.

A kabupaten of 474 desa (one machine and 10 perangkat each, every PIN linked) first holds ≈ 2 million punches
(the last ~10 months, 2 a working day each); then ~8 more years are added before them, ≈ 20 million in all. At
each size, measured the way a user meets it:
  * one desa's month of raw punches through the API (``/api/v1/attendance/punches/?desa=&date_from=&date_to=``,
    count and first page), logged in as the kabupaten admin;
  * one day's kabupaten view of raw punches, the page ``/absensi/absen/?tanggal=`` (count and first page);
  * the worker's recompute of one desa's month (``statuses_recompute``, which reads that month's punches).
The figures at 20M are ratios against the same figures at 2M, measured in the same run; the goal is "the same
time" (≤ 1.3×, the noise of a shared 2-core machine). For contrast, the day's count through a date cast (how the
page asked before) against the page at the same size. ``--quick``: 24 desa (≈ 100k, then ≈ 1M punches)."""

from __future__ import annotations

import datetime as dt
import time

from django.db import connection

from bench.common import best_of, report, sized

PERANGKAT = 10
ADMIN = "bench-partitions-admin"
TABLES = (
    "attendance_dailystatus, attendance_statusdirty, attendance_deviceday, attendance_punch, attendance_syncrun, "
    "attendance_deviceaudit, attendance_historicaldeviceuser, attendance_deviceuser, attendance_historicaldevice, "
    "attendance_device, attendance_scheduleday, attendance_historicalworkschedule, attendance_workschedule, "
    "attendance_desamonthrollup, portal_historicalperangkat, portal_perangkat, portal_user, portal_historicaldesa, "
    "portal_desa, portal_historicalkecamatan, portal_kecamatan"
)


def reset() -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {TABLES} RESTART IDENTITY CASCADE")


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def months_back(month: dt.date, n: int) -> dt.date:
    for _ in range(n):
        month = month_start(month - dt.timedelta(days=1))
    return month


def build(desa_count: int):
    from attendance.models import Device, DeviceUser, ScheduleDay, WorkSchedule
    from portal.choices import Role
    from portal.models import Desa, Kecamatan, Perangkat, User

    admin = User.objects.create(username=ADMIN, role=Role.ADMIN, is_superuser=True, is_staff=True)
    kec_count = max(1, desa_count // 17)
    kecamatan = Kecamatan.objects.bulk_create(
        [Kecamatan(kode=f"35.24.{k + 1:02d}", nama=f"Kec {k + 1}", kabupaten="Lamongan") for k in range(kec_count)]
    )
    desa = Desa.objects.bulk_create(
        [
            Desa(
                kode=f"{kecamatan[i % kec_count].kode}.{2001 + i // kec_count:04d}",
                nama=f"Desa {i + 1}",
                kecamatan=kecamatan[i % kec_count],
            )
            for i in range(desa_count)
        ]
    )
    perangkat = Perangkat.objects.bulk_create(
        [Perangkat(desa=d, nama=f"Perangkat {d.kode} {j + 1}", jabatan="staf") for d in desa for j in range(PERANGKAT)],
        batch_size=2000,
    )
    devices = Device.objects.bulk_create(
        [
            Device(
                serial_number=f"NAT{d.pk:06d}", desa=d, name=f"Kantor {d.nama}", host=f"10.9.{i // 250}.{i % 250 + 1}"
            )
            for i, d in enumerate(desa)
        ]
    )
    device_of = {dev.desa_id: dev for dev in devices}
    pins: dict[int, int] = {}
    links = []
    for p in perangkat:
        dev = device_of[p.desa_id]
        pins[dev.pk] = pins.get(dev.pk, 0) + 1
        links.append(DeviceUser(device=dev, pin=str(pins[dev.pk]), name=p.nama[:24], perangkat=p))
    DeviceUser.objects.bulk_create(links, batch_size=2000)
    schedules = WorkSchedule.objects.bulk_create([WorkSchedule(kecamatan=k, name="Jam kerja") for k in kecamatan])
    ScheduleDay.objects.bulk_create(
        [
            ScheduleDay(schedule=s, weekday=wd, start=dt.time(7, 30), end=dt.time(16, 30 if wd == 4 else 0))
            for s in schedules
            for wd in range(5)
        ]
    )
    return admin, desa


def load(first: dt.date, end: dt.date) -> int:
    """Two punches per perangkat per weekday from ``first`` to before ``end``, generated in the database (a
    Python COPY of 18 million lines would measure Python): arrivals 07:00–07:59, departures 16:00–16:59,
    spread by device, PIN and day. One month per statement, in time order, as pulls store them."""
    from attendance.partitions import punch_partitions_ensure

    punch_partitions_ensure(first=first, last=end)
    inserted, month = 0, first
    with connection.cursor() as cursor:
        while month < end:
            nxt = min(month_start(month + dt.timedelta(days=32)), end)
            cursor.execute(
                "INSERT INTO attendance_punch (device_id, pin, punched_at, verify_mode, punch_state, work_code, "
                "source, received_at) "
                "SELECT du.device_id, du.pin, (day + make_interval(hours => h, secs => "
                "((du.device_id * 37 + du.pin::int * 101 + extract(doy FROM day)::int * 13) %% 3600)))"
                " AT TIME ZONE 'Asia/Jakarta', 1, s, 0, 'pull', now() "
                "FROM attendance_deviceuser du, generate_series(%s::timestamp, %s::timestamp - interval '1 day', "
                "interval '1 day') AS day, (VALUES (7, 0), (16, 1)) AS t(h, s) "
                "WHERE extract(isodow FROM day) < 6 ORDER BY day, h",
                [month, nxt],
            )
            inserted += cursor.rowcount
            month = nxt
        cursor.execute("ANALYZE attendance_punch")
    return inserted


def figures(client, admin, one_desa, month: dt.date, day: dt.date) -> dict[str, float]:
    from attendance.daily import statuses_recompute

    last = month_start(month + dt.timedelta(days=32)) - dt.timedelta(days=1)
    api = f"/api/v1/attendance/punches/?desa={one_desa.kode}&date_from={month}&date_to={last}"
    page = f"/absensi/absen/?tanggal={day:%d/%m/%Y}"
    for path in (api, page):
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
    count = client.get(api).json()["count"]
    assert count > 0, "the desa's month has no punches"
    from attendance.models import Punch

    cast = Punch.objects.filter(punched_at__date=day)  # what the page asked before: a date cast of every punch
    return {
        "cast": best_of(lambda: cast.count(), repeat=3),
        "api": best_of(lambda: client.get(api), repeat=7),
        "page": best_of(lambda: client.get(page), repeat=7),
        "recompute": best_of(
            lambda: statuses_recompute(desa_ids=[one_desa.pk], date_from=month, date_to=last), repeat=5
        ),
        "count": count,
    }


def run() -> None:
    from django.test import Client

    from portal.calendar import holidays_sync

    desa_count = sized(474, 24)
    print(f"== punches at national scale: the same reads at 2M and 20M punches ({desa_count} desa) ==")
    reset()
    today = dt.date.today()
    this_month = month_start(today)
    recent_first = months_back(this_month, 10)  # ≈ 2M punches at 474 desa
    old_first = months_back(recent_first, 96)  # 8 more years: ≈ 20M in all
    holidays_sync(years=range(old_first.year, today.year + 1))
    admin, desa = build(desa_count)
    start = time.perf_counter()
    small = load(recent_first, this_month)
    load_small = time.perf_counter() - start
    client = Client()
    client.force_login(admin)
    read_month = months_back(this_month, 2)
    read_day = read_month + dt.timedelta(days=(7 - read_month.weekday()) % 7 + 1)  # a Tuesday
    one = desa[len(desa) // 2]
    at_small = figures(client, admin, one, read_month, read_day)

    start = time.perf_counter()
    large = small + load(old_first, recent_first)
    load_large = time.perf_counter() - start
    at_large = figures(client, admin, one, read_month, read_day)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_inherits WHERE inhparent = 'attendance_punch'::regclass",
        )
        (parts,) = cursor.fetchone()
    assert at_large["count"] == at_small["count"], "the desa's month changed when older years were added"
    print(
        f"-- {small:,} punches loaded in {load_small:.0f} s, then {large:,} in all (+{load_large:.0f} s); "
        f"{parts} partitions; the desa's month ({read_month:%m/%Y}) holds {at_small['count']:,} punches; the day is "
        f"{read_day:%d/%m/%Y}"
    )
    labels = {
        "api": "API, one desa's month of punches",
        "page": "page, one day's kabupaten punches",
        "recompute": "worker, recompute one desa's month",
    }
    for key, label in labels.items():
        report(f"{label} at {small / 1e6:.1f}M (base)", at_small[key], at_small[key])
        report(f"{label} at {large / 1e6:.1f}M", at_large[key], at_small[key], goal=1.3)
    # For contrast, no goal: the day's punches counted through a date cast (the page's query before 0009),
    # against the page's own figure at the same size.
    report(f"one day by date cast (the old query) at {small / 1e6:.1f}M", at_small["cast"], at_small["page"])
    report(f"one day by date cast (the old query) at {large / 1e6:.1f}M", at_large["cast"], at_large["page"])
    reset()
