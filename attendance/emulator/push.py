"""Push mode: the emulated machine calls the portal over HTTP, as a real ZKTeco device behind NAT or on 4G does
(ADMS / "iclock", /work/shared/reference/zkteco.md §3). Stdlib only, like the rest of the emulator.

A ``PushClient`` wraps an ``EmulatedDevice`` and speaks the device's side of the five exchanges:

- ``handshake()``  ``GET /iclock/cdata?SN=…&options=all&pushver=2.4.1&language=69`` → ``key=value`` options;
- ``push_attlog()`` ``POST /iclock/cdata?SN=…&table=ATTLOG&Stamp=…`` → ``OK:<n>``;
- ``push_users()`` / ``push_oplog()`` ``POST /iclock/cdata?SN=…&table=OPERLOG&OpStamp=…``;
- ``poll()``       ``GET /iclock/getrequest?SN=…`` → ``OK`` or ``C:<id>:<command>`` lines, each executed on the
  device and answered with ``POST /iclock/devicecmd?SN=…`` (``ID=…&Return=…&CMD=…``).

``run(stop)`` is the loop the firmware runs; the methods above are what tests drive one exchange at a time.
Every method raises ``OSError`` / ``http.client.HTTPException`` when the network fails; only ``run`` swallows
them, because a device never crashes.
"""

from __future__ import annotations

import datetime as dt
import http.client
import logging
import re
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from urllib.parse import urlencode, urlsplit

from .device import FIRMWARE_VERSION, EmulatedDevice, Punch
from .protocol import decode_time

log = logging.getLogger(__name__)

USER_AGENT = "iClock Proxy/1.09"
PUSH_VERSION = "2.4.1"
LANGUAGE = "69"
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"

RETURN_OK = 0
RETURN_FAILED = -1  # the data could not be delivered (the upload behind the command was refused)
RETURN_BAD_SYNTAX = -1002  # unknown or malformed command, as real firmware answers USER ADD / USER DEL

# Before the server's options arrive (or while it refuses us) the firmware's own defaults apply.
DEFAULT_DELAY = 30.0
DEFAULT_TRANS_INTERVAL = 1.0
REFUSED = (401, 403)  # the serial is not (or no longer) registered: greet again before anything else

_OK_COUNT = re.compile(r"OK:(\d+)")
_RANGE_TIME = r"(\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2})"
_START = re.compile(r"StartTime=" + _RANGE_TIME)
_END = re.compile(r"EndTime=" + _RANGE_TIME)
_MULTIWORD_TYPES = ("SET OPTIONS", "SET OPTION", "CLEAR LOG", "CLEAR DATA")


@dataclass(frozen=True)
class Reply:
    """One HTTP answer as the device saw it."""

    status: int
    text: str
    date: dt.datetime | None  # the server's ``Date`` header (aware, UTC), if it sent a valid one


@dataclass(frozen=True)
class CommandResult:
    """What the device reports for one ``C:<id>:<command>``; ``info`` holds the ``key=value`` lines of INFO."""

    command_id: str
    command: str
    return_code: int
    info: dict[str, str] = field(default_factory=dict)

    @property
    def command_type(self) -> str:
        """The ``CMD=`` field: firmware names the command's type (``DATA``, ``INFO``, ``SET OPTION``), not its text."""
        upper = self.command.upper()
        for kind in _MULTIWORD_TYPES:
            if upper.startswith(kind):
                return kind
        return self.command.split(" ", 1)[0] if self.command.strip() else ""

    def lines(self) -> list[str]:
        head = f"ID={self.command_id}&Return={self.return_code}&CMD={self.command_type}"
        return [head, *(f"{key}={value}" for key, value in self.info.items())]


@dataclass(frozen=True)
class OpLog:
    """One ``OPLOG`` line: an operation done on the device's keypad (0 startup, 4 menu, 6 enrol, 21 set time…)."""

    kind: int
    time: dt.datetime  # device-local wall time
    admin: str = "0"
    pin: str = "0"
    values: tuple[int, int, int] = (0, 0, 0)

    def line(self) -> str:
        v1, v2, v3 = self.values
        return f"OPLOG {self.kind}\t{self.admin}\t{self.time:{TIME_FORMAT}}\t{self.pin}\t{v1}\t{v2}\t{v3}"


def attlog_line(punch: Punch) -> str:
    """PIN, local wall time, punch state (0 in, 1 out…), verify mode (1 finger…), work code, two reserved."""
    return f"{punch.user_id}\t{punch.timestamp:{TIME_FORMAT}}\t{punch.punch}\t{punch.status}\t{punch.workcode}\t0\t0\t"


def parse_options(text: str) -> dict[str, str]:
    """The handshake's ``key=value`` lines; the ``GET OPTION FROM: <sn>`` title has no ``=`` and is skipped."""
    options = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep and key.strip():
            options[key.strip()] = value.strip()
    return options


def parse_commands(text: str) -> list[tuple[str, str]]:
    """``C:<id>:<command>`` lines as (id, command); the command keeps its tabs (``StartTime=…\\tEndTime=…``)."""
    commands = []
    for line in text.splitlines():
        line = line.rstrip("\r\n")
        if not line.startswith("C:"):
            continue  # "OK" when idle; anything else is not for us
        _c, command_id, command = (line.split(":", 2) + [""])[:3]
        if command_id:
            commands.append((command_id, command))
    return commands


def zone_offset(value: str | None) -> dt.timedelta | None:
    """The ``TimeZone`` option: hours ("7", "-5") or, for zones off the whole hour, minutes ("330")."""
    try:
        number = int((value or "").strip())
    except ValueError:
        return None
    return dt.timedelta(hours=number) if abs(number) <= 14 else dt.timedelta(minutes=number)


def _parse_time(value: str) -> dt.datetime | None:
    """A time as commands carry it: the device's own encoded seconds, or ``YYYY-MM-DD HH:MM:SS``."""
    value = value.strip()
    try:
        if value.isdigit():
            return decode_time(int(value))
        return dt.datetime.strptime(value.replace("T", " "), TIME_FORMAT)
    except ValueError:
        return None


def _number(value: str | None, default: float) -> float:
    try:
        return float(value) if value not in (None, "") else default
    except ValueError:
        return default


class PushClient:
    """One emulated machine in push mode. Not thread-safe by itself: one thread drives one client (``run``).

    ``cursor`` is the device log position up to which punches are acknowledged (``OK:<n>``); it counts positions
    ever written, so a full log deleting its oldest records never makes it skip one. It starts at 0: a new
    machine uploads everything it holds, and the portal deduplicates.
    """

    def __init__(
        self,
        base_url: str,
        device: EmulatedDevice,
        *,
        batch: int = 500,
        timeout: float = 10.0,
        sync_clock_from_date: bool = False,
        malformed_lines: Sequence[str] = (),
        error_delay: float = 30.0,
        tick: float = 1.0,
    ) -> None:
        if batch < 1:
            raise ValueError("batch must be at least 1")
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"base_url must be http(s)://host[:port][/prefix], not {base_url!r}")
        self.base_url = base_url
        self.device = device
        self.batch = batch
        self.timeout = timeout
        self.sync_clock_from_date = sync_clock_from_date
        self.malformed_lines = list(malformed_lines)  # fault: garbage mixed into every ATTLOG body
        self.default_error_delay = error_delay
        self.tick = tick  # the loop's shortest wait: how soon a new punch leaves with Realtime=1
        self._scheme, self._netloc, self._prefix = parts.scheme, parts.netloc, parts.path.rstrip("/")
        self.options: dict[str, str] = {}
        self.accepted = False
        self.last_status: int | None = None
        self.last_reply = ""
        self.last_date: dt.datetime | None = None
        self.cursor = 0
        self.operlog_stamp = 0
        self.device_options: dict[str, str] = {}  # SET OPTION values other than the clock
        self._last_batch: list[Punch] = []
        self._next_poll = 0.0
        self._next_upload = 0.0

    @property
    def serial(self) -> str:
        return self.device.serial_number

    # -- the server's options --------------------------------------------------------------------------------

    @property
    def delay(self) -> float:
        """Seconds between command polls."""
        return _number(self.options.get("Delay"), DEFAULT_DELAY)

    @property
    def error_delay(self) -> float:
        return _number(self.options.get("ErrorDelay"), self.default_error_delay)

    @property
    def trans_interval(self) -> float:
        """Minutes between batch uploads when not in real-time mode."""
        return _number(self.options.get("TransInterval"), DEFAULT_TRANS_INTERVAL)

    @property
    def realtime(self) -> bool:
        return self.options.get("Realtime", "0").strip() == "1"

    # -- HTTP ------------------------------------------------------------------------------------------------

    def _path(self, endpoint: str, **query: object) -> str:
        return f"{self._prefix}/iclock/{endpoint}?" + urlencode({"SN": self.serial, **query})

    def _connection(self) -> http.client.HTTPConnection:
        kind = http.client.HTTPSConnection if self._scheme == "https" else http.client.HTTPConnection
        return kind(self._netloc, timeout=self.timeout)

    def _request(self, method: str, path: str, body: str | None = None) -> Reply:
        """One request on a fresh connection, as cheap firmware does; remembers status, answer and ``Date``."""
        headers = {"User-Agent": USER_AGENT}
        data = None
        if body is not None:
            data = body.encode("utf-8")
            headers["Content-Type"] = "text/plain"
        conn = self._connection()
        try:
            conn.request(method, path, body=data, headers=headers)
            response = conn.getresponse()
            text = response.read().decode("utf-8", errors="replace")
        finally:
            conn.close()
        reply = Reply(response.status, text, _http_date(response.getheader("Date")))
        self._note(reply)
        return reply

    def _note(self, reply: Reply) -> None:
        self.last_status, self.last_reply = reply.status, reply.text
        if reply.status in REFUSED:
            self.accepted = False
        if reply.date is not None:
            self.last_date = reply.date
            if self.sync_clock_from_date:
                self._sync_clock(reply.date)

    def _sync_clock(self, server_time: dt.datetime) -> None:
        """What the 2.0.1 protocol describes: the device sets its clock from the ``Date`` header, shifted into its
        zone by the ``TimeZone`` option. Without a known zone it has no wall time to set, so it leaves the clock."""
        offset = zone_offset(self.options.get("TimeZone"))
        if offset is None:
            return
        wall = (server_time.astimezone(dt.UTC) + offset).replace(tzinfo=None)
        if abs((self.device.now() - wall).total_seconds()) > 1:  # the header has whole seconds only
            self.device.set_time(wall)

    # -- handshake -------------------------------------------------------------------------------------------

    def handshake(self) -> dict[str, str] | None:
        """Ask for the options; None when refused (``last_status`` tells why: 403 for an unregistered serial)."""
        reply = self._request("GET", self._path("cdata", options="all", pushver=PUSH_VERSION, language=LANGUAGE))
        if reply.status != 200:
            self.accepted = False
            return None
        self.options = parse_options(reply.text)
        self.accepted = True
        if self.sync_clock_from_date and reply.date is not None:
            self._sync_clock(reply.date)  # the zone has just arrived with the options
        return self.options

    # -- uploads ---------------------------------------------------------------------------------------------

    def _acknowledged(self, reply: Reply) -> int | None:
        """The n of ``OK:<n>``; anything else (another status, a bare ``OK``, an error text) is not an ack."""
        match = _OK_COUNT.fullmatch(reply.text.strip())
        return int(match.group(1)) if reply.status == 200 and match else None

    def _attlog_body(self, records: Sequence[Punch]) -> str:
        lines = [attlog_line(punch) for punch in records]
        garbage = list(self.malformed_lines)
        mixed: list[str] = []
        for line in lines:
            mixed.append(line)
            if garbage:
                mixed.append(garbage.pop(0))
        return "\n".join(mixed + garbage) + "\n"

    def _post_attlog(self, records: Sequence[Punch], stamp: int) -> int | None:
        body = self._attlog_body(records)
        return self._acknowledged(self._request("POST", self._path("cdata", table="ATTLOG", Stamp=stamp), body))

    def push_attlog(self, records: Sequence[Punch] | None = None) -> int | None:
        """Upload punches in batches of ``batch`` lines; returns the sum of the acknowledged ``OK:<n>``.

        Without ``records``: the punches after ``cursor``; the cursor moves past a batch only once it is
        acknowledged, and the first refused batch stops the upload (the rest waits for the next attempt). With
        ``records``: exactly those, cursor untouched. Returns 0 when there is nothing to send (no request) and
        None when the first batch is refused.
        """
        if records is not None:
            return self._push_records(list(records))
        pending, end = self.device.appended_since(self.cursor)
        start = end - len(pending)
        total: int | None = 0 if not pending else None
        for offset in range(0, len(pending), self.batch):
            chunk = pending[offset : offset + self.batch]
            stamp = start + offset + len(chunk)
            count = self._post_attlog(chunk, stamp)
            if count is None:
                break
            self.cursor, self._last_batch = stamp, chunk
            total = (total or 0) + count
            log.info("%s: %d punches sent by push (OK:%d)", self.serial, len(chunk), count)
        return total

    def _push_records(self, records: list[Punch]) -> int | None:
        """Upload given punches (a backfill, a resend): the Stamp stays the cursor's, since they add nothing new."""
        total: int | None = 0 if not records else None
        for offset in range(0, len(records), self.batch):
            count = self._post_attlog(records[offset : offset + self.batch], self.cursor)
            if count is None:
                break
            total = (total or 0) + count
        return total

    def resend_last(self) -> int | None:
        """Fault: post the last acknowledged batch again, as firmware does when an ack got lost or after a reboot
        (duplicates across batches). The cursor does not move."""
        return self._push_records(list(self._last_batch))

    @property
    def pending(self) -> list[Punch]:
        """Punches on the device not acknowledged yet."""
        return self.device.appended_since(self.cursor)[0]

    def _post_operlog(self, lines: Sequence[str]) -> int | None:
        total: int | None = 0 if not lines else None
        for offset in range(0, len(lines), self.batch):
            chunk = lines[offset : offset + self.batch]
            stamp = self.operlog_stamp + len(chunk)
            path = self._path("cdata", table="OPERLOG", OpStamp=stamp)
            count = self._acknowledged(self._request("POST", path, "\n".join(chunk) + "\n"))
            if count is None:
                break
            self.operlog_stamp = stamp
            total = (total or 0) + count
        return total

    def user_lines(self) -> list[str]:
        with self.device.lock:
            users = list(self.device.users)
        return [
            f"USER PIN={u.user_id}\tName={u.name}\tPri={u.privilege}\tPasswd={u.password}\tCard={u.card or ''}"
            f"\tGrp={u.group_id}\tTZ=0000000000000000\tVerify=0\tViceCard="
            for u in users
        ]

    def push_users(self) -> int | None:
        """Every user as an OPERLOG ``USER`` line (what enrolment, or ``DATA QUERY USERINFO``, uploads)."""
        return self._post_operlog(self.user_lines())

    def push_oplog(self, lines: Iterable[OpLog | str]) -> int | None:
        """OPERLOG ``OPLOG`` lines; a ``str`` goes as it is (to send a malformed one)."""
        return self._post_operlog([line.line() if isinstance(line, OpLog) else line for line in lines])

    # -- commands --------------------------------------------------------------------------------------------

    def poll(self) -> list[CommandResult] | None:
        """Fetch queued commands, run them and report the results in one ``devicecmd`` POST.

        Returns the results ([] when the server answered ``OK``), None when the poll was refused."""
        reply = self._request("GET", self._path("getrequest"))
        if reply.status != 200:
            return None
        results = [self.execute(command_id, command) for command_id, command in parse_commands(reply.text)]
        if results:
            self.report(results)
        return results

    def report(self, results: Sequence[CommandResult]) -> bool:
        """POST the results; True when the server answered 200."""
        body = "\n".join(line for result in results for line in result.lines()) + "\n"
        return self._request("POST", self._path("devicecmd"), body).status == 200

    def execute(self, command_id: str, command: str) -> CommandResult:
        """Run one command on the emulated device, as firmware would."""
        upper = command.upper()
        if upper.startswith("DATA QUERY ATTLOG"):
            code = self._backfill(command)
        elif upper.startswith("DATA QUERY USERINFO"):
            code = RETURN_OK if self.push_users() is not None else RETURN_FAILED
        elif upper.strip() == "INFO":
            return CommandResult(command_id, command, RETURN_OK, self.info())
        elif upper.startswith(("SET OPTIONS ", "SET OPTION ")):
            code = self._set_option(command.split(" ", 2)[2])
        elif upper.strip() in ("CHECK", "LOG"):
            code = RETURN_OK
        else:
            code = RETURN_BAD_SYNTAX
        return CommandResult(command_id, command, code)

    def _backfill(self, command: str) -> int:
        """``DATA QUERY ATTLOG StartTime=…\\tEndTime=…``: the punches in that (inclusive) range go up through
        ``cdata`` again, sent or not; the server is expected to deduplicate."""
        start, end = _START.search(command), _END.search(command)
        first = _parse_time(start.group(1)) if start else None
        last = _parse_time(end.group(1)) if end else None
        if first is None or last is None or last < first:
            return RETURN_BAD_SYNTAX
        with self.device.lock:
            records = [r for r in self.device.records if first <= r.timestamp <= last]
        return RETURN_OK if self._push_records(records) is not None else RETURN_FAILED

    def _set_option(self, assignment: str) -> int:
        key, sep, value = assignment.partition("=")
        key = key.strip()
        if not sep or not key:
            return RETURN_BAD_SYNTAX
        if key == "DateTime":
            moment = _parse_time(value)
            if moment is None:
                return RETURN_BAD_SYNTAX
            self.device.set_time(moment)
            return RETURN_OK
        self.device_options[key] = value.strip()
        return RETURN_OK

    def info(self) -> dict[str, str]:
        """INFO's ``key=value`` lines: the counts and identity a pull reads with CMD_GET_FREE_SIZES and options."""
        device = self.device
        with device.lock:
            users, records = len(device.users), len(device.records)
        return {
            "~DeviceName": device.option("~DeviceName") or "",
            "~SerialNumber": device.serial_number,
            "~Platform": device.option("~Platform") or "",
            "FWVersion": FIRMWARE_VERSION,
            "UserCount": str(users),
            "FPCount": str(users),  # one enrolled finger per perangkat, as free_sizes counts
            "AttCount": str(records),
            "TransactionCount": str(records),
            "MaxUserCount": str(device.user_capacity),
            "MaxAttLogCount": str(device.capacity),
            "IPAddress": device.option("IPAddress") or "",
            "MAC": device.option("MAC") or "",
        }

    # -- the firmware's loop ---------------------------------------------------------------------------------

    def run(self, stop: threading.Event) -> None:
        """Greet until accepted (ErrorDelay between refusals), then poll every ``Delay`` seconds and upload every
        ``TransInterval`` minutes, or at once when ``Realtime=1`` and a punch is waiting. Network errors are
        logged and waited out: a device never crashes."""
        while not stop.is_set():
            try:
                wait = self.cycle(time.monotonic())
            except (OSError, http.client.HTTPException) as exc:
                log.warning("%s: %s %s; again in %ss", self.serial, type(exc).__name__, exc, self.error_delay)
                wait = self.error_delay
            stop.wait(wait)

    def cycle(self, now: float) -> float:
        """One turn of the loop at monotonic time ``now``; returns how long to wait before the next."""
        if not self.accepted and not self._greet():
            return self.error_delay
        if now >= self._next_poll:
            if self.poll() is None:
                return self.error_delay
            self._next_poll = now + self.delay
        if self._upload_due(now):
            self.push_attlog()
            if self.last_status != 200:
                return self.error_delay  # what was not acknowledged stays pending for the next attempt
            self._next_upload = now + self.trans_interval * 60
        return self.tick

    def _greet(self) -> bool:
        if self.handshake() is None:
            log.info("%s: refused by the server (HTTP %s)", self.serial, self.last_status)
            return False
        log.info("%s: accepted by %s", self.serial, self.base_url)
        if self.options.get("OPERLOGStamp", "0") in ("", "0", "None"):
            self.push_users()  # the server holds no user list from this machine yet: upload it, like firmware
        return True

    def _upload_due(self, now: float) -> bool:
        if not self.pending:
            return False
        return self.realtime or now >= self._next_upload


def _http_date(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
