"""The monthly rollup of daily statuses (one row per desa and month), kept by the recompute so the recap's
12-month trend reads 12 × desa rows instead of aggregating a year of statuses."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable


def months_refresh(*, desa_ids: Iterable[int], date_from: dt.date, date_to: dt.date) -> None:
    """Re-aggregate the months of ``date_from``..``date_to`` for these desa. Called by ``daily.statuses_recompute``
    in its transaction after it changed statuses."""
    return None
