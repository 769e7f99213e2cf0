from django import template

from attendance.choices import RequestState

register = template.Library()

BADGES = {
    RequestState.REQUESTED: "bg-warning text-dark",
    RequestState.APPROVED: "bg-success",
    RequestState.REJECTED: "bg-danger",
}


@register.filter
def request_badge(state: str) -> str:
    """The badge colour of a request's state (leave, koreksi absen); templates never list states themselves."""
    return BADGES.get(state, "bg-secondary")
