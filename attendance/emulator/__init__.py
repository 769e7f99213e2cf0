"""A ZKTeco fingerprint-terminal emulator speaking the TCP/UDP protocol pyzk uses, for tests and local demos,
and in push mode (``PushClient``) the HTTP calls a machine makes to an ADMS / iclock server.

No Django here: tests and `python -m attendance.emulator` run it stand-alone.
"""

from __future__ import annotations

from .device import FAULTS, DeviceUser, EmulatedDevice, Punch
from .patterns import PunchEvent, generate_punches, generate_recent
from .push import CommandResult, OpLog, PushClient
from .server import EmulatorHandle, start_emulator

__all__ = [
    "FAULTS",
    "CommandResult",
    "DeviceUser",
    "EmulatedDevice",
    "EmulatorHandle",
    "OpLog",
    "Punch",
    "PunchEvent",
    "PushClient",
    "generate_punches",
    "generate_recent",
    "start_emulator",
]
