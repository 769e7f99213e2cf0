"""One parser for request parameters (``portal.params``): years, months and days within the business years
(2000–2100, ``portal.validators``), the page's Indonesian name and the API's English name both accepted, and
the same Indonesian message on a page (above it, the page falls back to its default) and in the API (a 400
naming the parameter under ``fields``)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.messages import get_messages
from django.http import Http404, QueryDict
from django.urls import reverse
from django.utils import timezone

from portal import params

pytestmark = pytest.mark.django_db

YEAR_FORMAT = "Isi tahun dengan empat angka, mis. 2026."
YEAR_RANGE = "Tahun harus di antara 2000 dan 2100."
MONTH_FORMAT = "Isi bulan dengan format YYYY-MM, mis. 2026-08."
DATE_RANGE = "Tanggal harus di antara tahun 2000 dan 2100."
DAY_FORMAT_WEB = "Isi tanggal dengan format dd/mm/yyyy, mis. 17/08/2026."
DAY_FORMAT_API = "Isi tanggal dengan format YYYY-MM-DD, mis. 2026-08-17."


def q(text: str) -> QueryDict:
    return QueryDict(text)


def error_of(call) -> tuple[str, str]:
    with pytest.raises(params.ParamError) as caught:
        call()
    return caught.value.name, caught.value.text


# The parsers ------------------------------------------------------------------------------------------------


def test_year_under_either_name_within_the_business_years():
    assert params.year(q("tahun=2026")) == params.year(q("year=2026")) == 2026
    assert params.year(q("tahun=2026&year=2027")) == 2026  # both: the first name wins
    assert params.year(q("tahun=&year=2027")) == 2027  # an empty one counts as absent
    assert params.year(q(""), default=2030) == params.year(q("tahun="), default=2030) == 2030
    for raw in ("2000", "2100"):
        assert params.year(q(f"tahun={raw}")) == int(raw)


@pytest.mark.parametrize(
    "text,expected",
    [
        ("tahun=abc", ("tahun", YEAR_FORMAT)),
        ("tahun=26", ("tahun", YEAR_FORMAT)),
        ("tahun=%EF%BC%92%EF%BC%90%EF%BC%92%EF%BC%96", ("tahun", YEAR_FORMAT)),  # fullwidth digits
        ("year=-2026", ("year", YEAR_FORMAT)),
        ("year=1e3", ("year", YEAR_FORMAT)),
        ("tahun=1999", ("tahun", YEAR_RANGE)),
        ("year=2101", ("year", YEAR_RANGE)),
        ("tahun=9999", ("tahun", YEAR_RANGE)),
    ],
)
def test_a_bad_year_names_the_parameter_it_came_in(text, expected):
    assert error_of(lambda: params.year(q(text))) == expected


def test_a_missing_required_year_names_the_first_name():
    assert error_of(lambda: params.year(q(""), names=params.API_YEAR, required=True)) == ("year", YEAR_FORMAT)
    assert error_of(lambda: params.year(q(""), required=True)) == ("tahun", YEAR_FORMAT)


def test_years_are_sorted_once_each_and_limited():
    assert params.years(q("years=2026,2025, 2026")) == [2025, 2026]
    assert error_of(lambda: params.years(q("years=2025,1999")))[1] == YEAR_RANGE
    for text in ("", "years=,", f"years={','.join(str(y) for y in range(2000, 2011))}"):
        assert error_of(lambda text=text: params.years(q(text)))[0] == "years"


def test_month_under_either_name_as_its_first_day():
    march = dt.date(2026, 3, 1)
    assert params.month(q("bulan=2026-03")) == params.month(q("month=2026-03-17")) == march
    assert params.month(q(""), default=march) == march
    assert params.parse_month("2026-03") == march and params.parse_month(["2026-03"]) is None


@pytest.mark.parametrize(
    "text,expected",
    [
        ("bulan=2026-13", ("bulan", MONTH_FORMAT)),
        ("month=kemarin", ("month", MONTH_FORMAT)),
        ("bulan=0-1", ("bulan", MONTH_FORMAT)),
        ("month=9999-12", ("month", DATE_RANGE)),
        ("bulan=1999-12", ("bulan", DATE_RANGE)),
    ],
)
def test_a_bad_month(text, expected):
    assert error_of(lambda: params.month(q(text))) == expected


def test_a_day_in_the_format_of_its_name():
    day = dt.date(2026, 8, 17)
    assert params.date(q("tanggal=17/08/2026")) == params.date(q("date=2026-08-17")) == day
    assert error_of(lambda: params.date(q("tanggal=2026-08-17"))) == ("tanggal", DAY_FORMAT_WEB)
    assert error_of(lambda: params.date(q("date=17/08/2026"))) == ("date", DAY_FORMAT_API)
    assert error_of(lambda: params.date(q("tanggal=31/12/9999"))) == ("tanggal", DATE_RANGE)
    assert error_of(lambda: params.date(q("date=1999-12-31"))) == ("date", DATE_RANGE)


def test_desa_in_scope_or_404(tenancy):
    assert params.desa(q("desa=35.24.13.2001"), tenancy.operator_a) == tenancy.desa_a
    assert params.desa(q(""), tenancy.operator_a) is None
    with pytest.raises(Http404):
        params.desa(q("desa=35.24.13.2001"), tenancy.outsider)
    with pytest.raises(Http404):  # another desa of the same kecamatan: outside an operator's scope
        params.desa(q("desa=35.24.13.2002"), tenancy.operator_a)
    assert error_of(lambda: params.desa(q(""), tenancy.camat, required=True)) == (
        "desa",
        "Isi kode desa, mis. 35.24.13.2001.",
    )


# Pages and the API: the same message -----------------------------------------------------------------------


def page(client, user, name, **query):
    client.force_login(user)
    response = client.get(reverse(name), query)
    assert response.status_code == 200
    return response, [str(m) for m in get_messages(response.wsgi_request)]


def api_fields(tenancy, user, name, **query) -> dict:
    response = tenancy.client(user).get(reverse(name), query)
    assert response.status_code == 400, response.content
    return response.json()["fields"]


@pytest.mark.parametrize("value,message", [("abc", YEAR_FORMAT), ("2101", YEAR_RANGE), ("1999", YEAR_RANGE)])
def test_a_bad_year_says_the_same_on_pages_and_in_the_api(client, tenancy, value, message):
    this_year = timezone.localdate().year
    for name in ("monev-board", "musrenbang-board"):
        response, texts = page(client, tenancy.camat, name, tahun=value)
        assert texts == [message], name
        assert response.context["year"] in (this_year, this_year + 1), name  # the page's default
    for name in ("api:musrenbang-board", "api:non-working-days"):
        assert api_fields(tenancy, tenancy.kasi_tapem, name, year=value) == {"year": [message]}, name


def test_both_names_work_on_pages_and_in_the_api(client, tenancy):
    assert page(client, tenancy.camat, "monev-board", year=2025)[0].context["year"] == 2025
    assert page(client, tenancy.camat, "musrenbang-board", year=2025)[0].context["year"] == 2025
    api = tenancy.client(tenancy.kasi_tapem)
    assert api.get(reverse("api:non-working-days"), {"tahun": 2026}).status_code == 200
    assert api.get(reverse("api:musrenbang-board"), {"tahun": 2026}).status_code == 200
    month = page(client, tenancy.camat, "attendance-month", month="2026-03")[0]
    assert month.context["month"] == dt.date(2026, 3, 1)
    assert api.get(reverse("api:attendance-recap"), {"bulan": "2026-03"}).json()["month"] == "2026-03"
    today = page(client, tenancy.camat, "attendance-today", date="2026-08-03")[0]
    assert today.context["day"] == dt.date(2026, 8, 3)
    effective = api.get(reverse("api:work-schedule-effective"), {"desa": "35.24.13.2001", "tanggal": "03/08/2026"})
    assert effective.json()["date"] == "2026-08-03"


@pytest.mark.parametrize("value,message", [("2026-13", MONTH_FORMAT), ("1999-12", DATE_RANGE)])
def test_a_bad_month_says_the_same_on_pages_and_in_the_api(client, tenancy, value, message):
    response, texts = page(client, tenancy.camat, "attendance-month", bulan=value)
    assert texts == [message] and response.context["month"] == timezone.localdate().replace(day=1)
    assert api_fields(tenancy, tenancy.camat, "api:attendance-recap", month=value) == {"month": [message]}


def test_a_bad_day_says_the_same_on_pages_and_in_the_api(client, tenancy):
    # The format follows the name (dd/mm/yyyy on pages, ISO in the API); the message is the same sentence.
    assert page(client, tenancy.camat, "attendance-today", tanggal="2026-08-03")[1] == [DAY_FORMAT_WEB]
    fields = api_fields(tenancy, tenancy.camat, "api:work-schedule-effective", desa="35.24.13.2001", date="03/08/2026")
    assert fields == {"date": [DAY_FORMAT_API]}
    assert page(client, tenancy.camat, "attendance-today", tanggal="01/01/2101")[1] == [DATE_RANGE]
    fields = api_fields(tenancy, tenancy.camat, "api:work-schedule-effective", desa="35.24.13.2001", date="2101-01-01")
    assert fields == {"date": [DATE_RANGE]}
    assert api_fields(tenancy, tenancy.camat, "api:work-schedule-effective") == {
        "desa": ["Isi kode desa, mis. 35.24.13.2001."]
    }
