from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from attendance.models import Device, DeviceAudit, DeviceUser, Punch, SyncRun
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


for model in (Punch, SyncRun, DeviceAudit):
    admin.site.register(model, ReadOnlyAdmin)
