"""Monev III pages: iku (included by monev/urls.py)."""

from django.urls import path

from monev import views_iku

urlpatterns = [
    path("monev/iku/", views_iku.dashboard, name="monev-iku"),
    path("monev/iku/excel/", views_iku.export_xlsx, name="monev-iku-xlsx"),
    path("monev/iku/pdf/", views_iku.export_pdf, name="monev-iku-pdf"),
    path("monev/iku/indikator/<int:pk>/", views_iku.indicator_detail, name="monev-iku-indicator"),
    path("monev/iku/indikator/<int:pk>/target/", views_iku.target_set, name="monev-iku-target"),
    path("monev/iku/indikator/<int:pk>/realisasi/", views_iku.value_set, name="monev-iku-value"),
    path("monev/iku/bukti/<int:pk>/", views_iku.evidence_download, name="monev-iku-evidence"),
    path("monev/iku/program/", views_iku.programs, name="monev-iku-programs"),
]
