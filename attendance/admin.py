from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from attendance.models import (
    AttendancePolicy,
    AttendanceWarning,
    DailyStatus,
    DecidedRequest,
    Device,
    DeviceAudit,
    DeviceUser,
    Leave,
    Punch,
    PunchCorrection,
    ReviewNote,
    ScheduleDay,
    SyncRun,
    WorkSchedule,
)
from portal.admin_base import ReadOnlyAdmin


@admin.register(Device)
class DeviceAdmin(SimpleHistoryAdmin):
    list_display = ["serial_number", "name", "desa", "protocol", "enabled", "last_success_at", "consecutive_failures"]
    list_filter = ["enabled", "protocol", "desa__kecamatan"]
    search_fields = ["serial_number", "name"]
    exclude = ["pull_lock_until"]


@admin.register(DeviceUser)
class DeviceUserAdmin(SimpleHistoryAdmin):
    list_display = ["device", "pin", "name", "perangkat"]
    raw_id_fields = ["perangkat"]


class ScheduleDayInline(admin.TabularInline):
    model = ScheduleDay
    extra = 0


@admin.register(WorkSchedule)
class WorkScheduleAdmin(SimpleHistoryAdmin):
    """Shown for inspection; changes go through /absensi/jam-kerja/, which validates and recomputes."""

    list_display = ["name", "kecamatan", "desa", "valid_from", "valid_to", "tolerance_minutes"]
    inlines = [ScheduleDayInline]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


class DecidedRequestAdmin(SimpleHistoryAdmin, ReadOnlyAdmin):
    """Leave and koreksi absen are decided on their pages (the conditional decision, the recompute)."""

    list_filter = ["kind", "state"]

    def get_fields(self, request, obj=None):
        # What the request is about first, then its decision: the fields of the abstract DecidedRequest would
        # otherwise lead, as they were declared first.
        shared = {field.name for field in DecidedRequest._meta.fields}
        fields = super().get_fields(request, obj)
        return [name for name in fields if name not in shared] + [name for name in fields if name in shared]


@admin.register(Leave)
class LeaveAdmin(DecidedRequestAdmin):
    list_display = ["perangkat", "kind", "date_from", "date_to", "state", "decided_by"]


@admin.register(PunchCorrection)
class PunchCorrectionAdmin(DecidedRequestAdmin):
    list_display = ["perangkat", "date", "kind", "punched_at", "state", "decided_by"]


@admin.register(AttendancePolicy)
class AttendancePolicyAdmin(SimpleHistoryAdmin, ReadOnlyAdmin):
    """Set on /absensi/jam-kerja/ (or ``PUT /api/v1/attendance/policy/``)."""

    list_display = ["kecamatan", "missing_punch", "updated_by", "updated_at"]


for model in (Punch, SyncRun, DeviceAudit, DailyStatus, ReviewNote, AttendanceWarning):
    admin.site.register(model, ReadOnlyAdmin)
