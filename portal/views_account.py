"""The user's own account pages: API tokens (see and revoke)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from knox.models import AuthToken

from portal.security import tokens_revoke


@login_required
def tokens(request):
    rows = AuthToken.objects.filter(user=request.user).order_by("-created")
    return render(request, "portal/tokens.html", {"tokens": rows})


@login_required
@require_POST
def tokens_revoke_view(request):
    key = request.POST.get("token_key", "")[:25]
    count = tokens_revoke(user=request.user, actor=request.user, request=request, reason="own_page", token_key=key)
    messages.success(request, _("%(n)s token API dicabut.") % {"n": count})
    return redirect("account-tokens")
