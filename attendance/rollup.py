"""The monthly rollup of daily statuses (one row per desa and month), kept by the recompute so the recap's
12-month trend reads 12 × desa rows instead of aggregating a year of statuses.

A rollup row holds the raw ``recap.Totals`` of a desa's month, summed by the very aggregate the recap uses
(``recap._aggregates``), so it is the month as the recap would count it; the kecamatan's missing-punch policy is
applied when it is read (``Totals.counted``), so a policy change needs no rebuild. A (desa, month) with no
status has no row, as it has no entry in the trend. Set-based on PostgreSQL and SQLite alike: one
``INSERT … SELECT … GROUP BY … ON CONFLICT DO UPDATE`` and one ``DELETE``, whatever the number of desa, months
or statuses."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models.functions import TruncMonth
from django.utils import timezone

from attendance.models import DailyStatus, DesaMonthRollup

ONE_DAY = dt.timedelta(days=1)


def _month_end(day: dt.date) -> dt.date:
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - ONE_DAY


def months_refresh(*, desa_ids: Iterable[int], date_from: dt.date, date_to: dt.date) -> None:
    """Re-aggregate the months of ``date_from``..``date_to`` for these desa. Called by ``daily.statuses_recompute``
    in its transaction after it changed statuses: every month the range touches is summed whole (a recompute of
    one day changes its month's totals), and a month left without statuses (its perangkat gone) loses its row."""
    ids = sorted(set(desa_ids))
    if not ids or date_to < date_from:
        return
    first, last = date_from.replace(day=1), _month_end(date_to)
    # Every row of these months is summed again below, so they all go first: a month left without statuses then
    # simply gets no row back. (Asking per row whether its month still has a status read every status of the
    # month a second time.) The upsert's conflict clause still meets a row a concurrent recompute inserted.
    DesaMonthRollup.objects.filter(desa_id__in=ids, month__range=(first, last)).delete()
    _upsert(ids, first, last)


def rebuild(*, date_from: dt.date | None = None, date_to: dt.date | None = None) -> int:
    """Sum every desa's months again from the statuses (all of them, or the months of a range): after statuses
    were written other than by the recompute (a restore, a bulk load). Returns the number of rollup rows of
    those months afterwards."""
    from portal.models import Desa

    rows = DesaMonthRollup.objects.all()
    statuses = DailyStatus.objects.all()
    if date_from is not None:
        date_from = date_from.replace(day=1)
        rows, statuses = rows.filter(month__gte=date_from), statuses.filter(date__gte=date_from)
    if date_to is not None:
        date_to = _month_end(date_to)
        rows, statuses = rows.filter(month__lte=date_to), statuses.filter(date__lte=date_to)
    span = statuses.order_by().values_list("date", flat=True)
    low, high = span.order_by("date").first(), span.order_by("-date").first()
    with transaction.atomic():
        if low is None:
            rows.delete()
            return 0
        months_refresh(desa_ids=Desa.objects.values_list("id", flat=True), date_from=low, date_to=high)
        # Months outside the statuses' span have nothing to keep.
        rows.exclude(month__range=(low.replace(day=1), _month_end(high))).delete()
        return rows.count()


def _upsert(desa_ids: list[int], first: dt.date, last: dt.date) -> None:
    """One statement: the months' aggregate per (desa, month), inserted or written over the existing row."""
    from attendance.recap import Totals, _aggregates

    fields = list(Totals.__dataclass_fields__)
    source = (
        DailyStatus.objects.filter(desa_id__in=desa_ids, date__range=(first, last))
        .annotate(month=TruncMonth("date"))
        .values("desa_id", "month")
        .annotate(**_aggregates())
        .order_by()
    )
    select, params = source.query.sql_with_params()
    qn = connection.ops.quote_name
    columns = ", ".join(qn(name) for name in ["desa_id", "month", *fields])
    updates = ", ".join(f"{qn(name)} = excluded.{qn(name)}" for name in [*fields, "computed_at"])
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    # ``WHERE 1 = 1``: SQLite reads an upsert after ``INSERT … SELECT`` unambiguously only with a WHERE.
    table = qn(DesaMonthRollup._meta.db_table)
    sql = (
        f"INSERT INTO {table} ({columns}, {qn('computed_at')}) "  # noqa: S608  (our names, bound values)
        f"SELECT {columns}, %s FROM ({select}) AS source WHERE 1 = 1 "
        f"ON CONFLICT ({qn('desa_id')}, {qn('month')}) DO UPDATE SET {updates}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [now, *params])
