"""Two pulls of one device started at once, on real Celery workers (Redis under CI): each punch is stored
once, and the per-device lease keeps the pulls from overlapping."""

import os
import time

import pytest
from django.db import connection
from django.utils import timezone

from attendance.models import DailyStatus, Punch, StatusDirty, SyncRun
from tests.attendance.conftest import device_set
from tests.workers.conftest import WorkerProcess

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_pulls_at_once_store_each_punch_once(tenancy, emulator, register, broker_kind):
    from workers.celery import app

    handle = emulator(serial="TWICE-1", users=30, records=20_000, record_size=40)
    device = register(handle, tenancy.desa_a)
    queue = f"pull-{os.getpid()}-{time.monotonic_ns()}"
    env = {
        "DJANGO_SETTINGS_MODULE": "tests.settings_worker",
        "PANTAU_TEST_DB_NAME": connection.settings_dict["NAME"],
        "ATTENDANCE_ALLOW_LOOPBACK": "true",
    }  # the emulators listen on 127.0.0.1
    workers = [WorkerProcess(queue, extra_env=env), WorkerProcess(queue + "-b", extra_env=env)]
    app.conf.task_always_eager = False
    try:
        for worker in workers:
            worker.wait_ready()
        results = [
            app.tasks["workers.tasks.device_pull_task"].apply_async(args=[device.pk, "test"], queue=w.queue)
            for w in workers
        ]
        outcomes = sorted(r.get(timeout=120)["outcome"] for r in results)
    finally:
        for worker in workers:
            worker.stop()
        app.conf.task_always_eager = True
    # Either the second pull found the device held and skipped, or it ran after the first and found nothing
    # new; never two overlapping runs, never a punch twice.
    assert outcomes in (["skipped", "success"], ["success", "success"])
    assert Punch.objects.filter(device=device).count() == 20_000
    assert set(Punch.objects.filter(device=device).values_list("pin", "punched_at")) == device_set(handle, device.tz)
    assert sum(SyncRun.objects.filter(device=device).values_list("records_new", flat=True)) == 20_000


def _wait_for_runs(devices, count: int, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = {d.pk: SyncRun.objects.filter(device=d, finished_at__isnull=False).count() for d in devices}
        if all(n >= count for n in done.values()):
            return
        time.sleep(0.3)
    raise AssertionError(f"pulls did not finish: {done}")


def test_beat_dispatch_pulls_every_kind_of_device_on_a_real_worker(tenancy, emulator, register, broker_kind):
    """The beat job on a real worker enqueues one pull per due device; each pull runs there against the
    emulator. Every record size, comm key and UDP store exactly the device's punches; a transfer dropped
    midway and a serial mismatch store nothing; the next round completes the dropped device and adds
    nothing anywhere else."""
    from workers.celery import app

    clean = {
        "size-8": dict(record_size=8),
        "size-16": dict(record_size=16),
        "size-40": dict(record_size=40),
        "size-49": dict(record_size=49),
        "commkey": dict(record_size=40, comm_key=4321),
        "udp": dict(record_size=40, udp=True),
    }
    devices = {}
    for name, options in clean.items():
        handle = emulator(serial=f"W-{name}", users=12, records=400, **options)
        devices[name] = (
            handle,
            register(handle, tenancy.desa_a, udp=options.get("udp", False), comm_key=options.get("comm_key")),
        )
    dropped = emulator(serial="W-drop", users=12, records=3000, record_size=40, faults=["drop-mid-transfer"])
    devices["drop"] = (dropped, register(dropped, tenancy.desa_a))
    impostor = emulator(serial="W-OTHER", users=3, records=50)
    devices["mismatch"] = (impostor, register(impostor, tenancy.desa_a, serial="W-REGISTERED"))
    every = [device for _handle, device in devices.values()]

    queue = f"dispatch-{os.getpid()}-{time.monotonic_ns()}"
    env = {
        "PANTAU_TEST_DB_NAME": connection.settings_dict["NAME"],
        "PANTAU_TEST_QUEUE": queue,
        "ATTENDANCE_ALLOW_LOOPBACK": "true",
    }  # the emulators listen on 127.0.0.1
    worker = WorkerProcess(queue, extra_env=env)
    app.conf.task_always_eager = False
    try:
        worker.wait_ready()
        dispatch = app.tasks["workers.tasks.attendance_dispatch_task"]
        assert dispatch.apply_async(queue=queue).get(timeout=60) == len(every)
        _wait_for_runs(every, 1)
        for name, (handle, device) in devices.items():
            if name in clean:
                assert set(Punch.objects.filter(device=device).values_list("pin", "punched_at")) == device_set(
                    handle, device.tz
                ), name
        assert not Punch.objects.filter(device__in=[devices["drop"][1], devices["mismatch"][1]]).exists()
        assert SyncRun.objects.get(device=devices["mismatch"][1]).outcome == "failed"
        assert SyncRun.objects.get(device=devices["drop"][1]).outcome == "failed"
        # Each successful pull marked its days dirty and enqueued the status recompute on the same worker.
        deadline = time.monotonic() + 60
        while StatusDirty.objects.exists() or not DailyStatus.objects.filter(desa=tenancy.desa_a).exists():
            assert time.monotonic() < deadline, "the worker did not recompute the daily statuses"
            time.sleep(0.3)
        assert DailyStatus.objects.filter(perangkat=tenancy.perangkat_a, date=timezone.localdate()).exists()

        dropped.device.faults.clear()
        type(devices["drop"][1]).objects.filter(pk__in=[d.pk for d in every]).update(next_pull_at=None)
        assert dispatch.apply_async(queue=queue).get(timeout=60) == len(every)
        _wait_for_runs(every, 2)
    finally:
        worker.stop()
        app.conf.task_always_eager = True
    drop_device = devices["drop"][1]
    assert set(Punch.objects.filter(device=drop_device).values_list("pin", "punched_at")) == device_set(
        dropped, drop_device.tz
    )
    for name in clean:
        latest = SyncRun.objects.filter(device=devices[name][1]).latest("started_at")
        assert (latest.outcome, latest.records_new, latest.duplicates) == ("success", 0, 400), name
    assert Punch.objects.filter(device__in=every).count() == 6 * 400 + 3000
