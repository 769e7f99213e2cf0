"""What the leave and the koreksi absen pages share, written once: the list with its filters and its
approve/reject/cancel buttons, the request form, the three actions and the attachment download. A flow
describes itself in a ``Pages`` (its model, form, service, URL names and messages); ``views_leave`` and
``views_corrections`` hold that description and what is theirs alone. Reads go through ``restrict`` (outside
the user's scope: 404); writes go through the services, which check again."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Page, Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from attendance import decisions
from attendance.choices import RequestState
from attendance.forms import DecisionForm
from attendance.models import DecidedRequest
from portal import files, web
from portal.scoping import get_in_scope_or_404, restrict
from portal.selectors import desa_list

ACTIONS = ("approve", "reject", "cancel")
PER_PAGE = 50


@dataclass(frozen=True)
class Pages:
    """One flow's pages. ``name`` ("leave", "correction") names its templates (``<name>_list.html``,
    ``<name>_form.html``), prefixes its URL names (``attendance-<name>-new``, ``-approve``, …) and its test ids;
    ``done`` holds the message after each action, with ``%(name)s`` for the perangkat."""

    name: str
    model: type[DecidedRequest]
    list_url: str
    form_class: type[forms.Form]
    create: Callable[..., DecidedRequest]
    saved: str
    done: dict[str, str]
    # Anything a flow adds to the rows of a list page before it is shown (e.g. the desa's local time).
    prepare_rows: Callable[[Iterable[DecidedRequest]], None] | None = None

    def url(self, what: str) -> str:
        return f"attendance-{self.name}-{what}"


def list_view(pages: Pages):
    @login_required
    def view(request) -> HttpResponse:
        user = request.user
        page, filters = _page(request, pages)
        query = request.GET.copy()
        query.pop("page", None)
        context = {
            "page": page,
            "filters": filters,
            "states": RequestState.choices,
            "can_request": decisions.can_request(user),
            "desa_choices": [] if user.is_desa_user else list(desa_list(user=user)),
            "querystring": query.urlencode(),
            "urls": {what: pages.url(what) for what in ("new", "attachment", *ACTIONS)},
            "flow": pages.name,
        }
        return render(request, f"attendance/{pages.name}_list.html", context)

    return _named(view, pages, "list")


def _page(request, pages: Pages) -> tuple[Page, dict[str, str]]:
    """The page of requests in scope, filtered by ``?desa=`` and ``?status=``, each with its buttons' flags."""
    user = request.user
    related = ("perangkat", "perangkat__desa", "requested_by", "decided_by")
    queryset = restrict(pages.model.objects.select_related(*related), user)
    filters = {"desa": request.GET.get("desa", ""), "status": request.GET.get("status", "")}
    if filters["desa"] and not user.is_desa_user:
        queryset = queryset.filter(perangkat__desa__kode=filters["desa"])
    if filters["status"] in RequestState.values:
        queryset = queryset.filter(state=filters["status"])
    page = Paginator(queryset, PER_PAGE).get_page(request.GET.get("page"))
    for row in page:
        row.may_decide = decisions.can_decide_now(user, row)
        row.may_cancel = decisions.can_cancel(user, row)
    if pages.prepare_rows:
        pages.prepare_rows(page)
    return page, filters


def form_view(pages: Pages):
    """The request form; its fields are named as the service's arguments."""

    @login_required
    def view(request) -> HttpResponse:
        if not decisions.can_request(request.user):
            raise PermissionDenied
        if request.method == "POST":
            form = pages.form_class(request.POST, request.FILES, user=request.user)
            if form.is_valid() and _create(request, pages, form):
                messages.success(request, pages.saved)
                return redirect(pages.list_url)
        else:
            form = pages.form_class(user=request.user)
        context = {"form": form, "list_url": pages.list_url, "flow": pages.name}
        return render(request, f"attendance/{pages.name}_form.html", context)

    return _named(view, pages, "new")


def _create(request, pages: Pages, form: forms.Form) -> bool:
    """Call the flow's service with the form's data; its refusals go onto the form."""
    data = {**form.cleaned_data, "attachment": form.cleaned_data["attachment"] or None}
    try:
        pages.create(actor=request.user, **data)
    except files.UploadRejected as exc:
        form.add_error("attachment", exc.messages)
    except ValidationError as exc:
        web.form_add_errors(form, exc)
    else:
        return True
    return False


def action_views(pages: Pages) -> tuple:
    """The approve, reject and cancel views (POST), in that order."""
    return tuple(_action_view(pages, action) for action in ACTIONS)


def _action_view(pages: Pages, action: str):
    @login_required
    @require_POST
    def view(request, pk: int) -> HttpResponse:
        queryset = pages.model.objects.select_related("perangkat", "perangkat__desa")
        row = get_in_scope_or_404(queryset, request.user, pk=pk)
        form = DecisionForm(request.POST)
        note = form.cleaned_data["note"] if form.is_valid() else ""
        try:
            if action == "cancel":
                decisions.request_cancel(actor=request.user, row=row, note=note)
            else:
                decisions.request_decide(actor=request.user, row=row, approve=action == "approve", note=note)
        except ValidationError as exc:
            messages.error(request, web.error_text(exc))
        else:
            messages.success(request, pages.done[action] % {"name": row.perangkat.nama})
        return redirect(web.safe_next(request, reverse(pages.list_url)))

    return _named(view, pages, action)


def attachment_view(pages: Pages):
    @login_required
    def view(request, pk: int) -> HttpResponse:
        row = get_in_scope_or_404(pages.model.objects.all(), request.user, pk=pk)
        if not row.attachment_path:
            raise Http404
        return files.download_response(
            row.attachment_path,
            download_name=row.attachment_filename,
            content_type=files.CONTENT_TYPES.get(row.attachment_kind, "application/octet-stream"),
        )

    return _named(view, pages, "attachment")


def _named(view, pages: Pages, what: str):
    # Each flow's views under their own name (logs, error reports), not all as "view".
    view.__name__ = view.__qualname__ = f"{pages.name}_{what}"
    return view
