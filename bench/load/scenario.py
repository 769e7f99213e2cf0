"""What the load test's three sides share, in plain Python (no Django, no locust): the page groups that name
every request, the push machines' batch size, and the readers of locust's CSV statistics. The bench process,
the locustfile (which imports locust and so gevent's monkey-patching: never the bench's process) and the tests
import it."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

# Every push machine posts this many punches per ATTLOG batch (distinct PINs, one second), so the punches the
# portal must have stored are exactly PUNCHES_PER_BATCH × the ATTLOG posts locust counted.
PUNCHES_PER_BATCH = 3
# The portal's answers to a machine: poll ``getrequest`` every ``Delay`` (ADMS_POLL_SECONDS, 30 s) and, with
# ``Realtime=1``, upload a punch as it happens; in the morning peak a desa office's machine sends a small batch
# about every minute.
POLL_SECONDS = 30
UPLOAD_SECONDS = 60
# Machines come up at different moments, within this many seconds of their start (bench/load/locustfile.py).
STAGGER_SECONDS = 10
# Load accounts and machines the seed creates (the full counts; --quick uses the first few of each).
KECAMATAN_USERS = 50
OPERATORS = 17
PUSH_DEVICES = 200
KECAMATAN_USERNAME = "beban.kec{:02d}"
DEVICE_SERIAL = "BEBAN{:04d}"

BASELINE_HEALTHZ = "/healthz"
BASELINE_LOGIN = "/akun/login/"

# (method, path pattern, group): a request is named by the kind of page it asks for, never by its URL (ids and
# desa codes would split one page into hundreds of rows).
PAGE_GROUPS: list[tuple[str, re.Pattern, str]] = [
    ("GET", re.compile(r"/"), "home"),
    ("GET", re.compile(r"/monev/"), "monev board"),
    ("GET", re.compile(r"/monev/desa/[^/]+/"), "monev desa page"),
    ("GET", re.compile(r"/monev/kewajiban/\d+/"), "monev obligation page"),
    ("POST", re.compile(r"/monev/kewajiban/\d+/kirim/"), "monev upload (POST)"),
    ("GET", re.compile(r"/absensi/"), "absensi today"),
    ("GET", re.compile(r"/absensi/rekap/"), "absensi month recap"),
    ("GET", re.compile(r"/absensi/rekap/[^/]+/"), "absensi desa recap"),
    ("GET", re.compile(r"/iclock/cdata"), "iclock handshake"),
    ("POST", re.compile(r"/iclock/cdata"), "iclock ATTLOG (POST)"),
    ("GET", re.compile(r"/iclock/getrequest"), "iclock getrequest"),
    ("GET", re.compile(r"/healthz/?"), "baseline /healthz"),
    ("GET", re.compile(r"/akun/login/"), "baseline login page"),
]


def page_group(method: str, url: str) -> str:
    """The group of a request (query string and host ignored). An unknown page is an error, not a new row:
    a scenario that requests it must name it here first."""
    path = re.sub(r"^https?://[^/]+", "", url).split("?", 1)[0]
    for group_method, pattern, group in PAGE_GROUPS:
        if group_method == method.upper() and pattern.fullmatch(path):
            return group
    raise ValueError(f"no page group for {method} {path}")


@dataclass(frozen=True)
class Row:
    """One line of locust's ``*_stats.csv``; times in milliseconds (None when nothing was measured)."""

    method: str
    name: str
    requests: int
    failures: int
    median_ms: float | None
    p95_ms: float | None
    max_ms: float | None
    rps: float


def _number(value: str) -> float | None:
    value = (value or "").strip()
    if value in ("", "N/A"):
        return None
    return float(value)


def parse_stats(text: str) -> dict[str, Row]:
    """Locust's ``--csv`` ``*_stats.csv`` as rows by name; the total is under ``"Aggregated"``."""
    rows = {}
    reader = csv.DictReader(io.StringIO(text))
    if not {"Name", "Request Count", "95%"} <= set(reader.fieldnames or []):
        raise ValueError("not a locust stats CSV: no Aggregated row")
    for record in reader:
        name = record["Name"]
        rows[name] = Row(
            method=record["Type"],
            name=name,
            requests=int(record["Request Count"]),
            failures=int(record["Failure Count"]),
            median_ms=_number(record["Median Response Time"]),
            p95_ms=_number(record["95%"]),
            max_ms=_number(record["Max Response Time"]),
            rps=_number(record["Requests/s"]) or 0.0,
        )
    if "Aggregated" not in rows:
        raise ValueError("not a locust stats CSV: no Aggregated row")
    return rows


def parse_failures(text: str) -> list[tuple[str, str, str, int]]:
    """Locust's ``*_failures.csv`` (and ``*_exceptions.csv``) as (method, name, error, occurrences)."""
    found = []
    for record in csv.DictReader(io.StringIO(text)):
        if "Method" in record:
            found.append((record["Method"], record["Name"], record["Error"], int(record["Occurrences"])))
        else:  # exceptions: Count, Message, Traceback, Nodes
            found.append(("-", "exception", record["Message"], int(record["Count"])))
    return found
