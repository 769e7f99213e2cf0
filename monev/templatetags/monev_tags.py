from django import template
from django.utils.translation import gettext as _

from monev import rules
from monev.choices import State

register = template.Library()

BADGES = {
    State.BELUM: "bg-light text-dark border",
    State.TERLAMBAT: "bg-danger",
    State.DIKIRIM: "bg-primary",
    State.DIKEMBALIKAN: "bg-warning text-dark",
    State.DITERIMA: "bg-success",
    State.DISPENSASI: "bg-info text-dark",
    State.TIDAK_BERLAKU: "bg-secondary",
}
LABELS = dict(State.choices)


@register.filter
def state_class(state: str) -> str:
    return BADGES.get(state, "bg-light text-muted border")


@register.filter
def state_label(state: str) -> str:
    return str(LABELS.get(state, "–"))


@register.filter
def awaiting(state: str) -> bool:
    """``{% if state|awaiting %}``: nothing handed in yet, so the days to the deadline matter
    (``rules.AWAITING_SUBMISSION``; templates never list states themselves)."""
    return state in rules.AWAITING_SUBMISSION


@register.filter
def closed(state: str) -> bool:
    """``rules.CLOSED``: accepted or not applicable."""
    return state in rules.CLOSED


@register.filter
def days_label(days) -> str:
    """'H-5' (five days to go), 'hari ini', 'terlambat 3 hari'."""
    if days is None:
        return ""
    if days > 0:
        return f"H-{days}"
    if days == 0:
        return _("hari ini")
    return _("lewat %(n)d hari") % {"n": -days}


@register.filter
def get_item(mapping, key):
    return mapping.get(key, {}) if mapping else {}


@register.filter
def percent(value) -> str:
    return "–" if value is None else f"{value * 100:.0f}%"
