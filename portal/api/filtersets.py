import django_filters

from portal.choices import Jabatan
from portal.models import Desa, Perangkat


class DesaFilterSet(django_filters.FilterSet):
    kecamatan = django_filters.CharFilter(field_name="kecamatan__kode", label="Kode kecamatan")
    kecamatan_id = django_filters.NumberFilter(field_name="kecamatan_id")

    class Meta:
        model = Desa
        fields = ["kecamatan", "kecamatan_id", "jenis"]


class PerangkatFilterSet(django_filters.FilterSet):
    desa = django_filters.CharFilter(field_name="desa__kode", label="Kode desa")
    desa_id = django_filters.NumberFilter(field_name="desa_id")
    kecamatan = django_filters.CharFilter(field_name="desa__kecamatan__kode", label="Kode kecamatan")
    jabatan = django_filters.ChoiceFilter(choices=Jabatan.choices)

    class Meta:
        model = Perangkat
        fields = ["desa", "desa_id", "kecamatan", "jabatan", "aktif", "jenis_kelamin"]
