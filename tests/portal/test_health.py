"""/healthz, /readyz, the status page and the admins' notices (portal/health.py, portal/views_health.py)."""

from __future__ import annotations

import datetime as dt
import shutil

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from portal import health
from portal.choices import Role
from portal.models import Delivery, Notification
from tests.factories import UserFactory
from tests.helpers import login

pytestmark = pytest.mark.django_db
WIB = dt.timezone(dt.timedelta(hours=7))
NOW = dt.datetime(2026, 7, 15, 9, 0, tzinfo=WIB)


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def ticking():
    """Beat ticked and a worker ran the heartbeat just now."""
    health.beat_tick_record()
    health.heartbeat_record()


@pytest.fixture
def no_ping(monkeypatch):
    """The eager test settings have no worker: readiness without the ping (tests/portal/test_health_worker.py
    pings a real one)."""
    real = health.readiness
    monkeypatch.setattr(health, "readiness", lambda **kw: real(ping_worker=False))


@pytest.fixture
def admin(tenancy):
    return UserFactory(username="admin1", role=Role.ADMIN, kecamatan=None, is_staff=True, is_superuser=True)


def test_healthz_answers_without_touching_anything(client):
    with CaptureQueriesContext(connection) as queries:
        plain = client.get("/healthz")
        as_json = client.get("/healthz", HTTP_ACCEPT="application/json")
    assert plain.status_code == 200 and plain.content == b"ok\n"
    assert as_json.json() == {"status": "ok"}
    assert len(queries) == 0
    assert "no-cache" in plain["Cache-Control"]


def test_probes_answer_a_healthcheck_host_the_site_does_not_serve(client, settings, ticking, no_ping):
    """A container healthcheck calls 127.0.0.1 while ALLOWED_HOSTS names the public host, and HTTPS is forced."""
    settings.ALLOWED_HOSTS = ["pantau.example.go.id"]
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/healthz", HTTP_HOST="127.0.0.1:8000").status_code == 200
    assert client.get("/readyz", HTTP_HOST="127.0.0.1:8000").status_code == 200
    assert client.get("/", HTTP_HOST="127.0.0.1:8000").status_code == 400  # the rest of the site still refuses


def test_readyz_healthy_is_200_with_every_check_and_few_queries(client, ticking, no_ping):
    health.migrations_expected()  # read once per process, not per request
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/readyz?format=json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "ok"
    assert {
        "database",
        "cache",
        "broker",
        "migrations",
        "disk_media",
        "disk_var",
        "beat",
        "heartbeat",
        "worker",
    } <= set(body["checks"])
    assert all(check["ok"] for check in body["checks"].values())
    assert body["checks"]["beat"]["age_seconds"] < 60
    # SELECT 1 and the migrations table; nothing grows with the data.
    assert len(queries) <= 2, [q["sql"] for q in queries]


def test_readyz_plain_text(client, ticking, no_ping):
    response = client.get("/readyz", HTTP_ACCEPT="text/plain")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    text = response.content.decode()
    assert text.startswith("ok\n") and "beat: ok" in text


def test_readyz_503_when_beat_stopped_and_the_body_tells_no_secrets(client, settings, ticking, no_ping, admin):
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(minutes=6)):
        response = client.get("/readyz", HTTP_ACCEPT="application/json")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["checks"]["beat"]["ok"] is False and body["checks"]["database"]["ok"] is True
    text = response.content.decode()
    for secret in (settings.SECRET_KEY, str(settings.MEDIA_ROOT), str(settings.VAR_DIR), "Traceback"):
        assert secret not in text


def test_readyz_503_when_the_broker_is_down(client, settings, ticking, monkeypatch):
    """A broker on a closed port: the broker check fails at once (no kombu retries) and no worker is pinged."""
    from workers.celery import app

    monkeypatch.setattr(app.conf, "broker_url", "redis://127.0.0.1:1/0")
    # A pool of its own for the closed port; monkeypatch gives the good one back afterwards.
    monkeypatch.setattr(app, "_pool", None)
    try:
        response = client.get("/readyz?format=json")
    finally:
        app.pool.force_close_all()
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["broker"]["ok"] is False
    assert checks["worker"]["ok"] is False and "broker" in checks["worker"]["message"]
    assert "127.0.0.1:1" not in response.content.decode()


def test_readyz_makes_one_report_per_interval_however_often_it_is_called(client, settings, ticking, monkeypatch):
    """/readyz needs no login and each report pings the workers: a flood of calls is answered with the last
    report (and watched once) until ``HEALTH_READY_CACHE_SECONDS`` have passed."""
    from portal import views_health

    settings.HEALTH_READY_CACHE_SECONDS = 30
    monkeypatch.setattr(views_health, "_ready", {"at": 0.0, "report": None})
    made, watched = [], []
    real = health.readiness
    monkeypatch.setattr(health, "readiness", lambda **kw: made.append(1) or real(ping_worker=False))
    monkeypatch.setattr(health, "health_watch", lambda report, **kw: watched.append(report) or [])
    clock = [1000.0]
    monkeypatch.setattr(views_health.time, "monotonic", lambda: clock[0])
    statuses = [client.get("/readyz").status_code for _ in range(20)]
    assert statuses == [200] * 20 and len(made) == 1 and len(watched) == 1
    clock[0] += 31
    cache.clear()  # beat and the workers stopped meanwhile: the next report says so
    assert client.get("/readyz").status_code == 503
    assert client.get("/readyz").status_code == 503
    assert len(made) == 2 and len(watched) == 2
    settings.HEALTH_READY_CACHE_SECONDS = 0  # off: a report every call
    client.get("/readyz")
    client.get("/readyz")
    assert len(made) == 4


def test_readyz_503_when_migrations_are_missing(client, ticking, no_ping, monkeypatch):
    monkeypatch.setattr(health, "_expected_migrations", frozenset({("portal", "9999_not_yet")}))
    response = client.get("/readyz?format=json")
    assert response.status_code == 503
    assert response.json()["checks"]["migrations"]["ok"] is False


def test_readyz_503_when_the_disk_is_over_the_limit(client, settings, ticking, no_ping):
    settings.HEALTH_DISK_MAX_PERCENT = 1  # any real disk is fuller than 1 %
    response = client.get("/readyz?format=json")
    assert response.status_code == 503
    assert response.json()["checks"]["disk_media"]["ok"] is False
    settings.HEALTH_DISK_MAX_PERCENT = 100
    assert client.get("/readyz").status_code == 200


# Notices -------------------------------------------------------------------------------------------------


def notices() -> list[tuple[str, int]]:
    return sorted(
        Delivery.objects.filter(event_key__startswith="health:", channel=Delivery.Channel.INAPP).values_list(
            "event_key", "recipient_id"
        )
    )


def test_beat_down_is_noticed_once_by_the_web_side_and_rearmed_after_recovery(client, admin, tenancy, no_ping):
    with time_machine.travel(NOW, tick=False):
        health.beat_tick_record()
        health.heartbeat_record()
    with time_machine.travel(NOW + dt.timedelta(minutes=4), tick=False):
        assert client.get("/readyz").status_code == 200
        assert notices() == []
    with time_machine.travel(NOW + dt.timedelta(minutes=6), tick=False):
        assert client.get("/readyz").status_code == 503
        client.get("/readyz")  # the next healthcheck: no second notice
        # …nor from the worker side for the same incident.
        assert health.health_watch(health.readiness(ping_worker=False)) == []
    assert notices() == [(f"health:beat:{NOW.astimezone(dt.UTC):%Y%m%d%H%M%S}", admin.pk)]
    note = Notification.objects.get(recipient=admin)  # sent in the web process: no worker needed
    assert note.title == "Penjadwal (beat) berhenti" and "15/07/2026 09:00" in note.message
    assert note.link == "/status/"
    assert not Notification.objects.exclude(recipient=admin).exists()  # kecamatan staff are not admins
    # Beat comes back, then stops again: a new incident, a new notice.
    with time_machine.travel(NOW + dt.timedelta(minutes=10), tick=False):
        health.beat_tick_record()
        health.heartbeat_record()
        assert client.get("/readyz").status_code == 200
    with time_machine.travel(NOW + dt.timedelta(minutes=20), tick=False):
        client.get("/readyz")
    assert len(notices()) == 2


def test_disk_full_is_noticed_once_from_the_worker_side_and_not_again_from_the_web(client, settings, admin, ticking):
    settings.HEALTH_DISK_MAX_PERCENT = 1
    from workers.tasks import health_watch_task

    first = health_watch_task.delay().get()
    assert len(first) == 1 and first[0].startswith("health:disk:")
    assert health_watch_task.delay().get() == []
    health.health_watch(health.readiness(ping_worker=False))  # the web side, same incident
    assert len(notices()) == 1
    settings.HEALTH_DISK_MAX_PERCENT = 100
    assert health_watch_task.delay().get() == []  # recovered: re-armed
    settings.HEALTH_DISK_MAX_PERCENT = 1
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(seconds=2)):
        assert len(health_watch_task.delay().get()) == 1
    assert len(notices()) == 2


def test_worker_not_answering_is_noticed_after_the_grace(settings, admin, ticking, monkeypatch):
    settings.HEALTH_WORKER_GRACE_SECONDS = 120
    down = health.Report([health.Result("broker", "b", True, ""), health.Result("worker", "w", False, "")])
    with time_machine.travel(NOW, tick=False):
        assert health.health_watch(down) == []  # a restart is no incident yet
    with time_machine.travel(NOW + dt.timedelta(minutes=3), tick=False):
        assert health.health_watch(down) == [f"health:worker:{NOW.astimezone(dt.UTC):%Y%m%d%H%M%S}"]
        assert health.health_watch(down) == []
    up = health.Report([health.Result("broker", "b", True, ""), health.Result("worker", "w", True, "")])
    health.health_watch(up)
    assert cache.get(health.INCIDENT_KEY % "worker") is None


def test_a_queue_without_worker_is_noticed_naming_it_and_the_worker_side_leaves_it_be(settings, admin, ticking):
    """A queue no worker consumes (a pool started with the wrong -Q) is an incident of its own. Only the web side
    checks it: the worker side's report, which has no such check, must neither end it nor restart its clock."""
    from portal.models import Notification

    settings.HEALTH_WORKER_GRACE_SECONDS = 120
    broker = health.Result("broker", "b", True, "")
    unserved = health.Report([broker, health.Result("queues", "q", False, "-", detail="bulk")])
    worker_side = health.Report([broker, health.Result("worker", "w", True, "")])  # no "queues" check
    with time_machine.travel(NOW, tick=False):
        assert health.health_watch(unserved) == []  # workers restarting one pool after another: not yet
    with time_machine.travel(NOW + dt.timedelta(minutes=1), tick=False):
        assert health.health_watch(worker_side) == []
    with time_machine.travel(NOW + dt.timedelta(minutes=3), tick=False):
        assert health.health_watch(unserved) == [f"health:queues:{NOW.astimezone(dt.UTC):%Y%m%d%H%M%S}"]
    notice = Notification.objects.get(recipient=admin)
    assert "antrean bulk" in notice.message and notice.title == "Antrean tugas tanpa worker"
    served = health.Report([broker, health.Result("queues", "q", True, "")])
    health.health_watch(served)
    assert cache.get(health.INCIDENT_KEY % "queues") is None


def test_the_beat_tick_is_stamped_when_the_heartbeat_is_sent_to_the_broker(broker_kind, settings):
    """Beat's side: sending heartbeat_task through the real broker stamps the tick; other tasks do not."""
    import uuid

    from workers.celery import app

    queue = f"test-tick-{uuid.uuid4().hex[:8]}"
    app.conf.task_always_eager = False
    try:
        app.send_task("workers.tasks.ping_task", args=["x"], queue=queue)
        assert health.beat_tick_last() is None
        app.send_task(health.HEARTBEAT_TASK, queue=queue)
        assert health.beat_tick_last() is not None
    finally:
        app.conf.task_always_eager = True
        with app.connection_for_write() as conn:
            conn.default_channel.queue_purge(queue)


# Status page ----------------------------------------------------------------------------------------------


def test_status_page_for_the_admin(client, admin, ticking, no_ping, monkeypatch):
    login(client, admin)
    response = client.get("/status/")
    assert response.status_code == 200
    page = response.content.decode()
    for testid in ("status-checks", "status-disks", "status-outbox", "status-devices", "status-monev-outbox"):
        assert f'data-testid="{testid}"' in page
    assert 'data-testid="status-backup"' in page
    assert 'href="/status/"' in page  # linked from the navigation


def test_status_page_shows_the_last_backup_when_there_is_one(client, admin, ticking, no_ping, monkeypatch, tmp_path):
    from portal import backup

    archive = tmp_path / "pantau-x.tar"
    monkeypatch.setattr(backup, "backup_last", lambda: backup.BackupInfo(archive, NOW, 2048))
    login(client, admin)
    page = client.get("/status/").content.decode()
    assert "15/07/2026 09:00" in page and "pantau-x.tar" in page and "Belum ada cadangan" not in page


def test_status_page_names_the_queues_without_a_worker(client, admin, ticking, monkeypatch):
    """The public /readyz does not say which queue has no worker; the administrators' status page does."""
    unserved = health.Result("queues", "Antrean tugas", False, "Ada antrean tugas tanpa worker.", detail="bulk")
    monkeypatch.setattr(health, "readiness", lambda **kw: health.Report([unserved]))
    login(client, admin)
    page = client.get("/status/").content.decode()
    assert "Ada antrean tugas tanpa worker." in page and "<code>bulk</code>" in page


def test_status_page_without_a_backup(client, admin, ticking, no_ping, monkeypatch):
    from portal import backup

    monkeypatch.setattr(backup, "backup_last", lambda: None)
    login(client, admin)
    assert "Belum ada cadangan" in client.get("/status/").content.decode()


@pytest.mark.parametrize("who", ["operator_a", "camat", "outsider"])
def test_status_page_is_not_there_for_others(client, tenancy, who, no_ping):
    login(client, getattr(tenancy, who))
    assert client.get("/status/").status_code == 404
    assert 'href="/status/"' not in client.get("/").content.decode()


def test_status_page_asks_a_stranger_to_log_in(client):
    response = client.get("/status/")
    assert response.status_code == 302 and "/akun/login/" in response["Location"]


def test_status_page_queries_do_not_grow_with_devices(client, admin, tenancy, ticking, no_ping):
    from attendance.models import Device

    login(client, admin)
    client.get("/status/")

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/status/").status_code == 200
        return len(queries)

    before = count()
    Device.objects.bulk_create(
        [Device(serial_number=f"SN-{n}", desa=tenancy.desa_a, name=f"M{n}", host="10.0.0.1") for n in range(20)]
    )
    assert count() == before


def test_disk_threshold_uses_the_nearest_existing_folder(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "not" / "yet"
    result = health._disk("media", settings.MEDIA_ROOT)
    assert result.percent is not None
    assert shutil.disk_usage(tmp_path).total > 0
