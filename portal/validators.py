import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

KODE_KECAMATAN_RE = re.compile(r"^\d{2}\.\d{2}\.\d{2}$")
KODE_DESA_RE = re.compile(r"^\d{2}\.\d{2}\.\d{2}\.\d{4}$")
NIK_RE = re.compile(r"^\d{16}$")
# NIPD (nomor induk perangkat desa) formats differ per kabupaten; digits with optional dots, slashes or
# dashes between them.
NIPD_RE = re.compile(r"^\d[\d./-]{2,28}\d$")


def validate_kode_kecamatan(value: str) -> None:
    if not KODE_KECAMATAN_RE.match(value or ""):
        raise ValidationError(_("Kode kecamatan harus berformat 99.99.99 (contoh 35.24.13)."), code="kode")


def validate_kode_desa(value: str) -> None:
    if not KODE_DESA_RE.match(value or ""):
        raise ValidationError(_("Kode desa harus berformat 99.99.99.9999 (contoh 35.24.13.2001)."), code="kode")


def validate_nik(value: str) -> None:
    if not NIK_RE.match(value):
        raise ValidationError(_("NIK harus terdiri dari 16 angka."), code="nik")
    # Digits 7-12 are the birth date (DDMMYY, women add 40 to the day); a day of 00 or over 71 cannot be.
    day = int(value[6:8])
    month = int(value[8:10])
    if not (1 <= day <= 31 or 41 <= day <= 71) or not 1 <= month <= 12:
        raise ValidationError(_("NIK tidak valid: bagian tanggal lahir (digit 7–12) tidak masuk akal."), code="nik")


def validate_nipd(value: str) -> None:
    if not NIPD_RE.match(value):
        raise ValidationError(
            _("NIPD hanya boleh berisi angka dengan pemisah titik, garis miring atau tanda hubung (4–30 karakter)."),
            code="nipd",
        )
