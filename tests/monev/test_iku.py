"""Indicators (IKU/IKK): the seed from the Renstra text, the traffic-light rule, and every computed formula on
a hand-built data set with a known answer."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from attendance import rollup
from attendance.models import DailyStatus
from monev import selectors_iku, services_iku
from monev.choices import State
from monev.formulas_iku import GREEN, GREY, RED, YELLOW, achievement, light
from monev.models import DocumentType, Obligation
from monev.models_apbdes import BudgetFigures
from monev.models_iku import Indicator, IndicatorSource, IndicatorTarget, IndicatorValue, PlanPeriod
from monev.models_visits import Recommendation, Visit
from musrenbang.models import Meeting
from portal import indicators
from tests.factories import PerangkatFactory
from tests.helpers import WIB
from tests.monev.conftest import ensure_document_types

YEAR = 2025


# --- the rule ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "target", "direction", "expected"),
    [
        (100, 100, "naik", GREEN),
        (101, 100, "naik", GREEN),
        (90, 100, "naik", YELLOW),
        (89.99, 100, "naik", RED),
        (0, 100, "naik", RED),
        (None, 100, "naik", GREY),
        (50, None, "naik", GREY),
        (5, 5, "turun", GREEN),
        (4, 5, "turun", GREEN),
        (5.5, 5, "turun", YELLOW),  # capaian 5/5.5 = 90.9 %
        (6, 5, "turun", RED),  # 83.3 %
        (0, 0, "turun", GREEN),
        (None, 0, "turun", GREY),
        (0, 0, "naik", GREEN),
    ],
)
def test_light_respects_direction_and_no_data(value, target, direction, expected):
    assert light(value, target, direction) == expected


def test_achievement_figures():
    assert achievement(80.75, Decimal("80.75"), "naik") == 100.0
    assert achievement(4, 5, "naik") == 80.0
    assert achievement(10, 5, "turun") == 50.0
    assert achievement(None, 5, "naik") is None


# --- the seed ---------------------------------------------------------------------------------------------


@pytest.fixture
def seeded(tenancy):
    return services_iku.plan_load()


def _target(code: str, year: int) -> IndicatorTarget:
    return IndicatorTarget.objects.get(indicator__code=code, year=year)


def test_seed_from_renstra_text(seeded, tenancy):
    assert seeded.kecamatan == tenancy.kecamatan
    assert (seeded.start_year, seeded.end_year) == (2016, 2021)
    assert _target("ikm", 2016).value == Decimal("79.24")
    assert _target("ikm", 2021).value == Decimal("81.76")
    assert Indicator.objects.get(code="ikm").baseline == Decimal("77.25")
    assert _target("layanan-sop", 2018).value == Decimal("100")
    assert _target("anggaran-berbasis-kinerja", 2020).value == Decimal("100")
    monev_2019 = _target("desa-monev-apbdes", 2019)
    assert monev_2019.value == 17
    assert [monev_2019.q1, monev_2019.q2, monev_2019.q3, monev_2019.q4] == [5, 4, 4, 4]
    assert _target("desa-musrenbang", 2020).value == 17
    computed = dict(Indicator.objects.filter(source="hitung").values_list("code", "formula_key"))
    assert computed["rekomendasi-ditindaklanjuti"] == "recommendations_followed_up"
    assert set(computed.values()) <= set(indicators.keys())


def test_seed_is_idempotent_and_keeps_other_years(seeded):
    ikm = Indicator.objects.get(code="ikm")
    IndicatorTarget.objects.create(indicator=ikm, year=2015, value=70)
    services_iku.plan_load()
    assert PlanPeriod.objects.count() == 1
    assert Indicator.objects.filter(code="ikm").count() == 1
    assert IndicatorTarget.objects.filter(indicator=ikm).count() == 7  # 2016–2021 plus the one typed


def test_seed_without_kecamatan_does_nothing(db):
    assert services_iku.plan_load() is None
    assert not PlanPeriod.objects.exists()


def test_quarter_target_of_a_count_without_split_is_none(seeded):
    target = _target("desa-musrenbang", 2019)
    assert selectors_iku.target_for(target, "desa", 2) is None
    assert selectors_iku.target_for(_target("desa-monev-apbdes", 2019), "desa", 1) == 5
    assert selectors_iku.target_for(_target("ikm", 2019), "nilai", 3) == Decimal("80.75")


# --- the formulas ---------------------------------------------------------------------------------------


def _compute(key, tenancy, user=None, quarter=None):
    return indicators.compute(key, user=user or tenancy.camat, kecamatan=tenancy.kecamatan, year=YEAR, quarter=quarter)


def _obligation(desa, doc_type, period, *, state, on_time=None, due=dt.date(YEAR, 3, 31)):
    accepted = dt.datetime(YEAR, 3, 1, 9, tzinfo=WIB) if state == State.DITERIMA else None
    return Obligation.objects.create(
        desa=desa,
        document_type=doc_type,
        year=YEAR,
        period=period,
        due_date=due,
        legal_due_date=due,
        state=state,
        on_time=on_time,
        accepted_at=accepted,
        basis_submitted_at=accepted,
    )


def test_obligations_on_time(tenancy):
    ensure_document_types()
    doc_type = DocumentType.objects.first()
    _obligation(tenancy.desa_a, doc_type, "A", state=State.DITERIMA, on_time=True)
    _obligation(tenancy.desa_a, doc_type, "B", state=State.DITERIMA, on_time=True)
    _obligation(tenancy.desa_b, doc_type, "A", state=State.DITERIMA, on_time=True)
    _obligation(tenancy.desa_b, doc_type, "B", state=State.BELUM)  # past due, nothing sent: late
    _obligation(tenancy.other_desa, doc_type, "A", state=State.BELUM)  # another kecamatan: not counted
    result = _compute("obligations_on_time", tenancy)
    assert result.value == 50.0
    assert (result.numerator, result.denominator) == (1, 2)
    assert {(r.label, r.counted) for r in result.records} == {("Pucuk", True), ("Gempolpading", False)}
    # Obligations due in the second triwulan: none, so no data (not 0).
    assert _compute("obligations_on_time", tenancy, quarter=2).value is None


def _meeting(kecamatan, desa, kind, held):
    return Meeting.objects.create(
        kecamatan=kecamatan,
        desa=desa,
        kind=kind,
        year=YEAR,
        window_start=dt.date(YEAR - 1, 1, 1),
        window_end=dt.date(YEAR - 1, 12, 31),
        held_date=held,
    )


def test_musrenbang_desa_held(tenancy):
    assert _compute("musrenbang_desa_held", tenancy).value is None  # no cycle in the portal: no data
    _meeting(tenancy.kecamatan, tenancy.desa_a, "musrenbangdes", dt.date(YEAR, 2, 10))
    _meeting(tenancy.kecamatan, tenancy.desa_b, "musdes", dt.date(YEAR, 2, 1))  # not a Musrenbangdes
    _meeting(tenancy.kecamatan, tenancy.desa_b, "musrenbangdes", None)  # planned, not held
    _meeting(tenancy.other_kecamatan, tenancy.other_desa, "musrenbangdes", dt.date(YEAR, 2, 1))
    result = _compute("musrenbang_desa_held", tenancy)
    assert result.value == 1
    assert [r.label for r in result.records] == ["Pucuk"]
    assert result.records[0].url.startswith("/musrenbang/musyawarah/")
    assert _compute("musrenbang_desa_held", tenancy, quarter=2).value == 0


def _visit(desa, day, user, kind="apbdes"):
    return Visit.objects.create(desa=desa, visit_type=kind, visit_date=day, created_by=user)


def test_desa_monitored(tenancy):
    assert _compute("desa_monitored", tenancy).value is None  # nothing recorded that year: no data
    _visit(tenancy.desa_a, dt.date(YEAR, 2, 3), tenancy.camat)
    _visit(tenancy.desa_a, dt.date(YEAR, 5, 3), tenancy.camat)
    _visit(tenancy.desa_b, dt.date(YEAR - 1, 5, 3), tenancy.camat)  # last year
    _visit(tenancy.desa_b, dt.date(YEAR, 5, 3), tenancy.camat, kind="fisik")  # not a monev of APBDes/Perdes
    _visit(tenancy.other_desa, dt.date(YEAR, 2, 3), tenancy.outsider)
    assert _compute("desa_monitored", tenancy).value == 1
    assert _compute("desa_monitored", tenancy, quarter=1).value == 1
    assert _compute("desa_monitored", tenancy, quarter=3).value == 0
    with time_machine.travel(dt.datetime(YEAR, 5, 10, 9, tzinfo=dt.UTC), tick=False):
        assert _compute("desa_monitored", tenancy, quarter=4).value is None  # a triwulan still to come


def test_recommendations_followed_up(tenancy):
    visit = _visit(tenancy.desa_a, dt.date(YEAR, 2, 3), tenancy.camat)
    other = _visit(tenancy.other_desa, dt.date(YEAR, 2, 3), tenancy.outsider)
    for state in ("diterima", "diterima", "terbuka"):
        Recommendation.objects.create(
            visit=visit, text="Perbaiki", responsible="Sekdes", due_date=dt.date(YEAR, 3, 1), state=state
        )
    Recommendation.objects.create(visit=other, text="x", responsible="x", due_date=dt.date(YEAR, 3, 1))
    result = _compute("recommendations_followed_up", tenancy)
    assert result.value == 66.67
    assert (result.numerator, result.denominator) == (2, 3)


def test_recommendations_without_any_is_no_data(tenancy):
    assert _compute("recommendations_followed_up", tenancy).value is None


def test_apbdes_berbasis_kinerja(tenancy):
    BudgetFigures.objects.create(desa=tenancy.desa_a, year=YEAR, kinerja_verdict="ya")
    BudgetFigures.objects.create(desa=tenancy.desa_b, year=YEAR, kinerja_verdict="sebagian")
    BudgetFigures.objects.create(desa=tenancy.other_desa, year=YEAR, kinerja_verdict="ya")
    result = _compute("apbdes_berbasis_kinerja", tenancy)
    assert result.value == 50.0
    assert _compute("apbdes_berbasis_kinerja", tenancy, user=tenancy.outsider).value is None


def test_missing_source_is_no_data(tenancy, monkeypatch):
    # An app that is not installed registers nothing: its key answers "source not available", never 0.
    monkeypatch.delitem(indicators._formulas, "attendance_rate")
    for key in ("attendance_rate", "no_such_formula"):
        result = _compute(key, tenancy)
        assert result.value is None and not result.available
    assert _compute("desa_monitored", tenancy).available


# --- the registry ---------------------------------------------------------------------------------------


def test_every_formula_of_the_plan_file_is_registered():
    import json

    data = json.loads(services_iku.PUCUK_FILE.read_text(encoding="utf-8"))
    used = {item["formula_key"] for item in data["indicators"] if item["source"] == IndicatorSource.COMPUTED}
    assert used  # the file does name formulas: the check below is not empty
    assert {key for key in used if indicators.get(key) is None} == set()


@pytest.mark.parametrize(
    ("key", "app"),
    [
        ("musrenbang_desa_held", "musrenbang."),
        ("attendance_rate", "attendance."),
        ("obligations_on_time", "monev."),
        ("desa_monitored", "monev."),
        ("recommendations_followed_up", "monev."),
        ("apbdes_berbasis_kinerja", "monev."),
    ],
)
def test_each_formula_is_registered_by_its_own_app(key, app):
    assert indicators.get(key).__module__.startswith(app)
    assert indicators.label(key)


def test_a_key_taken_by_another_function_fails(monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    monkeypatch.setattr(indicators, "_formulas", dict(indicators._formulas))
    monkeypatch.setattr(indicators, "_labels", dict(indicators._labels))
    indicators.register("attendance_rate", indicators.get("attendance_rate"))  # again, the same: harmless
    with pytest.raises(ImproperlyConfigured):
        indicators.register("attendance_rate", selectors_iku.dashboard)


def _status(perangkat, day, status):
    DailyStatus.objects.create(
        perangkat=perangkat, desa=perangkat.desa, date=day, status=status, computed_at=timezone.now()
    )
    rollup.months_refresh(desa_ids=[perangkat.desa_id], date_from=day, date_to=day)  # as the recompute does


def test_attendance_rate(tenancy):
    second_a = PerangkatFactory(desa=tenancy.desa_a, nama="Kasun")
    for day, status in ((6, "H"), (7, "TL"), (8, "H"), (9, "TK")):
        _status(tenancy.perangkat_a, dt.date(YEAR, 1, day), status)
    for day, status in ((6, "H"), (7, "I")):
        _status(second_a, dt.date(YEAR, 1, day), status)
    for day, status in ((6, "H"), (7, "S")):
        _status(tenancy.perangkat_b, dt.date(YEAR, 1, day), status)
    _status(tenancy.other_perangkat, dt.date(YEAR, 1, 6), "TK")
    result = _compute("attendance_rate", tenancy)
    # Present: 3 + 1 + 1 = 5 of 8 working days.
    assert result.value == 62.5
    assert {r.label: r.detail for r in result.records} == {"Pucuk": "66.7%", "Gempolpading": "50.0%"}
    assert _compute("attendance_rate", tenancy, quarter=2).value is None


def test_dashboard_rows_with_manual_and_missing_values(seeded, tenancy):
    board = selectors_iku.dashboard(user=tenancy.camat, kecamatan=tenancy.kecamatan, year=2019)
    by_code = {row.indicator.code: row for row in board.rows}
    assert by_code["ikm"].light == GREY and by_code["ikm"].value is None
    assert by_code["ikm"].value_text == "-"
    assert by_code["desa-monev-apbdes"].target == 17


def test_dashboard_queries_do_not_grow_with_desa(seeded, tenancy):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import DesaFactory

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            selectors_iku.dashboard(user=tenancy.camat, kecamatan=tenancy.kecamatan, year=2019)
        return len(queries)

    before = count()
    for number in range(5):
        DesaFactory(kecamatan=tenancy.kecamatan, kode=f"35.24.13.21{number:02d}", nama=f"Desa {number}")
    assert count() == before


def test_plan_demo_enters_ikm_history(tenancy, private_media):
    services_iku.plan_demo(actor=tenancy.camat)
    services_iku.plan_demo(actor=tenancy.camat)
    values = dict(IndicatorValue.objects.filter(indicator__code="ikm").values_list("year", "value"))
    assert values == {2017: Decimal("77.89"), 2018: Decimal("78.75"), 2019: Decimal("79.75"), 2020: Decimal("81.26")}


def test_iku_load_command(tenancy):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("iku_load", stdout=out)
    call_command("iku_load", stdout=out)
    assert "9 indikator dimuat" in out.getvalue()
    assert Indicator.objects.count() == 9


def test_a_new_plan_period_continues_the_indicators_and_the_last_targets(tenancy):
    from django.core.exceptions import ValidationError

    from monev import services_iku
    from monev.models_iku import IndicatorTarget

    old = services_iku.plan_load(kecamatan=tenancy.kecamatan)
    new = services_iku.plan_continue(period=old, start_year=2022, end_year=2026, name="Renstra 2022–2026")
    assert sorted(new.indicators.values_list("code", flat=True)) == sorted(
        old.indicators.values_list("code", flat=True)
    )
    ikm = IndicatorTarget.objects.get(indicator__plan_period=new, indicator__code="ikm", year=2026)
    last = IndicatorTarget.objects.filter(indicator__plan_period=old, indicator__code="ikm").order_by("-year").first()
    assert ikm.value == last.value and str(last.year) in ikm.note
    before = IndicatorTarget.objects.filter(indicator__plan_period=new).count()
    again = services_iku.plan_continue(period=old, start_year=2022, end_year=2026, name="x")
    assert again == new and IndicatorTarget.objects.filter(indicator__plan_period=new).count() == before
    with pytest.raises(ValidationError):
        services_iku.plan_continue(period=old, start_year=2020, end_year=2024, name="overlap")
