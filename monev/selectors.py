"""Reads on obligations, already scoped. The board is one query for its rows, one for its cells and one
for its column totals, whatever the number of desa."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.core.paginator import Paginator
from django.db.models import BooleanField, Case, Count, F, Q, QuerySet, Value, When
from django.utils import timezone

from monev import rules
from monev.choices import Responsible, State, SubmissionStatus
from monev.models import DocumentType, Obligation, Submission, SubmissionFile, Transition
from portal.models import Desa, User
from portal.scoping import restrict


def obligation_list(*, user: User) -> QuerySet[Obligation]:
    return restrict(Obligation.objects.select_related("desa", "desa__kecamatan", "document_type"), user)


def submission_list(*, user: User) -> QuerySet[Submission]:
    return restrict(Submission.objects.select_related("obligation", "submitted_by", "reviewed_by"), user)


def submission_file_list(*, user: User) -> QuerySet[SubmissionFile]:
    return restrict(SubmissionFile.objects.select_related("submission__obligation__desa"), user)


def document_types(*, code: str | None = None) -> list[DocumentType]:
    qs = DocumentType.objects.filter(active=True)
    if code:
        qs = qs.filter(code=code)
    return list(qs)


@dataclass
class Cell:
    obligations: list[Obligation] = field(default_factory=list)

    def worst(self, today: dt.date) -> tuple[str, int | None]:
        """The cell shows its most pressing obligation (a periodic type has several per year)."""
        severity = [
            State.TERLAMBAT,
            State.DIKEMBALIKAN,
            State.DIKIRIM,
            State.DISPENSASI,
            State.BELUM,
            State.DITERIMA,
            State.TIDAK_BERLAKU,
        ]
        best = None
        for o in self.obligations:
            state = rules.display_state(o.state, o.due_date, today)
            key = (severity.index(state), o.due_date or dt.date.max)
            if best is None or key < best[0]:
                best = (key, state, rules.days_until(o.due_date, today))
        return (best[1], best[2]) if best else ("", None)


@dataclass
class BoardRow:
    desa: Desa
    cells: list[tuple[DocumentType, str, int | None, list[Obligation]]]
    totals: Counter
    score: float | None


@dataclass
class LateElsewhere:
    """Late obligations of another budget year (RKPDes 2027 is due 30/09/2026), shown on this year's board."""

    year: int
    document_type: DocumentType
    desa_count: int


@dataclass
class Board:
    year: int
    types: list[DocumentType]
    rows: list[BoardRow]
    page: object
    column_totals: dict[int, Counter]
    grand_totals: Counter
    hidden: int = 0
    late_elsewhere: list[LateElsewhere] = field(default_factory=list)


def _overdue_q(today: dt.date) -> Q:
    """The database twin of ``rules.display_state``: open rows past their date show as late."""
    return Q(state__in=[State.BELUM, State.DISPENSASI], due_date__lt=today)


def _shown_state_q(state: str, today: dt.date) -> Q:
    if state == State.TERLAMBAT:
        return Q(state=State.TERLAMBAT) | _overdue_q(today)
    return Q(state=state) & ~_overdue_q(today)


def late_elsewhere(*, user: User, year: int, today: dt.date, kecamatan: str | None = None) -> list[LateElsewhere]:
    """Per other budget year and document type, how many desa in scope are late now. One query."""
    qs = obligation_list(user=user).filter(_shown_state_q(State.TERLAMBAT, today)).exclude(year=year)
    if kecamatan:
        qs = qs.filter(desa__kecamatan__kode=kecamatan)
    rows = (
        qs.values("year", "document_type_id")
        .annotate(n=Count("desa_id", distinct=True))
        .order_by("year", "document_type__sort_order")
    )
    rows = list(rows)
    types = DocumentType.objects.in_bulk({r["document_type_id"] for r in rows}) if rows else {}
    for t in types.values():
        t.short_name = rules.short_name(t.code, t.name)
    return [LateElsewhere(r["year"], types[r["document_type_id"]], r["n"]) for r in rows]


def _state_filter(obligations: list[Obligation], state: str | None, today: dt.date) -> list[Obligation]:
    if not state:
        return obligations
    return [o for o in obligations if rules.display_state(o.state, o.due_date, today) == state]


def board(
    *,
    user: User,
    year: int,
    today: dt.date,
    document_type: str | None = None,
    state: str | None = None,
    kecamatan: str | None = None,
    page: int | str | None = 1,
    per_page: int = 50,
) -> Board:
    types = document_types(code=document_type)
    for t in types:
        t.short_name = rules.short_name(t.code, t.name)
    desa_qs = restrict(Desa.objects.select_related("kecamatan").order_by("kode"), user)
    if kecamatan:
        desa_qs = desa_qs.filter(kecamatan__kode=kecamatan)
    hidden = 0
    if state or document_type:
        # A desa with nothing under the filter is no row of dashes: it is left out, and counted.
        matching = Obligation.objects.filter(year=year, document_type__in=types)
        if state:
            matching = matching.filter(_shown_state_q(state, today))
        everyone = desa_qs.count()
        desa_qs = desa_qs.filter(id__in=matching.values("desa_id"))
        hidden = everyone - desa_qs.count()
    desa_page = Paginator(desa_qs, per_page).get_page(page)
    desa_ids = [d.id for d in desa_page]
    obligations = list(
        Obligation.objects.filter(year=year, desa_id__in=desa_ids, document_type__in=types).order_by(
            "due_date", "period"
        )
    )
    by_cell: dict[tuple[int, int], list[Obligation]] = defaultdict(list)
    scored: dict[int, list[Obligation]] = defaultdict(list)
    for o in obligations:
        by_cell[(o.desa_id, o.document_type_id)].append(o)
        scored[o.desa_id].append(o)
    rows = []
    for desa in desa_page:
        cells, totals = [], Counter()
        for t in types:
            items = _state_filter(by_cell.get((desa.id, t.id), []), state, today)
            cell_state, days = Cell(items).worst(today)
            cells.append((t, cell_state, days, items))
            for o in items:
                totals[rules.display_state(o.state, o.due_date, today)] += 1
        # The score is the desa's, over all its obligations of the year: a state filter narrows the cells,
        # not the measure (filtering by "terlambat" would otherwise make every score 0 %).
        score_rows = [
            rules.score_row(o.state, o.due_date, o.on_time, o.basis_submitted_at) for o in scored.get(desa.id, [])
        ]
        rows.append(BoardRow(desa, cells, totals, rules.timeliness_score(score_rows, today)))
    column_totals = _column_totals(user, year, types, kecamatan, today, state)
    grand = Counter()
    for counter in column_totals.values():
        grand.update(counter)
    others = late_elsewhere(user=user, year=year, today=today, kecamatan=kecamatan)
    return Board(year, types, rows, desa_page, column_totals, grand, hidden, others)


@dataclass
class Ranked:
    desa: Desa
    score: float | None  # ``rules.timeliness_score``: None when nothing is due yet


def timeliness_ranking(*, user: User, year: int, today: dt.date, kecamatan: str | None = None) -> list[Ranked]:
    """Every desa in scope with its timeliness score over the year, best first (ties by name; desa with
    nothing due yet last). Not paginated like the board: a ranking is over all desa. Two queries."""
    desa_qs = restrict(Desa.objects.order_by("nama"), user)
    obligations = obligation_list(user=user).filter(year=year)
    if kecamatan:
        desa_qs = desa_qs.filter(kecamatan__kode=kecamatan)
        obligations = obligations.filter(desa__kecamatan__kode=kecamatan)
    score_rows: dict[int, list] = defaultdict(list)
    for desa_id, *fields in obligations.values_list("desa_id", "state", "due_date", "on_time", "basis_submitted_at"):
        score_rows[desa_id].append(rules.score_row(*fields))
    ranked = [Ranked(desa, rules.timeliness_score(score_rows.get(desa.id, []), today)) for desa in desa_qs]
    ranked.sort(key=lambda r: (r.score is None, -(r.score or 0)))
    return ranked


def _column_totals(user, year, types, kecamatan, today, state) -> dict[int, Counter]:
    """Totals over every desa in scope (not only the page), counted by the database in one query. Open rows
    past their date count as late even before the overdue pass has moved them."""
    qs = obligation_list(user=user).filter(year=year, document_type__in=types)
    if kecamatan:
        qs = qs.filter(desa__kecamatan__kode=kecamatan)
    overdue = Case(
        When(state__in=[State.BELUM, State.DISPENSASI], due_date__lt=today, then=Value(True)),
        default=Value(False),
        output_field=BooleanField(),
    )
    totals: dict[int, Counter] = defaultdict(Counter)
    for row in qs.annotate(overdue=overdue).values("document_type_id", "state", "overdue").annotate(n=Count("id")):
        shown = State.TERLAMBAT if row["overdue"] else row["state"]
        if not state or shown == state:
            totals[row["document_type_id"]][shown] += row["n"]
    return totals


def desa_timeline(*, user: User, desa: Desa, year: int) -> list[Obligation]:
    return list(
        obligation_list(user=user)
        .filter(desa=desa, year=year)
        .prefetch_related("submissions__files", "submissions__submitted_by", "transitions__by", "extensions")
        .order_by("due_date", "document_type__sort_order", "period")
    )


def upcoming_for_desa(*, user: User, desa: Desa, today: dt.date, limit: int = 10) -> list[Obligation]:
    """What the desa must send soon, by the deadline in force (``rules.deadline_in_force``): a returned
    document by its correction deadline, which each row carries as ``deadline``."""
    in_force = Case(
        When(state=State.DIKEMBALIKAN, correction_due_date__isnull=False, then=F("correction_due_date")),
        default=F("due_date"),
    )
    return list(
        obligation_list(user=user)
        .filter(desa=desa, state__in=rules.OUTSTANDING, due_date__isnull=False)
        .exclude(document_type__responsible=Responsible.KECAMATAN)  # the kecamatan's own duty, not the desa's
        .annotate(deadline=in_force)
        .order_by("deadline", "pk")[:limit]
    )


def transitions_of(*, user: User, obligation: Obligation) -> QuerySet[Transition]:
    return restrict(Transition.objects.filter(obligation=obligation).select_related("by"), user)


def rkpdes_set_dates(desa_ids: list[int], year: int) -> dict[int, dt.date]:
    """For Musrenbang's order check (``portal.milestones``): the day each desa's RKPDes of budget year
    ``year`` was set — the document date of its first version when given, else the day it was handed in."""
    result: dict[int, dt.date] = {}
    rows = (
        Submission.objects.filter(
            obligation__desa_id__in=desa_ids, obligation__year=year, obligation__document_type__code="RKPDES"
        )
        .order_by("obligation__desa_id", "version")
        .values_list("obligation__desa_id", "document_date", "submitted_at")
    )
    for desa_id, document_date, submitted_at in rows:
        if desa_id not in result:
            result[desa_id] = document_date or timezone.localdate(submitted_at)
    return result


@dataclass
class BudgetChain:
    steps: list[Obligation]
    warnings: list[str]


def _chain_doc(o: Obligation | None) -> rules.ChainDoc | None:
    if o is None:
        return None
    submissions = sorted(o.submissions.all(), key=lambda s: s.version)
    accepted = [s for s in submissions if s.status == SubmissionStatus.DITERIMA]
    return rules.ChainDoc(
        state=o.state,
        due_date=o.due_date,
        submitted_on=timezone.localdate(o.first_submitted_at) if o.first_submitted_at else None,
        accepted_on=timezone.localdate(o.accepted_at) if o.accepted_at else None,
        outcome=accepted[-1].outcome if accepted else "",
    )


def budget_chain(obligations: list[Obligation], today: dt.date) -> BudgetChain | None:
    """The Raperdes → evaluation → (revision) → APBDes links of one desa's year, in their legal order, with
    what is out of order. Built from the year's already-fetched obligations (submissions prefetched)."""
    by_code: dict[str, list[Obligation]] = defaultdict(list)
    for o in obligations:
        if o.document_type.code in rules.CHAIN_CODES:
            by_code[o.document_type.code].append(o)
    if not by_code:
        return None
    first = {code: rows[0] for code, rows in by_code.items()}
    revisions = sorted(by_code.get("PERBAIKAN_APBDES", []), key=lambda o: o.period)
    warnings = rules.budget_chain_warnings(
        _chain_doc(first.get("RAPERDES_APBDES")),
        _chain_doc(first.get("EVALUASI_APBDES")),
        _chain_doc(revisions[-1] if revisions else None),
        _chain_doc(first.get("APBDES")),
        today,
    )
    steps = [first[c] for c in ("RAPERDES_APBDES", "EVALUASI_APBDES") if c in first] + revisions
    steps += [first["APBDES"]] if "APBDES" in first else []
    return BudgetChain(steps=steps, warnings=warnings)
