"""Monev II at province scale (7,720 desa × 12 obligations, PostgreSQL) on the morning after a common
deadline: time and query count of one detection pass and of dispatching the resulting in-app notices, per
1,000 late obligations, and their ratio to the database's own limit — one SQL UPDATE marking the same rows
late, measured in the same run."""

from __future__ import annotations

import datetime as dt
import time
from contextlib import contextmanager

from django.db import connection, transaction
from django.utils import timezone

DESA = 7720


@contextmanager
def count_queries():
    counter = {"n": 0}

    def wrapper(execute, sql, params, many, context):
        counter["n"] += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        yield counter


def build() -> int:
    from bench.bench_monev_board import YEAR, build_wilayah, ensure_schedules, reset
    from monev.models import Obligation
    from monev.services import obligations_generate
    from portal.calendar import holidays_sync
    from portal.models import Desa, Kecamatan, User

    reset()
    holidays_sync(years=[YEAR - 1, YEAR, YEAR + 1])
    ensure_schedules()
    build_wilayah(DESA)
    obligations_generate(year=YEAR)
    users = [
        User(username=f"op{d.id}", role="operator_desa", desa=d, kecamatan_id=d.kecamatan_id)
        for d in Desa.objects.all()
    ]
    users += [User(username=f"kasi{k.id}", role="kasi_tapem", kecamatan=k) for k in Kecamatan.objects.all()]
    User.objects.bulk_create(users, batch_size=2000)
    # The common deadline was yesterday: every desa's LPPD is now due and nothing was sent. Everything else
    # was handed in and accepted, so the pass sees exactly the morning after one deadline.
    now = timezone.now()
    Obligation.objects.exclude(document_type__code="LPPD").update(
        state="diterima", accepted_at=now, first_submitted_at=now, next_alert_at=None
    )
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    late = Obligation.objects.filter(year=YEAR, document_type__code="LPPD").update(
        due_date=yesterday, next_alert_at=None
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return late


def baseline_update() -> float:
    """The database's own limit: one UPDATE marking the same rows late (rolled back)."""
    today = timezone.localdate()
    with transaction.atomic():
        start = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE monev_obligation SET state = 'terlambat' WHERE state IN ('belum', 'dispensasi') AND due_date < %s",
                [today],
            )
        elapsed = time.perf_counter() - start
        transaction.set_rollback(True)
    return elapsed


def run() -> None:
    from bench.common import report
    from monev.alerts import alerts_detect
    from portal import notify
    from portal.models import Delivery, Notification
    from workers.celery import app

    print("== monev alerts: province, morning after a common deadline ==")
    late = build()
    app.conf.task_always_eager = False
    app.conf.task_default_queue = "bench-unconsumed"  # measure this process's work, not a worker's
    base = baseline_update()
    now = timezone.now()
    with count_queries() as detect_q:
        start = time.perf_counter()
        counts = alerts_detect(now=now)
        detect = time.perf_counter() - start
    deliveries = Delivery.objects.count()
    with count_queries() as dispatch_q:
        start = time.perf_counter()
        notify.dispatch_due(now=timezone.now(), limit=10**6)
        dispatch = time.perf_counter() - start
    assert counts["late"] == late, counts
    assert Notification.objects.count() == deliveries == 2 * late
    per_k = 1000 / late
    report(f"single UPDATE marking {late} rows late (baseline)", base, base)
    report("detection pass (late + stages + outbox)", detect, base, note=f"{detect_q['n']} queries")
    report(
        "detection per 1,000 late obligations",
        detect * per_k,
        base * per_k,
        note=f"{detect_q['n'] * per_k:.0f} queries",
    )
    report(f"dispatch {deliveries} in-app notices", dispatch, base, note=f"{dispatch_q['n']} queries")
    report(
        "dispatch per 1,000 late obligations",
        dispatch * per_k,
        base * per_k,
        note=f"{dispatch_q['n'] * per_k:.0f} queries",
    )
    app.connection_for_write().default_channel.queue_purge("bench-unconsumed")
    app.conf.task_always_eager = True
    app.conf.task_default_queue = "celery"
