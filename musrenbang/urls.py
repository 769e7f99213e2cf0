from django.urls import path

from musrenbang import views

urlpatterns = [
    path("musrenbang/", views.board, name="musrenbang-board"),
    path("musrenbang/jadwal/", views.schedule, name="musrenbang-schedule"),
    # Alerts link here by name (musrenbang.services), but sent notifications keep the path they were sent with.
    path("musrenbang/musyawarah/<int:pk>/", views.meeting_detail, name="musrenbang-meeting"),
    path("musrenbang/musyawarah/<int:pk>/pelaksanaan/", views.meeting_record, name="musrenbang-meeting-record"),
    path("musrenbang/musyawarah/<int:pk>/dokumen/", views.meeting_document_add, name="musrenbang-document-add"),
    path("musrenbang/musyawarah/<int:pk>/peserta/", views.participation_set, name="musrenbang-participation"),
    path(
        "musrenbang/musyawarah/<int:pk>/peserta/impor/",
        views.participants_import,
        name="musrenbang-participants-import",
    ),
    path("musrenbang/peserta/templat/", views.participants_template, name="musrenbang-participants-template"),
    path("musrenbang/dokumen/<int:pk>/", views.document_download, name="musrenbang-document"),
    path("musrenbang/usulan/", views.proposal_list, name="musrenbang-proposals"),
    path("musrenbang/usulan/excel/", views.proposals_xlsx, name="musrenbang-proposals-xlsx"),
    path("musrenbang/usulan/impor/", views.proposals_import, name="musrenbang-proposals-import"),
    path("musrenbang/usulan/impor/templat/", views.proposals_template, name="musrenbang-proposals-template"),
    path("musrenbang/usulan/baru/", views.proposal_new, name="musrenbang-proposal-new"),
    path("musrenbang/usulan/<int:pk>/", views.proposal_detail, name="musrenbang-proposal"),
    path("musrenbang/usulan/<int:pk>/ubah/", views.proposal_edit, name="musrenbang-proposal-edit"),
    path("musrenbang/usulan/<int:pk>/langkah/", views.proposal_move, name="musrenbang-proposal-move"),
    path("musrenbang/usulan/<int:pk>/usulkan-lagi/", views.proposal_carry_over, name="musrenbang-proposal-carry-over"),
    path("musrenbang/peringkat/", views.ranking, name="musrenbang-ranking"),
    path("musrenbang/peringkat/aturan/", views.ranking_rule, name="musrenbang-ranking-rule"),
    path("musrenbang/peringkat/berita-acara/", views.berita_acara, name="musrenbang-berita-acara"),
]
