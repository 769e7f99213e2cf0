"""The one way an app starts background work: by task *name*, after the surrounding transaction commits.
Apps never import ``workers`` (it sits above them); a worker must not run before the rows it reads exist."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.utils.module_loading import import_string


def _app():
    return import_string(settings.CELERY_APP)


def enqueue(task_name: str, *args, **kwargs) -> None:
    def send():
        task = _app().tasks[task_name]
        task.apply_async(args=args, kwargs=kwargs)

    transaction.on_commit(send)


def send_now(task_name: str, *args, options: dict | None = None, **kwargs):
    """Send now (outside any transaction) and return the AsyncResult, for callers that wait on a result.
    ``options`` go to ``apply_async`` (queue, countdown …)."""
    return _app().tasks[task_name].apply_async(args=args, kwargs=kwargs, **(options or {}))
