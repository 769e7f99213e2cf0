"""Monev III models: iku (imported by monev/models.py so Django sees one app).

The kecamatan's own performance: a plan period (Renstra), its indicators (IKU/IKK) with yearly targets, the
values entered by hand for indicators the portal cannot count itself, and the program budget with its
realisation per triwulan (Rencana Aksi / Perjanjian Kinerja). Everything belongs to one kecamatan: desa users
see the rows of their kecamatan through ``restrict`` but only kecamatan staff reach the pages."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from portal.models import Kecamatan

__all__ = [
    "PlanPeriod",
    "Indicator",
    "IndicatorTarget",
    "IndicatorValue",
    "ProgramBudget",
]


class IndicatorKind(models.TextChoices):
    IKU = "iku", _("Indikator Kinerja Utama (IKU)")
    IKK = "ikk", _("Indikator Kinerja Kegiatan (IKK)")


class IndicatorUnit(models.TextChoices):
    PERCENT = "persen", _("%")
    SCORE = "nilai", _("nilai")
    DESA = "desa", _("desa")


class IndicatorDirection(models.TextChoices):
    HIGHER = "naik", _("semakin tinggi semakin baik")
    LOWER = "turun", _("semakin rendah semakin baik")


class IndicatorSource(models.TextChoices):
    COMPUTED = "hitung", _("dihitung dari data portal")
    MANUAL = "manual", _("diisi kecamatan")


class PlanPeriod(models.Model):
    """A Renstra period of one kecamatan (e.g. 2016–2021); a new plan is a new row with its own indicators."""

    SCOPE_DESA = None
    SCOPE_KECAMATAN = "kecamatan"

    kecamatan = models.ForeignKey(Kecamatan, on_delete=models.PROTECT, related_name="plan_periods")
    name = models.CharField(_("nama dokumen"), max_length=200)
    start_year = models.PositiveSmallIntegerField(_("tahun awal"), validators=[MinValueValidator(2000)])
    end_year = models.PositiveSmallIntegerField(_("tahun akhir"), validators=[MinValueValidator(2000)])

    class Meta:
        ordering = ["kecamatan", "-start_year"]
        verbose_name = _("periode rencana strategis")
        verbose_name_plural = _("periode rencana strategis")
        constraints = [
            models.UniqueConstraint(fields=["kecamatan", "start_year", "end_year"], name="plan_period_unique"),
            models.CheckConstraint(condition=models.Q(end_year__gte=models.F("start_year")), name="plan_period_order"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.start_year}–{self.end_year})"


class Indicator(models.Model):
    """One IKU/IKK: what is measured, how (a formula of the portal or a value typed with its evidence) and
    which way is better."""

    SCOPE_DESA = None
    SCOPE_KECAMATAN = "plan_period__kecamatan"

    plan_period = models.ForeignKey(PlanPeriod, on_delete=models.CASCADE, related_name="indicators")
    code = models.SlugField(_("kode"), max_length=40)
    kind = models.CharField(_("jenis"), max_length=5, choices=IndicatorKind, default=IndicatorKind.IKU)
    goal = models.CharField(_("sasaran"), max_length=300, blank=True)
    name = models.CharField(_("indikator kinerja"), max_length=300)
    unit = models.CharField(_("satuan"), max_length=10, choices=IndicatorUnit)
    direction = models.CharField(
        _("arah"), max_length=10, choices=IndicatorDirection, default=IndicatorDirection.HIGHER
    )
    source = models.CharField(_("sumber nilai"), max_length=10, choices=IndicatorSource)
    formula_key = models.CharField(_("rumus portal"), max_length=60, blank=True)
    formula_text = models.TextField(_("formulasi"), blank=True)
    baseline = models.DecimalField(_("kondisi awal"), max_digits=12, decimal_places=2, null=True, blank=True)
    responsible = models.CharField(_("penanggung jawab"), max_length=200, blank=True)
    sort_order = models.PositiveSmallIntegerField(_("urutan"), default=0)

    class Meta:
        ordering = ["plan_period", "sort_order", "code"]
        verbose_name = _("indikator kinerja")
        verbose_name_plural = _("indikator kinerja")
        constraints = [
            models.UniqueConstraint(fields=["plan_period", "code"], name="indicator_code_unique"),
            models.CheckConstraint(
                condition=~models.Q(source="hitung") | ~models.Q(formula_key=""), name="indicator_computed_has_formula"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"


class IndicatorTarget(models.Model):
    """The target of one year, and where the plan splits it, per triwulan (e.g. 5, 4, 4, 4 desa)."""

    SCOPE_DESA = None
    SCOPE_KECAMATAN = "indicator__plan_period__kecamatan"

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="targets")
    year = models.PositiveSmallIntegerField(_("tahun"), validators=[MinValueValidator(2000)])
    value = models.DecimalField(_("target"), max_digits=12, decimal_places=2)
    q1 = models.DecimalField(_("target TW I"), max_digits=12, decimal_places=2, null=True, blank=True)
    q2 = models.DecimalField(_("target TW II"), max_digits=12, decimal_places=2, null=True, blank=True)
    q3 = models.DecimalField(_("target TW III"), max_digits=12, decimal_places=2, null=True, blank=True)
    q4 = models.DecimalField(_("target TW IV"), max_digits=12, decimal_places=2, null=True, blank=True)
    note = models.CharField(_("keterangan"), max_length=300, blank=True)

    # A correction keeps what it replaced (and the evidence file it pointed at).
    history = HistoricalRecords()

    class Meta:
        ordering = ["indicator", "year"]
        verbose_name = _("target indikator")
        verbose_name_plural = _("target indikator")
        constraints = [models.UniqueConstraint(fields=["indicator", "year"], name="indicator_target_unique")]

    def __str__(self) -> str:
        return f"{self.indicator.code} {self.year}: {self.value}"

    def quarter_value(self, quarter: int) -> Decimal | None:
        return getattr(self, f"q{quarter}") if quarter in (1, 2, 3, 4) else self.value


class IndicatorValue(models.Model):
    """A value typed for a manual indicator (IKM, layanan sesuai SOP) for a year (quarter 0) or a triwulan,
    with the document it comes from."""

    SCOPE_DESA = None
    SCOPE_KECAMATAN = "indicator__plan_period__kecamatan"

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="values")
    year = models.PositiveSmallIntegerField(_("tahun"), validators=[MinValueValidator(2000)])
    quarter = models.PositiveSmallIntegerField(
        _("triwulan"), default=0, validators=[MaxValueValidator(4)], help_text=_("0 = setahun penuh")
    )
    value = models.DecimalField(_("realisasi"), max_digits=12, decimal_places=2)
    note = models.CharField(_("keterangan"), max_length=300, blank=True)
    evidence_path = models.CharField(max_length=255, blank=True)
    evidence_name = models.CharField(_("dokumen bukti"), max_length=150, blank=True)
    evidence_sha256 = models.CharField(max_length=64, blank=True)
    evidence_kind = models.CharField(max_length=10, blank=True)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    entered_at = models.DateTimeField(_("diisi"), auto_now=True)

    # A correction keeps what it replaced (and the evidence file it pointed at).
    history = HistoricalRecords()

    class Meta:
        ordering = ["indicator", "year", "quarter"]
        verbose_name = _("realisasi indikator")
        verbose_name_plural = _("realisasi indikator")
        constraints = [
            models.UniqueConstraint(fields=["indicator", "year", "quarter"], name="indicator_value_unique"),
            models.CheckConstraint(condition=models.Q(quarter__lte=4), name="indicator_value_quarter"),
        ]

    def __str__(self) -> str:
        return f"{self.indicator.code} {self.year}/{self.quarter}: {self.value}"


class ProgramBudget(models.Model):
    """A program (or kegiatan) of the kecamatan's own budget for a year: pagu and realisation per triwulan."""

    SCOPE_DESA = None
    SCOPE_KECAMATAN = "kecamatan"

    kecamatan = models.ForeignKey(Kecamatan, on_delete=models.PROTECT, related_name="program_budgets")
    year = models.PositiveSmallIntegerField(_("tahun"), validators=[MinValueValidator(2000)])
    name = models.CharField(_("program/kegiatan"), max_length=300)
    indicator = models.ForeignKey(
        Indicator,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="programs",
        verbose_name=_("indikator terkait"),
    )
    budget = models.DecimalField(_("pagu (Rp)"), max_digits=16, decimal_places=2, validators=[MinValueValidator(0)])
    r1 = models.DecimalField(_("realisasi TW I"), max_digits=16, decimal_places=2, default=0)
    r2 = models.DecimalField(_("realisasi TW II"), max_digits=16, decimal_places=2, default=0)
    r3 = models.DecimalField(_("realisasi TW III"), max_digits=16, decimal_places=2, default=0)
    r4 = models.DecimalField(_("realisasi TW IV"), max_digits=16, decimal_places=2, default=0)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["kecamatan", "year", "name"]
        verbose_name = _("anggaran program kecamatan")
        verbose_name_plural = _("anggaran program kecamatan")
        constraints = [
            models.UniqueConstraint(fields=["kecamatan", "year", "name"], name="program_budget_unique"),
            models.CheckConstraint(
                condition=models.Q(r1__gte=0, r2__gte=0, r3__gte=0, r4__gte=0), name="program_budget_realisation"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.year}"

    @property
    def realised(self) -> Decimal:
        return (self.r1 or 0) + (self.r2 or 0) + (self.r3 or 0) + (self.r4 or 0)

    @property
    def percent(self) -> Decimal | None:
        """% realisasi; None when there is no pagu (never a division by zero shown as 0 %)."""
        if not self.budget:
            return None
        return (self.realised * 100 / self.budget).quantize(Decimal("0.01"))
