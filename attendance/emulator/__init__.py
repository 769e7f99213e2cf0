"""A ZKTeco fingerprint-terminal emulator speaking the TCP/UDP protocol pyzk uses, for tests and local demos.

No Django here: tests and `python -m attendance.emulator` run it stand-alone.
"""

from __future__ import annotations

from .device import FAULTS, DeviceUser, EmulatedDevice, Punch
from .patterns import PunchEvent, generate_punches, generate_recent
from .server import EmulatorHandle, start_emulator

__all__ = [
    "FAULTS",
    "DeviceUser",
    "EmulatedDevice",
    "EmulatorHandle",
    "Punch",
    "PunchEvent",
    "generate_punches",
    "generate_recent",
    "start_emulator",
]
