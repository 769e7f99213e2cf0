"""Indicator formulas (IKU/IKK counted from the portal's own records), contributed by the apps without any app
importing another (like ``portal.home``): monev's indicator pages ask for a formula by key, the app that owns the
records behind it answers.

An app registers in its ``AppConfig.ready``: ``register(key, formula, label=…)``. The contract of a formula:

- it is called with keywords only: ``formula(user=, kecamatan=, year=, quarter=)``: the user whose scope
  applies, the indicator's ``Kecamatan``, the year, and the triwulan (1–4) or ``None`` for the whole year
  (``quarter_range`` gives the dates);
- every read starts from ``portal.scoping.restrict(…, user)`` and keeps to ``kecamatan``;
- it answers a ``Result``: the value, ``None`` when there is nothing to count (shown as "no data", never as
  0), and the records behind it, each with a link for the drill-down.

A key nobody registered (the app is not installed) is answered by ``compute`` as no data with
``available=False``."""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.exceptions import ImproperlyConfigured


@dataclass
class Record:
    """One row behind a value: what it is, what it says, and where it is acted on."""

    label: str
    detail: str = ""
    url: str = ""
    counted: bool = True  # counted in the numerator


@dataclass
class Result:
    value: float | None
    records: list[Record] = field(default_factory=list)
    numerator: float | None = None
    denominator: float | None = None
    available: bool = True  # False: the source is not installed (yet)


Formula = Callable[..., Result]

_formulas: dict[str, Formula] = {}
_labels: dict[str, str] = {}


def _name(formula: Formula) -> str:
    return f"{formula.__module__}.{formula.__qualname__}"


def register(key: str, formula: Formula, *, label: str = "") -> None:
    """Bind ``key`` to ``formula``. Registering the same function again is harmless; a second function under
    a key already taken is a mistake in the apps, and fails at start-up."""
    known = _formulas.get(key)
    if known is not None and _name(known) != _name(formula):
        raise ImproperlyConfigured(f"indicator formula {key!r} is already {_name(known)}")
    _formulas[key] = formula
    _labels[key] = label


def get(key: str) -> Formula | None:
    return _formulas.get(key)


def keys() -> list[str]:
    return list(_formulas)


def label(key: str) -> str:
    return str(_labels.get(key, ""))


def choices() -> list[tuple[str, str]]:
    return [(key, label(key)) for key in _formulas]


def compute(key: str, *, user, kecamatan, year: int, quarter: int | None = None) -> Result:
    formula = _formulas.get(key)
    if formula is None:
        return Result(None, available=False)
    return formula(user=user, kecamatan=kecamatan, year=year, quarter=quarter or None)


def not_started(year: int, quarter: int | None, today: dt.date) -> bool:
    """A period that has not begun has no data yet: counting it would show a red 0 for the future."""
    return quarter_range(year, quarter)[0] > today


def quarter_range(year: int, quarter: int | None) -> tuple[dt.date, dt.date]:
    """First and last day of the triwulan, or of the whole year without one."""
    if not quarter:
        return dt.date(year, 1, 1), dt.date(year, 12, 31)
    last_month = quarter * 3
    return dt.date(year, last_month - 2, 1), dt.date(year, last_month, calendar.monthrange(year, last_month)[1])
