from django.urls import reverse
from django.utils.translation import gettext as _


def items(user) -> list[tuple[str, str]]:
    # One entry in the top bar; the attendance pages share a row of tabs (attendance/_tabs.html).
    return [(_("Absensi"), reverse("attendance-today"))]
