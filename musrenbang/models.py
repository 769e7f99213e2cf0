"""Musrenbang: the planning meetings of each desa and of the kecamatan, who took part, and the proposals
(usulan kegiatan) that travel from desa to kecamatan to kabupaten — with what became of each.

The cycle ``year`` is the year of the Musrenbang Kecamatan (N): the desa hold their Musdes perencanaan
(Jan–Jun) and Musrenbangdes (Jul–Sep) in N-1, the kecamatan forum is held in Jan–Feb of N, and the
proposals it forwards compete for the kabupaten's RKPD N+1 (``shared/reference/domain.md`` §1)."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from musrenbang.choices import Bidang, DocumentRole, FundSource, MeetingKind, ParticipantGroup, ProposalStatus
from portal.models import Desa, Kecamatan


class Meeting(models.Model):
    """One meeting of one cycle: a desa's Musdes or Musrenbangdes, or the kecamatan's forum (no desa)."""

    SCOPE_DESA = "desa"
    SCOPE_KECAMATAN = "kecamatan"
    SCOPE_INCLUDE_KECAMATAN_WIDE = True  # every desa sees its kecamatan's Musrenbang

    kecamatan = models.ForeignKey(Kecamatan, on_delete=models.PROTECT, related_name="meetings")
    desa = models.ForeignKey(Desa, on_delete=models.PROTECT, null=True, blank=True, related_name="meetings")
    kind = models.CharField(_("jenis"), max_length=20, choices=MeetingKind)
    year = models.PositiveSmallIntegerField(_("tahun siklus"), validators=[MinValueValidator(2000)])
    window_start = models.DateField(_("awal jendela"))
    window_end = models.DateField(_("akhir jendela"))
    planned_date = models.DateField(_("tanggal rencana"), null=True, blank=True)
    held_date = models.DateField(_("tanggal pelaksanaan"), null=True, blank=True)
    place = models.CharField(_("tempat"), max_length=200, blank=True)
    notes = models.TextField(_("catatan"), blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["year", "kind", "desa__kode"]
        verbose_name = _("musyawarah")
        verbose_name_plural = _("musyawarah")
        constraints = [
            models.UniqueConstraint(
                fields=["desa", "year", "kind"], condition=Q(desa__isnull=False), name="meeting_one_per_desa"
            ),
            models.UniqueConstraint(
                fields=["kecamatan", "year", "kind"], condition=Q(desa__isnull=True), name="meeting_one_per_kecamatan"
            ),
            models.CheckConstraint(
                condition=(Q(kind=MeetingKind.KECAMATAN) & Q(desa__isnull=True))
                | (~Q(kind=MeetingKind.KECAMATAN) & Q(desa__isnull=False)),
                name="meeting_kind_matches_owner",
            ),
            models.CheckConstraint(condition=Q(window_end__gte=models.F("window_start")), name="meeting_window"),
        ]

    def __str__(self) -> str:
        where = self.desa.nama if self.desa_id else self.kecamatan.nama
        return f"{self.get_kind_display()} {where} {self.year}"


class MeetingDocument(models.Model):
    """A stored file of a meeting. Uploading again adds a row; nothing is overwritten or deleted."""

    SCOPE_DESA = "meeting__desa"
    SCOPE_KECAMATAN = "meeting__kecamatan"
    SCOPE_INCLUDE_KECAMATAN_WIDE = True

    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="documents")
    role = models.CharField(_("jenis dokumen"), max_length=20, choices=DocumentRole)
    original_name = models.CharField(_("nama berkas"), max_length=150)
    stored_path = models.CharField(max_length=255, unique=True)
    kind = models.CharField(max_length=10)
    size = models.PositiveBigIntegerField(_("ukuran"))
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["meeting", "role", "-uploaded_at"]
        verbose_name = _("dokumen musyawarah")
        verbose_name_plural = _("dokumen musyawarah")

    def __str__(self) -> str:
        return self.original_name


class Participation(models.Model):
    """How many took part per group (men and women counted apart, for the women's share)."""

    SCOPE_DESA = "meeting__desa"
    SCOPE_KECAMATAN = "meeting__kecamatan"
    SCOPE_INCLUDE_KECAMATAN_WIDE = True

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="participation")
    group = models.CharField(_("kelompok"), max_length=20, choices=ParticipantGroup)
    men = models.PositiveIntegerField(_("laki-laki"), default=0)
    women = models.PositiveIntegerField(_("perempuan"), default=0)

    class Meta:
        ordering = ["meeting", "group"]
        constraints = [models.UniqueConstraint(fields=["meeting", "group"], name="participation_one_per_group")]

    def __str__(self) -> str:
        return f"{self.meeting_id} {self.group} {self.men}+{self.women}"


class Participant(models.Model):
    """A named participant, typed in or imported from the attendance sheet."""

    SCOPE_DESA = "meeting__desa"
    SCOPE_KECAMATAN = "meeting__kecamatan"
    SCOPE_INCLUDE_KECAMATAN_WIDE = True

    class Gender(models.TextChoices):
        L = "L", _("Laki-laki")
        P = "P", _("Perempuan")

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="participants")
    name = models.CharField(_("nama"), max_length=150)
    group = models.CharField(_("kelompok"), max_length=20, choices=ParticipantGroup)
    gender = models.CharField(_("jenis kelamin"), max_length=1, choices=Gender)
    origin = models.CharField(_("asal/jabatan"), max_length=150, blank=True)

    class Meta:
        ordering = ["meeting", "group", "name"]

    def __str__(self) -> str:
        return self.name


class Proposal(models.Model):
    """An usulan kegiatan of a desa for one cycle. Every change is kept (history) and every status change
    is a ``ProposalTransition`` row. A proposal carried over to next year is a new row linked to this one."""

    SCOPE_DESA = "desa"
    SCOPE_KECAMATAN = "desa__kecamatan"

    desa = models.ForeignKey(Desa, on_delete=models.PROTECT, related_name="proposals")
    year = models.PositiveSmallIntegerField(_("tahun siklus"), validators=[MinValueValidator(2000)])
    bidang = models.CharField(_("bidang"), max_length=1, choices=Bidang)
    sub_bidang = models.CharField(_("sub bidang"), max_length=150, blank=True)
    activity = models.CharField(_("kegiatan"), max_length=300)
    location = models.CharField(_("lokasi (dusun/RT)"), max_length=150, blank=True)
    volume = models.DecimalField(_("volume"), max_digits=12, decimal_places=2, validators=[MinValueValidator(0)])
    unit = models.CharField(_("satuan"), max_length=30)
    estimated_cost = models.DecimalField(
        _("perkiraan biaya (Rp)"), max_digits=15, decimal_places=0, validators=[MinValueValidator(0)]
    )
    fund_source = models.CharField(_("sumber dana"), max_length=10, choices=FundSource)
    beneficiaries = models.CharField(_("sasaran/penerima manfaat"), max_length=200, blank=True)
    desa_rank = models.PositiveSmallIntegerField(_("prioritas desa"), validators=[MinValueValidator(1)])
    status = models.CharField(_("status"), max_length=20, choices=ProposalStatus, default=ProposalStatus.DIUSULKAN)
    kecamatan_priority = models.PositiveSmallIntegerField(_("prioritas kecamatan"), null=True, blank=True)
    score = models.DecimalField(
        _("skor"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    outcome_reason = models.TextField(_("alasan"), blank=True)
    program = models.CharField(_("program/OPD yang menampung"), max_length=200, blank=True)
    accommodated_cost = models.DecimalField(
        _("pagu yang ditampung (Rp)"), max_digits=15, decimal_places=0, null=True, blank=True
    )
    carried_from = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="carried_to",
        verbose_name=_("lanjutan dari"),
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["year", "desa__kode", "desa_rank", "id"]
        verbose_name = _("usulan kegiatan")
        verbose_name_plural = _("usulan kegiatan")
        indexes = [models.Index(fields=["year", "status"]), models.Index(fields=["desa", "year"])]

    def __str__(self) -> str:
        return f"{self.activity} ({self.desa.nama} {self.year})"


class ProposalTransition(models.Model):
    SCOPE_DESA = "proposal__desa"
    SCOPE_KECAMATAN = "proposal__desa__kecamatan"

    proposal = models.ForeignKey(Proposal, on_delete=models.PROTECT, related_name="transitions")
    from_status = models.CharField(max_length=20, choices=ProposalStatus, blank=True)
    to_status = models.CharField(max_length=20, choices=ProposalStatus)
    note = models.TextField(blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["proposal", "at", "id"]

    def __str__(self) -> str:
        return f"{self.proposal_id}: {self.from_status or '-'} → {self.to_status}"


class RankingRule(models.Model):
    """How the kecamatan orders proposals: by score, then the tie-breakers in the order it chose."""

    SCOPE_DESA = None
    SCOPE_KECAMATAN = "kecamatan"

    kecamatan = models.OneToOneField(Kecamatan, on_delete=models.CASCADE, related_name="ranking_rule")
    tie_breakers = models.JSONField(default=list)
    history = HistoricalRecords()

    def __str__(self) -> str:
        return f"{self.kecamatan}: {', '.join(self.tie_breakers)}"
