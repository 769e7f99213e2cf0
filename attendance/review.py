"""The Camat's review: notes on a desa's month, and a teguran to a perangkat with a PDF letter made and stored
through ``portal.letters`` (private, SHA-256)."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _

from attendance import recap
from attendance.models import AttendanceWarning, ReviewNote
from portal import files, letters, permissions
from portal.models import Desa, Perangkat, User
from portal.scoping import in_scope


def can_review(user: User) -> bool:
    """The Camat, Sekcam and Kasi Tapem review a desa's attendance (``portal.permissions`` supervisors)."""
    return permissions.is_supervisor(user)


def note_create(
    *, actor: User, desa: Desa, month: dt.date, text: str, perangkat: Perangkat | None = None
) -> ReviewNote:
    if not can_review(actor) or not in_scope(desa, actor):
        raise PermissionDenied
    if perangkat is not None and perangkat.desa_id != desa.pk:
        raise ValidationError({"perangkat": _("Perangkat harus dari desa ini.")})
    if not text.strip():
        raise ValidationError({"text": _("Catatan tidak boleh kosong.")})
    return ReviewNote.objects.create(
        desa=desa, month=month.replace(day=1), perangkat=perangkat, text=text.strip(), author=actor
    )


def warning_letter(warning: AttendanceWarning, *, user: User) -> letters.Letter:
    """The written teguran: the perangkat's month as the reviewer sees it, inside the common letter of
    ``portal.letters``."""
    perangkat = warning.perangkat
    desa = perangkat.desa
    grid = recap.desa_grid(user=user, desa=desa, month=warning.month)
    totals = next((row.totals for row in grid.rows if row.perangkat.pk == perangkat.pk), recap.Totals())
    context = {"warning": warning, "perangkat": perangkat, "desa": desa, "totals": totals, "month": warning.month}
    return letters.Letter(
        "attendance/letters/teguran.html", kecamatan=desa.kecamatan, number=warning.letter_number, context=context
    )


def warning_create(
    *, actor: User, perangkat: Perangkat, month: dt.date, level: str, note: str, letter_number: str = ""
) -> AttendanceWarning:
    if not can_review(actor) or not permissions.is_kecamatan_staff(actor) or not in_scope(perangkat, actor):
        raise PermissionDenied
    if level not in AttendanceWarning.Level.values:
        raise ValidationError({"level": _("Tingkat teguran tidak dikenal.")})
    if not note.strip():
        raise ValidationError({"note": _("Tuliskan alasan teguran.")})
    with files.atomic_storage() as stored:
        warning = AttendanceWarning.objects.create(
            perangkat=perangkat,
            month=month.replace(day=1),
            level=level,
            note=note.strip(),
            letter_number=letter_number,
            issued_by=actor,
        )
        if level != AttendanceWarning.Level.LISAN:
            name, subdir = f"teguran-absensi-{warning.pk}.pdf", f"teguran-absensi/{month.year}"
            letters.letter_attach(stored, warning, warning_letter(warning, user=actor), name=name, subdir=subdir)
    return warning
