import uuid

import pytest
from django.db import transaction

from portal import queue


def test_a_task_sent_by_the_web_side_runs_on_a_real_worker(celery_worker_process, broker_kind):
    payload = uuid.uuid4().hex
    result = queue.send_now("workers.tasks.ping_task", payload, options={"queue": celery_worker_process.queue})
    answer = result.get(timeout=60)
    assert answer["pong"] == payload
    # The worker stores the result before it logs the success line: wait for the line rather than race it.
    assert celery_worker_process.wait_for_log(f"Task workers.tasks.ping_task[{result.id}] succeeded")


@pytest.mark.django_db
def test_enqueue_waits_for_the_commit(django_capture_on_commit_callbacks, monkeypatch):
    sent = []
    monkeypatch.setattr("celery.app.task.Task.apply_async", lambda self, args=None, kwargs=None, **o: sent.append(args))
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        queue.enqueue("workers.tasks.ping_task", "x")
        assert sent == []  # not before the commit: the worker must see committed rows
    assert len(callbacks) == 1
    assert sent == [("x",)]
