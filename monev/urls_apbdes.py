"""Monev III pages: apbdes (included by monev/urls.py)."""

from django.urls import path

from monev import views_apbdes as views

urlpatterns = [
    path("monev/apbdes/templat/", views.budget_template, name="monev-apbdes-template"),
    path("monev/apbdes/kewajiban/<int:pk>/impor/", views.budget_import, name="monev-apbdes-import"),
    path("monev/apbdes/versi/<int:pk>/", views.budget_evaluation, name="monev-apbdes-evaluation"),
    path("monev/apbdes/versi/<int:pk>/komentar/", views.budget_comment, name="monev-apbdes-comment"),
    path("monev/apbdes/versi/<int:pk>/tanda-tangan/", views.budget_sign, name="monev-apbdes-sign"),
    path("monev/apbdes/desa/<str:kode>/<int:year>/", views.budget_figures, name="monev-apbdes-figures"),
    path(
        "monev/apbdes/desa/<str:kode>/<int:year>/realisasi/", views.budget_realisation, name="monev-apbdes-realisation"
    ),
    path("monev/apbdes/desa/<str:kode>/<int:year>/kinerja/", views.budget_verdict, name="monev-apbdes-verdict"),
    path("monev/apbdes/templat-realisasi/", views.realisation_template, name="monev-apbdes-realisation-template"),
    path(
        "monev/apbdes/desa/<str:kode>/<int:year>/realisasi/impor/",
        views.realisation_import,
        name="monev-apbdes-realisation-import",
    ),
]
