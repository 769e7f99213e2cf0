"""Excel import of Musrenbang data: a desa's proposals (usulan kegiatan) and a meeting's named participants.

Like ``portal.perangkat_import``: a template to download, fill and upload back; the upload is checked by its
content (a real .xlsx, not a renamed file); the import is all-or-nothing in one transaction; and every error
names the row as Excel shows it and the column ("Baris 4, kolom Perkiraan biaya: harus angka rupiah tanpa
titik desimal"), all errors at once (up to ``MAX_ERRORS``). Writes go through ``musrenbang.services`` so
permissions, scope and validation are the same as in the forms."""

from __future__ import annotations

import io
import re
import warnings
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from musrenbang import services
from musrenbang.choices import Bidang, FundSource, ParticipantGroup
from musrenbang.models import Meeting, Participant, Proposal
from portal import files
from portal.exports import workbook_bytes
from portal.models import Desa, User
from portal.perangkat_import import _cell_text, _norm
from portal.scoping import in_scope

MAX_ROWS = 1000
MAX_ERRORS = 50
MAX_BYTES = 5 * 1024 * 1024


@dataclass(frozen=True)
class Column:
    key: str
    header: str  # the template's header cell
    label: str  # how errors name the column (the header checks only that the cell starts with it)
    width: int


PROPOSAL_COLUMNS = [
    Column("bidang", "Bidang (1-5)", "Bidang", 14),
    Column("sub_bidang", "Sub bidang", "Sub bidang", 24),
    Column("activity", "Kegiatan", "Kegiatan", 40),
    Column("location", "Lokasi", "Lokasi", 20),
    Column("volume", "Volume", "Volume", 10),
    Column("unit", "Satuan", "Satuan", 10),
    Column("estimated_cost", "Perkiraan biaya (Rp)", "Perkiraan biaya", 20),
    Column("fund_source", "Sumber dana (kode: dd/add/pades/apbd_kab/apbd_prov/apbn/lainnya)", "Sumber dana", 24),
    Column("beneficiaries", "Sasaran/penerima manfaat", "Sasaran/penerima manfaat", 28),
    Column("desa_rank", "Prioritas desa", "Prioritas desa", 12),
]
PROPOSAL_REQUIRED = ("bidang", "activity", "volume", "unit", "estimated_cost", "fund_source", "desa_rank")

PARTICIPANT_COLUMNS = [
    Column("name", "Nama", "Nama", 32),
    Column("group", "Kelompok", "Kelompok", 24),
    Column("gender", "Jenis kelamin (L/P)", "Jenis kelamin", 16),
    Column("origin", "Asal/jabatan", "Asal/jabatan", 32),
]

# Words offices write for a bidang besides its number and its full name.
_BIDANG_ALIASES = {
    "pemerintahan": Bidang.PEMERINTAHAN,
    "penyelenggaraan pemerintahan": Bidang.PEMERINTAHAN,
    "pembangunan": Bidang.PEMBANGUNAN,
    "pelaksanaan pembangunan": Bidang.PEMBANGUNAN,
    "pembinaan": Bidang.PEMBINAAN,
    "pembinaan kemasyarakatan": Bidang.PEMBINAAN,
    "pemberdayaan": Bidang.PEMBERDAYAAN,
    "pemberdayaan masyarakat": Bidang.PEMBERDAYAAN,
    "bencana": Bidang.BENCANA,
    "penanggulangan bencana": Bidang.BENCANA,
}
_BIDANG_NUMBERED = re.compile(r"^(?:bidang\s*)?([1-9])(?:\s*[.:)\-–]\s*(.*))?$")
_FUND_ALIASES = {"apbd kab": FundSource.APBD_KAB, "apbd prov": FundSource.APBD_PROV, "pad": FundSource.PADES}
_GROUP_ALIASES = {
    "perangkat": ParticipantGroup.PERANGKAT,
    "tokoh agama": ParticipantGroup.TOKOH_AGAMA,
    "tokoh masyarakat": ParticipantGroup.TOKOH_MASYARAKAT,
    "perempuan": ParticipantGroup.PEREMPUAN,
    "pkk": ParticipantGroup.PEREMPUAN,
    "karang taruna": ParticipantGroup.PEMUDA,
    "lain lain": ParticipantGroup.LAINNYA,
}
_GENDER_ALIASES = {
    "l": Participant.Gender.L, "laki laki": Participant.Gender.L, "laki-laki": Participant.Gender.L,
    "pria": Participant.Gender.L, "lk": Participant.Gender.L,
    "p": Participant.Gender.P, "perempuan": Participant.Gender.P, "wanita": Participant.Gender.P,
    "pr": Participant.Gender.P,
}  # fmt: skip

# Numbers written as text, Indonesian style: "1.250.000" (dots group thousands), "12,5" (comma decimal).
_GROUPED = re.compile(r"^\d{1,3}(?:\.\d{3})+(?:,\d+)?$")
_PLAIN_COMMA = re.compile(r"^\d+(?:,\d+)?$")
_PLAIN_DOT = re.compile(r"^\d+\.\d+$")  # "2.5": not a thousands group, so a decimal point
_RUPIAH_TAIL = re.compile(r"(?:,-|,00)$")  # "1.250.000,-" / "1.250.000,00"


class RowError(Exception):
    """One cell's problem; the caller adds the row and the column."""


# Parsing cells ----------------------------------------------------------------------------------------------


def _is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def parse_bidang(value) -> str:
    """A bidang code from "2", 2, "2. Pelaksanaan Pembangunan Desa", the full name or a word ("pembangunan")."""
    text = _cell_text(value)
    key = _norm(text)
    match = _BIDANG_NUMBERED.match(key)
    if match:
        code, name = match.groups()
        if code in Bidang.values and (not name or _norm(name) == _norm(Bidang(code).label)):
            return code
    else:
        for choice in Bidang:
            if key == _norm(choice.label):
                return choice.value
        if key in _BIDANG_ALIASES:
            return _BIDANG_ALIASES[key].value
    raise RowError(
        _("'%(val)s' bukan bidang; isi angka 1 sampai 5 atau nama bidang (lihat lembar Kode)") % {"val": text}
    )


def parse_fund_source(value) -> str:
    text = _cell_text(value)
    key = _norm(text)
    for choice in FundSource:
        if key in (_norm(choice.value), _norm(choice.label)):
            return choice.value
    if key in _FUND_ALIASES:
        return _FUND_ALIASES[key].value
    raise RowError(
        _("'%(val)s' bukan sumber dana; isi salah satu kode %(codes)s (lihat lembar Kode)")
        % {"val": text, "codes": "/".join(FundSource.values)}
    )


def _number_text(text: str) -> Decimal | None:
    text = text.replace(" ", "").replace("\u00a0", "")
    if _GROUPED.match(text):
        return Decimal(text.replace(".", "").replace(",", "."))
    if _PLAIN_COMMA.match(text):
        return Decimal(text.replace(",", "."))
    if _PLAIN_DOT.match(text):
        return Decimal(text)
    return None


def parse_rupiah(value) -> Decimal:
    """A whole number of rupiah: 1250000, 1250000.0, "1.250.000", "Rp 1.250.000,-"."""
    message = _("harus angka rupiah tanpa titik desimal, misalnya 1250000 atau 1.250.000")
    if isinstance(value, bool):
        raise RowError(message)
    if isinstance(value, int | float | Decimal):
        amount = Decimal(str(value))
    else:
        text = re.sub(r"^rp\.?", "", _cell_text(value).lower()).strip()
        text = _RUPIAH_TAIL.sub("", text.replace(" ", ""))
        if not re.fullmatch(r"\d+|\d{1,3}(?:\.\d{3})+", text):
            raise RowError(message)
        amount = Decimal(text.replace(".", ""))
    if amount != amount.to_integral_value():
        raise RowError(message)
    if amount < 0:
        raise RowError(_("tidak boleh negatif"))
    return amount.quantize(Decimal(1))


def parse_volume(value) -> Decimal:
    """A number with at most two decimals: 250, 12.5, "1.250", "12,5"."""
    if isinstance(value, bool):
        amount = None
    elif isinstance(value, int | float | Decimal):
        amount = Decimal(str(value))
    else:
        amount = _number_text(_cell_text(value))
    if amount is None:
        raise RowError(_("harus angka, misalnya 250 atau 12,5"))
    if amount < 0:
        raise RowError(_("tidak boleh negatif"))
    if amount != amount.quantize(Decimal("0.01")):
        raise RowError(_("paling banyak dua angka di belakang koma"))
    return amount


def parse_positive_int(value) -> int:
    message = _("harus bilangan bulat 1 atau lebih")
    try:
        if isinstance(value, bool):
            raise RowError(message)
        number = Decimal(str(value)) if isinstance(value, int | float | Decimal) else Decimal(_cell_text(value))
    except InvalidOperation:
        raise RowError(message)
    if not number.is_finite() or number != number.to_integral_value() or number < 1 or number > 32767:
        raise RowError(message)
    return int(number)


def parse_group(value) -> str:
    text = _cell_text(value)
    key = _norm(text)
    for choice in ParticipantGroup:
        if key in (_norm(choice.value), _norm(choice.label)):
            return choice.value
    if key in _GROUP_ALIASES:
        return _GROUP_ALIASES[key].value
    raise RowError(
        _("'%(val)s' bukan kelompok; isi salah satu: %(groups)s")
        % {"val": text, "groups": ", ".join(ParticipantGroup.values)}
    )


def parse_gender(value) -> str:
    text = _cell_text(value)
    gender = _GENDER_ALIASES.get(_norm(text))
    if gender is None:
        raise RowError(_("'%(val)s' harus L atau P") % {"val": text})
    return gender.value


# Reading the workbook ---------------------------------------------------------------------------------------


def _errors_out(errors: list[str]) -> ValidationError:
    if len(errors) > MAX_ERRORS:
        rest = len(errors) - MAX_ERRORS
        errors = [*errors[:MAX_ERRORS], _("… dan %(n)d kesalahan lain.") % {"n": rest}]
    return ValidationError(errors)


def _cell_error(row_no: int, column: Column, message: str) -> str:
    return _("Baris %(row)d, kolom %(col)s: %(msg)s") % {"row": row_no, "col": column.label, "msg": message}


def _read_rows(data: bytes, columns: list[Column]) -> list[tuple[int, dict]]:
    """The data rows as (Excel row number, {key: raw value}); fully empty rows are skipped. The bytes must be
    a real .xlsx by content (``files.check_upload``), whatever the user named the file."""
    upload = SimpleUploadedFile("impor.xlsx", bytes(data or b""))
    try:
        files.check_upload(upload, allowed_kinds={files.KIND_XLSX}, max_bytes=MAX_BYTES)
    except files.UploadRejected as exc:
        raise ValidationError(exc.messages) from exc
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # openpyxl warns about harmless extensions (data validation, styles)
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        ws = wb.worksheets[0]
        rows = ws.iter_rows(max_col=len(columns), values_only=True)
        header = [_norm(_cell_text(v)) for v in (next(rows, None) or ())]
        header += [""] * (len(columns) - len(header))
        wrong = [c for c, h in zip(columns, header, strict=False) if not h.startswith(_norm(c.label))]
        if wrong:
            raise ValidationError(
                [
                    _(
                        "Baris 1: judul kolom tidak sesuai templat (kolom %(cols)s). Unduh templat terbaru dan isi "
                        "tanpa mengubah judul kolom."
                    )
                    % {"cols": ", ".join(c.label for c in wrong)}
                ]
            )
        result = []
        for row_no, values in enumerate(rows, start=2):
            if values is None or all(_is_blank(v) for v in values):
                continue
            padded = [*values, *([None] * len(columns))]
            result.append((row_no, {c.key: padded[i] for i, c in enumerate(columns)}))
            if len(result) > MAX_ROWS:
                raise ValidationError([_("Terlalu banyak baris: paling banyak %(n)d per berkas.") % {"n": MAX_ROWS}])
    finally:
        wb.close()
    if not result:
        raise ValidationError([_("Berkas tidak berisi baris data: isi mulai baris 2 di bawah judul kolom.")])
    return result


def _model_errors(exc: ValidationError, row_no: int, columns: list[Column]) -> list[str]:
    """A model's ValidationError turned into "Baris N, kolom X: …" messages."""
    by_key = {c.key: c for c in columns}
    if not hasattr(exc, "error_dict"):
        return [_("Baris %(row)d: %(msg)s") % {"row": row_no, "msg": m} for m in exc.messages]
    result = []
    for name, messages in exc.message_dict.items():
        for message in messages:
            if name in by_key:
                result.append(_cell_error(row_no, by_key[name], message))
            else:
                result.append(_("Baris %(row)d: %(msg)s") % {"row": row_no, "msg": message})
    return result


def _header_sheet(ws, columns: list[Column]) -> None:
    ws.append([c.header for c in columns])
    for i, column in enumerate(columns, start=1):
        cell = ws.cell(row=1, column=i)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="E9ECEF")
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        ws.column_dimensions[get_column_letter(i)].width = column.width
    ws.row_dimensions[1].height = 45
    ws.freeze_panes = "A2"


def _list_validation(ws, values: list[str], column: int, *, allow_blank: bool = False) -> None:
    letter = get_column_letter(column)
    validation = DataValidation(type="list", formula1=f'"{",".join(values)}"', allow_blank=allow_blank)
    validation.showErrorMessage = False  # names are accepted too; the import decides
    ws.add_data_validation(validation)
    validation.add(f"{letter}2:{letter}{MAX_ROWS + 1}")


# Proposals --------------------------------------------------------------------------------------------------


def proposals_template_xlsx() -> bytes:
    """The workbook a desa fills with its usulan: sheet "Usulan" (header row) and sheet "Kode" (valid codes)."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Usulan"
    _header_sheet(ws, PROPOSAL_COLUMNS)
    keys = [c.key for c in PROPOSAL_COLUMNS]
    _list_validation(ws, list(Bidang.values), keys.index("bidang") + 1)
    _list_validation(ws, list(FundSource.values), keys.index("fund_source") + 1)
    for key in ("estimated_cost",):
        letter = get_column_letter(keys.index(key) + 1)
        for row in range(2, 202):
            ws[f"{letter}{row}"].number_format = "#,##0"
    codes = wb.create_sheet("Kode")
    codes.append(["Bidang", "Nama bidang"])
    for choice in Bidang:
        codes.append([choice.value, str(choice.label)])
    codes.append([])
    codes.append(["Kode sumber dana", "Sumber dana"])
    for choice in FundSource:
        codes.append([choice.value, str(choice.label)])
    codes.append([])
    codes.append(["Petunjuk", "Isi satu usulan per baris mulai baris 2. Wajib: bidang, kegiatan, volume, satuan, "
                  "perkiraan biaya, sumber dana, prioritas desa."])  # fmt: skip
    codes.append(["", "Bidang boleh angka 1–5 atau namanya; sumber dana boleh kode atau namanya."])
    codes.append(
        ["", "Angka boleh ditulis 1250000 atau 1.250.000; biaya tanpa desimal. Prioritas desa: 1 = terpenting."]
    )
    for row in codes.iter_rows():
        if row[0].value in ("Bidang", "Kode sumber dana", "Petunjuk"):
            for cell in row:
                cell.font = Font(bold=True)
    codes.column_dimensions["A"].width = 18
    codes.column_dimensions["B"].width = 70
    return workbook_bytes(wb)


def _parse_proposal_row(row_no: int, raw: dict, errors: list[str]) -> dict | None:
    parsers = {
        "bidang": parse_bidang, "volume": parse_volume, "estimated_cost": parse_rupiah,
        "fund_source": parse_fund_source, "desa_rank": parse_positive_int,
    }  # fmt: skip
    before = len(errors)
    fields: dict = {}
    for column in PROPOSAL_COLUMNS:
        value = raw[column.key]
        if _is_blank(value):
            if column.key in PROPOSAL_REQUIRED:
                errors.append(_cell_error(row_no, column, _("wajib diisi")))
            else:
                fields[column.key] = ""
            continue
        parser = parsers.get(column.key)
        try:
            fields[column.key] = parser(value) if parser else _cell_text(value)
        except RowError as exc:
            errors.append(_cell_error(row_no, column, str(exc)))
    return fields if len(errors) == before else None


@transaction.atomic
def proposals_import_xlsx(*, actor: User, desa: Desa, year: int, data: bytes) -> list[Proposal]:
    """Create one proposal of ``desa`` for cycle ``year`` per filled row, through ``services.proposal_create``
    (which checks the role and the scope: PermissionDenied). Every row or none: any error raises
    ValidationError listing all errors (up to MAX_ERRORS), and nothing is saved."""
    if not in_scope(desa, actor):  # early, so an outsider learns nothing about the file; the service re-checks
        raise PermissionDenied
    rows = _read_rows(data, PROPOSAL_COLUMNS)
    errors: list[str] = []
    created: list[Proposal] = []
    for row_no, raw in rows:
        fields = _parse_proposal_row(row_no, raw, errors)
        if fields is None:
            continue
        try:
            created.append(services.proposal_create(actor=actor, desa=desa, year=year, **fields))
        except ValidationError as exc:  # the row's savepoint is rolled back; keep collecting
            errors.extend(_model_errors(exc, row_no, PROPOSAL_COLUMNS))
    if errors:
        raise _errors_out(errors)  # leaving the atomic block with an exception undoes the rows created
    return created


# Participants -----------------------------------------------------------------------------------------------


def participants_template_xlsx() -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "Peserta"
    _header_sheet(ws, PARTICIPANT_COLUMNS)
    keys = [c.key for c in PARTICIPANT_COLUMNS]
    _list_validation(ws, list(ParticipantGroup.values), keys.index("group") + 1)
    _list_validation(ws, list(Participant.Gender.values), keys.index("gender") + 1)
    codes = wb.create_sheet("Kode")
    codes.append(["Kode kelompok", "Kelompok"])
    for choice in ParticipantGroup:
        codes.append([choice.value, str(choice.label)])
    codes.append([])
    codes.append(["Jenis kelamin", ""])
    for choice in Participant.Gender:
        codes.append([choice.value, str(choice.label)])
    for row in codes.iter_rows():
        if row[0].value in ("Kode kelompok", "Jenis kelamin"):
            for cell in row:
                cell.font = Font(bold=True)
    codes.column_dimensions["A"].width = 20
    codes.column_dimensions["B"].width = 30
    return workbook_bytes(wb)


@transaction.atomic
def participants_import_xlsx(*, actor: User, meeting: Meeting, data: bytes) -> int:
    """Add the named participants of the sheet to ``meeting`` (earlier ones are kept). Every row or none.
    Returns how many were added."""
    if not services.can_edit_meeting(actor, meeting):
        raise PermissionDenied
    rows = _read_rows(data, PARTICIPANT_COLUMNS)
    by_key = {c.key: c for c in PARTICIPANT_COLUMNS}
    parsers = {"group": parse_group, "gender": parse_gender}
    errors: list[str] = []
    valid: list[Participant] = []
    for row_no, raw in rows:
        before = len(errors)
        fields: dict = {}
        for key, column in by_key.items():
            value = raw[key]
            if _is_blank(value):
                if key != "origin":
                    errors.append(_cell_error(row_no, column, _("wajib diisi")))
                fields[key] = ""
                continue
            try:
                fields[key] = parsers[key](value) if key in parsers else _cell_text(value)
            except RowError as exc:
                errors.append(_cell_error(row_no, column, str(exc)))
        if len(errors) > before:
            continue
        participant = Participant(meeting=meeting, **fields)
        try:
            participant.full_clean(exclude=["meeting"])
        except ValidationError as exc:
            errors.extend(_model_errors(exc, row_no, PARTICIPANT_COLUMNS))
            continue
        valid.append(participant)
    if errors:
        raise _errors_out(errors)
    Participant.objects.bulk_create(valid)
    return len(valid)
