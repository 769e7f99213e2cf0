"""What a client can send that the attendance pages and API must answer in words, never with a 500: ids no row
can have, dates the calendar arithmetic cannot hold, odd form values, and bodies the portal's parsers clean.
And one answer for "another kecamatan's perangkat" and "no such perangkat", so the PIN link tells nothing
about what exists outside the user's scope."""

from __future__ import annotations

import json

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from attendance.models import Device, DeviceUser, Leave, PunchCorrection, WorkSchedule
from portal.choices import Jabatan
from portal.models import Perangkat
from tests.factories import PerangkatFactory

pytestmark = pytest.mark.django_db
DATE_RANGE = "Tanggal harus di antara tahun 2000 dan 2100."


def texts(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def rina(tenancy):
    return PerangkatFactory(desa=tenancy.desa_a, nama="Rina Wati", jabatan=Jabatan.KAUR_KEUANGAN)


# The portal's parsers -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["json", "multipart"])
def test_leave_and_correction_bodies_are_cleaned_of_control_characters(tenancy, rina, fmt):
    api = tenancy.client(tenancy.operator_a)
    leave = api.post(
        reverse("api:leave-list"),
        {
            "perangkat": rina.pk,
            "kind": "I",
            "date_from": "2026-08-03",
            "date_to": "2026-08-03",
            "reason": "Urusan\u000bkeluarga",
        },
        format=fmt,
    )
    assert leave.status_code == 201, leave.content
    assert Leave.objects.get().reason == "Urusankeluarga"
    correction = api.post(
        reverse("api:punch-correction-list"),
        {"perangkat": rina.pk, "date": "2026-08-03", "kind": "in", "time": "07:25", "reason": "Lupa\u0007absen"},
        format=fmt,
    )
    # Refused or not (the day's rules decide), the text reached the service cleaned.
    if correction.status_code == 201:
        assert PunchCorrection.objects.get().reason == "Lupaabsen"
    else:
        assert "\u0007" not in correction.content.decode()


@pytest.mark.parametrize("name", ["api:leave-list", "api:punch-correction-list"])
def test_a_json_body_nested_too_deep_is_a_400(tenancy, name):
    body = {"perangkat": 1}
    for _ in range(50):
        body = {"x": body}
    response = tenancy.client(tenancy.operator_a).post(reverse(name), json.dumps(body), content_type="application/json")
    assert response.status_code == 400 and "terlalu dalam" in response.json()["detail"]


# Ids in the filters -------------------------------------------------------------------------------------------

ID_FILTERS = [
    ("api:punch-list", "perangkat"),
    ("api:punch-list", "device_id"),
    ("api:sync-run-list", "device_id"),
    ("api:leave-list", "perangkat"),
    ("api:daily-status-list", "perangkat"),
    ("api:review-note-list", "perangkat"),
    ("api:attendance-warning-list", "perangkat"),
    ("api:punch-correction-list", "perangkat"),
]


@pytest.mark.parametrize("name,param", ID_FILTERS)
@pytest.mark.parametrize("value", ["99999999999999999999", "-1.47e+302", "1e400", "1.5", "satu"])
def test_an_id_no_row_can_have_is_a_400_naming_the_filter(tenancy, name, param, value):
    response = tenancy.client(tenancy.kasi_tapem).get(reverse(name), {param: value})
    assert response.status_code == 400, response.content
    body = response.json()
    assert (body["code"], list(body["fields"])) == ("invalid", [param])


@pytest.mark.parametrize("name,param", ID_FILTERS)
def test_a_plain_id_still_filters(tenancy, name, param):
    response = tenancy.client(tenancy.kasi_tapem).get(reverse(name), {param: "12345"})
    assert response.status_code == 200 and response.json()["results"] == []


# Dates --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("tanggal", ["31/12/9999", "01/01/0001", "01/01/1900"])
@pytest.mark.parametrize("name", ["attendance-today", "attendance-punches"])
def test_a_day_out_of_the_calendar_falls_back_to_today(client, tenancy, tanggal, name):
    client.force_login(tenancy.camat)
    response = client.get(reverse(name), {"tanggal": tanggal})
    assert response.status_code == 200
    assert response.context["day"] == timezone.localdate()
    assert texts(response) == [DATE_RANGE]


@pytest.mark.parametrize(
    "field,value", [("date_from", "0001-01-01"), ("date_to", "9999-12-31"), ("date_from", "9999-12-30")]
)
def test_api_leave_dates_out_of_range(tenancy, rina, field, value):
    body = {"perangkat": rina.pk, "kind": "I", "date_from": "2026-08-03", "date_to": "2026-08-04", field: value}
    response = tenancy.client(tenancy.kasi_tapem).post(reverse("api:leave-list"), body, format="json")
    assert response.status_code == 400 and response.json()["fields"][field] == [DATE_RANGE]
    assert not Leave.objects.exists()


@pytest.mark.parametrize("value", ["31/12/9999", "01/01/0001"])
def test_web_leave_dates_out_of_range(client, tenancy, rina, value):
    client.force_login(tenancy.operator_a)
    data = {"perangkat": rina.pk, "kind": "I", "date_from": "03/08/2026", "date_to": value, "reason": "Keluarga"}
    response = client.post(reverse("attendance-leave-new"), data)
    assert response.status_code == 200 and response.context["form"].errors["date_to"] == [DATE_RANGE]
    assert not Leave.objects.exists()


@pytest.mark.parametrize("value", ["9999-12-31", "0001-01-01"])
def test_api_correction_date_out_of_range(tenancy, rina, value):
    body = {"perangkat": rina.pk, "date": value, "kind": "in", "time": "07:25", "reason": "Lupa"}
    response = tenancy.client(tenancy.kasi_tapem).post(reverse("api:punch-correction-list"), body, format="json")
    assert response.status_code == 400 and response.json()["fields"]["date"] == [DATE_RANGE]


@pytest.mark.parametrize("value", ["31/12/9999", "01/01/0001"])
def test_web_correction_date_out_of_range(client, tenancy, rina, value):
    client.force_login(tenancy.operator_a)
    data = {"perangkat": rina.pk, "date": value, "kind": "in", "time": "07:25", "reason": "Lupa"}
    response = client.post(reverse("attendance-correction-new"), data)
    assert response.status_code == 200 and response.context["form"].errors["date"] == [DATE_RANGE]


def test_api_schedule_range_out_of_range(tenancy):
    body = {
        "name": "Ramadan",
        "valid_from": "0001-01-01",
        "valid_to": "9999-12-31",
        "days": [{"weekday": 0, "start": "08:00", "end": "15:00"}],
    }
    response = tenancy.client(tenancy.kasi_tapem).post(reverse("api:work-schedule-list"), body, format="json")
    assert response.status_code == 400
    assert response.json()["fields"] == {"valid_from": [DATE_RANGE], "valid_to": [DATE_RANGE]}
    assert not WorkSchedule.objects.exists()


def test_web_schedule_range_out_of_range(client, tenancy):
    client.force_login(tenancy.kasi_tapem)
    data = {
        "name": "Ramadan",
        "valid_from": "01/01/0001",
        "valid_to": "31/12/9999",
        "tolerance_minutes": 0,
        "arrival_before_minutes": 180,
        "arrival_after_minutes": 240,
        "departure_before_minutes": 240,
        "departure_after_minutes": 480,
        "day_0_on": "on",
        "day_0_start": "08:00",
        "day_0_end": "15:00",
    }
    response = client.post(reverse("attendance-schedule-new"), data)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert (errors["valid_from"], errors["valid_to"]) == ([DATE_RANGE], [DATE_RANGE])
    assert not WorkSchedule.objects.exists()


@pytest.mark.parametrize("month", ["9999-12", "0001-01", "1999-12"])
def test_api_months_out_of_range(tenancy, month):
    api = tenancy.client(tenancy.camat)
    for name, extra in (
        ("api:attendance-recap", {}),
        ("api:attendance-recap-xlsx", {}),
        ("api:attendance-recap-pdf", {"desa": "35.24.13.2001"}),
    ):
        response = api.get(reverse(name), {"month": month, **extra})
        assert response.status_code == 400 and response.json()["fields"]["month"] == [DATE_RANGE], name
    note = api.post(
        reverse("api:review-note-list"), {"desa": "35.24.13.2001", "month": month, "text": "Catatan"}, format="json"
    )
    assert note.status_code == 400 and note.json()["fields"]["month"] == [DATE_RANGE]


# The PIN link -------------------------------------------------------------------------------------------------


@pytest.fixture
def pin(tenancy):
    device = Device.objects.create(serial_number="A-1", desa=tenancy.desa_a, name="Balai", host="10.0.0.5")
    return DeviceUser.objects.create(device=device, pin="7", name="Slamet")


def missing_id() -> int:
    return (Perangkat.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1000


@pytest.mark.parametrize("value", ["abc", "1.5", "99999999999999999999", "-1", "1e3", "٣"])
def test_web_link_with_an_odd_perangkat_is_404(client, tenancy, pin, value):
    client.force_login(tenancy.operator_a)
    response = client.post(reverse("attendance-link", args=[pin.pk]), {"perangkat": value})
    assert response.status_code == 404
    pin.refresh_from_db()
    assert pin.perangkat is None


@pytest.mark.parametrize("who", ["operator_a", "kasi_tapem"])
def test_web_link_answers_the_same_for_a_foreign_and_a_missing_perangkat(client, tenancy, pin, who):
    client.force_login(getattr(tenancy, who))
    url = reverse("attendance-link", args=[pin.pk])
    foreign = client.post(url, {"perangkat": tenancy.other_perangkat.pk})
    missing = client.post(url, {"perangkat": missing_id()})
    assert foreign.status_code == missing.status_code == 404
    assert [t.name for t in foreign.templates] == [t.name for t in missing.templates]


@pytest.mark.parametrize("who", ["operator_a", "kasi_tapem"])
def test_api_link_answers_the_same_for_a_foreign_and_a_missing_perangkat(tenancy, pin, who):
    api = tenancy.client(getattr(tenancy, who))
    url = reverse("api:device-user-detail", args=[pin.pk])
    answers = []
    for pk in (tenancy.other_perangkat.pk, missing_id()):
        response = api.patch(url, {"perangkat": pk}, format="json")
        answers.append((response.status_code, json.dumps(response.json()).replace(str(pk), "<id>")))
    assert answers[0] == answers[1]
    assert answers[0] == (
        400,
        json.dumps(
            {
                "detail": "Data tidak valid.",
                "code": "invalid",
                "fields": {"perangkat": ["Data dengan id <id> tidak ditemukan."]},
            }
        ),
    )
    pin.refresh_from_db()
    assert pin.perangkat is None


@pytest.mark.parametrize("value", ["abc", "99999999999999999999", 1.5, "1.5", "1e3", True, [1]])
def test_api_link_with_an_odd_perangkat_is_400(tenancy, pin, value):
    response = tenancy.client(tenancy.operator_a).patch(
        reverse("api:device-user-detail", args=[pin.pk]), {"perangkat": value}, format="json"
    )
    assert response.status_code == 400 and "perangkat" in response.json()["fields"]
