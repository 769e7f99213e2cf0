from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MonevConfig(AppConfig):
    name = "monev"
    verbose_name = _("Monev kewajiban laporan desa")

    def ready(self) -> None:
        from monev import selectors, signals  # noqa: F401  (signals: deadlines follow rule and calendar edits)
        from portal import milestones

        milestones.register(milestones.RKPDES_SET, selectors.rkpdes_set_dates)
