from __future__ import annotations

from axes.handlers.proxy import AxesProxyHandler
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view, inline_serializer
from knox.models import AuthToken
from knox.settings import knox_settings
from rest_framework import fields as drf_fields
from rest_framework import generics, status, viewsets
from rest_framework import permissions as permissions_drf
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from portal import notify, params, permissions, services
from portal.api.base import IdLookupMixin, RolePermission, ScopedReadOnlyViewSet, ScopedViewSet
from portal.api.filtersets import DesaFilterSet, HariLiburFilterSet, PerangkatFilterSet
from portal.api.serializers import (
    DeliverySerializer,
    DesaSerializer,
    HariLiburSerializer,
    KecamatanSerializer,
    MeSerializer,
    NonWorkingDaySerializer,
    NotificationSerializer,
    PerangkatSerializer,
    TokenRequestSerializer,
    TokenResponseSerializer,
)
from portal.calendar import holiday_create, holiday_delete, holiday_update, non_working_days
from portal.models import Delivery, Desa, HariLibur, Kecamatan, Notification, Perangkat, SecurityEvent
from portal.queue import enqueue
from portal.security import security_event_record, tokens_revoke
from portal.throttles import AuthRateThrottle


class TokenView(APIView):
    """POST ``{"username", "password"}``, receive ``{"token": "…", "expiry": "…"}``; send it back as
    ``Authorization: Token …``. The token expires (``API_TOKEN_TTL_HOURS``) and is revoked by a password change.
    Shares django-axes' lockout with the web login (429), and is rate-limited per address."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [AuthRateThrottle]
    serializer_class = TokenRequestSerializer

    @extend_schema(request=TokenRequestSerializer, responses={200: TokenResponseSerializer})
    def post(self, request, *args, **kwargs):
        if not isinstance(request.data, dict):
            raise ValidationError({"detail": [_("Kirim objek JSON berisi username dan password.")]})
        credentials = {"username": str(request.data.get("username", ""))}
        if not AxesProxyHandler.is_allowed(request._request, credentials):
            return Response(
                {"detail": _("Terlalu banyak percobaan masuk yang gagal; akun dikunci sementara."), "code": "locked"},
                status=status.HTTP_429_TOO_MANY_REQUESTS,
            )
        data = TokenRequestSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        user = data.validated_data["user"]
        instance, token = AuthToken.objects.create(user, expiry=knox_settings.TOKEN_TTL)
        security_event_record(kind=SecurityEvent.Kind.TOKEN_CREATED, user=user, request=request._request)
        return Response({"token": token, "expiry": instance.expiry})


class TokenRevokeView(APIView):
    """POST: revoke the token this request is made with (``all=true``: every token of the user, which also
    works from a browser session)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=None,
        parameters=[OpenApiParameter("all", bool, description="true: cabut semua token pengguna ini")],
        responses={200: inline_serializer("TokenRevoked", {"revoked": drf_fields.IntegerField()})},
    )
    def post(self, request, *args, **kwargs):
        revoke_all = str(request.query_params.get("all", "")).lower() in ("1", "true")
        if not revoke_all and not isinstance(request.auth, AuthToken):
            raise ValidationError({"detail": [_("Tidak masuk dengan token; pakai ?all=true untuk mencabut semua.")]})
        key = "" if revoke_all else request.auth.token_key
        count = tokens_revoke(
            user=request.user, actor=request.user, request=request._request, reason="api", token_key=key
        )
        return Response({"revoked": count})


class KecamatanViewSet(ScopedReadOnlyViewSet):
    queryset = Kecamatan.objects.all()
    serializer_class = KecamatanSerializer
    search_fields = ["nama", "kode"]
    ordering_fields = ["kode", "nama"]


class DesaViewSet(ScopedReadOnlyViewSet):
    queryset = Desa.objects.select_related("kecamatan")
    serializer_class = DesaSerializer
    filterset_class = DesaFilterSet
    search_fields = ["nama", "kode"]
    ordering_fields = ["kode", "nama"]


class PerangkatViewSet(ScopedViewSet):
    """Perangkat desa. Kecamatan staff manage their kecamatan's, the Operator Desa their own desa's.
    DELETE ends the term (``aktif=false``) rather than erasing the person: history and attendance stay."""

    queryset = Perangkat.objects.select_related("desa")
    serializer_class = PerangkatSerializer
    filterset_class = PerangkatFilterSet
    permission_classes = [RolePermission]
    ordering_fields = ["nama", "jabatan", "desa__kode", "tanggal_mulai"]

    @property
    def search_fields(self) -> list[str]:
        # By NIK only for those who see it in full: a search would reveal a masked NIK digit by digit.
        user = getattr(getattr(self, "request", None), "user", None)
        return ["nama", "nik", "nipd"] if user and permissions.can_search_nik(user) else ["nama", "nipd"]

    @staticmethod
    def can_write(user) -> bool:
        return permissions.can_manage_perangkat(user)

    def destroy(self, request, *args, **kwargs):
        perangkat = self.get_object()
        services.perangkat_deactivate(actor=request.user, perangkat=perangkat)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(generics.RetrieveAPIView):
    serializer_class = MeSerializer
    permission_classes = [IsAuthenticated]

    @extend_schema(summary="Pengguna yang sedang masuk, perannya dan cakupan wilayahnya")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_object(self):
        return self.request.user


class HariLiburViewSet(ScopedViewSet):
    """The editable holiday table. National rows (no kecamatan) are read by everyone and changed only by an
    admin; kecamatan staff add and change their own kecamatan's rows (a local holiday, or ``is_holiday=false``
    to cancel a national one for their kecamatan)."""

    queryset = HariLibur.objects.select_related("kecamatan")
    serializer_class = HariLiburSerializer
    permission_classes = [RolePermission]
    filterset_class = HariLiburFilterSet
    pagination_class = None

    @staticmethod
    def can_write(user) -> bool:
        return permissions.can_manage_holidays(user)

    @staticmethod
    def _write(write, serializer=None):
        """Run a ``portal.calendar`` holiday service. Its refusals keep their reason, and name the API's
        fields (``date``, not the model's ``tanggal``)."""
        try:
            return write()
        except DjangoPermissionDenied as exc:
            if not str(exc):
                raise
            raise PermissionDenied(str(exc)) from exc
        except DjangoValidationError as exc:
            if serializer is None or not hasattr(exc, "error_dict"):
                raise
            names = {field.source: name for name, field in serializer.fields.items()}
            raise ValidationError({names.get(key, key): value for key, value in exc.message_dict.items()}) from exc

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = self._write(lambda: holiday_create(actor=self.request.user, **data), serializer)

    def perform_update(self, serializer):
        row, data = serializer.instance, serializer.validated_data
        serializer.instance = self._write(
            lambda: holiday_update(actor=self.request.user, holiday=row, **data), serializer
        )

    def perform_destroy(self, instance):
        self._write(lambda: holiday_delete(actor=self.request.user, holiday=instance))


class NonWorkingDaysView(generics.GenericAPIView):
    """Every day off of a year for the user's kecamatan: weekends, national holidays, cuti bersama and
    local days (``kind``: akhir_pekan, nasional, cuti_bersama, lokal)."""

    permission_classes = [IsAuthenticated]
    serializer_class = NonWorkingDaySerializer
    pagination_class = None

    @extend_schema(parameters=[OpenApiParameter("year", int, required=True), OpenApiParameter("kecamatan", str)])
    def get(self, request):
        year = params.year(request.query_params, names=params.API_YEAR, required=True)
        kecamatan_id = request.user.kecamatan_id
        if request.user.is_portal_admin and request.query_params.get("kecamatan"):
            kecamatan = Kecamatan.objects.filter(kode=request.query_params["kecamatan"]).first()
            kecamatan_id = kecamatan.id if kecamatan else None
        days = non_working_days(kecamatan_id=kecamatan_id, year=year)
        return Response(NonWorkingDaySerializer(days, many=True).data)


@extend_schema_view(
    list=extend_schema(parameters=[OpenApiParameter("unread", bool, description="true: hanya yang belum dibaca")])
)
class NotificationViewSet(IdLookupMixin, viewsets.ReadOnlyModelViewSet):
    """The signed-in user's own inbox (never anyone else's). ``?unread=true`` for the unread ones."""

    serializer_class = NotificationSerializer
    filterset_fields = ["kind"]
    queryset = Notification.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return Notification.objects.none()
        queryset = Notification.objects.filter(recipient=self.request.user)
        if self.request.query_params.get("unread") in ("1", "true"):
            queryset = queryset.filter(read_at__isnull=True)
        return queryset

    @extend_schema(request=None)
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        note = services.notification_mark_read(user=request.user, notification=self.get_object())
        return Response(NotificationSerializer(note).data)

    @extend_schema(
        request=None, responses=inline_serializer("NotificationsMarked", {"marked": drf_fields.IntegerField()})
    )
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request):
        return Response({"marked": services.notifications_mark_all_read(user=request.user)})


class KecamatanStaffOnly(permissions_drf.BasePermission):
    def has_permission(self, request, view):
        return permissions.is_kecamatan_staff(request.user)


class DeliveryViewSet(ScopedReadOnlyViewSet):
    """The delivery log (kecamatan staff): every message, channel, attempt and error. POST ``retry`` re-arms a
    failed delivery."""

    queryset = Delivery.objects.select_related("recipient", "desa").prefetch_related("attempt_log")
    serializer_class = DeliverySerializer
    permission_classes = [KecamatanStaffOnly]
    filterset_fields = ["status", "channel", "kind"]

    @extend_schema(request=None)
    @action(detail=True, methods=["post"])
    def retry(self, request, pk=None):
        delivery = self.get_object()
        notify.delivery_retry(delivery=delivery)
        enqueue("workers.tasks.deliver_task", delivery.pk)
        delivery.refresh_from_db()
        return Response(DeliverySerializer(delivery).data)
