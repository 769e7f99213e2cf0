"""Musrenbang API: meetings (schedule, record, documents, participation), the board, proposals and their flow,
ranking, totals, "tercover" coverage, import/export, and the kecamatan's ranking rule.

Reads go through ``restrict`` (the viewsets' ``ScopedQuerysetMixin`` or ``get_in_scope_or_404``), so a row out
of scope answers 404; every write goes through ``musrenbang.services`` (or ``musrenbang.imports``), which check
the role and the scope again. A role that may see a row but not change it gets 403."""

from __future__ import annotations

from django.db.models import Prefetch
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from musrenbang import rules, selectors, services
from musrenbang.api.filtersets import MeetingFilterSet, ProposalFilterSet
from musrenbang.api.serializers import (
    MeetingDocumentSerializer,
    MeetingDocumentUploadSerializer,
    MeetingRecordSerializer,
    MeetingScheduleSerializer,
    MeetingSerializer,
    MusrenbangBoardSerializer,
    ParticipantImportResultSerializer,
    ParticipantImportSerializer,
    ParticipantsInputSerializer,
    ParticipantsSerializer,
    ProposalAccommodateSerializer,
    ProposalCoverageSerializer,
    ProposalDiscussSerializer,
    ProposalImportResultSerializer,
    ProposalImportSerializer,
    ProposalNoteSerializer,
    ProposalRankingSerializer,
    ProposalRejectSerializer,
    ProposalSerializer,
    ProposalTotalsResultSerializer,
    RankingRuleSerializer,
    board_body,
    participants_body,
)
from musrenbang.choices import Bidang, ProposalStatus
from musrenbang.models import Meeting, MeetingDocument, Proposal, ProposalTransition, RankingRule
from portal import files, params, permissions
from portal.api.base import RolePermission, ScopedQuerysetMixin, ScopedViewSet
from portal.api.negotiation import FileNegotiation
from portal.api.parsers import FormParser, JSONParser, MultiPartParser
from portal.api.schema import api_errors, file_responses
from portal.choices import DESA_ROLES
from portal.imports import upload_bytes
from portal.models import Desa, Kecamatan
from portal.scoping import get_in_scope_or_404, restrict

YEAR_PARAMETER = OpenApiParameter("year", int, required=True, description="Tahun siklus (tahun Musrenbang Kecamatan)")
KECAMATAN_PARAMETER = OpenApiParameter("kecamatan", str, description="Kode kecamatan (hanya administrator)")
MAX_COVERAGE_YEARS = 10
TOTAL_FIELDS = ("count", "cost", "accommodated", "accommodated_cost", "decided")


def _writer(user) -> bool:
    """Who may write anything here at all; the services decide the rest (after the scope said 404 or not)."""
    return permissions.is_kecamatan_staff(user) or (user.is_authenticated and user.role in DESA_ROLES)


def _year_param(request) -> int:
    return params.year(request.query_params, names=params.API_YEAR, required=True)


def _kecamatan_param(request) -> Kecamatan:
    """The kecamatan named by ``?kecamatan=`` (404 when out of scope), else the user's own."""
    kode = request.query_params.get("kecamatan", "").strip()
    if kode:
        return get_in_scope_or_404(Kecamatan.objects.all(), request.user, kode=kode)
    if request.user.kecamatan_id:
        return request.user.kecamatan
    raise ValidationError({"kecamatan": [_("Pilih kecamatan, mis. ?kecamatan=35.24.13.")]})


def _xlsx_bytes(upload) -> bytes:
    """The content of an uploaded workbook after checking it really is one (by content, not by name) and
    within the import limit, as the web form does; a refusal names the ``file`` field."""
    try:
        return upload_bytes(upload)
    except files.UploadRejected as exc:
        raise ValidationError({"file": exc.messages}) from exc


# Meetings -----------------------------------------------------------------------------------------------


class MeetingViewSet(ScopedQuerysetMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Musdes, Musrenbangdes and the Musrenbang Kecamatan. A desa user sees its desa's meetings and its
    kecamatan's forum. ``state`` is computed for today (``?state=`` filters on it); a meeting held outside
    its window or out of the order Musdes → Musrenbangdes → RKPDes is ``di_luar_jadwal``, with
    ``state_reasons`` saying why. PATCH records the meeting (held date, place, notes) — the desa for its own
    meetings, kecamatan staff for any."""

    queryset = Meeting.objects.select_related("desa", "kecamatan").prefetch_related(
        Prefetch("documents", queryset=MeetingDocument.objects.select_related("uploaded_by")),
        "participation",
        "participants",
    )
    serializer_class = MeetingSerializer
    filterset_class = MeetingFilterSet
    permission_classes = [RolePermission]
    search_fields = ["place", "notes", "desa__nama"]
    ordering_fields = ["year", "planned_date", "held_date"]

    @staticmethod
    def can_write(user) -> bool:
        return _writer(user)

    def get_queryset(self):
        return selectors.with_state_inputs(super().get_queryset())

    def _editable(self) -> Meeting:
        meeting = self.get_object()
        if not services.can_edit_meeting(self.request.user, meeting):
            raise PermissionDenied()
        return meeting

    def _fresh(self, meeting: Meeting) -> dict:
        return self.get_serializer(self.get_queryset().get(pk=meeting.pk)).data

    def _record(self, request):
        meeting = self._editable()
        data = MeetingRecordSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        services.meeting_record(
            actor=request.user,
            meeting=meeting,
            held_date=values.get("held_date", meeting.held_date),
            place=values.get("place", meeting.place),
            notes=values.get("notes", meeting.notes),
        )
        return Response(self._fresh(meeting))

    @extend_schema(request=MeetingRecordSerializer, responses=MeetingSerializer)
    def update(self, request, *args, **kwargs):
        """Record the meeting; fields left out keep their value (PUT and PATCH alike)."""
        return self._record(request)

    @extend_schema(request=MeetingRecordSerializer, responses=MeetingSerializer)
    def partial_update(self, request, *args, **kwargs):
        return self._record(request)

    @extend_schema(request=MeetingScheduleSerializer, responses=MeetingSerializer(many=True))
    @action(detail=False, methods=["post"], filter_backends=[], pagination_class=None)
    def schedule(self, request):
        """Kecamatan staff set the planned date (and optionally the window) of one kind of meeting for the
        listed desa, or every desa of the kecamatan, or the kecamatan's own forum."""
        if not permissions.is_kecamatan_staff(request.user):
            raise PermissionDenied()
        data = MeetingScheduleSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        values = data.validated_data
        kecamatan = values.get("kecamatan") or request.user.kecamatan
        if kecamatan is None:
            raise ValidationError({"kecamatan": [_("Pilih kecamatan.")]})
        window = (values["window_start"], values["window_end"]) if "window_start" in values else None
        scheduled = services.meetings_schedule(
            actor=request.user,
            kecamatan=kecamatan,
            year=values["year"],
            kind=values["kind"],
            planned_date=values["planned_date"],
            desa=values.get("desa"),
            window=window,
        )
        rows = self.get_queryset().filter(pk__in=[m.pk for m in scheduled]).order_by("desa__kode")
        return Response(self.get_serializer(rows, many=True).data)

    @extend_schema(methods=["GET"], request=None, responses=MeetingDocumentSerializer(many=True))
    @extend_schema(
        methods=["POST"], request=MeetingDocumentUploadSerializer, responses={201: MeetingDocumentSerializer}
    )
    @action(
        detail=True,
        methods=["get", "post"],
        parser_classes=[MultiPartParser, FormParser],
        pagination_class=None,
        filter_backends=[],
    )
    def documents(self, request, pk=None):
        """The meeting's documents; POST (multipart ``role`` + ``file``) adds one. The file's content decides
        its type: a renamed file is refused. Nothing is overwritten: a new upload is a new row."""
        if request.method == "GET":
            meeting = self.get_object()
            return Response(MeetingDocumentSerializer(meeting.documents.all(), many=True).data)
        meeting = self._editable()
        data = MeetingDocumentUploadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            document = services.meeting_document_add(
                actor=request.user,
                meeting=meeting,
                role=data.validated_data["role"],
                upload=data.validated_data["file"],
            )
        except files.UploadRejected as exc:
            raise ValidationError({"file": exc.messages}) from exc
        return Response(MeetingDocumentSerializer(document).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[OpenApiParameter("doc_id", int, OpenApiParameter.PATH, description="Id dokumen")],
        responses=file_responses("application/octet-stream"),
    )
    @action(
        detail=True,
        methods=["get"],
        url_path=r"documents/(?P<doc_id>[0-9]+)/download",
        url_name="document-download",
        content_negotiation_class=FileNegotiation,
    )
    def document_download(self, request, pk=None, doc_id=None):
        meeting = self.get_object()
        document = get_in_scope_or_404(MeetingDocument.objects.filter(meeting=meeting), request.user, pk=doc_id)
        return files.download_response(
            document.stored_path,
            download_name=document.original_name,
            content_type=files.CONTENT_TYPES.get(document.kind, "application/octet-stream"),
        )

    @extend_schema(methods=["GET"], request=None, responses=ParticipantsSerializer)
    @extend_schema(methods=["PUT"], request=ParticipantsInputSerializer, responses=ParticipantsSerializer)
    @action(detail=True, methods=["get", "put"], parser_classes=[JSONParser], pagination_class=None, filter_backends=[])
    def participants(self, request, pk=None):
        """Who took part: the counts typed per group (men/women), the named list, and the summary (women's
        share, groups present). PUT ``{"counts": {"bpd": {"men": 5, "women": 2}, …}}`` replaces the counts."""
        if request.method == "GET":
            return Response(ParticipantsSerializer(participants_body(self.get_object())).data)
        meeting = self._editable()
        data = ParticipantsInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        counts = {group: (c["men"], c["women"]) for group, c in data.validated_data["counts"].items()}
        services.participation_set(actor=request.user, meeting=meeting, counts=counts)
        return Response(ParticipantsSerializer(participants_body(meeting)).data)

    @extend_schema(request=ParticipantImportSerializer, responses=ParticipantImportResultSerializer)
    @action(
        detail=True,
        methods=["post"],
        url_path="participants/import",
        url_name="participants-import",
        parser_classes=[MultiPartParser, FormParser],
        pagination_class=None,
        filter_backends=[],
    )
    def participants_import(self, request, pk=None):
        """Import the named attendance list from the Excel template (multipart ``file``)."""
        meeting = self._editable()
        data = ParticipantImportSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        content = _xlsx_bytes(data.validated_data["file"])
        from musrenbang import imports  # the workbook reader is loaded only when a workbook comes in

        imported = imports.participants_import_xlsx(actor=request.user, meeting=meeting, data=content)
        body = {"imported": imported, **participants_body(meeting)}
        return Response(ParticipantImportResultSerializer(body).data)


class BoardView(APIView):
    """Desa × meeting type for one cycle, with the number of proposals of each desa and whether it takes part
    (Musrenbangdes held lawfully — berita acara uploaded, inside its window and in order — and at least one
    proposal): ``participating`` is the indicator "jumlah desa yang mengikuti Musrenbang" out of ``total``.
    ``totals`` counts the desa in each state per meeting type (``di_luar_jadwal`` included)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(parameters=[YEAR_PARAMETER], responses=MusrenbangBoardSerializer)
    def get(self, request):
        board = selectors.board(user=request.user, year=_year_param(request))
        return Response(MusrenbangBoardSerializer(board_body(board)).data)


# Proposals ----------------------------------------------------------------------------------------------


class ProposalViewSet(ScopedViewSet):
    """Usulan kegiatan. The desa creates and edits its own (while still "diusulkan"); kecamatan staff may
    create them too and alone move them: ``discuss`` → ``forward`` → ``accommodate``/``reject``, ``return``
    from "dibahas". A desa carries a rejected one over to next year with ``carry-over``."""

    queryset = Proposal.objects.select_related("desa", "carried_from", "carried_to", "created_by").prefetch_related(
        Prefetch("transitions", queryset=ProposalTransition.objects.select_related("by"))
    )
    serializer_class = ProposalSerializer
    filterset_class = ProposalFilterSet
    permission_classes = [RolePermission]
    search_fields = ["activity", "sub_bidang", "location", "beneficiaries"]
    ordering_fields = ["year", "desa_rank", "estimated_cost", "score", "kecamatan_priority", "created_at"]
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    @staticmethod
    def can_write(user) -> bool:
        return _writer(user)

    def _fresh(self, proposal: Proposal) -> dict:
        return self.get_serializer(self.get_queryset().get(pk=proposal.pk)).data

    def _move(self, request, to_status: str, serializer_class) -> Response:
        proposal = self.get_object()
        if not permissions.is_kecamatan_staff(request.user):
            raise PermissionDenied()
        data = serializer_class(data=request.data)
        data.is_valid(raise_exception=True)
        services.proposal_move(actor=request.user, proposal=proposal, to_status=to_status, **data.validated_data)
        return Response(self._fresh(proposal))

    @extend_schema(request=ProposalDiscussSerializer, responses=ProposalSerializer)
    @action(detail=True, methods=["post"])
    def discuss(self, request, pk=None):
        """To "dibahas", with the kecamatan's priority and score (0–100)."""
        return self._move(request, ProposalStatus.DIBAHAS, ProposalDiscussSerializer)

    @extend_schema(request=ProposalNoteSerializer, responses=ProposalSerializer)
    @action(detail=True, methods=["post"])
    def forward(self, request, pk=None):
        """To "diteruskan" (to the kabupaten)."""
        return self._move(request, ProposalStatus.DITERUSKAN, ProposalNoteSerializer)

    @extend_schema(request=ProposalAccommodateSerializer, responses=ProposalSerializer)
    @action(detail=True, methods=["post"])
    def accommodate(self, request, pk=None):
        """To "diakomodasi": the program/OPD that took it is required."""
        return self._move(request, ProposalStatus.DIAKOMODASI, ProposalAccommodateSerializer)

    @extend_schema(request=ProposalRejectSerializer, responses=ProposalSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        """To "tidak diakomodasi": the reason is required."""
        return self._move(request, ProposalStatus.TIDAK_DIAKOMODASI, ProposalRejectSerializer)

    @extend_schema(request=ProposalNoteSerializer, responses=ProposalSerializer)
    @action(detail=True, methods=["post"], url_path="return", url_name="return")
    def return_(self, request, pk=None):
        """Back to "diusulkan" from "dibahas" (the desa may edit it again)."""
        return self._move(request, ProposalStatus.DIUSULKAN, ProposalNoteSerializer)

    @extend_schema(request=None, responses={201: ProposalSerializer})
    @action(detail=True, methods=["post"], url_path="carry-over", url_name="carry-over")
    def carry_over(self, request, pk=None):
        """Propose a rejected proposal again next year: a new proposal linked to this one (once)."""
        follow = services.proposal_carry_over(actor=request.user, proposal=self.get_object())
        return Response(self._fresh(follow), status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=ProposalSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def chain(self, request, pk=None):
        """The proposal's carry-over chain over the years, oldest first."""
        ids = [p.pk for p in selectors.chain(self.get_object())]
        rows = self.get_queryset().filter(pk__in=ids).order_by("year", "id")
        return Response(self.get_serializer(rows, many=True).data)

    @extend_schema(parameters=[YEAR_PARAMETER, KECAMATAN_PARAMETER], responses=ProposalRankingSerializer)
    @api_errors(404)  # ?kecamatan= missing or out of scope
    @action(detail=False, methods=["get"], pagination_class=None, filter_backends=[])
    def ranking(self, request):
        """Proposals discussed at the kecamatan (or further), ranked by score, then the kecamatan's
        tie-breakers (``ranking-rule``)."""
        year = _year_param(request)
        # An administrator without ``?kecamatan=`` ranks everything with the default tie-breakers.
        named = request.user.kecamatan_id or request.query_params.get("kecamatan", "").strip()
        kecamatan = _kecamatan_param(request) if named else None
        ranked = selectors.ranking(user=request.user, year=year, kecamatan=kecamatan)
        for number, proposal in enumerate(ranked, start=1):
            proposal.rank = number
        body = {
            "year": year,
            "kecamatan": kecamatan.kode if kecamatan else None,
            "tie_breakers": selectors.tie_breakers_for(kecamatan),
            "results": ranked,
        }
        return Response(ProposalRankingSerializer(body).data)

    @extend_schema(
        parameters=[YEAR_PARAMETER, OpenApiParameter("by", str, enum=["desa", "bidang"], description="Default desa")],
        responses=ProposalTotalsResultSerializer,
    )
    @action(detail=False, methods=["get"], pagination_class=None, filter_backends=[])
    def totals(self, request):
        """Count and money per desa (every desa in scope) or per bidang, with the accommodated share."""
        year = _year_param(request)
        by = request.query_params.get("by", "desa").strip() or "desa"
        if by not in ("desa", "bidang"):
            raise ValidationError({"by": [_("Pilih by=desa atau by=bidang.")]})
        if by == "desa":
            found = selectors.totals(user=request.user, year=year, by=("desa_id",))
            keys = [((d.pk,), d.kode, d.nama) for d in restrict(Desa.objects.order_by("kode"), request.user)]
        else:
            found = selectors.totals(user=request.user, year=year, by=("bidang",))
            keys = [((value,), value, str(label)) for value, label in Bidang.choices]
        rows = [
            {"key": key, "label": label, **_totals(found.get(lookup, selectors.Totals()))}
            for lookup, key, label in keys
        ]
        grand = selectors.Totals(**{name: sum(getattr(t, name) for t in found.values()) for name in TOTAL_FIELDS})
        return Response(
            ProposalTotalsResultSerializer({"year": year, "by": by, "rows": rows, "total": _totals(grand)}).data
        )

    @extend_schema(
        parameters=[OpenApiParameter("years", str, required=True, description="Tahun dipisah koma, mis. 2025,2026")],
        responses=ProposalCoverageSerializer,
    )
    @action(detail=False, methods=["get"], pagination_class=None, filter_backends=[])
    def coverage(self, request):
        """The "tercover" figure per desa per year: the share of decided proposals that were accommodated,
        and the share of the money."""
        years = params.years(request.query_params, most=MAX_COVERAGE_YEARS)
        found = selectors.coverage(user=request.user, years=years)
        rows = [
            {
                "desa": d.kode,
                "desa_nama": d.nama,
                "years": [{"year": y, **_totals(found.get(d.pk, {}).get(y, selectors.Totals()))} for y in years],
            }
            for d in restrict(Desa.objects.order_by("kode"), request.user)
        ]
        return Response(ProposalCoverageSerializer({"years": years, "rows": rows}).data)

    @extend_schema(request=ProposalImportSerializer, responses={201: ProposalImportResultSerializer})
    @action(
        detail=False,
        methods=["post"],
        url_path="import",
        url_name="import",
        parser_classes=[MultiPartParser, FormParser],
        pagination_class=None,
        filter_backends=[],
    )
    @api_errors(404)  # the desa named in the body: missing or out of scope
    def import_(self, request):
        """Import a desa's proposals from the Excel template (multipart ``desa``, ``year``, ``file``). Any row
        error refuses the whole workbook, listing the rows."""
        data = ProposalImportSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        desa = get_in_scope_or_404(
            Desa.objects.select_related("kecamatan"), request.user, kode=data.validated_data["desa"]
        )
        content = _xlsx_bytes(data.validated_data["file"])
        from musrenbang import imports

        created = imports.proposals_import_xlsx(
            actor=request.user, desa=desa, year=data.validated_data["year"], data=content
        )
        rows = self.get_queryset().filter(pk__in=[p.pk for p in created])
        body = {"imported": len(created), "results": self.get_serializer(rows, many=True).data}
        return Response(body, status=status.HTTP_201_CREATED)


def _totals(t: selectors.Totals) -> dict:
    return {
        "count": t.count,
        "cost": t.cost,
        "accommodated": t.accommodated,
        "accommodated_cost": t.accommodated_cost,
        "decided": t.decided,
        "share": t.share,
        "money_share": t.money_share,
    }


class ProposalExportXlsxView(APIView):
    """The consolidated proposal list as a workbook, with the same filters as the list."""

    permission_classes = [IsAuthenticated]
    content_negotiation_class = FileNegotiation

    @extend_schema(
        parameters=[
            YEAR_PARAMETER,
            OpenApiParameter("desa", str, description="Kode desa"),
            OpenApiParameter("bidang", str, enum=Bidang.values),
            OpenApiParameter("status", str, enum=ProposalStatus.values),
        ],
        responses={(200, files.CONTENT_TYPES[files.KIND_XLSX]): OpenApiTypes.BINARY},
    )
    @api_errors(404)  # ?desa= missing or out of scope
    def get(self, request):
        year = _year_param(request)
        desa = params.desa(request.query_params, request.user, queryset=Desa.objects.select_related("kecamatan"))
        bidang = request.query_params.get("bidang", "").strip() or None
        state = request.query_params.get("status", "").strip() or None
        if bidang is not None and bidang not in Bidang.values:
            raise ValidationError({"bidang": [_("Bidang tidak dikenal.")]})
        if state is not None and state not in ProposalStatus.values:
            raise ValidationError({"status": [_("Status usulan tidak dikenal.")]})
        from musrenbang import exports  # after the scope check: a foreign desa is a 404 whatever the export does

        content = exports.proposals_workbook(
            user=request.user, year=year, desa=desa.kode if desa else None, bidang=bidang, status=state
        )
        name = f"usulan-musrenbang-{year}{f'-{desa.kode}' if desa else ''}.xlsx"
        return files.file_response(content, filename=name, content_type=files.CONTENT_TYPES[files.KIND_XLSX])


class BeritaAcaraPdfView(APIView):
    """The berita acara of the kecamatan's Musrenbang (its proposals and outcome) as a PDF; kecamatan staff."""

    permission_classes = [IsAuthenticated]
    content_negotiation_class = FileNegotiation

    @extend_schema(
        parameters=[YEAR_PARAMETER, KECAMATAN_PARAMETER],
        responses={(200, files.CONTENT_TYPES[files.KIND_PDF]): OpenApiTypes.BINARY},
    )
    @api_errors(403, 404)  # kecamatan staff only; ?kecamatan= missing or out of scope
    def get(self, request):
        kecamatan = _kecamatan_param(request)  # first: another kecamatan's is a 404 for every role
        if not permissions.is_kecamatan_staff(request.user):
            raise PermissionDenied()
        year = _year_param(request)
        from musrenbang import exports

        content = exports.berita_acara_pdf(user=request.user, kecamatan=kecamatan, year=year)
        name = f"berita-acara-musrenbang-{kecamatan.kode}-{year}.pdf"
        return files.file_response(content, filename=name, content_type=files.CONTENT_TYPES[files.KIND_PDF])


class RankingRuleView(APIView):
    """How the kecamatan breaks ties between proposals of equal score. Everyone in the kecamatan reads it;
    kecamatan staff change it (PUT ``{"tie_breakers": ["desa_rank", "cost_low"]}``)."""

    permission_classes = [IsAuthenticated]  # the role is checked after the scope: another kecamatan is a 404

    def _body(self, kecamatan: Kecamatan) -> dict:
        rule = restrict(RankingRule.objects.filter(kecamatan=kecamatan), self.request.user).first()
        return {
            "kecamatan": kecamatan.kode,
            "tie_breakers": selectors.tie_breakers_for(kecamatan),
            "is_default": not (rule and rule.tie_breakers),
            "choices": [{"key": key, "label": label} for key, (label, _key) in rules.TIE_BREAKERS.items()],
        }

    @extend_schema(parameters=[KECAMATAN_PARAMETER], responses=RankingRuleSerializer)
    @api_errors(404)  # ?kecamatan= missing or out of scope
    def get(self, request):
        return Response(RankingRuleSerializer(self._body(_kecamatan_param(request))).data)

    @extend_schema(parameters=[KECAMATAN_PARAMETER], request=RankingRuleSerializer, responses=RankingRuleSerializer)
    @api_errors(404)
    def put(self, request):
        kecamatan = _kecamatan_param(request)
        if not permissions.is_kecamatan_staff(request.user):
            raise PermissionDenied()
        data = RankingRuleSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.ranking_rule_set(
            actor=request.user, kecamatan=kecamatan, tie_breakers=data.validated_data["tie_breakers"]
        )
        return Response(RankingRuleSerializer(self._body(kecamatan)).data)
