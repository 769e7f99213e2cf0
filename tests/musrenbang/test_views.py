"""Musrenbang web pages: every page for the kecamatan, the desa seeing only its own desa, 404 for everyone
outside the scope (reads and writes, nothing changes), 403 for a desa user on the kecamatan's steps, the
schedule form, a berita acara turning the board cell to "Terlaksana", carry-over, imports, and a board and
proposal list whose query count does not grow with the number of desa."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from monev.demo import demo_pdf
from musrenbang import imports, rules, services
from musrenbang.choices import DocumentRole, FundSource, MeetingKind, ParticipantGroup, ProposalStatus
from musrenbang.models import Meeting, MeetingDocument, Participant, Participation, Proposal, RankingRule
from portal.choices import Role
from tests.factories import DesaFactory, UserFactory
from tests.helpers import login

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_media")]
YEAR = 2026  # desa meetings in 2025, the kecamatan forum in Jan–Feb 2026: all windows are over
HELD = dt.date(2025, 8, 9)  # inside the Musrenbangdes window (Jul–Sep 2025), before the planned 10/08
MUSDES_HELD = dt.date(2025, 5, 20)  # the Musdes comes first (window Jan–Jun 2025)


def pdf_upload(name: str = "berita-acara.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, demo_pdf("Berita acara"), content_type="application/pdf")


def schedule(tenancy, kind=MeetingKind.MUSRENBANGDES, planned=dt.date(2025, 8, 10)) -> list[Meeting]:
    return services.meetings_schedule(
        actor=tenancy.kasi_tapem, kecamatan=tenancy.kecamatan, year=YEAR, kind=kind, planned_date=planned
    )


def meeting_of(desa, kind=MeetingKind.MUSRENBANGDES) -> Meeting:
    return Meeting.objects.get(desa=desa, year=YEAR, kind=kind)


def make_proposal(tenancy, desa, activity: str, *, rank: int = 1, cost: int = 185_000_000, actor=None) -> Proposal:
    return services.proposal_create(
        actor=actor or tenancy.kasi_tapem,
        desa=desa,
        year=YEAR,
        bidang="2",
        activity=activity,
        location="Dusun I",
        volume=Decimal(250),
        unit="m",
        estimated_cost=Decimal(cost),
        fund_source=FundSource.APBD_KAB,
        beneficiaries="Petani",
        desa_rank=rank,
    )


@pytest.fixture
def world(tenancy):
    """Both desa's Musdes and Musrenbangdes scheduled, desa A's Musdes held and then its Musrenbangdes held
    with a berita acara (in order), the kecamatan forum scheduled, and one proposal per desa (A's discussed
    with a score)."""
    schedule(tenancy, MeetingKind.MUSDES, dt.date(2025, 5, 20))
    schedule(tenancy)
    schedule(tenancy, MeetingKind.KECAMATAN, dt.date(2026, 2, 5))
    services.meeting_record(
        actor=tenancy.operator_a, meeting=meeting_of(tenancy.desa_a, MeetingKind.MUSDES), held_date=MUSDES_HELD
    )
    meeting = meeting_of(tenancy.desa_a)
    services.meeting_record(actor=tenancy.operator_a, meeting=meeting, held_date=HELD, place="Balai Desa Pucuk")
    services.meeting_document_add(
        actor=tenancy.operator_a, meeting=meeting, role=DocumentRole.BERITA_ACARA, upload=pdf_upload()
    )
    services.participation_set(
        actor=tenancy.operator_a,
        meeting=meeting,
        counts={ParticipantGroup.BPD: (4, 1), ParticipantGroup.PEREMPUAN: (0, 5)},
    )
    tenancy.meeting_a = meeting
    tenancy.document_a = meeting.documents.get()
    tenancy.proposal_a = make_proposal(
        tenancy, tenancy.desa_a, "Rabat beton jalan Dusun Krajan", actor=tenancy.operator_a
    )
    tenancy.proposal_b = make_proposal(tenancy, tenancy.desa_b, "Normalisasi saluran Gempolpading", cost=95_000_000)
    services.proposal_move(
        actor=tenancy.kasi_tapem,
        proposal=tenancy.proposal_a,
        to_status=ProposalStatus.DIBAHAS,
        score=Decimal("87.5"),
        kecamatan_priority=1,
    )
    services.proposal_move(
        actor=tenancy.kasi_tapem, proposal=tenancy.proposal_b, to_status=ProposalStatus.DIBAHAS, score=Decimal(70)
    )
    tenancy.proposal_a.refresh_from_db()
    return tenancy


def cell(response, desa, kind=MeetingKind.MUSRENBANGDES) -> tuple[str, str]:
    """(data-state, label) of a board cell, read from the rendered context."""
    row = next(r for r in response.context["rows"] if r["desa"] == desa)
    c = next(c for c in row["cells"] if c["kind"] == kind)
    return c["state"], str(c["label"])


def message_texts(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


# Every page renders -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["camat", "kasi_tapem"])
def test_every_page_renders_for_kecamatan_staff(client, world, who):
    login(client, getattr(world, who))
    pages = {
        reverse("musrenbang-board"): "Papan Musrenbang",
        reverse("musrenbang-meeting", args=[world.meeting_a.pk]): "Kehadiran sekilas",
        reverse("musrenbang-proposals"): "Rekap per desa",
        reverse("musrenbang-proposal", args=[world.proposal_a.pk]): "Riwayat status",
        reverse("musrenbang-proposal-new"): "Tambah usulan kegiatan",
        reverse("musrenbang-ranking"): "Peringkat usulan",
    }
    for url, marker in pages.items():
        response = client.get(url, {"tahun": YEAR})
        assert response.status_code == 200, url
        assert marker in response.content.decode(), url
    # The top bar links to the board.
    assert ("Musrenbang", reverse("musrenbang-board")) in response.context["nav_items"]


def test_meeting_url_is_the_one_the_alerts_link_to(world):
    assert reverse("musrenbang-meeting", args=[world.meeting_a.pk]) == f"/musrenbang/musyawarah/{world.meeting_a.pk}/"


def test_board_shows_states_indicator_and_forum(client, world):
    response = login(client, world.camat).get(reverse("musrenbang-board"), {"tahun": YEAR})
    assert cell(response, world.desa_a) == (rules.HELD, "Terlaksana")
    # Desa B never held its Musrenbangdes and the window is over.
    assert cell(response, world.desa_b) == (rules.NOT_HELD, "Tidak terlaksana")
    assert [c["state"] for c in response.context["forum"]] == [rules.NOT_HELD]  # Feb 2026 passed without BA
    html = response.content.decode()
    # Desa A held its Musrenbangdes and proposed; desa B proposed but did not hold it.
    assert "1 dari 2 desa mengikuti Musrenbang" in html
    assert reverse("musrenbang-meeting", args=[world.meeting_a.pk]) in html
    assert "Sukodadi" not in html  # the other kecamatan's desa


def test_board_year_picker_and_default_cycle(client, world):
    login(client, world.camat)
    response = client.get(reverse("musrenbang-board"), {"tahun": YEAR + 1})
    assert response.context["year"] == YEAR + 1
    assert cell(response, world.desa_a)[0] != rules.HELD  # nothing held for the next cycle
    from musrenbang.views import current_cycle

    assert current_cycle(dt.date(2026, 2, 10)) == 2026  # the forum of 2026 is in Jan–Feb 2026
    assert current_cycle(dt.date(2026, 3, 1)) == 2027  # from March the desa prepare the next cycle
    assert client.get(reverse("musrenbang-board"), {"tahun": "x"}).context["year"] == current_cycle()


def test_board_and_meeting_page_show_di_luar_jadwal_and_why(client, world, rkpdes_dates):
    """Desa B held its Musrenbangdes before the window and without a Musdes; desa A's RKPDes was set before
    its Musrenbangdes. Each cell says "Di luar jadwal" with the reason (tooltip and text), the legend and the
    totals count them, and neither desa counts for the indicator."""
    meeting_b = meeting_of(world.desa_b)
    services.meeting_record(actor=world.operator_b, meeting=meeting_b, held_date=dt.date(2025, 6, 12))
    services.meeting_document_add(
        actor=world.operator_b, meeting=meeting_b, role=DocumentRole.BERITA_ACARA, upload=pdf_upload()
    )
    rkpdes_dates[world.desa_a.pk] = dt.date(2025, 8, 5)
    response = login(client, world.camat).get(reverse("musrenbang-board"), {"tahun": YEAR})
    assert cell(response, world.desa_a) == (rules.OFF_SCHEDULE, "Di luar jadwal")
    assert cell(response, world.desa_b) == (rules.OFF_SCHEDULE, "Di luar jadwal")
    html = response.content.decode()
    why_b = (
        "Diadakan 12/06/2025, sebelum jendela 01/07/2025–30/09/2025; "
        "Musrenbangdes diadakan 12/06/2025, tetapi Musdes perencanaan belum diadakan"
    )
    assert f'data-state="di_luar_jadwal" title="{why_b}">Di luar jadwal<' in html
    assert "RKPDes ditetapkan 05/08/2025 sebelum Musrenbangdes 09/08/2025" in html
    assert "0 dari 2 desa mengikuti Musrenbang" in html  # neither is a lawful Musrenbangdes
    totals = {t["state"]: t["counts"] for t in response.context["totals"]}
    assert totals[rules.OFF_SCHEDULE] == [0, 2]  # Musdes, Musrenbangdes
    assert rules.OFF_SCHEDULE in [c["state"] for c in response.context["legend"]]
    assert rkpdes_dates.asked == [([world.desa_a.pk, world.desa_b.pk], YEAR)]

    page = client.get(reverse("musrenbang-meeting", args=[meeting_b.pk]))
    assert page.context["state"]["state"] == rules.OFF_SCHEDULE
    assert page.context["state"]["reasons"] == why_b.split("; ")
    assert "Diadakan 12/06/2025, sebelum jendela 01/07/2025–30/09/2025</li>" in page.content.decode()

    # Desa A's operator sees its own reason, never desa B's; the outsiders not even the page.
    own = login(client, world.operator_a).get(reverse("musrenbang-board"), {"tahun": YEAR}).content.decode()
    assert "RKPDes ditetapkan 05/08/2025" in own and "12/06/2025" not in own
    for who in ("operator_a", "outsider", "outsider_operator"):
        login(client, getattr(world, who))
        assert client.get(reverse("musrenbang-meeting", args=[meeting_b.pk])).status_code == 404, who
    for who in ("outsider", "outsider_operator"):
        board = login(client, getattr(world, who)).get(reverse("musrenbang-board"), {"tahun": YEAR})
        assert [t["state"] for t in board.context["totals"]] == [rules.NOT_HELD]  # their own desa, nothing held
        assert "12/06/2025" not in board.content.decode()


# A desa sees only its desa ----------------------------------------------------------------------------------


def test_desa_operator_sees_only_their_desa(client, world):
    login(client, world.operator_a)
    board = client.get(reverse("musrenbang-board"), {"tahun": YEAR})
    assert [r["desa"] for r in board.context["rows"]] == [world.desa_a]
    assert "Gempolpading" not in board.content.decode()
    assert board.context["schedule_form"] is None

    listing = client.get(reverse("musrenbang-proposals"), {"tahun": YEAR})
    html = listing.content.decode()
    assert "Rabat beton jalan Dusun Krajan" in html
    assert "Normalisasi saluran Gempolpading" not in html
    assert listing.context["desa_choices"] == []  # no desa filter for a desa user
    assert listing.context["grand_total"].count == 1
    # A desa filter in the URL changes nothing for a desa user.
    forced = client.get(reverse("musrenbang-proposals"), {"tahun": YEAR, "desa": world.desa_b.kode})
    assert [p.pk for p in forced.context["page"]] == [world.proposal_a.pk]

    ranking = client.get(reverse("musrenbang-ranking"), {"tahun": YEAR})
    assert [p.pk for p in ranking.context["ranked"]] == [world.proposal_a.pk]
    assert "Normalisasi saluran Gempolpading" not in ranking.content.decode()
    assert ranking.context["rule_form"] is None


def test_kecamatan_staff_filter_the_list(client, world):
    login(client, world.kasi_tapem)
    url = reverse("musrenbang-proposals")
    both = client.get(url, {"tahun": YEAR})
    assert {p.pk for p in both.context["page"]} == {world.proposal_a.pk, world.proposal_b.pk}
    only_b = client.get(url, {"tahun": YEAR, "desa": world.desa_b.kode})
    assert [p.pk for p in only_b.context["page"]] == [world.proposal_b.pk]
    services.proposal_move(
        actor=world.kasi_tapem,
        proposal=world.proposal_b,
        to_status=ProposalStatus.TIDAK_DIAKOMODASI,
        outcome_reason="Bukan kewenangan kabupaten",
    )
    rejected = client.get(url, {"tahun": YEAR, "status": ProposalStatus.TIDAK_DIAKOMODASI})
    assert [p.pk for p in rejected.context["page"]] == [world.proposal_b.pk]
    assert [p.pk for p in client.get(url, {"tahun": YEAR, "bidang": "5"}).context["page"]] == []
    html = both.content.decode()
    assert "Rp 185.000.000" in html and "Rp 280.000.000" in html  # a proposal and the grand total
    # Totals per desa and the three-cycle "tercover" table.
    totals = dict((d.kode, t) for d, t in both.context["desa_totals"])
    assert totals[world.desa_a.kode].count == 1 and totals[world.desa_b.kode].cost == Decimal(95_000_000)
    assert both.context["cycles"] == [YEAR - 2, YEAR - 1, YEAR]
    coverage = dict((d.kode, cells) for d, cells in rejected.context["coverage"])
    assert coverage[world.desa_b.kode][0] is None
    assert coverage[world.desa_b.kode][2].share == 0.0 and coverage[world.desa_b.kode][2].decided == 1
    assert f"desa={world.desa_b.kode}" in only_b.context["export_query"]


# Outside the scope: 404, nothing changes --------------------------------------------------------------------


@pytest.mark.parametrize("who", ["operator_b", "outsider", "outsider_operator"])
def test_outsiders_get_404_on_desa_a_and_nothing_changes(client, world, who):
    login(client, getattr(world, who))
    meeting, document, proposal = world.meeting_a, world.document_a, world.proposal_a
    for url in (
        reverse("musrenbang-meeting", args=[meeting.pk]),
        reverse("musrenbang-document", args=[document.pk]),
        reverse("musrenbang-proposal", args=[proposal.pk]),
        reverse("musrenbang-proposal-edit", args=[proposal.pk]),
    ):
        assert client.get(url).status_code == 404, url
    xlsx = SimpleUploadedFile("peserta.xlsx", imports.participants_template_xlsx())
    posts = [
        ("musrenbang-meeting-record", meeting.pk, {"held_date": "01/08/2025", "place": "Rumah kades"}),
        ("musrenbang-document-add", meeting.pk, {"role": DocumentRole.BERITA_ACARA, "berkas": pdf_upload()}),
        ("musrenbang-participation", meeting.pk, {"bpd_men": 99}),
        ("musrenbang-participants-import", meeting.pk, {"berkas": xlsx}),
        ("musrenbang-proposal-move", proposal.pk, {"to_status": ProposalStatus.DITERUSKAN}),
        ("musrenbang-proposal-carry-over", proposal.pk, {}),
        ("musrenbang-proposal-edit", proposal.pk, {"activity": "Diubah orang lain"}),
    ]
    for name, pk, data in posts:
        assert client.post(reverse(name, args=[pk]), data).status_code == 404, name
    meeting.refresh_from_db()
    proposal.refresh_from_db()
    assert (meeting.held_date, meeting.place) == (HELD, "Balai Desa Pucuk")
    assert MeetingDocument.objects.filter(meeting=meeting).count() == 1
    assert list(Participation.objects.filter(meeting=meeting).values_list("group", "men", "women")) == [
        ("bpd", 4, 1),
        ("perempuan", 0, 5),
    ]
    assert not Participant.objects.exists()
    assert proposal.status == ProposalStatus.DIBAHAS and proposal.activity == "Rabat beton jalan Dusun Krajan"
    assert Proposal.objects.filter(year=YEAR + 1).count() == 0


def test_outsider_sees_nothing_of_the_kecamatan(client, world):
    login(client, world.outsider)
    board = client.get(reverse("musrenbang-board"), {"tahun": YEAR})
    assert [r["desa"] for r in board.context["rows"]] == [world.other_desa]  # only their own kecamatan
    assert "Krajan" not in client.get(reverse("musrenbang-proposals"), {"tahun": YEAR}).content.decode()
    assert client.get(reverse("musrenbang-ranking"), {"tahun": YEAR}).context["ranked"] == []


# Roles ------------------------------------------------------------------------------------------------------


def test_operator_cannot_discuss_forward_or_schedule(client, world):
    fresh = make_proposal(world, world.desa_a, "Pelatihan UMKM", rank=2, actor=world.operator_a)
    login(client, world.operator_a)
    page = client.get(reverse("musrenbang-proposal", args=[fresh.pk]))
    assert page.status_code == 200 and page.context["actions"] == []
    assert 'data-testid="action-bahas"' not in page.content.decode()
    move = reverse("musrenbang-proposal-move", args=[fresh.pk])
    assert client.post(move, {"to_status": ProposalStatus.DIBAHAS, "score": "99"}).status_code == 403
    forward = reverse("musrenbang-proposal-move", args=[world.proposal_a.pk])
    assert client.post(forward, {"to_status": ProposalStatus.DITERUSKAN}).status_code == 403
    fresh.refresh_from_db()
    world.proposal_a.refresh_from_db()
    assert fresh.status == ProposalStatus.DIUSULKAN and fresh.score is None
    assert world.proposal_a.status == ProposalStatus.DIBAHAS
    planned = {"tahun": YEAR, "kind": MeetingKind.MUSDES, "planned_date": "01/06/2025"}
    assert client.post(reverse("musrenbang-schedule"), planned).status_code == 403
    assert meeting_of(world.desa_a, MeetingKind.MUSDES).planned_date == dt.date(2025, 5, 20)
    rule = {"tahun": YEAR, "urutan_1": "cost_high"}
    assert client.post(reverse("musrenbang-ranking-rule"), rule).status_code == 403
    assert not RankingRule.objects.exists()
    assert client.get(reverse("musrenbang-berita-acara"), {"tahun": YEAR}).status_code == 403


def test_desa_operator_cannot_record_the_kecamatan_forum(client, world):
    forum = Meeting.objects.get(kecamatan=world.kecamatan, year=YEAR, kind=MeetingKind.KECAMATAN)
    login(client, world.operator_a)
    page = client.get(reverse("musrenbang-meeting", args=[forum.pk]))
    assert page.status_code == 200 and page.context["can_edit"] is False
    assert "record-form" not in page.content.decode()
    response = client.post(reverse("musrenbang-meeting-record", args=[forum.pk]), {"held_date": "05/02/2026"})
    assert response.status_code == 403
    forum.refresh_from_db()
    assert forum.held_date is None


# Schedule ---------------------------------------------------------------------------------------------------


def test_schedule_form_creates_meetings_for_every_desa(client, tenancy):
    login(client, tenancy.kasi_tapem)
    data = {"tahun": YEAR, "kind": MeetingKind.MUSRENBANGDES, "planned_date": "15/08/2025"}
    response = client.post(reverse("musrenbang-schedule"), data)
    assert response.status_code == 302 and response["Location"] == f"{reverse('musrenbang-board')}?tahun={YEAR}"
    meetings = Meeting.objects.filter(year=YEAR, kind=MeetingKind.MUSRENBANGDES)
    assert {m.desa_id for m in meetings} == {tenancy.desa_a.pk, tenancy.desa_b.pk}
    assert {m.planned_date for m in meetings} == {dt.date(2025, 8, 15)}
    assert "dijadwalkan 15/08/2025 untuk 2 musyawarah" in message_texts(response)[0]
    board = client.get(reverse("musrenbang-board"), {"tahun": YEAR})
    assert cell(board, tenancy.desa_b)[0] == rules.NOT_HELD  # the window (Jul–Sep 2025) is over
    assert cell(board, tenancy.desa_b, MeetingKind.MUSDES)[0] == rules.NOT_HELD

    # With an own window; a date outside it is refused with the reason, nothing changes.
    own = {**data, "planned_date": "20/10/2025", "window_start": "01/10/2025", "window_end": "31/10/2025"}
    assert client.post(reverse("musrenbang-schedule"), own).status_code == 302
    assert {(m.window_start, m.window_end) for m in meetings.all()} == {(dt.date(2025, 10, 1), dt.date(2025, 10, 31))}
    bad = client.post(reverse("musrenbang-schedule"), {**data, "planned_date": "01/12/2025"})
    assert bad.status_code == 200
    assert "Tanggal rencana harus di dalam jendela" in str(bad.context["schedule_form"].errors["planned_date"])
    half = client.post(reverse("musrenbang-schedule"), {**data, "window_start": "01/07/2025"})
    assert "Isi awal dan akhir jendela" in half.content.decode()
    assert {m.planned_date for m in meetings.all()} == {dt.date(2025, 10, 20)}


# A meeting: record, documents, participation ------------------------------------------------------------------


def test_berita_acara_upload_turns_the_board_cell_to_terlaksana(client, tenancy):
    schedule(tenancy)
    meeting = meeting_of(tenancy.desa_b)
    musdes = services.meeting_ensure(
        kecamatan=tenancy.kecamatan, desa=tenancy.desa_b, year=YEAR, kind=MeetingKind.MUSDES
    )
    services.meeting_record(actor=tenancy.operator_b, meeting=musdes, held_date=MUSDES_HELD)  # in order
    login(client, tenancy.operator_b)
    board_url = reverse("musrenbang-board")
    assert cell(client.get(board_url, {"tahun": YEAR}), tenancy.desa_b) == (rules.NOT_HELD, "Tidak terlaksana")

    record = client.post(
        reverse("musrenbang-meeting-record", args=[meeting.pk]), {"held_date": "09/08/2025", "place": "Balai Desa"}
    )
    assert record.status_code == 302
    # Held but no berita acara yet, and the window is over: still not held.
    assert cell(client.get(board_url, {"tahun": YEAR}), tenancy.desa_b)[0] == rules.NOT_HELD

    # A text file named .pdf is refused on the page, nothing is stored.
    fake = SimpleUploadedFile("berita-acara.pdf", b"bukan pdf sama sekali")
    add = reverse("musrenbang-document-add", args=[meeting.pk])
    refused = client.post(add, {"role": DocumentRole.BERITA_ACARA, "berkas": fake})
    assert refused.status_code == 200
    wrong = "Isi berkas “berita-acara.pdf” bukan PDF yang sah, walaupun namanya berakhiran .pdf."
    assert wrong in str(refused.context["document_form"].errors["berkas"])
    assert wrong in refused.content.decode()
    assert not MeetingDocument.objects.exists()

    uploaded = client.post(add, {"role": DocumentRole.BERITA_ACARA, "berkas": pdf_upload("BA Musrenbangdes.pdf")})
    assert uploaded.status_code == 302
    board = client.get(board_url, {"tahun": YEAR})
    assert cell(board, tenancy.desa_b) == (rules.HELD, "Terlaksana")
    assert 'data-state="terlaksana">Terlaksana<' in board.content.decode()

    document = MeetingDocument.objects.get()
    page = client.get(reverse("musrenbang-meeting", args=[meeting.pk]))
    assert "BA Musrenbangdes.pdf" in page.content.decode()
    assert page.context["state"]["state"] == rules.HELD
    for user in (tenancy.operator_b, tenancy.kasi_tapem):
        login(client, user)
        download = client.get(reverse("musrenbang-document", args=[document.pk]))
        assert download.status_code == 200
        assert b"".join(download.streaming_content) == demo_pdf("Berita acara")
        assert 'filename="BA Musrenbangdes.pdf"' in download["Content-Disposition"]


def test_record_in_the_future_is_refused(client, world):
    login(client, world.operator_a)
    response = client.post(reverse("musrenbang-meeting-record", args=[world.meeting_a.pk]), {"held_date": "01/01/2099"})
    assert response.status_code == 200
    assert "tidak boleh di masa depan" in str(response.context["record_form"].errors["held_date"])
    world.meeting_a.refresh_from_db()
    assert world.meeting_a.held_date == HELD


def test_participation_at_a_glance_and_counts_form(client, world):
    login(client, world.kades_a)
    url = reverse("musrenbang-meeting", args=[world.meeting_a.pk])
    page = client.get(url)
    assert page.context["summary"].total == 10
    assert page.context["summary"].women_share == 60.0
    assert "60,0%" in page.content.decode()
    assert page.context["present"] == ["BPD", "Perwakilan perempuan"]
    assert "Pemuda" in page.context["missing"] and "BPD" not in page.context["missing"]

    response = client.post(
        reverse("musrenbang-participation", args=[world.meeting_a.pk]),
        {"bpd_men": "3", "bpd_women": "2", "pemuda_men": "4", "pemuda_women": "1"},
    )
    assert response.status_code == 302
    counts = dict((g, (m, w)) for g, m, w in Participation.objects.values_list("group", "men", "women"))
    assert counts == {"bpd": (3, 2), "pemuda": (4, 1)}
    page = client.get(url)
    assert page.context["summary"].women_share == 30.0
    assert "Perwakilan perempuan" in page.context["missing"]

    invalid = client.post(reverse("musrenbang-participation", args=[world.meeting_a.pk]), {"bpd_men": "-1"})
    assert invalid.status_code == 200 and invalid.context["participation_form"].errors
    assert dict((g, (m, w)) for g, m, w in Participation.objects.values_list("group", "men", "women")) == counts


def fill(template: bytes, rows) -> bytes:
    """The downloaded template with ``rows`` typed in from row 2 (the template pre-formats empty rows)."""
    wb = load_workbook(io.BytesIO(template))
    for r, row in enumerate(rows, start=2):
        for c, value in enumerate(row, start=1):
            wb.worksheets[0].cell(row=r, column=c, value=value)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def participants_xlsx(rows) -> SimpleUploadedFile:
    return SimpleUploadedFile("daftar hadir.xlsx", fill(imports.participants_template_xlsx(), rows))


def test_participants_import_from_excel(client, world):
    login(client, world.operator_a)
    template = client.get(reverse("musrenbang-participants-template"))
    assert template.status_code == 200 and template.content[:2] == b"PK"
    url = reverse("musrenbang-participants-import", args=[world.meeting_a.pk])

    bad = client.post(url, {"berkas": participants_xlsx([["Siti", "bpd", "X", ""]])})
    assert bad.status_code == 200
    assert any("Baris 2" in e for e in bad.context["import_errors"])
    assert "Impor dibatalkan" in bad.content.decode()
    not_excel = client.post(url, {"berkas": SimpleUploadedFile("daftar.xlsx", b"%PDF-1.4 bukan excel")})
    assert not_excel.context["import_form"].errors["berkas"]
    assert not Participant.objects.exists()

    good = client.post(
        url,
        {
            "berkas": participants_xlsx(
                [["Siti Rahayu", "bpd", "P", "Ketua BPD"], ["Budi", "pemuda", "L", "Karang Taruna"]]
            )
        },
    )
    assert good.status_code == 302
    page = client.get(reverse("musrenbang-meeting", args=[world.meeting_a.pk]))
    assert [p.name for p in page.context["participants"]] == ["Siti Rahayu", "Budi"]
    assert "Ketua BPD" in page.content.decode()


# Proposals --------------------------------------------------------------------------------------------------


def proposal_data(**overrides) -> dict:
    return {
        "year": YEAR,
        "bidang": "2",
        "sub_bidang": "Jalan",
        "activity": "Paving jalan lingkungan RT 03",
        "location": "Dusun Krajan",
        "volume": "120",
        "unit": "m2",
        "estimated_cost": "65000000",
        "fund_source": FundSource.APBD_KAB,
        "beneficiaries": "Warga RT 03",
        "desa_rank": "3",
        **overrides,
    }


def test_operator_adds_and_edits_a_proposal_through_the_form(client, world):
    login(client, world.operator_a)
    form = client.get(reverse("musrenbang-proposal-new"), {"tahun": YEAR})
    assert "desa" not in form.context["form"].fields  # always their own desa
    assert form.context["form"]["year"].value() == YEAR
    invalid = client.post(reverse("musrenbang-proposal-new"), proposal_data(activity="", estimated_cost="-5"))
    assert invalid.status_code == 200
    assert set(invalid.context["form"].errors) == {"activity", "estimated_cost"}
    # A desa user cannot slip another desa in.
    response = client.post(reverse("musrenbang-proposal-new"), proposal_data(desa=world.desa_b.pk))
    proposal = Proposal.objects.get(activity="Paving jalan lingkungan RT 03")
    assert response["Location"] == reverse("musrenbang-proposal", args=[proposal.pk])
    assert (proposal.desa, proposal.year, proposal.status) == (world.desa_a, YEAR, ProposalStatus.DIUSULKAN)
    assert proposal.created_by == world.operator_a

    edit = reverse("musrenbang-proposal-edit", args=[proposal.pk])
    assert client.post(edit, proposal_data(estimated_cost="70000000")).status_code == 302
    proposal.refresh_from_db()
    assert proposal.estimated_cost == Decimal(70_000_000)
    # Once discussed, the desa can no longer change it.
    detail = client.get(reverse("musrenbang-proposal", args=[world.proposal_a.pk]))
    assert detail.context["can_edit"] is False
    locked = client.post(reverse("musrenbang-proposal-edit", args=[world.proposal_a.pk]), proposal_data())
    assert locked.status_code == 302
    world.proposal_a.refresh_from_db()
    assert world.proposal_a.activity == "Rabat beton jalan Dusun Krajan"


def test_kecamatan_staff_pick_the_desa_of_a_new_proposal(client, world):
    login(client, world.kasi_tapem)
    choices = client.get(reverse("musrenbang-proposal-new")).context["form"].fields["desa"].queryset
    assert set(choices) == {world.desa_a, world.desa_b}
    outside = client.post(reverse("musrenbang-proposal-new"), proposal_data(desa=world.other_desa.pk))
    assert "desa" in outside.context["form"].errors
    client.post(reverse("musrenbang-proposal-new"), proposal_data(desa=world.desa_b.pk))
    assert Proposal.objects.get(activity="Paving jalan lingkungan RT 03").desa == world.desa_b


def test_kasi_discusses_forwards_and_accommodates(client, world):
    fresh = make_proposal(world, world.desa_a, "Sumur bor Dusun Sumber", rank=2, actor=world.operator_a)
    login(client, world.kasi_tapem)
    detail = reverse("musrenbang-proposal", args=[fresh.pk])
    move = reverse("musrenbang-proposal-move", args=[fresh.pk])
    assert [a["key"] for a in client.get(detail).context["actions"]] == ["bahas"]

    out_of_range = client.post(move, {"to_status": ProposalStatus.DIBAHAS, "score": "150"})
    assert out_of_range.status_code == 200 and "score" in out_of_range.context["actions"][0]["form"].errors
    assert (
        client.post(move, {"to_status": ProposalStatus.DIBAHAS, "score": "91.25", "kecamatan_priority": "2"})[
            "Location"
        ]
        == detail
    )
    fresh.refresh_from_db()
    assert (fresh.status, fresh.score, fresh.kecamatan_priority) == (ProposalStatus.DIBAHAS, Decimal("91.25"), 2)
    assert [a["key"] for a in client.get(detail).context["actions"]] == ["teruskan", "kembalikan", "tidak_diakomodasi"]

    # A step the flow does not allow now is refused with a message, nothing changes.
    skipped = client.post(move, {"to_status": ProposalStatus.DIAKOMODASI, "program": "Dinas PU"})
    assert skipped.status_code == 302 and "tidak dapat dipindah" in message_texts(skipped)[0]
    client.post(move, {"to_status": ProposalStatus.DITERUSKAN, "note": "Prioritas kecamatan"})
    no_program = client.post(move, {"to_status": ProposalStatus.DIAKOMODASI})
    assert no_program.status_code == 200
    assert "Sebutkan program/OPD" in no_program.content.decode()
    fresh.refresh_from_db()
    assert fresh.status == ProposalStatus.DITERUSKAN
    client.post(move, {"to_status": ProposalStatus.DIAKOMODASI, "program": "Dinas PU Sumber Daya Air"})
    fresh.refresh_from_db()
    assert (fresh.status, fresh.program, fresh.accommodated_cost) == (
        ProposalStatus.DIAKOMODASI,
        "Dinas PU Sumber Daya Air",
        fresh.estimated_cost,
    )

    # The desa sees the outcome and the whole history, with who did what.
    login(client, world.operator_a)
    page = client.get(detail)
    html = page.content.decode()
    assert "Dinas PU Sumber Daya Air" in html and "Diakomodasi" in html
    transitions = [(t.to_status, t.by.username) for t in page.context["transitions"]]
    assert transitions == [
        ("diusulkan", "op_a"),
        ("dibahas", "kasitapem"),
        ("diteruskan", "kasitapem"),
        ("diakomodasi", "kasitapem"),
    ]
    assert page.context["can_carry"] is False and page.context["actions"] == []


def test_carry_over_via_post_creates_next_years_linked_proposal(client, world):
    proposal = world.proposal_a
    services.proposal_move(
        actor=world.kasi_tapem,
        proposal=proposal,
        to_status=ProposalStatus.TIDAK_DIAKOMODASI,
        outcome_reason="Pagu kabupaten tidak cukup",
    )
    url = reverse("musrenbang-proposal-carry-over", args=[proposal.pk])
    login(client, world.kasi_tapem)
    assert client.post(url).status_code == 403  # the desa decides to propose again
    assert not Proposal.objects.filter(carried_from=proposal).exists()

    login(client, world.operator_a)
    page = client.get(reverse("musrenbang-proposal", args=[proposal.pk]))
    assert page.context["can_carry"] is True
    assert "Pagu kabupaten tidak cukup" in page.content.decode()
    response = client.post(url)
    follow = Proposal.objects.get(carried_from=proposal)
    assert response["Location"] == reverse("musrenbang-proposal", args=[follow.pk])
    assert (follow.year, follow.desa, follow.status, follow.activity) == (
        YEAR + 1,
        world.desa_a,
        ProposalStatus.DIUSULKAN,
        proposal.activity,
    )
    chain = client.get(response["Location"]).context["chain"]
    assert [p.pk for p in chain] == [proposal.pk, follow.pk]
    # Only once.
    again = client.post(url)
    assert "sudah diusulkan lagi" in message_texts(again)[0]
    assert Proposal.objects.filter(year=YEAR + 1).count() == 1
    assert client.get(reverse("musrenbang-proposal", args=[proposal.pk])).context["can_carry"] is False


def filled_proposals_xlsx(rows) -> SimpleUploadedFile:
    return SimpleUploadedFile("usulan.xlsx", fill(imports.proposals_template_xlsx(), rows))


def test_desa_imports_proposals_from_excel(client, world):
    url = reverse("musrenbang-proposals-import")
    login(client, world.kasi_tapem)
    assert client.get(url).status_code == 403  # desa users import for their own desa
    assert client.get(reverse("musrenbang-proposals"), {"tahun": YEAR}).context["can_import"] is False

    login(client, world.operator_a)
    listing = client.get(reverse("musrenbang-proposals"), {"tahun": YEAR})
    assert listing.context["can_import"] is True and 'data-testid="import-form"' in listing.content.decode()
    template = client.get(reverse("musrenbang-proposals-template"))
    assert template.status_code == 200 and load_workbook(io.BytesIO(template.content)).sheetnames[0] == "Usulan"

    row = ["2", "Jalan", "Drainase Dusun Kauman", "Kauman", 300, "m", 120000000, "apbd_kab", "Warga", 2]
    bad = client.post(url, {"tahun": YEAR, "berkas": filled_proposals_xlsx([row, [*row[:6], "", *row[7:]]])})
    assert bad.status_code == 200 and any("Baris 3" in e for e in bad.context["errors"]), bad.context["errors"]
    renamed = client.post(url, {"tahun": YEAR, "berkas": SimpleUploadedFile("usulan.xlsx", demo_pdf("x"))})
    assert renamed.context["form"].errors["berkas"]
    assert not Proposal.objects.filter(activity="Drainase Dusun Kauman").exists()

    good = client.post(url, {"tahun": YEAR, "berkas": filled_proposals_xlsx([row])})
    assert good["Location"] == f"{reverse('musrenbang-proposals')}?tahun={YEAR}"
    created = Proposal.objects.get(activity="Drainase Dusun Kauman")
    assert (created.desa, created.year, created.estimated_cost) == (world.desa_a, YEAR, Decimal(120_000_000))


def test_proposals_excel_export_follows_the_filters(client, world):
    login(client, world.kasi_tapem)
    response = client.get(reverse("musrenbang-proposals-xlsx"), {"tahun": YEAR, "desa": world.desa_b.kode})
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="usulan-musrenbang-{YEAR}.xlsx"'
    values = {str(c.value) for ws in load_workbook(io.BytesIO(response.content)) for r in ws.iter_rows() for c in r}
    assert "Normalisasi saluran Gempolpading" in values and "Rabat beton jalan Dusun Krajan" not in values
    login(client, world.operator_b)
    own = client.get(reverse("musrenbang-proposals-xlsx"), {"tahun": YEAR, "desa": world.desa_a.kode})
    values = {str(c.value) for ws in load_workbook(io.BytesIO(own.content)) for r in ws.iter_rows() for c in r}
    assert "Rabat beton jalan Dusun Krajan" not in values


# Ranking ----------------------------------------------------------------------------------------------------


def test_ranking_and_the_tie_breaker_rule(client, world):
    tie = make_proposal(world, world.desa_b, "Tanggul Gempolpading", rank=2, cost=150_000_000)
    services.proposal_move(
        actor=world.kasi_tapem, proposal=tie, to_status=ProposalStatus.DIBAHAS, score=Decimal(70), kecamatan_priority=1
    )
    login(client, world.camat)
    url = reverse("musrenbang-ranking")
    ranked = client.get(url, {"tahun": YEAR}).context["ranked"]
    # 87.5 first; then two at 70: the default puts kecamatan priority 1 before none.
    assert [p.pk for p in ranked] == [world.proposal_a.pk, tie.pk, world.proposal_b.pk]

    rule = reverse("musrenbang-ranking-rule")
    duplicate = client.post(rule, {"tahun": YEAR, "urutan_1": "cost_low", "urutan_2": "cost_low"})
    assert duplicate.status_code == 200 and "hanya boleh dipilih sekali" in duplicate.content.decode()
    assert not RankingRule.objects.exists()
    saved = client.post(rule, {"tahun": YEAR, "urutan_1": "cost_low", "urutan_3": "desa_rank"})
    assert saved["Location"] == f"{url}?tahun={YEAR}"
    assert RankingRule.objects.get(kecamatan=world.kecamatan).tie_breakers == ["cost_low", "desa_rank"]
    page = client.get(url, {"tahun": YEAR})
    assert [p.pk for p in page.context["ranked"]] == [world.proposal_a.pk, world.proposal_b.pk, tie.pk]
    html = page.content.decode()
    assert "Biaya lebih kecil dulu, Prioritas desa (kecil dulu)" in html
    assert page.context["rule_form"]["urutan_1"].value() == "cost_low"
    assert reverse("musrenbang-berita-acara") in html


def test_berita_acara_pdf(client, world):
    login(client, world.kasi_tapem)
    response = client.get(reverse("musrenbang-berita-acara"), {"tahun": YEAR})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert f"berita-acara-musrenbang-{world.kecamatan.kode}-{YEAR}.pdf" in response["Content-Disposition"]


# Query counts -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["musrenbang-board", "musrenbang-proposals"])
def test_query_count_does_not_grow_with_the_number_of_desa(client, world, name):
    def add_desa(n: int) -> None:
        for i in range(n):
            desa = DesaFactory(kecamatan=world.kecamatan, kode=f"35.24.13.{2100 + i}", nama=f"Desa {i}")
            UserFactory(username=f"op_{i}", role=Role.OPERATOR_DESA, desa=desa, kecamatan=world.kecamatan)
            make_proposal(world, desa, f"Kegiatan desa {i}")
        schedule(world)  # every desa gets its Musrenbangdes

    def measure() -> int:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse(name), {"tahun": YEAR})
        assert response.status_code == 200
        return len(queries)

    login(client, world.camat)
    measure()  # warm caches
    two = measure()
    add_desa(4)
    six = measure()
    response = client.get(reverse(name), {"tahun": YEAR})
    rows = response.context["rows"] if name == "musrenbang-board" else response.context["desa_totals"]
    assert len(rows) == 6
    assert six == two, (two, six)
    assert two > 5  # the page really ran its reads inside the measurement


def test_cost_per_bidang_chart_sums_the_proposals_and_links_to_them(client, world):
    login(client, world.kasi_tapem)
    response = client.get(reverse("musrenbang-proposals"), {"tahun": YEAR})
    chart = response.context["bidang_chart"]
    (row,) = chart.rows  # both proposals are bidang 2; bidang without proposals are left out
    assert row.full_label == "Pelaksanaan Pembangunan Desa"
    assert row.value_text == "Rp 280.000.000"  # 185 + 95 million
    assert row.url == f"{reverse('musrenbang-proposals')}?tahun={YEAR}&bidang=2"
    assert [r.title for r in row.rects] == ["Pelaksanaan Pembangunan Desa — Belum/tidak diakomodasi: Rp 280.000.000"]
    assert 'data-testid="chart-bidang"' in response.content.decode()


def test_operator_cost_chart_counts_only_their_desa(client, world):
    login(client, world.operator_a)
    chart = client.get(reverse("musrenbang-proposals"), {"tahun": YEAR}).context["bidang_chart"]
    assert [row.value_text for row in chart.rows] == ["Rp 185.000.000"]
