"""Filters of the attendance API. Every filterset builds on ``portal.api.filtersets.FilterSet`` and names ids with
``IntegerFilter``: a whole number the database can hold, so ``?perangkat=99999999999999999999`` or
``?device_id=-1.47e+302`` is a 400 naming the parameter, never a 500. Relations are filtered by plain id (not a
model choice), so a filter cannot tell an outsider which ids exist."""

import django_filters
from django.db.models import Exists, OuterRef, Q

from attendance.models import (
    AttendanceWarning,
    DailyStatus,
    Device,
    DeviceUser,
    Leave,
    Punch,
    PunchCorrection,
    ReviewNote,
    SyncRun,
    WorkSchedule,
)
from attendance.selectors import local_days
from portal import params
from portal.api.filtersets import FilterSet, IntegerFilter


class DeviceFilterSet(FilterSet):
    desa = django_filters.CharFilter(field_name="desa__kode", label="Kode desa")
    kecamatan = django_filters.CharFilter(field_name="desa__kecamatan__kode")

    class Meta:
        model = Device
        fields = ["desa", "kecamatan", "enabled", "protocol"]


class PunchFilterSet(FilterSet):
    device = django_filters.CharFilter(field_name="device__serial_number", label="Nomor seri mesin")
    device_id = IntegerFilter(field_name="device_id")
    desa = django_filters.CharFilter(field_name="device__desa__kode", label="Kode desa")
    pin = django_filters.CharFilter(field_name="pin")
    perangkat = IntegerFilter(method="filter_perangkat", label="Id perangkat")
    date_from = django_filters.DateFilter(method="filter_days", label="Dari tanggal")
    date_to = django_filters.DateFilter(method="filter_days", label="Sampai tanggal")

    class Meta:
        model = Punch
        fields = ["device", "device_id", "desa", "pin", "perangkat", "date_from", "date_to", "source"]

    def filter_perangkat(self, queryset, name, value):
        # Punches belong to a perangkat through the PIN link, so a link made later covers past punches too.
        linked = DeviceUser.objects.filter(device=OuterRef("device"), pin=OuterRef("pin"), perangkat_id=value)
        return queryset.filter(Exists(linked))

    def filter_days(self, queryset, name, value):
        # Local days as a range on the time (``selectors.local_days``): the key and the monthly partitions serve it.
        if name == "date_from":
            return queryset.filter(local_days(value, None))
        return queryset.filter(local_days(None, value))


class SyncRunFilterSet(FilterSet):
    device = django_filters.CharFilter(field_name="device__serial_number")
    desa = django_filters.CharFilter(field_name="device__desa__kode", label="Kode desa")
    device_id = IntegerFilter(field_name="device_id")

    class Meta:
        model = SyncRun
        fields = ["device", "device_id", "desa", "outcome"]


class DeviceUserFilterSet(FilterSet):
    device = django_filters.CharFilter(field_name="device__serial_number")
    desa = django_filters.CharFilter(field_name="device__desa__kode")
    unmapped = django_filters.BooleanFilter(field_name="perangkat", lookup_expr="isnull")

    class Meta:
        model = DeviceUser
        fields = ["device", "desa", "unmapped"]


# Attendance II: working hours, leave, daily statuses, the Camat's review -----------------------------------

MONTH_FORMATS = list(params.MONTH_FORMATS)  # the syntax of ?month= on the recap


def _month(queryset, name, value):
    return queryset.filter(**{name: value.replace(day=1)})


class WorkScheduleFilterSet(FilterSet):
    desa = django_filters.CharFilter(field_name="desa__kode", label="Kode desa")
    kecamatan_wide = django_filters.BooleanFilter(field_name="desa", lookup_expr="isnull", label="Berlaku sekecamatan")

    class Meta:
        model = WorkSchedule
        fields = ["desa", "kecamatan_wide"]


class LeaveFilterSet(FilterSet):
    desa = django_filters.CharFilter(field_name="perangkat__desa__kode", label="Kode desa")
    perangkat = IntegerFilter(field_name="perangkat_id", label="Id perangkat")
    state = django_filters.ChoiceFilter(choices=Leave.State.choices)
    kind = django_filters.ChoiceFilter(choices=Leave.Kind.choices)
    # A range filter: every leave that overlaps [date_from, date_to].
    date_from = django_filters.DateFilter(field_name="date_to", lookup_expr="gte", label="Berakhir pada/sesudah")
    date_to = django_filters.DateFilter(field_name="date_from", lookup_expr="lte", label="Dimulai pada/sebelum")

    class Meta:
        model = Leave
        fields = ["desa", "perangkat", "state", "kind", "date_from", "date_to"]


class DailyStatusFilterSet(FilterSet):
    desa = django_filters.CharFilter(field_name="desa__kode", label="Kode desa")
    perangkat = IntegerFilter(field_name="perangkat_id", label="Id perangkat")
    date_from = django_filters.DateFilter(field_name="date", lookup_expr="gte")
    date_to = django_filters.DateFilter(field_name="date", lookup_expr="lte")
    status = django_filters.CharFilter(
        field_name="status", label="Status (H, TL, PSW, TAM, TAP, I, S, C, DL, TK, ND, L)"
    )
    code = django_filters.CharFilter(method="filter_code", label="Salah satu kode hari itu, mis. TL2 atau PSW1")

    class Meta:
        model = DailyStatus
        fields = ["desa", "perangkat", "date_from", "date_to", "status", "code"]

    def filter_code(self, queryset, name, value):
        # ``codes`` holds space-separated codes ("TL2 PSW1"): match one whole code, not a substring of another.
        code = value.strip().upper()
        if not code or " " in code:
            return queryset.none()
        return queryset.filter(
            Q(codes=code)
            | Q(codes__startswith=f"{code} ")
            | Q(codes__endswith=f" {code}")
            | Q(codes__contains=f" {code} ")
        )


class ReviewNoteFilterSet(FilterSet):
    desa = django_filters.CharFilter(field_name="desa__kode", label="Kode desa")
    perangkat = IntegerFilter(field_name="perangkat_id", label="Id perangkat")
    month = django_filters.DateFilter(field_name="month", method=_month, input_formats=MONTH_FORMATS, label="YYYY-MM")

    class Meta:
        model = ReviewNote
        fields = ["desa", "perangkat", "month"]


class AttendanceWarningFilterSet(FilterSet):
    desa = django_filters.CharFilter(field_name="perangkat__desa__kode", label="Kode desa")
    perangkat = IntegerFilter(field_name="perangkat_id", label="Id perangkat")
    month = django_filters.DateFilter(field_name="month", method=_month, input_formats=MONTH_FORMATS, label="YYYY-MM")
    level = django_filters.ChoiceFilter(choices=AttendanceWarning.Level.choices)

    class Meta:
        model = AttendanceWarning
        fields = ["desa", "perangkat", "month", "level"]


class PunchCorrectionFilterSet(FilterSet):
    desa = django_filters.CharFilter(field_name="perangkat__desa__kode", label="Kode desa")
    perangkat = IntegerFilter(field_name="perangkat_id", label="Id perangkat")
    state = django_filters.ChoiceFilter(choices=PunchCorrection.State.choices)
    kind = django_filters.ChoiceFilter(choices=PunchCorrection._meta.get_field("kind").choices)
    date_from = django_filters.DateFilter(field_name="date", lookup_expr="gte")
    date_to = django_filters.DateFilter(field_name="date", lookup_expr="lte")

    class Meta:
        model = PunchCorrection
        fields = ["desa", "perangkat", "state", "kind", "date_from", "date_to"]
