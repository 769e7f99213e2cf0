"""/readyz's "a worker answering" against a real Celery worker (tests/workers/conftest.py starts it)."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from portal import health
from tests.workers.conftest import celery_worker_process  # noqa: F401  (the real-worker fixture)

pytestmark = pytest.mark.django_db


def test_readyz_sees_a_real_worker_answer_and_then_not(client, celery_worker_process, settings):  # noqa: F811
    from workers.celery import app

    cache.clear()
    health.beat_tick_record()
    health.heartbeat_record()
    # Celery's ping also wants a worker on the default queue: the test worker's own queue is that here.
    default = app.conf.task_default_queue
    app.conf.task_default_queue = celery_worker_process.queue
    try:
        settings.HEALTH_WORKER_PING_SECONDS = 5
        response = client.get("/readyz?format=json")
        assert response.json()["checks"]["worker"]["ok"] is True, response.content
        assert response.status_code == 200
        celery_worker_process.kill()
        settings.HEALTH_WORKER_PING_SECONDS = 1
        response = client.get("/readyz?format=json")
        assert response.status_code == 503
        assert response.json()["checks"]["worker"]["ok"] is False
    finally:
        app.conf.task_default_queue = default
