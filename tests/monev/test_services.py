"""Every state transition of an obligation, with time under control (time-machine)."""

import datetime as dt

import pytest
import time_machine
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError

from monev import services
from monev.choices import State, SubmissionStatus
from monev.models import Obligation, Submission, SubmissionFile, Transition
from tests.factories import DesaFactory, UserFactory
from tests.helpers import WIB, stored_files
from tests.monev.conftest import YEAR, obligation, pdf_upload, xlsx_upload

pytestmark = pytest.mark.django_db
D = dt.date


def at(y, m, d, h=9):
    return time_machine.travel(dt.datetime(y, m, d, h, tzinfo=WIB), tick=False)


def transitions(o):
    return list(Transition.objects.filter(obligation=o).values_list("from_state", "to_state"))


# Generation -------------------------------------------------------------------------------------------


def test_generation_is_idempotent_and_dates_follow_the_rules(monev):
    count = Obligation.objects.filter(year=YEAR).count()
    assert services.obligations_generate(year=YEAR) == 0
    assert Obligation.objects.filter(year=YEAR).count() == count
    # 3 desa × (8 yearly types + SPJ_DD tahap I); PERDES is per event, SPJ_ADD has no 2026 schedule here.
    assert count == 3 * 9
    assert obligation(monev.desa_a, "LPPD").due_date == D(2027, 3, 31)
    assert obligation(monev.desa_a, "APBDES").due_date == D(2025, 12, 31)
    assert obligation(monev.desa_a, "RKPDES").due_date == D(2025, 9, 30)
    assert obligation(monev.desa_a, "SPJ_DD", period="TAHAP1").due_date == D(2026, 7, 31)
    # No BPD agreement recorded yet: the fallback 31/10 N-1 + 3 days (before "Trustworthy verdicts": no date).
    assert obligation(monev.desa_a, "RAPERDES_APBDES").due_date == D(2025, 11, 3)


def test_a_new_desa_gets_its_obligations_on_the_next_run(monev):
    desa = DesaFactory(kecamatan=monev.kecamatan)
    assert services.obligations_generate(year=YEAR) == 9
    assert Obligation.objects.filter(desa=desa, year=YEAR).count() == 9


# Submission and verification --------------------------------------------------------------------------


def test_submit_return_resubmit_accept_on_time(monev):
    o = obligation(monev.desa_a, "LAP_SEMESTER_1")  # due Tue 14 Jul 2026
    with at(2026, 7, 10):
        first = services.submission_create(
            actor=monev.operator_a, obligation=o, document=pdf_upload(), document_number="1/2026"
        )
    o.refresh_from_db()
    assert o.state == State.DIKIRIM and first.version == 1
    with at(2026, 7, 13):
        services.submission_review(actor=monev.kasi_tapem, submission=first, decision="return", note="Lampiran kurang")
    o.refresh_from_db()
    # 7 hari kerja after Mon 13 Jul 2026: 14,15,16,17,20,21,22 Jul.
    assert o.state == State.DIKEMBALIKAN and o.correction_due_date == D(2026, 7, 22)
    with at(2026, 7, 21):
        second = services.submission_create(
            actor=monev.operator_a, obligation=o, document=pdf_upload(), attachments=[xlsx_upload()]
        )
    with at(2026, 7, 22):
        services.submission_review(actor=monev.kasi_tapem, submission=second, decision="accept")
    o.refresh_from_db()
    assert o.state == State.DITERIMA
    assert o.on_time is True and o.days_late == 0  # the first submission (10 Jul) counts
    assert o.first_submitted_at.astimezone(WIB).date() == D(2026, 7, 10)
    assert o.accepted_at.astimezone(WIB).date() == D(2026, 7, 22)
    assert transitions(o) == [
        ("belum", "dikirim"),
        ("dikirim", "dikembalikan"),
        ("dikembalikan", "dikirim"),
        ("dikirim", "diterima"),
    ]
    assert [s.status for s in o.submissions.order_by("version")] == [
        SubmissionStatus.DIKEMBALIKAN,
        SubmissionStatus.DITERIMA,
    ]
    assert SubmissionFile.objects.filter(submission=second).count() == 2


def test_a_resubmission_after_the_correction_deadline_counts_from_its_own_day(monev):
    o = obligation(monev.desa_a, "LAP_SEMESTER_1")
    with at(2026, 7, 10):
        first = services.submission_create(actor=monev.operator_a, obligation=o, document=pdf_upload())
    with at(2026, 7, 13):
        services.submission_review(actor=monev.kasi_tapem, submission=first, decision="return", note="Salah tahun")
    with at(2026, 7, 27):  # correction deadline was 22 Jul
        second = services.submission_create(actor=monev.operator_a, obligation=o, document=pdf_upload())
        services.submission_review(actor=monev.kasi_tapem, submission=second, decision="accept")
    o.refresh_from_db()
    assert (o.on_time, o.days_late) == (False, 13)  # 27 Jul against 14 Jul


def test_late_first_submission_is_late_by_its_days(monev):
    o = obligation(monev.desa_a, "LAP_SEMESTER_1")
    with at(2026, 7, 20):
        assert services.obligations_mark_overdue(today=D(2026, 7, 20)) >= 1
        o.refresh_from_db()
        assert o.state == State.TERLAMBAT
        sub = services.submission_create(actor=monev.operator_a, obligation=o, document=pdf_upload())
        services.submission_review(actor=monev.kasi_tapem, submission=sub, decision="accept")
    o.refresh_from_db()
    assert (o.state, o.on_time, o.days_late) == (State.DITERIMA, False, 6)
    assert transitions(o) == [("belum", "terlambat"), ("terlambat", "dikirim"), ("dikirim", "diterima")]


def test_a_new_version_while_waiting_supersedes_the_pending_one(monev):
    o = obligation(monev.desa_a, "LPPD")
    first = services.submission_create(actor=monev.operator_a, obligation=o, document=pdf_upload())
    second = services.submission_create(actor=monev.operator_a, obligation=o, document=pdf_upload("laporan-revisi.pdf"))
    first.refresh_from_db()
    assert first.status == SubmissionStatus.DIGANTI and second.version == 2
    with pytest.raises(ValidationError):
        services.submission_review(actor=monev.kasi_tapem, submission=first, decision="accept")
    assert Submission.objects.filter(obligation=o).count() == 2  # nothing overwritten


def test_accepted_obligation_takes_no_more_versions(monev):
    o = obligation(monev.desa_a, "LPPD")
    sub = services.submission_create(actor=monev.operator_a, obligation=o, document=pdf_upload())
    services.submission_review(actor=monev.kasi_tapem, submission=sub, decision="accept")
    with pytest.raises(ValidationError, match="sudah diterima"):
        services.submission_create(actor=monev.operator_a, obligation=o, document=pdf_upload())


def test_return_needs_a_note_and_only_kecamatan_staff_verify(monev):
    o = obligation(monev.desa_a, "LPPD")
    sub = services.submission_create(actor=monev.operator_a, obligation=o, document=pdf_upload())
    with pytest.raises(ValidationError):
        services.submission_review(actor=monev.kasi_tapem, submission=sub, decision="return", note=" ")
    with pytest.raises(PermissionDenied):
        services.submission_review(actor=monev.operator_a, submission=sub, decision="accept")
    with pytest.raises(PermissionDenied):
        services.submission_review(actor=monev.kades_a, submission=sub, decision="accept")
    o.refresh_from_db()
    assert o.state == State.DIKIRIM


def test_kecamatan_staff_cannot_submit_a_desa_document(monev):
    with pytest.raises(PermissionDenied):
        services.submission_create(
            actor=monev.kasi_tapem, obligation=obligation(monev.desa_a, "LPPD"), document=pdf_upload()
        )


# Event-based obligations --------------------------------------------------------------------------------


def test_trigger_date_sets_the_due_date_and_raperdes_starts_the_evaluation_clock(monev):
    raperdes = obligation(monev.desa_a, "RAPERDES_APBDES")
    with pytest.raises(ValidationError, match="tanggal pemicu"):
        services.submission_create(actor=monev.operator_a, obligation=raperdes, document=pdf_upload())
    services.obligation_set_trigger(actor=monev.operator_a, obligation=raperdes, trigger_date=D(2026, 3, 19))
    raperdes.refresh_from_db()
    # 19 Mar + 3 calendar days = Sun 22 Mar: the legal date, not moved (before "Trustworthy verdicts" it rolled
    # past cuti bersama 23–24 Mar to 25 Mar).
    assert (raperdes.legal_due_date, raperdes.due_date) == (D(2026, 3, 22), D(2026, 3, 22))
    with at(2026, 3, 16):
        services.submission_create(actor=monev.operator_a, obligation=raperdes, document=pdf_upload())
    evaluasi = obligation(monev.desa_a, "EVALUASI_APBDES")
    assert evaluasi.trigger_date == D(2026, 3, 16)
    assert evaluasi.due_date == D(2026, 4, 21)  # 20 hari kerja across Idul Fitri (see test_calendar)


def test_the_kecamatan_evaluation_is_accepted_when_uploaded(monev):
    evaluasi = obligation(monev.desa_a, "EVALUASI_APBDES")
    services.obligation_set_trigger(actor=monev.kasi_tapem, obligation=evaluasi, trigger_date=D(2026, 3, 2))
    with pytest.raises(PermissionDenied):
        services.submission_create(actor=monev.operator_a, obligation=evaluasi, document=pdf_upload())
    with at(2026, 3, 20):
        with pytest.raises(ValidationError, match="hasil evaluasi"):
            services.submission_create(
                actor=monev.kasi_tapem, obligation=evaluasi, document=pdf_upload("keputusan-camat.pdf")
            )
        services.submission_create(
            actor=monev.kasi_tapem, obligation=evaluasi, document=pdf_upload("keputusan-camat.pdf"), outcome="sesuai"
        )
    evaluasi.refresh_from_db()
    assert evaluasi.state == State.DITERIMA and evaluasi.on_time is True
    assert not Obligation.objects.filter(document_type__code="PERBAIKAN_APBDES").exists()


def test_a_perdes_is_recorded_per_event(monev):
    perdes_type = obligation(monev.desa_a, "LPPD").document_type.__class__.objects.get(code="PERDES")
    first = services.obligation_create_for_event(
        actor=monev.operator_a,
        desa=monev.desa_a,
        document_type=perdes_type,
        year=YEAR,
        label="Perdes No. 3 Tahun 2026 tentang Pungutan Desa",
        trigger_date=D(2026, 8, 3),
    )
    second = services.obligation_create_for_event(
        actor=monev.operator_a,
        desa=monev.desa_a,
        document_type=perdes_type,
        year=YEAR,
        label="Perdes No. 4",
        trigger_date=D(2026, 9, 1),
    )
    assert (first.period, first.due_date) == ("E001", D(2026, 8, 10))
    assert (second.period, second.due_date) == ("E002", D(2026, 9, 8))


# Extension, not applicable, overdue ---------------------------------------------------------------------


def test_extension_moves_to_dispensasi_and_then_late_when_it_passes(monev):
    o = obligation(monev.desa_a, "LAP_SEMESTER_1")
    with pytest.raises(PermissionDenied):
        services.obligation_extend(actor=monev.operator_a, obligation=o, new_due_date=D(2026, 7, 31), reason="x")
    with pytest.raises(ValidationError):
        services.obligation_extend(actor=monev.kasi_tapem, obligation=o, new_due_date=D(2026, 7, 1), reason="mundur")
    with pytest.raises(ValidationError):
        services.obligation_extend(actor=monev.kasi_tapem, obligation=o, new_due_date=D(2026, 7, 31), reason="")
    services.obligation_extend(actor=monev.kasi_tapem, obligation=o, new_due_date=D(2026, 7, 31), reason="Banjir")
    o.refresh_from_db()
    assert (o.state, o.due_date, o.legal_due_date) == (State.DISPENSASI, D(2026, 7, 31), D(2026, 7, 14))
    assert o.extensions.get().granted_by == monev.kasi_tapem
    services.obligations_mark_overdue(today=D(2026, 7, 31))  # the new date itself is not late yet
    o.refresh_from_db()
    assert o.state == State.DISPENSASI
    services.obligations_mark_overdue(today=D(2026, 8, 1))
    o.refresh_from_db()
    assert o.state == State.TERLAMBAT
    assert transitions(o) == [("belum", "dispensasi"), ("dispensasi", "terlambat")]


def test_not_applicable_and_reopen(monev):
    o = obligation(monev.desa_a, "IPPD")
    with pytest.raises(PermissionDenied):
        services.obligation_mark_not_applicable(actor=monev.operator_a, obligation=o, reason="x")
    services.obligation_mark_not_applicable(actor=monev.camat, obligation=o, reason="Desa pemekaran baru")
    o.refresh_from_db()
    assert o.state == State.TIDAK_BERLAKU and o.not_applicable_reason == "Desa pemekaran baru"
    with pytest.raises(ValidationError):
        services.submission_create(actor=monev.operator_a, obligation=o, document=pdf_upload())
    services.obligation_reopen(actor=monev.kasi_tapem, obligation=o, reason="Keliru")
    o.refresh_from_db()
    assert o.state == State.BELUM
    assert transitions(o) == [("belum", "tidak_berlaku"), ("tidak_berlaku", "belum")]


def test_overdue_pass_moves_each_row_once(monev):
    today = D(2026, 8, 1)
    first = services.obligations_mark_overdue(today=today)
    assert first == Obligation.objects.filter(state=State.TERLAMBAT).count() > 0
    assert services.obligations_mark_overdue(today=today) == 0
    assert Transition.objects.filter(to_state=State.TERLAMBAT).count() == first
    # Nothing that was due after `today` or already sent moves.
    assert not Obligation.objects.filter(state=State.TERLAMBAT, due_date__gte=today).exists()


def test_overdue_pass_skips_a_row_that_was_submitted_meanwhile(monev):
    """Compare-and-set: a row whose state changed after it was selected is not moved."""
    o = obligation(monev.desa_a, "LAP_SEMESTER_1")
    services.submission_create(actor=monev.operator_a, obligation=o, document=pdf_upload())
    won = services._compare_and_set([o.id], State.BELUM, State.TERLAMBAT, dt.datetime(2026, 8, 1, tzinfo=WIB))
    assert won == []
    o.refresh_from_db()
    assert o.state == State.DIKIRIM


def test_changing_the_trigger_of_a_late_row_to_a_future_date_reopens_it(monev):
    o = obligation(monev.desa_a, "RAPERDES_APBDES")
    services.obligation_set_trigger(actor=monev.operator_a, obligation=o, trigger_date=D(2025, 10, 20))
    services.obligations_mark_overdue(today=D(2026, 1, 5))
    o.refresh_from_db()
    assert o.state == State.TERLAMBAT
    with at(2026, 1, 5):
        services.obligation_set_trigger(actor=monev.kasi_tapem, obligation=o, trigger_date=D(2026, 1, 5))
    o.refresh_from_db()
    assert o.state == State.BELUM and o.due_date == D(2026, 1, 8)
    assert o.history.count() >= 2  # the trigger edits are audited


def test_setting_a_trigger_needs_a_role_that_may_record_it(monev):
    """The service checks the role itself, not only the views: an account without a role (or signed out)
    gets PermissionDenied and the obligation keeps no trigger."""
    o = obligation(monev.desa_a, "RAPERDES_APBDES")
    for actor in (UserFactory(username="tanpa_peran", role="", kecamatan=None), AnonymousUser()):
        with pytest.raises(PermissionDenied):
            services.obligation_set_trigger(actor=actor, obligation=o, trigger_date=D(2025, 10, 20))
    o.refresh_from_db()
    assert o.trigger_date is None and not o.history.filter(history_change_reason="trigger_date").exists()
    services.obligation_set_trigger(actor=monev.kades_a, obligation=o, trigger_date=D(2025, 10, 20))
    o.refresh_from_db()
    assert o.trigger_date == D(2025, 10, 20)


# Uploads: bad input is refused with an Indonesian message and nothing is left behind ------------------


@pytest.mark.parametrize(
    "name,content,message",
    [
        ("laporan\u202efdp.exe", None, "karakter tersembunyi"),
        ("a" * 200 + ".pdf", None, "terlalu panjang"),
        ("laporan.pdf", b"MZ\x90\x00" + b"\x00" * 200, "Isi berkas “laporan.pdf” bukan PDF yang sah"),
        ("kosong.pdf", b"", "Berkas kosong"),
    ],
)
def test_hostile_uploads_are_refused_and_nothing_is_stored(monev, private_media, name, content, message):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.monev.conftest import pdf_bytes

    o = obligation(monev.desa_a, "LPPD")
    upload = SimpleUploadedFile(name, pdf_bytes() if content is None else content)
    with pytest.raises(ValidationError, match=message):
        services.submission_create(actor=monev.operator_a, obligation=o, document=upload)
    o.refresh_from_db()
    assert o.state == State.BELUM and not Submission.objects.exists()
    assert stored_files(private_media) == []


def test_truncated_and_encrypted_pdfs_are_refused(monev, private_media):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from pypdf import PdfWriter

    from tests.monev.conftest import pdf_bytes

    o = obligation(monev.desa_a, "LPPD")
    good = pdf_bytes()
    with pytest.raises(ValidationError, match="rusak atau tidak lengkap"):
        services.submission_create(
            actor=monev.operator_a, obligation=o, document=SimpleUploadedFile("a.pdf", good[: len(good) // 2])
        )
    writer = PdfWriter()
    writer.add_blank_page(width=100, height=100)
    writer.encrypt("rahasia")
    buffer = io.BytesIO()
    writer.write(buffer)
    with pytest.raises(ValidationError, match="terenkripsi"):
        services.submission_create(
            actor=monev.operator_a, obligation=o, document=SimpleUploadedFile("b.pdf", buffer.getvalue())
        )
    assert not Submission.objects.exists() and stored_files(private_media) == []


def test_a_bad_attachment_refuses_the_whole_submission(monev, private_media):
    from django.core.files.uploadedfile import SimpleUploadedFile

    o = obligation(monev.desa_a, "LPPD")
    bad = SimpleUploadedFile("data.xlsx", b"PK\x03\x04 not really a workbook")
    with pytest.raises(ValidationError):
        services.submission_create(actor=monev.operator_a, obligation=o, document=pdf_upload(), attachments=[bad])
    assert not Submission.objects.exists() and stored_files(private_media) == []


def test_a_database_failure_after_storing_removes_the_stored_files(monev, private_media, monkeypatch):
    o = obligation(monev.desa_a, "LPPD")
    calls = {"n": 0}
    real_create = SubmissionFile.objects.create

    def fail_on_second(**kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("disk penuh")
        return real_create(**kwargs)

    monkeypatch.setattr(SubmissionFile.objects, "create", fail_on_second)
    with pytest.raises(RuntimeError):
        services.submission_create(
            actor=monev.operator_a, obligation=o, document=pdf_upload(), attachments=[xlsx_upload()]
        )
    assert not Submission.objects.exists()
    assert stored_files(private_media) == []


def test_every_version_keeps_its_hash_and_is_never_overwritten(monev, private_media):
    import hashlib

    from tests.monev.conftest import pdf_bytes

    o = obligation(monev.desa_a, "LPPD")
    from django.core.files.uploadedfile import SimpleUploadedFile

    a, b = pdf_bytes("versi 1"), pdf_bytes("versi 2")
    services.submission_create(actor=monev.operator_a, obligation=o, document=SimpleUploadedFile("lppd.pdf", a))
    services.submission_create(actor=monev.operator_a, obligation=o, document=SimpleUploadedFile("lppd.pdf", b))
    stored = list(SubmissionFile.objects.order_by("submission__version"))
    assert [f.sha256 for f in stored] == [hashlib.sha256(a).hexdigest(), hashlib.sha256(b).hexdigest()]
    assert stored[0].stored_path != stored[1].stored_path
    assert [(private_media / f.stored_path).read_bytes() for f in stored] == [a, b]
    assert all(f.original_name == "lppd.pdf" for f in stored)


def test_a_path_in_the_upload_name_never_reaches_the_disk(monev, private_media):
    """Django's multipart parser keeps only the last path component before the app sees the name; the file
    is stored under a random name inside MEDIA_ROOT/private and offered back as 'x.pdf'."""
    from django.test import Client

    from tests.monev.conftest import pdf_bytes

    o = obligation(monev.desa_a, "LPPD")
    boundary = "BoUnDaRy"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="document"; filename="../../../etc/x.pdf"\r\n'
            "Content-Type: application/pdf\r\n\r\n"
        ).encode()
        + pdf_bytes()
        + f"\r\n--{boundary}--\r\n".encode()
    )
    client = Client()
    client.force_login(monev.operator_a)
    response = client.post(
        f"/api/v1/obligations/{o.pk}/submissions/", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )
    assert response.status_code == 201, response.content
    stored = SubmissionFile.objects.get()
    assert stored.original_name == "x.pdf"
    assert stored.stored_path.startswith("private/") and ".." not in stored.stored_path
    assert [p.name for p in stored_files(private_media)] == [stored.stored_path.rsplit("/", 1)[-1]]
