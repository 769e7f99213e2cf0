"""The load of issue #18, run by ``bench/bench_load.py`` as ``locust -f bench/load/locustfile.py --headless …`` in
a process of its own (importing locust monkey-patches the standard library with gevent).

- ``KecamatanUser``: kecamatan staff browsing their home page, the monev board and a desa's page, today's
  attendance and the month recaps, a few seconds apart.
- ``OperatorUser``: a desa's operator on the home page and the desa's obligations, handing in a document
  (a real PDF, different every time: an identical file is refused) through the obligation page's form.
- ``PushDevice``: a fingerprint machine in push mode (ADMS / iclock) as the firmware calls the portal: the
  handshake, ``getrequest`` every ``Delay`` and a small ATTLOG batch about every minute (Realtime=1 in the
  morning peak); the lines are the emulator's (``attendance.emulator.push.attlog_line``).
- ``Probe``: the baseline (``/healthz``, or the login page without it), once a second under the same load.

Everything the users need (session keys, desa codes, obligation ids, serials and PINs) comes from the JSON file
named by ``LOAD_SCENARIO``; how many of each from ``LOAD_KECAMATAN``, ``LOAD_OPERATORS``, ``LOAD_DEVICES`` and
``LOAD_PROBES``. Every answer is checked; anything else than what a browser or a machine expects is a failure."""

from __future__ import annotations

import datetime as dt
import io
import itertools
import json
import os
import random
import re
import time
import uuid
from zoneinfo import ZoneInfo

from locust import HttpUser, between, constant_pacing, task
from pypdf import PdfWriter

from attendance.emulator.device import Punch
from attendance.emulator.push import LANGUAGE, PUSH_VERSION, USER_AGENT, attlog_line
from bench.load.scenario import POLL_SECONDS, PUNCHES_PER_BATCH, STAGGER_SECONDS, UPLOAD_SECONDS, page_group

with open(os.environ["LOAD_SCENARIO"], encoding="utf-8") as _stream:
    SCENARIO = json.load(_stream)
ZONE = ZoneInfo("Asia/Jakarta")  # the machines' clocks (Device.timezone's default)
_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def _count(name: str) -> int:
    return int(os.environ.get(name, "0"))


def _entries(key: str, count: int) -> itertools.cycle:
    rows = SCENARIO[key][:count] if count else []
    return itertools.cycle(rows or [None])


def document_pdf() -> bytes:
    """A three-page PDF of about 150 kB (the size of a scanned Perdes), unique by its title and payload."""
    writer = PdfWriter()
    for _page in range(3):
        writer.add_blank_page(width=595, height=842)
    writer.add_metadata({"/Title": f"Dokumen uji beban {uuid.uuid4()}"})
    writer.add_attachment("pindaian.bin", os.urandom(150_000))
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


class _Browser(HttpUser):
    abstract = True
    entries: itertools.cycle

    def on_start(self) -> None:
        self.me = next(self.entries)
        self.client.cookies.set(SCENARIO["session_cookie"], self.me["session"])

    def page(self, path: str) -> str:
        """GET a page as a signed-in browser; anything but 200 (a redirect to the login page too) fails."""
        with self.client.get(
            path, name=page_group("GET", path), allow_redirects=False, catch_response=True
        ) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code} {response.headers.get('Location', '')}".strip())
            return response.text


class KecamatanUser(_Browser):
    fixed_count = _count("LOAD_KECAMATAN")
    wait_time = between(3, 10)
    entries = _entries("kecamatan", fixed_count)

    @task(3)
    def home(self) -> None:
        self.page("/")

    @task(3)
    def board(self) -> None:
        self.page("/monev/")

    @task(2)
    def desa_page(self) -> None:
        self.page(f"/monev/desa/{random.choice(SCENARIO['desa'])}/")

    @task(2)
    def today(self) -> None:
        self.page("/absensi/")

    @task(2)
    def month_recap(self) -> None:
        self.page("/absensi/rekap/")

    @task(2)
    def desa_recap(self) -> None:
        self.page(f"/absensi/rekap/{random.choice(SCENARIO['desa'])}/")


class OperatorUser(_Browser):
    fixed_count = _count("LOAD_OPERATORS")
    wait_time = between(5, 15)
    entries = _entries("operators", fixed_count)

    @task(3)
    def home(self) -> None:
        self.page("/")

    @task(3)
    def obligation(self) -> None:
        self.page(f"/monev/kewajiban/{random.choice(self.me['obligations'])}/")

    @task(2)
    def upload(self) -> None:
        """The obligation page, then its upload form sent as the browser sends it (multipart, CSRF token)."""
        path = f"/monev/kewajiban/{random.choice(self.me['obligations'])}/"
        token = _CSRF.search(self.page(path))
        if token is None:
            return  # the page already failed (or has no form): counted there
        url = f"{path}kirim/"
        data = {
            "csrfmiddlewaretoken": token.group(1),
            "document_number": f"141/{random.randint(1, 999)}/429.{random.randint(100, 999)}/2026",
            "notes": "Unggahan uji beban",
        }
        document = ("dokumen-desa.pdf", document_pdf(), "application/pdf")
        with self.client.post(
            url,
            data=data,
            files={"document": document},
            headers={"Referer": f"{self.host}{path}"},
            name=page_group("POST", url),
            allow_redirects=False,
            catch_response=True,
        ) as response:
            # Accepted: back to the obligation page; refused: the page again with the form's errors (400).
            if response.status_code != 302 or not response.headers.get("Location", "").endswith(path):
                response.failure(f"HTTP {response.status_code} {response.headers.get('Location', '')}".strip())


class PushDevice(HttpUser):
    fixed_count = _count("LOAD_DEVICES")
    entries = _entries("devices", fixed_count)

    def on_start(self) -> None:
        self.me = next(self.entries)
        self.serial = self.me["serial"]
        self.stamp = 0
        self.client.headers.update({"User-Agent": USER_AGENT})
        # Machines do not poll in step; but every one greets within STAGGER_SECONDS of its start, so even a
        # --quick run (35 s) sees each machine (a 30 s stagger left one asleep at the stop now and then).
        time.sleep(random.uniform(0, STAGGER_SECONDS))
        self.handshake()
        now = time.monotonic()
        # Punches held since the connection came up go at once; after that every UPLOAD_SECONDS.
        self.next_poll, self.next_upload = now, now

    def wait_time(self) -> float:
        return max(0.05, min(self.next_poll, self.next_upload) - time.monotonic())

    def _check(self, response, expected: str) -> None:
        if response.status_code != 200 or not re.fullmatch(expected, response.text.strip(), re.DOTALL):
            response.failure(f"HTTP {response.status_code}: {response.text.strip()[:80]!r}")

    def handshake(self) -> None:
        query = {"SN": self.serial, "options": "all", "pushver": PUSH_VERSION, "language": LANGUAGE}
        with self.client.get(
            "/iclock/cdata", params=query, name=page_group("GET", "/iclock/cdata"), catch_response=True
        ) as response:
            self._check(response, r"GET OPTION FROM: .*ATTLOGStamp=.*Realtime=1.*")

    @task
    def cycle(self) -> None:
        now = time.monotonic()
        if now >= self.next_poll:
            self.next_poll = now + POLL_SECONDS
            with self.client.get(
                "/iclock/getrequest",
                params={"SN": self.serial},
                name=page_group("GET", "/iclock/getrequest"),
                catch_response=True,
            ) as response:
                self._check(response, r"OK|C:.*")
        if now >= self.next_upload:
            self.next_upload = now + UPLOAD_SECONDS
            self.upload()

    def upload(self) -> None:
        wall = dt.datetime.now(ZONE).replace(tzinfo=None, microsecond=0)
        pins = random.sample(self.me["pins"], PUNCHES_PER_BATCH)
        body = "\n".join(
            attlog_line(Punch(uid=int(pin), user_id=pin, timestamp=wall, status=1, punch=n % 2))
            for n, pin in enumerate(pins)
        )
        self.stamp += PUNCHES_PER_BATCH
        with self.client.post(
            "/iclock/cdata",
            params={"SN": self.serial, "table": "ATTLOG", "Stamp": self.stamp},
            data=(body + "\n").encode(),
            headers={"Content-Type": "text/plain"},
            name=page_group("POST", "/iclock/cdata"),
            catch_response=True,
        ) as response:
            self._check(response, f"OK:{PUNCHES_PER_BATCH}")


class Probe(HttpUser):
    """The baseline, measured the same way under the same load: a request that does next to nothing."""

    fixed_count = _count("LOAD_PROBES")
    wait_time = constant_pacing(1)

    @task
    def baseline(self) -> None:
        path = SCENARIO["baseline"]
        with self.client.get(
            path, name=page_group("GET", path), allow_redirects=False, catch_response=True
        ) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")
