"""A pull from one emulated device on loopback into PostgreSQL, against pyzk 0.9's own get_attendance() on the
same device: 100,000 × 40-byte records with 200 users, then 16-byte records with 2,000 users (10,000 under
``--quick``). The records are verified equal to pyzk's.

(a) A full pull in this process (``device_pull``, as a worker runs it: broker connection and URL resolver
    warm), against pyzk's time. Goal: at least 20× faster.
(b) The same full pull through ``manage.py attendance_pull`` in a subprocess, as an operator runs it. Process
    start (the interpreter, Django set-up, imports) is excluded by timing inside the command: at ``-v 2`` it
    prints how long each device's pull took, measured around ``device_pull`` and so including everything a
    cold process pays on its first pull (database connection, broker connection, lazy imports). Subtracting a
    no-op run of the command instead would leave the noise of two process starts in the figure. Goal: at
    least 20× faster than pyzk.
(c) A second pull that finds nothing new, in this process, against the raw read alone: connect, read the
    sizes and the attendance buffer with pyzk's ``read_with_buffer``, no parse and no database. Goal: at most
    2× that read. The same pull through the command is reported beside it without a goal: a new process pays
    once for the broker client's import and connection (the pull enqueues the status recompute) and for its
    first queries, about 0.2 s whatever the size of the log.

pyzk's O(N²) parse makes its time grow with the square of the records, ours with the records: the ``--quick``
ratios are for a smoke run only. The first pulls are the median of three, each on an emptied database."""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

from zk import ZK
from zk.const import CMD_ATTLOG_RRQ

ROOT = Path(__file__).resolve().parent.parent
FIRST_PULLS = 3
_TOOK = re.compile(r"dalam (\d+,\d+) detik")


def pyzk_get_attendance(port: int) -> tuple[float, list]:
    start = time.perf_counter()
    conn = ZK("127.0.0.1", port=port, timeout=120, ommit_ping=True).connect()
    try:
        records = conn.get_attendance()
    finally:
        conn.disconnect()
    return time.perf_counter() - start, records


def raw_read(port: int) -> None:
    """The least any pull must do: open a session, read the sizes and the attendance buffer, close."""
    conn = ZK("127.0.0.1", port=port, timeout=120, ommit_ping=True).connect()
    try:
        conn.read_sizes()
        conn.read_with_buffer(CMD_ATTLOG_RRQ)
    finally:
        conn.disconnect()


def reset() -> None:
    """Raw punches are never deleted by the portal; the benchmark's own database is emptied wholesale."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE attendance_punch, attendance_syncrun, attendance_historicaldeviceuser, attendance_deviceuser, "
            "attendance_deviceaudit, attendance_historicaldevice, attendance_device RESTART IDENTITY CASCADE"
        )


def fresh_device(serial: str, port: int):
    from attendance.models import Device
    from portal.models import Desa, Kecamatan

    reset()
    kecamatan, _ = Kecamatan.objects.get_or_create(kode="35.24.13", defaults={"nama": "Pucuk", "kabupaten": "Lamongan"})
    desa, _ = Desa.objects.get_or_create(kode="35.24.13.2001", defaults={"nama": "Pucuk", "kecamatan": kecamatan})
    return Device.objects.create(serial_number=serial, desa=desa, name="bench", host="127.0.0.1", port=port)


def command_pull(serial: str) -> float:
    """``manage.py attendance_pull`` in a new process with the production settings; the pull's own seconds."""
    from django.conf import settings

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "DATABASE_URL": os.environ["DATABASE_URL"],
        "REDIS_URL": settings.REDIS_URL,
        "ATTENDANCE_ALLOW_LOOPBACK": "true",
    }
    out = subprocess.run(
        [sys.executable, "manage.py", "attendance_pull", "--device", serial, "-v", "2"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    took = _TOOK.search(out)
    assert took and "gagal" not in out, out
    return float(took.group(1).replace(",", "."))


def first_pulls(serial: str, port: int, pull) -> float:
    """Median of full pulls, each of a new device on an emptied database."""
    times = []
    for _ in range(FIRST_PULLS):
        device = fresh_device(serial, port)
        times.append(pull(device))
    return statistics.median(times)


def run_case(label: str, *, records: int, users: int, record_size: int) -> None:
    from attendance.emulator import start_emulator
    from attendance.models import Device, Punch
    from attendance.services import device_pull
    from bench.common import best_of, report

    serial = f"BENCH-{record_size}"
    handle = start_emulator(serial_number=serial, users=users, records=records, record_size=record_size)
    try:
        theirs_seconds, theirs = pyzk_get_attendance(handle.port)

        def in_process(device) -> float:
            start = time.perf_counter()
            result = device_pull(device_id=device.pk, trigger="bench")
            seconds = time.perf_counter() - start
            assert result.outcome == "success" and result.new == records, result
            return seconds

        ours_seconds = first_pulls(serial, handle.port, in_process)
        device = Device.objects.get(serial_number=serial)
        ours = set(Punch.objects.filter(device=device).values_list("pin", "punched_at"))
        theirs_set = {(str(r.user_id), r.timestamp.replace(tzinfo=device.tz)) for r in theirs}
        assert ours == theirs_set, "pyzk and our pull disagree"

        def again() -> None:
            assert device_pull(device_id=device.pk, trigger="bench").new == 0

        again_seconds = best_of(again)
        raw_seconds = best_of(lambda: raw_read(handle.port))
        command_seconds = first_pulls(serial, handle.port, lambda d: command_pull(serial))
        command_again = statistics.median(command_pull(serial) for _ in range(3))

        print(f"-- {label}: {records} records × {record_size} B, {users} users (records verified equal)")
        report("pyzk 0.9 get_attendance() alone (baseline)", theirs_seconds, theirs_seconds)
        speed = f"{theirs_seconds / ours_seconds:.1f}× faster"
        report("(a) full pull in-process (device_pull)", ours_seconds, theirs_seconds, note=speed, goal=20, faster=True)
        speed = f"{theirs_seconds / command_seconds:.1f}× faster"
        report(
            "(b) full pull, manage.py attendance_pull (start excluded)",
            command_seconds,
            theirs_seconds,
            note=speed,
            goal=20,
            faster=True,
        )
        report("raw buffer read alone, no parse/DB (baseline)", raw_seconds, raw_seconds)
        report("(c) second pull, nothing new, in-process", again_seconds, raw_seconds, goal=2)
        report("second pull, nothing new, manage.py (start excluded)", command_again, raw_seconds)
    finally:
        handle.stop()
        reset()


def run() -> None:
    from django.conf import settings
    from django.urls import reverse

    from bench.common import sized
    from workers.celery import app

    print("== attendance pull vs pyzk 0.9 ==")
    # The pull enqueues the status recompute for a worker (published to the real broker, which is part of the
    # measured work); the recompute itself is not the pull's and is measured in bench_attendance_status.
    app.conf.task_always_eager = False
    app.conf.task_default_queue = "bench-unconsumed"
    # A worker is a long-lived process: its broker connection, kombu's lazy imports and the URL resolver (a
    # nearly full device's alert links to its page) are warm before any pull. The command in (b) is not.
    app.tasks["workers.tasks.ping_task"].apply_async(args=["warm-up"])
    reverse("attendance-device", args=[1])
    records = sized(100_000, 10_000)
    try:
        run_case("40-byte records", records=records, users=200, record_size=40)
        run_case("16-byte records", records=records, users=2_000, record_size=16)
    finally:
        with app.connection_for_write() as conn:
            # The command's processes publish to the default queue of the benchmark's own broker database, and
            # the recompute a pull enqueues goes to its own queue (workers.routes).
            for queue in ("bench-unconsumed", "celery", *settings.WORKER_QUEUES.values()):
                conn.default_channel.queue_purge(queue)
        app.conf.task_always_eager = True
