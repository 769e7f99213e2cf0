"""Monev plan and visits: the recommendation flow and who may take each step, the overdue notices, the visit
report PDF, forms that keep their input, outsiders (404 / nothing listed) and list query counts."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pypdf import PdfReader

from monev import services_visits as services
from monev.models_visits import (
    ChecklistTemplate,
    ChecklistTemplateItem,
    MonevPlanEntry,
    Recommendation,
    RecommendationState,
    Visit,
)
from portal.models import Delivery
from tests.factories import DesaFactory, UserFactory
from tests.helpers import content, login, rows
from tests.monev.conftest import pdf_upload

RS = RecommendationState
DAY = dt.date(2026, 9, 15)


@pytest.fixture
def visit(tenancy) -> Visit:
    template = ChecklistTemplate.objects.create(visit_type="apbdes", title="Evaluasi APBDes")
    ChecklistTemplateItem.objects.create(template=template, text="APBDes ditetapkan tepat waktu", sort_order=1)
    ChecklistTemplateItem.objects.create(template=template, text="APBDes dipublikasikan di baliho", sort_order=2)
    return services.visit_save(
        actor=tenancy.kasi_tapem,
        desa=tenancy.desa_a,
        visit_type="apbdes",
        mode="kunjungan",
        visit_date=DAY,
        team=[tenancy.kasi_tapem],
        other_members="Budi Santoso (Pendamping Desa)",
        summary="Kunjungan rutin triwulan III.",
        letter_number="700/12/2026",
    )


@pytest.fixture
def rec(tenancy, visit) -> Recommendation:
    finding = services.finding_add(actor=tenancy.kasi_tapem, visit=visit, text="Baliho APBDes belum dipasang")
    return services.recommendation_add(
        actor=tenancy.kasi_tapem,
        visit=visit,
        finding=finding,
        text="Pasang baliho APBDes di balai desa",
        responsible="Sekretaris Desa",
        due_date=dt.date(2026, 10, 31),
    )


def _states(rec: Recommendation) -> list[str]:
    return list(rec.transitions.order_by("at", "id").values_list("to_state", flat=True))


# The flow -------------------------------------------------------------------------------------------------


def test_recommendation_flow_and_who_may_do_each_step(tenancy, rec, private_media):
    assert rec.state == RS.OPEN
    # Only that desa's own users answer: not the kecamatan, not another desa.
    for outsider in (tenancy.kasi_tapem, tenancy.operator_b, tenancy.outsider_operator, tenancy.camat):
        with pytest.raises(PermissionDenied):
            services.follow_up_submit(actor=outsider, recommendation=rec, text="Sudah")
    # Nothing to decide while the desa has not answered.
    with pytest.raises(ValidationError):
        services.recommendation_accept(actor=tenancy.kasi_tapem, recommendation=rec)

    first = services.follow_up_submit(
        actor=tenancy.operator_a, recommendation=rec, text="Baliho dipesan", upload=pdf_upload("bukti.pdf")
    )
    rec.refresh_from_db()
    assert rec.state == RS.ANSWERED
    assert first.stored_path and first.original_name == "bukti.pdf" and len(first.sha256) == 64
    with pytest.raises(ValidationError):  # answered already: the kecamatan decides first
        services.follow_up_submit(actor=tenancy.operator_a, recommendation=rec, text="Lagi")

    # The desa cannot close its own recommendation; an outsider's staff cannot either.
    for user in (tenancy.operator_a, tenancy.kades_a, tenancy.outsider):
        with pytest.raises(PermissionDenied):
            services.recommendation_accept(actor=user, recommendation=rec)
    with pytest.raises(ValidationError):  # a reopen needs its reason
        services.recommendation_reopen(actor=tenancy.kasi_tapem, recommendation=rec, reason=" ")
    services.recommendation_reopen(actor=tenancy.kasi_tapem, recommendation=rec, reason="Foto baliho belum ada")
    rec.refresh_from_db()
    assert rec.state == RS.REOPENED

    services.follow_up_submit(
        actor=tenancy.kades_a, recommendation=rec, text="Baliho terpasang", upload=_png("foto.png")
    )
    rec.refresh_from_db()
    assert rec.state == RS.ANSWERED
    services.recommendation_accept(actor=tenancy.kasi_tapem, recommendation=rec, note="Sesuai")
    rec.refresh_from_db()
    assert rec.state == RS.ACCEPTED
    with pytest.raises(ValidationError):  # closed
        services.follow_up_submit(actor=tenancy.operator_a, recommendation=rec, text="Tambahan")
    assert _states(rec) == [RS.OPEN, RS.ANSWERED, RS.REOPENED, RS.ANSWERED, RS.ACCEPTED]
    reopen = rec.transitions.get(to_state=RS.REOPENED)
    assert reopen.note == "Foto baliho belum ada" and reopen.by == tenancy.kasi_tapem and reopen.follow_up == first


def test_follow_up_evidence_is_checked_by_content(tenancy, rec):
    fake = SimpleUploadedFile("bukti.pdf", b"bukan pdf sama sekali", content_type="application/pdf")
    with pytest.raises(ValidationError):
        services.follow_up_submit(actor=tenancy.operator_a, recommendation=rec, text="Sudah", upload=fake)
    rec.refresh_from_db()
    assert rec.state == RS.OPEN and not rec.follow_ups.exists()


def test_flow_through_the_pages(client, tenancy, rec):
    detail = reverse("monev-visit-detail", args=[rec.visit_id])
    login(client, tenancy.operator_a)
    page = client.get(detail)
    assert page.status_code == 200 and f'data-testid="follow-up-form-{rec.pk}"' in page.text
    assert f'data-testid="decision-form-{rec.pk}"' not in page.text
    answered = client.post(
        reverse("monev-follow-up", args=[rec.pk]),
        {f"fu{rec.pk}-text": "Baliho dipesan", f"fu{rec.pk}-upload": pdf_upload("bukti.pdf")},
    )
    assert answered.status_code == 302
    # The desa cannot accept through the page either.
    assert client.post(reverse("monev-recommendation-accept", args=[rec.pk])).status_code == 403
    login(client, tenancy.kasi_tapem)
    reopened = client.post(reverse("monev-recommendation-reopen", args=[rec.pk]), {f"dc{rec.pk}-reason": ""})
    assert reopened.status_code == 400 and "alasan" in reopened.text
    client.post(reverse("monev-recommendation-reopen", args=[rec.pk]), {f"dc{rec.pk}-reason": "Belum lengkap"})
    rec.refresh_from_db()
    assert rec.state == RS.REOPENED
    login(client, tenancy.kades_a)
    client.post(reverse("monev-follow-up", args=[rec.pk]), {f"fu{rec.pk}-text": "Sudah lengkap"})
    login(client, tenancy.kasi_tapem)
    assert client.post(reverse("monev-recommendation-accept", args=[rec.pk])).status_code == 302
    rec.refresh_from_db()
    assert rec.state == RS.ACCEPTED
    follow_up = rec.follow_ups.order_by("id").first()
    download = client.get(reverse("monev-follow-up-file", args=[follow_up.pk]))
    assert download.status_code == 200 and content(download).startswith(b"%PDF")


def test_flow_through_the_api(tenancy, rec):
    desa = tenancy.client(tenancy.operator_a)
    created = desa.post(
        "/api/v1/visit-follow-ups/",
        {"recommendation": rec.pk, "text": "Sudah", "file": pdf_upload("bukti.pdf")},
        format="multipart",
    )
    assert created.status_code == 201, created.content
    fu = created.json()["id"]
    assert desa.post(f"/api/v1/visit-follow-ups/{fu}/accept/", {}).status_code == 403
    kasi = tenancy.client(tenancy.kasi_tapem)
    reopened = kasi.post(f"/api/v1/visit-follow-ups/{fu}/reopen/", {"reason": "Kurang foto"}, format="json")
    assert reopened.status_code == 200 and reopened.json()["state"] == RS.REOPENED
    second = desa.post("/api/v1/visit-follow-ups/", {"recommendation": rec.pk, "text": "Foto ada"}, format="multipart")
    assert second.status_code == 201
    accepted = kasi.post(f"/api/v1/visit-follow-ups/{second.json()['id']}/accept/", {}, format="json")
    assert accepted.status_code == 200 and accepted.json()["state"] == RS.ACCEPTED
    assert [t["to_state"] for t in accepted.json()["transitions"]] == [
        RS.OPEN,
        RS.ANSWERED,
        RS.REOPENED,
        RS.ANSWERED,
        RS.ACCEPTED,
    ]


# Overdue notices ------------------------------------------------------------------------------------------


def _recipients(event_key: str) -> set[str]:
    return set(Delivery.objects.filter(event_key=event_key).values_list("recipient__username", flat=True))


def test_overdue_notice_once_per_stage_to_the_desa_and_the_kasi_tapem(tenancy, rec):
    services.recommendations_notify_overdue(today=dt.date(2026, 10, 31))  # the due date itself: not late
    assert not Delivery.objects.exists()
    assert services.recommendations_notify_overdue(today=dt.date(2026, 11, 1)) > 0
    key = f"monev-rec:{rec.pk}:lewat:1"
    assert _recipients(key) == {"op_a", "kades_a", "kasitapem"}
    count = Delivery.objects.count()
    assert services.recommendations_notify_overdue(today=dt.date(2026, 11, 1)) == 0
    assert services.recommendations_notify_overdue(today=dt.date(2026, 11, 5)) == 0
    assert Delivery.objects.count() == count
    payload = Delivery.objects.filter(event_key=key).first().payload
    assert "Pucuk" in payload["title"] and "31/10/2026" in payload["message"]
    assert payload["link"] == reverse("monev-visit-detail", args=[rec.visit_id])
    # The next stage, once.
    services.recommendations_notify_overdue(today=dt.date(2026, 11, 14))
    assert _recipients(f"monev-rec:{rec.pk}:lewat:14") == {"op_a", "kades_a", "kasitapem"}
    count = Delivery.objects.count()
    assert services.recommendations_notify_overdue(today=dt.date(2026, 11, 20)) == 0
    assert Delivery.objects.count() == count


def test_no_overdue_notice_for_answered_or_closed(tenancy, rec, visit):
    closed = services.recommendation_add(
        actor=tenancy.kasi_tapem, visit=visit, text="Perbaiki buku kas", responsible="Kaur Keuangan", due_date=DAY
    )
    services.follow_up_submit(actor=tenancy.operator_a, recommendation=rec, text="Sudah")
    services.follow_up_submit(actor=tenancy.operator_a, recommendation=closed, text="Sudah")
    services.recommendation_accept(actor=tenancy.kasi_tapem, recommendation=closed)
    assert services.recommendations_notify_overdue(today=dt.date(2026, 12, 31)) == 0
    assert not Delivery.objects.exists()


def test_overdue_task_runs_the_pass(tenancy, rec, monkeypatch):
    from django.utils import timezone

    from workers.schedule import BEAT_SCHEDULE
    from workers.tasks import visit_recommendations_overdue_task

    monkeypatch.setattr(timezone, "localdate", lambda *a: dt.date(2026, 11, 2))
    assert visit_recommendations_overdue_task() > 0
    entry = BEAT_SCHEDULE["visit-recommendations-overdue"]
    assert entry["task"] == "workers.tasks.visit_recommendations_overdue_task"


# Report PDF -----------------------------------------------------------------------------------------------


def test_visit_report_pdf_text(client, tenancy, rec, visit):
    UserFactory(username="pak_camat", role="camat", kecamatan=tenancy.kecamatan, first_name="Ahmad", last_name="Camat")
    answer = visit.answers.order_by("sort_order").first()
    services.checklist_answer(actor=tenancy.kasi_tapem, visit=visit, answers={answer.pk: ("sebagian", "Belum lengkap")})
    response = login(client, tenancy.kasi_tapem).get(reverse("monev-visit-report", args=[visit.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(content(response))).pages)
    text = " ".join(text.split())
    for expected in (
        "Laporan Hasil Monitoring dan Evaluasi APBDes Desa Pucuk",
        "700/12/2026",
        "15/09/2026",
        "Budi Santoso (Pendamping Desa)",
        "APBDes ditetapkan tepat waktu",
        "Sebagian",
        "Baliho APBDes belum dipasang",
        "Pasang baliho APBDes di balai desa",
        "Sekretaris Desa",
        "31/10/2026",
        "CAMAT PUCUK",
    ):
        assert expected in text, expected
    # The API gives the same letter.
    api = tenancy.client(tenancy.operator_a).get(f"/api/v1/visits/{visit.pk}/report/")
    assert api.status_code == 200 and content(api).startswith(b"%PDF")


# Forms ----------------------------------------------------------------------------------------------------


def test_visit_form_keeps_input_on_error(client, tenancy):
    login(client, tenancy.kasi_tapem)
    assert client.get(reverse("monev-visit-create")).status_code == 200
    response = client.post(
        reverse("monev-visit-create"),
        {
            "desa": tenancy.desa_a.pk,
            "visit_type": "perdes",
            "mode": "dokumen",
            "visit_date": "31/02/2026",
            "summary": "Ringkasan yang tidak boleh hilang",
            "other_members": "Pendamping Desa Sari",
        },
    )
    assert response.status_code == 400
    assert "Ringkasan yang tidak boleh hilang" in response.text and "Pendamping Desa Sari" in response.text
    assert 'data-testid="error-visit_date"' in response.text
    assert not Visit.objects.exists()
    ok = client.post(
        reverse("monev-visit-create"),
        {"desa": tenancy.desa_a.pk, "visit_type": "perdes", "mode": "dokumen", "visit_date": "01/10/2026"},
    )
    assert ok.status_code == 302 and Visit.objects.get().visit_date == dt.date(2026, 10, 1)


def test_recommendation_form_keeps_input_on_error(client, tenancy, visit):
    login(client, tenancy.kasi_tapem)
    response = client.post(
        reverse("monev-visit-recommendation", args=[visit.pk]),
        {"rec-text": "Tertibkan buku inventaris", "rec-responsible": "Kaur Umum", "rec-due_date": "01/01/2026"},
    )
    assert response.status_code == 400
    assert "Tertibkan buku inventaris" in response.text and "Kaur Umum" in response.text
    assert not Recommendation.objects.exists()


def test_checklist_and_evidence_pages(client, tenancy, visit):
    login(client, tenancy.kasi_tapem)
    answers = list(visit.answers.order_by("sort_order"))
    assert [a.item_text for a in answers] == ["APBDes ditetapkan tepat waktu", "APBDes dipublikasikan di baliho"]
    client.post(
        reverse("monev-visit-checklist", args=[visit.pk]),
        {f"answer-{answers[0].pk}": "ya", f"answer-{answers[1].pk}": "tidak", f"note-{answers[1].pk}": "Belum"},
    )
    assert list(visit.answers.order_by("sort_order").values_list("answer", flat=True)) == ["ya", "tidak"]
    bad = client.post(
        reverse("monev-visit-file-add", args=[visit.pk]),
        {"file-upload": SimpleUploadedFile("foto.png", b"not an image")},
    )
    assert bad.status_code == 400 and not visit.files.exists()
    good = client.post(reverse("monev-visit-file-add", args=[visit.pk]), {"file-upload": _png("foto.png")})
    assert good.status_code == 302
    stored = visit.files.get()
    assert client.get(reverse("monev-visit-file", args=[stored.pk])).status_code == 200
    # A desa user reads the visit but cannot write to it.
    login(client, tenancy.operator_a)
    assert client.get(reverse("monev-visit-detail", args=[visit.pk])).status_code == 200
    assert client.post(reverse("monev-visit-finding", args=[visit.pk]), {"finding-text": "x"}).status_code == 403
    assert client.get(reverse("monev-visit-create")).status_code == 403


def test_plan_matrix_edit(client, tenancy):
    login(client, tenancy.kasi_tapem)
    a, b = tenancy.desa_a.pk, tenancy.desa_b.pk
    response = client.post(
        reverse("monev-plan"), {"tahun": "2026", f"p-{a}-1": ["apbdes", "perdes"], f"p-{b}-3": "fisik"}
    )
    assert response.status_code == 302
    assert set(MonevPlanEntry.objects.values_list("desa_id", "quarter", "visit_type")) == {
        (a, 1, "apbdes"),
        (a, 1, "perdes"),
        (b, 3, "fisik"),
    }
    client.post(reverse("monev-plan"), {"tahun": "2026", f"p-{a}-2": "apbdes"})
    assert set(MonevPlanEntry.objects.values_list("desa_id", "quarter", "visit_type")) == {(a, 2, "apbdes")}
    page = client.get(reverse("monev-plan"), {"tahun": "2026"})
    assert page.status_code == 200 and f'id="p-{a}-2-apbdes" checked' in page.text
    login(client, tenancy.operator_a)
    assert client.post(reverse("monev-plan"), {"tahun": "2026"}).status_code == 403
    assert MonevPlanEntry.objects.count() == 1


# Outsiders ------------------------------------------------------------------------------------------------


def _pages(rec: Recommendation, visit: Visit, fu_pk: int, file_pk: int) -> list[tuple[str, str]]:
    return [
        ("get", reverse("monev-visit-detail", args=[visit.pk])),
        ("get", reverse("monev-visit-edit", args=[visit.pk])),
        ("get", reverse("monev-visit-report", args=[visit.pk])),
        ("get", reverse("monev-visit-file", args=[file_pk])),
        ("get", reverse("monev-follow-up-file", args=[fu_pk])),
        ("post", reverse("monev-visit-finding", args=[visit.pk])),
        ("post", reverse("monev-visit-recommendation", args=[visit.pk])),
        ("post", reverse("monev-visit-file-add", args=[visit.pk])),
        ("post", reverse("monev-visit-checklist", args=[visit.pk])),
        ("post", reverse("monev-follow-up", args=[rec.pk])),
        ("post", reverse("monev-recommendation-accept", args=[rec.pk])),
        ("post", reverse("monev-recommendation-reopen", args=[rec.pk])),
    ]


@pytest.fixture
def answered(tenancy, rec, visit):
    fu = services.follow_up_submit(actor=tenancy.operator_a, recommendation=rec, text="Sudah", upload=pdf_upload())
    stored = services.visit_file_add(actor=tenancy.kasi_tapem, visit=visit, upload=pdf_upload())
    services.plan_set(actor=tenancy.kasi_tapem, year=2026, cells={(tenancy.desa_a.pk, 3): ["apbdes"]})
    return fu, stored


@pytest.mark.parametrize("who", ["outsider", "outsider_operator", "operator_b"])
def test_outsiders_get_404_on_every_page(client, tenancy, rec, visit, answered, who):
    fu, stored = answered
    login(client, getattr(tenancy, who))
    for method, url in _pages(rec, visit, fu.pk, stored.pk):
        assert getattr(client, method)(url).status_code == 404, url
    assert f"visit-{visit.pk}" not in client.get(reverse("monev-visit-list"), {"tahun": 2026}).text
    assert f"recommendation-{rec.pk}" not in client.get(reverse("monev-recommendations")).text
    plan = client.get(reverse("monev-plan"), {"tahun": 2026}).text
    assert tenancy.desa_a.kode not in plan


def test_rightful_users_see_the_lists(client, tenancy, rec, visit, answered):
    for user in (tenancy.kasi_tapem, tenancy.operator_a):
        login(client, user)
        assert f"visit-{visit.pk}" in client.get(reverse("monev-visit-list"), {"tahun": 2026}).text
        assert f"recommendation-{rec.pk}" in client.get(reverse("monev-recommendations")).text


API_LISTS = [
    "visit-plans",
    "visits",
    "visit-files",
    "visit-findings",
    "visit-recommendations",
    "visit-follow-ups",
]


@pytest.mark.parametrize("who", ["outsider", "outsider_operator", "operator_b"])
def test_api_outsiders_see_nothing(tenancy, rec, visit, answered, who):
    fu, stored = answered
    api = tenancy.client(getattr(tenancy, who))
    for name in API_LISTS:
        assert rows(api, f"/api/v1/{name}/") == [], name
    plan_id = MonevPlanEntry.objects.get().pk
    finding_id = visit.findings.get().pk
    for url in (
        f"/api/v1/visit-plans/{plan_id}/",
        f"/api/v1/visits/{visit.pk}/",
        f"/api/v1/visits/{visit.pk}/report/",
        f"/api/v1/visit-files/{stored.pk}/download/",
        f"/api/v1/visit-findings/{finding_id}/",
        f"/api/v1/visit-recommendations/{rec.pk}/",
        f"/api/v1/visit-follow-ups/{fu.pk}/",
        f"/api/v1/visit-follow-ups/{fu.pk}/download/",
    ):
        assert api.get(url).status_code == 404, url
    posts = [
        (f"/api/v1/visit-follow-ups/{fu.pk}/accept/", {}),
        (f"/api/v1/visit-follow-ups/{fu.pk}/reopen/", {"reason": "x"}),
        ("/api/v1/visit-follow-ups/", {"recommendation": rec.pk, "text": "x"}),
    ]
    if who == "outsider":  # kecamatan staff of another kecamatan: may write, but not here
        posts += [
            ("/api/v1/visit-findings/", {"visit": visit.pk, "text": "x"}),
            (
                "/api/v1/visit-recommendations/",
                {"visit": visit.pk, "text": "x", "responsible": "y", "due_date": "2026-12-01"},
            ),
            (f"/api/v1/visits/{visit.pk}/checklist/", []),
            (
                "/api/v1/visits/",
                {"desa": tenancy.desa_a.pk, "visit_type": "apbdes", "visit_date": "2026-10-01"},
            ),
            (
                "/api/v1/visit-plans/",
                {"desa": tenancy.desa_a.pk, "year": 2026, "quarter": 1, "visit_type": "fisik"},
            ),
        ]
    for url, body in posts:
        assert api.post(url, body, format="json").status_code in (403, 404), url
        if who == "outsider":
            assert api.post(url, body, format="json").status_code != 201
    rec.refresh_from_db()
    assert rec.state == RS.ANSWERED and Visit.objects.count() == 1 and MonevPlanEntry.objects.count() == 1


def test_api_rightful_users(tenancy, rec, visit, answered):
    kasi = tenancy.client(tenancy.kasi_tapem)
    assert [r["id"] for r in rows(kasi, "/api/v1/visits/")] == [visit.pk]
    created = kasi.post(
        "/api/v1/visits/",
        {"desa": tenancy.desa_b.pk, "visit_type": "fisik", "mode": "kunjungan", "visit_date": "2026-10-02"},
        format="json",
    )
    assert created.status_code == 201, created.content
    plan = kasi.post(
        "/api/v1/visit-plans/",
        {"desa": tenancy.desa_b.pk, "year": 2026, "quarter": 4, "visit_type": "fisik"},
        format="json",
    )
    assert plan.status_code == 201, plan.content
    first = visit.answers.order_by("sort_order").first()
    bad = kasi.post(f"/api/v1/visits/{visit.pk}/checklist/", [{"id": first.pk, "answer": "mungkin"}], format="json")
    assert bad.status_code == 400
    good = kasi.post(
        f"/api/v1/visits/{visit.pk}/checklist/", [{"id": first.pk, "answer": "ya", "note": "Lengkap"}], format="json"
    )
    assert good.status_code == 200 and good.json()["answers"][0]["answer"] == "ya"
    desa = tenancy.client(tenancy.operator_a)
    assert [r["id"] for r in rows(desa, "/api/v1/visits/")] == [visit.pk]
    assert [r["id"] for r in rows(desa, "/api/v1/visit-recommendations/")] == [rec.pk]
    assert desa.post("/api/v1/visits/", {}, format="json").status_code == 403


# Query counts ---------------------------------------------------------------------------------------------


def _count(client, url, **params) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url, params).status_code == 200
    return len(ctx.captured_queries)


def test_list_query_counts_do_not_grow_with_the_number_of_desa(client, tenancy, rec, visit, answered):
    login(client, tenancy.kasi_tapem)
    pages = [reverse("monev-plan"), reverse("monev-visit-list"), reverse("monev-recommendations")]
    before = [_count(client, url, tahun=2026) for url in pages]
    from django.utils import timezone

    today = timezone.localdate()
    from monev.home import overdue_recommendations_section

    services.recommendation_add(
        actor=tenancy.kasi_tapem, visit=visit, text="Lewat", responsible="Sekdes", due_date=dt.date(2026, 9, 20)
    )
    with CaptureQueriesContext(connection) as ctx:
        overdue_recommendations_section(tenancy.kasi_tapem, today)
    home_before = len(ctx.captured_queries)
    for i in range(5):
        desa = DesaFactory(kecamatan=tenancy.kecamatan, kode=f"35.24.13.21{i:02d}", nama=f"Desa {i}")
        v = services.visit_save(
            actor=tenancy.kasi_tapem, desa=desa, visit_type="apbdes", mode="dokumen", visit_date=DAY
        )
        services.recommendation_add(
            actor=tenancy.kasi_tapem, visit=v, text="R", responsible="Sekdes", due_date=dt.date(2026, 9, 20)
        )
        services.plan_set(actor=tenancy.kasi_tapem, year=2026, cells={(desa.pk, 2): ["fisik"]})
    after = [_count(client, url, tahun=2026) for url in pages]
    assert after == before
    with CaptureQueriesContext(connection) as ctx:
        section = overdue_recommendations_section(tenancy.kasi_tapem, today)
    assert len(ctx.captured_queries) == home_before
    assert section.total == 6


def _png(name: str) -> SimpleUploadedFile:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 10, 10)).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def test_home_section_overdue_recommendations(client, tenancy, rec):
    from monev.home import home_sections

    today = dt.date(2026, 11, 3)
    for user, expected in ((tenancy.operator_a, 1), (tenancy.kasi_tapem, 1), (tenancy.operator_b, 0)):
        (section,) = [s for s in home_sections(user, today) if s.key == "monev-recommendations-overdue"]
        assert section.total == expected and len(section.items) == expected, user
        assert section.title == "Rekomendasi lewat tenggat"
    (section,) = [s for s in home_sections(tenancy.operator_a, today) if s.key == "monev-recommendations-overdue"]
    assert section.items[0].url == reverse("monev-visit-detail", args=[rec.visit_id]) + f"#rec-{rec.pk}"
    assert "3 hari terlambat" in section.items[0].detail
    outsider = [s for s in home_sections(tenancy.outsider, today) if s.key == "monev-recommendations-overdue"]
    assert outsider[0].total == 0
    services.follow_up_submit(actor=tenancy.operator_a, recommendation=rec, text="Sudah")
    (section,) = [s for s in home_sections(tenancy.kasi_tapem, today) if s.key == "monev-recommendations-overdue"]
    assert section.total == 0


def test_desa_page_links_to_its_visits(client, tenancy):
    page = login(client, tenancy.operator_a).get(reverse("monev-desa", args=[tenancy.desa_a.kode]))
    assert page.status_code == 200
    assert f"{reverse('monev-visit-list')}?desa={tenancy.desa_a.kode}" in page.text


def test_changing_the_type_keeps_a_checklist_that_has_notes(tenancy, visit):
    answer = visit.answers.first()
    answer.note = "Baliho ada tetapi belum diperbarui"
    answer.save()
    services.visit_save(
        actor=tenancy.kasi_tapem,
        desa=tenancy.desa_a,
        visit_type="perdes",
        mode="kunjungan",
        visit_date=DAY,
        visit=visit,
    )
    assert visit.answers.filter(note="Baliho ada tetapi belum diperbarui").exists()
