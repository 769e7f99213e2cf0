"""Is the install healthy, and who hears when it is not.

Liveness of the background side: beat sends ``heartbeat_task`` every minute. Two stamps in the cache tell its
two halves apart: beat stamps ``BEAT_TICK_KEY`` when it *sends* the task (``beat_tick_on_publish``, a Celery
signal in the beat process), the worker that runs it stamps ``HEARTBEAT_KEY``. A stale tick means beat is down;
a fresh tick with a stale heartbeat means no worker runs tasks (or they are far behind).

``readiness()`` runs every check of ``/readyz`` and the status page. django-health-check gives the database,
cache, Celery ping and disk checks; this module adds what it lacks (broker of any kombu transport, migrations
applied, the beat tick, the heartbeat) and turns each result into a fixed text in Bahasa Indonesia: a check's own
error text (a host name, a path) goes to the log, never to the answer.

``health_watch()`` turns failures into the admins' notices, once per incident. It runs on both sides, because
each side is blind to something: the beat task ``health_watch_task`` cannot run when beat or every worker is
down, so the web side (``/readyz``, hit by the compose healthcheck every 30 s, and the status page) watches too.
Both derive the same event key from the incident's start (kept in the cache with an atomic ``add``), and the
delivery's unique key (event, recipient, channel) lets only one of them insert it; the incident's start is
forgotten when the check passes again, so the next failure is a new incident with a new notice.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import inspect
import logging
from collections.abc import Callable
from pathlib import Path

import psutil
from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connection
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from health_check import Cache, Database, HealthCheck
from health_check.contrib.celery import Ping
from health_check.contrib.psutil import Disk
from health_check.exceptions import HealthCheckException, ServiceUnavailable

from portal import notify
from portal.models import Notification

log = logging.getLogger(__name__)

HEARTBEAT_KEY = "pantau:heartbeat"
BEAT_TICK_KEY = "pantau:beat-tick"
HEARTBEAT_TASK = "workers.tasks.heartbeat_task"
# Until beat's first tick (a fresh install, a flushed cache) its silence counts from when it was first missed.
FIRST_MISSED_KEY = "pantau:health:first-missed:%s"
INCIDENT_KEY = "pantau:health:incident:%s"


def heartbeat_record() -> str:
    now = timezone.now().isoformat()
    cache.set(HEARTBEAT_KEY, now, timeout=None)
    return now


def heartbeat_last() -> dt.datetime | None:
    value = cache.get(HEARTBEAT_KEY)
    return dt.datetime.fromisoformat(value) if value else None


def beat_tick_record() -> None:
    cache.set(BEAT_TICK_KEY, timezone.now().isoformat(), timeout=None)


def beat_tick_last() -> dt.datetime | None:
    value = cache.get(BEAT_TICK_KEY)
    return dt.datetime.fromisoformat(value) if value else None


def beat_tick_on_publish(sender=None, **_kwargs) -> None:
    """``before_task_publish`` receiver: only beat sends the heartbeat task, so its sending is beat's tick."""
    if sender != HEARTBEAT_TASK:
        return
    try:
        beat_tick_record()
    except Exception:  # the cache being down must not stop beat from sending the task
        log.warning("could not record beat's tick", exc_info=True)


# Checks django-health-check lacks -----------------------------------------------------------------------------


def _celery_app():
    return import_string(settings.CELERY_APP)


@dataclasses.dataclass
class Broker(HealthCheck):
    """One connection to the Celery broker, whatever its transport (Redis, or kombu's filesystem one of the local
    install), without kombu's retries: a broker that is down answers at once instead of after seconds."""

    def run(self) -> None:
        try:
            with _celery_app().connection_for_write() as conn:
                conn.ensure_connection(max_retries=0, timeout=2)
        except Exception as exc:
            raise ServiceUnavailable("broker unreachable") from exc


@dataclasses.dataclass
class WorkerAnswers(Ping):
    """django-health-check's ping, for liveness alone. Its own queue check asks only the workers that answered,
    which with ``limit=1`` is one: with a pool per queue (README, "Queues and worker pools") that would fail a
    healthy install. ``QueuesServed`` asks the question properly, as a check of its own."""

    def check_active_queues(self, *active_workers) -> None:
        return None


class QueuesUnserved(ServiceUnavailable):
    """Workers answer, but no worker consumes these queues: their tasks wait for ever."""

    def __init__(self, queues: list[str]):
        self.detail = ", ".join(queues)
        super().__init__(f"no worker for the queues {self.detail}")


@dataclasses.dataclass
class QueuesServed(Ping):
    """Every queue a task can be routed to (``CELERY_TASK_QUEUES``, ``workers.routes``) is consumed by some
    worker. The worker that answers the ping first is asked first (a single worker serving everything, as in
    ``make run``, answers at once); only when it leaves a queue is every worker asked, which waits out the
    timeout (``HEALTH_WORKER_PING_SECONDS``: with a pool per queue each report takes that long). Workers on one
    host need distinct node names (``-n devices@%h``): replies are keyed by name, and one would hide another."""

    def check_active_queues(self, *active_workers) -> None:
        missing = queues_expected(self.app) - self._consumed(list(active_workers))
        if missing:
            missing -= self._consumed(None)
        if missing:
            raise QueuesUnserved(sorted(missing))

    def _consumed(self, destination: list[str] | None) -> set[str]:
        inspect = self.app.control.inspect(destination, timeout=self.timeout.total_seconds())
        return {queue.get("name") for queues in (inspect.active_queues() or {}).values() for queue in queues}


def queues_expected(app) -> set[str]:
    return {q.name for q in app.conf.task_queues or ()} or {app.conf.task_default_queue}


_expected_migrations: frozenset | None = None


def migrations_expected() -> frozenset:
    """The last migration of every app on disk. Read once per process: the files change only with a release,
    which restarts it; the graph would cost more than every other check together."""
    global _expected_migrations
    if _expected_migrations is None:
        from django.db.migrations.loader import MigrationLoader

        _expected_migrations = frozenset(MigrationLoader(None, ignore_no_migrations=True).graph.leaf_nodes())
    return _expected_migrations


@dataclasses.dataclass
class Migrations(HealthCheck):
    """Every app's last migration is recorded as applied (one query)."""

    def run(self) -> None:
        from django.db.migrations.recorder import MigrationRecorder

        try:
            applied = set(MigrationRecorder(connection).migration_qs.values_list("app", "name"))
        except DatabaseError as exc:
            raise ServiceUnavailable("migrations table unreadable") from exc
        missing = migrations_expected() - applied
        if missing:
            raise ServiceUnavailable(f"{len(missing)} migrations not applied")


@dataclasses.dataclass
class Stamp(HealthCheck):
    """A stamp in the cache no older than ``HEALTH_BEAT_STALE_SECONDS``."""

    read: Callable[[], dt.datetime | None] = dataclasses.field(default=beat_tick_last, repr=False)

    def run(self) -> None:
        last = self.read()
        if last is None or timezone.now() - last > dt.timedelta(seconds=settings.HEALTH_BEAT_STALE_SECONDS):
            raise ServiceUnavailable("stale")


# Results ----------------------------------------------------------------------------------------------------


@dataclasses.dataclass
class Result:
    key: str  # stable: the JSON key, the notice's event key, data-testid
    label: str
    ok: bool
    message: str
    last: dt.datetime | None = None  # beat tick, heartbeat: when it last happened
    percent: float | None = None  # disk
    path: str = ""  # disk: shown on the staff-only status page, never in /readyz
    detail: str = ""  # a failure's particulars (the queues without a worker): the notice and the staff-only
    # status page show them, /readyz never

    @property
    def age_seconds(self) -> int | None:
        return None if self.last is None else max(int((timezone.now() - self.last).total_seconds()), 0)

    def as_json(self) -> dict:
        data = {"ok": self.ok, "message": self.message}
        if self.last is not None:
            data |= {"last": self.last.isoformat(), "age_seconds": self.age_seconds}
        if self.percent is not None:
            data["percent"] = self.percent
        return data


@dataclasses.dataclass
class Report:
    results: list[Result]

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.results)

    def get(self, key: str) -> Result | None:
        return next((r for r in self.results if r.key == key), None)


def _run(check: HealthCheck) -> HealthCheckException | None:
    """One check in this thread (django-health-check's view runs sync checks in executor threads, where the
    request's database connection and query count are not): its error, or None."""
    try:
        if inspect.iscoroutinefunction(check.run):
            asyncio.run(check.run())
        else:
            check.run()
    except HealthCheckException as exc:
        log.warning("health check %r failed: %s", check, exc, exc_info=exc.__cause__ is not None)
        return exc
    except Exception as exc:
        log.exception("health check %r raised", check)
        return HealthCheckException(str(type(exc).__name__))
    return None


def _queues_unserved(error: HealthCheckException) -> str:
    if isinstance(error, QueuesUnserved):
        # Which queues: in the log and the administrators' notice, not in the public probe's answer.
        return _("Ada antrean tugas yang tidak dilayani worker mana pun: tugas di sana tidak akan jalan.")
    return _("Antrean tugas tidak dapat diperiksa.")


def _ago(last: dt.datetime | None) -> str:
    if last is None:
        return _("belum pernah")
    minutes = int((timezone.now() - last).total_seconds() // 60)
    local = timezone.localtime(last).strftime("%d/%m/%Y %H:%M")
    if minutes < 1:
        return _("%(at)s (kurang dari 1 menit lalu)") % {"at": local}
    return _("%(at)s (%(n)d menit lalu)") % {"at": local, "n": minutes}


def disk_paths() -> list[tuple[str, Path]]:
    """The folders whose file system must not fill: uploads, local state, backups (when configured)."""
    paths = [("media", Path(settings.MEDIA_ROOT)), ("var", Path(settings.VAR_DIR))]
    backup_dir = getattr(settings, "BACKUP_DIR", None)
    if backup_dir:
        paths.append(("backup", Path(backup_dir)))
    return paths


def _existing(path: Path) -> Path:
    """The folder itself or, before its first file, the nearest parent that exists (the same file system)."""
    while not path.exists() and path.parent != path:
        path = path.parent
    return path


def _disk(key: str, path: Path) -> Result:
    where = _existing(path)
    limit = settings.HEALTH_DISK_MAX_PERCENT
    error = _run(Disk(path=where, max_disk_usage_percent=limit))
    try:
        percent = psutil.disk_usage(str(where)).percent
    except OSError:
        percent = None
    label = {"media": _("Disk berkas unggahan"), "var": _("Disk data lokal"), "backup": _("Disk cadangan")}[key]
    if percent is None:
        message = _("Pemakaian disk tidak dapat dibaca.")
    elif error is None:
        message = _("Terpakai %(p).0f%% (batas %(limit)d%%).") % {"p": percent, "limit": limit}
    else:
        message = _("Terpakai %(p).0f%%, melewati batas %(limit)d%%.") % {"p": percent, "limit": limit}
    return Result(f"disk_{key}", label, error is None and percent is not None, message, percent=percent, path=str(path))


def readiness(*, ping_worker: bool = True) -> Report:
    """Every check of /readyz, in a fixed order; the worker is pinged only when the broker answered (kombu would
    otherwise retry for seconds) and when ``ping_worker`` (a task running on a worker knows one is up)."""
    stale_minutes = settings.HEALTH_BEAT_STALE_SECONDS // 60
    results = []

    def add(key: str, label: str, check: HealthCheck, good: str, bad, last: dt.datetime | None = None) -> bool:
        """``bad``: the text of a failure, or a function of the error that words it."""
        error = _run(check)
        text = good if error is None else (bad(error) if callable(bad) else bad)
        results.append(Result(key, label, error is None, text, last=last, detail=getattr(error, "detail", "")))
        return error is None

    add("database", _("Basis data"), Database(), _("Terhubung."), _("Basis data tidak dapat dihubungi."))
    add("cache", _("Cache"), Cache(), _("Dapat ditulis dan dibaca."), _("Cache tidak dapat ditulis atau dibaca."))
    broker = add("broker", _("Antrean tugas (broker)"), Broker(), _("Terhubung."), _("Broker tidak dapat dihubungi."))
    add(
        "migrations",
        _("Migrasi basis data"),
        Migrations(),
        _("Semua migrasi sudah diterapkan."),
        _("Ada migrasi yang belum diterapkan: jalankan manage.py migrate."),
    )
    results += [_disk(key, path) for key, path in disk_paths()]
    tick = beat_tick_last()
    add(
        "beat",
        _("Penjadwal (beat)"),
        Stamp(read=lambda: tick),
        _("Detak terakhir %(ago)s.") % {"ago": _ago(tick)},
        _("Tidak ada detak selama lebih dari %(n)d menit; terakhir %(ago)s.") % {"n": stale_minutes, "ago": _ago(tick)},
        last=tick,
    )
    beat = heartbeat_last()
    add(
        "heartbeat",
        _("Tugas latar dijalankan"),
        Stamp(read=lambda: beat),
        _("Tugas detak terakhir dijalankan %(ago)s.") % {"ago": _ago(beat)},
        _("Tidak ada tugas detak yang dijalankan worker selama lebih dari %(n)d menit; terakhir %(ago)s.")
        % {"n": stale_minutes, "ago": _ago(beat)},
        last=beat,
    )
    if not ping_worker:
        results.append(Result("worker", _("Worker Celery"), True, _("Tugas ini sedang dijalankan oleh worker.")))
    elif broker:
        timeout = dt.timedelta(seconds=settings.HEALTH_WORKER_PING_SECONDS)
        answered = add(
            "worker",
            _("Worker Celery"),
            # limit=1: one answer is enough, so a healthy ping returns at once instead of waiting out the timeout.
            WorkerAnswers(app=_celery_app(), timeout=timeout, limit=1),
            _("Worker menjawab."),
            _("Tidak ada worker yang menjawab dalam %(n)d detik.") % {"n": settings.HEALTH_WORKER_PING_SECONDS},
        )
        if answered:
            add(
                "queues",
                _("Antrean tugas"),
                QueuesServed(app=_celery_app(), timeout=timeout, limit=1),
                _("Setiap antrean tugas dilayani worker."),
                _queues_unserved,
            )
    else:
        results.append(Result("worker", _("Worker Celery"), False, _("Tidak diperiksa: broker tidak terhubung.")))
    return Report(results)


# Notices ----------------------------------------------------------------------------------------------------

# Which checks raise a notice, with its title and message (texts in the office language, rendered once).
NOTICES = {
    "beat": (
        gettext_noop("Penjadwal (beat) berhenti"),
        gettext_noop(
            "Beat tidak berdetak sejak %(since)s. Pengingat, penarikan absensi dan tugas terjadwal lain tidak "
            "berjalan. Periksa kontainer/proses beat."
        ),
    ),
    "worker": (
        gettext_noop("Tidak ada worker yang menjawab"),
        gettext_noop(
            "Sejak %(since)s tidak ada worker Celery yang menjawab. Pemberitahuan, penarikan absensi dan "
            "tugas latar lain tertahan. Periksa kontainer/proses worker."
        ),
    ),
    "queues": (
        gettext_noop("Antrean tugas tanpa worker"),
        gettext_noop(
            "Sejak %(since)s tidak ada worker yang melayani antrean %(detail)s: tugas di sana tertahan. Periksa "
            "opsi -Q worker (README, Queues and worker pools)."
        ),
    ),
    "disk": (
        gettext_noop("Disk server hampir penuh"),
        gettext_noop(
            "Sejak %(since)s pemakaian disk melewati %(limit)d%% (%(detail)s). Kosongkan ruang atau tambah "
            "disk sebelum unggahan dan cadangan gagal."
        ),
    ),
}


def _failing(report: Report) -> dict[str, str]:
    """The notice-worthy incidents now, with a detail for the message."""
    failing = {}
    beat = report.get("beat")
    if beat is not None and not beat.ok:
        failing["beat"] = ""
    worker = report.get("worker")
    broker = report.get("broker")
    # A broker that is down is not the workers' fault; the worker check then says "not checked".
    if worker is not None and not worker.ok and (broker is None or broker.ok):
        failing["worker"] = ""
    queues = report.get("queues")
    if queues is not None and not queues.ok and queues.detail:  # not when the check itself could not run
        failing["queues"] = queues.detail
    full = [r for r in report.results if r.key.startswith("disk_") and r.percent is not None and not r.ok]
    if full:
        failing["disk"] = ", ".join(f"{r.label} {r.percent:.0f}%" for r in full)
    return failing


def _since(name: str, report: Report, now: dt.datetime) -> dt.datetime:
    """When the incident started, the same for every process that looks: beat's last tick when there was one,
    otherwise the first time anyone saw it failing (``cache.add`` is atomic: the first writer wins)."""
    if name == "beat":
        last = report.get("beat").last
        if last is not None:
            return last
    key = INCIDENT_KEY % name
    cache.add(key, now.isoformat(), timeout=None)
    value = cache.get(key)
    return dt.datetime.fromisoformat(value) if value else now


def health_watch(report: Report, *, now: dt.datetime | None = None) -> list[str]:
    """Notify the admins of each incident in ``report`` once; forget incidents that are over. Returns the event
    keys of notices sent now (empty when they went out before, from this side or the other)."""
    now = now or timezone.now()
    failing = _failing(report)
    for name in NOTICES:
        # The queues are checked only where a worker is pinged (the web side): the worker side's report, which
        # has no such check, neither starts nor ends that incident.
        observed = name != "queues" or report.get("queues") is not None
        if name not in failing and observed:
            cache.delete(INCIDENT_KEY % name)
    sent = []
    for name, detail in failing.items():
        since = _since(name, report, now)
        if name in ("worker", "queues") and now - since < dt.timedelta(seconds=settings.HEALTH_WORKER_GRACE_SECONDS):
            continue  # a restart is no incident yet
        event_key = f"health:{name}:{since:%Y%m%d%H%M%S}"
        if _notify_admins(event_key, name, since, detail):
            sent.append(event_key)
    return sent


def _notify_admins(event_key: str, name: str, since: dt.datetime, detail: str) -> bool:
    """The incident's notice to every administrator, once per event key, sent in this process: when the
    incident is a dead worker, a task handed to the workers would wait for the dead."""
    title, message = NOTICES[name]
    payload = notify.payload_build(
        title=notify.text(title),
        message=notify.text(
            message,
            since=timezone.localtime(since).strftime("%d/%m/%Y %H:%M"),
            limit=settings.HEALTH_DISK_MAX_PERCENT,
            detail=detail,
        ),
        url_name="health-status",
        kind=Notification.Kind.SYSTEM,
    )
    new = notify.admins_notify(event_key=event_key, payload=payload, send_here=True)
    if new:
        log.warning("health incident %s: notice to the administrators", event_key)
    return bool(new)


def health_watch_task_run() -> list[str]:
    """The worker side (``workers.tasks.health_watch_task``, every minute): no ping (the worker running this is
    the answer, and a solo-pool worker could not answer its own ping while it runs)."""
    return health_watch(readiness(ping_worker=False))


def disk_usage_rows() -> list[dict]:
    """Size, used and free space of each watched folder's file system, for the status page."""
    rows = []
    for key, path in disk_paths():
        try:
            usage = psutil.disk_usage(str(_existing(path)))
        except OSError:
            continue
        rows.append({"key": key, "path": str(path), "total": usage.total, "used": usage.used, "free": usage.free})
    return rows
