"""Charts drawn on the server: the one way the portal draws a picture (no JavaScript, no CDN, nothing inline
that the Content-Security-Policy would block — SVG presentation attributes are not styles).

Two kinds, both pure functions of plain numbers, so a test can check the geometry without a browser:

- ``hbars``: horizontal bars, one row per thing (a document type, a desa, a bidang), each row split into
  coloured segments (one segment = a plain bar). Rows keep the order given: sort before calling for a
  ranking. The value is printed at the right end, and every segment carries a ``<title>`` with its name and
  figure; the row's label links to where the row is acted on.
- ``heat_level``: the colour step of a heatmap cell; the heatmap itself is an HTML table (real row and column
  headers a screen reader can walk) whose cells carry ``heat-<n>`` classes from ``portal/charts.css``.

Templates: ``portal/charts/hbars.html`` (``{% include … with chart=… %}``) and ``portal/charts/_legend.html``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

# The drawing box, in SVG units: 360 wide renders about 1:1 on a 390 px phone; ``portal/charts.css`` caps
# the width on a monitor so the text does not grow with the screen. Two layouts: "side" (label, bar, value on
# one line; labels are cut at ``SIDE_LABEL_CHARS``) for many short rows, "above" (the label on its own line
# over the bar and its value) for a few long labels.
WIDTH = 360
SIDE_LABEL_WIDTH, SIDE_VALUE_WIDTH, SIDE_ROW_HEIGHT, SIDE_LABEL_CHARS = 116, 46, 21, 19
ABOVE_ROW_HEIGHT, ABOVE_BAR_Y, ABOVE_LABEL_CHARS = 30, 15, 58  # a label line is cut before it leaves the box
BAR_HEIGHT = 12
AXIS_HEIGHT = 14  # room for the scale's labels above the first row
MIN_TEXT_WIDTH = 16  # a segment narrower than this shows its figure only in its title

# Fills with the colour of the text that stays readable on them (contrast ≥ 4.5:1).
DARK_TEXT, LIGHT_TEXT = "#212529", "#ffffff"
LIGHT_FILLS = {"#ffc107", "#0dcaf0", "#e9ecef", "#a3cfbb", "#f8d7da", "#fff3cd", "#cfe2ff", "#adb5bd"}


@dataclass(frozen=True)
class Segment:
    """One kind of part: its name in the legend and titles, and its fill."""

    key: str
    label: str
    color: str

    @property
    def text_color(self) -> str:
        return DARK_TEXT if self.color in LIGHT_FILLS else LIGHT_TEXT


@dataclass
class Row:
    """One bar's data: a value per segment key (missing = 0), and a link where the row is acted on."""

    label: str
    values: dict[str, float]
    url: str = ""
    value_text: str = ""  # printed at the right; the total when empty


@dataclass
class Rect:
    x: str
    y: str
    w: str
    h: str
    fill: str
    title: str
    text: str = ""
    text_x: str = ""
    text_y: str = ""
    text_fill: str = ""


@dataclass
class DrawnRow:
    label: str
    full_label: str
    url: str
    label_y: str
    value_y: str
    value_text: str
    rects: list[Rect] = field(default_factory=list)


@dataclass
class Tick:
    x: str
    text: str


@dataclass
class HBars:
    label: str  # the chart's accessible name
    width: int
    height: int
    rows: list[DrawnRow]
    segments: list[Segment]
    ticks: list[Tick]
    axis_bottom: str
    testid: str = ""

    @property
    def empty(self) -> bool:
        return not self.rows


def coord(value: float) -> str:
    """An SVG coordinate: always a dot as decimal separator, whatever the page's locale."""
    return f"{value:.1f}"


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def hbars(
    rows: Sequence[Row],
    segments: Sequence[Segment],
    *,
    label: str,
    scale_max: float | None = None,
    ticks: Sequence[tuple[float, str]] = (),
    fmt: Callable[[float], str] = lambda v: f"{v:g}",
    layout: str = "side",
    segment_figures: bool = True,
    value_width: int = SIDE_VALUE_WIDTH,
    testid: str = "",
) -> HBars:
    """Horizontal (stacked) bars. ``scale_max`` is the value of a full-width bar (default: the largest row
    total, so rows compare by length); ``ticks`` are (value, text) grid lines drawn across every row;
    ``fmt`` writes a figure for the titles, the segments and the default value text; ``segment_figures``
    off keeps long figures (money) out of the segments, in their titles only; ``value_width`` is the room
    kept at the right for the value (wider for money)."""
    side = layout == "side"
    bar_left = SIDE_LABEL_WIDTH if side else 0
    bar_width = WIDTH - bar_left - value_width
    row_height = SIDE_ROW_HEIGHT if side else ABOVE_ROW_HEIGHT
    bar_y = (SIDE_ROW_HEIGHT - BAR_HEIGHT) / 2 if side else ABOVE_BAR_Y
    totals = [sum(row.values.get(s.key, 0) or 0 for s in segments) for row in rows]
    top = scale_max or max(totals, default=0) or 1
    offset = AXIS_HEIGHT if ticks else 0
    drawn = []
    for i, (row, total) in enumerate(zip(rows, totals, strict=True)):
        row_top = offset + i * row_height
        item = DrawnRow(
            label=_short(row.label, SIDE_LABEL_CHARS if side else ABOVE_LABEL_CHARS),
            full_label=row.label,
            url=row.url,
            label_y=coord(row_top + (bar_y + BAR_HEIGHT - 2 if side else 11)),
            value_y=coord(row_top + bar_y + BAR_HEIGHT - 2),
            value_text=row.value_text or fmt(total),
        )
        x = float(bar_left)
        for segment in segments:
            value = row.values.get(segment.key, 0) or 0
            if value <= 0:
                continue
            width = max(bar_width * value / top, 1.0)
            rect = Rect(
                x=coord(x),
                y=coord(row_top + bar_y),
                w=coord(width),
                h=coord(BAR_HEIGHT),
                fill=segment.color,
                title=f"{row.label} — {segment.label}: {fmt(value)}",
            )
            if segment_figures and len(segments) > 1 and width >= MIN_TEXT_WIDTH:
                rect.text = fmt(value)
                rect.text_x = coord(x + width / 2)
                rect.text_y = coord(row_top + bar_y + BAR_HEIGHT - 2.5)
                rect.text_fill = segment.text_color
            item.rects.append(rect)
            x += width
        drawn.append(item)
    return HBars(
        label=label,
        width=WIDTH,
        height=offset + len(rows) * row_height,
        rows=drawn,
        segments=list(segments),
        ticks=[Tick(x=coord(bar_left + bar_width * value / top), text=text) for value, text in ticks],
        axis_bottom=coord(offset + len(rows) * row_height),
        testid=testid,
    )


# Heatmap steps: the share (0–100) at or above which a cell takes the step. Red for the worst, green for the
# best, each a tint dark text reads on (``portal/charts.css``).
HEAT_STEPS = (95, 85, 70, 50, 0)


def heat_level(value: float | None) -> str:
    """The class of a heatmap cell: ``heat-0`` (≥ 95 %) … ``heat-4`` (< 50 %), ``heat-none`` without data."""
    if value is None:
        return "heat-none"
    for level, floor in enumerate(HEAT_STEPS):
        if value >= floor:
            return f"heat-{level}"
    return f"heat-{len(HEAT_STEPS) - 1}"


def heat_legend() -> list[tuple[str, str]]:
    """The steps as (class, the range of % it stands for), best first: ("heat-0", "≥ 95%"), ("heat-1", "85–95%"),
    …; a value on a boundary belongs to the higher step."""
    legend = [("heat-0", f"≥ {HEAT_STEPS[0]}%")]
    for level in range(1, len(HEAT_STEPS) - 1):
        legend.append((f"heat-{level}", f"{HEAT_STEPS[level]}–{HEAT_STEPS[level - 1]}%"))
    legend.append((f"heat-{len(HEAT_STEPS) - 1}", f"< {HEAT_STEPS[-2]}%"))
    return legend
