"""Attendance numbers that read right (#14): today's parts add up to the perangkat, "hari kerja" is labelled
person-days where it is, % kehadiran is explained, Saturdays and Sundays off both read L, ND says why, and
the 12-month charts carry axes and values."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from attendance.models import Device, DeviceDay, DeviceUser
from portal.choices import Jabatan
from tests.attendance.test_views_review import BULAN, get, month_data, status
from tests.factories import PerangkatFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_media")]


def cells(html: str, testid: str) -> dict[str, int]:
    """Per desa code, the number in the cell with ``data-testid``."""
    found = {}
    for kode, row in re.findall(r'<tr data-desa="([^"]+)">(.*?)</tr>', html, re.S):
        match = re.search(rf'data-testid="{testid}">(\d+)<', row)
        found[kode] = int(match.group(1)) if match else None
    return found


def test_today_parts_add_up_to_the_perangkat(client, tenancy):
    today = timezone.localdate()
    desa = tenancy.desa_a
    people = [tenancy.perangkat_a] + [PerangkatFactory(desa=desa, jabatan=Jabatan.STAF) for _ in range(8)]
    for person, code in zip(people, ["TL1", "H", "TL2/PSW1", "PSW1", "TAM", "DL", "S", "TK"], strict=False):
        status(person, today, code, late=10 if code.startswith("TL") else 0)
    status(tenancy.perangkat_b, today, "ND")  # desa B: one perangkat, no data
    # people[8] has no status yet: it counts as "no data", so the parts still add up.
    response = get(client, tenancy.camat, "attendance-today")
    rows = {r.desa.kode: r for r in response.context["rows"]}
    a = rows[desa.kode]
    assert (a.on_time, a.late, a.missing_in, a.on_leave, a.absent, a.no_data, a.day_off) == (2, 2, 1, 2, 1, 1, 0)
    assert a.perangkat == 9 and a.parts == a.perangkat
    # "Came at all" is exactly on time + late: the DL and TAM perangkat are in their own parts, not also here.
    assert a.arrived == a.on_time + a.late == 4
    assert not hasattr(a, "present")  # the old name counted DL and TAM too, overlapping two of the parts
    html = response.content.decode()
    parts = ["on-time", "late", "missing-in", "on-leave", "absent", "no-data", "day-off"]
    shown = {key: cells(html, key) for key in [*parts, "perangkat"]}
    for kode in (desa.kode, tenancy.desa_b.kode):
        assert sum(shown[key][kode] for key in parts) == shown["perangkat"][kode]
    assert shown["perangkat"][desa.kode] == 9 and shown["late"][desa.kode] == 2 and shown["on-time"][desa.kode] == 2
    assert "Hadir</th>" not in html and "Tepat waktu" in html
    assert "jumlah perangkat aktif" in html


def test_month_page_labels_person_days_and_explains_the_rate(client, tenancy):
    month_data(tenancy)
    html = get(client, tenancy.camat, "attendance-month", bulan=BULAN).content.decode()
    assert "Hari-orang kerja" in html and ">Hari kerja<" not in html
    legend = html.split('data-testid="rate-legend">', 1)[1].split("</p>", 1)[0]
    assert "hari hadir ÷ (hari-orang kerja − ND)" in legend
    assert "H, TL, PSW, TAM, TAP dan DL" in legend
    assert 'href="#rate-legend"' in html


def test_trend_charts_have_axes_month_labels_and_values(client, tenancy):
    month_data(tenancy)
    html = get(client, tenancy.camat, "attendance-month", bulan=BULAN).content.decode()
    trends = html.split('data-testid="trends"', 1)[1]
    chart = trends.split(f'data-desa="{tenancy.desa_a.kode}"', 1)[1].split("</svg>", 1)[0]
    assert 'data-testid="trend-chart"' in chart
    # The axes and month initials every chart shares are drawn once on the page; each chart shows them by <use>.
    assert chart.count('<use href="#trend-frame"/>') == 1
    frame = html.split('<g id="trend-frame">', 1)[1].split("</defs>", 1)[0]
    assert html.count('id="trend-frame"') == 1
    for axis in (">0%<", ">50%<", ">100%<"):
        assert axis in frame
    months = re.findall(r'data-testid="trend-month">([^<]+)<', frame)
    assert len(months) == 12 and months[-1] == "Mar" and months[0] == "Apr"
    # desa A in March: 3 present of 5 working days without ND (TL2, H, H, TL1/PSW1 present; TK absent) = 80 %
    values = chart.split('data-testid="trend-values">', 1)[1].split("</g>", 1)[0]
    assert re.findall(r">([^<]+)</text>", values) == ["80"]
    # Hovering over March names both of its figures.
    assert "<title>Mar 2026: kehadiran 80,0%, 55 menit terlambat</title>" in chart


def test_saturday_and_sunday_off_both_read_L(client, tenancy):
    status(tenancy.perangkat_a, dt.date(2026, 3, 13), "H")  # Friday
    status(tenancy.perangkat_a, dt.date(2026, 3, 15), "L")  # Sunday has a row, Saturday 14 none
    response = get(client, tenancy.camat, "attendance-desa-month", tenancy.desa_a.kode, bulan=BULAN)
    grid = response.context["grid"]
    saturday, sunday = 13, 14  # indexes of 14 and 15 March
    assert grid.day_off[saturday] and grid.day_off[sunday]
    for row in grid.rows:
        assert (row.cells[saturday], row.cells[sunday]) == ("L", "L")
    row = next(r for r in grid.rows if r.perangkat == tenancy.perangkat_a)
    assert row.cells[12] == "H"
    assert row.cells[15] == ""  # Monday 16 March: a working day not computed stays empty, never L


def test_nd_cells_say_why(client, tenancy):
    device = Device.objects.create(serial_number="A-1", desa=tenancy.desa_a, name="Balai", host="127.0.0.1")
    linked = PerangkatFactory(desa=tenancy.desa_a, jabatan=Jabatan.STAF)
    DeviceUser.objects.create(device=device, pin="5", name="x", perangkat=linked)
    status(tenancy.perangkat_a, dt.date(2026, 3, 9), "ND")  # not linked
    status(linked, dt.date(2026, 3, 9), "ND")  # linked, the machine did not report
    status(linked, dt.date(2026, 3, 10), "ND")  # linked, the machine reported without a punch
    DeviceDay.objects.create(device=device, date=dt.date(2026, 3, 10), pulled_at=timezone.now())
    response = get(client, tenancy.camat, "attendance-desa-month", tenancy.desa_a.kode, bulan=BULAN)
    html = response.content.decode()
    assert 'title="Tidak ada data: PIN perangkat ini belum ditautkan"' in html
    assert 'title="Tidak ada data: mesin tidak melapor hari ini"' in html
    assert 'title="Tidak ada data: mesin melapor tanpa satu pun absen"' in html
    assert 'data-testid="nd-reason"' in html and "mesin tidak melapor" in html


@pytest.mark.parametrize("who", ["outsider", "outsider_operator", "operator_b"])
def test_foreign_desa_month_is_404(client, tenancy, who):
    response = get(client, getattr(tenancy, who), "attendance-desa-month", tenancy.desa_a.kode, bulan=BULAN)
    assert response.status_code == 404


def test_outsider_today_does_not_count_pucuk(client, tenancy):
    status(tenancy.perangkat_a, timezone.localdate(), "TL1", late=5)
    response = get(client, tenancy.outsider, "attendance-today")
    assert tenancy.desa_a.kode not in {r.desa.kode for r in response.context["rows"]}


def test_today_chart_draws_each_desa_as_its_parts(client, tenancy):
    today = timezone.localdate()
    people = [tenancy.perangkat_a] + [PerangkatFactory(desa=tenancy.desa_a, jabatan=Jabatan.STAF) for _ in range(3)]
    for person, code in zip(people, ["H", "TL1", "TK"], strict=False):
        status(person, today, code, late=10 if code == "TL1" else 0)
    # people[3] has no status yet: drawn as "no data", so the bar is as long as the perangkat.
    response = get(client, tenancy.camat, "attendance-today")
    chart = response.context["chart"]
    rows = {row.full_label: row for row in chart.rows}
    a = rows[tenancy.desa_a.nama]
    assert a.value_text == "2/4"  # came: on time + late, of the perangkat
    assert [r.title.split(" — ", 1)[1] for r in a.rects] == [
        "Tepat waktu: 1",
        "Terlambat: 1",
        "Tanpa keterangan (TK): 1",
        "Tidak ada data: 1",
    ]
    assert a.url.endswith(f"/absensi/rekap/{tenancy.desa_a.kode}/?bulan={today:%Y-%m}")
    assert rows[tenancy.desa_b.nama].value_text == "0/1"
    html = response.content.decode()
    assert 'data-testid="chart-today"' in html and "Tidak ada data" in html


def test_outsider_today_chart_has_no_pucuk(client, tenancy):
    status(tenancy.perangkat_a, timezone.localdate(), "H")
    response = get(client, tenancy.outsider, "attendance-today")
    assert tenancy.desa_a.nama not in {row.full_label for row in response.context["chart"].rows}


def test_heatmap_shows_each_desa_month_rate_with_its_step(client, tenancy):
    month_data(tenancy)
    response = get(client, tenancy.camat, "attendance-month", bulan=BULAN)
    heat = {row.desa.kode: row for row in response.context["heatmap"]}
    a, b = heat[tenancy.desa_a.kode], heat[tenancy.desa_b.kode]
    assert len(a.cells) == 12 and a.cells[-1].month == dt.date(2026, 3, 1)
    # March: desa A 4 present of 5 counted days (ND left out) = 80 %, desa B 100 %.
    assert (a.cells[-1].text, a.cells[-1].level) == ("80", "heat-2")
    assert (b.cells[-1].text, b.cells[-1].level) == ("100", "heat-0")
    # A month without data reads "no data", never 0 %.
    assert (a.cells[0].text, a.cells[0].level, a.cells[0].value) == ("–", "heat-none", None)
    html = response.content.decode()
    table = html.split('data-testid="heatmap"', 1)[1].split("</table>", 1)[0]
    assert table.count('<td class="heat-') == 12 * len(heat)  # a cell per desa and month
    assert 'class="heat-2" title="Pucuk, Maret 2026: kehadiran 80,0%"' in table
    assert "≥ 95%" in html.split('data-testid="heat-legend"', 1)[1].split("</ul>", 1)[0]


def test_operator_heatmap_is_their_desa_only(client, tenancy):
    month_data(tenancy)
    response = get(client, tenancy.operator_a, "attendance-month", bulan=BULAN)
    assert response.status_code == 200
    assert {row.desa.kode for row in response.context["heatmap"]} == {tenancy.desa_a.kode}
    assert tenancy.desa_b.nama not in response.content.decode()
