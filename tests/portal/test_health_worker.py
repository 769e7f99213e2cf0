"""/readyz's "a worker answering" against a real Celery worker (tests/workers/conftest.py starts it)."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from django.core.cache import cache

from portal import health
from portal.settings import celery_queues
from tests.workers.conftest import celery_worker_process  # noqa: F401  (the real-worker fixture)

pytestmark = pytest.mark.django_db


@contextmanager
def queues_of(worker, *unserved: str):
    """This process expects the queues the test worker consumes (its own, named after it), plus ``unserved``."""
    from workers.celery import app

    default, queues = app.conf.task_default_queue, app.conf.task_queues
    app.conf.task_default_queue = worker.queue
    named = worker.routed | {kind: f"{worker.queue}-{kind}" for kind in unserved}
    app.conf.task_queues = celery_queues(worker.queue, named)
    try:
        yield
    finally:
        app.conf.task_default_queue, app.conf.task_queues = default, queues


def test_readyz_sees_a_real_worker_answer_and_then_not(client, celery_worker_process, settings):  # noqa: F811
    cache.clear()
    health.beat_tick_record()
    health.heartbeat_record()
    with queues_of(celery_worker_process):
        settings.HEALTH_WORKER_PING_SECONDS = 5
        response = client.get("/readyz?format=json")
        assert response.json()["checks"]["worker"]["ok"] is True, response.content
        assert response.json()["checks"]["queues"]["ok"] is True, response.content
        assert response.status_code == 200
        celery_worker_process.kill()
        settings.HEALTH_WORKER_PING_SECONDS = 1
        response = client.get("/readyz?format=json")
        assert response.status_code == 503
        assert response.json()["checks"]["worker"]["ok"] is False


def test_a_queue_no_worker_consumes_fails_readyz_and_names_it(admin_client, celery_worker_process, settings):  # noqa: F811
    """A routed queue left without a worker (a pool started with the wrong -Q) would hold its tasks for ever."""
    cache.clear()
    health.beat_tick_record()
    health.heartbeat_record()
    settings.HEALTH_WORKER_PING_SECONDS = 2
    with queues_of(celery_worker_process, "nobody"):
        report = health.readiness()
    assert report.get("worker").ok is True  # the worker answers…
    queues = report.get("queues")
    assert queues.ok is False  # …but one queue has nobody
    assert "antrean" in queues.message and celery_worker_process.queue not in queues.message  # a public probe
    assert queues.detail == f"{celery_worker_process.queue}-nobody"  # the worker serves its other queues
