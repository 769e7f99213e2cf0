"""Reads on the core data, always already scoped to the user."""

from __future__ import annotations

from django.db.models import Case, Count, Q, QuerySet, When

from portal.choices import Jabatan
from portal.models import Desa, Kecamatan, Perangkat, User
from portal.scoping import restrict


def kecamatan_list(*, user: User) -> QuerySet[Kecamatan]:
    return restrict(Kecamatan.objects.all(), user)


def desa_list(*, user: User) -> QuerySet[Desa]:
    return restrict(Desa.objects.select_related("kecamatan"), user)


def desa_list_with_counts(*, user: User) -> QuerySet[Desa]:
    return (
        desa_list(user=user)
        .annotate(perangkat_aktif=Count("perangkat_set", filter=Q(perangkat_set__aktif=True)))
        .order_by("kode")
    )


# Rank of each jabatan in the SOTK, so lists read top-down: Kepala Desa, Sekretaris, Kaur, Kasi, Kasun, staf.
JABATAN_ORDER = Case(*[When(jabatan=value, then=rank) for rank, value in enumerate(Jabatan.values)], default=99)


def perangkat_list(*, user: User) -> QuerySet[Perangkat]:
    return restrict(Perangkat.objects.select_related("desa", "desa__kecamatan"), user).order_by(
        "desa__kode", JABATAN_ORDER, "nama"
    )


def dashboard_counts(*, user: User) -> dict[str, int]:
    desa = desa_list(user=user)
    return {
        "kecamatan": kecamatan_list(user=user).count(),
        "desa": desa.count(),
        "perangkat_aktif": perangkat_list(user=user).filter(aktif=True).count(),
        "perangkat_nonaktif": perangkat_list(user=user).filter(aktif=False).count(),
    }
