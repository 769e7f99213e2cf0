"""``portal.files.atomic_storage``: a file stored in the block lives only if the block's transaction does."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from monev.demo import demo_pdf
from portal import files
from portal.models import Kecamatan

pytestmark = pytest.mark.django_db


class Boom(Exception):
    pass


def upload() -> tuple[SimpleUploadedFile, files.CheckedUpload]:
    file = SimpleUploadedFile("laporan.pdf", demo_pdf("Laporan"))
    return file, files.check_upload(file, allowed_kinds={files.KIND_PDF})


def store_both(stored: files.TransactionFiles) -> list[str]:
    """An upload and a generated file (a letter), as the services store them."""
    path = stored.store_upload(*upload(), subdir="uji")
    generated, _sha256 = stored.store_generated(demo_pdf("Surat"), name="surat.pdf", kind=files.KIND_PDF, subdir="uji")
    return [path, generated]


def exists(media: Path, paths: list[str]) -> list[bool]:
    return [(media / path).is_file() for path in paths]


def test_files_and_rows_of_a_block_that_completes_are_kept(private_media):
    with files.atomic_storage() as stored:
        paths = store_both(stored)
        Kecamatan.objects.create(kode="35.24.99", nama="Uji", kabupaten="Lamongan")
    assert exists(private_media, paths) == [True, True]
    assert Kecamatan.objects.filter(kode="35.24.99").exists()


def test_an_exception_in_the_block_removes_its_files_and_rows(private_media):
    paths: list[str] = []
    with pytest.raises(Boom), files.atomic_storage() as stored:
        paths = store_both(stored)
        Kecamatan.objects.create(kode="35.24.99", nama="Uji", kabupaten="Lamongan")
        assert exists(private_media, paths) == [True, True]
        raise Boom
    assert exists(private_media, paths) == [False, False]
    assert not Kecamatan.objects.filter(kode="35.24.99").exists()


def test_inside_an_outer_transaction_only_the_failed_block_goes(private_media):
    """The block is a savepoint: the outer transaction carries on, with the files of the blocks that completed."""
    with transaction.atomic():
        with files.atomic_storage() as stored:
            kept = store_both(stored)
        with pytest.raises(Boom), files.atomic_storage() as stored:
            lost = store_both(stored)
            raise Boom
        Kecamatan.objects.create(kode="35.24.99", nama="Uji", kabupaten="Lamongan")  # still usable
    assert exists(private_media, kept) == [True, True]
    assert exists(private_media, lost) == [False, False]


def test_a_block_that_asks_for_a_rollback_removes_its_files(private_media):
    with files.atomic_storage() as stored:
        paths = store_both(stored)
        transaction.set_rollback(True)
    assert exists(private_media, paths) == [False, False]


def test_a_file_refused_by_the_store_leaves_nothing_behind(private_media):
    file, checked = upload()
    tampered = SimpleUploadedFile("laporan.pdf", demo_pdf("Lain"))  # changed after the check
    with pytest.raises(files.UploadRejected), files.atomic_storage() as stored:
        kept = stored.store_upload(file, checked, subdir="uji")
        stored.store_upload(tampered, checked, subdir="uji")
    assert exists(private_media, [kept]) == [False]
    assert not [p for p in (private_media / "private").rglob("*") if p.is_file()]
