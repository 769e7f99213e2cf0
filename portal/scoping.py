"""THE place where a user's scope is applied. Web views, API viewsets, file downloads and exports all get
their querysets through ``restrict``; nothing else filters by desa or kecamatan for security.

A model takes part by declaring two class attributes:

* ``SCOPE_DESA`` — the ORM path from the model to its ``Desa`` ("" for Desa itself, ``None`` when the row is
  not owned by a single desa);
* ``SCOPE_KECAMATAN`` — the ORM path to its ``Kecamatan`` ("" for Kecamatan itself);
* optionally ``SCOPE_INCLUDE_GLOBAL = True`` when rows without a kecamatan are shared by all (national holidays);
* optionally ``SCOPE_INCLUDE_KECAMATAN_WIDE = True`` when a row of the user's kecamatan without a desa applies
  to every desa of it (the kecamatan's default working hours), so desa users see it too.

Out-of-scope rows are simply absent from the queryset, so a lookup by id answers 404, never 403: an
outsider cannot even learn that the row exists.
"""

from __future__ import annotations

from typing import TypeVar

from django.db import models
from django.db.models import Q
from django.http import Http404

M = TypeVar("M", bound=models.Model)


class ScopeNotDeclared(TypeError):
    pass


def _path(prefix: str, field: str) -> str:
    return f"{prefix}__{field}" if prefix else field


def restrict(queryset: models.QuerySet[M], user) -> models.QuerySet[M]:
    """Return ``queryset`` limited to what ``user`` may see."""
    model = queryset.model
    if not hasattr(model, "SCOPE_KECAMATAN"):
        raise ScopeNotDeclared(f"{model.__name__} does not declare SCOPE_DESA/SCOPE_KECAMATAN")
    if user is None or not user.is_authenticated or not user.is_active:
        return queryset.none()
    if user.is_portal_admin:
        return queryset
    desa_path = model.SCOPE_DESA
    kecamatan_path = model.SCOPE_KECAMATAN
    if user.is_desa_user and user.desa_id:
        if desa_path is None:
            condition = Q(**{_path(kecamatan_path, "id"): user.kecamatan_id})
        else:
            condition = Q(**{_path(desa_path, "id"): user.desa_id})
            if getattr(model, "SCOPE_INCLUDE_KECAMATAN_WIDE", False):
                condition |= Q(**{_path(desa_path, "isnull"): True, _path(kecamatan_path, "id"): user.kecamatan_id})
    elif user.is_kecamatan_user and user.kecamatan_id:
        condition = Q(**{_path(kecamatan_path, "id"): user.kecamatan_id})
    else:
        return queryset.none()
    if getattr(model, "SCOPE_INCLUDE_GLOBAL", False):
        # Rows that belong to no kecamatan (national holidays …) are shared by everyone.
        condition |= Q(**{_path(kecamatan_path, "isnull"): True})
    return queryset.filter(condition)


def get_in_scope_or_404(queryset: models.QuerySet[M], user, **lookup) -> M:
    try:
        return restrict(queryset, user).get(**lookup)
    except queryset.model.DoesNotExist:
        raise Http404 from None


def in_scope(obj: models.Model, user) -> bool:
    """Whether ``obj`` (already saved) lies inside ``user``'s scope. Used to re-check writes."""
    model = type(obj)
    return restrict(model._default_manager.filter(pk=obj.pk), user).exists()
