from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from attendance.models import (
    AttendancePolicy,
    AttendanceWarning,
    DailyStatus,
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


@admin.register(Leave)
class LeaveAdmin(SimpleHistoryAdmin, ReadOnlyAdmin):
    list_display = ["perangkat", "kind", "date_from", "date_to", "state", "decided_by"]
    list_filter = ["kind", "state"]


@admin.register(PunchCorrection)
class PunchCorrectionAdmin(SimpleHistoryAdmin, ReadOnlyAdmin):
    """Koreksi absen are decided on /absensi/koreksi/ (the conditional decision, the recompute)."""

    list_display = ["perangkat", "date", "kind", "punched_at", "state", "decided_by"]
    list_filter = ["kind", "state"]


@admin.register(AttendancePolicy)
class AttendancePolicyAdmin(SimpleHistoryAdmin, ReadOnlyAdmin):
    """Set on /absensi/jam-kerja/ (or ``PUT /api/v1/attendance/policy/``)."""

    list_display = ["kecamatan", "missing_punch", "updated_by", "updated_at"]


for model in (Punch, SyncRun, DeviceAudit, DailyStatus, ReviewNote, AttendanceWarning):
    admin.site.register(model, ReadOnlyAdmin)
