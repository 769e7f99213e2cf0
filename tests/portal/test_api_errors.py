"""What the API fuzzer (tests/test_api_fuzz.py) found: input the database or the calendar cannot hold made a
500. Each answers now with the common error body: a 400 naming the parameter, or a 404 for a path id no row
can have. And the schema documents the errors and the shapes the API really answers."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import DataError
from django.test import RequestFactory
from rest_framework.test import APIClient

from portal.api.base import ScopedViewSet
from portal.api.errors import exception_handler
from portal.api.schema import _codes
from portal.models import Desa, HariLibur
from portal.throttles import AuthRateThrottle
from portal.views import page_not_found

HUGE = "99999999999999999999"


@pytest.mark.parametrize(
    ("path", "param", "value"),
    [
        ("/api/v1/desa/", "kecamatan_id", HUGE),
        ("/api/v1/perangkat/", "desa_id", HUGE),
        ("/api/v1/perangkat/", "desa_id", "-1.47e+302"),
        ("/api/v1/perangkat/", "desa_id", "1.5"),
        ("/api/v1/obligations/", "desa_id", HUGE),
        ("/api/v1/obligations/", "year", "-1.47e+302"),
        ("/api/v1/submissions/", "obligation", HUGE),
        ("/api/v1/sanctions/", "obligation", HUGE),  # generated from filterset_fields: a plain id, no lookup
        ("/api/v1/musrenbang/meetings/", "year", HUGE),
        ("/api/v1/musrenbang/proposals/", "year", "1e400"),
        ("/api/v1/holidays/", "tanggal__year", "0"),
        ("/api/v1/holidays/", "tanggal__year", "26004"),
        ("/api/v1/holidays/", "year", "0"),
    ],
)
def test_numbers_out_of_range_in_filters_are_a_400_naming_the_filter(tenancy, path, param, value):
    response = tenancy.client(tenancy.kasi_tapem).get(path, {param: value})
    assert response.status_code == 400
    body = response.json()
    assert (body["code"], list(body["fields"])) == ("invalid", [param])
    assert "bilangan bulat" in body["fields"][param][0]


def test_filters_in_range_still_filter(tenancy):
    client = tenancy.client(tenancy.kasi_tapem)
    HariLibur.objects.create(tanggal=dt.date(2026, 6, 10), nama="Hari jadi", jenis="lokal", kecamatan=tenancy.kecamatan)
    rows = client.get("/api/v1/perangkat/", {"desa_id": tenancy.desa_a.pk}).json()["results"]
    assert [r["nama"] for r in rows] == ["Slamet Riyadi"]
    assert [h["name"] for h in client.get("/api/v1/holidays/", {"tanggal__year": 2026, "jenis": "lokal"}).json()] == [
        "Hari jadi"
    ]
    assert client.get("/api/v1/holidays/", {"year": 2025, "jenis": "lokal"}).json() == []


@pytest.mark.parametrize("path", ["/api/v1/desa/{}/", "/api/v1/perangkat/{}/", "/api/v1/notifications/{}/"])
def test_a_path_id_no_row_can_have_is_not_found(tenancy, path):
    response = tenancy.client(tenancy.kasi_tapem).get(path.format(HUGE))
    assert response.status_code == 404
    assert response.json() == {"detail": "Data tidak ditemukan.", "code": "not_found"}


@pytest.mark.parametrize("exc", [OverflowError("date value out of range"), DataError("value too long")])
def test_values_the_database_cannot_hold_are_a_400(exc):
    response = exception_handler(exc, {})
    assert response.status_code == 400
    assert response.data["code"] == "out_of_range"


def test_an_api_address_no_route_matches_answers_the_error_body(tenancy):
    # ``/api/v1/desa/1.5/``: the router's id pattern does not take a dot, so Django itself answers the 404.
    response = tenancy.client(tenancy.kasi_tapem).get("/api/v1/desa/1.5/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Data tidak ditemukan.", "code": "not_found"}


def test_the_404_handler_keeps_the_page_outside_the_api(rf: RequestFactory):
    response = page_not_found(rf.get("/desa/tidak-ada/"), Exception())
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


# The schema -------------------------------------------------------------------------------------------------


@pytest.fixture
def schema(db) -> dict:
    return APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()


def _responses(schema: dict, path: str, method: str) -> dict:
    return schema["paths"][path][method]["responses"]


def test_schema_documents_the_common_error_body(schema):
    error = schema["components"]["schemas"]["Error"]
    assert error["required"] == ["detail", "code"] and set(error["properties"]) == {"detail", "code", "fields"}
    ref = {"$ref": "#/components/schemas/Error"}
    detail = _responses(schema, "/api/v1/desa/{id}/", "get")
    assert sorted(detail) == ["200", "401", "404"]
    assert detail["404"]["content"]["application/json"]["schema"] == ref
    assert sorted(_responses(schema, "/api/v1/perangkat/", "post")) == ["201", "400", "401", "403", "415"]
    assert sorted(_responses(schema, "/api/v1/perangkat/", "get")) == ["200", "400", "401", "404"]  # 404: a page
    assert sorted(_responses(schema, "/api/v1/kecamatan/", "get")) == ["200", "401", "404"]  # paging only: no 400
    assert sorted(_responses(schema, "/api/v1/deliveries/{id}/", "get")) == ["200", "401", "403", "404"]
    assert sorted(_responses(schema, "/api/v1/auth/token/", "post")) == ["200", "400", "415", "429"]  # no login
    assert sorted(_responses(schema, "/api/v1/holidays/{id}/", "delete")) == ["204", "401", "403", "404"]
    # What only the view knows: a kecamatan named in the query, a role checked inside a read.
    assert sorted(_responses(schema, "/api/v1/musrenbang/berita-acara.pdf", "get")) == [
        "200",
        "400",
        "401",
        "403",
        "404",
    ]
    assert "404" in _responses(schema, "/api/v1/sanctions/", "post")
    assert sorted(_responses(schema, "/api/v1/attendance/policy/", "get")) == ["200", "400", "401", "404"]
    assert sorted(_responses(schema, "/api/v1/attendance/recap/export.pdf", "get")) == ["200", "400", "401", "404"]


def test_a_body_in_a_media_type_the_view_does_not_parse_is_a_documented_415(tenancy, schema):
    response = tenancy.client(tenancy.kasi_tapem).generic(
        "POST", "/api/v1/perangkat/", b"nama=x", content_type="text/csv"
    )
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"
    assert "415" in _responses(schema, "/api/v1/perangkat/", "post")


@pytest.mark.parametrize("body", [b"null", b"[]", b"123", b'"35.24.13"'])
def test_a_json_body_that_is_not_an_object_is_a_400_on_the_policy(tenancy, body):
    response = tenancy.client(tenancy.kasi_tapem).generic(
        "PATCH", "/api/v1/attendance/policy/", body, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


def test_schema_marks_what_can_be_null_as_nullable(schema):
    components = schema["components"]["schemas"]
    assert components["HariLibur"]["properties"]["kecamatan"]["nullable"] is True
    assert components["Submission"]["properties"]["reviewed_by"]["nullable"] is True
    assert components["DocumentType"]["properties"]["trigger_from"]["nullable"] is True
    assert components["Meeting"]["properties"]["desa"]["nullable"] is True
    assert components["Delivery"]["properties"]["desa"]["nullable"] is True


def test_schema_documents_plain_lists_and_created_statuses_as_answered(schema):
    versions = schema["paths"]["/api/v1/obligations/{id}/submissions/"]
    assert versions["get"]["responses"]["200"]["content"]["application/json"]["schema"] == {
        "type": "array",
        "items": {"$ref": "#/components/schemas/Submission"},
    }
    assert not {p["name"] for p in versions["get"].get("parameters", [])} - {"id"}  # no paging, no filters
    assert "201" in versions["post"]["responses"] and "200" not in versions["post"]["responses"]
    holidays = schema["paths"]["/api/v1/holidays/"]["get"]["responses"]["200"]["content"]["application/json"]
    assert holidays["schema"]["type"] == "array"
    download = schema["paths"]["/api/v1/files/{id}/download/"]["get"]["responses"]["200"]["content"]
    assert {"application/pdf", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"} <= set(download)


def test_error_codes_follow_the_view():
    """The rules of ``portal.api.schema``: a DELETE of a row others protect may be a 409; a throttle, a 429."""

    class Protected(ScopedViewSet):
        queryset = Desa.objects.all()  # perangkat, obligations, meetings … point at a desa with PROTECT

    class Throttled(ScopedViewSet):
        queryset = HariLibur.objects.all()  # nothing protects a holiday
        throttle_classes = [AuthRateThrottle]

    detail = {"parameters": [{"name": "id", "in": "path"}], "security": [{"knoxApiToken": []}]}
    assert _codes(detail, "delete", Protected()) == {401, 403, 404, 409}
    assert _codes(detail, "delete", Throttled()) == {401, 403, 404, 429}
    assert _codes({"parameters": [{"name": "page", "in": "query"}], "security": [{}]}, "get", Throttled()) == {
        404,
        429,
    }


@pytest.mark.parametrize("content_type", ["multipart/form-data; boundary=", "multipart/form-data"])
def test_a_multipart_body_django_cannot_read_is_the_json_400_under_the_api(tenancy, content_type):
    """Django reads the body before any API view (``CleanTextMiddleware``) and answers through ``handler400``."""
    client = tenancy.client(tenancy.kasi_tapem)
    response = client.generic("POST", "/api/v1/attendance/warnings/", b"--b\r\nx\r\n--b--", content_type=content_type)
    assert response.status_code == 400
    assert response.json() == {"detail": "Permintaan tidak dapat dibaca.", "code": "parse_error"}


def test_the_same_unreadable_body_on_a_web_form_keeps_the_site_page(tenancy, client):
    client.force_login(tenancy.kasi_tapem)
    response = client.generic("POST", "/perangkat/tambah/", b"--b\r\nx\r\n--b--", content_type="multipart/form-data")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")


def test_the_schema_generates_without_a_warning_and_validates(db, tmp_path):
    """drf-spectacular's own check: a warning (an unresolvable field type, a duplicate component name) fails."""
    from django.core.management import call_command

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yml"))
    assert (tmp_path / "schema.yml").read_text().startswith("openapi: 3")
