from django.urls import reverse
from django.utils.translation import gettext as _


def items(user) -> list[tuple[str, str]]:
    return [(_("Mesin absensi"), reverse("attendance-devices"))]
