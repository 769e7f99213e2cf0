"""Reference encoder for the ZKTeco attendance buffer: the inverse of ``parser.parse_attendance``.

Used by tests, benchmarks and the device emulator to build what ``read_with_buffer(CMD_ATTLOG_RRQ)`` returns.
It refuses values a layout cannot carry exactly (so a round-trip test cannot pass by accident), but it drops fields
the layout has no slot for: ``uid`` in 16-byte records, ``workcode`` in 8- and >= 40-byte records, ``user_id``
in 8-byte records (the device stores only the uid there).
"""

from __future__ import annotations

import struct

from attendance.zk.parser import MIN_LONG_RECORD, RawRecord, encode_time, record_struct

__all__ = ["encode_attendance"]

_USER_ID_BYTES = 24


def encode_attendance(
    records: list[RawRecord], *, record_size: int, uid_by_user_id: dict[str, int] | None = None
) -> bytes:
    """u32 total size, then each record packed in the layout for ``record_size`` (zero padding after 40 bytes)."""
    if record_size not in (8, 16) and record_size < MIN_LONG_RECORD:
        raise ValueError(f"unsupported attendance record size {record_size} (expected 8, 16 or >= 40)")
    layout = record_struct(record_size)
    out = bytearray(struct.pack("<I", record_size * len(records)))
    for index, record in enumerate(records):
        try:
            out += layout.pack(*_fields(record, record_size, uid_by_user_id or {}))
        except (ValueError, struct.error) as exc:
            raise ValueError(f"record {index} ({record!r}) cannot be encoded in {record_size} bytes: {exc}") from exc
    return bytes(out)


def _fields(record: RawRecord, record_size: int, uid_by_user_id: dict[str, int]) -> tuple:
    time = encode_time(record.timestamp)
    if record_size == 8:
        return (_uid_for_8(record, uid_by_user_id), record.status, time, record.punch)
    if record_size == 16:
        user_id = int(record.user_id) if record.user_id.isascii() and record.user_id.isdigit() else None
        if user_id is None or str(user_id) != record.user_id:
            # "007" or "A12" would come back as something else: the 16-byte layout holds a plain u32.
            raise ValueError(f"user id {record.user_id!r} is not a canonical u32 number")
        return (user_id, time, record.status, record.punch, record.workcode)
    raw = record.user_id.encode("latin-1")
    if len(raw) > _USER_ID_BYTES or b"\x00" in raw or record.user_id != record.user_id.strip():
        raise ValueError(f"user id {record.user_id!r} does not fit a NUL-terminated, stripped 24-byte field")
    uid = record.uid if record.uid is not None else uid_by_user_id.get(record.user_id, 0)
    return (uid, raw, record.status, time, record.punch)


def _uid_for_8(record: RawRecord, uid_by_user_id: dict[str, int]) -> int:
    # The record's own uid wins; then the device's user table; then a numeric user id, mirroring the parser's
    # fallback of str(uid) for uids missing from the user table.
    if record.uid is not None:
        return record.uid
    if record.user_id in uid_by_user_id:
        return uid_by_user_id[record.user_id]
    if record.user_id.isascii() and record.user_id.isdigit():
        return int(record.user_id)
    raise ValueError(f"no uid for user id {record.user_id!r} (8-byte records carry only the uid)")
