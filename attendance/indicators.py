"""Attendance's indicator formula for the kecamatan's IKU/IKK (``portal.indicators``, registered in
``AttendanceConfig.ready``)."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from attendance.recap import Totals, desa_month
from portal.indicators import Record, Result, quarter_range


def attendance_rate(*, user, kecamatan, year: int, quarter: int | None = None) -> Result:
    """% kehadiran of every perangkat of the kecamatan's desa over the year (or triwulan): the monthly
    recap (``attendance.recap.desa_month``, each kecamatan's missing-punch policy) added up, months still to
    come left out."""
    first, last = quarter_range(year, quarter)
    today = timezone.localdate()
    per_desa: dict[int, tuple] = {}
    month = first
    while month <= min(last, today):
        for row in desa_month(user=user, month=month):
            if row.desa.kecamatan_id != kecamatan.id:
                continue
            desa, totals = per_desa.setdefault(row.desa.id, (row.desa, Totals()))
            totals += row.totals
        month = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    overall = Totals()
    records = []
    for desa, totals in sorted(per_desa.values(), key=lambda pair: pair[0].nama):
        overall += totals
        if totals.rate is not None:
            url = reverse("attendance-desa-month", args=[desa.kode]) + f"?bulan={year}-01"
            records.append(Record(desa.nama, f"{totals.rate:.1f}%", url))
    known = overall.hari_kerja - overall.nd
    return Result(overall.rate, records, overall.present, known or None)
