"""Which queue a task goes to, by kind of work (``settings.WORKER_QUEUES``; README "Scaling").

Tasks not named here go to the default queue: the minute's alerts, the notices and their delivery, the watch
and the heartbeat — short work whose lateness users notice. The rest is kept out of its way:

* ``devices``: the fingerprint machines' logs — a pull (0.2–1.5 s, or a machine that does not answer waits
  for its timeout; at a province's thousands of machines this is a pool of its own) and the replay of push
  uploads already stored.
* ``bulk``: work that runs long over many rows — the status recompute, the nightly jobs (closing the day, the
  punch partitions, the year's obligations, the backup, pruning). A month's rebuild of a kabupaten takes
  seconds, a backup minutes. The morning notices (Musrenbang, recommendations, the weekly digest) stay on the
  default queue with the other notices.

A worker started without -Q consumes every queue (``settings.CELERY_TASK_QUEUES``), so one worker is still
enough for a kecamatan. The queue names are read at each send (not fixed at import), so a test can give its
worker queues of its own."""

from __future__ import annotations

from django.conf import settings

ROUTES: dict[str, str] = {
    "workers.tasks.device_pull_task": "devices",
    "workers.tasks.push_replay_task": "devices",
    "workers.tasks.attendance_status_task": "bulk",
    "workers.tasks.attendance_close_day_task": "bulk",
    "workers.tasks.punch_partitions_task": "bulk",
    "workers.tasks.generate_obligations_task": "bulk",
    "workers.tasks.backup_task": "bulk",
    "workers.tasks.push_requests_prune_task": "bulk",
}


def route(name: str, args, kwargs, options, task=None, **kw) -> dict | None:
    """Celery's router (``CELERY_TASK_ROUTES``): the queue of a routed task, None for the default queue. A
    queue given at the send (``apply_async(queue=…)``) still wins."""
    kind = ROUTES.get(name)
    return {"queue": settings.WORKER_QUEUES[kind]} if kind else None
