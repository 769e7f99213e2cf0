"""Indicators the portal counts from its own records: a registry of formula key -> function, and the pure
rules that judge a value against its target (capaian %, traffic light).

A formula takes ``(user=, kecamatan=, year=, quarter=)`` and answers a ``Result``: the value (``None`` when
there is nothing to count, which the dashboard shows as "no data", never as 0) and the records behind it, each
with a link for the drill-down. Every read starts from ``portal.scoping.restrict`` and the indicator's
kecamatan.

Records of other parts are read through small adapters (``_model``/``_function``) that answer "no data" while
the part is not there yet (Monev III parts A and B are built at the same time), and through the Django app
registry for Musrenbang and attendance, so monev does not import those apps at module load."""

from __future__ import annotations

import calendar
import datetime as dt
import importlib
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.apps import apps
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from monev import rules
from monev.models import Obligation
from monev.models_iku import IndicatorDirection
from portal.models import Desa
from portal.scoping import restrict

# --- pure rules -----------------------------------------------------------------------------------------

GREEN, YELLOW, RED, GREY = "hijau", "kuning", "merah", "abu"
YELLOW_FLOOR = 90  # capaian % from which a miss is "nearly there"
LIGHT_LABELS = {
    GREEN: gettext_lazy("Tercapai"),
    YELLOW: gettext_lazy("Hampir tercapai (≥ 90%)"),
    RED: gettext_lazy("Belum tercapai (< 90%)"),
    GREY: gettext_lazy("Belum ada data"),
}


def achievement(value: float | Decimal | None, target: float | Decimal | None, direction: str) -> float | None:
    """Capaian % of ``value`` against ``target``: value/target for higher-is-better, target/value for
    lower-is-better. None without a value or a target. A zero target is met by any value not worse than it."""
    if value is None or target is None:
        return None
    value, target = float(value), float(target)
    if direction == IndicatorDirection.LOWER:
        if value <= 0:
            return 100.0 if target >= value else 0.0
        return round(100 * target / value, 2)
    if target <= 0:
        return 100.0 if value >= target else 0.0
    return round(100 * value / target, 2)


def light(value: float | Decimal | None, target: float | Decimal | None, direction: str) -> str:
    """Green when the target is met (≥ for higher-is-better, ≤ for lower), yellow when capaian ≥ 90 %, red
    below, grey when there is no value or no target."""
    score = achievement(value, target, direction)
    if score is None:
        return GREY
    if score >= 100:
        return GREEN
    return YELLOW if score >= YELLOW_FLOOR else RED


def quarter_range(year: int, quarter: int | None) -> tuple[dt.date, dt.date]:
    if not quarter:
        return dt.date(year, 1, 1), dt.date(year, 12, 31)
    last_month = quarter * 3
    return dt.date(year, last_month - 2, 1), dt.date(year, last_month, calendar.monthrange(year, last_month)[1])


# --- registry -------------------------------------------------------------------------------------------


@dataclass
class Record:
    """One row behind a value: what it is, what it says, and where it is acted on."""

    label: str
    detail: str = ""
    url: str = ""
    counted: bool = True  # counted in the numerator


@dataclass
class Result:
    value: float | None
    records: list[Record] = field(default_factory=list)
    numerator: float | None = None
    denominator: float | None = None
    available: bool = True  # False: the source is not installed (yet)


@dataclass(frozen=True)
class Formula:
    key: str
    label: str
    function: Callable[..., Result]


FORMULAS: dict[str, Formula] = {}


def register(key: str, label):
    def decorate(function: Callable[..., Result]) -> Callable[..., Result]:
        FORMULAS[key] = Formula(key, label, function)
        return function

    return decorate


def choices() -> list[tuple[str, str]]:
    return [(f.key, str(f.label)) for f in FORMULAS.values()]


def compute(key: str, *, user, kecamatan, year: int, quarter: int | None = None) -> Result:
    formula = FORMULAS.get(key)
    if formula is None:
        return Result(None, available=False)
    return formula.function(user=user, kecamatan=kecamatan, year=year, quarter=quarter or None)


def _share(counted: int, total: int) -> float | None:
    return None if total == 0 else round(100 * counted / total, 2)


def _url(name: str, *args, query: str = "") -> str:
    try:
        return reverse(name, args=args) + (f"?{query}" if query else "")
    except NoReverseMatch:
        return ""


def _desa(user, kecamatan):
    return restrict(Desa.objects.filter(kecamatan=kecamatan).order_by("nama"), user)


# --- adapters to parts that may not exist yet ------------------------------------------------------------


def _model(app_label: str, name: str):
    try:
        return apps.get_model(app_label, name)
    except LookupError:
        return None


def _function(module: str, name: str):
    try:
        return getattr(importlib.import_module(module), name, None)
    except ImportError:
        return None


# --- formulas -------------------------------------------------------------------------------------------


@register("obligations_on_time", gettext_lazy("Desa yang semua kewajiban dokumennya tepat waktu (%)"))
def obligations_on_time(*, user, kecamatan, year: int, quarter: int | None = None) -> Result:
    """Share of desa (with something due) whose every due obligation of the year was handed in on time,
    judged by ``rules.timeliness_score``; with a triwulan, the obligations due in it."""
    first, last = quarter_range(year, quarter)
    today = timezone.localdate()
    obligations = restrict(Obligation.objects.all(), user).filter(
        desa__kecamatan=kecamatan, year=year, due_date__range=(first, last)
    )
    rows = defaultdict(list)
    for desa_id, *fields in obligations.values_list("desa_id", "state", "due_date", "on_time", "basis_submitted_at"):
        rows[desa_id].append(rules.score_row(*fields))
    records, counted, total = [], 0, 0
    for desa in _desa(user, kecamatan):
        score = rules.timeliness_score(rows.get(desa.id, []), today)
        if score is None:
            continue
        total += 1
        good = score >= 1
        counted += good
        records.append(
            Record(
                desa.nama,
                _("%(score)s%% kewajiban tepat waktu") % {"score": f"{score * 100:.0f}"},
                _url("monev-desa", desa.kode, query=f"tahun={year}"),
                counted=good,
            )
        )
    return Result(_share(counted, total), records, counted, total)


@register("musrenbang_desa_held", gettext_lazy("Desa yang melaksanakan Musrenbangdes"))
def musrenbang_desa_held(*, user, kecamatan, year: int, quarter: int | None = None) -> Result:
    """Number of desa with a Musrenbangdes of the cycle ``year`` held (a held date recorded); no data when
    the cycle has no Musrenbangdes scheduled in the portal."""
    meeting = _model("musrenbang", "Meeting")
    if meeting is None:
        return Result(None, available=False)
    scheduled = restrict(meeting.objects.all(), user).filter(
        kecamatan=kecamatan, desa__isnull=False, kind="musrenbangdes", year=year
    )
    if not scheduled.exists():
        return Result(None)  # the cycle is not in the portal at all: no data, not 0
    qs = scheduled.filter(held_date__isnull=False)
    if quarter:
        qs = qs.filter(held_date__range=quarter_range(year, quarter))
    seen: dict[int, Record] = {}
    for m in qs.select_related("desa").order_by("desa__nama", "held_date"):
        seen.setdefault(m.desa_id, Record(m.desa.nama, f"{m.held_date:%d/%m/%Y}", _url("musrenbang-meeting", m.pk)))
    return Result(float(len(seen)), list(seen.values()), len(seen), None)


# The IKK counts the monev of APBDes and Perdes (Rencana Aksi: "Jumlah Desa yang di Monev APBD Desa dan Perdes").
MONITORED_TYPES = ("apbdes", "perdes")


@register("desa_monitored", gettext_lazy("Desa yang dimonev (kunjungan/evaluasi)"))
def desa_monitored(*, user, kecamatan, year: int, quarter: int | None = None) -> Result:
    """Number of desa whose APBDes or Perdes the monev team visited or evaluated in the year (or triwulan):
    Monev III part A's ``Visit``. No visit at all that year, or no such model yet: no data."""
    visit = _model("monev", "Visit")
    if visit is None:
        return Result(None, available=False)
    of_year = restrict(visit.objects.all(), user).filter(
        desa__kecamatan=kecamatan, visit_type__in=MONITORED_TYPES, visit_date__year=year
    )
    if not of_year.exists():
        return Result(None)  # no monev recorded in the portal that year: no data, not 0
    qs = of_year.filter(visit_date__range=quarter_range(year, quarter))
    seen: dict[int, Record] = {}
    for v in qs.select_related("desa").order_by("desa__nama", "visit_date"):
        seen.setdefault(v.desa_id, Record(v.desa.nama, f"{v.visit_date:%d/%m/%Y}", _url("monev-visit-detail", v.pk)))
    return Result(float(len(seen)), list(seen.values()), len(seen), None)


BERBASIS_KINERJA = "ya"  # part B's KinerjaVerdict.YA
FOLLOWED_UP = ("diterima",)  # part A's RecommendationState.ACCEPTED: the kecamatan accepted the follow-up


@register("recommendations_followed_up", gettext_lazy("Rekomendasi monev yang ditindaklanjuti (%)"))
def recommendations_followed_up(*, user, kecamatan, year: int, quarter: int | None = None) -> Result:
    """Share of the recommendations given in the year's visits that the kecamatan accepted as followed up."""
    recommendation = _model("monev", "Recommendation")
    if recommendation is None:
        return Result(None, available=False)
    qs = restrict(recommendation.objects.all(), user).filter(
        visit__desa__kecamatan=kecamatan, visit__visit_date__range=quarter_range(year, quarter)
    )
    records = []
    for r in qs.select_related("visit__desa").order_by("visit__desa__nama", "due_date", "pk"):
        done = r.state in FOLLOWED_UP
        records.append(
            Record(
                r.visit.desa.nama,
                f"{r.text[:80]} ({r.get_state_display()})",
                _url("monev-visit-detail", r.visit_id),
                counted=done,
            )
        )
    counted = sum(r.counted for r in records)
    return Result(_share(counted, len(records)), records, counted, len(records))


@register("apbdes_berbasis_kinerja", gettext_lazy("Desa dengan APBDes berbasis kinerja (%)"))
def apbdes_berbasis_kinerja(*, user, kecamatan, year: int, quarter: int | None = None) -> Result:
    """Share of the kecamatan's desa whose APBDes of the year the kecamatan judged berbasis kinerja ("ya"),
    from part B's ``monev.selectors_apbdes.berbasis_kinerja_share(user, year)`` -> (yes, total, rows of
    {desa, verdict, note, link}). No desa assessed yet: no data. Without part B: no data either."""
    share_of = _function("monev.selectors_apbdes", "berbasis_kinerja_share")
    if share_of is None:
        return Result(None, available=False)
    _yes, _total, rows = share_of(user, year)
    rows = [r for r in rows if r["desa"].kecamatan_id == kecamatan.id]
    if not any(r["verdict"] for r in rows):
        return Result(None)
    records = [
        Record(
            r["desa"].nama,
            r["note"] or (r["verdict"] or _("belum dinilai")),
            _url("monev-desa", r["desa"].kode, query=f"tahun={year}"),
            counted=r["verdict"] == BERBASIS_KINERJA,
        )
        for r in rows
    ]
    counted = sum(r.counted for r in records)
    return Result(_share(counted, len(records)), records, counted, len(records))


@register("attendance_rate", gettext_lazy("Kehadiran perangkat desa (%)"))
def attendance_rate(*, user, kecamatan, year: int, quarter: int | None = None) -> Result:
    """% kehadiran of every perangkat of the kecamatan's desa over the year (or triwulan): the monthly
    recap (``attendance.recap.desa_month``, each kecamatan's missing-punch policy) added up, months still to
    come left out."""
    desa_month = _function("attendance.recap", "desa_month")
    totals_type = _function("attendance.recap", "Totals")
    if desa_month is None or totals_type is None:
        return Result(None, available=False)
    first, last = quarter_range(year, quarter)
    today = timezone.localdate()
    per_desa: dict[int, tuple] = {}
    month = first
    while month <= min(last, today):
        for row in desa_month(user=user, month=month):
            if row.desa.kecamatan_id != kecamatan.id:
                continue
            desa, totals = per_desa.setdefault(row.desa.id, (row.desa, totals_type()))
            totals += row.totals
        month = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    overall = totals_type()
    records = []
    for desa, totals in sorted(per_desa.values(), key=lambda pair: pair[0].nama):
        overall += totals
        if totals.rate is not None:
            records.append(
                Record(
                    desa.nama, f"{totals.rate:.1f}%", _url("attendance-desa-month", desa.kode, query=f"bulan={year}-01")
                )
            )
    known = overall.hari_kerja - overall.nd
    return Result(overall.rate, records, overall.present, known or None)
