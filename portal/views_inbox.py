"""The in-app inbox and the user's notification settings."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from portal import services
from portal.models import Notification, User


def inbox_of(user):
    """A user's own messages. The inbox is per person, narrower than any scope."""
    return Notification.objects.filter(recipient=user)


@login_required
def inbox(request):
    queryset = inbox_of(request.user)
    if request.GET.get("belum") == "1":
        queryset = queryset.filter(read_at__isnull=True)
    page = Paginator(queryset, 30).get_page(request.GET.get("page"))
    return render(request, "portal/inbox.html", {"page": page, "unread_only": request.GET.get("belum") == "1"})


@login_required
@require_POST
def inbox_read(request, pk: int):
    note = get_object_or_404(inbox_of(request.user), pk=pk)
    services.notification_mark_read(user=request.user, notification=note)
    target = note.link if url_has_allowed_host_and_scheme(note.link, allowed_hosts=None) and note.link else None
    return redirect(target or "inbox")


@login_required
@require_POST
def inbox_read_all(request):
    count = services.notifications_mark_all_read(user=request.user)
    messages.success(request, _("%(n)d pemberitahuan ditandai sudah dibaca.") % {"n": count})
    return redirect("inbox")


class PreferencesForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["email", "phone", "notify_email", "notify_webhook"]
        labels = {"email": gettext_lazy("Alamat email")}

    def clean(self):
        data = super().clean()
        if data.get("notify_email") and not data.get("email"):
            self.add_error("email", _("Isi alamat email untuk menerima pemberitahuan lewat email."))
        if data.get("notify_webhook") and not data.get("phone"):
            self.add_error("phone", _("Isi nomor HP/WhatsApp untuk menerima pemberitahuan lewat WhatsApp/Telegram."))
        return data


@login_required
def preferences(request):
    form = PreferencesForm(request.POST or None, instance=request.user)
    for name, field in form.fields.items():
        field.widget.attrs["class"] = "form-check-input" if name.startswith("notify") else "form-control"
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Pengaturan pemberitahuan disimpan."))
        return redirect("preferences")
    return render(request, "portal/preferences.html", {"form": form})
