from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Protocol(models.TextChoices):
    PULL = "pull", _("Tarik (server menghubungi mesin)")
    PUSH = "push", _("Kirim (mesin mengirim ke server, ADMS)")


class Transport(models.TextChoices):
    TCP = "tcp", "TCP"
    UDP = "udp", "UDP"


class PunchSource(models.TextChoices):
    PULL = "pull", _("Tarik")
    PUSH = "push", _("Kirim (ADMS)")
    IMPORT = "import", _("Impor")


class RunOutcome(models.TextChoices):
    RUNNING = "running", _("Berjalan")
    SUCCESS = "success", _("Berhasil")
    FAILED = "failed", _("Gagal")
    SKIPPED = "skipped", _("Dilewati")


class Health(models.TextChoices):
    GREEN = "green", _("Sehat")
    STALE = "stale", _("Lama tidak ditarik")
    FAILING = "failing", _("Gagal")
    DISABLED = "disabled", _("Nonaktif")


class MissingPunchPolicy(models.TextChoices):
    """How the recap counts a day with a missing punch (TAM/TAP); the daily status itself never changes."""

    AS_LATE = "tl4_psw4", _("TAM dihitung TL4, TAP dihitung PSW4 (menit sepanjang jendela absen)")
    NOT_PRESENT = "not_present", _("Hari dengan TAM/TAP tidak dihitung hadir (bukan TK)")


class PunchKind(models.TextChoices):
    IN = "in", pgettext_lazy("absen", "Masuk")  # not the login button's "Masuk"
    OUT = "out", _("Pulang")


class RequestState(models.TextChoices):
    """The states of a request someone decides (leave, koreksi absen): ``attendance.decisions``."""

    REQUESTED = "diajukan", _("Diajukan")
    APPROVED = "disetujui", _("Disetujui")
    REJECTED = "ditolak", _("Ditolak")
    CANCELLED = "dibatalkan", _("Dibatalkan")
