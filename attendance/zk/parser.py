"""Our own parser for the ZKTeco attendance buffer (``CMD_ATTLOG_RRQ``), written from the protocol spec.

pyzk (PyPI 0.9) is used only for transport. Its ``get_attendance()`` is not used because it
- slices ``bytes`` once per record, which is O(N²) (100k records take ~15 s of CPU), and
- always advances by 40 bytes for any record size other than 8 or 16. With 49-byte records from newer
  firmware it returns wrong records with garbage dates or raises ``ValueError: day is out of range``.

This parser derives the record size from the buffer and reads every record in place (``struct.iter_unpack``
over a ``memoryview``), so it is O(N). A buffer that does not match the device's record count fails as a whole
with ``ParseError``, so the caller never stores half of a transfer. No Django imports: it runs in workers,
benchmarks and the emulator alike.
"""

from __future__ import annotations

import contextlib
import gc
import struct
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from typing import NamedTuple

__all__ = [
    "AttendanceLog",
    "ParseError",
    "RawRecord",
    "attendance_log",
    "decode_time",
    "encode_time",
    "parse_attendance",
    "parse_log",
    "record_struct",
]

MIN_YEAR = 2000
MAX_YEAR = 2099
# The device calendar counts every month as 31 days and every year as 12 such months.
_SECONDS_PER_DAY = 86_400
_DAYS_PER_YEAR = 12 * 31

_TOTAL_SIZE = struct.Struct("<I")
# Time is a 4-byte little-endian field; reading it as "I" is the same bytes as the spec's "4s" without a second unpack.
_LAYOUT_8 = struct.Struct("<HBIB")  # uid, status, time, punch
_LAYOUT_16 = struct.Struct("<IIBB2xI")  # user_id, time, status, punch, reserved, workcode
_LAYOUT_40_HEAD = "<H24sBIB"  # uid, user_id, status, time, punch; the rest of the record is reserved
_LAYOUT_40_HEAD_SIZE = struct.calcsize(_LAYOUT_40_HEAD)  # 32
MIN_LONG_RECORD = 40


class ParseError(ValueError):
    """The device sent something we cannot read exactly. The message is English for logs; the UI translates."""


class RawRecord(NamedTuple):
    """A tuple rather than a frozen dataclass: a pull builds 100,000 of them, and a tuple is built in a
    third of the time."""

    user_id: str  # device user id / PIN as text; for 8-byte records looked up from uid
    uid: int | None  # internal device uid when the layout carries one (not in 16-byte records)
    timestamp: datetime  # naive device-local wall time: the device has no notion of a zone
    status: int  # verify mode (1 fingerprint, ...)
    punch: int  # punch state (0 in, 1 out, ..., 255 undefined)
    workcode: int = 0


def decode_time(value: int) -> datetime:
    """Decode the device's packed time. Every month has 31 slots, so e.g. 31 Feb is encodable and rejected here."""
    if value < 0:
        raise ParseError(f"negative device time {value}")
    rest, second = divmod(value, 60)
    rest, minute = divmod(rest, 60)
    rest, hour = divmod(rest, 24)
    rest, day = divmod(rest, 31)
    years, month = divmod(rest, 12)
    year = MIN_YEAR + years
    if year > MAX_YEAR:
        # A u32 reaches 2133; anything past 2099 would wrap to the 1900s/2000s on encode, so it is corrupt data.
        raise ParseError(f"device time {value} decodes to year {year}, outside {MIN_YEAR}-{MAX_YEAR}")
    try:
        return datetime(year, month + 1, day + 1, hour, minute, second)
    except ValueError as exc:
        raise ParseError(
            f"device time {value} is not a real date ({year:04d}-{month + 1:02d}-{day + 1:02d}): {exc}"
        ) from exc


def encode_time(dt: datetime) -> int:
    """Pack a naive device-local datetime (microseconds are dropped, the device counts whole seconds)."""
    if dt.tzinfo is not None:
        # The device stores wall time only; silently dropping a zone would shift punches by hours.
        raise ValueError("device time must be naive device-local wall time, got an aware datetime")
    if not MIN_YEAR <= dt.year <= MAX_YEAR:
        # yy%100 would wrap 1999 to 2099 without complaint.
        raise ValueError(f"device time year {dt.year} outside {MIN_YEAR}-{MAX_YEAR}")
    days = (dt.year % 100) * _DAYS_PER_YEAR + (dt.month - 1) * 31 + dt.day - 1
    return days * _SECONDS_PER_DAY + dt.hour * 3600 + dt.minute * 60 + dt.second


def record_struct(record_size: int) -> struct.Struct:
    """The struct for one whole record of this size, padding included, so iter_unpack advances by the real size."""
    if record_size == 8:
        return _LAYOUT_8
    if record_size == 16:
        return _LAYOUT_16
    if record_size >= MIN_LONG_RECORD:
        return struct.Struct(f"{_LAYOUT_40_HEAD}{record_size - _LAYOUT_40_HEAD_SIZE}x")
    raise ParseError(f"unsupported attendance record size {record_size} bytes (expected 8, 16 or >= 40)")


class AttendanceLog(NamedTuple):
    """An attendance buffer checked against the device's record count: ``body`` is exactly ``count`` records of
    ``record_size`` bytes each, as the device sent them (a view of the buffer, not a copy)."""

    body: memoryview
    count: int
    record_size: int


def attendance_log(buffer: bytes, *, record_count: int) -> AttendanceLog:
    """Check ``read_with_buffer(CMD_ATTLOG_RRQ)`` output: u32 total size, then ``record_count`` equal records.

    ``record_count`` is the device's record count from ``read_sizes()``; it is the only way to learn the record
    size, so a count that does not match the buffer is an error rather than a guess.
    """
    if record_count < 0:
        raise ParseError(f"negative record count {record_count}")
    if record_count == 0:
        return AttendanceLog(memoryview(b""), 0, 0)
    view = memoryview(buffer).cast("B")
    if len(view) < _TOTAL_SIZE.size:
        raise ParseError(f"attendance buffer is {len(view)} bytes, too short for its size header")
    (total,) = _TOTAL_SIZE.unpack_from(view, 0)
    if total == 0:
        raise ParseError(f"device reports {record_count} records but an empty attendance buffer")
    if total % record_count:
        raise ParseError(f"attendance buffer of {total} bytes does not divide into {record_count} records")
    available = len(view) - _TOTAL_SIZE.size
    if available < total:
        raise ParseError(f"attendance buffer truncated: header says {total} bytes, got {available}")
    record_size = total // record_count
    record_struct(record_size)  # an unsupported size fails here, before anyone hashes or stores the log
    # A memoryview slice shares memory: no copy, and iter_unpack then walks it in place.
    return AttendanceLog(view[_TOTAL_SIZE.size : _TOTAL_SIZE.size + total], record_count, record_size)


def parse_attendance(
    buffer: bytes, *, record_count: int, users_by_uid: dict[int, str] | None = None
) -> list[RawRecord]:
    """Parse ``read_with_buffer(CMD_ATTLOG_RRQ)`` output (see ``attendance_log``) into records."""
    return parse_log(attendance_log(buffer, record_count=record_count), users_by_uid=users_by_uid)


def parse_log(log: AttendanceLog, *, users_by_uid: dict[int, str] | None = None, start: int = 0) -> list[RawRecord]:
    """The records of ``log`` from index ``start`` on; the ones before it are not read at all (a pull that
    knows them already, ``attendance.zk.prefix``)."""
    if start >= log.count:
        return []
    rows = record_struct(log.record_size).iter_unpack(log.body[start * log.record_size :])
    if log.record_size == 8:
        records = _from_8(rows, users_by_uid or {})
    elif log.record_size == 16:
        records = _from_16(rows)
    else:
        records = _from_40(rows)
    with _collector_paused():
        return _collect(records, start)


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """100,000 new tuples that form no cycle would start the cyclic garbage collector dozens of times, each
    pass walking the growing list: half of the parse time. Paused for the parse only, and only if it was on."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class _TimeDecoder:
    """``decode_time`` for a whole buffer: punches fall on few distinct days, so each day is decoded and
    validated once and a record costs one divmod and two dictionary lookups."""

    def __init__(self) -> None:
        self._days: dict[int, datetime] = {}
        self._seconds: dict[int, timedelta] = {}

    def __call__(self, value: int) -> datetime:
        day, second = divmod(value, _SECONDS_PER_DAY)
        midnight = self._days.get(day)
        if midnight is None:
            midnight = self._days[day] = decode_time(day * _SECONDS_PER_DAY)
        delta = self._seconds.get(second)
        if delta is None:
            delta = self._seconds[second] = timedelta(seconds=second)
        return midnight + delta


def _collect(records: Iterator[RawRecord], start: int) -> list[RawRecord]:
    out: list[RawRecord] = []
    try:
        for record in records:
            out.append(record)
    except ParseError as exc:
        # start + len(out) is the index of the record that failed; naming it lets an operator find it on the device.
        raise ParseError(f"attendance record {start + len(out)}: {exc}") from exc
    return out


def _from_8(rows: Iterable[tuple], users_by_uid: dict[int, str]) -> Iterator[RawRecord]:
    when = _TimeDecoder()
    for uid, status, time, punch in rows:
        # Unknown uids keep the uid as text, as the device would show them, instead of dropping the punch.
        yield RawRecord(users_by_uid.get(uid, str(uid)), uid, when(time), status, punch)


def _from_16(rows: Iterable[tuple]) -> Iterator[RawRecord]:
    when = _TimeDecoder()
    pins: dict[int, str] = {}
    for user_id, time, status, punch, workcode in rows:
        pin = pins.get(user_id)
        if pin is None:
            pin = pins[user_id] = str(user_id)
        yield RawRecord(pin, None, when(time), status, punch, workcode)


def _from_40(rows: Iterable[tuple]) -> Iterator[RawRecord]:
    when = _TimeDecoder()
    pins: dict[bytes, str] = {}
    for uid, raw_user_id, status, time, punch in rows:
        pin = pins.get(raw_user_id)
        if pin is None:
            # latin-1 maps every byte, so odd firmware bytes never raise; PINs are ASCII in practice.
            pin = pins[raw_user_id] = raw_user_id.split(b"\x00", 1)[0].decode("latin-1").strip()
        yield RawRecord(pin, uid, when(time), status, punch)
