"""The attendance review's pictures (``portal.charts``): today's perangkat per desa as stacked bars, the desa ×
month heatmap of % kehadiran, and the 12-month trend chart per desa.

The month recap draws the heatmap and the trends for every desa in scope (474 in a kabupaten): their repeated
markup is built here in Python, once per cell, with every text escaped where it is made (a desa's name is user
data), rather than by template loops; what every chart shares is drawn once per page."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote

from django.urls import reverse
from django.utils.formats import date_format, localize, number_format
from django.utils.html import escape
from django.utils.safestring import mark_safe
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
    url: str = ""  # the desa's month page, when ``heatmap`` was given the month


def desa_month_urls(bulan: str) -> Callable[[str], str]:
    """The link to a desa's month page, by desa code: ``reverse`` once per page rather than once per desa."""
    head, _placeholder, tail = reverse("attendance-desa-month", args=["KODE"]).partition("KODE")
    return lambda kode: f"{head}{quote(kode, safe='')}{tail}?bulan={bulan}"


class Figures:
    """Localised figures as a template would print them, each distinct value formatted once: a page of 474 desa
    prints thousands of small counts and rates (one decimal) but only a few hundred distinct ones.
    ``places=None``: as ``{{ value }}``; a number: as ``number_format(value, places)``."""

    def __init__(self) -> None:
        self._cache: dict[tuple[float, int | None], str] = {}

    def __call__(self, value: float, places: int | None = None) -> str:
        key = (value, places)
        text = self._cache.get(key)
        if text is None:
            text = localize(value) if places is None else number_format(value, places)
            text = self._cache[key] = escape(text)
        return text


def heatmap(
    rows, series: dict[int, list[tuple[dt.date, Totals]]], months: list[dt.date], *, bulan: str = ""
) -> list[HeatRow]:
    """Per desa (the ranking's order), per month: % kehadiran with its colour step; a month without data is
    shown as such, never as 0 %. Titles are escaped here (a desa's name is user data); the wording and the
    month names are made once per page, not once per cell."""
    by_desa = {desa_id: dict(items) for desa_id, items in series.items()}
    labels = [escape(date_format(month, "F Y")) for month in months]
    no_data = escape(_("%(desa)s, %(month)s: belum ada data"))
    with_rate = escape(_("%(desa)s, %(month)s: kehadiran %(rate)s%%"))
    empty_level = heat_level(None)
    figures = Figures()
    steps: dict[float, tuple[str, str, str]] = {}  # per rate: its text, step and figure in the title
    url = desa_month_urls(bulan) if bulan else None
    result = []
    for row in rows:
        totals = by_desa.get(row.desa.pk, {})
        name = escape(row.desa.nama)
        cells = []
        for month, label in zip(months, labels, strict=True):
            t = totals.get(month)
            rate = t.rate if t is not None else None
            if rate is None:
                title = no_data % {"desa": name, "month": label}
                cells.append(HeatCell(month, None, "–", empty_level, title))
                continue
            step = steps.get(rate)
            if step is None:
                step = steps[rate] = (figures(rate, 0), heat_level(rate), figures(rate, 1))
            title = with_rate % {"desa": name, "month": label, "rate": step[2]}
            cells.append(HeatCell(month, rate, step[0], step[1], title))
        result.append(HeatRow(row.desa, cells, url(row.desa.kode) if url else ""))
    return result


def heatmap_rows(heat: list[HeatRow]) -> str:
    """The heatmap's body: a row per desa, its name (linked to its month) as the row header, then a cell per
    month. Built here rather than by a template loop: the kabupaten page has some 5,700 cells. Titles and texts
    were escaped in ``heatmap`` (``Figures`` escapes what it formats); the name and link are escaped here."""
    rows = []
    for row in heat:
        cells = "".join(f'<td class="{c.level}" title="{c.title}">{c.text}</td>' for c in row.cells)
        rows.append(
            f'<tr data-desa="{escape(row.desa.kode)}"><th class="text-start fw-normal text-nowrap">'
            f'<a href="{escape(row.url)}">{escape(row.desa.nama)}</a></th>{cells}</tr>\n'
        )
    return mark_safe("".join(rows))  # noqa: S308  (every value escaped above or in heatmap)


# Trend charts ----------------------------------------------------------------------------------------------

# The trend chart's box: a left margin for the % axis, room for values on top and month initials below.
TREND_W, TREND_H, TREND_PAD = 260, 110, 4
TREND_LEFT, TREND_TOP, TREND_BOTTOM = 24, 10, 12
TREND_FRAME_ID = "trend-frame"
RATE_COLOR, RATE_TEXT_COLOR, LATE_COLOR, AXIS_COLOR, GRID_COLOR = "#198754", "#0f5132", "#fd7e14", "#6c757d", "#dee2e6"


def _n(value: float) -> str:
    """An SVG coordinate: always a dot as decimal separator, whatever the page's locale."""
    return f"{value:.1f}"


@dataclass(frozen=True)
class _TrendGeometry:
    months: list[dt.date]
    step: float
    xs: list[float]

    @classmethod
    def of(cls, months: list[dt.date]) -> _TrendGeometry:
        step = (TREND_W - TREND_LEFT - TREND_PAD) / max(len(months), 1)
        return cls(months, step, [TREND_LEFT + step * i + step / 2 for i in range(len(months))])

    @property
    def plot_bottom(self) -> float:
        return TREND_H - TREND_BOTTOM

    @property
    def inner_h(self) -> float:
        return TREND_H - TREND_BOTTOM - TREND_TOP


def trend_frame(months: list[dt.date]) -> str:
    """What every trend chart shares, drawn once per page and referenced by each chart (``<use>``): the 0, 50
    and 100 % grid lines with their labels, and the month initials along the bottom."""
    g = _TrendGeometry.of(months)
    ys = [TREND_TOP + g.inner_h * (1 - value / 100) for value in (0, 50, 100)]
    grid = "".join(f'<line x1="{TREND_LEFT}" y1="{_n(y)}" x2="{TREND_W - TREND_PAD}" y2="{_n(y)}"/>' for y in ys)
    axis = "".join(
        f'<text x="{TREND_LEFT - 2}" y="{_n(y + 2.5)}">{value}%</text>'
        for y, value in zip(ys, (0, 50, 100), strict=True)
    )
    initials = "".join(
        f'<text x="{_n(x)}" y="{_n(TREND_H - 3)}" data-testid="trend-month">{escape(date_format(month, "M")[:3])}</text>'
        for x, month in zip(g.xs, months, strict=True)
    )
    return mark_safe(  # noqa: S308  (numbers, and month names escaped above)
        f'<svg width="0" height="0" class="position-absolute" aria-hidden="true" focusable="false">'
        f'<defs><g id="{TREND_FRAME_ID}">'
        f'<g stroke="{GRID_COLOR}" stroke-dasharray="2 2">{grid}</g>'
        f'<g font-size="7" fill="{AXIS_COLOR}"><g text-anchor="end">{axis}</g>'
        f'<g text-anchor="middle">{initials}</g></g>'
        f"</g></defs></svg>"
    )


def trend_charts(rows, series: dict[int, list[tuple[dt.date, Totals]]], months: list[dt.date]) -> dict[int, str]:
    """Per desa, its 12-month trend as one small SVG (server-rendered, no JavaScript; "" for a desa without
    data): the attendance rate as a line with a dot and its value over each month, on a 0–100 % axis; late
    minutes as bars on a scale shared by all desa, so the charts compare side by side. Each month with data
    is a column whose title names its figures (rate and late minutes) on hover. The axes and month initials
    are the page's one ``trend_frame``; the bars, the line and the dots are one path each. The kabupaten page
    draws some 500 of these: every text that does not depend on the desa is made once per page."""
    g = _TrendGeometry.of(months)
    by_desa = {desa_id: dict(items) for desa_id, items in series.items()}
    top = max((t.tl_minutes for items in by_desa.values() for t in items.values()), default=0) or 1
    plot_top, plot_bottom, inner_h = TREND_TOP, g.plot_bottom, g.inner_h
    names = [escape(date_format(month, "M Y")) for month in months]
    rate_title = escape(_("%(m)s: kehadiran %(r)s%%"))
    late_title = escape(_("%(m)s: %(n)s menit terlambat"))
    both_title = escape(_("%(m)s: kehadiran %(r)s%%, %(n)s menit terlambat"))
    label = escape(_("Tren kehadiran %(name)s"))
    xs = [_n(x) for x in g.xs]
    bar_x, bar_w = [_n(x - g.step * 0.3) for x in g.xs], _n(g.step * 0.6)
    column_x, column_w = [_n(TREND_LEFT + g.step * i) for i in range(len(months))], _n(g.step)
    head = f'<svg viewBox="0 0 {TREND_W} {TREND_H}" width="100%" role="img" data-testid="trend-chart" aria-label="'
    use = f'"><use href="#{TREND_FRAME_ID}"/>'
    figures = Figures()
    result: dict[int, str] = {}
    for row in rows:
        totals = by_desa.get(row.desa.pk)
        if not totals:
            result[row.desa.pk] = ""
            continue
        bars, points, dots, values, columns = [], [], [], [], []
        for i, month in enumerate(months):
            t = totals.get(month)
            if t is None:
                continue
            rate, late = t.rate, t.tl_minutes
            if late:
                height = max(inner_h * late / top, 1)
                bars.append(f"M{bar_x[i]} {_n(plot_bottom - height)}h{bar_w}v{_n(height)}h-{bar_w}z")
            if rate is not None:
                y = plot_top + inner_h * (1 - rate / 100)
                point = f"{xs[i]} {_n(y)}"
                points.append(point)
                dots.append(f"M{point}h0")
                values.append(f'<text x="{xs[i]}" y="{_n(y - 3)}">{rate:.0f}</text>')
            if rate is not None and late:
                title = both_title % {"m": names[i], "r": figures(rate, 1), "n": late}
            elif rate is not None:
                title = rate_title % {"m": names[i], "r": figures(rate, 1)}
            elif late:
                title = late_title % {"m": names[i], "n": late}
            else:
                continue
            columns.append(
                f'<rect x="{column_x[i]}" width="{column_w}" height="{TREND_H}"><title>{title}</title></rect>'
            )
        parts = [head, label % {"name": escape(row.desa.nama)}, use]
        if bars:
            parts.append(f'<path d="{"".join(bars)}" fill="{LATE_COLOR}" fill-opacity="0.6"/>')
        if points:
            parts.append(
                f'<polyline points="{" ".join(points)}" fill="none" stroke="{RATE_COLOR}" stroke-width="1.5"/>'
                # Zero-length segments with round caps: a dot per month in one path.
                f'<path d="{"".join(dots)}" stroke="{RATE_COLOR}" stroke-width="4" stroke-linecap="round"/>'
                f'<g font-size="6.5" text-anchor="middle" fill="{RATE_TEXT_COLOR}" data-testid="trend-values">'
                f"{''.join(values)}</g>"
            )
        # Invisible month columns on top, so a pointer anywhere over a month shows its figures.
        parts.append(f'<g fill-opacity="0">{"".join(columns)}</g></svg>')
        result[row.desa.pk] = mark_safe("".join(parts))  # noqa: S308  (numbers, and texts escaped above)
    return result
