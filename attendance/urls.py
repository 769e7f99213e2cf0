from django.urls import path

from attendance import views

urlpatterns = [
    path("absensi/mesin/", views.device_list, name="attendance-devices"),
    path("absensi/mesin/<int:pk>/", views.device_detail, name="attendance-device"),
    path("absensi/pin-belum-ditautkan/", views.unmapped, name="attendance-unmapped"),
    path("absensi/pengguna-mesin/<int:pk>/tautkan/", views.link, name="attendance-link"),
    path("absensi/absen/", views.punch_list, name="attendance-punches"),
]
