"""Browser tests: Playwright (Python) driving Debian's chromium against pytest-django's live server."""

from __future__ import annotations

import datetime as dt
import os
import shutil

import pytest
from django.utils import timezone

from attendance import corrections, leave
from attendance.emulator import start_emulator
from attendance.models import Device
from monev.models import Obligation
from musrenbang.choices import MeetingKind
from musrenbang.models import Meeting
from portal import notify
from tests.attendance.test_views_review import month_data
from tests.conftest import IN_CI, PASSWORD

# The e2e worlds reuse the Monev fixtures (obligations, private media in a temporary folder).
from tests.monev.conftest import monev, private_media  # noqa: F401
from tests.musrenbang.test_views import make_proposal, schedule

# Playwright's sync API runs an event loop in this thread; Django's ORM calls made by the test body are
# still synchronous and safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser():
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        if IN_CI:
            pytest.fail(f"chromium not found at {CHROMIUM}; `make test` installs it (scripts/ensure-chromium)")
        pytest.skip("chromium not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser):
    """A fresh browser context (its own cookies) per call: one per user in a multi-user journey."""
    contexts = []

    def _new_page():
        context = browser.new_context(locale="id-ID", timezone_id="Asia/Jakarta", accept_downloads=True)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15000)
        return page

    yield _new_page
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page):
    return new_page()


@pytest.fixture
def login(page, live_server):
    def _login(username: str, password: str = PASSWORD, on=None):
        target = on or page
        target.goto(f"{live_server.url}/akun/masuk/")
        target.fill("#id_username", username)
        target.fill("#id_password", password)
        target.click("button[type=submit]")
        target.wait_for_url(f"{live_server.url}/")
        return target

    return _login


@pytest.fixture
def machine():
    """A ZKTeco emulator on loopback holding 12 punches."""
    handle = start_emulator(serial_number="CSP-1", users=3, records=12)
    yield handle
    handle.stop()


@pytest.fixture
def site(monev, machine):  # noqa: F811  (monev is the fixture imported above)
    """The world the CSP, accessibility and journey tests share: the Monev world (2026 obligations) plus a
    month of attendance, desa A's fingerprint machine (the emulator), a leave and a correction request, a
    Musrenbang proposal and meetings, and a notice in the inbox."""
    tenancy = monev
    month_data(tenancy)
    device = Device.objects.create(
        serial_number="CSP-1", desa=tenancy.desa_a, name="Mesin Pucuk", host="127.0.0.1", port=machine.port
    )
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    leave.leave_request(
        actor=tenancy.operator_a,
        perangkat=tenancy.perangkat_a,
        kind="I",
        date_from=yesterday,
        date_to=yesterday,
        reason="Keperluan keluarga",
    )
    corrections.correction_request(
        actor=tenancy.operator_a,
        perangkat=tenancy.perangkat_a,
        date=yesterday,
        kind="in",
        time=dt.time(7, 30),
        reason="Lupa absen",
    )
    schedule(tenancy)
    proposal = make_proposal(tenancy, tenancy.desa_a, "Jalan rabat beton Dusun Krajan", actor=tenancy.operator_a)
    notify.deliveries_create(
        event_key="csp-test",
        kind="reminder",
        recipients=[tenancy.kasi_tapem, tenancy.operator_a],
        kecamatan_id=tenancy.kecamatan.pk,
        desa_id=tenancy.desa_a.pk,
        payload={"title": "LPPD segera jatuh tempo", "message": "Baris pertama\nBaris kedua"},
    )
    notify.dispatch_due()
    return {
        "device": device,
        "obligation": Obligation.objects.get(desa=tenancy.desa_a, document_type__code="LPPD", year=2026),
        "proposal": proposal,
        "meeting": Meeting.objects.get(desa=tenancy.desa_a, kind=MeetingKind.MUSRENBANGDES),
    }
