from django.db import models
from django.utils.translation import gettext_lazy as _


class RuleKind(models.TextChoices):
    FIXED = "fixed", _("Tanggal tetap dalam setahun")
    OFFSET = "offset", _("Sekian hari setelah peristiwa pemicu")
    PERIODIC = "periodic", _("Berkala (bulanan/triwulan/semester)")
    YEARLY_TABLE = "yearly_table", _("Tanggal ditetapkan per tahun (PMK/Perbup)")


class OffsetUnit(models.TextChoices):
    CALENDAR = "calendar", _("hari kalender")
    WORKING = "working", _("hari kerja")


class Periodicity(models.TextChoices):
    MONTHLY = "monthly", _("Bulanan")
    QUARTERLY = "quarterly", _("Triwulan")
    SEMESTER = "semester", _("Semester")


class Responsible(models.TextChoices):
    DESA = "desa", _("Desa")
    KECAMATAN = "kecamatan", _("Kecamatan")


class State(models.TextChoices):
    """The states users see. ``terlambat`` is stored by the overdue pass; the board also derives it from the
    due date so that it is right even between two passes."""

    BELUM = "belum", _("Belum dikirim")
    TERLAMBAT = "terlambat", _("Terlambat")
    DIKIRIM = "dikirim", _("Dikirim")
    DIKEMBALIKAN = "dikembalikan", _("Dikembalikan")
    DITERIMA = "diterima", _("Diterima")
    DISPENSASI = "dispensasi", _("Dispensasi")
    TIDAK_BERLAKU = "tidak_berlaku", _("Tidak berlaku")


class SubmissionStatus(models.TextChoices):
    MENUNGGU = "menunggu", _("Menunggu verifikasi")
    DITERIMA = "diterima", _("Diterima")
    DIKEMBALIKAN = "dikembalikan", _("Dikembalikan")
    DIGANTI = "diganti", _("Diganti versi baru")


class Outcome(models.TextChoices):
    """The result of an evaluation (Permendagri 20/2018 Pasal 35): the Raperdes fits, or the desa must revise
    it within 20 hari kerja."""

    SESUAI = "sesuai", _("Sesuai")
    PERLU_PERBAIKAN = "perlu_perbaikan", _("Perlu perbaikan")


class FileRole(models.TextChoices):
    DOCUMENT = "dokumen", _("Dokumen")
    ATTACHMENT = "lampiran", _("Lampiran data")
