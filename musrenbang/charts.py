"""Musrenbang's picture (``portal.charts``): the estimated cost of the year's proposals per bidang, the part
already accommodated first."""

from __future__ import annotations

from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext as _

from musrenbang.exports import rupiah
from portal.charts import HBars, Row, Segment, hbars


def cost_by_bidang(bidang_totals: list[tuple[str, str, object]], *, year: int) -> HBars:
    """``bidang_totals``: (value, label, ``selectors.Totals``) per bidang; bidang without proposals are left
    out. Each bar is the bidang's estimated cost, split into accommodated and the rest."""
    segments = [
        Segment("accommodated", _("Diakomodasi"), "#198754"),
        Segment("rest", _("Belum/tidak diakomodasi"), "#adb5bd"),
    ]
    rows = [
        Row(
            label=str(label),
            values={"accommodated": float(t.accommodated_cost), "rest": float(t.cost - t.accommodated_cost)},
            url=f"{reverse('musrenbang-proposals')}?{urlencode({'tahun': year, 'bidang': value})}",
            value_text=rupiah(t.cost),
        )
        for value, label, t in bidang_totals
        if t.cost
    ]
    return hbars(
        rows,
        segments,
        label=_("Perkiraan biaya usulan per bidang, tahun %(year)s") % {"year": year},
        fmt=rupiah,
        layout="above",
        segment_figures=False,
        value_width=106,  # "Rp 2.430.000.000" at the value font
        testid="chart-bidang",
    )
