"""The board's pictures (``portal.charts``): the state of each document type over every desa in scope as
stacked bars, and the desa ranked by timeliness."""

from __future__ import annotations

from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext as _

from monev.choices import State
from monev.selectors import Board, Ranked
from portal.charts import HBars, Row, Segment, hbars

# Good to bad from the left, late last so it meets the eye beside the figure; the colours of the board's badges.
STATE_COLORS = {
    State.DITERIMA: "#198754",
    State.DIKIRIM: "#0d6efd",
    State.DISPENSASI: "#0dcaf0",
    State.DIKEMBALIKAN: "#ffc107",
    State.BELUM: "#e9ecef",
    State.TIDAK_BERLAKU: "#adb5bd",
    State.TERLAMBAT: "#dc3545",
}
# A ranking of every desa on one screen is a list nobody reads past 30; beyond that the head and the tail.
RANKING_ALL_UP_TO = 30
RANKING_ENDS = 10


def _board_url(**params) -> str:
    return f"{reverse('monev-board')}?{urlencode(params)}"


def states_by_type(board: Board) -> HBars:
    labels = dict(State.choices)
    segments = [Segment(str(state), str(labels[state]), color) for state, color in STATE_COLORS.items()]
    rows = [
        Row(
            label=t.short_name,
            values=dict(board.column_totals.get(t.id, {})),
            url=_board_url(tahun=board.year, jenis=t.code),
        )
        for t in board.types
        if board.column_totals.get(t.id)
    ]
    return hbars(
        rows,
        segments,
        label=_("Status kewajiban per jenis dokumen, tahun anggaran %(year)s") % {"year": board.year},
        testid="chart-states",
    )


def ranking(ranked: list[Ranked], *, year: int) -> tuple[HBars, int]:
    """The desa with a score, best first, as bars on a 0–100 % scale; with more than ``RANKING_ALL_UP_TO``
    only the best and the worst ``RANKING_ENDS``. Answers the chart and how many desa it leaves out."""
    scored = list(enumerate((r for r in ranked if r.score is not None), start=1))
    shown = scored
    if len(scored) > RANKING_ALL_UP_TO:
        shown = scored[:RANKING_ENDS] + scored[-RANKING_ENDS:]
    segment = Segment("score", _("Ketepatan waktu"), "#198754")
    rows = [
        Row(
            label=f"{rank}. {r.desa.nama}",
            values={"score": r.score * 100},
            url=f"{reverse('monev-desa', args=[r.desa.kode])}?tahun={year}",
            value_text=f"{r.score * 100:.0f}%",
        )
        for rank, r in shown
    ]
    chart = hbars(
        rows,
        [segment],
        label=_("Peringkat ketepatan waktu desa, tahun anggaran %(year)s") % {"year": year},
        scale_max=100,
        ticks=[(0, "0%"), (50, "50%"), (100, "100%")],
        testid="chart-ranking",
    )
    return chart, len(ranked) - len(shown)
