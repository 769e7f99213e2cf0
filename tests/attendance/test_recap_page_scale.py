"""The kabupaten month recap (``/absensi/rekap/``) at scale (#17): a fixed number of queries whether it shows a
few desa or many; the flags read with the ranking's working days are those read alone; every name a user typed
(desa, perangkat, machine) is escaped in the rows, cells and charts the page builds in Python."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from attendance import recap, rollup
from attendance.models import DailyStatus, Device, DeviceDay
from portal.models import Desa
from tests.factories import DesaFactory, PerangkatFactory

pytestmark = pytest.mark.django_db

MARCH = dt.date(2026, 3, 1)
BULAN = "2026-03"
SILENT = dt.date(2026, 3, 10)  # a Tuesday the machines did not report


def march_days() -> list[dt.date]:
    return [MARCH + dt.timedelta(days=i) for i in range(31)]


def desa_month(desa: Desa, *, perangkat: str = "", machine: str = "Balai") -> None:
    """A desa with a machine and two perangkat over March 2026 (and a day in January and February for the
    trend): one late every working day (chronic lateness), one absent three days in a row (a TK streak) and
    on time otherwise; the machine silent on ``SILENT`` (a coverage gap). Weekends are L."""
    late = PerangkatFactory(desa=desa, **({"nama": perangkat} if perangkat else {}))
    absent = PerangkatFactory(desa=desa)
    device = Device.objects.create(serial_number=f"S-{desa.kode}", desa=desa, name=machine, host="127.0.0.1")
    now = timezone.now()
    statuses, evidence = [], []
    for day in march_days():
        working = day.weekday() < 5
        if day != SILENT:
            pulled = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0, 10), tzinfo=dt.UTC)
            evidence.append(DeviceDay(device=device, date=day, punched=working, pulled_at=pulled))
        for person in (late, absent):
            if not working:
                code, codes, minutes = "L", "", 0
            elif day == SILENT:
                code, codes, minutes = "ND", "", 0
            elif person == late:
                code, codes, minutes = "TL", "TL1", 12
            elif dt.date(2026, 3, 2) <= day <= dt.date(2026, 3, 4):
                code, codes, minutes = "TK", "TK", 0
            else:
                code, codes, minutes = "H", "", 0
            statuses.append(
                DailyStatus(
                    perangkat=person,
                    desa=desa,
                    date=day,
                    status=code,
                    codes=codes,
                    late_minutes=minutes,
                    computed_at=now,
                )
            )
    for day in (dt.date(2026, 1, 6), dt.date(2026, 2, 3)):
        statuses.append(DailyStatus(perangkat=late, desa=desa, date=day, status="H", computed_at=now))
    DailyStatus.objects.bulk_create(statuses)
    rollup.rebuild()  # written past the recompute, which keeps the monthly rollup: summed as after a bulk load
    DeviceDay.objects.bulk_create(evidence)


def page_queries(client, user) -> tuple[int, str]:
    client.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("attendance-month"), {"bulan": BULAN})
    assert response.status_code == 200
    return len(queries), response.content.decode()


def test_month_page_queries_are_the_same_for_two_desa_and_for_twenty(client, tenancy):
    desa_month(tenancy.desa_a)
    desa_month(tenancy.desa_b)
    rollup.rebuild()
    client.force_login(tenancy.camat)
    client.get(reverse("attendance-month"), {"bulan": BULAN})  # warm the caches (session, calendar)
    few, html = page_queries(client, tenancy.camat)
    # Every read of the page ran: each kind of flag is there, and the trend has earlier months.
    assert {'data-flag="chronic_late"', 'data-flag="tk_streak"', 'data-flag="coverage_gap"'} <= set(
        re.findall(r'data-flag="[a-z_]+"', html)
    )
    for n in range(18):
        desa_month(DesaFactory(kecamatan=tenancy.kecamatan, kode=f"35.24.13.{2101 + n}", nama=f"Tambahan {n}"))
    rollup.rebuild()
    many, html = page_queries(client, tenancy.camat)
    assert html.count('data-testid="desa-link"') == 20 and html.count('data-testid="trend-chart"') == 20
    assert html.count('data-flag="coverage_gap"') == 20
    assert many == few, (few, many)
    assert few <= 16


def test_flags_with_the_ranking_are_the_flags_read_alone(tenancy, settings):
    """``flags(ranking=…)`` takes each desa's working days from ``desa_month`` (one aggregate: BIT_OR on
    PostgreSQL, SUM(DISTINCT …) on SQLite) instead of reading the statuses again; the 1st and the 31st count
    like any other day."""
    settings.ATTENDANCE_TK_STREAK = 2
    desa_month(tenancy.desa_a)
    person = PerangkatFactory(desa=tenancy.desa_b)
    for day in (dt.date(2026, 3, 1), dt.date(2026, 3, 31)):  # a Sunday worked, and the month's last day
        DailyStatus.objects.create(
            perangkat=person, desa=tenancy.desa_b, date=day, status="TK", codes="TK", computed_at=timezone.now()
        )
    rollup.rebuild()
    Device.objects.create(serial_number="S-b", desa=tenancy.desa_b, name="Kantor", host="127.0.0.1")
    ranking = recap.desa_month(user=tenancy.camat, month=MARCH)
    working = {row.desa.pk: row.working_days for row in ranking}
    assert working[tenancy.desa_b.pk] == {dt.date(2026, 3, 1), dt.date(2026, 3, 31)}
    assert working[tenancy.desa_a.pk] == {day for day in march_days() if day.weekday() < 5}

    def key(flag):
        return (flag.kind, flag.desa.pk, flag.perangkat.pk if flag.perangkat else None, flag.count, flag.detail)

    alone = sorted(map(key, recap.flags(user=tenancy.camat, month=MARCH)))
    together = sorted(map(key, recap.flags(user=tenancy.camat, month=MARCH, ranking=ranking)))
    assert together == alone
    kinds = {(kind, desa) for kind, desa, *_rest in alone}
    assert {
        ("chronic_late", tenancy.desa_a.pk),
        ("tk_streak", tenancy.desa_a.pk),
        ("coverage_gap", tenancy.desa_a.pk),
        ("coverage_gap", tenancy.desa_b.pk),  # 31 March: a working day the machine never reported
    } <= kinds


def test_names_typed_by_users_are_escaped_in_every_part_of_the_page(client, tenancy):
    tenancy.desa_a.nama = '<b>Pucuk</b> & "Co"'
    tenancy.desa_a.save()
    desa_month(tenancy.desa_a, perangkat="<script>alert(1)</script>", machine="<i>Mesin</i>")
    rollup.rebuild()
    _n, html = page_queries(client, tenancy.camat)
    assert "<b>Pucuk</b>" not in html and "<script>alert" not in html and "<i>Mesin</i>" not in html
    name = "&lt;b&gt;Pucuk&lt;/b&gt; &amp; &quot;Co&quot;"
    ranking = html.split('data-testid="ranking"', 1)[1].split("</table>", 1)[0]
    assert f'data-testid="desa-link">{name}</a>' in ranking
    heatmap = html.split('data-testid="heatmap"', 1)[1].split("</table>", 1)[0]
    assert f">{name}</a></th>" in heatmap and f'title="{name}, Maret 2026: kehadiran' in heatmap
    trends = html.split('data-testid="trends"', 1)[1]
    assert f'aria-label="Tren kehadiran {name}"' in trends
    flags = html.split('data-testid="flags"', 1)[1].split("</ul>", 1)[0]
    assert f">{name}</a> — &lt;script&gt;alert(1)&lt;/script&gt;: " in flags
    assert "&lt;i&gt;Mesin&lt;/i&gt;: tidak melapor 10/03" in flags


def test_each_trend_chart_is_one_small_svg_on_the_shared_frame(client, tenancy):
    desa_month(tenancy.desa_a)
    rollup.rebuild()
    _n, html = page_queries(client, tenancy.camat)
    trends = html.split('data-testid="trends"', 1)[1]
    a = trends.split(f'data-desa="{tenancy.desa_a.kode}"', 1)[1].split("</svg>", 1)[0]
    # Three months with data (January, February, March): a point, a dot and a hover column each; late
    # minutes only in March (one bar).
    points = a.split('<polyline points="', 1)[1].split('"', 1)[0].split()
    assert len(points) == 3 * 2
    assert a.count("<title>") == 3 and a.count("h0") == 3
    bars = re.findall(r'<path d="([^"]*)" fill="#fd7e14"', a)
    assert len(bars) == 1 and bars[0].count("z") == 1
    assert "<title>Jan 2026: kehadiran 100,0%</title>" in a
    # Desa B has no data: no chart, a sentence instead.
    b = trends.split(f'data-desa="{tenancy.desa_b.kode}"', 1)[1].split("</div></div>", 1)[0]
    assert "<svg" not in b and "Belum ada data." in b
