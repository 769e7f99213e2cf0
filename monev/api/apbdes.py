"""Monev III API: apbdes (registered by monev/api/urls.py).

Budget versions and their lines (read), import of a new version (POST a workbook), comments, the Camat's
sign-off, the rule sets (read), the APBDes figures with realisation, and the berbasis kinerja verdict."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from monev import selectors_apbdes as selectors
from monev import services_apbdes as services
from monev.choices import Outcome
from monev.models_apbdes import (
    BudgetCheckRule,
    BudgetComment,
    BudgetFigures,
    BudgetLine,
    BudgetRuleSet,
    BudgetVersion,
    KinerjaVerdict,
    RealisationCategory,
)
from portal import files
from portal.api.base import ScopedQuerysetMixin
from portal.api.parsers import FormParser, JSONParser, MultiPartParser
from portal.api.schema import api_errors
from portal.imports import upload_bytes
from portal.models import Desa
from portal.scoping import get_in_scope_or_404
from portal.validators import BUSINESS_YEAR_MAX, BUSINESS_YEAR_MIN

# Serializers ------------------------------------------------------------------------------------------------


class BudgetLineSerializer(serializers.ModelSerializer):
    class Meta:
        model = BudgetLine
        fields = ["id", "version", "row_no", "kode", "uraian", "amount", "fund_source", "sub_bidang"]


class BudgetCommentSerializer(serializers.ModelSerializer):
    author = serializers.CharField(source="author.username", read_only=True)

    class Meta:
        model = BudgetComment
        fields = ["id", "version", "line", "kode_prefix", "text", "author", "created_at"]


class BudgetVersionSerializer(serializers.ModelSerializer):
    desa = serializers.CharField(source="obligation.desa.kode", read_only=True)
    year = serializers.IntegerField(source="obligation.year", read_only=True)
    document_type = serializers.CharField(source="obligation.document_type.code", read_only=True)

    class Meta:
        model = BudgetVersion
        fields = [
            "id",
            "obligation",
            "desa",
            "year",
            "document_type",
            "version",
            "received_on",
            "source_name",
            "imported_at",
            "outcome",
            "signed_at",
            "sign_note",
        ]


class BudgetCheckResultSerializer(serializers.Serializer):
    label = serializers.CharField()
    passed = serializers.BooleanField()
    numerator = serializers.DecimalField(max_digits=18, decimal_places=0)
    denominator = serializers.DecimalField(max_digits=18, decimal_places=0)
    percent = serializers.DecimalField(max_digits=8, decimal_places=2, allow_null=True)
    explanation = serializers.CharField()


class BudgetClockSerializer(serializers.Serializer):
    received_on = serializers.DateField()
    due_on = serializers.DateField()
    remaining = serializers.IntegerField(help_text="Hari kerja tersisa; negatif: hari kerja lewat")
    overdue = serializers.BooleanField()
    done_on = serializers.DateField(allow_null=True)


class BudgetTotalsSerializer(serializers.Serializer):
    pendapatan = serializers.DecimalField(max_digits=18, decimal_places=0)
    belanja = serializers.DecimalField(max_digits=18, decimal_places=0)
    penerimaan_pembiayaan = serializers.DecimalField(max_digits=18, decimal_places=0)
    pengeluaran_pembiayaan = serializers.DecimalField(max_digits=18, decimal_places=0)
    surplus = serializers.DecimalField(max_digits=18, decimal_places=0)
    pembiayaan_netto = serializers.DecimalField(max_digits=18, decimal_places=0)
    silpa = serializers.DecimalField(max_digits=18, decimal_places=0)


class BudgetEvaluationSerializer(serializers.Serializer):
    version = BudgetVersionSerializer()
    totals = BudgetTotalsSerializer()
    checks = BudgetCheckResultSerializer(many=True)
    clock = BudgetClockSerializer(allow_null=True)
    calendar_error = serializers.CharField(allow_blank=True)


class BudgetImportSerializer(serializers.Serializer):
    obligation = serializers.IntegerField(min_value=1, help_text="Id kewajiban RAPERDES_APBDES/EVALUASI_APBDES")
    file = serializers.FileField(help_text="Berkas Excel (.xlsx) sesuai templat APBDes")


class BudgetCommentInputSerializer(serializers.Serializer):
    line = serializers.IntegerField(required=False, allow_null=True, min_value=1, help_text="Id baris")
    kode_prefix = serializers.CharField(required=False, allow_blank=True, max_length=40)
    text = serializers.CharField()


class BudgetSignInputSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=Outcome.choices)
    note = serializers.CharField(required=False, allow_blank=True, default="")


class BudgetCheckRuleSerializer(serializers.ModelSerializer):
    class Meta:
        model = BudgetCheckRule
        fields = [
            "id",
            "kind",
            "label",
            "text",
            "numerator_prefixes",
            "numerator_sources",
            "denominator_prefixes",
            "denominator_sources",
            "min_percent",
            "max_percent",
            "sort_order",
        ]


class BudgetRuleSetSerializer(serializers.ModelSerializer):
    kecamatan = serializers.CharField(source="kecamatan.kode", read_only=True, allow_null=True)
    rules = BudgetCheckRuleSerializer(many=True, read_only=True)

    class Meta:
        model = BudgetRuleSet
        fields = ["id", "year", "kecamatan", "name", "legal_basis", "rules"]


class BudgetFiguresSerializer(serializers.ModelSerializer):
    desa = serializers.CharField(source="desa.kode", read_only=True)
    realisations = serializers.SerializerMethodField()

    class Meta:
        model = BudgetFigures
        fields = ["id", "desa", "year", "kinerja_verdict", "kinerja_note", "kinerja_link", "kinerja_at", "realisations"]

    def get_realisations(self, obj) -> list[dict]:
        return [
            {"semester": r.semester, "category": r.category, "amount": str(r.amount)} for r in obj.realisations.all()
        ]


class BudgetDesaYearSerializer(serializers.Serializer):
    desa = serializers.CharField(help_text="Kode Kemendagri desa")
    year = serializers.IntegerField(min_value=BUSINESS_YEAR_MIN, max_value=BUSINESS_YEAR_MAX)


class BudgetRealisationInputSerializer(BudgetDesaYearSerializer):
    semester = serializers.ChoiceField(choices=[1, 2])
    category = serializers.ChoiceField(choices=RealisationCategory.choices)
    amount = serializers.DecimalField(max_digits=16, decimal_places=0, min_value=0)


class BudgetRealisationImportSerializer(BudgetDesaYearSerializer):
    file = serializers.FileField(help_text="Berkas Excel (.xlsx) sesuai templat realisasi")


class BudgetVerdictInputSerializer(BudgetDesaYearSerializer):
    kinerja_verdict = serializers.ChoiceField(choices=KinerjaVerdict.choices)
    note = serializers.CharField(required=False, allow_blank=True, default="")
    link = serializers.URLField(required=False, allow_blank=True, default="")


# Viewsets ---------------------------------------------------------------------------------------------------


def _xlsx_bytes(upload) -> bytes:
    """A workbook checked by content and size; a refusal names the ``file`` field."""
    try:
        return upload_bytes(upload)
    except files.UploadRejected as exc:
        raise ValidationError({"file": exc.messages}) from exc


def _evaluation_body(version: BudgetVersion) -> dict:
    return {**selectors.evaluation(version=version, today=timezone.localdate()), "version": version}


class BudgetVersionViewSet(ScopedQuerysetMixin, viewsets.ReadOnlyModelViewSet):
    """Versions of desa draft APBDes in the user's scope; ``evaluation/`` gives totals, checks and the clock."""

    queryset = BudgetVersion.objects.select_related("obligation__desa__kecamatan", "obligation__document_type")
    serializer_class = BudgetVersionSerializer
    filterset_fields = {"obligation": ["exact"], "outcome": ["exact"]}

    @extend_schema(request=BudgetImportSerializer, responses={201: BudgetVersionSerializer})
    @action(
        detail=False,
        methods=["post"],
        url_path="import",
        url_name="import",
        parser_classes=[MultiPartParser, FormParser],
        pagination_class=None,
        filter_backends=[],
    )
    @api_errors(404)  # the obligation named in the body: missing or out of scope
    def import_(self, request):
        """A new version from the Excel template (multipart ``obligation``, ``file``); any row error refuses
        the whole workbook, listing the rows."""
        data = BudgetImportSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        obligation = get_in_scope_or_404(
            selectors.budget_obligations(user=request.user), request.user, pk=data.validated_data["obligation"]
        )
        upload = data.validated_data["file"]
        content = _xlsx_bytes(upload)
        version = services.budget_import(
            actor=request.user, obligation=obligation, data=content, source_name=getattr(upload, "name", "")
        )
        return Response(BudgetVersionSerializer(version).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=BudgetEvaluationSerializer)
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def evaluation(self, request, pk=None):
        return Response(BudgetEvaluationSerializer(_evaluation_body(self.get_object())).data)

    @extend_schema(methods=["GET"], request=None, responses=BudgetCommentSerializer(many=True))
    @extend_schema(methods=["POST"], request=BudgetCommentInputSerializer, responses={201: BudgetCommentSerializer})
    @action(
        detail=True,
        methods=["get", "post"],
        parser_classes=[JSONParser, FormParser, MultiPartParser],
        pagination_class=None,
        filter_backends=[],
    )
    def comments(self, request, pk=None):
        version = self.get_object()
        if request.method == "GET":
            rows = version.comments.select_related("author")
            return Response(BudgetCommentSerializer(rows, many=True).data)
        data = BudgetCommentInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        line = None
        if data.validated_data.get("line"):
            line = version.lines.filter(pk=data.validated_data["line"]).first()
            if line is None:
                raise ValidationError({"line": "Baris ini bukan bagian dari versi ini."})
        comment = services.comment_add(
            actor=request.user,
            version=version,
            text=data.validated_data["text"],
            line=line,
            kode_prefix=data.validated_data.get("kode_prefix", ""),
        )
        return Response(BudgetCommentSerializer(comment).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=BudgetSignInputSerializer, responses=BudgetVersionSerializer)
    @action(detail=True, methods=["post"], parser_classes=[JSONParser, FormParser])
    def sign(self, request, pk=None):
        version = self.get_object()  # out of scope: 404 before the body is read
        data = BudgetSignInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        version = services.evaluation_sign(actor=request.user, version=version, **data.validated_data)
        return Response(BudgetVersionSerializer(version).data)


class BudgetLineViewSet(ScopedQuerysetMixin, viewsets.ReadOnlyModelViewSet):
    queryset = BudgetLine.objects.all()
    serializer_class = BudgetLineSerializer
    filterset_fields = {"version": ["exact"], "kode": ["exact", "startswith"], "fund_source": ["exact"]}


class BudgetRuleSetViewSet(ScopedQuerysetMixin, viewsets.ReadOnlyModelViewSet):
    """The yearly check rules (edited in /admin/): shared ones and the user's kecamatan's own."""

    queryset = BudgetRuleSet.objects.select_related("kecamatan").prefetch_related("rules")
    serializer_class = BudgetRuleSetSerializer
    filterset_fields = {"year": ["exact"]}


class BudgetFiguresViewSet(ScopedQuerysetMixin, viewsets.ReadOnlyModelViewSet):
    """Realisation and berbasis kinerja verdict per desa-year; ``realisation/`` and ``verdict/`` write them."""

    queryset = BudgetFigures.objects.select_related("desa").prefetch_related("realisations")
    serializer_class = BudgetFiguresSerializer
    filterset_fields = {"year": ["exact"], "desa__kode": ["exact"]}

    def _desa(self, data) -> Desa:
        return get_in_scope_or_404(Desa.objects.all(), self.request.user, kode=data["desa"])

    @extend_schema(request=BudgetRealisationInputSerializer, responses=BudgetFiguresSerializer)
    @action(
        detail=False,
        methods=["post"],
        parser_classes=[JSONParser, FormParser],
        pagination_class=None,
        filter_backends=[],
    )
    @api_errors(404)
    def realisation(self, request):
        data = BudgetRealisationInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        desa = self._desa(values)
        row = services.realisation_set(
            actor=request.user,
            desa=desa,
            year=values["year"],
            semester=int(values["semester"]),
            category=values["category"],
            amount=values["amount"],
        )
        return Response(BudgetFiguresSerializer(self.get_queryset().get(pk=row.figures_id)).data)

    @extend_schema(request=BudgetRealisationImportSerializer, responses=BudgetFiguresSerializer)
    @action(
        detail=False,
        methods=["post"],
        url_path="realisation/import",
        url_name="realisation-import",
        parser_classes=[MultiPartParser, FormParser],
        pagination_class=None,
        filter_backends=[],
    )
    @api_errors(404)
    def realisation_import(self, request):
        """Realisation rows from the Excel template (multipart ``desa``, ``year``, ``file``); all or none."""
        data = BudgetRealisationImportSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        desa = self._desa(values)
        content = _xlsx_bytes(values["file"])
        services.realisation_import(actor=request.user, desa=desa, year=values["year"], data=content)
        return Response(BudgetFiguresSerializer(self.get_queryset().get(desa=desa, year=values["year"])).data)

    @extend_schema(request=BudgetVerdictInputSerializer, responses=BudgetFiguresSerializer)
    @action(
        detail=False,
        methods=["post"],
        parser_classes=[JSONParser, FormParser],
        pagination_class=None,
        filter_backends=[],
    )
    @api_errors(404)
    def verdict(self, request):
        data = BudgetVerdictInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        figures = services.verdict_set(
            actor=request.user,
            desa=self._desa(values),
            year=values["year"],
            verdict=values["kinerja_verdict"],
            note=values["note"],
            link=values["link"],
        )
        return Response(BudgetFiguresSerializer(self.get_queryset().get(pk=figures.pk)).data)


def register(router) -> None:
    """Add this part's viewsets to the monev API router."""
    router.register("budget-versions", BudgetVersionViewSet, basename="budget-version")
    router.register("budget-lines", BudgetLineViewSet, basename="budget-line")
    router.register("budget-rule-sets", BudgetRuleSetViewSet, basename="budget-rule-set")
    router.register("budget-figures", BudgetFiguresViewSet, basename="budget-figures")
