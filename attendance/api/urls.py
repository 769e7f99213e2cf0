from rest_framework.routers import SimpleRouter

from attendance.api import views

router = SimpleRouter()
router.register("attendance/devices", views.DeviceViewSet, basename="device")
router.register("attendance/sync-runs", views.SyncRunViewSet, basename="sync-run")
router.register("attendance/punches", views.PunchViewSet, basename="punch")
router.register("attendance/device-users", views.DeviceUserViewSet, basename="device-user")

urlpatterns = router.urls
