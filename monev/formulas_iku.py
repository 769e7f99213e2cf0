"""Monev's indicators: the formulas it counts from its own records (obligations, visits, recommendations,
APBDes), registered in ``MonevConfig.ready`` into ``portal.indicators`` beside those of the other apps, and the
pure rules that judge any indicator's value against its target (capaian %, traffic light).

What a formula receives and answers is the contract of ``portal.indicators``."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from monev import rules
from monev.models import Obligation
from monev.models_apbdes import KinerjaVerdict
from monev.models_iku import IndicatorDirection
from monev.models_visits import Recommendation, RecommendationState, Visit, VisitType
from monev.selectors_apbdes import berbasis_kinerja_share
from portal.indicators import Record, Result, not_started, quarter_range
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


# --- helpers --------------------------------------------------------------------------------------------


def _share(counted: int, total: int) -> float | None:
    return None if total == 0 else round(100 * counted / total, 2)


def _url(name: str, *args, query: str = "") -> str:
    try:
        return reverse(name, args=args) + (f"?{query}" if query else "")
    except NoReverseMatch:
        return ""


def _desa(user, kecamatan):
    return restrict(Desa.objects.filter(kecamatan=kecamatan).order_by("nama"), user)


# --- formulas -------------------------------------------------------------------------------------------


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


# The IKK counts the monev of APBDes and Perdes (Rencana Aksi: "Jumlah Desa yang di Monev APBD Desa dan Perdes").
MONITORED_TYPES = (VisitType.APBDES, VisitType.PERDES)


def desa_monitored(*, user, kecamatan, year: int, quarter: int | None = None) -> Result:
    """Number of desa whose APBDes or Perdes the monev team visited or evaluated in the year (or triwulan):
    the ``Visit`` rows. No visit at all that year: no data."""
    of_year = restrict(Visit.objects.all(), user).filter(
        desa__kecamatan=kecamatan, visit_type__in=MONITORED_TYPES, visit_date__year=year
    )
    if not of_year.exists() or not_started(year, quarter, timezone.localdate()):
        return Result(None)  # no monev recorded that year, or a triwulan still to come: no data, not 0
    qs = of_year.filter(visit_date__range=quarter_range(year, quarter))
    seen: dict[int, Record] = {}
    for v in qs.select_related("desa").order_by("desa__nama", "visit_date"):
        seen.setdefault(v.desa_id, Record(v.desa.nama, f"{v.visit_date:%d/%m/%Y}", _url("monev-visit-detail", v.pk)))
    return Result(float(len(seen)), list(seen.values()), len(seen), None)


BERBASIS_KINERJA = KinerjaVerdict.YA
FOLLOWED_UP = (RecommendationState.ACCEPTED,)  # the kecamatan accepted the follow-up


def recommendations_followed_up(*, user, kecamatan, year: int, quarter: int | None = None) -> Result:
    """Share of the recommendations given in the year's visits that the kecamatan accepted as followed up."""
    qs = restrict(Recommendation.objects.all(), user).filter(
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


def apbdes_berbasis_kinerja(*, user, kecamatan, year: int, quarter: int | None = None) -> Result:
    """Share of the kecamatan's desa whose APBDes of the year the kecamatan judged berbasis kinerja ("ya"),
    from ``monev.selectors_apbdes.berbasis_kinerja_share(user, year)`` -> (yes, total, rows of
    {desa, verdict, note, link}). No desa assessed yet: no data."""
    _yes, _total, rows = berbasis_kinerja_share(user, year)
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
