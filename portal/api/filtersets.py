"""Filtersets of the API, and the base every filterset of the API builds on.

django-filter's ``NumberFilter`` takes any decimal (``?desa_id=99999999999999999999``, ``?year=-1.47e+302``)
and hands it to the database, which cannot hold it: a 500 on SQLite, an aborted transaction on PostgreSQL.
A ``year`` lookup on a date (``?tanggal__year=0``) fails in Python before the query. The base here takes
whole numbers only, within the database's 64-bit range, and years within the calendar's, and refuses the rest
with a 400 that names the parameter. Relations are filtered by their plain id, as
``monev.api.filtersets.SubmissionFilterSet`` explains: a model choice would tell an outsider which ids exist."""

from __future__ import annotations

import django_filters
from django import forms
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema_field

from portal.choices import Jabatan
from portal.models import Desa, HariLibur, Perangkat

BIGINT_MIN, BIGINT_MAX = -(2**63), 2**63 - 1
YEAR_MIN, YEAR_MAX = 1, 9999


class IntegerField(forms.IntegerField):
    """A whole number between ``min_value`` and ``max_value``, with one message for every way to miss it."""

    def __init__(self, *, min_value: int, max_value: int, **kwargs):
        message = _("Isi bilangan bulat dari %(min)s sampai %(max)s.") % {"min": min_value, "max": max_value}
        kwargs["error_messages"] = {"invalid": message, "min_value": message, "max_value": message}
        super().__init__(min_value=min_value, max_value=max_value, **kwargs)


@extend_schema_field({"type": "integer", "format": "int64", "minimum": BIGINT_MIN, "maximum": BIGINT_MAX})
class IntegerFilter(django_filters.NumberFilter):
    """A whole number the database can hold (ids, years, counts)."""

    field_class = IntegerField

    def __init__(self, *args, min_value: int = BIGINT_MIN, max_value: int = BIGINT_MAX, **kwargs):
        super().__init__(*args, min_value=min_value, max_value=max_value, **kwargs)


@extend_schema_field({"type": "integer", "minimum": YEAR_MIN, "maximum": YEAR_MAX})
class YearFilter(IntegerFilter):
    """A calendar year for a ``__year`` lookup on a date: outside 1–9999 there is no such date."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, min_value=YEAR_MIN, max_value=YEAR_MAX, **kwargs)


class FilterSet(django_filters.rest_framework.FilterSet):
    """The base of every API filterset, declared (``filterset_class``) or generated (``filterset_fields``)."""

    FILTER_DEFAULTS = {
        **django_filters.rest_framework.FilterSet.FILTER_DEFAULTS,
        **{
            field: {"filter_class": IntegerFilter}
            for field in (
                models.AutoField,
                models.BigAutoField,
                models.SmallAutoField,
                models.IntegerField,
                models.SmallIntegerField,
                models.PositiveIntegerField,
                models.PositiveSmallIntegerField,
                models.PositiveBigIntegerField,
                models.BigIntegerField,
                models.ForeignKey,
                models.OneToOneField,
            )
        },
    }

    @classmethod
    def filter_for_field(cls, field, field_name, lookup_expr=None):
        # ``tanggal__year`` reaches filter_for_lookup as an integer "exact": catch the year transform here.
        if isinstance(field, models.DateField) and (lookup_expr or "").split("__")[0] in ("year", "iso_year"):
            return YearFilter(field_name=field_name, lookup_expr=lookup_expr)
        return super().filter_for_field(field, field_name, lookup_expr)


class FilterBackend(DjangoFilterBackend):
    """``DjangoFilterBackend`` whose generated filtersets (``filterset_fields``) start from ``FilterSet``."""

    filterset_base = FilterSet


class DesaFilterSet(FilterSet):
    kecamatan = django_filters.CharFilter(field_name="kecamatan__kode", label="Kode kecamatan")
    kecamatan_id = IntegerFilter(field_name="kecamatan_id")

    class Meta:
        model = Desa
        fields = ["kecamatan", "kecamatan_id", "jenis"]


class PerangkatFilterSet(FilterSet):
    desa = django_filters.CharFilter(field_name="desa__kode", label="Kode desa")
    desa_id = IntegerFilter(field_name="desa_id")
    kecamatan = django_filters.CharFilter(field_name="desa__kecamatan__kode", label="Kode kecamatan")
    jabatan = django_filters.ChoiceFilter(choices=Jabatan.choices)

    class Meta:
        model = Perangkat
        fields = ["desa", "desa_id", "kecamatan", "jabatan", "aktif", "jenis_kelamin"]


class HariLiburFilterSet(FilterSet):
    year = YearFilter(field_name="tanggal", lookup_expr="year", label="Tahun")

    class Meta:
        model = HariLibur
        fields = {"tanggal": ["gte", "lte", "year"], "jenis": ["exact"]}
