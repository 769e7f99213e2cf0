"""Web pages of the core: dashboard, desa, perangkat. Every queryset comes from a selector, i.e. through
``portal.scoping.restrict``; an object outside the user's scope answers 404."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import defaults
from django.views.decorators.http import require_POST

from portal import files, home, permissions, selectors, services
from portal.choices import Jabatan
from portal.exports import XLSX_TYPE, perangkat_workbook, workbook_bytes
from portal.forms import DeactivateForm, ImportForm, PerangkatForm
from portal.imports import ImportRejected
from portal.models import SecurityEvent
from portal.perangkat_import import build_template, perangkat_import_xlsx
from portal.scoping import get_in_scope_or_404
from portal.security import security_event_record


def _api_error(request, status: int, detail: str, code: str) -> JsonResponse | None:
    """Under /api/ the API's one error body (``portal.api.errors``), also where Django answers before any API
    view runs: an address no route matches, a multipart body it cannot read, a body too large."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": detail, "code": code}, status=status)
    return None


def page_not_found(request, exception):
    """``handler404`` (``/api/v1/desa/1.5/``, ``/api/v1/tidak-ada/``)."""
    return _api_error(request, 404, _("Data tidak ditemukan."), "not_found") or defaults.page_not_found(
        request, exception
    )


def bad_request(request, exception):
    """``handler400``: a malformed multipart body, too many fields, a body over the size limit."""
    return _api_error(request, 400, _("Permintaan tidak dapat dibaca."), "parse_error") or defaults.bad_request(
        request, exception
    )


def permission_denied(request, exception):
    """``handler403``."""
    return _api_error(
        request, 403, _("Anda tidak memiliki izin untuk melakukan tindakan ini."), "permission_denied"
    ) or defaults.permission_denied(request, exception)


def server_error(request):
    """``handler500``: a client of the API gets JSON it can parse, not the site's page."""
    return _api_error(request, 500, _("Terjadi galat di server."), "server_error") or defaults.server_error(request)


@login_required
def dashboard(request):
    """What needs this user now (``portal.home``: each app adds its sections), then the kecamatan's counts."""
    today = timezone.localdate()
    context = {
        "sections": home.sections(request.user, today),
        "today": today,
        "counts": selectors.dashboard_counts(user=request.user),
    }
    if not request.user.is_desa_user:
        context["desa_list"] = selectors.desa_list_with_counts(user=request.user)[:50]
    return render(request, "portal/dashboard.html", context)


@login_required
def desa_list(request):
    queryset = selectors.desa_list_with_counts(user=request.user)
    q = request.GET.get("q", "").strip()
    if q:
        queryset = queryset.filter(Q(nama__icontains=q) | Q(kode__icontains=q))
    page = Paginator(queryset, 50).get_page(request.GET.get("page"))
    return render(request, "portal/desa_list.html", {"page": page, "q": q})


@login_required
def desa_detail(request, kode: str):
    desa = get_in_scope_or_404(selectors.desa_list(user=request.user), request.user, kode=kode)
    perangkat = selectors.perangkat_list(user=request.user).filter(desa=desa)
    sections = home.desa_sections(request.user, desa, timezone.localdate())
    return render(request, "portal/desa_detail.html", {"desa": desa, "perangkat_list": perangkat, "sections": sections})


def _require_manage(user) -> None:
    if not permissions.can_manage_perangkat(user):
        raise PermissionDenied


def _filtered_perangkat(request):
    queryset = selectors.perangkat_list(user=request.user)
    filters = {
        "q": request.GET.get("q", "").strip(),
        "desa": request.GET.get("desa", "").strip(),
        "jabatan": request.GET.get("jabatan", "").strip(),
        "status": request.GET.get("status", "aktif"),
    }
    if filters["q"]:
        match = Q(nama__icontains=filters["q"])
        if permissions.can_search_nik(request.user):
            match |= Q(nik__icontains=filters["q"])
        queryset = queryset.filter(match)
    if filters["desa"]:
        queryset = queryset.filter(desa__kode=filters["desa"])
    if filters["jabatan"]:
        queryset = queryset.filter(jabatan=filters["jabatan"])
    if filters["status"] == "aktif":
        queryset = queryset.filter(aktif=True)
    elif filters["status"] == "nonaktif":
        queryset = queryset.filter(aktif=False)
    return queryset, filters


@login_required
def perangkat_list(request):
    queryset, filters = _filtered_perangkat(request)
    page = Paginator(queryset, 50).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "filters": filters,
        "desa_choices": selectors.desa_list(user=request.user),
        "jabatan_choices": Jabatan.choices,
        "can_manage": permissions.can_manage_perangkat(request.user),
        "can_search_nik": permissions.can_search_nik(request.user),
        "querystring": request.GET.urlencode(),
    }
    return render(request, "portal/perangkat_list.html", context)


@login_required
def perangkat_export(request):
    queryset, _filters = _filtered_perangkat(request)
    security_event_record(
        kind=SecurityEvent.Kind.EXPORT_PERSONAL,
        user=request.user,
        actor=request.user,
        request=request,
        export="perangkat",
        query=request.GET.urlencode()[:500],
        rows=queryset.count(),
    )
    content = workbook_bytes(perangkat_workbook(queryset, user=request.user))
    return files.file_response(content, filename="perangkat-desa.xlsx", content_type=XLSX_TYPE)


def _form_errors_from(exc: ValidationError, form) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


@login_required
def perangkat_create(request):
    _require_manage(request.user)
    form = PerangkatForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        desa = data.pop("desa")
        try:
            perangkat = services.perangkat_create(actor=request.user, desa=desa, **data)
        except ValidationError as exc:
            _form_errors_from(exc, form)
        else:
            messages.success(request, _("Perangkat %(nama)s ditambahkan.") % {"nama": perangkat.nama})
            return redirect("perangkat-list")
    return render(request, "portal/perangkat_form.html", {"form": form, "title": _("Tambah perangkat")})


@login_required
def perangkat_edit(request, pk: int):
    perangkat = get_in_scope_or_404(selectors.perangkat_list(user=request.user), request.user, pk=pk)
    _require_manage(request.user)
    form = PerangkatForm(request.POST or None, instance=perangkat, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        desa = data.pop("desa")
        try:
            services.perangkat_update(actor=request.user, perangkat=perangkat, desa=desa, **data)
        except ValidationError as exc:
            _form_errors_from(exc, form)
        else:
            messages.success(request, _("Data perangkat disimpan."))
            return redirect("perangkat-list")
    history = perangkat.history.select_related("history_user")[:20]
    context = {
        "form": form,
        "title": _("Ubah perangkat"),
        "perangkat": perangkat,
        "history": history,
        "deactivate_form": DeactivateForm(),
    }
    return render(request, "portal/perangkat_form.html", context)


@login_required
@require_POST
def perangkat_deactivate(request, pk: int):
    perangkat = get_in_scope_or_404(selectors.perangkat_list(user=request.user), request.user, pk=pk)
    _require_manage(request.user)
    form = DeactivateForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Tanggal selesai tidak valid; gunakan format dd/mm/yyyy."))
        return redirect("perangkat-edit", pk=pk)
    try:
        services.perangkat_deactivate(
            actor=request.user, perangkat=perangkat, tanggal_selesai=form.cleaned_data["tanggal_selesai"]
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("perangkat-edit", pk=pk)
    messages.success(request, _("%(nama)s dinonaktifkan.") % {"nama": perangkat.nama})
    return redirect("perangkat-list")


@login_required
def perangkat_import(request):
    _require_manage(request.user)
    form = ImportForm(request.POST or None, request.FILES or None)
    errors: list[str] = []
    if request.method == "POST" and form.is_valid():
        try:
            result = perangkat_import_xlsx(actor=request.user, data=form.cleaned_data["berkas"])
        except ImportRejected as exc:
            errors = exc.errors
        else:
            messages.success(
                request,
                _("Impor berhasil: %(c)d perangkat baru, %(u)d diperbarui.")
                % {"c": result.created, "u": result.updated},
            )
            return redirect("perangkat-list")
    return render(request, "portal/perangkat_import.html", {"form": form, "errors": errors})


@login_required
def perangkat_template(request):
    return files.file_response(build_template(), filename="templat-perangkat-desa.xlsx", content_type=XLSX_TYPE)
