"""The board (#14): short column names, a score that a state filter does not change, desa without a match
left out and counted, and late obligations of other budget years shown from this year's board."""

import datetime as dt
import re

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from monev import services
from monev.choices import State
from monev.models import Obligation
from tests.factories import DesaFactory
from tests.helpers import WIB, login
from tests.monev.conftest import YEAR, obligation

pytestmark = pytest.mark.django_db
ACCEPTED = dt.datetime(2025, 9, 1, 9, tzinfo=WIB)


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(dt.datetime(2026, 8, 3, 9, tzinfo=WIB), tick=False):
        yield


def board_html(client, user, **params) -> str:
    response = login(client, user).get(reverse("monev-board"), {"tahun": YEAR, **params})
    assert response.status_code == 200
    return response.content.decode()


def scores(html: str) -> dict[str, str]:
    rows = re.findall(r'data-desa="([^"]+)".*?data-testid="score">([^<]*)<', html, re.S)
    return dict(rows)


def test_headers_show_short_names_with_the_code_in_the_title(client, monev):
    html = board_html(client, monev.kasi_tapem)
    head = html.split("<thead", 1)[1].split("</thead>", 1)[0]
    assert ">Raperdes APBDes</abbr>" in head and ">RKPDes</abbr>" in head
    assert 'title="Raperdes APBDes untuk dievaluasi (RAPERDES_APBDES)"' in head
    assert ">RAPERDES_APBDES<" not in head
    assert 'class="btn btn-primary w-100"' in html
    assert 'class="table-responsive"' in html


def test_state_filter_does_not_change_the_timeliness_score(client, monev):
    Obligation.objects.filter(pk=obligation(monev.desa_a, "RKPDES").pk).update(
        state=State.DITERIMA, on_time=True, accepted_at=ACCEPTED
    )
    unfiltered = scores(board_html(client, monev.kasi_tapem))
    filtered = scores(board_html(client, monev.kasi_tapem, status=State.TERLAMBAT))
    a, b = monev.desa_a.kode, monev.desa_b.kode
    assert unfiltered[a] not in ("0%", "–")
    assert filtered[a] == unfiltered[a] and filtered[b] == unfiltered[b]


def test_desa_without_a_match_are_hidden_and_counted(client, monev):
    Obligation.objects.filter(pk=obligation(monev.desa_a, "RKPDES").pk).update(
        state=State.DITERIMA, on_time=True, accepted_at=ACCEPTED
    )
    html = board_html(client, monev.kasi_tapem, status=State.DITERIMA)
    assert f'data-desa="{monev.desa_a.kode}"' in html
    assert f'data-desa="{monev.desa_b.kode}"' not in html
    assert "1 desa tanpa hasil disembunyikan" in html
    table = html.split('data-testid="board"', 1)[1].split("</table>", 1)[0]
    assert "Gempolpading" not in table and monev.other_desa.nama not in html


def test_no_hidden_note_without_a_filter(client, monev):
    html = board_html(client, monev.kasi_tapem)
    assert 'data-testid="hidden"' not in html


def test_late_in_another_budget_year_is_shown_with_a_link(client, monev):
    services.obligations_generate(year=YEAR + 1)
    with time_machine.travel(dt.datetime(2026, 10, 5, 9, tzinfo=WIB), tick=False):
        html = board_html(client, monev.kasi_tapem)
    note = html.split('data-testid="late-elsewhere"', 1)[1].split("</p>", 1)[0]
    assert "Juga terlambat di tahun anggaran lain" in note
    assert "RKPDes 2027 (2 desa)" in note
    assert f"?tahun={YEAR + 1}&status=terlambat&jenis=RKPDES" in note


def test_late_elsewhere_is_scoped(client, monev):
    services.obligations_generate(year=YEAR + 1)
    Obligation.objects.filter(year=YEAR + 1).exclude(desa=monev.other_desa).update(
        state=State.DITERIMA, accepted_at=ACCEPTED
    )
    with time_machine.travel(dt.datetime(2026, 10, 5, 9, tzinfo=WIB), tick=False):
        html = board_html(client, monev.kasi_tapem)
    assert 'data-testid="late-elsewhere"' not in html


def test_filtered_board_queries_do_not_grow(client, monev):
    login(client, monev.kasi_tapem)

    def measure():
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(reverse("monev-board"), {"tahun": YEAR, "status": State.TERLAMBAT})
        assert response.status_code == 200
        return len(ctx.captured_queries)

    before = measure()
    for _ in range(10):
        DesaFactory(kecamatan=monev.kecamatan)
    services.obligations_generate(year=YEAR)
    assert measure() == before


def test_outsider_filtered_board_shows_nothing_of_pucuk(client, monev):
    html = board_html(client, monev.outsider, status=State.TERLAMBAT)
    assert monev.desa_a.kode not in html and monev.desa_a.nama not in html


def chart_rows(html: str, testid: str) -> list[tuple[str, str]]:
    """(label, value) per bar of the chart ``testid``."""
    svg = html.split(f'data-testid="{testid}"', 1)[1].split("</svg>", 1)[0]
    return re.findall(r'font-size="11"[^>]*>([^<]+)<title>.*?data-testid="chart-value">([^<]*)<', svg, re.S)


def test_state_chart_has_a_bar_per_type_that_counts_like_the_column_totals(client, monev):
    Obligation.objects.filter(pk=obligation(monev.desa_a, "RKPDES").pk).update(
        state=State.DITERIMA, on_time=True, accepted_at=ACCEPTED
    )
    response = login(client, monev.kasi_tapem).get(reverse("monev-board"), {"tahun": YEAR})
    board, chart = response.context["board"], response.context["states_chart"]
    by_label = {row.full_label: row for row in chart.rows}
    for t in board.types:
        totals = board.column_totals.get(t.id)
        if not totals:
            continue
        row = by_label[t.short_name]
        assert row.value_text == str(sum(totals.values()))
        assert row.url.endswith(f"jenis={t.code}")
        titles = [r.title for r in row.rects]
        for state, n in totals.items():
            assert any(title.endswith(f": {n}") and str(State(state).label) in title for title in titles)
    rkpdes = by_label["RKPDes"]
    assert any("Diterima: 1" in r.title for r in rkpdes.rects)
    html = response.content.decode()
    assert (
        'data-testid="chart-states"' in html and 'role="group" aria-label="Status kewajiban per jenis dokumen' in html
    )


def test_ranking_chart_orders_every_desa_by_its_score(client, monev):
    Obligation.objects.filter(pk=obligation(monev.desa_a, "RKPDES").pk).update(
        state=State.DITERIMA, on_time=True, accepted_at=ACCEPTED
    )
    html = board_html(client, monev.kasi_tapem)
    table = scores(html)
    ranked = chart_rows(html, "chart-ranking")
    assert [label.split(". ", 1)[1] for label, _value in ranked][:1] == [monev.desa_a.nama]
    assert [label.split(". ", 1)[0] for label, _value in ranked] == [str(i) for i in range(1, len(ranked) + 1)]
    values = [int(value.rstrip("%")) for _label, value in ranked]
    assert values == sorted(values, reverse=True)
    assert ranked[0][1] == table[monev.desa_a.kode]  # the chart and the table's Ketepatan column agree
    assert monev.other_desa.nama not in html  # out of scope: neither in the table nor in the chart


def test_a_large_scope_ranks_the_best_and_the_worst_and_says_how_many_are_left_out(client, monev):
    for _ in range(32):
        DesaFactory(kecamatan=monev.kecamatan)
    services.obligations_generate(year=YEAR)
    response = login(client, monev.kasi_tapem).get(reverse("monev-board"), {"tahun": YEAR})
    chart = response.context["ranking_chart"]
    assert len(chart.rows) == 20
    assert response.context["ranking_left_out"] == 34 - 20
    assert 'data-testid="ranking-left-out"' in response.content.decode()
