"""The emulator's push mode (ZKTeco ADMS / iclock) against a stub HTTP server that records every request: the
exact requests a machine sends, and how it behaves on refusals, commands and faults. No portal, no database
(the portal's side over real HTTP is tested elsewhere)."""

from __future__ import annotations

import datetime as dt
import random
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest

from attendance import adms
from attendance.emulator import EmulatedDevice
from attendance.emulator.fleet import PUSH_MACHINES, demo_serial, desa_codes, is_push_machine
from attendance.emulator.protocol import encode_time
from attendance.emulator.push import OpLog, PushClient, parse_commands, zone_offset

ROOT = Path(__file__).resolve().parents[2]
SN = "PUSH0001"
OPTIONS = (
    "GET OPTION FROM: {sn}\nATTLOGStamp=0\nOPERLOGStamp=0\nErrorDelay=60\nDelay=30\nTransInterval=1\n"
    "TransFlag=TransData AttLog\tOpLog\nTimeZone=7\nRealtime=1\n"
)


@dataclass
class Request:
    method: str
    path: str  # with the query string, as sent
    headers: dict[str, str]
    body: str

    @property
    def endpoint(self) -> str:
        return urlsplit(self.path).path

    @property
    def query(self) -> dict[str, str]:
        return dict(parse_qsl(urlsplit(self.path).query))


class Stub:
    """What a portal answers, programmable per test: known serials, handshake options, queued commands, and
    scripted answers for the next uploads (``upload_replies``: (status, text) pairs used before the default
    ``OK:<n>``, n = the body's non-empty lines)."""

    def __init__(self) -> None:
        self.requests: list[Request] = []
        self.known: set[str] | None = {SN}  # None: every serial is welcome
        self.options = OPTIONS
        self.commands: list[str] = []
        self.upload_replies: list[tuple[int, str]] = []
        self.date: dt.datetime | None = None  # a fixed Date header instead of the real time
        self.lock = threading.Lock()

    def of(self, endpoint: str, method: str | None = None) -> list[Request]:
        with self.lock:
            return [r for r in self.requests if r.endpoint == endpoint and method in (None, r.method)]

    def uploads(self, table: str = "ATTLOG") -> list[Request]:
        return [r for r in self.of("/iclock/cdata", "POST") if r.query.get("table") == table]

    def answer(self, request: Request) -> tuple[int, str]:
        with self.lock:
            self.requests.append(request)
            if self.known is not None and request.query.get("SN") not in self.known:
                return 403, f"UNKNOWN DEVICE {request.query.get('SN')}\n"
            if request.endpoint == "/iclock/cdata" and request.method == "GET":
                return 200, self.options.format(sn=request.query["SN"])
            if request.endpoint == "/iclock/cdata":
                if self.upload_replies:
                    return self.upload_replies.pop(0)
                return 200, f"OK:{sum(1 for line in request.body.splitlines() if line.strip())}\n"
            if request.endpoint == "/iclock/getrequest":
                commands, self.commands = self.commands, []
                return 200, "".join(f"{c}\n" for c in commands) or "OK"
            return 200, "OK\n"


class Handler(BaseHTTPRequestHandler):
    server: ThreadingHTTPServer
    protocol_version = "HTTP/1.1"

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8")
        request = Request(self.command, self.path, {k: v for k, v in self.headers.items()}, body)
        status, text = self.server.stub.answer(request)  # type: ignore[attr-defined]
        payload = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = _serve
    do_POST = _serve

    def date_time_string(self, timestamp: float | None = None) -> str:
        fixed = self.server.stub.date  # type: ignore[attr-defined]
        return format_datetime(fixed, usegmt=True) if fixed else super().date_time_string(timestamp)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def stub() -> Iterator[tuple[Stub, str]]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.stub = Stub()  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.stub, f"http://127.0.0.1:{server.server_address[1]}"  # type: ignore[attr-defined]
    server.shutdown()
    server.server_close()


def device(**options) -> EmulatedDevice:
    options.setdefault("serial_number", SN)
    options.setdefault("users", 3)
    return EmulatedDevice(records=[], **options)


def at(text: str) -> dt.datetime:
    return dt.datetime.strptime(text, "%Y-%m-%d %H:%M:%S")


def body_lines(request: Request) -> list[str]:
    return request.body.splitlines()


# -- handshake -----------------------------------------------------------------------------------------------


def test_handshake_sends_the_device_query_and_keeps_the_options(stub):
    server, url = stub
    client = PushClient(url, device())
    options = client.handshake()
    [request] = server.requests
    assert (request.method, request.path) == ("GET", f"/iclock/cdata?SN={SN}&options=all&pushver=2.4.1&language=69")
    assert request.headers["User-Agent"] == "iClock Proxy/1.09"
    assert options == client.options
    assert options["ATTLOGStamp"] == "0" and options["TimeZone"] == "7" and options["Realtime"] == "1"
    assert options["TransFlag"] == "TransData AttLog\tOpLog"  # a value may hold tabs
    assert "GET OPTION FROM" not in " ".join(options)
    assert (client.accepted, client.last_status, client.delay, client.error_delay) == (True, 200, 30, 60)
    assert abs((client.last_date - dt.datetime.now(dt.UTC)).total_seconds()) < 5


def test_unknown_serial_is_refused_and_its_punches_wait_until_it_is_registered(stub):
    server, url = stub
    machine = device(serial_number="NEW0001")
    machine.add_punch("1", at("2026-03-02 07:31:05"))
    client = PushClient(url, machine)
    assert client.handshake() is None
    assert (client.accepted, client.last_status, client.options) == (False, 403, {})
    assert client.push_attlog() is None
    assert client.cursor == 0 and len(client.pending) == 1
    server.known.add("NEW0001")
    assert client.handshake() is not None and client.accepted
    assert client.push_attlog() == 1
    assert [body_lines(r) for r in server.uploads()] == [["1\t2026-03-02 07:31:05\t0\t1\t0\t0\t0\t"]] * 2
    assert client.pending == []


def test_every_request_carries_the_device_user_agent(stub):
    server, url = stub
    client = PushClient(url, device())
    client.device.add_punch("2", at("2026-03-02 07:00:00"))
    client.handshake()
    client.push_attlog()
    client.push_users()
    server.commands = ["C:1:CHECK"]
    client.poll()
    assert len(server.requests) == 5
    assert {r.headers["User-Agent"] for r in server.requests} == {"iClock Proxy/1.09"}
    assert all(r.headers["Content-Type"] == "text/plain" for r in server.requests if r.method == "POST")


# -- ATTLOG ---------------------------------------------------------------------------------------------------


def test_attlog_lines_are_pin_local_time_state_verify_workcode(stub):
    server, url = stub
    machine = device(clock_offset=-5 * 3600)  # the clock's offset never shifts the stored wall times
    machine.add_punch("2", at("2026-03-02 07:31:05"), status=1, punch=0)
    machine.add_punch("3", at("2026-03-02 16:02:59"), status=15, punch=1)  # face, out
    client = PushClient(url, machine)
    assert client.push_attlog() == 2
    [request] = server.uploads()
    assert request.path == f"/iclock/cdata?SN={SN}&table=ATTLOG&Stamp=2"
    assert request.body == "2\t2026-03-02 07:31:05\t0\t1\t0\t0\t0\t\n3\t2026-03-02 16:02:59\t1\t15\t0\t0\t0\t\n"


def test_the_portal_parser_reads_state_and_verify_where_the_client_puts_them(stub):
    """Contract with the server half: the punch state and the verify mode must not be swapped in transit."""
    server, url = stub
    machine = device()
    machine.add_punch("3", at("2026-03-02 16:02:59"), status=15, punch=1)
    PushClient(url, machine).push_attlog()
    [record] = adms.parse_attlog(server.uploads()[0].body).records
    assert (record.user_id, record.timestamp, record.punch, record.status) == ("3", at("2026-03-02 16:02:59"), 1, 15)


def test_cursor_moves_only_on_ok_with_a_count(stub):
    server, url = stub
    machine = device()
    machine.add_punch("1", at("2026-03-02 07:10:00"))
    client = PushClient(url, machine)
    server.upload_replies = [(500, "ERROR\n"), (200, "OK\n"), (200, "ERROR: database\n")]
    for _ in range(3):
        assert client.push_attlog() is None
        assert client.cursor == 0
    assert client.push_attlog() == 1 and client.cursor == 1
    assert client.push_attlog() == 0  # nothing new: no request at all
    assert len(server.uploads()) == 4
    machine.add_punch("2", at("2026-03-02 07:12:00"))
    assert client.push_attlog() == 1
    last = server.uploads()[-1]
    assert body_lines(last) == ["2\t2026-03-02 07:12:00\t0\t1\t0\t0\t0\t"] and last.query["Stamp"] == "2"


def test_batches_stop_at_the_first_refusal_and_resume_there(stub):
    server, url = stub
    machine = device()
    for minute in range(5):
        machine.add_punch("1", at(f"2026-03-02 07:0{minute}:00"))
    client = PushClient(url, machine, batch=2)
    server.upload_replies = [(200, "OK:2\n"), (503, "busy\n")]
    assert client.push_attlog() == 2
    assert client.cursor == 2 and [p.timestamp.minute for p in client.pending] == [2, 3, 4]
    assert client.push_attlog() == 3
    sent = [[line.split("\t")[1][-5:-3] for line in body_lines(r)] for r in server.uploads()]
    assert sent == [["00", "01"], ["02", "03"], ["02", "03"], ["04"]]
    assert [r.query["Stamp"] for r in server.uploads()] == ["2", "4", "4", "5"]


def test_a_full_log_deleting_its_oldest_records_does_not_make_the_cursor_skip(stub):
    server, url = stub
    machine = device(faults=["wrap"], wrap_capacity=3)
    client = PushClient(url, machine)
    machine.add_punch("1", at("2026-03-02 07:00:00"))
    client.push_attlog()
    for minute in range(1, 6):  # five new punches, the device keeps three
        machine.add_punch("1", at(f"2026-03-02 07:0{minute}:00"))
    assert client.push_attlog() == 3
    assert [line.split("\t")[1] for line in body_lines(server.uploads()[-1])] == [
        "2026-03-02 07:03:00",
        "2026-03-02 07:04:00",
        "2026-03-02 07:05:00",
    ]
    assert server.uploads()[-1].query["Stamp"] == "6"


def test_resend_last_posts_an_acknowledged_batch_again(stub):
    server, url = stub
    machine = device()
    machine.add_punch("1", at("2026-03-02 07:10:00"))
    machine.add_punch("2", at("2026-03-02 07:11:00"))
    client = PushClient(url, machine)
    client.push_attlog()
    assert client.resend_last() == 2
    first, again = server.uploads()
    assert again.body == first.body and client.cursor == 2
    assert client.push_attlog() == 0


def test_malformed_lines_are_mixed_into_the_body(stub):
    server, url = stub
    machine = device()
    machine.add_punch("1", at("2026-03-02 07:10:00"))
    machine.add_punch("2", at("2026-03-02 07:11:00"))
    client = PushClient(url, machine, malformed_lines=["garbage", "9\tnot a time\t0\t1\t0\t0\t0\t", "\x00\x01"])
    assert client.push_attlog() == 5  # the stub counts every line; a portal would set the garbage aside
    assert body_lines(server.uploads()[0]) == [
        "1\t2026-03-02 07:10:00\t0\t1\t0\t0\t0\t",
        "garbage",
        "2\t2026-03-02 07:11:00\t0\t1\t0\t0\t0\t",
        "9\tnot a time\t0\t1\t0\t0\t0\t",
        "\x00\x01",
    ]
    assert client.cursor == 2


# -- OPERLOG --------------------------------------------------------------------------------------------------


def test_users_and_oplog_lines(stub):
    server, url = stub
    client = PushClient(url, device(users=2))
    client.device.users[1].card = 4711
    assert client.push_users() == 2
    [users] = server.uploads("OPERLOG")
    assert users.path == f"/iclock/cdata?SN={SN}&table=OPERLOG&OpStamp=2"
    names = [u.name for u in client.device.users]
    assert body_lines(users) == [
        f"USER PIN=1\tName={names[0]}\tPri=14\tPasswd=\tCard=\tGrp=1\tTZ=0000000000000000\tVerify=0\tViceCard=",
        f"USER PIN=2\tName={names[1]}\tPri=0\tPasswd=\tCard=4711\tGrp=1\tTZ=0000000000000000\tVerify=0\tViceCard=",
    ]
    client.push_oplog([OpLog(21, at("2026-03-02 06:00:00"), admin="1", values=(3, 0, 0)), "OPLOG broken"])
    oplog = server.uploads("OPERLOG")[-1]
    assert oplog.query["OpStamp"] == "4"
    assert body_lines(oplog) == ["OPLOG 21\t1\t2026-03-02 06:00:00\t0\t3\t0\t0", "OPLOG broken"]
    parsed = adms.parse_operlog(users.body)
    assert [pin for pin, _name, _pri in parsed.users] == ["1", "2"] and not parsed.bad


# -- commands -------------------------------------------------------------------------------------------------


def test_idle_poll_sends_no_result(stub):
    server, url = stub
    client = PushClient(url, device())
    assert client.poll() == []
    [request] = server.requests
    assert request.path == f"/iclock/getrequest?SN={SN}"
    assert server.of("/iclock/devicecmd") == []


def test_backfill_sends_the_range_again_then_reports(stub):
    server, url = stub
    machine = device()
    for stamp in ("2026-03-02 23:59:59", "2026-03-03 00:00:00", "2026-03-04 23:59:59", "2026-03-05 00:00:00"):
        machine.add_punch("1", at(stamp))
    client = PushClient(url, machine)
    client.push_attlog()
    server.commands = ["C:1:DATA QUERY ATTLOG StartTime=2026-03-03 00:00:00\tEndTime=2026-03-04 23:59:59"]
    [result] = client.poll()
    assert result.return_code == 0 and client.cursor == 4
    backfill = server.uploads()[-1]
    assert [line.split("\t")[1] for line in body_lines(backfill)] == ["2026-03-03 00:00:00", "2026-03-04 23:59:59"]
    assert backfill.query["Stamp"] == "4"  # nothing new: the stamp stays where the cursor is
    assert server.requests.index(backfill) < server.requests.index(server.of("/iclock/devicecmd")[0])
    assert server.of("/iclock/devicecmd")[0].body == "ID=1&Return=0&CMD=DATA\n"


def test_backfill_refused_or_malformed_is_reported_as_failed(stub):
    server, url = stub
    machine = device()
    machine.add_punch("1", at("2026-03-03 08:00:00"))
    client = PushClient(url, machine)
    server.upload_replies = [(500, "ERROR\n")]
    server.commands = [
        "C:7:DATA QUERY ATTLOG StartTime=2026-03-03 00:00:00\tEndTime=2026-03-03 23:59:59",
        "C:8:DATA QUERY ATTLOG StartTime=2026-03-04 00:00:00\tEndTime=2026-03-03 00:00:00",
        "C:9:DATA QUERY ATTLOG StartTime=yesterday",
    ]
    assert [r.return_code for r in client.poll()] == [-1, -1002, -1002]


def test_info_result_has_its_fields_after_the_first_line(stub):
    server, url = stub
    machine = device(users=4)
    machine.add_punch("1", at("2026-03-03 08:00:00"))
    server.commands = ["C:2:INFO"]
    PushClient(url, machine).poll()
    [report] = server.of("/iclock/devicecmd")
    lines = body_lines(report)
    assert lines[0] == "ID=2&Return=0&CMD=INFO"
    fields = dict(line.split("=", 1) for line in lines[1:])
    assert fields["~SerialNumber"] == SN and fields["~DeviceName"] == "K40/ID"
    assert (fields["UserCount"], fields["AttCount"], fields["FPCount"]) == ("4", "1", "4")
    assert fields["FWVersion"].startswith("Ver ") and fields["IPAddress"] == "192.168.1.201"
    [result], bad = adms.parse_command_results(report.body)
    assert not bad and result.command_id == 2 and result.info["SerialNumber"] == SN


def test_commands_run_in_order_and_are_reported_in_one_post(stub):
    server, url = stub
    machine = device(users=2)
    client = PushClient(url, machine)
    target = dt.datetime(2026, 3, 2, 7, 0, 0)
    server.commands = [
        f"C:3:SET OPTION DateTime={encode_time(target)}",
        "C:4:CHECK",
        "C:5:LOG",
        "C:6:DATA QUERY USERINFO",
        "C:7:REBOOT",
        "C:8:USER ADD PIN=9",
        "C:9:SET OPTION DateTime=soon",
        "C:10:SET OPTION Delay=15",
    ]
    results = client.poll()
    assert [(r.command_id, r.return_code) for r in results] == [
        ("3", 0),
        ("4", 0),
        ("5", 0),
        ("6", 0),
        ("7", -1002),
        ("8", -1002),
        ("9", -1002),
        ("10", 0),
    ]
    [report] = server.of("/iclock/devicecmd")
    assert report.body.splitlines() == [
        "ID=3&Return=0&CMD=SET OPTION",
        "ID=4&Return=0&CMD=CHECK",
        "ID=5&Return=0&CMD=LOG",
        "ID=6&Return=0&CMD=DATA",
        "ID=7&Return=-1002&CMD=REBOOT",
        "ID=8&Return=-1002&CMD=USER",
        "ID=9&Return=-1002&CMD=SET OPTION",
        "ID=10&Return=0&CMD=SET OPTION",
    ]
    assert [line.split("\t")[0] for line in body_lines(server.uploads("OPERLOG")[0])] == ["USER PIN=1", "USER PIN=2"]
    assert abs((machine.now() - target).total_seconds()) <= 2  # then the clock runs on from there
    assert client.device_options == {"Delay": "15"}


def test_set_time_as_text(stub):
    server, url = stub
    client = PushClient(url, device())
    server.commands = ["C:11:SET OPTION DateTime=2030-01-02 03:04:05"]
    assert client.poll()[0].return_code == 0
    assert abs((client.device.now() - at("2030-01-02 03:04:05")).total_seconds()) <= 2


def test_command_lines_are_parsed_with_their_tabs():
    text = "C:1:DATA QUERY ATTLOG StartTime=2026-03-03 00:00:00\tEndTime=2026-03-04 00:00:00\r\nOK\nC:x2:INFO\n"
    assert parse_commands(text) == [
        ("1", "DATA QUERY ATTLOG StartTime=2026-03-03 00:00:00\tEndTime=2026-03-04 00:00:00"),
        ("x2", "INFO"),
    ]
    assert parse_commands("OK") == []


# -- clock ----------------------------------------------------------------------------------------------------


def test_clock_follows_the_date_header_only_when_asked(stub):
    server, url = stub
    server.date = dt.datetime(2026, 3, 2, 0, 30, 0, tzinfo=dt.UTC)
    kept, synced = device(), device()
    PushClient(url, kept).handshake()
    PushClient(url, synced, sync_clock_from_date=True).handshake()
    assert abs((kept.now() - dt.datetime.now()).total_seconds()) <= 2
    assert abs((synced.now() - at("2026-03-02 07:30:00")).total_seconds()) <= 2  # UTC + TimeZone=7


def test_time_zone_option_in_hours_or_minutes():
    assert zone_offset("7") == dt.timedelta(hours=7)
    assert zone_offset("-5") == dt.timedelta(hours=-5)
    assert zone_offset("330") == dt.timedelta(hours=5, minutes=30)
    assert zone_offset("") is None and zone_offset("WIB") is None


# -- the device loop ------------------------------------------------------------------------------------------


def wait_for(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_run_greets_until_accepted_then_uploads_users_punches_and_polls(stub):
    server, url = stub
    server.known = set()
    server.options = OPTIONS.replace("ErrorDelay=60", "ErrorDelay=0.05").replace("Delay=30", "Delay=0.1")
    machine = device()
    machine.add_punch("1", at("2026-03-02 07:10:00"))
    client = PushClient(url, machine, error_delay=0.05, tick=0.02)
    stop = threading.Event()
    thread = threading.Thread(target=client.run, args=(stop,), daemon=True)
    thread.start()
    try:
        wait_for(lambda: len(server.of("/iclock/cdata", "GET")) >= 3)
        assert server.uploads() == [] and client.accepted is False
        server.known.add(SN)
        wait_for(lambda: client.cursor == 1)
        machine.add_punch("2", at("2026-03-02 07:11:00"))  # Realtime=1: leaves without waiting TransInterval
        wait_for(lambda: client.cursor == 2)
        server.commands = ["C:1:INFO"]
        wait_for(lambda: server.of("/iclock/devicecmd") != [])
    finally:
        stop.set()
        thread.join(timeout=5)
    assert not thread.is_alive()
    assert len(server.uploads("OPERLOG")) == 1  # users once, because the server said OPERLOGStamp=0
    assert len(server.of("/iclock/getrequest")) >= 2


def test_run_survives_a_server_that_is_not_there():
    client = PushClient("http://127.0.0.1:9", device(), error_delay=0.05, timeout=0.5)
    stop = threading.Event()
    thread = threading.Thread(target=client.run, args=(stop,), daemon=True)
    thread.start()
    time.sleep(0.3)
    assert thread.is_alive() and client.last_status is None
    stop.set()
    thread.join(timeout=5)
    assert not thread.is_alive()


@pytest.mark.parametrize("stamp,uploads", [("0", 1), ("None", 1), ("12", 0)])
def test_greeting_uploads_the_users_only_when_the_server_holds_none(stub, stamp, uploads):
    server, url = stub
    server.options = OPTIONS.replace("OPERLOGStamp=0", f"OPERLOGStamp={stamp}")
    PushClient(url, device()).cycle(1000.0)
    assert len(server.uploads("OPERLOG")) == uploads


def test_run_uploads_on_trans_interval_without_realtime(stub):
    server, url = stub
    server.options = OPTIONS.replace("Realtime=1", "Realtime=0").replace("TransInterval=1", "TransInterval=10")
    machine = device()
    machine.add_punch("1", at("2026-03-02 07:10:00"))
    client = PushClient(url, machine)
    now = 1000.0
    client.cycle(now)  # greets, polls, and the first upload is due at once
    assert client.cursor == 1
    machine.add_punch("2", at("2026-03-02 07:11:00"))
    client.cycle(now + 60)
    assert client.cursor == 1  # not before TransInterval minutes
    client.cycle(now + 601)
    assert client.cursor == 2


# -- the fleet ------------------------------------------------------------------------------------------------


def test_procfile_pushes_as_many_machines_as_the_demo_registers():
    procfile = dict(line.split(": ", 1) for line in (ROOT / "Procfile").read_text().splitlines() if line)
    bind = re.search(r"--bind (\S+)", procfile["web"]).group(1)
    assert f"--push-to http://{bind} " in procfile["devices"]
    assert int(re.search(r"--push (\d+)", procfile["devices"]).group(1)) == PUSH_MACHINES
    flags = [is_push_machine(index, 17) for index in range(17)]
    assert flags == [False] * (17 - PUSH_MACHINES) + [True] * PUSH_MACHINES


def test_fleet_push_machines_call_the_portal(stub):
    server, url = stub
    server.known = None
    base = 17500 + random.randint(0, 2000)  # away from `make run`'s 14370–14386 and test_fleet's range
    args = ["--push-to", url, "--push", "2", "--users", "3", "--base-port", str(base)]
    proc = subprocess.Popen(
        [sys.executable, "-m", "attendance.emulator.fleet", *args], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    codes = desa_codes()
    try:
        lines = [proc.stdout.readline() for _ in codes]
        pushers = {demo_serial(kode) for kode in codes[-2:]}
        assert sum("listening on" in line for line in lines) == len(codes) - 2
        assert {line.split()[0] for line in lines if f"pushing to {url}" in line} == pushers
        wait_for(lambda: {r.query["SN"] for r in server.uploads()} == pushers, timeout=20)
        assert {r.query["SN"] for r in server.requests} == pushers
        assert all(adms.parse_attlog(r.body).records and not adms.parse_attlog(r.body).bad for r in server.uploads())
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0
    finally:
        proc.kill()
        proc.wait()
        proc.stdout.close()
