"""Monev III API: the monev plan, visits, findings, recommendations and follow-ups (registered by
monev/api/urls.py). Reads are scoped (``portal.api.base``); writes go through ``monev.services_visits``."""

from __future__ import annotations

from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from monev import services_visits as services
from monev.letters_visits import visit_report_pdf
from monev.models_visits import (
    ChecklistAnswer,
    Finding,
    FollowUp,
    MonevPlanEntry,
    Recommendation,
    RecommendationTransition,
    Visit,
    VisitFile,
    VisitMode,
    VisitType,
)
from portal import files, permissions
from portal.api.base import RolePermission, ScopedReadOnlyViewSet, ScopedViewSet
from portal.api.negotiation import FileNegotiation
from portal.api.parsers import FormParser, JSONParser, MultiPartParser
from portal.api.schema import api_errors, file_responses
from portal.models import Desa, User
from portal.scoping import get_in_scope_or_404

# Serializers ----------------------------------------------------------------------------------------------


class PlanEntrySerializer(serializers.ModelSerializer):
    # A plain id, looked up in the user's scope by the view: out of scope is a 404 like everywhere else.
    desa = serializers.IntegerField(source="desa_id", min_value=1, max_value=2**63 - 1)
    desa_kode = serializers.CharField(source="desa.kode", read_only=True)

    class Meta:
        model = MonevPlanEntry
        fields = ["id", "desa", "desa_kode", "year", "quarter", "visit_type", "note"]
        read_only_fields = ["id"]
        # Uniqueness is the service's and the database's: a model validator would query before scope is checked.
        validators = []


class ChecklistAnswerSerializer(serializers.ModelSerializer):
    # ya | sebagian | tidak | "" (not answered yet); a plain string keeps the schema free of a second enum.
    answer = serializers.CharField(read_only=True)

    class Meta:
        model = ChecklistAnswer
        fields = ["id", "item_text", "sort_order", "answer", "note"]


class VisitFileSerializer(serializers.ModelSerializer):
    class Meta:
        model = VisitFile
        fields = ["id", "original_name", "size", "sha256", "content_type", "uploaded_at"]


class VisitSerializer(serializers.ModelSerializer):
    desa_kode = serializers.CharField(source="desa.kode", read_only=True)
    answers = ChecklistAnswerSerializer(many=True, read_only=True)
    files = VisitFileSerializer(many=True, read_only=True)
    team = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = Visit
        fields = [
            "id",
            "desa",
            "desa_kode",
            "visit_type",
            "mode",
            "visit_date",
            "team",
            "other_members",
            "summary",
            "letter_number",
            "answers",
            "files",
            "created_at",
        ]
        read_only_fields = fields


class VisitInputSerializer(serializers.Serializer):
    desa = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    visit_type = serializers.ChoiceField(choices=VisitType.choices)
    mode = serializers.ChoiceField(choices=VisitMode.choices, default=VisitMode.KUNJUNGAN)
    visit_date = serializers.DateField()
    team = serializers.ListField(child=serializers.IntegerField(min_value=1, max_value=2**63 - 1), required=False)
    other_members = serializers.CharField(required=False, allow_blank=True, default="")
    summary = serializers.CharField(required=False, allow_blank=True, default="")
    letter_number = serializers.CharField(required=False, allow_blank=True, default="", max_length=100)


class ChecklistInputSerializer(serializers.Serializer):
    id = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    answer = serializers.CharField(allow_blank=True, max_length=10, help_text="ya | sebagian | tidak | kosong")
    note = serializers.CharField(required=False, allow_blank=True, default="")


class FileInputSerializer(serializers.Serializer):
    file = serializers.FileField()


class FindingSerializer(serializers.ModelSerializer):
    class Meta:
        model = Finding
        fields = ["id", "visit", "text", "created_at"]
        read_only_fields = ["id", "created_at"]


class FindingInputSerializer(serializers.Serializer):
    visit = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    text = serializers.CharField()


class TransitionSerializer(serializers.ModelSerializer):
    by = serializers.CharField(source="by.username", read_only=True)
    # Plain strings (terbuka, dijawab, diterima, dibuka_kembali): one more "state" enum would collide in the schema.
    from_state = serializers.CharField(read_only=True)
    to_state = serializers.CharField(read_only=True)

    class Meta:
        model = RecommendationTransition
        fields = ["from_state", "to_state", "at", "by", "note", "follow_up"]


class RecommendationSerializer(serializers.ModelSerializer):
    transitions = TransitionSerializer(many=True, read_only=True)
    desa_kode = serializers.CharField(source="visit.desa.kode", read_only=True)
    state = serializers.CharField(read_only=True, help_text="terbuka | dijawab | diterima | dibuka_kembali")
    state_label = serializers.CharField(source="get_state_display", read_only=True)

    class Meta:
        model = Recommendation
        fields = [
            "id",
            "visit",
            "desa_kode",
            "finding",
            "text",
            "responsible",
            "due_date",
            "state",
            "state_label",
            "state_changed_at",
            "transitions",
        ]
        read_only_fields = ["id", "state", "state_changed_at", "transitions"]


class RecommendationInputSerializer(serializers.Serializer):
    visit = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    finding = serializers.IntegerField(min_value=1, max_value=2**63 - 1, required=False, allow_null=True)
    text = serializers.CharField()
    responsible = serializers.CharField(max_length=200)
    due_date = serializers.DateField()


class FollowUpSerializer(serializers.ModelSerializer):
    submitted_by = serializers.CharField(source="submitted_by.username", read_only=True)
    has_file = serializers.SerializerMethodField()

    class Meta:
        model = FollowUp
        fields = ["id", "recommendation", "text", "original_name", "has_file", "submitted_by", "submitted_at"]
        read_only_fields = fields

    def get_has_file(self, obj) -> bool:
        return bool(obj.stored_path)


class FollowUpInputSerializer(serializers.Serializer):
    recommendation = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    text = serializers.CharField()
    file = serializers.FileField(required=False)


class ReasonInputSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="")


# Viewsets -------------------------------------------------------------------------------------------------


class VisitPlanViewSet(ScopedViewSet):
    """The yearly monev plan: one row per desa, triwulan and evaluation type. Kecamatan staff write."""

    queryset = MonevPlanEntry.objects.select_related("desa")
    serializer_class = PlanEntrySerializer
    permission_classes = [RolePermission]
    filterset_fields = {"year": ["exact"], "quarter": ["exact"], "visit_type": ["exact"], "desa__kode": ["exact"]}
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    @staticmethod
    def can_write(user) -> bool:
        return permissions.is_kecamatan_staff(user)

    @api_errors(404)
    def create(self, request, *args, **kwargs):
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer):
        values = serializer.validated_data
        get_in_scope_or_404(Desa.objects.all(), self.request.user, pk=values["desa_id"])
        serializer.instance = services.plan_entry_save(actor=self.request.user, entry=MonevPlanEntry(**values))

    def perform_update(self, serializer):
        entry = serializer.instance
        for key, value in serializer.validated_data.items():
            setattr(entry, key, value)
        get_in_scope_or_404(Desa.objects.all(), self.request.user, pk=entry.desa_id)
        services.plan_entry_save(actor=self.request.user, entry=entry)


class VisitViewSet(mixins.CreateModelMixin, mixins.UpdateModelMixin, ScopedReadOnlyViewSet):
    """Visits and desk evaluations. Kecamatan staff create and change them, answer the checklist and add
    evidence; ``report`` is the visit report PDF on the letterhead."""

    queryset = Visit.objects.select_related("desa").prefetch_related("team", "answers", "files")
    serializer_class = VisitSerializer
    permission_classes = [RolePermission]
    filterset_fields = {"visit_type": ["exact"], "desa__kode": ["exact"], "visit_date": ["gte", "lte"]}
    http_method_names = ["get", "post", "put", "head", "options"]

    @staticmethod
    def can_write(user) -> bool:
        return permissions.is_kecamatan_staff(user)

    def _save(self, request, visit):
        data = VisitInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        desa = get_in_scope_or_404(Desa.objects.all(), request.user, pk=values.pop("desa"))
        team_ids = values.pop("team", [])
        team = list(User.objects.filter(pk__in=team_ids))
        if len(team) != len(set(team_ids)):
            raise serializers.ValidationError({"team": ["Pengguna tidak dikenal."]})
        return services.visit_save(actor=request.user, visit=visit, desa=desa, team=team, **values)

    @extend_schema(request=VisitInputSerializer, responses={201: VisitSerializer})
    @api_errors(404)
    def create(self, request, *args, **kwargs):
        visit = self._save(request, None)
        return Response(self.get_serializer(self.get_queryset().get(pk=visit.pk)).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=VisitInputSerializer, responses=VisitSerializer)
    def update(self, request, *args, **kwargs):
        visit = self._save(request, self.get_object())
        return Response(self.get_serializer(self.get_queryset().get(pk=visit.pk)).data)

    @extend_schema(request=ChecklistInputSerializer(many=True), responses=VisitSerializer)
    @action(detail=True, methods=["post"])
    def checklist(self, request, pk=None):
        visit = self.get_object()
        data = ChecklistInputSerializer(data=request.data, many=True)
        data.is_valid(raise_exception=True)
        answers = {row["id"]: (row["answer"], row["note"]) for row in data.validated_data}
        services.checklist_answer(actor=request.user, visit=visit, answers=answers)
        return Response(self.get_serializer(self.get_queryset().get(pk=visit.pk)).data)

    @extend_schema(request=FileInputSerializer, responses={201: VisitFileSerializer})
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser, FormParser, JSONParser])
    def files(self, request, pk=None):
        visit = self.get_object()
        data = FileInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        stored = services.visit_file_add(actor=request.user, visit=visit, upload=data.validated_data["file"])
        return Response(VisitFileSerializer(stored).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={(200, "application/pdf"): bytes})
    @action(detail=True, methods=["get"], content_negotiation_class=FileNegotiation)
    def report(self, request, pk=None):
        visit = self.get_object()
        return files.file_response(
            visit_report_pdf(visit),
            filename=f"laporan-monev-{visit.desa.kode}-{visit.pk}.pdf",
            content_type=files.CONTENT_TYPES[files.KIND_PDF],
        )


class VisitFileViewSet(ScopedReadOnlyViewSet):
    queryset = VisitFile.objects.all()
    serializer_class = VisitFileSerializer

    @extend_schema(responses=file_responses())
    @action(detail=True, methods=["get"], content_negotiation_class=FileNegotiation)
    def download(self, request, pk=None):
        stored = self.get_object()
        return files.download_response(
            stored.stored_path, download_name=stored.original_name, content_type=stored.content_type
        )


class FindingViewSet(mixins.CreateModelMixin, ScopedReadOnlyViewSet):
    queryset = Finding.objects.all()
    serializer_class = FindingSerializer
    permission_classes = [RolePermission]
    filterset_fields = {"visit": ["exact"]}

    @staticmethod
    def can_write(user) -> bool:
        return permissions.is_kecamatan_staff(user)

    @extend_schema(request=FindingInputSerializer, responses={201: FindingSerializer})
    @api_errors(404)
    def create(self, request, *args, **kwargs):
        data = FindingInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        visit = get_in_scope_or_404(Visit.objects.all(), request.user, pk=data.validated_data["visit"])
        finding = services.finding_add(actor=request.user, visit=visit, text=data.validated_data["text"])
        return Response(FindingSerializer(finding).data, status=status.HTTP_201_CREATED)


class RecommendationViewSet(mixins.CreateModelMixin, ScopedReadOnlyViewSet):
    """Recommendations of visits. A desa user sees its own desa's only."""

    queryset = Recommendation.objects.select_related("visit__desa").prefetch_related(
        Prefetch("transitions", queryset=RecommendationTransition.objects.select_related("by"))
    )
    serializer_class = RecommendationSerializer
    permission_classes = [RolePermission]
    filterset_fields = {"state": ["exact"], "visit": ["exact"], "due_date": ["lt", "gte"]}

    @staticmethod
    def can_write(user) -> bool:
        return permissions.is_kecamatan_staff(user)

    @extend_schema(request=RecommendationInputSerializer, responses={201: RecommendationSerializer})
    @api_errors(404)
    def create(self, request, *args, **kwargs):
        data = RecommendationInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        visit = get_in_scope_or_404(Visit.objects.all(), request.user, pk=values.pop("visit"))
        finding_id = values.pop("finding", None)
        finding = get_in_scope_or_404(Finding.objects.all(), request.user, pk=finding_id) if finding_id else None
        rec = services.recommendation_add(actor=request.user, visit=visit, finding=finding, **values)
        return Response(self.get_serializer(self.get_queryset().get(pk=rec.pk)).data, status=status.HTTP_201_CREATED)


class FollowUpViewSet(mixins.CreateModelMixin, ScopedReadOnlyViewSet):
    """The desa's follow-ups (POST, multipart with an optional evidence ``file``); the kecamatan ``accept``s
    the recommendation it answers or ``reopen``s it with a reason."""

    queryset = FollowUp.objects.select_related("submitted_by", "recommendation")
    serializer_class = FollowUpSerializer
    permission_classes = [RolePermission]
    filterset_fields = {"recommendation": ["exact"]}
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    @staticmethod
    def can_write(user) -> bool:
        return permissions.can_write_for_desa(user)

    @extend_schema(request=FollowUpInputSerializer, responses={201: FollowUpSerializer})
    @api_errors(404)
    def create(self, request, *args, **kwargs):
        data = FollowUpInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        rec = get_in_scope_or_404(
            Recommendation.objects.select_related("visit"), request.user, pk=values["recommendation"]
        )
        follow_up = services.follow_up_submit(
            actor=request.user, recommendation=rec, text=values["text"], upload=values.get("file")
        )
        return Response(FollowUpSerializer(follow_up).data, status=status.HTTP_201_CREATED)

    def _decide(self, request, accept: bool):
        follow_up = self.get_object()
        data = ReasonInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        rec = follow_up.recommendation
        reason = data.validated_data["reason"]
        if accept:
            services.recommendation_accept(actor=request.user, recommendation=rec, note=reason)
        else:
            services.recommendation_reopen(actor=request.user, recommendation=rec, reason=reason)
        fresh = Recommendation.objects.prefetch_related("transitions__by").select_related("visit__desa").get(pk=rec.pk)
        return Response(RecommendationSerializer(fresh).data)

    @extend_schema(request=ReasonInputSerializer, responses=RecommendationSerializer)
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        return self._decide(request, True)

    @extend_schema(request=ReasonInputSerializer, responses=RecommendationSerializer)
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        return self._decide(request, False)

    @extend_schema(responses=file_responses())
    @action(detail=True, methods=["get"], content_negotiation_class=FileNegotiation)
    def download(self, request, pk=None):
        follow_up = self.get_object()
        if not follow_up.stored_path:
            raise NotFound()
        return files.download_response(
            follow_up.stored_path, download_name=follow_up.original_name, content_type=follow_up.content_type
        )


def register(router) -> None:
    """Add this part's viewsets to the monev API router."""
    router.register("visit-plans", VisitPlanViewSet, basename="visit-plan")
    router.register("visits", VisitViewSet, basename="visit")
    router.register("visit-files", VisitFileViewSet, basename="visit-file")
    router.register("visit-findings", FindingViewSet, basename="visit-finding")
    router.register("visit-recommendations", RecommendationViewSet, basename="visit-recommendation")
    router.register("visit-follow-ups", FollowUpViewSet, basename="visit-follow-up")
