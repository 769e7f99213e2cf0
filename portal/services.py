"""Writes on the core data. Each service is keyword-only, typed and atomic (Django-Styleguide)."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.choices import DESA_ROLES, KECAMATAN_ROLES, Role
from portal.models import Desa, Kecamatan, Notification, Perangkat, User
from portal.scoping import in_scope

PUCUK_CSV = Path(__file__).parent / "data" / "wilayah_pucuk.csv"


@dataclass(frozen=True)
class WilayahLoadResult:
    kecamatan_created: int
    desa_created: int
    desa_updated: int


@transaction.atomic
def wilayah_load(*, rows: Iterable[dict[str, str]]) -> WilayahLoadResult:
    """Create or update kecamatan and desa from rows keyed by Kemendagri code. Safe to run again."""
    kecamatan_by_kode: dict[str, Kecamatan] = {}
    kec_created = desa_created = desa_updated = 0
    for row in rows:
        kec_kode = row["kecamatan_kode"].strip()
        kecamatan = kecamatan_by_kode.get(kec_kode)
        if kecamatan is None:
            kecamatan, created = Kecamatan.objects.update_or_create(
                kode=kec_kode,
                defaults={
                    "nama": row["kecamatan_nama"].strip(),
                    "kabupaten": row["kabupaten"].strip(),
                    "provinsi": row.get("provinsi", "").strip(),
                },
            )
            kec_created += created
            kecamatan_by_kode[kec_kode] = kecamatan
        kode = row["kode"].strip()
        if not kode.startswith(kec_kode + "."):
            raise ValidationError(
                _("Kode desa %(kode)s tidak berada di kecamatan %(kec)s.") % {"kode": kode, "kec": kec_kode}
            )
        _desa, created = Desa.objects.update_or_create(
            kode=kode, defaults={"nama": row["nama"].strip(), "kecamatan": kecamatan}
        )
        desa_created += created
        desa_updated += not created
    return WilayahLoadResult(kec_created, desa_created, desa_updated)


def wilayah_load_csv(*, path: Path = PUCUK_CSV) -> WilayahLoadResult:
    with path.open(newline="", encoding="utf-8") as handle:
        return wilayah_load(rows=list(csv.DictReader(handle)))


# Users ------------------------------------------------------------------------------------------------


def _scope_for_role(role: str, desa: Desa | None, kecamatan: Kecamatan | None) -> tuple[Desa | None, Kecamatan | None]:
    if role in DESA_ROLES:
        if desa is None:
            raise ValidationError(_("Peran %(role)s memerlukan desa (--desa KODE).") % {"role": role})
        return desa, desa.kecamatan
    if role in KECAMATAN_ROLES:
        if kecamatan is None or desa is not None:
            raise ValidationError(
                _("Peran %(role)s memerlukan kecamatan (--kecamatan KODE) dan bukan desa.") % {"role": role}
            )
        return None, kecamatan
    if role == Role.ADMIN:
        if desa is not None or kecamatan is not None:
            raise ValidationError(_("Administrator tidak dibatasi wilayah; jangan isi desa/kecamatan."))
        return None, None
    raise ValidationError(_("Peran '%(role)s' tidak dikenal.") % {"role": role})


@transaction.atomic
def user_create(
    *,
    username: str,
    role: str,
    password: str,
    desa: Desa | None = None,
    kecamatan: Kecamatan | None = None,
    email: str = "",
    full_name: str = "",
    validate_password: bool = True,
) -> User:
    from django.contrib.auth.password_validation import validate_password as check_password

    desa, kecamatan = _scope_for_role(role, desa, kecamatan)
    if User.objects.filter(username=username).exists():
        raise ValidationError(_("Nama pengguna '%(u)s' sudah dipakai.") % {"u": username})
    user = User(username=username, role=role, desa=desa, kecamatan=kecamatan, email=email)
    if full_name:
        first, _sep, last = full_name.partition(" ")
        user.first_name, user.last_name = first, last
    if validate_password:
        check_password(password, user)
    user.set_password(password)
    if role == Role.ADMIN:
        user.is_staff = True
        user.is_superuser = True
    user.full_clean()
    user.save()
    return user


# Perangkat --------------------------------------------------------------------------------------------

PERANGKAT_FIELDS = (
    "nama",
    "nik",
    "nipd",
    "jenis_kelamin",
    "jabatan",
    "keterangan_jabatan",
    "tanggal_mulai",
    "tanggal_selesai",
    "aktif",
)


def _check_desa_in_scope(actor: User, desa: Desa) -> None:
    # A desa outside the actor's scope is reported as unknown, the same as one that does not exist.
    if not in_scope(desa, actor):
        raise ValidationError({"desa": _("Desa tidak ditemukan.")})


@transaction.atomic
def perangkat_create(*, actor: User, desa: Desa, **fields) -> Perangkat:
    _check_desa_in_scope(actor, desa)
    perangkat = Perangkat(desa=desa, **{k: v for k, v in fields.items() if k in PERANGKAT_FIELDS})
    perangkat.full_clean()
    perangkat.save()
    return perangkat


@transaction.atomic
def perangkat_update(*, actor: User, perangkat: Perangkat, desa: Desa | None = None, **fields) -> Perangkat:
    if desa is not None and desa.pk != perangkat.desa_id:
        _check_desa_in_scope(actor, desa)
        perangkat.desa = desa
    for name, value in fields.items():
        if name in PERANGKAT_FIELDS:
            setattr(perangkat, name, value)
    perangkat.full_clean()
    perangkat.save()
    return perangkat


@transaction.atomic
def perangkat_deactivate(*, actor: User, perangkat: Perangkat, tanggal_selesai: dt.date | None = None) -> Perangkat:
    """End a perangkat's term. The row stays (history, attendance) but is no longer active."""
    perangkat.aktif = False
    perangkat.tanggal_selesai = tanggal_selesai or dt.date.today()
    if perangkat.tanggal_mulai and perangkat.tanggal_selesai < perangkat.tanggal_mulai:
        raise ValidationError({"tanggal_selesai": _("Tanggal selesai tidak boleh sebelum tanggal mulai.")})
    perangkat.save(update_fields=["aktif", "tanggal_selesai"])
    return perangkat


# Inbox -------------------------------------------------------------------------------------------------


def notification_mark_read(*, user: User, notification: Notification) -> Notification:
    """Mark one of the user's own messages read. The first reading time is kept; a message in another user's
    inbox is PermissionDenied (the views look it up in the user's own inbox, so they answer 404 first)."""
    if notification.recipient_id != user.pk:
        raise PermissionDenied
    Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=timezone.now())
    notification.refresh_from_db(fields=["read_at"])
    return notification


def notifications_mark_all_read(*, user: User) -> int:
    """Mark every unread message of the user's inbox read; returns how many were marked."""
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(read_at=timezone.now())
