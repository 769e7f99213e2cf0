"""The ZKTeco push (ADMS / "iclock") protocol as text in, text out: pure functions, no database, so a parser
fix can be replayed over stored bodies and every quirk is tested without a device.

A machine behind NAT calls the portal (``../shared/reference/zkteco.md`` §3):

- ``GET /iclock/cdata?SN=…&options=all`` — the handshake; answered by ``options_block``.
- ``POST /iclock/cdata?SN=…&table=ATTLOG&Stamp=…`` — punches, one per line: PIN, local time, punch state,
  verify mode, work code, reserved…; read by ``parse_attlog``; answered ``OK:<n>``.
- ``POST /iclock/cdata?SN=…&table=OPERLOG&OpStamp=…`` — ``USER``, ``OPLOG`` and ``FP`` lines; ``parse_operlog``.
- ``GET /iclock/getrequest?SN=…`` — queued commands as ``C:<id>:<command>`` lines, or ``OK``.
- ``POST /iclock/devicecmd?SN=…`` — ``ID=…&Return=…&CMD=…`` per command, an ``INFO`` result followed by its
  ``key=value`` lines; ``parse_command_results``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from attendance.zk.parser import RawRecord

TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
MAX_PIN = 24  # ``Punch.pin``
MAX_LINE = 512  # a punch line is ~40 characters; longer is garbage, kept in the event log cut to this
# A biometric template (``FP … TMP=<base64>``, ``BIODATA … Tmp=``) is never stored: it is not needed to take
# attendance, and a leaked template cannot be changed like a password.
_TEMPLATE = re.compile(r"((?:^|\t)(?:TMP|Tmp)=)[^\t\r\n]*", re.MULTILINE)


@dataclass(frozen=True)
class BadLine:
    number: int  # 1-based, in the body as sent
    text: str
    reason: str


@dataclass
class AttlogBatch:
    records: list[RawRecord] = field(default_factory=list)
    bad: list[BadLine] = field(default_factory=list)


@dataclass
class OperlogBatch:
    users: list[tuple[str, str, int]] = field(default_factory=list)  # (PIN, name, privilege), like a pull's
    events: list[str] = field(default_factory=list)  # OPLOG lines, kept as sent
    templates: int = 0  # FP lines: counted, not kept
    bad: list[BadLine] = field(default_factory=list)


@dataclass
class CommandResult:
    command_id: int
    return_code: int
    command: str
    info: dict[str, str] = field(default_factory=dict)


def redact_templates(body: str) -> str:
    """The body as it may be stored: every fingerprint/face template replaced by nothing."""
    return _TEMPLATE.sub(r"\1", body)


def _lines(body: str) -> Iterable[tuple[int, str]]:
    for number, line in enumerate(body.splitlines(), start=1):
        line = line.strip("\r\n")
        if line.strip():
            yield number, line


def _int(value: str, default: int = 0) -> int:
    value = value.strip()
    return int(value) if value else default


def _bad(number: int, line: str, reason: str) -> BadLine:
    return BadLine(number, line[:MAX_LINE], reason)


def parse_attlog(body: str) -> AttlogBatch:
    """Every valid punch line as a ``RawRecord`` (local wall time, as a pull reads it), every other line as a
    ``BadLine`` with its reason; one bad line never costs the valid lines beside it."""
    batch = AttlogBatch()
    for number, line in _lines(body):
        fields = line.split("\t")
        pin = fields[0].strip()
        if not pin or len(pin) > MAX_PIN or not pin.isprintable():
            batch.bad.append(_bad(number, line, "PIN kosong atau tidak sah"))
            continue
        if len(fields) < 2:
            batch.bad.append(_bad(number, line, "waktu tidak ada"))
            continue
        try:
            moment = dt.datetime.strptime(fields[1].strip(), TIME_FORMAT)
        except ValueError:
            batch.bad.append(_bad(number, line, "waktu tidak sah"))
            continue
        try:
            # Push order: state, verify, work code; a pull's record: verify mode (status), punch state.
            state, verify, work_code = (_int(fields[i]) if len(fields) > i else 0 for i in (2, 3, 4))
        except ValueError:
            batch.bad.append(_bad(number, line, "status, verifikasi atau kode kerja bukan angka"))
            continue
        if not (0 <= state <= 255 and 0 <= verify <= 255 and 0 <= work_code <= 2**31 - 1):
            batch.bad.append(_bad(number, line, "status, verifikasi atau kode kerja di luar rentang"))
            continue
        batch.records.append(RawRecord(pin, None, moment, verify, state, work_code))
    return batch


def _pairs(text: str) -> dict[str, str]:
    """``key=value`` fields separated by tabs (a USER line)."""
    found = {}
    for part in text.split("\t"):
        key, sep, value = part.partition("=")
        if sep:
            found[key.strip()] = value.strip()
    return found


def parse_operlog(body: str) -> OperlogBatch:
    batch = OperlogBatch()
    for number, line in _lines(body):
        head, _sep, rest = line.partition(" ")
        if head == "USER":
            fields = _pairs(rest)
            pin = fields.get("PIN", "")
            if not pin or len(pin) > MAX_PIN or not pin.isprintable():
                batch.bad.append(_bad(number, line, "PIN kosong atau tidak sah"))
                continue
            try:
                privilege = _int(fields.get("Pri", ""))
            except ValueError:
                privilege = 0
            batch.users.append((pin, fields.get("Name", "")[:100], privilege))
        elif head == "OPLOG":
            batch.events.append(line[:MAX_LINE])
        elif head in ("FP", "BIODATA", "BIOPHOTO", "FACE"):
            batch.templates += 1
        else:
            batch.bad.append(_bad(number, redact_templates(line), "jenis baris tidak dikenal"))
    return batch


def parse_command_results(body: str) -> tuple[list[CommandResult], list[BadLine]]:
    """``ID=…&Return=…&CMD=…`` lines; ``key=value`` lines after one belong to it (an INFO result)."""
    results: list[CommandResult] = []
    bad: list[BadLine] = []
    for number, line in _lines(body):
        if line.startswith("ID="):
            fields = dict(parse_qsl(line, keep_blank_values=True))
            try:
                results.append(CommandResult(int(fields["ID"]), int(fields.get("Return", "0")), fields.get("CMD", "")))
            except (KeyError, ValueError):
                bad.append(_bad(number, line, "ID atau Return bukan angka"))
            continue
        key, sep, value = line.partition("=")
        if sep and results:
            results[-1].info[key.strip().lstrip("~")] = value.strip()
        else:
            bad.append(_bad(number, line, "baris hasil perintah tidak dikenal"))
    return results, bad


def zone_offset(zone: dt.tzinfo, at: dt.datetime) -> str:
    """The device's ``TimeZone`` option: whole hours as hours ("7"), otherwise minutes ("330"), the form firmware
    that shifted the clock by a fraction of an hour is known to need."""
    offset = at.astimezone(zone).utcoffset() or dt.timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    return str(minutes // 60) if minutes % 60 == 0 else str(minutes)


@dataclass(frozen=True)
class Options:
    attlog_stamp: str
    operlog_stamp: str
    timezone: str
    delay: int  # seconds between getrequest polls
    error_delay: int  # seconds to wait after an error
    trans_interval: int  # minutes between batch uploads (Realtime=1 sends each punch at once anyway)


def options_block(serial: str, options: Options) -> str:
    """The handshake's answer: the stamps the portal has stored, so a device resumes where it stopped (the
    portal deduplicates anyway), real-time upload of punches and of user changes."""
    lines = [
        f"GET OPTION FROM: {serial}",
        f"ATTLOGStamp={options.attlog_stamp or 0}",
        f"OPERLOGStamp={options.operlog_stamp or 0}",
        "ATTPHOTOStamp=0",
        f"ErrorDelay={options.error_delay}",
        f"Delay={options.delay}",
        "TransTimes=00:00;14:05",
        f"TransInterval={options.trans_interval}",
        "TransFlag=TransData AttLog\tOpLog\tEnrollUser\tChgUser",
        f"TimeZone={options.timezone}",
        "Realtime=1",
        "Encrypt=0",
        "ServerVer=2.4.1",
        # Legacy firmware (no pushver) reads these names.
        f"Stamp={options.attlog_stamp or 0}",
        f"OpStamp={options.operlog_stamp or 0}",
    ]
    return "\n".join(lines) + "\n"


def commands_reply(commands: Iterable[tuple[int, str]]) -> str:
    lines = [f"C:{command_id}:{text}" for command_id, text in commands]
    return "\n".join(lines) + "\n" if lines else "OK"


def backfill_command(start: dt.datetime, end: dt.datetime) -> str:
    """Ask the device for its punches between two local wall times; they come back through ``cdata``."""
    return f"DATA QUERY ATTLOG StartTime={start:{TIME_FORMAT}}\tEndTime={end:{TIME_FORMAT}}"


def zk_time(moment: dt.datetime) -> int:
    """A wall time in the machine's own clock format: seconds since 2000-01-01 counted in 31-day months."""
    days = ((moment.year % 100) * 12 + moment.month - 1) * 31 + moment.day - 1
    return days * 86400 + moment.hour * 3600 + moment.minute * 60 + moment.second


def set_time_command(local: dt.datetime) -> str:
    """Set the machine's clock to this wall time (in its own zone)."""
    return f"SET OPTION DateTime={zk_time(local)}"
