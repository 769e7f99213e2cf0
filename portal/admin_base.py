from django.contrib import admin


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records (submitted versions, files, transitions, raw punches, sync runs, audits) are shown to admins
    but never edited or deleted, admin included."""

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False
