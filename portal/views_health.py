"""``/healthz`` (liveness), ``/readyz`` (readiness) and the administrators' status page ``/status/``.

The probes answer anyone, before the host check, the HTTPS redirect, sessions, CSRF and axes
(``ProbeMiddleware``, first in ``MIDDLEWARE``): a container healthcheck calls ``http://127.0.0.1:8000`` whatever
ALLOWED_HOSTS and SECURE_SSL_REDIRECT say. What they disclose is whether each part works, with fixed texts and
ages; no host, path, address, version or error text (those go to the log). Both never cache.
"""

from __future__ import annotations

import datetime as dt
import threading
import time

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import add_never_cache_headers, patch_vary_headers
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from portal import health
from portal.models import Delivery

PROBES = {"/healthz": "healthz", "/readyz": "readyz"}


def _wants_json(request) -> bool:
    if request.GET.get("format") in ("json", "text"):
        return request.GET["format"] == "json"
    return "application/json" in request.headers.get("Accept", "")


def _answer(request, status: int, data: dict, text: str) -> HttpResponse:
    if _wants_json(request):
        response = JsonResponse(data, status=status, json_dumps_params={"ensure_ascii": False})
    else:
        response = HttpResponse(text, status=status, content_type="text/plain; charset=utf-8")
    patch_vary_headers(response, ["Accept"])
    add_never_cache_headers(response)
    return response


def healthz(request) -> HttpResponse:
    """The process answers: no database, no cache, nothing else (a restart cannot fix those)."""
    return _answer(request, 200, {"status": "ok"}, "ok\n")


# The last readiness report of this process and when it was made (``time.monotonic``).
_ready: dict = {"at": 0.0, "report": None}
_ready_lock = threading.Lock()


def _readiness() -> tuple[health.Report, bool]:
    """The readiness report, made at most once per ``HEALTH_READY_CACHE_SECONDS`` in this process: /readyz needs
    no login, and each report pings the workers through the broker (up to a second when none answers), so a
    flood of calls must not become a flood of pings. Callers in between wait for the one being made and share
    it. Returns (report, whether it was made by this call)."""
    ttl = settings.HEALTH_READY_CACHE_SECONDS
    with _ready_lock:
        if ttl and _ready["report"] is not None and time.monotonic() - _ready["at"] < ttl:
            return _ready["report"], False
        report = health.readiness()
        _ready.update(at=time.monotonic(), report=report)
        return report, True


def readyz(request) -> HttpResponse:
    """Every dependency: 200 when all pass, 503 otherwise. Also the web side's watch: incidents that the worker
    side cannot see (beat or every worker down) are noticed here, at each compose healthcheck."""
    report, fresh = _readiness()
    try:
        if fresh:  # a shared report was watched by the call that made it
            health.health_watch(report)
    except Exception:  # the database being down is in the report already; the answer must still go out
        health.log.exception("health watch failed")
    status = 200 if report.ok else 503
    data = {"status": "ok" if report.ok else "error", "checks": {r.key: r.as_json() for r in report.results}}
    lines = [f"{r.key}: {'ok' if r.ok else 'GAGAL'} — {r.message}" for r in report.results]
    return _answer(request, status, data, ("ok" if report.ok else "error") + "\n" + "\n".join(lines) + "\n")


class ProbeMiddleware:
    """Answers the probes before any other middleware runs."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        name = PROBES.get(request.path_info.rstrip("/") or "/")
        if name is not None and request.method in ("GET", "HEAD"):
            return healthz(request) if name == "healthz" else readyz(request)
        return self.get_response(request)


# Status page --------------------------------------------------------------------------------------------------


def _backup_last() -> dict | None:
    """The newest backup (time, path, size), or None; None also when reading it fails (the page must show the
    rest)."""
    from portal.backup import backup_last

    try:
        found = backup_last()
    except Exception:
        health.log.exception("backup_last failed")
        return None
    return None if found is None else {"at": found.created_at, "path": found.path, "size": found.size}


def _outbox(now: dt.datetime) -> dict:
    pending = Delivery.objects.filter(status__in=[Delivery.Status.PENDING, Delivery.Status.SENDING])
    return {
        "pending": pending.count(),
        "failed": Delivery.objects.filter(status=Delivery.Status.FAILED).count(),
        "oldest_due": pending.order_by("next_attempt_at").values_list("next_attempt_at", flat=True).first(),
    }


def _sections(user) -> list[dict]:
    """What the apps add (``HEALTH_STATUS_PROVIDERS``: device health, the monev outbox …); portal imports no app."""
    sections = []
    for dotted in getattr(settings, "HEALTH_STATUS_PROVIDERS", []):
        sections.extend(import_string(dotted)(user))
    return sections


@login_required
def status(request):
    """Administrators only; for anyone else the page does not exist (404, like an object out of scope)."""
    if not request.user.is_portal_admin:
        raise Http404
    now = timezone.now()
    report = health.readiness()
    try:
        health.health_watch(report, now=now)
    except Exception:
        health.log.exception("health watch failed")
    context = {
        "report": report,
        "now": now,
        "outbox": _outbox(now),
        "backup": _backup_last(),
        "disks": health.disk_usage_rows(),
        "disk_limit": settings.HEALTH_DISK_MAX_PERCENT,
        "sections": _sections(request.user),
        "title": _("Status sistem"),
    }
    return render(request, "portal/status.html", context)
