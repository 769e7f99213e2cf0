"""`python -m attendance.emulator --port 4370 --serial PDS1 --users 20 --records 5000`: run one device until killed."""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from .device import FAULTS, RECORD_SIZES
from .server import start_emulator


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m attendance.emulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=4370, help="0 picks a free port")
    parser.add_argument("--serial", default="PDS0000000001", help="serial number (~SerialNumber)")
    parser.add_argument("--comm-key", type=int, default=None, help="numeric comm key; none = no authentication")
    parser.add_argument("--users", type=int, default=10, help="perangkat with PIN 1..N")
    parser.add_argument("--records", type=int, default=0, help="punches generated from the office pattern")
    parser.add_argument("--record-size", type=int, choices=RECORD_SIZES, default=40)
    parser.add_argument("--udp", action="store_true", help="serve UDP instead of TCP")
    parser.add_argument("--clock-offset", type=float, default=0.0, help="device clock minus host clock, seconds")
    parser.add_argument("--fault", action="append", default=[], choices=sorted(FAULTS), dest="faults")
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    handle = start_emulator(
        host=args.host,
        port=args.port,
        udp=args.udp,
        serial_number=args.serial,
        comm_key=args.comm_key,
        users=args.users,
        records=args.records,
        record_size=args.record_size,
        clock_offset=args.clock_offset,
        faults=args.faults,
        seed=args.seed,
    )
    done = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: done.set())
    print(f"listening on {handle.host}:{handle.port}", flush=True)
    while not done.wait(0.5):
        pass
    handle.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
