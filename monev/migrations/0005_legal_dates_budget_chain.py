"""Fixed legal dates stay where the regulation puts them; the budget chain gets its missing links.

- "geser ke hari kerja" off for every seeded type: "paling lambat 31 Desember N-1" is 31 December. Existing
  open obligations get their dates recomputed by `generate_obligations` / the daily beat job (which
  recomputes every open obligation of this year and next, recording each change as a Transition).
- RAPERDES_APBDES: while the BPD agreement is not recorded, the rule assumes the legal latest date for it,
  31 October N-1 (configurable on the type), so the Raperdes has a due date from the start.
- EVALUASI_APBDES records its result (sesuai / perlu perbaikan).
- PERBAIKAN_APBDES: after "perlu perbaikan" the desa revises within 20 hari kerja (Permendagri 20/2018
  Pasal 35); one obligation is created per such evaluation.
"""

from django.db import migrations

SEEDED = ["RKPDES", "RAPERDES_APBDES", "EVALUASI_APBDES", "APBDES", "LAP_SEMESTER_1", "LPJ_APBDES", "LPPD", "IPPD",
          "PERDES", "SPJ_DD", "SPJ_ADD"]


def forward(apps, schema_editor):
    DocumentType = apps.get_model("monev", "DocumentType")
    DocumentType.objects.filter(code__in=SEEDED).update(roll_to_working_day=False)
    DocumentType.objects.filter(code="RAPERDES_APBDES").update(fixed_month=10, fixed_day=31, year_offset=-1)
    DocumentType.objects.filter(code="EVALUASI_APBDES").update(outcome_required=True)
    evaluasi = DocumentType.objects.filter(code="EVALUASI_APBDES").first()
    DocumentType.objects.update_or_create(
        code="PERBAIKAN_APBDES",
        defaults={
            "name": "Perbaikan Raperdes APBDes hasil evaluasi",
            "legal_basis": "Permendagri 20/2018 Pasal 35",
            "description": "Desa dan BPD memperbaiki Raperdes APBDes paling lambat 20 hari kerja sejak hasil "
            "evaluasi 'perlu perbaikan' diterima.",
            "rule_kind": "offset",
            "offset_days": 20,
            "offset_unit": "working",
            "trigger_label": "Tanggal hasil evaluasi 'perlu perbaikan'",
            "trigger_from": evaluasi,
            "per_event": True,
            "sort_order": 35,
        },
    )


def backward(apps, schema_editor):
    DocumentType = apps.get_model("monev", "DocumentType")
    Obligation = apps.get_model("monev", "Obligation")
    if not Obligation.objects.filter(document_type__code="PERBAIKAN_APBDES").exists():
        DocumentType.objects.filter(code="PERBAIKAN_APBDES").delete()
    DocumentType.objects.filter(code="RAPERDES_APBDES").update(fixed_month=None, fixed_day=None, year_offset=0)
    DocumentType.objects.filter(code__in=SEEDED).update(roll_to_working_day=True)


class Migration(migrations.Migration):
    dependencies = [("monev", "0004_legal_due_date")]
    operations = [migrations.RunPython(forward, backward)]
