"""Which records of a pulled attendance log are stored already, without parsing them.

A ZKTeco machine appends to its attendance log in storage order: a punch with an earlier time (after a clock
fix or a power cut) is still written at the end. So a pull that stored a log of K records can remember K and a
SHA-256 of those K records' bytes as the device sent them; if the next log holds at least K records and its
first K hash the same, only the records after them can be new. Any other log (cleared, wrapped around by a full
device, another machine at the address, a new record size after a firmware update) does not match and is
stored whole, the unique key deciding what is new. Time is never a watermark here: a late punch is found by
its position in the log, not by its time.

The digest covers whatever else decides what the bytes become once stored: the record size, the caller's
``context`` (the device's time zone), and for 8-byte records the device's uid-to-PIN table, since those records
carry only the uid. A change of any of them makes the next pull store the whole log, as it would have been
stored without this shortcut. No Django imports, like the parser."""

from __future__ import annotations

import hashlib
from typing import NamedTuple

from attendance.zk.parser import AttendanceLog

__all__ = ["LogPrefix", "LogSplit", "log_split"]

_VERSION = b"pantau-attlog-prefix-1"


class LogPrefix(NamedTuple):
    """The first ``records`` records of a device's log, as a stored pull saw them (``Device.pull_prefix_*``)."""

    records: int
    sha256: str


class LogSplit(NamedTuple):
    known: int  # leading records already stored: the stored prefix's length when it matched, else 0
    prefix: LogPrefix  # the whole log just read, to remember once its records are stored


def log_split(
    log: AttendanceLog, *, stored: LogPrefix, context: str, users_by_uid: dict[int, str] | None = None
) -> LogSplit:
    """Compare ``log`` with the prefix a previous pull stored; one pass of SHA-256 over the buffer, no parsing."""
    digest = hashlib.sha256(_salt(log, context, users_by_uid))
    cut = stored.records * log.record_size if 0 < stored.records <= log.count else 0
    # hashlib lets the digest be read and then continued: the stored prefix and the whole log in one pass.
    digest.update(log.body[:cut])
    known = stored.records if cut and digest.hexdigest() == stored.sha256 else 0
    digest.update(log.body[cut:])
    return LogSplit(known, LogPrefix(log.count, digest.hexdigest()))


def _salt(log: AttendanceLog, context: str, users_by_uid: dict[int, str] | None) -> bytes:
    parts = [_VERSION, str(log.record_size).encode(), context.encode()]
    if log.record_size == 8:
        # repr keeps every PIN apart (no separator inside a PIN can make two tables hash alike).
        parts.append(repr(sorted((users_by_uid or {}).items())).encode())
    return b"\x00".join(parts) + b"\x00"
