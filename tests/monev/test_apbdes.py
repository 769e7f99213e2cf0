"""APBDes lines: the 20-working-day clock, the Excel import (errors by row and column, all or nothing), the
computed checks on a hand-built budget, and who may comment and sign."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from openpyxl import Workbook, load_workbook

from monev import imports_apbdes, rules_apbdes, selectors_apbdes, services_apbdes
from monev.choices import Outcome
from monev.models_apbdes import BudgetCheckRule, BudgetLine, BudgetRuleSet, BudgetVersion, KinerjaVerdict
from portal.calendar import WorkCalendar, calendar_for, package_holidays
from portal.imports import ImportRejected
from tests.monev.conftest import YEAR, obligation

D = Decimal

# Nyepi and Idul Fitri 2026 with their cuti bersama (SKB 3 Menteri): 18, 19, 20, 23, 24 March; Good Friday 3 April.
HOLIDAYS_2026 = frozenset(
    dt.date(2026, m, d) for m, d in [(3, 18), (3, 19), (3, 20), (3, 21), (3, 22), (3, 23), (3, 24), (4, 3)]
)


# The clock ----------------------------------------------------------------------------------------------------


def test_clock_across_idul_fitri_and_cuti_bersama():
    cal = WorkCalendar(HOLIDAYS_2026)
    received = dt.date(2026, 3, 16)  # Monday
    clock = rules_apbdes.evaluation_clock(received, dt.date(2026, 3, 16), cal)
    # Working days: 17/3, then 25/3 … skipping 18–24/3 and Good Friday 3/4: the 20th is Tuesday 21/04/2026.
    assert clock.due_on == dt.date(2026, 4, 21)
    assert clock.remaining == 20
    # Without the holidays the same count would end on 13/04/2026: the calendar is what moved it.
    assert rules_apbdes.evaluation_clock(received, received, WorkCalendar()).due_on == dt.date(2026, 4, 13)
    assert rules_apbdes.evaluation_clock(received, dt.date(2026, 3, 24), cal).remaining == 19
    assert rules_apbdes.evaluation_clock(received, dt.date(2026, 4, 21), cal).remaining == 0
    late = rules_apbdes.evaluation_clock(received, dt.date(2026, 4, 24), cal)
    assert late.overdue and late.overdue_days == 3
    signed = rules_apbdes.evaluation_clock(received, dt.date(2026, 5, 1), cal, done_on=dt.date(2026, 4, 20))
    assert signed.remaining == 1 and not signed.overdue


def test_clock_on_the_holiday_table(monev):
    """The same answer from the kecamatan's real table (package holidays and cuti bersama of 2026)."""
    assert set(HOLIDAYS_2026) <= set(package_holidays(2026)) | {dt.date(2026, 3, 21), dt.date(2026, 3, 22)}
    cal = calendar_for(kecamatan_id=monev.kecamatan.pk, years=[2026, 2027])
    assert rules_apbdes.evaluation_clock(dt.date(2026, 3, 16), dt.date(2026, 3, 16), cal).due_on == dt.date(2026, 4, 21)


# The import ---------------------------------------------------------------------------------------------------

HEADER = [c.header for c in imports_apbdes.COLUMNS]
GOOD = [
    ("4.1.1", "Hasil usaha desa", 20_000_000, "PAD", ""),
    ("4.2.1", "Dana Desa", 1_000_000_000, "DDS", ""),
    ("4.2.3", "Alokasi Dana Desa", 400_000_000, "ADD", ""),
    ("5.1.1.01", "Penghasilan tetap Kepala Desa", 380_000_000, "ADD", "Siltap"),
    ("5.2.2.01", "Jalan usaha tani", "500.000.000", "DDS", "Pekerjaan umum"),
    ("5.4.3.01", "Ketahanan pangan: bibit dan pupuk", 200_000_000, "DDS", "Pertanian dan peternakan"),
    ("5.5.3.01", "BLT Dana Desa", 150_000_000, "DDS", "Keadaan mendesak"),
    ("5.3.1.01", "Pembinaan PKK", 40_000_000, "PAD", ""),
    ("6.1.1", "SiLPA tahun sebelumnya", 60_000_000, "SILPA", ""),
    ("6.2.1", "Penyertaan modal BUM Desa", 10_000_000, "PAD", ""),
]


def workbook(rows) -> bytes:
    wb = Workbook()
    wb.active.append(HEADER)
    for row in rows:
        wb.active.append(list(row))
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def test_template_has_the_columns():
    sheet = load_workbook(io.BytesIO(imports_apbdes.template_xlsx())).worksheets[0]
    assert [c.value for c in sheet[1]] == HEADER


def test_import_makes_versions_and_keeps_the_old_one(monev):
    o = obligation(monev.desa_a, "EVALUASI_APBDES")
    first = services_apbdes.budget_import(actor=monev.operator_a, obligation=o, data=workbook(GOOD))
    second = services_apbdes.budget_import(actor=monev.operator_a, obligation=o, data=workbook(GOOD[:3]))
    assert (first.version, second.version) == (1, 2)
    assert first.lines.count() == len(GOOD) and second.lines.count() == 3
    assert first.lines.get(kode="5.2.2.01").amount == D(500_000_000)
    assert first.lines.get(row_no=2).kode == "4.1.1"


def test_import_errors_name_row_and_column_and_save_nothing(monev):
    o = obligation(monev.desa_a, "EVALUASI_APBDES")
    bad = [
        GOOD[0],
        ("7.1.1", "Kode salah", 1000, "PAD", ""),  # row 3: bad kode
        ("4.2.1", "Dana Desa", "satu juta", "DDS", ""),  # row 4: anggaran not a number
        ("4.2.3", "", 1000, "ADD", ""),  # row 5: uraian missing
        ("5.1.1.01", "Siltap", 1000, "XYZ", ""),  # row 6: unknown sumber dana
        ("5.9.1", "Bidang tidak ada", 1000, "DDS", ""),  # row 7: no bidang 9
    ]
    with pytest.raises(ImportRejected) as caught:
        services_apbdes.budget_import(actor=monev.operator_a, obligation=o, data=workbook(bad))
    errors = caught.value.errors
    assert any(e.startswith("Baris 3, kolom Kode Rekening:") and "7.1.1" in e for e in errors), errors
    assert any(e.startswith("Baris 4, kolom Anggaran:") for e in errors), errors
    assert any(e.startswith("Baris 5, kolom Uraian:") for e in errors), errors
    assert any(e.startswith("Baris 6, kolom Sumber Dana:") and "XYZ" in e for e in errors), errors
    assert any(e.startswith("Baris 7, kolom Kode Rekening:") for e in errors), errors
    assert len(errors) == 5
    assert not BudgetVersion.objects.exists() and not BudgetLine.objects.exists()


def test_import_refused_for_other_obligations_and_outsiders(monev):
    with pytest.raises(ValidationError):
        services_apbdes.budget_import(actor=monev.operator_a, obligation=obligation(monev.desa_a, "LPPD"), data=b"")
    o = obligation(monev.desa_a, "EVALUASI_APBDES")
    for user in (monev.operator_b, monev.outsider, monev.outsider_operator):
        with pytest.raises(PermissionDenied):
            services_apbdes.budget_import(actor=user, obligation=o, data=workbook(GOOD))
    assert not BudgetVersion.objects.exists()


# The checks ---------------------------------------------------------------------------------------------------


def lines():
    return [rules_apbdes.Line(k, D(a if isinstance(a, int) else a.replace(".", "")), s) for k, _u, a, s, _b in GOOD]


def test_totals_of_a_hand_built_budget():
    t = rules_apbdes.totals(lines())
    assert t.pendapatan == D(1_420_000_000)
    assert t.belanja == D(1_270_000_000)
    assert t.surplus == D(150_000_000)
    assert t.pembiayaan_netto == D(50_000_000)
    assert t.silpa == D(200_000_000)
    assert t.belanja_per_bidang["2"] == D(500_000_000)


def test_checks_pass_and_fail_with_figures():
    food = rules_apbdes.Rule(
        "Ketahanan pangan ≥ 20% DD",
        numerator_prefixes="5.4.3",
        numerator_sources="DDS",
        denominator_prefixes="4.2.1",
        min_percent=D(20),
    )
    blt = rules_apbdes.Rule(
        "BLT-DD paling banyak 15% DD",
        numerator_prefixes="5.5.3",
        numerator_sources="DDS",
        denominator_prefixes="4.2.1",
        max_percent=D(15),
    )
    strict_food = rules_apbdes.Rule(
        "Pangan ≥ 25%", numerator_prefixes="5.4.3", denominator_prefixes="4.2.1", min_percent=D(25)
    )
    balance = rules_apbdes.Rule("Seimbang", kind="balance")
    food_r, blt_r, strict_r, balance_r = rules_apbdes.checks([food, blt, strict_food, balance], lines())
    assert food_r.passed and food_r.percent == D("20.00") and food_r.numerator == D(200_000_000)
    assert "Rp 200.000.000 dari Rp 1.000.000.000 = 20,00%" in food_r.explanation
    assert blt_r.passed and blt_r.percent == D("15.00")
    assert not strict_r.passed
    assert not balance_r.passed and "SiLPA Rp 200.000.000" in balance_r.explanation
    balanced = [*lines(), rules_apbdes.Line("5.2.2.02", D(200_000_000), "DDS")]
    assert rules_apbdes.check(balance, balanced).passed
    assert not rules_apbdes.check(food, [rules_apbdes.Line("5.4.3.01", D(1), "DDS")]).passed  # no DD at all


def test_prefix_is_by_segment():
    assert rules_apbdes.has_prefix("5.1.2", "5.1") and not rules_apbdes.has_prefix("5.10.1", "5.1")


def test_rule_set_from_the_database(monev):
    o = obligation(monev.desa_a, "EVALUASI_APBDES")
    rule_set = BudgetRuleSet.objects.create(year=YEAR, name="Pemeriksaan 2026")
    BudgetCheckRule.objects.create(
        rule_set=rule_set,
        label="Ketahanan pangan",
        numerator_prefixes="5.4.3",
        numerator_sources="DDS",
        denominator_prefixes="4.2.1",
        min_percent=D(20),
    )
    BudgetCheckRule.objects.create(rule_set=rule_set, label="Seimbang", kind="balance")
    version = services_apbdes.budget_import(actor=monev.operator_a, obligation=o, data=workbook(GOOD))
    data = selectors_apbdes.evaluation(version=version, today=version.received_on)
    assert [c.passed for c in data["checks"]] == [True, False]
    assert [g.key for g in data["groups"]] == ["4", "5.1", "5.2", "5.3", "5.4", "5.5", "6.1", "6.2"]
    assert data["clock"].remaining == 20


# Comments and sign-off ----------------------------------------------------------------------------------------


@pytest.fixture
def version(monev):
    o = obligation(monev.desa_a, "EVALUASI_APBDES")
    return services_apbdes.budget_import(actor=monev.operator_a, obligation=o, data=workbook(GOOD))


def test_comments_per_line_and_group(monev, version):
    line = version.lines.get(kode="5.2.2.01")
    services_apbdes.comment_add(actor=monev.kasi_tapem, version=version, text="Lengkapi RAB", line=line)
    group = services_apbdes.comment_add(actor=monev.kasi_tapem, version=version, text="Cek bidang 4", kode_prefix="5.4")
    assert group.kode_prefix == "5.4" and group.line is None
    with pytest.raises(ValidationError):
        services_apbdes.comment_add(actor=monev.kasi_tapem, version=version, text="x", kode_prefix="5.9")
    for user in (monev.operator_a, monev.kades_a):
        with pytest.raises(PermissionDenied):
            services_apbdes.comment_add(actor=user, version=version, text="x", kode_prefix="5")
    for user in (monev.outsider, monev.operator_b):
        with pytest.raises(PermissionDenied):
            services_apbdes.comment_add(actor=user, version=version, text="x", kode_prefix="5")


def test_only_the_camat_signs(monev, version):
    for user in (monev.operator_a, monev.kades_a, monev.kasi_tapem, monev.outsider, monev.operator_b):
        with pytest.raises(PermissionDenied):
            services_apbdes.evaluation_sign(actor=user, version=version, outcome=Outcome.SESUAI)
    with pytest.raises(ValidationError):  # perlu perbaikan needs the list of comments or a note
        services_apbdes.evaluation_sign(actor=monev.camat, version=version, outcome=Outcome.PERLU_PERBAIKAN)
    services_apbdes.comment_add(actor=monev.kasi_tapem, version=version, text="Perbaiki", kode_prefix="5.2")
    signed = services_apbdes.evaluation_sign(actor=monev.camat, version=version, outcome=Outcome.PERLU_PERBAIKAN)
    assert signed.outcome == Outcome.PERLU_PERBAIKAN and signed.signed_by == monev.camat
    with pytest.raises(ValidationError):
        services_apbdes.evaluation_sign(actor=monev.camat, version=version, outcome=Outcome.SESUAI)


# Figures and the berbasis kinerja share -----------------------------------------------------------------------


def test_figures_and_realisation(monev, version):
    services_apbdes.realisation_set(
        actor=monev.operator_a, desa=monev.desa_a, year=YEAR, semester=1, category="belanja_2", amount=D(200_000_000)
    )
    services_apbdes.realisation_set(
        actor=monev.operator_a, desa=monev.desa_a, year=YEAR, semester=2, category="belanja_2", amount=D(250_000_000)
    )
    data = selectors_apbdes.figures(user=monev.kasi_tapem, desa=monev.desa_a, year=YEAR)
    row = next(r for r in data["rows"] if r["category"] == "belanja_2")
    assert (row["planned"], row["total"], row["percent"]) == (D(500_000_000), D(450_000_000), D("90.0"))
    with pytest.raises(PermissionDenied):
        services_apbdes.realisation_set(
            actor=monev.operator_b, desa=monev.desa_a, year=YEAR, semester=1, category="pendapatan", amount=D(1)
        )


def test_berbasis_kinerja_share(monev):
    services_apbdes.verdict_set(
        actor=monev.kasi_tapem, desa=monev.desa_a, year=YEAR, verdict=KinerjaVerdict.YA, note="RKPDes memuat target"
    )
    services_apbdes.verdict_set(
        actor=monev.kasi_tapem, desa=monev.desa_b, year=YEAR, verdict=KinerjaVerdict.SEBAGIAN, link="https://x.id/a"
    )
    yes, total, rows = selectors_apbdes.berbasis_kinerja_share(monev.camat, YEAR)
    assert (yes, total) == (1, 2) and [r["verdict"] for r in rows] == ["ya", "sebagian"]
    assert selectors_apbdes.berbasis_kinerja_share(monev.outsider, YEAR)[:2] == (0, 1)
    yes, total, rows = selectors_apbdes.berbasis_kinerja_share(monev.operator_b, YEAR)
    assert (yes, total) == (0, 1)
    with pytest.raises(PermissionDenied):
        services_apbdes.verdict_set(actor=monev.operator_a, desa=monev.desa_a, year=YEAR, verdict="ya", note="x")
    with pytest.raises(ValidationError):
        services_apbdes.verdict_set(actor=monev.camat, desa=monev.desa_a, year=YEAR, verdict="ya")


def test_clock_starts_when_the_raperdes_was_received(monev):
    """The evaluation obligation's trigger (first Raperdes submission) is the day of receipt, not the import."""
    o = obligation(monev.desa_a, "EVALUASI_APBDES")
    o.trigger_date = dt.date(2026, 3, 16)
    o.save(update_fields=["trigger_date"])
    version = services_apbdes.budget_import(actor=monev.operator_a, obligation=o, data=workbook(GOOD))
    data = selectors_apbdes.evaluation(version=version, today=dt.date(2026, 4, 24))
    assert data["clock"].due_on == dt.date(2026, 4, 21) and data["clock"].overdue_days == 3


def test_no_clock_over_an_empty_calendar(monev, monkeypatch):
    """A year the holiday package cannot give stops the clock with a message; it is never computed as if
    the year had no holidays."""
    from portal import calendar
    from portal.models import HolidayYear

    o = obligation(monev.desa_a, "EVALUASI_APBDES")
    version = services_apbdes.budget_import(actor=monev.operator_a, obligation=o, data=workbook(GOOD))
    HolidayYear.objects.all().delete()
    monkeypatch.setattr(calendar, "package_holidays", lambda year: {})
    data = selectors_apbdes.evaluation(version=version, today=version.received_on)
    assert data["clock"] is None and "tidak tersedia" in data["calendar_error"]
    assert data["totals"].pendapatan == D(1_420_000_000)  # the lines and checks are still shown


def test_share_query_count_does_not_grow(monev, django_assert_max_num_queries):
    from tests.factories import DesaFactory

    for _ in range(5):
        DesaFactory(kecamatan=monev.kecamatan)
    with django_assert_max_num_queries(2):
        yes, total, _rows = selectors_apbdes.berbasis_kinerja_share(monev.camat, YEAR)
    assert (yes, total) == (0, 7)


def test_the_signed_result_is_handed_in_as_the_evaluation_document(monev, version, private_media):
    from monev.choices import State
    from tests.helpers import pdf_text

    services_apbdes.comment_add(actor=monev.kasi_tapem, version=version, text="Lengkapi RAB", kode_prefix="5.2")
    services_apbdes.evaluation_sign(actor=monev.camat, version=version, outcome=Outcome.PERLU_PERBAIKAN)
    evaluasi = obligation(monev.desa_a, "EVALUASI_APBDES")
    evaluasi.refresh_from_db()
    submission = evaluasi.submissions.get()
    assert (submission.outcome, submission.submitted_by) == (Outcome.PERLU_PERBAIKAN, monev.camat)
    assert evaluasi.state == State.DITERIMA  # the kecamatan's own document: accepted when handed in
    document = submission.files.get()
    text = pdf_text(document.stored_path)
    assert "Hasil evaluasi" in text and "PERLU PERBAIKAN" in text.upper() and "Lengkapi RAB" in text


def test_only_the_newest_version_is_signed(monev, version):
    newer = services_apbdes.budget_import(actor=monev.operator_a, obligation=version.obligation, data=workbook(GOOD))
    with pytest.raises(ValidationError):
        services_apbdes.evaluation_sign(actor=monev.camat, version=version, outcome=Outcome.SESUAI)
    assert services_apbdes.evaluation_sign(actor=monev.camat, version=newer, outcome=Outcome.SESUAI).outcome


def test_the_clock_is_late_on_a_day_off_after_the_deadline():
    cal = WorkCalendar()
    received, saturday = dt.date(2026, 3, 6), dt.date(2026, 4, 4)
    clock = rules_apbdes.evaluation_clock(received, saturday, cal)
    assert clock.due_on == dt.date(2026, 4, 3)  # Friday
    assert clock.overdue and clock.overdue_days == 1
    assert not rules_apbdes.evaluation_clock(received, dt.date(2026, 4, 3), cal).overdue  # the due day itself
