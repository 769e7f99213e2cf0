import django_filters
from django.db.models import Q
from django.utils import timezone

from monev.choices import State, SubmissionStatus
from monev.models import Obligation, Submission
from portal.api.filtersets import FilterSet, IntegerFilter


class ObligationFilterSet(FilterSet):
    desa = django_filters.CharFilter(field_name="desa__kode", label="Kode Kemendagri desa")
    desa_id = IntegerFilter(field_name="desa_id")
    kecamatan = django_filters.CharFilter(field_name="desa__kecamatan__kode", label="Kode kecamatan")
    year = IntegerFilter(field_name="year")
    document_type = django_filters.CharFilter(field_name="document_type__code", label="Kode jenis dokumen, mis. LPPD")
    state = django_filters.ChoiceFilter(choices=State.choices, method="filter_state")
    due_before = django_filters.DateFilter(field_name="due_date", lookup_expr="lte")
    due_after = django_filters.DateFilter(field_name="due_date", lookup_expr="gte")

    class Meta:
        model = Obligation
        fields = ["desa", "desa_id", "kecamatan", "year", "document_type", "state", "due_before", "due_after"]

    def filter_state(self, queryset, name, value):
        """By the state users see: an open row past its due date is 'terlambat' even before the pass."""
        today = timezone.localdate()
        overdue_open = Q(state__in=[State.BELUM, State.DISPENSASI], due_date__lt=today)
        if value == State.TERLAMBAT:
            return queryset.filter(Q(state=State.TERLAMBAT) | overdue_open)
        if value in (State.BELUM, State.DISPENSASI):
            return queryset.filter(state=value).exclude(overdue_open)
        return queryset.filter(state=value)


class SubmissionFilterSet(FilterSet):
    # A plain number, not a ModelChoiceFilter: that would validate the id against every obligation and so
    # tell an outsider which ids exist in other kecamatan (200 for a real one, 400 for a missing one).
    obligation = IntegerFilter(field_name="obligation_id")
    status = django_filters.ChoiceFilter(choices=SubmissionStatus.choices)

    class Meta:
        model = Submission
        fields = ["obligation", "status"]
