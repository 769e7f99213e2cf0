"""Excel import of a desa's draft APBDes lines, on ``portal.imports``.

Layout (after the Siskeudes "APBDes per bidang" report): Kode Rekening | Uraian | Anggaran (Rp) | Sumber Dana
| Sub bidang / kegiatan. One rincian line per row; group totals (bidang, jenis) are computed by the portal and
must not be typed as rows. All rows or none; every error names its row and column."""

from __future__ import annotations

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from monev import rules_apbdes
from monev.models_apbdes import FundSource
from portal.exports import workbook_bytes
from portal.imports import CellError, Column, cell_text, list_validation, norm, parse_rupiah, template_sheet

# Names offices write for a sumber dana besides the Siskeudes code.
_FUND_ALIASES = {
    "dd": FundSource.DDS,
    "dana desa": FundSource.DDS,
    "alokasi dana desa": FundSource.ADD,
    "bhp": FundSource.PBH,
    "bhpr": FundSource.PBH,
    "bagi hasil pajak": FundSource.PBH,
    "pades": FundSource.PAD,
    "bkk": FundSource.BKK,
    "bkp": FundSource.BKP,
    "silpa": FundSource.SILPA,
    "lain lain": FundSource.DLL,
}


def parse_kode(value) -> str:
    text = cell_text(value).replace(" ", "")
    error = rules_apbdes.kode_error(text)
    if error:
        raise CellError(error)
    return text


def parse_fund_source(value) -> str:
    text = cell_text(value)
    key = norm(text)
    for choice in FundSource:
        if key in (norm(choice.value), norm(choice.label)):
            return choice.value
    if key in _FUND_ALIASES:
        return _FUND_ALIASES[key].value
    raise CellError(
        _("'%(val)s' bukan sumber dana; isi salah satu kode %(codes)s") % {"val": text, "codes": "/".join(FundSource)}
    )


def parse_uraian(value) -> str:
    text = cell_text(value)
    if len(text) > 255:
        raise CellError(_("paling banyak 255 huruf"))
    return text


COLUMNS = [
    Column("kode", "Kode Rekening", "Kode Rekening", 16, required=True, parse=parse_kode),
    Column("uraian", "Uraian", "Uraian", 48, required=True, parse=parse_uraian),
    Column("amount", "Anggaran (Rp)", "Anggaran", 20, required=True, parse=parse_rupiah),
    Column(
        "fund_source",
        "Sumber Dana (DDS/ADD/PBH/PAD/BKK/BKP/SILPA/DLL)",
        "Sumber Dana",
        22,
        required=True,
        parse=parse_fund_source,
    ),
    Column("sub_bidang", "Sub bidang / kegiatan (belanja)", "Sub bidang", 36, parse=parse_uraian),
]

EXAMPLE = [
    ("4.1.1", "Hasil usaha desa", 15000000, "PAD", ""),
    ("4.2.1", "Dana Desa", 900000000, "DDS", ""),
    ("4.2.3", "Alokasi Dana Desa", 450000000, "ADD", ""),
    ("5.1.1.01", "Penghasilan tetap dan tunjangan Kepala Desa", 60000000, "ADD", "Penyelenggaraan belanja siltap"),
    ("5.2.2.01", "Pembangunan jalan usaha tani", 300000000, "DDS", "Pekerjaan umum dan penataan ruang"),
    ("6.1.1", "SiLPA tahun sebelumnya", 10000000, "SILPA", ""),
]


def template_xlsx() -> bytes:
    """Sheet "APBDes" (header row) and sheet "Petunjuk" (codes and an example)."""
    wb = Workbook()
    ws = wb.active
    ws.title = "APBDes"
    template_sheet(ws, COLUMNS)
    keys = [c.key for c in COLUMNS]
    list_validation(ws, list(FundSource.values), keys.index("fund_source") + 1)
    letter = get_column_letter(keys.index("amount") + 1)
    for row in range(2, 402):
        ws[f"{letter}{row}"].number_format = "#,##0"
    help_ws = wb.create_sheet("Petunjuk")
    bold = []
    help_ws.append([_("Kode rekening"), _("Arti")])
    bold.append(help_ws.max_row)
    help_ws.append(["4.x.x", _("Pendapatan, mis. 4.1.1 hasil usaha desa, 4.2.1 Dana Desa")])
    for number, name in rules_apbdes.BIDANG_NAMES.items():
        help_ws.append([f"5.{number}.x.x", _("Belanja bidang %(n)s %(name)s") % {"n": number, "name": name}])
    help_ws.append(["6.1.x", _("Penerimaan pembiayaan (SiLPA, pencairan dana cadangan …)")])
    help_ws.append(["6.2.x", _("Pengeluaran pembiayaan (pembentukan dana cadangan, penyertaan modal …)")])
    help_ws.append([])
    help_ws.append([_("Sumber dana"), ""])
    bold.append(help_ws.max_row)
    for choice in FundSource:
        help_ws.append([choice.value, str(choice.label)])
    help_ws.append([])
    help_ws.append([_("Petunjuk"), _("Satu baris rincian per baris mulai baris 2; jangan tulis baris jumlah.")])
    bold.append(help_ws.max_row)
    help_ws.append(["", _("Anggaran tanpa desimal: 1250000 atau 1.250.000.")])
    help_ws.append([])
    help_ws.append([_("Contoh"), ""])
    bold.append(help_ws.max_row)
    for row in EXAMPLE:
        help_ws.append(list(row))
    for row_no in bold:
        for cell in help_ws[row_no]:
            cell.font = Font(bold=True)
    help_ws.column_dimensions["A"].width = 16
    help_ws.column_dimensions["B"].width = 70
    return workbook_bytes(wb)


# Realisation per semester (from the desa's semester report / LPJ) -------------------------------------------

_CATEGORY_ALIASES = {
    "pendapatan": "pendapatan",
    "4": "pendapatan",
    "6.1": "pembiayaan_masuk",
    "penerimaan pembiayaan": "pembiayaan_masuk",
    "6.2": "pembiayaan_keluar",
    "pengeluaran pembiayaan": "pembiayaan_keluar",
    **{f"5.{n}": f"belanja_{n}" for n in rules_apbdes.BIDANG_NAMES},
    **{f"belanja bidang {n}": f"belanja_{n}" for n in rules_apbdes.BIDANG_NAMES},
}


def parse_semester(value) -> int:
    text = norm(cell_text(value))
    semesters = {"1": 1, "i": 1, "semester i": 1, "semester 1": 1, "2": 2, "ii": 2, "semester ii": 2, "semester 2": 2}
    if text not in semesters:
        raise CellError(_("'%(val)s' harus 1 atau 2 (semester I atau II)") % {"val": cell_text(value)})
    return semesters[text]


def parse_category(value) -> str:
    from monev.models_apbdes import RealisationCategory

    text = cell_text(value)
    key = norm(text)
    for choice in RealisationCategory:
        if key in (norm(choice.value), norm(choice.label)):
            return choice.value
    if key in _CATEGORY_ALIASES:
        return _CATEGORY_ALIASES[key]
    raise CellError(
        _("'%(val)s' bukan kelompok; isi 4, 5.1 sampai 5.5, 6.1, 6.2 atau kode %(codes)s")
        % {"val": text, "codes": "/".join(RealisationCategory.values)}
    )


REALISATION_COLUMNS = [
    Column("semester", "Semester (1/2)", "Semester", 12, required=True, parse=parse_semester),
    Column("category", "Kelompok (4, 5.1–5.5, 6.1, 6.2)", "Kelompok", 30, required=True, parse=parse_category),
    Column("amount", "Realisasi (Rp)", "Realisasi", 20, required=True, parse=parse_rupiah),
]


def realisation_template_xlsx() -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "Realisasi"
    template_sheet(ws, REALISATION_COLUMNS)
    for semester in (1, 2):
        for key in ["4", *[f"5.{n}" for n in rules_apbdes.BIDANG_NAMES], "6.1", "6.2"]:
            ws.append([semester, key, None])
    letter = get_column_letter(3)
    for row in range(2, 202):
        ws[f"{letter}{row}"].number_format = "#,##0"
    return workbook_bytes(wb)
