"""Serializers of the Musrenbang API. Writes are not done here but in ``musrenbang.services`` (called from the
serializer's create/update or from the views); these classes only check the shape of the input.

Choice fields whose name other apps already use with other choices (``status``, ``kind``, ``role``, ``state``)
are plain strings in the responses, next to their ``*_display``/``*_label``: a second enum under the same name
would rename the other apps' schema components."""

from __future__ import annotations

from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from musrenbang import rules, selectors, services
from musrenbang.choices import DocumentRole, MeetingKind, ParticipantGroup
from musrenbang.models import Meeting, MeetingDocument, Participant, Proposal
from portal.api.fields import ScopedSlugRelatedField
from portal.models import Desa, Kecamatan
from portal.validators import BUSINESS_YEAR_MAX, BUSINESS_YEAR_MIN

# Meetings -----------------------------------------------------------------------------------------------


def participation_summary(meeting: Meeting) -> selectors.ParticipationSummary:
    """``selectors.participation`` from the rows prefetched by the list (no query per meeting); the same rule:
    the typed counts when there are any, otherwise counted from the named list."""
    cache = getattr(meeting, "_prefetched_objects_cache", {})
    if "participation" not in cache or "participants" not in cache:
        return selectors.participation(meeting)
    return selectors.participation_of(
        [(p.group, p.men, p.women) for p in meeting.participation.all()],
        [(person.group, person.gender) for person in meeting.participants.all()],
    )


class ParticipationSummarySerializer(serializers.Serializer):
    source = serializers.ChoiceField(
        choices=["counts", "names", "none"], help_text="counts = jumlah per kelompok, names = dari daftar nama"
    )
    total = serializers.IntegerField()
    men = serializers.IntegerField()
    women = serializers.IntegerField()
    women_share = serializers.FloatField(allow_null=True, help_text="% perempuan; null bila belum ada peserta")
    groups_present = serializers.ListField(child=serializers.CharField())
    groups_missing = serializers.ListField(child=serializers.CharField(), help_text="Kelompok wajib yang belum hadir")


class MeetingDocumentSerializer(serializers.ModelSerializer):
    role = serializers.CharField(read_only=True, help_text="undangan, daftar_hadir, berita_acara atau foto")
    role_display = serializers.CharField(source="get_role_display", read_only=True)
    uploaded_by = serializers.CharField(source="uploaded_by.username", read_only=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = MeetingDocument
        fields = [
            "id",
            "role",
            "role_display",
            "original_name",
            "kind",
            "size",
            "uploaded_by",
            "uploaded_at",
            "download_url",
        ]
        read_only_fields = fields

    def get_download_url(self, obj) -> str:
        return reverse("api:musrenbang-meeting-document-download", args=[obj.meeting_id, obj.pk])


class MusrenbangStateReasonSerializer(serializers.Serializer):
    code = serializers.CharField(  # a plain string, like ``state``: no enum of a name other apps may use
        help_text="sebelum_jendela, setelah_jendela, tanpa_musdes, sebelum_musdes atau setelah_rkpdes"
    )
    text = serializers.CharField(help_text="Mis. “Diadakan 12/05/2025, sebelum jendela 01/07/2025–30/09/2025”")


def reasons_body(issues) -> list[dict]:
    return [{"code": issue.code, "text": issue.text()} for issue in issues]


class MeetingListSerializer(serializers.ListSerializer):
    """Asks for the RKPDes dates of the whole page at once (one question per cycle year), not per meeting."""

    def to_representation(self, data):
        items = data.all() if isinstance(data, models.manager.BaseManager) else data
        return super().to_representation(selectors.rkpdes_dates_attach(items))


class MeetingSerializer(serializers.ModelSerializer):
    kind = serializers.CharField(read_only=True, help_text="musdes, musrenbangdes atau kecamatan")
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    desa = serializers.CharField(source="desa.kode", read_only=True, allow_null=True, help_text="Null: forum kecamatan")
    desa_nama = serializers.CharField(source="desa.nama", read_only=True, allow_null=True)
    kecamatan = serializers.CharField(source="kecamatan.kode", read_only=True)
    state = serializers.SerializerMethodField()
    state_label = serializers.SerializerMethodField()
    state_reasons = serializers.SerializerMethodField()
    documents = MeetingDocumentSerializer(many=True, read_only=True)
    participation = serializers.SerializerMethodField()

    class Meta:
        model = Meeting
        fields = [
            "id",
            "kind",
            "kind_display",
            "year",
            "desa",
            "desa_nama",
            "kecamatan",
            "window_start",
            "window_end",
            "planned_date",
            "held_date",
            "place",
            "notes",
            "state",
            "state_label",
            "state_reasons",
            "documents",
            "participation",
        ]
        read_only_fields = fields
        list_serializer_class = MeetingListSerializer

    @staticmethod
    def _verdict(obj) -> rules.Verdict:
        verdict = getattr(obj, "_verdict", None)
        if verdict is None:
            verdict = obj._verdict = selectors.verdict_of(obj)
        return verdict

    def get_state(self, obj) -> str:
        """One of ``rules.STATE_LABELS`` (terjadwal, terlaksana, di_luar_jadwal, tidak_terlaksana, …), computed
        for today."""
        return self._verdict(obj).state

    def get_state_label(self, obj) -> str:
        return _(rules.STATE_LABELS[self._verdict(obj).state])

    @extend_schema_field(MusrenbangStateReasonSerializer(many=True))
    def get_state_reasons(self, obj) -> list[dict]:
        """Why the meeting is out of schedule (held outside its window, or out of the order Musdes →
        Musrenbangdes → RKPDes); empty when it is not."""
        return reasons_body(self._verdict(obj).issues)

    @extend_schema_field(ParticipationSummarySerializer)
    def get_participation(self, obj) -> dict:
        return ParticipationSummarySerializer(participation_summary(obj)).data


class MeetingRecordSerializer(serializers.Serializer):
    """Holding the meeting (``meeting_record``). Fields left out keep their value."""

    held_date = serializers.DateField(required=False, allow_null=True)
    place = serializers.CharField(required=False, allow_blank=True, max_length=200)
    notes = serializers.CharField(required=False, allow_blank=True)


class MeetingScheduleSerializer(serializers.Serializer):
    kecamatan = ScopedSlugRelatedField(
        slug_field="kode",
        queryset=Kecamatan.objects.all(),
        required=False,
        help_text="Kode kecamatan; kosong = kecamatan pengguna (hanya administrator yang memilih).",
    )
    year = serializers.IntegerField(
        min_value=BUSINESS_YEAR_MIN, max_value=BUSINESS_YEAR_MAX, help_text="Tahun Musrenbang Kecamatan (N)"
    )
    kind = serializers.ChoiceField(choices=MeetingKind.choices)
    planned_date = serializers.DateField(required=False, allow_null=True, default=None)
    desa = ScopedSlugRelatedField(
        slug_field="kode",
        queryset=Desa.objects.all(),
        many=True,
        required=False,
        help_text="Kode desa; kosong = semua desa di kecamatan (diabaikan untuk Musrenbang Kecamatan).",
    )
    window_start = serializers.DateField(required=False, help_text="Bersama window_end; kosong = jendela baku")
    window_end = serializers.DateField(required=False)

    def validate(self, attrs):
        if ("window_start" in attrs) != ("window_end" in attrs):
            raise serializers.ValidationError({"window_end": [_("Isi awal dan akhir jendela bersama-sama.")]})
        return attrs


class MeetingDocumentUploadSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=DocumentRole.choices)
    file = serializers.FileField(help_text="PDF, JPEG atau PNG (foto: JPEG/PNG; daftar hadir juga .xlsx)")


class ParticipantSerializer(serializers.ModelSerializer):
    group_display = serializers.CharField(source="get_group_display", read_only=True)
    gender = serializers.CharField(read_only=True, help_text="L atau P")  # no second enum for the L/P choices

    class Meta:
        model = Participant
        fields = ["id", "name", "group", "group_display", "gender", "origin"]
        read_only_fields = fields


class ParticipationCountSerializer(serializers.Serializer):
    men = serializers.IntegerField(min_value=0, default=0)
    women = serializers.IntegerField(min_value=0, default=0)


class ParticipantsInputSerializer(serializers.Serializer):
    counts = serializers.DictField(
        child=ParticipationCountSerializer(), help_text='Per kelompok, mis. {"bpd": {"men": 5, "women": 2}}'
    )


class ParticipantGroupChoiceSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()


class ParticipantsSerializer(serializers.Serializer):
    meeting = serializers.IntegerField()
    counts = serializers.DictField(child=ParticipationCountSerializer(), help_text="Jumlah yang diketik per kelompok")
    participants = ParticipantSerializer(many=True)
    summary = ParticipationSummarySerializer()
    groups = ParticipantGroupChoiceSerializer(many=True)


class ParticipantImportResultSerializer(ParticipantsSerializer):
    imported = serializers.IntegerField(help_text="Jumlah peserta yang diimpor")


def participants_body(meeting: Meeting) -> dict:
    return {
        "meeting": meeting.pk,
        "counts": {p.group: {"men": p.men, "women": p.women} for p in meeting.participation.order_by("group")},
        "participants": Participant.objects.filter(meeting=meeting),  # fresh, not a prefetched copy
        "summary": selectors.participation(meeting),
        "groups": [{"key": k, "label": v} for k, v in ParticipantGroup.choices],
    }


class ParticipantImportSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="Berkas Excel (.xlsx) sesuai templat")


# Board --------------------------------------------------------------------------------------------------


class MusrenbangBoardCellSerializer(serializers.Serializer):
    state = serializers.CharField()
    state_label = serializers.CharField()
    state_reasons = MusrenbangStateReasonSerializer(many=True, help_text="Mengapa di luar jadwal; kosong bila tidak")
    meeting = serializers.IntegerField(allow_null=True, help_text="Id musyawarah; null bila belum ada")
    planned_date = serializers.DateField(allow_null=True)
    held_date = serializers.DateField(allow_null=True)


class MusrenbangBoardKecamatanMeetingSerializer(MusrenbangBoardCellSerializer):
    kind = serializers.CharField()
    kind_display = serializers.CharField()


class MusrenbangBoardRowSerializer(serializers.Serializer):
    desa = serializers.CharField()
    desa_nama = serializers.CharField()
    cells = serializers.DictField(child=MusrenbangBoardCellSerializer(), help_text="Per jenis: musdes, musrenbangdes")
    proposals = serializers.IntegerField()
    participates = serializers.BooleanField(
        help_text="Musrenbangdes terlaksana (berita acara ada, di dalam jendela dan urutannya benar) dan ada usulan"
    )


class MusrenbangBoardSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    total = serializers.IntegerField(help_text="Jumlah desa")
    participating = serializers.IntegerField(help_text="Jumlah desa yang mengikuti Musrenbang")
    totals = serializers.DictField(
        child=serializers.DictField(child=serializers.IntegerField()),
        help_text='Per jenis (musdes, musrenbangdes): jumlah desa per status, mis. {"di_luar_jadwal": 1}',
    )
    kecamatan_meetings = MusrenbangBoardKecamatanMeetingSerializer(many=True)
    rows = MusrenbangBoardRowSerializer(many=True)


def _cell(cell: selectors.Cell) -> dict:
    meeting = cell.meeting
    return {
        "state": cell.state,
        "state_label": _(rules.STATE_LABELS[cell.state]),
        "state_reasons": reasons_body(cell.issues),
        "meeting": meeting.pk if meeting else None,
        "planned_date": meeting.planned_date if meeting else None,
        "held_date": meeting.held_date if meeting else None,
    }


def board_body(board: selectors.Board) -> dict:
    return {
        "year": board.year,
        "total": board.total,
        "participating": board.participating,
        "totals": {
            kind: {state: counter[state] for state in rules.STATE_LABELS if counter[state]}
            for kind, counter in board.totals.items()
        },
        "kecamatan_meetings": [
            {**_cell(c), "kind": c.meeting.kind, "kind_display": c.meeting.get_kind_display()}
            for c in board.kecamatan_meetings
        ],
        "rows": [
            {
                "desa": row.desa.kode,
                "desa_nama": row.desa.nama,
                "proposals": row.proposals,
                "participates": row.participates,
                "cells": {kind: _cell(cell) for kind, cell in row.cells.items()},
            }
            for row in board.rows
        ],
    }


# Proposals ----------------------------------------------------------------------------------------------


class ProposalTransitionSerializer(serializers.Serializer):
    """One step of the flow: ``from`` (empty for the first), ``to``, the note, who and when."""

    def get_fields(self):
        return {
            "from": serializers.CharField(source="from_status", read_only=True),
            "to": serializers.CharField(source="to_status", read_only=True),
            "to_display": serializers.CharField(source="get_to_status_display", read_only=True),
            "note": serializers.CharField(read_only=True),
            "by": serializers.CharField(source="by.username", read_only=True),
            "at": serializers.DateTimeField(read_only=True),
        }


class ProposalSerializer(serializers.ModelSerializer):
    """An usulan. POST creates it for a desa in scope (``proposal_create``); PUT/PATCH change the desa's fields
    while it is still only proposed (``proposal_update``). The status moves only through the actions."""

    desa = ScopedSlugRelatedField(slug_field="kode", queryset=Desa.objects.all(), help_text="Kode Kemendagri desa")
    desa_nama = serializers.CharField(source="desa.nama", read_only=True)
    bidang_display = serializers.CharField(source="get_bidang_display", read_only=True)
    fund_source_display = serializers.CharField(source="get_fund_source_display", read_only=True)
    status = serializers.CharField(read_only=True, help_text="diusulkan, dibahas, diteruskan, diakomodasi, …")
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    carried_from = serializers.IntegerField(source="carried_from_id", read_only=True, allow_null=True)
    carried_to = serializers.SerializerMethodField()
    created_by = serializers.CharField(source="created_by.username", read_only=True)
    transitions = ProposalTransitionSerializer(many=True, read_only=True)

    class Meta:
        model = Proposal
        fields = [
            "id",
            "desa",
            "desa_nama",
            "year",
            *services.PROPOSAL_FIELDS,
            "bidang_display",
            "fund_source_display",
            "status",
            "status_display",
            "kecamatan_priority",
            "score",
            "outcome_reason",
            "program",
            "accommodated_cost",
            "carried_from",
            "carried_to",
            "created_by",
            "created_at",
            "updated_at",
            "transitions",
        ]
        read_only_fields = [
            "kecamatan_priority",
            "score",
            "outcome_reason",
            "program",
            "accommodated_cost",
            "created_at",
            "updated_at",
        ]

    def get_carried_to(self, obj) -> int | None:
        follow = getattr(obj, "carried_to", None)  # reverse one-to-one: missing raises, getattr answers None
        return follow.pk if follow is not None else None

    def create(self, validated_data):
        desa, year = validated_data.pop("desa"), validated_data.pop("year")
        return services.proposal_create(actor=self.context["request"].user, desa=desa, year=year, **validated_data)

    def update(self, instance, validated_data):
        desa, year = validated_data.pop("desa", instance.desa), validated_data.pop("year", instance.year)
        if desa != instance.desa or year != instance.year:
            raise serializers.ValidationError({"desa": [_("Desa dan tahun usulan tidak dapat diubah.")]})
        return services.proposal_update(actor=self.context["request"].user, proposal=instance, **validated_data)


class ProposalNoteSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")


class ProposalDiscussSerializer(ProposalNoteSerializer):
    kecamatan_priority = serializers.IntegerField(
        min_value=1, max_value=32767, required=False, allow_null=True, default=None
    )
    score = serializers.DecimalField(
        max_digits=5, decimal_places=2, required=False, allow_null=True, default=None, help_text="0–100"
    )


class ProposalAccommodateSerializer(ProposalNoteSerializer):
    program = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=200, help_text="Program/OPD yang menampung"
    )
    accommodated_cost = serializers.DecimalField(
        max_digits=15,
        decimal_places=0,
        min_value=0,
        required=False,
        allow_null=True,
        default=None,
        help_text="Pagu yang ditampung; kosong = perkiraan biaya",
    )
    outcome_reason = serializers.CharField(required=False, allow_blank=True, default="")


class ProposalRejectSerializer(ProposalNoteSerializer):
    outcome_reason = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="Alasan tidak diakomodasi (wajib)"
    )


class ProposalBriefSerializer(serializers.ModelSerializer):
    desa = serializers.CharField(source="desa.kode", read_only=True)
    desa_nama = serializers.CharField(source="desa.nama", read_only=True)
    bidang_display = serializers.CharField(source="get_bidang_display", read_only=True)
    status = serializers.CharField(read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    carried_from = serializers.IntegerField(source="carried_from_id", read_only=True, allow_null=True)

    class Meta:
        model = Proposal
        fields = [
            "id",
            "desa",
            "desa_nama",
            "year",
            "bidang",
            "bidang_display",
            "activity",
            "estimated_cost",
            "desa_rank",
            "kecamatan_priority",
            "score",
            "status",
            "status_display",
            "carried_from",
            "created_at",
        ]
        read_only_fields = fields


class RankedProposalSerializer(ProposalBriefSerializer):
    rank = serializers.IntegerField(read_only=True)

    class Meta(ProposalBriefSerializer.Meta):
        fields = ["rank", *ProposalBriefSerializer.Meta.fields]
        read_only_fields = fields


class ProposalRankingSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    kecamatan = serializers.CharField(allow_null=True)
    tie_breakers = serializers.ListField(child=serializers.CharField())
    results = RankedProposalSerializer(many=True)


class ProposalTotalsSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    cost = serializers.DecimalField(max_digits=18, decimal_places=0)
    accommodated = serializers.IntegerField()
    accommodated_cost = serializers.DecimalField(max_digits=18, decimal_places=0)
    decided = serializers.IntegerField(help_text="Diakomodasi atau tidak diakomodasi")
    share = serializers.FloatField(allow_null=True, help_text="% usulan yang diputus dan diakomodasi (tercover)")
    money_share = serializers.FloatField(allow_null=True, help_text="% nilai usulan yang ditampung")


class ProposalTotalsRowSerializer(ProposalTotalsSerializer):
    key = serializers.CharField(help_text="Kode desa atau kode bidang")
    label = serializers.CharField(help_text="Nama desa atau nama bidang")


class ProposalTotalsResultSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    by = serializers.ChoiceField(choices=["desa", "bidang"])
    rows = ProposalTotalsRowSerializer(many=True)
    total = ProposalTotalsSerializer()


class ProposalCoverageYearSerializer(ProposalTotalsSerializer):
    year = serializers.IntegerField()


class ProposalCoverageRowSerializer(serializers.Serializer):
    desa = serializers.CharField()
    desa_nama = serializers.CharField()
    years = ProposalCoverageYearSerializer(many=True)


class ProposalCoverageSerializer(serializers.Serializer):
    years = serializers.ListField(child=serializers.IntegerField())
    rows = ProposalCoverageRowSerializer(many=True)


class ProposalImportSerializer(serializers.Serializer):
    desa = serializers.CharField(help_text="Kode Kemendagri desa")
    year = serializers.IntegerField(min_value=BUSINESS_YEAR_MIN, max_value=BUSINESS_YEAR_MAX)
    file = serializers.FileField(help_text="Berkas Excel (.xlsx) sesuai templat usulan")


class ProposalImportResultSerializer(serializers.Serializer):
    imported = serializers.IntegerField()
    results = ProposalSerializer(many=True)


# Ranking rule -------------------------------------------------------------------------------------------


class TieBreakerChoiceSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()


class RankingRuleSerializer(serializers.Serializer):
    kecamatan = serializers.CharField(read_only=True)
    tie_breakers = serializers.ListField(
        child=serializers.CharField(),
        allow_empty=True,
        help_text="Penentu peringkat setelah skor, berurutan: " + ", ".join(rules.TIE_BREAKERS),
    )
    is_default = serializers.BooleanField(read_only=True)
    choices = TieBreakerChoiceSerializer(many=True, read_only=True)
