"""Personal numbers as a user may see them. Whether the full NIK is shown is ``permissions.can_see_full_nik``;
this is the one place that masks it, for pages, API responses and exports alike."""

from __future__ import annotations

from portal import permissions

MASK = "•"
SHOWN_EACH_END = 4


def nik_masked(nik: str) -> str:
    """3524130101850001 → 3524••••••••0001: the regency code and the last digits still tell two people apart;
    the birth date in between (digits 7–12) stays hidden."""
    if len(nik) <= 2 * SHOWN_EACH_END:
        return MASK * len(nik)
    return nik[:SHOWN_EACH_END] + MASK * (len(nik) - 2 * SHOWN_EACH_END) + nik[-SHOWN_EACH_END:]


def nik_shown(user, perangkat) -> str:
    """The perangkat's NIK as ``user`` may see it: in full, masked, or "" when none is recorded."""
    if not perangkat.nik or permissions.can_see_full_nik(user, perangkat.desa_id):
        return perangkat.nik
    return nik_masked(perangkat.nik)
