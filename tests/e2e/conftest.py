"""Browser tests: Playwright (Python) driving Debian's chromium against pytest-django's live server."""

from __future__ import annotations

import os
import shutil

import pytest

from tests.conftest import IN_CI, PASSWORD

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


# The Monev journey reuses the Monev fixtures (obligations, private media in a temporary folder).
from tests.monev.conftest import monev, private_media  # noqa: E402,F401
