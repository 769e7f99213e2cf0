"""ZKTeco wire protocol as the device sees it: command codes, packet framing, checksum, time and comm key.

Written from /work/shared/reference/zkteco.md (§1), not from pyzk's code.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from datetime import datetime

# Commands (client -> device).
CMD_DB_RRQ = 7
CMD_USERTEMP_RRQ = 9
CMD_OPTIONS_RRQ = 11
CMD_ATTLOG_RRQ = 13
CMD_CLEAR_DATA = 14
CMD_CLEAR_ATTLOG = 15
CMD_GET_FREE_SIZES = 50
CMD_GET_TIME = 201
CMD_SET_TIME = 202
CMD_CONNECT = 1000
CMD_EXIT = 1001
CMD_ENABLEDEVICE = 1002
CMD_DISABLEDEVICE = 1003
CMD_REFRESHDATA = 1013
CMD_GET_VERSION = 1100
CMD_AUTH = 1102
CMD_FREE_DATA = 1502
CMD_PREPARE_BUFFER = 1503
CMD_READ_BUFFER = 1504

# Replies (device -> client).
CMD_PREPARE_DATA = 1500
CMD_DATA = 1501
CMD_ACK_OK = 2000
CMD_ACK_ERROR = 2001
CMD_ACK_UNAUTH = 2005
CMD_ACK_UNKNOWN = 0xFFFF

FCT_USER = 5
USHRT_MAX = 65535

# TCP "top" header: two magics then the ZK packet length. 32130 is 0x7D82 (pyzk's const.py comment is wrong).
TCP_MAGIC_1 = 0x5050
TCP_MAGIC_2 = 0x7D82
TCP_TOP = struct.Struct("<HHI")
HEADER = struct.Struct("<4H")

# Largest payload one UDP reply may carry: pyzk reads datagrams with recv(1024 + 8).
UDP_MAX_PAYLOAD = 1024


@dataclass(frozen=True)
class Packet:
    command: int
    checksum: int
    session_id: int
    reply_id: int
    payload: bytes


def checksum(data: bytes) -> int:
    """ZK checksum: 16-bit LE word sum folded at 65535, odd byte added as is, then the quirky complement."""
    total = 0
    for i in range(0, len(data) - 1, 2):
        total += data[i] | (data[i + 1] << 8)
        if total > USHRT_MAX:
            total -= USHRT_MAX
    if len(data) % 2:
        total += data[-1]
    while total > USHRT_MAX:
        total -= USHRT_MAX
    result = ~total
    while result < 0:
        result += USHRT_MAX
    return result


def make_packet(command: int, session_id: int, reply_id: int, payload: bytes = b"") -> bytes:
    """A ZK packet (header + payload) with a correct checksum; clients never check it, but real devices send one."""
    unsigned = HEADER.pack(command, 0, session_id, reply_id) + payload
    return HEADER.pack(command, checksum(unsigned), session_id, reply_id) + payload


def parse_packet(data: bytes) -> Packet:
    if len(data) < HEADER.size:
        raise ValueError(f"ZK packet too short: {len(data)} bytes")
    command, chk, session_id, reply_id = HEADER.unpack_from(data)
    return Packet(command, chk, session_id, reply_id, bytes(data[HEADER.size :]))


def checksum_plausible(packet: Packet) -> bool:
    """True if the checksum matches the packet, or pyzk's quirk (it sums with the previous reply_id).

    Servers must not reject on this: it exists for diagnostics and tests only.
    """
    for reply_id in (packet.reply_id, (packet.reply_id - 1) % USHRT_MAX):
        unsigned = HEADER.pack(packet.command, 0, packet.session_id, reply_id) + packet.payload
        if checksum(unsigned) == packet.checksum:
            return True
    return False


def tcp_wrap(packet: bytes) -> bytes:
    return TCP_TOP.pack(TCP_MAGIC_1, TCP_MAGIC_2, len(packet)) + packet


def tcp_unwrap_top(top: bytes) -> int:
    """Length of the ZK packet announced by an 8-byte TCP top header; raises ValueError on bad magic."""
    magic1, magic2, length = TCP_TOP.unpack(top)
    if magic1 != TCP_MAGIC_1 or magic2 != TCP_MAGIC_2:
        raise ValueError(f"bad TCP magic {magic1:#06x} {magic2:#06x}")
    return length


def encode_time(moment: datetime) -> int:
    """Device time: every month counts 31 days, years 2000-2099, local wall time without zone."""
    days = (moment.year % 100) * 12 * 31 + (moment.month - 1) * 31 + moment.day - 1
    return days * 86400 + moment.hour * 3600 + moment.minute * 60 + moment.second


def decode_time(value: int) -> datetime:
    """Inverse of encode_time; raises ValueError for impossible dates (e.g. 31 February), as real logs can hold."""
    value, second = divmod(value, 60)
    value, minute = divmod(value, 60)
    value, hour = divmod(value, 24)
    value, day = divmod(value, 31)
    year, month = divmod(value, 12)
    return datetime(2000 + year, month + 1, day + 1, hour, minute, second)


def _reverse_bits32(value: int) -> int:
    return int(f"{value & 0xFFFFFFFF:032b}"[::-1], 2)


def make_commkey(key: int | str, session_id: int, ticks: int = 50) -> bytes:
    """The 4-byte CMD_AUTH payload a client derives from the numeric comm key and the session id.

    Steps per the spec (§1.3): bit-reverse the 32-bit key, add the session id, XOR the LE bytes with "ZKSO",
    swap the two 16-bit halves, then XOR bytes 0, 1 and 3 with `ticks` and set byte 2 to `ticks`.
    """
    mixed = (_reverse_bits32(int(key)) + int(session_id)) & 0xFFFFFFFF
    scrambled = bytes(b ^ m for b, m in zip(struct.pack("<I", mixed), b"ZKSO", strict=True))
    swapped = scrambled[2:4] + scrambled[0:2]
    tick = ticks & 0xFF
    return bytes((swapped[0] ^ tick, swapped[1] ^ tick, tick, swapped[3] ^ tick))
