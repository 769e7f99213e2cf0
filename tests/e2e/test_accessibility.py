"""Accessibility in a real browser: axe-core (WCAG 2.1 A and AA rules, through axe-playwright-python) finds no
serious or critical violation on the main pages, for a Kasi Tapem, a desa operator, the Camat and a visitor who
is not logged in, on an office monitor (1366×768) and on a phone (390×844); and no page scrolls sideways: a wide
table scrolls inside its own ``.table-responsive`` box, which the keyboard can reach."""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD
from tests.e2e.helpers import SIZES, problems_on

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
DESA_A = "35.24.13.2001"

# The pages every logged-in role opens; {obligation} is desa A's LPPD 2026.
COMMON = [
    "/",
    "/desa/",
    f"/desa/{DESA_A}/",
    "/perangkat/",
    "/monev/kewajiban/{obligation}/",
    "/musrenbang/?tahun=2026",
    "/musrenbang/usulan/?tahun=2026",
    "/absensi/",
    "/absensi/rekap/?bulan=2026-03",
    f"/absensi/rekap/{DESA_A}/?bulan=2026-03",
    "/absensi/mesin/",
    "/absensi/izin/",
    "/absensi/koreksi/",
    "/pemberitahuan/",
]
# Monev III's pages: the plan, visits, recommendations, a desa's APBDes figures, the indicators.
MONEV_III = [
    "/monev/rencana/?tahun=2026",
    "/monev/kunjungan/?tahun=2026",
    "/monev/rekomendasi/",
    f"/monev/apbdes/desa/{DESA_A}/2026/",
    "/monev/iku/?tahun=2019",
    "/monev/iku/program/",
]
PAGES = {
    "kasitapem": COMMON + ["/monev/?tahun=2026", "/absensi/absen/", *MONEV_III],
    "op_a": COMMON + [f"/monev/desa/{DESA_A}/?tahun=2026", "/monev/rekomendasi/", f"/monev/apbdes/desa/{DESA_A}/2026/"],
    "camat": COMMON + ["/monev/?tahun=2026", "/absensi/absen/", "/monev/iku/?tahun=2019"],
}


def check(page, url: str, paths: list[str]) -> dict[str, list[str]]:
    report = {}
    for path in paths:
        response = page.goto(url + path)
        if found := ([] if response.ok else [f"HTTP {response.status}"]) or problems_on(page):
            report[path] = found
    return report


def described(report: dict[str, list[str]]) -> str:
    return "\n".join(f"{path}\n  " + "\n  ".join(found) for path, found in report.items())


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("username", PAGES)
def test_main_pages_are_accessible(site, new_page, live_server, username, size):
    page = new_page()
    page.set_viewport_size(dict(zip(("width", "height"), SIZES[size], strict=True)))
    page.goto(f"{live_server.url}/akun/masuk/")
    report = {}
    if login_found := problems_on(page):
        report["/akun/masuk/"] = login_found
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    paths = [path.replace("{obligation}", str(site["obligation"].pk)) for path in PAGES[username]]
    report |= check(page, live_server.url, paths)
    assert report == {}, f"{username} at {size}:\n{described(report)}"


@pytest.mark.parametrize("size", SIZES)
def test_navigation_fits_and_opens_on_a_phone(site, new_page, live_server, size):
    """The top bar holds the longest role and scope at 1366 px; on a phone it folds behind the toggler."""
    page = new_page()
    width, height = SIZES[size]
    page.set_viewport_size({"width": width, "height": height})
    page.goto(f"{live_server.url}/akun/masuk/")
    page.fill("#id_username", "kasitapem")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    nav = page.get_by_role("navigation", name="Navigasi utama")
    assert nav.count() == 1
    box = nav.bounding_box()
    assert box["width"] <= width
    toggler = page.locator(".navbar-toggler")
    if size == "phone":
        assert toggler.is_visible() and not page.get_by_test_id("user-menu").is_visible()
        toggler.click()
        page.get_by_test_id("user-menu").wait_for()
        assert page.get_by_role("link", name="Absensi").is_visible()
    else:
        assert not toggler.is_visible() and page.get_by_test_id("user-menu").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_login_page_is_styled_and_says_once_what_is_wrong(tenancy, new_page, live_server):
    """The login fields carry Bootstrap's form-control, a wrong password names the fields once (Django's text
    doubled "nama pengguna"), and every page links the portal's own favicon."""
    page = new_page()
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/akun/masuk/")
    for field in ("#id_username", "#id_password"):
        assert "form-control" in page.locator(field).get_attribute("class")
    page.fill("#id_username", "op_a")
    page.fill("#id_password", "salah")
    page.click("button[type=submit]")
    error = page.locator(".alert-danger").inner_text()
    assert error == "Masukkan nama pengguna dan sandi yang benar. Huruf besar dan kecil dibedakan."
    assert problems_on(page) == []
    icon = page.locator("link[rel=icon]").get_attribute("href")
    response = page.request.get(live_server.url + icon)
    assert response.ok and response.headers["content-type"].startswith("image/svg+xml")
