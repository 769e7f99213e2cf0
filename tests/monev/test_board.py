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
    # the other kecamatan's desa are not in scope, so not counted either
    assert "Gempolpading" not in html


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
