import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portal.models import Perangkat
from tests.conftest import PASSWORD
from tests.factories import DesaFactory, PerangkatFactory

pytestmark = pytest.mark.django_db


def codes(response, key="kode"):
    return sorted(row[key] for row in response.json()["results"])


# Auth -------------------------------------------------------------------------------------------------


def test_it_issues_a_token_that_authenticates(tenancy):
    client = tenancy.client(None)
    response = client.post(reverse("api:api-token"), {"username": "op_a", "password": PASSWORD}, format="json")
    assert response.status_code == 200
    token = response.json()["token"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    me = client.get(reverse("api:api-me"))
    assert me.status_code == 200
    assert me.json()["username"] == "op_a"


def test_it_refuses_a_wrong_password_with_the_common_error_body(tenancy):
    response = tenancy.client(None).post(
        reverse("api:api-token"), {"username": "op_a", "password": "salah"}, format="json"
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert "non_field_errors" in body["fields"]


def test_it_requires_authentication_everywhere(tenancy):
    client = tenancy.client(None)
    for name in ("kecamatan-list", "desa-list", "perangkat-list", "api-me"):
        response = client.get(reverse(f"api:{name}"))
        assert response.status_code in (401, 403), name
        assert "detail" in response.json()


# me/ --------------------------------------------------------------------------------------------------


def test_me_describes_the_desa_scope(tenancy):
    body = tenancy.client(tenancy.operator_a).get(reverse("api:api-me")).json()
    assert body["role"] == "operator_desa"
    assert body["scope"]["type"] == "desa"
    assert body["scope"]["desa"]["kode"] == "35.24.13.2001"
    assert body["scope"]["kecamatan"]["kode"] == "35.24.13"


def test_me_describes_the_kecamatan_scope(tenancy):
    body = tenancy.client(tenancy.camat).get(reverse("api:api-me")).json()
    assert body["scope"] == {"type": "kecamatan", "kecamatan": body["scope"]["kecamatan"], "desa": None}
    assert body["scope"]["kecamatan"]["kode"] == "35.24.13"


# kecamatan/ and desa/ ----------------------------------------------------------------------------------


def test_kecamatan_list_is_scoped(tenancy):
    assert codes(tenancy.client(tenancy.camat).get(reverse("api:kecamatan-list"))) == ["35.24.13"]
    assert codes(tenancy.client(tenancy.operator_a).get(reverse("api:kecamatan-list"))) == ["35.24.13"]
    assert codes(tenancy.client(tenancy.outsider).get(reverse("api:kecamatan-list"))) == ["35.24.14"]


def test_kecamatan_detail_outsider_gets_404(tenancy):
    url = reverse("api:kecamatan-detail", args=[tenancy.kecamatan.pk])
    assert tenancy.client(tenancy.camat).get(url).status_code == 200
    assert tenancy.client(tenancy.outsider).get(url).status_code == 404


def test_desa_list_is_scoped_per_role(tenancy):
    assert codes(tenancy.client(tenancy.kasi_tapem).get(reverse("api:desa-list"))) == ["35.24.13.2001", "35.24.13.2002"]
    assert codes(tenancy.client(tenancy.operator_a).get(reverse("api:desa-list"))) == ["35.24.13.2001"]
    assert codes(tenancy.client(tenancy.outsider).get(reverse("api:desa-list"))) == ["35.24.14.2001"]


def test_desa_detail_outsider_and_other_operator_get_404(tenancy):
    url = reverse("api:desa-detail", args=[tenancy.desa_a.pk])
    assert tenancy.client(tenancy.operator_a).get(url).status_code == 200
    assert tenancy.client(tenancy.kasi_tapem).get(url).status_code == 200
    assert tenancy.client(tenancy.operator_b).get(url).status_code == 404
    assert tenancy.client(tenancy.outsider).get(url).status_code == 404


def test_desa_filter_and_search(tenancy):
    client = tenancy.client(tenancy.kasi_tapem)
    assert codes(client.get(reverse("api:desa-list"), {"search": "gempol"})) == ["35.24.13.2002"]
    assert codes(client.get(reverse("api:desa-list"), {"search": "2001"})) == ["35.24.13.2001"]
    # Filtering by another kecamatan's code cannot widen the scope.
    assert codes(client.get(reverse("api:desa-list"), {"kecamatan": "35.24.14"})) == []


# perangkat/ -------------------------------------------------------------------------------------------


def test_perangkat_list_is_scoped(tenancy):
    names = lambda r: sorted(row["nama"] for row in r.json()["results"])  # noqa: E731
    assert names(tenancy.client(tenancy.kasi_tapem).get(reverse("api:perangkat-list"))) == [
        "Siti Aminah",
        "Slamet Riyadi",
    ]
    assert names(tenancy.client(tenancy.operator_a).get(reverse("api:perangkat-list"))) == ["Slamet Riyadi"]
    assert names(tenancy.client(tenancy.outsider).get(reverse("api:perangkat-list"))) == ["Joko Susilo"]


def test_perangkat_filter_by_desa_code(tenancy):
    response = tenancy.client(tenancy.kasi_tapem).get(reverse("api:perangkat-list"), {"desa": "35.24.13.2002"})
    assert [row["desa"] for row in response.json()["results"]] == ["35.24.13.2002"]


def test_operator_creates_perangkat_in_own_desa(tenancy):
    payload = {"desa": "35.24.13.2001", "nama": "Umi Kulsum", "jabatan": "kaur_keuangan", "nik": "3524134501900002"}
    response = tenancy.client(tenancy.operator_a).post(reverse("api:perangkat-list"), payload, format="json")
    assert response.status_code == 201, response.json()
    assert Perangkat.objects.get(nama="Umi Kulsum").desa == tenancy.desa_a


def test_operator_cannot_create_perangkat_in_another_desa(tenancy):
    payload = {"desa": "35.24.13.2002", "nama": "Penyusup", "jabatan": "staf"}
    response = tenancy.client(tenancy.operator_a).post(reverse("api:perangkat-list"), payload, format="json")
    assert response.status_code == 400
    assert "desa" in response.json()["fields"]
    assert not Perangkat.objects.filter(nama="Penyusup").exists()


def test_outsider_cannot_create_in_foreign_kecamatan(tenancy):
    payload = {"desa": "35.24.13.2001", "nama": "Penyusup", "jabatan": "staf"}
    response = tenancy.client(tenancy.outsider).post(reverse("api:perangkat-list"), payload, format="json")
    assert response.status_code == 400
    assert not Perangkat.objects.filter(nama="Penyusup").exists()


def test_kepala_desa_reads_but_cannot_write(tenancy):
    client = tenancy.client(tenancy.kades_a)
    assert client.get(reverse("api:perangkat-list")).status_code == 200
    response = client.post(
        reverse("api:perangkat-list"), {"desa": "35.24.13.2001", "nama": "X", "jabatan": "staf"}, format="json"
    )
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_perangkat_detail_update_delete_outsider_404(tenancy):
    url = reverse("api:perangkat-detail", args=[tenancy.perangkat_a.pk])
    for user in (tenancy.outsider, tenancy.operator_b, tenancy.outsider_operator):
        client = tenancy.client(user)
        assert client.get(url).status_code == 404
        assert client.patch(url, {"nama": "Diubah"}, format="json").status_code == 404
        assert client.delete(url).status_code == 404
    tenancy.perangkat_a.refresh_from_db()
    assert tenancy.perangkat_a.nama == "Slamet Riyadi"
    assert tenancy.perangkat_a.aktif


def test_operator_cannot_move_perangkat_to_another_desa(tenancy):
    url = reverse("api:perangkat-detail", args=[tenancy.perangkat_a.pk])
    response = tenancy.client(tenancy.operator_a).patch(url, {"desa": "35.24.13.2002"}, format="json")
    assert response.status_code == 400
    tenancy.perangkat_a.refresh_from_db()
    assert tenancy.perangkat_a.desa == tenancy.desa_a


def test_kasi_tapem_updates_and_history_is_kept(tenancy):
    url = reverse("api:perangkat-detail", args=[tenancy.perangkat_a.pk])
    response = tenancy.client(tenancy.kasi_tapem).patch(url, {"nipd": "412.2.17/001"}, format="json")
    assert response.status_code == 200, response.json()
    assert tenancy.perangkat_a.history.count() == 2
    assert tenancy.perangkat_a.history.first().nipd == "412.2.17/001"


def test_delete_deactivates_instead_of_erasing(tenancy):
    url = reverse("api:perangkat-detail", args=[tenancy.perangkat_a.pk])
    assert tenancy.client(tenancy.operator_a).delete(url).status_code == 204
    tenancy.perangkat_a.refresh_from_db()
    assert tenancy.perangkat_a.aktif is False
    assert tenancy.perangkat_a.tanggal_selesai is not None


def test_validation_errors_are_indonesian_and_name_the_field(tenancy):
    payload = {"desa": "35.24.13.2001", "nama": "Budi", "jabatan": "kaur_x", "nik": "123"}
    response = tenancy.client(tenancy.operator_a).post(reverse("api:perangkat-list"), payload, format="json")
    assert response.status_code == 400
    fields = response.json()["fields"]
    assert "jabatan" in fields
    response = tenancy.client(tenancy.operator_a).post(
        reverse("api:perangkat-list"), {**payload, "jabatan": "staf"}, format="json"
    )
    assert response.json()["fields"]["nik"] == ["NIK harus terdiri dari 16 angka."]


def test_duplicate_nik_is_refused(tenancy):
    tenancy.perangkat_b.nik = "3524134501900003"
    tenancy.perangkat_b.save()
    payload = {"desa": "35.24.13.2001", "nama": "Budi", "jabatan": "staf", "nik": "3524134501900003"}
    response = tenancy.client(tenancy.kasi_tapem).post(reverse("api:perangkat-list"), payload, format="json")
    assert response.status_code == 400
    assert "nik" in response.json()["fields"] or "__all__" in response.json()["fields"]


# Query counts -----------------------------------------------------------------------------------------


def _count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("name", ["api:desa-list", "api:perangkat-list", "api:kecamatan-list"])
def test_list_query_count_does_not_grow_with_desa(tenancy, name):
    client = tenancy.client(tenancy.kasi_tapem)
    url = reverse(name)
    before = _count_queries(client, url)
    for _ in range(15):
        desa = DesaFactory(kecamatan=tenancy.kecamatan)
        PerangkatFactory.create_batch(2, desa=desa)
    assert _count_queries(client, url) == before


def test_schema_and_docs_are_served(tenancy):
    client = tenancy.client(tenancy.kasi_tapem)
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert "/api/v1/perangkat/" in paths and "/api/v1/me/" in paths
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert b"swagger-ui" in docs.content.lower()
    assert b"cdn." not in docs.content.lower()  # offline: assets come from the sidecar package
