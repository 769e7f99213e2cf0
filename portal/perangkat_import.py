"""Excel import of perangkat desa: a template to fill, and an all-or-nothing import whose errors name the
row and the column ("Baris 7: jabatan 'Kaur X' tidak dikenal")."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet.datavalidation import DataValidation

from portal.choices import DESA_ROLES, Jabatan, JenisKelamin
from portal.exports import workbook_bytes
from portal.models import Desa, Perangkat, User
from portal.scoping import restrict

COLUMNS = [
    ("kode_desa", "Kode Desa"),
    ("nama", "Nama"),
    ("jabatan", "Jabatan"),
    ("keterangan_jabatan", "Keterangan Jabatan"),
    ("nik", "NIK"),
    ("nipd", "NIPD"),
    ("jenis_kelamin", "Jenis Kelamin (L/P)"),
    ("tanggal_mulai", "Tanggal Mulai (dd/mm/yyyy)"),
]
MAX_ROWS = 5000

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


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", str(text).strip().lower().replace("_", " "))


def parse_jabatan(text: str) -> str | None:
    key = _norm(text)
    for choice in Jabatan:
        if key in (_norm(choice.value), _norm(choice.label)):
            return choice.value
    return _JABATAN_ALIASES.get(key)


def build_template() -> bytes:
    """The workbook users download, fill and upload back."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Perangkat"
    ws.append([label for _key, label in COLUMNS])
    for column, width in zip("ABCDEFGH", (16, 30, 26, 22, 20, 16, 18, 24), strict=True):
        ws.column_dimensions[column].width = width
    jabatan_list = ",".join(str(choice.label) for choice in Jabatan)
    validation = DataValidation(type="list", formula1=f'"{jabatan_list}"', allow_blank=False)
    ws.add_data_validation(validation)
    validation.add("C2:C2000")
    info = wb.create_sheet("Petunjuk")
    info.append(["Kolom", "Keterangan"])
    info.append(["Kode Desa", "Kode Kemendagri desa, misalnya 35.24.13.2001. Operator Desa boleh mengosongkan."])
    info.append(["Jabatan", "Salah satu: " + ", ".join(str(choice.label) for choice in Jabatan)])
    info.append(["NIK", "16 angka, boleh kosong. Jika diisi, baris dengan NIK yang sama akan diperbarui."])
    info.append(["Tanggal Mulai", "Format dd/mm/yyyy, boleh kosong."])
    info.append(
        ["Contoh baris", "35.24.13.2001 | Siti Aminah | Sekretaris Desa | | 3524134501850001 | | P | 02/01/2020"]
    )
    return workbook_bytes(wb)


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


class ImportRejected(Exception):
    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = errors


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _parse_date(value, row_no: int, label: str, errors: list[str]) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = _cell_text(value)
    for fmt in ("%d/%m/%Y", "%d-%m-%Y", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    errors.append(
        _("Baris %(row)d: %(col)s '%(val)s' bukan tanggal dd/mm/yyyy") % {"row": row_no, "col": label, "val": text}
    )
    return None


def _read_rows(data: bytes) -> list[tuple[int, dict]]:
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise ImportRejected([_("Berkas bukan Excel (.xlsx) yang valid.")]) from exc
    ws = wb.worksheets[0]
    rows = ws.iter_rows(values_only=True)
    header = next(rows, None)
    expected = [label for _key, label in COLUMNS]
    if header is None or [_cell_text(h) for h in header[: len(expected)]] != expected:
        raise ImportRejected(
            [_("Baris 1: judul kolom tidak sesuai templat. Unduh templat terbaru dan isi tanpa mengubah judul kolom.")]
        )
    result = []
    for index, values in enumerate(rows, start=2):
        if values is None or all(v in (None, "") for v in values):
            continue
        padded = list(values) + [None] * len(COLUMNS)
        result.append((index, {key: padded[i] for i, (key, _label) in enumerate(COLUMNS)}))
        if len(result) > MAX_ROWS:
            raise ImportRejected([_("Terlalu banyak baris: paling banyak %(n)d per berkas.") % {"n": MAX_ROWS}])
    wb.close()
    return result


def _validate_row(row_no: int, raw: dict, *, actor: User, desa_by_kode: dict[str, Desa], errors: list[str]):
    labels = dict(COLUMNS)
    before = len(errors)
    kode = _cell_text(raw["kode_desa"])
    if not kode and actor.role in DESA_ROLES:
        kode = actor.desa.kode
    desa = desa_by_kode.get(kode)
    if desa is None:
        errors.append(_("Baris %(row)d: kode desa '%(val)s' tidak dikenal") % {"row": row_no, "val": kode})
    nama = _cell_text(raw["nama"])
    if not nama:
        errors.append(_("Baris %(row)d: nama wajib diisi") % {"row": row_no})
    jabatan_text = _cell_text(raw["jabatan"])
    jabatan = parse_jabatan(jabatan_text)
    if jabatan is None:
        errors.append(_("Baris %(row)d: jabatan '%(val)s' tidak dikenal") % {"row": row_no, "val": jabatan_text})
    jk_text = _cell_text(raw["jenis_kelamin"]).upper()[:1]
    if jk_text and jk_text not in JenisKelamin.values:
        errors.append(
            _("Baris %(row)d: jenis kelamin '%(val)s' harus L atau P")
            % {"row": row_no, "val": _cell_text(raw["jenis_kelamin"])}
        )
    fields = {
        "nama": nama,
        "jabatan": jabatan,
        "keterangan_jabatan": _cell_text(raw["keterangan_jabatan"]),
        "nik": _cell_text(raw["nik"]),
        "nipd": _cell_text(raw["nipd"]),
        "jenis_kelamin": jk_text,
        "tanggal_mulai": _parse_date(raw["tanggal_mulai"], row_no, labels["tanggal_mulai"], errors),
    }
    if len(errors) > before:
        return None
    candidate = Perangkat(desa=desa, **fields)
    try:
        candidate.full_clean(exclude=["desa"], validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            label = labels.get(name, name)
            for message in messages:
                errors.append(_("Baris %(row)d: %(col)s — %(msg)s") % {"row": row_no, "col": label, "msg": message})
        return None
    return desa, fields


@transaction.atomic
def perangkat_import_xlsx(*, actor: User, data: bytes) -> ImportResult:
    """Import every row or none. Rows with a NIK that already exists in scope update that perangkat."""
    rows = _read_rows(data)
    if not rows:
        raise ImportRejected([_("Berkas tidak berisi baris data.")])
    desa_by_kode = {d.kode: d for d in restrict(Desa.objects.all(), actor)}
    errors: list[str] = []
    valid: list[tuple[int, Desa, dict]] = []
    seen_nik: dict[str, int] = {}
    for row_no, raw in rows:
        parsed = _validate_row(row_no, raw, actor=actor, desa_by_kode=desa_by_kode, errors=errors)
        if parsed is None:
            continue
        desa, fields = parsed
        if fields["nik"]:
            if fields["nik"] in seen_nik:
                errors.append(
                    _("Baris %(row)d: NIK %(nik)s sudah dipakai di baris %(other)d")
                    % {"row": row_no, "nik": fields["nik"], "other": seen_nik[fields["nik"]]}
                )
                continue
            seen_nik[fields["nik"]] = row_no
        valid.append((row_no, desa, fields))
    existing = {p.nik: p for p in Perangkat.objects.filter(nik__in=list(seen_nik)).select_related("desa")}
    in_scope_ids = set(restrict(Perangkat.objects.filter(nik__in=list(seen_nik)), actor).values_list("id", flat=True))
    for row_no, _desa, fields in valid:
        match = existing.get(fields["nik"]) if fields["nik"] else None
        if match is not None and match.id not in in_scope_ids:
            errors.append(
                _("Baris %(row)d: NIK %(nik)s sudah terdaftar di desa lain") % {"row": row_no, "nik": fields["nik"]}
            )
    if errors:
        raise ImportRejected(errors)
    result = ImportResult()
    for _row_no, desa, fields in valid:
        match = existing.get(fields["nik"]) if fields["nik"] else None
        if match is None:
            match = Perangkat.objects.filter(
                desa=desa, nama__iexact=fields["nama"], jabatan=fields["jabatan"], aktif=True
            ).first()
        if match is None:
            Perangkat.objects.create(desa=desa, **fields)
            result.created += 1
        else:
            for name, value in fields.items():
                if value not in ("", None):
                    setattr(match, name, value)
            match.desa = desa
            match.save()
            result.updated += 1
    return result
