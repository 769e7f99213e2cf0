"""Musrenbang web pages: the board (desa × meeting), a meeting with its documents and participation, the
consolidated proposal list with totals and "tercover", a proposal with its history and flow, and the
kecamatan's ranking. Reads go through ``musrenbang.selectors`` / ``restrict`` (an object outside the user's
scope answers 404); every write goes through ``musrenbang.services``, which checks role and scope again."""

from __future__ import annotations

import copy

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_POST

from musrenbang import charts, rules, selectors, services
from musrenbang.choices import DESA_KINDS, Bidang, MeetingKind, ParticipantGroup, ProposalStatus
from musrenbang.forms import (
    DocumentForm,
    MeetingRecordForm,
    MoveForm,
    ParticipationForm,
    ProposalForm,
    RankingRuleForm,
    ScheduleForm,
)
from musrenbang.models import MeetingDocument, Participant, Proposal, ProposalTransition
from portal import files, params, permissions, web
from portal.exports import XLSX_TYPE
from portal.forms import ImportForm
from portal.imports import ImportRejected
from portal.models import Kecamatan
from portal.scoping import get_in_scope_or_404, restrict
from portal.selectors import desa_list

PAGE_SIZE = 50
COVERAGE_CYCLES = 3

STATE_BADGES = {
    rules.NOT_HELD: "bg-danger",
    rules.OFF_SCHEDULE: "bg-danger-subtle text-danger-emphasis border border-danger",
    rules.LATE: "bg-warning text-dark",
    rules.HELD_LATE: "bg-success-subtle text-success-emphasis border border-success",
    rules.HELD: "bg-success",
    rules.AWAITING_BA: "bg-info text-dark",
    rules.SCHEDULED: "bg-primary",
    rules.UNSCHEDULED: "bg-light text-dark border",
}
STATUS_BADGES = {
    ProposalStatus.DIUSULKAN: "bg-light text-dark border",
    ProposalStatus.DIBAHAS: "bg-primary",
    ProposalStatus.DITERUSKAN: "bg-info text-dark",
    ProposalStatus.DIAKOMODASI: "bg-success",
    ProposalStatus.TIDAK_DIAKOMODASI: "bg-danger",
}
# The kecamatan's steps on a proposal: key, target status, button label, fields of the form, button style.
ACTIONS = (
    (
        "bahas",
        ProposalStatus.DIBAHAS,
        _l("Bahas di forum kecamatan"),
        ("kecamatan_priority", "score", "note"),
        "btn-primary",
    ),
    ("teruskan", ProposalStatus.DITERUSKAN, _l("Teruskan ke kabupaten"), ("note",), "btn-info"),
    ("kembalikan", ProposalStatus.DIUSULKAN, _l("Kembalikan ke desa"), ("note",), "btn-outline-secondary"),
    (
        "diakomodasi",
        ProposalStatus.DIAKOMODASI,
        _l("Diakomodasi"),
        ("program", "accommodated_cost", "note"),
        "btn-success",
    ),
    (
        "tidak_diakomodasi",
        ProposalStatus.TIDAK_DIAKOMODASI,
        _l("Tidak diakomodasi"),
        ("outcome_reason", "note"),
        "btn-outline-danger",
    ),
)
ACTION_BY_STATUS = {to_status: key for key, to_status, *_rest in ACTIONS}


# Helpers ----------------------------------------------------------------------------------------------------


def current_cycle(today=None) -> int:
    """The cycle being prepared: the Musrenbang Kecamatan of year N is held in Jan–Feb of N; from March on
    the desa are already preparing the cycle N+1."""
    today = today or timezone.localdate()
    return today.year + 1 if today.month >= 3 else today.year


def _year(request, data=None) -> int:
    """The cycle of ``?tahun=`` (or of the posted form); the current cycle when absent or wrong (with a message)."""
    query = request.GET if data is None else data
    return params.on_page(request, params.year, query, default=current_cycle())


def _years(year: int) -> list[int]:
    current = current_cycle()
    return sorted(set(range(current - 3, current + 2)) | {year})


def _cell(cell: selectors.Cell) -> dict:
    return {
        "state": cell.state,
        "label": _(rules.STATE_LABELS[cell.state]),
        "css": STATE_BADGES[cell.state],
        "meeting": cell.meeting,
        "reasons": [issue.text() for issue in cell.issues],
        "reason": cell.reason,
    }


def _with_badge(proposal: Proposal) -> Proposal:
    proposal.status_css = STATUS_BADGES.get(proposal.status, "bg-secondary")
    return proposal


def _can_propose(user) -> bool:
    return (permissions.can_submit_for_desa(user) and bool(user.desa_id)) or permissions.is_kecamatan_staff(user)


# Board ------------------------------------------------------------------------------------------------------


@login_required
def board(request):
    return _board_page(request, _year(request))


def _board_page(request, year: int, schedule_form: ScheduleForm | None = None):
    user = request.user
    today = timezone.localdate()
    data = selectors.board(user=user, year=year, today=today)
    rows = [
        {
            "desa": row.desa,
            "cells": [{**_cell(row.cells[kind]), "kind": kind} for kind in DESA_KINDS],
            "proposals": row.proposals,
            "participates": row.participates,
        }
        for row in data.rows
    ]
    forum = [_cell(c) for c in data.kecamatan_meetings]
    if not forum and user.kecamatan_id:  # not scheduled yet: judged against the default window
        forum = [_cell(selectors.default_cell(MeetingKind.KECAMATAN, year, today))]
    totals = [
        {**_cell(selectors.Cell(state)), "counts": [data.totals[kind][state] for kind in DESA_KINDS]}
        for state in STATE_BADGES
        if any(data.totals[kind][state] for kind in DESA_KINDS)
    ]
    can_schedule = permissions.is_kecamatan_staff(user)
    if schedule_form is None and can_schedule:
        schedule_form = ScheduleForm(user=user)
    context = {
        "year": year,
        "years": _years(year),
        "rows": rows,
        "forum": forum,
        "board": data,
        "kinds": [MeetingKind(kind).label for kind in DESA_KINDS],
        "schedule_form": schedule_form,
        "legend": [_cell(selectors.Cell(state)) for state in STATE_BADGES],
        "totals": totals,
    }
    return render(request, "musrenbang/board.html", context)


@login_required
@require_POST
def schedule(request):
    user = request.user
    if not permissions.is_kecamatan_staff(user):
        raise PermissionDenied
    year = _year(request, request.POST)
    form = ScheduleForm(request.POST, user=user)
    if form.is_valid():
        data = form.cleaned_data
        kecamatan = user.kecamatan if user.kecamatan_id else data["kecamatan"]
        try:
            meetings = services.meetings_schedule(
                actor=user,
                kecamatan=kecamatan,
                year=year,
                kind=data["kind"],
                planned_date=data["planned_date"],
                window=form.window,
            )
        except ValidationError as exc:
            web.form_add_errors(form, exc)
        else:
            messages.success(
                request,
                _("%(kind)s dijadwalkan %(date)s untuk %(n)d musyawarah.")
                % {
                    "kind": MeetingKind(data["kind"]).label,
                    "date": f"{data['planned_date']:%d/%m/%Y}",
                    "n": len(meetings),
                },
            )
            return redirect(f"{reverse('musrenbang-board')}?tahun={year}")
    return _board_page(request, year, schedule_form=form)


# A meeting --------------------------------------------------------------------------------------------------


def _meeting(request, pk: int):
    return get_in_scope_or_404(selectors.meetings(user=request.user), request.user, pk=pk)


def _editable_meeting(request, pk: int):
    meeting = _meeting(request, pk)
    if not services.can_edit_meeting(request.user, meeting):
        raise PermissionDenied
    return meeting


@login_required
def meeting_detail(request, pk: int):
    return _meeting_page(request, _meeting(request, pk))


def _meeting_page(request, meeting, **bound):
    user = request.user
    can_edit = services.can_edit_meeting(user, meeting)
    summary = selectors.participation(meeting)
    labels = dict(ParticipantGroup.choices)
    group_rows = []
    for group, label in ParticipantGroup.choices:
        men, women = summary.by_group.get(group, (0, 0))
        group_rows.append({"group": group, "label": label, "men": men, "women": women, "total": men + women})
    record_initial = {"held_date": meeting.held_date, "place": meeting.place, "notes": meeting.notes}
    context = {
        "meeting": meeting,
        "state": _cell(selectors.cell_of(meeting, timezone.localdate())),
        "can_edit": can_edit,
        "summary": summary,
        "group_rows": group_rows,
        "present": [labels[g] for g in summary.groups_present],
        "missing": [labels[g] for g in summary.groups_missing],
        "documents": restrict(MeetingDocument.objects.filter(meeting=meeting).select_related("uploaded_by"), user),
        "participants": restrict(Participant.objects.filter(meeting=meeting), user),
        "record_form": bound.get("record_form") or MeetingRecordForm(initial=record_initial),
        "document_form": bound.get("document_form") or DocumentForm(),
        "participation_form": bound.get("participation_form") or ParticipationForm(by_group=summary.by_group),
        "import_form": bound.get("import_form") or ImportForm(),
        "import_errors": bound.get("import_errors") or [],
        "open_section": bound.get("open_section", ""),
    }
    return render(request, "musrenbang/meeting.html", context)


def _back_to_meeting(meeting):
    return redirect("musrenbang-meeting", pk=meeting.pk)


@login_required
@require_POST
def meeting_record(request, pk: int):
    meeting = _editable_meeting(request, pk)
    form = MeetingRecordForm(request.POST)
    if form.is_valid():
        try:
            services.meeting_record(actor=request.user, meeting=meeting, **form.cleaned_data)
        except ValidationError as exc:
            web.form_add_errors(form, exc)
        else:
            messages.success(request, _("Pelaksanaan musyawarah disimpan."))
            return _back_to_meeting(meeting)
    return _meeting_page(request, meeting, record_form=form)


@login_required
@require_POST
def meeting_document_add(request, pk: int):
    meeting = _editable_meeting(request, pk)
    form = DocumentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            document = services.meeting_document_add(
                actor=request.user, meeting=meeting, role=form.cleaned_data["role"], upload=form.cleaned_data["berkas"]
            )
        except files.UploadRejected as exc:
            form.add_error("berkas", exc.messages)
        except ValidationError as exc:
            web.form_add_errors(form, exc)
        else:
            messages.success(
                request,
                _("%(role)s “%(name)s” diunggah.")
                % {"role": document.get_role_display(), "name": document.original_name},
            )
            return _back_to_meeting(meeting)
    return _meeting_page(request, meeting, document_form=form)


@login_required
@require_POST
def participation_set(request, pk: int):
    meeting = _editable_meeting(request, pk)
    form = ParticipationForm(request.POST)
    if form.is_valid():
        try:
            services.participation_set(actor=request.user, meeting=meeting, counts=form.counts())
        except ValidationError as exc:
            web.form_add_errors(form, exc)
        else:
            messages.success(request, _("Jumlah peserta disimpan."))
            return _back_to_meeting(meeting)
    return _meeting_page(request, meeting, participation_form=form, open_section="counts")


@login_required
@require_POST
def participants_import(request, pk: int):
    from musrenbang import imports

    meeting = _editable_meeting(request, pk)
    form = ImportForm(request.POST, request.FILES)
    errors: list[str] = []
    if form.is_valid():
        data = form.cleaned_data["berkas"]
        try:
            count = imports.participants_import_xlsx(actor=request.user, meeting=meeting, data=data)
        except ImportRejected as exc:
            errors = exc.errors
        else:
            messages.success(request, _("%(n)d peserta diimpor dari Excel.") % {"n": count})
            return _back_to_meeting(meeting)
    return _meeting_page(request, meeting, import_form=form, import_errors=errors)


@login_required
def participants_template(request):
    from musrenbang import imports

    content = imports.participants_template_xlsx()
    return files.file_response(content, filename="templat-daftar-hadir-musrenbang.xlsx", content_type=XLSX_TYPE)


@login_required
def document_download(request, pk: int):
    document = get_in_scope_or_404(MeetingDocument.objects.all(), request.user, pk=pk)
    return files.download_response(
        document.stored_path,
        download_name=document.original_name,
        content_type=files.CONTENT_TYPES.get(document.kind, "application/octet-stream"),
    )


# Proposals --------------------------------------------------------------------------------------------------


def _filters(request) -> dict:
    user = request.user
    bidang = request.GET.get("bidang", "")
    status = request.GET.get("status", "")
    return {
        "desa": "" if user.is_desa_user else request.GET.get("desa", ""),
        "bidang": bidang if bidang in Bidang.values else "",
        "status": status if status in ProposalStatus.values else "",
    }


def _sum(items) -> selectors.Totals:
    total = selectors.Totals()
    for t in items:
        total.count += t.count
        total.cost += t.cost
        total.accommodated += t.accommodated
        total.accommodated_cost += t.accommodated_cost
        total.decided += t.decided
    return total


@login_required
def proposal_list(request):
    user = request.user
    year = _year(request)
    filters = _filters(request)
    queryset = selectors.proposals(
        user=user,
        year=year,
        desa=filters["desa"] or None,
        bidang=filters["bidang"] or None,
        status=filters["status"] or None,
    )
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    for proposal in page:
        _with_badge(proposal)
    all_desa = list(desa_list(user=user).order_by("kode"))
    by_desa = selectors.totals(user=user, year=year, by=("desa_id",))
    by_bidang = selectors.totals(user=user, year=year, by=("bidang",))
    cycles = list(range(year - COVERAGE_CYCLES + 1, year + 1))
    coverage = selectors.coverage(user=user, years=cycles)
    desa_totals = [(desa, by_desa.get((desa.pk,), selectors.Totals())) for desa in all_desa]
    bidang_totals = [(value, label, by_bidang.get((value,), selectors.Totals())) for value, label in Bidang.choices]
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "year": year,
        "years": _years(year),
        "filters": filters,
        "page": page,
        "querystring": query.urlencode(),
        "desa_choices": [] if user.is_desa_user else all_desa,
        "bidang_choices": Bidang.choices,
        "status_choices": ProposalStatus.choices,
        "desa_totals": desa_totals,
        "bidang_totals": [(label, t) for _value, label, t in bidang_totals],
        "bidang_chart": charts.cost_by_bidang(bidang_totals, year=year),
        "grand_total": _sum(by_desa.values()),
        "cycles": cycles,
        "coverage": [(desa, [coverage.get(desa.pk, {}).get(y) for y in cycles]) for desa in all_desa],
        "can_propose": _can_propose(user),
        "can_import": permissions.can_submit_for_desa(user) and bool(user.desa_id),
        "import_form": ImportForm(),
        "export_query": f"tahun={year}&desa={filters['desa']}&bidang={filters['bidang']}&status={filters['status']}",
    }
    return render(request, "musrenbang/proposals.html", context)


@login_required
def proposals_xlsx(request):
    from musrenbang import exports

    year = _year(request)
    filters = _filters(request)
    content = exports.proposals_workbook(
        user=request.user,
        year=year,
        desa=filters["desa"] or None,
        bidang=filters["bidang"] or None,
        status=filters["status"] or None,
    )
    return files.file_response(content, filename=f"usulan-musrenbang-{year}.xlsx", content_type=XLSX_TYPE)


@login_required
def proposals_import(request):
    from musrenbang import imports

    user = request.user
    if not (permissions.can_submit_for_desa(user) and user.desa_id):
        raise PermissionDenied
    year = _year(request, request.POST if request.method == "POST" else request.GET)
    form = ImportForm(request.POST or None, request.FILES or None)
    errors: list[str] = []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data["berkas"]
        try:
            created = imports.proposals_import_xlsx(actor=user, desa=user.desa, year=year, data=data)
        except ImportRejected as exc:
            errors = exc.errors
        else:
            messages.success(request, _("%(n)d usulan diimpor dari Excel.") % {"n": len(created)})
            return redirect(f"{reverse('musrenbang-proposals')}?tahun={year}")
    context = {"form": form, "errors": errors, "year": year, "years": _years(year)}
    return render(request, "musrenbang/proposal_import.html", context)


@login_required
def proposals_template(request):
    from musrenbang import imports

    content = imports.proposals_template_xlsx()
    return files.file_response(content, filename="templat-usulan-musrenbang.xlsx", content_type=XLSX_TYPE)


@login_required
def proposal_new(request):
    user = request.user
    if not _can_propose(user):
        raise PermissionDenied
    if request.method == "POST":
        form = ProposalForm(request.POST, user=user, creating=True)
        if form.is_valid():
            desa = user.desa if user.is_desa_user else form.cleaned_data["desa"]
            try:
                proposal = services.proposal_create(
                    actor=user, desa=desa, year=form.cleaned_data["year"], **form.proposal_fields()
                )
            except ValidationError as exc:
                web.form_add_errors(form, exc)
            else:
                messages.success(request, _("Usulan “%(a)s” disimpan.") % {"a": proposal.activity})
                return redirect("musrenbang-proposal", pk=proposal.pk)
    else:
        form = ProposalForm(user=user, creating=True, initial={"year": _year(request)})
    return render(request, "musrenbang/proposal_form.html", {"form": form, "proposal": None})


def _proposal(request, pk: int) -> Proposal:
    return get_in_scope_or_404(selectors.proposals(user=request.user), request.user, pk=pk)


def _can_edit_proposal(user, proposal: Proposal) -> bool:
    return proposal.status in rules.DESA_EDITABLE and permissions.can_write_for_desa(user)


@login_required
def proposal_edit(request, pk: int):
    user = request.user
    proposal = _proposal(request, pk)
    if not permissions.can_write_for_desa(user):
        raise PermissionDenied
    if proposal.status not in rules.DESA_EDITABLE:
        messages.error(request, _("Usulan yang sudah dibahas tidak dapat diubah lagi."))
        return redirect("musrenbang-proposal", pk=proposal.pk)
    form = ProposalForm(request.POST or None, instance=copy.copy(proposal), user=user, creating=False)
    if request.method == "POST" and form.is_valid():
        try:
            services.proposal_update(actor=user, proposal=proposal, **form.proposal_fields())
        except ValidationError as exc:
            web.form_add_errors(form, exc)
        else:
            messages.success(request, _("Perubahan usulan disimpan."))
            return redirect("musrenbang-proposal", pk=proposal.pk)
    return render(request, "musrenbang/proposal_form.html", {"form": form, "proposal": proposal})


@login_required
def proposal_detail(request, pk: int):
    return _proposal_page(request, _proposal(request, pk))


def _proposal_page(request, proposal: Proposal, bound: MoveForm | None = None):
    user = request.user
    chain = selectors.chain(proposal)
    actions = []
    if permissions.is_kecamatan_staff(user):
        for key, to_status, label, fields, css in ACTIONS:
            if not rules.can_move(proposal.status, to_status):
                continue
            if bound is not None and bound.data.get("to_status") == to_status:
                form = bound
            else:
                form = MoveForm(auto_id=f"id_{key}_%s", initial={"to_status": to_status})
            if to_status == ProposalStatus.DIBAHAS and form is not bound:
                form.initial.update(kecamatan_priority=proposal.kecamatan_priority, score=proposal.score)
            actions.append({"key": key, "label": label, "css": css, "form": form, "fields": [form[f] for f in fields]})
    transitions = restrict(ProposalTransition.objects.filter(proposal=proposal).select_related("by"), user)
    context = {
        "p": _with_badge(proposal),
        "chain": [_with_badge(link) for link in chain],
        "transitions": transitions,
        "status_labels": dict(ProposalStatus.choices),
        "actions": actions,
        "can_edit": _can_edit_proposal(user, proposal),
        "can_carry": permissions.can_submit_for_desa(user)
        and proposal.status == ProposalStatus.TIDAK_DIAKOMODASI
        and chain[-1].pk == proposal.pk,
        "is_final": proposal.status in rules.FINAL,
    }
    return render(request, "musrenbang/proposal.html", context)


@login_required
@require_POST
def proposal_move(request, pk: int):
    proposal = _proposal(request, pk)
    if not permissions.is_kecamatan_staff(request.user):
        raise PermissionDenied
    key = ACTION_BY_STATUS.get(request.POST.get("to_status", ""))
    if key is None:
        messages.error(request, _("Langkah tidak dikenal."))
        return redirect("musrenbang-proposal", pk=proposal.pk)
    form = MoveForm(request.POST, auto_id=f"id_{key}_%s")
    if form.is_valid():
        try:
            proposal = services.proposal_move(actor=request.user, proposal=proposal, **form.service_kwargs())
        except ValidationError as exc:
            if not rules.can_move(proposal.status, form.cleaned_data["to_status"]):
                messages.error(request, " ".join(exc.messages))  # the step is no longer offered on the page
                return redirect("musrenbang-proposal", pk=proposal.pk)
            web.form_add_errors(form, exc)
        else:
            messages.success(request, _("Status usulan: %(s)s.") % {"s": proposal.get_status_display()})
            return redirect("musrenbang-proposal", pk=proposal.pk)
    elif not rules.can_move(proposal.status, request.POST.get("to_status", "")):
        messages.error(request, _("Langkah ini tidak tersedia untuk status usulan sekarang."))
        return redirect("musrenbang-proposal", pk=proposal.pk)
    return _proposal_page(request, proposal, bound=form)


@login_required
@require_POST
def proposal_carry_over(request, pk: int):
    proposal = _proposal(request, pk)
    if not permissions.can_submit_for_desa(request.user):
        raise PermissionDenied
    try:
        follow = services.proposal_carry_over(actor=request.user, proposal=proposal)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("musrenbang-proposal", pk=proposal.pk)
    messages.success(request, _("Usulan diusulkan lagi untuk tahun %(y)d.") % {"y": follow.year})
    return redirect("musrenbang-proposal", pk=follow.pk)


# Ranking ----------------------------------------------------------------------------------------------------


def _own_kecamatan(user):
    return user.kecamatan if permissions.is_kecamatan_staff(user) and user.kecamatan_id else None


@login_required
def ranking(request):
    return _ranking_page(request, _year(request))


def _ranking_page(request, year: int, rule_form: RankingRuleForm | None = None):
    user = request.user
    ranked = [_with_badge(p) for p in selectors.ranking(user=user, year=year)]
    kecamatan = user.kecamatan if user.kecamatan_id else None
    current = selectors.tie_breakers_for(kecamatan)
    if rule_form is None and _own_kecamatan(user) is not None:
        rule_form = RankingRuleForm(current=current)
    context = {
        "year": year,
        "years": _years(year),
        "ranked": ranked,
        "rule_form": rule_form,
        "rule_labels": [_(rules.TIE_BREAKERS[k][0]) for k in current if k in rules.TIE_BREAKERS],
        "can_berita_acara": permissions.is_kecamatan_staff(user) and bool(kecamatan or request.GET.get("kecamatan")),
        "desa_only": user.is_desa_user,
        "kecamatan": kecamatan,
    }
    return render(request, "musrenbang/ranking.html", context)


@login_required
@require_POST
def ranking_rule(request):
    user = request.user
    kecamatan = _own_kecamatan(user)
    if kecamatan is None:
        raise PermissionDenied
    year = _year(request, request.POST)
    form = RankingRuleForm(request.POST)
    if form.is_valid():
        try:
            services.ranking_rule_set(actor=user, kecamatan=kecamatan, tie_breakers=form.cleaned_data["tie_breakers"])
        except ValidationError as exc:
            web.form_add_errors(form, exc)
        else:
            messages.success(request, _("Urutan penentu peringkat disimpan."))
            return redirect(f"{reverse('musrenbang-ranking')}?tahun={year}")
    return _ranking_page(request, year, rule_form=form)


@login_required
def berita_acara(request):
    from musrenbang import exports

    user = request.user
    if not permissions.is_kecamatan_staff(user):
        raise PermissionDenied
    year = _year(request)
    if user.kecamatan_id:
        kecamatan = user.kecamatan
    elif request.GET.get("kecamatan"):
        kecamatan = get_in_scope_or_404(Kecamatan.objects.all(), user, kode=request.GET["kecamatan"])
    else:
        raise Http404
    content = exports.berita_acara_pdf(user=user, kecamatan=kecamatan, year=year)
    name = f"berita-acara-musrenbang-{kecamatan.kode}-{year}.pdf"
    return files.file_response(content, filename=name, content_type=files.CONTENT_TYPES[files.KIND_PDF])
