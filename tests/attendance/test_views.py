"""Attendance pages: device list with health, device detail with its runs and "Tarik sekarang", the queue of
unmapped PINs with a name suggestion and the link action, the punch list of a day. Outsiders get 404."""

import datetime as dt
import re

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from attendance.models import Device, DeviceUser, Punch, SyncRun
from attendance.services import device_pull
from tests.helpers import WIB

pytestmark = pytest.mark.django_db
FOREIGN = ["outsider", "outsider_operator", "operator_b"]  # none of them may see desa A's rows
COMM_KEY = 735291


@pytest.fixture(autouse=True)
def quick_timeout(settings):
    settings.ATTENDANCE_PULL_TIMEOUT = 3


def machine(desa, serial: str, **fields) -> Device:
    return Device.objects.create(serial_number=serial, desa=desa, name=f"Mesin {serial}", host="127.0.0.1", **fields)


def page(client, user, name, *args, **params):
    client.force_login(user)
    return client.get(reverse(name, args=args), params)


def texts(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def queue(tenancy):
    """Desa A's device with PIN 7 named like perangkat A and punching, PIN 8 enrolled but never punching."""
    device = machine(tenancy.desa_a, "A-1")
    pin7 = DeviceUser.objects.create(device=device, pin="7", name=tenancy.perangkat_a.nama)
    DeviceUser.objects.create(device=device, pin="8", name="Belum Absen")
    Punch.objects.create(device=device, pin="7", punched_at=dt.datetime(2026, 8, 3, 7, 5, tzinfo=WIB))
    return pin7


# Devices -----------------------------------------------------------------------------------------------


def test_device_list_shows_health_badges(client, tenancy):
    machine(tenancy.desa_a, "GREEN-1", last_success_at=timezone.now())
    machine(tenancy.desa_a, "STALE-1")
    machine(tenancy.desa_a, "FAIL-1", consecutive_failures=2, last_error="Mesin menolak koneksi")
    machine(tenancy.desa_a, "OFF-1", enabled=False)
    machine(tenancy.desa_b, "B-1")
    response = page(client, tenancy.operator_a, "attendance-devices")
    assert response.status_code == 200
    health = {d.serial_number: d.health for d in response.context["devices"]}
    assert health == {"GREEN-1": "green", "STALE-1": "stale", "FAIL-1": "failing", "OFF-1": "disabled"}
    html = response.content.decode()
    for badge in (
        'data-health="green"',
        "Sehat",
        "Lama tidak ditarik",
        "Gagal ×2",
        "Nonaktif",
        "Mesin menolak koneksi",
    ):
        assert badge in html
    assert "B-1" not in html


@pytest.mark.parametrize("who", FOREIGN)
def test_foreign_device_list_is_empty(client, tenancy, who):
    machine(tenancy.desa_a, "A-1")
    response = page(client, getattr(tenancy, who), "attendance-devices")
    assert response.status_code == 200 and response.context["devices"] == []
    assert "A-1" not in response.content.decode()


def test_device_detail_shows_runs_and_pull_button(client, tenancy, emulator, register):
    handle = emulator(serial="PUCUK-A", users=3, records=25, comm_key=COMM_KEY)
    device = register(handle, tenancy.desa_a, comm_key=COMM_KEY)
    fresh = page(client, tenancy.operator_a, "attendance-device", device.pk)
    assert fresh.status_code == 200 and "Belum pernah ditarik." in fresh.content.decode()
    assert device_pull(device_id=device.pk, trigger="test").outcome == "success"
    response = page(client, tenancy.kasi_tapem, "attendance-device", device.pk)
    html = response.content.decode()
    assert [(r.outcome, r.records_read) for r in response.context["runs"]] == [("success", 25)]
    assert "Berhasil" in html and "Belum pernah ditarik." not in html
    assert "Tarik sekarang" in html and f'data-url="{reverse("api:device-pull", args=[device.pk])}"' in html
    assert {u.pin for u in response.context["device_users"]} == {"1", "2", "3"}
    assert str(COMM_KEY) not in html and "comm" not in html.lower()  # write-only, never shown


def test_punches_read_again_read_as_normal_not_as_an_error(client, tenancy, settings):
    device = machine(tenancy.desa_a, "A-1")
    started = timezone.now()
    SyncRun.objects.create(
        device=device, started_at=started, records_read=300, records_new=0, duplicates=300, outcome="success"
    )
    html = page(client, tenancy.kasi_tapem, "attendance-device", device.pk).content.decode()
    assert "uplikat" not in html
    assert 'data-msg-duplicates="sudah tersimpan sebelumnya (tidak diulang)"' in html
    assert "Sudah tersimpan</th>" in html
    cell = re.search(r'<td([^>]*) data-testid="already-stored">300</td>', html)
    assert cell and "class" not in cell.group(1)  # a plain number, not styled as a warning or an error
    # The script puts the count before the words: "…, 300 sudah tersimpan sebelumnya (tidak diulang)."
    script = (settings.BASE_DIR / "attendance/static/attendance/device.js").read_text()
    assert "${run.duplicates} ${text.msgDuplicates}" in script


@pytest.mark.parametrize("who", FOREIGN)
def test_foreign_device_detail_is_404(client, tenancy, who):
    device = machine(tenancy.desa_a, "A-1")
    assert page(client, getattr(tenancy, who), "attendance-device", device.pk).status_code == 404


# Unmapped queue and link ----------------------------------------------------------------------------------


def test_unmapped_lists_pin_with_punches_and_suggests_perangkat(client, tenancy, queue):
    response = page(client, tenancy.operator_a, "attendance-unmapped")
    assert response.status_code == 200
    [row] = response.context["rows"]  # PIN 8 has no punches: not in the queue
    assert (row.pin, row.suggestion.perangkat, row.suggestion.preselect) == ("7", tenancy.perangkat_a, True)
    assert row.choices == [tenancy.perangkat_a]  # only desa A's perangkat are offered
    html = response.content.decode()
    assert f'<option value="{tenancy.perangkat_a.pk}" selected>' in html
    assert "Nama sama persis: Slamet Riyadi" in html and "Siti Aminah" not in html
    assert reverse("attendance-link", args=[queue.pk]) in html


@pytest.mark.parametrize("who", FOREIGN)
def test_foreign_unmapped_queue_is_empty(client, tenancy, queue, who):
    response = page(client, getattr(tenancy, who), "attendance-unmapped")
    assert response.status_code == 200 and response.context["rows"] == []


def test_link_takes_pin_out_of_the_queue(client, tenancy, queue):
    client.force_login(tenancy.operator_a)
    body = {"perangkat": tenancy.perangkat_a.pk, "confirm_punches": "1"}
    response = client.post(reverse("attendance-link", args=[queue.pk]), body)
    assert response.status_code == 302 and response.url == reverse("attendance-unmapped")
    assert texts(response) == ["PIN 7 ditautkan; absen lamanya ikut terhitung."]
    queue.refresh_from_db()
    assert (queue.perangkat, queue.linked_by) == (tenancy.perangkat_a, tenancy.operator_a)
    after = client.get(reverse("attendance-unmapped"))
    assert after.context["rows"] == [] and "Semua PIN sudah ditautkan." in after.content.decode()


@pytest.mark.parametrize("who", FOREIGN)
def test_foreign_link_is_404(client, tenancy, queue, who):
    client.force_login(getattr(tenancy, who))
    response = client.post(reverse("attendance-link", args=[queue.pk]), {"perangkat": tenancy.perangkat_a.pk})
    assert response.status_code == 404
    queue.refresh_from_db()
    assert queue.perangkat is None and queue.linked_at is None


def test_kades_may_not_link(client, tenancy, queue):
    # Same decision as the API: the Kepala Desa sees the PIN, but linking is refused by role (403).
    client.force_login(tenancy.kades_a)
    assert client.get(reverse("attendance-unmapped")).context["rows"] == [queue]
    response = client.post(reverse("attendance-link", args=[queue.pk]), {"perangkat": tenancy.perangkat_a.pk})
    assert response.status_code == 403
    queue.refresh_from_db()
    assert queue.perangkat is None


def test_link_to_perangkat_of_another_desa_is_refused(client, tenancy, queue):
    client.force_login(tenancy.operator_a)  # perangkat B is out of the operator's scope: 404
    url = reverse("attendance-link", args=[queue.pk])
    assert client.post(url, {"perangkat": tenancy.perangkat_b.pk}).status_code == 404
    client.force_login(tenancy.kasi_tapem)  # in the Kasi's scope, but not of the device's desa: an error message
    response = client.post(url, {"perangkat": tenancy.perangkat_b.pk, "confirm_punches": "1"})
    assert response.status_code == 302
    assert texts(response) == ["Perangkat harus dari desa yang sama dengan mesin."]
    queue.refresh_from_db()
    assert queue.perangkat is None and queue.linked_at is None


def test_link_does_not_redirect_off_site(client, tenancy, queue):
    client.force_login(tenancy.operator_a)
    body = {"perangkat": tenancy.perangkat_a.pk, "next": "https://evil.example/phish"}
    response = client.post(reverse("attendance-link", args=[queue.pk]), body)
    assert response.status_code == 302 and not response.url.startswith("https://evil.example")


# Punch list ------------------------------------------------------------------------------------------------


@pytest.fixture
def punches(tenancy):
    """03/08/2026 06:30 WIB (still 2 August in UTC) on A, B and the other kecamatan; a later day on A."""
    a, b, other = machine(tenancy.desa_a, "A-1"), machine(tenancy.desa_b, "B-1"), machine(tenancy.other_desa, "X-1")
    morning = dt.datetime(2026, 8, 3, 6, 30, tzinfo=WIB)
    Punch.objects.bulk_create(
        [
            Punch(device=a, pin="11", punched_at=morning),
            Punch(device=b, pin="22", punched_at=morning),
            Punch(device=other, pin="33", punched_at=morning),
            Punch(device=a, pin="44", punched_at=morning + dt.timedelta(days=1)),
        ]
    )
    DeviceUser.objects.create(device=a, pin="11", name="SLAMET", perangkat=tenancy.perangkat_a)


def listed(response) -> list[tuple[str, str]]:
    assert response.status_code == 200
    return [(p.device.serial_number, p.pin) for p in response.context["page"]]


def test_punch_list_shows_only_own_desa_for_the_day(client, tenancy, punches):
    response = page(client, tenancy.operator_a, "attendance-punches", tanggal="03/08/2026")
    assert listed(response) == [("A-1", "11")]
    html = response.content.decode()
    assert "Slamet Riyadi" in html and "03/08/2026 06:30:00" in html
    assert "B-1" not in html and "X-1" not in html
    assert listed(page(client, tenancy.operator_a, "attendance-punches", tanggal="04/08/2026")) == [("A-1", "44")]


def test_punch_list_for_kecamatan_and_outsiders(client, tenancy, punches):
    kasi = page(client, tenancy.kasi_tapem, "attendance-punches", tanggal="03/08/2026")
    assert listed(kasi) == [("A-1", "11"), ("B-1", "22")]
    only_b = page(client, tenancy.kasi_tapem, "attendance-punches", tanggal="03/08/2026", desa=tenancy.desa_b.kode)
    assert listed(only_b) == [("B-1", "22")]
    for who in FOREIGN:
        seen = listed(page(client, getattr(tenancy, who), "attendance-punches", tanggal="03/08/2026"))
        assert "A-1" not in {serial for serial, _pin in seen}


def test_punch_list_opens_on_the_last_day_with_punches(client, tenancy):
    import datetime as dt

    from attendance.models import Device, Punch

    device = Device.objects.create(serial_number="LAST-DAY", desa=tenancy.desa_a, name="Mesin", host="127.0.0.1")
    Punch.objects.create(device=device, pin="7", punched_at=dt.datetime(2026, 8, 3, 7, 31, tzinfo=WIB))
    client.force_login(tenancy.operator_a)
    body = client.get(reverse("attendance-punches")).content.decode()
    assert "Daftar absen 03/08/2026" in body and "03/08/2026 07:31" in body
