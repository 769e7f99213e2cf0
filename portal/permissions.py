"""Who may *change* what. Seeing is decided by ``portal.scoping``; these rules only say which roles may
write, and always on top of the scope (a write first needs the object to be visible)."""

from __future__ import annotations

from portal.choices import DESA_ROLES, KECAMATAN_ROLES, Role


def can_manage_perangkat(user) -> bool:
    """Kecamatan staff for their kecamatan, the Operator Desa for their own desa."""
    return user.is_authenticated and (
        user.is_portal_admin or user.role in KECAMATAN_ROLES or user.role == Role.OPERATOR_DESA
    )


def is_kecamatan_staff(user) -> bool:
    return user.is_authenticated and (user.is_portal_admin or user.role in KECAMATAN_ROLES)


# The kecamatan's supervisors: they grant dispensasi, declare an obligation not applicable, review the desa's
# attendance and sign teguran. One set for every app (monev's "grant" and attendance's "review" are this role).
SUPERVISING_ROLES = frozenset({Role.CAMAT, Role.SEKCAM, Role.KASI_TAPEM})


def is_supervisor(user) -> bool:
    return user.is_authenticated and (user.is_portal_admin or user.role in SUPERVISING_ROLES)


def can_verify(user) -> bool:
    """Verify desa submissions: the Kasi Tapem or another kecamatan role."""
    return is_kecamatan_staff(user)


def can_grant(user) -> bool:
    """Grant an extension (dispensasi) or mark an obligation not applicable."""
    return is_supervisor(user)


def can_submit_for_desa(user) -> bool:
    """Hand in the desa's own documents, proposals and meeting records: its operator and its Kepala Desa."""
    return user.is_authenticated and user.role in (Role.OPERATOR_DESA, Role.KEPALA_DESA)


def can_write_for_desa(user) -> bool:
    """Write a desa's data (its proposals, an event date): the desa itself, or kecamatan staff helping it.
    The object's scope is checked separately (``portal.scoping``)."""
    return can_submit_for_desa(user) or is_kecamatan_staff(user)


def can_manage_holidays(user) -> bool:
    return is_kecamatan_staff(user)


def can_change_holiday(user, holiday) -> bool:
    """A national row (no kecamatan) only by an administrator; kecamatan staff change their own kecamatan's."""
    return can_manage_holidays(user) and (user.is_portal_admin or holiday.kecamatan_id == user.kecamatan_id)


def can_see_full_nik(user, desa_id: int | None) -> bool:
    """The full NIK of a perangkat of ``desa_id``: only those who keep the person's record, i.e. that desa's own
    Operator Desa and Kepala Desa, and the Administrator. Kecamatan roles tell people apart by name and jabatan
    and see the NIK masked (``portal.privacy.nik_shown``)."""
    if not user.is_authenticated:
        return False
    return user.is_portal_admin or (user.role in DESA_ROLES and desa_id is not None and user.desa_id == desa_id)


def can_search_nik(user) -> bool:
    """Searching by NIK answers "whose number starts like this?", so it would reveal a masked NIK digit by digit:
    only for users who see every NIK in their scope (the Administrator; a desa user, whose scope is their desa)."""
    return can_see_full_nik(user, getattr(user, "desa_id", None))
