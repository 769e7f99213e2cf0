"""The server-drawn charts (``portal.charts``): bars as long as their figures, parts in order and adding up,
a scale that means what its ticks say, labels that keep their full text, and heatmap steps that match
their legend."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal import charts
from portal.charts import Row, Segment, hbars

PARTS = [Segment("a", "Baik", "#198754"), Segment("b", "Sedang", "#ffc107"), Segment("c", "Buruk", "#dc3545")]
SIDE_BAR = charts.WIDTH - charts.SIDE_LABEL_WIDTH - charts.SIDE_VALUE_WIDTH


def widths(drawn_row) -> list[float]:
    return [float(r.w) for r in drawn_row.rects]


def test_stacked_parts_follow_the_segment_order_and_scale_to_the_longest_row():
    chart = hbars([Row("Pucuk", {"c": 2, "a": 6}), Row("Wanar", {"a": 2, "b": 2})], PARTS, label="x")
    pucuk, wanar = chart.rows
    assert [r.fill for r in pucuk.rects] == ["#198754", "#dc3545"]  # segment order, zero parts left out
    assert sum(widths(pucuk)) == pytest.approx(SIDE_BAR, abs=0.1)  # 8 is the longest row: full width
    assert sum(widths(wanar)) == pytest.approx(SIDE_BAR / 2, abs=0.1)
    assert float(pucuk.rects[0].x) == charts.SIDE_LABEL_WIDTH
    assert float(pucuk.rects[1].x) == pytest.approx(charts.SIDE_LABEL_WIDTH + SIDE_BAR * 6 / 8, abs=0.1)
    assert pucuk.rects[1].title == "Pucuk — Buruk: 2"
    assert pucuk.value_text == "8" and wanar.value_text == "4"
    assert pucuk.rects[0].text == "6" and pucuk.rects[0].text_fill == charts.LIGHT_TEXT
    assert wanar.rects[1].text_fill == charts.DARK_TEXT  # dark figures on the yellow part


def test_a_fixed_scale_and_its_ticks_line_up_with_the_bars():
    chart = hbars(
        [Row("Pucuk", {"s": 50}, value_text="50%")],
        [Segment("s", "Skor", "#198754")],
        label="x",
        scale_max=100,
        ticks=[(0, "0%"), (50, "50%"), (100, "100%")],
    )
    (row,) = chart.rows
    bar = row.rects[0]
    assert float(bar.x) + float(bar.w) == pytest.approx(float(chart.ticks[1].x), abs=0.1)
    assert float(chart.ticks[2].x) == pytest.approx(charts.WIDTH - charts.SIDE_VALUE_WIDTH, abs=0.1)
    assert bar.text == ""  # a single bar prints its figure at the right, not inside
    assert chart.height == charts.AXIS_HEIGHT + charts.SIDE_ROW_HEIGHT


def test_long_labels_are_cut_beside_the_bar_but_kept_whole_in_the_title_and_above_it():
    name = "Penanggulangan Bencana, Keadaan Darurat dan Mendesak"
    side = hbars([Row(name, {"a": 1})], PARTS, label="x").rows[0]
    above = hbars([Row(name, {"a": 1})], PARTS, label="x", layout="above").rows[0]
    assert side.label.endswith("…") and len(side.label) <= charts.SIDE_LABEL_CHARS
    assert side.full_label == name and above.label == name  # 51 characters fit on a line of their own
    longer = "Persentase desa yang menyampaikan dokumen perencanaan, anggaran dan laporan tepat waktu"
    cut = hbars([Row(longer, {"a": 1})], PARTS, label="x", layout="above").rows[0]
    assert cut.label.endswith("…") and len(cut.label) <= charts.ABOVE_LABEL_CHARS and cut.full_label == longer
    assert float(above.rects[0].x) == 0


def test_nothing_to_draw_is_an_empty_chart_not_a_division_by_zero():
    assert hbars([], PARTS, label="x").empty
    zero = hbars([Row("Pucuk", {})], PARTS, label="x")
    assert zero.rows[0].rects == [] and zero.rows[0].value_text == "0"


@given(st.lists(st.lists(st.integers(min_value=0, max_value=500), min_size=3, max_size=3), min_size=1, max_size=12))
def test_no_bar_leaves_its_box_and_longer_totals_draw_longer_bars(values):
    rows = [Row(f"D{i}", dict(zip("abc", v, strict=True))) for i, v in enumerate(values)]
    chart = hbars(rows, PARTS, label="x")
    right = charts.SIDE_LABEL_WIDTH + SIDE_BAR
    lengths = []
    for drawn in chart.rows:
        ends = [float(r.x) + float(r.w) for r in drawn.rects]
        assert all(end <= right + len(PARTS) * 1.1 for end in ends)  # a 1-unit minimum per tiny part at most
        lengths.append(max(ends, default=charts.SIDE_LABEL_WIDTH))
    totals = [sum(v) for v in values]
    for i in range(len(values)):
        for j in range(len(values)):
            if totals[i] > totals[j] and totals[i] > 0 and totals[j] > 0:
                assert lengths[i] >= lengths[j] - len(PARTS) * 1.1


@pytest.mark.parametrize(
    ("value", "level"),
    [
        (100, "heat-0"),
        (95, "heat-0"),
        (94.9, "heat-1"),
        (85, "heat-1"),
        (70, "heat-2"),
        (50, "heat-3"),
        (49.9, "heat-4"),
        (0, "heat-4"),
        (None, "heat-none"),
    ],
)
def test_heat_levels_follow_the_steps(value, level):
    assert charts.heat_level(value) == level


def test_heat_legend_names_every_step_in_order():
    assert charts.heat_legend() == [
        ("heat-0", "≥ 95%"),
        ("heat-1", "85–95%"),
        ("heat-2", "70–85%"),
        ("heat-3", "50–70%"),
        ("heat-4", "< 50%"),
    ]
