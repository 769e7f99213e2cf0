"""Reads of Musrenbang, always through ``restrict`` (scoped): the board (desa × meeting), participation at a
glance, the consolidated proposal list and ranking, totals per desa and bidang, and the "tercover" figure
(share of proposals and of money accommodated, per desa, over the years). Aggregates run in the database."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.utils import timezone

from musrenbang import rules
from musrenbang.choices import DESA_KINDS, DocumentRole, MeetingKind, ParticipantGroup, ProposalStatus
from musrenbang.models import Meeting, MeetingDocument, Participant, Participation, Proposal, RankingRule
from portal.models import Desa, Kecamatan
from portal.scoping import restrict


def meetings(*, user):
    has_ba = MeetingDocument.objects.filter(meeting=OuterRef("pk"), role=DocumentRole.BERITA_ACARA)
    return restrict(Meeting.objects.select_related("desa", "kecamatan"), user).annotate(has_ba=Exists(has_ba))


def state_of(meeting: Meeting, today: dt.date | None = None) -> str:
    return rules.meeting_state(
        planned=meeting.planned_date, held=meeting.held_date, window_end=meeting.window_end,
        has_berita_acara=getattr(meeting, "has_ba", None) if hasattr(meeting, "has_ba")
        else meeting.documents.filter(role=DocumentRole.BERITA_ACARA).exists(),
        today=today or timezone.localdate(),
    )  # fmt: skip


@dataclass
class BoardRow:
    desa: Desa
    cells: dict[str, tuple[str, Meeting | None]]  # kind -> (state, meeting)
    proposals: int = 0
    participates: bool = False


@dataclass
class Board:
    year: int
    rows: list[BoardRow]
    kecamatan_meetings: list[tuple[str, Meeting]] = field(default_factory=list)
    participating: int = 0  # "jumlah desa yang mengikuti Musrenbang", computed

    @property
    def total(self) -> int:
        return len(self.rows)


def board(*, user, year: int, today: dt.date | None = None) -> Board:
    """Desa × meeting type for one cycle. A desa without a meeting row yet is judged against the default
    window (unscheduled, or not held once the window is over). A desa *takes part* in the cycle when its
    Musrenbangdes was held (berita acara uploaded) and it proposed at least one activity."""
    today = today or timezone.localdate()
    found = defaultdict(dict)
    kecamatan_meetings = []
    for m in meetings(user=user).filter(year=year):
        if m.desa_id:
            found[m.desa_id][m.kind] = m
        else:
            kecamatan_meetings.append((state_of(m, today), m))
    counts = dict(
        restrict(Proposal.objects.filter(year=year), user).values("desa_id").annotate(n=Count("id")).values_list("desa_id", "n")
    )
    rows = []
    for desa in restrict(Desa.objects.order_by("kode"), user):
        cells = {}
        for kind in DESA_KINDS:
            meeting = found[desa.pk].get(kind)
            if meeting is not None:
                cells[kind] = (state_of(meeting, today), meeting)
            else:
                _start, end = rules.default_window(kind, year)
                state = rules.meeting_state(planned=None, held=None, window_end=end, has_berita_acara=False, today=today)
                cells[kind] = (state, None)
        held = cells[MeetingKind.MUSRENBANGDES][0] in (rules.HELD, rules.HELD_LATE)
        n = counts.get(desa.pk, 0)
        rows.append(BoardRow(desa, cells, n, held and n > 0))
    return Board(year, rows, kecamatan_meetings, sum(r.participates for r in rows))


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


def proposals(*, user, year: int | None = None, desa: str | None = None, bidang: str | None = None,
              status: str | None = None):  # fmt: skip
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
        .values("desa_id", "year").annotate(**_AGG).order_by("desa_id", "year")
    )  # fmt: skip
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
