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


# Monev III, part A: the monev plan, checklist templates (editable here) and visits.
from monev.models_visits import (  # noqa: E402
    ChecklistTemplate,
    ChecklistTemplateItem,
    MonevPlanEntry,
    Recommendation,
    RecommendationTransition,
    Visit,
)


class ChecklistTemplateItemInline(admin.TabularInline):
    model = ChecklistTemplateItem
    extra = 3


@admin.register(ChecklistTemplate)
class ChecklistTemplateAdmin(admin.ModelAdmin):
    list_display = ["title", "visit_type"]
    inlines = [ChecklistTemplateItemInline]


@admin.register(MonevPlanEntry)
class MonevPlanEntryAdmin(admin.ModelAdmin):
    list_display = ["desa", "year", "quarter", "visit_type"]
    list_filter = ["year", "quarter", "visit_type"]
    raw_id_fields = ["desa"]


for model in (Visit, Recommendation, RecommendationTransition):
    admin.site.register(model, ReadOnlyAdmin)


# Monev III, part B: APBDes lines, evaluation, rule sets and figures ------------------------------------------
from monev.models_apbdes import (  # noqa: E402
    BudgetCheckRule,
    BudgetComment,
    BudgetFigures,
    BudgetLine,
    BudgetRealisation,
    BudgetRuleSet,
    BudgetVersion,
)


class BudgetCheckRuleInline(admin.TabularInline):
    model = BudgetCheckRule
    extra = 1


@admin.register(BudgetRuleSet)
class BudgetRuleSetAdmin(admin.ModelAdmin):
    list_display = ["name", "year", "kecamatan"]
    list_filter = ["year"]
    inlines = [BudgetCheckRuleInline]


for model in (BudgetVersion, BudgetLine, BudgetComment, BudgetFigures, BudgetRealisation):
    admin.site.register(model, ReadOnlyAdmin)


# --- Monev III part C: indicators (IKU/IKK), targets, program budget ----------------------------------------

from monev.models_iku import Indicator, IndicatorTarget, IndicatorValue, PlanPeriod, ProgramBudget  # noqa: E402


class IndicatorTargetInline(admin.TabularInline):
    model = IndicatorTarget
    extra = 1


@admin.register(Indicator)
class IndicatorAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "unit", "source", "formula_key", "plan_period"]
    list_filter = ["plan_period", "kind", "source"]
    inlines = [IndicatorTargetInline]


@admin.register(PlanPeriod)
class PlanPeriodAdmin(admin.ModelAdmin):
    list_display = ["name", "kecamatan", "start_year", "end_year"]


@admin.register(ProgramBudget)
class ProgramBudgetAdmin(admin.ModelAdmin):
    list_display = ["name", "year", "kecamatan", "budget"]
    list_filter = ["year"]


admin.site.register(IndicatorValue, ReadOnlyAdmin)
