from django.urls import reverse
from django.utils.translation import gettext as _


def items(user) -> list[tuple[str, str]]:
    if user.is_desa_user:
        return [(_("Kewajiban laporan"), reverse("monev-desa", args=[user.desa.kode]))]
    return [(_("Papan kewajiban"), reverse("monev-board"))]
