from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.response import Response

from monev import services
from monev.api.filtersets import ObligationFilterSet, SubmissionFilterSet
from monev.api.serializers import (
    DocumentTypeSerializer,
    ExtensionInputSerializer,
    ObligationSerializer,
    ReasonSerializer,
    ReviewSerializer,
    SanctionCreateSerializer,
    SanctionSerializer,
    SubmissionCreateSerializer,
    SubmissionFileSerializer,
    SubmissionSerializer,
    TriggerSerializer,
)
from monev.models import DocumentType, Obligation, Sanction, Submission, SubmissionFile
from monev.sanctions import sanction_create
from portal import files, permissions
from portal.api.base import ScopedQuerysetMixin
from portal.api.negotiation import FileNegotiation
from portal.api.parsers import FormParser, JSONParser, MultiPartParser
from portal.api.schema import api_errors, file_responses
from portal.scoping import get_in_scope_or_404


class DocumentTypeViewSet(viewsets.ReadOnlyModelViewSet):
    """Document types and their deadline rules (edited by an admin in /admin/). Looked up by code."""

    queryset = DocumentType.objects.filter(active=True)
    serializer_class = DocumentTypeSerializer
    lookup_field = "code"
    pagination_class = None


class ObligationViewSet(ScopedQuerysetMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Obligations in the user's scope. PATCH sets ``trigger_date`` of an event-based obligation."""

    queryset = Obligation.objects.select_related("desa", "desa__kecamatan", "document_type")
    serializer_class = ObligationSerializer
    filterset_class = ObligationFilterSet
    ordering_fields = ["due_date", "year", "desa__kode"]
    http_method_names = ["get", "patch", "post", "head", "options"]

    @extend_schema(request=TriggerSerializer)
    def partial_update(self, request, *args, **kwargs):
        obligation = self.get_object()
        if not permissions.can_write_for_desa(request.user):
            raise PermissionDenied()
        data = TriggerSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        obligation = services.obligation_set_trigger(
            actor=request.user, obligation=obligation, trigger_date=data.validated_data["trigger_date"]
        )
        return Response(ObligationSerializer(obligation).data)

    def update(self, request, *args, **kwargs):
        if not kwargs.get("partial"):
            return Response({"detail": "Gunakan PATCH.", "code": "method_not_allowed"}, status=405)
        return super().update(request, *args, **kwargs)

    @extend_schema(request=ExtensionInputSerializer, responses=ObligationSerializer)
    @action(detail=True, methods=["post"])
    def extend(self, request, pk=None):
        data = ExtensionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        obligation = services.obligation_extend(actor=request.user, obligation=self.get_object(), **data.validated_data)
        return Response(ObligationSerializer(obligation).data)

    @extend_schema(request=ReasonSerializer, responses=ObligationSerializer)
    @action(detail=True, methods=["post"], url_path="not-applicable")
    def not_applicable(self, request, pk=None):
        data = ReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        obligation = services.obligation_mark_not_applicable(
            actor=request.user, obligation=self.get_object(), reason=data.validated_data["reason"]
        )
        return Response(ObligationSerializer(obligation).data)

    @extend_schema(methods=["GET"], request=None, responses=SubmissionSerializer(many=True))
    @extend_schema(methods=["POST"], request=SubmissionCreateSerializer, responses={201: SubmissionSerializer})
    @action(
        detail=True,
        methods=["get", "post"],
        parser_classes=[MultiPartParser, FormParser, JSONParser],
        pagination_class=None,
        filter_backends=[],
    )
    def submissions(self, request, pk=None):
        """Every version handed in for the obligation (a plain list, oldest first); POST hands in a new one."""
        obligation = self.get_object()
        if request.method == "GET":
            rows = obligation.submissions.select_related("submitted_by", "reviewed_by").prefetch_related("files")
            return Response(SubmissionSerializer(rows.order_by("version"), many=True).data)
        data = SubmissionCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        values["attachments"] = request.FILES.getlist("attachments")
        submission = services.submission_create(actor=request.user, obligation=obligation, **values)
        return Response(SubmissionSerializer(submission).data, status=status.HTTP_201_CREATED)


class SubmissionViewSet(ScopedQuerysetMixin, viewsets.ReadOnlyModelViewSet):
    queryset = Submission.objects.select_related("submitted_by", "reviewed_by").prefetch_related("files")
    serializer_class = SubmissionSerializer
    filterset_class = SubmissionFilterSet

    @extend_schema(request=ReviewSerializer, responses=SubmissionSerializer)
    @action(detail=True, methods=["post"])
    def review(self, request, pk=None):
        data = ReviewSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        submission = services.submission_review(actor=request.user, submission=self.get_object(), **data.validated_data)
        return Response(SubmissionSerializer(submission).data)


class SubmissionFileViewSet(ScopedQuerysetMixin, viewsets.ReadOnlyModelViewSet):
    queryset = SubmissionFile.objects.all()
    serializer_class = SubmissionFileSerializer

    @extend_schema(responses=file_responses())
    @action(detail=True, methods=["get"], content_negotiation_class=FileNegotiation)
    def download(self, request, pk=None):
        stored = self.get_object()
        return files.download_response(
            stored.stored_path, download_name=stored.original_name, content_type=stored.content_type
        )


class SanctionViewSet(ScopedQuerysetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Teguran, scoped like everything else. POST (Camat, Sekcam, Kasi Tapem) records one for a late
    obligation; a written one comes with its PDF letter at ``letter/``."""

    queryset = Sanction.objects.select_related("desa", "issued_by")
    serializer_class = SanctionSerializer
    filterset_fields = {"desa__kode": ["exact"], "level": ["exact"], "obligation": ["exact"]}

    @extend_schema(request=SanctionCreateSerializer, responses={201: SanctionSerializer})
    @api_errors(404)  # the obligation named in the body: missing or out of scope
    def create(self, request, *args, **kwargs):
        data = SanctionCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        obligation = get_in_scope_or_404(
            Obligation.objects.select_related("desa__kecamatan"), request.user, pk=values.pop("obligation")
        )
        sanction = sanction_create(actor=request.user, obligation=obligation, **values)
        return Response(SanctionSerializer(sanction).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={(200, "application/pdf"): bytes})
    @action(detail=True, methods=["get"], content_negotiation_class=FileNegotiation)
    def letter(self, request, pk=None):
        sanction = self.get_object()
        if not sanction.letter_path:
            raise NotFound()
        return files.download_response(
            sanction.letter_path,
            download_name=f"teguran-{sanction.desa.kode}-{sanction.pk}.pdf",
            content_type="application/pdf",
        )
