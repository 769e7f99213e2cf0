from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MusrenbangConfig(AppConfig):
    name = "musrenbang"
    verbose_name = _("Musrenbang")
