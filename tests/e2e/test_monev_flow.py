"""The Monev journey in a real browser: an operator uploads a PDF, the Kasi Tapem sees it on the board and
returns it with a note, the operator resubmits, the Kasi Tapem accepts."""

import pytest

from monev.models import Obligation
from tests.monev.conftest import pdf_bytes

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def pdf_file(tmp_path):
    path = tmp_path / "LPPD Desa Pucuk 2026.pdf"
    path.write_bytes(pdf_bytes("LPPD"))
    return path


def test_upload_return_resubmit_accept(monev, new_page, login, live_server, pdf_file, private_media):
    url = live_server.url
    lppd = Obligation.objects.get(desa=monev.desa_a, document_type__code="LPPD", year=2026)

    operator = login("op_a", on=new_page())
    operator.goto(f"{url}/monev/desa/35.24.13.2001/?tahun=2026")
    operator.click("text=LPPD akhir tahun anggaran 2026")
    operator.set_input_files("#id_document", str(pdf_file))
    operator.fill("#id_document_number", "140/12/2027")
    # The upload goes through portal/static/portal/upload.js: its <progress> moves while the file is sent.
    progress: list[float] = []
    operator.expose_function("recordProgress", lambda value: progress.append(value))
    operator.evaluate(
        """() => {
          const bar = document.querySelector("[data-testid=submit-form] progress");
          new MutationObserver(() => window.recordProgress(bar.value)).observe(bar, {attributes: true});
        }"""
    )
    operator.click("[data-testid=submit-form] button[type=submit]")
    operator.wait_for_selector("text=Dokumen terkirim")
    assert progress and progress[-1] == 100
    assert operator.get_by_test_id("state").inner_text() == "Dikirim"

    kasi = login("kasitapem", on=new_page())
    kasi.goto(f"{url}/monev/?tahun=2026&jenis=LPPD")
    cell = kasi.locator("tr[data-desa='35.24.13.2001'] [data-state]")
    assert cell.inner_text() == "Dikirim"
    cell.click()
    kasi.check("input[value=return]")
    kasi.fill("[data-testid=review-form] textarea", "Tanda tangan Kepala Desa belum ada")
    kasi.click("[data-testid=review-form] button")
    assert kasi.get_by_test_id("state").inner_text() == "Dikembalikan"

    operator.reload()
    assert operator.get_by_test_id("state").inner_text() == "Dikembalikan"
    assert "Tanda tangan Kepala Desa belum ada" in operator.content()
    # The same file again: refused with the version it repeats, the typed number kept, until confirmed.
    operator.set_input_files("#id_document", str(pdf_file))
    operator.fill("#id_document_number", "140/12/2027")
    operator.click("[data-testid=submit-form] button[type=submit]")
    operator.wait_for_selector("[data-testid=error-document]")
    assert operator.get_by_test_id("error-document").inner_text().startswith("Berkas ini sama dengan versi 1")
    assert operator.input_value("#id_document_number") == "140/12/2027"
    operator.set_input_files("#id_document", str(pdf_file))
    operator.check("#id_confirm_duplicate")
    operator.click("[data-testid=submit-form] button[type=submit]")
    operator.wait_for_selector("text=Dokumen terkirim")
    assert operator.get_by_test_id("state").inner_text() == "Dikirim"
    assert operator.get_by_test_id("submission-v2").is_visible()

    kasi.goto(f"{url}/monev/?tahun=2026&jenis=LPPD")
    kasi.locator("tr[data-desa='35.24.13.2001'] [data-state]").click()
    kasi.check("input[value=accept]")
    kasi.click("[data-testid=review-form] button")
    assert kasi.get_by_test_id("state").inner_text() == "Diterima"

    lppd.refresh_from_db()
    assert lppd.state == "diterima" and lppd.on_time is True
    assert lppd.submissions.count() == 2
    kasi.goto(f"{url}/monev/?tahun=2026&jenis=LPPD")
    assert kasi.locator("tr[data-desa='35.24.13.2001'] [data-state]").inner_text() == "Diterima"

    # The accepted file downloads for the operator with its own name.
    operator.reload()
    with operator.expect_download() as download:
        operator.click("[data-testid=submission-v2] a:has-text('.pdf')")
    assert download.value.suggested_filename == "LPPD Desa Pucuk 2026.pdf"
