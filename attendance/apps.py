from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AttendanceConfig(AppConfig):
    name = "attendance"
    verbose_name = _("Absensi perangkat desa")

    def ready(self) -> None:
        from attendance import home as attendance_home
        from attendance import signals  # noqa: F401  (registers the holiday receiver)
        from portal import home

        home.register(home=attendance_home.home_sections, desa=attendance_home.desa_sections)
