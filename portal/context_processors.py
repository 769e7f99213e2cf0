from django.conf import settings
from django.urls import reverse
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from portal.models import Notification


def navigation(request):
    """Navigation entries for the signed-in user's role. Apps add entries here as they arrive."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    items = [
        (_("Beranda"), reverse("dashboard")),
        (_("Desa"), reverse("desa-list")),
        (_("Perangkat"), reverse("perangkat-list")),
    ]
    for dotted in settings.NAV_PROVIDERS:
        items.extend(import_string(dotted)(user))
    if user.is_portal_admin:
        items.append((_("Status sistem"), reverse("health-status")))
        items.append((_("Admin"), reverse("admin:index")))
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True).count()
    return {"nav_items": items, "unread_count": unread}
