"""Monev III API: the kecamatan's indicators, targets, manual values, program budget and the dashboard's
values (registered by monev/api/urls.py). Kecamatan staff only (a desa user gets 403, like the pages); reads are
scoped (``portal.api.base``); writes go through ``monev.services_iku`` (supervisors only)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from monev import selectors_iku, services_iku
from monev.models_iku import Indicator, IndicatorTarget, IndicatorValue, ProgramBudget
from portal import files
from portal import permissions as roles
from portal.api.base import ScopedReadOnlyViewSet
from portal.api.negotiation import FileNegotiation
from portal.api.parsers import FormParser, JSONParser, MultiPartParser
from portal.api.schema import api_errors, file_responses
from portal.scoping import get_in_scope_or_404

ID = {"min_value": 1, "max_value": 2**63 - 1}
AMOUNT = {"max_digits": 12, "decimal_places": 2}


class StaffPermission(permissions.BasePermission):
    """Kecamatan staff read; supervisors write (``view.can_write``)."""

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated and roles.is_kecamatan_staff(user)):
            return False
        return request.method in permissions.SAFE_METHODS or roles.is_supervisor(user)


# Serializers ----------------------------------------------------------------------------------------------


class TargetSerializer(serializers.ModelSerializer):
    class Meta:
        model = IndicatorTarget
        fields = ["id", "indicator", "year", "value", "q1", "q2", "q3", "q4", "note"]
        read_only_fields = fields


class IndicatorSerializer(serializers.ModelSerializer):
    plan_period_name = serializers.CharField(source="plan_period.name", read_only=True)
    targets = TargetSerializer(many=True, read_only=True)

    class Meta:
        model = Indicator
        fields = [
            "id",
            "plan_period",
            "plan_period_name",
            "code",
            "kind",
            "goal",
            "name",
            "unit",
            "direction",
            "source",
            "formula_key",
            "formula_text",
            "baseline",
            "responsible",
            "targets",
        ]
        read_only_fields = fields


class TargetInputSerializer(serializers.Serializer):
    indicator = serializers.IntegerField(**ID)
    year = serializers.IntegerField(min_value=2000, max_value=2100)
    value = serializers.DecimalField(**AMOUNT)
    q1 = serializers.DecimalField(**AMOUNT, required=False, allow_null=True, default=None)
    q2 = serializers.DecimalField(**AMOUNT, required=False, allow_null=True, default=None)
    q3 = serializers.DecimalField(**AMOUNT, required=False, allow_null=True, default=None)
    q4 = serializers.DecimalField(**AMOUNT, required=False, allow_null=True, default=None)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=300)


class ValueSerializer(serializers.ModelSerializer):
    entered_by = serializers.CharField(source="entered_by.username", read_only=True)

    class Meta:
        model = IndicatorValue
        fields = ["id", "indicator", "year", "quarter", "value", "note", "evidence_name", "entered_by", "entered_at"]
        read_only_fields = fields


class ValueInputSerializer(serializers.Serializer):
    indicator = serializers.IntegerField(**ID)
    year = serializers.IntegerField(min_value=2000, max_value=2100)
    quarter = serializers.IntegerField(min_value=0, max_value=4, default=0)
    value = serializers.DecimalField(**AMOUNT)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=300)
    evidence = serializers.FileField(required=False)


class ProgramSerializer(serializers.ModelSerializer):
    realised = serializers.DecimalField(max_digits=18, decimal_places=2, read_only=True)
    percent = serializers.DecimalField(max_digits=12, decimal_places=2, read_only=True, allow_null=True)

    class Meta:
        model = ProgramBudget
        fields = [
            "id",
            "kecamatan",
            "year",
            "name",
            "indicator",
            "budget",
            "r1",
            "r2",
            "r3",
            "r4",
            "realised",
            "percent",
        ]
        read_only_fields = ["id", "kecamatan", "realised", "percent"]
        validators = []  # uniqueness is the service's (model full_clean) and the database's

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        if request is not None:
            fields["indicator"].queryset = selectors_iku.indicator_list(user=request.user)
        return fields


class RecordSerializer(serializers.Serializer):
    label = serializers.CharField()
    detail = serializers.CharField()
    url = serializers.CharField()
    counted = serializers.BooleanField()


class DashboardRowSerializer(serializers.Serializer):
    indicator = serializers.IntegerField(source="indicator.id")
    code = serializers.CharField(source="indicator.code")
    name = serializers.CharField(source="indicator.name")
    unit = serializers.CharField(source="indicator.unit")
    direction = serializers.CharField(source="indicator.direction")
    source = serializers.CharField(source="indicator.source")
    target = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    value = serializers.FloatField(allow_null=True)
    achievement = serializers.FloatField(allow_null=True)
    light = serializers.CharField()
    note = serializers.CharField()
    records = serializers.SerializerMethodField()

    @extend_schema_field(RecordSerializer(many=True))
    def get_records(self, row) -> list[dict]:
        return RecordSerializer(row.result.records if row.result else [], many=True).data


# Viewsets -------------------------------------------------------------------------------------------------


class IndicatorViewSet(ScopedReadOnlyViewSet):
    """Indicators (IKU/IKK) of the user's kecamatan, with their yearly targets."""

    queryset = Indicator.objects.select_related("plan_period").prefetch_related("targets")
    serializer_class = IndicatorSerializer
    permission_classes = [StaffPermission]
    filterset_fields = ["plan_period", "kind", "source", "code"]


class TargetViewSet(mixins.CreateModelMixin, ScopedReadOnlyViewSet):
    """Yearly targets; POST sets (creates or replaces) the target of an indicator's year."""

    queryset = IndicatorTarget.objects.select_related("indicator")
    serializer_class = TargetSerializer
    permission_classes = [StaffPermission]
    filterset_fields = ["indicator", "year"]

    @extend_schema(request=TargetInputSerializer, responses={201: TargetSerializer})
    @api_errors(404)
    def create(self, request, *args, **kwargs):
        data = TargetInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        d = data.validated_data
        indicator = get_in_scope_or_404(Indicator.objects.all(), request.user, pk=d["indicator"])
        target = services_iku.target_set(
            actor=request.user,
            indicator=indicator,
            year=d["year"],
            value=d["value"],
            quarters=(d["q1"], d["q2"], d["q3"], d["q4"]),
            note=d["note"],
        )
        return Response(TargetSerializer(target).data, status=status.HTTP_201_CREATED)


class ValueViewSet(mixins.CreateModelMixin, ScopedReadOnlyViewSet):
    """Values of manual indicators (IKM, layanan sesuai SOP); POST (multipart) enters one with its evidence."""

    queryset = IndicatorValue.objects.select_related("indicator", "entered_by")
    serializer_class = ValueSerializer
    permission_classes = [StaffPermission]
    filterset_fields = ["indicator", "year", "quarter"]
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    @extend_schema(request=ValueInputSerializer, responses={201: ValueSerializer})
    @api_errors(404)
    def create(self, request, *args, **kwargs):
        data = ValueInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        d = data.validated_data
        indicator = get_in_scope_or_404(Indicator.objects.all(), request.user, pk=d["indicator"])
        entry = services_iku.value_set(
            actor=request.user,
            indicator=indicator,
            year=d["year"],
            quarter=d["quarter"],
            value=d["value"],
            note=d["note"],
            evidence=d.get("evidence"),
        )
        return Response(ValueSerializer(entry).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=file_responses())
    @action(detail=True, methods=["get"], content_negotiation_class=FileNegotiation)
    def evidence(self, request, pk=None):
        entry = self.get_object()
        if not entry.evidence_path:
            return Response({"detail": "Tidak ada dokumen bukti.", "code": "not_found"}, status=404)
        return files.download_response(
            entry.evidence_path,
            download_name=entry.evidence_name,
            content_type=files.CONTENT_TYPES[entry.evidence_kind],
        )


class ProgramViewSet(mixins.CreateModelMixin, mixins.UpdateModelMixin, ScopedReadOnlyViewSet):
    """The kecamatan's program budget (pagu) and realisation per triwulan."""

    queryset = ProgramBudget.objects.select_related("kecamatan", "indicator")
    serializer_class = ProgramSerializer
    permission_classes = [StaffPermission]
    filterset_fields = ["year", "indicator"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def _save(self, serializer, program):
        serializer.is_valid(raise_exception=True)
        kecamatan = program.kecamatan if program else self.request.user.kecamatan
        if kecamatan is None:
            raise ValidationError({"kecamatan": ["Akun administrator: buat lewat halaman admin."]})
        fields = {k: v for k, v in serializer.validated_data.items() if k != "kecamatan"}
        return services_iku.program_save(actor=self.request.user, kecamatan=kecamatan, program=program, **fields)

    def create(self, request, *args, **kwargs):
        program = self._save(self.get_serializer(data=request.data), None)
        return Response(self.get_serializer(program).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        program = self.get_object()
        program = self._save(self.get_serializer(program, data=request.data, partial=True), program)
        return Response(self.get_serializer(program).data)


class DashboardViewSet(viewsets.ViewSet):
    """The dashboard's values: per indicator of the year (or triwulan) target, value, capaian %, light and the
    records behind a computed value."""

    permission_classes = [StaffPermission]

    @extend_schema(
        parameters=[
            OpenApiParameter("tahun", int, description="Tahun (bawaan: tahun ini)"),
            OpenApiParameter("tw", int, description="Triwulan 1–4 (kosong: setahun)"),
        ],
        responses=DashboardRowSerializer(many=True),
    )
    def list(self, request):
        data = _PeriodSerializer(data=request.query_params)
        data.is_valid(raise_exception=True)
        year = data.validated_data.get("tahun") or timezone.localdate().year
        kecamatan = selectors_iku.kecamatan_of(request.user)
        board = selectors_iku.dashboard(
            user=request.user, kecamatan=kecamatan, year=year, quarter=data.validated_data.get("tw")
        )
        return Response(DashboardRowSerializer(board.rows, many=True).data)


class _PeriodSerializer(serializers.Serializer):
    tahun = serializers.IntegerField(min_value=2000, max_value=2100, required=False)
    tw = serializers.IntegerField(min_value=1, max_value=4, required=False)


def register(router) -> None:
    """Add this part's viewsets to the monev API router."""
    router.register("iku-indicators", IndicatorViewSet, basename="iku-indicator")
    router.register("iku-targets", TargetViewSet, basename="iku-target")
    router.register("iku-values", ValueViewSet, basename="iku-value")
    router.register("iku-programs", ProgramViewSet, basename="iku-program")
    router.register("iku-dashboard", DashboardViewSet, basename="iku-dashboard")
