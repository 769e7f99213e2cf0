"""`python -m attendance.emulator.fleet`: one emulated fingerprint machine per demo desa, for `make run`.

Each machine holds the last 30 days of realistic punches for its staff and fills itself as the day goes
on: a punch planned for 07:31 appears on the device at 07:31 WIB. The device clocks read WIB, whatever the
host's own zone. Serial numbers and ports follow ``demo_serial`` / ``demo_port`` (the demo loader
registers the same ones)."""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import signal
import sys
import threading
import time
from pathlib import Path
from zoneinfo import ZoneInfo

from .device import EmulatedDevice
from .patterns import generate_punches
from .server import start_emulator

CSV = Path(__file__).resolve().parents[2] / "portal" / "data" / "wilayah_pucuk.csv"
BASE_PORT = 14370
WIB = ZoneInfo("Asia/Jakarta")


def demo_serial(kode: str) -> str:
    return "PCK" + kode.replace(".", "")[-7:]


def demo_port(index: int, base: int = BASE_PORT) -> int:
    return base + index


def desa_codes(path: Path = CSV) -> list[str]:
    with path.open(newline="", encoding="utf-8") as handle:
        return sorted(row["kode"] for row in csv.DictReader(handle))


def _national_holidays(years: list[int]) -> list[dt.date]:
    import holidays

    days = holidays.country_holidays("ID", years=years, categories=("public", "government"))
    return list(days)


def _wib_now() -> dt.datetime:
    return dt.datetime.now(WIB).replace(tzinfo=None)


def build(kode: str, index: int, users: int) -> tuple[EmulatedDevice, list]:
    today = _wib_now().date()
    offset = (_wib_now() - dt.datetime.now()).total_seconds()  # so the device clock reads WIB
    device = EmulatedDevice(serial_number=demo_serial(kode), users=users, records=[], clock_offset=offset, seed=index)
    plan = generate_punches(
        [u.user_id for u in device.users],
        today - dt.timedelta(days=30),
        today,
        holidays=_national_holidays([today.year - 1, today.year]),
        seed=index,
    )
    return device, plan


def release_due(device: EmulatedDevice, plan: list, released: int) -> int:
    """Put on the device every planned punch whose time has come; returns how many are out so far."""
    now = _wib_now()
    while released < len(plan) and plan[released].timestamp <= now:
        event = plan[released]
        device.add_punch(event.user_id, event.timestamp, punch=event.punch)
        released += 1
    return released


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m attendance.emulator.fleet", description=__doc__)
    parser.add_argument("--base-port", type=int, default=BASE_PORT)
    parser.add_argument("--users", type=int, default=10)
    args = parser.parse_args(argv)
    fleet = []
    for index, kode in enumerate(desa_codes()):
        device, plan = build(kode, index, args.users)
        handle = start_emulator(port=demo_port(index, args.base_port), device=device)
        fleet.append([handle, plan, release_due(device, plan, 0)])
        print(f"{demo_serial(kode)} listening on 127.0.0.1:{handle.port}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    while not stop.wait(30):
        for entry in fleet:
            entry[2] = release_due(entry[0].device, entry[1], entry[2])
    for handle, _plan, _released in fleet:
        handle.stop()
    time.sleep(0.1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
