"""Writes of the kecamatan's indicators: loading a plan from its data file, targets, manual values with their
evidence, and the program budget. Each checks permission (supervisors only) and scope itself."""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from monev.models_iku import Indicator, IndicatorSource, IndicatorTarget, IndicatorValue, PlanPeriod, ProgramBudget
from portal import files, indicators, permissions
from portal.models import Kecamatan
from portal.scoping import in_scope

DATA_DIR = Path(__file__).resolve().parent / "data"
PUCUK_FILE = DATA_DIR / "iku_pucuk_2016_2021.json"
EVIDENCE_KINDS = {files.KIND_PDF, files.KIND_XLSX, files.KIND_JPEG, files.KIND_PNG}
EVIDENCE_SUBDIR = "monev/iku"


def _decimal(text) -> Decimal | None:
    if text is None or text == "":
        return None
    try:
        return Decimal(str(text))
    except InvalidOperation:
        raise ValidationError(_("Angka tidak sah: %(value)s") % {"value": text}) from None


@transaction.atomic
def plan_load(path: Path | str = PUCUK_FILE, *, kecamatan: Kecamatan | None = None) -> PlanPeriod | None:
    """Load a plan period, its indicators and their yearly targets from a JSON data file. Idempotent: rows
    are matched by (kecamatan, years) and indicator code, and updated; a target edited in the portal since is
    overwritten only when the file names that year. Answers None when the file's kecamatan is not loaded."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    kecamatan = kecamatan or Kecamatan.objects.filter(kode=data["kecamatan"]).first()
    if kecamatan is None:
        return None
    period_data = data["plan_period"]
    period, _created = PlanPeriod.objects.update_or_create(
        kecamatan=kecamatan,
        start_year=period_data["start_year"],
        end_year=period_data["end_year"],
        defaults={"name": period_data["name"]},
    )
    for order, item in enumerate(data["indicators"], start=1):
        key = item.get("formula_key", "")
        if item["source"] == IndicatorSource.COMPUTED and indicators.get(key) is None:
            raise ValidationError(f"unknown formula {key!r} for {item['code']}")
        indicator, _created = Indicator.objects.update_or_create(
            plan_period=period,
            code=item["code"],
            defaults={
                "kind": item["kind"],
                "goal": item.get("goal", ""),
                "name": item["name"],
                "unit": item["unit"],
                "direction": item.get("direction", "naik"),
                "source": item["source"],
                "formula_key": key,
                "formula_text": item.get("formula_text", ""),
                "baseline": _decimal(item.get("baseline")),
                "responsible": item.get("responsible", ""),
                "sort_order": order,
            },
        )
        quarters = item.get("quarters", {})
        notes = item.get("notes", {})
        for year, value in item.get("targets", {}).items():
            split = [_decimal(q) for q in quarters.get(year, [None] * 4)]
            IndicatorTarget.objects.update_or_create(
                indicator=indicator,
                year=int(year),
                defaults={
                    "value": _decimal(value),
                    "q1": split[0],
                    "q2": split[1],
                    "q3": split[2],
                    "q4": split[3],
                    "note": notes.get(year, ""),
                },
            )
    return period


def _require_supervisor(actor, obj) -> None:
    if not permissions.is_supervisor(actor):
        raise PermissionDenied
    if obj.pk is not None and not in_scope(obj, actor):
        raise PermissionDenied


@transaction.atomic
def target_set(
    *, actor, indicator: Indicator, year: int, value, quarters=(None, None, None, None), note: str = ""
) -> IndicatorTarget:
    _require_supervisor(actor, indicator)
    period = indicator.plan_period
    if not period.start_year <= year <= period.end_year:
        raise ValidationError(
            _("Tahun %(year)s di luar periode rencana %(start)s–%(end)s.")
            % {"year": year, "start": period.start_year, "end": period.end_year}
        )
    q = list(quarters) + [None] * (4 - len(quarters))
    target, _created = IndicatorTarget.objects.update_or_create(
        indicator=indicator,
        year=year,
        defaults={"value": value, "q1": q[0], "q2": q[1], "q3": q[2], "q4": q[3], "note": note},
    )
    return target


def value_set(
    *, actor, indicator: Indicator, year: int, quarter: int, value, note: str = "", evidence=None
) -> IndicatorValue:
    """Enter (or correct) the value of a manual indicator; the evidence document is checked by content and
    stored with the row's transaction. A correction without a new document keeps the old one."""
    _require_supervisor(actor, indicator)
    if indicator.source != IndicatorSource.MANUAL:
        raise ValidationError(_("Indikator ini dihitung dari data portal; nilainya tidak diisi manual."))
    if quarter not in (0, 1, 2, 3, 4):
        raise ValidationError(_("Triwulan harus 0 (setahun) sampai 4."))
    checked = files.check_upload(evidence, allowed_kinds=EVIDENCE_KINDS) if evidence else None
    existing = IndicatorValue.objects.filter(indicator=indicator, year=year, quarter=quarter).first()
    if checked is None and not (existing and existing.evidence_path):
        raise ValidationError(_("Lampirkan dokumen bukti (PDF, Excel, JPEG atau PNG)."))
    with files.atomic_storage() as stored:
        entry = existing or IndicatorValue(indicator=indicator, year=year, quarter=quarter)
        entry.value = value
        entry.note = note
        entry.entered_by = actor
        if checked is not None:
            entry.evidence_path = stored.store_upload(evidence, checked, subdir=EVIDENCE_SUBDIR)
            entry.evidence_name = checked.safe_name
            entry.evidence_sha256 = checked.sha256
            entry.evidence_kind = checked.kind
        entry.save()
    return entry


@transaction.atomic
def program_save(*, actor, kecamatan: Kecamatan, program: ProgramBudget | None = None, **fields) -> ProgramBudget:
    """Create or change a program's pagu and its realisation per triwulan."""
    program = program or ProgramBudget(kecamatan=kecamatan)
    _require_supervisor(actor, program)
    if not (actor.is_portal_admin or actor.kecamatan_id == kecamatan.id):
        raise PermissionDenied
    for name, value in fields.items():
        setattr(program, name, value)
    program.kecamatan = kecamatan
    program.updated_by = actor
    program.full_clean()
    program.save()
    return program


# Realisasi of the IKM typed in the Renstra's "Capaian Setiap Tahun" table (2016 and 2021 left blank there).
IKM_HISTORY = {2017: "77.89", 2018: "78.75", 2019: "79.75", 2020: "81.26"}


@transaction.atomic
def plan_continue(*, period: PlanPeriod, start_year: int, end_year: int, name: str) -> PlanPeriod:
    """A new plan period that starts from an old one: the same indicators (codes, formulas, units, direction),
    each year's target the old period's last target, marked so, to be edited once the new Renstra is signed.
    Idempotent: an existing period of those years is completed, its own targets left as they are."""
    if end_year < start_year or (start_year <= period.end_year and end_year >= period.start_year):
        raise ValidationError(_("Periode baru tidak boleh tumpang tindih dengan %(name)s.") % {"name": period.name})
    new, _created = PlanPeriod.objects.get_or_create(
        kecamatan=period.kecamatan, start_year=start_year, end_year=end_year, defaults={"name": name}
    )
    for old in period.indicators.prefetch_related("targets").order_by("sort_order"):
        fields = {
            f.name: getattr(old, f.name) for f in Indicator._meta.concrete_fields if f.name not in ("id", "plan_period")
        }
        indicator, _created = Indicator.objects.get_or_create(plan_period=new, code=old.code, defaults=fields)
        last = max(old.targets.all(), key=lambda t: t.year, default=None)
        if last is None:
            continue
        for year in range(start_year, end_year + 1):
            IndicatorTarget.objects.get_or_create(
                indicator=indicator,
                year=year,
                defaults={
                    "value": last.value,
                    "note": _("Diteruskan dari target %(year)s (%(name)s); ubah sesuai Renstra baru.")
                    % {"year": last.year, "name": period.name},
                },
            )
    return new


def plan_demo(*, actor) -> PlanPeriod | None:
    """The demo: the Pucuk plan and the IKM values the Renstra reports, each with a generated evidence PDF.
    Idempotent (values already entered are left alone)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from monev.demo import demo_pdf

    period = plan_load()
    if period is None:
        return None
    ikm = period.indicators.get(code="ikm")
    for year, value in IKM_HISTORY.items():
        if IndicatorValue.objects.filter(indicator=ikm, year=year, quarter=0).exists():
            continue
        evidence = SimpleUploadedFile(f"ikm-{year}.pdf", demo_pdf(f"Laporan IKM Kecamatan Pucuk {year}"))
        value_set(
            actor=actor,
            indicator=ikm,
            year=year,
            quarter=0,
            value=Decimal(value),
            evidence=evidence,
            note="Renstra: capaian setiap tahun",
        )
    # The demo's current year needs a plan in force, so the dashboard shows what the portal computes today.
    this_year = timezone.localdate().year
    if period.end_year < this_year:
        start = this_year - (this_year - period.end_year - 1) % 5
        plan_continue(
            period=period, start_year=start, end_year=start + 4, name=f"Renstra {start}–{start + 4} (contoh demo)"
        )
    return period
