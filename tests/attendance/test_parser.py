"""Our ZKTeco attendance parser against the reference encoder and hand-built bytes. No Django, no DB.

pyzk 0.9's own get_attendance() is not exercised here: it needs a device connection. Its 49-byte bug (it always
advances by 40 bytes; pyzk #175, /work/shared/reference/zkteco.md §0) is covered elsewhere. Here we only show that
our parser reads 49-byte records correctly (test_49_byte_records_from_newer_firmware).
"""

from __future__ import annotations

import struct
from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from attendance.zk.encoder import encode_attendance
from attendance.zk.parser import ParseError, RawRecord, decode_time, encode_time, parse_attendance

DAY = 86_400
times = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31, 23, 59, 59)).map(
    lambda dt: dt.replace(microsecond=0)
)
u8 = st.integers(0, 255)
u16 = st.integers(0, 0xFFFF)
u32 = st.integers(0, 0xFFFF_FFFF)
# 40-byte user ids: up to 24 latin-1 chars, no NUL, no surrounding whitespace (the parser strips it).
long_user_ids = st.text(
    st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"), max_size=24
).filter(lambda s: s == s.strip())
record_sizes = st.sampled_from([8, 16, 40, 49]) | st.integers(41, 64)


def raw_time(yy: int, mon: int, day: int, h: int = 0, m: int = 0, s: int = 0) -> int:
    """The device formula with no validation, to build invalid values on purpose."""
    return (yy * 12 * 31 + (mon - 1) * 31 + day - 1) * DAY + h * 3600 + m * 60 + s


def record_40(uid: int, user_id: bytes, status: int, time: int, punch: int, size: int = 40) -> bytes:
    return struct.pack("<H24sBIB8s", uid, user_id, status, time, punch, b"") + bytes(size - 40)


@st.composite
def layout_and_records(draw: st.DrawFn) -> tuple[int, list[RawRecord], dict[int, str]]:
    size = draw(record_sizes)
    users: dict[int, str] = {}
    if size == 8:
        # Small uids so many records hit the user table, others exercise the str(uid) fallback.
        users = draw(st.dictionaries(st.integers(0, 20), long_user_ids, max_size=10))
        uids = draw(st.lists(st.integers(0, 30) | u16, max_size=40))
        records = [RawRecord(users.get(uid, str(uid)), uid, draw(times), draw(u8), draw(u8)) for uid in uids]
    elif size == 16:
        n = draw(st.integers(0, 40))
        records = [RawRecord(str(draw(u32)), None, draw(times), draw(u8), draw(u8), draw(u32)) for _ in range(n)]
    else:
        n = draw(st.integers(0, 40))
        records = [RawRecord(draw(long_user_ids), draw(u16), draw(times), draw(u8), draw(u8)) for _ in range(n)]
    return size, records, users


@given(layout_and_records())
def test_round_trip_every_layout(case: tuple[int, list[RawRecord], dict[int, str]]) -> None:
    size, records, users = case
    buffer = encode_attendance(records, record_size=size)
    assert len(buffer) == 4 + size * len(records)
    assert parse_attendance(buffer, record_count=len(records), users_by_uid=users) == records


@given(times)
def test_time_round_trip(dt: datetime) -> None:
    assert decode_time(encode_time(dt)) == dt


def test_encode_time_is_the_device_formula() -> None:
    assert encode_time(datetime(2026, 3, 23, 7, 31, 5)) == 842_945_465
    assert encode_time(datetime(2000, 1, 1)) == 0
    assert decode_time(0) == datetime(2000, 1, 1)
    assert decode_time(raw_time(99, 12, 31, 23, 59, 59)) == datetime(2099, 12, 31, 23, 59, 59)


@pytest.mark.parametrize(
    "value",
    [
        raw_time(26, 2, 31),  # 31 Feb
        raw_time(26, 2, 29),  # 29 Feb in a non-leap year
        raw_time(26, 4, 31),  # 31 Apr
        raw_time(100, 1, 1),  # year 2100: past the device's range
        0xFFFF_FFFF,  # year 2133, typical of an uninitialised record
        -1,
    ],
)
def test_invalid_device_time(value: int) -> None:
    with pytest.raises(ParseError):
        decode_time(value)


def test_leap_day_is_valid() -> None:
    assert decode_time(raw_time(24, 2, 29, 8)) == datetime(2024, 2, 29, 8)


@pytest.mark.parametrize("dt", [datetime(1999, 12, 31), datetime(2100, 1, 1)])
def test_encode_time_refuses_years_it_would_wrap(dt: datetime) -> None:
    with pytest.raises(ValueError):
        encode_time(dt)


def test_fixed_40_byte_vector() -> None:
    # 2026-03-23 07:31:05 = ((26*372 + 2*31 + 22) * 86400) + 7*3600 + 31*60 + 5, written out by hand.
    buffer = struct.pack("<I", 40) + record_40(3, b"7", 1, 842_945_465, 0)
    assert parse_attendance(buffer, record_count=1) == [RawRecord("7", 3, datetime(2026, 3, 23, 7, 31, 5), 1, 0)]


def test_fixed_8_and_16_byte_vectors() -> None:
    t = 842_945_465
    eight = struct.pack("<I", 16) + struct.pack("<HBIB", 5, 1, t, 0) + struct.pack("<HBIB", 6, 15, t + 60, 1)
    assert parse_attendance(eight, record_count=2, users_by_uid={5: "1042"}) == [
        RawRecord("1042", 5, datetime(2026, 3, 23, 7, 31, 5), 1, 0),
        RawRecord("6", 6, datetime(2026, 3, 23, 7, 32, 5), 15, 1),  # unknown uid falls back to its number
    ]
    sixteen = struct.pack("<I", 16) + struct.pack("<IIBB2sI", 1042, t, 1, 255, b"\xff\xff", 9)
    assert parse_attendance(sixteen, record_count=1) == [
        RawRecord("1042", None, datetime(2026, 3, 23, 7, 31, 5), 1, 255, 9)
    ]


def test_49_byte_records_from_newer_firmware() -> None:
    # Trailing bytes are junk, not zeros: a parser that advanced by 40 would read them as the next record.
    records = [
        record_40(i, str(100 + i).encode(), 1, raw_time(26, 3, 1 + i, 7), i % 2, 40) + b"\xa5" * 9 for i in range(5)
    ]
    buffer = struct.pack("<I", 49 * 5) + b"".join(records)
    parsed = parse_attendance(buffer, record_count=5)
    assert [(r.uid, r.user_id, r.timestamp.day, r.punch) for r in parsed] == [
        (i, str(100 + i), 1 + i, i % 2) for i in range(5)
    ]


def test_user_id_is_nul_terminated_and_stripped() -> None:
    buffer = struct.pack("<I", 40) + record_40(1, b" 12 \x00garbage", 1, 0, 0)
    assert parse_attendance(buffer, record_count=1)[0].user_id == "12"


def test_zero_records_is_empty_whatever_the_buffer() -> None:
    assert parse_attendance(b"", record_count=0) == []


def sample_buffer(n: int = 3, size: int = 40) -> bytes:
    records = [RawRecord(str(i), i, datetime(2026, 3, 23, 7, i), 1, 0) for i in range(n)]
    return encode_attendance(records, record_size=size)


@pytest.mark.parametrize(
    ("buffer", "count", "reason"),
    [
        (sample_buffer(), 7, "does not divide"),  # 120 bytes, 7 records
        (sample_buffer(), 5, "unsupported attendance record size 24"),  # divides, but no 24-byte layout
        (sample_buffer(), 4, "unsupported attendance record size 30"),
        (sample_buffer()[:-1], 3, "truncated"),  # transfer cut short
        (sample_buffer()[:4], 3, "truncated"),
        (struct.pack("<I", 0), 2, "empty"),
        (b"\x01\x00", 1, "too short"),
        (sample_buffer(), -1, "negative"),
    ],
)
def test_buffer_not_matching_count(buffer: bytes, count: int, reason: str) -> None:
    with pytest.raises(ParseError, match=reason):
        parse_attendance(buffer, record_count=count)


def test_extra_bytes_after_declared_size_are_ignored() -> None:
    assert len(parse_attendance(sample_buffer() + b"\x00" * 7, record_count=3)) == 3


@pytest.mark.parametrize("size", [8, 16, 40, 49])
def test_invalid_time_names_the_record(size: int) -> None:
    buffer = bytearray(sample_buffer(4, size))
    time_offset = {8: 3, 16: 4}.get(size, 27)
    struct.pack_into("<I", buffer, 4 + 2 * size + time_offset, raw_time(26, 2, 30))
    with pytest.raises(ParseError, match="record 2:"):
        parse_attendance(bytes(buffer), record_count=4)


class CountingBytes(bytes):
    """bytes that count indexing/slicing, to show the parser does not slice per record."""

    calls = 0

    def __getitem__(self, key):  # type: ignore[override]
        CountingBytes.calls += 1
        item = super().__getitem__(key)
        # Slices stay CountingBytes, so `data = data[40:]` in a loop is counted on every pass, not just the first.
        return CountingBytes(item) if isinstance(key, slice) else item


def test_large_buffer_is_read_in_place() -> None:
    # A structural property instead of a timing: slicing the remaining bytes per record (pyzk's O(N²)) would show
    # up as ~200k calls. Tests never assert seconds.
    n = 200_000
    one = record_40(9, b"1042", 1, 842_945_465, 1)
    buffer = CountingBytes(struct.pack("<I", 40 * n) + one * n)
    CountingBytes.calls = 0
    parsed = parse_attendance(buffer, record_count=n)
    assert CountingBytes.calls < 10  # a constant, not per record
    assert len(parsed) == n
    assert parsed[-1] == RawRecord("1042", 9, datetime(2026, 3, 23, 7, 31, 5), 1, 1)


def test_encoder_refuses_what_a_layout_cannot_carry() -> None:
    t = datetime(2026, 3, 23)
    with pytest.raises(ValueError):
        encode_attendance([RawRecord("007", None, t, 1, 0)], record_size=16)
    with pytest.raises(ValueError):
        encode_attendance([RawRecord("x" * 25, 1, t, 1, 0)], record_size=40)
    with pytest.raises(ValueError):
        encode_attendance([RawRecord("A1", None, t, 1, 0)], record_size=8)
    with pytest.raises(ValueError):
        encode_attendance([], record_size=24)
    # 8-byte records carry only the uid: the device user table maps it.
    buffer = encode_attendance([RawRecord("A1", None, t, 1, 0)], record_size=8, uid_by_user_id={"A1": 4})
    assert parse_attendance(buffer, record_count=1, users_by_uid={4: "A1"})[0].uid == 4
