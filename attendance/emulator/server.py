"""TCP and UDP servers answering the ZKTeco commands pyzk sends, with fault injection.

The command logic (CommandHandler) is transport-free: it turns one request into a Reply, and the servers decide
how to put the reply's packets on the wire (TCP top header, pacing, datagrams).
"""

from __future__ import annotations

import contextlib
import random
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from . import protocol as p
from .device import FIRMWARE_VERSION, EmulatedDevice

DIRECT_LIMIT = 1016  # largest buffer answered inline to CMD_PREPARE_BUFFER: pyzk reads that reply with recv(1024)
POLL = 0.2  # seconds between checks of the stop flag in accept/recv loops


@dataclass
class Session:
    session_id: int
    authenticated: bool = False
    buffer: bytes | None = None  # prepared by CMD_PREPARE_BUFFER, read by CMD_READ_BUFFER
    buffer_command: int = 0


@dataclass
class Reply:
    packets: list[bytes] = field(default_factory=list)
    pace: float = 0.0  # seconds between packets; 0 = everything in one sendall
    delay: float = 0.0  # seconds to wait before answering (stall fault)
    close: bool = False  # close the connection after sending the packets
    cut: float | None = None  # drop fault: send only this fraction of the bytes, then reset the connection


class CommandHandler:
    """Maps requests to replies for one device; `transport` is "tcp" or "udp"."""

    def __init__(self, device: EmulatedDevice, transport: str) -> None:
        self.device = device
        self.transport = transport
        self._rng = random.Random()
        self._commands: dict[int, Callable[[Session, p.Packet], Reply]] = {
            p.CMD_CONNECT: self._connect,
            p.CMD_AUTH: self._auth,
            p.CMD_EXIT: self._exit,
            p.CMD_ENABLEDEVICE: self._enable,
            p.CMD_DISABLEDEVICE: self._disable,
            p.CMD_OPTIONS_RRQ: self._options,
            p.CMD_GET_VERSION: lambda s, r: self._ok(s, r, FIRMWARE_VERSION.encode() + b"\x00"),
            p.CMD_GET_TIME: lambda s, r: self._ok(s, r, struct.pack("<I", p.encode_time(self.device.now()))),
            p.CMD_SET_TIME: self._set_time,
            p.CMD_GET_FREE_SIZES: lambda s, r: self._ok(s, r, self.device.free_sizes()),
            p.CMD_FREE_DATA: self._free_data,
            p.CMD_PREPARE_BUFFER: self._prepare_buffer,
            p.CMD_READ_BUFFER: self._read_buffer,
            p.CMD_CLEAR_ATTLOG: self._clear_attlog,
            p.CMD_REFRESHDATA: lambda s, r: self._ok(s, r),
        }

    def new_session(self) -> Session:
        return Session(session_id=self._rng.randint(1, p.USHRT_MAX - 1))

    def handle(self, session: Session, request: p.Packet) -> Reply:
        if request.command not in (p.CMD_CONNECT, p.CMD_AUTH) and not session.authenticated:
            return self._reply(session, request, p.CMD_ACK_UNAUTH)
        command = self._commands.get(request.command)
        if command is None:
            return self._reply(session, request, p.CMD_ACK_UNKNOWN)
        return command(session, request)

    # -- reply helpers -------------------------------------------------------------------------------------------

    def _packet(self, session: Session, request: p.Packet, code: int, payload: bytes = b"") -> bytes:
        # Echo the request's reply_id: pyzk adopts it as its counter for the next request.
        return p.make_packet(code, session.session_id, request.reply_id, payload)

    def _reply(self, session: Session, request: p.Packet, code: int, payload: bytes = b"") -> Reply:
        return Reply([self._packet(session, request, code, payload)])

    def _ok(self, session: Session, request: p.Packet, payload: bytes = b"") -> Reply:
        return self._reply(session, request, p.CMD_ACK_OK, payload)

    # -- session commands ----------------------------------------------------------------------------------------

    def _connect(self, session: Session, request: p.Packet) -> Reply:
        session.authenticated = self.device.comm_key is None
        return self._reply(session, request, p.CMD_ACK_OK if session.authenticated else p.CMD_ACK_UNAUTH)

    def _auth(self, session: Session, request: p.Packet) -> Reply:
        key = self.device.comm_key
        session.authenticated = key is None or request.payload[:4] == p.make_commkey(key, session.session_id)
        return self._reply(session, request, p.CMD_ACK_OK if session.authenticated else p.CMD_ACK_UNAUTH)

    def _exit(self, session: Session, request: p.Packet) -> Reply:
        reply = self._ok(session, request)
        reply.close = True
        return reply

    def _enable(self, session: Session, request: p.Packet) -> Reply:
        self.device.enabled = True
        return self._ok(session, request)

    def _disable(self, session: Session, request: p.Packet) -> Reply:
        self.device.enabled = False
        return self._ok(session, request)

    def _options(self, session: Session, request: p.Packet) -> Reply:
        name = request.payload.split(b"\x00", 1)[0].decode("ascii", errors="replace")
        value = self.device.option(name)
        if value is None:
            return self._reply(session, request, p.CMD_ACK_ERROR)
        return self._ok(session, request, f"{name}={value}\x00".encode())

    def _set_time(self, session: Session, request: p.Packet) -> Reply:
        try:
            self.device.set_time(p.decode_time(struct.unpack_from("<I", request.payload)[0]))
        except (struct.error, ValueError):
            return self._reply(session, request, p.CMD_ACK_ERROR)
        return self._ok(session, request)

    def _clear_attlog(self, session: Session, request: p.Packet) -> Reply:
        self.device.clear()
        return self._ok(session, request)

    # -- bulk reads ----------------------------------------------------------------------------------------------

    def _free_data(self, session: Session, request: p.Packet) -> Reply:
        session.buffer = None
        return self._ok(session, request)

    def _make_buffer(self, command: int, fct: int) -> bytes | None:
        if command == p.CMD_USERTEMP_RRQ and fct == p.FCT_USER:
            return self.device.make_user_buffer(self.device.user_size_for(self.transport))
        if command == p.CMD_ATTLOG_RRQ:
            return self.device.make_attendance_buffer()
        if command == p.CMD_DB_RRQ:
            return struct.pack("<I", 0)  # fingerprint templates: we hold none
        return None

    def _prepare_buffer(self, session: Session, request: p.Packet) -> Reply:
        try:
            _flag, command, fct, _ext = struct.unpack_from("<bhii", request.payload)
        except struct.error:
            return self._reply(session, request, p.CMD_ACK_ERROR)
        buffer = self._make_buffer(command, fct)
        if buffer is None:
            return self._reply(session, request, p.CMD_ACK_ERROR)
        attendance = command == p.CMD_ATTLOG_RRQ
        if len(buffer) <= DIRECT_LIMIT:
            reply = self._reply(session, request, p.CMD_DATA, buffer)
            if attendance and "drop-mid-transfer" in self.device.faults:
                reply.cut, reply.close = 0.5, True
        else:
            session.buffer, session.buffer_command = buffer, command
            # ACK_OK + (0, size, size, 4 bytes whose meaning is unknown; clients only read bytes 1..4).
            reply = self._ok(session, request, struct.pack("<BII", 0, len(buffer), len(buffer)) + bytes(4))
        if attendance and "stall" in self.device.faults:
            reply.delay = self.device.stall_seconds  # a busy device: the answer comes, but after the client gave up
        return reply

    def _read_buffer(self, session: Session, request: p.Packet) -> Reply:
        buffer = session.buffer
        try:
            start, size = struct.unpack_from("<ii", request.payload)
        except struct.error:
            return self._reply(session, request, p.CMD_ACK_ERROR)
        if buffer is None or start < 0 or size <= 0 or start >= len(buffer):
            return self._reply(session, request, p.CMD_ACK_ERROR)
        reply = self._chunk_reply(session, request, buffer[start : start + size])
        dropping = session.buffer_command == p.CMD_ATTLOG_RRQ and "drop-mid-transfer" in self.device.faults
        if dropping and start + size > len(buffer) // 2:
            # Chunks before the middle go out whole; the one crossing it is cut off halfway, like a pulled cable
            # or a device reboot (field reports: ConnectionResetError, BrokenPipe).
            reply.cut, reply.close = 0.5, True
        return reply

    def _chunk_reply(self, session: Session, request: p.Packet, chunk: bytes) -> Reply:
        if self.transport == "udp":
            return self._framed(session, request, chunk, p.UDP_MAX_PAYLOAD, 0.0)
        if "paced-frames" in self.device.faults:
            return self._framed(session, request, chunk, self.device.frame_size, self.device.frame_pace)
        if self.device.tcp_read_mode == "frames":
            return self._framed(session, request, chunk, self.device.frame_size, 0.0)
        return self._reply(session, request, p.CMD_DATA, chunk)

    def _framed(self, session: Session, request: p.Packet, chunk: bytes, frame: int, pace: float) -> Reply:
        """Mode (b): PREPARE_DATA(size, frame), the chunk in DATA frames, then ACK_OK, all with one reply id."""
        packets = [self._packet(session, request, p.CMD_PREPARE_DATA, struct.pack("<II", len(chunk), frame))]
        for offset in range(0, len(chunk), frame):
            packets.append(self._packet(session, request, p.CMD_DATA, chunk[offset : offset + frame]))
        packets.append(self._packet(session, request, p.CMD_ACK_OK))
        return Reply(packets, pace=pace)


class TcpServer:
    """One thread per connection; an empty connection (pyzk's probe) just ends its thread."""

    def __init__(self, handler: CommandHandler, host: str, port: int, stop: threading.Event) -> None:
        self.handler = handler
        self.stop = stop
        self.sock = socket.create_server((host, port))
        self.sock.settimeout(POLL)
        self.address: tuple[str, int] = self.sock.getsockname()[:2]
        self._conns: set[socket.socket] = set()
        self._lock = threading.Lock()

    def serve_forever(self) -> None:
        with self.sock:
            while not self.stop.is_set():
                try:
                    conn, _ = self.sock.accept()
                except TimeoutError:
                    continue
                except OSError:
                    break
                threading.Thread(target=self._serve_connection, args=(conn,), daemon=True).start()

    def close_connections(self) -> None:
        with self._lock:
            conns = list(self._conns)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)

    def _serve_connection(self, conn: socket.socket) -> None:
        with conn:
            if "refuse" in self.handler.device.faults:
                return  # accepted, then closed at once: the client sees EOF on its first recv
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # paced frames must leave one by one
            with self._lock:
                self._conns.add(conn)
            try:
                self._loop(conn, self.handler.new_session())
            except OSError:
                pass  # client went away or we were stopped
            finally:
                with self._lock:
                    self._conns.discard(conn)

    def _loop(self, conn: socket.socket, session: Session) -> None:
        while not self.stop.is_set():
            top = _recv_exact(conn, p.TCP_TOP.size)
            if top is None:
                return
            try:
                length = p.tcp_unwrap_top(top)
            except ValueError:
                return  # not a ZK client
            body = _recv_exact(conn, length)
            if body is None or length < p.HEADER.size:
                return
            reply = self.handler.handle(session, p.parse_packet(body))
            if reply.delay and self.stop.wait(reply.delay):
                return
            self._send(conn, reply)
            if reply.close:
                if reply.cut is not None:
                    # Linger 0: close() sends RST, so the client errors out instead of waiting for bytes forever.
                    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                return

    @staticmethod
    def _send(conn: socket.socket, reply: Reply) -> None:
        frames = [p.tcp_wrap(packet) for packet in reply.packets]
        if reply.cut is not None:
            wire = b"".join(frames)
            conn.sendall(wire[: int(len(wire) * reply.cut)])
            return
        if not reply.pace:
            # One sendall per reply: separate small sends would meet delayed ACKs and cost 40 ms each.
            conn.sendall(b"".join(frames))
            return
        # pyzk issues one blocking recv per DATA frame, so frames must arrive one at a time.
        for frame in frames:
            conn.sendall(frame)
            time.sleep(reply.pace)


def _recv_exact(conn: socket.socket, size: int) -> bytes | None:
    data = bytearray()
    while len(data) < size:
        piece = conn.recv(size - len(data))
        if not piece:
            return None
        data += piece
    return bytes(data)


class UdpServer:
    """One socket for all clients; sessions are keyed by the client's address. Requests are served in turn."""

    def __init__(self, handler: CommandHandler, host: str, port: int, stop: threading.Event) -> None:
        self.handler = handler
        self.stop = stop
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((host, port))
        self.sock.settimeout(POLL)
        self.address: tuple[str, int] = self.sock.getsockname()[:2]
        self.sessions: dict[Any, Session] = {}

    def serve_forever(self) -> None:
        with self.sock:
            while not self.stop.is_set():
                try:
                    data, addr = self.sock.recvfrom(65535)
                except TimeoutError:
                    continue
                except OSError:
                    break
                self._serve_datagram(data, addr)

    def close_connections(self) -> None:
        self.sessions.clear()

    def _serve_datagram(self, data: bytes, addr: Any) -> None:
        if "refuse" in self.handler.device.faults or len(data) < p.HEADER.size:
            return  # UDP cannot refuse: the client simply hears nothing and times out
        request = p.parse_packet(data)
        if request.command == p.CMD_CONNECT or addr not in self.sessions:
            self.sessions[addr] = self.handler.new_session()
        session = self.sessions[addr]
        reply = self.handler.handle(session, request)
        if reply.delay and self.stop.wait(reply.delay):
            return
        packets = reply.packets
        if reply.cut is not None:
            packets = packets[: int(len(packets) * reply.cut)]  # the rest never comes: the client times out
        try:
            for packet in packets:
                self.sock.sendto(packet, addr)
                if reply.pace:
                    time.sleep(reply.pace)
        except OSError:
            pass
        if reply.close:
            self.sessions.pop(addr, None)


class EmulatorHandle:
    """A running emulator: `device` is the live state, `port` the bound port. Stop it, or use it in a `with`."""

    def __init__(self, device: EmulatedDevice, server: TcpServer | UdpServer, stop: threading.Event) -> None:
        self.device = device
        self.server = server
        self.host, self.port = server.address
        self.transport = "udp" if isinstance(server, UdpServer) else "tcp"
        self._stop = stop
        self._thread = threading.Thread(target=server.serve_forever, name=f"zk-emulator-{self.port}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self.server.close_connections()
        self._thread.join(timeout=5)

    def __enter__(self) -> EmulatorHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_emulator(
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    udp: bool = False,
    device: EmulatedDevice | None = None,
    **device_options: Any,
) -> EmulatorHandle:
    """Start a device in background threads; port 0 picks a free port (see handle.port).

    device_options go to EmulatedDevice (serial_number, users, records, record_size, comm_key, clock_offset,
    faults, seed, ...) unless a ready `device` is passed.
    """
    device = device or EmulatedDevice(**device_options)
    stop = threading.Event()
    handler = CommandHandler(device, "udp" if udp else "tcp")
    server: TcpServer | UdpServer = (UdpServer if udp else TcpServer)(handler, host, port, stop)
    return EmulatorHandle(device, server, stop)
