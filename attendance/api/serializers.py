from __future__ import annotations

import datetime as dt
import re

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from attendance import schedules, selectors
from attendance.choices import MissingPunchPolicy, Protocol, PunchKind
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
from attendance.network import validate_device_host
from portal import params
from portal.api.fields import ScopedSlugRelatedField
from portal.models import Desa, Kecamatan, Perangkat
from portal.scoping import restrict
from portal.validators import validate_business_date


class ScopedPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """A relation by id limited to the requesting user's scope: an out-of-scope id is "not found", exactly
    like a missing one."""

    default_error_messages = {
        "does_not_exist": _("Data dengan id {pk_value} tidak ditemukan."),
        "incorrect_type": _("Id harus berupa bilangan bulat."),
    }

    def to_internal_value(self, data):
        # Whole numbers only: the database would read 1.5 as id 1 and "1e3" not at all.
        if (
            isinstance(data, bool)
            or not isinstance(data, int | str)
            or (isinstance(data, str) and not re.fullmatch(r"[0-9]+", data.strip()))
        ):
            self.fail("incorrect_type", data_type=type(data).__name__)
        return super().to_internal_value(int(data))

    def get_queryset(self):
        request = self.context.get("request")
        return restrict(super().get_queryset(), request.user if request else None)


class DeviceSerializer(serializers.ModelSerializer):
    desa = ScopedSlugRelatedField(slug_field="kode", queryset=Desa.objects.all(), help_text="Kode Kemendagri desa")
    comm_key = serializers.IntegerField(write_only=True, required=False, allow_null=True, min_value=0)
    health = serializers.SerializerMethodField()

    class Meta:
        model = Device
        fields = [
            "id",
            "serial_number",
            "desa",
            "name",
            "protocol",
            "host",
            "port",
            "transport",
            "comm_key",
            "timezone",
            "pull_interval_minutes",
            "enabled",
            "health",
            "last_contact_at",
            "last_success_at",
            "consecutive_failures",
            "last_error",
            "clock_offset_seconds",
            "records_on_device",
            "record_capacity",
            "users_on_device",
        ]
        read_only_fields = [
            "health",
            "last_contact_at",
            "last_success_at",
            "consecutive_failures",
            "last_error",
            "clock_offset_seconds",
            "records_on_device",
            "record_capacity",
            "users_on_device",
        ]
        extra_kwargs = {
            "host": {
                "validators": [validate_device_host],
                "help_text": "Alamat IPv4 atau nama host di jaringan lokal (10/8, 172.16/12, 192.168/16, 100.64/10) "
                "atau yang terdaftar di ATTENDANCE_ALLOWED_HOSTS",
            }
        }

    def get_health(self, obj) -> str:
        return selectors.health(obj, timezone.now())

    def validate(self, attrs):
        # The model's rule (``Device.clean``): a pull machine needs a host, a push machine calls in without one.
        protocol = attrs.get("protocol", getattr(self.instance, "protocol", Protocol.PULL))
        host = attrs.get("host", getattr(self.instance, "host", ""))
        if protocol == Protocol.PULL and not (host or "").strip():
            raise serializers.ValidationError(
                {"host": _("Mesin tarik perlu alamat IP/host; mesin kirim (ADMS) tidak.")}
            )
        return attrs


class SyncRunSerializer(serializers.ModelSerializer):
    device = serializers.CharField(source="device.serial_number")

    class Meta:
        model = SyncRun
        fields = [
            "id",
            "device",
            "trigger",
            "started_at",
            "finished_at",
            "records_read",
            "records_new",
            "duplicates",
            "users_read",
            "outcome",
            "error",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "duplicates": {
                "help_text": "Rekaman yang dibaca ulang dan sudah tersimpan sebelumnya, tidak disimpan dua kali. "
                "Wajar (mesin menyimpan lognya), bukan galat."
            }
        }


class PunchSerializer(serializers.ModelSerializer):
    device = serializers.CharField(source="device.serial_number")
    desa = serializers.CharField(source="device.desa.kode")
    perangkat = serializers.IntegerField(source="perangkat_id", allow_null=True)

    class Meta:
        model = Punch
        fields = [
            "id",
            "device",
            "desa",
            "pin",
            "perangkat",
            "punched_at",
            "verify_mode",
            "punch_state",
            "work_code",
            "source",
            "received_at",
        ]
        read_only_fields = fields


class DeviceUserSerializer(serializers.ModelSerializer):
    device = serializers.CharField(source="device.serial_number", read_only=True)
    # Scoped: another kecamatan's perangkat and an id that does not exist get the same 400 text.
    perangkat = ScopedPrimaryKeyRelatedField(queryset=Perangkat.objects.all(), allow_null=True)
    perangkat_nama = serializers.CharField(source="perangkat.nama", read_only=True, allow_null=True)

    class Meta:
        model = DeviceUser
        fields = ["id", "device", "pin", "name", "perangkat", "perangkat_nama", "linked_at"]
        read_only_fields = ["id", "device", "pin", "name", "perangkat_nama", "linked_at"]


# Attendance II: working hours, leave, daily statuses, recap, the Camat's review ---------------------------


@extend_schema_field({"type": "string", "pattern": r"^\d{4}-\d{2}$", "example": "2026-08"})
class MonthField(serializers.Field):
    """A month as ``YYYY-MM`` (a full date is accepted and means its month); stored as the first day."""

    default_error_messages = {"invalid": _("Isi bulan dengan format YYYY-MM, mis. 2026-08.")}

    def to_internal_value(self, data) -> dt.date:
        value = params.parse_month(data)  # the syntax of ?month= too
        if value is None:
            self.fail("invalid")
        validate_business_date(value)
        return value

    def to_representation(self, value: dt.date) -> str:
        return f"{value:%Y-%m}"


class ScheduleDaySerializer(serializers.Serializer):
    weekday = serializers.IntegerField(min_value=0, max_value=6, help_text="0 = Senin … 6 = Minggu")
    start = serializers.TimeField(format="%H:%M", input_formats=["%H:%M", "%H:%M:%S"], help_text="HH:MM")
    end = serializers.TimeField(format="%H:%M", input_formats=["%H:%M", "%H:%M:%S"], help_text="HH:MM")


class WorkScheduleSerializer(serializers.ModelSerializer):
    """Working hours. Writes go through ``attendance.schedules.schedule_save`` (validation, recompute)."""

    kecamatan = ScopedSlugRelatedField(
        slug_field="kode",
        queryset=Kecamatan.objects.all(),
        required=False,
        help_text="Kode kecamatan; diisi otomatis dengan kecamatan pengguna (hanya administrator yang memilih).",
    )
    desa = ScopedSlugRelatedField(
        slug_field="kode",
        queryset=Desa.objects.all(),
        required=False,
        allow_null=True,
        help_text="Kode desa untuk jam kerja khusus desa; kosong = berlaku untuk semua desa di kecamatan.",
    )
    days = ScheduleDaySerializer(many=True, help_text="Hari kerja; hari yang tidak disebut adalah hari libur.")

    class Meta:
        model = WorkSchedule
        fields = [
            "id",
            "kecamatan",
            "desa",
            "name",
            "valid_from",
            "valid_to",
            "tolerance_minutes",
            "arrival_before_minutes",
            "arrival_after_minutes",
            "departure_before_minutes",
            "departure_after_minutes",
            "days",
            "updated_at",
        ]
        read_only_fields = ["updated_at"]
        validators: list = []  # ranges, the one base per area and the desa's kecamatan: schedules.validate
        extra_kwargs = {
            "valid_from": {"validators": [validate_business_date]},
            "valid_to": {"validators": [validate_business_date]},
        }

    def validate_days(self, value: list[dict]) -> list[dict]:
        weekdays = [d["weekday"] for d in value]
        if len(weekdays) != len(set(weekdays)):
            raise serializers.ValidationError(_("Setiap hari hanya boleh diisi sekali."))
        return value

    def validate_kecamatan(self, value):
        user = self.context["request"].user
        if self.instance is not None and value != self.instance.kecamatan:
            raise serializers.ValidationError(_("Kecamatan jam kerja tidak dapat diubah."))
        if self.instance is None and not user.is_portal_admin and value.pk != user.kecamatan_id:
            raise serializers.ValidationError(_("Jam kerja hanya dapat dibuat untuk kecamatan Anda."))
        return value

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["days"] = ScheduleDaySerializer(instance.days.all(), many=True).data
        return data

    def _save(self, schedule: WorkSchedule, validated_data: dict, days: list[dict] | None) -> WorkSchedule:
        for name, value in validated_data.items():
            setattr(schedule, name, value)
        if days is None:  # a PATCH without days keeps them
            hours = {d.weekday: (d.start, d.end) for d in schedule.days.all()}
        else:
            hours = {d["weekday"]: (d["start"], d["end"]) for d in days}
        schedule = schedules.schedule_save(actor=self.context["request"].user, schedule=schedule, days=hours)
        # The days were replaced: drop a prefetched copy so the response shows the new ones.
        getattr(schedule, "_prefetched_objects_cache", {}).pop("days", None)
        return schedule

    def create(self, validated_data):
        user = self.context["request"].user
        days = validated_data.pop("days")
        kecamatan = validated_data.pop("kecamatan", None) or user.kecamatan
        if kecamatan is None:
            raise serializers.ValidationError({"kecamatan": [_("Pilih kecamatan.")]})
        return self._save(WorkSchedule(kecamatan=kecamatan), validated_data, days)

    def update(self, instance, validated_data):
        validated_data.pop("kecamatan", None)
        days = validated_data.pop("days", None)
        return self._save(instance, validated_data, days)


class EffectiveScheduleSerializer(serializers.Serializer):
    """The schedule in force for a desa on a day (``schedule_id`` null: the built-in default)."""

    desa = serializers.CharField()
    date = serializers.DateField()
    schedule_id = serializers.IntegerField(allow_null=True)
    name = serializers.CharField()
    source = serializers.ChoiceField(choices=["desa_range", "kecamatan_range", "desa", "kecamatan", "bawaan"])
    valid_from = serializers.DateField(allow_null=True)
    valid_to = serializers.DateField(allow_null=True)
    tolerance_minutes = serializers.IntegerField()
    arrival_before_minutes = serializers.IntegerField()
    arrival_after_minutes = serializers.IntegerField()
    departure_before_minutes = serializers.IntegerField()
    departure_after_minutes = serializers.IntegerField()
    working_day = serializers.BooleanField(help_text="Hari kerja menurut jadwal (hari libur nasional tidak dihitung)")
    start = serializers.TimeField(format="%H:%M", allow_null=True)
    end = serializers.TimeField(format="%H:%M", allow_null=True)
    days = ScheduleDaySerializer(many=True)


@extend_schema_field(
    {"type": "string", "pattern": "^(I|S|C|DL)$", "description": "I = izin, S = sakit, C = cuti, DL = dinas luar"}
)
class LeaveKindField(serializers.ChoiceField):
    """No enum component in the schema: a second "kind" enum would rename the notifications' one."""

    def __init__(self, **kwargs):
        super().__init__(choices=Leave.Kind.choices, **kwargs)


# The fields every request someone decides shares (leave, koreksi absen): a kind lists its own between these.
REQUEST_HEAD = ["id", "perangkat", "perangkat_nama", "desa"]
REQUEST_DECISION = [
    "reason",
    "state",
    "state_display",
    "requested_by",
    "requested_at",
    "decided_by",
    "decided_at",
    "decision_note",
    "attachment_name",
    "attachment_url",
]


class DecidedRequestSerializer(serializers.ModelSerializer):
    # What REQUEST_HEAD and REQUEST_DECISION need; a kind names the route of its attachment. A comment, not a
    # docstring: the schema would show a docstring as the description of every kind's component.
    attachment_route: str

    perangkat = serializers.IntegerField(source="perangkat_id", read_only=True)
    perangkat_nama = serializers.CharField(source="perangkat.nama", read_only=True)
    desa = serializers.CharField(source="perangkat.desa.kode", read_only=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    state_display = serializers.CharField(source="get_state_display", read_only=True)
    requested_by = serializers.CharField(source="requested_by.username", read_only=True)
    decided_by = serializers.CharField(source="decided_by.username", read_only=True, allow_null=True)
    attachment_url = serializers.SerializerMethodField()

    def get_attachment_url(self, obj) -> str | None:
        return reverse(self.attachment_route, args=[obj.pk]) if obj.attachment_path else None


class LeaveSerializer(DecidedRequestSerializer):
    kind = LeaveKindField(read_only=True)
    days = serializers.IntegerField(read_only=True)
    attachment_route = "api:leave-attachment"

    class Meta:
        model = Leave
        fields = [*REQUEST_HEAD, "kind", "kind_display", "date_from", "date_to", "days", *REQUEST_DECISION]
        read_only_fields = fields


class RequestCreateSerializer(serializers.Serializer):
    # Whom every request is about (leave, koreksi absen); a comment for the reason given above.
    perangkat = ScopedPrimaryKeyRelatedField(
        queryset=Perangkat.objects.select_related("desa"), help_text="Id perangkat"
    )


class LeaveCreateSerializer(RequestCreateSerializer):
    kind = LeaveKindField()
    date_from = serializers.DateField(validators=[validate_business_date])
    date_to = serializers.DateField(validators=[validate_business_date])
    reason = serializers.CharField(required=False, allow_blank=True, default="")
    attachment = serializers.FileField(
        required=False, allow_null=True, default=None, help_text="Surat keterangan (PDF, JPEG atau PNG)"
    )


class DecisionSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")


class DailyStatusSerializer(serializers.ModelSerializer):
    perangkat = serializers.IntegerField(source="perangkat_id")
    perangkat_nama = serializers.CharField(source="perangkat.nama")
    desa = serializers.CharField(source="desa.kode")
    codes = serializers.SerializerMethodField()
    label = serializers.CharField()

    class Meta:
        model = DailyStatus
        fields = [
            "id",
            "perangkat",
            "perangkat_nama",
            "desa",
            "date",
            "status",
            "codes",
            "label",
            "arrival_at",
            "departure_at",
            "late_minutes",
            "early_minutes",
            "missing_in_minutes",
            "missing_out_minutes",
            "corrected",
        ]
        read_only_fields = fields

    def get_codes(self, obj) -> list[str]:
        return obj.codes.split()


class TotalsSerializer(serializers.Serializer):
    hari_kerja = serializers.IntegerField()
    h = serializers.IntegerField()
    tl = serializers.IntegerField()
    tl_minutes = serializers.IntegerField()
    psw = serializers.IntegerField()
    psw_minutes = serializers.IntegerField()
    tam = serializers.IntegerField()
    tap = serializers.IntegerField()
    i = serializers.IntegerField()
    s = serializers.IntegerField()
    c = serializers.IntegerField()
    dl = serializers.IntegerField()
    tk = serializers.IntegerField()
    nd = serializers.IntegerField()
    present = serializers.IntegerField(help_text="Hari hadir menurut kebijakan absen tidak lengkap kecamatan")
    rate = serializers.FloatField(allow_null=True, help_text="% kehadiran; null bila tidak ada data")


class PolicyField(serializers.ChoiceField):
    """The kecamatan's missing-punch policy: ``tl4_psw4`` (TAM = TL4, TAP = PSW4, the default) or
    ``not_present`` (a day with TAM/TAP is not counted present)."""

    def __init__(self, **kwargs):
        super().__init__(choices=MissingPunchPolicy.choices, **kwargs)


class RecapDesaSerializer(serializers.Serializer):
    rank = serializers.IntegerField()
    desa = serializers.CharField(source="desa.kode")
    nama = serializers.CharField(source="desa.nama")
    missing_punch = PolicyField(source="policy", help_text="Kebijakan absen tidak lengkap kecamatan desa ini")
    totals = TotalsSerializer()


class FlagSerializer(serializers.Serializer):
    kind = serializers.CharField(help_text="chronic_late, tk_streak atau coverage_gap")
    desa = serializers.CharField(source="desa.kode")
    desa_nama = serializers.CharField(source="desa.nama")
    perangkat = serializers.IntegerField(source="perangkat.pk", allow_null=True)
    perangkat_nama = serializers.CharField(source="perangkat.nama", allow_null=True)
    count = serializers.IntegerField()
    detail = serializers.CharField()


class RecapMonthSerializer(serializers.Serializer):
    month = MonthField()
    desa = RecapDesaSerializer(many=True)
    flags = FlagSerializer(many=True)


class GridRowSerializer(serializers.Serializer):
    perangkat = serializers.IntegerField(source="perangkat.pk")
    nama = serializers.CharField(source="perangkat.nama")
    jabatan = serializers.CharField(source="perangkat.get_jabatan_display")
    cells = serializers.ListField(child=serializers.CharField(allow_blank=True))
    corrected = serializers.ListField(
        child=serializers.BooleanField(), help_text="Per tanggal: hari itu memakai koreksi absen yang disetujui"
    )
    totals = TotalsSerializer()


class RecapGridSerializer(serializers.Serializer):
    month = MonthField()
    desa = serializers.CharField(source="desa.kode")
    nama = serializers.CharField(source="desa.nama")
    days = serializers.ListField(child=serializers.DateField())
    day_off = serializers.ListField(child=serializers.BooleanField())
    missing_punch = PolicyField(source="policy", help_text="Kebijakan absen tidak lengkap kecamatan desa ini")
    policy_text = serializers.CharField()
    rows = GridRowSerializer(many=True)
    totals = TotalsSerializer()


class ReviewNoteSerializer(serializers.ModelSerializer):
    desa = serializers.CharField(source="desa.kode", read_only=True)
    month = MonthField(read_only=True)
    perangkat = serializers.IntegerField(source="perangkat_id", read_only=True, allow_null=True)
    perangkat_nama = serializers.CharField(source="perangkat.nama", read_only=True, allow_null=True)
    author = serializers.CharField(source="author.username", read_only=True)

    class Meta:
        model = ReviewNote
        fields = ["id", "desa", "month", "perangkat", "perangkat_nama", "text", "author", "created_at"]
        read_only_fields = fields


class ReviewNoteCreateSerializer(serializers.Serializer):
    desa = ScopedSlugRelatedField(slug_field="kode", queryset=Desa.objects.all(), help_text="Kode Kemendagri desa")
    month = MonthField()
    perangkat = ScopedPrimaryKeyRelatedField(
        queryset=Perangkat.objects.all(), required=False, allow_null=True, default=None
    )
    text = serializers.CharField()


class AttendanceWarningSerializer(serializers.ModelSerializer):
    perangkat = serializers.IntegerField(source="perangkat_id", read_only=True)
    perangkat_nama = serializers.CharField(source="perangkat.nama", read_only=True)
    desa = serializers.CharField(source="perangkat.desa.kode", read_only=True)
    month = MonthField(read_only=True)
    level_display = serializers.CharField(source="get_level_display", read_only=True)
    issued_by = serializers.CharField(source="issued_by.username", read_only=True)
    letter_url = serializers.SerializerMethodField()

    class Meta:
        model = AttendanceWarning
        fields = [
            "id",
            "perangkat",
            "perangkat_nama",
            "desa",
            "month",
            "level",
            "level_display",
            "letter_number",
            "note",
            "issued_by",
            "issued_at",
            "letter_sha256",
            "letter_url",
        ]
        read_only_fields = fields

    def get_letter_url(self, obj) -> str | None:
        return reverse("api:attendance-warning-letter", args=[obj.pk]) if obj.letter_path else None


class AttendanceWarningCreateSerializer(serializers.Serializer):
    perangkat = ScopedPrimaryKeyRelatedField(queryset=Perangkat.objects.all(), help_text="Id perangkat")
    month = MonthField()
    level = serializers.ChoiceField(choices=AttendanceWarning.Level.choices)
    note = serializers.CharField()
    letter_number = serializers.CharField(required=False, allow_blank=True, default="")


# Koreksi absen and the kecamatan's attendance policy --------------------------------------------------------


class PunchKindField(serializers.ChoiceField):
    """``in`` = masuk, ``out`` = pulang (the schema's ``PunchKindEnum``, settings.SPECTACULAR_SETTINGS)."""

    def __init__(self, **kwargs):
        super().__init__(choices=PunchKind.choices, **kwargs)


class PunchCorrectionSerializer(DecidedRequestSerializer):
    kind = PunchKindField(read_only=True)
    attachment_route = "api:punch-correction-attachment"

    class Meta:
        model = PunchCorrection
        fields = [*REQUEST_HEAD, "date", "kind", "kind_display", "punched_at", *REQUEST_DECISION]
        read_only_fields = fields


class PunchCorrectionCreateSerializer(RequestCreateSerializer):
    date = serializers.DateField(
        help_text="Hari kerja yang dikoreksi (YYYY-MM-DD)", validators=[validate_business_date]
    )
    kind = PunchKindField()
    time = serializers.TimeField(
        input_formats=["%H:%M", "%H:%M:%S"], help_text="HH:MM menurut jam desa; pulang lewat tengah malam boleh"
    )
    reason = serializers.CharField(help_text="Mengapa absen tidak tercatat di mesin")
    attachment = serializers.FileField(
        required=False, allow_null=True, default=None, help_text="Bukti (PDF, JPEG atau PNG), boleh kosong"
    )


class AttendancePolicySerializer(serializers.Serializer):
    kecamatan = serializers.CharField(read_only=True, help_text="Kode kecamatan")
    missing_punch = PolicyField()
    missing_punch_display = serializers.CharField(read_only=True)
    text = serializers.CharField(read_only=True, help_text="Kebijakan dalam kalimat, seperti di rekap")
    updated_at = serializers.DateTimeField(read_only=True, allow_null=True)
    updated_by = serializers.CharField(read_only=True, allow_null=True)

    @staticmethod
    def body(kecamatan, policy: AttendancePolicy | None) -> dict:
        from attendance.recap import DEFAULT_POLICY, policy_text

        code = policy.missing_punch if policy else DEFAULT_POLICY
        return {
            "kecamatan": kecamatan.kode,
            "missing_punch": code,
            "missing_punch_display": MissingPunchPolicy(code).label,
            "text": policy_text(code),
            "updated_at": policy.updated_at if policy else None,
            "updated_by": policy.updated_by.username if policy and policy.updated_by else None,
        }
