"""The fingerprint machines' part of the administrators' status page (``portal.views_health.status``, through
``settings.HEALTH_STATUS_PROVIDERS``): how many machines are healthy, late, failing or silent, in one query."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from attendance.choices import Health, Protocol
from attendance.selectors import device_list, health


def _silent(device, now: dt.datetime) -> bool:
    """A push machine that stopped calling (the rule of ``attendance.push.silent_push_devices_alert``)."""
    return (
        device.protocol == Protocol.PUSH
        and device.enabled
        and device.last_contact_at is not None
        and now - device.last_contact_at > dt.timedelta(minutes=3 * device.pull_interval_minutes)
    )


def status_devices(user) -> list[dict]:
    now = timezone.now()
    counts = {"green": 0, "stale": 0, "failing": 0, "silent": 0, "disabled": 0}
    fields = ("protocol", "enabled", "last_contact_at", "last_success_at", "consecutive_failures")
    for device in device_list(user=user).select_related(None).only(*fields, "pull_interval_minutes").order_by():
        state = "silent" if _silent(device, now) else health(device, now)
        counts[state] += 1
    rows = [
        {"label": Health.GREEN.label, "value": counts["green"], "tone": ""},
        {
            "label": _("Lama tidak ditarik/terlambat"),
            "value": counts["stale"],
            "tone": "warning" if counts["stale"] else "",
        },
        {"label": Health.FAILING.label, "value": counts["failing"], "tone": "danger" if counts["failing"] else ""},
        {"label": _("Mesin push diam"), "value": counts["silent"], "tone": "danger" if counts["silent"] else ""},
        {"label": Health.DISABLED.label, "value": counts["disabled"], "tone": ""},
    ]
    return [{"key": "devices", "title": _("Mesin absensi"), "url": reverse("attendance-devices"), "rows": rows}]
