"""Holiday edits live in ``portal`` (shared with Monev), which knows nothing of attendance: attendance listens
and recomputes the day that changed, for the kecamatan it belongs to (or every desa for a national day)."""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from portal.models import Desa, HariLibur


@receiver([post_save, post_delete], sender=HariLibur, dispatch_uid="attendance-holiday-changed")
def holiday_changed(sender, instance: HariLibur, **kwargs) -> None:
    from attendance import daily

    desa = Desa.objects.all()
    if instance.kecamatan_id:
        desa = desa.filter(kecamatan_id=instance.kecamatan_id)
    daily.status_mark_dirty((desa_id, instance.tanggal) for desa_id in desa.values_list("id", flat=True))
