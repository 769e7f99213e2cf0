from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from musrenbang.models import Meeting, MeetingDocument, Proposal, ProposalTransition
from portal.admin_base import ReadOnlyAdmin


@admin.register(Meeting)
class MeetingAdmin(SimpleHistoryAdmin, ReadOnlyAdmin):
    list_display = ["kind", "year", "kecamatan", "desa", "planned_date", "held_date"]
    list_filter = ["kind", "year"]


@admin.register(Proposal)
class ProposalAdmin(SimpleHistoryAdmin, ReadOnlyAdmin):
    """Changes go through the screens, which keep the flow and its transition rows."""

    list_display = ["activity", "desa", "year", "bidang", "status", "score"]
    list_filter = ["year", "status", "bidang"]
    search_fields = ["activity"]


for model in (MeetingDocument, ProposalTransition):
    admin.site.register(model, ReadOnlyAdmin)
