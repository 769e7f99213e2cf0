"""Attendance API: devices, the pull action, sync runs, punches and device users. The rightful user gets
their data, an outsider a 404 (never 403, never the data). Punches come from the emulator via real pyzk."""

import datetime as dt
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from attendance.models import Device, DeviceUser, Punch, SyncRun
from attendance.services import device_pull
from tests.helpers import WIB, rows

pytestmark = pytest.mark.django_db
FOREIGN = ["outsider", "outsider_operator", "operator_b"]  # none of them may see desa A's rows


@pytest.fixture(autouse=True)
def quick_timeout(settings):
    settings.ATTENDANCE_PULL_TIMEOUT = 3


def new(desa, serial: str, **extra) -> dict:
    return {"serial_number": serial, "desa": desa.kode, "name": "Balai", "host": "10.0.0.5", **extra}


def machine(desa, serial: str, **fields) -> Device:
    return Device.objects.create(serial_number=serial, desa=desa, name=f"Mesin {serial}", host="127.0.0.1", **fields)


@pytest.fixture
def world(tenancy, emulator, register):
    """Desa A's device pulled from the emulator (4 users, 60 punches); desa B and the other kecamatan get a
    hand-made device with one punch and one sync run each."""
    handle = emulator(serial="PUCUK-A", users=4, records=60)
    a = register(handle, tenancy.desa_a)
    assert device_pull(device_id=a.pk, trigger="test").outcome == "success"
    b, other = machine(tenancy.desa_b, "GEMPOL-B"), machine(tenancy.other_desa, "SUKO-X")
    at = dt.datetime(2026, 8, 3, 7, 30, tzinfo=WIB)
    for d in (b, other):
        Punch.objects.create(device=d, pin="1", punched_at=at)
        SyncRun.objects.create(device=d, started_at=at, outcome="success")
        DeviceUser.objects.create(device=d, pin="1", name="Orang Lain")
    return SimpleNamespace(handle=handle, a=a, b=b, other=other, pin2=DeviceUser.objects.get(device=a, pin="2"))


# Devices -----------------------------------------------------------------------------------------------


def test_kasi_tapem_creates_device_and_comm_key_is_write_only(tenancy):
    api = tenancy.client(tenancy.kasi_tapem)
    response = api.post(reverse("api:device-list"), new(tenancy.desa_a, "NEW-1", comm_key=1234), format="json")
    assert response.status_code == 201, response.content
    assert "comm_key" not in response.json() and response.json()["desa"] == tenancy.desa_a.kode
    device = Device.objects.get(serial_number="NEW-1")
    assert (device.desa, device.comm_key, device.timezone) == (tenancy.desa_a, 1234, "Asia/Jakarta")
    detail = api.get(reverse("api:device-detail", args=[device.pk]))
    assert detail.status_code == 200 and "comm_key" not in detail.json()
    assert all("comm_key" not in row for row in rows(api, "api:device-list"))
    assert api.patch(reverse("api:device-detail", args=[device.pk]), {"name": "Aula"}).status_code == 200
    device.refresh_from_db()
    assert (device.name, device.comm_key) == ("Aula", 1234)  # a PATCH without the key keeps it


def test_operator_reads_own_devices_but_cannot_write(tenancy):
    a, _b = machine(tenancy.desa_a, "A-1"), machine(tenancy.desa_b, "B-1")
    api = tenancy.client(tenancy.operator_a)
    assert [r["serial_number"] for r in rows(api, "api:device-list")] == ["A-1"]
    url = reverse("api:device-detail", args=[a.pk])
    assert api.get(url).json()["desa"] == tenancy.desa_a.kode
    assert api.post(reverse("api:device-list"), new(tenancy.desa_a, "A-2"), format="json").status_code == 403
    assert api.patch(url, {"name": "Diubah"}, format="json").status_code == 403
    assert api.delete(url).status_code == 403
    assert sorted(Device.objects.values_list("serial_number", "name")) == [("A-1", "Mesin A-1"), ("B-1", "Mesin B-1")]


@pytest.mark.parametrize("who", FOREIGN)
def test_foreign_users_cannot_see_desa_a_device(tenancy, who):
    a = machine(tenancy.desa_a, "A-1")
    api = tenancy.client(getattr(tenancy, who))
    assert api.get(reverse("api:device-detail", args=[a.pk])).status_code == 404
    assert rows(api, "api:device-list") == [] and rows(api, "api:device-list", desa=tenancy.desa_a.kode) == []


def test_outsider_kasi_gets_404_on_writes(tenancy):
    a = machine(tenancy.desa_a, "A-1")
    api = tenancy.client(tenancy.outsider)
    url = reverse("api:device-detail", args=[a.pk])
    assert api.patch(url, {"name": "Diubah"}, format="json").status_code == 404
    assert api.delete(url).status_code == 404
    assert Device.objects.get(pk=a.pk).name == "Mesin A-1"


def test_kasi_cannot_create_or_move_device_to_other_kecamatan(tenancy):
    api = tenancy.client(tenancy.kasi_tapem)
    response = api.post(reverse("api:device-list"), new(tenancy.other_desa, "X-1"), format="json")
    assert response.status_code == 400 and "desa" in response.json()["fields"]
    assert not Device.objects.filter(serial_number="X-1").exists()
    a = machine(tenancy.desa_a, "A-1")
    moved = api.patch(reverse("api:device-detail", args=[a.pk]), {"desa": tenancy.other_desa.kode}, format="json")
    assert moved.status_code == 400 and "desa" in moved.json()["fields"]
    assert Device.objects.get(pk=a.pk).desa == tenancy.desa_a


def test_invalid_timezone_is_a_field_error(tenancy):
    body = new(tenancy.desa_a, "TZ-1", timezone="Asia/Jakart")
    response = tenancy.client(tenancy.kasi_tapem).post(reverse("api:device-list"), body, format="json")
    assert response.status_code == 400 and "timezone" in response.json()["fields"]
    assert not Device.objects.filter(serial_number="TZ-1").exists()


def test_health_stale_then_green_or_failing(tenancy, emulator, register):
    good = register(emulator(serial="OK-1", users=2, records=10), tenancy.desa_a)
    bad = register(emulator(serial="DOWN-1", users=2, records=10, faults=["refuse"]), tenancy.desa_a)
    api = tenancy.client(tenancy.operator_a)

    def health() -> dict:
        return {r["serial_number"]: r["health"] for r in rows(api, "api:device-list")}

    assert health() == {"OK-1": "stale", "DOWN-1": "stale"}
    assert device_pull(device_id=good.pk).outcome == "success"
    assert device_pull(device_id=bad.pk).outcome == "failed"
    assert health() == {"OK-1": "green", "DOWN-1": "failing"}
    detail = api.get(reverse("api:device-detail", args=[bad.pk])).json()
    assert detail["consecutive_failures"] == 1 and "koneksi" in detail["last_error"].lower()


# Pull action -------------------------------------------------------------------------------------------


def test_pull_action_runs_the_pull(tenancy, emulator, register, django_capture_on_commit_callbacks):
    handle = emulator(serial="PULL-1", users=3, records=40)
    device = register(handle, tenancy.desa_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = tenancy.client(tenancy.kasi_tapem).post(reverse("api:device-pull", args=[device.pk]))
    assert response.status_code == 202 and response.json()["device"] == "PULL-1"
    run = SyncRun.objects.get(device=device)
    assert (run.outcome, run.trigger, run.records_new) == ("success", "manual", 40)
    assert Punch.objects.filter(device=device).count() == len(handle.device.records) == 40


@pytest.mark.parametrize("who", ["outsider", "operator_a", "operator_b"])
def test_pull_refused_without_a_run(tenancy, who, django_capture_on_commit_callbacks):
    device = machine(tenancy.desa_a, "A-1")
    api = tenancy.client(getattr(tenancy, who))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = api.post(reverse("api:device-pull", args=[device.pk]))
        missing = api.post(reverse("api:device-pull", args=[device.pk + 999]))
    # The Kasi elsewhere may write, so the lookup decides: 404. Desa users are refused by role before any
    # lookup: 403 for an existing device exactly as for a missing one, so nothing leaks.
    expected = 404 if who == "outsider" else 403
    assert (response.status_code, missing.status_code) == (expected, expected)
    assert callbacks == [] and not SyncRun.objects.exists()


# Sync runs and punches -----------------------------------------------------------------------------------


def test_sync_runs_scoped_and_filtered_by_device(tenancy, world):
    kasi, op_a, outsider = (tenancy.client(u) for u in (tenancy.kasi_tapem, tenancy.operator_a, tenancy.outsider))
    assert {r["device"] for r in rows(kasi, "api:sync-run-list")} == {"PUCUK-A", "GEMPOL-B"}
    assert [r["device"] for r in rows(kasi, "api:sync-run-list", device="GEMPOL-B")] == ["GEMPOL-B"]
    assert [r["outcome"] for r in rows(op_a, "api:sync-run-list")] == ["success"]
    assert rows(op_a, "api:sync-run-list", device="GEMPOL-B") == []
    assert {r["device"] for r in rows(outsider, "api:sync-run-list")} == {"SUKO-X"}
    run = SyncRun.objects.get(device=world.a)
    assert outsider.get(reverse("api:sync-run-detail", args=[run.pk])).status_code == 404


def test_sync_runs_filter_by_desa(tenancy, world):
    kasi = tenancy.client(tenancy.kasi_tapem)
    assert [r["device"] for r in rows(kasi, "api:sync-run-list", desa=tenancy.desa_b.kode)] == ["GEMPOL-B"]


def test_punch_filters(tenancy, world):
    kasi = tenancy.client(tenancy.kasi_tapem)
    records = world.handle.device.records
    assert len(rows(kasi, "api:punch-list", device="PUCUK-A")) == len(records) == 60
    only_b = rows(kasi, "api:punch-list", desa=tenancy.desa_b.kode)
    assert [(r["device"], r["desa"]) for r in only_b] == [("GEMPOL-B", tenancy.desa_b.kode)]
    pin2 = rows(kasi, "api:punch-list", device="PUCUK-A", pin="2")
    assert pin2 and len(pin2) == sum(r.user_id == "2" for r in records)
    days = sorted({r.timestamp.date() for r in records})  # the device clock is Asia/Jakarta, like the portal
    first, last = days[len(days) // 2], days[-2]
    window = rows(kasi, "api:punch-list", device="PUCUK-A", date_from=first.isoformat(), date_to=last.isoformat())
    assert len(window) == sum(first <= r.timestamp.date() <= last for r in records) > 0
    seen = {dt.datetime.fromisoformat(r["punched_at"]).astimezone(WIB).date() for r in window}
    assert first in seen and last in seen and seen <= set(days[len(days) // 2 : -1])


def test_perangkat_filter_follows_the_link_backwards(tenancy, world):
    api = tenancy.client(tenancy.operator_a)
    assert rows(api, "api:punch-list", perangkat=tenancy.perangkat_a.pk) == []
    url = reverse("api:device-user-detail", args=[world.pin2.pk])
    assert api.patch(url, {"perangkat": tenancy.perangkat_a.pk}, format="json").status_code == 200
    linked = rows(api, "api:punch-list", perangkat=tenancy.perangkat_a.pk)
    assert len(linked) == Punch.objects.filter(device=world.a, pin="2").count() > 0  # past punches included
    assert {(r["pin"], r["perangkat"]) for r in linked} == {("2", tenancy.perangkat_a.pk)}
    others = rows(api, "api:punch-list", pin="3")
    assert others and {r["perangkat"] for r in others} == {None}


@pytest.mark.parametrize("who", FOREIGN)
def test_foreign_users_see_no_desa_a_punches(tenancy, world, who):
    api = tenancy.client(getattr(tenancy, who))
    assert "PUCUK-A" not in {r["device"] for r in rows(api, "api:punch-list")}
    assert rows(api, "api:punch-list", desa=tenancy.desa_a.kode) == []
    assert rows(api, "api:punch-list", device="PUCUK-A") == []
    punch = Punch.objects.filter(device=world.a).first()
    assert api.get(reverse("api:punch-detail", args=[punch.pk])).status_code == 404


# Device users ---------------------------------------------------------------------------------------------


def test_device_users_list_and_unmapped_queue(tenancy, world):
    api = tenancy.client(tenancy.operator_a)
    assert [r["pin"] for r in rows(api, "api:device-user-list")] == ["1", "2", "3", "4"]
    DeviceUser.objects.filter(device=world.a, pin="1").update(perangkat=tenancy.perangkat_a)
    assert [r["pin"] for r in rows(api, "api:device-user-list", unmapped="true")] == ["2", "3", "4"]
    kasi = rows(tenancy.client(tenancy.kasi_tapem), "api:device-user-list")
    assert {r["device"] for r in kasi} == {"PUCUK-A", "GEMPOL-B"}
    assert {r["device"] for r in rows(tenancy.client(tenancy.outsider), "api:device-user-list")} == {"SUKO-X"}


def test_operator_links_pin_to_own_perangkat(tenancy, world):
    url = reverse("api:device-user-detail", args=[world.pin2.pk])
    response = tenancy.client(tenancy.operator_a).patch(url, {"perangkat": tenancy.perangkat_a.pk}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["perangkat"], body["perangkat_nama"]) == (tenancy.perangkat_a.pk, "Slamet Riyadi")
    world.pin2.refresh_from_db()
    assert (world.pin2.perangkat, world.pin2.linked_by) == (tenancy.perangkat_a, tenancy.operator_a)


@pytest.mark.parametrize(
    "who,perangkat", [("operator_a", "perangkat_b"), ("kasi_tapem", "perangkat_b"), ("kasi_tapem", "other_perangkat")]
)
def test_link_to_perangkat_of_another_desa_is_400(tenancy, world, who, perangkat):
    url = reverse("api:device-user-detail", args=[world.pin2.pk])
    body = {"perangkat": getattr(tenancy, perangkat).pk}
    response = tenancy.client(getattr(tenancy, who)).patch(url, body, format="json")
    assert response.status_code == 400 and "perangkat" in response.json()["fields"]
    world.pin2.refresh_from_db()
    assert world.pin2.perangkat is None and world.pin2.linked_at is None


@pytest.mark.parametrize("who", FOREIGN)
def test_foreign_users_get_404_on_device_user(tenancy, world, who):
    api = tenancy.client(getattr(tenancy, who))
    url = reverse("api:device-user-detail", args=[world.pin2.pk])
    assert api.get(url).status_code == 404
    assert api.patch(url, {"perangkat": tenancy.perangkat_a.pk}, format="json").status_code == 404
    world.pin2.refresh_from_db()
    assert world.pin2.perangkat is None


def test_kades_reads_device_users_but_may_not_link(tenancy, world):
    # Kepala Desa is read-only for perangkat (can_manage_perangkat is False): it sees its desa's PINs, and a
    # link is refused by role (403) although the row is visible.
    api = tenancy.client(tenancy.kades_a)
    assert [r["pin"] for r in rows(api, "api:device-user-list")] == ["1", "2", "3", "4"]
    url = reverse("api:device-user-detail", args=[world.pin2.pk])
    assert api.patch(url, {"perangkat": tenancy.perangkat_a.pk}, format="json").status_code == 403
    world.pin2.refresh_from_db()
    assert world.pin2.perangkat is None


def test_patch_without_perangkat_keeps_the_link(tenancy, world):
    DeviceUser.objects.filter(pk=world.pin2.pk).update(perangkat=tenancy.perangkat_a)
    url = reverse("api:device-user-detail", args=[world.pin2.pk])
    assert tenancy.client(tenancy.operator_a).patch(url, {}, format="json").status_code == 200
    world.pin2.refresh_from_db()
    assert world.pin2.perangkat == tenancy.perangkat_a


# Query counts --------------------------------------------------------------------------------------------


def count_queries(client, name) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as ctx:
        found = len(rows(client, name))
    return found, len(ctx)


def test_device_list_queries_do_not_grow(tenancy):
    machine(tenancy.desa_a, "A-0", last_success_at=timezone.now())
    api = tenancy.client(tenancy.kasi_tapem)
    few = count_queries(api, "api:device-list")
    for i in range(1, 15):
        machine(tenancy.desa_a if i % 2 else tenancy.desa_b, f"A-{i}", consecutive_failures=i % 3)
    many = count_queries(api, "api:device-list")
    assert (few[0], many[0]) == (1, 15) and many[1] == few[1]


def test_punch_list_queries_do_not_grow(tenancy):
    a, b = machine(tenancy.desa_a, "A-1"), machine(tenancy.desa_b, "B-1")
    DeviceUser.objects.create(device=a, pin="1", perangkat=tenancy.perangkat_a)
    start = dt.datetime(2026, 8, 3, 7, tzinfo=WIB)
    Punch.objects.create(device=a, pin="1", punched_at=start)
    api = tenancy.client(tenancy.kasi_tapem)
    few = count_queries(api, "api:punch-list")
    more = [
        Punch(device=(a, b)[i % 2], pin=str(i % 5), punched_at=start + dt.timedelta(minutes=i)) for i in range(1, 200)
    ]
    Punch.objects.bulk_create(more)
    many = count_queries(api, "api:punch-list")
    assert (few[0], many[0]) == (1, 200) and many[1] == few[1]
