"""Monev III pages: the monev plan, visits and their recommendations (included by monev/urls.py)."""

from django.urls import path

from monev import views_visits as views

urlpatterns = [
    path("monev/rencana/", views.plan, name="monev-plan"),
    path("monev/kunjungan/", views.visit_list, name="monev-visit-list"),
    path("monev/kunjungan/baru/", views.visit_create, name="monev-visit-create"),
    path("monev/kunjungan/<int:pk>/", views.visit_detail, name="monev-visit-detail"),
    path("monev/kunjungan/<int:pk>/ubah/", views.visit_edit, name="monev-visit-edit"),
    path("monev/kunjungan/<int:pk>/temuan/", views.finding_add, name="monev-visit-finding"),
    path("monev/kunjungan/<int:pk>/rekomendasi/", views.recommendation_add, name="monev-visit-recommendation"),
    path("monev/kunjungan/<int:pk>/berkas/", views.file_add, name="monev-visit-file-add"),
    path("monev/kunjungan/<int:pk>/daftar-periksa/", views.checklist_save, name="monev-visit-checklist"),
    path("monev/kunjungan/<int:pk>/laporan/", views.visit_report, name="monev-visit-report"),
    path("monev/kunjungan/berkas/<int:pk>/", views.visit_file, name="monev-visit-file"),
    path("monev/rekomendasi/", views.recommendation_list, name="monev-recommendations"),
    path("monev/rekomendasi/<int:pk>/tindak-lanjut/", views.follow_up_submit, name="monev-follow-up"),
    path(
        "monev/rekomendasi/<int:pk>/terima/",
        views.recommendation_decide,
        {"decision": "accept"},
        name="monev-recommendation-accept",
    ),
    path(
        "monev/rekomendasi/<int:pk>/buka-kembali/",
        views.recommendation_decide,
        {"decision": "reopen"},
        name="monev-recommendation-reopen",
    ),
    path("monev/tindak-lanjut/berkas/<int:pk>/", views.follow_up_file, name="monev-follow-up-file"),
]
