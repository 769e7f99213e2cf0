"""Monev's part of the administrators' status page (``settings.HEALTH_STATUS_PROVIDERS``): the transition outbox,
state changes the alert pass has not turned into notices yet (a backlog means the alert task is not keeping up)."""

from __future__ import annotations

from django.db.models import Count, Min
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from monev.models import Transition


def status_outbox(user) -> list[dict]:
    if not user.is_portal_admin:  # install-wide figures
        return []
    backlog = Transition.objects.filter(processed_at__isnull=True).aggregate(n=Count("id"), oldest=Min("at"))
    oldest = backlog["oldest"]
    rows = [
        {
            "label": _("Perubahan status belum diproses"),
            "value": backlog["n"],
            "tone": "warning" if backlog["n"] else "",
        },
        {
            "label": _("Yang tertua"),
            "value": timezone.localtime(oldest).strftime("%d/%m/%Y %H:%M") if oldest else "–",
            "tone": "",
        },
    ]
    return [
        {
            "key": "monev-outbox",
            "title": _("Antrean peringatan monev"),
            "url": reverse("admin:monev_transition_changelist"),
            "rows": rows,
        }
    ]
