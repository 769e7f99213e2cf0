from __future__ import annotations

from collections.abc import Mapping

from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from portal import privacy, services
from portal.api.fields import ScopedSlugRelatedField
from portal.models import Delivery, DeliveryAttempt, Desa, HariLibur, Kecamatan, Notification, Perangkat, User


class KecamatanSerializer(serializers.ModelSerializer):
    class Meta:
        model = Kecamatan
        fields = ["id", "kode", "nama", "kabupaten", "provinsi"]


class DesaSerializer(serializers.ModelSerializer):
    kecamatan = serializers.CharField(source="kecamatan.kode", read_only=True)
    kecamatan_nama = serializers.CharField(source="kecamatan.nama", read_only=True)

    class Meta:
        model = Desa
        fields = ["id", "kode", "nama", "jenis", "kecamatan", "kecamatan_nama"]


class PerangkatSerializer(serializers.ModelSerializer):
    desa = ScopedSlugRelatedField(slug_field="kode", queryset=Desa.objects.all(), help_text="Kode Kemendagri desa")
    desa_nama = serializers.CharField(source="desa.nama", read_only=True)
    jabatan_label = serializers.CharField(source="get_jabatan_display", read_only=True)

    class Meta:
        model = Perangkat
        fields = [
            "id",
            "desa",
            "desa_nama",
            "nama",
            "nik",
            "nipd",
            "jenis_kelamin",
            "jabatan",
            "jabatan_label",
            "keterangan_jabatan",
            "tanggal_mulai",
            "tanggal_selesai",
            "aktif",
        ]
        # Uniqueness and date order are checked by the service (model full_clean + DB constraints).
        validators: list = []
        extra_kwargs = {
            "nik": {
                "help_text": "16 angka. Tampil utuh hanya untuk Operator Desa dan Kepala Desa desanya serta "
                "Administrator; untuk peran lain disamarkan, mis. 3524••••••••0001."
            }
        }

    def to_internal_value(self, data):
        # A client that reads a perangkat, changes a field and sends it all back (PUT) returns the masked NIK:
        # that means "unchanged", not a new (invalid) number.
        masked = isinstance(self.instance, Perangkat) and privacy.nik_masked(self.instance.nik)
        if masked and isinstance(data, Mapping) and data.get("nik") == masked:
            data = {key: value for key, value in data.items() if key != "nik"}
        return super().to_internal_value(data)

    def to_representation(self, instance):
        data = super().to_representation(instance)
        user = getattr(self.context.get("request"), "user", None) or AnonymousUser()
        data["nik"] = privacy.nik_shown(user, instance)
        return data

    def create(self, validated_data):
        actor = self.context["request"].user
        return services.perangkat_create(actor=actor, **validated_data)

    def update(self, instance, validated_data):
        actor = self.context["request"].user
        return services.perangkat_update(actor=actor, perangkat=instance, **validated_data)


class ScopeSerializer(serializers.Serializer):
    type = serializers.CharField()
    kecamatan = KecamatanSerializer(allow_null=True)
    desa = DesaSerializer(allow_null=True)


class MeSerializer(serializers.ModelSerializer):
    role_label = serializers.CharField(source="get_role_display")
    scope = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "username", "first_name", "last_name", "email", "role", "role_label", "scope"]

    def get_scope(self, user: User) -> dict:
        if user.is_portal_admin:
            kind = "semua"
        elif user.is_desa_user:
            kind = "desa"
        elif user.is_kecamatan_user:
            kind = "kecamatan"
        else:
            kind = "tidak_ada"
        return ScopeSerializer(
            {
                "type": kind,
                "kecamatan": user.kecamatan if kind in ("desa", "kecamatan") else None,
                "desa": user.desa if kind == "desa" else None,
            }
        ).data


class HariLiburSerializer(serializers.ModelSerializer):
    kecamatan = serializers.CharField(source="kecamatan.kode", read_only=True, allow_null=True)
    date = serializers.DateField(source="tanggal")
    name = serializers.CharField(source="nama")
    kind = serializers.ChoiceField(source="jenis", choices=HariLibur.Jenis.choices, default=HariLibur.Jenis.LOKAL)
    is_holiday = serializers.BooleanField(source="libur", default=True)

    class Meta:
        model = HariLibur
        fields = ["id", "date", "name", "kind", "kecamatan", "is_holiday", "diubah_manual"]
        read_only_fields = ["diubah_manual"]
        validators: list = []


class NonWorkingDaySerializer(serializers.Serializer):
    date = serializers.DateField()
    name = serializers.CharField()
    kind = serializers.CharField()


class NotificationSerializer(serializers.ModelSerializer):
    read = serializers.SerializerMethodField()
    desa = serializers.CharField(source="desa_kode")
    document_type = serializers.CharField(source="document_type_code")

    class Meta:
        model = Notification
        fields = [
            "id",
            "kind",
            "title",
            "message",
            "link",
            "desa",
            "document_type",
            "obligation_id",
            "read",
            "read_at",
            "created_at",
        ]
        read_only_fields = fields

    def get_read(self, obj) -> bool:
        return obj.read_at is not None


class DeliveryAttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = DeliveryAttempt
        fields = ["at", "outcome", "error"]


class DeliverySerializer(serializers.ModelSerializer):
    recipient = serializers.CharField(source="recipient.username", read_only=True)
    desa = serializers.CharField(source="desa.kode", read_only=True, allow_null=True)
    attempt_log = DeliveryAttemptSerializer(many=True, read_only=True)

    class Meta:
        model = Delivery
        fields = [
            "id",
            "event_key",
            "kind",
            "channel",
            "recipient",
            "desa",
            "status",
            "attempts",
            "next_attempt_at",
            "sent_at",
            "last_error",
            "created_at",
            "attempt_log",
        ]
        read_only_fields = fields


class TokenRequestSerializer(serializers.Serializer):
    """Username and password, checked through Django's authentication (and so django-axes)."""

    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=256, trim_whitespace=False, style={"input_type": "password"})

    def validate(self, attrs):
        from django.contrib.auth import authenticate

        user = authenticate(request=self.context.get("request"), username=attrs["username"], password=attrs["password"])
        if user is None or not user.is_active:
            raise serializers.ValidationError(_("Nama pengguna atau sandi salah."), code="authorization")
        attrs["user"] = user
        return attrs


class TokenResponseSerializer(serializers.Serializer):
    token = serializers.CharField()
    expiry = serializers.DateTimeField()
