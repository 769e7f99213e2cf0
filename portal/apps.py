from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("Inti portal")

    def ready(self) -> None:
        from portal import signals  # noqa: F401  (turns holiday row edits into calendar_changed)
