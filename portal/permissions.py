"""Who may *change* what. Seeing is decided by ``portal.scoping``; these rules only say which roles may
write, and always on top of the scope (a write first needs the object to be visible)."""

from __future__ import annotations

from portal.choices import KECAMATAN_ROLES, Role


def can_manage_perangkat(user) -> bool:
    """Kecamatan staff for their kecamatan, the Operator Desa for their own desa."""
    return user.is_authenticated and (
        user.is_portal_admin or user.role in KECAMATAN_ROLES or user.role == Role.OPERATOR_DESA
    )


def is_kecamatan_staff(user) -> bool:
    return user.is_authenticated and (user.is_portal_admin or user.role in KECAMATAN_ROLES)
