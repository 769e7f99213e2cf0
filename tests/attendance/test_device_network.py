"""Which hosts the server may connect to for a device, and what a user learns when it cannot: private ranges
(and loopback only where allowed) or ``ATTENDANCE_ALLOWED_HOSTS``, checked when the device is saved and again
at every connection (to the very address checked: no DNS rebinding); one error text for every way a
connection fails, so the device form is no port scanner; device actions that cannot connect answer 502, a
role that may not act 403 before any connection; a bad time zone is a field error."""

from __future__ import annotations

import contextlib
import socket
import threading

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from attendance import network
from attendance.models import Device, DeviceAudit, SyncRun
from attendance.services import UNREACHABLE, device_pull
from portal.choices import Role
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def quick_timeout(settings):
    settings.ATTENDANCE_PULL_TIMEOUT = 1


def new(desa, serial: str, **extra) -> dict:
    return {"serial_number": serial, "desa": desa.kode, "name": "Balai", **extra}


def create(tenancy, host: str, serial: str = "NET-1"):
    api = tenancy.client(tenancy.kasi_tapem)
    return api.post(reverse("api:device-list"), new(tenancy.desa_a, serial, host=host), format="json")


def fake_dns(monkeypatch, table: dict[str, list[str]]) -> None:
    """Names resolve through ``table`` (as DNS does: any case, a trailing dot); other hosts as usual."""
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        name = host.rstrip(".").lower()
        if name in table:
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, 0)) for ip in table[name]]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(network.socket, "getaddrinfo", getaddrinfo)


# Which hosts ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("host", ["10.20.30.40", "172.16.0.9", "172.31.255.1", "192.168.1.201", "100.64.3.7"])
def test_private_addresses_are_allowed(tenancy, settings, host):
    settings.ATTENDANCE_ALLOW_LOOPBACK = False
    response = create(tenancy, host)
    assert response.status_code == 201, response.content


@pytest.mark.parametrize(
    "host",
    [
        "8.8.8.8",  # the internet
        "169.254.169.254",  # link-local: the cloud metadata service
        "0.0.0.0",  # "this host"
        "127.0.0.1",  # the server itself (loopback is off here)
        "127.1",  # the same, spelled short
        "2130706433",  # the same, as a number
        "localhost",
        "172.32.0.1",  # just outside 172.16/12
        "224.0.0.1",  # multicast
        "nama-yang-tidak-ada.invalid",
    ],
)
def test_other_hosts_are_a_field_error(tenancy, settings, host):
    settings.ATTENDANCE_ALLOW_LOOPBACK = False
    response = create(tenancy, host)
    assert response.status_code == 400 and list(response.json()["fields"]) == ["host"], response.content
    assert not Device.objects.exists()


def test_the_refusal_says_why_in_bahasa_indonesia(tenancy, settings):
    settings.ATTENDANCE_ALLOW_LOOPBACK = False
    [message] = create(tenancy, "8.8.8.8").json()["fields"]["host"]
    assert message.startswith("Alamat mesin “8.8.8.8” tidak diizinkan: mesin harus beralamat jaringan lokal")
    assert "ATTENDANCE_ALLOWED_HOSTS" in message


def test_loopback_only_when_allowed(tenancy, settings):
    settings.ATTENDANCE_ALLOW_LOOPBACK = False
    assert create(tenancy, "127.0.0.1").status_code == 400
    settings.ATTENDANCE_ALLOW_LOOPBACK = True
    assert create(tenancy, "127.0.0.1").status_code == 201


def test_loopback_follows_debug_until_the_setting_names_it(settings):
    del settings.ATTENDANCE_ALLOW_LOOPBACK
    settings.DEBUG = False
    assert not network.loopback_allowed()
    settings.DEBUG = True
    assert network.loopback_allowed()


def test_a_patch_to_a_public_host_is_refused(tenancy, settings):
    settings.ATTENDANCE_ALLOW_LOOPBACK = False
    device = Device.objects.create(serial_number="P-1", desa=tenancy.desa_a, name="Balai", host="10.0.0.5")
    api = tenancy.client(tenancy.kasi_tapem)
    url = reverse("api:device-detail", args=[device.pk])
    response = api.patch(url, {"host": "203.0.113.9"}, format="json")
    assert response.status_code == 400 and "host" in response.json()["fields"]
    assert api.patch(url, {"host": "192.168.0.20"}, format="json").status_code == 200
    device.refresh_from_db()
    assert device.host == "192.168.0.20"


def test_the_allow_list_takes_addresses_networks_and_names(tenancy, settings, monkeypatch):
    settings.ATTENDANCE_ALLOW_LOOPBACK = False
    settings.ATTENDANCE_ALLOWED_HOSTS = ["203.0.113.0/24", "198.51.100.7", "mesin.pucuk.example"]
    fake_dns(monkeypatch, {"mesin.pucuk.example": ["36.66.1.2"], "lain.example": ["36.66.1.3"]})
    assert create(tenancy, "203.0.113.44", "A-1").status_code == 201
    assert create(tenancy, "198.51.100.7", "A-2").status_code == 201
    assert create(tenancy, "198.51.100.8", "A-3").status_code == 400
    assert create(tenancy, "Mesin.Pucuk.Example.", "A-4").status_code == 201  # a listed name, any spelling
    assert create(tenancy, "lain.example", "A-5").status_code == 400  # a name not listed


@pytest.mark.parametrize("address", ["127.0.0.1", "169.254.169.254", "0.0.0.0"])
def test_a_listed_name_never_reaches_the_server_or_the_metadata_address(tenancy, settings, monkeypatch, address):
    settings.ATTENDANCE_ALLOW_LOOPBACK = False
    settings.ATTENDANCE_ALLOWED_HOSTS = ["mesin.pucuk.example"]
    fake_dns(monkeypatch, {"mesin.pucuk.example": [address]})
    assert create(tenancy, "mesin.pucuk.example").status_code == 400


def test_a_name_must_resolve_only_to_allowed_addresses(tenancy, settings, monkeypatch):
    settings.ATTENDANCE_ALLOW_LOOPBACK = False
    fake_dns(monkeypatch, {"campur.example": ["10.0.0.5", "8.8.8.8"], "lokal.example": ["10.0.0.5"]})
    assert create(tenancy, "campur.example", "A-1").status_code == 400
    assert create(tenancy, "lokal.example", "A-2").status_code == 201


def test_the_admin_form_checks_the_host_too(tenancy, settings):
    settings.ATTENDANCE_ALLOW_LOOPBACK = False
    device = Device(serial_number="ADM-1", desa=tenancy.desa_a, name="Balai", host="8.8.8.8")
    with pytest.raises(ValidationError) as error:
        device.full_clean()
    assert set(error.value.message_dict) == {"host"}
    device.host = "10.1.1.1"
    device.full_clean()


def test_dns_rebinding_is_refused_at_connect_time(tenancy, settings, monkeypatch):
    """Saved while the name pointed into the desa's network; by the pull it points at the server itself. The
    pull re-checks and connects to nothing."""
    settings.ATTENDANCE_ALLOW_LOOPBACK = False
    fake_dns(monkeypatch, {"mesin.example": ["10.9.8.7"]})
    assert create(tenancy, "mesin.example").status_code == 201
    fake_dns(monkeypatch, {"mesin.example": ["127.0.0.1"]})
    connected = []
    monkeypatch.setattr("attendance.zk.client.ZK", lambda *args, **kwargs: connected.append(args))
    device = Device.objects.get()
    result = device_pull(device_id=device.pk)
    assert result.outcome == "failed" and "tidak diizinkan" in result.error
    assert connected == []


def test_the_connection_goes_to_the_address_that_was_checked(tenancy, settings, monkeypatch):
    fake_dns(monkeypatch, {"mesin.example": ["10.9.8.7"]})
    device = Device.objects.create(serial_number="IP-1", desa=tenancy.desa_a, name="Balai", host="mesin.example")
    addresses = []

    class Refusing:
        def __init__(self, address, **kwargs):
            addresses.append(address)

        def connect(self):
            raise ConnectionRefusedError("[Errno 111] Connection refused")

    monkeypatch.setattr("attendance.zk.client.ZK", Refusing)
    assert device_pull(device_id=device.pk).outcome == "failed"
    assert addresses == ["10.9.8.7"]  # the IP, never the name: pyzk cannot resolve it again


# One error text ------------------------------------------------------------------------------------------------


@contextlib.contextmanager
def tcp_server(reply: bytes | None):
    """A TCP service on 127.0.0.1 that is not a ZKTeco machine: it answers ``reply`` and hangs up, or (None)
    accepts and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.2)
    stop = threading.Event()
    held = []

    def serve():
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            if reply is None:
                held.append(conn)
                continue
            with contextlib.suppress(OSError):
                conn.recv(1024)
                conn.sendall(reply)
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1]
    finally:
        stop.set()
        thread.join(2)
        for conn in held:
            conn.close()
        server.close()


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def failing_targets(emulator):
    """Four ways not to reach a ZKTeco machine: nothing listens, a machine that refuses, a web server, a
    service that never answers."""
    refusing = emulator(serial="REFUSE-1", faults=["refuse"])
    with tcp_server(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n") as web, tcp_server(None) as silent:
        yield {"closed": closed_port(), "refused": refusing.port, "web server": web, "silent": silent}


def test_every_connection_failure_reads_the_same(tenancy, failing_targets):
    errors, details = set(), set()
    for name, port in failing_targets.items():
        device = Device.objects.create(serial_number=name, desa=tenancy.desa_a, name=name, host="127.0.0.1", port=port)
        result = device_pull(device_id=device.pk)
        device.refresh_from_db()
        run = SyncRun.objects.get(device=device)
        assert (result.outcome, result.error, device.last_error, run.error) == (
            "failed",
            UNREACHABLE,
            UNREACHABLE,
            UNREACHABLE,
        ), name
        errors.add(run.error)
        details.add(run.error_detail)
    assert errors == {UNREACHABLE}
    assert "" not in details and len(details) > 1  # the cause is kept for the administrator


def test_the_cause_is_not_in_the_api_nor_on_the_device_page(client, tenancy, failing_targets):
    device = Device.objects.create(
        serial_number="C-1", desa=tenancy.desa_a, name="Balai", host="127.0.0.1", port=failing_targets["closed"]
    )
    device_pull(device_id=device.pk)
    detail = SyncRun.objects.get().error_detail
    assert detail.startswith("ZKNetworkError: ")  # e.g. "[Errno 32] Broken pipe" after a refused connect
    api = tenancy.client(tenancy.kasi_tapem)
    [run] = api.get(reverse("api:sync-run-list"), {"device_id": device.pk}).json()["results"]
    assert run["error"] == UNREACHABLE and "error_detail" not in run
    assert detail not in str(api.get(reverse("api:device-detail", args=[device.pk])).json())
    client.force_login(tenancy.kasi_tapem)
    assert detail not in client.get(reverse("attendance-device", args=[device.pk])).content.decode()


def test_set_time_on_an_unreachable_device_is_a_502_with_the_same_text(tenancy, failing_targets):
    api = tenancy.client(tenancy.kasi_tapem)
    bodies = []
    for name, port in failing_targets.items():
        device = Device.objects.create(serial_number=name, desa=tenancy.desa_a, name=name, host="127.0.0.1", port=port)
        response = api.post(reverse("api:device-set-time", args=[device.pk]))
        assert response.status_code == 502, (name, response.content)
        bodies.append(response.json())
    assert bodies == [{"detail": UNREACHABLE, "code": "device_error"}] * len(failing_targets)
    assert not DeviceAudit.objects.exists()


def test_clear_log_on_an_unreachable_device_is_a_502_with_the_same_text(tenancy, failing_targets):
    device = Device.objects.create(
        serial_number="CL-1", desa=tenancy.desa_a, name="Balai", host="127.0.0.1", port=failing_targets["silent"]
    )
    response = tenancy.client(tenancy.kasi_tapem).post(reverse("api:device-clear-log", args=[device.pk]))
    assert response.status_code == 502
    assert response.json() == {"detail": UNREACHABLE, "code": "device_error"}
    device.refresh_from_db()
    assert device.pull_lock_until is None and not DeviceAudit.objects.exists()


def test_a_device_action_on_a_host_no_longer_allowed_says_so(tenancy, settings):
    settings.ATTENDANCE_ALLOW_LOOPBACK = False  # registered while loopback was allowed
    device = Device.objects.create(serial_number="OLD-1", desa=tenancy.desa_a, name="Balai", host="127.0.0.1")
    response = tenancy.client(tenancy.kasi_tapem).post(reverse("api:device-set-time", args=[device.pk]))
    assert response.status_code == 502 and "tidak diizinkan" in response.json()["detail"]


# Who may act ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.SEKCAM, Role.KASI_PMD, Role.STAF_KECAMATAN])
def test_clear_log_by_a_role_that_may_not_clear_is_403_before_any_connection(tenancy, monkeypatch, role):
    device = Device.objects.create(serial_number="R-1", desa=tenancy.desa_a, name="Balai", host="10.0.0.5")
    monkeypatch.setattr("attendance.zk.client.ZK", lambda *a, **k: pytest.fail("no connection may be opened"))
    staff = UserFactory(role=role, kecamatan=tenancy.kecamatan)
    response = tenancy.client(staff).post(reverse("api:device-clear-log", args=[device.pk]))
    assert response.status_code == 403 and response.json()["code"] == "permission_denied"
    device.refresh_from_db()
    assert device.pull_lock_until is None and not SyncRun.objects.exists()


def test_set_time_and_clear_log_for_an_operator_are_403_and_for_an_outsider_404(tenancy, monkeypatch):
    device = Device.objects.create(serial_number="R-2", desa=tenancy.desa_a, name="Balai", host="10.0.0.5")
    monkeypatch.setattr("attendance.zk.client.ZK", lambda *a, **k: pytest.fail("no connection may be opened"))
    for name in ("api:device-set-time", "api:device-clear-log"):
        url = reverse(name, args=[device.pk])
        assert tenancy.client(tenancy.operator_a).post(url).status_code == 403
        assert tenancy.client(tenancy.outsider).post(url).status_code == 404


# Time zones ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "zone",
    [
        "A" * 300,
        "Mars/Olympus_Mons",
        "../../../../etc/passwd",
        "/etc/localtime",
        "Asia/../Asia/Jakarta",
        "asia/jakarta",
    ],
)
def test_an_unknown_time_zone_is_a_field_error(tenancy, zone):
    api = tenancy.client(tenancy.kasi_tapem)
    response = api.post(
        reverse("api:device-list"), new(tenancy.desa_a, "TZ-1", host="10.0.0.5", timezone=zone), format="json"
    )
    assert response.status_code == 400 and list(response.json()["fields"]) == ["timezone"], response.content
    assert any("tidak dikenal" in m for m in response.json()["fields"]["timezone"])
    device = Device.objects.create(serial_number="TZ-2", desa=tenancy.desa_a, name="Balai", host="10.0.0.5")
    patched = api.patch(reverse("api:device-detail", args=[device.pk]), {"timezone": zone}, format="json")
    assert patched.status_code == 400 and "timezone" in patched.json()["fields"]


@pytest.mark.parametrize("zone", ["A" * 300, "Mars/Olympus_Mons"])
def test_the_admin_form_refuses_an_unknown_time_zone(tenancy, zone):
    device = Device(serial_number="TZ-3", desa=tenancy.desa_a, name="Balai", host="10.0.0.5", timezone=zone)
    with pytest.raises(ValidationError) as error:
        device.full_clean()
    assert "timezone" in error.value.message_dict


def test_wita_and_wit_are_fine(tenancy):
    api = tenancy.client(tenancy.kasi_tapem)
    for serial, zone in (("W-1", "Asia/Makassar"), ("W-2", "Asia/Jayapura")):
        body = new(tenancy.desa_a, serial, host="10.0.0.5", timezone=zone)
        assert api.post(reverse("api:device-list"), body, format="json").status_code == 201
