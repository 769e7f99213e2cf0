"""Monev part of the Pucuk demo: holidays, example SPJ schedules, this year's and next year's obligations,
and a realistic spread of submissions (on time, late, returned, missing). Idempotent."""

from __future__ import annotations

import datetime as dt
import io
import random

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from pypdf import PdfWriter

from monev import services
from monev.choices import State
from monev.models import DocumentType, DocumentTypeSchedule, Obligation
from portal.calendar import holidays_sync
from portal.models import User

# Example dates only: the real ones come each year from the PMK (Dana Desa) and the Perbup (ADD).
EXAMPLE_SCHEDULES = {
    "SPJ_DD": [("TAHAP1", "Tahap I", 7, 31), ("TAHAP2", "Tahap II", 12, 15)],
    "SPJ_ADD": [("TAHAP1", "Tahap I", 4, 30), ("TAHAP2", "Tahap II", 8, 31), ("TAHAP3", "Tahap III", 12, 15)],
}


def demo_pdf(title: str) -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_metadata({"/Title": title})
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def demo_load() -> None:
    year = timezone.localdate().year
    holidays_sync(years=[year - 1, year, year + 1])
    for code, rows in EXAMPLE_SCHEDULES.items():
        doc_type = DocumentType.objects.get(code=code)
        for y in (year, year + 1):
            for period, label, month, day in rows:
                DocumentTypeSchedule.objects.get_or_create(
                    document_type=doc_type, year=y, period=period,
                    defaults={"period_label": label, "due_date": dt.date(y, month, day)},
                )  # fmt: skip
    for y in (year, year + 1):
        services.obligations_generate(year=y)
    if not Obligation.objects.filter(year=year).exclude(state=State.BELUM).exists():
        _demo_activity(year)
    services.obligations_mark_overdue(today=timezone.localdate())


def _demo_activity(year: int) -> None:
    today = timezone.localdate()
    reviewer = User.objects.filter(role="kasi_tapem").first()
    for obligation in Obligation.objects.filter(year=year, due_date__isnull=False).select_related(
        "desa", "document_type"
    ):
        if obligation.document_type.responsible != "desa":
            continue
        operator = User.objects.filter(role="operator_desa", desa=obligation.desa).first()
        if operator is None or reviewer is None:
            continue
        rng = random.Random(f"{obligation.desa.kode}-{obligation.document_type.code}-{obligation.period}")
        roll = rng.random()
        past_due = obligation.due_date < today
        if (past_due and roll > 0.85) or (not past_due and roll > 0.25):
            continue  # nothing sent (late, or simply not due yet)
        upload = SimpleUploadedFile(f"{obligation.document_type.code.lower()}.pdf", demo_pdf(obligation.title))
        submission = services.submission_create(
            actor=operator, obligation=obligation, document=upload, document_number=f"{rng.randint(1, 20)}/{year}"
        )
        if not past_due:
            continue
        # Back-date the demo submission to a plausible day around its due date.
        sent = timezone.make_aware(
            dt.datetime.combine(
                obligation.due_date - dt.timedelta(days=rng.randint(-12, 10)), dt.time(9, rng.randint(0, 59))
            )
        )
        submission.__class__.objects.filter(pk=submission.pk).update(submitted_at=sent)
        Obligation.objects.filter(pk=obligation.pk).update(first_submitted_at=sent, basis_submitted_at=sent)
        submission.refresh_from_db()
        decision = "return" if roll > 0.75 else "accept"
        note = "Lampiran daftar kegiatan belum ada; mohon dilengkapi." if decision == "return" else ""
        services.submission_review(actor=reviewer, submission=submission, decision=decision, note=note)
