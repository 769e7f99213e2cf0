"""The ZKTeco emulator against the real client, PyPI pyzk 0.9, over TCP and UDP. No database needed."""

from __future__ import annotations

import signal
import struct
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from zk import ZK
from zk.base import make_commkey as pyzk_make_commkey
from zk.exception import ZKErrorResponse, ZKNetworkError

from attendance.emulator import EmulatedDevice, EmulatorHandle, generate_punches, generate_recent, start_emulator
from attendance.emulator import protocol as p
from attendance.emulator.device import encode_punch

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")  # pyzk never closes its first UDP socket

REPO = Path(__file__).resolve().parents[2]
CMD_ATTLOG_RRQ = 13


@contextmanager
def connected(handle: EmulatorHandle, timeout: float = 5, password: int = 0) -> Iterator:
    zk = ZK(
        handle.host,
        port=handle.port,
        timeout=timeout,
        password=password,
        force_udp=handle.transport == "udp",
        ommit_ping=True,
    )
    conn = zk.connect()
    try:
        yield conn
    finally:
        if conn.is_connect:
            with suppress(ZKNetworkError, ZKErrorResponse):  # the fault under test may have killed the session
                conn.disconnect()


def device_log(handle: EmulatorHandle) -> list[tuple[str, datetime]]:
    return [(r.user_id, r.timestamp) for r in handle.device.log()]


def pulled(attendances: list) -> list[tuple[str, datetime]]:
    return [(a.user_id, a.timestamp) for a in attendances]


def raw_attendance(conn) -> bytes:
    data, _size = conn.read_with_buffer(CMD_ATTLOG_RRQ)
    return data


# -- protocol ----------------------------------------------------------------------------------------------------


def test_commkey_matches_spec_vectors_and_pyzk() -> None:
    assert p.make_commkey(12, 0x45CF).hex() == "614d323c"
    assert p.make_commkey(45, 0x45CF).hex() == "61c9323c"
    for key, session in [(0, 1), (1, 65534), (123456, 777), (999999, 40000)]:
        assert p.make_commkey(key, session) == pyzk_make_commkey(key, session)


def test_time_codec_and_checksum() -> None:
    moment = datetime(2024, 2, 29, 7, 31, 5)
    assert p.decode_time(p.encode_time(moment)) == moment
    assert p.encode_time(datetime(2000, 1, 1)) == 0
    # pyzk's captured CONNECT `e8 03 17 fc 00 00 00 00`: checksum over reply_id 65534, sent with reply_id 0.
    captured = p.parse_packet(bytes.fromhex("e80317fc00000000"))
    assert captured.checksum == p.checksum(p.HEADER.pack(1000, 0, 0, 65534))
    assert p.checksum_plausible(captured)


# -- session -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("udp", [False, True], ids=["tcp", "udp"])
def test_connect_serial_enable_disable(udp: bool) -> None:
    with start_emulator(udp=udp, serial_number="PDS2024000123") as handle, connected(handle) as conn:
        assert conn.get_serialnumber() == "PDS2024000123"
        conn.disable_device()
        assert handle.device.enabled is False
        conn.enable_device()
        assert handle.device.enabled is True
        assert conn.get_firmware_version().startswith("Ver")
        assert conn.get_platform()
        assert conn.refresh_data()
        assert conn.get_face_version() is None  # unknown option -> ACK_ERROR, as on devices without faces


@pytest.mark.parametrize("udp", [False, True], ids=["tcp", "udp"])
def test_comm_key(udp: bool) -> None:
    with start_emulator(udp=udp, comm_key=4321) as handle:
        with connected(handle, password=4321) as conn:
            assert conn.get_serialnumber()
        for wrong in (0, 1234):
            with pytest.raises(ZKErrorResponse, match="Unauthenticated"), connected(handle, password=wrong):
                pass


def test_clock_offset_and_set_time() -> None:
    with start_emulator(clock_offset=3600) as handle, connected(handle) as conn:
        assert abs((conn.get_time() - (datetime.now() + timedelta(hours=1))).total_seconds()) <= 2
        target = datetime.now().replace(microsecond=0) - timedelta(days=3, minutes=7)
        conn.set_time(target)
        assert abs((conn.get_time() - target).total_seconds()) <= 2
        assert abs(handle.device.clock_offset + (3 * 86400 + 7 * 60)) <= 2


# -- users and attendance ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("udp", [False, True], ids=["tcp", "udp"])
def test_read_sizes_and_users(udp: bool) -> None:
    with start_emulator(udp=udp, users=40, records=500, seed=7) as handle, connected(handle) as conn:
        conn.read_sizes()
        assert (conn.users, conn.records, conn.rec_cap) == (40, 500, 100_000)
        assert conn.users_cap > conn.users
        users = conn.get_users()
        assert conn.user_packet_size == (28 if udp else 72)  # 72 B TFT users on TCP, ZK6 on UDP
        assert [u.user_id for u in users] == [str(pin) for pin in range(1, 41)]
        for got, expected in zip(users, handle.device.users, strict=True):
            # ZK6 (28 B) records keep only 8 bytes of the name.
            assert got.name == (expected.name[:8].strip() if udp else expected.name)
            assert got.uid == expected.uid


@pytest.mark.parametrize("record_size", [8, 16, 40])
def test_get_attendance_tcp(record_size: int) -> None:
    with start_emulator(users=25, records=1500, record_size=record_size, seed=2) as handle, connected(handle) as conn:
        assert pulled(conn.get_attendance()) == device_log(handle)


@pytest.mark.parametrize("record_size", [16, 40])
def test_get_attendance_udp_thousands(record_size: int) -> None:
    with start_emulator(udp=True, users=60, records=3000, record_size=record_size) as handle, connected(handle) as conn:
        assert pulled(conn.get_attendance()) == device_log(handle)


def test_paced_frames_200_users() -> None:
    """pyzk 0.9 reads 1008-byte frames only if each arrives before its next recv: timing-based by nature.

    On an idle machine every attempt passes; on a starved CPU two frames can land in one recv and pyzk then
    blocks until its timeout (the real-world failure this mode reproduces), so allow a fresh connection twice.
    """
    with start_emulator(users=200, records=1000, faults=["paced-frames"], seed=4) as handle:
        for attempt in range(3):
            try:
                with connected(handle, timeout=2) as conn:
                    assert len(conn.get_users()) == 200
                    assert pulled(conn.get_attendance()) == device_log(handle)
                return
            except TimeoutError:
                if attempt == 2:
                    raise


def test_unpaced_1008_byte_frames_time_out_pyzk() -> None:
    """The trap behind paced-frames: a burst of DATA frames leaves pyzk blocked in recv."""
    emulator = start_emulator(users=200, tcp_read_mode="frames", frame_pace=0)
    with emulator as handle, connected(handle, 1) as conn, pytest.raises((TimeoutError, ZKNetworkError)):
        conn.get_users()


def test_49_byte_records_are_misread_by_pyzk_09() -> None:
    """pyzk 0.9 always steps 40 bytes (pyzk #175): the project parses the raw buffer itself."""
    with start_emulator(users=10, records=50, record_size=49, seed=1) as handle, connected(handle) as conn:
        try:
            result = pulled(conn.get_attendance())
        except ValueError:  # "day is out of range" on some data
            result = None
        assert result != device_log(handle)
        raw = raw_attendance(conn)
        assert len(raw) == 4 + 50 * 49
        assert raw[4:53] == encode_punch(handle.device.log()[0], 49)


def test_100k_records_transfer_over_tcp() -> None:
    with start_emulator(users=200, records=100_000, record_size=40) as handle, connected(handle) as conn:
        conn.read_sizes()
        assert conn.records == 100_000
        raw = raw_attendance(conn)
        assert len(raw) == 4 + 100_000 * 40
        assert struct.unpack("<I", raw[:4])[0] == 100_000 * 40
        assert raw[4:44] == encode_punch(handle.device.records[0], 40)


def test_clear_attendance_and_add_punch() -> None:
    with start_emulator(users=3, records=20) as handle, connected(handle) as conn:
        conn.clear_attendance()
        assert handle.device.records == []
        assert conn.get_attendance() == []
        handle.device.add_punch("2", datetime(2025, 3, 4, 7, 29, 59), punch=0)
        [att] = conn.get_attendance()
        assert (att.user_id, att.timestamp, att.punch, att.status) == ("2", datetime(2025, 3, 4, 7, 29, 59), 0, 1)


# -- faults ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("udp", [False, True], ids=["tcp", "udp"])
def test_fault_refuse(udp: bool) -> None:
    with start_emulator(udp=udp, faults=["refuse"]) as handle, pytest.raises(ZKNetworkError), connected(handle, 0.5):
        pass


@pytest.mark.parametrize(
    "udp,records", [(False, 10), (False, 5000), (True, 3000)], ids=["tcp-inline", "tcp-chunked", "udp"]
)
def test_fault_drop_mid_transfer(udp: bool, records: int) -> None:
    """TCP: half a reply then RST, and pyzk's unwrapped recv raises ConnectionResetError; UDP: silence, timeout."""
    faults = ["drop-mid-transfer"]
    with start_emulator(udp=udp, users=5, records=records, faults=faults) as handle, connected(handle, 1) as conn:
        assert len(conn.get_users()) == 5  # only the attendance read is hit
        with pytest.raises((ZKNetworkError, ConnectionError, TimeoutError)):
            conn.get_attendance()


def test_fault_stall() -> None:
    emulator = start_emulator(records=100, faults=["stall"], stall_seconds=3)
    with (
        emulator as handle,
        connected(handle, 0.5) as conn,
        pytest.raises((ZKNetworkError, TimeoutError), match="timed out"),
    ):
        conn.get_attendance()


def test_fault_count_mismatch() -> None:
    with start_emulator(records=300, faults=["count-mismatch"]) as handle, connected(handle) as conn:
        conn.read_sizes()
        raw = raw_attendance(conn)
        assert conn.records != (len(raw) - 4) // handle.device.record_size
        assert conn.records == len(handle.device.records) + 1


def test_fault_garbage() -> None:
    with start_emulator(records=300, record_size=16, faults=["garbage"]) as handle, connected(handle) as conn:
        raw = raw_attendance(conn)
        assert len(raw) == 4 + 300 * 16
        assert struct.unpack("<I", raw[:4])[0] == 300 * 16
        real = b"".join(encode_punch(r, 16) for r in handle.device.records)
        assert raw[4:] != real


def test_fault_wrap_deletes_oldest() -> None:
    with start_emulator(users=3, faults=["wrap"], wrap_capacity=50) as handle, connected(handle) as conn:
        start = datetime(2025, 5, 5, 7, 0)
        for minute in range(80):
            handle.device.add_punch(str(minute % 3 + 1), start + timedelta(minutes=minute))
            assert len(handle.device.records) <= 50
        conn.read_sizes()
        assert (conn.records, conn.rec_cap) == (50, 50)
        times = [a.timestamp for a in conn.get_attendance()]
        assert times == [start + timedelta(minutes=m) for m in range(30, 80)]


def test_fault_duplicates() -> None:
    with start_emulator(users=10, records=400, faults=["duplicates"]) as handle, connected(handle) as conn:
        result = pulled(conn.get_attendance())
        assert len(set(device_log(handle))) == len(handle.device.records)
        assert len(result) > len(handle.device.records)
        assert max(Counter(result).values()) >= 2
        assert set(result) == {(r.user_id, r.timestamp) for r in handle.device.records}


def test_fault_unordered() -> None:
    with start_emulator(users=10, records=400, faults=["unordered"]) as handle, connected(handle) as conn:
        times = [a.timestamp for a in conn.get_attendance()]
        assert times != sorted(times)
        assert sorted(times) == sorted(r.timestamp for r in handle.device.records)


def test_faults_are_settable_at_runtime() -> None:
    with start_emulator(records=100) as handle, connected(handle) as conn:
        conn.read_sizes()
        assert conn.records == 100
        handle.device.faults.add("count-mismatch")
        conn.read_sizes()
        assert conn.records == 101
    with pytest.raises(ValueError, match="unknown faults"):
        EmulatedDevice(faults=["explode"])


# -- CLI ---------------------------------------------------------------------------------------------------------


def test_cli_runs_until_sigterm() -> None:
    args = ["--port", "0", "--serial", "CLI123", "--users", "4", "--records", "30", "--record-size", "16"]
    args += ["--clock-offset", "-120", "--comm-key", "7", "--seed", "3"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "attendance.emulator", *args], cwd=REPO, stdout=subprocess.PIPE, text=True
    )
    try:
        line = proc.stdout.readline()
        assert line.startswith("listening on 127.0.0.1:")
        port = int(line.rsplit(":", 1)[1])
        conn = ZK("127.0.0.1", port=port, timeout=5, password=7, ommit_ping=True).connect()
        assert conn.get_serialnumber() == "CLI123"
        assert len(conn.get_attendance()) == 30
        assert abs((conn.get_time() - datetime.now()).total_seconds() + 120) <= 2
        conn.disconnect()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=5) == 0
    finally:
        proc.kill()
        proc.wait()
        proc.stdout.close()


# -- punch patterns ----------------------------------------------------------------------------------------------


def _minutes(moment: datetime) -> int:
    return moment.hour * 60 + moment.minute


def test_pattern_office_hours_and_days_off() -> None:
    holidays = [date(2025, 3, 31), date(2025, 4, 1)]  # Idul Fitri
    users = [str(pin) for pin in range(1, 31)]
    events = generate_punches(users, date(2025, 3, 1), date(2025, 4, 30), holidays=holidays, seed=11)
    arrivals = [_minutes(e.timestamp) for e in events if e.punch == 0]
    departures = [_minutes(e.timestamp) for e in events if e.punch == 1]
    assert sum(7 * 60 <= m < 8 * 60 for m in arrivals) / len(arrivals) > 0.85
    assert sum(15 * 60 + 30 <= m <= 17 * 60 for m in departures) / len(departures) > 0.85  # Fridays to 16:30
    assert max(arrivals) <= 9 * 60 + 30  # late, but at most about two hours
    assert all(e.timestamp.weekday() < 5 and e.timestamp.date() not in holidays for e in events)
    per_day = Counter((e.user_id, e.timestamp.date()) for e in events if e.punch == 0)
    assert any(n > 1 for n in per_day.values())  # a repeated press within a minute
    working_days = len({e.timestamp.date() for e in events})
    assert len(per_day) < len(users) * working_days  # somebody was absent
    timestamps = [e.timestamp for e in events]
    assert timestamps == sorted(timestamps)


def test_pattern_deterministic_and_recent() -> None:
    users = ["1", "2", "3"]
    first = generate_punches(users, date(2025, 1, 1), date(2025, 1, 31), seed=5)
    assert first == generate_punches(users, date(2025, 1, 1), date(2025, 1, 31), seed=5)
    assert first != generate_punches(users, date(2025, 1, 1), date(2025, 1, 31), seed=6)
    recent = generate_recent(users, 250, end=date(2025, 6, 30), seed=5)
    assert len(recent) == 250
    assert recent[-1].timestamp.date() <= date(2025, 6, 30)
    assert generate_recent(users, 10) == generate_recent(users, 10)
    assert all(e.timestamp <= datetime.now() for e in generate_recent(users, 50))
