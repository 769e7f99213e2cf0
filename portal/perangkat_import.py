"""Excel import of perangkat desa on ``portal.imports``: a template to fill, and an all-or-nothing import
whose errors name the row and the column ("Baris 7, kolom Jabatan: 'Kaur X' bukan jabatan; …"). Rows are
written through ``portal.services`` (``perangkat_create``/``perangkat_update``): the same checks and history as
the form."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _
from openpyxl import Workbook

from portal import permissions, services
from portal.choices import DESA_ROLES, Jabatan, JenisKelamin
from portal.exports import workbook_bytes
from portal.imports import CellError, Column, cell_text, list_validation, norm, parse_date, rows_import, template_sheet
from portal.models import Desa, Perangkat, User
from portal.scoping import in_scope, restrict

MAX_ROWS = 5000  # a whole kecamatan's perangkat in one file

# Names the offices actually write, besides the official labels.
_JABATAN_ALIASES = {
    "kades": Jabatan.KEPALA_DESA,
    "sekdes": Jabatan.SEKRETARIS_DESA,
    "carik": Jabatan.SEKRETARIS_DESA,
    "kasun": Jabatan.KEPALA_DUSUN,
    "kamituwo": Jabatan.KEPALA_DUSUN,
    "kaur tu": Jabatan.KAUR_TU_UMUM,
    "kaur umum": Jabatan.KAUR_TU_UMUM,
    "kaur tu dan umum": Jabatan.KAUR_TU_UMUM,
    "kaur tata usaha dan umum": Jabatan.KAUR_TU_UMUM,
    "bendahara": Jabatan.KAUR_KEUANGAN,
    "kasi pem": Jabatan.KASI_PEMERINTAHAN,
    "kasi kesra": Jabatan.KASI_KESEJAHTERAAN,
    "staff": Jabatan.STAF,
}


def parse_jabatan(value) -> str:
    """A jabatan code from its code, its label or a name the offices write ("kasun", "sekdes")."""
    text = cell_text(value)
    key = norm(text)
    for choice in Jabatan:
        if key in (norm(choice.value), norm(choice.label)):
            return choice.value
    if key in _JABATAN_ALIASES:
        return _JABATAN_ALIASES[key].value
    raise CellError(_("'%(val)s' bukan jabatan; isi salah satu jabatan (lihat lembar Petunjuk)") % {"val": text})


def parse_jenis_kelamin(value) -> str:
    """L or P; "Laki-laki" and "Perempuan" count by their first letter."""
    text = cell_text(value)
    code = text.upper()[:1]
    if code not in JenisKelamin.values:
        raise CellError(_("'%(val)s' harus L atau P") % {"val": text})
    return code


COLUMNS = [
    Column("desa", "Kode Desa", "Kode Desa", 16),  # parsed per import: the desa must be in the actor's scope
    Column("nama", "Nama", "Nama", 30, required=True),
    Column("jabatan", "Jabatan", "Jabatan", 26, required=True, parse=parse_jabatan),
    Column("keterangan_jabatan", "Keterangan Jabatan", "Keterangan Jabatan", 22),
    Column("nik", "NIK", "NIK", 20),
    Column("nipd", "NIPD", "NIPD", 16),
    Column("jenis_kelamin", "Jenis Kelamin (L/P)", "Jenis Kelamin", 18, parse=parse_jenis_kelamin),
    Column("tanggal_mulai", "Tanggal Mulai (dd/mm/yyyy)", "Tanggal Mulai", 24, parse=parse_date, empty=None),
]


def build_template() -> bytes:
    """The workbook users download, fill and upload back."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Perangkat"
    template_sheet(ws, COLUMNS)
    jabatan = [str(choice.label) for choice in Jabatan]
    list_validation(ws, jabatan, [c.key for c in COLUMNS].index("jabatan") + 1, rows=MAX_ROWS)
    info = wb.create_sheet("Petunjuk")
    info.append(["Kolom", "Keterangan"])
    info.append(["Kode Desa", "Kode Kemendagri desa, misalnya 35.24.13.2001. Operator Desa boleh mengosongkan."])
    info.append(["Jabatan", "Salah satu: " + ", ".join(jabatan)])
    info.append(["NIK", "16 angka, boleh kosong. Jika diisi, baris dengan NIK yang sama akan diperbarui."])
    info.append(["Tanggal Mulai", "Format dd/mm/yyyy, boleh kosong."])
    info.append(
        ["Contoh baris", "35.24.13.2001 | Siti Aminah | Sekretaris Desa | | 3524134501850001 | | P | 02/01/2020"]
    )
    return workbook_bytes(wb)


@dataclass(frozen=True)
class ImportResult:
    created: int = 0
    updated: int = 0


def _columns_for(actor: User) -> list[Column]:
    """COLUMNS with the kode desa read against the actor's scope: a desa outside it is "tidak dikenal", the
    same as one that does not exist. A desa user may leave it empty for their own desa."""
    desa_by_kode = {d.kode: d for d in restrict(Desa.objects.all(), actor)}

    def parse_desa(value) -> Desa:
        kode = cell_text(value)
        if kode not in desa_by_kode:
            raise CellError(_("'%(val)s' tidak dikenal") % {"val": kode})
        return desa_by_kode[kode]

    own = actor.desa if actor.role in DESA_ROLES else None
    desa = dataclasses.replace(COLUMNS[0], parse=parse_desa, required=own is None, empty=own)
    return [desa, *COLUMNS[1:]]


def _existing(actor: User, desa: Desa, fields: dict) -> Perangkat | None:
    """The perangkat a row updates: the one with its NIK (which must be in the actor's scope), else the active
    one of the same name and jabatan in that desa."""
    if fields["nik"]:
        match = Perangkat.objects.filter(nik=fields["nik"]).first()
        if match is not None:
            if not in_scope(match, actor):
                raise ValidationError({"nik": _("%(nik)s sudah terdaftar di desa lain") % {"nik": fields["nik"]}})
            return match
    return Perangkat.objects.filter(
        desa=desa, nama__iexact=fields["nama"], jabatan=fields["jabatan"], aktif=True
    ).first()


def perangkat_import_xlsx(*, actor: User, data: bytes) -> ImportResult:
    """Import every row or none (``ImportRejected``). A row whose NIK already exists in scope, or else whose
    name and jabatan match an active perangkat of the desa, updates that perangkat with its filled cells."""
    if not permissions.can_manage_perangkat(actor):
        raise PermissionDenied
    seen_nik: dict[str, int] = {}

    def save_row(row_no: int, fields: dict) -> bool:
        desa = fields.pop("desa")
        nik = fields["nik"]
        if nik in seen_nik:
            raise ValidationError(
                {"nik": _("%(nik)s sudah dipakai di baris %(other)d") % {"nik": nik, "other": seen_nik[nik]}}
            )
        if nik:
            seen_nik[nik] = row_no
        match = _existing(actor, desa, fields)
        if match is None:
            services.perangkat_create(actor=actor, desa=desa, **fields)
            return True
        filled = {name: value for name, value in fields.items() if value not in ("", None)}
        services.perangkat_update(actor=actor, perangkat=match, desa=desa, **filled)
        return False

    created = rows_import(data, _columns_for(actor), save_row, max_rows=MAX_ROWS)
    return ImportResult(created=sum(created), updated=len(created) - sum(created))
