"""The Camat's IKU dashboard, one indicator's drill-down with its targets and values, the program budget, and
the LKjIP/LPPD annex exports. Kecamatan staff only (a desa user gets 403, like every other kecamatan page);
only supervisors change targets, manual values and the budget."""

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

from monev import exports_iku, formulas_iku, selectors_iku, services_iku
from monev.forms_iku import ProgramForm, TargetForm, ValueForm
from monev.models_iku import IndicatorSource
from portal import files, params, permissions, web
from portal.api.base import is_db_int
from portal.charts import Row, Segment, hbars
from portal.exports import XLSX_TYPE
from portal.scoping import get_in_scope_or_404

PDF_TYPE = files.CONTENT_TYPES[files.KIND_PDF]
LIGHT_COLORS = {
    formulas_iku.GREEN: "#198754",
    formulas_iku.YELLOW: "#ffc107",
    formulas_iku.RED: "#dc3545",
}
CHART_MAX = 120  # capaian beyond 120 % is drawn as 120 % (the figure stays true)


def _staff(request) -> None:
    if not permissions.is_kecamatan_staff(request.user):
        raise PermissionDenied


def _period(request) -> tuple[int, int | None]:
    year = params.on_page(request, params.year, request.GET, default=timezone.localdate().year)
    raw = request.GET.get("tw", "")
    quarter = int(raw) if raw in ("1", "2", "3", "4") else None
    if raw and quarter is None:
        messages.error(request, _("Triwulan harus 1 sampai 4; ditampilkan setahun penuh."))
    return year, quarter


def _query(year: int, quarter: int | None) -> str:
    return f"tahun={year}" + (f"&tw={quarter}" if quarter else "")


def _kecamatan_query(request, board) -> str:
    """An administrator's choice of kecamatan carried to the exports and the drill-down."""
    if request.user.is_portal_admin and board.kecamatan is not None:
        return f"&kecamatan={board.kecamatan.kode}"
    return ""


def _board(request) -> selectors_iku.Dashboard:
    year, quarter = _period(request)
    kecamatan = selectors_iku.kecamatan_of(request.user, request.GET.get("kecamatan"))
    return selectors_iku.dashboard(user=request.user, kecamatan=kecamatan, year=year, quarter=quarter)


def chart(board: selectors_iku.Dashboard):
    labels = formulas_iku.LIGHT_LABELS
    segments = [Segment(key, str(labels[key]), color) for key, color in LIGHT_COLORS.items()]
    query = _query(board.year, board.quarter)
    rows = [
        Row(
            label=f"{row.number}. {row.indicator.name}",
            values={row.light: min(row.achievement, CHART_MAX)} if row.achievement is not None else {},
            url=f"{reverse('monev-iku-indicator', args=[row.indicator.pk])}?{query}",
            value_text=row.achievement_text if row.achievement is not None else _("tanpa data"),
        )
        for row in board.rows
    ]
    return hbars(
        rows,
        segments,
        label=_("Capaian indikator kinerja terhadap target, %(period)s") % {"period": exports_iku.period_text(board)},
        scale_max=CHART_MAX,
        ticks=[(0, "0%"), (50, "50%"), (100, "100%")],
        layout="above",
        value_width=70,
        testid="chart-iku",
    )


@login_required
def dashboard(request):
    _staff(request)
    board = _board(request)
    context = {
        "board": board,
        "chart": chart(board),
        "query": _query(board.year, board.quarter) + _kecamatan_query(request, board),
        "period": exports_iku.period_text(board),
        "years": range(board.year - 5, board.year + 2),
        "quarters": [(1, "I"), (2, "II"), (3, "III"), (4, "IV")],
        "can_edit": permissions.is_supervisor(request.user),
    }
    return render(request, "monev/iku/dashboard.html", context)


@login_required
def export_xlsx(request):
    _staff(request)
    board = _board(request)
    name = f"capaian-iku-{board.year}{f'-tw{board.quarter}' if board.quarter else ''}.xlsx"
    return files.file_response(exports_iku.annex_xlsx(board), filename=name, content_type=XLSX_TYPE)


@login_required
def export_pdf(request):
    _staff(request)
    board = _board(request)
    if board.kecamatan is None:
        raise PermissionDenied
    name = f"capaian-iku-{board.year}{f'-tw{board.quarter}' if board.quarter else ''}.pdf"
    return files.file_response(exports_iku.annex_pdf(board), filename=name, content_type=PDF_TYPE)


def _indicator(request, pk: int):
    _staff(request)
    return get_in_scope_or_404(selectors_iku.indicator_list(user=request.user), request.user, pk=pk)


def _detail(request, indicator, *, status=200, target_form=None, value_form=None):
    year, quarter = _period(request)
    row = selectors_iku.indicator_row(indicator, user=request.user, year=year, quarter=quarter)
    can_edit = permissions.is_supervisor(request.user)
    context = {
        "indicator": indicator,
        "row": row,
        "year": year,
        "quarter": quarter,
        "query": _query(year, quarter),
        "targets": indicator.targets.order_by("year"),
        "values": indicator.values.select_related("entered_by").order_by("-year", "quarter"),
        "can_edit": can_edit,
        "is_manual": indicator.source == IndicatorSource.MANUAL,
        "target_form": target_form or TargetForm(initial={"year": year}),
        "value_form": value_form or ValueForm(initial={"year": year, "quarter": quarter or 0}),
    }
    return render(request, "monev/iku/indicator.html", context, status=status)


@login_required
def indicator_detail(request, pk: int):
    return _detail(request, _indicator(request, pk))


def _back(indicator, year: int):
    return redirect(f"{reverse('monev-iku-indicator', args=[indicator.pk])}?tahun={year}")


@login_required
@require_POST
def target_set(request, pk: int):
    indicator = _indicator(request, pk)
    if not permissions.is_supervisor(request.user):
        raise PermissionDenied
    form = TargetForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services_iku.target_set(
                actor=request.user,
                indicator=indicator,
                year=data["year"],
                value=data["value"],
                quarters=(data["q1"], data["q2"], data["q3"], data["q4"]),
                note=data["note"],
            )
        except ValidationError as exc:
            web.form_add_errors(form, exc)
        else:
            messages.success(request, _("Target disimpan."))
            return _back(indicator, data["year"])
    return _detail(request, indicator, status=400, target_form=form)


@login_required
@require_POST
def value_set(request, pk: int):
    indicator = _indicator(request, pk)
    if not permissions.is_supervisor(request.user):
        raise PermissionDenied
    form = ValueForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services_iku.value_set(
                actor=request.user,
                indicator=indicator,
                year=data["year"],
                quarter=data["quarter"],
                value=data["value"],
                note=data["note"],
                evidence=data["evidence"],
            )
        except ValidationError as exc:
            web.form_add_errors(form, exc)
        else:
            messages.success(request, _("Realisasi disimpan."))
            return _back(indicator, data["year"])
    return _detail(request, indicator, status=400, value_form=form)


@login_required
def evidence_download(request, pk: int):
    _staff(request)
    entry = get_in_scope_or_404(selectors_iku.value_list(user=request.user), request.user, pk=pk)
    if not entry.evidence_path:
        raise Http404
    return files.download_response(
        entry.evidence_path, download_name=entry.evidence_name, content_type=files.CONTENT_TYPES[entry.evidence_kind]
    )


def _programs_page(request, *, form=None, editing=None, status=200):
    year, _quarter = _period(request)
    kecamatan = selectors_iku.kecamatan_of(request.user, request.GET.get("kecamatan"))
    programs = selectors_iku.programs_of_year(user=request.user, kecamatan=kecamatan, year=year)
    indicators = selectors_iku.indicator_list(user=request.user).filter(plan_period__kecamatan=kecamatan)
    context = {
        "year": year,
        "kecamatan": kecamatan,
        "programs": programs,
        "total_budget": sum(p.budget for p in programs),
        "total_realised": sum(p.realised for p in programs),
        "can_edit": permissions.is_supervisor(request.user) and kecamatan is not None,
        "form": form or ProgramForm(instance=editing, initial={"year": year}, indicators=indicators),
        "editing": editing,
    }
    return render(request, "monev/iku/programs.html", context, status=status)


@login_required
def programs(request):
    _staff(request)
    editing = None
    if request.GET.get("ubah"):
        pk = request.GET["ubah"]
        if not is_db_int(pk):
            raise Http404
        editing = get_in_scope_or_404(selectors_iku.program_list(user=request.user), request.user, pk=pk)
    if request.method != "POST":
        return _programs_page(request, editing=editing)
    if not permissions.is_supervisor(request.user):
        raise PermissionDenied
    kecamatan = editing.kecamatan if editing else selectors_iku.kecamatan_of(request.user, request.GET.get("kecamatan"))
    if kecamatan is None:
        raise PermissionDenied
    indicators = selectors_iku.indicator_list(user=request.user).filter(plan_period__kecamatan=kecamatan)
    form = ProgramForm(request.POST, instance=editing, indicators=indicators)
    if form.is_valid():
        fields = {name: form.cleaned_data[name] for name in form.Meta.fields}
        try:
            services_iku.program_save(actor=request.user, kecamatan=kecamatan, program=editing, **fields)
        except ValidationError as exc:
            web.form_add_errors(form, exc)
        else:
            messages.success(request, _("Anggaran program disimpan."))
            return redirect(f"{reverse('monev-iku-programs')}?tahun={fields['year']}")
    return _programs_page(request, form=form, editing=editing, status=400)
