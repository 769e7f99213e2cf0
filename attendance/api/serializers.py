from __future__ import annotations

from django.utils import timezone
from rest_framework import serializers

from attendance import selectors
from attendance.models import Device, DeviceUser, Punch, SyncRun
from portal.api.fields import ScopedSlugRelatedField
from portal.models import Desa, Perangkat


class DeviceSerializer(serializers.ModelSerializer):
    desa = ScopedSlugRelatedField(slug_field="kode", queryset=Desa.objects.all(), help_text="Kode Kemendagri desa")
    comm_key = serializers.IntegerField(write_only=True, required=False, allow_null=True, min_value=0)
    health = serializers.SerializerMethodField()

    class Meta:
        model = Device
        fields = [
            "id", "serial_number", "desa", "name", "protocol", "host", "port", "transport", "comm_key", "timezone",
            "pull_interval_minutes", "enabled", "health", "last_contact_at", "last_success_at", "consecutive_failures",
            "last_error", "clock_offset_seconds", "records_on_device", "record_capacity", "users_on_device",
        ]  # fmt: skip
        read_only_fields = ["health", "last_contact_at", "last_success_at", "consecutive_failures", "last_error",
                            "clock_offset_seconds", "records_on_device", "record_capacity", "users_on_device"]  # fmt: skip

    def get_health(self, obj) -> str:
        return selectors.health(obj, timezone.now())


class SyncRunSerializer(serializers.ModelSerializer):
    device = serializers.CharField(source="device.serial_number")

    class Meta:
        model = SyncRun
        fields = ["id", "device", "trigger", "started_at", "finished_at", "records_read", "records_new", "duplicates",
                  "users_read", "outcome", "error"]  # fmt: skip
        read_only_fields = fields


class PunchSerializer(serializers.ModelSerializer):
    device = serializers.CharField(source="device.serial_number")
    desa = serializers.CharField(source="device.desa.kode")
    perangkat = serializers.IntegerField(source="perangkat_id", default=None)

    class Meta:
        model = Punch
        fields = ["id", "device", "desa", "pin", "perangkat", "punched_at", "verify_mode", "punch_state", "work_code",
                  "source", "received_at"]  # fmt: skip
        read_only_fields = fields


class DeviceUserSerializer(serializers.ModelSerializer):
    device = serializers.CharField(source="device.serial_number", read_only=True)
    perangkat = serializers.PrimaryKeyRelatedField(queryset=Perangkat.objects.all(), allow_null=True)
    perangkat_nama = serializers.CharField(source="perangkat.nama", read_only=True, default=None)

    class Meta:
        model = DeviceUser
        fields = ["id", "device", "pin", "name", "perangkat", "perangkat_nama", "linked_at"]
        read_only_fields = ["id", "device", "pin", "name", "perangkat_nama", "linked_at"]
