"""Monev models: the yearly monev plan, visits and desk evaluations of a desa with their checklist, evidence,
findings and recommendations, and the desa's follow-ups. Every change of a recommendation's state is a row."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from portal.models import Desa

__all__ = [
    "VisitType",
    "VisitMode",
    "ChecklistAnswerChoice",
    "RecommendationState",
    "MonevPlanEntry",
    "ChecklistTemplate",
    "ChecklistTemplateItem",
    "Visit",
    "ChecklistAnswer",
    "VisitFile",
    "Finding",
    "Recommendation",
    "FollowUp",
    "RecommendationTransition",
]


class VisitType(models.TextChoices):
    APBDES = "apbdes", _("APBDes")
    PERDES = "perdes", _("Perdes")
    DANA_DESA = "dana_desa", _("Penggunaan Dana Desa")
    ADMINISTRASI = "administrasi", _("Administrasi desa")
    FISIK = "fisik", _("Pekerjaan fisik")


class VisitMode(models.TextChoices):
    KUNJUNGAN = "kunjungan", _("Kunjungan lapangan")
    DOKUMEN = "dokumen", _("Evaluasi dokumen")


class ChecklistAnswerChoice(models.TextChoices):
    YA = "ya", _("Ya")
    SEBAGIAN = "sebagian", _("Sebagian")
    TIDAK = "tidak", _("Tidak")


class RecommendationState(models.TextChoices):
    OPEN = "terbuka", _("Terbuka")
    ANSWERED = "dijawab", _("Dijawab desa")
    ACCEPTED = "diterima", _("Diterima (selesai)")
    REOPENED = "dibuka_kembali", _("Dibuka kembali")


class MonevPlanEntry(models.Model):
    """One cell of the yearly plan: this desa is evaluated on this type in this triwulan."""

    SCOPE_DESA = "desa"
    SCOPE_KECAMATAN = "desa__kecamatan"

    desa = models.ForeignKey(Desa, on_delete=models.PROTECT, related_name="monev_plan_entries")
    year = models.PositiveSmallIntegerField(_("tahun"))
    quarter = models.PositiveSmallIntegerField(_("triwulan"), validators=[MinValueValidator(1), MaxValueValidator(4)])
    visit_type = models.CharField(_("jenis evaluasi"), max_length=20, choices=VisitType)
    note = models.CharField(_("catatan"), max_length=255, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["year", "quarter", "desa__kode", "visit_type"]
        verbose_name = _("rencana monev")
        verbose_name_plural = _("rencana monev")
        constraints = [
            models.UniqueConstraint(fields=["desa", "year", "quarter", "visit_type"], name="monev_plan_unique"),
            models.CheckConstraint(condition=Q(quarter__gte=1, quarter__lte=4), name="monev_plan_quarter"),
        ]

    def __str__(self) -> str:
        return f"{self.year} TW{self.quarter} {self.get_visit_type_display()} — {self.desa}"


class ChecklistTemplate(models.Model):
    """The checklist of one evaluation type, editable by an administrator or kecamatan staff."""

    visit_type = models.CharField(_("jenis evaluasi"), max_length=20, choices=VisitType, unique=True)
    title = models.CharField(_("judul"), max_length=200)

    class Meta:
        ordering = ["visit_type"]
        verbose_name = _("templat daftar periksa")
        verbose_name_plural = _("templat daftar periksa")

    def __str__(self) -> str:
        return self.title


class ChecklistTemplateItem(models.Model):
    template = models.ForeignKey(ChecklistTemplate, on_delete=models.CASCADE, related_name="items")
    text = models.CharField(_("butir"), max_length=500)
    sort_order = models.PositiveSmallIntegerField(_("urutan"), default=100)
    active = models.BooleanField(_("aktif"), default=True)

    class Meta:
        ordering = ["template", "sort_order", "id"]
        verbose_name = _("butir daftar periksa")
        verbose_name_plural = _("butir daftar periksa")

    def __str__(self) -> str:
        return self.text


class Visit(models.Model):
    """A visit to a desa or a desk evaluation of its documents."""

    SCOPE_DESA = "desa"
    SCOPE_KECAMATAN = "desa__kecamatan"

    desa = models.ForeignKey(Desa, on_delete=models.PROTECT, related_name="monev_visits")
    visit_type = models.CharField(_("jenis evaluasi"), max_length=20, choices=VisitType)
    mode = models.CharField(_("bentuk"), max_length=20, choices=VisitMode, default=VisitMode.KUNJUNGAN)
    visit_date = models.DateField(_("tanggal"))
    plan_entry = models.ForeignKey(
        MonevPlanEntry,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="visits",
        verbose_name=_("rencana"),
    )
    team = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="+", verbose_name=_("tim kecamatan")
    )
    other_members = models.TextField(
        _("anggota lain"), blank=True, help_text=_("Satu nama per baris, mis. Pendamping Desa.")
    )
    summary = models.TextField(_("ringkasan"), blank=True)
    letter_number = models.CharField(_("nomor laporan"), max_length=100, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-visit_date", "-id"]
        verbose_name = _("kunjungan monev")
        verbose_name_plural = _("kunjungan monev")
        indexes = [models.Index(fields=["desa", "visit_date"])]

    def __str__(self) -> str:
        return f"{self.get_visit_type_display()} {self.visit_date:%d/%m/%Y} — {self.desa}"

    @property
    def other_member_names(self) -> list[str]:
        return [line.strip() for line in self.other_members.splitlines() if line.strip()]


class ChecklistAnswer(models.Model):
    """One checklist item of a visit; the item's text is copied so a later template edit leaves it as asked."""

    SCOPE_DESA = "visit__desa"
    SCOPE_KECAMATAN = "visit__desa__kecamatan"

    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="answers")
    item_text = models.CharField(_("butir"), max_length=500)
    sort_order = models.PositiveSmallIntegerField(_("urutan"), default=100)
    answer = models.CharField(_("jawaban"), max_length=10, choices=ChecklistAnswerChoice, blank=True)
    note = models.TextField(_("catatan"), blank=True)

    class Meta:
        ordering = ["visit", "sort_order", "id"]
        verbose_name = _("jawaban daftar periksa")
        verbose_name_plural = _("jawaban daftar periksa")

    def __str__(self) -> str:
        return self.item_text


class VisitFile(models.Model):
    """An evidence file of a visit (PDF or image), stored like the monev submissions' files."""

    SCOPE_DESA = "visit__desa"
    SCOPE_KECAMATAN = "visit__desa__kecamatan"

    visit = models.ForeignKey(Visit, on_delete=models.PROTECT, related_name="files")
    original_name = models.CharField(_("nama berkas"), max_length=150)
    stored_path = models.CharField(max_length=255, unique=True)
    size = models.PositiveBigIntegerField(_("ukuran"))
    sha256 = models.CharField(max_length=64, db_index=True)
    content_type = models.CharField(max_length=100)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["visit", "id"]
        verbose_name = _("berkas kunjungan")
        verbose_name_plural = _("berkas kunjungan")

    def __str__(self) -> str:
        return self.original_name


class Finding(models.Model):
    SCOPE_DESA = "visit__desa"
    SCOPE_KECAMATAN = "visit__desa__kecamatan"

    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="findings")
    text = models.TextField(_("temuan"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["visit", "id"]
        verbose_name = _("temuan")
        verbose_name_plural = _("temuan")

    def __str__(self) -> str:
        return self.text[:80]


class Recommendation(models.Model):
    """What the desa must do, who in the desa answers for it and by when."""

    SCOPE_DESA = "visit__desa"
    SCOPE_KECAMATAN = "visit__desa__kecamatan"

    visit = models.ForeignKey(Visit, on_delete=models.PROTECT, related_name="recommendations")
    finding = models.ForeignKey(
        Finding, on_delete=models.SET_NULL, null=True, blank=True, related_name="recommendations"
    )
    text = models.TextField(_("rekomendasi"))
    responsible = models.CharField(_("penanggung jawab di desa"), max_length=200)
    due_date = models.DateField(_("tenggat"))
    state = models.CharField(_("status"), max_length=20, choices=RecommendationState, default=RecommendationState.OPEN)
    state_changed_at = models.DateTimeField(_("status berubah"), auto_now_add=True)
    # The overdue notices sent so far (days past the due date of the last stage): claimed with a conditional
    # UPDATE, so a stage goes out once whoever runs the pass.
    overdue_stage = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due_date", "id"]
        verbose_name = _("rekomendasi")
        verbose_name_plural = _("rekomendasi")
        indexes = [
            models.Index(
                fields=["due_date"],
                condition=Q(state__in=["terbuka", "dibuka_kembali"]),
                name="recommendation_open_due",
            )
        ]

    def __str__(self) -> str:
        return self.text[:80]


class FollowUp(models.Model):
    """The desa's answer to a recommendation: what was done, with an optional evidence file."""

    SCOPE_DESA = "recommendation__visit__desa"
    SCOPE_KECAMATAN = "recommendation__visit__desa__kecamatan"

    recommendation = models.ForeignKey(Recommendation, on_delete=models.PROTECT, related_name="follow_ups")
    text = models.TextField(_("tindak lanjut"))
    original_name = models.CharField(_("nama berkas"), max_length=150, blank=True)
    stored_path = models.CharField(max_length=255, blank=True)
    size = models.PositiveBigIntegerField(_("ukuran"), null=True, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(_("dikirim"))

    class Meta:
        ordering = ["recommendation", "submitted_at", "id"]
        verbose_name = _("tindak lanjut")
        verbose_name_plural = _("tindak lanjut")

    def __str__(self) -> str:
        return self.text[:80]


class RecommendationTransition(models.Model):
    """A change of a recommendation's state: who, when, from, to, why."""

    SCOPE_DESA = "recommendation__visit__desa"
    SCOPE_KECAMATAN = "recommendation__visit__desa__kecamatan"

    recommendation = models.ForeignKey(Recommendation, on_delete=models.PROTECT, related_name="transitions")
    follow_up = models.ForeignKey(FollowUp, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    from_state = models.CharField(max_length=20, choices=RecommendationState, blank=True)
    to_state = models.CharField(max_length=20, choices=RecommendationState)
    at = models.DateTimeField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    note = models.TextField(_("alasan"), blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("riwayat rekomendasi")
        verbose_name_plural = _("riwayat rekomendasi")

    def __str__(self) -> str:
        return f"{self.recommendation}: {self.from_state} → {self.to_state}"
