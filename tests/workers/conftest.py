"""A real Celery worker process for tests: on Redis when REDIS_URL is set (always under CI), otherwise on
kombu's filesystem broker in this test run's VAR_DIR. It listens on queues of its own (its default queue and
the routed ones, named after it), so a `make run` worker on the same Redis never steals the test's tasks."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings as django_settings

ROOT = Path(__file__).resolve().parents[2]


class WorkerProcess:
    def __init__(self, queue: str, extra_env: dict | None = None):
        self.queue = queue
        env = dict(os.environ)
        env.update({"DJANGO_SETTINGS_MODULE": "tests.settings_worker", "PYTHONUNBUFFERED": "1"})
        env.update(extra_env or {})
        # Its queues are named after ``queue`` (tests/settings_worker.py); no -Q: it consumes every one of them,
        # as a production worker started without -Q consumes every queue.
        env["PANTAU_TEST_QUEUE"] = queue
        # Its routed queues, named as tests/settings_worker.py names them (for a test that sends to them).
        self.routed = {kind: f"{queue}-{kind}" for kind in django_settings.WORKER_QUEUES}
        self.log_path = Path(os.environ["VAR_DIR"]) / f"worker-{queue}.log"
        self._log = self.log_path.open("w")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "workers",
                "worker",
                "--pool",
                "solo",
                "--loglevel",
                "INFO",
                "-n",
                f"{queue}@%h",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            cwd=ROOT,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"worker exited early:\n{self.log()}")
            if "ready." in self.log():
                return
            time.sleep(0.2)
        raise RuntimeError(f"worker not ready after {timeout}s:\n{self.log()}")

    def wait_for_log(self, text: str, timeout: float = 20) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.log():
                return True
            time.sleep(0.1)
        return False

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self._log.close()


@pytest.fixture
def celery_worker_process(broker_kind, settings):
    """Start a real worker; make this process send to the broker instead of running tasks eagerly."""
    from workers.celery import app

    queue = f"test-{uuid.uuid4().hex[:10]}"
    app.conf.task_always_eager = False
    worker = WorkerProcess(queue)
    try:
        worker.wait_ready()
        yield worker
    finally:
        worker.stop()
        app.conf.task_always_eager = True
