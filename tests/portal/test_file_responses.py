"""Every file the portal sends, web or API, stored or made on request, leaves through ``portal.files`` with the
same headers: an RFC 6266 attachment name, ``nosniff`` and ``private, no-store``. And every API download takes
``Accept:`` of the file's own type (``portal.api.negotiation.FileNegotiation``) instead of answering 406."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from attendance import corrections, leave, review
from attendance.choices import PunchKind
from attendance.models import AttendanceWarning, Leave
from monev import services as monev_services
from monev.demo import demo_pdf
from monev.models import Obligation, Sanction
from monev.sanctions import sanction_create
from musrenbang import services as musrenbang_services
from musrenbang.choices import DocumentRole, MeetingKind
from portal import files
from portal.calendar import holidays_sync
from tests.helpers import WIB, content
from tests.monev.conftest import ensure_document_types

pytestmark = pytest.mark.usefixtures("private_media")
YEAR = 2026
NOW = dt.datetime(YEAR, 9, 15, 9, tzinfo=WIB)  # RKPDES 2026 is late; August is a whole past month
KODE = "35.24.13.2001"

WEB = [
    ("perangkat-export", "", "perangkat-desa.xlsx"),
    ("perangkat-template", "", "templat-perangkat-desa.xlsx"),
    ("monev-export-matrix", "", f"matriks-kewajiban-{YEAR}.xlsx"),
    ("monev-export-list", "", f"daftar-kewajiban-{YEAR}.xlsx"),
    ("monev-file", "file", "apbdes.pdf"),
    ("monev-sanction-letter", "sanction", f"teguran-{KODE}-"),
    ("musrenbang-participants-template", "", "templat-daftar-hadir-musrenbang.xlsx"),
    ("musrenbang-proposals-template", "", "templat-usulan-musrenbang.xlsx"),
    ("musrenbang-proposals-xlsx", "", f"usulan-musrenbang-{YEAR}.xlsx"),
    ("musrenbang-berita-acara", "", f"berita-acara-musrenbang-35.24.13-{YEAR}.pdf"),
    ("musrenbang-document", "document", "Berita acara Musrenbangdes.pdf"),
    ("attendance-month-xlsx", "", "rekap-absensi-2026-08.xlsx"),
    ("attendance-desa-month-xlsx", "kode", f"rekap-absensi-{KODE}-2026-08.xlsx"),
    ("attendance-desa-month-pdf", "kode", f"rekap-absensi-{KODE}-2026-08.pdf"),
    ("attendance-warning-letter", "warning", f"teguran-absensi-{KODE}-"),
    ("attendance-leave-attachment", "leave", "surat dokter.pdf"),
    ("attendance-correction-attachment", "correction", "bukti.pdf"),
]
API = [
    ("api:submission-file-download", "file", "apbdes.pdf"),
    ("api:sanction-letter", "sanction", f"teguran-{KODE}-"),
    ("api:musrenbang-meeting-document-download", "meeting,document", "Berita acara Musrenbangdes.pdf"),
    ("api:musrenbang-proposals-xlsx", "", f"usulan-musrenbang-{YEAR}.xlsx"),
    ("api:musrenbang-berita-acara-pdf", "", f"berita-acara-musrenbang-35.24.13-{YEAR}.pdf"),
    ("api:leave-attachment", "leave", "surat dokter.pdf"),
    ("api:punch-correction-attachment", "correction", "bukti.pdf"),
    ("api:attendance-warning-letter", "warning", f"teguran-absensi-{KODE}-"),
    ("api:attendance-recap-xlsx", "", "rekap-absensi-2026-08-35.24.13.xlsx"),
    ("api:attendance-recap-pdf", "", f"rekap-absensi-2026-08-{KODE}.pdf"),
]
# Query parameters of the pages and endpoints that read a month, a year or a desa.
QUERY = {"tahun": YEAR, "bulan": "2026-08", "year": YEAR, "month": "2026-08"}
API_QUERY = {"api:attendance-recap-pdf": {"desa": KODE}}


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False):
        yield


def pdf_upload(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, demo_pdf("Lampiran"), content_type="application/pdf")


@pytest.fixture
def monev_rows(tenancy) -> dict[str, int]:
    """A file submitted by desa A and a written teguran for its late RKPDES."""
    ensure_document_types()
    holidays_sync(years=[YEAR - 1, YEAR])
    monev_services.obligations_generate(year=YEAR)
    own = Obligation.objects.filter(desa=tenancy.desa_a, year=YEAR)
    submission = monev_services.submission_create(
        actor=tenancy.operator_a, obligation=own.get(document_type__code="APBDES"), document=pdf_upload("apbdes.pdf")
    )
    sanction = sanction_create(
        actor=tenancy.kasi_tapem, obligation=own.get(document_type__code="RKPDES"), level=Sanction.Level.TERTULIS_1
    )
    return {"file": submission.files.get().pk, "sanction": sanction.pk}


@pytest.fixture
def meeting_rows(tenancy) -> dict[str, int]:
    """Desa A's Musrenbangdes with its berita acara uploaded."""
    meeting = musrenbang_services.meetings_schedule(
        actor=tenancy.kasi_tapem,
        kecamatan=tenancy.kecamatan,
        year=YEAR,
        kind=MeetingKind.MUSRENBANGDES,
        planned_date=dt.date(YEAR - 1, 8, 10),
    )[0]
    document = musrenbang_services.meeting_document_add(
        actor=tenancy.kasi_tapem,
        meeting=meeting,
        role=DocumentRole.BERITA_ACARA,
        upload=pdf_upload("Berita acara Musrenbangdes.pdf"),
    )
    return {"meeting": meeting.pk, "document": document.pk}


@pytest.fixture
def attendance_rows(tenancy) -> dict[str, int]:
    """A written teguran to a perangkat of desa A, and its leave and correction with attachments."""
    warning = review.warning_create(
        actor=tenancy.kasi_tapem,
        perangkat=tenancy.perangkat_a,
        month=dt.date(YEAR, 8, 1),
        level=AttendanceWarning.Level.TERTULIS_1,
        note="Terlambat 6 kali.",
    )
    sick = leave.leave_request(
        actor=tenancy.operator_a,
        perangkat=tenancy.perangkat_a,
        kind=Leave.Kind.SAKIT,
        date_from=dt.date(YEAR, 9, 1),
        date_to=dt.date(YEAR, 9, 2),
        reason="Sakit",
        attachment=pdf_upload("surat dokter.pdf"),
    )
    correction = corrections.correction_request(
        actor=tenancy.operator_a,
        perangkat=tenancy.perangkat_a,
        date=dt.date(YEAR, 9, 14),
        kind=PunchKind.OUT,
        time=dt.time(16, 0),
        reason="Mesin mati saat pulang",
        attachment=pdf_upload("bukti.pdf"),
    )
    return {"warning": warning.pk, "leave": sick.pk, "correction": correction.pk}


# Which fixture makes the row behind each path argument: a test builds only what its download needs.
ROW_FIXTURES = {
    "file": "monev_rows",
    "sanction": "monev_rows",
    "meeting": "meeting_rows",
    "document": "meeting_rows",
    "warning": "attendance_rows",
    "leave": "attendance_rows",
    "correction": "attendance_rows",
}


def _url(request, name: str, args: str) -> str:
    values = []
    for arg in filter(None, args.split(",")):
        values.append(KODE if arg == "kode" else request.getfixturevalue(ROW_FIXTURES[arg])[arg])
    return reverse(name, args=values)


def assert_private_file(response, filename: str) -> None:
    assert response.status_code == 200, response.content[:500] if not response.streaming else response
    assert response["Content-Type"] in files.CONTENT_TYPES.values()
    assert response["Content-Disposition"].startswith(f'attachment; filename="{filename}')
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store"
    assert content(response)[:4] in (b"%PDF", b"PK\x03\x04")


@pytest.mark.parametrize(("name", "args", "filename"), WEB, ids=[name for name, *_ in WEB])
def test_every_web_download_is_a_private_file(request, client, tenancy, name, args, filename):
    tenancy.web(client, tenancy.kasi_tapem)
    assert_private_file(client.get(_url(request, name, args), QUERY), filename)


@pytest.mark.parametrize(("name", "args", "filename"), API, ids=[name for name, *_ in API])
def test_every_api_download_is_a_private_file_whatever_it_accepts(request, tenancy, name, args, filename):
    api = tenancy.client(tenancy.kasi_tapem)
    url, query = _url(request, name, args), {**QUERY, **API_QUERY.get(name, {})}
    assert_private_file(api.get(url, query), filename)
    for accept in (*files.CONTENT_TYPES.values(), "application/octet-stream"):
        assert_private_file(api.get(url, query, HTTP_ACCEPT=accept), filename)


def test_a_non_ascii_name_is_sent_rfc_6266_encoded():
    response = files.file_response(b"%PDF-", filename="Laporan Désa.pdf", content_type="application/pdf")
    assert response["Content-Disposition"] == "attachment; filename*=utf-8''Laporan%20D%C3%A9sa.pdf"
    inline = files.file_response(b"%PDF-", filename='a"b\r\nX: y.pdf', content_type="application/pdf", inline=True)
    assert inline["Content-Disposition"] == 'inline; filename="a\\"bX: y.pdf"'


def test_an_api_download_error_stays_json_whatever_it_accepts(tenancy, monev_rows):
    url = reverse("api:sanction-letter", args=[monev_rows["sanction"]])
    response = tenancy.client(tenancy.outsider).get(url, HTTP_ACCEPT="application/pdf")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json") and response.json()["code"] == "not_found"
