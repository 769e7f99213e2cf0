"""Musrenbang rules, services and selectors: board states across dates, participation totals, every
proposal transition with its history, carry-over chains, ranking tie-breakers and the alerts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from musrenbang import rules, selectors, services
from musrenbang.choices import Bidang, DocumentRole, FundSource, MeetingKind, ParticipantGroup, ProposalStatus
from musrenbang.models import Meeting, Participant, Proposal, ProposalTransition
from portal.models import Delivery

YEAR = 2027  # Musdes Jan–Jun 2026, Musrenbangdes Jul–Sep 2026, Musrenbang Kecamatan Jan–Feb 2027
D = dt.date


# Pure rules ---------------------------------------------------------------------------------------------


def test_default_windows():
    assert rules.default_window(MeetingKind.MUSDES, YEAR) == (D(2026, 1, 1), D(2026, 6, 30))
    assert rules.default_window(MeetingKind.MUSRENBANGDES, YEAR) == (D(2026, 7, 1), D(2026, 9, 30))
    assert rules.default_window(MeetingKind.KECAMATAN, 2028) == (D(2028, 1, 1), D(2028, 2, 29))  # leap year


START, END = D(2026, 7, 1), D(2026, 9, 30)  # the Musrenbangdes window of cycle 2027
PLANNED = D(2026, 8, 10)
MUSDES_HELD = D(2026, 5, 20)


@pytest.mark.parametrize(
    "planned,held,ba,today,state",
    [
        (None, None, False, D(2026, 7, 5), rules.UNSCHEDULED),
        (PLANNED, None, False, D(2026, 8, 1), rules.SCHEDULED),
        (PLANNED, None, False, PLANNED, rules.SCHEDULED),  # the day itself is not late yet
        (PLANNED, None, False, D(2026, 8, 11), rules.LATE),
        (PLANNED, PLANNED, False, D(2026, 8, 11), rules.AWAITING_BA),
        (PLANNED, PLANNED, True, D(2026, 8, 11), rules.HELD),
        (PLANNED, D(2026, 8, 20), True, D(2026, 8, 21), rules.HELD_LATE),  # after its planned date
        (None, D(2026, 9, 1), True, D(2026, 9, 2), rules.HELD),  # unscheduled but inside the window
        (PLANNED, None, False, D(2026, 10, 1), rules.NOT_HELD),  # window over, nothing
        (PLANNED, PLANNED, False, D(2026, 10, 1), rules.NOT_HELD),  # held, but no berita acara by the end
        (PLANNED, D(2026, 10, 5), True, D(2026, 10, 6), rules.OFF_SCHEDULE),  # outside the window: not lawful
    ],
)
def test_board_state_across_dates(planned, held, ba, today, state):
    verdict = rules.meeting_verdict(
        kind=MeetingKind.MUSRENBANGDES,
        planned=planned,
        held=held,
        window_start=START,
        window_end=END,
        has_berita_acara=ba,
        today=today,
        musdes_held=MUSDES_HELD,
    )
    assert verdict.state == state


MUS, DES, KEC = MeetingKind.MUSRENBANGDES, MeetingKind.MUSDES, MeetingKind.KECAMATAN
WINDOWS = {kind: rules.default_window(kind, YEAR) for kind in MeetingKind.values}
AFTER_ALL = D(2027, 3, 15)  # every window of cycle 2027 is over
EVERY_REASON = [rules.BEFORE_WINDOW, rules.WITHOUT_MUSDES]  # held before the window and without a Musdes


@pytest.mark.parametrize(
    "kind,held,musdes,rkpdes,ba,today,state,codes",
    [
        # The window (Musrenbangdes: 01/07–30/09/2026).
        (MUS, D(2026, 6, 12), MUSDES_HELD, None, True, AFTER_ALL, rules.OFF_SCHEDULE, [rules.BEFORE_WINDOW]),
        (MUS, START, MUSDES_HELD, None, True, AFTER_ALL, rules.HELD, []),  # the first day is inside
        (MUS, END, MUSDES_HELD, None, True, AFTER_ALL, rules.HELD, []),  # so is the last
        (MUS, D(2026, 10, 1), MUSDES_HELD, None, True, AFTER_ALL, rules.OFF_SCHEDULE, [rules.AFTER_WINDOW]),
        (DES, D(2025, 12, 15), None, None, True, AFTER_ALL, rules.OFF_SCHEDULE, [rules.BEFORE_WINDOW]),
        (DES, MUSDES_HELD, None, None, True, AFTER_ALL, rules.HELD, []),  # a Musdes needs no Musdes before it
        (DES, D(2026, 7, 2), None, None, True, AFTER_ALL, rules.OFF_SCHEDULE, [rules.AFTER_WINDOW]),
        (KEC, D(2027, 3, 2), None, None, True, AFTER_ALL, rules.OFF_SCHEDULE, [rules.AFTER_WINDOW]),
        # Musdes → Musrenbangdes.
        (MUS, PLANNED, None, None, True, AFTER_ALL, rules.OFF_SCHEDULE, [rules.WITHOUT_MUSDES]),
        (MUS, PLANNED, D(2026, 8, 12), None, True, AFTER_ALL, rules.OFF_SCHEDULE, [rules.BEFORE_MUSDES]),
        (MUS, PLANNED, PLANNED, None, True, AFTER_ALL, rules.HELD, []),  # the same day is in order
        (MUS, D(2026, 6, 1), None, None, True, AFTER_ALL, rules.OFF_SCHEDULE, EVERY_REASON),
        # Musrenbangdes → RKPDes (None: not known, no finding).
        (MUS, D(2026, 8, 20), MUSDES_HELD, D(2026, 8, 10), True, AFTER_ALL, rules.OFF_SCHEDULE, [rules.AFTER_RKPDES]),
        (MUS, PLANNED, MUSDES_HELD, PLANNED, True, AFTER_ALL, rules.HELD, []),  # set the same day: in order
        (MUS, PLANNED, MUSDES_HELD, D(2026, 9, 25), True, AFTER_ALL, rules.HELD, []),
        (MUS, PLANNED, MUSDES_HELD, None, True, AFTER_ALL, rules.HELD, []),
        # Not "held late" either: inside the window after the planned date, but the RKPDes came first.
        (MUS, D(2026, 8, 20), MUSDES_HELD, D(2026, 8, 15), True, AFTER_ALL, rules.OFF_SCHEDULE, [rules.AFTER_RKPDES]),
        # Without a berita acara: out of schedule while the window is open, not held once it is over.
        (MUS, D(2026, 6, 12), MUSDES_HELD, None, False, D(2026, 6, 20), rules.OFF_SCHEDULE, [rules.BEFORE_WINDOW]),
        (MUS, PLANNED, None, None, False, D(2026, 8, 11), rules.OFF_SCHEDULE, [rules.WITHOUT_MUSDES]),
        (MUS, D(2026, 6, 12), MUSDES_HELD, None, False, AFTER_ALL, rules.NOT_HELD, [rules.BEFORE_WINDOW]),
        # Not held at all: nothing to judge.
        (MUS, None, None, D(2026, 8, 10), False, D(2026, 8, 11), rules.UNSCHEDULED, []),
    ],
)
def test_out_of_window_and_out_of_order_across_dates(kind, held, musdes, rkpdes, ba, today, state, codes):
    start, end = WINDOWS[kind]
    verdict = rules.meeting_verdict(
        kind=kind,
        planned=None,
        held=held,
        window_start=start,
        window_end=end,
        has_berita_acara=ba,
        today=today,
        musdes_held=musdes,
        rkpdes_set=rkpdes,
    )
    assert (verdict.state, [issue.code for issue in verdict.issues]) == (state, codes)


def test_reasons_name_the_dates():
    before = rules.meeting_verdict(
        kind=MUS,
        planned=None,
        held=D(2025, 5, 12),
        window_start=D(2025, 7, 1),
        window_end=D(2025, 9, 30),
        has_berita_acara=True,
        today=D(2025, 10, 1),
        musdes_held=D(2025, 4, 2),
    )
    assert before.reason == "Diadakan 12/05/2025, sebelum jendela 01/07/2025–30/09/2025"
    out_of_order = rules.meeting_verdict(
        kind=MUS,
        planned=None,
        held=D(2025, 8, 20),
        window_start=D(2025, 7, 1),
        window_end=D(2025, 9, 30),
        has_berita_acara=True,
        today=D(2025, 10, 1),
        musdes_held=D(2025, 8, 25),
        rkpdes_set=D(2025, 8, 10),
    )
    assert [issue.text() for issue in out_of_order.issues] == [
        "Musrenbangdes diadakan 20/08/2025, sebelum Musdes 25/08/2025",
        "RKPDes ditetapkan 10/08/2025 sebelum Musrenbangdes 20/08/2025",
    ]
    assert rules.STATE_LABELS[rules.OFF_SCHEDULE] == "Di luar jadwal"


def test_flow_allows_only_the_listed_steps():
    steps = {(a, b) for a in ProposalStatus.values for b in ProposalStatus.values if rules.can_move(a, b)}
    assert steps == {
        ("diusulkan", "dibahas"),
        ("dibahas", "diteruskan"),
        ("dibahas", "tidak_diakomodasi"),
        ("dibahas", "diusulkan"),
        ("diteruskan", "diakomodasi"),
        ("diteruskan", "tidak_diakomodasi"),
    }


# Services and selectors ---------------------------------------------------------------------------------


def pdf(title="Berita acara") -> SimpleUploadedFile:
    from monev.demo import demo_pdf

    return SimpleUploadedFile("ba.pdf", demo_pdf(title), content_type="application/pdf")


def new_proposal(tenancy, desa=None, **extra) -> Proposal:
    fields = dict(
        bidang=Bidang.PEMBANGUNAN,
        activity="Jalan rabat beton Dusun I",
        location="Dusun I",
        volume=Decimal(200),
        unit="m",
        estimated_cost=Decimal(150_000_000),
        fund_source=FundSource.APBD_KAB,
        beneficiaries="Warga",
        desa_rank=1,
    )
    fields.update(extra)
    desa = desa or tenancy.desa_a
    actor = tenancy.operator_a if desa == tenancy.desa_a else tenancy.operator_b
    return services.proposal_create(actor=actor, desa=desa, year=YEAR, **fields)


@pytest.fixture
def scheduled(tenancy):
    with time_machine.travel(dt.datetime(2026, 7, 1, 9, 0), tick=False):
        return services.meetings_schedule(
            actor=tenancy.kasi_tapem,
            kecamatan=tenancy.kecamatan,
            year=YEAR,
            kind=MeetingKind.MUSRENBANGDES,
            planned_date=PLANNED,
        )


def test_schedule_creates_one_meeting_per_desa_of_the_kecamatan_only(tenancy, scheduled):
    assert {m.desa for m in scheduled} == {tenancy.desa_a, tenancy.desa_b}
    again = services.meetings_schedule(
        actor=tenancy.kasi_tapem,
        kecamatan=tenancy.kecamatan,
        year=YEAR,
        kind=MeetingKind.MUSRENBANGDES,
        planned_date=D(2026, 8, 12),
    )
    assert Meeting.objects.count() == 2 and {m.pk for m in again} == {m.pk for m in scheduled}
    with pytest.raises(ValidationError):
        services.meetings_schedule(
            actor=tenancy.kasi_tapem,
            kecamatan=tenancy.kecamatan,
            year=YEAR,
            kind=MeetingKind.MUSRENBANGDES,
            planned_date=D(2026, 11, 1),
        )
    with pytest.raises(PermissionDenied):
        services.meetings_schedule(
            actor=tenancy.operator_a, kecamatan=tenancy.kecamatan, year=YEAR, kind=MeetingKind.MUSDES, planned_date=None
        )


def musdes_held(tenancy, desa, held=MUSDES_HELD) -> Meeting:
    """The desa's Musdes of the cycle, held (a date recorded): what a lawful Musrenbangdes comes after."""
    musdes = services.meeting_ensure(kecamatan=tenancy.kecamatan, desa=desa, year=YEAR, kind=MeetingKind.MUSDES)
    return services.meeting_record(actor=tenancy.kasi_tapem, meeting=musdes, held_date=held)


def test_board_and_the_participation_indicator(tenancy, scheduled):
    meeting_a = next(m for m in scheduled if m.desa == tenancy.desa_a)
    with time_machine.travel(dt.datetime(2026, 8, 11, 9, 0), tick=False):
        musdes_held(tenancy, tenancy.desa_a)
        board = selectors.board(user=tenancy.camat, year=YEAR)
        cells = {r.desa.kode: r.cells[MeetingKind.MUSRENBANGDES][0] for r in board.rows}
        assert cells == {tenancy.desa_a.kode: rules.LATE, tenancy.desa_b.kode: rules.LATE}
        services.meeting_record(actor=tenancy.operator_a, meeting=meeting_a, held_date=PLANNED, place="Balai Desa")
        services.meeting_document_add(
            actor=tenancy.operator_a, meeting=meeting_a, role=DocumentRole.BERITA_ACARA, upload=pdf()
        )
        assert selectors.board(user=tenancy.camat, year=YEAR).participating == 0  # held, but proposed nothing
        new_proposal(tenancy)
        board = selectors.board(user=tenancy.camat, year=YEAR)
        assert board.participating == 1 and board.total == 2
        row_a = next(r for r in board.rows if r.desa == tenancy.desa_a)
        # The Musdes was held (its date is recorded) but its berita acara is missing: its own cell says so.
        assert (
            row_a.cells[MeetingKind.MUSRENBANGDES][0] == rules.HELD
            and row_a.cells[MeetingKind.MUSDES][0] == rules.NOT_HELD
        )
        assert [r.desa for r in selectors.board(user=tenancy.operator_b, year=YEAR).rows] == [tenancy.desa_b]


def hold(tenancy, meeting: Meeting, held: dt.date) -> None:
    actor = tenancy.operator_a if meeting.desa == tenancy.desa_a else tenancy.operator_b
    services.meeting_record(actor=actor, meeting=meeting, held_date=held, place="Balai Desa")
    services.meeting_document_add(actor=actor, meeting=meeting, role=DocumentRole.BERITA_ACARA, upload=pdf())


@time_machine.travel(dt.datetime(2026, 10, 5, 9, 0), tick=False)
def test_board_out_of_schedule_state_reasons_totals_and_indicator(tenancy, scheduled, rkpdes_dates):
    """Desa A held its Musdes and then its Musrenbangdes, but its RKPDes was set before; desa B held its
    Musrenbangdes without a Musdes. Both are "di luar jadwal", counted, and neither takes part."""
    meeting_a, meeting_b = sorted(scheduled, key=lambda m: m.desa.kode)
    musdes_held(tenancy, tenancy.desa_a)
    hold(tenancy, meeting_a, D(2026, 8, 20))
    hold(tenancy, meeting_b, PLANNED)
    new_proposal(tenancy)
    new_proposal(tenancy, desa=tenancy.desa_b)
    rkpdes_dates[tenancy.desa_a.pk] = D(2026, 8, 10)
    rkpdes_dates[tenancy.other_desa.pk] = D(2026, 8, 1)  # asked only for the desa on the board

    board = selectors.board(user=tenancy.camat, year=YEAR)
    cell_a, cell_b = (row.cells[MeetingKind.MUSRENBANGDES] for row in board.rows)
    assert (cell_a.state, cell_a.reason) == (
        rules.OFF_SCHEDULE,
        "RKPDes ditetapkan 10/08/2026 sebelum Musrenbangdes 20/08/2026",
    )
    assert (cell_b.state, cell_b.reason) == (
        rules.OFF_SCHEDULE,
        "Musrenbangdes diadakan 10/08/2026, tetapi Musdes perencanaan belum diadakan",
    )
    assert board.totals[MeetingKind.MUSRENBANGDES] == {rules.OFF_SCHEDULE: 2}
    assert (board.participating, [r.participates for r in board.rows]) == (0, [False, False])
    # The RKPDes of budget year 2027 is the one set in 2026, which this cycle's Musrenbangdes agrees.
    assert rkpdes_dates.asked == [([tenancy.desa_a.pk, tenancy.desa_b.pk], YEAR)]

    del rkpdes_dates[tenancy.desa_a.pk]  # not known: no finding, no warning
    board = selectors.board(user=tenancy.camat, year=YEAR)
    assert board.rows[0].cells[MeetingKind.MUSRENBANGDES] == (rules.HELD_LATE, meeting_a, ())  # after 10/08
    assert board.participating == 1 and board.totals[MeetingKind.MUSRENBANGDES] == {
        rules.HELD_LATE: 1,
        rules.OFF_SCHEDULE: 1,
    }
    assert selectors.verdict_of(Meeting.objects.get(pk=meeting_a.pk)).state == rules.HELD_LATE  # no annotations


def test_nobody_registered_means_rkpdes_not_known(tenancy, scheduled, no_milestones):
    meeting_a = next(m for m in scheduled if m.desa == tenancy.desa_a)
    with time_machine.travel(dt.datetime(2026, 10, 5, 9, 0), tick=False):
        musdes_held(tenancy, tenancy.desa_a)
        hold(tenancy, meeting_a, PLANNED)
        assert selectors.verdict_of(meeting_a) == rules.Verdict(rules.HELD)


def test_desa_cannot_record_another_desas_meeting(tenancy, scheduled):
    meeting_a = next(m for m in scheduled if m.desa == tenancy.desa_a)
    with pytest.raises(PermissionDenied):
        services.meeting_record(actor=tenancy.operator_b, meeting=meeting_a, held_date=PLANNED)
    with pytest.raises(PermissionDenied):
        services.meeting_document_add(actor=tenancy.outsider, meeting=meeting_a, role=DocumentRole.FOTO, upload=pdf())


def test_photo_role_refuses_a_pdf_by_content(tenancy, scheduled):
    meeting_a = next(m for m in scheduled if m.desa == tenancy.desa_a)
    with pytest.raises(ValidationError):
        services.meeting_document_add(
            actor=tenancy.operator_a,
            meeting=meeting_a,
            role=DocumentRole.FOTO,
            upload=SimpleUploadedFile("foto.jpg", pdf().read()),
        )


def test_participation_totals_from_counts_or_from_names(tenancy, scheduled):
    meeting = scheduled[0]
    assert selectors.participation(meeting).source == "none"
    Participant.objects.create(meeting=meeting, name="Siti", group=ParticipantGroup.PEREMPUAN, gender="P")
    Participant.objects.create(meeting=meeting, name="Budi", group=ParticipantGroup.BPD, gender="L")
    named = selectors.participation(meeting)
    assert (named.source, named.total, named.women_share) == ("names", 2, 50.0)
    services.participation_set(
        actor=tenancy.kasi_tapem,
        meeting=meeting,
        counts={ParticipantGroup.BPD: (5, 2), ParticipantGroup.PEREMPUAN: (0, 6), ParticipantGroup.PEMUDA: (4, 3)},
    )
    summary = selectors.participation(meeting)
    assert (summary.source, summary.men, summary.women, summary.total) == ("counts", 9, 11, 20)
    assert summary.women_share == 55.0
    assert summary.groups_present == ["bpd", "perempuan", "pemuda"]
    assert "kelompok_rentan" in summary.groups_missing and "lainnya" not in summary.groups_missing
    with pytest.raises(ValidationError):
        services.participation_set(actor=tenancy.kasi_tapem, meeting=meeting, counts={"alien": (1, 1)})


def test_every_transition_is_kept_with_who_and_history(tenancy):
    p = new_proposal(tenancy)
    kasi = tenancy.kasi_tapem
    with pytest.raises(PermissionDenied):
        services.proposal_move(actor=tenancy.operator_a, proposal=p, to_status=ProposalStatus.DIBAHAS)
    with pytest.raises(ValidationError):
        services.proposal_move(actor=kasi, proposal=p, to_status=ProposalStatus.DIAKOMODASI, program="X")
    services.proposal_move(
        actor=kasi, proposal=p, to_status=ProposalStatus.DIBAHAS, score=Decimal(80), kecamatan_priority=2
    )
    services.proposal_move(actor=kasi, proposal=p, to_status=ProposalStatus.DIUSULKAN, note="Lengkapi RAB")
    services.proposal_update(actor=tenancy.operator_a, proposal=p, estimated_cost=Decimal(140_000_000))
    services.proposal_move(actor=kasi, proposal=p, to_status=ProposalStatus.DIBAHAS, score=Decimal(85))
    with pytest.raises(ValidationError):
        services.proposal_update(actor=tenancy.operator_a, proposal=p, activity="Diubah setelah dibahas")
    services.proposal_move(actor=kasi, proposal=p, to_status=ProposalStatus.DITERUSKAN)
    with pytest.raises(ValidationError):  # accommodated needs the program that took it
        services.proposal_move(actor=kasi, proposal=p, to_status=ProposalStatus.DIAKOMODASI)
    services.proposal_move(actor=kasi, proposal=p, to_status=ProposalStatus.DIAKOMODASI, program="DPUPR — jalan desa")
    p.refresh_from_db()
    assert (p.status, p.program, p.accommodated_cost) == ("diakomodasi", "DPUPR — jalan desa", Decimal(140_000_000))
    steps = list(ProposalTransition.objects.filter(proposal=p).values_list("from_status", "to_status", "by__username"))
    assert steps == [
        ("", "diusulkan", "op_a"),
        ("diusulkan", "dibahas", "kasitapem"),
        ("dibahas", "diusulkan", "kasitapem"),
        ("diusulkan", "dibahas", "kasitapem"),
        ("dibahas", "diteruskan", "kasitapem"),
        ("diteruskan", "diakomodasi", "kasitapem"),
    ]
    assert Decimal(150_000_000) in set(p.history.values_list("estimated_cost", flat=True))  # the old value is kept
    with pytest.raises(ValidationError):  # final
        services.proposal_move(actor=kasi, proposal=p, to_status=ProposalStatus.TIDAK_DIAKOMODASI, outcome_reason="x")


def test_a_stale_second_click_loses(tenancy):
    p = new_proposal(tenancy)
    stale = Proposal.objects.get(pk=p.pk)
    services.proposal_move(actor=tenancy.kasi_tapem, proposal=p, to_status=ProposalStatus.DIBAHAS)
    with pytest.raises(ValidationError):
        services.proposal_move(actor=tenancy.camat, proposal=stale, to_status=ProposalStatus.DIBAHAS)
    assert ProposalTransition.objects.filter(proposal=p, to_status="dibahas").count() == 1


def test_carry_over_keeps_the_chain(tenancy):
    p = new_proposal(tenancy)
    kasi = tenancy.kasi_tapem
    services.proposal_move(actor=kasi, proposal=p, to_status=ProposalStatus.DIBAHAS)
    with pytest.raises(ValidationError):
        services.proposal_carry_over(actor=tenancy.operator_a, proposal=p)  # not decided yet
    with pytest.raises(ValidationError):
        services.proposal_move(actor=kasi, proposal=p, to_status=ProposalStatus.TIDAK_DIAKOMODASI)  # no reason
    services.proposal_move(
        actor=kasi, proposal=p, to_status=ProposalStatus.TIDAK_DIAKOMODASI, outcome_reason="Pagu habis"
    )
    with pytest.raises(PermissionDenied):
        services.proposal_carry_over(actor=tenancy.operator_b, proposal=p)
    follow = services.proposal_carry_over(actor=tenancy.operator_a, proposal=p)
    assert (follow.year, follow.status, follow.carried_from, follow.activity) == (YEAR + 1, "diusulkan", p, p.activity)
    with pytest.raises(ValidationError):
        services.proposal_carry_over(actor=tenancy.operator_a, proposal=p)
    p.refresh_from_db()
    assert p.status == "tidak_diakomodasi" and p.outcome_reason == "Pagu habis"  # the original is untouched
    assert selectors.chain(follow) == [p, follow] == selectors.chain(p)


def test_ranking_uses_score_then_the_kecamatans_tie_breakers(tenancy):
    kasi = tenancy.kasi_tapem
    cheap = new_proposal(tenancy, activity="Murah", estimated_cost=Decimal(10_000_000), desa_rank=3)
    dear = new_proposal(tenancy, activity="Mahal", estimated_cost=Decimal(90_000_000), desa_rank=1)
    best = new_proposal(tenancy, desa=tenancy.desa_b, activity="Terbaik", desa_rank=2)
    services.proposal_create(
        actor=tenancy.outsider_operator,
        desa=tenancy.other_desa,
        year=YEAR,
        bidang="2",
        activity="Lain",
        volume=1,
        unit="m",
        estimated_cost=1,
        fund_source="dd",
        desa_rank=1,
    )
    for p, score in ((cheap, 70), (dear, 70), (best, 90)):
        services.proposal_move(actor=kasi, proposal=p, to_status=ProposalStatus.DIBAHAS, score=Decimal(score))
    names = lambda: [p.activity for p in selectors.ranking(user=kasi, year=YEAR)]  # noqa: E731
    assert names() == ["Terbaik", "Mahal", "Murah"]  # default: desa rank breaks the tie
    services.ranking_rule_set(actor=kasi, kecamatan=tenancy.kecamatan, tie_breakers=["cost_low"])
    assert names() == ["Terbaik", "Murah", "Mahal"]
    with pytest.raises(ValidationError):
        services.ranking_rule_set(actor=kasi, kecamatan=tenancy.kecamatan, tie_breakers=["cost_low", "cost_low"])
    with pytest.raises(PermissionDenied):
        services.ranking_rule_set(actor=tenancy.outsider, kecamatan=tenancy.kecamatan, tie_breakers=[])


def test_totals_and_coverage(tenancy):
    kasi = tenancy.kasi_tapem
    a1 = new_proposal(tenancy, estimated_cost=Decimal(100))
    a2 = new_proposal(tenancy, estimated_cost=Decimal(300), bidang=Bidang.PEMBERDAYAAN)
    for p in (a1, a2):
        services.proposal_move(actor=kasi, proposal=p, to_status=ProposalStatus.DIBAHAS)
        services.proposal_move(actor=kasi, proposal=p, to_status=ProposalStatus.DITERUSKAN)
    services.proposal_move(
        actor=kasi, proposal=a1, to_status=ProposalStatus.DIAKOMODASI, program="P", accommodated_cost=Decimal(80)
    )
    services.proposal_move(actor=kasi, proposal=a2, to_status=ProposalStatus.TIDAK_DIAKOMODASI, outcome_reason="R")
    t = selectors.totals(user=tenancy.camat, year=YEAR)[(tenancy.desa_a.pk,)]
    assert (t.count, t.cost, t.accommodated, t.decided, t.share, t.money_share) == (2, 400, 1, 2, 50.0, 20.0)
    by_bidang = selectors.totals(user=tenancy.camat, year=YEAR, by=("bidang",))
    assert set(by_bidang) == {("2",), ("4",)}
    assert selectors.coverage(user=tenancy.operator_b, years=[YEAR]) == {}
    assert selectors.coverage(user=tenancy.operator_a, years=[YEAR])[tenancy.desa_a.pk][YEAR].share == 50.0


def test_alerts_remind_then_flag_late_once(tenancy, scheduled):
    def deliveries(key_part):
        return Delivery.objects.filter(event_key__contains=key_part)

    assert services.musrenbang_alerts(today=PLANNED - dt.timedelta(days=7)) > 0
    reminded = set(deliveries(":remind:").values_list("recipient__username", flat=True))
    assert reminded == {"op_a", "kades_a", "op_b"}
    assert services.musrenbang_alerts(today=PLANNED - dt.timedelta(days=6)) == 0  # nothing due that day
    late = services.musrenbang_alerts(today=PLANNED + dt.timedelta(days=1))
    assert late > 0 and "kasitapem" in set(deliveries(":late:").values_list("recipient__username", flat=True))
    assert services.musrenbang_alerts(today=PLANNED + dt.timedelta(days=1)) == 0  # twice: nothing more
    meeting_a = next(m for m in scheduled if m.desa == tenancy.desa_a)
    services.meeting_document_add(
        actor=tenancy.kasi_tapem, meeting=meeting_a, role=DocumentRole.BERITA_ACARA, upload=pdf()
    )
    before = deliveries(":late:").count()
    services.musrenbang_alerts(today=PLANNED + dt.timedelta(days=2))
    late_desa = set(deliveries(":late:").values_list("desa_id", flat=True))
    assert deliveries(":late:").count() == before and late_desa == {tenancy.desa_a.pk, tenancy.desa_b.pk}


def test_the_rkpdes_date_comes_from_monev_through_the_registry(tenancy, scheduled):
    """The real wiring, without a fake: monev registers ``RKPDES_SET`` and answers for budget year N (the
    cycle's year), so the RKPDes 2027 set on 10/08/2026 puts a Musrenbangdes of 20/08/2026 out of order."""
    from monev.models import DocumentType, Obligation, Submission
    from portal import milestones

    assert milestones.RKPDES_SET in milestones._providers, "monev must register the RKPDes dates"
    meeting_a = next(m for m in scheduled if m.desa == tenancy.desa_a)
    rkpdes = DocumentType.objects.get(code="RKPDES")
    for budget_year, set_on in ((YEAR, D(2026, 8, 10)), (YEAR - 1, D(2025, 9, 1))):  # last cycle's: not asked
        obligation = Obligation.objects.create(desa=tenancy.desa_a, document_type=rkpdes, year=budget_year)
        Submission.objects.create(
            obligation=obligation,
            version=1,
            submitted_by=tenancy.operator_a,
            submitted_at=dt.datetime(set_on.year, set_on.month, set_on.day, 9, tzinfo=dt.UTC),
            document_date=set_on,
        )
    with time_machine.travel(dt.datetime(2026, 10, 5, 9, 0), tick=False):
        musdes_held(tenancy, tenancy.desa_a)
        hold(tenancy, meeting_a, D(2026, 8, 20))
        verdict = selectors.verdict_of(meeting_a)
    assert (verdict.state, verdict.reason) == (
        rules.OFF_SCHEDULE,
        "RKPDes ditetapkan 10/08/2026 sebelum Musrenbangdes 20/08/2026",
    )
