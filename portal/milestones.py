"""Dates one app knows and another needs, without the apps importing each other.

An app registers a provider in its ``AppConfig.ready``; a reader asks by key. Today: monev tells when each
desa's RKPDes was set (``RKPDES_SET``), so Musrenbang can check the order Musdes → Musrenbangdes → RKPDes.
A key nobody registered answers an empty dict, never an error: the reader shows "not known"."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable

Provider = Callable[[list[int], int], dict[int, dt.date]]

RKPDES_SET = "rkpdes_set"  # desa id -> the day the RKPDes of budget year N was set (or first handed in)

_providers: dict[str, Provider] = {}


def register(key: str, provider: Provider) -> None:
    _providers[key] = provider


def dates(key: str, *, desa_ids: Iterable[int], year: int) -> dict[int, dt.date]:
    provider = _providers.get(key)
    return provider(list(desa_ids), year) if provider else {}
