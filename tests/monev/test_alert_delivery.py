"""Exactly one late notice per recipient and channel, with real parts: a real SMTP server (aiosmtpd), a
real HTTP server that checks the webhook signature, real Celery workers on Redis (CI) and separate
`send_alerts --once` processes sharing the test database.

(a) two `send_alerts --once` in a row; (b) two at once in separate processes; (c) a worker killed between
claim and send (blocked inside the SMTP conversation), then restarted."""

from __future__ import annotations

import asyncio
import datetime as dt
import hmac
import json
import os
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from django.db import connection
from django.utils import timezone

from monev.models import DocumentType, Obligation
from portal import notify
from portal.models import Delivery, Notification, WebhookEndpoint
from tests.monev.conftest import ensure_document_types
from tests.workers.conftest import WorkerProcess

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parents[2]
SECRET = "rahasia-webhook-uji"


class SmtpSink:
    """Collects messages. With ``block_first`` the first DATA hangs (the sender is mid-send) and is never
    accepted, so a sender killed there leaves no message behind."""

    def __init__(self, block_first: bool = False):
        self.messages: list[tuple[list[str], str]] = []
        self.block_first = block_first
        self.blocking = threading.Event()

    async def handle_DATA(self, server, session, envelope):
        if self.block_first and not self.blocking.is_set():
            self.blocking.set()
            await asyncio.sleep(120)
            return "451 try again later"
        self.messages.append((list(envelope.rcpt_tos), envelope.content.decode("utf-8", "replace")))
        return "250 OK"


class WebhookSink(BaseHTTPRequestHandler):
    received: list[dict] = []
    bad_signatures = 0

    def do_POST(self):  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        expected = "sha256=" + hmac.new(SECRET.encode(), body, "sha256").hexdigest()
        if not hmac.compare_digest(expected, self.headers.get("X-Pantau-Signature", "")):
            type(self).bad_signatures += 1
            self.send_response(401)
        else:
            type(self).received.append(json.loads(body))
            self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp():
    sinks = []

    def start(block_first=False):
        sink = SmtpSink(block_first)
        port = free_port()  # aiosmtpd 1.4 cannot bind port 0: its start-up check connects to the port given
        controller = Controller(sink, hostname="127.0.0.1", port=port)
        controller.start()
        sinks.append(controller)
        return sink, port

    yield start
    for controller in sinks:
        controller.stop()


@pytest.fixture
def webhook_server():
    WebhookSink.received, WebhookSink.bad_signatures = [], 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), WebhookSink)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    server.shutdown()


@pytest.fixture
def late_obligation(tenancy, webhook_server):
    """One obligation three days past its date, nothing sent. Recipients: operator_a (in-app, email,
    webhook), kades_a (in-app, email), kasi_tapem (in-app, email)."""
    ensure_document_types()
    WebhookEndpoint.objects.create(name="Gateway WA", url=webhook_server, secret=SECRET)
    tenancy.operator_a.notify_webhook, tenancy.operator_a.phone = True, "081234567890"
    tenancy.operator_a.save()
    due = timezone.localdate() - dt.timedelta(days=3)
    return Obligation.objects.create(
        desa=tenancy.desa_a,
        document_type=DocumentType.objects.get(code="LPPD"),
        year=due.year - 1,
        legal_due_date=due,
        due_date=due,
    )


def process_env(smtp_port: int, **extra) -> dict:
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "tests.settings_worker",
            "PANTAU_TEST_DB_NAME": connection.settings_dict["NAME"],
            "PANTAU_TEST_SMTP_PORT": str(smtp_port),
            "PANTAU_TEST_QUEUE": f"alerts-{os.getpid()}-{time.monotonic_ns()}",
            "PYTHONUNBUFFERED": "1",
            **extra,
        }
    )
    return env


@pytest.fixture
def real_worker(broker_kind):
    """A real Celery worker on the processes' queue: the deliver tasks that `send_alerts` enqueues after
    commit race with its own foreground dispatch, as in production."""
    started = []

    def start(env):
        worker = WorkerProcess(env["PANTAU_TEST_QUEUE"], extra_env=env)
        started.append(worker)
        worker.wait_ready()
        return worker

    yield start
    for worker in started:
        worker.stop()


def wait_all_sent(timeout=60):
    deadline = time.monotonic() + timeout
    while Delivery.objects.exclude(status=Delivery.Status.SENT).exists() and time.monotonic() < deadline:
        time.sleep(0.2)


def send_alerts(env: dict) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "manage.py", "send_alerts", "--once"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def assert_exactly_one_late_notice_each(tenancy, sink, expected_emails=3):
    late = Notification.objects.filter(kind="late")
    assert sorted(late.values_list("recipient__username", flat=True)) == ["kades_a", "kasitapem", "op_a"]
    recipients = sorted(r for rcpts, _body in sink.messages for r in rcpts)
    assert recipients == sorted([tenancy.operator_a.email, tenancy.kades_a.email, tenancy.kasi_tapem.email])
    assert len(sink.messages) == expected_emails
    assert [hook["recipient"]["username"] for hook in WebhookSink.received] == ["op_a"]
    assert WebhookSink.bad_signatures == 0
    assert not Delivery.objects.exclude(status=Delivery.Status.SENT).exists()
    assert Delivery.objects.count() == 3 + 3 + 1  # in-app ×3, email ×3, webhook ×1


def test_two_send_alerts_in_a_row(tenancy, late_obligation, smtp, real_worker):
    sink, port = smtp()
    env = process_env(port)
    worker = real_worker(env)
    for _ in range(2):
        proc = send_alerts(env)
        out, _ = proc.communicate(timeout=120)
        assert proc.returncode == 0, out
    wait_all_sent()
    assert_exactly_one_late_notice_each(tenancy, sink)
    assert "deliver_task" in worker.log()  # the worker took part
    body = sink.messages[0][1]
    assert "Terlambat" in body and late_obligation.due_date.strftime("%d/%m/%Y") in body


def test_two_send_alerts_at_once(tenancy, late_obligation, smtp, real_worker):
    sink, port = smtp()
    env = process_env(port)
    real_worker(env)
    procs = [send_alerts(env), send_alerts(env)]
    for proc in procs:
        out, _ = proc.communicate(timeout=120)
        assert proc.returncode == 0, out
    wait_all_sent()
    assert_exactly_one_late_notice_each(tenancy, sink)


def test_worker_killed_between_claim_and_send_then_restarted(tenancy, late_obligation, smtp, broker_kind, settings):
    from monev.alerts import alerts_detect
    from workers.celery import app

    sink, port = smtp(block_first=True)
    env = process_env(port, DELIVERY_LEASE_SECONDS="3")
    app.conf.task_always_eager = False
    app.conf.task_default_queue = "pantau-test-unconsumed"  # this process's on-commit sends go nowhere
    alerts_detect()  # the beat side: the transition is claimed and its deliveries written, nothing sent yet
    assert Delivery.objects.filter(status=Delivery.Status.PENDING).count() == 7

    worker = WorkerProcess(f"alerts-{os.getpid()}-{time.monotonic_ns()}", extra_env=env)
    try:
        worker.wait_ready()
        queue_options = {"queue": worker.queue}
        for delivery_id in notify.due_ids(now=timezone.now()):
            app.tasks["workers.tasks.deliver_task"].apply_async(args=[delivery_id], **queue_options)
        assert sink.blocking.wait(60), worker.log()  # an email is claimed and stuck inside the SMTP exchange
        worker.kill()  # killed between claim and send
        claimed = Delivery.objects.get(status=Delivery.Status.SENDING)
        assert claimed.channel == "email" and claimed.attempts == 1
    finally:
        worker.stop()

    restarted = WorkerProcess(f"alerts2-{os.getpid()}-{time.monotonic_ns()}", extra_env=env)
    try:
        restarted.wait_ready()
        deadline = time.monotonic() + 90
        while Delivery.objects.exclude(status=Delivery.Status.SENT).exists() and time.monotonic() < deadline:
            # What the minute sweeper does (monev.alerts.alerts_enqueue_due): pending rows and the one whose
            # lease (3 s here) has run out go to a worker again.
            for delivery_id in notify.due_ids(now=timezone.now()):
                app.tasks["workers.tasks.deliver_task"].apply_async(args=[delivery_id], queue=restarted.queue)
            time.sleep(1)
        assert not Delivery.objects.exclude(status=Delivery.Status.SENT).exists(), restarted.log()
    finally:
        restarted.stop()
        app.conf.task_always_eager = True
        app.conf.task_default_queue = "celery"
    assert_exactly_one_late_notice_each(tenancy, sink)
    assert Delivery.objects.get(pk=claimed.pk).attempts == 2
