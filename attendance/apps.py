from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AttendanceConfig(AppConfig):
    name = "attendance"
    verbose_name = _("Absensi perangkat desa")

    def ready(self) -> None:
        from attendance import home as attendance_home
        from attendance import indicators as attendance_indicators
        from attendance import signals  # noqa: F401  (registers the holiday receiver)
        from portal import home, indicators

        home.register(home=attendance_home.home_sections, desa=attendance_home.desa_sections)
        indicators.register(
            "attendance_rate", attendance_indicators.attendance_rate, label=_("Kehadiran perangkat desa (%)")
        )
