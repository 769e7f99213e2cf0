"""Signals that ``portal`` sends and the apps listen to (``portal`` imports no app).

``calendar_changed`` — days off changed for a kecamatan (``kecamatan_id``; None = every kecamatan) on
``dates``. Sent in the writing transaction, so a receiver that recomputes (monev deadlines, attendance
statuses) commits or rolls back with the change itself. Holiday rows edited one by one (admin, API) send it
through the model receivers below; ``holidays_sync`` sends it once for the rows it wrote in bulk."""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import Signal, receiver

from portal.models import HariLibur

calendar_changed = Signal()


@receiver(pre_save, sender=HariLibur, dispatch_uid="portal-holiday-before")
def _holiday_before(sender, instance: HariLibur, **kwargs) -> None:
    old = HariLibur.objects.filter(pk=instance.pk).values("tanggal", "kecamatan_id").first() if instance.pk else None
    instance._calendar_old = old


@receiver([post_save, post_delete], sender=HariLibur, dispatch_uid="portal-holiday-changed")
def _holiday_changed(sender, instance: HariLibur, **kwargs) -> None:
    old = getattr(instance, "_calendar_old", None)
    if old and (old["tanggal"], old["kecamatan_id"]) != (instance.tanggal, instance.kecamatan_id):
        calendar_changed.send(sender=HariLibur, kecamatan_id=old["kecamatan_id"], dates=[old["tanggal"]])
    calendar_changed.send(sender=HariLibur, kecamatan_id=instance.kecamatan_id, dates=[instance.tanggal])
