"""Musrenbang API: meetings (schedule, record, documents, participation), the board, proposals and their flow,
ranking, totals, coverage, import/export and the ranking rule. The rightful user gets their data; an outsider
(operator of desa B for desa A's rows, a Kasi or an operator of another kecamatan) gets a 404 or an empty list
and changes nothing."""

from __future__ import annotations

import datetime as dt
import io
import sys
import types
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook, load_workbook
from PIL import Image

import musrenbang
from musrenbang import rules, selectors, services
from musrenbang.choices import DocumentRole, MeetingKind, ProposalStatus
from musrenbang.models import (
    Meeting,
    MeetingDocument,
    Participant,
    Participation,
    Proposal,
    ProposalTransition,
    RankingRule,
)
from tests.helpers import blank_pdf, content, rows

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_media")]
FOREIGN = ["operator_b", "outsider", "outsider_operator"]  # none of them may see or touch desa A's rows
OUTSIDERS = ["outsider", "outsider_operator"]  # of another kecamatan: not even the kecamatan's forum
Y = timezone.localdate().year  # this cycle: the desa meetings' windows (in Y-1) are over
NEXT = Y + 2  # a cycle whose meetings all lie ahead: planned dates in the future, whatever today is
MUSDES_PLANNED = dt.date(NEXT - 1, 4, 15)  # inside the Musdes window, January–June of NEXT - 1
FORUM_PLANNED = dt.date(NEXT, 2, 10)  # inside the Musrenbang Kecamatan window, January–February of NEXT
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def url(name: str, *args) -> str:
    return reverse(f"api:musrenbang-{name}", args=args)


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, format="PNG")
    return buffer.getvalue()


def xlsx_bytes() -> bytes:
    workbook = Workbook()
    workbook.active.append(["Nama", "Kelompok"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data)


FIELDS = {
    "bidang": "2",
    "activity": "Pembangunan jalan rabat beton",
    "volume": Decimal("250"),
    "unit": "m",
    "estimated_cost": Decimal("185000000"),
    "fund_source": "dd",
    "desa_rank": 1,
}
BODY = {**FIELDS, "volume": "250", "estimated_cost": "185000000"}


def make_proposal(tenancy, desa=None, year: int = Y, **fields) -> Proposal:
    desa = desa or tenancy.desa_a
    actor = tenancy.operator_a if desa == tenancy.desa_a else tenancy.operator_b
    return services.proposal_create(actor=actor, desa=desa, year=year, **{**FIELDS, **fields})


def move(tenancy, proposal: Proposal, *steps: str, **extra) -> Proposal:
    """Walk ``proposal`` through ``steps`` as the Kasi Tapem (with what each step needs)."""
    needs = {
        ProposalStatus.DIAKOMODASI: {"program": "Dinas PU"},
        ProposalStatus.TIDAK_DIAKOMODASI: {"outcome_reason": "Anggaran tidak cukup"},
    }
    for step in steps:
        kwargs = {**needs.get(step, {}), **(extra if step == steps[-1] else {})}
        proposal = services.proposal_move(actor=tenancy.kasi_tapem, proposal=proposal, to_status=step, **kwargs)
    return proposal


REJECTED = (ProposalStatus.DIBAHAS, ProposalStatus.TIDAK_DIAKOMODASI)


def schedule(tenancy, *, kind=MeetingKind.MUSRENBANGDES, year=Y, planned=None, desa=None) -> list[Meeting]:
    planned = planned or dt.date(year - 1, 8, 10)
    return services.meetings_schedule(
        actor=tenancy.kasi_tapem, kecamatan=tenancy.kecamatan, year=year, kind=kind, planned_date=planned, desa=desa
    )


def meeting_of(tenancy, desa=None, kind=MeetingKind.MUSRENBANGDES, year=Y) -> Meeting:
    return Meeting.objects.get(desa=desa or tenancy.desa_a, kind=kind, year=year)


def add_berita_acara(tenancy, meeting: Meeting):
    return services.meeting_document_add(
        actor=tenancy.kasi_tapem, meeting=meeting, role=DocumentRole.BERITA_ACARA, upload=upload("ba.pdf", blank_pdf())
    )


def hold_musdes(tenancy, desa=None, year=Y) -> Meeting:
    """The desa's Musdes of the cycle held (a date recorded, no berita acara): what comes before a lawful
    Musrenbangdes."""
    musdes = services.meeting_ensure(
        kecamatan=tenancy.kecamatan, desa=desa or tenancy.desa_a, year=year, kind=MeetingKind.MUSDES
    )
    return services.meeting_record(actor=tenancy.kasi_tapem, meeting=musdes, held_date=dt.date(year - 1, 5, 20))


@pytest.fixture
def held(tenancy):
    """This cycle's Musrenbangdes scheduled for desa A and B; desa A's held (a past date) with a berita acara,
    after its Musdes (held, no berita acara)."""
    schedule(tenancy)
    tenancy.musdes_a = hold_musdes(tenancy)
    meeting = meeting_of(tenancy)
    services.meeting_record(actor=tenancy.operator_a, meeting=meeting, held_date=dt.date(Y - 1, 8, 10), place="Balai")
    add_berita_acara(tenancy, meeting)
    return meeting


# Meetings: list, scope, filters -----------------------------------------------------------------------------


@pytest.fixture
def next_cycle(tenancy):
    """Next cycle's Musdes for every desa of the kecamatan, and its Musrenbang Kecamatan."""
    musdes = schedule(tenancy, kind=MeetingKind.MUSDES, year=NEXT, planned=MUSDES_PLANNED)
    forum = schedule(tenancy, kind=MeetingKind.KECAMATAN, year=NEXT, planned=FORUM_PLANNED)
    return musdes + forum


def test_meeting_list_is_scoped(tenancy, next_cycle):
    forum = next(m for m in next_cycle if m.desa_id is None)
    a = meeting_of(tenancy, kind=MeetingKind.MUSDES, year=NEXT)
    b = meeting_of(tenancy, tenancy.desa_b, kind=MeetingKind.MUSDES, year=NEXT)
    assert {r["id"] for r in rows(tenancy.client(tenancy.kasi_tapem), url("meeting-list"))} == {a.pk, b.pk, forum.pk}
    assert {r["id"] for r in rows(tenancy.client(tenancy.operator_a), url("meeting-list"))} == {a.pk, forum.pk}
    assert {r["id"] for r in rows(tenancy.client(tenancy.operator_b), url("meeting-list"))} == {b.pk, forum.pk}
    for who in OUTSIDERS:
        assert rows(tenancy.client(getattr(tenancy, who)), url("meeting-list")) == []


def test_meeting_detail_fields(tenancy, held):
    Participation.objects.create(meeting=held, group="bpd", men=3, women=1)
    body = tenancy.client(tenancy.operator_a).get(url("meeting-detail", held.pk)).json()
    assert (body["kind"], body["kind_display"], body["year"]) == ("musrenbangdes", "Musrenbangdes (RKPDes)", Y)
    assert (body["desa"], body["kecamatan"], body["place"]) == ("35.24.13.2001", "35.24.13", "Balai")
    assert (body["window_start"], body["window_end"]) == (f"{Y - 1}-07-01", f"{Y - 1}-09-30")
    assert (body["planned_date"], body["held_date"]) == (f"{Y - 1}-08-10", f"{Y - 1}-08-10")
    assert (body["state"], body["state_label"], body["state_reasons"]) == (rules.HELD, "Terlaksana", [])
    [document] = body["documents"]
    assert (document["role"], document["original_name"], document["uploaded_by"]) == (
        "berita_acara",
        "ba.pdf",
        "kasitapem",
    )
    assert document["size"] == len(blank_pdf())
    assert document["download_url"] == url("meeting-document-download", held.pk, document["id"])
    summary = body["participation"]
    assert (summary["source"], summary["total"], summary["men"], summary["women"]) == ("counts", 4, 3, 1)
    assert (summary["women_share"], summary["groups_present"]) == (25.0, ["bpd"])
    assert "bpd" not in summary["groups_missing"] and "perempuan" in summary["groups_missing"]


def test_meeting_summary_from_the_named_list_matches_the_selector(tenancy, held):
    Participant.objects.create(meeting=held, name="Siti", group="perempuan", gender="P")
    Participant.objects.create(meeting=held, name="Budi", group="pemuda", gender="L")
    Participant.objects.create(meeting=held, name="Ani", group="pemuda", gender="P")
    [row] = rows(
        tenancy.client(tenancy.kasi_tapem), url("meeting-list"), desa=tenancy.desa_a.kode, kind="musrenbangdes"
    )
    expected = selectors.participation(held)
    assert row["participation"]["source"] == expected.source == "names"
    assert (row["participation"]["men"], row["participation"]["women"]) == (expected.men, expected.women) == (1, 2)
    assert row["participation"]["women_share"] == expected.women_share == 66.7


def test_meeting_filters(tenancy, held, next_cycle):
    api = tenancy.client(tenancy.kasi_tapem)
    b_this = meeting_of(tenancy, tenancy.desa_b)
    assert {r["id"] for r in rows(api, url("meeting-list"), year=Y)} == {held.pk, b_this.pk, tenancy.musdes_a.pk}
    assert {r["desa"] for r in rows(api, url("meeting-list"), year=NEXT, kind="musdes")} == {
        "35.24.13.2001",
        "35.24.13.2002",
    }
    assert [r["kind"] for r in rows(api, url("meeting-list"), kind="kecamatan")] == ["kecamatan"]
    assert {r["id"] for r in rows(api, url("meeting-list"), desa=tenancy.desa_b.kode)} == {
        b_this.pk,
        meeting_of(tenancy, tenancy.desa_b, MeetingKind.MUSDES, NEXT).pk,
    }
    assert [r["id"] for r in rows(api, url("meeting-list"), state=rules.HELD)] == [held.pk]
    # Desa A's Musdes was held but has no berita acara; desa B held nothing.
    assert {r["id"] for r in rows(api, url("meeting-list"), state=rules.NOT_HELD)} == {b_this.pk, tenancy.musdes_a.pk}
    # The computed state filter is applied before the pagination: the count and the page agree.
    page = api.get(url("meeting-list"), {"state": rules.SCHEDULED, "page_size": 1}).json()
    assert page["count"] == 3 and len(page["results"]) == 1 and page["next"] is not None
    assert all(r["state"] == rules.SCHEDULED for r in rows(api, url("meeting-list"), state=rules.SCHEDULED))
    assert api.get(url("meeting-list"), {"state": "entah"}).status_code == 400


def test_meeting_held_out_of_schedule_says_why(tenancy, held, rkpdes_dates):
    """Recording a date before the window turns "terlaksana" into "di_luar_jadwal" with the reason; an
    RKPDes set before the Musrenbangdes adds its own. The list asks for the RKPDes dates once per cycle year."""
    api = tenancy.client(tenancy.operator_a)
    response = api.patch(url("meeting-detail", held.pk), {"held_date": f"{Y - 1}-06-12"}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["state"], body["state_label"]) == (rules.OFF_SCHEDULE, "Di luar jadwal")
    assert body["state_reasons"] == [
        {"code": "sebelum_jendela", "text": f"Diadakan 12/06/{Y - 1}, sebelum jendela 01/07/{Y - 1}–30/09/{Y - 1}"}
    ]
    api.patch(url("meeting-detail", held.pk), {"held_date": f"{Y - 1}-08-20"}, format="json")
    rkpdes_dates[tenancy.desa_a.pk] = dt.date(Y - 1, 8, 10)
    body = api.get(url("meeting-detail", held.pk)).json()
    assert (body["state"], [r["code"] for r in body["state_reasons"]]) == (rules.OFF_SCHEDULE, ["setelah_rkpdes"])
    assert body["state_reasons"][0]["text"] == f"RKPDes ditetapkan 10/08/{Y - 1} sebelum Musrenbangdes 20/08/{Y - 1}"
    rkpdes_dates.asked.clear()
    kasi = tenancy.client(tenancy.kasi_tapem)
    listed = {r["id"]: r for r in rows(kasi, url("meeting-list"))}
    assert listed[held.pk]["state"] == rules.OFF_SCHEDULE and listed[tenancy.musdes_a.pk]["state_reasons"] == []
    assert rkpdes_dates.asked == [([tenancy.desa_a.pk, tenancy.desa_b.pk], Y)]  # one question for the page
    assert [r["id"] for r in rows(kasi, url("meeting-list"), state=rules.OFF_SCHEDULE)] == [held.pk]
    make_proposal(tenancy)
    board = kasi.get(url("board"), {"year": Y}).json()
    cell = board["rows"][0]["cells"]["musrenbangdes"]
    assert (cell["state"], cell["state_label"], cell["state_reasons"]) == (
        rules.OFF_SCHEDULE,
        "Di luar jadwal",
        body["state_reasons"],
    )
    assert board["totals"]["musrenbangdes"] == {rules.NOT_HELD: 1, rules.OFF_SCHEDULE: 1}
    assert board["totals"]["musdes"] == {rules.NOT_HELD: 2}
    assert (board["participating"], board["rows"][0]["participates"]) == (0, False)  # not a lawful Musrenbangdes
    for who in FOREIGN:
        foreign = tenancy.client(getattr(tenancy, who))
        assert foreign.get(url("meeting-detail", held.pk)).status_code == 404, who
        assert rows(foreign, url("meeting-list"), state=rules.OFF_SCHEDULE) == [], who
        seen = foreign.get(url("board"), {"year": Y}).json()
        assert "35.24.13.2001" not in [r["desa"] for r in seen["rows"]], who
        assert rules.OFF_SCHEDULE not in seen["totals"]["musrenbangdes"], who


@pytest.mark.parametrize("who", FOREIGN)
def test_foreign_users_cannot_reach_desa_a_meeting(tenancy, held, who):
    api = tenancy.client(getattr(tenancy, who))
    document = held.documents.get()
    before = (Meeting.objects.get(pk=held.pk).held_date, MeetingDocument.objects.count(), Participation.objects.count())
    assert api.get(url("meeting-detail", held.pk)).status_code == 404
    assert api.patch(url("meeting-detail", held.pk), {"place": "Dibajak"}, format="json").status_code == 404
    assert api.get(url("meeting-documents", held.pk)).status_code == 404
    posted = api.post(url("meeting-documents", held.pk), {"role": "foto", "file": upload("a.png", png_bytes())})
    assert posted.status_code == 404
    assert api.get(url("meeting-document-download", held.pk, document.pk)).status_code == 404
    assert api.get(url("meeting-participants", held.pk)).status_code == 404
    counts = {"counts": {"bpd": {"men": 9, "women": 9}}}
    assert api.put(url("meeting-participants", held.pk), counts, format="json").status_code == 404
    imported = api.post(url("meeting-participants-import", held.pk), {"file": upload("h.xlsx", xlsx_bytes())})
    assert imported.status_code == 404
    assert not any(r["id"] == held.pk for r in rows(api, url("meeting-list")))
    assert (
        Meeting.objects.get(pk=held.pk).held_date,
        MeetingDocument.objects.count(),
        Participation.objects.count(),
    ) == before
    assert Meeting.objects.get(pk=held.pk).place == "Balai"


@pytest.mark.parametrize("who", OUTSIDERS)
def test_outsiders_cannot_reach_the_kecamatan_forum(tenancy, next_cycle, who):
    forum = next(m for m in next_cycle if m.desa_id is None)
    api = tenancy.client(getattr(tenancy, who))
    assert api.get(url("meeting-detail", forum.pk)).status_code == 404
    assert api.patch(url("meeting-detail", forum.pk), {"notes": "x"}, format="json").status_code == 404
    assert Meeting.objects.get(pk=forum.pk).notes == ""


# Meetings: schedule and record ------------------------------------------------------------------------------


def test_kasi_schedules_a_kind_of_meeting_for_every_desa(tenancy):
    api = tenancy.client(tenancy.kasi_tapem)
    body = {"year": NEXT, "kind": "musdes", "planned_date": str(MUSDES_PLANNED)}
    response = api.post(url("meeting-schedule"), body, format="json")
    assert response.status_code == 200, response.content
    assert [(r["desa"], r["planned_date"], r["state"]) for r in response.json()] == [
        ("35.24.13.2001", str(MUSDES_PLANNED), rules.SCHEDULED),
        ("35.24.13.2002", str(MUSDES_PLANNED), rules.SCHEDULED),
    ]
    assert response.json()[0]["window_end"] == f"{NEXT - 1}-06-30"
    assert Meeting.objects.filter(year=NEXT, kind="musdes", planned_date=MUSDES_PLANNED).count() == 2
    assert not Meeting.objects.filter(desa=tenancy.other_desa).exists()


def test_schedule_for_listed_desa_with_its_own_window(tenancy):
    api = tenancy.client(tenancy.kasi_tapem)
    later = NEXT - 1
    body = {
        "year": NEXT,
        "kind": "musrenbangdes",
        "planned_date": f"{later}-10-05",
        "desa": [tenancy.desa_b.kode],
        "window_start": f"{later}-10-01",
        "window_end": f"{later}-10-31",
    }
    response = api.post(url("meeting-schedule"), body, format="json")
    assert response.status_code == 200, response.content
    [row] = response.json()
    assert (row["desa"], row["window_start"], row["window_end"]) == (
        "35.24.13.2002",
        f"{later}-10-01",
        f"{later}-10-31",
    )
    assert list(Meeting.objects.values_list("desa__kode", flat=True)) == ["35.24.13.2002"]


def test_schedule_with_a_planned_date_outside_the_window_is_refused(tenancy):
    api = tenancy.client(tenancy.kasi_tapem)
    response = api.post(
        url("meeting-schedule"), {"year": NEXT, "kind": "musdes", "planned_date": f"{NEXT - 1}-08-01"}, format="json"
    )
    assert response.status_code == 400
    assert "harus di dalam jendela" in response.json()["fields"]["planned_date"][0]
    half = api.post(
        url("meeting-schedule"), {"year": NEXT, "kind": "musdes", "window_start": f"{NEXT - 1}-02-01"}, format="json"
    )
    assert half.status_code == 400 and "window_end" in half.json()["fields"]
    assert not Meeting.objects.exists()


@pytest.mark.parametrize("who", ["operator_a", "kades_a"])
def test_desa_users_cannot_schedule(tenancy, who):
    response = tenancy.client(getattr(tenancy, who)).post(
        url("meeting-schedule"), {"year": NEXT, "kind": "musdes", "planned_date": str(MUSDES_PLANNED)}, format="json"
    )
    assert response.status_code == 403 and not Meeting.objects.exists()


def test_outsider_schedules_only_its_own_kecamatan(tenancy):
    api = tenancy.client(tenancy.outsider)
    body = {"year": NEXT, "kind": "musdes", "planned_date": str(MUSDES_PLANNED)}
    foreign = api.post(url("meeting-schedule"), {**body, "desa": [tenancy.desa_a.kode]}, format="json")
    assert foreign.status_code == 400 and "desa" in foreign.json()["fields"]
    assert not Meeting.objects.exists()
    own = api.post(url("meeting-schedule"), body, format="json")
    assert own.status_code == 200 and [r["desa"] for r in own.json()] == ["35.24.14.2001"]
    assert not Meeting.objects.filter(kecamatan=tenancy.kecamatan).exists()
    named = api.post(url("meeting-schedule"), {**body, "kecamatan": tenancy.kecamatan.kode}, format="json")
    assert named.status_code == 400 and not Meeting.objects.filter(kecamatan=tenancy.kecamatan).exists()


def test_desa_records_its_own_meeting_but_not_the_forum(tenancy, next_cycle):
    own = meeting_of(tenancy, kind=MeetingKind.MUSDES, year=NEXT)
    forum = next(m for m in next_cycle if m.desa_id is None)
    api = tenancy.client(tenancy.operator_a)
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    response = api.patch(
        url("meeting-detail", own.pk), {"held_date": str(yesterday), "place": "Balai desa"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert (response.json()["held_date"], response.json()["place"]) == (str(yesterday), "Balai desa")
    notes = api.patch(url("meeting-detail", own.pk), {"notes": "Dihadiri 40 orang"}, format="json")
    assert notes.status_code == 200
    own.refresh_from_db()
    assert (own.held_date, own.place, own.notes) == (yesterday, "Balai desa", "Dihadiri 40 orang")  # kept
    assert api.patch(url("meeting-detail", forum.pk), {"place": "Balai desa"}, format="json").status_code == 403
    forum.refresh_from_db()
    assert forum.place == ""
    kasi = tenancy.client(tenancy.kasi_tapem).patch(
        url("meeting-detail", forum.pk), {"place": "Pendopo"}, format="json"
    )
    assert kasi.status_code == 200 and Meeting.objects.get(pk=forum.pk).place == "Pendopo"


def test_held_date_in_the_future_is_refused(tenancy, next_cycle):
    own = meeting_of(tenancy, kind=MeetingKind.MUSDES, year=NEXT)
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    response = tenancy.client(tenancy.operator_a).patch(
        url("meeting-detail", own.pk), {"held_date": str(tomorrow)}, format="json"
    )
    assert response.status_code == 400 and "masa depan" in response.json()["fields"]["held_date"][0]
    assert Meeting.objects.get(pk=own.pk).held_date is None


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
def test_meeting_dates_outside_2000_2100_are_refused(tenancy, next_cycle, day):
    own = meeting_of(tenancy, kind=MeetingKind.MUSDES, year=NEXT)
    api = tenancy.client(tenancy.kasi_tapem)
    message = ["Tanggal harus di antara tahun 2000 dan 2100."]
    held = api.patch(url("meeting-detail", own.pk), {"held_date": day}, format="json")
    assert (held.status_code, held.json()["fields"]) == (400, {"held_date": message})
    body = {"year": NEXT, "kind": "musdes", "planned_date": day, "window_start": day, "window_end": day}
    planned = api.post(url("meeting-schedule"), body, format="json")
    assert (planned.status_code, planned.json()["fields"]) == (400, {"planned_date": message})
    window = api.post(url("meeting-schedule"), {**body, "planned_date": None}, format="json")
    assert (window.status_code, window.json()["fields"]) == (400, {"window_start": message})
    assert not Meeting.objects.filter(held_date__isnull=False).exists()
    assert set(Meeting.objects.filter(year=NEXT, kind="musdes").values_list("planned_date", flat=True)) == {
        MUSDES_PLANNED
    }


# Meetings: documents ----------------------------------------------------------------------------------------


def test_documents_upload_list_and_download(tenancy, next_cycle):
    meeting = meeting_of(tenancy, kind=MeetingKind.MUSDES, year=NEXT)
    api = tenancy.client(tenancy.operator_a)
    pdf = blank_pdf()
    response = api.post(url("meeting-documents", meeting.pk), {"role": "berita_acara", "file": upload("BA.pdf", pdf)})
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["role"], body["role_display"], body["size"], body["uploaded_by"]) == (
        "berita_acara",
        "Berita acara",
        len(pdf),
        "op_a",
    )
    photo = api.post(url("meeting-documents", meeting.pk), {"role": "foto", "file": upload("foto.png", png_bytes())})
    assert photo.status_code == 201, photo.content
    listed = api.get(url("meeting-documents", meeting.pk)).json()
    assert sorted(d["role"] for d in listed) == ["berita_acara", "foto"]
    download = api.get(body["download_url"], HTTP_ACCEPT="application/pdf")
    assert download.status_code == 200 and content(download) == pdf and download["Content-Type"] == "application/pdf"
    other = schedule(
        tenancy, kind=MeetingKind.MUSDES, year=NEXT + 1, planned=dt.date(NEXT, 4, 1), desa=[tenancy.desa_a]
    )[0]
    # A document id of another meeting does not open through this one.
    assert api.get(url("meeting-document-download", other.pk, body["id"])).status_code == 404


def test_photo_upload_refuses_a_renamed_non_image(tenancy, next_cycle):
    meeting = meeting_of(tenancy, kind=MeetingKind.MUSDES, year=NEXT)
    api = tenancy.client(tenancy.operator_a)
    response = api.post(url("meeting-documents", meeting.pk), {"role": "foto", "file": upload("foto.jpg", blank_pdf())})
    assert response.status_code == 400, response.content
    assert response.json()["fields"]["file"][0] == (
        "Isi berkas “foto.jpg” bukan JPEG yang sah, walaupun namanya berakhiran .jpg."
    )
    assert not MeetingDocument.objects.exists()
    unknown = api.post(url("meeting-documents", meeting.pk), {"role": "surat", "file": upload("a.pdf", blank_pdf())})
    assert unknown.status_code == 400 and not MeetingDocument.objects.exists()


def test_desa_cannot_upload_to_the_kecamatan_forum(tenancy, next_cycle):
    forum = next(m for m in next_cycle if m.desa_id is None)
    response = tenancy.client(tenancy.operator_a).post(
        url("meeting-documents", forum.pk), {"role": "berita_acara", "file": upload("ba.pdf", blank_pdf())}
    )
    assert response.status_code == 403 and not MeetingDocument.objects.exists()
    assert tenancy.client(tenancy.operator_a).get(url("meeting-documents", forum.pk)).status_code == 200


# Meetings: participation ------------------------------------------------------------------------------------


def test_participants_put_then_get_shows_the_womens_share(tenancy, next_cycle):
    meeting = meeting_of(tenancy, kind=MeetingKind.MUSDES, year=NEXT)
    api = tenancy.client(tenancy.operator_a)
    counts = {"bpd": {"men": 3, "women": 1}, "perempuan": {"women": 4}, "perangkat": {"men": 2, "women": 0}}
    put = api.put(url("meeting-participants", meeting.pk), {"counts": counts}, format="json")
    assert put.status_code == 200, put.content
    body = api.get(url("meeting-participants", meeting.pk)).json()
    assert body["counts"] == {
        "bpd": {"men": 3, "women": 1},
        "perangkat": {"men": 2, "women": 0},
        "perempuan": {"men": 0, "women": 4},
    }
    summary = body["summary"]
    assert (summary["total"], summary["men"], summary["women"], summary["women_share"]) == (10, 5, 5, 50.0)
    assert summary["groups_present"] == ["bpd", "perangkat", "perempuan"] and summary["source"] == "counts"
    assert {"key": "kelompok_rentan", "label": "Kelompok rentan"} in body["groups"]
    detail = api.get(url("meeting-detail", meeting.pk)).json()
    assert detail["participation"]["women_share"] == 50.0
    replaced = api.put(
        url("meeting-participants", meeting.pk), {"counts": {"pemuda": {"men": 1, "women": 3}}}, format="json"
    )
    assert replaced.json()["summary"]["women_share"] == 75.0
    assert list(Participation.objects.values_list("group", "men", "women")) == [("pemuda", 1, 3)]


def test_participants_put_refuses_unknown_groups_and_negative_counts(tenancy, next_cycle):
    meeting = meeting_of(tenancy, kind=MeetingKind.MUSDES, year=NEXT)
    api = tenancy.client(tenancy.operator_a)
    unknown = api.put(url("meeting-participants", meeting.pk), {"counts": {"arisan": {"men": 1}}}, format="json")
    assert unknown.status_code == 400 and "Kelompok tidak dikenal" in unknown.json()["fields"]["group"][0]
    negative = api.put(url("meeting-participants", meeting.pk), {"counts": {"bpd": {"men": -1}}}, format="json")
    assert negative.status_code == 400 and not Participation.objects.exists()


@pytest.fixture
def fake_imports(monkeypatch, tenancy):
    """A stand-in for ``musrenbang.imports`` recording how the views call it (the real reader has its own
    tests); the views import it lazily, so it is found through the package and sys.modules."""
    calls: list[dict] = []
    module = types.ModuleType("musrenbang.imports")

    def proposals_import_xlsx(*, actor, desa, year, data):
        calls.append({"actor": actor, "desa": desa, "year": year, "data": data})
        return [services.proposal_create(actor=actor, desa=desa, year=year, **FIELDS)]

    def participants_import_xlsx(*, actor, meeting, data):
        calls.append({"actor": actor, "meeting": meeting, "data": data})
        Participant.objects.create(meeting=meeting, name="Siti", group="perempuan", gender="P")
        return 1

    module.proposals_import_xlsx = proposals_import_xlsx
    module.participants_import_xlsx = participants_import_xlsx
    monkeypatch.setitem(sys.modules, "musrenbang.imports", module)
    monkeypatch.setattr(musrenbang, "imports", module, raising=False)
    return calls


def test_participants_import_hands_the_checked_workbook_to_the_reader(tenancy, next_cycle, fake_imports):
    meeting = meeting_of(tenancy, kind=MeetingKind.MUSDES, year=NEXT)
    api = tenancy.client(tenancy.operator_a)
    data = xlsx_bytes()
    response = api.post(url("meeting-participants-import", meeting.pk), {"file": upload("hadir.xlsx", data)})
    assert response.status_code == 200, response.content
    assert response.json()["imported"] == 1 and [p["name"] for p in response.json()["participants"]] == ["Siti"]
    assert fake_imports == [{"actor": tenancy.operator_a, "meeting": meeting, "data": data}]
    not_xlsx = api.post(url("meeting-participants-import", meeting.pk), {"file": upload("hadir.xlsx", blank_pdf())})
    assert not_xlsx.status_code == 400 and "file" in not_xlsx.json()["fields"] and len(fake_imports) == 1


@pytest.mark.parametrize("who", FOREIGN)
def test_foreign_participants_import_never_reaches_the_reader(tenancy, held, fake_imports, who):
    api = tenancy.client(getattr(tenancy, who))
    response = api.post(url("meeting-participants-import", held.pk), {"file": upload("hadir.xlsx", xlsx_bytes())})
    assert response.status_code == 404 and fake_imports == [] and not Participant.objects.exists()


def filled(template: bytes, *rows_: list) -> SimpleUploadedFile:
    """The other helper's template with data rows below its header (a real round trip through the reader)."""
    workbook = load_workbook(io.BytesIO(template))
    for row in rows_:
        workbook.worksheets[0].append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return upload("isian.xlsx", buffer.getvalue())


def test_participants_import_of_the_template(tenancy, next_cycle):
    from musrenbang import imports

    meeting = meeting_of(tenancy, kind=MeetingKind.MUSDES, year=NEXT)
    api = tenancy.client(tenancy.operator_a)
    sheet = filled(
        imports.participants_template_xlsx(),
        ["Siti Aminah", "perempuan", "P", "PKK"],
        ["Budi", "bpd", "L", "Ketua BPD"],
    )
    response = api.post(url("meeting-participants-import", meeting.pk), {"file": sheet})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["imported"] == 2 and sorted(p["name"] for p in body["participants"]) == ["Budi", "Siti Aminah"]
    assert (body["summary"]["source"], body["summary"]["women_share"]) == ("names", 50.0)
    bad = filled(imports.participants_template_xlsx(), ["Ani", "arisan", "X", ""])
    refused = api.post(url("meeting-participants-import", meeting.pk), {"file": bad})
    assert refused.status_code == 400, refused.content
    assert all(m.startswith("Baris 2") for m in refused.json()["fields"]["non_field_errors"])
    assert Participant.objects.filter(meeting=meeting).count() == 2
    forum = next(m for m in next_cycle if m.desa_id is None)
    sheet = filled(imports.participants_template_xlsx(), ["Ani", "bpd", "P", ""])
    assert api.post(url("meeting-participants-import", forum.pk), {"file": sheet}).status_code == 403
    assert not Participant.objects.filter(meeting=forum).exists()


# Board ------------------------------------------------------------------------------------------------------


def test_board_states_and_the_participating_count(tenancy):
    schedule(tenancy)
    musdes = hold_musdes(tenancy)
    meeting = meeting_of(tenancy)
    services.meeting_record(actor=tenancy.operator_a, meeting=meeting, held_date=dt.date(Y - 1, 8, 10))
    api = tenancy.client(tenancy.kasi_tapem)

    def board():
        response = api.get(url("board"), {"year": Y})
        assert response.status_code == 200, response.content
        return response.json()

    before = board()
    assert (before["year"], before["total"], before["participating"]) == (Y, 2, 0)
    a, b = before["rows"]
    assert (a["desa"], a["cells"]["musrenbangdes"]["state"], a["cells"]["musrenbangdes"]["meeting"]) == (
        "35.24.13.2001",
        rules.NOT_HELD,
        meeting.pk,
    )
    assert a["cells"]["musrenbangdes"]["state_label"] == "Tidak terlaksana"
    assert a["cells"]["musdes"] == {
        "state": rules.NOT_HELD,
        "state_label": "Tidak terlaksana",
        "state_reasons": [],
        "meeting": musdes.pk,
        "planned_date": None,
        "held_date": f"{Y - 1}-05-20",
    }
    assert b["cells"]["musdes"] == {
        "state": rules.NOT_HELD,
        "state_label": "Tidak terlaksana",
        "state_reasons": [],
        "meeting": None,
        "planned_date": None,
        "held_date": None,
    }
    # The berita acara makes it held; without a proposal the desa does not take part yet.
    uploaded = tenancy.client(tenancy.operator_a).post(
        url("meeting-documents", meeting.pk), {"role": "berita_acara", "file": upload("ba.pdf", blank_pdf())}
    )
    assert uploaded.status_code == 201
    after_ba = board()
    assert after_ba["rows"][0]["cells"]["musrenbangdes"]["state"] == rules.HELD and after_ba["participating"] == 0
    created = tenancy.client(tenancy.operator_a).post(
        url("proposal-list"), {**BODY, "desa": tenancy.desa_a.kode, "year": Y}, format="json"
    )
    assert created.status_code == 201
    final = board()
    assert final["participating"] == 1 and final["total"] == 2
    assert (final["rows"][0]["proposals"], final["rows"][0]["participates"]) == (1, True)
    assert (final["rows"][1]["desa"], final["rows"][1]["participates"], final["rows"][1]["proposals"]) == (
        "35.24.13.2002",
        False,
        0,
    )
    assert api.get(url("board")).status_code == 400


def test_board_is_scoped(tenancy, held):
    make_proposal(tenancy)
    b_rows = tenancy.client(tenancy.operator_b).get(url("board"), {"year": Y}).json()
    assert [r["desa"] for r in b_rows["rows"]] == ["35.24.13.2002"] and b_rows["participating"] == 0
    for who in OUTSIDERS:
        body = tenancy.client(getattr(tenancy, who)).get(url("board"), {"year": Y}).json()
        assert [r["desa"] for r in body["rows"]] == ["35.24.14.2001"]
        assert body["participating"] == 0 and body["kecamatan_meetings"] == []


# Proposals: create, list, update ----------------------------------------------------------------------------


def test_operator_creates_a_proposal_for_its_own_desa_only(tenancy):
    api = tenancy.client(tenancy.operator_a)
    response = api.post(url("proposal-list"), {**BODY, "desa": tenancy.desa_a.kode, "year": Y}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["desa"], body["year"], body["status"], body["status_display"]) == (
        "35.24.13.2001",
        Y,
        "diusulkan",
        "Diusulkan desa",
    )
    assert (body["bidang"], body["bidang_display"], body["volume"], body["estimated_cost"]) == (
        "2",
        "Pelaksanaan Pembangunan Desa",
        "250.00",
        "185000000",
    )
    assert (body["carried_from"], body["carried_to"], body["created_by"]) == (None, None, "op_a")
    assert [(t["from"], t["to"], t["by"]) for t in body["transitions"]] == [("", "diusulkan", "op_a")]
    other = api.post(url("proposal-list"), {**BODY, "desa": tenancy.desa_b.kode, "year": Y}, format="json")
    assert other.status_code == 400 and "desa" in other.json()["fields"]
    assert list(Proposal.objects.values_list("desa__kode", flat=True)) == ["35.24.13.2001"]


@pytest.mark.parametrize("who", OUTSIDERS)
def test_outsiders_cannot_create_for_desa_a(tenancy, who):
    response = tenancy.client(getattr(tenancy, who)).post(
        url("proposal-list"), {**BODY, "desa": tenancy.desa_a.kode, "year": Y}, format="json"
    )
    assert response.status_code == 400 and not Proposal.objects.exists()


def test_kecamatan_staff_may_create_and_invalid_input_is_refused(tenancy):
    api = tenancy.client(tenancy.kasi_tapem)
    response = api.post(url("proposal-list"), {**BODY, "desa": tenancy.desa_b.kode, "year": Y}, format="json")
    assert response.status_code == 201 and response.json()["created_by"] == "kasitapem"
    bad = api.post(
        url("proposal-list"),
        {**BODY, "desa": tenancy.desa_b.kode, "year": Y, "bidang": "9", "desa_rank": 0},
        format="json",
    )
    assert bad.status_code == 400 and {"bidang", "desa_rank"} <= set(bad.json()["fields"])
    assert Proposal.objects.count() == 1


def test_proposal_list_is_scoped_and_filtered(tenancy):
    a1 = make_proposal(tenancy, bidang="2")
    a2 = make_proposal(tenancy, bidang="4", year=NEXT)
    b1 = make_proposal(tenancy, tenancy.desa_b, bidang="2")
    move(tenancy, a1, ProposalStatus.DIBAHAS)
    kasi = tenancy.client(tenancy.kasi_tapem)
    assert {r["id"] for r in rows(kasi, url("proposal-list"))} == {a1.pk, a2.pk, b1.pk}
    assert {r["id"] for r in rows(kasi, url("proposal-list"), year=Y)} == {a1.pk, b1.pk}
    assert {r["id"] for r in rows(kasi, url("proposal-list"), desa=tenancy.desa_b.kode)} == {b1.pk}
    assert {r["id"] for r in rows(kasi, url("proposal-list"), bidang="4")} == {a2.pk}
    assert {r["id"] for r in rows(kasi, url("proposal-list"), status="dibahas")} == {a1.pk}
    assert {r["id"] for r in rows(tenancy.client(tenancy.operator_a), url("proposal-list"))} == {a1.pk, a2.pk}
    assert {r["id"] for r in rows(tenancy.client(tenancy.operator_b), url("proposal-list"))} == {b1.pk}
    for who in OUTSIDERS:
        assert rows(tenancy.client(getattr(tenancy, who)), url("proposal-list")) == []
    assert rows(tenancy.client(tenancy.operator_b), url("proposal-list"), desa=tenancy.desa_a.kode) == []


def test_desa_edits_its_proposal_until_it_is_discussed(tenancy):
    proposal = make_proposal(tenancy)
    api = tenancy.client(tenancy.operator_a)
    response = api.patch(
        url("proposal-detail", proposal.pk), {"activity": "Jalan paving", "desa_rank": 2}, format="json"
    )
    assert response.status_code == 200, response.content
    assert (response.json()["activity"], response.json()["desa_rank"]) == ("Jalan paving", 2)
    moved = api.patch(url("proposal-detail", proposal.pk), {"desa": tenancy.desa_b.kode}, format="json")
    assert moved.status_code == 400 and Proposal.objects.get(pk=proposal.pk).desa == tenancy.desa_a
    move(tenancy, proposal, ProposalStatus.DIBAHAS)
    late = api.patch(url("proposal-detail", proposal.pk), {"activity": "Lain"}, format="json")
    assert late.status_code == 400
    assert late.json()["fields"]["non_field_errors"] == ["Usulan yang sudah dibahas tidak dapat diubah lagi."]
    assert Proposal.objects.get(pk=proposal.pk).activity == "Jalan paving"
    assert api.delete(url("proposal-detail", proposal.pk)).status_code == 405


@pytest.mark.parametrize("who", FOREIGN)
def test_foreign_users_cannot_read_or_edit_desa_a_proposal(tenancy, who):
    proposal = make_proposal(tenancy)
    api = tenancy.client(getattr(tenancy, who))
    assert api.get(url("proposal-detail", proposal.pk)).status_code == 404
    assert api.patch(url("proposal-detail", proposal.pk), {"activity": "Dibajak"}, format="json").status_code == 404
    put = api.put(url("proposal-detail", proposal.pk), {**BODY, "desa": tenancy.desa_a.kode, "year": Y}, format="json")
    assert put.status_code == 404
    assert api.get(url("proposal-chain", proposal.pk)).status_code == 404
    assert Proposal.objects.get(pk=proposal.pk).activity == FIELDS["activity"]


# Proposals: the flow ----------------------------------------------------------------------------------------


def test_kasi_walks_a_proposal_to_accommodated_and_every_step_is_recorded(tenancy):
    proposal = make_proposal(tenancy)
    api = tenancy.client(tenancy.kasi_tapem)
    discussed = api.post(
        url("proposal-discuss", proposal.pk),
        {"kecamatan_priority": 2, "score": "75.5", "note": "Prioritas"},
        format="json",
    )
    assert discussed.status_code == 200, discussed.content
    assert (discussed.json()["status"], discussed.json()["score"], discussed.json()["kecamatan_priority"]) == (
        "dibahas",
        "75.50",
        2,
    )
    forwarded = api.post(url("proposal-forward", proposal.pk), {}, format="json")
    assert forwarded.status_code == 200 and forwarded.json()["status"] == "diteruskan"
    accommodated = tenancy.client(tenancy.camat).post(
        url("proposal-accommodate", proposal.pk), {"program": "Dinas PU"}, format="json"
    )
    assert accommodated.status_code == 200, accommodated.content
    body = accommodated.json()
    assert (body["status"], body["program"], body["accommodated_cost"]) == ("diakomodasi", "Dinas PU", "185000000")
    assert [(t["from"], t["to"], t["by"], t["note"]) for t in body["transitions"]] == [
        ("", "diusulkan", "op_a", "Diusulkan"),
        ("diusulkan", "dibahas", "kasitapem", "Prioritas"),
        ("dibahas", "diteruskan", "kasitapem", ""),
        ("diteruskan", "diakomodasi", "camat", ""),
    ]
    assert all(t["at"] for t in body["transitions"]) and body["transitions"][-1]["to_display"] == "Diakomodasi"
    assert ProposalTransition.objects.filter(proposal=proposal).count() == 4


def test_accommodate_needs_the_program(tenancy):
    proposal = move(tenancy, make_proposal(tenancy), ProposalStatus.DIBAHAS, ProposalStatus.DITERUSKAN)
    response = tenancy.client(tenancy.kasi_tapem).post(url("proposal-accommodate", proposal.pk), {}, format="json")
    assert response.status_code == 400 and "program" in response.json()["fields"]
    assert Proposal.objects.get(pk=proposal.pk).status == ProposalStatus.DITERUSKAN


@pytest.mark.parametrize("who", ["operator_a", "kades_a"])
def test_desa_users_cannot_move_proposals(tenancy, who):
    proposal = make_proposal(tenancy)
    api = tenancy.client(getattr(tenancy, who))
    assert api.post(url("proposal-discuss", proposal.pk), {"score": "90"}, format="json").status_code == 403
    discussed = move(tenancy, proposal, ProposalStatus.DIBAHAS)
    assert api.post(url("proposal-forward", discussed.pk), {}, format="json").status_code == 403
    assert api.post(url("proposal-reject", discussed.pk), {"outcome_reason": "x"}, format="json").status_code == 403
    assert api.post(url("proposal-return", discussed.pk), {}, format="json").status_code == 403
    assert Proposal.objects.get(pk=proposal.pk).status == ProposalStatus.DIBAHAS
    assert ProposalTransition.objects.filter(proposal=proposal).count() == 2


def test_reject_requires_a_reason(tenancy):
    proposal = move(tenancy, make_proposal(tenancy), ProposalStatus.DIBAHAS)
    api = tenancy.client(tenancy.kasi_tapem)
    for body in ({}, {"outcome_reason": "   "}):
        response = api.post(url("proposal-reject", proposal.pk), body, format="json")
        assert response.status_code == 400
        assert response.json()["fields"]["outcome_reason"] == ["Tuliskan alasan usulan tidak diakomodasi."]
    assert Proposal.objects.get(pk=proposal.pk).status == ProposalStatus.DIBAHAS
    done = api.post(url("proposal-reject", proposal.pk), {"outcome_reason": "Bukan kewenangan"}, format="json")
    assert done.status_code == 200 and (done.json()["status"], done.json()["outcome_reason"]) == (
        "tidak_diakomodasi",
        "Bukan kewenangan",
    )


def test_illegal_step_is_refused(tenancy):
    proposal = make_proposal(tenancy)
    api = tenancy.client(tenancy.kasi_tapem)
    response = api.post(url("proposal-accommodate", proposal.pk), {"program": "Dinas PU"}, format="json")
    assert response.status_code == 400
    assert response.json()["fields"]["non_field_errors"] == [
        "Usulan berstatus Diusulkan desa tidak dapat dipindah ke Diakomodasi."
    ]
    assert api.post(url("proposal-forward", proposal.pk), {}, format="json").status_code == 400
    assert api.post(url("proposal-return", proposal.pk), {}, format="json").status_code == 400
    assert Proposal.objects.get(pk=proposal.pk).status == ProposalStatus.DIUSULKAN
    assert ProposalTransition.objects.filter(proposal=proposal).count() == 1


def test_return_sends_a_discussed_proposal_back_to_the_desa(tenancy):
    proposal = move(tenancy, make_proposal(tenancy), ProposalStatus.DIBAHAS)
    response = tenancy.client(tenancy.kasi_tapem).post(
        url("proposal-return", proposal.pk), {"note": "Lengkapi RAB"}, format="json"
    )
    assert response.status_code == 200 and response.json()["status"] == "diusulkan"
    assert response.json()["transitions"][-1] == {
        **response.json()["transitions"][-1],
        "from": "dibahas",
        "to": "diusulkan",
        "note": "Lengkapi RAB",
    }
    edit = tenancy.client(tenancy.operator_a).patch(
        url("proposal-detail", proposal.pk), {"volume": "300"}, format="json"
    )
    assert edit.status_code == 200 and edit.json()["volume"] == "300.00"


def test_score_outside_0_to_100_is_refused(tenancy):
    proposal = make_proposal(tenancy)
    response = tenancy.client(tenancy.kasi_tapem).post(
        url("proposal-discuss", proposal.pk), {"score": "150"}, format="json"
    )
    assert response.status_code == 400 and Proposal.objects.get(pk=proposal.pk).status == ProposalStatus.DIUSULKAN


# Each action with the proposal in the state where the action is legal for the rightful user.
ACTIONS = [
    ("discuss", (), {"score": "80"}, "kasi_tapem"),
    ("forward", (ProposalStatus.DIBAHAS,), {}, "kasi_tapem"),
    ("accommodate", (ProposalStatus.DIBAHAS, ProposalStatus.DITERUSKAN), {"program": "Dinas PU"}, "kasi_tapem"),
    ("reject", (ProposalStatus.DIBAHAS,), {"outcome_reason": "Tidak"}, "kasi_tapem"),
    ("return", (ProposalStatus.DIBAHAS,), {}, "kasi_tapem"),
    ("carry-over", REJECTED, {}, "operator_a"),
]


@pytest.mark.parametrize("who", FOREIGN)
@pytest.mark.parametrize(("name", "steps", "body", "rightful"), ACTIONS, ids=[a[0] for a in ACTIONS])
def test_foreign_users_get_404_on_every_action_and_nothing_changes(tenancy, who, name, steps, body, rightful):
    proposal = move(tenancy, make_proposal(tenancy), *steps) if steps else make_proposal(tenancy)
    before = (proposal.status, ProposalTransition.objects.count(), Proposal.objects.count())
    response = tenancy.client(getattr(tenancy, who)).post(url(f"proposal-{name}", proposal.pk), body, format="json")
    assert response.status_code == 404
    assert (
        Proposal.objects.get(pk=proposal.pk).status,
        ProposalTransition.objects.count(),
        Proposal.objects.count(),
    ) == before
    # The same request by the rightful user succeeds: the 404 came from the scope, not from the state.
    rightful_response = tenancy.client(getattr(tenancy, rightful)).post(
        url(f"proposal-{name}", proposal.pk), body, format="json"
    )
    assert rightful_response.status_code in (200, 201), rightful_response.content


# Proposals: carry-over and chain ----------------------------------------------------------------------------


def test_carry_over_links_both_ways_once_and_the_chain_shows_both(tenancy):
    proposal = move(tenancy, make_proposal(tenancy), *REJECTED)
    api = tenancy.client(tenancy.operator_a)
    response = api.post(url("proposal-carry-over", proposal.pk))
    assert response.status_code == 201, response.content
    follow = response.json()
    assert (follow["year"], follow["status"], follow["carried_from"], follow["activity"]) == (
        Y + 1,
        "diusulkan",
        proposal.pk,
        FIELDS["activity"],
    )
    assert follow["transitions"][0]["note"] == f"Lanjutan usulan tahun {Y}"
    assert api.get(url("proposal-detail", proposal.pk)).json()["carried_to"] == follow["id"]
    again = api.post(url("proposal-carry-over", proposal.pk))
    assert again.status_code == 400
    assert again.json()["fields"]["non_field_errors"] == ["Usulan ini sudah diusulkan lagi untuk tahun berikutnya."]
    assert Proposal.objects.count() == 2
    for start in (proposal.pk, follow["id"]):
        chain = api.get(url("proposal-chain", start))
        assert chain.status_code == 200 and [p["id"] for p in chain.json()] == [proposal.pk, follow["id"]]


def test_carry_over_only_for_rejected_and_only_by_the_desa(tenancy):
    open_one = make_proposal(tenancy)
    api = tenancy.client(tenancy.operator_a)
    response = api.post(url("proposal-carry-over", open_one.pk))
    assert response.status_code == 400 and "tidak diakomodasi" in response.json()["fields"]["non_field_errors"][0]
    rejected = move(tenancy, make_proposal(tenancy), *REJECTED)
    assert tenancy.client(tenancy.kasi_tapem).post(url("proposal-carry-over", rejected.pk)).status_code == 403
    assert Proposal.objects.count() == 2


# Proposals: ranking, totals, coverage -----------------------------------------------------------------------


@pytest.fixture
def ranked(tenancy):
    million = Decimal(1_000_000)
    p1 = make_proposal(tenancy, desa_rank=1, estimated_cost=100 * million)
    p2 = make_proposal(tenancy, desa_rank=3, estimated_cost=50 * million)
    p3 = make_proposal(tenancy, desa_rank=2, estimated_cost=20 * million)
    p4 = make_proposal(tenancy, tenancy.desa_b, desa_rank=1, estimated_cost=300 * million)
    make_proposal(tenancy, desa_rank=4)  # not discussed: not ranked
    for proposal, score in ((p1, 80), (p2, 90), (p3, 80), (p4, 80)):
        move(tenancy, proposal, ProposalStatus.DIBAHAS, score=Decimal(score))
    return p1, p2, p3, p4


def test_ranking_follows_score_then_the_kecamatan_tie_breakers(tenancy, ranked):
    p1, p2, p3, p4 = ranked
    api = tenancy.client(tenancy.kasi_tapem)

    def ranking():
        response = api.get(url("proposal-ranking"), {"year": Y})
        assert response.status_code == 200, response.content
        return response.json()

    default = ranking()
    assert default["tie_breakers"] == rules.DEFAULT_TIE_BREAKERS and default["kecamatan"] == "35.24.13"
    # score 90 first; among the 80s desa rank (p1 and p4 rank 1), then the lower cost (p1).
    assert [r["id"] for r in default["results"]] == [p2.pk, p1.pk, p4.pk, p3.pk]
    assert [r["rank"] for r in default["results"]] == [1, 2, 3, 4]
    put = api.put(url("ranking-rule"), {"tie_breakers": ["cost_low"]}, format="json")
    assert put.status_code == 200, put.content
    assert (put.json()["tie_breakers"], put.json()["is_default"]) == (["cost_low"], False)
    after = ranking()
    assert after["tie_breakers"] == ["cost_low"]
    assert [r["id"] for r in after["results"]] == [p2.pk, p3.pk, p1.pk, p4.pk]
    assert after["results"][0]["score"] == "90.00" and after["results"][1]["desa"] == "35.24.13.2001"
    assert api.get(url("proposal-ranking")).status_code == 400


def test_ranking_is_scoped(tenancy, ranked):
    p4 = ranked[3]
    b = tenancy.client(tenancy.operator_b).get(url("proposal-ranking"), {"year": Y}).json()
    assert [(r["id"], r["rank"]) for r in b["results"]] == [(p4.pk, 1)]
    for who in OUTSIDERS:
        body = tenancy.client(getattr(tenancy, who)).get(url("proposal-ranking"), {"year": Y}).json()
        assert body["results"] == [] and body["kecamatan"] == "35.24.14"
    outsider = tenancy.client(tenancy.outsider)
    assert outsider.get(url("proposal-ranking"), {"year": Y, "kecamatan": "35.24.13"}).status_code == 404


def test_ranking_rule_read_and_write(tenancy):
    body = tenancy.client(tenancy.operator_a).get(url("ranking-rule")).json()
    assert (body["kecamatan"], body["tie_breakers"], body["is_default"]) == (
        "35.24.13",
        rules.DEFAULT_TIE_BREAKERS,
        True,
    )
    assert {c["key"]: c["label"] for c in body["choices"]} == {k: v[0] for k, v in rules.TIE_BREAKERS.items()}
    for who in ("operator_a", "kades_a"):
        refused = tenancy.client(getattr(tenancy, who)).put(
            url("ranking-rule"), {"tie_breakers": ["bidang"]}, format="json"
        )
        assert refused.status_code == 403
    api = tenancy.client(tenancy.kasi_tapem)
    bad = api.put(url("ranking-rule"), {"tie_breakers": ["desa_rank", "nope"]}, format="json")
    assert bad.status_code == 400
    assert bad.json()["fields"]["tie_breakers"] == ["Urutan penentu peringkat tidak sah: nope."]
    twice = api.put(url("ranking-rule"), {"tie_breakers": ["bidang", "bidang"]}, format="json")
    assert twice.status_code == 400
    assert not RankingRule.objects.exists()
    ok = api.put(url("ranking-rule"), {"tie_breakers": ["carried_over", "oldest"]}, format="json")
    assert ok.status_code == 200 and RankingRule.objects.get().tie_breakers == ["carried_over", "oldest"]


@pytest.mark.parametrize("who", OUTSIDERS)
def test_outsiders_cannot_read_or_change_our_ranking_rule(tenancy, who):
    services.ranking_rule_set(actor=tenancy.kasi_tapem, kecamatan=tenancy.kecamatan, tie_breakers=["bidang"])
    api = tenancy.client(getattr(tenancy, who))
    ours = f"{url('ranking-rule')}?kecamatan={tenancy.kecamatan.kode}"
    assert api.get(ours).status_code == 404
    assert api.put(ours, {"tie_breakers": ["oldest"]}, format="json").status_code == 404
    own = api.put(url("ranking-rule"), {"tie_breakers": ["oldest"]}, format="json")
    assert own.status_code == (200 if who == "outsider" else 403)
    assert RankingRule.objects.get(kecamatan=tenancy.kecamatan).tie_breakers == ["bidang"]
    assert api.get(url("ranking-rule")).json()["kecamatan"] == "35.24.14"


@pytest.fixture
def decided(tenancy):
    """Desa A, this cycle: one accommodated (Rp80 juta of 100), one rejected (50), one open (20, bidang 3);
    desa B: one open (10). The rejected one carried over to next year."""
    million = Decimal(1_000_000)
    accommodated = make_proposal(tenancy, estimated_cost=100 * million)
    move(
        tenancy,
        accommodated,
        ProposalStatus.DIBAHAS,
        ProposalStatus.DITERUSKAN,
        ProposalStatus.DIAKOMODASI,
        accommodated_cost=80 * million,
    )
    rejected = move(tenancy, make_proposal(tenancy, estimated_cost=50 * million), *REJECTED)
    make_proposal(tenancy, estimated_cost=20 * million, bidang="3")
    make_proposal(tenancy, tenancy.desa_b, estimated_cost=10 * million)
    services.proposal_carry_over(actor=tenancy.operator_a, proposal=rejected)


def test_totals_by_desa_and_by_bidang(tenancy, decided):
    api = tenancy.client(tenancy.kasi_tapem)
    by_desa = api.get(url("proposal-totals"), {"year": Y}).json()
    assert by_desa["by"] == "desa"
    a, b = by_desa["rows"]
    assert (a["key"], a["label"], a["count"], a["cost"], a["accommodated"], a["accommodated_cost"], a["decided"]) == (
        "35.24.13.2001",
        "Pucuk",
        3,
        "170000000",
        1,
        "80000000",
        2,
    )
    assert (a["share"], a["money_share"]) == (50.0, 47.1)
    assert (b["key"], b["count"], b["decided"], b["share"]) == ("35.24.13.2002", 1, 0, None)
    assert (by_desa["total"]["count"], by_desa["total"]["cost"], by_desa["total"]["share"]) == (4, "180000000", 50.0)
    by_bidang = api.get(url("proposal-totals"), {"year": Y, "by": "bidang"}).json()
    counts = {r["key"]: r["count"] for r in by_bidang["rows"]}
    assert counts == {"1": 0, "2": 3, "3": 1, "4": 0, "5": 0}
    assert by_bidang["rows"][1]["label"] == "Pelaksanaan Pembangunan Desa"
    assert api.get(url("proposal-totals"), {"year": Y, "by": "opd"}).status_code == 400


def test_totals_are_scoped(tenancy, decided):
    b = tenancy.client(tenancy.operator_b).get(url("proposal-totals"), {"year": Y}).json()
    assert [(r["key"], r["count"]) for r in b["rows"]] == [("35.24.13.2002", 1)] and b["total"]["count"] == 1
    bidang = tenancy.client(tenancy.operator_b).get(url("proposal-totals"), {"year": Y, "by": "bidang"}).json()
    assert bidang["total"]["count"] == 1 and sum(r["count"] for r in bidang["rows"]) == 1
    for who in OUTSIDERS:
        body = tenancy.client(getattr(tenancy, who)).get(url("proposal-totals"), {"year": Y}).json()
        assert [(r["key"], r["count"]) for r in body["rows"]] == [("35.24.14.2001", 0)]
        assert body["total"]["count"] == 0


def test_coverage_per_desa_per_year(tenancy, decided):
    api = tenancy.client(tenancy.kasi_tapem)
    response = api.get(url("proposal-coverage"), {"years": f"{Y + 1},{Y}"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["years"] == [Y, Y + 1]
    a, b = body["rows"]
    assert a["desa"] == "35.24.13.2001"
    assert [(y["year"], y["count"], y["decided"], y["share"], y["money_share"]) for y in a["years"]] == [
        (Y, 3, 2, 50.0, 47.1),
        (Y + 1, 1, 0, None, 0.0),
    ]
    assert [(y["year"], y["count"], y["share"]) for y in b["years"]] == [(Y, 1, None), (Y + 1, 0, None)]
    for bad in ("", "2025,abc", ",".join(str(2000 + i) for i in range(11))):
        assert api.get(url("proposal-coverage"), {"years": bad}).status_code == 400
    b_only = tenancy.client(tenancy.operator_b).get(url("proposal-coverage"), {"years": str(Y)}).json()
    assert [r["desa"] for r in b_only["rows"]] == ["35.24.13.2002"]
    for who in OUTSIDERS:
        body = tenancy.client(getattr(tenancy, who)).get(url("proposal-coverage"), {"years": str(Y)}).json()
        assert [(r["desa"], r["years"][0]["count"]) for r in body["rows"]] == [("35.24.14.2001", 0)]


def test_proposal_list_query_count_does_not_grow_with_rows(tenancy):
    api = tenancy.client(tenancy.kasi_tapem)
    move(tenancy, make_proposal(tenancy), ProposalStatus.DIBAHAS)
    make_proposal(tenancy, tenancy.desa_b)
    with CaptureQueriesContext(connection) as few:
        assert len(rows(api, url("proposal-list"))) == 2
    for n in range(4):
        move(tenancy, make_proposal(tenancy, tenancy.desa_b, desa_rank=n + 2), *REJECTED)
    rejected = Proposal.objects.filter(status=ProposalStatus.TIDAK_DIAKOMODASI).first()
    services.proposal_carry_over(actor=tenancy.operator_b, proposal=rejected)
    with CaptureQueriesContext(connection) as many:
        listed = rows(api, url("proposal-list"))
    assert len(listed) == 7 and any(r["carried_to"] for r in listed) and any(r["carried_from"] for r in listed)
    assert len(many.captured_queries) == len(few.captured_queries), [q["sql"] for q in many.captured_queries]


def test_meeting_list_query_count_does_not_grow_with_rows(tenancy, held):
    api = tenancy.client(tenancy.kasi_tapem)
    with CaptureQueriesContext(connection) as few:
        assert len(rows(api, url("meeting-list"))) == 3
    schedule(tenancy, kind=MeetingKind.MUSDES, year=NEXT, planned=MUSDES_PLANNED)
    Participation.objects.create(meeting=meeting_of(tenancy, kind=MeetingKind.MUSDES, year=NEXT), group="bpd", men=1)
    Participant.objects.create(meeting=meeting_of(tenancy, tenancy.desa_b), name="Ani", group="bpd", gender="P")
    with CaptureQueriesContext(connection) as many:
        assert len(rows(api, url("meeting-list"))) == 5
    assert len(many.captured_queries) == len(few.captured_queries), [q["sql"] for q in many.captured_queries]


# Proposals: import, export, berita acara --------------------------------------------------------------------


def test_proposal_import_hands_the_checked_workbook_to_the_reader(tenancy, fake_imports):
    api = tenancy.client(tenancy.operator_a)
    data = xlsx_bytes()
    response = api.post(
        url("proposal-import"), {"desa": tenancy.desa_a.kode, "year": Y, "file": upload("usulan.xlsx", data)}
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["imported"] == 1 and body["results"][0]["desa"] == "35.24.13.2001"
    assert fake_imports == [{"actor": tenancy.operator_a, "desa": tenancy.desa_a, "year": Y, "data": data}]
    renamed = api.post(
        url("proposal-import"), {"desa": tenancy.desa_a.kode, "year": Y, "file": upload("usulan.xlsx", blank_pdf())}
    )
    assert renamed.status_code == 400 and "file" in renamed.json()["fields"] and len(fake_imports) == 1
    missing = api.post(url("proposal-import"), {"desa": tenancy.desa_a.kode, "file": upload("u.xlsx", data)})
    assert missing.status_code == 400 and "year" in missing.json()["fields"]


@pytest.mark.parametrize("who", FOREIGN)
def test_foreign_proposal_import_never_reaches_the_reader(tenancy, fake_imports, who):
    response = tenancy.client(getattr(tenancy, who)).post(
        url("proposal-import"), {"desa": tenancy.desa_a.kode, "year": Y, "file": upload("u.xlsx", xlsx_bytes())}
    )
    assert response.status_code == 404 and fake_imports == [] and not Proposal.objects.exists()


def test_proposal_import_of_the_template(tenancy):
    from musrenbang import imports

    api = tenancy.client(tenancy.operator_a)
    sheet = filled(
        imports.proposals_template_xlsx(),
        ["2", "Jalan", "Rabat beton Dusun Krajan", "RT 01", 250, "m", 185000000, "dd", "Warga", 1],
        ["4", "", "Pelatihan UMKM", "", 30, "orang", 25000000, "add", "", 2],
    )
    response = api.post(url("proposal-import"), {"desa": tenancy.desa_a.kode, "year": Y, "file": sheet})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["imported"] == 2
    assert sorted((r["activity"], r["desa"], r["year"]) for r in body["results"]) == [
        ("Pelatihan UMKM", "35.24.13.2001", Y),
        ("Rabat beton Dusun Krajan", "35.24.13.2001", Y),
    ]
    bad = filled(imports.proposals_template_xlsx(), ["9", "", "", "", "banyak", "", "mahal", "entah", "", 0])
    refused = api.post(url("proposal-import"), {"desa": tenancy.desa_a.kode, "year": Y, "file": bad})
    assert refused.status_code == 400, refused.content
    assert all(m.startswith("Baris 2") for m in refused.json()["fields"]["non_field_errors"])
    assert Proposal.objects.count() == 2
    other = filled(imports.proposals_template_xlsx(), ["2", "", "Jalan", "", 1, "m", 1000, "dd", "", 1])
    foreign = api.post(url("proposal-import"), {"desa": tenancy.desa_b.kode, "year": Y, "file": other})
    assert foreign.status_code == 404 and Proposal.objects.count() == 2


@pytest.mark.parametrize("who", FOREIGN)
def test_foreign_export_of_desa_a_is_404(tenancy, who):
    response = tenancy.client(getattr(tenancy, who)).get(url("proposals-xlsx"), {"year": Y, "desa": "35.24.13.2001"})
    assert response.status_code == 404


def _workbook_text(data: bytes) -> str:
    workbook = load_workbook(io.BytesIO(data), read_only=True)
    return " ".join(
        str(c)
        for sheet in workbook.worksheets
        for row in sheet.iter_rows(values_only=True)
        for c in row
        if c is not None
    )


def test_export_xlsx_lists_only_the_proposals_in_scope(tenancy):
    make_proposal(tenancy, activity="Jalan rabat Dusun Krajan")
    make_proposal(tenancy, tenancy.desa_b, activity="Saluran irigasi Gempol")
    kasi = tenancy.client(tenancy.kasi_tapem).get(url("proposals-xlsx"), {"year": Y}, HTTP_ACCEPT=XLSX)
    assert kasi.status_code == 200 and kasi["Content-Type"] == XLSX and kasi.content.startswith(b"PK")
    assert "Jalan rabat Dusun Krajan" in _workbook_text(kasi.content)
    assert "Saluran irigasi Gempol" in _workbook_text(kasi.content)
    own = tenancy.client(tenancy.operator_a).get(url("proposals-xlsx"), {"year": Y})
    assert own.status_code == 200
    assert "Jalan rabat Dusun Krajan" in _workbook_text(own.content)
    assert "Saluran irigasi Gempol" not in _workbook_text(own.content)
    only_b = tenancy.client(tenancy.kasi_tapem).get(url("proposals-xlsx"), {"year": Y, "desa": "35.24.13.2002"})
    assert only_b.status_code == 200 and "35.24.13.2002" in only_b["Content-Disposition"]
    assert "Saluran irigasi Gempol" in _workbook_text(only_b.content)
    assert "Jalan rabat Dusun Krajan" not in _workbook_text(only_b.content)
    outsider = tenancy.client(tenancy.outsider).get(url("proposals-xlsx"), {"year": Y})
    assert outsider.status_code == 200 and "Jalan rabat" not in _workbook_text(outsider.content)


def test_export_refuses_bad_filters(tenancy):
    api = tenancy.client(tenancy.kasi_tapem)
    assert api.get(url("proposals-xlsx")).status_code == 400
    assert api.get(url("proposals-xlsx"), {"year": Y, "bidang": "9"}).status_code == 400
    assert api.get(url("proposals-xlsx"), {"year": Y, "status": "hilang"}).status_code == 400


@pytest.mark.parametrize("who", ["operator_a", "kades_a"])
def test_berita_acara_pdf_is_for_kecamatan_staff(tenancy, who):
    response = tenancy.client(getattr(tenancy, who)).get(url("berita-acara-pdf"), {"year": Y})
    assert response.status_code == 403


@pytest.mark.parametrize("who", OUTSIDERS)
def test_outsiders_cannot_get_our_berita_acara(tenancy, who):
    api = tenancy.client(getattr(tenancy, who))
    response = api.get(url("berita-acara-pdf"), {"year": Y, "kecamatan": tenancy.kecamatan.kode})
    assert response.status_code == 404


def test_berita_acara_pdf(tenancy):
    move(tenancy, make_proposal(tenancy), ProposalStatus.DIBAHAS, score=Decimal(80))
    response = tenancy.client(tenancy.kasi_tapem).get(
        url("berita-acara-pdf"), {"year": Y}, HTTP_ACCEPT="application/pdf"
    )
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert f"berita-acara-musrenbang-35.24.13-{Y}.pdf" in response["Content-Disposition"]
