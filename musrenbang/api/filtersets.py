import django_filters

from musrenbang import rules, selectors
from musrenbang.choices import Bidang, MeetingKind, ProposalStatus
from musrenbang.models import Meeting, Proposal
from portal.api.filtersets import FilterSet, IntegerFilter


class MeetingFilterSet(FilterSet):
    year = IntegerFilter(field_name="year", label="Tahun siklus (tahun Musrenbang Kecamatan)")
    kind = django_filters.ChoiceFilter(choices=MeetingKind.choices, label="Jenis musyawarah")
    desa = django_filters.CharFilter(field_name="desa__kode", label="Kode desa")
    state = django_filters.ChoiceFilter(
        choices=list(rules.STATE_LABELS.items()), method="filter_state", label="Status pelaksanaan (dihitung hari ini)"
    )

    class Meta:
        model = Meeting
        fields = ["year", "kind", "desa", "state"]

    def filter_state(self, queryset, name, value):
        # The state is computed (dates, today, berita acara, the order of the meetings), not stored: judge the
        # already filtered rows here and hand back a queryset, so the pagination counts and slices exactly the
        # matching rows.
        light = (
            queryset.only("id", "kind", "year", "desa", "planned_date", "held_date", "window_start", "window_end")
            .select_related(None)
            .prefetch_related(None)
        )
        ids = [m.pk for m in selectors.rkpdes_dates_attach(light) if selectors.state_of(m) == value]
        return queryset.filter(pk__in=ids)


class ProposalFilterSet(FilterSet):
    year = IntegerFilter(field_name="year", label="Tahun siklus")
    desa = django_filters.CharFilter(field_name="desa__kode", label="Kode desa")
    bidang = django_filters.ChoiceFilter(choices=Bidang.choices, label="Bidang (1–5)")
    status = django_filters.ChoiceFilter(choices=ProposalStatus.choices, label="Status usulan")
    carried_over = django_filters.BooleanFilter(
        field_name="carried_from", lookup_expr="isnull", exclude=True, label="Usulan lanjutan tahun lalu"
    )

    class Meta:
        model = Proposal
        fields = ["year", "desa", "bidang", "status", "carried_over"]
