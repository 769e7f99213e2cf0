"""APBDes writes: import of a draft's lines (a new version each time), the kecamatan's comments, the Camat's
sign-off, realisation per semester and the berbasis kinerja verdict. Each checks permission and scope."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from monev import rules_apbdes
from monev.choices import Outcome
from monev.imports_apbdes import COLUMNS, REALISATION_COLUMNS
from monev.models import Obligation
from monev.models_apbdes import (
    BudgetComment,
    BudgetFigures,
    BudgetLine,
    BudgetRealisation,
    BudgetVersion,
    KinerjaVerdict,
    RealisationCategory,
)
from portal import permissions
from portal.choices import Role
from portal.imports import rows_import
from portal.models import Desa, User
from portal.scoping import in_scope


def can_import(user) -> bool:
    return permissions.can_write_for_desa(user)


def can_comment(user) -> bool:
    """The Kasi Tapem (and other kecamatan staff who verify) comment on the draft's lines."""
    return permissions.can_verify(user)


def can_sign(user) -> bool:
    """Only the Camat signs the evaluation (Permendagri 20/2018 Pasal 35: "Camat melakukan evaluasi")."""
    return user.is_authenticated and (user.is_portal_admin or user.role == Role.CAMAT)


def can_set_verdict(user) -> bool:
    return permissions.is_kecamatan_staff(user)


def can_enter_realisation(user) -> bool:
    return permissions.can_write_for_desa(user)


def _check_scope(obj, actor) -> None:
    if not in_scope(obj, actor):
        raise PermissionDenied


@transaction.atomic
def budget_import(*, actor: User, obligation: Obligation, data: bytes, source_name: str = "") -> BudgetVersion:
    """A new version of the obligation's draft with one line per row. Every row or none: an error anywhere
    raises ``ImportRejected`` and the version is not kept either."""
    _check_scope(obligation, actor)
    if not can_import(actor):
        raise PermissionDenied
    obligation = Obligation.objects.select_for_update().select_related("document_type").get(pk=obligation.pk)
    if obligation.document_type.code not in rules_apbdes.BUDGET_DOC_CODES:
        raise ValidationError(_("Baris APBDes hanya untuk Raperdes APBDes atau evaluasinya."))
    last = obligation.budget_versions.order_by("-version").values_list("version", flat=True).first() or 0
    now = timezone.now()
    version = BudgetVersion.objects.create(
        obligation=obligation,
        version=last + 1,
        received_on=timezone.localdate(now),
        source_name=source_name[:150],
        imported_by=actor,
        imported_at=now,
    )
    rows_import(
        data, COLUMNS, lambda row_no, fields: BudgetLine.objects.create(version=version, row_no=row_no, **fields)
    )
    return version


@transaction.atomic
def comment_add(
    *, actor: User, version: BudgetVersion, text: str, line: BudgetLine | None = None, kode_prefix: str = ""
) -> BudgetComment:
    """A comment on one line or on the group of lines whose kode starts with ``kode_prefix``."""
    _check_scope(version, actor)
    if not can_comment(actor):
        raise PermissionDenied
    if version.outcome:
        raise ValidationError(_("Evaluasi versi ini sudah ditandatangani; komentar tidak dapat ditambah."))
    if not text.strip():
        raise ValidationError({"text": _("Tuliskan komentarnya.")})
    kode_prefix = kode_prefix.strip()
    if line is not None:
        if line.version_id != version.pk:
            raise ValidationError({"line": _("Baris ini bukan bagian dari versi ini.")})
        kode_prefix = ""
    elif not kode_prefix:
        raise ValidationError({"kode_prefix": _("Pilih baris atau isi kelompok kode, mis. 5.2.")})
    elif not any(rules_apbdes.has_prefix(k, kode_prefix) for k in version.lines.values_list("kode", flat=True)):
        raise ValidationError({"kode_prefix": _("Tidak ada baris dengan kode berawalan %(p)s.") % {"p": kode_prefix}})
    return BudgetComment.objects.create(
        version=version, line=line, kode_prefix=kode_prefix[:40], text=text.strip(), author=actor
    )


@transaction.atomic
def evaluation_sign(*, actor: User, version: BudgetVersion, outcome: str, note: str = "") -> BudgetVersion:
    """The Camat's result of the evaluation of one version: sesuai, or perlu perbaikan (with the comments)."""
    _check_scope(version, actor)
    if not can_sign(actor):
        raise PermissionDenied
    # The obligation first, as an import does: a signature and a new version never cross.
    Obligation.objects.select_for_update().get(pk=version.obligation_id)
    version = BudgetVersion.objects.select_for_update().get(pk=version.pk)
    if not rules_apbdes.can_sign(version.outcome):
        raise ValidationError(_("Evaluasi versi ini sudah ditandatangani."))
    if BudgetVersion.objects.filter(obligation_id=version.obligation_id, version__gt=version.version).exists():
        raise ValidationError(_("Ada versi yang lebih baru; tandatangani evaluasi versi terakhir."))
    if outcome not in Outcome.values:
        raise ValidationError({"outcome": _("Pilih sesuai atau perlu perbaikan.")})
    if outcome == Outcome.PERLU_PERBAIKAN and not version.comments.exists() and not note.strip():
        raise ValidationError({"note": _("Perlu perbaikan: tuliskan catatan atau komentar pada baris.")})
    version.outcome, version.sign_note = outcome, note.strip()
    version.signed_by, version.signed_at = actor, timezone.now()
    version.save(update_fields=["outcome", "sign_note", "signed_by", "signed_at"])
    version.handed_in = _evaluation_hand_in(actor, version)
    return version


def _evaluation_hand_in(actor: User, version: BudgetVersion) -> bool:
    """The signed result is the kecamatan's EVALUASI_APBDES document: handed in as that obligation's version
    (the one way a document enters monev), so the board, the 20-working-day verdict and the budget chain (a
    PERBAIKAN_APBDES after *perlu perbaikan*) follow from the signature. Answers False when that obligation
    takes no document any more (already accepted: the signature of a revised draft stays on its version, and
    the page says so)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from monev import rules as monev_rules
    from monev import services as monev_services
    from portal.letters import Letter, letter_pdf

    draft = version.obligation
    evaluasi = (
        Obligation.objects.select_related("document_type", "desa__kecamatan")
        .filter(desa_id=draft.desa_id, year=draft.year, document_type__code="EVALUASI_APBDES")
        .order_by("pk")
        .first()
    )
    if evaluasi is None or not monev_rules.accepts_submission(evaluasi.state):
        return False
    if evaluasi.trigger_date is None:
        # The evaluation's clock starts when the draft reached the kecamatan: the day its lines were received.
        evaluasi = monev_services.obligation_set_trigger(
            actor=actor, obligation=evaluasi, trigger_date=version.received_on
        )
    desa = evaluasi.desa
    letter = Letter(
        "monev/apbdes/evaluation_letter.html",
        desa.kecamatan,
        context={
            "desa": desa,
            "year": draft.year,
            "version": version,
            "outcome_label": Outcome(version.outcome).label,
            "note": version.sign_note,
            "comments": list(version.comments.select_related("line").order_by("pk")),
        },
    )
    document = SimpleUploadedFile(
        f"evaluasi-apbdes-{desa.kode}-{draft.year}-v{version.version}.pdf", letter_pdf(letter), "application/pdf"
    )
    monev_services.submission_create(
        actor=actor,
        obligation=evaluasi,
        document=document,
        document_date=timezone.localdate(version.signed_at),
        notes=_("Hasil evaluasi per baris, ditandatangani di portal."),
        outcome=version.outcome,
    )
    return True


def _figures(desa: Desa, year: int) -> BudgetFigures:
    figures, _created = BudgetFigures.objects.select_for_update().get_or_create(desa=desa, year=year)
    return figures


@transaction.atomic
def realisation_set(
    *, actor: User, desa: Desa, year: int, semester: int, category: str, amount: Decimal
) -> BudgetRealisation:
    _check_scope(desa, actor)
    if not can_enter_realisation(actor):
        raise PermissionDenied
    if semester not in (1, 2):
        raise ValidationError({"semester": _("Semester harus 1 atau 2.")})
    if category not in RealisationCategory.values:
        raise ValidationError({"category": _("Kelompok tidak dikenal.")})
    if amount is None or amount < 0:
        raise ValidationError({"amount": _("Realisasi tidak boleh negatif.")})
    row, _created = BudgetRealisation.objects.update_or_create(
        figures=_figures(desa, year),
        semester=semester,
        category=category,
        defaults={"amount": amount, "entered_by": actor, "entered_at": timezone.now()},
    )
    return row


@transaction.atomic
def verdict_set(*, actor: User, desa: Desa, year: int, verdict: str, note: str = "", link: str = "") -> BudgetFigures:
    """The kecamatan's verdict: is the desa's APBDes berbasis kinerja? Evidence is a note and/or a link."""
    _check_scope(desa, actor)
    if not can_set_verdict(actor):
        raise PermissionDenied
    if verdict not in KinerjaVerdict.values:
        raise ValidationError({"verdict": _("Pilih ya, sebagian atau tidak.")})
    if not note.strip() and not link.strip():
        raise ValidationError({"note": _("Tuliskan bukti: catatan atau tautan dokumen.")})
    figures = _figures(desa, year)
    figures.kinerja_verdict, figures.kinerja_note, figures.kinerja_link = verdict, note.strip(), link.strip()
    figures.kinerja_by, figures.kinerja_at = actor, timezone.now()
    figures.full_clean(exclude=["desa"], validate_unique=False, validate_constraints=False)
    figures.save()
    return figures


@transaction.atomic
def realisation_import(*, actor: User, desa: Desa, year: int, data: bytes) -> list[BudgetRealisation]:
    """Realisation rows from the Excel template (semester, kelompok, amount); every row or none. A row
    repeated in the sheet is an error, so that a figure is never silently overwritten by a later row."""
    _check_scope(desa, actor)
    if not can_enter_realisation(actor):
        raise PermissionDenied
    seen: set[tuple[int, str]] = set()

    def save_row(_row_no: int, fields: dict) -> BudgetRealisation:
        key = (fields["semester"], fields["category"])
        if key in seen:
            raise ValidationError({"category": _("kelompok ini sudah ada untuk semester yang sama di baris lain")})
        seen.add(key)
        return realisation_set(actor=actor, desa=desa, year=year, **fields)

    return rows_import(data, REALISATION_COLUMNS, save_row)
