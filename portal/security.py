"""Security events: the audit log (``SecurityEvent``) and API token revocation.

One writer for the log, so every event has the same shape (who, by whom, from where, what). Tokens are
django-rest-knox tokens: stored hashed, with an expiry (``API_TOKEN_TTL_HOURS``), revoked on a password
change, by the user on their own page, or by an admin."""

from __future__ import annotations

from django.db import transaction
from knox.models import AuthToken

from portal.models import SecurityEvent, User

Kind = SecurityEvent.Kind


def client_ip(request) -> str | None:
    """The peer address Django saw. Behind a proxy, set SECURE_PROXY_SSL_HEADER and let the proxy's own access
    log name the client: X-Forwarded-For is not trusted here, since anyone can send it."""
    return request.META.get("REMOTE_ADDR") if request is not None else None


def security_event_record(
    *, kind: str, user: User | None = None, username: str = "", actor: User | None = None, request=None, **detail
) -> SecurityEvent:
    return SecurityEvent.objects.create(
        kind=kind,
        user=user if user is not None and user.pk else None,
        username=username or (user.get_username() if user is not None else ""),
        actor=actor if actor is not None and actor.pk else None,
        ip=client_ip(request),
        detail={k: v for k, v in detail.items() if v not in (None, "")},
    )


@transaction.atomic
def tokens_revoke(*, user: User, actor: User | None = None, request=None, reason: str, token_key: str = "") -> int:
    """Revoke all of a user's API tokens, or the one whose key (its public prefix) is given."""
    tokens = AuthToken.objects.filter(user=user)
    if token_key:
        tokens = tokens.filter(token_key=token_key)
    count, _ = tokens.delete()
    if count:
        security_event_record(
            kind=Kind.TOKEN_REVOKED, user=user, actor=actor, request=request, reason=reason, count=count
        )
    return count
