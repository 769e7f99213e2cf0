"""Seed the document types and their deadline rules (shared/reference/domain.md §1). Admins edit them later;
codes are stable identifiers used by the API, filters and spreadsheets."""

from django.db import migrations

TYPES = [
    # code, name, legal basis, rule, extra fields
    ("RKPDES", "RKPDes (Rencana Kerja Pemerintah Desa)", "Permendesa PDTT 21/2020 Pasal 22(4)", "fixed",
     {"fixed_month": 9, "fixed_day": 30, "year_offset": -1, "sort_order": 10}),
    ("RAPERDES_APBDES", "Raperdes APBDes untuk dievaluasi", "Permendagri 20/2018", "offset",
     {"offset_days": 3, "offset_unit": "calendar", "trigger_label": "Tanggal kesepakatan bersama Kepala Desa dan BPD",
      "sort_order": 20}),
    ("EVALUASI_APBDES", "Evaluasi Raperdes APBDes oleh kecamatan", "Permendagri 20/2018 Pasal 35–36", "offset",
     {"offset_days": 20, "offset_unit": "working", "trigger_label": "Tanggal Raperdes APBDes diterima kecamatan",
      "responsible": "kecamatan", "roll_to_working_day": True, "sort_order": 30}),
    ("APBDES", "Perdes APBDes", "Permendagri 20/2018", "fixed",
     {"fixed_month": 12, "fixed_day": 31, "year_offset": -1, "sort_order": 40}),
    ("LAP_SEMESTER_1", "Laporan pelaksanaan APBDes semester I", "Permendagri 20/2018 Pasal 68", "fixed",
     {"fixed_month": 7, "fixed_day": 14, "year_offset": 0, "sort_order": 50,
      "description": "Minggu kedua Juli tahun berjalan; tanggal dapat diubah admin."}),
    ("LPJ_APBDES", "LPJ realisasi pelaksanaan APBDes", "Permendagri 20/2018 Pasal 70", "fixed",
     {"fixed_month": 3, "fixed_day": 31, "year_offset": 1, "sort_order": 60}),
    ("LPPD", "LPPD akhir tahun anggaran", "Permendagri 46/2016", "fixed",
     {"fixed_month": 3, "fixed_day": 31, "year_offset": 1, "sort_order": 70}),
    ("IPPD", "Informasi Penyelenggaraan Pemerintahan Desa (IPPD)", "Permendagri 46/2016 Pasal 10", "fixed",
     {"fixed_month": 3, "fixed_day": 31, "year_offset": 1, "sort_order": 80}),
    ("PERDES", "Perdes yang telah diundangkan", "PP 43/2014 Pasal 84", "offset",
     {"offset_days": 7, "offset_unit": "calendar", "trigger_label": "Tanggal Perdes diundangkan", "per_event": True,
      "sort_order": 90}),
    ("SPJ_DD", "SPJ / laporan realisasi Dana Desa per tahap", "PP 60/2014 jo. PP 8/2016 Pasal 24; PMK tahunan",
     "yearly_table", {"sort_order": 100, "description": "Tanggal per tahap ditetapkan tiap tahun (PMK/Perbup)."}),
    ("SPJ_ADD", "SPJ Alokasi Dana Desa per tahap", "Perbup Lamongan tahunan tentang ADD", "yearly_table",
     {"sort_order": 110, "description": "Tanggal per tahap ditetapkan tiap tahun oleh Perbup."}),
]


def seed(apps, schema_editor):
    DocumentType = apps.get_model("monev", "DocumentType")
    for code, name, basis, rule, extra in TYPES:
        DocumentType.objects.update_or_create(
            code=code, defaults={"name": name, "legal_basis": basis, "rule_kind": rule, **extra}
        )
    raperdes = DocumentType.objects.get(code="RAPERDES_APBDES")
    DocumentType.objects.filter(code="EVALUASI_APBDES").update(trigger_from=raperdes, accepts_xlsx=False)


class Migration(migrations.Migration):
    dependencies = [("monev", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
