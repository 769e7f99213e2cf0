from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from attendance import services
from attendance.api.filtersets import DeviceFilterSet, DeviceUserFilterSet, PunchFilterSet, SyncRunFilterSet
from attendance.api.serializers import DeviceSerializer, DeviceUserSerializer, PunchSerializer, SyncRunSerializer
from attendance.models import Device, DeviceUser, Punch, SyncRun
from portal import permissions
from portal.api.base import RolePermission, ScopedQuerysetMixin, ScopedReadOnlyViewSet, ScopedViewSet
from portal.models import Perangkat
from portal.queue import enqueue
from portal.scoping import in_scope


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
        """Set the device clock to the server's time in the device's zone (explicit, audited)."""
        audit = services.device_set_time(actor=request.user, device=self.get_object())
        return Response({"detail": audit.detail})

    @extend_schema(request=None)
    @action(detail=True, methods=["post"], url_path="clear-log")
    def clear_log(self, request, pk=None):
        """Pull, prove every record on the device is stored, then clear the device's log (audited)."""
        try:
            audit = services.device_clear_log(actor=request.user, device=self.get_object())
        except services.ClearRefused as exc:
            return Response({"detail": str(exc), "code": "clear_refused"}, status=status.HTTP_409_CONFLICT)
        except Exception as exc:  # the device did not answer: nothing was cleared
            return Response(
                {"detail": services.explain(exc, self.get_object()), "code": "device_error"},
                status=status.HTTP_502_BAD_GATEWAY,
            )
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
        perangkat: Perangkat | None = serializer.validated_data["perangkat"]
        if perangkat is not None and not in_scope(perangkat, user):
            from rest_framework.exceptions import ValidationError

            raise ValidationError({"perangkat": ["Perangkat tidak ditemukan."]})
        services.device_user_link(actor=user, device_user=serializer.instance, perangkat=perangkat)
