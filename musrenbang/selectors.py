"""Reads of Musrenbang, always through ``restrict`` (scoped): the board (desa × meeting, each meeting judged
by ``rules.meeting_verdict`` with the order Musdes → Musrenbangdes → RKPDes), participation at a glance, the
consolidated proposal list and ranking, totals per desa and bidang, and the "tercover" figure (share of
proposals and of money accommodated, per desa, over the years). Aggregates run in the database."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple

from django.db.models import Count, Exists, OuterRef, Q, Subquery, Sum
from django.utils import timezone

from musrenbang import rules
from musrenbang.choices import DESA_KINDS, DocumentRole, MeetingKind, ParticipantGroup, ProposalStatus
from musrenbang.models import Meeting, MeetingDocument, Participant, Participation, Proposal, RankingRule
from portal import milestones
from portal.models import Desa, Kecamatan
from portal.scoping import restrict


def with_state_inputs(queryset):
    """What the board state of each meeting needs from other rows, in the same query: whether a berita
    acara was uploaded, and the held date of the same desa's Musdes of the cycle (read for a Musrenbangdes)."""
    has_ba = MeetingDocument.objects.filter(meeting=OuterRef("pk"), role=DocumentRole.BERITA_ACARA)
    musdes = Meeting.objects.filter(desa=OuterRef("desa"), year=OuterRef("year"), kind=MeetingKind.MUSDES)
    return queryset.annotate(has_ba=Exists(has_ba), musdes_held=Subquery(musdes.values("held_date")[:1]))


def meetings(*, user):
    return with_state_inputs(restrict(Meeting.objects.select_related("desa", "kecamatan"), user))


def rkpdes_dates_attach(meetings: Iterable[Meeting]) -> list[Meeting]:
    """Set ``rkpdes_set`` on each Musrenbangdes: the day its desa's RKPDes of budget year N (the cycle's
    year: the RKPDes set in N-1, which that Musrenbangdes agrees) was set, or None when not known. One
    question to the registry per cycle year, whatever the number of meetings. Musrenbang does not import
    monev: the date comes through ``portal.milestones``, and nobody registered means "not known"."""
    meetings = list(meetings)
    by_year: dict[int, list[Meeting]] = defaultdict(list)
    for m in meetings:
        if m.kind == MeetingKind.MUSRENBANGDES and m.desa_id:
            by_year[m.year].append(m)
    for year, group in by_year.items():
        known = milestones.dates(milestones.RKPDES_SET, desa_ids=sorted({m.desa_id for m in group}), year=year)
        for m in group:
            m.rkpdes_set = known.get(m.desa_id)
    return meetings


def verdict_of(meeting: Meeting, today: dt.date | None = None) -> rules.Verdict:
    """The board state of a meeting and why, from the annotations of ``meetings``/``with_state_inputs`` and
    ``rkpdes_dates_attach`` when present (else asked here, for this one meeting)."""
    if hasattr(meeting, "has_ba"):
        has_ba = meeting.has_ba
    else:
        has_ba = meeting.documents.filter(role=DocumentRole.BERITA_ACARA).exists()
    musdes_held = rkpdes_set = None
    if meeting.kind == MeetingKind.MUSRENBANGDES:
        if hasattr(meeting, "musdes_held"):
            musdes_held = meeting.musdes_held
        else:
            musdes = Meeting.objects.filter(desa_id=meeting.desa_id, year=meeting.year, kind=MeetingKind.MUSDES)
            musdes_held = musdes.values_list("held_date", flat=True).first()
        if not hasattr(meeting, "rkpdes_set"):
            rkpdes_dates_attach([meeting])
        rkpdes_set = meeting.rkpdes_set
    return rules.meeting_verdict(
        kind=meeting.kind,
        planned=meeting.planned_date,
        held=meeting.held_date,
        window_start=meeting.window_start,
        window_end=meeting.window_end,
        has_berita_acara=has_ba,
        today=today or timezone.localdate(),
        musdes_held=musdes_held,
        rkpdes_set=rkpdes_set,
    )


def state_of(meeting: Meeting, today: dt.date | None = None) -> str:
    return verdict_of(meeting, today).state


class Cell(NamedTuple):
    """One meeting on the board: its state, the meeting (None when no row exists yet) and, when held out of
    schedule, why."""

    state: str
    meeting: Meeting | None = None
    issues: tuple[rules.Issue, ...] = ()

    @property
    def reason(self) -> str:
        return rules.issues_text(self.issues)


def cell_of(meeting: Meeting, today: dt.date) -> Cell:
    verdict = verdict_of(meeting, today)
    return Cell(verdict.state, meeting, verdict.issues)


def default_cell(kind: str, year: int, today: dt.date) -> Cell:
    """A meeting without a row yet, judged against the default window (unscheduled, or not held once over)."""
    start, end = rules.default_window(kind, year)
    verdict = rules.meeting_verdict(
        kind=kind, planned=None, held=None, window_start=start, window_end=end, has_berita_acara=False, today=today
    )
    return Cell(verdict.state)


# States that count as held for the indicator "desa mengikuti Musrenbang". Not "di luar jadwal": a
# Musrenbangdes held outside its window or out of order is not the lawful meeting that agrees the RKPDes.
COUNTS_AS_HELD = (rules.HELD, rules.HELD_LATE)


@dataclass
class BoardRow:
    desa: Desa
    cells: dict[str, Cell]  # kind -> cell
    proposals: int = 0
    participates: bool = False


@dataclass
class Board:
    year: int
    rows: list[BoardRow]
    kecamatan_meetings: list[Cell] = field(default_factory=list)
    participating: int = 0  # "jumlah desa yang mengikuti Musrenbang", computed
    totals: dict[str, Counter] = field(default_factory=dict)  # kind -> state -> number of desa

    @property
    def total(self) -> int:
        return len(self.rows)


def board(*, user, year: int, today: dt.date | None = None) -> Board:
    """Desa × meeting type for one cycle, with the number of desa in each state per type. A desa without a
    meeting row yet is judged against the default window. A desa *takes part* in the cycle when its
    Musrenbangdes was held lawfully (``COUNTS_AS_HELD``: berita acara uploaded, inside its window and in
    order) and it proposed at least one activity."""
    today = today or timezone.localdate()
    found = defaultdict(dict)
    kecamatan_meetings = []
    cycle_meetings = rkpdes_dates_attach(meetings(user=user).filter(year=year))
    for m in cycle_meetings:
        if m.desa_id:
            found[m.desa_id][m.kind] = m
        else:
            kecamatan_meetings.append(cell_of(m, today))
    counts = dict(
        restrict(Proposal.objects.filter(year=year), user)
        .values("desa_id")
        .annotate(n=Count("id"))
        .values_list("desa_id", "n")
    )
    rows = []
    totals: dict[str, Counter] = {kind: Counter() for kind in DESA_KINDS}
    for desa in restrict(Desa.objects.order_by("kode"), user):
        cells = {}
        for kind in DESA_KINDS:
            meeting = found[desa.pk].get(kind)
            cells[kind] = cell_of(meeting, today) if meeting is not None else default_cell(kind, year, today)
            totals[kind][cells[kind].state] += 1
        held = cells[MeetingKind.MUSRENBANGDES].state in COUNTS_AS_HELD
        n = counts.get(desa.pk, 0)
        rows.append(BoardRow(desa, cells, n, held and n > 0))
    return Board(year, rows, kecamatan_meetings, sum(r.participates for r in rows), totals)


@dataclass
class ParticipationSummary:
    by_group: dict[str, tuple[int, int]]  # group -> (men, women)
    source: str  # "counts" | "names" | "none"

    @property
    def men(self) -> int:
        return sum(m for m, _w in self.by_group.values())

    @property
    def women(self) -> int:
        return sum(w for _m, w in self.by_group.values())

    @property
    def total(self) -> int:
        return self.men + self.women

    @property
    def women_share(self) -> float | None:
        return round(100 * self.women / self.total, 1) if self.total else None

    @property
    def groups_present(self) -> list[str]:
        return [g for g in ParticipantGroup.values if sum(self.by_group.get(g, (0, 0))) > 0]

    @property
    def groups_missing(self) -> list[str]:
        return [g for g in ParticipantGroup.values if g != ParticipantGroup.LAINNYA and g not in self.groups_present]


def participation(meeting: Meeting) -> ParticipationSummary:
    """The typed counts when there are any; otherwise counted from the named list."""
    return participation_of(
        Participation.objects.filter(meeting=meeting).values_list("group", "men", "women"),
        Participant.objects.filter(meeting=meeting).values_list("group", "gender"),
    )


def participation_of(counts, people) -> ParticipationSummary:
    """The rule, from rows already at hand: ``counts`` as (group, men, women), ``people`` as (group, gender)."""
    typed = {group: (men, women) for group, men, women in counts}
    if typed:
        return ParticipationSummary(typed, "counts")
    named: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for group, gender in people:
        named[group][1 if gender == Participant.Gender.P else 0] += 1
    return ParticipationSummary({g: (m, w) for g, (m, w) in named.items()}, "names" if named else "none")


def proposals(
    *, user, year: int | None = None, desa: str | None = None, bidang: str | None = None, status: str | None = None
):
    qs = restrict(Proposal.objects.select_related("desa", "carried_from", "created_by"), user)
    if year:
        qs = qs.filter(year=year)
    if desa:
        qs = qs.filter(desa__kode=desa)
    if bidang:
        qs = qs.filter(bidang=bidang)
    if status:
        qs = qs.filter(status=status)
    return qs


def tie_breakers_for(kecamatan: Kecamatan | None) -> list[str]:
    rule = RankingRule.objects.filter(kecamatan=kecamatan).first() if kecamatan else None
    return list(rule.tie_breakers) if rule and rule.tie_breakers else list(rules.DEFAULT_TIE_BREAKERS)


def ranking(*, user, year: int, kecamatan: Kecamatan | None = None) -> list[Proposal]:
    """Proposals discussed at the kecamatan (or further), ranked by score and the kecamatan's tie-breakers."""
    kecamatan = kecamatan or getattr(user, "kecamatan", None)
    qs = proposals(user=user, year=year).exclude(status=ProposalStatus.DIUSULKAN)
    if kecamatan is not None:
        qs = qs.filter(desa__kecamatan=kecamatan)
    return rules.ranked(list(qs), tie_breakers_for(kecamatan))


@dataclass
class Totals:
    count: int = 0
    cost: Decimal = Decimal(0)
    accommodated: int = 0
    accommodated_cost: Decimal = Decimal(0)
    decided: int = 0  # accommodated or not

    @property
    def share(self) -> float | None:
        """Share of decided proposals that were accommodated ("tercover")."""
        return round(100 * self.accommodated / self.decided, 1) if self.decided else None

    @property
    def money_share(self) -> float | None:
        return round(float(100 * self.accommodated_cost / self.cost), 1) if self.cost else None


_AGG = {
    "count": Count("id"),
    "cost": Sum("estimated_cost", default=0),
    "accommodated": Count("id", filter=Q(status=ProposalStatus.DIAKOMODASI)),
    "accommodated_cost": Sum("accommodated_cost", filter=Q(status=ProposalStatus.DIAKOMODASI), default=0),
    "decided": Count("id", filter=Q(status__in=rules.FINAL)),
}


def totals(*, user, year: int, by: tuple[str, ...] = ("desa_id",)) -> dict[tuple, Totals]:
    """Totals grouped by any of desa_id, bidang, year."""
    rows = restrict(Proposal.objects.filter(year=year), user).values(*by).annotate(**_AGG).order_by(*by)
    return {tuple(r[k] for k in by): Totals(**{k: r[k] for k in _AGG}) for r in rows}


def coverage(*, user, years: list[int]) -> dict[int, dict[int, Totals]]:
    """desa_id -> year -> totals, for the "tercover" figure over the years."""
    rows = (
        restrict(Proposal.objects.filter(year__in=years), user)
        .values("desa_id", "year")
        .annotate(**_AGG)
        .order_by("desa_id", "year")
    )
    result: dict[int, dict[int, Totals]] = defaultdict(dict)
    for r in rows:
        result[r["desa_id"]][r["year"]] = Totals(**{k: r[k] for k in _AGG})
    return result


def chain(proposal: Proposal) -> list[Proposal]:
    """The proposal's carry-over chain, oldest first (each link is a proposal with its own history)."""
    first = proposal
    while first.carried_from_id:
        first = first.carried_from
    result = [first]
    while True:
        nxt = Proposal.objects.filter(carried_from=result[-1]).first()
        if nxt is None:
            return result
        result.append(nxt)
