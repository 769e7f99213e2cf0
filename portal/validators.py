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


# Control characters (C0 except tab, line feed and carriage return; DEL; C1) have no place in free text: they
# break the spreadsheets the kecamatan downloads (openpyxl refuses them) and can hide text on screen.
CONTROL_CHARS_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def clean_text(value: str) -> str:
    """The one cleaner of free text where it enters (web forms, API bodies, imports)."""
    return CONTROL_CHARS_RE.sub("", value)


def clean_data(data):
    """``clean_text`` over every string of parsed data (dicts, lists, scalars), keys included."""
    if isinstance(data, str):
        return clean_text(data)
    if isinstance(data, dict):
        return {clean_data(k): clean_data(v) for k, v in data.items()}
    if isinstance(data, list):
        return [clean_data(v) for v in data]
    return data


def clean_querydict(query):
    """A cleaned copy of a form's QueryDict (every value of every key), immutable like the original."""
    cleaned = query.copy()
    for key in list(cleaned.keys()):
        cleaned.setlist(clean_text(key), [clean_text(v) if isinstance(v, str) else v for v in query.getlist(key)])
        if clean_text(key) != key:
            del cleaned[key]
    cleaned._mutable = False
    return cleaned


# Business dates (deadlines, triggers, dispensations, meetings) live in the years the portal serves. Outside them a
# date is a typo, and the working-day arithmetic near 31/12/9999 would overflow (a 500 instead of an answer).
BUSINESS_YEAR_MIN, BUSINESS_YEAR_MAX = 2000, 2100


def validate_business_date(value, field: str | None = None) -> None:
    """A form field's validator, or a service's check with ``field`` naming the input in the error."""
    if value is None or BUSINESS_YEAR_MIN <= value.year <= BUSINESS_YEAR_MAX:
        return
    error = ValidationError(
        _("Tanggal harus di antara tahun %(min)s dan %(max)s."),
        code="date_range",
        params={"min": BUSINESS_YEAR_MIN, "max": BUSINESS_YEAR_MAX},
    )
    raise ValidationError({field: error}) if field else error
