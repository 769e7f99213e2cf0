"""Letters a kecamatan sends: the monev teguran to a desa, the attendance teguran to a perangkat, and whatever
comes next. An app writes only what its letter says (a template that extends ``portal/letters/base.html`` and
fills ``perihal``, ``kepada`` and ``isi``); this module adds what every letter carries and does the rest once:

- the letterhead (kop surat) of the sending kecamatan: kabupaten, kecamatan and office address, the same
  partial the Musrenbang berita acara prints;
- the number the reviewer typed, or "-" when there is none yet (the office numbers its letters in its own
  agenda book);
- place and date in words ("Pucuk, 1 Desember 2026") and the Camat's signature block with name and NIP;
- rendering (WeasyPrint, always in Bahasa Indonesia: an official letter does not follow the reader's UI
  language) and storage with the record's transaction (``portal.files.atomic_storage``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone, translation

from portal import files
from portal.calendar import MONTHS_ID
from portal.choices import Role
from portal.models import Kecamatan, User

NO_NUMBER = "-"


@dataclass(frozen=True)
class Letter:
    """One letter to render: the app's template, the kecamatan that sends it, the number typed for it, and
    what the template needs for its own text."""

    template_name: str
    kecamatan: Kecamatan
    number: str = ""
    context: dict[str, Any] = field(default_factory=dict)


def letter_pdf(letter: Letter) -> bytes:
    """PDF bytes (A4) of ``letter``."""
    from weasyprint import HTML  # local import: only the paths that print pay for it

    with translation.override("id"):
        html = render_to_string(letter.template_name, {**letter.context, "letter": _frame(letter)})
    return HTML(string=html).write_pdf()


def letter_attach(stored: files.TransactionFiles, record, letter: Letter, *, name: str, subdir: str) -> None:
    """Render ``letter``, store it with the transaction of ``stored`` and point the record at it: the record
    (a Sanction, an AttendanceWarning) has ``letter_path`` and ``letter_sha256``. If the transaction fails the
    stored letter goes with it."""
    record.letter_path, record.letter_sha256 = stored.store_generated(
        letter_pdf(letter), name=name, kind=files.KIND_PDF, subdir=subdir
    )
    record.save(update_fields=["letter_path", "letter_sha256"])


def _frame(letter: Letter) -> dict[str, Any]:
    """What ``portal/letters/base.html`` prints around the app's text."""
    kecamatan = letter.kecamatan
    signer = camat(kecamatan)
    return {
        "kecamatan": kecamatan,
        "number": number_text(letter.number),
        "place_date": f"{kecamatan.nama}, {date_words(timezone.localdate())}",
        "signatory_title": f"CAMAT {kecamatan.nama.upper()}",
        "signatory_name": (signer.get_full_name() or "") if signer else "",
        "signatory_nip": signer.nip.strip() if signer else "",
    }


def number_text(number: str) -> str:
    return number.strip() or NO_NUMBER


def date_text(day: dt.date | None) -> str:
    """Dates as the letters print them: 15/09/2026; "-" for none."""
    return f"{day:%d/%m/%Y}" if day else "-"


def date_words(day: dt.date) -> str:
    """The date of a letter's place-and-date line: 1 Desember 2026."""
    return f"{day.day} {MONTHS_ID[day.month - 1]} {day.year}"


def camat(kecamatan: Kecamatan) -> User | None:
    """The account that signs for the kecamatan: its active Camat (the first one, should there be two)."""
    return User.objects.filter(kecamatan=kecamatan, role=Role.CAMAT, is_active=True).order_by("pk").first()


def camat_name(kecamatan: Kecamatan) -> str:
    """The Camat's name; empty when none is on file, and the letter leaves a line to sign on."""
    signer = camat(kecamatan)
    return (signer.get_full_name() or "") if signer else ""
