"""Reads on devices and punches, scoped. Health is a pure rule on the device's stored figures."""

from __future__ import annotations

import datetime as dt
import difflib

from django.db.models import Exists, OuterRef, QuerySet

from attendance.choices import Health
from attendance.models import Device, DeviceUser, Punch, SyncRun
from portal.models import Perangkat, User
from portal.scoping import restrict


def health(device: Device, now: dt.datetime) -> str:
    """green: pulled recently; stale: no success for 3 intervals; failing: the last attempts failed."""
    if not device.enabled:
        return Health.DISABLED
    if device.consecutive_failures:
        return Health.FAILING
    if device.last_success_at is None or now - device.last_success_at > dt.timedelta(
        minutes=3 * device.pull_interval_minutes
    ):
        return Health.STALE
    return Health.GREEN


def device_list(*, user: User) -> QuerySet[Device]:
    return restrict(Device.objects.select_related("desa", "desa__kecamatan"), user)


def sync_runs(*, user: User) -> QuerySet[SyncRun]:
    return restrict(SyncRun.objects.select_related("device"), user)


def device_users(*, user: User) -> QuerySet[DeviceUser]:
    return restrict(DeviceUser.objects.select_related("device", "device__desa", "perangkat"), user)


def unmapped_pins(*, user: User) -> QuerySet[DeviceUser]:
    """Device users with punches but no perangkat: their punches are kept and wait here for a link."""
    has_punches = Punch.objects.filter(device=OuterRef("device"), pin=OuterRef("pin"))
    return device_users(user=user).filter(perangkat__isnull=True).filter(Exists(has_punches))


def punch_list(*, user: User) -> QuerySet[Punch]:
    return restrict(Punch.objects.select_related("device", "device__desa"), user)


def suggest_perangkat(device_user: DeviceUser, candidates: list[Perangkat]) -> Perangkat | None:
    """The perangkat of the device's desa whose name is closest to the name on the device (≥ 0.6 similar)."""
    name = device_user.name.lower().strip()
    if not name:
        return None
    scored = [(difflib.SequenceMatcher(None, name, p.nama.lower()).ratio(), p) for p in candidates]
    best = max(scored, default=(0.0, None), key=lambda pair: pair[0])
    return best[1] if best[0] >= 0.6 else None
