"""The /iclock door, in-process (the same protocol over real HTTP is in ``test_push_http.py``): what a machine
is answered and what the portal keeps — punches in the one store, bad lines kept beside the good ones, users
for PIN linking, commands delivered once, unknown serials refused and listed, bodies over the limit refused."""

from __future__ import annotations

import datetime as dt
import uuid
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.http import parse_http_date

from attendance import adms, push
from attendance.choices import Protocol, PunchSource
from attendance.models import (
    Device,
    DeviceCommand,
    DeviceDay,
    DeviceEvent,
    DeviceUser,
    Punch,
    PushRequest,
    StatusDirty,
    UnregisteredDevice,
)

pytestmark = pytest.mark.django_db
WIB = ZoneInfo("Asia/Jakarta")
SN = "PUSH0001"


@pytest.fixture
def machine(tenancy):
    return Device.objects.create(
        serial_number=SN, desa=tenancy.desa_a, name="Balai Desa", protocol=Protocol.PUSH, host=""
    )


def post(client, path, body: str, **query):
    query = {"SN": SN, **query}
    qs = "&".join(f"{k}={v}" for k, v in query.items())
    return client.generic("POST", f"{path}?{qs}", body.encode(), content_type="text/plain")


def attlog(client, body: str, **query):
    return post(client, "/iclock/cdata", body, table="ATTLOG", **query)


def line(pin: str, when: str, state: int = 0, verify: int = 1) -> str:
    return f"{pin}\t{when}\t{state}\t{verify}\t0\t0\t0\t"


def test_handshake_answers_the_options_with_the_zone_and_a_date_header(client, machine):
    Device.objects.filter(pk=machine.pk).update(push_attlog_stamp="9999", timezone="Asia/Makassar")
    response = client.get("/iclock/cdata", {"SN": SN, "options": "all", "pushver": "2.4.1"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/plain")
    text = response.content.decode()
    assert text.startswith(f"GET OPTION FROM: {SN}\n")
    for option in ("ATTLOGStamp=9999", "TimeZone=8", "Realtime=1", "TransInterval=1", "Delay=30", "ErrorDelay=60"):
        assert f"\n{option}\n" in text
    assert abs(parse_http_date(response["Date"]) - timezone.now().timestamp()) < 5
    machine.refresh_from_db()
    assert machine.last_contact_at is not None


def test_legacy_aspx_paths_are_the_same_door(client, machine):
    assert client.get("/iclock/cdata.aspx", {"SN": SN}).status_code == 200
    assert client.get("/iclock/getrequest.aspx", {"SN": SN}).content == b"OK"


def test_attlog_stores_punches_once_keeps_bad_lines_and_answers_the_count(client, machine):
    body = "\n".join(
        [
            line("1", "2026-03-02 07:31:05"),
            "garbage without tabs",
            line("2", "2026-03-02 07:45:00", state=0),
            line("3", "2026-02-31 07:00:00"),  # no such day
            line("1", "2026-03-02 16:02:00", state=1),
        ]
    )
    response = attlog(client, body, Stamp="100")
    assert response.status_code == 200 and response.content == b"OK:5\n"
    punches = list(Punch.objects.order_by("punched_at"))
    assert [(p.pin, p.punched_at.astimezone(WIB).strftime("%H:%M"), p.punch_state) for p in punches] == [
        ("1", "07:31", 0),
        ("2", "07:45", 0),
        ("1", "16:02", 1),
    ]
    assert {p.source for p in punches} == {PunchSource.PUSH} and punches[0].verify_mode == 1
    bad = list(DeviceEvent.objects.filter(device=machine, kind=DeviceEvent.Kind.MALFORMED).order_by("pk"))
    assert [e.detail.split(":")[0] for e in bad] == ["Baris 2 (ATTLOG)", "Baris 4 (ATTLOG)"]
    assert "waktu tidak sah" in bad[1].detail
    request = PushRequest.objects.get()
    assert (request.outcome, request.lines_ok, request.lines_new, request.lines_bad) == ("processed", 3, 3, 2)
    assert request.body == body  # kept as received, for a replay
    machine.refresh_from_db()
    assert machine.push_attlog_stamp == "100"
    # Evidence and recompute, as for a pull: the day holds punches, it and the day before are marked.
    assert DeviceDay.objects.get(device=machine, date=dt.date(2026, 3, 2)).punched
    assert {d.date for d in StatusDirty.objects.all()} >= {dt.date(2026, 3, 1), dt.date(2026, 3, 2)}

    # The same lines again (a machine that did not see our answer) store nothing new.
    assert attlog(client, body).content == b"OK:5\n"
    assert Punch.objects.count() == 3
    assert PushRequest.objects.order_by("-pk").first().lines_new == 0


def test_operlog_users_feed_pin_linking_and_oplog_lines_become_events(client, machine):
    body = "\n".join(
        [
            "USER PIN=7\tName=Slamet Riyadi\tPri=0\tPasswd=\tCard=\tGrp=1\tTZ=0000000000000000\tVerify=0",
            "USER PIN=8\tName=Siti\tPri=14\tPasswd=123",
            "OPLOG 4\t0\t2026-03-02 08:00:00\t0\t0\t0\t0",
            "FP PIN=7\tFID=0\tSize=1000\tValid=1\tTMP=SECRETTEMPLATEBASE64",
            "WHAT is this",
        ]
    )
    response = post(client, "/iclock/cdata", body, table="OPERLOG", OpStamp="55")
    assert response.content == b"OK:5\n"
    users = dict(DeviceUser.objects.filter(device=machine).values_list("pin", "name"))
    assert users == {"7": "Slamet Riyadi", "8": "Siti"}
    kinds = sorted(DeviceEvent.objects.filter(device=machine).values_list("kind", flat=True))
    assert kinds == ["malformed", "oplog"]
    stored = PushRequest.objects.get().body
    assert "SECRETTEMPLATEBASE64" not in stored and "TMP=" in stored  # a template is never kept
    machine.refresh_from_db()
    assert machine.push_operlog_stamp == "55"


def test_a_command_is_delivered_once_and_its_result_recorded(client, machine, tenancy):
    command = push.device_command_queue(
        actor=tenancy.kasi_tapem,
        device=machine,
        kind=DeviceCommand.Kind.BACKFILL,
        start=dt.date(2026, 3, 1),
        end=dt.date(2026, 3, 31),
    )
    info = push.device_command_queue(actor=tenancy.kasi_tapem, device=machine, kind=DeviceCommand.Kind.INFO)
    reply = client.get("/iclock/getrequest", {"SN": SN}).content.decode()
    assert reply == (
        f"C:{command.pk}:DATA QUERY ATTLOG StartTime=2026-03-01 00:00:00\tEndTime=2026-03-31 23:59:59\n"
        f"C:{info.pk}:INFO\n"
    )
    assert client.get("/iclock/getrequest", {"SN": SN}).content == b"OK"  # never twice
    result = f"ID={command.pk}&Return=0&CMD=DATA\nID={info.pk}&Return=0&CMD=INFO\n~DeviceName=K40\nFWVersion=Ver 6.60\n"
    result += "UserCount=12\nAttCount=4100\nMaxAttLogCount=5000\n"
    assert post(client, "/iclock/devicecmd", result).content == b"OK\n"
    command.refresh_from_db()
    info.refresh_from_db()
    assert (command.state, command.return_code) == ("done", 0)
    assert info.state == "done" and "FWVersion=Ver 6.60" in info.result
    machine.refresh_from_db()
    assert (machine.firmware, machine.users_on_device, machine.records_on_device, machine.record_capacity) == (
        "Ver 6.60",
        12,
        4100,
        5000,
    )


def test_a_failed_command_says_so(client, machine, tenancy):
    command = push.device_command_queue(actor=tenancy.kasi_tapem, device=machine, kind=DeviceCommand.Kind.RELOAD_USERS)
    client.get("/iclock/getrequest", {"SN": SN})
    post(client, "/iclock/devicecmd", f"ID={command.pk}&Return=-1002&CMD=DATA\n")
    command.refresh_from_db()
    assert (command.state, command.return_code) == ("failed", -1002)


def test_command_answers_with_a_bad_line_are_kept_processed_and_never_replayed_as_another_table(
    client, machine, tenancy
):
    """The good answer finishes its command; the bad line is kept beside it; the kept body is processed, so a
    later replay (registering, or after a parser fix) has nothing to take in and does not read it as OPERLOG."""
    command = push.device_command_queue(actor=tenancy.kasi_tapem, device=machine, kind=DeviceCommand.Kind.RELOAD_USERS)
    client.get("/iclock/getrequest", {"SN": SN})
    post(client, "/iclock/devicecmd", f"ID={command.pk}&Return=0&CMD=DATA\nID=x&Return=0&CMD=DATA\n")
    command.refresh_from_db()
    assert command.state == "done"
    [request] = PushRequest.objects.filter(device=machine, table="devicecmd")
    assert (request.outcome, request.lines_ok, request.lines_bad) == ("processed", 1, 1)
    events = list(DeviceEvent.objects.filter(device=machine).values_list("kind", flat=True))
    assert events.count(DeviceEvent.Kind.MALFORMED) == 1 and DeviceEvent.Kind.OPLOG not in events
    assert push.push_replay(machine.pk) == 0
    assert DeviceEvent.objects.filter(device=machine).count() == len(events)
    # A body kept failed (say, before a parser fix) is replayed as command answers: harmless for a finished one.
    PushRequest.objects.filter(pk=request.pk).update(outcome=PushRequest.Outcome.FAILED)
    assert push.push_replay(machine.pk) == 1
    request.refresh_from_db()
    command.refresh_from_db()
    assert request.outcome == "processed" and command.state == "done"
    assert not DeviceEvent.objects.filter(device=machine, kind=DeviceEvent.Kind.OPLOG).exists()


def test_commands_are_for_push_machines_and_for_staff_only(machine, tenancy):
    from django.core.exceptions import PermissionDenied, ValidationError

    with pytest.raises(PermissionDenied):
        push.device_command_queue(actor=tenancy.operator_a, device=machine, kind=DeviceCommand.Kind.INFO)
    Device.objects.filter(pk=machine.pk).update(protocol=Protocol.PULL, host="10.0.0.5")
    machine.refresh_from_db()
    with pytest.raises(ValidationError):
        push.device_command_queue(actor=tenancy.kasi_tapem, device=machine, kind=DeviceCommand.Kind.INFO)


def test_unknown_serial_is_refused_listed_and_its_punches_taken_in_when_registered(
    client, tenancy, django_capture_on_commit_callbacks
):
    unknown = f"NEW{uuid.uuid4().hex[:8]}"  # the knock counter lives in the shared cache: a serial of its own
    body = line("1", "2026-03-02 07:31:05") + "\n" + line("2", "2026-03-02 07:40:00")
    first = client.generic("POST", f"/iclock/cdata?SN={unknown}&table=ATTLOG", body.encode(), content_type="text/plain")
    assert first.status_code == 403 and b"UNKNOWN DEVICE" in first.content
    assert client.get("/iclock/cdata", {"SN": unknown}).status_code == 403
    assert client.get("/iclock/getrequest", {"SN": unknown}).status_code == 403
    row = UnregisteredDevice.objects.get(serial_number=unknown)
    assert row.requests == 2 and row.stored_bytes == len(body)
    assert Punch.objects.count() == 0
    with django_capture_on_commit_callbacks(execute=True):
        device = push.device_register_push(actor=tenancy.kasi_tapem, serial=unknown, desa=tenancy.desa_a, name="Balai")
    assert device.protocol == Protocol.PUSH and device.host == ""
    assert Punch.objects.filter(device=device).count() == 2  # replayed from the stored body
    assert not UnregisteredDevice.objects.exists()
    assert DeviceEvent.objects.filter(device=device, kind=DeviceEvent.Kind.REGISTERED).exists()
    assert client.get("/iclock/cdata", {"SN": unknown}).status_code == 200


def test_unknown_serials_are_rate_limited_and_capped(client, tenancy, settings):
    settings.ADMS_UNREGISTERED_PER_MINUTE = 3
    settings.ADMS_UNREGISTERED_KEEP_BYTES = 60
    flood = f"FLOOD{uuid.uuid4().hex[:8]}"  # the knock counter lives in the shared cache: a serial of its own
    body = line("1", "2026-03-02 07:31:05")  # 30 bytes or so
    with time_machine.travel(timezone.now(), tick=False):  # all five inside one counting minute
        codes = [
            client.generic(
                "POST", f"/iclock/cdata?SN={flood}&table=ATTLOG", body.encode(), content_type="text/plain"
            ).status_code
            for _ in range(5)
        ]
    assert codes == [403, 403, 403, 429, 429]
    assert PushRequest.objects.filter(serial_number=flood).count() == 60 // len(body.encode())
    assert UnregisteredDevice.objects.get(serial_number=flood).stored_bytes <= 60


def test_oversized_body_is_refused_and_said_on_the_device_page(client, machine, settings):
    settings.ADMS_MAX_BODY_BYTES = 10_000
    body = "\n".join(line(str(i), "2026-03-02 07:31:05") for i in range(400))
    assert len(body) > 10_000
    response = attlog(client, body)
    assert response.status_code == 413
    assert Punch.objects.count() == 0 and not PushRequest.objects.exists()
    assert DeviceEvent.objects.filter(device=machine, kind=DeviceEvent.Kind.REFUSED).count() == 1


def test_a_disabled_or_pull_machine_is_not_served(client, machine):
    Device.objects.filter(pk=machine.pk).update(enabled=False)
    assert client.get("/iclock/cdata", {"SN": SN}).status_code == 403
    assert client.get("/iclock/cdata").status_code == 400  # no serial at all


def test_a_machine_moved_from_pull_to_push_never_doubles_a_punch(client, tenancy, django_capture_on_commit_callbacks):
    from attendance.store import punches_insert
    from attendance.zk.parser import RawRecord

    device = Device.objects.create(serial_number=SN, desa=tenancy.desa_a, name="Balai", host="10.0.0.5")
    pulled = [
        RawRecord("1", None, dt.datetime(2026, 3, 2, 7, 31, 5), 1, 0),
        RawRecord("2", None, dt.datetime(2026, 3, 2, 7, 40), 1, 0),
    ]
    punches_insert(device=device, records=pulled)
    assert attlog(client, line("1", "2026-03-02 07:31:05")).status_code == 403  # still a pull machine
    with django_capture_on_commit_callbacks(execute=True):
        push.device_register_push(actor=tenancy.kasi_tapem, serial=SN, desa=tenancy.desa_a, name="Balai")
    body = "\n".join(
        [line("1", "2026-03-02 07:31:05"), line("2", "2026-03-02 07:40:00"), line("3", "2026-03-02 07:50:00")]
    )
    assert attlog(client, body).content == b"OK:3\n"
    assert Punch.objects.filter(device=device).count() == 3
    assert sorted(Punch.objects.values_list("source", flat=True)) == ["pull", "pull", "push"]
    device.refresh_from_db()
    assert device.protocol == Protocol.PUSH


def test_contact_writes_evidence_at_most_every_few_minutes(client, machine):
    client.get("/iclock/getrequest", {"SN": SN})
    with CaptureQueriesContext(connection) as ctx:
        client.get("/iclock/getrequest", {"SN": SN})
    writes = [q["sql"] for q in ctx.captured_queries if q["sql"].startswith(("INSERT", "UPDATE"))]
    assert len(writes) <= 2  # the two conditional UPDATEs, matching nothing
    today = timezone.localdate()
    assert DeviceDay.objects.get(device=machine, date=today).pulled_at is not None


def test_a_silent_push_machine_alerts_once(machine):
    from portal.models import Delivery

    now = timezone.now()
    Device.objects.filter(pk=machine.pk).update(last_contact_at=now - dt.timedelta(hours=2))
    assert push.silent_push_devices_alert(now=now) == 1
    push.silent_push_devices_alert(now=now)
    assert Delivery.objects.filter(event_key__contains=":silent:").values("event_key").distinct().count() == 1


def test_parser_keeps_valid_lines_beside_any_garbage():
    batch = adms.parse_attlog("1\t2026-03-02 07:31:05\t0\t1\n\x00\x01\n\t\t\n9\t2026-03-02 07:32:00\tx\t1\n")
    assert [r.user_id for r in batch.records] == ["1"]
    assert [b.number for b in batch.bad] == [2, 4]


def test_zone_offset_in_hours_or_minutes():
    at = dt.datetime(2026, 3, 2, tzinfo=dt.UTC)
    assert adms.zone_offset(ZoneInfo("Asia/Jakarta"), at) == "7"
    assert adms.zone_offset(ZoneInfo("Asia/Kolkata"), at) == "330"
