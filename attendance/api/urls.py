from django.urls import path
from rest_framework.routers import SimpleRouter

from attendance.api import push, views

router = SimpleRouter()
router.register("attendance/devices", views.DeviceViewSet, basename="device")
router.register("attendance/device-commands", push.DeviceCommandViewSet, basename="device-command")
router.register("attendance/device-events", push.DeviceEventViewSet, basename="device-event")
router.register("attendance/unregistered-devices", push.UnregisteredDeviceViewSet, basename="unregistered-device")
router.register("attendance/sync-runs", views.SyncRunViewSet, basename="sync-run")
router.register("attendance/punches", views.PunchViewSet, basename="punch")
router.register("attendance/device-users", views.DeviceUserViewSet, basename="device-user")
router.register("attendance/schedules", views.WorkScheduleViewSet, basename="work-schedule")
router.register("attendance/leave", views.LeaveViewSet, basename="leave")
router.register("attendance/corrections", views.PunchCorrectionViewSet, basename="punch-correction")
router.register("attendance/daily", views.DailyStatusViewSet, basename="daily-status")
router.register("attendance/review-notes", views.ReviewNoteViewSet, basename="review-note")
router.register("attendance/warnings", views.AttendanceWarningViewSet, basename="attendance-warning")

urlpatterns = [
    path("attendance/recap/", views.RecapView.as_view(), name="attendance-recap"),
    path("attendance/recap/export.xlsx", views.RecapExportXlsxView.as_view(), name="attendance-recap-xlsx"),
    path("attendance/recap/export.pdf", views.RecapExportPdfView.as_view(), name="attendance-recap-pdf"),
    path("attendance/policy/", views.AttendancePolicyView.as_view(), name="attendance-policy"),
    *router.urls,
]
