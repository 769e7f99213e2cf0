from rest_framework import serializers

from portal.scoping import restrict


class ScopedSlugRelatedField(serializers.SlugRelatedField):
    """A relation named by a stable code (Kemendagri code, serial number …) whose choices are limited to
    the requesting user's scope: an out-of-scope code is "not found", exactly like a missing one."""

    def get_queryset(self):
        queryset = super().get_queryset()
        request = self.context.get("request")
        return restrict(queryset, request.user if request else None)
