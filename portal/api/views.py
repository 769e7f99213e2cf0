from __future__ import annotations

from axes.handlers.proxy import AxesProxyHandler
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from portal import permissions, services
from portal.api.base import RolePermission, ScopedReadOnlyViewSet, ScopedViewSet
from portal.api.filtersets import DesaFilterSet, PerangkatFilterSet
from portal.api.serializers import DesaSerializer, KecamatanSerializer, MeSerializer, PerangkatSerializer
from portal.models import Desa, Kecamatan, Perangkat


class TokenView(ObtainAuthToken):
    """POST username + password, receive ``{"token": "…"}``; send it as ``Authorization: Token …``.
    Shares django-axes' lockout with the web login: a locked account gets 429, not a token."""

    def post(self, request, *args, **kwargs):
        credentials = {"username": request.data.get("username", "")}
        if not AxesProxyHandler.is_allowed(request._request, credentials):
            return Response(
                {"detail": _("Terlalu banyak percobaan masuk yang gagal; akun dikunci sementara."), "code": "locked"},
                status=status.HTTP_429_TOO_MANY_REQUESTS,
            )
        return super().post(request, *args, **kwargs)


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
    search_fields = ["nama", "nik", "nipd"]
    ordering_fields = ["nama", "jabatan", "desa__kode", "tanggal_mulai"]

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
