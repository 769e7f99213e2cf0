"""A local day of raw punches is a range on the punch time (``selectors.local_days``): the page and the API
count a punch at 00:30 WIB on its Jakarta day — also from a machine in another zone — and their SQL casts no
punch time to a date (such a cast reads every punch ever stored and every monthly partition)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from attendance.models import Device
from attendance.store import punches_insert
from attendance.zk.parser import RawRecord
from tests.helpers import WIB, rows

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 3, 10)


def punch_sql(ctx) -> list[str]:
    return [q["sql"] for q in ctx.captured_queries if "attendance_punch" in q["sql"]]


@pytest.fixture
def punches(tenancy):
    wib = Device.objects.create(serial_number="D-WIB", desa=tenancy.desa_a, name="Balai", host="127.0.0.1")
    wita = Device.objects.create(
        serial_number="D-WITA", desa=tenancy.desa_a, name="Pos", host="127.0.0.1", timezone="Asia/Makassar"
    )
    with transaction.atomic():
        punches_insert(
            device=wib,
            records=[
                RawRecord("1", None, dt.datetime(2026, 3, 9, 23, 59), 1, 0, 0),  # the day before
                RawRecord("1", None, dt.datetime(2026, 3, 10, 0, 30), 1, 0, 0),  # in
                RawRecord("1", None, dt.datetime(2026, 3, 10, 23, 59), 1, 0, 0),  # in
                RawRecord("1", None, dt.datetime(2026, 3, 11, 0, 0), 1, 0, 0),  # the day after
            ],
        )
        # 00:30 WITA on the 11th is 23:30 WIB on the 10th: the portal's day.
        punches_insert(device=wita, records=[RawRecord("2", None, dt.datetime(2026, 3, 11, 0, 30), 1, 0, 0)])
    return {
        dt.datetime(2026, 3, 10, 0, 30, tzinfo=WIB),
        dt.datetime(2026, 3, 10, 23, 59, tzinfo=WIB),
        dt.datetime(2026, 3, 11, 0, 30, tzinfo=ZoneInfo("Asia/Makassar")),
    }


def test_api_day_window_is_the_jakarta_day_as_a_time_range(tenancy, punches):
    api = tenancy.client(tenancy.kasi_tapem)
    with CaptureQueriesContext(connection) as ctx:
        found = rows(api, "api:punch-list", date_from=DAY.isoformat(), date_to=DAY.isoformat())
    assert {dt.datetime.fromisoformat(r["punched_at"]) for r in found} == punches
    assert punch_sql(ctx) and not any("::date" in sql or "AT TIME ZONE" in sql for sql in punch_sql(ctx))
    outsider = tenancy.client(tenancy.outsider)
    assert rows(outsider, "api:punch-list", date_from=DAY.isoformat(), date_to=DAY.isoformat()) == []


def test_page_day_is_the_jakarta_day_as_a_time_range(tenancy, punches):
    client = Client()
    client.force_login(tenancy.kasi_tapem)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("attendance-punches"), {"tanggal": DAY.strftime("%d/%m/%Y")})
    assert response.status_code == 200
    shown = {p.punched_at for p in response.context["page"].object_list}
    assert shown == punches
    assert not any("::date" in sql or "AT TIME ZONE" in sql for sql in punch_sql(ctx))
    # Without a date the page opens on the day of the newest punch (the day after, here).
    latest = client.get(reverse("attendance-punches"))
    assert latest.context["day"] == DAY + dt.timedelta(days=1)
    outsider = Client()
    outsider.force_login(tenancy.outsider)
    page = outsider.get(reverse("attendance-punches"), {"tanggal": DAY.strftime("%d/%m/%Y")})
    assert list(page.context["page"].object_list) == []
