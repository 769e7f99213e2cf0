"""API of the push (ADMS) machines: commands queued for a machine's next poll, its event log, and the
serials that called without being registered (and their registration)."""

from __future__ import annotations

import django_filters
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response

from attendance import push, selectors
from attendance.models import Device, DeviceCommand, DeviceEvent, UnregisteredDevice
from portal.api.base import IdLookupMixin, ScopedQuerysetMixin
from portal.api.fields import ScopedSlugRelatedField
from portal.api.filtersets import FilterSet, IntegerFilter
from portal.api.schema import api_errors
from portal.models import Desa


def _drf_error(exc: DjangoValidationError) -> ValidationError:
    return ValidationError(exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages})


class DeviceCommandSerializer(serializers.ModelSerializer):
    device = serializers.PrimaryKeyRelatedField(queryset=Device.objects.all(), help_text="Id mesin (kirim/ADMS)")
    start = serializers.DateField(write_only=True, required=False, help_text="Awal rentang (kirim ulang absen)")
    end = serializers.DateField(write_only=True, required=False, help_text="Akhir rentang (kirim ulang absen)")
    created_by = serializers.CharField(source="created_by.username", read_only=True)

    class Meta:
        model = DeviceCommand
        fields = [
            "id",
            "device",
            "kind",
            "start",
            "end",
            "command",
            "state",
            "created_by",
            "created_at",
            "sent_at",
            "finished_at",
            "return_code",
            "result",
        ]
        read_only_fields = ["command", "state", "created_at", "sent_at", "finished_at", "return_code", "result"]

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        if request is not None:
            fields["device"].queryset = selectors.device_list(user=request.user)  # another desa's: "not found"
        return fields


class DeviceCommandFilterSet(FilterSet):
    device = IntegerFilter(field_name="device_id")

    class Meta:
        model = DeviceCommand
        fields = ["device", "state", "kind"]


class DeviceCommandViewSet(
    ScopedQuerysetMixin,
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Commands for push machines, delivered on the machine's next ``/iclock/getrequest`` and answered through
    ``/iclock/devicecmd``: ``backfill`` (with ``start``/``end``: the machine sends its punches of those days
    again), ``info``, ``set_time``, ``reload_users``. Kecamatan staff queue them (``set_time``: as for a pull
    machine's clock)."""

    queryset = DeviceCommand.objects.select_related("device", "created_by")
    serializer_class = DeviceCommandSerializer
    filterset_class = DeviceCommandFilterSet

    def perform_create(self, serializer):
        data = serializer.validated_data
        try:
            serializer.instance = push.device_command_queue(
                actor=self.request.user,
                device=data["device"],
                kind=data["kind"],
                start=data.get("start"),
                end=data.get("end"),
            )
        except DjangoPermissionDenied as exc:
            raise PermissionDenied() from exc
        except DjangoValidationError as exc:
            raise _drf_error(exc) from exc


class DeviceEventSerializer(serializers.ModelSerializer):
    device = serializers.CharField(source="device.serial_number")

    class Meta:
        model = DeviceEvent
        fields = ["id", "device", "at", "kind", "detail"]
        read_only_fields = fields


class DeviceEventFilterSet(FilterSet):
    device = IntegerFilter(field_name="device_id")
    kind = django_filters.ChoiceFilter(choices=DeviceEvent.Kind.choices)

    class Meta:
        model = DeviceEvent
        fields = ["device", "kind"]


class DeviceEventViewSet(ScopedQuerysetMixin, viewsets.ReadOnlyModelViewSet):
    """A machine's event log: operation-log lines, lines that could not be read, refused uploads,
    registration, commands."""

    queryset = DeviceEvent.objects.select_related("device")
    serializer_class = DeviceEventSerializer
    filterset_class = DeviceEventFilterSet


class UnregisteredDeviceSerializer(serializers.ModelSerializer):
    class Meta:
        model = UnregisteredDevice
        fields = ["serial_number", "first_seen", "last_seen", "requests", "stored_bytes", "last_addr", "user_agent"]
        read_only_fields = fields


class RegisterSerializer(serializers.Serializer):
    desa = ScopedSlugRelatedField(slug_field="kode", queryset=Desa.objects.all(), help_text="Kode Kemendagri desa")
    name = serializers.CharField(max_length=100, required=False, allow_blank=True, help_text="Nama/lokasi mesin")


class UnregisteredDeviceViewSet(IdLookupMixin, viewsets.ReadOnlyModelViewSet):
    """Serials that called ``/iclock/`` without being registered ("mesin belum terdaftar"), for kecamatan staff.
    ``register`` makes one a push machine of a desa in scope and takes in the punches it sent meanwhile."""

    queryset = UnregisteredDevice.objects.all()
    serializer_class = UnregisteredDeviceSerializer
    lookup_field = "serial_number"
    lookup_value_regex = r"[^/]+"

    def get_queryset(self):
        return selectors.unregistered_devices(user=self.request.user)

    @extend_schema(request=RegisterSerializer, responses={201: None})
    @api_errors(403)
    @action(detail=True, methods=["post"])
    def register(self, request, serial_number=None):
        row = self.get_object()
        body = RegisterSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        try:
            device = push.device_register_push(
                actor=request.user,
                serial=row.serial_number,
                desa=body.validated_data["desa"],
                name=body.validated_data.get("name", ""),
            )
        except DjangoPermissionDenied as exc:
            raise PermissionDenied() from exc
        except DjangoValidationError as exc:
            raise _drf_error(exc) from exc
        return Response({"id": device.pk, "serial_number": device.serial_number}, status=status.HTTP_201_CREATED)
