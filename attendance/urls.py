from django.urls import path

from attendance import views, views_corrections, views_leave, views_push, views_review, views_schedules

urlpatterns = [
    # Machines that call the portal (ADMS push), at the paths their firmware uses; old firmware adds ".aspx".
    path("iclock/cdata", views_push.cdata, name="iclock-cdata"),
    path("iclock/cdata.aspx", views_push.cdata),
    path("iclock/getrequest", views_push.getrequest, name="iclock-getrequest"),
    path("iclock/getrequest.aspx", views_push.getrequest),
    path("iclock/devicecmd", views_push.devicecmd, name="iclock-devicecmd"),
    path("iclock/devicecmd.aspx", views_push.devicecmd),
    path("absensi/mesin/", views.device_list, name="attendance-devices"),
    path("absensi/mesin/<int:pk>/", views.device_detail, name="attendance-device"),
    path("absensi/mesin/<int:pk>/perintah/", views.device_command, name="attendance-device-command"),
    path("absensi/mesin/belum-terdaftar/<int:pk>/daftar/", views.unregistered_register, name="attendance-register"),
    path("absensi/pin-belum-ditautkan/", views.unmapped, name="attendance-unmapped"),
    path("absensi/pengguna-mesin/<int:pk>/tautkan/", views.link, name="attendance-link"),
    path("absensi/absen/", views.punch_list, name="attendance-punches"),
    # The Camat's review
    path("absensi/", views_review.today, name="attendance-today"),
    path("absensi/rekap/", views_review.month, name="attendance-month"),
    # Before rekap/<kode>/ so that "excel" is never read as a desa code.
    path("absensi/rekap/excel/", views_review.month_xlsx, name="attendance-month-xlsx"),
    path("absensi/rekap/<str:kode>/", views_review.desa_month, name="attendance-desa-month"),
    path("absensi/rekap/<str:kode>/excel/", views_review.desa_month_xlsx, name="attendance-desa-month-xlsx"),
    path("absensi/rekap/<str:kode>/pdf/", views_review.desa_month_pdf, name="attendance-desa-month-pdf"),
    path("absensi/rekap/<str:kode>/catatan/", views_review.note_create, name="attendance-note-create"),
    path("absensi/rekap/<str:kode>/teguran/", views_review.warning_create, name="attendance-warning-create"),
    path("absensi/teguran/<int:pk>/surat/", views_review.warning_letter, name="attendance-warning-letter"),
    path("absensi/jam-kerja/", views_schedules.schedule_list, name="attendance-schedules"),
    path("absensi/jam-kerja/baru/", views_schedules.schedule_new, name="attendance-schedule-new"),
    path("absensi/jam-kerja/<int:pk>/", views_schedules.schedule_edit, name="attendance-schedule-edit"),
    path("absensi/jam-kerja/<int:pk>/hapus/", views_schedules.schedule_remove, name="attendance-schedule-delete"),
    path("absensi/izin/", views_leave.leave_list, name="attendance-leave"),
    path("absensi/izin/baru/", views_leave.leave_new, name="attendance-leave-new"),
    path("absensi/izin/<int:pk>/lampiran/", views_leave.leave_attachment, name="attendance-leave-attachment"),
    path("absensi/izin/<int:pk>/setujui/", views_leave.leave_approve, name="attendance-leave-approve"),
    path("absensi/izin/<int:pk>/tolak/", views_leave.leave_reject, name="attendance-leave-reject"),
    path("absensi/izin/<int:pk>/batalkan/", views_leave.leave_cancel, name="attendance-leave-cancel"),
    path("absensi/kebijakan/", views_schedules.policy_save, name="attendance-policy"),
    path("absensi/koreksi/", views_corrections.correction_list, name="attendance-corrections"),
    path("absensi/koreksi/baru/", views_corrections.correction_new, name="attendance-correction-new"),
    path(
        "absensi/koreksi/<int:pk>/bukti/",
        views_corrections.correction_attachment,
        name="attendance-correction-attachment",
    ),
    path(
        "absensi/koreksi/<int:pk>/setujui/", views_corrections.correction_approve, name="attendance-correction-approve"
    ),
    path("absensi/koreksi/<int:pk>/tolak/", views_corrections.correction_reject, name="attendance-correction-reject"),
    path(
        "absensi/koreksi/<int:pk>/batalkan/", views_corrections.correction_cancel, name="attendance-correction-cancel"
    ),
]
