from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MonevConfig(AppConfig):
    name = "monev"
    verbose_name = _("Monev kewajiban laporan desa")

    def ready(self) -> None:
        from monev import home as monev_home
        from monev import selectors, signals  # noqa: F401  (signals: deadlines follow rule and calendar edits)
        from portal import home, milestones

        milestones.register(milestones.RKPDES_SET, selectors.rkpdes_set_dates)
        home.register(home=monev_home.home_sections, desa=monev_home.desa_sections)
