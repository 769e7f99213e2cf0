"""Monev web pages: the rightful user gets each page and action, an outsider a 404 and nothing changes.
The clock stands still on Monday 3 August 2026, 09:00 WIB."""

import datetime as dt
import io
import re

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from monev import services
from monev.models import Extension, Obligation, Submission, SubmissionFile, Transition
from tests.factories import DesaFactory
from tests.helpers import WIB, login, stored_files
from tests.monev.conftest import YEAR, obligation, pdf_bytes, pdf_upload

pytestmark = pytest.mark.django_db
FOREIGN = ["outsider", "outsider_operator", "operator_b"]  # none of them may touch desa A's rows


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(dt.datetime(2026, 8, 3, 9, tzinfo=WIB), tick=False):
        yield


def submit(user, o, data: bytes | None = None):
    document = SimpleUploadedFile("laporan.pdf", data or pdf_bytes(), content_type="application/pdf")
    return services.submission_create(actor=user, obligation=o, document=document)


def texts(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def snapshot():
    """Everything an action could change."""
    return (
        list(
            Obligation.objects.order_by("id").values_list(
                "id", "state", "trigger_date", "due_date", "not_applicable_reason"
            )
        ),
        list(Submission.objects.order_by("id").values_list("id", "status", "review_note")),
        Extension.objects.count(),
        SubmissionFile.objects.count(),
        Transition.objects.count(),
    )


# Board and desa page -----------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["kasi_tapem", "camat"])
def test_board_shows_the_kecamatan_only(client, monev, who):
    response = login(client, getattr(monev, who)).get(reverse("monev-board"), {"tahun": YEAR})
    assert response.status_code == 200
    html = response.content.decode()
    for desa in (monev.desa_a, monev.desa_b):
        assert f'data-desa="{desa.kode}"' in html and desa.nama in html
    assert monev.other_desa.kode not in html and "Sukodadi" not in html


def test_outsider_board_does_not_show_pucuk(client, monev):
    html = login(client, monev.outsider).get(reverse("monev-board"), {"tahun": YEAR}).content.decode()
    assert 'data-desa="35.24.14.2001"' in html
    assert "35.24.13." not in html and "Gempolpading" not in html


def test_desa_user_is_sent_to_own_desa_page(client, monev):
    response = login(client, monev.operator_a).get(reverse("monev-board"))
    assert response.status_code == 302
    assert response["Location"] == reverse("monev-desa", args=["35.24.13.2001"])


def test_board_queries_do_not_grow(client, monev):
    login(client, monev.kasi_tapem)

    def measure():
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(reverse("monev-board"), {"tahun": YEAR})
        assert response.status_code == 200
        return len(ctx.captured_queries), response.content.decode().count("data-desa=")

    before, rows_before = measure()
    for _ in range(20):
        DesaFactory(kecamatan=monev.kecamatan)
    services.obligations_generate(year=YEAR)
    after, rows_after = measure()
    assert (rows_before, rows_after) == (2, 22)
    assert after == before


@pytest.mark.parametrize(
    "who, kode, status",
    [
        ("operator_a", "35.24.13.2001", 200),
        ("operator_a", "35.24.13.2002", 404),
        ("kasi_tapem", "35.24.13.2001", 200),
        ("kasi_tapem", "35.24.13.2002", 200),
        ("outsider", "35.24.13.2001", 404),
        ("outsider", "35.24.13.2002", 404),
        ("outsider_operator", "35.24.13.2001", 404),
        ("kasi_tapem", "35.24.14.2001", 404),
    ],
)
def test_desa_page(client, monev, who, kode, status):
    response = login(client, getattr(monev, who)).get(reverse("monev-desa", args=[kode]), {"tahun": YEAR})
    assert response.status_code == status
    lppd = Obligation.objects.get(desa__kode=kode, document_type__code="LPPD", year=YEAR)
    assert (reverse("monev-obligation", args=[lppd.pk]) in response.content.decode()) == (status == 200)


@pytest.mark.parametrize(
    "who, status", [("operator_a", 200), ("kades_a", 200), ("kasi_tapem", 200)] + [(w, 404) for w in FOREIGN]
)
def test_obligation_page(client, monev, who, status):
    o = obligation(monev.desa_a, "LPPD")
    submit(monev.operator_a, o)
    response = login(client, getattr(monev, who)).get(reverse("monev-obligation", args=[o.pk]))
    assert response.status_code == status
    assert (o.title in response.content.decode()) == (status == 200)


# Actions: outsiders ------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", FOREIGN)
def test_foreign_users_get_404_on_every_action(client, monev, private_media, who):
    o = obligation(monev.desa_a, "RAPERDES_APBDES")
    lppd = obligation(monev.desa_a, "LPPD")
    sub = submit(monev.operator_a, lppd, pdf_bytes("milik desa A"))
    ippd = services.obligation_mark_not_applicable(
        actor=monev.kasi_tapem, obligation=obligation(monev.desa_a, "IPPD"), reason="Digabung"
    )
    files_before = stored_files(private_media)
    before = snapshot()
    login(client, getattr(monev, who))
    posts = [
        (reverse("monev-submit", args=[o.pk]), {"document": pdf_upload()}),
        (reverse("monev-trigger", args=[o.pk]), {"trigger_date": "16/03/2026"}),
        (reverse("monev-extend", args=[o.pk]), {"new_due_date": "31/12/2026", "reason": "x"}),
        (reverse("monev-not-applicable", args=[o.pk]), {"reason": "x"}),
        (reverse("monev-reopen", args=[ippd.pk]), {"reason": "x"}),
        (reverse("monev-review", args=[sub.pk]), {"decision": "accept"}),
        (
            reverse("monev-event-create", args=["35.24.13.2001", "PERDES"]),
            {"label": "Perdes 1", "trigger_date": "01/08/2026"},
        ),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == 404, url
    for url in (reverse("monev-obligation", args=[o.pk]), reverse("monev-file", args=[sub.files.get().pk])):
        response = client.get(url)
        assert response.status_code == 404 and b"milik desa A" not in response.content
    assert snapshot() == before
    assert stored_files(private_media) == files_before


# Actions: rightful flows -------------------------------------------------------------------------------


def test_web_submit_then_review(client, monev, private_media):
    o = obligation(monev.desa_a, "LPPD")
    login(client, monev.operator_a)
    response = client.post(
        reverse("monev-submit", args=[o.pk]), {"document": pdf_upload(), "document_number": "7/2026"}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("monev-obligation", args=[o.pk])
    assert "Dokumen terkirim. Kecamatan akan memverifikasinya." in texts(response)
    first = Submission.objects.get(obligation=o)
    assert (first.version, first.document_number, first.submitted_by) == (1, "7/2026", monev.operator_a)
    o.refresh_from_db()
    assert o.state == "dikirim" and len(stored_files(private_media)) == 1
    # The operator may not verify; the refusal comes after the scope check (the submission is theirs to see).
    assert client.post(reverse("monev-review", args=[first.pk]), {"decision": "accept"}).status_code == 403
    login(client, monev.kasi_tapem)
    client.post(reverse("monev-review", args=[first.pk]), {"decision": "return", "note": "Tanda tangan kurang"})
    o.refresh_from_db()
    assert (o.state, o.correction_due_date) == ("dikembalikan", dt.date(2026, 8, 12))
    login(client, monev.operator_a)
    client.post(reverse("monev-submit", args=[o.pk]), {"document": pdf_upload(title="Dokumen perbaikan")})
    second = Submission.objects.get(obligation=o, version=2)
    login(client, monev.kasi_tapem)
    response = client.post(reverse("monev-review", args=[second.pk]), {"decision": "accept"}, follow=True)
    assert "Hasil verifikasi disimpan." in texts(response)
    o.refresh_from_db()
    assert (o.state, o.on_time, o.days_late) == ("diterima", True, 0) and o.accepted_at is not None


def test_web_trigger_extend_not_applicable_reopen(client, monev):
    raperdes, lppd, ippd = (obligation(monev.desa_a, c) for c in ("RAPERDES_APBDES", "LPPD", "IPPD"))
    login(client, monev.operator_a)
    client.post(reverse("monev-trigger", args=[raperdes.pk]), {"trigger_date": "16/03/2026"})
    raperdes.refresh_from_db()
    # 16/03 + 3 calendar days = Nyepi 19/03: the legal date is not moved (it rolled to 25/03 before
    # "Trustworthy verdicts").
    assert (raperdes.trigger_date, raperdes.due_date) == (dt.date(2026, 3, 16), dt.date(2026, 3, 19))
    assert (
        client.post(reverse("monev-extend", args=[lppd.pk]), {"new_due_date": "30/04/2027", "reason": "x"}).status_code
        == 403
    )
    assert client.post(reverse("monev-not-applicable", args=[ippd.pk]), {"reason": "x"}).status_code == 403
    assert not Extension.objects.exists()
    login(client, monev.kasi_tapem)
    client.post(reverse("monev-extend", args=[lppd.pk]), {"new_due_date": "30/04/2027", "reason": "Banjir"})
    lppd.refresh_from_db()
    assert (lppd.state, lppd.due_date) == ("dispensasi", dt.date(2027, 4, 30))
    client.post(reverse("monev-not-applicable", args=[ippd.pk]), {"reason": "Digabung dengan LPPD"})
    ippd.refresh_from_db()
    assert ippd.state == "tidak_berlaku"
    login(client, monev.operator_a)
    assert client.post(reverse("monev-reopen", args=[ippd.pk]), {"reason": "x"}).status_code == 403
    login(client, monev.kasi_tapem)
    client.post(reverse("monev-reopen", args=[ippd.pk]), {"reason": "Ternyata wajib"})
    ippd.refresh_from_db()
    assert ippd.state == "belum"


def test_web_event_create(client, monev):
    login(client, monev.operator_a)
    response = client.post(
        reverse("monev-event-create", args=["35.24.13.2001", "PERDES"]),
        {"label": "Perdes No. 3 Tahun 2026", "trigger_date": "03/08/2026"},
    )
    o = Obligation.objects.get(desa=monev.desa_a, document_type__code="PERDES")
    assert response["Location"] == reverse("monev-obligation", args=[o.pk])
    assert (o.period_label, o.due_date) == ("Perdes No. 3 Tahun 2026", dt.date(2026, 8, 10))
    url = reverse("monev-event-create", args=["35.24.13.2002", "PERDES"])
    assert client.post(url, {"label": "Perdes 1", "trigger_date": "03/08/2026"}).status_code == 404


def event_form(html: str) -> str:
    return re.search(r'<form [^>]*data-testid="event-form-PERDES".*?</form>', html, re.S).group(0)


def test_every_field_of_the_event_form_has_a_visible_label(client, monev):
    html = login(client, monev.operator_a).get(reverse("monev-desa", args=["35.24.13.2001"])).content.decode()
    form = event_form(html)
    ids = re.findall(r'<(?:input|select|textarea) (?![^>]*type="hidden")[^>]*\bid="([^"]+)"', form)
    assert ids == ["event_perdes_label", "event_perdes_trigger_date"]
    for field_id in ids:
        assert re.search(rf'<label class="form-label" for="{field_id}">[^<]+</label>', form), field_id
    assert 'for="event_perdes_trigger_date">Tanggal Perdes diundangkan<' in form


@pytest.mark.parametrize(
    ("data", "field", "error"),
    [
        (
            {"label": "Perdes No. 3 Tahun 2026", "trigger_date": "31/02/2026"},
            "trigger_date",
            "Masukkan tanggal yang valid.",
        ),
        ({"label": " ", "trigger_date": "03/08/2026"}, "label", "Bidang ini harus diisi."),
    ],
)
def test_a_refused_event_keeps_what_was_typed_and_says_what_is_wrong(client, monev, data, field, error):
    login(client, monev.operator_a)
    response = client.post(reverse("monev-event-create", args=["35.24.13.2001", "PERDES"]), data)
    assert response.status_code == 400 and texts(response) == []
    form = event_form(response.content.decode())
    typed = [value for value in (data["label"].strip(), data["trigger_date"]) if value]
    assert all(f'value="{value}"' in form for value in typed), typed
    assert re.search(rf'data-testid="error-{field}">{re.escape(error)}<', form)
    assert '<details class="mb-3" open>' in response.content.decode()  # the form stays unfolded
    assert not Obligation.objects.filter(document_type__code="PERDES").exists()


def test_an_event_type_the_page_does_not_offer_is_404(client, monev):
    login(client, monev.operator_a)
    url = reverse("monev-event-create", args=["35.24.13.2001", "PERBAIKAN_APBDES"])
    assert client.post(url, {"label": "x", "trigger_date": "03/08/2026"}).status_code == 404


def test_a_waiting_trigger_keeps_the_capitals_of_document_names(client, monev):
    html = login(client, monev.operator_a).get(reverse("monev-desa", args=["35.24.13.2001"])).content.decode()
    assert "menunggu: Tanggal Raperdes APBDes diterima kecamatan" in html
    assert "raperdes apbdes" not in html and "perdes diundangkan" not in html


@pytest.mark.parametrize("day", ["31/12/9999", "01/01/0001", "31/12/1999"])
def test_web_dates_outside_2000_2100_are_a_form_error_not_a_500(client, monev, day):
    """Found by the fuzzer on the API, the same in the forms: 31/12/9999 overflowed the working-day arithmetic."""
    raperdes, lppd = obligation(monev.desa_a, "RAPERDES_APBDES"), obligation(monev.desa_a, "LPPD")
    before = snapshot()
    login(client, monev.kasi_tapem)
    for url, data in [
        (reverse("monev-extend", args=[lppd.pk]), {"new_due_date": day, "reason": "x"}),
        (reverse("monev-trigger", args=[raperdes.pk]), {"trigger_date": day}),
        (
            reverse("monev-event-create", args=["35.24.13.2001", "PERDES"]),
            {"label": "Perdes 1", "trigger_date": day},
        ),
    ]:
        response = client.post(url, data, follow=True)
        # The page again (the obligation's, or the desa's for an event), the error under its field.
        assert response.status_code == 400 and texts(response) == []
        assert "Tanggal harus di antara tahun 2000 dan 2100." in response.content.decode()
    assert snapshot() == before and not Extension.objects.exists()


def test_web_dates_are_checked_by_the_services_too(monev):
    lppd = obligation(monev.desa_a, "LPPD")
    with pytest.raises(ValidationError) as refused:
        services.obligation_extend(
            actor=monev.kasi_tapem, obligation=lppd, new_due_date=dt.date(9999, 12, 31), reason="x"
        )
    assert refused.value.message_dict == {"new_due_date": ["Tanggal harus di antara tahun 2000 dan 2100."]}
    assert not Obligation.objects.filter(desa=monev.desa_b, document_type__code="PERDES").exists()


@pytest.mark.parametrize(
    "who, status", [("operator_a", 200), ("kasi_tapem", 200), ("camat", 200)] + [(w, 404) for w in FOREIGN]
)
def test_web_file_download(client, monev, who, status):
    data = pdf_bytes("Perdes APBDes desa A")
    stored = submit(monev.operator_a, obligation(monev.desa_a, "APBDES"), data).files.get()
    response = login(client, getattr(monev, who)).get(reverse("monev-file", args=[stored.pk]))
    assert response.status_code == status
    if status == 200:
        assert response["Content-Disposition"].startswith("attachment")
        assert b"".join(response.streaming_content) == data
    else:
        assert data not in response.content


def test_renamed_executable_is_refused_and_nothing_is_stored(client, monev, private_media):
    o = obligation(monev.desa_a, "LPPD")
    exe = SimpleUploadedFile("laporan.pdf", b"MZ\x90\x00" + b"\x00" * 2048, content_type="application/pdf")
    response = login(client, monev.operator_a).post(
        reverse("monev-submit", args=[o.pk]), {"document": exe}, follow=True
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Kiriman ditolak, tidak ada yang disimpan" in html and "Isi berkas “laporan.pdf” bukan PDF yang sah" in html
    assert not Submission.objects.exists() and not SubmissionFile.objects.exists()
    assert stored_files(private_media) == []
    o.refresh_from_db()
    assert o.state == "belum"


# Exports -----------------------------------------------------------------------------------------------


def sheet_rows(response) -> list[tuple]:
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    return list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))


def test_matrix_export_is_the_kecamatan(client, monev):
    extra = DesaFactory(kecamatan=monev.kecamatan)
    services.obligations_generate(year=YEAR)
    rows = sheet_rows(login(client, monev.kasi_tapem).get(reverse("monev-export-matrix"), {"tahun": YEAR}))
    assert rows[0][:3] == ("Kode Desa", "Desa", "Kecamatan") and "LPPD" in rows[0]
    assert [r[0] for r in rows[1:]] == ["35.24.13.2001", "35.24.13.2002", extra.kode]
    assert {r[2] for r in rows[1:]} == {"Pucuk"}
    outsider = sheet_rows(login(client, monev.outsider).get(reverse("monev-export-matrix"), {"tahun": YEAR}))
    assert [r[0] for r in outsider[1:]] == ["35.24.14.2001"]
    assert login(client, monev.operator_a).get(reverse("monev-export-matrix"), {"tahun": YEAR}).status_code == 403


def test_list_export_is_the_users_scope(client, monev):
    login(client, monev.operator_a)
    rows = sheet_rows(client.get(reverse("monev-export-list"), {"tahun": YEAR}))
    assert rows[0][0] == "Kode Desa"
    assert len(rows) - 1 == Obligation.objects.filter(desa=monev.desa_a, year=YEAR).count() > 0
    assert {r[0] for r in rows[1:]} == {"35.24.13.2001"}
    asked_for_b = sheet_rows(client.get(reverse("monev-export-list"), {"tahun": YEAR, "desa": "35.24.13.2002"}))
    assert asked_for_b[1:] == []
    kasi = sheet_rows(login(client, monev.kasi_tapem).get(reverse("monev-export-list"), {"tahun": YEAR}))
    assert {r[0] for r in kasi[1:]} == {"35.24.13.2001", "35.24.13.2002"}
