"""Base classes every API viewset uses. Scoping lives here and in ``portal.scoping``, nowhere else."""

from __future__ import annotations

from django.db import transaction
from rest_framework import permissions, viewsets
from rest_framework.exceptions import NotFound

from portal.scoping import in_scope, restrict


class ScopedQuerysetMixin:
    """Restrict the viewset's queryset to the requesting user's scope (NetBox's ``BaseViewSet.initial``)."""

    def get_queryset(self):
        return restrict(super().get_queryset(), self.request.user)


class ScopedViewSet(ScopedQuerysetMixin, viewsets.ModelViewSet):
    """CRUD limited to the user's scope. After a write the saved row must still be in scope, inside the same
    transaction, or the write is undone (NetBox's ``_validate_objects``)."""

    def perform_create(self, serializer):
        with transaction.atomic():
            instance = serializer.save()
            self._ensure_in_scope(instance)

    def perform_update(self, serializer):
        with transaction.atomic():
            instance = serializer.save()
            self._ensure_in_scope(instance)

    def _ensure_in_scope(self, instance):
        if not in_scope(instance, self.request.user):
            raise NotFound()


class ScopedReadOnlyViewSet(ScopedQuerysetMixin, viewsets.ReadOnlyModelViewSet):
    pass


class RolePermission(permissions.BasePermission):
    """Reads for every authenticated user (the scope limits what they see); writes only when the view's
    ``can_write(user)`` says so."""

    def has_permission(self, request, view):
        if not request.user or not request.user.is_authenticated:
            return False
        if request.method in permissions.SAFE_METHODS:
            return True
        return view.can_write(request.user)
