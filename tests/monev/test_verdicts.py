"""Trustworthy verdicts: legal due dates beside the dates in force, deadlines that follow their rules and the
calendar, a calendar that is never silently empty, and the APBDes budget chain. Dates are the ones named in the
issue, checked by hand against the 2023–2026 holiday lists of domain.md §4."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from monev import rules, selectors, services
from monev.choices import State
from monev.models import DocumentType, DocumentTypeSchedule, Obligation, Transition
from portal.calendar import CalendarUnavailable, calendar_for, holidays_ensure
from portal.models import HariLibur, HolidayYear
from tests.helpers import WIB
from tests.monev.conftest import ensure_document_types, obligation, pdf_upload

D = dt.date


def at(day: dt.date, hour: int = 10):
    return time_machine.travel(dt.datetime.combine(day, dt.time(hour), tzinfo=WIB), tick=False)


@pytest.fixture
def fresh(tenancy):
    """A fresh install: seeded document types, no holiday ever synced, no obligations."""
    ensure_document_types()
    assert not HariLibur.objects.exists() and not HolidayYear.objects.exists()
    return tenancy


# Legal date and date in force ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "year", "legal"),
    [
        # "paling lambat 31 Desember N-1": a Sunday, and it stays (it used to move to Tue 02/01/2024).
        ("APBDES", 2024, D(2023, 12, 31)),
        # 30/09/2023 is a Saturday: the RKPDes is due then (it used to move to Mon 02/10/2023).
        ("RKPDES", 2024, D(2023, 9, 30)),
        # 31/03/2025 is Idul Fitri: the LPJ and LPPD stay due that day (they used to move to 08/04/2025).
        ("LPJ_APBDES", 2024, D(2025, 3, 31)),
        ("LPPD", 2024, D(2025, 3, 31)),
        ("LAP_SEMESTER_1", 2024, D(2024, 7, 14)),  # a Sunday
    ],
)
def test_fixed_legal_dates_are_not_moved(fresh, code, year, legal):
    services.obligations_generate(year=year)
    o = obligation(fresh.desa_a, code, year=year)
    assert (o.legal_due_date, o.due_date) == (legal, legal)


def test_lppd_2024_handed_in_after_idul_fitri_2025_is_late(fresh):
    services.obligations_generate(year=2024)
    o = obligation(fresh.desa_a, "LPPD", year=2024)
    with at(D(2025, 4, 7)):  # the first working day after the Lebaran break: seven days after 31/03/2025
        submission = services.submission_create(actor=fresh.operator_a, obligation=o, document=pdf_upload())
        services.submission_review(actor=fresh.kasi_tapem, submission=submission, decision="accept")
    o.refresh_from_db()
    assert (o.state, o.on_time, o.days_late) == (State.DITERIMA, False, 7)


def test_a_type_whose_own_rule_moves_to_a_working_day_keeps_the_legal_date_beside_it(fresh):
    apbdes = DocumentType.objects.get(code="APBDES")
    apbdes.roll_to_working_day = True
    apbdes.save()
    services.obligations_generate(year=2024)
    o = obligation(fresh.desa_a, "APBDES", year=2024)
    assert (o.legal_due_date, o.due_date) == (D(2023, 12, 31), D(2024, 1, 2))  # 01/01 is Tahun Baru
    body = fresh.client(fresh.kasi_tapem).get(reverse("api:obligation-detail", args=[o.pk])).json()
    assert (body["legal_due_date"], body["due_date"]) == ("2023-12-31", "2024-01-02")
    page = fresh.web(Client(), fresh.kasi_tapem)
    html = page.get(reverse("monev-obligation", args=[o.pk])).content.decode()
    assert "menurut aturan 31/12/2023" in html


def test_working_day_offsets_still_count_working_days(fresh):
    services.obligations_generate(year=2026)
    evaluasi = obligation(fresh.desa_a, "EVALUASI_APBDES", year=2026)
    services.obligation_set_trigger(actor=fresh.kasi_tapem, obligation=evaluasi, trigger_date=D(2026, 3, 16))
    evaluasi.refresh_from_db()
    # 20 hari kerja from Mon 16/03/2026 across Nyepi, Idul Fitri and cuti bersama (see test_calendar).
    assert (evaluasi.legal_due_date, evaluasi.due_date) == (D(2026, 4, 21), D(2026, 4, 21))


# Deadlines follow their rules ----------------------------------------------------------------------------------


def _lap_semester(fresh):
    services.obligations_generate(year=2026)
    a, b = obligation(fresh.desa_a, "LAP_SEMESTER_1"), obligation(fresh.desa_b, "LAP_SEMESTER_1")
    return a, b


def test_editing_a_rule_moves_every_open_obligation_and_records_why(fresh):
    with at(D(2026, 6, 1)):
        a, b = _lap_semester(fresh)
        submission = services.submission_create(actor=fresh.operator_b, obligation=b, document=pdf_upload())
        services.submission_review(actor=fresh.kasi_tapem, submission=submission, decision="accept")
        doc = DocumentType.objects.get(code="LAP_SEMESTER_1")
        doc.fixed_day = 10
        doc.save()
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.legal_due_date, a.due_date, a.state) == (D(2026, 7, 10), D(2026, 7, 10), State.BELUM)
    change = a.transitions.get(previous_due_date__isnull=False)
    assert (change.previous_due_date, change.due_date) == (D(2026, 7, 14), D(2026, 7, 10))
    assert "LAP_SEMESTER_1" in change.note and "14/07/2026 → 10/07/2026" in change.note
    assert change.processed_at is not None  # a date change alerts nobody by itself
    # Closed obligations keep their history: the accepted one still carries the date it was judged by.
    assert (b.due_date, b.state) == (D(2026, 7, 14), State.DITERIMA)
    assert not b.transitions.filter(previous_due_date__isnull=False).exists()
    # Recomputing twice changes nothing.
    assert services.obligations_recompute(reason="lagi") == 0
    still_open = Obligation.objects.filter(document_type__code="LAP_SEMESTER_1").exclude(state=State.DITERIMA)
    assert Transition.objects.filter(previous_due_date__isnull=False).count() == still_open.count() == 2


def test_a_rule_edit_that_makes_it_late_at_once_or_no_longer_late(fresh):
    with at(D(2026, 7, 12)):
        a, _b = _lap_semester(fresh)
        doc = DocumentType.objects.get(code="LAP_SEMESTER_1")
        doc.fixed_day = 10
        doc.save()
        a.refresh_from_db()
        assert a.state == State.TERLAMBAT  # silently: no late notice for an edit
        assert a.transitions.get(to_state=State.TERLAMBAT).processed_at is not None
        doc.fixed_day = 14
        doc.save()
        a.refresh_from_db()
        assert (a.state, a.due_date) == (State.BELUM, D(2026, 7, 14))


def test_a_yearly_table_date_edit_moves_its_obligations(fresh):
    spj = DocumentType.objects.get(code="SPJ_ADD")
    row = DocumentTypeSchedule.objects.create(
        document_type=spj, year=2026, period="TAHAP1", period_label="Tahap I", due_date=D(2026, 4, 30)
    )
    services.obligations_generate(year=2026)
    row.due_date = D(2026, 5, 15)
    row.save()
    o = obligation(fresh.desa_a, "SPJ_ADD", period="TAHAP1")
    assert (o.legal_due_date, o.due_date) == (D(2026, 5, 15), D(2026, 5, 15))
    assert "jadwal tahunan SPJ_ADD 2026" in o.transitions.get(previous_due_date__isnull=False).note


def test_a_kecamatan_day_off_on_the_due_date_moves_a_working_day_clock(fresh):
    services.obligations_generate(year=2026)
    evaluasi = obligation(fresh.desa_a, "EVALUASI_APBDES")
    services.obligation_set_trigger(actor=fresh.kasi_tapem, obligation=evaluasi, trigger_date=D(2026, 3, 16))
    other = obligation(fresh.desa_a, "EVALUASI_APBDES")
    # A local day off on the 20th working day: the clock counts one more day, for this kecamatan only.
    HariLibur.objects.create(
        tanggal=D(2026, 4, 21), nama="Hari jadi Lamongan", jenis="lokal", kecamatan=fresh.kecamatan
    )
    other.refresh_from_db()
    assert other.due_date == D(2026, 4, 22)
    assert "hari libur" in other.transitions.get(previous_due_date__isnull=False).note
    # A fixed legal date on that day is not moved by it.
    HariLibur.objects.create(tanggal=D(2026, 7, 14), nama="Libur lokal", jenis="lokal", kecamatan=fresh.kecamatan)
    assert obligation(fresh.desa_a, "LAP_SEMESTER_1").due_date == D(2026, 7, 14)


def test_a_dispensasi_stays_in_force_when_the_rule_changes(fresh):
    services.obligations_generate(year=2026)
    a = obligation(fresh.desa_a, "LAP_SEMESTER_1")
    with at(D(2026, 6, 1)):
        services.obligation_extend(actor=fresh.kasi_tapem, obligation=a, new_due_date=D(2026, 8, 31), reason="Banjir")
        doc = DocumentType.objects.get(code="LAP_SEMESTER_1")
        doc.fixed_day = 10
        doc.save()
    a.refresh_from_db()
    assert (a.legal_due_date, a.due_date, a.state) == (D(2026, 7, 10), D(2026, 8, 31), State.DISPENSASI)


# A calendar that is never empty --------------------------------------------------------------------------------


def test_generating_a_year_brings_its_holidays_first(fresh):
    services.obligations_generate(year=2027)
    assert set(HolidayYear.objects.values_list("year", flat=True)) >= {2026, 2027, 2028}
    assert HariLibur.objects.filter(tanggal=D(2027, 1, 1)).exists()


def test_ensuring_is_idempotent_and_one_query_once_done(fresh, django_assert_num_queries):
    holidays_ensure(years=[2026])
    count = HariLibur.objects.count()
    with django_assert_num_queries(1):
        holidays_ensure(years=[2026])
    assert HariLibur.objects.count() == count


def test_nyepi_2026_is_a_day_off_on_a_fresh_database(fresh):
    cal = calendar_for(kecamatan_id=fresh.kecamatan.id, years=[2026])
    assert not cal.is_working_day(D(2026, 3, 19))  # Nyepi
    assert not cal.is_working_day(D(2026, 3, 18))  # cuti bersama


def test_a_year_the_package_cannot_give_fails_loudly(fresh):
    with pytest.raises(CalendarUnavailable, match="1900"):
        calendar_for(kecamatan_id=None, years=[1900])


def test_a_cancelled_holiday_is_not_brought_back_by_ensuring(fresh):
    holidays_ensure(years=[2026])
    HariLibur.objects.filter(tanggal=D(2026, 12, 24), kecamatan__isnull=True).update(libur=False, diubah_manual=True)
    holidays_ensure(years=[2026])
    assert calendar_for(kecamatan_id=None, years=[2026]).is_working_day(D(2026, 12, 24))


# The budget chain ----------------------------------------------------------------------------------------------


def chain_of(fresh, year=2026):
    obligations = selectors.desa_timeline(user=fresh.kasi_tapem, desa=fresh.desa_a, year=year)
    return selectors.budget_chain(obligations, D(2026, 12, 1))


def test_raperdes_is_dated_by_the_bpd_agreement_fallback(fresh):
    services.obligations_generate(year=2027)
    raperdes = obligation(fresh.desa_a, "RAPERDES_APBDES", year=2027)
    assert (raperdes.trigger_date, raperdes.legal_due_date) == (None, D(2026, 11, 3))
    with pytest.raises(ValidationError, match="tanggal pemicu"):  # the desa records the agreement first
        services.submission_create(actor=fresh.operator_a, obligation=raperdes, document=pdf_upload())


def test_evaluation_perlu_perbaikan_opens_the_desa_revision_window(fresh):
    services.obligations_generate(year=2027)
    raperdes = obligation(fresh.desa_a, "RAPERDES_APBDES", year=2027)
    services.obligation_set_trigger(actor=fresh.operator_a, obligation=raperdes, trigger_date=D(2026, 10, 28))
    with at(D(2026, 10, 30)):
        services.submission_create(actor=fresh.operator_a, obligation=raperdes, document=pdf_upload())
    evaluasi = obligation(fresh.desa_a, "EVALUASI_APBDES", year=2027)
    assert evaluasi.trigger_date == D(2026, 10, 30)
    with at(D(2026, 11, 16)):
        services.submission_create(
            actor=fresh.kasi_tapem, obligation=evaluasi, document=pdf_upload(), outcome="perlu_perbaikan"
        )
    revision = Obligation.objects.get(desa=fresh.desa_a, year=2027, document_type__code="PERBAIKAN_APBDES")
    # 20 hari kerja from Mon 16/11/2026: 14/12/2026 (no holiday in between).
    assert (revision.trigger_date, revision.due_date, revision.state) == (D(2026, 11, 16), D(2026, 12, 14), "belum")
    chain = chain_of(fresh, year=2027)
    assert [o.document_type.code for o in chain.steps] == [
        "RAPERDES_APBDES",
        "EVALUASI_APBDES",
        "PERBAIKAN_APBDES",
        "APBDES",
    ]
    assert chain.warnings == []


@pytest.mark.parametrize(
    ("evaluasi", "revision", "apbdes", "today", "expected"),
    [
        # In order: evaluated 20/11, APBDes 20/12.
        (
            rules.ChainDoc("diterima", D(2026, 11, 27), D(2026, 11, 20), D(2026, 11, 20), "sesuai"),
            None,
            rules.ChainDoc("dikirim", D(2026, 12, 31), D(2026, 12, 20)),
            D(2026, 12, 21),
            [],
        ),
        # APBDes before the evaluation while its 20 HK still ran.
        (
            rules.ChainDoc("belum", D(2026, 12, 1)),
            None,
            rules.ChainDoc("diterima", D(2026, 12, 31), D(2026, 11, 25)),
            D(2026, 11, 26),
            ["Perdes APBDes dikirim 25/11/2026 sebelum hasil evaluasi kecamatan (batas evaluasi 01/12/2026)."],
        ),
        # The evaluation lapsed: the draft took effect by itself, so an APBDes after that is in order.
        (
            rules.ChainDoc("belum", D(2026, 12, 1)),
            None,
            rules.ChainDoc("dikirim", D(2026, 12, 31), D(2026, 12, 10)),
            D(2026, 12, 11),
            ["Evaluasi melewati 20 hari kerja (batas 01/12/2026): Raperdes APBDes berlaku dengan sendirinya."],
        ),
        # Perlu perbaikan, and the APBDes came before the revision.
        (
            rules.ChainDoc("diterima", D(2026, 12, 1), D(2026, 11, 20), D(2026, 11, 20), "perlu_perbaikan"),
            rules.ChainDoc("belum", D(2026, 12, 18)),
            rules.ChainDoc("dikirim", D(2026, 12, 31), D(2026, 11, 25)),
            D(2026, 11, 26),
            ["Perdes APBDes dikirim sebelum perbaikan hasil evaluasi diserahkan."],
        ),
        # Evaluation issued after its 20 HK.
        (
            rules.ChainDoc("diterima", D(2026, 12, 1), D(2026, 12, 3), D(2026, 12, 3), "sesuai"),
            None,
            None,
            D(2026, 12, 4),
            ["Hasil evaluasi terbit 03/12/2026, sesudah batas 20 hari kerja 01/12/2026."],
        ),
    ],
)
def test_budget_chain_warnings(evaluasi, revision, apbdes, today, expected):
    raperdes = rules.ChainDoc("diterima", D(2026, 11, 3), D(2026, 11, 1), D(2026, 11, 2))
    assert rules.budget_chain_warnings(raperdes, evaluasi, revision, apbdes, today) == expected


def test_the_desa_year_page_shows_the_chain_and_its_warning(fresh, client):
    services.obligations_generate(year=2027)
    raperdes = obligation(fresh.desa_a, "RAPERDES_APBDES", year=2027)
    services.obligation_set_trigger(actor=fresh.operator_a, obligation=raperdes, trigger_date=D(2026, 10, 28))
    with at(D(2026, 10, 30)):
        services.submission_create(actor=fresh.operator_a, obligation=raperdes, document=pdf_upload())
    with at(D(2026, 11, 5)):
        services.submission_create(
            actor=fresh.operator_a, obligation=obligation(fresh.desa_a, "APBDES", year=2027), document=pdf_upload()
        )
    client.force_login(fresh.operator_a)
    with at(D(2026, 11, 6)):
        html = client.get(reverse("monev-desa", args=[fresh.desa_a.kode]), {"tahun": 2027}).content.decode()
    assert 'data-testid="budget-chain"' in html
    assert "Perdes APBDes dikirim 05/11/2026 sebelum hasil evaluasi kecamatan" in html


def test_the_revision_is_opened_by_the_evaluation_never_by_hand(fresh, client):
    perbaikan = DocumentType.objects.get(code="PERBAIKAN_APBDES")
    with pytest.raises(ValidationError, match="otomatis"):
        services.obligation_create_for_event(
            actor=fresh.operator_a,
            desa=fresh.desa_a,
            document_type=perbaikan,
            year=2027,
            label="x",
            trigger_date=D(2026, 11, 16),
        )
    services.obligations_generate(year=2027)
    client.force_login(fresh.operator_a)
    html = client.get(reverse("monev-desa", args=[fresh.desa_a.kode]), {"tahun": 2027}).content.decode()
    assert "Catat Perdes" in html and "Catat Perbaikan" not in html


def test_the_kecamatan_duty_is_not_in_the_desa_to_do_list(fresh):
    services.obligations_generate(year=2027)
    evaluasi = obligation(fresh.desa_a, "EVALUASI_APBDES", year=2027)
    services.obligation_set_trigger(actor=fresh.kasi_tapem, obligation=evaluasi, trigger_date=D(2026, 11, 2))
    upcoming = selectors.upcoming_for_desa(user=fresh.operator_a, desa=fresh.desa_a, today=D(2026, 12, 1))
    codes = {o.document_type.code for o in upcoming}
    assert "EVALUASI_APBDES" not in codes and "APBDES" in codes
