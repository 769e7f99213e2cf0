from django.urls import reverse
from django.utils.translation import gettext as _


def items(user) -> list[tuple[str, str]]:
    return [
        (_("Absensi hari ini"), reverse("attendance-today")),
        (_("Rekap absensi"), reverse("attendance-month")),
        (_("Izin/cuti"), reverse("attendance-leave")),
        (_("Jam kerja"), reverse("attendance-schedules")),
        (_("Mesin absensi"), reverse("attendance-devices")),
    ]
