from django.contrib import admin
from django.utils import timezone
from simple_history.admin import SimpleHistoryAdmin

from monev import services
from monev.models import (
    DocumentType,
    DocumentTypeSchedule,
    Extension,
    LetterTemplate,
    Obligation,
    Sanction,
    Submission,
    SubmissionFile,
    Transition,
)
from portal.admin_base import ReadOnlyAdmin


class ScheduleInline(admin.TabularInline):
    model = DocumentTypeSchedule
    extra = 1


@admin.register(DocumentType)
class DocumentTypeAdmin(SimpleHistoryAdmin):
    list_display = ["code", "name", "rule_kind", "responsible", "active", "sort_order"]
    list_filter = ["rule_kind", "responsible", "active"]
    inlines = [ScheduleInline]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # A new or changed type (or a new yearly date) gets its obligations at once, not at the next daily run.
        year = timezone.localdate().year
        for y in (year, year + 1):
            services.obligations_generate(year=y, document_type_ids=[form.instance.pk])


@admin.register(Obligation)
class ObligationAdmin(SimpleHistoryAdmin):
    list_display = ["__str__", "year", "due_date", "state"]
    list_filter = ["state", "year", "document_type"]
    search_fields = ["desa__nama", "desa__kode"]
    raw_id_fields = ["desa"]
    readonly_fields = ["state", "first_submitted_at", "basis_submitted_at", "accepted_at", "on_time", "days_late"]


for model in (Submission, SubmissionFile, Extension, Transition):
    admin.site.register(model, ReadOnlyAdmin)


@admin.register(LetterTemplate)
class LetterTemplateAdmin(admin.ModelAdmin):
    list_display = ["level", "kecamatan"]


admin.site.register(Sanction, ReadOnlyAdmin)
