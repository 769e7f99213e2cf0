"""The Content-Security-Policy in a real browser: every main page, for a Kasi Tapem, a desa operator, a
visitor who is not logged in and the admin, carries the enforced header and makes chromium report no
violation (no inline script, handler or style left), with no script error. The behaviour moved to static
files still works: the language switch and the year pickers submit, the device page's "Tarik sekarang" pulls,
the API docs render, the periodic task form explains its crontab."""

from __future__ import annotations

import pytest
from django_celery_beat.models import CrontabSchedule

from portal.choices import Role
from tests.conftest import PASSWORD
from tests.factories import UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
DESA_A = "35.24.13.2001"

# Runs before any script of each document: every violation the browser reports lands in window.__csp.
RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(`${e.effectiveDirective} blocked ${e.blockedURI || "inline"} at ${e.sourceFile}:${e.lineNumber}`);
});
"""


@pytest.fixture
def watched(new_page):
    """New pages that record CSP violations (the event listener above, and chromium's console messages) and
    uncaught script errors; ``problems`` holds what the console and the script errors said."""
    problems: list[str] = []

    def _new_page():
        page = new_page()
        page.add_init_script(RECORD_VIOLATIONS)
        page.on("console", lambda m: "Content Security Policy" in m.text and problems.append(m.text))
        page.on("pageerror", lambda error: problems.append(f"script error on {page.url}: {error}"))
        return page

    _new_page.problems = problems
    return _new_page


def login(page, url: str, username: str) -> None:
    visit(page, f"{url}/akun/masuk/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{url}/")


def visit(page, url: str) -> None:
    response = page.goto(url)
    assert response.ok, f"{url}: {response.status}"
    policy = response.headers.get("content-security-policy", "")
    assert "script-src 'self'" in policy and "unsafe" not in policy, f"{url}: {policy!r}"
    assert_clean(page)


def assert_clean(page) -> None:
    violations = page.evaluate("window.__csp")
    assert violations == [], f"{page.url}: {violations}"


def pick_another_year(page, select) -> str:
    """Choose a year other than the shown one in a year picker; returns it once the page has reloaded."""
    current = select.input_value()
    other = next(v for v in select.locator("option").evaluate_all("os => os.map(o => o.value)") if v != current)
    with page.expect_navigation():
        select.select_option(other)
    return other


def test_policy_header(client):
    policy = client.get("/akun/masuk/").headers["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives == {
        "default-src": "'self'",
        "script-src": "'self'",
        "style-src": "'self'",
        "img-src": "'self' data:",
        "font-src": "'self'",
        "connect-src": "'self'",
        "object-src": "'none'",
        "base-uri": "'none'",
        "frame-ancestors": "'none'",
        "form-action": "'self'",
    }
    # The API docs page loads its init script from a URL (the split view) instead of inline.
    docs = client.get("/api/docs/").content.decode()
    assert "<script>" not in docs and "<style>" not in docs and "/api/docs/?script=" in docs
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200 and script["Content-Type"].startswith("application/javascript")


def test_kasi_tapem_pages_pass_the_policy(site, tenancy, watched, live_server):
    url = live_server.url
    page = watched()
    login(page, url, "kasitapem")
    device, obligation, proposal, meeting = (site[k] for k in ("device", "obligation", "proposal", "meeting"))
    for path in [
        "/",
        "/desa/",
        f"/desa/{DESA_A}/",
        "/perangkat/",
        f"/perangkat/{tenancy.perangkat_a.pk}/",
        "/perangkat/impor/",
        "/monev/?tahun=2026",
        f"/monev/desa/{DESA_A}/?tahun=2026",
        f"/monev/kewajiban/{obligation.pk}/",
        "/absensi/",
        "/absensi/rekap/?bulan=2026-03",
        f"/absensi/rekap/{DESA_A}/?bulan=2026-03",
        "/absensi/mesin/",
        "/absensi/pin-belum-ditautkan/",
        "/absensi/absen/",
        "/absensi/koreksi/",
        "/absensi/jam-kerja/",
        "/absensi/jam-kerja/baru/",
        "/absensi/izin/",
        "/musrenbang/?tahun=2026",
        "/musrenbang/usulan/?tahun=2026",
        f"/musrenbang/usulan/{proposal.pk}/",
        f"/musrenbang/musyawarah/{meeting.pk}/",
        "/musrenbang/peringkat/?tahun=2026",
        "/pemberitahuan/",
        "/akun/pemberitahuan/",
        "/akun/token/",
        "/akun/password_change/",
    ]:
        visit(page, url + path)
    assert page.get_by_test_id("user-menu").is_visible()

    # The device page: its script (a static file now) pulls from the emulated machine and reports the run.
    visit(page, f"{url}/absensi/mesin/{device.pk}/")
    page.click("#pull-now")
    status = page.get_by_test_id("pull-status")
    status.filter(has_text="Selesai").wait_for(timeout=20000)
    assert status.inner_text() == "Selesai: 12 dibaca, 12 baru, 0 sudah tersimpan sebelumnya (tidak diulang)."
    assert_clean(page)

    # The Musrenbang year picker submits on change (data-autosubmit in portal/site.js).
    visit(page, f"{url}/musrenbang/?tahun=2026")
    picker = page.locator("[data-testid=year-picker] select[name=tahun]")
    year = pick_another_year(page, picker)
    assert f"tahun={year}" in page.url and picker.input_value() == year
    assert_clean(page)

    # The Swagger UI renders from the sidecar's static files and its split init script (?script=).
    visit(page, f"{url}/api/docs/")
    page.locator(".swagger-ui .opblock").first.wait_for()
    assert "Pantau Desa API" in page.locator(".swagger-ui .info").inner_text()
    assert_clean(page)
    assert watched.problems == []


def test_operator_pages_pass_the_policy(site, watched, live_server):
    url = live_server.url
    page = watched()
    login(page, url, "op_a")
    device, obligation, proposal, meeting = (site[k] for k in ("device", "obligation", "proposal", "meeting"))
    for path in [
        "/",
        "/desa/",
        f"/desa/{DESA_A}/",
        "/perangkat/",
        "/perangkat/tambah/",
        "/monev/",  # redirects to the operator's desa
        f"/monev/kewajiban/{obligation.pk}/",
        "/absensi/",
        "/absensi/rekap/?bulan=2026-03",
        f"/absensi/rekap/{DESA_A}/?bulan=2026-03",
        "/absensi/mesin/",
        f"/absensi/mesin/{device.pk}/",  # without the pull button: the script loads and does nothing
        "/absensi/koreksi/",
        "/absensi/koreksi/baru/",
        "/absensi/jam-kerja/",
        "/absensi/izin/",
        "/absensi/izin/baru/",
        "/musrenbang/?tahun=2026",
        "/musrenbang/usulan/?tahun=2026",
        "/musrenbang/usulan/baru/",
        f"/musrenbang/usulan/{proposal.pk}/",
        f"/musrenbang/musyawarah/{meeting.pk}/",
        "/pemberitahuan/",
        "/akun/token/",
    ]:
        visit(page, url + path)

    # The Monev year picker submits on change.
    visit(page, f"{url}/monev/desa/{DESA_A}/?tahun=2026")
    picker = page.locator("select[name=tahun]")
    year = pick_another_year(page, picker)
    assert f"tahun={year}" in page.url and picker.input_value() == year

    # The language switch in the footer submits on change, and back.
    with page.expect_navigation():
        page.select_option("select[name=language]", "en")
    assert page.locator("html").get_attribute("lang") == "en"
    assert_clean(page)
    with page.expect_navigation():
        page.select_option("select[name=language]", "id")
    assert page.locator("html").get_attribute("lang") == "id"
    assert_clean(page)
    assert watched.problems == []


def test_pages_before_login_pass_the_policy(watched, live_server):
    page = watched()
    for path in ["/akun/masuk/", "/akun/password_reset/"]:
        visit(page, live_server.url + path)
    with page.expect_navigation():
        page.select_option("select[name=language]", "en")
    assert page.locator("html").get_attribute("lang") == "en"
    assert_clean(page)
    assert watched.problems == []


def test_admin_pages_pass_the_policy(tenancy, watched, live_server):
    UserFactory(username="admin1", role=Role.ADMIN, is_staff=True, is_superuser=True)
    crontab = CrontabSchedule.objects.create(minute="0", hour="8")
    url = live_server.url
    page = watched()
    login(page, url, "admin1")
    for path in [
        "/admin/",
        "/admin/portal/perangkat/",
        f"/admin/portal/perangkat/{tenancy.perangkat_a.pk}/change/",
        "/admin/portal/user/add/",
    ]:
        visit(page, url + path)

    # django-celery-beat's script, moved to portal/static/portal/periodictask_form.js, still explains a crontab.
    visit(page, f"{url}/admin/django_celery_beat/periodictask/add/")
    page.select_option("#id_crontab", str(crontab.pk))
    assert f"Translation: {crontab.human_readable}" in page.locator(".field-crontab .help").inner_text()
    assert_clean(page)
    assert watched.problems == []
