from __future__ import annotations

from django.utils import timezone
from rest_framework import serializers

from monev import rules
from monev.choices import Outcome
from monev.models import DocumentType, Obligation, Sanction, Submission, SubmissionFile


class DocumentTypeSerializer(serializers.ModelSerializer):
    trigger_from = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)

    class Meta:
        model = DocumentType
        fields = [
            "code",
            "name",
            "legal_basis",
            "description",
            "responsible",
            "rule_kind",
            "fixed_month",
            "fixed_day",
            "year_offset",
            "trigger_label",
            "trigger_from",
            "offset_days",
            "offset_unit",
            "periodicity",
            "per_event",
            "roll_to_working_day",
            "outcome_required",
            "correction_working_days",
            "accepts_xlsx",
            "active",
        ]


class ObligationSerializer(serializers.ModelSerializer):
    desa = serializers.CharField(source="desa.kode", read_only=True)
    desa_nama = serializers.CharField(source="desa.nama", read_only=True)
    kecamatan = serializers.CharField(source="desa.kecamatan.kode", read_only=True)
    document_type = serializers.CharField(source="document_type.code", read_only=True)
    document_type_name = serializers.CharField(source="document_type.name", read_only=True)
    state = serializers.SerializerMethodField()
    state_label = serializers.SerializerMethodField()
    days_until_due = serializers.SerializerMethodField()

    class Meta:
        model = Obligation
        fields = [
            "id",
            "desa",
            "desa_nama",
            "kecamatan",
            "document_type",
            "document_type_name",
            "year",
            "period",
            "period_label",
            "trigger_date",
            "legal_due_date",
            "due_date",
            "state",
            "state_label",
            "days_until_due",
            "correction_due_date",
            "first_submitted_at",
            "accepted_at",
            "on_time",
            "days_late",
            "not_applicable_reason",
        ]
        read_only_fields = [f for f in fields if f != "trigger_date"]

    def get_state(self, obj) -> str:
        return rules.display_state(obj.state, obj.due_date, timezone.localdate())

    def get_state_label(self, obj) -> str:
        from monev.choices import State

        return str(State(self.get_state(obj)).label)

    def get_days_until_due(self, obj) -> int | None:
        return rules.days_until(obj.due_date, timezone.localdate())


class TriggerSerializer(serializers.Serializer):
    trigger_date = serializers.DateField()


class ExtensionInputSerializer(serializers.Serializer):
    new_due_date = serializers.DateField()
    reason = serializers.CharField()


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField()


class SubmissionFileSerializer(serializers.ModelSerializer):
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = SubmissionFile
        fields = ["id", "role", "original_name", "size", "sha256", "content_type", "download_url"]

    def get_download_url(self, obj) -> str:
        from django.urls import reverse

        return reverse("api:submission-file-download", args=[obj.pk])


class SubmissionSerializer(serializers.ModelSerializer):
    files = SubmissionFileSerializer(many=True, read_only=True)
    submitted_by = serializers.CharField(source="submitted_by.username", read_only=True)
    reviewed_by = serializers.CharField(source="reviewed_by.username", read_only=True, allow_null=True)
    outcome = serializers.ChoiceField(choices=Outcome.choices, allow_blank=True, read_only=True)

    class Meta:
        model = Submission
        fields = [
            "id",
            "obligation",
            "version",
            "submitted_by",
            "submitted_at",
            "document_number",
            "document_date",
            "notes",
            "status",
            "reviewed_by",
            "reviewed_at",
            "review_note",
            "correction_due_date",
            "outcome",
            "files",
        ]
        read_only_fields = fields


class SubmissionCreateSerializer(serializers.Serializer):
    document = serializers.FileField(help_text="Dokumen PDF")
    attachments = serializers.ListField(child=serializers.FileField(), required=False, default=list)
    document_number = serializers.CharField(required=False, allow_blank=True, default="")
    document_date = serializers.DateField(required=False, allow_null=True, default=None)
    notes = serializers.CharField(required=False, allow_blank=True, default="")
    outcome = serializers.ChoiceField(
        choices=Outcome.choices,
        required=False,
        allow_blank=True,
        default="",
        help_text="Hasil evaluasi (wajib untuk jenis yang mencatat hasil, mis. EVALUASI_APBDES)",
    )
    confirm_duplicate = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Kirim juga bila dokumennya sama persis (SHA-256) dengan versi sebelumnya; tanpa ini ditolak",
    )


class ReviewSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=["accept", "return"])
    note = serializers.CharField(required=False, allow_blank=True, default="")


class SanctionSerializer(serializers.ModelSerializer):
    desa = serializers.CharField(source="desa.kode", read_only=True)
    obligation = serializers.PrimaryKeyRelatedField(read_only=True)
    issued_by = serializers.CharField(source="issued_by.username", read_only=True)
    letter_url = serializers.SerializerMethodField()

    class Meta:
        model = Sanction
        fields = [
            "id",
            "desa",
            "obligation",
            "level",
            "letter_number",
            "note",
            "issued_by",
            "issued_at",
            "letter_sha256",
            "letter_url",
        ]
        read_only_fields = fields

    def get_letter_url(self, obj) -> str | None:
        from django.urls import reverse

        return reverse("api:sanction-letter", args=[obj.pk]) if obj.letter_path else None


class SanctionCreateSerializer(serializers.Serializer):
    obligation = serializers.IntegerField()
    level = serializers.ChoiceField(choices=Sanction.Level.choices)
    letter_number = serializers.CharField(required=False, allow_blank=True, default="")
    note = serializers.CharField(required=False, allow_blank=True, default="")
