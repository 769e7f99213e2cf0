from django import template

from portal import privacy

register = template.Library()


@register.filter
def nik_for(perangkat, user) -> str:
    """``{{ p|nik_for:user }}``: the NIK as this user may see it (full or masked; ``portal.privacy``)."""
    return privacy.nik_shown(user, perangkat)
