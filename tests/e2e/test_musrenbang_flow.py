"""The Musrenbang journey in a real browser: the desa operator enters a proposal through the form, the Kasi
Tapem discusses it with a score, forwards it and marks it accommodated with a program, and the operator,
logged in again, sees the outcome on the proposal page."""

from decimal import Decimal

import pytest

from musrenbang.models import Proposal

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
YEAR = 2027
ACTIVITY = "Pembangunan jalan rabat beton Dusun Krajan"
PROGRAM = "Dinas PU Bina Marga — Program Jalan Desa"


def test_proposal_from_desa_to_accommodated(tenancy, new_page, login, live_server):
    url = live_server.url

    operator = login("op_a", on=new_page())
    operator.goto(f"{url}/musrenbang/usulan/?tahun={YEAR}")
    operator.get_by_test_id("proposal-new").click()
    assert operator.locator("#id_year").input_value() == str(YEAR)
    assert operator.locator("#id_desa").count() == 0  # always the operator's own desa
    operator.select_option("#id_bidang", "2")
    operator.fill("#id_activity", ACTIVITY)
    operator.fill("#id_location", "Dusun Krajan RT 02")
    operator.fill("#id_volume", "250")
    operator.fill("#id_unit", "m")
    operator.fill("#id_estimated_cost", "185000000")
    operator.select_option("#id_fund_source", "apbd_kab")
    operator.fill("#id_desa_rank", "1")
    operator.click("[data-testid=proposal-form] button[type=submit]")
    assert "Usulan “Pembangunan jalan rabat beton Dusun Krajan” disimpan." in operator.content()
    assert operator.get_by_test_id("status").inner_text() == "Diusulkan desa"
    assert operator.get_by_test_id("cost").inner_text() == "Rp 185.000.000"
    assert operator.locator("[data-testid^=action-]").count() == 0  # the kecamatan's steps are not offered
    proposal = Proposal.objects.get(activity=ACTIVITY)
    assert (proposal.desa_id, proposal.year, proposal.created_by.username) == (tenancy.desa_a.pk, YEAR, "op_a")
    detail = f"{url}/musrenbang/usulan/{proposal.pk}/"
    operator.context.close()

    kasi = login("kasitapem", on=new_page())
    kasi.goto(f"{url}/musrenbang/usulan/?tahun={YEAR}&desa={tenancy.desa_a.kode}")
    kasi.click(f"[data-testid=proposals] a:has-text('{ACTIVITY}')")
    kasi.wait_for_url(detail)
    kasi.fill("#id_bahas_score", "88.5")
    kasi.fill("#id_bahas_kecamatan_priority", "1")
    kasi.click("[data-testid=action-bahas] button[type=submit]")
    assert kasi.get_by_test_id("status").inner_text() == "Dibahas di kecamatan"
    assert kasi.get_by_test_id("score").inner_text() == "88,50"
    kasi.fill("#id_teruskan_note", "Prioritas 1 kecamatan")
    kasi.click("[data-testid=action-teruskan] button[type=submit]")
    assert kasi.get_by_test_id("status").inner_text() == "Diteruskan ke kabupaten"
    kasi.fill("#id_diakomodasi_program", PROGRAM)
    kasi.fill("#id_diakomodasi_accommodated_cost", "150000000")
    kasi.click("[data-testid=action-diakomodasi] button[type=submit]")
    assert kasi.get_by_test_id("status").inner_text() == "Diakomodasi"
    assert kasi.locator("[data-testid^=action-]").count() == 0  # final: no further steps

    proposal.refresh_from_db()
    assert proposal.status == "diakomodasi" and proposal.score == Decimal("88.5")
    assert (proposal.program, proposal.accommodated_cost) == (PROGRAM, Decimal(150_000_000))

    operator = login("op_a", on=new_page())
    operator.goto(detail)
    assert operator.get_by_test_id("status").inner_text() == "Diakomodasi"
    assert operator.get_by_test_id("program").inner_text() == PROGRAM
    assert operator.get_by_test_id("accommodated-cost").inner_text() == "Rp 150.000.000"
    history = operator.get_by_test_id("transitions").inner_text()
    assert "Diteruskan ke kabupaten → Diakomodasi" in history and "Prioritas 1 kecamatan" in history
    operator.goto(f"{url}/musrenbang/usulan/?tahun={YEAR}")
    row = operator.locator(f"[data-testid=proposals] tr[data-proposal='{proposal.pk}']")
    assert row.get_by_test_id("status").inner_text() == "Diakomodasi"
