"""Base classes every API viewset uses. Scoping lives here and in ``portal.scoping``, nowhere else."""

from __future__ import annotations

from django.db import transaction
from django.http import Http404
from rest_framework import permissions, viewsets
from rest_framework.exceptions import NotFound

from portal.api.filtersets import BIGINT_MAX, BIGINT_MIN
from portal.scoping import in_scope, restrict


def is_db_int(value) -> bool:
    """Whether ``value`` (a path segment) is a whole number the database can hold."""
    try:
        return BIGINT_MIN <= int(str(value)) <= BIGINT_MAX
    except ValueError:
        return False


class IdLookupMixin:
    """A path id that no row can have (``/desa/99999999999999999999/``, ``/desa/abc/``) is simply not found,
    before it reaches the database (SQLite cannot even hold it: an OverflowError, a 500)."""

    def get_object(self):
        if self.lookup_field == "pk" and not is_db_int(self.kwargs.get(self.lookup_url_kwarg or "pk")):
            raise Http404
        return super().get_object()


class ScopedQuerysetMixin(IdLookupMixin):
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
