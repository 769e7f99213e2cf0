"""A pull from one emulated device on loopback into PostgreSQL, against pyzk 0.9's own get_attendance() on
the same device: (1) pyzk's time, (2) our full pull (transport + our parser + insert), (3) their ratio,
(4) a second pull that finds nothing new. 100,000 × 40-byte records with 200 users, then 16-byte records
with 2,000 users. The records are verified equal."""

from __future__ import annotations

import time

from zk import ZK


def pyzk_get_attendance(port: int) -> tuple[float, list]:
    start = time.perf_counter()
    conn = ZK("127.0.0.1", port=port, timeout=120, ommit_ping=True).connect()
    try:
        records = conn.get_attendance()
    finally:
        conn.disconnect()
    return time.perf_counter() - start, records


def reset() -> None:
    """Raw punches are never deleted by the portal; the benchmark's own database is emptied wholesale."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE attendance_punch, attendance_syncrun, attendance_historicaldeviceuser, attendance_deviceuser, "
            "attendance_deviceaudit, attendance_historicaldevice, attendance_device RESTART IDENTITY CASCADE"
        )


def run_case(label: str, *, records: int, users: int, record_size: int) -> None:
    from attendance.emulator import start_emulator
    from attendance.models import Device, Punch
    from attendance.services import device_pull
    from bench.common import report
    from portal.models import Desa, Kecamatan

    kecamatan, _ = Kecamatan.objects.get_or_create(kode="35.24.13", defaults={"nama": "Pucuk", "kabupaten": "Lamongan"})
    desa, _ = Desa.objects.get_or_create(kode="35.24.13.2001", defaults={"nama": "Pucuk", "kecamatan": kecamatan})
    handle = start_emulator(serial_number=f"BENCH-{record_size}", users=users, records=records, record_size=record_size)
    try:
        reset()
        device = Device.objects.create(
            serial_number=f"BENCH-{record_size}", desa=desa, name="bench", host="127.0.0.1", port=handle.port
        )
        theirs_seconds, theirs = pyzk_get_attendance(handle.port)
        start = time.perf_counter()
        first = device_pull(device_id=device.pk, trigger="bench")
        ours_seconds = time.perf_counter() - start
        start = time.perf_counter()
        second = device_pull(device_id=device.pk, trigger="bench")
        again_seconds = time.perf_counter() - start
        assert first.outcome == "success" and first.new == records, first
        assert second.new == 0
        ours = set(Punch.objects.filter(device=device).values_list("pin", "punched_at"))
        theirs_set = {(str(r.user_id), r.timestamp.replace(tzinfo=device.tz)) for r in theirs}
        assert ours == theirs_set, "pyzk and our pull disagree"
        print(f"-- {label}: {records} records × {record_size} B, {users} users (records verified equal)")
        report("pyzk 0.9 get_attendance() alone (baseline)", theirs_seconds, theirs_seconds)
        report(
            "our full pull into PostgreSQL",
            ours_seconds,
            theirs_seconds,
            note=f"{theirs_seconds / ours_seconds:.1f}× faster",
        )
        report("second pull, nothing new", again_seconds, theirs_seconds)
    finally:
        handle.stop()
        reset()


def run() -> None:
    from workers.celery import app

    print("== attendance pull vs pyzk 0.9 ==")
    # The pull enqueues the status recompute for a worker (published to the real broker, which is part of the
    # measured work); the recompute itself is not the pull's and is measured in bench_attendance_status.
    app.conf.task_always_eager = False
    app.conf.task_default_queue = "bench-unconsumed"
    # A worker is a long-lived process: its broker connection and kombu's lazy imports are warm before any pull.
    app.tasks["workers.tasks.ping_task"].apply_async(args=["warm-up"])
    try:
        run_case("40-byte records", records=100_000, users=200, record_size=40)
        run_case("16-byte records", records=100_000, users=2_000, record_size=16)
    finally:
        with app.connection_for_write() as conn:
            conn.default_channel.queue_purge("bench-unconsumed")
        app.conf.task_always_eager = True
