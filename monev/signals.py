"""Deadlines follow their rules. A document type's rule, its yearly table and the holiday table are data that
admins edit in several places (admin, API, the daily sync); whichever way the edit comes, the open obligations
it touches are recomputed in the same transaction, so no deadline is left on a date its rule no longer gives."""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils.translation import gettext as _

from monev.models import DocumentType, DocumentTypeSchedule
from portal.signals import calendar_changed


@receiver(post_save, sender=DocumentType, dispatch_uid="monev-type-changed")
def _type_changed(sender, instance: DocumentType, created: bool, raw: bool = False, **kwargs) -> None:
    if created or raw:
        return
    from monev.services import obligations_recompute

    obligations_recompute(reason=_("aturan %(code)s diubah") % {"code": instance.code}, document_type_ids=[instance.pk])


@receiver([post_save, post_delete], sender=DocumentTypeSchedule, dispatch_uid="monev-schedule-changed")
def _schedule_changed(sender, instance: DocumentTypeSchedule, raw: bool = False, **kwargs) -> None:
    if raw:
        return
    from monev.services import obligations_recompute

    obligations_recompute(
        reason=_("jadwal tahunan %(code)s %(year)s diubah")
        % {"code": instance.document_type.code, "year": instance.year},
        document_type_ids=[instance.document_type_id],
        years=[instance.year],
    )


@receiver(calendar_changed, dispatch_uid="monev-calendar-changed")
def _calendar_changed(sender, kecamatan_id: int | None, dates, **kwargs) -> None:
    from monev.services import obligations_recompute

    obligations_recompute(reason=_("hari libur diubah"), kecamatan_id=kecamatan_id, around=list(dates))
