"""State of one emulated ZKTeco device: identity, users, attendance log, clock, capacity and injected faults."""

from __future__ import annotations

import random
import struct
import threading
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from .patterns import PunchEvent, generate_recent, indonesian_names
from .protocol import encode_time

FAULTS = frozenset(
    (
        "refuse",
        "drop-mid-transfer",
        "stall",
        "count-mismatch",
        "paced-frames",
        "unordered",
        "wrap",
        "duplicates",
        "garbage",
    )
)
RECORD_SIZES = (8, 16, 40, 49)
USER_SIZES = (28, 72)
USER_ADMIN = 14
FIRMWARE_VERSION = "Ver 6.60 Apr 28 2018"

USER_28 = struct.Struct("<HB5s8sIxBhI")
USER_72 = struct.Struct("<HB8s24sIx7sx24s")
ATT_8 = struct.Struct("<HBIB")
ATT_16 = struct.Struct("<IIBB2xI")
ATT_40 = struct.Struct("<H24sBIB8x")
FREE_SIZES = struct.Struct("<20i3i")


@dataclass
class DeviceUser:
    uid: int  # internal slot number, u16
    user_id: str  # the PIN people type; numeric on ZK6 devices
    name: str
    privilege: int = 0
    password: str = ""
    card: int = 0
    group_id: str = "1"


@dataclass(frozen=True)
class Punch:
    uid: int
    user_id: str
    timestamp: datetime  # naive device-local wall time
    status: int = 1  # verify mode: 1 = fingerprint
    punch: int = 0  # state: 0 in, 1 out, ...
    workcode: int = 0


def _fixed(text: str, size: int) -> bytes:
    """NUL-padded field; cut on a character boundary so a name never ends in half a UTF-8 sequence."""
    raw = text.encode("utf-8")
    while len(raw) > size:
        text = text[:-1]
        raw = text.encode("utf-8")
    return raw


def _numeric_id(user_id: str, fallback: int) -> int:
    return int(user_id) if user_id.isdigit() and int(user_id) < 2**32 else fallback


def encode_user(user: DeviceUser, size: int) -> bytes:
    if size == 28:
        group = int(user.group_id) & 0xFF if user.group_id.isdigit() else 0
        # ZK6 firmware keeps 8 bytes of the name and a numeric PIN; timezone 0.
        name, password, pin = _fixed(user.name, 8), _fixed(user.password, 5), _numeric_id(user.user_id, user.uid)
        return USER_28.pack(user.uid, user.privilege, password, name, user.card, group, 0, pin)
    if size == 72:
        name, password, group = _fixed(user.name, 24), _fixed(user.password, 8), _fixed(user.group_id, 7)
        return USER_72.pack(user.uid, user.privilege, password, name, user.card, group, _fixed(user.user_id, 24))
    raise ValueError(f"user record size must be one of {USER_SIZES}, not {size}")


def encode_punch(punch: Punch, size: int) -> bytes:
    when = encode_time(punch.timestamp)
    if size == 8:
        return ATT_8.pack(punch.uid, punch.status, when, punch.punch)
    if size == 16:
        return ATT_16.pack(_numeric_id(punch.user_id, punch.uid), when, punch.status, punch.punch, punch.workcode)
    if size in (40, 49):
        # 49 B is the 40 B layout plus 9 bytes of padding, as on the firmware behind pyzk #175.
        body = ATT_40.pack(punch.uid, _fixed(punch.user_id, 24), punch.status, when, punch.punch)
        return body + bytes(size - 40)
    raise ValueError(f"record size must be one of {RECORD_SIZES}, not {size}")


def make_users(count: int, seed: int = 0) -> list[DeviceUser]:
    """Perangkat desa with PIN 1..count; PIN 1 (the operator) is the device admin."""
    names = indonesian_names(count, seed)
    return [
        DeviceUser(uid=pin, user_id=str(pin), name=name, privilege=USER_ADMIN if pin == 1 else 0)
        for pin, name in enumerate(names, start=1)
    ]


class EmulatedDevice:
    """Thread-safe device state shared by all connections of one emulator."""

    def __init__(
        self,
        *,
        serial_number: str = "PDS0000000001",
        users: int | Sequence[DeviceUser] = 10,
        records: int | Iterable[PunchEvent | Punch] = 0,
        record_size: int = 40,
        user_record_size: int | None = None,
        comm_key: int | None = None,
        clock_offset: float = 0.0,
        record_capacity: int = 100_000,
        user_capacity: int = 10_000,
        faults: Iterable[str] = (),
        seed: int = 0,
        holidays: Iterable[date] = (),
        stall_seconds: float = 10.0,
        wrap_capacity: int = 100,
        tcp_read_mode: str = "single",
        frame_size: int = 1008,
        frame_pace: float = 0.0005,
    ) -> None:
        if record_size not in RECORD_SIZES:
            raise ValueError(f"record_size must be one of {RECORD_SIZES}")
        if user_record_size not in (None, *USER_SIZES):
            raise ValueError(f"user_record_size must be None or one of {USER_SIZES}")
        if tcp_read_mode not in ("single", "frames"):
            raise ValueError("tcp_read_mode must be 'single' or 'frames'")
        self.lock = threading.RLock()
        self.serial_number = serial_number
        self.record_size = record_size
        self.user_record_size = user_record_size  # None: 72 B on TCP (TFT firmware), 28 B on UDP (pyzk's ZK6 guess)
        self.comm_key = comm_key or None  # 0 means "no key", as on the device menu
        self.clock_offset = clock_offset
        self.record_capacity = record_capacity
        self.user_capacity = user_capacity
        self.faults: set[str] = set()
        self.set_faults(faults)
        self.seed = seed
        self.stall_seconds = stall_seconds
        self.wrap_capacity = wrap_capacity
        self.tcp_read_mode = tcp_read_mode
        self.frame_size = frame_size
        self.frame_pace = frame_pace
        self.enabled = True
        self.users: list[DeviceUser] = make_users(users, seed) if isinstance(users, int) else list(users)
        self.records: list[Punch] = []
        # Records deleted from the front (full log, CLEAR): a push cursor counts positions ever written, so
        # cyclic deletion never makes it skip a punch that was not sent yet.
        self.dropped = 0
        if isinstance(records, int):
            records = generate_recent([u.user_id for u in self.users], records, holidays=holidays, seed=seed)
        self.load_records(records)

    # -- faults and capacity -------------------------------------------------------------------------------------

    def set_faults(self, faults: Iterable[str]) -> None:
        faults = set(faults)
        unknown = faults - FAULTS
        if unknown:
            raise ValueError(f"unknown faults {sorted(unknown)}; known: {sorted(FAULTS)}")
        with self.lock:
            self.faults = faults

    @property
    def capacity(self) -> int:
        return self.wrap_capacity if "wrap" in self.faults else self.record_capacity

    def _enforce_capacity(self) -> None:
        # Full devices delete the oldest records cyclically, so positions in the log are not stable keys.
        excess = len(self.records) - self.capacity
        if excess > 0:
            del self.records[:excess]
            self.dropped += excess

    # -- users and punches ---------------------------------------------------------------------------------------

    def find_user(self, user_id: str) -> DeviceUser | None:
        return next((u for u in self.users if u.user_id == user_id), None)

    def add_user(self, user_id: str, name: str, privilege: int = 0, uid: int | None = None) -> DeviceUser:
        with self.lock:
            uid = uid if uid is not None else max((u.uid for u in self.users), default=0) + 1
            user = DeviceUser(uid=uid, user_id=str(user_id), name=name, privilege=privilege)
            self.users.append(user)
            return user

    def _make_punch(self, user_id: str, timestamp: datetime, status: int, punch: int) -> Punch:
        user = self.find_user(user_id)
        uid = user.uid if user else _numeric_id(user_id, 0) & 0xFFFF
        return Punch(uid=uid, user_id=user_id, timestamp=timestamp.replace(microsecond=0), status=status, punch=punch)

    def add_punch(self, user_id: str, timestamp: datetime, status: int = 1, punch: int = 0) -> Punch:
        """Record a punch as the sensor would (timestamp: naive device-local time)."""
        with self.lock:
            record = self._make_punch(str(user_id), timestamp, status, punch)
            self.records.append(record)
            self._enforce_capacity()
            return record

    def load_records(self, records: Iterable[PunchEvent | Punch]) -> None:
        with self.lock:
            uids = {u.user_id: u.uid for u in self.users}
            for rec in records:
                if isinstance(rec, Punch):
                    self.records.append(rec)
                    continue
                uid = uids.get(rec.user_id, _numeric_id(rec.user_id, 0) & 0xFFFF)
                self.records.append(Punch(uid, rec.user_id, rec.timestamp, rec.status, rec.punch))
            self._enforce_capacity()

    def clear(self) -> None:
        """CMD_CLEAR_ATTLOG: wipe the attendance log (users stay)."""
        with self.lock:
            self.dropped += len(self.records)
            self.records.clear()

    def appended_since(self, position: int) -> tuple[list[Punch], int]:
        """The punches written at or after log `position` that the device still holds, and the position after
        the last one (what a push cursor moves to once they are acknowledged)."""
        with self.lock:
            start = max(0, position - self.dropped)
            return self.records[start:], self.dropped + len(self.records)

    # -- clock ---------------------------------------------------------------------------------------------------

    def now(self) -> datetime:
        return (datetime.now() + timedelta(seconds=self.clock_offset)).replace(microsecond=0)

    def set_time(self, moment: datetime) -> None:
        """CMD_SET_TIME moves the device clock; we keep it as an offset from the host clock."""
        with self.lock:
            self.clock_offset = (moment - datetime.now()).total_seconds()

    # -- what the client reads -----------------------------------------------------------------------------------

    def log(self) -> list[Punch]:
        """The attendance log as the device serves it, after the log-shaping faults (deterministic for a state)."""
        with self.lock:
            self._enforce_capacity()
            records = list(self.records)
            faults = set(self.faults)
        if "duplicates" in faults and records:
            records = self._with_duplicates(records)
        if "unordered" in faults and len(records) > 1:
            # A power cut resets the RTC for a while: the log is no longer in chronological order.
            rng = random.Random(f"unordered:{self.seed}:{len(records)}")
            shuffled = records[:]
            rng.shuffle(shuffled)
            if all(a.timestamp <= b.timestamp for a, b in zip(shuffled, shuffled[1:], strict=False)):
                shuffled.reverse()
            records = shuffled
        return records

    def _with_duplicates(self, records: list[Punch]) -> list[Punch]:
        # Some firmware writes a punch twice (sensor bounce, log replay after reboot): exact copies.
        rng = random.Random(f"duplicates:{self.seed}:{len(records)}")
        out: list[Punch] = []
        for index, rec in enumerate(records):
            out.append(rec)
            if index == 0 or rng.random() < 0.05:
                out.append(rec)
        return out

    def reported_record_count(self) -> int:
        count = len(self.log())
        # count-mismatch: the counter behind CMD_GET_FREE_SIZES disagrees with the buffer, as on corrupted logs.
        return count + 1 if "count-mismatch" in self.faults else count

    def user_size_for(self, transport: str) -> int:
        if self.user_record_size:
            return self.user_record_size
        return 72 if transport == "tcp" else 28

    def make_user_buffer(self, size: int) -> bytes:
        with self.lock:
            body = b"".join(encode_user(u, size) for u in self.users)
        return struct.pack("<I", len(body)) + body

    def make_attendance_buffer(self) -> bytes:
        """u32 total size, then the records in the device's record layout."""
        log = self.log()
        if "garbage" in self.faults:
            rng = random.Random(f"garbage:{self.seed}:{len(log)}")
            body = rng.randbytes(len(log) * self.record_size)
        else:
            body = b"".join(encode_punch(p, self.record_size) for p in log)
        return struct.pack("<I", len(body)) + body

    def free_sizes(self) -> bytes:
        """CMD_GET_FREE_SIZES reply: 20 ints (counts, capacities, free space) then 3 face ints, 92 bytes like TFTs."""
        with self.lock:
            users = len(self.users)
            records = self.reported_record_count()
            capacity = self.capacity
            fingers = users  # one enrolled finger per perangkat
        fingers_cap = 3000
        fields = [0] * 23
        fields[4], fields[6], fields[8] = users, fingers, records
        fields[14], fields[15], fields[16] = fingers_cap, self.user_capacity, capacity
        fields[17], fields[18], fields[19] = fingers_cap - fingers, self.user_capacity - users, capacity - records
        return FREE_SIZES.pack(*fields)

    def option(self, name: str) -> str | None:
        """Value of a CMD_OPTIONS_RRQ key, or None (the device answers ACK_ERROR)."""
        mac_tail = f"{zlib.crc32(self.serial_number.encode()) & 0xFFFFFF:06x}"
        options = {
            "~SerialNumber": self.serial_number,
            "~Platform": "ZMM220_TFT",
            "~DeviceName": "K40/ID",
            "~ZKFPVersion": "10",
            "~OS": "1",
            "~ExtendFmt": "1" if self.record_size >= 40 else "0",
            "~UserExtFmt": "1",
            "FaceFunOn": "0",
            "CompatOldFirmware": "0",
            "MAC": "00:17:61:" + ":".join(mac_tail[i : i + 2] for i in (0, 2, 4)),
            "IPAddress": "192.168.1.201",
            "NetMask": "255.255.255.0",
            "GATEIPAddress": "192.168.1.1",
        }
        return options.get(name)
