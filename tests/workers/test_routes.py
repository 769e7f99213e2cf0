"""Queues by kind of work (workers/routes.py): pulls and long recomputes kept out of the minute's alerts, and a
worker started without -Q still taking every one of them."""

from __future__ import annotations

import uuid

from portal import queue
from workers import routes
from workers.celery import app


def routed_queue(name: str, **options) -> str:
    return app.amqp.router.route(options, name)["queue"].name


def test_pulls_and_recomputes_leave_the_default_queue_to_the_alerts(settings):
    assert routed_queue("workers.tasks.device_pull_task") == settings.WORKER_QUEUES["devices"] == "devices"
    assert routed_queue("workers.tasks.push_replay_task") == "devices"
    assert routed_queue("workers.tasks.attendance_status_task") == settings.WORKER_QUEUES["bulk"] == "bulk"
    assert routed_queue("workers.tasks.backup_task") == "bulk"
    for minute_work in ("alerts_task", "deliver_task", "dispatch_inapp_task", "heartbeat_task", "health_watch_task"):
        assert routed_queue(f"workers.tasks.{minute_work}") == settings.CELERY_TASK_DEFAULT_QUEUE == "celery"


def test_a_queue_given_at_the_send_wins():
    assert routed_queue("workers.tasks.device_pull_task", queue="elsewhere") == "elsewhere"


def test_every_route_names_a_task_and_every_task_a_queue_a_plain_worker_consumes():
    tasks = {name for name in app.tasks if name.startswith("workers.tasks.")}
    assert set(routes.ROUTES) <= tasks, set(routes.ROUTES) - tasks  # a typo would send nothing anywhere
    consumed = set(app.amqp.queues.consume_from)  # what `celery worker` without -Q listens on
    assert consumed == {"celery", "devices", "bulk"}
    for name in tasks:
        assert routed_queue(name) in consumed, name


def test_the_queue_names_are_read_at_each_send(settings):
    settings.WORKER_QUEUES = {"devices": "pool-a", "bulk": "pool-b"}
    assert routed_queue("workers.tasks.device_pull_task") == "pool-a"
    assert routed_queue("workers.tasks.attendance_status_task") == "pool-b"


def test_a_routed_task_runs_on_a_worker_started_without_q(celery_worker_process, broker_kind, settings, monkeypatch):
    """The sender routes by the table; the worker, started like `make run`'s and compose's without -Q, consumes
    the routed queue too (its queues are named after it: tests/settings_worker.py)."""
    settings.WORKER_QUEUES = celery_worker_process.routed
    monkeypatch.setitem(routes.ROUTES, "workers.tasks.ping_task", "bulk")  # a routed task with no side effect
    assert routed_queue("workers.tasks.ping_task") == f"{celery_worker_process.queue}-bulk"
    payload = uuid.uuid4().hex
    result = queue.send_now("workers.tasks.ping_task", payload)
    assert result.get(timeout=60)["pong"] == payload
    assert celery_worker_process.wait_for_log(f"Task workers.tasks.ping_task[{result.id}] succeeded")
