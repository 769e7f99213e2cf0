"""Monev plan and visit pages. Reads through ``monev.selectors_visits`` (scoped); writes through
``monev.services_visits``, which check role and scope again. Out of scope is a 404."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from monev import selectors_visits as selectors
from monev import services_visits as services
from monev.forms_visits import DecisionForm, FileForm, FindingForm, FollowUpForm, RecommendationForm, VisitForm
from monev.letters_visits import visit_report_pdf
from monev.models_visits import ChecklistAnswerChoice, RecommendationState, VisitType
from portal import files, params, permissions, web
from portal.scoping import get_in_scope_or_404
from portal.selectors import desa_list

QUARTERS = (1, 2, 3, 4)


def _year(request) -> int:
    return params.on_page(request, params.year, request.GET, default=timezone.localdate().year)


def _staff_only(user) -> None:
    if not permissions.is_kecamatan_staff(user):
        raise PermissionDenied


# Plan -----------------------------------------------------------------------------------------------------


@login_required
def plan(request):
    year = _year(request)
    if request.method == "POST":
        _staff_only(request.user)
        year = params.on_page(request, params.year, request.POST, default=year)
        cells = {}
        for d in desa_list(user=request.user):
            for q in QUARTERS:
                cells[(d.pk, q)] = request.POST.getlist(f"p-{d.pk}-{q}")
        try:
            services.plan_set(actor=request.user, year=year, cells=cells)
        except ValidationError as exc:
            messages.error(request, web.error_text(exc))
            return _plan_page(request, year, status=400)
        messages.success(request, _("Rencana monev %(year)s disimpan.") % {"year": year})
        return redirect(f"{request.path}?tahun={year}")
    return _plan_page(request, year)


def _plan_page(request, year: int, status: int = 200):
    today = timezone.localdate()
    context = {
        "year": year,
        "years": range(today.year - 2, today.year + 3),
        "rows": selectors.plan_matrix(user=request.user, year=year),
        "types": VisitType.choices,
        "quarters": QUARTERS,
        "can_edit": permissions.is_kecamatan_staff(request.user),
    }
    return render(request, "monev/visits/plan.html", context, status=status)


# Visits ---------------------------------------------------------------------------------------------------


@login_required
def visit_list(request):
    year = _year(request)
    rows = selectors.visit_list(user=request.user).filter(visit_date__year=year).order_by("-visit_date", "-id")
    kind = request.GET.get("jenis", "")
    if kind in VisitType.values:
        rows = rows.filter(visit_type=kind)
    desa_kode = request.GET.get("desa", "")
    if desa_kode:
        rows = rows.filter(desa__kode=desa_kode)
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    today = timezone.localdate()
    context = {
        "page": page,
        "year": year,
        "years": range(today.year - 2, today.year + 2),
        "types": VisitType.choices,
        "kind": kind,
        "desa_kode": desa_kode,
        "can_create": permissions.is_kecamatan_staff(request.user),
    }
    return render(request, "monev/visits/list.html", context)


def _visit_form_page(request, form, visit=None, status=200):
    return render(request, "monev/visits/form.html", {"form": form, "visit": visit}, status=status)


@login_required
def visit_create(request):
    _staff_only(request.user)
    return _visit_save(request, None)


@login_required
def visit_edit(request, pk: int):
    visit = selectors.visit_detail(user=request.user, pk=pk)
    _staff_only(request.user)
    return _visit_save(request, visit)


def _visit_save(request, visit):
    if request.method != "POST":
        initial = {}
        if visit is not None:
            initial = {
                "desa": visit.desa,
                "visit_type": visit.visit_type,
                "mode": visit.mode,
                "visit_date": visit.visit_date,
                "team": list(visit.team.all()),
                "other_members": visit.other_members,
                "summary": visit.summary,
                "letter_number": visit.letter_number,
            }
        elif request.GET.get("desa"):
            initial["desa"] = desa_list(user=request.user).filter(kode=request.GET["desa"]).first()
        return _visit_form_page(request, VisitForm(initial=initial, user=request.user), visit)
    form = VisitForm(request.POST, user=request.user)
    if not form.is_valid():
        return _visit_form_page(request, form, visit, status=400)
    try:
        saved = services.visit_save(actor=request.user, visit=visit, **form.cleaned_data)
    except ValidationError as exc:
        web.form_add_errors(form, exc)
        return _visit_form_page(request, form, visit, status=400)
    messages.success(request, _("Kunjungan disimpan."))
    return redirect("monev-visit-detail", pk=saved.pk)


@login_required
def visit_detail(request, pk: int):
    return _detail(request, selectors.visit_detail(user=request.user, pk=pk))


def _detail(request, visit, status: int = 200, **forms):
    user = request.user
    staff = permissions.is_kecamatan_staff(user)
    recs = []
    for rec in visit.recommendations.all():
        recs.append(
            {
                "rec": rec,
                "can_answer": services.can_answer(rec.state) and services.can_answer_user(user, visit.desa_id),
                "can_decide": services.can_decide(rec.state) and services.can_decide_user(user),
                "overdue": services.is_overdue(rec.state, rec.due_date, timezone.localdate()),
                "follow_up_form": forms.get(f"follow_up_{rec.pk}") or FollowUpForm(prefix=f"fu{rec.pk}"),
                "decision_form": forms.get(f"decision_{rec.pk}") or DecisionForm(prefix=f"dc{rec.pk}"),
            }
        )
    context = {
        "visit": visit,
        "recs": recs,
        "staff": staff,
        "answer_choices": ChecklistAnswerChoice.choices,
        "finding_form": forms.get("finding_form") or FindingForm(),
        "rec_form": forms.get("rec_form") or RecommendationForm(visit=visit),
        "file_form": forms.get("file_form") or FileForm(),
    }
    return render(request, "monev/visits/detail.html", context, status=status)


@login_required
@require_POST
def finding_add(request, pk: int):
    visit = selectors.visit_detail(user=request.user, pk=pk)
    form = FindingForm(request.POST)
    if web.form_run(form, lambda data: services.finding_add(actor=request.user, visit=visit, text=data["text"])):
        messages.success(request, _("Temuan dicatat."))
        return redirect("monev-visit-detail", pk=pk)
    return _detail(request, visit, status=400, finding_form=form)


@login_required
@require_POST
def recommendation_add(request, pk: int):
    visit = selectors.visit_detail(user=request.user, pk=pk)
    form = RecommendationForm(request.POST, visit=visit)
    if web.form_run(form, lambda data: services.recommendation_add(actor=request.user, visit=visit, **data)):
        messages.success(request, _("Rekomendasi dicatat."))
        return redirect("monev-visit-detail", pk=pk)
    return _detail(request, visit, status=400, rec_form=form)


@login_required
@require_POST
def file_add(request, pk: int):
    visit = selectors.visit_detail(user=request.user, pk=pk)
    form = FileForm(request.POST, request.FILES)
    if web.form_run(form, lambda data: services.visit_file_add(actor=request.user, visit=visit, upload=data["upload"])):
        messages.success(request, _("Berkas bukti disimpan."))
        return redirect("monev-visit-detail", pk=pk)
    return _detail(request, visit, status=400, file_form=form)


@login_required
@require_POST
def checklist_save(request, pk: int):
    visit = selectors.visit_detail(user=request.user, pk=pk)
    answers = {
        a.pk: (request.POST.get(f"answer-{a.pk}", ""), request.POST.get(f"note-{a.pk}", ""))
        for a in visit.answers.all()
    }
    try:
        services.checklist_answer(actor=request.user, visit=visit, answers=answers)
    except ValidationError as exc:
        messages.error(request, web.error_text(exc))
        return _detail(request, visit, status=400)
    messages.success(request, _("Daftar periksa disimpan."))
    return redirect("monev-visit-detail", pk=pk)


@login_required
def visit_file(request, pk: int):
    stored = get_in_scope_or_404(selectors.visit_file_list(user=request.user), request.user, pk=pk)
    return files.download_response(
        stored.stored_path, download_name=stored.original_name, content_type=stored.content_type
    )


@login_required
def visit_report(request, pk: int):
    visit = selectors.visit_detail(user=request.user, pk=pk)
    return files.file_response(
        visit_report_pdf(visit),
        filename=f"laporan-monev-{visit.desa.kode}-{visit.pk}.pdf",
        content_type=files.CONTENT_TYPES[files.KIND_PDF],
    )


# Recommendations ------------------------------------------------------------------------------------------


@login_required
@require_POST
def follow_up_submit(request, pk: int):
    rec = get_in_scope_or_404(selectors.recommendation_list(user=request.user), request.user, pk=pk)
    form = FollowUpForm(request.POST, request.FILES, prefix=f"fu{pk}")
    if form.is_valid():
        try:
            services.follow_up_submit(
                actor=request.user,
                recommendation=rec,
                text=form.cleaned_data["text"],
                upload=form.cleaned_data["upload"],
            )
        except ValidationError as exc:
            web.form_add_errors(form, exc)
        else:
            messages.success(request, _("Tindak lanjut dikirim. Kecamatan akan memeriksanya."))
            return redirect("monev-visit-detail", pk=rec.visit_id)
    visit = selectors.visit_detail(user=request.user, pk=rec.visit_id)
    return _detail(request, visit, status=400, **{f"follow_up_{pk}": form})


@login_required
@require_POST
def recommendation_decide(request, pk: int, decision: str):
    rec = get_in_scope_or_404(selectors.recommendation_list(user=request.user), request.user, pk=pk)
    form = DecisionForm(request.POST, prefix=f"dc{pk}")
    form.is_valid()
    reason = form.cleaned_data.get("reason", "")
    try:
        if decision == "accept":
            services.recommendation_accept(actor=request.user, recommendation=rec, note=reason)
            messages.success(request, _("Tindak lanjut diterima; rekomendasi selesai."))
        else:
            services.recommendation_reopen(actor=request.user, recommendation=rec, reason=reason)
            messages.success(request, _("Rekomendasi dibuka kembali."))
    except ValidationError as exc:
        web.form_add_errors(form, exc)
        visit = selectors.visit_detail(user=request.user, pk=rec.visit_id)
        return _detail(request, visit, status=400, **{f"decision_{pk}": form})
    return redirect("monev-visit-detail", pk=rec.visit_id)


@login_required
def follow_up_file(request, pk: int):
    fu = get_in_scope_or_404(selectors.follow_up_list(user=request.user), request.user, pk=pk)
    if not fu.stored_path:
        raise Http404
    return files.download_response(fu.stored_path, download_name=fu.original_name, content_type=fu.content_type)


@login_required
def recommendation_list(request):
    """Recommendations in the user's scope: a desa user sees their own desa's; filter by state."""
    rows = selectors.recommendation_list(user=request.user).order_by("due_date", "id")
    state = request.GET.get("status", "")
    if state in RecommendationState.values:
        rows = rows.filter(state=state)
    elif state == "lewat":
        rows = selectors.overdue(user=request.user, today=timezone.localdate()).order_by("due_date", "id")
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    today = timezone.localdate()
    for rec in page.object_list:
        rec.is_overdue = services.is_overdue(rec.state, rec.due_date, today)
    context = {"page": page, "states": RecommendationState.choices, "state": state}
    return render(request, "monev/visits/recommendations.html", context)
