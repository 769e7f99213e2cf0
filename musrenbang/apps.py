from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MusrenbangConfig(AppConfig):
    name = "musrenbang"
    verbose_name = _("Musrenbang")

    def ready(self) -> None:
        from musrenbang import home as musrenbang_home
        from musrenbang import indicators as musrenbang_indicators
        from portal import home, indicators

        home.register(home=musrenbang_home.home_sections, desa=musrenbang_home.desa_sections)
        indicators.register(
            "musrenbang_desa_held",
            musrenbang_indicators.musrenbang_desa_held,
            label=_("Desa yang melaksanakan Musrenbangdes"),
        )
