from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MusrenbangConfig(AppConfig):
    name = "musrenbang"
    verbose_name = _("Musrenbang")

    def ready(self) -> None:
        from musrenbang import home as musrenbang_home
        from portal import home

        home.register(home=musrenbang_home.home_sections, desa=musrenbang_home.desa_sections)
