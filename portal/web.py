"""Small helpers every app's web views share: a service's errors onto a form or a message, and a safe
"back to where you were" redirect target. One copy, so that every page reports errors the same way."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.http import url_has_allowed_host_and_scheme


def error_text(exc: ValidationError) -> str:
    """A service's ValidationError as one sentence for ``messages.error``."""
    return " ".join(exc.messages)


def form_add_errors(form, exc: ValidationError) -> None:
    """A service's ValidationError onto the form: under the field it names, else above the form."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            form.add_error(name if name in form.fields else None, [m for e in errors for m in e.messages])
    else:
        form.add_error(None, exc.messages)


def safe_next(request, fallback: str) -> str:
    """The posted ``next`` when it points into this site, else ``fallback`` (no open redirect)."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return fallback


def form_run(form, action) -> bool:
    """Validate ``form`` and run ``action(cleaned_data)`` (a service call); a service's ValidationError lands on
    the form like its own errors. True when the action ran: the view then redirects; otherwise it renders the
    bound form again with status 400."""
    if not form.is_valid():
        return False
    try:
        action(form.cleaned_data)
    except ValidationError as exc:
        form_add_errors(form, exc)
        return False
    return True
