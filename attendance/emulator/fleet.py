"""`python -m attendance.emulator.fleet`: one emulated fingerprint machine per demo desa, for `make run`.

Each machine holds the last 30 days of realistic punches for its staff and fills itself as the day goes
on: a punch planned for 07:31 appears on the device at 07:31 WIB. The device clocks read WIB, whatever the
host's own zone. Serial numbers and ports follow ``demo_serial`` / ``demo_port`` (the demo loader
registers the same ones).

With ``--push-to URL --push N`` the last N machines do not listen: they call the portal over HTTP like ZKTeco
machines in ADMS ("push") mode, each in its own thread (``push.PushClient.run``). ``make run`` pushes from
``PUSH_MACHINES`` of them, and the demo loader registers exactly those as push machines."""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import logging
import signal
import sys
import threading
import time
from pathlib import Path
from zoneinfo import ZoneInfo

from .device import EmulatedDevice
from .patterns import generate_punches
from .push import PushClient
from .server import EmulatorHandle, start_emulator

CSV = Path(__file__).resolve().parents[2] / "portal" / "data" / "wilayah_pucuk.csv"
BASE_PORT = 14370
WIB = ZoneInfo("Asia/Jakarta")
# How many demo machines call the portal (the last ones of ``desa_codes``): the Procfile's ``--push`` and the
# demo loader's registrations must agree, or a machine pushes to a portal that expects to pull it.
PUSH_MACHINES = 4
PUSH_ERROR_DELAY = 5.0  # until the portal's own ErrorDelay arrives: `make run` starts the web server alongside


def demo_serial(kode: str) -> str:
    return "PCK" + kode.replace(".", "")[-7:]


def demo_port(index: int, base: int = BASE_PORT) -> int:
    return base + index


def is_push_machine(index: int, count: int, push: int = PUSH_MACHINES) -> bool:
    """The last ``push`` of ``count`` machines call the portal; the others wait to be pulled."""
    return index >= count - push


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


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m attendance.emulator.fleet", description=__doc__)
    parser.add_argument("--base-port", type=int, default=BASE_PORT)
    parser.add_argument("--users", type=int, default=10)
    parser.add_argument(
        "--push-to", metavar="URL", help="the portal the push machines call, e.g. http://127.0.0.1:8000"
    )
    parser.add_argument("--push", type=int, default=0, metavar="N", help="how many machines (the last ones) push")
    args = parser.parse_args(argv)
    if args.push < 0:
        parser.error("--push must not be negative")
    if args.push and not args.push_to:
        parser.error("--push needs --push-to URL")
    return args


def _start_push(device: EmulatedDevice, url: str, stop: threading.Event) -> threading.Thread:
    client = PushClient(url, device, error_delay=PUSH_ERROR_DELAY)
    thread = threading.Thread(target=client.run, args=(stop,), name=f"push-{device.serial_number}", daemon=True)
    thread.start()
    return thread


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")  # push uploads show in `make run`'s output
    stop = threading.Event()
    codes = desa_codes()
    fleet: list[list] = []  # [device, plan, released]
    handles: list[EmulatorHandle] = []
    threads: list[threading.Thread] = []
    for index, kode in enumerate(codes):
        device, plan = build(kode, index, args.users)
        fleet.append([device, plan, release_due(device, plan, 0)])
        if is_push_machine(index, len(codes), args.push):
            threads.append(_start_push(device, args.push_to, stop))
            print(f"{device.serial_number} pushing to {args.push_to}", flush=True)
        else:
            handles.append(start_emulator(port=demo_port(index, args.base_port), device=device))
            print(f"{device.serial_number} listening on 127.0.0.1:{handles[-1].port}", flush=True)
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    while not stop.wait(30):
        for entry in fleet:
            entry[2] = release_due(*entry)
    for handle in handles:
        handle.stop()
    for thread in threads:
        thread.join(timeout=5)
    time.sleep(0.1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
