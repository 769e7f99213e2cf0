"""Rate limits on the doors that take a password: the web login and the API token endpoint share one limit
per client address (DRF's throttle, on the cache). django-axes still locks a username after repeated
failures; this limit stops one address from trying many usernames."""

from __future__ import annotations

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle


class AuthRateThrottle(SimpleRateThrottle):
    scope = "auth"

    def get_rate(self) -> str:
        # Read at request time (DRF's class attribute is frozen at import, so test settings could not change it).
        return settings.AUTH_RATE

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


def auth_allowed(request) -> bool:
    """For plain Django views (the web login): the same limit as the API token endpoint."""
    return AuthRateThrottle().allow_request(request, None)
