"""Two pulls of one device started at once, on real Celery workers (Redis under CI): each punch is stored
once, and the per-device lease keeps the pulls from overlapping."""

import os
import time

import pytest
from django.db import connection

from attendance.models import Punch, SyncRun
from tests.attendance.conftest import device_set
from tests.workers.conftest import WorkerProcess

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_pulls_at_once_store_each_punch_once(tenancy, emulator, register, broker_kind):
    from workers.celery import app

    handle = emulator(serial="TWICE-1", users=30, records=20_000, record_size=40)
    device = register(handle, tenancy.desa_a)
    queue = f"pull-{os.getpid()}-{time.monotonic_ns()}"
    env = {"DJANGO_SETTINGS_MODULE": "tests.settings_worker", "PANTAU_TEST_DB_NAME": connection.settings_dict["NAME"]}
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
