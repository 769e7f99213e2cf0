from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MonevConfig(AppConfig):
    name = "monev"
    verbose_name = _("Monev kewajiban laporan desa")

    def ready(self) -> None:
        from monev import formulas_iku, selectors, signals  # noqa: F401  (signals: deadlines follow rule and calendar edits)
        from monev import home as monev_home
        from portal import home, indicators, milestones

        milestones.register(milestones.RKPDES_SET, selectors.rkpdes_set_dates)
        home.register(home=monev_home.home_sections, desa=monev_home.desa_sections)
        indicators.register(
            "obligations_on_time",
            formulas_iku.obligations_on_time,
            label=_("Desa yang semua kewajiban dokumennya tepat waktu (%)"),
        )
        indicators.register(
            "desa_monitored", formulas_iku.desa_monitored, label=_("Desa yang dimonev (kunjungan/evaluasi)")
        )
        indicators.register(
            "recommendations_followed_up",
            formulas_iku.recommendations_followed_up,
            label=_("Rekomendasi monev yang ditindaklanjuti (%)"),
        )
        indicators.register(
            "apbdes_berbasis_kinerja",
            formulas_iku.apbdes_berbasis_kinerja,
            label=_("Desa dengan APBDes berbasis kinerja (%)"),
        )
