"""Monev web pages. Querysets come from ``monev.selectors`` (scoped through ``portal.scoping``); an object
outside the user's scope answers 404."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from monev import charts, exports, rules, sanctions, selectors, services
from monev.choices import RuleKind, State
from monev.forms import (
    EventObligationForm,
    ExtensionForm,
    ReasonForm,
    ReviewForm,
    SanctionForm,
    SubmissionForm,
    TriggerForm,
)
from monev.models import DocumentType, Sanction
from portal import files, params, permissions, web
from portal.exports import XLSX_TYPE, workbook_bytes
from portal.scoping import get_in_scope_or_404, restrict
from portal.selectors import desa_list


def _year(request) -> int:
    return params.on_page(request, params.year, request.GET, default=timezone.localdate().year)


@login_required
def board(request):
    if request.user.is_desa_user:
        return redirect("monev-desa", kode=request.user.desa.kode)
    today = timezone.localdate()
    year = _year(request)
    filters = {k: request.GET.get(k, "") for k in ("jenis", "status", "kecamatan")}
    data = selectors.board(
        user=request.user,
        year=year,
        today=today,
        document_type=filters["jenis"] or None,
        state=filters["status"] or None,
        kecamatan=filters["kecamatan"] or None,
        page=request.GET.get("page"),
    )
    query = request.GET.copy()
    query.pop("page", None)
    ranked = selectors.timeliness_ranking(
        user=request.user, year=year, today=today, kecamatan=filters["kecamatan"] or None
    )
    ranking_chart, ranking_left_out = charts.ranking(ranked, year=year)
    context = {
        "board": data,
        "states_chart": charts.states_by_type(data),
        "ranking_chart": ranking_chart,
        "ranking_left_out": ranking_left_out,
        "year": year,
        "years": range(today.year - 3, today.year + 2),
        "filters": filters,
        "types": selectors.document_types(),
        "states": State.choices,
        "querystring": query.urlencode(),
        "today": today,
    }
    return render(request, "monev/board.html", context)


@login_required
def desa_page(request, kode: str):
    return _desa(request, get_in_scope_or_404(desa_list(user=request.user), request.user, kode=kode))


def _event_types():
    """The per-event types the desa page records by hand (a revision is opened by its evaluation instead)."""
    return DocumentType.objects.filter(active=True, per_event=True, trigger_from__isnull=True)


def _desa(request, desa, *, status: int = 200, event_form: EventObligationForm | None = None):
    """The desa page; after a refused event form, that form bound to what was typed, its errors under its
    fields, and status 400 (the other types' forms empty)."""
    today = timezone.localdate()
    year = _year(request)
    obligations = selectors.desa_timeline(user=request.user, desa=desa, year=year)
    for o in obligations:
        o.shown_state = rules.display_state(o.state, o.due_date, today)
        o.days = rules.days_until(o.due_date, today)
    context = {
        "desa": desa,
        "year": year,
        "years": range(today.year - 3, today.year + 2),
        "obligations": obligations,
        "upcoming": selectors.upcoming_for_desa(user=request.user, desa=desa, today=today),
        "today": today,
        "chain": selectors.budget_chain(obligations, today),
        "event_forms": [
            event_form if event_form and event_form.document_type == t else EventObligationForm(document_type=t)
            for t in _event_types()
        ],
        "sanctions": restrict(
            Sanction.objects.filter(desa=desa).select_related("obligation__document_type", "issued_by"), request.user
        ),
    }
    return render(request, "monev/desa.html", context, status=status)


@login_required
@require_POST
def event_create(request, kode: str, type_code: str):
    desa = get_in_scope_or_404(desa_list(user=request.user), request.user, kode=kode)
    document_type = _event_types().filter(code=type_code).first()
    if document_type is None:
        raise Http404
    form = EventObligationForm(request.POST, document_type=document_type)
    if not form.is_valid():
        return _desa(request, desa, status=400, event_form=form)
    try:
        obligation = services.obligation_create_for_event(
            actor=request.user,
            desa=desa,
            document_type=document_type,
            year=form.cleaned_data["trigger_date"].year,
            label=form.cleaned_data["label"],
            trigger_date=form.cleaned_data["trigger_date"],
        )
    except ValidationError as exc:
        web.form_add_errors(form, exc)
        return _desa(request, desa, status=400, event_form=form)
    return redirect("monev-obligation", pk=obligation.pk)


def _obligation(request, pk: int):
    return get_in_scope_or_404(selectors.obligation_list(user=request.user), request.user, pk=pk)


@login_required
def obligation_detail(request, pk: int):
    return _detail(request, _obligation(request, pk))


def _detail(request, obligation, *, status: int = 200, **bound_forms):
    """The obligation page; after a refused form, that form bound to what was typed, its errors under its
    fields (``bound_forms`` replaces the empty form of the same name) and status 400."""
    today = timezone.localdate()
    user = request.user
    submissions = list(
        selectors.submission_list(user=user)
        .filter(obligation=obligation)
        .prefetch_related("files")
        .order_by("-version")
    )
    shown_state = rules.display_state(obligation.state, obligation.due_date, today)
    deadline = rules.deadline_in_force(obligation.state, obligation.due_date, obligation.correction_due_date)
    can_grant = permissions.can_grant(user)
    context = {
        "o": obligation,
        "shown_state": shown_state,
        "not_applicable": obligation.state == State.TIDAK_BERLAKU,
        "days": rules.days_until(deadline, today),
        "submissions": submissions,
        "transitions": selectors.transitions_of(user=user, obligation=obligation),
        "extensions": obligation.extensions.select_related("granted_by"),
        "can_submit": services.can_submit(user, obligation),
        "can_review": permissions.can_verify(user) and obligation.state == State.DIKIRIM,
        "can_grant": can_grant,
        "can_extend": can_grant and rules.can_extend(obligation.state),
        "can_mark_not_applicable": can_grant and rules.can_mark_not_applicable(obligation.state),
        "can_reopen": can_grant and rules.can_reopen(obligation.state),
        "uses_trigger": obligation.document_type.rule_kind == RuleKind.OFFSET,
        "submission_form": SubmissionForm(outcome_required=obligation.document_type.outcome_required),
        "review_form": ReviewForm(),
        "extension_form": ExtensionForm(),
        "reason_form": ReasonForm(),
        "sanction_form": SanctionForm(),
        "sanctions": obligation.sanctions.select_related("issued_by"),
        "is_late": shown_state == State.TERLAMBAT or obligation.on_time is False,
        "trigger_form": TriggerForm(initial={"trigger_date": obligation.trigger_date}),
        "in_correction": deadline != obligation.due_date,
    }
    context.update(bound_forms)
    return render(request, "monev/obligation.html", context, status=status)


def _back(pk: int):
    return redirect(reverse("monev-obligation", args=[pk]))


@login_required
@require_POST
def obligation_submit(request, pk: int):
    obligation = _obligation(request, pk)
    form = SubmissionForm(request.POST, request.FILES, outcome_required=obligation.document_type.outcome_required)
    if not form.is_valid():
        return _detail(request, obligation, status=400, submission_form=form)
    data = form.cleaned_data
    try:
        services.submission_create(
            actor=request.user,
            obligation=obligation,
            document=data["document"],
            attachments=data["attachments"],
            document_number=data["document_number"],
            document_date=data["document_date"],
            notes=data["notes"],
            outcome=data.get("outcome", ""),
            confirm_duplicate=data["confirm_duplicate"],
        )
    except ValidationError as exc:
        form.add_error(None, _("Kiriman ditolak, tidak ada yang disimpan. Periksa isian yang ditandai."))
        web.form_add_errors(form, exc)
        return _detail(request, obligation, status=400, submission_form=form)
    messages.success(request, _("Dokumen terkirim. Kecamatan akan memverifikasinya."))
    return _back(pk)


@login_required
@require_POST
def submission_review(request, pk: int):
    submission = get_in_scope_or_404(selectors.submission_list(user=request.user), request.user, pk=pk)
    form = ReviewForm(request.POST)
    if form.is_valid():
        try:
            services.submission_review(
                actor=request.user,
                submission=submission,
                decision=form.cleaned_data["decision"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            web.form_add_errors(form, exc)
        else:
            messages.success(request, _("Hasil verifikasi disimpan."))
            return _back(submission.obligation_id)
    return _detail(request, _obligation(request, submission.obligation_id), status=400, review_form=form)


def _simple_action(request, pk: int, form_class, action, *, form_name: str):
    """A small form of the obligation page: saved and back to the page, or the page again with the form as
    typed and its errors (``form_name`` is the form's name in the page's context)."""
    obligation = _obligation(request, pk)
    form = form_class(request.POST)
    if form.is_valid():
        try:
            action(obligation, form.cleaned_data)
        except ValidationError as exc:
            web.form_add_errors(form, exc)
        else:
            messages.success(request, _("Perubahan disimpan."))
            return _back(pk)
    return _detail(request, obligation, status=400, **{form_name: form})


@login_required
@require_POST
def obligation_trigger(request, pk: int):
    if not permissions.can_write_for_desa(request.user):
        raise PermissionDenied
    return _simple_action(
        request,
        pk,
        TriggerForm,
        lambda o, d: services.obligation_set_trigger(actor=request.user, obligation=o, trigger_date=d["trigger_date"]),
        form_name="trigger_form",
    )


@login_required
@require_POST
def obligation_extend(request, pk: int):
    return _simple_action(
        request,
        pk,
        ExtensionForm,
        lambda o, d: services.obligation_extend(
            actor=request.user, obligation=o, new_due_date=d["new_due_date"], reason=d["reason"]
        ),
        form_name="extension_form",
    )


@login_required
@require_POST
def obligation_not_applicable(request, pk: int):
    return _simple_action(
        request,
        pk,
        ReasonForm,
        lambda o, d: services.obligation_mark_not_applicable(actor=request.user, obligation=o, reason=d["reason"]),
        form_name="reason_form",
    )


@login_required
@require_POST
def obligation_reopen(request, pk: int):
    return _simple_action(
        request,
        pk,
        ReasonForm,
        lambda o, d: services.obligation_reopen(actor=request.user, obligation=o, reason=d["reason"]),
        form_name="reason_form",
    )


@login_required
def file_download(request, pk: int):
    stored = get_in_scope_or_404(selectors.submission_file_list(user=request.user), request.user, pk=pk)
    return files.download_response(
        stored.stored_path, download_name=stored.original_name, content_type=stored.content_type
    )


@login_required
def export_matrix(request):
    if request.user.is_desa_user:
        raise PermissionDenied
    today = timezone.localdate()
    year = _year(request)
    workbook = exports.matrix_workbook(
        user=request.user,
        year=year,
        today=today,
        document_type=request.GET.get("jenis") or None,
        kecamatan=request.GET.get("kecamatan") or None,
    )
    content = workbook_bytes(workbook)
    return files.file_response(content, filename=f"matriks-kewajiban-{year}.xlsx", content_type=XLSX_TYPE)


@login_required
def export_list(request):
    today = timezone.localdate()
    year = _year(request)
    qs = selectors.obligation_list(user=request.user).filter(year=year)
    if request.GET.get("desa"):
        qs = qs.filter(desa__kode=request.GET["desa"])
    if request.GET.get("jenis"):
        qs = qs.filter(document_type__code=request.GET["jenis"])
    content = workbook_bytes(exports.list_workbook(qs, today=today))
    return files.file_response(content, filename=f"daftar-kewajiban-{year}.xlsx", content_type=XLSX_TYPE)


@login_required
@require_POST
def sanction_create(request, pk: int):
    obligation = _obligation(request, pk)
    form = SanctionForm(request.POST)
    if form.is_valid():
        try:
            sanctions.sanction_create(actor=request.user, obligation=obligation, **form.cleaned_data)
        except ValidationError as exc:
            web.form_add_errors(form, exc)
        else:
            messages.success(request, _("Teguran dicatat."))
            return _back(pk)
    return _detail(request, obligation, status=400, sanction_form=form)


@login_required
def sanction_letter(request, pk: int):
    sanction = get_in_scope_or_404(Sanction.objects.select_related("desa"), request.user, pk=pk)
    if not sanction.letter_path:
        raise Http404
    return files.download_response(
        sanction.letter_path,
        download_name=f"teguran-{sanction.desa.kode}-{sanction.pk}.pdf",
        content_type=files.CONTENT_TYPES[files.KIND_PDF],
    )
