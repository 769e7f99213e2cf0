"""APBDes pages and API: the rightful users see and act; outsiders, desa B and foreign operators get 404 or an
empty list; desa users cannot sign; refused forms keep their input with status 400."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from monev import services_apbdes
from monev.choices import Outcome
from monev.models_apbdes import BudgetComment, BudgetRuleSet, BudgetVersion
from tests.helpers import content, login
from tests.monev.conftest import YEAR, obligation
from tests.monev.test_apbdes import GOOD, workbook

FOREIGN = ["outsider", "outsider_operator", "operator_b"]


@pytest.fixture
def version(monev):
    o = obligation(monev.desa_a, "EVALUASI_APBDES")
    return services_apbdes.budget_import(actor=monev.operator_a, obligation=o, data=workbook(GOOD))


def upload(rows=GOOD):
    return SimpleUploadedFile("apbdes.xlsx", workbook(rows))


# Pages --------------------------------------------------------------------------------------------------------


def test_template_download(client, monev):
    response = login(client, monev.operator_a).get(reverse("monev-apbdes-template"))
    assert response.status_code == 200 and content(response)[:2] == b"PK"
    assert "attachment" in response["Content-Disposition"]


def test_import_page_and_errors(client, monev):
    o = obligation(monev.desa_a, "EVALUASI_APBDES")
    web = login(client, monev.operator_a)
    url = reverse("monev-apbdes-import", args=[o.pk])
    assert web.get(url).status_code == 200
    bad = [("4.2.1", "Dana Desa", "abc", "DDS", "")]
    response = web.post(url, {"berkas": upload(bad)})
    assert response.status_code == 400
    assert "Baris 2, kolom Anggaran" in response.content.decode()
    assert not BudgetVersion.objects.exists()
    response = web.post(url, {"berkas": upload()})
    version = BudgetVersion.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("monev-apbdes-evaluation", args=[version.pk])


@pytest.mark.parametrize("who", FOREIGN)
def test_import_page_outsiders(client, monev, who):
    o = obligation(monev.desa_a, "EVALUASI_APBDES")
    web = login(client, getattr(monev, who))
    url = reverse("monev-apbdes-import", args=[o.pk])
    assert web.get(url).status_code == 404
    assert web.post(url, {"berkas": upload()}).status_code == 404
    assert not BudgetVersion.objects.exists()


def test_evaluation_page_groups_checks_and_clock(client, monev, version):
    BudgetRuleSet.objects.create(year=YEAR, name="Aturan 2026").rules.create(kind="balance", label="Seimbang")
    page = login(client, monev.kasi_tapem).get(reverse("monev-apbdes-evaluation", args=[version.pk])).content.decode()
    assert "Belanja bidang 2 Pelaksanaan Pembangunan Desa" in page
    assert "Sisa 20 hari kerja" in page
    assert "Seimbang" in page and "Tidak lolos" in page
    assert 'data-testid="comment-form"' in page and 'data-testid="sign-form"' not in page


def test_comment_and_sign_by_web(client, monev, version):
    web = login(client, monev.kasi_tapem)
    url = reverse("monev-apbdes-comment", args=[version.pk])
    refused = web.post(url, {"target": "5.9", "text": "Bidang 9?"})
    assert refused.status_code == 400 and 'value="5.9"' in refused.content.decode()
    assert web.post(url, {"target": "6", "text": "Baris 6 perlu RAB"}).status_code == 302
    assert BudgetComment.objects.get().line.row_no == 6
    sign = reverse("monev-apbdes-sign", args=[version.pk])
    assert web.post(sign, {"outcome": Outcome.SESUAI}).status_code == 403  # Kasi Tapem comments, Camat signs
    assert login(client, monev.operator_a).post(sign, {"outcome": Outcome.SESUAI}).status_code == 403
    assert login(client, monev.camat).post(sign, {"outcome": Outcome.SESUAI}).status_code == 302
    version.refresh_from_db()
    assert version.outcome == Outcome.SESUAI


@pytest.mark.parametrize("who", FOREIGN)
def test_evaluation_pages_outsiders(client, monev, version, who):
    web = login(client, getattr(monev, who))
    assert web.get(reverse("monev-apbdes-evaluation", args=[version.pk])).status_code == 404
    assert web.post(reverse("monev-apbdes-comment", args=[version.pk]), {"target": "5", "text": "x"}).status_code == 404
    assert web.post(reverse("monev-apbdes-sign", args=[version.pk]), {"outcome": "sesuai"}).status_code == 404
    assert not BudgetComment.objects.exists()


def test_figures_page(client, monev, version):
    web = login(client, monev.operator_a)
    url = reverse("monev-apbdes-figures", args=[monev.desa_a.kode, YEAR])
    assert web.get(url).status_code == 200
    real = reverse("monev-apbdes-realisation", args=[monev.desa_a.kode, YEAR])
    refused = web.post(real, {"semester": "1", "category": "belanja_2", "amount": "-5"})
    assert refused.status_code == 400 and 'value="-5"' in refused.content.decode()
    assert web.post(real, {"semester": "1", "category": "belanja_2", "amount": "250000000"}).status_code == 302
    assert "50,0%" in web.get(url).content.decode() or "50.0%" in web.get(url).content.decode()
    verdict = reverse("monev-apbdes-verdict", args=[monev.desa_a.kode, YEAR])
    assert web.post(verdict, {"verdict": "ya", "note": "x"}).status_code == 403
    kasi = login(client, monev.kasi_tapem)
    assert kasi.post(verdict, {"verdict": "ya", "note": "Indikator kinerja di RKPDes"}).status_code == 302


@pytest.mark.parametrize("who", FOREIGN)
def test_figures_pages_outsiders(client, monev, who):
    web = login(client, getattr(monev, who))
    kode = monev.desa_a.kode
    assert web.get(reverse("monev-apbdes-figures", args=[kode, YEAR])).status_code == 404
    data = {"semester": "1", "category": "pendapatan", "amount": "1"}
    assert web.post(reverse("monev-apbdes-realisation", args=[kode, YEAR]), data).status_code == 404
    assert (
        web.post(reverse("monev-apbdes-verdict", args=[kode, YEAR]), {"verdict": "ya", "note": "x"}).status_code == 404
    )


# API ----------------------------------------------------------------------------------------------------------


def test_api_import_read_comment_sign(monev):
    o = obligation(monev.desa_a, "EVALUASI_APBDES")
    op = monev.client(monev.operator_a)
    bad = op.post(
        reverse("api:budget-version-import"),
        {"obligation": o.pk, "file": upload([("X", "", 1, "DDS", "")])},
        format="multipart",
    )
    assert bad.status_code == 400 and "Baris 2, kolom Kode Rekening" in str(bad.json())
    created = op.post(reverse("api:budget-version-import"), {"obligation": o.pk, "file": upload()}, format="multipart")
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    lines = op.get(reverse("api:budget-line-list"), {"version": pk}).json()["results"]
    assert len(lines) == len(GOOD)
    evaluation = op.get(reverse("api:budget-version-evaluation", args=[pk])).json()
    assert evaluation["clock"]["remaining"] == 20 and evaluation["totals"]["silpa"] == "200000000"
    kasi = monev.client(monev.kasi_tapem)
    comment = kasi.post(
        reverse("api:budget-version-comments", args=[pk]), {"kode_prefix": "5.2", "text": "RAB"}, format="json"
    )
    assert comment.status_code == 201
    assert (
        op.post(reverse("api:budget-version-sign", args=[pk]), {"outcome": "sesuai"}, format="json").status_code == 403
    )
    assert (
        kasi.post(reverse("api:budget-version-sign", args=[pk]), {"outcome": "sesuai"}, format="json").status_code
        == 403
    )
    signed = monev.client(monev.camat).post(
        reverse("api:budget-version-sign", args=[pk]), {"outcome": "perlu_perbaikan"}, format="json"
    )
    assert signed.status_code == 200 and signed.json()["outcome"] == "perlu_perbaikan"


def test_api_rule_sets_and_figures(monev, version):
    BudgetRuleSet.objects.create(year=YEAR, name="Aturan 2026").rules.create(kind="balance", label="Seimbang")
    api = monev.client(monev.kasi_tapem)
    assert api.get(reverse("api:budget-rule-set-list")).json()["results"][0]["rules"][0]["label"] == "Seimbang"
    body = {"desa": monev.desa_a.kode, "year": YEAR, "kinerja_verdict": "ya", "note": "bukti"}
    assert api.post(reverse("api:budget-figures-verdict"), body, format="json").status_code == 200
    real = {"desa": monev.desa_a.kode, "year": YEAR, "semester": 1, "category": "pendapatan", "amount": "5"}
    assert (
        monev.client(monev.operator_a).post(reverse("api:budget-figures-realisation"), real, format="json").status_code
        == 200
    )
    rows = api.get(reverse("api:budget-figures-list")).json()["results"]
    assert rows[0]["kinerja_verdict"] == "ya" and rows[0]["realisations"][0]["amount"] == "5"


@pytest.mark.parametrize("who", FOREIGN)
def test_api_outsiders(monev, version, who):
    services_apbdes.comment_add(actor=monev.kasi_tapem, version=version, text="RAB", kode_prefix="5")
    services_apbdes.verdict_set(actor=monev.kasi_tapem, desa=monev.desa_a, year=YEAR, verdict="ya", note="x")
    api = monev.client(getattr(monev, who))
    for name in ("api:budget-version-list", "api:budget-line-list", "api:budget-figures-list"):
        assert api.get(reverse(name)).json()["results"] == [], name
    for name in ("detail", "evaluation", "comments", "sign"):
        method = api.post if name == "sign" else api.get
        assert method(reverse(f"api:budget-version-{name}", args=[version.pk])).status_code == 404, name
    assert api.post(reverse("api:budget-version-comments", args=[version.pk]), {"text": "x"}).status_code == 404
    line = version.lines.first()
    assert api.get(reverse("api:budget-line-detail", args=[line.pk])).status_code == 404
    o = version.obligation
    imported = api.post(
        reverse("api:budget-version-import"), {"obligation": o.pk, "file": upload()}, format="multipart"
    )
    assert imported.status_code == 404
    real = {"desa": monev.desa_a.kode, "year": YEAR, "semester": 1, "category": "pendapatan", "amount": "5"}
    assert api.post(reverse("api:budget-figures-realisation"), real, format="json").status_code == 404
    verdict = {"desa": monev.desa_a.kode, "year": YEAR, "kinerja_verdict": "tidak", "note": "x"}
    assert api.post(reverse("api:budget-figures-verdict"), verdict, format="json").status_code == 404
    assert BudgetVersion.objects.count() == 1 and BudgetComment.objects.count() == 1


def test_api_rule_sets_scoped(monev):
    BudgetRuleSet.objects.create(year=YEAR, name="Milik Pucuk", kecamatan=monev.kecamatan)
    BudgetRuleSet.objects.create(year=YEAR, name="Bersama")
    names = {r["name"] for r in monev.client(monev.outsider).get(reverse("api:budget-rule-set-list")).json()["results"]}
    assert names == {"Bersama"}


def test_page_says_when_the_calendar_is_missing(client, monev, version, monkeypatch):
    from portal import calendar
    from portal.models import HolidayYear

    HolidayYear.objects.all().delete()
    monkeypatch.setattr(calendar, "package_holidays", lambda year: {})
    page = login(client, monev.camat).get(reverse("monev-apbdes-evaluation", args=[version.pk])).content.decode()
    assert 'data-testid="calendar-error"' in page and 'data-testid="clock"' not in page
    assert "5.2.2.01" in page  # the lines are still there to review


def test_overdue_clock_on_the_page(client, monev):
    import datetime as dt

    import time_machine

    from tests.helpers import WIB

    o = obligation(monev.desa_a, "EVALUASI_APBDES")
    o.trigger_date = dt.date(2026, 3, 16)
    o.save(update_fields=["trigger_date"])
    version = services_apbdes.budget_import(actor=monev.operator_a, obligation=o, data=workbook(GOOD))
    with time_machine.travel(dt.datetime(2026, 4, 24, 9, tzinfo=WIB), tick=False):
        page = login(client, monev.camat).get(reverse("monev-apbdes-evaluation", args=[version.pk])).content.decode()
    assert "21/04/2026" in page and "Lewat 3 hari kerja" in page


def realisation_workbook(rows) -> SimpleUploadedFile:
    import io

    from openpyxl import Workbook

    from monev.imports_apbdes import REALISATION_COLUMNS

    wb = Workbook()
    wb.active.append([c.header for c in REALISATION_COLUMNS])
    for row in rows:
        wb.active.append(list(row))
    buffer = io.BytesIO()
    wb.save(buffer)
    return SimpleUploadedFile("realisasi.xlsx", buffer.getvalue())


def test_realisation_import_page_and_api(client, monev, version):
    from monev.models_apbdes import BudgetRealisation

    web = login(client, monev.operator_a)
    url = reverse("monev-apbdes-realisation-import", args=[monev.desa_a.kode, YEAR])
    bad = web.post(url, {"berkas": realisation_workbook([(1, "5.2", 100), (3, "5.9", "x"), (1, "5.2", 5)])})
    body = bad.content.decode()
    assert bad.status_code == 400
    assert (
        "Baris 3, kolom Semester" in body and "Baris 3, kolom Kelompok" in body and "Baris 3, kolom Realisasi" in body
    )
    assert "Baris 4, kolom Kelompok" in body  # the same semester and kelompok twice
    assert not BudgetRealisation.objects.exists()
    assert web.post(url, {"berkas": realisation_workbook([(1, "5.2", 100), ("II", "4", "1.000")])}).status_code == 302
    assert BudgetRealisation.objects.count() == 2
    api = monev.client(monev.operator_a)
    body = {"desa": monev.desa_a.kode, "year": YEAR, "file": realisation_workbook([(2, "6.1", 7)])}
    response = api.post(reverse("api:budget-figures-realisation-import"), body, format="multipart")
    assert response.status_code == 200 and len(response.json()["realisations"]) == 3
    assert login(client, monev.kasi_tapem).get(reverse("monev-apbdes-realisation-template")).status_code == 200


@pytest.mark.parametrize("who", FOREIGN)
def test_realisation_import_outsiders(client, monev, who):
    from monev.models_apbdes import BudgetRealisation

    user = getattr(monev, who)
    url = reverse("monev-apbdes-realisation-import", args=[monev.desa_a.kode, YEAR])
    assert login(client, user).post(url, {"berkas": realisation_workbook([(1, "4", 1)])}).status_code == 404
    body = {"desa": monev.desa_a.kode, "year": YEAR, "file": realisation_workbook([(1, "4", 1)])}
    response = monev.client(user).post(reverse("api:budget-figures-realisation-import"), body, format="multipart")
    assert response.status_code == 404
    assert not BudgetRealisation.objects.exists()


def test_desa_sees_its_evaluation_without_review_forms(client, monev, version):
    services_apbdes.comment_add(actor=monev.kasi_tapem, version=version, text="Lengkapi RAB", kode_prefix="5.2")
    page = login(client, monev.kades_a).get(reverse("monev-apbdes-evaluation", args=[version.pk])).content.decode()
    assert "Lengkapi RAB" in page
    assert 'data-testid="comment-form"' not in page and 'data-testid="sign-form"' not in page
    listed = monev.client(monev.operator_a).get(reverse("api:budget-version-list")).json()["results"]
    assert [v["id"] for v in listed] == [version.pk]
