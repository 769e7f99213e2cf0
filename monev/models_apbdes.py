"""Monev III models: apbdes (imported by monev/models.py so Django sees one app).

A desa's draft APBDes as structured lines (one version per import, every version kept), the kecamatan's
comments per line or per group of codes, the Camat's sign-off, the yearly rule set of computed checks, and
the APBDes figures of a desa-year: realisation per semester and the "berbasis kinerja" verdict."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from monev.choices import Outcome

__all__ = [
    "BudgetCheckRule",
    "BudgetComment",
    "BudgetFigures",
    "BudgetLine",
    "BudgetRealisation",
    "BudgetRuleSet",
    "BudgetVersion",
    "CheckKind",
    "FundSource",
    "KinerjaVerdict",
    "RealisationCategory",
]


class FundSource(models.TextChoices):
    """Sumber dana as Siskeudes abbreviates them."""

    DDS = "DDS", _("Dana Desa")
    ADD = "ADD", _("Alokasi Dana Desa")
    PBH = "PBH", _("Bagi hasil pajak dan retribusi")
    PAD = "PAD", _("Pendapatan asli desa")
    BKK = "BKK", _("Bantuan keuangan kabupaten")
    BKP = "BKP", _("Bantuan keuangan provinsi")
    SILPA = "SILPA", _("Sisa lebih perhitungan anggaran")
    DLL = "DLL", _("Lain-lain pendapatan desa yang sah")


class CheckKind(models.TextChoices):
    SHARE = "share", _("Porsi: pembilang / penyebut dalam persen")
    BALANCE = "balance", _("Keseimbangan: surplus/defisit + pembiayaan netto = 0 (SiLPA nol)")


class KinerjaVerdict(models.TextChoices):
    YA = "ya", _("Ya")
    SEBAGIAN = "sebagian", _("Sebagian")
    TIDAK = "tidak", _("Tidak")


class RealisationCategory(models.TextChoices):
    PENDAPATAN = "pendapatan", _("Pendapatan")
    BELANJA_1 = "belanja_1", _("Belanja bidang 1 Penyelenggaraan Pemerintahan Desa")
    BELANJA_2 = "belanja_2", _("Belanja bidang 2 Pelaksanaan Pembangunan Desa")
    BELANJA_3 = "belanja_3", _("Belanja bidang 3 Pembinaan Kemasyarakatan")
    BELANJA_4 = "belanja_4", _("Belanja bidang 4 Pemberdayaan Masyarakat")
    BELANJA_5 = "belanja_5", _("Belanja bidang 5 Penanggulangan Bencana, Darurat dan Mendesak")
    PEMBIAYAAN_MASUK = "pembiayaan_masuk", _("Penerimaan pembiayaan")
    PEMBIAYAAN_KELUAR = "pembiayaan_keluar", _("Pengeluaran pembiayaan")


class BudgetVersion(models.Model):
    """One import of a desa's draft APBDes for an obligation (RAPERDES_APBDES or EVALUASI_APBDES). Never
    changed after the import except by the Camat's sign-off."""

    SCOPE_DESA = "obligation__desa"
    SCOPE_KECAMATAN = "obligation__desa__kecamatan"

    obligation = models.ForeignKey("monev.Obligation", on_delete=models.PROTECT, related_name="budget_versions")
    version = models.PositiveIntegerField(_("versi"))
    received_on = models.DateField(_("tanggal diterima"))
    source_name = models.CharField(_("nama berkas"), max_length=150, blank=True)
    imported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    imported_at = models.DateTimeField(_("diimpor"))
    outcome = models.CharField(_("hasil evaluasi"), max_length=20, choices=Outcome, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    signed_at = models.DateTimeField(_("ditandatangani"), null=True, blank=True)
    sign_note = models.TextField(_("catatan Camat"), blank=True)

    class Meta:
        ordering = ["obligation", "version"]
        verbose_name = _("versi rancangan APBDes")
        verbose_name_plural = _("versi rancangan APBDes")
        constraints = [
            models.UniqueConstraint(fields=["obligation", "version"], name="budget_version_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.obligation} APBDes v{self.version}"


class BudgetLine(models.Model):
    """A rincian line of the draft: its kode rekening, text, amount and sumber dana. Group totals are
    computed from these lines, never imported."""

    SCOPE_DESA = "version__obligation__desa"
    SCOPE_KECAMATAN = "version__obligation__desa__kecamatan"

    version = models.ForeignKey(BudgetVersion, on_delete=models.CASCADE, related_name="lines")
    row_no = models.PositiveIntegerField(_("baris"))
    kode = models.CharField(_("kode rekening"), max_length=40)
    uraian = models.CharField(_("uraian"), max_length=255)
    amount = models.DecimalField(_("anggaran (Rp)"), max_digits=16, decimal_places=0)
    fund_source = models.CharField(_("sumber dana"), max_length=10, choices=FundSource)
    sub_bidang = models.CharField(_("sub bidang / kegiatan"), max_length=200, blank=True)

    class Meta:
        ordering = ["version", "row_no"]
        verbose_name = _("baris APBDes")
        verbose_name_plural = _("baris APBDes")

    def __str__(self) -> str:
        return f"{self.kode} {self.uraian}"


class BudgetComment(models.Model):
    """The kecamatan's comment on one line, or on every line whose kode starts with ``kode_prefix``."""

    SCOPE_DESA = "version__obligation__desa"
    SCOPE_KECAMATAN = "version__obligation__desa__kecamatan"

    version = models.ForeignKey(BudgetVersion, on_delete=models.CASCADE, related_name="comments")
    line = models.ForeignKey(BudgetLine, on_delete=models.CASCADE, null=True, blank=True, related_name="comments")
    kode_prefix = models.CharField(_("kelompok kode"), max_length=40, blank=True)
    text = models.TextField(_("komentar"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("dibuat"), auto_now_add=True)

    class Meta:
        ordering = ["version", "kode_prefix", "created_at", "id"]
        verbose_name = _("komentar evaluasi APBDes")
        verbose_name_plural = _("komentar evaluasi APBDes")

    def __str__(self) -> str:
        return self.text[:60]


class BudgetRuleSet(models.Model):
    """The computed checks of one budget year; a kecamatan's own set replaces the shared one (no kecamatan)."""

    SCOPE_DESA = None
    SCOPE_KECAMATAN = "kecamatan"
    SCOPE_INCLUDE_GLOBAL = True

    year = models.PositiveSmallIntegerField(_("tahun anggaran"))
    kecamatan = models.ForeignKey("portal.Kecamatan", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    name = models.CharField(_("nama"), max_length=200)
    legal_basis = models.CharField(_("dasar hukum"), max_length=255, blank=True)

    class Meta:
        ordering = ["-year", "kecamatan"]
        verbose_name = _("aturan pemeriksaan APBDes")
        verbose_name_plural = _("aturan pemeriksaan APBDes")
        constraints = [
            models.UniqueConstraint(
                fields=["year"], condition=models.Q(kecamatan__isnull=True), name="budget_ruleset_shared_year"
            ),
            models.UniqueConstraint(fields=["year", "kecamatan"], name="budget_ruleset_year_kecamatan"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.year})"


class BudgetCheckRule(models.Model):
    """One check: a share (lines matching the numerator filter over lines matching the denominator filter,
    between ``min_percent`` and ``max_percent``) or the balance. A filter is kode prefixes (comma separated)
    and sumber dana codes (comma separated); an empty part matches every line."""

    SCOPE_DESA = None
    SCOPE_KECAMATAN = "rule_set__kecamatan"
    SCOPE_INCLUDE_GLOBAL = True

    rule_set = models.ForeignKey(BudgetRuleSet, on_delete=models.CASCADE, related_name="rules")
    kind = models.CharField(_("jenis"), max_length=10, choices=CheckKind, default=CheckKind.SHARE)
    label = models.CharField(_("nama pemeriksaan"), max_length=200)
    text = models.TextField(_("keterangan"), blank=True)
    numerator_prefixes = models.CharField(_("pembilang: awalan kode"), max_length=200, blank=True)
    numerator_sources = models.CharField(_("pembilang: sumber dana"), max_length=100, blank=True)
    denominator_prefixes = models.CharField(_("penyebut: awalan kode"), max_length=200, blank=True)
    denominator_sources = models.CharField(_("penyebut: sumber dana"), max_length=100, blank=True)
    min_percent = models.DecimalField(
        _("paling sedikit (%)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    max_percent = models.DecimalField(
        _("paling banyak (%)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    sort_order = models.PositiveSmallIntegerField(_("urutan"), default=100)

    class Meta:
        ordering = ["rule_set", "sort_order", "id"]
        verbose_name = _("pemeriksaan APBDes")
        verbose_name_plural = _("pemeriksaan APBDes")

    def __str__(self) -> str:
        return self.label


class BudgetFigures(models.Model):
    """A desa-year's APBDes figures: the realisation entered per semester and the kecamatan's verdict on
    whether the budget is berbasis kinerja. Planned figures come from the budget lines."""

    SCOPE_DESA = "desa"
    SCOPE_KECAMATAN = "desa__kecamatan"

    desa = models.ForeignKey("portal.Desa", on_delete=models.PROTECT, related_name="budget_figures")
    year = models.PositiveSmallIntegerField(_("tahun anggaran"))
    kinerja_verdict = models.CharField(_("berbasis kinerja"), max_length=10, choices=KinerjaVerdict, blank=True)
    kinerja_note = models.TextField(_("catatan bukti"), blank=True)
    kinerja_link = models.URLField(_("tautan dokumen bukti"), blank=True)
    kinerja_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    kinerja_at = models.DateTimeField(_("dinilai"), null=True, blank=True)

    class Meta:
        ordering = ["year", "desa__kode"]
        verbose_name = _("angka APBDes")
        verbose_name_plural = _("angka APBDes")
        constraints = [models.UniqueConstraint(fields=["desa", "year"], name="budget_figures_unique")]

    def __str__(self) -> str:
        return f"APBDes {self.year} — {self.desa}"


class BudgetRealisation(models.Model):
    """The realisation of one category in one semester (the amount of that semester, not cumulative)."""

    SCOPE_DESA = "figures__desa"
    SCOPE_KECAMATAN = "figures__desa__kecamatan"

    figures = models.ForeignKey(BudgetFigures, on_delete=models.CASCADE, related_name="realisations")
    semester = models.PositiveSmallIntegerField(_("semester"), validators=[MinValueValidator(1), MaxValueValidator(2)])
    category = models.CharField(_("kelompok"), max_length=20, choices=RealisationCategory)
    amount = models.DecimalField(_("realisasi (Rp)"), max_digits=16, decimal_places=0)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    entered_at = models.DateTimeField(_("dicatat"))

    # A correction keeps what it replaced (and the evidence file it pointed at).
    history = HistoricalRecords()

    class Meta:
        ordering = ["figures", "semester", "category"]
        verbose_name = _("realisasi APBDes")
        verbose_name_plural = _("realisasi APBDes")
        constraints = [
            models.UniqueConstraint(fields=["figures", "semester", "category"], name="budget_realisation_unique")
        ]

    def __str__(self) -> str:
        return f"{self.figures} S{self.semester} {self.category}"
