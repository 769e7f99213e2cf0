from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, PolymorphicProxySerializer, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, NotFound, PermissionDenied, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.serializers import Serializer
from rest_framework.views import APIView

from attendance import decisions, recap, review, schedules, services
from attendance.api.filtersets import (
    AttendanceWarningFilterSet,
    DailyStatusFilterSet,
    DeviceFilterSet,
    DeviceUserFilterSet,
    LeaveFilterSet,
    PunchCorrectionFilterSet,
    PunchFilterSet,
    ReviewNoteFilterSet,
    SyncRunFilterSet,
    WorkScheduleFilterSet,
)
from attendance.api.serializers import (
    AttendancePolicySerializer,
    AttendanceWarningCreateSerializer,
    AttendanceWarningSerializer,
    DailyStatusSerializer,
    DecisionSerializer,
    DeviceSerializer,
    DeviceUserSerializer,
    EffectiveScheduleSerializer,
    LeaveCreateSerializer,
    LeaveSerializer,
    PunchCorrectionCreateSerializer,
    PunchCorrectionSerializer,
    PunchSerializer,
    RecapGridSerializer,
    RecapMonthSerializer,
    ReviewNoteCreateSerializer,
    ReviewNoteSerializer,
    SyncRunSerializer,
    WorkScheduleSerializer,
)
from attendance.corrections import correction_request
from attendance.leave import leave_request
from attendance.models import (
    AttendancePolicy,
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
from portal import files, params, permissions
from portal.api.base import RolePermission, ScopedQuerysetMixin, ScopedReadOnlyViewSet, ScopedViewSet
from portal.api.negotiation import FileNegotiation
from portal.api.parsers import FormParser, JSONParser, MultiPartParser
from portal.api.schema import api_errors
from portal.models import Desa, Kecamatan, Perangkat
from portal.queue import enqueue
from portal.scoping import get_in_scope_or_404, restrict


class DeviceUnavailable(APIException):
    """A device action could not talk to the device (502, as a gateway whose upstream failed); nothing changed."""

    status_code = status.HTTP_502_BAD_GATEWAY
    default_code = "device_error"


class DeviceViewSet(ScopedViewSet):
    """Fingerprint devices: kecamatan staff manage them, the desa reads its own. The comm key is write-only.
    Look up by id; filter by ``?desa=<kode>``."""

    queryset = Device.objects.select_related("desa")
    serializer_class = DeviceSerializer
    filterset_class = DeviceFilterSet
    permission_classes = [RolePermission]
    search_fields = ["serial_number", "name"]

    @staticmethod
    def can_write(user) -> bool:
        return permissions.is_kecamatan_staff(user)

    @extend_schema(request=None, responses={202: None})
    @action(detail=True, methods=["post"])
    def pull(self, request, pk=None):
        """Enqueue a pull now ("Tarik sekarang"); follow it with ``sync-runs/?device_id=``."""
        device = self.get_object()
        enqueue("workers.tasks.device_pull_task", device.pk, "manual")
        return Response(
            {"detail": "Penarikan dijadwalkan.", "device": device.serial_number}, status=status.HTTP_202_ACCEPTED
        )

    @extend_schema(request=None)
    @action(detail=True, methods=["post"], url_path="set-time")
    def set_time(self, request, pk=None):
        """Set the device clock to the server's time in the device's zone (explicit, audited). 502 when the
        device cannot be reached (one text whatever the cause)."""
        device = self.get_object()
        if not services.can_set_time(request.user):
            raise PermissionDenied()
        try:
            audit = services.device_set_time(actor=request.user, device=device)
        except services.DeviceError as exc:
            raise DeviceUnavailable(_(str(exc))) from exc  # the "unreachable" text is a msgid: shown translated
        return Response({"detail": audit.detail})

    @extend_schema(request=None)
    @action(detail=True, methods=["post"], url_path="clear-log")
    def clear_log(self, request, pk=None):
        """Pull, prove every record on the device is stored, then clear the device's log (audited). Camat, Kasi
        Tapem and admin only (403 for other roles, before any connection); 409 when a record is missing or a
        pull is running, 502 when the device cannot be read. Nothing is cleared unless the answer is 200."""
        device = self.get_object()
        if not services.can_clear_log(request.user):
            raise PermissionDenied()
        try:
            audit = services.device_clear_log(actor=request.user, device=device)
        except services.ClearRefused as exc:
            return Response({"detail": str(exc), "code": "clear_refused"}, status=status.HTTP_409_CONFLICT)
        except services.DeviceError as exc:
            raise DeviceUnavailable(_(str(exc))) from exc  # the "unreachable" text is a msgid: shown translated
        return Response({"detail": audit.detail})


class SyncRunViewSet(ScopedReadOnlyViewSet):
    queryset = SyncRun.objects.select_related("device")
    serializer_class = SyncRunSerializer
    filterset_class = SyncRunFilterSet


class PunchViewSet(ScopedReadOnlyViewSet):
    """Raw punches (immutable). ``perangkat`` is resolved through the PIN link."""

    queryset = Punch.objects.select_related("device", "device__desa").order_by("-punched_at")
    serializer_class = PunchSerializer
    filterset_class = PunchFilterSet

    def get_queryset(self):
        from django.db.models import OuterRef, Subquery

        link = DeviceUser.objects.filter(device=OuterRef("device"), pin=OuterRef("pin")).values("perangkat_id")[:1]
        return super().get_queryset().annotate(perangkat_id=Subquery(link))


class DeviceUserViewSet(ScopedQuerysetMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Users on the devices and their link to a perangkat (PATCH ``{"perangkat": id}``; null unlinks).
    ``?unmapped=true`` is the queue of PINs not linked yet."""

    queryset = DeviceUser.objects.select_related("device", "perangkat")
    serializer_class = DeviceUserSerializer
    filterset_class = DeviceUserFilterSet
    http_method_names = ["get", "patch", "head", "options"]

    def perform_update(self, serializer):
        user = self.request.user
        if not (permissions.is_kecamatan_staff(user) or permissions.can_manage_perangkat(user)):
            raise PermissionDenied()
        if "perangkat" not in serializer.validated_data:
            return  # nothing to change: a PATCH without the field must not unlink the PIN
        # The serializer's field is scoped: an id out of the user's scope and one that does not exist get the
        # same answer, so the link cannot tell whether another kecamatan's perangkat exists.
        perangkat: Perangkat | None = serializer.validated_data["perangkat"]
        services.device_user_link(actor=user, device_user=serializer.instance, perangkat=perangkat)


# Attendance II: working hours, leave, daily statuses, recap, the Camat's review ---------------------------


class WorkScheduleViewSet(ScopedViewSet):
    """Working hours (SOP jam kerja). Everyone reads those in scope (a desa sees its kecamatan's default and
    its own overrides); kecamatan staff write, through ``schedules.schedule_save`` / ``schedule_delete``.
    ``days`` lists the working weekdays (0 = Senin); a weekday left out is a day off."""

    queryset = WorkSchedule.objects.select_related("kecamatan", "desa").prefetch_related("days")
    serializer_class = WorkScheduleSerializer
    filterset_class = WorkScheduleFilterSet
    permission_classes = [RolePermission]
    search_fields = ["name"]

    @staticmethod
    def can_write(user) -> bool:
        return permissions.is_kecamatan_staff(user)

    def perform_destroy(self, instance):
        schedules.schedule_delete(actor=self.request.user, schedule=instance)

    @extend_schema(
        parameters=[
            OpenApiParameter("desa", str, required=True, description="Kode desa"),
            OpenApiParameter("date", OpenApiTypes.DATE, description="YYYY-MM-DD; kosong = hari ini"),
        ],
        responses=EffectiveScheduleSerializer,
    )
    @action(detail=False, methods=["get"], filter_backends=[], pagination_class=None)
    @api_errors(404)  # ?desa= missing or out of scope
    def effective(self, request):
        """The schedule in force for a desa on a day (``schedule_id`` null: the built-in default)."""
        day = params.date(request.query_params, names=params.API_DATE, default=timezone.localdate())
        desa = params.desa(request.query_params, request.user, required=True)
        scoped = restrict(WorkSchedule.objects.prefetch_related("days"), request.user)
        specs = [schedules.spec_of(s) for s in scoped.filter(kecamatan_id=desa.kecamatan_id)]
        spec = schedules.schedule_for(specs, desa_id=desa.pk, kecamatan_id=desa.kecamatan_id, day=day)
        if spec.schedule_id is None:
            source = "bawaan"
        else:
            source = ("desa" if spec.desa_id else "kecamatan") + ("_range" if spec.valid_from else "")
        hours = spec.days.get(day.weekday())
        body = {
            "desa": desa.kode,
            "date": day,
            "schedule_id": spec.schedule_id,
            "name": spec.name,
            "source": source,
            "valid_from": spec.valid_from,
            "valid_to": spec.valid_to,
            "tolerance_minutes": spec.tolerance,
            "arrival_before_minutes": spec.arrival_before,
            "arrival_after_minutes": spec.arrival_after,
            "departure_before_minutes": spec.departure_before,
            "departure_after_minutes": spec.departure_after,
            "working_day": hours is not None,
            "start": hours[0] if hours else None,
            "end": hours[1] if hours else None,
            "days": [{"weekday": w, "start": s, "end": e} for w, (s, e) in sorted(spec.days.items())],
        }
        return Response(EffectiveScheduleSerializer(body).data)


class RequestDecisionMixin:
    """What the leave and koreksi absen endpoints share: POST (JSON, or multipart with an ``attachment``)
    requests one for a perangkat in scope through ``request_service`` with ``create_serializer_class``;
    ``approve``/``reject`` (the Kepala Desa for his perangkat, kecamatan staff for anyone, the Kepala Desa's own
    included) and ``cancel`` decide it through ``attendance.decisions``; ``attachment`` downloads the evidence.
    The viewset names its serializers for the schema in ``extend_schema_view`` (create, cancel)."""

    parser_classes = [JSONParser, MultiPartParser, FormParser]
    search_fields = ["perangkat__nama", "reason"]
    create_serializer_class: type[Serializer]
    request_service: Callable[..., Any]

    def create(self, request, *args, **kwargs):
        if not decisions.can_request(request.user):
            raise PermissionDenied()
        data = self.create_serializer_class(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        try:
            row = self.request_service(actor=request.user, **data.validated_data)
        except files.UploadRejected as exc:
            raise ValidationError({"attachment": exc.messages}) from exc
        return Response(self.get_serializer(row).data, status=status.HTTP_201_CREATED)

    def _decide(self, request, *, approve: bool | None):
        data = DecisionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        row, note = self.get_object(), data.validated_data["note"]
        if approve is None:
            row = decisions.request_cancel(actor=request.user, row=row, note=note)
        else:
            row = decisions.request_decide(actor=request.user, row=row, approve=approve, note=note)
        return Response(self.get_serializer(row).data)

    @extend_schema(request=DecisionSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return self._decide(request, approve=True)

    @extend_schema(request=DecisionSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        return self._decide(request, approve=False)

    @extend_schema(request=DecisionSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        return self._decide(request, approve=None)

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"], content_negotiation_class=FileNegotiation)
    def attachment(self, request, pk=None):
        row = self.get_object()
        if not row.attachment_path:
            raise NotFound(_("Pengajuan ini tidak berlampiran."))
        return files.download_response(
            row.attachment_path,
            download_name=row.attachment_filename,
            content_type=files.CONTENT_TYPES.get(row.attachment_kind, "application/octet-stream"),
        )


@extend_schema_view(
    create=extend_schema(request=LeaveCreateSerializer, responses={201: LeaveSerializer}),
    cancel=extend_schema(description="Withdraw a request, or revoke an approved leave (its days are recomputed)."),
)
class LeaveViewSet(RequestDecisionMixin, ScopedQuerysetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Izin, sakit, cuti and dinas luar. POST (JSON, or multipart with an ``attachment``) requests one for a
    perangkat in scope; ``approve``/``reject`` (the Kepala Desa for his perangkat, kecamatan staff for anyone,
    the Kepala Desa's own leave included) and ``cancel`` decide it. Filter ``?date_from=&date_to=`` returns
    every leave overlapping that range."""

    queryset = Leave.objects.select_related("perangkat", "perangkat__desa", "requested_by", "decided_by")
    serializer_class = LeaveSerializer
    create_serializer_class = LeaveCreateSerializer
    request_service = staticmethod(leave_request)
    filterset_class = LeaveFilterSet
    ordering_fields = ["date_from", "requested_at"]


@extend_schema_view(
    create=extend_schema(request=PunchCorrectionCreateSerializer, responses={201: PunchCorrectionSerializer}),
    cancel=extend_schema(description="Withdraw a request, or revoke an approved correction (its day is recomputed)."),
)
class PunchCorrectionViewSet(
    RequestDecisionMixin, ScopedQuerysetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet
):
    """Koreksi absen: a forgotten arrival (``in``) or departure (``out``) punch of one working day. POST (JSON, or
    multipart with an ``attachment``) requests one for a perangkat in scope; ``approve``/``reject`` (the Kepala
    Desa for his perangkat, kecamatan staff for anyone, the Kepala Desa's own included) and ``cancel`` decide
    it, like leave. The raw punches never change: an approved correction is read by the daily status as one
    more punch, and the day is marked ``corrected``."""

    queryset = PunchCorrection.objects.select_related("perangkat", "perangkat__desa", "requested_by", "decided_by")
    serializer_class = PunchCorrectionSerializer
    create_serializer_class = PunchCorrectionCreateSerializer
    request_service = staticmethod(correction_request)
    filterset_class = PunchCorrectionFilterSet
    ordering_fields = ["date", "requested_at"]


class AttendancePolicyView(APIView):
    """The kecamatan's missing-punch policy (how the recap counts TAM/TAP). GET: everyone reads their
    kecamatan's (``?kecamatan=<kode>``; default: your own). PUT/PATCH ``{"missing_punch": "tl4_psw4" |
    "not_present"}``: kecamatan staff of that kecamatan. Another kecamatan answers 404."""

    permission_classes = [IsAuthenticated]

    def _kecamatan(self, request) -> Kecamatan:
        body = request.data if isinstance(request.data, Mapping) else {}  # a JSON body may be null, a list, a number
        kode = str(request.query_params.get("kecamatan") or body.get("kecamatan") or "").strip()
        if not kode:
            if request.user.kecamatan_id is None:
                raise ValidationError({"kecamatan": [_("Isi kode kecamatan, mis. ?kecamatan=35.24.13.")]})
            return request.user.kecamatan
        return get_in_scope_or_404(Kecamatan.objects.all(), request.user, kode=kode)

    def _body(self, kecamatan: Kecamatan) -> dict:
        policy = AttendancePolicy.objects.select_related("updated_by").filter(kecamatan=kecamatan).first()
        return AttendancePolicySerializer(AttendancePolicySerializer.body(kecamatan, policy)).data

    @extend_schema(
        parameters=[OpenApiParameter("kecamatan", str, description="Kode kecamatan; kosong = kecamatan Anda")],
        responses=AttendancePolicySerializer,
    )
    @api_errors(404)  # ?kecamatan= missing or out of scope
    def get(self, request):
        return Response(self._body(self._kecamatan(request)))

    @extend_schema(
        parameters=[OpenApiParameter("kecamatan", str, description="Kode kecamatan; kosong = kecamatan Anda")],
        request=AttendancePolicySerializer,
        responses=AttendancePolicySerializer,
    )
    @api_errors(404)  # ?kecamatan= missing or out of scope
    def put(self, request):
        kecamatan = self._kecamatan(request)
        if not permissions.is_kecamatan_staff(request.user):
            raise PermissionDenied()
        data = AttendancePolicySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        schedules.policy_set(
            actor=request.user, kecamatan=kecamatan, missing_punch=data.validated_data["missing_punch"]
        )
        return Response(self._body(kecamatan))

    @extend_schema(
        parameters=[OpenApiParameter("kecamatan", str, description="Kode kecamatan; kosong = kecamatan Anda")],
        request=AttendancePolicySerializer,
        responses=AttendancePolicySerializer,
    )
    @api_errors(404)
    def patch(self, request):
        return self.put(request)


class DailyStatusViewSet(ScopedReadOnlyViewSet):
    """Daily statuses (derived, read-only). ``?status=TK`` matches the day's status, ``?code=TL2`` one of its
    codes; ``?date_from=&date_to=`` a range."""

    queryset = DailyStatus.objects.select_related("perangkat", "desa")
    serializer_class = DailyStatusSerializer
    filterset_class = DailyStatusFilterSet
    ordering_fields = ["date", "late_minutes", "early_minutes"]


def _month_param(request) -> dt.date:
    this_month = timezone.localdate().replace(day=1)
    return params.month(request.query_params, names=params.API_MONTH, default=this_month)


def _desa_param(request, *, required: bool) -> Desa | None:
    scoped = Desa.objects.select_related("kecamatan")
    return params.desa(request.query_params, request.user, required=required, queryset=scoped)


RECAP_PARAMETERS = [
    OpenApiParameter("month", str, description="YYYY-MM; kosong = bulan ini"),
    OpenApiParameter("desa", str, description="Kode desa: tabel perangkat × tanggal desa itu"),
]


class RecapView(APIView):
    """The monthly recap. Without ``desa``: every desa in scope ranked by attendance rate, with flags
    (chronic lateness, TK streaks, machines not reporting). With ``desa``: its grid of perangkat × days."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=RECAP_PARAMETERS,
        responses=PolymorphicProxySerializer(
            component_name="AttendanceRecap",
            serializers=[RecapMonthSerializer, RecapGridSerializer],
            resource_type_field_name=None,
        ),
    )
    @api_errors(404)  # ?desa= missing or out of scope
    def get(self, request):
        month = _month_param(request)
        desa = _desa_param(request, required=False)
        if desa is not None:
            grid = recap.desa_grid(user=request.user, desa=desa, month=month)
            body = {
                "month": month,
                "desa": desa,
                "days": grid.days,
                "day_off": grid.day_off,
                "rows": grid.rows,
                "totals": grid.totals,
                "policy": grid.policy,
                "policy_text": recap.policy_text(grid.policy),
            }
            return Response(RecapGridSerializer(body).data)
        body = {
            "month": month,
            "desa": recap.desa_month(user=request.user, month=month),
            "flags": recap.flags(user=request.user, month=month),
        }
        return Response(RecapMonthSerializer(body).data)


class RecapExportXlsxView(APIView):
    """The recap as a workbook: every desa in scope, or one desa with ``?desa=``."""

    permission_classes = [IsAuthenticated]
    content_negotiation_class = FileNegotiation

    @extend_schema(
        parameters=RECAP_PARAMETERS, responses={(200, files.CONTENT_TYPES[files.KIND_XLSX]): OpenApiTypes.BINARY}
    )
    @api_errors(404)  # ?desa= missing or out of scope
    def get(self, request):
        month = _month_param(request)
        desa = _desa_param(request, required=False)
        from attendance import exports  # after the scope check: a foreign desa is a 404 whatever the export does

        content = exports.recap_workbook(user=request.user, month=month, desa=desa)
        exports.recap_export_record(request=request._request, file_format="xlsx", month=month, desa=desa)
        area = desa.kode if desa else (request.user.kecamatan.kode if request.user.kecamatan_id else "")
        name = f"rekap-absensi-{month:%Y-%m}{f'-{area}' if area else ''}.xlsx"
        return files.file_response(content, filename=name, content_type=files.CONTENT_TYPES[files.KIND_XLSX])


class RecapExportPdfView(APIView):
    """One desa's recap as a PDF (``?desa=`` is required)."""

    permission_classes = [IsAuthenticated]
    content_negotiation_class = FileNegotiation

    @extend_schema(
        parameters=[RECAP_PARAMETERS[0], OpenApiParameter("desa", str, required=True, description="Kode desa")],
        responses={(200, files.CONTENT_TYPES[files.KIND_PDF]): OpenApiTypes.BINARY},
    )
    @api_errors(404)  # ?desa= missing or out of scope
    def get(self, request):
        month = _month_param(request)
        desa = _desa_param(request, required=True)
        from attendance import exports

        content = exports.recap_pdf(user=request.user, month=month, desa=desa)
        exports.recap_export_record(request=request._request, file_format="pdf", month=month, desa=desa)
        name = f"rekap-absensi-{month:%Y-%m}-{desa.kode}.pdf"
        return files.file_response(content, filename=name, content_type=files.CONTENT_TYPES[files.KIND_PDF])


class ReviewNoteViewSet(ScopedQuerysetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """The Camat's and Kasi's notes on a desa's month (``?desa=&month=YYYY-MM``). Reviewers create them."""

    queryset = ReviewNote.objects.select_related("desa", "perangkat", "author")
    serializer_class = ReviewNoteSerializer
    filterset_class = ReviewNoteFilterSet
    permission_classes = [RolePermission]

    @staticmethod
    def can_write(user) -> bool:
        return review.can_review(user)

    @extend_schema(request=ReviewNoteCreateSerializer, responses={201: ReviewNoteSerializer})
    def create(self, request, *args, **kwargs):
        data = ReviewNoteCreateSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        note = review.note_create(actor=request.user, **data.validated_data)
        return Response(self.get_serializer(note).data, status=status.HTTP_201_CREATED)


class AttendanceWarningViewSet(ScopedQuerysetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Teguran about attendance. Kecamatan reviewers (Camat, Sekcam, Kasi Tapem) issue them; a written one
    comes with its PDF letter at ``letter/``."""

    queryset = AttendanceWarning.objects.select_related("perangkat", "perangkat__desa", "issued_by")
    serializer_class = AttendanceWarningSerializer
    filterset_class = AttendanceWarningFilterSet
    permission_classes = [RolePermission]

    @staticmethod
    def can_write(user) -> bool:
        return review.can_review(user) and permissions.is_kecamatan_staff(user)

    @extend_schema(request=AttendanceWarningCreateSerializer, responses={201: AttendanceWarningSerializer})
    def create(self, request, *args, **kwargs):
        data = AttendanceWarningCreateSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        warning = review.warning_create(actor=request.user, **data.validated_data)
        return Response(self.get_serializer(warning).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"], content_negotiation_class=FileNegotiation)
    def letter(self, request, pk=None):
        warning = self.get_object()
        if not warning.letter_path:
            raise NotFound(_("Teguran lisan tidak memiliki surat."))
        return files.download_response(
            warning.letter_path,
            download_name=f"teguran-absensi-{warning.perangkat.desa.kode}-{warning.pk}.pdf",
            content_type=files.CONTENT_TYPES[files.KIND_PDF],
        )
