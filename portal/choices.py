from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """Roles of portal users. The value is the identifier used by ``add_user --role``."""

    ADMIN = "admin", _("Administrator")
    CAMAT = "camat", _("Camat")
    SEKCAM = "sekcam", _("Sekretaris Camat")
    KASI_TAPEM = "kasi_tapem", _("Kasi Tata Pemerintahan")
    KASI_PMD = "kasi_pmd", _("Kasi Pemberdayaan Masyarakat Desa")
    KASI_EKBANG = "kasi_ekbang", _("Kasi Ekonomi dan Pembangunan")
    KASI_TRANTIBUM = "kasi_trantibum", _("Kasi Ketenteraman dan Ketertiban Umum")
    STAF_KECAMATAN = "staf_kecamatan", _("Staf Kecamatan")
    KEPALA_DESA = "kepala_desa", _("Kepala Desa")
    OPERATOR_DESA = "operator_desa", _("Operator Desa")


KECAMATAN_ROLES = frozenset(
    {
        Role.CAMAT,
        Role.SEKCAM,
        Role.KASI_TAPEM,
        Role.KASI_PMD,
        Role.KASI_EKBANG,
        Role.KASI_TRANTIBUM,
        Role.STAF_KECAMATAN,
    }
)
DESA_ROLES = frozenset({Role.KEPALA_DESA, Role.OPERATOR_DESA})


class Jabatan(models.TextChoices):
    """Positions of the pemerintah desa (Permendagri 84/2015 on SOTK Pemerintah Desa)."""

    KEPALA_DESA = "kepala_desa", _("Kepala Desa")
    SEKRETARIS_DESA = "sekretaris_desa", _("Sekretaris Desa")
    KAUR_TU_UMUM = "kaur_tu_umum", _("Kaur Tata Usaha dan Umum")
    KAUR_KEUANGAN = "kaur_keuangan", _("Kaur Keuangan")
    KAUR_PERENCANAAN = "kaur_perencanaan", _("Kaur Perencanaan")
    KASI_PEMERINTAHAN = "kasi_pemerintahan", _("Kasi Pemerintahan")
    KASI_KESEJAHTERAAN = "kasi_kesejahteraan", _("Kasi Kesejahteraan")
    KASI_PELAYANAN = "kasi_pelayanan", _("Kasi Pelayanan")
    KEPALA_DUSUN = "kepala_dusun", _("Kepala Dusun")
    STAF = "staf", _("Staf")


class JenisKelamin(models.TextChoices):
    LAKI_LAKI = "L", _("Laki-laki")
    PEREMPUAN = "P", _("Perempuan")


class JenisDesa(models.TextChoices):
    DESA = "desa", _("Desa")
    KELURAHAN = "kelurahan", _("Kelurahan")
