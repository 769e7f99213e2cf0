import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_operator_logs_in_and_sees_only_own_desa(tenancy, login, live_server):
    page = login("op_a")
    assert page.get_by_test_id("count-desa").inner_text() == "1"
    assert "Desa Pucuk" in page.get_by_test_id("user-menu").inner_text()

    page.goto(f"{live_server.url}/desa/")
    rows = page.locator("table tbody tr")
    assert rows.count() == 1
    assert "Pucuk" in rows.first.inner_text()
    assert "Gempolpading" not in page.content()

    page.goto(f"{live_server.url}/perangkat/")
    table = page.get_by_test_id("perangkat-table").inner_text()
    assert "Slamet Riyadi" in table
    assert "Siti Aminah" not in table and "Joko Susilo" not in table

    response = page.goto(f"{live_server.url}/desa/35.24.13.2002/")
    assert response.status == 404
    assert "di luar wilayah Anda" in page.content()


def test_kasi_tapem_sees_the_whole_kecamatan(tenancy, login, live_server):
    page = login("kasitapem")
    assert page.get_by_test_id("count-desa").inner_text() == "2"
    page.goto(f"{live_server.url}/desa/")
    body = page.locator("table tbody").inner_text()
    assert "Pucuk" in body and "Gempolpading" in body and "Sukodadi" not in body
