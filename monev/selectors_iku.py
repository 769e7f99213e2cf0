"""Reads of the kecamatan's indicators, already scoped: the dashboard rows (value vs target, capaian, light),
one indicator's drill-down, and the program budget."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _

from monev import formulas_iku
from monev.models_iku import (
    Indicator,
    IndicatorSource,
    IndicatorTarget,
    IndicatorUnit,
    IndicatorValue,
    PlanPeriod,
    ProgramBudget,
)
from portal import indicators
from portal.models import Kecamatan
from portal.scoping import restrict


def plan_period_list(*, user) -> QuerySet[PlanPeriod]:
    return restrict(PlanPeriod.objects.select_related("kecamatan"), user)


def indicator_list(*, user) -> QuerySet[Indicator]:
    return restrict(Indicator.objects.select_related("plan_period", "plan_period__kecamatan"), user)


def target_list(*, user) -> QuerySet[IndicatorTarget]:
    return restrict(IndicatorTarget.objects.select_related("indicator"), user)


def value_list(*, user) -> QuerySet[IndicatorValue]:
    return restrict(IndicatorValue.objects.select_related("indicator", "entered_by"), user)


def program_list(*, user) -> QuerySet[ProgramBudget]:
    return restrict(ProgramBudget.objects.select_related("kecamatan", "indicator"), user)


def kecamatan_of(user, kode: str | None = None) -> Kecamatan | None:
    """The kecamatan whose dashboard ``user`` sees: their own; an administrator picks one (or gets the first
    that has a plan)."""
    if user.kecamatan_id and not user.is_portal_admin:
        return user.kecamatan
    qs = restrict(Kecamatan.objects.order_by("kode"), user)
    if kode:
        return qs.filter(kode=kode).first()
    return qs.filter(plan_periods__isnull=False).distinct().first() or qs.first()


def target_for(target: IndicatorTarget | None, unit: str, quarter: int | None) -> Decimal | None:
    """The target of the year, or of a triwulan: the plan's own split where it has one; a percentage or a
    score holds for every triwulan; a count of desa without a split has no triwulan target."""
    if target is None:
        return None
    if not quarter:
        return target.value
    split = target.quarter_value(quarter)
    if split is not None:
        return split
    return None if unit == IndicatorUnit.DESA else target.value


def manual_value(values: list[IndicatorValue], year: int, quarter: int | None) -> IndicatorValue | None:
    """The typed value of the year (quarter 0), else the latest triwulan typed; of a triwulan, its own."""
    of_year = [v for v in values if v.year == year]
    if quarter:
        return next((v for v in of_year if v.quarter == quarter), None)
    whole = next((v for v in of_year if v.quarter == 0), None)
    return whole or max(of_year, key=lambda v: v.quarter, default=None)


LIGHT_CLASSES = {
    formulas_iku.GREEN: "text-bg-success",
    formulas_iku.YELLOW: "text-bg-warning",
    formulas_iku.RED: "text-bg-danger",
    formulas_iku.GREY: "text-bg-secondary",
}


def number(value) -> str:
    """A figure as the pages and the annex print it: comma decimals, no trailing zeros; "-" for none (never 0)."""
    if value is None:
        return "-"
    text = f"{float(value):,.2f}".rstrip("0").rstrip(".")
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


@dataclass
class IndicatorRow:
    number: int
    indicator: Indicator
    target: Decimal | None
    value: float | None
    achievement: float | None
    light: str
    result: indicators.Result | None = None
    entry: IndicatorValue | None = None

    @property
    def light_class(self) -> str:
        return LIGHT_CLASSES[self.light]

    @property
    def target_text(self) -> str:
        return number(self.target)

    @property
    def value_text(self) -> str:
        return number(self.value)

    @property
    def achievement_text(self) -> str:
        return "-" if self.achievement is None else f"{number(self.achievement)}%"

    @property
    def light_label(self) -> str:
        return str(formulas_iku.LIGHT_LABELS[self.light])

    @property
    def note(self) -> str:
        """The Keterangan column: where the value comes from, or why there is none."""
        if self.result is not None and not self.result.available:
            return _("sumber data belum tersedia")
        if self.value is None:
            return _("belum ada data")
        if self.entry is not None:
            return self.entry.note or _("diisi kecamatan")
        if self.result is not None and self.result.denominator:
            return _("%(counted)s dari %(total)s") % {
                "counted": number(self.result.numerator),
                "total": number(self.result.denominator),
            }
        return _("dihitung dari data portal")


@dataclass
class Dashboard:
    kecamatan: Kecamatan | None
    year: int
    quarter: int | None
    rows: list[IndicatorRow] = field(default_factory=list)


def indicators_of_year(*, user, kecamatan: Kecamatan, year: int) -> QuerySet[Indicator]:
    return (
        indicator_list(user=user)
        .filter(plan_period__kecamatan=kecamatan, plan_period__start_year__lte=year, plan_period__end_year__gte=year)
        .prefetch_related(
            Prefetch("targets", queryset=IndicatorTarget.objects.filter(year=year), to_attr="year_targets"),
            Prefetch("values", queryset=IndicatorValue.objects.filter(year=year), to_attr="year_values"),
        )
    )


def indicator_row(indicator: Indicator, *, user, year: int, quarter: int | None, number: int = 1) -> IndicatorRow:
    targets = getattr(indicator, "year_targets", None)
    if targets is None:
        targets = list(indicator.targets.filter(year=year))
    target = target_for(targets[0] if targets else None, indicator.unit, quarter)
    result = entry = None
    if indicator.source == IndicatorSource.COMPUTED:
        result = indicators.compute(
            indicator.formula_key,
            user=user,
            kecamatan=indicator.plan_period.kecamatan,
            year=year,
            quarter=quarter,
        )
        value = result.value
    else:
        values = getattr(indicator, "year_values", None)
        if values is None:
            values = list(indicator.values.filter(year=year))
        entry = manual_value(values, year, quarter)
        value = float(entry.value) if entry else None
    return IndicatorRow(
        number=number,
        indicator=indicator,
        target=target,
        value=value,
        achievement=formulas_iku.achievement(value, target, indicator.direction),
        light=formulas_iku.light(value, target, indicator.direction),
        result=result,
        entry=entry,
    )


def dashboard(*, user, kecamatan: Kecamatan | None, year: int, quarter: int | None = None) -> Dashboard:
    board = Dashboard(kecamatan, year, quarter)
    if kecamatan is None:
        return board
    for number, indicator in enumerate(indicators_of_year(user=user, kecamatan=kecamatan, year=year), start=1):
        board.rows.append(indicator_row(indicator, user=user, year=year, quarter=quarter, number=number))
    return board


def programs_of_year(*, user, kecamatan: Kecamatan | None, year: int) -> list[ProgramBudget]:
    if kecamatan is None:
        return []
    return list(program_list(user=user).filter(kecamatan=kecamatan, year=year))
