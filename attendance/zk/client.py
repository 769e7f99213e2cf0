"""The device conversation over pyzk 0.9, used as transport only: connect, auth, sizes, users, time and the
raw attendance buffer. The buffer is checked here and parsed by ``attendance.zk.parser`` (record-size aware,
O(N)), because pyzk 0.9's ``get_attendance`` is O(N²) and misreads records that are not 8/16/40 bytes. Parsing
is left to the caller, after the device is enabled again, so that a pull can skip the records it stored before
(``attendance.zk.prefix``)."""

from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass

from zk import ZK
from zk.const import CMD_ATTLOG_RRQ
from zk.exception import ZKErrorResponse

from attendance.network import host_check
from attendance.zk.parser import AttendanceLog, RawRecord, attendance_log, parse_log


@dataclass
class DeviceRead:
    serial_number: str
    device_time: dt.datetime  # naive, device-local
    log: AttendanceLog  # the attendance records as the device sent them, checked against its record count
    users: list[tuple[str, str, int]]  # (pin, name, privilege)
    users_by_uid: dict[int, str]  # how 8-byte records, which carry only the uid, name their PIN
    record_count: int
    record_capacity: int
    user_count: int

    def records(self, *, start: int = 0) -> list[RawRecord]:
        """The log's records from index ``start`` on, parsed now (``ParseError`` if the device sent nonsense)."""
        return parse_log(self.log, users_by_uid=self.users_by_uid, start=start)


class SerialMismatch(Exception):
    def __init__(self, found: str):
        super().__init__(found)
        self.found = found


class DeviceUnreachable(Exception):
    """No ZKTeco conversation could be opened: refused, timed out, unreachable, or something that is not a
    ZKTeco machine answered. Users see one text for all of these (``attendance.services.UNREACHABLE``), so
    the device form cannot be used to probe which ports of a network are open; the cause (``__cause__``)
    goes to the server log and the sync run's ``error_detail`` only."""


def _connect(*, host: str, port: int, udp: bool, comm_key: int | None, timeout: int):
    """Open a session with the device at the address just checked (``attendance.network``): pyzk gets the IP,
    so a name cannot resolve to another address between the check and the connection."""
    address = host_check(host)
    zk = ZK(address, port=port, timeout=timeout, password=comm_key or 0, force_udp=udp, ommit_ping=True)
    try:
        return zk.connect()
    except ZKErrorResponse as exc:
        if "Unauth" in str(exc):
            raise  # a ZKTeco machine answered and refused the comm key: the Kasi must be told exactly that
        raise DeviceUnreachable(str(exc)) from exc
    except Exception as exc:
        raise DeviceUnreachable(str(exc)) from exc


def read_device(
    *,
    host: str,
    port: int,
    udp: bool,
    comm_key: int | None,
    timeout: int,
    expected_serial: str,
    before_enable=None,
) -> DeviceRead:
    """Read everything a pull needs. The device is disabled (its keypad locked) while we read and always
    enabled again in ``finally``: a failed pull must not leave an office's machine unusable."""
    conn = _connect(host=host, port=port, udp=udp, comm_key=comm_key, timeout=timeout)
    try:
        conn.disable_device()
        serial = (conn.get_serialnumber() or "").strip()
        if serial != expected_serial:
            raise SerialMismatch(serial)
        conn.read_sizes()
        users = conn.get_users() if conn.users else []
        device_time = conn.get_time()
        buffer = b""
        if conn.records:
            buffer, _size = conn.read_with_buffer(CMD_ATTLOG_RRQ)
        read = DeviceRead(
            serial_number=serial,
            device_time=device_time,
            # Checked while connected (a cut transfer fails the read); parsed by the caller.
            log=attendance_log(buffer, record_count=conn.records),
            users=[(str(u.user_id), u.name or "", u.privilege) for u in users],
            users_by_uid={u.uid: str(u.user_id) for u in users},
            record_count=conn.records,
            record_capacity=conn.rec_cap,
            user_count=conn.users,
        )
        if before_enable is not None:
            # Still disabled: nobody can punch between what we read and what the callback does (clear the log).
            before_enable(conn, read)
        return read
    finally:
        _release(conn)


def _release(conn) -> None:
    """Best effort: on a dropped connection these fail too, and must not hide the error that dropped it."""
    for step in (conn.enable_device, conn.disconnect):
        with contextlib.suppress(Exception):  # the pull's own error is what the run records
            step()


def set_device_time(
    *, host: str, port: int, udp: bool, comm_key: int | None, timeout: int, when: dt.datetime
) -> dt.datetime:
    """Set the device clock (naive device-local time); returns the clock read back."""
    conn = _connect(host=host, port=port, udp=udp, comm_key=comm_key, timeout=timeout)
    try:
        conn.set_time(when)
        return conn.get_time()
    finally:
        _release(conn)
