"""Monev fixtures: the tenancy of tests/conftest.py plus document types (seeded by migration), the 2026
holiday table, generated obligations and helpers to build real PDF/XLSX uploads."""

from __future__ import annotations

import datetime as dt
import importlib
import io
import itertools

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from monev import services
from monev.demo import demo_pdf
from monev.models import DocumentType, DocumentTypeSchedule, Obligation
from portal.calendar import holidays_sync

YEAR = 2026


_SERIAL = itertools.count(1)


def pdf_bytes(title: str | None = None) -> bytes:
    """A valid PDF; without a title each call gives a different document (as a desa's corrected version is),
    so that a resubmission is not refused as identical to the earlier one."""
    return demo_pdf(title or f"Dokumen {next(_SERIAL)}")


def pdf_upload(name: str = "laporan.pdf", title: str | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, pdf_bytes(title), content_type="application/pdf")


def xlsx_upload(name: str = "data.xlsx") -> SimpleUploadedFile:
    wb = Workbook()
    wb.active.append(["Kegiatan", "Anggaran"])
    wb.active.append(["Jalan usaha tani", 150000000])
    buffer = io.BytesIO()
    wb.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())


def ensure_document_types() -> None:
    """Transactional tests flush the database, seeded rows included: put the seeded types back (idempotent)."""
    if not DocumentType.objects.exists():
        from django.apps import apps

        importlib.import_module("monev.migrations.0002_seed_document_types").seed(apps, None)
        importlib.import_module("monev.migrations.0005_legal_dates_budget_chain").forward(apps, None)


@pytest.fixture(autouse=True)
def private_media(private_media):
    """Every monev test stores its files under the temporary MEDIA_ROOT of tests/conftest.py."""
    return private_media


@pytest.fixture
def monev(tenancy):
    """Holidays for 2025–2027, example SPJ schedules, and the 2026 obligations of the tenancy's desa."""
    ensure_document_types()
    holidays_sync(years=[YEAR - 1, YEAR, YEAR + 1])
    spj = DocumentType.objects.get(code="SPJ_DD")
    DocumentTypeSchedule.objects.create(
        document_type=spj, year=YEAR, period="TAHAP1", period_label="Tahap I", due_date=dt.date(YEAR, 7, 31)
    )
    services.obligations_generate(year=YEAR)
    return tenancy


def obligation(desa, code: str, year: int = YEAR, period: str = "") -> Obligation:
    return Obligation.objects.get(desa=desa, document_type__code=code, year=year, period=period)
