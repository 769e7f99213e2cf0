"""APBDes pages: import of a draft's lines, the evaluation of a version (lines by bidang, comments, checks,
the 20-working-day clock, the Camat's sign-off) and the figures of a desa-year (realisation, verdict)."""

from __future__ import annotations

import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from monev import selectors_apbdes as selectors
from monev import services_apbdes as services
from monev.forms_apbdes import CommentForm, RealisationForm, SignForm, VerdictForm
from monev.imports_apbdes import realisation_template_xlsx, template_xlsx
from portal import files, web
from portal.exports import XLSX_TYPE
from portal.forms import ImportForm
from portal.imports import ImportRejected
from portal.scoping import get_in_scope_or_404
from portal.selectors import desa_list


@login_required
def budget_template(request):
    return files.file_response(template_xlsx(), filename="templat-apbdes.xlsx", content_type=XLSX_TYPE)


@login_required
def budget_import(request, pk: int):
    obligation = get_in_scope_or_404(selectors.budget_obligations(user=request.user), request.user, pk=pk)
    form = ImportForm(request.POST or None, request.FILES or None)
    errors: list[str] = []
    status = 200
    if request.method == "POST":
        if not services.can_import(request.user):
            raise PermissionDenied
        if form.is_valid():
            upload = request.FILES.get("berkas")
            try:
                version = services.budget_import(
                    actor=request.user,
                    obligation=obligation,
                    data=form.cleaned_data["berkas"],
                    source_name=getattr(upload, "name", ""),
                )
            except ImportRejected as exc:
                errors = exc.errors
            except ValidationError as exc:
                web.form_add_errors(form, exc)
            else:
                messages.success(request, _("Versi %(v)d diimpor.") % {"v": version.version})
                return redirect("monev-apbdes-evaluation", pk=version.pk)
        status = 400
    context = {
        "o": obligation,
        "form": form,
        "errors": errors,
        "can_import": services.can_import(request.user),
        "versions": selectors.version_list(user=request.user).filter(obligation=obligation).order_by("-version"),
    }
    return render(request, "monev/apbdes/import.html", context, status=status)


def _version(request, pk: int):
    return get_in_scope_or_404(selectors.version_list(user=request.user), request.user, pk=pk)


def _evaluation_page(request, version, *, status: int = 200, comment_form=None, sign_form=None):
    latest = version.obligation.budget_versions.order_by("-version").values_list("version", flat=True).first()
    context = {
        "v": version,
        "o": version.obligation,
        "comment_form": comment_form or CommentForm(),
        "sign_form": sign_form or SignForm(),
        "can_comment": services.can_comment(request.user) and not version.outcome,
        "can_sign": services.can_sign(request.user) and not version.outcome and version.version == latest,
        **selectors.evaluation(version=version, today=timezone.localdate()),
    }
    return render(request, "monev/apbdes/evaluation.html", context, status=status)


@login_required
def budget_evaluation(request, pk: int):
    return _evaluation_page(request, _version(request, pk))


@login_required
@require_POST
def budget_comment(request, pk: int):
    version = _version(request, pk)
    form = CommentForm(request.POST)
    if form.is_valid():
        target = form.cleaned_data["target"].strip()
        line = None
        if re.fullmatch(r"[0-9]{1,9}", target):
            line = version.lines.filter(row_no=int(target)).first()
            if line is None:
                form.add_error("target", _("Tidak ada baris %(n)s pada versi ini.") % {"n": target})
        if not form.errors:
            try:
                services.comment_add(
                    actor=request.user,
                    version=version,
                    text=form.cleaned_data["text"],
                    line=line,
                    kode_prefix="" if line else target,
                )
            except ValidationError as exc:
                web.form_add_errors(form, exc)
                if hasattr(exc, "error_dict") and "kode_prefix" in exc.error_dict:
                    form.add_error("target", exc.error_dict["kode_prefix"][0].messages)
            else:
                messages.success(request, _("Komentar disimpan."))
                return redirect("monev-apbdes-evaluation", pk=version.pk)
    return _evaluation_page(request, version, status=400, comment_form=form)


@login_required
@require_POST
def budget_sign(request, pk: int):
    version = _version(request, pk)
    form = SignForm(request.POST)
    if form.is_valid():
        try:
            signed = services.evaluation_sign(
                actor=request.user,
                version=version,
                outcome=form.cleaned_data["outcome"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            web.form_add_errors(form, exc)
        else:
            messages.success(request, _("Hasil evaluasi ditandatangani."))
            if not signed.handed_in:
                messages.warning(
                    request,
                    _(
                        "Kewajiban Evaluasi APBDes desa ini sudah diterima sebelumnya; hasil ini tersimpan pada versinya saja."
                    ),
                )
            return redirect("monev-apbdes-evaluation", pk=version.pk)
    return _evaluation_page(request, version, status=400, sign_form=form)


def _desa(request, kode: str, year: int):
    if not 2000 <= year <= 2100:
        raise Http404
    return get_in_scope_or_404(desa_list(user=request.user), request.user, kode=kode)


def _figures_page(
    request,
    desa,
    year: int,
    *,
    status: int = 200,
    realisation_form=None,
    verdict_form=None,
    import_form=None,
    import_errors=(),
):
    data = selectors.figures(user=request.user, desa=desa, year=year)
    record = data["record"]
    initial = (
        {"verdict": record.kinerja_verdict, "note": record.kinerja_note, "link": record.kinerja_link} if record else {}
    )
    context = {
        "desa": desa,
        "year": year,
        "realisation_form": realisation_form or RealisationForm(),
        "verdict_form": verdict_form or VerdictForm(initial=initial),
        "import_form": import_form or ImportForm(),
        "import_errors": list(import_errors),
        "can_enter": services.can_enter_realisation(request.user),
        "can_verdict": services.can_set_verdict(request.user),
        "versions": selectors.version_list(user=request.user).filter(obligation__desa=desa, obligation__year=year),
        **data,
    }
    return render(request, "monev/apbdes/figures.html", context, status=status)


@login_required
def budget_figures(request, kode: str, year: int):
    return _figures_page(request, _desa(request, kode, year), year)


@login_required
@require_POST
def budget_realisation(request, kode: str, year: int):
    desa = _desa(request, kode, year)
    form = RealisationForm(request.POST)
    if form.is_valid():
        try:
            services.realisation_set(actor=request.user, desa=desa, year=year, **form.cleaned_data)
        except ValidationError as exc:
            web.form_add_errors(form, exc)
        else:
            messages.success(request, _("Realisasi disimpan."))
            return redirect("monev-apbdes-figures", kode=desa.kode, year=year)
    return _figures_page(request, desa, year, status=400, realisation_form=form)


@login_required
@require_POST
def budget_verdict(request, kode: str, year: int):
    desa = _desa(request, kode, year)
    form = VerdictForm(request.POST)
    if form.is_valid():
        try:
            services.verdict_set(actor=request.user, desa=desa, year=year, **form.cleaned_data)
        except ValidationError as exc:
            web.form_add_errors(form, exc)
        else:
            messages.success(request, _("Penilaian berbasis kinerja disimpan."))
            return redirect("monev-apbdes-figures", kode=desa.kode, year=year)
    return _figures_page(request, desa, year, status=400, verdict_form=form)


@login_required
def realisation_template(request):
    return files.file_response(
        realisation_template_xlsx(), filename="templat-realisasi-apbdes.xlsx", content_type=XLSX_TYPE
    )


@login_required
@require_POST
def realisation_import(request, kode: str, year: int):
    desa = _desa(request, kode, year)
    if not services.can_enter_realisation(request.user):
        raise PermissionDenied
    form = ImportForm(request.POST, request.FILES)
    errors: list[str] = []
    if form.is_valid():
        try:
            rows = services.realisation_import(
                actor=request.user, desa=desa, year=year, data=form.cleaned_data["berkas"]
            )
        except ImportRejected as exc:
            errors = exc.errors
        else:
            messages.success(request, _("%(n)d angka realisasi diimpor.") % {"n": len(rows)})
            return redirect("monev-apbdes-figures", kode=desa.kode, year=year)
    return _figures_page(request, desa, year, status=400, import_form=form, import_errors=errors)
