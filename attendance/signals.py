"""Holiday and perangkat edits live in ``portal``, which knows nothing of attendance: attendance listens and
marks the days whose statuses may change (a holiday's day for its kecamatan or every desa; a perangkat's
desa from its first computed day)."""

from __future__ import annotations

from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver

from portal.models import Desa, Perangkat
from portal.signals import calendar_changed


@receiver(calendar_changed, dispatch_uid="attendance-calendar-changed")
def holiday_changed(sender, kecamatan_id: int | None, dates, **kwargs) -> None:
    from attendance import dirty

    desa = Desa.objects.all()
    if kecamatan_id:
        desa = desa.filter(kecamatan_id=kecamatan_id)
    desa_ids = list(desa.values_list("id", flat=True))
    dirty.status_mark_dirty((desa_id, day) for day in dates for desa_id in desa_ids)


@receiver(pre_save, sender=Perangkat, dispatch_uid="attendance-perangkat-before")
def perangkat_before(sender, instance: Perangkat, **kwargs) -> None:
    instance._attendance_old_desa_id = (
        Perangkat.objects.filter(pk=instance.pk).values_list("desa_id", flat=True).first() if instance.pk else None
    )


@receiver(post_save, sender=Perangkat, dispatch_uid="attendance-perangkat-changed")
def perangkat_changed(sender, instance: Perangkat, created: bool, **kwargs) -> None:
    """A perangkat who starts, leaves (aktif, tanggal selesai) or moves desa changes whose statuses exist:
    recompute every computed day of the desa involved (one desa, at most a year of days)."""
    from django.db.models import Min
    from django.utils import timezone

    from attendance import dirty
    from attendance.models import DailyStatus

    desa_ids = {instance.desa_id, getattr(instance, "_attendance_old_desa_id", None)} - {None}
    for desa_id in desa_ids:
        first = DailyStatus.objects.filter(desa_id=desa_id).aggregate(first=Min("date"))["first"]
        if first is not None:
            dirty.status_mark_dirty((desa_id, day) for day in dirty.dates_between(first, timezone.localdate()))
