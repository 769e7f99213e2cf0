from django.urls import reverse
from django.utils.translation import gettext as _


def items(user) -> list[tuple[str, str]]:
    # One entry in the top bar; the Musrenbang pages share a row of tabs (musrenbang/_tabs.html).
    return [(_("Musrenbang"), reverse("musrenbang-board"))]
