"""Issue #14 on the obligation page: every field labelled, a refused form comes back as typed with its error
under the field, an identical file is not silently a new version, and a returned document reads by its
correction deadline (on the page and in the desa's "segera" list)."""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from monev import rules, selectors, services
from monev.models import Extension, Sanction, Submission
from tests.helpers import WIB, login
from tests.monev.conftest import obligation, pdf_bytes, pdf_upload

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(dt.datetime(2026, 8, 3, 9, tzinfo=WIB), tick=False):
        yield


class _Fields(HTMLParser):
    """The visible fields of a page's forms and the ids its <label for> point at."""

    def __init__(self):
        super().__init__()
        self.fields: list[str] = []
        self.labelled: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "label" and a.get("for"):
            self.labelled.append(a["for"])
        elif tag in {"input", "select", "textarea"} and a.get("type") not in {"hidden", "submit"}:
            self.fields.append(a.get("id") or f"<{tag} name={a.get('name')} without id>")


def fields_of(html: str) -> _Fields:
    """Within the page's <main>: the site-wide navigation (language switch) is another session's business."""
    parser = _Fields()
    parser.feed(html[html.index("<main") : html.index("</main>")])
    return parser


def test_every_field_of_the_obligation_page_has_its_own_label(client, monev, private_media):
    o = obligation(monev.desa_a, "RKPDES")
    services.submission_create(actor=monev.operator_a, obligation=o, document=pdf_upload())
    late = obligation(monev.desa_a, "SPJ_DD", period="TAHAP1")  # due 31/07: late, so the teguran form shows
    for user, target in [(monev.operator_a, o), (monev.kasi_tapem, o), (monev.kasi_tapem, late)]:
        html = login(client, user).get(reverse("monev-obligation", args=[target.pk])).content.decode()
        page = fields_of(html)
        assert page.fields, "the page has forms"
        assert sorted(set(page.fields)) == sorted(page.fields), "every id once"
        assert [f for f in page.fields if f not in page.labelled] == []
    # The forms named in the issue are all there for the Kasi.
    html = login(client, monev.kasi_tapem).get(reverse("monev-obligation", args=[late.pk])).content.decode()
    for field_id in ("extension_reason", "extension_new_due_date", "reason_reason", "sanction_letter_number"):
        assert f'for="{field_id}"' in html and f'id="{field_id}"' in html


def test_a_refused_dispensasi_keeps_what_was_typed_and_says_what_is_wrong(client, monev):
    o = obligation(monev.desa_a, "LPPD")
    login(client, monev.kasi_tapem)
    response = client.post(reverse("monev-extend", args=[o.pk]), {"new_due_date": "15/09/2026", "reason": ""})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'value="15/09/2026"' in html  # the date is not cleared
    error = re.search(r'data-testid="error-reason">([^<]*)<', html)
    assert error and error.group(1) == "Bidang ini harus diisi."
    assert not Extension.objects.exists()


def test_a_refused_teguran_keeps_number_and_note(client, monev):
    on_time = obligation(monev.desa_a, "LPPD")  # not late: the service refuses, the form stays as typed
    login(client, monev.kasi_tapem)
    data = {"level": "tertulis_1", "letter_number": "140/77/2026", "note": "Sudah diingatkan lisan."}
    response = client.post(reverse("monev-sanction-create", args=[on_time.pk]), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert 'value="140/77/2026"' in html and "Sudah diingatkan lisan.</textarea>" in html
    assert "Teguran hanya untuk kewajiban yang terlambat." in html
    assert not Sanction.objects.exists()


def test_a_refused_review_keeps_the_note(client, monev, private_media):
    o = obligation(monev.desa_a, "LPPD")
    sub = services.submission_create(actor=monev.operator_a, obligation=o, document=pdf_upload())
    login(client, monev.kasi_tapem)
    response = client.post(reverse("monev-review", args=[sub.pk]), {"note": "Tanda tangan kurang"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Tanda tangan kurang</textarea>" in html and 'data-testid="error-decision"' in html


# Identical file ----------------------------------------------------------------------------------------


def test_the_same_file_again_is_refused_unless_confirmed(monev, private_media):
    o = obligation(monev.desa_a, "LPPD")
    data = pdf_bytes("Laporan yang sama")
    first = services.submission_create(
        actor=monev.operator_a, obligation=o, document=pdf_upload(title="Laporan yang sama")
    )
    assert first.files.get().sha256
    with pytest.raises(ValidationError) as refused:
        services.submission_create(actor=monev.operator_a, obligation=o, document=pdf_upload(title="Laporan yang sama"))
    assert refused.value.message_dict["document"] == [
        "Berkas ini sama dengan versi 1 yang sudah dikirim pada 03/08/2026. Centang “Tetap kirim berkas yang sama” "
        "bila memang ingin mengirimnya lagi."
    ]
    assert Submission.objects.filter(obligation=o).count() == 1
    second = services.submission_create(
        actor=monev.operator_a, obligation=o, document=pdf_upload(title="Laporan yang sama"), confirm_duplicate=True
    )
    assert second.version == 2 and second.files.get().sha256 == first.files.get().sha256
    assert data == pdf_bytes("Laporan yang sama")  # the helper is deterministic: the refusal is about content


def test_the_same_file_on_the_page_comes_back_with_the_warning_and_the_typed_fields(client, monev, private_media):
    o = obligation(monev.desa_a, "LPPD")
    services.submission_create(actor=monev.operator_a, obligation=o, document=pdf_upload(title="Sama"))
    login(client, monev.operator_a)
    url = reverse("monev-submit", args=[o.pk])
    data = {"document": pdf_upload(title="Sama"), "document_number": "7/2026", "notes": "Versi kedua"}
    response = client.post(url, data)
    assert response.status_code == 400
    html = response.content.decode()
    assert 'data-testid="error-document">Berkas ini sama dengan versi 1 yang sudah dikirim pada 03/08/2026.' in html
    assert 'value="7/2026"' in html and "Versi kedua</textarea>" in html
    assert 'id="id_confirm_duplicate"' in html and 'for="id_confirm_duplicate"' in html
    again = {"document": pdf_upload(title="Sama"), "document_number": "7/2026", "confirm_duplicate": "on"}
    assert client.post(url, again).status_code == 302
    assert Submission.objects.filter(obligation=o).count() == 2


def test_the_upload_form_is_marked_for_progress_and_loads_the_script(client, monev, settings):
    o = obligation(monev.desa_a, "LPPD")
    html = login(client, monev.operator_a).get(reverse("monev-obligation", args=[o.pk])).content.decode()
    form = re.search(r'<form [^>]*data-testid="submit-form"[^>]*>', html, re.S)
    assert form and "data-upload-progress" in form.group(0)
    assert "<progress" in html and "/static/portal/upload.js" in html
    assert "<script>" not in html  # CSP: no inline script
    source = (settings.BASE_DIR / "portal/static/portal/upload.js").read_text()
    assert 'xhr.upload.addEventListener("progress"' in source and "data-upload-progress" in source


# Deadlines after a return ------------------------------------------------------------------------------


def returned(monev, code: str, period: str = ""):
    o = obligation(monev.desa_a, code, period=period)
    sub = services.submission_create(actor=monev.operator_a, obligation=o, document=pdf_upload())
    services.submission_review(actor=monev.kasi_tapem, submission=sub, decision="return", note="Perbaiki")
    o.refresh_from_db()
    return o


def test_a_returned_obligation_shows_its_correction_deadline_as_the_deadline(client, monev, private_media):
    o = returned(monev, "LPPD")
    assert o.correction_due_date and o.correction_due_date != o.due_date
    html = login(client, monev.operator_a).get(reverse("monev-obligation", args=[o.pk])).content.decode()
    due = re.search(r'data-testid="due">([^<]*)<', html).group(1)
    assert due == f"{o.correction_due_date:%d/%m/%Y}"
    assert re.search(r'data-testid="original-due">[^<]*' + f"{o.due_date:%d/%m/%Y}", html)
    assert f'Tenggat: <strong data-testid="due">{o.due_date:%d/%m/%Y}' not in html


def test_segera_orders_a_returned_item_by_its_correction_deadline(client, monev, private_media):
    o = returned(monev, "LPPD")
    rows = selectors.upcoming_for_desa(user=monev.operator_a, desa=monev.desa_a, today=dt.date(2026, 8, 3))
    deadlines = [r.deadline for r in rows]
    assert deadlines == sorted(deadlines)
    mine = next(r for r in rows if r.pk == o.pk)
    assert mine.deadline == o.correction_due_date == rules.deadline_in_force(o.state, o.due_date, o.correction_due_date)
    html = login(client, monev.operator_a).get(reverse("monev-desa", args=[monev.desa_a.kode])).content.decode()
    assert f"Batas perbaikan {o.correction_due_date:%d/%m/%Y}" in html


def test_deadline_in_force_rule():
    due, correction = dt.date(2026, 12, 15), dt.date(2026, 12, 10)
    assert rules.deadline_in_force("dikembalikan", due, correction) == correction
    assert rules.deadline_in_force("dikirim", due, correction) == due
    assert rules.deadline_in_force("dikembalikan", due, None) == due


def test_the_api_refuses_the_same_file_unless_confirmed(monev, private_media):
    o = obligation(monev.desa_a, "LPPD")
    api = monev.client(monev.operator_a)
    url = reverse("api:obligation-submissions", args=[o.pk])
    assert api.post(url, {"document": pdf_upload(title="Sama")}, format="multipart").status_code == 201
    refused = api.post(url, {"document": pdf_upload(title="Sama")}, format="multipart")
    assert refused.status_code == 400
    assert refused.json()["fields"]["document"][0].startswith("Berkas ini sama dengan versi 1")
    again = api.post(url, {"document": pdf_upload(title="Sama"), "confirm_duplicate": True}, format="multipart")
    assert again.status_code == 201 and again.json()["version"] == 2
