from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext as _
from simple_history.admin import SimpleHistoryAdmin

from portal.admin_base import ReadOnlyAdmin
from portal.models import (
    Delivery,
    DeliveryAttempt,
    Desa,
    HariLibur,
    Kecamatan,
    Notification,
    Perangkat,
    SecurityEvent,
    User,
    WebhookEndpoint,
)
from portal.security import tokens_revoke


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
    actions = ["revoke_tokens"]

    @admin.action(description=_("Cabut semua token API pengguna terpilih"))
    def revoke_tokens(self, request, queryset):
        count = sum(tokens_revoke(user=user, actor=request.user, request=request, reason="admin") for user in queryset)
        self.message_user(request, _("%(n)s token API dicabut.") % {"n": count})

    fieldsets = UserAdmin.fieldsets + (
        ("Cakupan", {"fields": ("role", "kecamatan", "desa")}),
        (_("Kepegawaian"), {"fields": ("nip",)}),  # the NIP printed under the Camat's name on letters
    )
    autocomplete_fields = ["kecamatan", "desa"]


@admin.register(HariLibur)
class HariLiburAdmin(SimpleHistoryAdmin):
    list_display = ["tanggal", "nama", "jenis", "kecamatan", "libur", "diubah_manual"]
    list_filter = ["jenis", "libur", "kecamatan"]
    date_hierarchy = "tanggal"

    def save_model(self, request, obj, form, change):
        obj.diubah_manual = True  # an admin edit is never overwritten by the package sync
        super().save_model(request, obj, form, change)


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    list_display = ["name", "url", "kecamatan", "active", "consecutive_failures", "disabled_reason"]
    readonly_fields = ["consecutive_failures", "disabled_at", "disabled_reason"]


class AttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    extra = 0
    can_delete = False
    readonly_fields = ["at", "outcome", "error"]


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    """Pending and failed deliveries at a glance, with a retry action."""

    list_display = ["event_key", "channel", "recipient", "status", "attempts", "next_attempt_at", "last_error"]
    list_filter = ["status", "channel", "kind"]
    search_fields = ["event_key", "recipient__username"]
    readonly_fields = [f.name for f in Delivery._meta.fields]
    inlines = [AttemptInline]
    actions = ["retry"]

    @admin.action(description="Kirim ulang yang gagal")
    def retry(self, request, queryset):
        from portal import notify
        from portal.queue import enqueue

        for delivery in queryset.filter(status=Delivery.Status.FAILED):
            notify.delivery_retry(delivery=delivery)
            enqueue("workers.tasks.deliver_task", delivery.pk)

    def has_add_permission(self, request):
        return False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["title", "recipient", "kind", "created_at", "read_at"]
    list_filter = ["kind"]
    readonly_fields = [f.name for f in Notification._meta.fields]


@admin.register(SecurityEvent)
class SecurityEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "kind", "username", "actor", "ip"]
    list_filter = ["kind"]
    search_fields = ["username", "ip"]
