"""The Camat's review: notes on a desa's month, and a teguran to a perangkat with a PDF letter (WeasyPrint),
stored like every other file (private, SHA-256)."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from attendance import recap
from attendance.models import AttendanceWarning, ReviewNote
from portal import files, permissions
from portal.choices import Role
from portal.models import Desa, Perangkat, User
from portal.scoping import in_scope

REVIEWERS = frozenset({Role.CAMAT, Role.SEKCAM, Role.KASI_TAPEM})


def can_review(user: User) -> bool:
    return user.is_authenticated and (user.is_portal_admin or user.role in REVIEWERS)


def note_create(
    *, actor: User, desa: Desa, month: dt.date, text: str, perangkat: Perangkat | None = None
) -> ReviewNote:
    if not can_review(actor) or not in_scope(desa, actor):
        raise PermissionDenied
    if perangkat is not None and perangkat.desa_id != desa.pk:
        raise ValidationError({"perangkat": _("Perangkat harus dari desa ini.")})
    if not text.strip():
        raise ValidationError({"text": _("Catatan tidak boleh kosong.")})
    return ReviewNote.objects.create(desa=desa, month=month.replace(day=1), perangkat=perangkat, text=text.strip(),
                                     author=actor)  # fmt: skip


def letter_pdf(warning: AttendanceWarning, *, user: User) -> bytes:
    from weasyprint import HTML

    perangkat = warning.perangkat
    desa = perangkat.desa
    grid = recap.desa_grid(user=user, desa=desa, month=warning.month)
    totals = next((row.totals for row in grid.rows if row.perangkat.pk == perangkat.pk), recap.Totals())
    camat = User.objects.filter(kecamatan=desa.kecamatan, role=Role.CAMAT, is_active=True).first()
    html = render_to_string("attendance/letters/teguran.html", {
        "warning": warning, "perangkat": perangkat, "desa": desa, "kecamatan": desa.kecamatan, "totals": totals,
        "month_name": date_format(warning.month, "F Y"), "tanggal": f"{timezone.localdate():%d/%m/%Y}",
        "camat": camat.get_full_name() if camat else "",
    })  # fmt: skip
    return HTML(string=html).write_pdf()


def warning_create(
    *, actor: User, perangkat: Perangkat, month: dt.date, level: str, note: str, letter_number: str = ""
) -> AttendanceWarning:
    if not can_review(actor) or not permissions.is_kecamatan_staff(actor) or not in_scope(perangkat, actor):
        raise PermissionDenied
    if level not in AttendanceWarning.Level.values:
        raise ValidationError({"level": _("Tingkat teguran tidak dikenal.")})
    if not note.strip():
        raise ValidationError({"note": _("Tuliskan alasan teguran.")})
    stored: list[str] = []
    try:
        with transaction.atomic():
            warning = AttendanceWarning.objects.create(
                perangkat=perangkat, month=month.replace(day=1), level=level, note=note.strip(),
                letter_number=letter_number, issued_by=actor,
            )  # fmt: skip
            if level != AttendanceWarning.Level.LISAN:
                path, sha256 = files.store_generated(
                    letter_pdf(warning, user=actor), name=f"teguran-absensi-{warning.pk}.pdf", kind=files.KIND_PDF,
                    subdir=f"teguran-absensi/{month.year}",
                )  # fmt: skip
                stored.append(path)
                warning.letter_path, warning.letter_sha256 = path, sha256
                warning.save(update_fields=["letter_path", "letter_sha256"])
    except Exception:
        for path in stored:
            files.delete_stored(path)
        raise
    return warning
