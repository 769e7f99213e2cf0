"""Reads of the monev plan and visits, already scoped. The plan matrix is two queries whatever the number of
desa; the lists page through rows with their related rows joined."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Prefetch, Q, QuerySet

from monev.models_visits import (
    ChecklistAnswer,
    FollowUp,
    MonevPlanEntry,
    Recommendation,
    RecommendationTransition,
    Visit,
    VisitFile,
    VisitType,
)
from monev.services_visits import AWAITING_DESA
from portal.models import Desa, User
from portal.scoping import get_in_scope_or_404, restrict
from portal.selectors import desa_list


def plan_list(*, user: User) -> QuerySet[MonevPlanEntry]:
    return restrict(MonevPlanEntry.objects.select_related("desa", "desa__kecamatan"), user)


def visit_list(*, user: User) -> QuerySet[Visit]:
    return restrict(
        Visit.objects.select_related("desa", "desa__kecamatan", "created_by").annotate(
            n_findings=Count("findings", distinct=True),
            n_open=Count("recommendations", filter=Q(recommendations__state__in=AWAITING_DESA), distinct=True),
        ),
        user,
    )


def visit_detail(*, user: User, pk: int) -> Visit:
    queryset = Visit.objects.select_related("desa", "desa__kecamatan", "created_by").prefetch_related(
        "team",
        Prefetch("answers", queryset=ChecklistAnswer.objects.order_by("sort_order", "id")),
        "files",
        "findings",
        Prefetch(
            "recommendations",
            queryset=Recommendation.objects.select_related("finding").prefetch_related(
                Prefetch("follow_ups", queryset=FollowUp.objects.select_related("submitted_by")),
                Prefetch("transitions", queryset=RecommendationTransition.objects.select_related("by")),
            ),
        ),
    )
    return get_in_scope_or_404(queryset, user, pk=pk)


def visit_file_list(*, user: User) -> QuerySet[VisitFile]:
    return restrict(VisitFile.objects.select_related("visit__desa"), user)


def recommendation_list(*, user: User) -> QuerySet[Recommendation]:
    return restrict(Recommendation.objects.select_related("visit", "visit__desa", "finding"), user)


def follow_up_list(*, user: User) -> QuerySet[FollowUp]:
    return restrict(FollowUp.objects.select_related("recommendation__visit__desa", "submitted_by"), user)


def overdue(*, user: User, today: dt.date) -> QuerySet[Recommendation]:
    return recommendation_list(user=user).filter(state__in=AWAITING_DESA, due_date__lt=today)


@dataclass
class PlanRow:
    desa: Desa
    cells: list[list[str]] = field(default_factory=lambda: [[], [], [], []])  # per triwulan: type codes


def plan_matrix(*, user: User, year: int) -> list[PlanRow]:
    """Desa × triwulan of ``year``: one query for the desa, one for the entries."""
    rows = {d.pk: PlanRow(d) for d in desa_list(user=user).order_by("kode")}
    by_cell: dict[tuple[int, int], list[str]] = defaultdict(list)
    for desa_id, quarter, code in (
        plan_list(user=user).filter(year=year).values_list("desa_id", "quarter", "visit_type")
    ):
        by_cell[(desa_id, quarter)].append(code)
    order = {code: i for i, code in enumerate(VisitType.values)}
    for (desa_id, quarter), codes in by_cell.items():
        if desa_id in rows:
            rows[desa_id].cells[quarter - 1] = sorted(codes, key=order.get)
    return list(rows.values())
