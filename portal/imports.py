"""Excel imports: the one way a filled-in template becomes rows (perangkat, Musrenbang proposals and
participants, and any import after them).

Flow: a web form or an API view takes the upload through ``upload_bytes`` (an .xlsx by its content, at most
``MAX_BYTES``, so the error sits under the file field); the app's import service hands the bytes to
``rows_import`` with its ``Column`` list and a function that saves one row. ``rows_import`` checks the content
again (a service may be called with any bytes), reads the first sheet, checks the header row, parses every
cell, and calls the row function inside one transaction. Every problem becomes a message that names the row
as Excel shows it and the column ("Baris 7, kolom Jabatan: 'Kaur X' tidak dikenal"); if there is any, nothing
is kept and ``ImportRejected`` lists them all (up to ``MAX_ERRORS``).
"""

from __future__ import annotations

import datetime as dt
import io
import re
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils.translation import gettext as _
from openpyxl import load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from portal import files

MAX_BYTES = 5 * 1024 * 1024  # an import template filled by hand stays far below this
MAX_ROWS = 1000
MAX_ERRORS = 50  # beyond this a list of errors is no longer read; the rest are counted

T = TypeVar("T")


class ImportRejected(ValidationError):
    """The whole workbook is refused and nothing was saved. ``errors`` are the messages for the user, each
    naming its row (and column) where it has one."""

    def __init__(self, errors: Sequence[str], *_copied):  # *_copied: copy/pickle re-create from ``args``
        errors = list(errors)
        if len(errors) > MAX_ERRORS:
            rest = len(errors) - MAX_ERRORS
            errors = [*errors[:MAX_ERRORS], _("… dan %(n)d kesalahan lain.") % {"n": rest}]
        super().__init__(errors)

    @property
    def errors(self) -> list[str]:
        return self.messages


class CellError(Exception):
    """One cell's problem, raised by a ``Column.parse``; ``rows_import`` adds the row and the column."""


@dataclass(frozen=True)
class Column:
    key: str  # the field the row function receives
    header: str  # the template's header cell
    label: str  # how errors name the column; the uploaded header cell must start with it
    width: int = 16
    required: bool = False
    parse: Callable[[Any], Any] | None = None  # raises CellError; without one the cell's text is taken
    empty: Any = ""  # what a blank cell gives when it is not required


# Cells ------------------------------------------------------------------------------------------------------


def cell_text(value) -> str:
    """A cell as text; Excel's 3524130101850001.0 (a number typed without a leading apostrophe) loses its ".0"."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


_RUPIAH_TAIL = re.compile(r"(?:,-|,00)$")  # "1.250.000,-" / "1.250.000,00"
RUPIAH_LIMIT = Decimal(10) ** 16  # above any desa budget; beyond the database's 18 digits is an error, not a crash


def parse_rupiah(value) -> Decimal:
    """A whole, non-negative number of rupiah: 1250000, 1250000.0, "1.250.000", "Rp 1.250.000,-"."""
    message = _("harus angka rupiah tanpa desimal, misalnya 1250000 atau 1.250.000")
    if isinstance(value, bool):
        raise CellError(message)
    if isinstance(value, int | float | Decimal):
        amount = Decimal(str(value))
    else:
        text = re.sub(r"^rp\.?", "", cell_text(value).lower()).strip()
        text = _RUPIAH_TAIL.sub("", text.replace(" ", ""))
        if not re.fullmatch(r"\d+|\d{1,3}(?:\.\d{3})+", text):
            raise CellError(message)
        amount = Decimal(text.replace(".", ""))
    if not amount.is_finite() or amount != amount.to_integral_value() or amount >= RUPIAH_LIMIT:
        raise CellError(message)
    if amount < 0:
        raise CellError(_("tidak boleh negatif"))
    return amount.quantize(Decimal(1))


def norm(text: str) -> str:
    """Text compared loosely: lower case, "_" as a space, runs of spaces as one."""
    return re.sub(r"\s+", " ", str(text).strip().lower().replace("_", " "))


def is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def cell_error(row_no: int, column: Column, message: str) -> str:
    return _("Baris %(row)d, kolom %(col)s: %(msg)s") % {"row": row_no, "col": column.label, "msg": message}


def row_error(row_no: int, message: str) -> str:
    return _("Baris %(row)d: %(msg)s") % {"row": row_no, "msg": message}


def parse_date(value) -> dt.date:
    """A date cell, or text written dd/mm/yyyy (also dd-mm-yyyy and yyyy-mm-dd)."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = cell_text(value)
    for fmt in ("%d/%m/%Y", "%d-%m-%Y", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise CellError(_("'%(val)s' bukan tanggal dd/mm/yyyy") % {"val": text})


# Reading ----------------------------------------------------------------------------------------------------


def upload_bytes(upload) -> bytes:
    """The bytes of an uploaded workbook after ``files.check_upload`` (raises ``files.UploadRejected``, a
    ValidationError: a form shows it under its field)."""
    files.check_upload(upload, allowed_kinds={files.KIND_XLSX}, max_bytes=MAX_BYTES)
    return upload.read()


def _check_content(data: bytes) -> None:
    try:
        files.check_upload(
            SimpleUploadedFile("impor.xlsx", bytes(data or b"")), allowed_kinds={files.KIND_XLSX}, max_bytes=MAX_BYTES
        )
    except files.UploadRejected as exc:
        raise ImportRejected(exc.messages) from exc


def _check_header(header: list[str], columns: Sequence[Column]) -> None:
    header = [*header, *([""] * (len(columns) - len(header)))]
    wrong = [c for c, h in zip(columns, header, strict=False) if not h.startswith(norm(c.label))]
    if wrong:
        raise ImportRejected(
            [
                _(
                    "Baris 1: judul kolom tidak sesuai templat (kolom %(cols)s). Unduh templat terbaru dan isi "
                    "tanpa mengubah judul kolom."
                )
                % {"cols": ", ".join(c.label for c in wrong)}
            ]
        )


def read_rows(data: bytes, columns: Sequence[Column], *, max_rows: int = MAX_ROWS) -> list[tuple[int, dict]]:
    """The data rows of the first sheet as (Excel row number, {key: raw value}); fully empty rows are skipped.
    The bytes must be a real .xlsx by content, whatever the user named the file."""
    _check_content(data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # openpyxl warns about harmless extensions (data validation, styles)
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        rows = wb.worksheets[0].iter_rows(max_col=len(columns), values_only=True)
        _check_header([norm(cell_text(v)) for v in (next(rows, None) or ())], columns)
        result = []
        for row_no, values in enumerate(rows, start=2):
            if values is None or all(is_blank(v) for v in values):
                continue
            padded = [*values, *([None] * len(columns))]
            result.append((row_no, {c.key: padded[i] for i, c in enumerate(columns)}))
            if len(result) > max_rows:
                raise ImportRejected([_("Terlalu banyak baris: paling banyak %(n)d per berkas.") % {"n": max_rows}])
    finally:
        wb.close()
    if not result:
        raise ImportRejected([_("Berkas tidak berisi baris data: isi mulai baris 2 di bawah judul kolom.")])
    return result


def parse_row(row_no: int, raw: dict, columns: Sequence[Column], errors: list[str]) -> dict | None:
    """The row's fields, or None after adding one error per bad cell to ``errors``."""
    before = len(errors)
    fields: dict = {}
    for column in columns:
        value = raw[column.key]
        if is_blank(value):
            if column.required:
                errors.append(cell_error(row_no, column, _("wajib diisi")))
            fields[column.key] = column.empty
            continue
        try:
            fields[column.key] = column.parse(value) if column.parse else cell_text(value)
        except CellError as exc:
            errors.append(cell_error(row_no, column, str(exc)))
    return fields if len(errors) == before else None


def model_errors(exc: ValidationError, row_no: int, columns: Sequence[Column]) -> list[str]:
    """A model's or a service's ValidationError as "Baris N, kolom X: …" messages (keys are column keys)."""
    if not hasattr(exc, "error_dict"):
        return [row_error(row_no, message) for message in exc.messages]
    by_key = {c.key: c for c in columns}
    result = []
    for name, messages in exc.message_dict.items():
        for message in messages:
            column = by_key.get(name)
            result.append(cell_error(row_no, column, message) if column else row_error(row_no, message))
    return result


@transaction.atomic
def rows_import(
    data: bytes, columns: Sequence[Column], save_row: Callable[[int, dict], T], *, max_rows: int = MAX_ROWS
) -> list[T]:
    """Read the workbook and call ``save_row(row_no, fields)`` for every row whose cells parse; a
    ValidationError it raises (keyed by column keys, as services raise them) becomes that row's errors and
    the next rows are still tried, so the user sees every problem at once. Every row or none: with any error
    the transaction is rolled back and ``ImportRejected`` raised. Returns what ``save_row`` returned."""
    errors: list[str] = []
    saved: list[T] = []
    for row_no, raw in read_rows(data, columns, max_rows=max_rows):
        fields = parse_row(row_no, raw, columns, errors)
        if fields is None:
            continue
        try:
            saved.append(save_row(row_no, fields))
        except ValidationError as exc:  # the services are atomic: the row's own writes are already undone
            errors.extend(model_errors(exc, row_no, columns))
    if errors:
        raise ImportRejected(errors)  # leaving the atomic block with an exception undoes the rows saved
    return saved


# Templates --------------------------------------------------------------------------------------------------


def template_sheet(ws, columns: Sequence[Column]) -> None:
    """The header row of an import template: bold, shaded, wrapped, frozen, each column its width."""
    ws.append([c.header for c in columns])
    for i, column in enumerate(columns, start=1):
        cell = ws.cell(row=1, column=i)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="E9ECEF")
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        ws.column_dimensions[get_column_letter(i)].width = column.width
    ws.row_dimensions[1].height = 45
    ws.freeze_panes = "A2"


def list_validation(ws, values: Sequence[str], column: int, *, rows: int = MAX_ROWS) -> None:
    """A drop-down of ``values`` on a template column (1-based). Other text is allowed: the imports also
    accept names and aliases, and decide themselves."""
    letter = get_column_letter(column)
    validation = DataValidation(type="list", formula1=f'"{",".join(values)}"', allow_blank=False)
    validation.showErrorMessage = False
    ws.add_data_validation(validation)
    validation.add(f"{letter}2:{letter}{rows + 1}")
