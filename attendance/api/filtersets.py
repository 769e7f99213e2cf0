import django_filters
from django.db.models import Exists, OuterRef

from attendance.models import Device, DeviceUser, Punch, SyncRun


class DeviceFilterSet(django_filters.FilterSet):
    desa = django_filters.CharFilter(field_name="desa__kode", label="Kode desa")
    kecamatan = django_filters.CharFilter(field_name="desa__kecamatan__kode")

    class Meta:
        model = Device
        fields = ["desa", "kecamatan", "enabled", "protocol"]


class PunchFilterSet(django_filters.FilterSet):
    device = django_filters.CharFilter(field_name="device__serial_number", label="Nomor seri mesin")
    device_id = django_filters.NumberFilter(field_name="device_id")
    desa = django_filters.CharFilter(field_name="device__desa__kode", label="Kode desa")
    pin = django_filters.CharFilter(field_name="pin")
    perangkat = django_filters.NumberFilter(method="filter_perangkat", label="Id perangkat")
    date_from = django_filters.DateFilter(field_name="punched_at", lookup_expr="date__gte")
    date_to = django_filters.DateFilter(field_name="punched_at", lookup_expr="date__lte")

    class Meta:
        model = Punch
        fields = ["device", "device_id", "desa", "pin", "perangkat", "date_from", "date_to", "source"]

    def filter_perangkat(self, queryset, name, value):
        # Punches belong to a perangkat through the PIN link, so a link made later covers past punches too.
        linked = DeviceUser.objects.filter(device=OuterRef("device"), pin=OuterRef("pin"), perangkat_id=value)
        return queryset.filter(Exists(linked))


class SyncRunFilterSet(django_filters.FilterSet):
    device = django_filters.CharFilter(field_name="device__serial_number")
    desa = django_filters.CharFilter(field_name="device__desa__kode", label="Kode desa")
    device_id = django_filters.NumberFilter(field_name="device_id")

    class Meta:
        model = SyncRun
        fields = ["device", "device_id", "desa", "outcome"]


class DeviceUserFilterSet(django_filters.FilterSet):
    device = django_filters.CharFilter(field_name="device__serial_number")
    desa = django_filters.CharFilter(field_name="device__desa__kode")
    unmapped = django_filters.BooleanFilter(field_name="perangkat", lookup_expr="isnull")

    class Meta:
        model = DeviceUser
        fields = ["device", "desa", "unmapped"]
