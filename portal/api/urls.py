from django.urls import include, path
from rest_framework.routers import SimpleRouter

from portal.api import views

router = SimpleRouter()
router.register("kecamatan", views.KecamatanViewSet, basename="kecamatan")
router.register("desa", views.DesaViewSet, basename="desa")
router.register("perangkat", views.PerangkatViewSet, basename="perangkat")
router.register("holidays", views.HariLiburViewSet, basename="holiday")
router.register("notifications", views.NotificationViewSet, basename="notification")
router.register("deliveries", views.DeliveryViewSet, basename="delivery")

urlpatterns = [
    path("auth/token/", views.TokenView.as_view(), name="api-token"),
    path("auth/token/revoke/", views.TokenRevokeView.as_view(), name="api-token-revoke"),
    path("me/", views.MeView.as_view(), name="api-me"),
    path("calendar/non-working-days/", views.NonWorkingDaysView.as_view(), name="non-working-days"),
    path("", include(router.urls)),
]
