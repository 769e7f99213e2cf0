"""Excel import of Musrenbang data: a desa's proposals (usulan kegiatan) and a meeting's named participants.

Built on ``portal.imports``: a template to download, fill and upload back; the upload is checked by its
content (a real .xlsx, not a renamed file); the import is all-or-nothing in one transaction; and every error
names the row as Excel shows it and the column ("Baris 4, kolom Perkiraan biaya: harus angka rupiah tanpa
titik desimal"), all errors at once (up to ``portal.imports.MAX_ERRORS``). Writes go through
``musrenbang.services`` so permissions, scope and validation are the same as in the forms."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from musrenbang import services
from musrenbang.choices import Bidang, FundSource, ParticipantGroup
from musrenbang.models import Meeting, Participant, Proposal
from portal.exports import workbook_bytes
from portal.imports import (
    CellError,
    Column,
    cell_text,
    list_validation,
    norm,
    parse_rupiah,
    rows_import,
    template_sheet,
)
from portal.models import Desa, User
from portal.scoping import in_scope

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
    "l": Participant.Gender.L,
    "laki laki": Participant.Gender.L,
    "laki-laki": Participant.Gender.L,
    "pria": Participant.Gender.L,
    "lk": Participant.Gender.L,
    "p": Participant.Gender.P,
    "perempuan": Participant.Gender.P,
    "wanita": Participant.Gender.P,
    "pr": Participant.Gender.P,
}

# Numbers written as text, Indonesian style: "1.250.000" (dots group thousands), "12,5" (comma decimal).
_GROUPED = re.compile(r"^\d{1,3}(?:\.\d{3})+(?:,\d+)?$")
_PLAIN_COMMA = re.compile(r"^\d+(?:,\d+)?$")
_PLAIN_DOT = re.compile(r"^\d+\.\d+$")  # "2.5": not a thousands group, so a decimal point


# Parsing cells ----------------------------------------------------------------------------------------------


def parse_bidang(value) -> str:
    """A bidang code from "2", 2, "2. Pelaksanaan Pembangunan Desa", the full name or a word ("pembangunan")."""
    text = cell_text(value)
    key = norm(text)
    match = _BIDANG_NUMBERED.match(key)
    if match:
        code, name = match.groups()
        if code in Bidang.values and (not name or norm(name) == norm(Bidang(code).label)):
            return code
    else:
        for choice in Bidang:
            if key == norm(choice.label):
                return choice.value
        if key in _BIDANG_ALIASES:
            return _BIDANG_ALIASES[key].value
    raise CellError(
        _("'%(val)s' bukan bidang; isi angka 1 sampai 5 atau nama bidang (lihat lembar Kode)") % {"val": text}
    )


def parse_fund_source(value) -> str:
    text = cell_text(value)
    key = norm(text)
    for choice in FundSource:
        if key in (norm(choice.value), norm(choice.label)):
            return choice.value
    if key in _FUND_ALIASES:
        return _FUND_ALIASES[key].value
    raise CellError(
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


def parse_volume(value) -> Decimal:
    """A number with at most two decimals: 250, 12.5, "1.250", "12,5"."""
    if isinstance(value, bool):
        amount = None
    elif isinstance(value, int | float | Decimal):
        amount = Decimal(str(value))
    else:
        amount = _number_text(cell_text(value))
    if amount is None:
        raise CellError(_("harus angka, misalnya 250 atau 12,5"))
    if amount < 0:
        raise CellError(_("tidak boleh negatif"))
    if amount != amount.quantize(Decimal("0.01")):
        raise CellError(_("paling banyak dua angka di belakang koma"))
    return amount


def parse_positive_int(value) -> int:
    message = _("harus bilangan bulat 1 atau lebih")
    try:
        if isinstance(value, bool):
            raise CellError(message)
        number = Decimal(str(value)) if isinstance(value, int | float | Decimal) else Decimal(cell_text(value))
    except InvalidOperation:
        raise CellError(message)
    if not number.is_finite() or number != number.to_integral_value() or number < 1 or number > 32767:
        raise CellError(message)
    return int(number)


def parse_group(value) -> str:
    text = cell_text(value)
    key = norm(text)
    for choice in ParticipantGroup:
        if key in (norm(choice.value), norm(choice.label)):
            return choice.value
    if key in _GROUP_ALIASES:
        return _GROUP_ALIASES[key].value
    raise CellError(
        _("'%(val)s' bukan kelompok; isi salah satu: %(groups)s")
        % {"val": text, "groups": ", ".join(ParticipantGroup.values)}
    )


def parse_gender(value) -> str:
    text = cell_text(value)
    gender = _GENDER_ALIASES.get(norm(text))
    if gender is None:
        raise CellError(_("'%(val)s' harus L atau P") % {"val": text})
    return gender.value


# Columns ----------------------------------------------------------------------------------------------------

PROPOSAL_COLUMNS = [
    Column("bidang", "Bidang (1-5)", "Bidang", 14, required=True, parse=parse_bidang),
    Column("sub_bidang", "Sub bidang", "Sub bidang", 24),
    Column("activity", "Kegiatan", "Kegiatan", 40, required=True),
    Column("location", "Lokasi", "Lokasi", 20),
    Column("volume", "Volume", "Volume", 10, required=True, parse=parse_volume),
    Column("unit", "Satuan", "Satuan", 10, required=True),
    Column("estimated_cost", "Perkiraan biaya (Rp)", "Perkiraan biaya", 20, required=True, parse=parse_rupiah),
    Column(
        "fund_source",
        "Sumber dana (kode: dd/add/pades/apbd_kab/apbd_prov/apbn/lainnya)",
        "Sumber dana",
        24,
        required=True,
        parse=parse_fund_source,
    ),
    Column("beneficiaries", "Sasaran/penerima manfaat", "Sasaran/penerima manfaat", 28),
    Column("desa_rank", "Prioritas desa", "Prioritas desa", 12, required=True, parse=parse_positive_int),
]

PARTICIPANT_COLUMNS = [
    Column("name", "Nama", "Nama", 32, required=True),
    Column("group", "Kelompok", "Kelompok", 24, required=True, parse=parse_group),
    Column("gender", "Jenis kelamin (L/P)", "Jenis kelamin", 16, required=True, parse=parse_gender),
    Column("origin", "Asal/jabatan", "Asal/jabatan", 32),
]


# Proposals --------------------------------------------------------------------------------------------------


def proposals_template_xlsx() -> bytes:
    """The workbook a desa fills with its usulan: sheet "Usulan" (header row) and sheet "Kode" (valid codes)."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Usulan"
    template_sheet(ws, PROPOSAL_COLUMNS)
    keys = [c.key for c in PROPOSAL_COLUMNS]
    list_validation(ws, list(Bidang.values), keys.index("bidang") + 1)
    list_validation(ws, list(FundSource.values), keys.index("fund_source") + 1)
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
    codes.append(
        [
            "Petunjuk",
            "Isi satu usulan per baris mulai baris 2. Wajib: bidang, kegiatan, volume, satuan, "
            "perkiraan biaya, sumber dana, prioritas desa.",
        ]
    )
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


@transaction.atomic
def proposals_import_xlsx(*, actor: User, desa: Desa, year: int, data: bytes) -> list[Proposal]:
    """Create one proposal of ``desa`` for cycle ``year`` per filled row, through ``services.proposal_create``
    (which checks the role and the scope: PermissionDenied). Every row or none: any error raises
    ``ImportRejected`` listing all errors, and nothing is saved."""
    if not in_scope(desa, actor):  # early, so an outsider learns nothing about the file; the service re-checks
        raise PermissionDenied
    return rows_import(
        data,
        PROPOSAL_COLUMNS,
        lambda _row_no, fields: services.proposal_create(actor=actor, desa=desa, year=year, **fields),
    )


# Participants -----------------------------------------------------------------------------------------------


def participants_template_xlsx() -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "Peserta"
    template_sheet(ws, PARTICIPANT_COLUMNS)
    keys = [c.key for c in PARTICIPANT_COLUMNS]
    list_validation(ws, list(ParticipantGroup.values), keys.index("group") + 1)
    list_validation(ws, list(Participant.Gender.values), keys.index("gender") + 1)
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
    """Add the named participants of the sheet to ``meeting`` (earlier ones are kept), through
    ``services.participants_add``. Every row or none. Returns how many were added."""
    if not services.can_edit_meeting(actor, meeting):  # early, so an outsider learns nothing about the file
        raise PermissionDenied

    def check_row(_row_no: int, fields: dict) -> dict:
        # Checked row by row here so each error names its row; the service adds them all in one statement.
        Participant(meeting=meeting, **fields).full_clean(exclude=["meeting"])
        return fields

    rows = rows_import(data, PARTICIPANT_COLUMNS, check_row)
    return len(services.participants_add(actor=actor, meeting=meeting, rows=rows))
