"""The attendance review's pictures (``portal.charts``): today's perangkat per desa as stacked bars, and the
desa × month heatmap of % kehadiran."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.urls import reverse
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _

from attendance.recap import TodayRow, Totals
from portal.charts import HBars, Row, Segment, hbars, heat_level

# The today table's columns in its order, so picture and table read alike. A perangkat without a status yet
# is already "no data" in ``recap.today``, so the parts add up to the perangkat.
TODAY_PARTS = (
    ("on_time", "Tepat waktu", "#198754"),
    ("late", "Terlambat", "#ffc107"),
    ("missing_in", "Tanpa absen masuk (TAM)", "#fd7e14"),
    ("on_leave", "Izin/cuti/DL", "#0dcaf0"),
    ("absent", "Tanpa keterangan (TK)", "#dc3545"),
    ("no_data", "Tidak ada data", "#adb5bd"),
    ("day_off", "Libur", "#cfe2ff"),
)


def _today_segments() -> list[Segment]:
    return [Segment(key, _(label), color) for key, label, color in TODAY_PARTS]


def today_by_desa(rows: list[TodayRow], *, bulan: str) -> HBars:
    """One bar per desa, as long as its perangkat, split into the day's parts; the figure at the right is
    who came (on time or late) of the perangkat."""
    chart_rows = []
    for row in rows:
        values = {key: getattr(row, key) for key, _label, _color in TODAY_PARTS}
        came = row.arrived
        chart_rows.append(
            Row(
                label=row.desa.nama,
                values=values,
                url=f"{reverse('attendance-desa-month', args=[row.desa.kode])}?bulan={bulan}",
                value_text=f"{came}/{row.perangkat}",
            )
        )
    return hbars(chart_rows, _today_segments(), label=_("Absensi hari ini per desa"), testid="chart-today")


@dataclass
class HeatCell:
    month: dt.date
    value: float | None
    text: str
    level: str
    title: str


@dataclass
class HeatRow:
    desa: object
    cells: list[HeatCell]


def heatmap(rows, series: dict[int, list[tuple[dt.date, Totals]]], months: list[dt.date]) -> list[HeatRow]:
    """Per desa (the ranking's order), per month: % kehadiran with its colour step; a month without data is
    shown as such, never as 0 %."""
    by_desa = {desa_id: dict(items) for desa_id, items in series.items()}
    result = []
    for row in rows:
        totals = by_desa.get(row.desa.pk, {})
        cells = []
        for month in months:
            t = totals.get(month)
            rate = t.rate if t is not None else None
            label = date_format(month, "F Y")
            if rate is None:
                title = _("%(desa)s, %(month)s: belum ada data") % {"desa": row.desa.nama, "month": label}
                cells.append(HeatCell(month, None, "–", heat_level(None), title))
                continue
            text = number_format(rate, 0)
            title = _("%(desa)s, %(month)s: kehadiran %(rate)s%%") % {
                "desa": row.desa.nama,
                "month": label,
                "rate": number_format(rate, 1),
            }
            cells.append(HeatCell(month, rate, text, heat_level(rate), title))
        result.append(HeatRow(row.desa, cells))
    return result
