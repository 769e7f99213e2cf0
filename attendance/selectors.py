"""Reads on devices and punches, scoped. Health is a pure rule on the device's stored figures."""

from __future__ import annotations

import datetime as dt
import difflib
from dataclasses import dataclass

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from attendance.choices import Health
from attendance.models import Device, DeviceCommand, DeviceEvent, DeviceUser, Punch, SyncRun, UnregisteredDevice
from portal import permissions
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


def device_commands(*, user: User) -> QuerySet[DeviceCommand]:
    return restrict(DeviceCommand.objects.select_related("device", "created_by"), user)


def device_events(*, user: User) -> QuerySet[DeviceEvent]:
    return restrict(DeviceEvent.objects.select_related("device"), user)


def unregistered_devices(*, user: User) -> QuerySet[UnregisteredDevice]:
    """Serials that called without being registered. They belong to no desa yet, so ``restrict`` cannot place
    them: kecamatan staff (who register machines) see them, nobody else."""
    if user is None or not user.is_authenticated or not permissions.is_kecamatan_staff(user):
        return UnregisteredDevice.objects.none()
    return UnregisteredDevice.objects.all()


def sync_runs(*, user: User) -> QuerySet[SyncRun]:
    return restrict(SyncRun.objects.select_related("device"), user)


def device_users(*, user: User) -> QuerySet[DeviceUser]:
    return restrict(DeviceUser.objects.select_related("device", "device__desa", "perangkat"), user)


def unmapped_pins(*, user: User) -> QuerySet[DeviceUser]:
    """Device users with punches but no perangkat: their punches are kept and wait here for a link."""
    has_punches = Punch.objects.filter(device=OuterRef("device"), pin=OuterRef("pin"))
    return (
        device_users(user=user)
        .filter(perangkat__isnull=True)
        .filter(Exists(has_punches))
        .annotate(punch_count=punch_count())
    )


def punch_count() -> Coalesce:
    """The punches a device user's PIN has made (to annotate ``DeviceUser``): what a link re-attributes."""
    counted = (
        Punch.objects.filter(device=OuterRef("device"), pin=OuterRef("pin"))
        .order_by()
        .values("device")
        .annotate(n=Count("id"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def punches_of(device_user: DeviceUser) -> int:
    return Punch.objects.filter(device_id=device_user.device_id, pin=device_user.pin).count()


def linked_pins(device_ids: set[int]) -> dict[tuple[int, int], str]:
    """(device id, perangkat id) → the PIN already linked to that perangkat on that device. One query."""
    rows = DeviceUser.objects.filter(device_id__in=device_ids, perangkat__isnull=False)
    return {(d, p): pin for d, p, pin in rows.values_list("device_id", "perangkat_id", "pin")}


def punch_list(*, user: User) -> QuerySet[Punch]:
    return restrict(Punch.objects.select_related("device", "device__desa"), user)


def local_days(first: dt.date | None, last: dt.date | None) -> Q:
    """Punches of the local (Asia/Jakarta) days ``first`` to ``last`` as a range on ``punched_at``, never as
    ``punched_at__date``: a range uses the (device, time) key and lets PostgreSQL skip every monthly partition
    outside it, where a date cast reads every punch ever stored."""
    condition = Q()
    if first is not None:
        condition &= Q(punched_at__gte=_local_midnight(first))
    if last is not None:
        condition &= Q(punched_at__lt=_local_midnight(last + dt.timedelta(days=1)))
    return condition


def _local_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=timezone.get_default_timezone())


def latest_punch_day(punches: QuerySet[Punch], *, recent_days: int = 45) -> dt.date | None:
    """The local day of the newest punch: first among recent months (a few partitions), only then everywhere."""
    recent = punches.filter(punched_at__gte=timezone.now() - dt.timedelta(days=recent_days))
    for queryset in (recent, punches):
        latest = queryset.order_by("-punched_at").values_list("punched_at", flat=True).first()
        if latest:
            return timezone.localdate(latest)
    return None


@dataclass(frozen=True)
class LinkSuggestion:
    perangkat: Perangkat
    preselect: bool
    """Only an exact full-name match, unique in the desa and not linked to another PIN of the device, is
    chosen in advance: one hurried click re-attributes every past punch of the PIN."""
    linked_pin: str = ""
    """The PIN of the same device this perangkat is already linked to, if any."""


def _normal(name: str) -> str:
    return " ".join(name.casefold().split())


def suggest_perangkat(
    device_user: DeviceUser, candidates: list[Perangkat], linked: dict[tuple[int, int], str] | None = None
) -> LinkSuggestion | None:
    """The perangkat of the device's desa whose name matches the name on the device: an exact full name, else
    the closest name (≥ 0.6 similar) or one sharing a whole word (a surname) — offered, never pre-selected."""
    linked = linked or {}
    name = _normal(device_user.name)
    if not name:
        return None

    def pin_of(p: Perangkat) -> str:
        pin = linked.get((device_user.device_id, p.pk), "")
        return "" if pin == device_user.pin else pin

    exact = [p for p in candidates if _normal(p.nama) == name]
    if exact:
        p = exact[0]
        return LinkSuggestion(p, preselect=len(exact) == 1 and not pin_of(p), linked_pin=pin_of(p))
    words = {w for w in name.split() if len(w) >= 3}
    scored = []
    for p in candidates:
        ratio = difflib.SequenceMatcher(None, name, _normal(p.nama)).ratio()
        shared = bool(words & set(_normal(p.nama).split()))
        if ratio >= 0.6 or shared:
            scored.append((ratio + shared, p))
    if not scored:
        return None
    best = max(scored, key=lambda pair: pair[0])[1]
    return LinkSuggestion(best, preselect=False, linked_pin=pin_of(best))
