"""APBDes reads, every one starting from ``portal.scoping.restrict``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from monev import rules_apbdes
from monev.choices import Outcome
from monev.models import Obligation
from monev.models_apbdes import (
    BudgetCheckRule,
    BudgetComment,
    BudgetFigures,
    BudgetLine,
    BudgetRealisation,
    BudgetRuleSet,
    BudgetVersion,
    KinerjaVerdict,
    RealisationCategory,
)
from portal.calendar import CalendarUnavailable, calendar_for
from portal.models import Desa, User
from portal.scoping import restrict
from portal.selectors import desa_list


def budget_obligations(*, user: User) -> QuerySet[Obligation]:
    return restrict(
        Obligation.objects.filter(document_type__code__in=rules_apbdes.BUDGET_DOC_CODES).select_related(
            "desa", "desa__kecamatan", "document_type"
        ),
        user,
    )


def version_list(*, user: User) -> QuerySet[BudgetVersion]:
    return restrict(
        BudgetVersion.objects.select_related(
            "obligation__desa__kecamatan", "obligation__document_type", "imported_by", "signed_by"
        ),
        user,
    )


def line_list(*, user: User) -> QuerySet[BudgetLine]:
    return restrict(BudgetLine.objects.select_related("version"), user)


def comment_list(*, user: User) -> QuerySet[BudgetComment]:
    return restrict(BudgetComment.objects.select_related("author", "line"), user)


def rule_set_list(*, user: User) -> QuerySet[BudgetRuleSet]:
    return restrict(BudgetRuleSet.objects.prefetch_related("rules"), user)


def figures_list(*, user: User) -> QuerySet[BudgetFigures]:
    return restrict(BudgetFigures.objects.select_related("desa", "kinerja_by").prefetch_related("realisations"), user)


def realisation_list(*, user: User) -> QuerySet[BudgetRealisation]:
    return restrict(BudgetRealisation.objects.select_related("figures__desa"), user)


def rules_for(*, kecamatan_id: int | None, year: int) -> tuple[BudgetRuleSet | None, list[rules_apbdes.Rule]]:
    """The kecamatan's own rule set of the year, else the shared one; configuration, not a user's data."""
    rule_set = (
        BudgetRuleSet.objects.filter(year=year, kecamatan_id=kecamatan_id).first()
        or BudgetRuleSet.objects.filter(year=year, kecamatan__isnull=True).first()
    )
    if rule_set is None:
        return None, []
    return rule_set, [as_rule(r) for r in BudgetCheckRule.objects.filter(rule_set=rule_set)]


def as_rule(r: BudgetCheckRule) -> rules_apbdes.Rule:
    return rules_apbdes.Rule(
        label=r.label,
        kind=r.kind,
        numerator_prefixes=r.numerator_prefixes,
        numerator_sources=r.numerator_sources,
        denominator_prefixes=r.denominator_prefixes,
        denominator_sources=r.denominator_sources,
        min_percent=r.min_percent,
        max_percent=r.max_percent,
        text=r.text,
    )


def as_lines(lines) -> list[rules_apbdes.Line]:
    return [rules_apbdes.Line(x.kode, x.amount, x.fund_source) for x in lines]


@dataclass
class Group:
    key: str
    label: str
    total: Decimal
    lines: list = field(default_factory=list)
    comments: list = field(default_factory=list)


def evaluation(*, version: BudgetVersion, today: dt.date) -> dict:
    """Everything the evaluation page and the API show of a version (already fetched in scope): lines by
    group with their comments, totals, the year's checks and the 20-working-day clock.

    Without a holiday calendar for the years involved the clock is None and ``calendar_error`` says why."""
    obligation = version.obligation
    lines = list(
        version.lines.prefetch_related(Prefetch("comments", queryset=BudgetComment.objects.select_related("author")))
    )
    group_comments = list(version.comments.filter(line__isnull=True).select_related("author"))
    groups: dict[str, Group] = {}
    for line in lines:
        key = rules_apbdes.group_key(line.kode)
        group = groups.setdefault(key, Group(key, rules_apbdes.group_label(key), Decimal(0)))
        group.lines.append(line)
        group.total += line.amount
    for comment in group_comments:
        key = rules_apbdes.group_key(comment.kode_prefix) if comment.kode_prefix[:1] in "56" else "4"
        if key in groups:
            groups[key].comments.append(comment)
    plain = as_lines(lines)
    rule_set, rule_rows = rules_for(kecamatan_id=obligation.desa.kecamatan_id, year=obligation.year)
    received_on = received_on_of(version)
    done_on = timezone.localdate(version.signed_at) if version.signed_at else None
    try:
        cal = calendar_for(
            kecamatan_id=obligation.desa.kecamatan_id, years=range(received_on.year, received_on.year + 2)
        )
    except CalendarUnavailable as exc:  # never a clock over an empty calendar: say why instead
        clock, calendar_error = None, str(exc)
    else:
        clock, calendar_error = rules_apbdes.evaluation_clock(received_on, today, cal, done_on=done_on), ""
    return {
        "groups": sorted(groups.values(), key=lambda g: g.key),
        "group_comments": group_comments,
        "totals": rules_apbdes.totals(plain),
        "rule_set": rule_set,
        "checks": rules_apbdes.checks(rule_rows, plain),
        "clock": clock,
        "calendar_error": calendar_error,
    }


def received_on_of(version: BudgetVersion) -> dt.date:
    """When the kecamatan received the draft: the evaluation's trigger (the day the Raperdes APBDes was first
    handed in, set by the monev chain) when there is one, else the day of the obligation's first import. A
    later version (a corrected draft) does not restart the 20 working days."""
    obligation = version.obligation
    if obligation.document_type.code == "EVALUASI_APBDES" and obligation.trigger_date:
        return obligation.trigger_date
    first = obligation.budget_versions.order_by("version").values_list("received_on", flat=True).first()
    return first or version.received_on


def figures_version(*, user: User, desa: Desa, year: int) -> BudgetVersion | None:
    """The version the year's planned figures come from: the latest signed "sesuai", else the latest one."""
    versions = version_list(user=user).filter(obligation__desa=desa, obligation__year=year)
    return (
        versions.filter(outcome=Outcome.SESUAI).order_by("-signed_at", "-id").first()
        or versions.order_by("-imported_at", "-id").first()
    )


CATEGORY_PREFIX = {
    RealisationCategory.PENDAPATAN: "4",
    RealisationCategory.BELANJA_1: "5.1",
    RealisationCategory.BELANJA_2: "5.2",
    RealisationCategory.BELANJA_3: "5.3",
    RealisationCategory.BELANJA_4: "5.4",
    RealisationCategory.BELANJA_5: "5.5",
    RealisationCategory.PEMBIAYAAN_MASUK: "6.1",
    RealisationCategory.PEMBIAYAAN_KELUAR: "6.2",
}


def figures(*, user: User, desa: Desa, year: int) -> dict:
    """Planned (from the budget lines), realised per semester and % realisation per category."""
    version = figures_version(user=user, desa=desa, year=year)
    plain = as_lines(version.lines.all()) if version else []
    record = figures_list(user=user).filter(desa=desa, year=year).first()
    entered = {(r.semester, r.category): r.amount for r in record.realisations.all()} if record else {}
    rows = []
    for category in RealisationCategory:
        planned = rules_apbdes.sum_of(plain, CATEGORY_PREFIX[category]) if version else None
        s1, s2 = entered.get((1, category.value)), entered.get((2, category.value))
        # Nothing entered is no figure, not 0 % realised.
        done = None if s1 is None and s2 is None else (s1 or 0) + (s2 or 0)
        percent = (done * 100 / planned).quantize(Decimal("0.1")) if planned and done is not None else None
        rows.append(
            {
                "category": category,
                "label": category.label,
                "planned": planned,
                "s1": s1,
                "s2": s2,
                "total": done,
                "percent": percent,
            }
        )
    return {
        "version": version,
        "record": record,
        "rows": rows,
        "totals": rules_apbdes.totals(plain) if version else None,
    }


def berbasis_kinerja_share(user: User, year: int) -> tuple[int, int, list[dict]]:
    """(desa whose APBDes of ``year`` is berbasis kinerja, desa in scope, one row per desa). Only "ya" counts;
    "sebagian" and "tidak" and desa not yet assessed count in the total only. A fixed number of queries."""
    desas = list(desa_list(user=user).order_by("kode"))
    by_desa = {f.desa_id: f for f in restrict(BudgetFigures.objects.filter(year=year), user)}
    rows = []
    for desa in desas:
        record = by_desa.get(desa.pk)
        rows.append(
            {
                "desa": desa,
                "verdict": record.kinerja_verdict if record else "",
                "note": record.kinerja_note if record else "",
                "link": record.kinerja_link if record else "",
            }
        )
    count_yes = sum(1 for r in rows if r["verdict"] == KinerjaVerdict.YA)
    return count_yes, len(rows), rows
