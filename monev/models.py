"""Desa reporting obligations: document types with deadline rules, obligations per desa and period,
submissions (every version kept, files by SHA-256), verification, extensions and state history."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from monev.choices import FileRole, OffsetUnit, Outcome, Periodicity, Responsible, RuleKind, State, SubmissionStatus
from portal.models import Desa


def validate_day_list(value: str) -> None:
    from django.core.exceptions import ValidationError

    parts = [p.strip() for p in value.split(",") if p.strip()]
    if not all(p.isdigit() and int(p) <= 366 for p in parts):
        raise ValidationError(_("Isi angka hari dipisah koma, mis. 14,7,3,1."))


class DocumentType(models.Model):
    """A kind of report a desa owes, and the rule that dates it. Data, editable by an admin."""

    code = models.SlugField(_("kode"), max_length=40, unique=True, help_text=_("Kode tetap, mis. LPPD."))
    name = models.CharField(_("nama"), max_length=200)
    legal_basis = models.CharField(_("dasar hukum"), max_length=255, blank=True)
    description = models.TextField(_("keterangan"), blank=True)
    responsible = models.CharField(_("pelaksana"), max_length=10, choices=Responsible, default=Responsible.DESA)
    rule_kind = models.CharField(_("jenis aturan"), max_length=20, choices=RuleKind)
    # FIXED: month/day in the year budget_year + year_offset.
    fixed_month = models.PositiveSmallIntegerField(
        _("bulan"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(12)]
    )
    fixed_day = models.PositiveSmallIntegerField(
        _("tanggal"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(31)]
    )
    year_offset = models.SmallIntegerField(
        _("geser tahun"), default=0, help_text=_("-1 = tahun sebelum tahun anggaran")
    )
    # OFFSET: due = trigger date + offset (calendar or working days); PERIODIC: due = period end + offset.
    trigger_label = models.CharField(_("peristiwa pemicu"), max_length=200, blank=True)
    trigger_from = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="dependents",
        verbose_name=_("dipicu oleh kiriman pertama"),
        help_text=_("Tanggal pemicu diisi otomatis dengan tanggal kiriman pertama dokumen ini."),
    )
    offset_days = models.PositiveSmallIntegerField(_("jumlah hari"), default=0)
    offset_unit = models.CharField(_("satuan hari"), max_length=10, choices=OffsetUnit, default=OffsetUnit.CALENDAR)
    periodicity = models.CharField(_("periode"), max_length=10, choices=Periodicity, blank=True)
    per_event = models.BooleanField(
        _("satu kewajiban per peristiwa"),
        default=False,
        help_text=_(
            "Tidak dibuat otomatis: desa/kecamatan mencatat tiap peristiwa (mis. tiap Perdes yang diundangkan)."
        ),
    )
    # Off by default: a fixed legal date ("paling lambat 31 Desember") is not moved by a day off; only a
    # type whose own rule says so (a Perbup that moves its dates) turns this on.
    roll_to_working_day = models.BooleanField(
        _("geser ke hari kerja"),
        default=False,
        help_text=_(
            "Hanya bila aturannya sendiri menggeser tenggat: tenggat berlaku yang jatuh pada hari libur digeser ke "
            "hari kerja berikutnya. Tanggal menurut aturan tetap dicatat dan ditampilkan."
        ),
    )
    outcome_required = models.BooleanField(
        _("wajib mencatat hasil evaluasi"),
        default=False,
        help_text=_("Kiriman mencatat hasil: sesuai atau perlu perbaikan (mis. evaluasi Raperdes APBDes)."),
    )
    correction_working_days = models.PositiveSmallIntegerField(_("batas perbaikan (hari kerja)"), default=7)
    reminder_days = models.CharField(
        _("pengingat (hari sebelum tenggat)"),
        max_length=50,
        default="14,7,3,1",
        validators=[validate_day_list],
        help_text=_("Dipisah koma, mis. 14,7,3,1."),
    )
    escalation_days = models.CharField(
        _("eskalasi ke Camat (hari setelah tenggat)"),
        max_length=50,
        default="7,30",
        validators=[validate_day_list],
        help_text=_("Dipisah koma, mis. 7,30."),
    )
    accepts_xlsx = models.BooleanField(_("boleh lampiran Excel"), default=True)
    active = models.BooleanField(_("aktif"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("urutan"), default=100)
    history = HistoricalRecords()

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("jenis dokumen")
        verbose_name_plural = _("jenis dokumen")

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"


class DocumentTypeSchedule(models.Model):
    """Per-year dates for documents whose deadline is set each year (SPJ Dana Desa/ADD per tahap)."""

    document_type = models.ForeignKey(DocumentType, on_delete=models.CASCADE, related_name="schedules")
    year = models.PositiveSmallIntegerField(_("tahun anggaran"))
    period = models.CharField(_("kode periode"), max_length=20, help_text=_("mis. TAHAP1"))
    period_label = models.CharField(_("nama periode"), max_length=100, help_text=_("mis. Tahap I"))
    due_date = models.DateField(_("tenggat"))

    class Meta:
        ordering = ["document_type", "year", "due_date"]
        verbose_name = _("jadwal tahunan")
        verbose_name_plural = _("jadwal tahunan")
        constraints = [models.UniqueConstraint(fields=["document_type", "year", "period"], name="schedule_unique")]

    def __str__(self) -> str:
        return f"{self.document_type.code} {self.year} {self.period_label}"


class Obligation(models.Model):
    """What one desa owes for one document type, budget year and period."""

    SCOPE_DESA = "desa"
    SCOPE_KECAMATAN = "desa__kecamatan"

    desa = models.ForeignKey(Desa, on_delete=models.PROTECT, related_name="obligations")
    document_type = models.ForeignKey(DocumentType, on_delete=models.PROTECT, related_name="obligations")
    year = models.PositiveSmallIntegerField(_("tahun anggaran"))
    period = models.CharField(_("periode"), max_length=20, blank=True)
    period_label = models.CharField(_("nama periode"), max_length=100, blank=True)
    trigger_date = models.DateField(_("tanggal pemicu"), null=True, blank=True)
    # The date the rule gives (what the regulation names) beside the one in force (after a dispensasi or a
    # type's explicit move to a working day). Both are recomputed when the rule or the calendar changes.
    legal_due_date = models.DateField(_("tenggat menurut aturan"), null=True, blank=True)
    due_date = models.DateField(_("tenggat berlaku"), null=True, blank=True, db_index=True)
    state = models.CharField(_("status"), max_length=20, choices=State, default=State.BELUM)
    state_changed_at = models.DateTimeField(_("status berubah"), auto_now_add=True)
    correction_due_date = models.DateField(_("batas perbaikan"), null=True, blank=True)
    first_submitted_at = models.DateTimeField(_("pertama dikirim"), null=True, blank=True)
    basis_submitted_at = models.DateTimeField(
        _("waktu kiriman yang dihitung"),
        null=True,
        blank=True,
        help_text=_("Kiriman pertama, kecuali perbaikan melewati batas: maka kiriman perbaikan itu."),
    )
    accepted_at = models.DateTimeField(_("diterima"), null=True, blank=True)
    on_time = models.BooleanField(_("tepat waktu"), null=True, blank=True)
    days_late = models.PositiveIntegerField(_("hari terlambat"), null=True, blank=True)
    not_applicable_reason = models.TextField(_("alasan tidak berlaku"), blank=True)
    # The next moment worth looking at (a reminder, an escalation …): the alert pass reads only rows whose
    # moment has come, through a partial index, and claims each with a compare-and-set on these two fields.
    next_alert_at = models.DateTimeField(null=True, blank=True)
    next_alert_stage = models.CharField(max_length=60, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords(excluded_fields=["state_changed_at", "next_alert_at", "next_alert_stage"])

    class Meta:
        ordering = ["year", "document_type__sort_order", "period", "desa__kode"]
        verbose_name = _("kewajiban laporan")
        verbose_name_plural = _("kewajiban laporan")
        constraints = [
            models.UniqueConstraint(fields=["desa", "document_type", "year", "period"], name="obligation_unique"),
            models.CheckConstraint(
                condition=~Q(state="diterima") | Q(accepted_at__isnull=False), name="obligation_accepted_has_time"
            ),
        ]
        indexes = [
            models.Index(fields=["year", "desa"]),
            # The overdue pass looks only at open rows whose date has passed.
            models.Index(
                fields=["due_date"], condition=Q(state__in=["belum", "dispensasi"]), name="obligation_open_due"
            ),
            # The stages pass reads only rows with an alert to come (a small part of a province's table).
            models.Index(
                fields=["next_alert_at"], condition=Q(next_alert_at__isnull=False), name="obligation_next_alert"
            ),
        ]

    def __str__(self) -> str:
        label = f" {self.period_label}" if self.period_label else ""
        return f"{self.document_type.code} {self.year}{label} — {self.desa}"

    @property
    def title(self) -> str:
        label = f" {self.period_label}" if self.period_label else ""
        return f"{self.document_type.name}{label} {self.year}"


class Extension(models.Model):
    """A dispensasi: a new due date granted by the kecamatan, with its reason. Never silent."""

    SCOPE_DESA = "obligation__desa"
    SCOPE_KECAMATAN = "obligation__desa__kecamatan"

    obligation = models.ForeignKey(Obligation, on_delete=models.PROTECT, related_name="extensions")
    previous_due_date = models.DateField(_("tenggat lama"), null=True)
    new_due_date = models.DateField(_("tenggat baru"))
    reason = models.TextField(_("alasan"))
    granted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    granted_at = models.DateTimeField(_("diberikan"), auto_now_add=True)

    class Meta:
        ordering = ["granted_at"]
        verbose_name = _("dispensasi")
        verbose_name_plural = _("dispensasi")

    def __str__(self) -> str:
        return f"{self.obligation}: {self.previous_due_date} → {self.new_due_date}"


class Submission(models.Model):
    """One version handed in for an obligation. Versions are never changed or deleted."""

    SCOPE_DESA = "obligation__desa"
    SCOPE_KECAMATAN = "obligation__desa__kecamatan"

    obligation = models.ForeignKey(Obligation, on_delete=models.PROTECT, related_name="submissions")
    version = models.PositiveIntegerField(_("versi"))
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(_("dikirim"))
    document_number = models.CharField(_("nomor dokumen"), max_length=100, blank=True)
    document_date = models.DateField(_("tanggal ditetapkan/diundangkan"), null=True, blank=True)
    notes = models.TextField(_("catatan pengirim"), blank=True)
    status = models.CharField(_("status"), max_length=20, choices=SubmissionStatus, default=SubmissionStatus.MENUNGGU)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(_("diverifikasi"), null=True, blank=True)
    review_note = models.TextField(_("catatan verifikasi"), blank=True)
    correction_due_date = models.DateField(_("batas perbaikan"), null=True, blank=True)
    outcome = models.CharField(_("hasil evaluasi"), max_length=20, choices=Outcome, blank=True)

    class Meta:
        ordering = ["obligation", "version"]
        verbose_name = _("kiriman")
        verbose_name_plural = _("kiriman")
        constraints = [models.UniqueConstraint(fields=["obligation", "version"], name="submission_version_unique")]

    def __str__(self) -> str:
        return f"{self.obligation} v{self.version}"


class SubmissionFile(models.Model):
    """A stored file of a submission: random name on disk, SHA-256 of its bytes, the cleaned original name."""

    SCOPE_DESA = "submission__obligation__desa"
    SCOPE_KECAMATAN = "submission__obligation__desa__kecamatan"

    submission = models.ForeignKey(Submission, on_delete=models.PROTECT, related_name="files")
    role = models.CharField(_("peran"), max_length=10, choices=FileRole)
    original_name = models.CharField(_("nama berkas"), max_length=150)
    stored_path = models.CharField(max_length=255, unique=True)
    size = models.PositiveBigIntegerField(_("ukuran"))
    sha256 = models.CharField(max_length=64, db_index=True)
    content_type = models.CharField(max_length=100)

    class Meta:
        ordering = ["submission", "role", "id"]
        verbose_name = _("berkas kiriman")
        verbose_name_plural = _("berkas kiriman")

    def __str__(self) -> str:
        return self.original_name


class Transition(models.Model):
    """A change of an obligation's state: who, when, from, to. The alerts build on these rows."""

    SCOPE_DESA = "obligation__desa"
    SCOPE_KECAMATAN = "obligation__desa__kecamatan"

    # No index of its own: the (obligation, at) index below serves every lookup by obligation, and a deadline
    # morning inserts thousands of transitions at once (each index is paid per row).
    obligation = models.ForeignKey(Obligation, on_delete=models.PROTECT, related_name="transitions", db_index=False)
    from_state = models.CharField(max_length=20, choices=State)
    to_state = models.CharField(max_length=20, choices=State)
    at = models.DateTimeField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    due_date = models.DateField(null=True, blank=True, help_text=_("Tenggat yang berlaku saat perubahan."))
    # Set only on a due-date change (the rule, its yearly table or the calendar changed): old → new.
    previous_due_date = models.DateField(_("tenggat lama"), null=True, blank=True)
    note = models.TextField(blank=True)
    # Outbox: a transition that alerts is dispatched once, claimed by setting this with a conditional UPDATE.
    # Transitions that alert nobody (or an edit that made an obligation late at once) are born processed.
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("riwayat status")
        verbose_name_plural = _("riwayat status")
        indexes = [
            models.Index(fields=["obligation", "at"]),
            models.Index(fields=["at"], condition=Q(processed_at__isnull=True), name="transition_unprocessed"),
        ]
        constraints = [
            # The same obligation cannot go late twice for the same due date, whoever runs the pass.
            models.UniqueConstraint(
                fields=["obligation", "due_date"],
                condition=Q(to_state="terlambat", previous_due_date__isnull=True),
                name="transition_late_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.obligation}: {self.from_state} → {self.to_state}"


class Sanction(models.Model):
    """A teguran recorded by the kecamatan against a desa for a late obligation. A written one carries a PDF
    letter generated from the kecamatan's template and kept with the obligation."""

    SCOPE_DESA = "desa"
    SCOPE_KECAMATAN = "desa__kecamatan"

    class Level(models.TextChoices):
        LISAN = "lisan", _("Teguran lisan")
        TERTULIS_1 = "tertulis_1", _("Teguran tertulis I")
        TERTULIS_2 = "tertulis_2", _("Teguran tertulis II")

    desa = models.ForeignKey(Desa, on_delete=models.PROTECT, related_name="sanctions")
    obligation = models.ForeignKey(Obligation, on_delete=models.PROTECT, related_name="sanctions")
    level = models.CharField(_("tingkat"), max_length=20, choices=Level)
    letter_number = models.CharField(_("nomor surat"), max_length=100, blank=True)
    note = models.TextField(_("catatan"), blank=True)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    issued_at = models.DateTimeField(_("tanggal"), auto_now_add=True)
    letter_path = models.CharField(max_length=255, blank=True)
    letter_sha256 = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-issued_at"]
        verbose_name = _("teguran")
        verbose_name_plural = _("teguran")

    def __str__(self) -> str:
        return f"{self.get_level_display()} — {self.obligation}"


class LetterTemplate(models.Model):
    """The editable body of a written teguran (Django template syntax), per kecamatan or for all."""

    kecamatan = models.ForeignKey("portal.Kecamatan", on_delete=models.CASCADE, null=True, blank=True)
    level = models.CharField(_("tingkat"), max_length=20, choices=Sanction.Level)
    body = models.TextField(
        _("isi surat"),
        help_text=_(
            "Variabel: {{ desa }}, {{ kecamatan }}, {{ obligation }}, {{ due_date }}, {{ legal_due_date }}, {{ days_late }}, {{ nomor }}, {{ tanggal }}, {{ camat }}."
        ),
    )

    class Meta:
        verbose_name = _("templat surat teguran")
        verbose_name_plural = _("templat surat teguran")
        constraints = [models.UniqueConstraint(fields=["kecamatan", "level"], name="letter_template_unique")]

    def __str__(self) -> str:
        return f"{self.get_level_display()} ({self.kecamatan or 'semua'})"


# Monev III lives in its own modules, one per part (plan and visits, APBDes lines and figures, indicators); they
# are imported here so Django sees them as models of this one app.
from monev.models_apbdes import *  # noqa: E402,F403
from monev.models_iku import *  # noqa: E402,F403
from monev.models_visits import *  # noqa: E402,F403
