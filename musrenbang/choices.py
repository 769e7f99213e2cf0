from django.db import models
from django.utils.translation import gettext_lazy as _


class MeetingKind(models.TextChoices):
    MUSDES = "musdes", _("Musdes perencanaan")
    MUSRENBANGDES = "musrenbangdes", _("Musrenbangdes (RKPDes)")
    KECAMATAN = "kecamatan", _("Musrenbang Kecamatan")


DESA_KINDS = (MeetingKind.MUSDES, MeetingKind.MUSRENBANGDES)


class DocumentRole(models.TextChoices):
    UNDANGAN = "undangan", _("Undangan")
    DAFTAR_HADIR = "daftar_hadir", _("Daftar hadir")
    BERITA_ACARA = "berita_acara", _("Berita acara")
    FOTO = "foto", _("Foto")


class ParticipantGroup(models.TextChoices):
    BPD = "bpd", _("BPD")
    PERANGKAT = "perangkat", _("Perangkat desa")
    TOKOH_MASYARAKAT = "tokoh_masyarakat", _("Tokoh masyarakat")
    TOKOH_AGAMA = "tokoh_agama", _("Tokoh agama")
    PEREMPUAN = "perempuan", _("Perwakilan perempuan")
    PEMUDA = "pemuda", _("Pemuda")
    KELOMPOK_RENTAN = "kelompok_rentan", _("Kelompok rentan")
    LAINNYA = "lainnya", _("Lainnya")


class Bidang(models.TextChoices):
    """The five bidang of the desa budget (Permendagri 20/2018, Lampiran)."""

    PEMERINTAHAN = "1", _("Penyelenggaraan Pemerintahan Desa")
    PEMBANGUNAN = "2", _("Pelaksanaan Pembangunan Desa")
    PEMBINAAN = "3", _("Pembinaan Kemasyarakatan Desa")
    PEMBERDAYAAN = "4", _("Pemberdayaan Masyarakat Desa")
    BENCANA = "5", _("Penanggulangan Bencana, Keadaan Darurat dan Mendesak Desa")


class ProposalStatus(models.TextChoices):
    DIUSULKAN = "diusulkan", _("Diusulkan desa")
    DIBAHAS = "dibahas", _("Dibahas di kecamatan")
    DITERUSKAN = "diteruskan", _("Diteruskan ke kabupaten")
    DIAKOMODASI = "diakomodasi", _("Diakomodasi")
    TIDAK_DIAKOMODASI = "tidak_diakomodasi", _("Tidak diakomodasi")


class FundSource(models.TextChoices):
    DD = "dd", _("Dana Desa")
    ADD = "add", _("Alokasi Dana Desa")
    PADES = "pades", _("Pendapatan Asli Desa")
    APBD_KAB = "apbd_kab", _("APBD Kabupaten")
    APBD_PROV = "apbd_prov", _("APBD Provinsi")
    APBN = "apbn", _("APBN")
    LAINNYA = "lainnya", _("Lainnya")
