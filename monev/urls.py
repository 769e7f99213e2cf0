from django.urls import include, path

from monev import views

urlpatterns = [
    path("monev/", views.board, name="monev-board"),
    path("monev/ekspor/matriks/", views.export_matrix, name="monev-export-matrix"),
    path("monev/ekspor/daftar/", views.export_list, name="monev-export-list"),
    path("monev/desa/<str:kode>/", views.desa_page, name="monev-desa"),
    path("monev/desa/<str:kode>/baru/<str:type_code>/", views.event_create, name="monev-event-create"),
    path("monev/kewajiban/<int:pk>/", views.obligation_detail, name="monev-obligation"),
    path("monev/kewajiban/<int:pk>/kirim/", views.obligation_submit, name="monev-submit"),
    path("monev/kewajiban/<int:pk>/pemicu/", views.obligation_trigger, name="monev-trigger"),
    path("monev/kewajiban/<int:pk>/dispensasi/", views.obligation_extend, name="monev-extend"),
    path("monev/kewajiban/<int:pk>/tidak-berlaku/", views.obligation_not_applicable, name="monev-not-applicable"),
    path("monev/kewajiban/<int:pk>/buka-kembali/", views.obligation_reopen, name="monev-reopen"),
    path("monev/kiriman/<int:pk>/verifikasi/", views.submission_review, name="monev-review"),
    path("monev/berkas/<int:pk>/", views.file_download, name="monev-file"),
    path("monev/kewajiban/<int:pk>/teguran/", views.sanction_create, name="monev-sanction-create"),
    path("monev/teguran/<int:pk>/surat/", views.sanction_letter, name="monev-sanction-letter"),
    # Monev III, one module per part.
    path("", include("monev.urls_visits")),
    path("", include("monev.urls_apbdes")),
    path("", include("monev.urls_iku")),
]
