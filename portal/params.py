"""Request parameters: one parser per kind of value, for pages and the API alike.

Pages name them in Bahasa Indonesia (``?tahun=``, ``?bulan=``, ``?tanggal=``), the API in English (``?year=``,
``?month=``, ``?date=``); both names work on both, and the first one of ``names`` is the one an error names
when the parameter is missing. A date's format follows its name: ``tanggal`` is dd/mm/yyyy as pages show
dates, ``date`` is ISO 8601 as the API documents them.

An absent parameter gives the default (or, when required, an error); one that is there must be right: a
malformed value, or a year outside the business years (``portal.validators``), raises ``ParamError``. It is a
Django ``ValidationError`` keyed by the parameter's name, so the API's error handler answers 400 with the name
under ``fields``; a page shows the message and goes on with its default (``on_page``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from typing import TypeVar

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from portal.models import Desa, User
from portal.scoping import get_in_scope_or_404
from portal.validators import BUSINESS_YEAR_MAX, BUSINESS_YEAR_MIN, validate_business_date

T = TypeVar("T")

YEAR = ("tahun", "year")
MONTH = ("bulan", "month")
DATE = ("tanggal", "date")
DESA = ("desa",)
# The API's order: its own name is the one an error names.
API_YEAR = ("year", "tahun")
API_MONTH = ("month", "bulan")
API_DATE = ("date", "tanggal")

DATE_FORMATS = {"tanggal": ("%d/%m/%Y", "dd/mm/yyyy", "17/08/2026"), "date": ("%Y-%m-%d", "YYYY-MM-DD", "2026-08-17")}
MONTH_FORMATS = ("%Y-%m", "%Y-%m-%d")  # a full date means its month
_YEAR = re.compile(r"[0-9]{4}")


class ParamError(ValidationError):
    """A request parameter that is malformed, out of range or missing; ``name`` is the parameter's."""

    def __init__(self, name: str, message: str):
        super().__init__({name: [message]})
        self.name, self.text = name, message


def _raw(query: Mapping, names: tuple[str, ...]) -> tuple[str, str]:
    """The first of ``names`` given a value, and that value; else the first name and ""."""
    for name in names:
        value = str(query.get(name) or "").strip()
        if value:
            return name, value
    return names[0], ""


def _business_date(name: str, value: dt.date) -> dt.date:
    try:
        validate_business_date(value)
    except ValidationError as exc:
        raise ParamError(name, exc.messages[0]) from None
    return value


def _year_of(name: str, raw: str) -> int:
    if not _YEAR.fullmatch(raw):
        raise ParamError(name, _("Isi tahun dengan empat angka, mis. 2026."))
    value = int(raw)
    if not BUSINESS_YEAR_MIN <= value <= BUSINESS_YEAR_MAX:
        message = _("Tahun harus di antara %(min)s dan %(max)s.") % {"min": BUSINESS_YEAR_MIN, "max": BUSINESS_YEAR_MAX}
        raise ParamError(name, message)
    return value


def parse_month(value: object) -> dt.date | None:
    """``YYYY-MM`` (or ``YYYY-MM-DD``) → the first of that month; anything else → None. No range check."""
    if not isinstance(value, str):
        return None
    for pattern in MONTH_FORMATS:
        try:
            return dt.datetime.strptime(value.strip(), pattern).date().replace(day=1)
        except ValueError:
            continue
    return None


def year(
    query: Mapping, *, names: tuple[str, ...] = YEAR, default: int | None = None, required: bool = False
) -> int | None:
    """A year within the business years (``?tahun=2026``)."""
    name, raw = _raw(query, names)
    if not raw:
        if required:
            raise ParamError(name, _("Isi tahun dengan empat angka, mis. 2026."))
        return default
    return _year_of(name, raw)


def years(query: Mapping, *, names: tuple[str, ...] = ("years",), most: int = 10) -> list[int]:
    """Required: years separated by commas (``?years=2025,2026``), each a business year; sorted, once each."""
    name, raw = _raw(query, names)
    parts = [part.strip() for part in raw.split(",") if part.strip()]
    if not parts or len(parts) > most:
        message = _("Isi tahun dipisah koma, mis. 2025,2026 (paling banyak %(most)s).") % {"most": most}
        raise ParamError(name, message)
    return sorted({_year_of(name, part) for part in parts})


def month(query: Mapping, *, names: tuple[str, ...] = MONTH, default: dt.date | None = None) -> dt.date | None:
    """A month as its first day (``?bulan=2026-08``), within the business years."""
    name, raw = _raw(query, names)
    if not raw:
        return default
    value = parse_month(raw)
    if value is None:
        raise ParamError(name, _("Isi bulan dengan format YYYY-MM, mis. 2026-08."))
    return _business_date(name, value)


def date(query: Mapping, *, names: tuple[str, ...] = DATE, default: dt.date | None = None) -> dt.date | None:
    """A day in its name's format (``?tanggal=17/08/2026``, ``?date=2026-08-17``), within the business years."""
    name, raw = _raw(query, names)
    if not raw:
        return default
    pattern, shown, example = DATE_FORMATS.get(name, DATE_FORMATS["date"])
    try:
        value = dt.datetime.strptime(raw, pattern).date()
    except ValueError:
        raise ParamError(name, _("Isi tanggal dengan format %(f)s, mis. %(e)s.") % {"f": shown, "e": example}) from None
    return _business_date(name, value)


def desa(
    query: Mapping,
    user: User,
    *,
    names: tuple[str, ...] = DESA,
    required: bool = False,
    queryset: QuerySet | None = None,
) -> Desa | None:
    """The desa named by its Kemendagri code (``?desa=35.24.13.2001``); one outside the user's scope is a 404,
    the same answer as one that does not exist."""
    name, kode = _raw(query, names)
    if not kode:
        if required:
            raise ParamError(name, _("Isi kode desa, mis. 35.24.13.2001."))
        return None
    return get_in_scope_or_404(queryset if queryset is not None else Desa.objects.all(), user, kode=kode)


def on_page(request, parse: Callable[..., T | None], /, *args, default: T, **kwargs) -> T:
    """A page's parameter: a bad value is a message above the page and the default, never an error page."""
    try:
        value = parse(*args, default=default, **kwargs)
    except ParamError as exc:
        messages.error(request, exc.text)
        return default
    return default if value is None else value
