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


GRANTING_ROLES = frozenset({Role.CAMAT, Role.SEKCAM, Role.KASI_TAPEM})


def can_verify(user) -> bool:
    """Verify desa submissions: the Kasi Tapem or another kecamatan role."""
    return is_kecamatan_staff(user)


def can_grant(user) -> bool:
    """Grant an extension (dispensasi) or mark an obligation not applicable."""
    return user.is_authenticated and (user.is_portal_admin or user.role in GRANTING_ROLES)


def can_submit_for_desa(user) -> bool:
    return user.is_authenticated and user.role in (Role.OPERATOR_DESA, Role.KEPALA_DESA)


def can_manage_holidays(user) -> bool:
    return is_kecamatan_staff(user)
