"""The letters of ``portal.letters``: the monev teguran (to a desa) and the attendance teguran (to a perangkat)
share one letterhead, number, signature and storage, and keep their own body text."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import translation

from attendance import review
from attendance.models import AttendanceWarning
from monev import services
from monev.models import Sanction
from monev.sanctions import sanction_create
from portal import letters
from portal.calendar import holidays_sync
from portal.models import User
from tests.factories import UserFactory
from tests.helpers import WIB, pdf_text
from tests.monev.conftest import ensure_document_types, obligation

pytestmark = pytest.mark.usefixtures("private_media")
NOW = dt.datetime(2026, 9, 15, 9, tzinfo=WIB)  # RKPDES 2026 of every desa is late by then


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def kecamatan(tenancy):
    """The tenancy's kecamatan with a kabupaten, an office address and a Camat with a name."""
    tenancy.kecamatan.kabupaten, tenancy.kecamatan.alamat = "Lamongan", "Jl. Raya Pucuk No. 1"
    tenancy.kecamatan.save()
    UserFactory(
        username="camat_named",
        role=tenancy.camat.role,
        kecamatan=tenancy.kecamatan,
        first_name="Budi",
        last_name="Santoso",
        nip="197001011990031001",
    )
    tenancy.camat.is_active = False  # the one without a name stays out of the signature
    tenancy.camat.save()
    return tenancy.kecamatan


@pytest.fixture
def late(tenancy):
    """Desa A's RKPDES 2026, late on NOW."""
    ensure_document_types()
    holidays_sync(years=[2026])
    services.obligations_generate(year=2026)
    return obligation(tenancy.desa_a, "RKPDES")


def assert_letterhead(text: str) -> None:
    assert "PEMERINTAH KABUPATEN LAMONGAN" in text
    assert "KECAMATAN PUCUK" in text
    assert "Jl. Raya Pucuk No. 1" in text
    assert "Nomor : 140/12/2026" in text
    # Place and date in words, Indonesian month names whatever the active language.
    assert "Pucuk, 15 September 2026" in text and "CAMAT PUCUK" in text and "Budi Santoso" in text
    assert "NIP. 197001011990031001" in text


def test_monev_teguran_has_the_letterhead_and_its_own_body(tenancy, kecamatan, late):
    sanction = sanction_create(
        actor=tenancy.kasi_tapem, obligation=late, level=Sanction.Level.TERTULIS_1, letter_number="140/12/2026"
    )
    text = pdf_text(sanction.letter_path)
    assert_letterhead(text)
    assert "Kepala Desa Pucuk" in text and "TEGURAN TERTULIS I" in text
    assert "kepada Camat Pucuk" in text  # the body's {{ kecamatan }} is still the kecamatan's name


def test_attendance_teguran_has_the_letterhead_and_its_own_body(tenancy, kecamatan):
    warning = review.warning_create(
        actor=tenancy.kasi_tapem,
        perangkat=tenancy.perangkat_a,
        month=dt.date(2026, 8, 1),
        level=AttendanceWarning.Level.TERTULIS_1,
        note="Terlambat 6 kali.",
        letter_number="140/12/2026",
    )
    text = pdf_text(warning.letter_path)
    assert_letterhead(text)
    assert "Sdr. Slamet Riyadi" in text and "Kedisiplinan Kehadiran" in text
    assert "Agustus 2026" in text and "Terlambat 6 kali." in text


def test_a_letter_without_a_number_says_so(tenancy, kecamatan, late):
    sanction = sanction_create(actor=tenancy.kasi_tapem, obligation=late, level=Sanction.Level.TERTULIS_2)
    assert "Nomor : -" in pdf_text(sanction.letter_path)


def test_the_date_line_is_indonesian_in_an_english_session(tenancy, kecamatan, late):
    with time_machine.travel(dt.datetime(2026, 12, 1, 9, tzinfo=WIB), tick=False), translation.override("en"):
        sanction = sanction_create(actor=tenancy.kasi_tapem, obligation=late, level=Sanction.Level.TERTULIS_1)
    assert "Pucuk, 1 Desember 2026" in pdf_text(sanction.letter_path)


def test_a_signer_without_nip_leaves_the_nip_line_out(tenancy, kecamatan, late):
    User.objects.filter(username="camat_named").update(nip="")
    sanction = sanction_create(actor=tenancy.kasi_tapem, obligation=late, level=Sanction.Level.TERTULIS_1)
    text = pdf_text(sanction.letter_path)
    assert "Budi Santoso" in text and "NIP" not in text


def test_date_words_every_month():
    assert [letters.date_words(dt.date(2026, m, 1)).split()[1] for m in (1, 5, 8, 12)] == [
        "Januari",
        "Mei",
        "Agustus",
        "Desember",
    ]
