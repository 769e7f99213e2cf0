from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from simple_history.admin import SimpleHistoryAdmin

from portal.models import Desa, Kecamatan, Perangkat, User


@admin.register(Kecamatan)
class KecamatanAdmin(SimpleHistoryAdmin):
    list_display = ["kode", "nama", "kabupaten"]
    search_fields = ["kode", "nama"]


@admin.register(Desa)
class DesaAdmin(SimpleHistoryAdmin):
    list_display = ["kode", "nama", "kecamatan", "jenis"]
    list_filter = ["kecamatan"]
    search_fields = ["kode", "nama"]


@admin.register(Perangkat)
class PerangkatAdmin(SimpleHistoryAdmin):
    list_display = ["nama", "jabatan", "desa", "aktif"]
    list_filter = ["aktif", "jabatan", "desa__kecamatan"]
    search_fields = ["nama", "nik", "nipd"]
    autocomplete_fields = ["desa"]


@admin.register(User)
class PortalUserAdmin(UserAdmin):
    list_display = ["username", "role", "kecamatan", "desa", "is_active"]
    list_filter = ["role", "is_active"]
    fieldsets = UserAdmin.fieldsets + (("Cakupan", {"fields": ("role", "kecamatan", "desa")}),)
    autocomplete_fields = ["kecamatan", "desa"]
