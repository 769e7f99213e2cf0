"""portal.files: every upload rule with its Indonesian message, private storage and downloads."""

from __future__ import annotations

import hashlib
import io
import pickle
import random
import re
import zipfile
from pathlib import Path

import pytest
from django.core.exceptions import SuspiciousFileOperation, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile, TemporaryUploadedFile, UploadedFile
from django.http import Http404
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook
from PIL import Image
from pypdf import PdfWriter

from portal import files
from portal.files import (
    CONTENT_TYPES,
    EXTENSIONS,
    KIND_JPEG,
    KIND_PDF,
    KIND_PNG,
    KIND_XLSX,
    CheckedUpload,
    UploadRejected,
    check_upload,
    delete_stored,
    download_response,
    open_stored,
    safe_filename,
    store_upload,
)

ALL_KINDS = {KIND_PDF, KIND_XLSX, KIND_JPEG, KIND_PNG}
MACRO_CONTENT_TYPE = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
XLSX_MAIN_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"


# --- sample files ---------------------------------------------------------------------------------------


def make_pdf(*, pages: int = 1, password: str | None = None) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=200, height=200)
    if password:
        writer.encrypt(password)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def make_xlsx() -> bytes:
    workbook = Workbook()
    workbook.active.append(["Desa", "Nilai"])
    workbook.active.append(["Sukamaju", 42])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def rewrite_zip(data: bytes, *, replace: dict[str, bytes] | None = None, add: dict[str, bytes] | None = None) -> bytes:
    """Copy a zip, replacing or adding members."""
    replace = replace or {}
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info.filename, replace.get(info.filename, source.read(info.filename)))
        for name, content in (add or {}).items():
            target.writestr(name, content)
    return out.getvalue()


def make_xlsm_like() -> bytes:
    xlsx = make_xlsx()
    with zipfile.ZipFile(io.BytesIO(xlsx)) as archive:
        content_types = archive.read("[Content_Types].xml").decode()
    assert XLSX_MAIN_CONTENT_TYPE in content_types
    macro_types = content_types.replace(XLSX_MAIN_CONTENT_TYPE, MACRO_CONTENT_TYPE).encode()
    return rewrite_zip(xlsx, replace={"[Content_Types].xml": macro_types})


def make_zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return out.getvalue()


def make_image(pil_format: str, size: tuple[int, int] = (64, 48)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, pil_format)
    return buffer.getvalue()


def make_noisy_jpeg() -> bytes:
    """A photo-like JPEG whose entropy-coded data dwarfs its headers, so a cut lands in the pixel data."""
    noise = random.Random(7).randbytes(128 * 96 * 3)
    buffer = io.BytesIO()
    Image.frombytes("RGB", (128, 96), noise).save(buffer, "JPEG")
    return buffer.getvalue()


VALID_PDF = make_pdf()
VALID_XLSX = make_xlsx()
VALID_JPEG = make_image("JPEG")
VALID_PNG = make_image("PNG")
NOISY_JPEG = make_noisy_jpeg()
EXECUTABLE = b"MZ\x90\x00" + b"\x00" * 200


def upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


class RawNameUpload(SimpleUploadedFile):
    """An upload whose name skips Django's own basename() cleaning: check_upload must not rely on it, because
    files can also arrive from management commands, the API or imports."""

    def _set_raw_name(self, name: str | None) -> None:
        self._name = name

    name = property(UploadedFile._get_name, _set_raw_name)


def raw_upload(name: str, data: bytes = VALID_PDF) -> RawNameUpload:
    return RawNameUpload(name, data, content_type="application/pdf")


def rejection(file: SimpleUploadedFile, allowed: set[str] | None = None, **kwargs: object) -> UploadRejected:
    with pytest.raises(UploadRejected) as info:
        check_upload(file, allowed_kinds=allowed or ALL_KINDS, **kwargs)
    return info.value


def assert_rejected(error: UploadRejected, code: str, message: str) -> None:
    assert error.code == code
    assert message in error.messages[0]


@pytest.fixture
def media(private_media: Path) -> Path:
    return private_media


# --- happy paths ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "kind", "safe_name"),
    [
        ("Laporan Realisasi.PDF", VALID_PDF, KIND_PDF, "Laporan Realisasi.pdf"),
        ("APBDes 2026.xlsx", VALID_XLSX, KIND_XLSX, "APBDes 2026.xlsx"),
        ("foto kegiatan.jpeg", VALID_JPEG, KIND_JPEG, "foto kegiatan.jpg"),
        ("foto.JPG", VALID_JPEG, KIND_JPEG, "foto.jpg"),
        ("peta desa.png", VALID_PNG, KIND_PNG, "peta desa.png"),
    ],
)
def test_valid_files_are_accepted(name: str, data: bytes, kind: str, safe_name: str) -> None:
    file = upload(name, data)
    checked = check_upload(file, allowed_kinds=ALL_KINDS)
    assert checked == CheckedUpload(
        kind=kind,
        safe_name=safe_name,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        content_type=CONTENT_TYPES[kind],
    )
    assert file.tell() == 0  # rewound, so store_upload can read it again
    assert file.read() == data


def test_name_is_nfc_normalized_before_the_length_limit() -> None:
    decomposed = "e\u0301" * 146 + ".pdf"  # 296 code points, 150 after NFC
    checked = check_upload(upload(decomposed, VALID_PDF), allowed_kinds={KIND_PDF})
    assert checked.safe_name.startswith("\u00e9")


# --- rule 1: names --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["../../x.pdf", "..\\x.pdf", "laporan/x.pdf", "..", "."])
def test_path_names_are_rejected(name: str) -> None:
    error = rejection(raw_upload(name))
    assert_rejected(error, "name_path", "Nama berkas tidak boleh berisi folder atau '..'.")


@pytest.mark.parametrize(
    "name",
    [
        "laporan\u202efdp.exe",  # displays as "laporanexe.pdf"
        "lap\u200boran.pdf",  # zero-width space
        "laporan.pdf\x00.exe",  # NUL truncation
        "laporan\x07.pdf",
        "laporan\ufeff.pdf",  # BOM / zero-width no-break space
    ],
)
def test_hidden_or_control_characters_are_rejected(name: str) -> None:
    error = rejection(raw_upload(name))
    assert_rejected(
        error, "name_hidden_chars", "Nama berkas berisi karakter tersembunyi atau kendali (mis. pembalik arah teks)."
    )


def test_long_names_are_rejected() -> None:
    error = rejection(upload("a" * 196 + ".pdf", VALID_PDF))
    assert_rejected(error, "name_too_long", "Nama berkas terlalu panjang (maksimal 150 karakter).")
    assert check_upload(upload("a" * 146 + ".pdf", VALID_PDF), allowed_kinds={KIND_PDF}).kind == KIND_PDF


@pytest.mark.parametrize("name", ["", "   ", None])
def test_empty_names_are_rejected(name: str | None) -> None:
    assert_rejected(rejection(raw_upload(name)), "name_empty", "Nama berkas kosong.")


# --- rules 2 and 3: size --------------------------------------------------------------------------------


def test_empty_file_is_rejected() -> None:
    assert_rejected(rejection(upload("kosong.pdf", b"")), "empty", "Berkas kosong.")


def test_too_large_file_is_rejected() -> None:
    error = rejection(upload("besar.pdf", b"%PDF-" + b"x" * 1000), max_bytes=1000)
    assert_rejected(error, "too_large", "Berkas terlalu besar: maksimal 1000 byte.")


def test_size_limit_is_checked_on_the_bytes_not_the_declared_size() -> None:
    file = upload("besar.pdf", b"%PDF-" + b"x" * 2000)
    file.size = 10  # a lying client/handler
    assert_rejected(rejection(file, max_bytes=1000), "too_large", "Berkas terlalu besar")
    assert file.tell() == 0


def test_size_limit_defaults_to_settings(settings) -> None:
    settings.UPLOAD_MAX_BYTES = 20 * 1024 * 1024
    error = rejection(upload("besar.pdf", b"%PDF-" + b"x" * (20 * 1024 * 1024)))
    assert_rejected(error, "too_large", "Berkas terlalu besar: maksimal 20 MB.")
    settings.UPLOAD_MAX_BYTES = 1024 * 1024 + 512 * 1024
    error = rejection(upload("besar.pdf", b"%PDF-" + b"x" * (2 * 1024 * 1024)))
    assert_rejected(error, "too_large", "maksimal 1,5 MB.")


# --- rule 4: type by content ----------------------------------------------------------------------------

NOT_A_PDF = "Isi berkas “laporan.pdf” bukan PDF yang sah, walaupun namanya berakhiran .pdf."
NOT_AN_XLSX = "Isi berkas “laporan.xlsx” bukan Excel (.xlsx) yang sah, walaupun namanya berakhiran .xlsx."


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("laporan.pdf", EXECUTABLE, NOT_A_PDF),  # renamed Windows executable
        ("laporan.pdf", b"\x7fELF\x02\x01\x01" + b"\x00" * 100, NOT_A_PDF),
        ("laporan.pdf", b"<!DOCTYPE html><html><script>alert(1)</script></html>", NOT_A_PDF),
        ("laporan.xlsx", make_zip({"data.txt": b"halo"}), NOT_AN_XLSX),  # a zip, but not a workbook
        (
            "laporan.xlsx",
            make_zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"}),  # a .docx
            NOT_AN_XLSX,
        ),
        ("laporan.pdf", b"sekadar teks biasa", NOT_A_PDF),
        ("laporan.pdf", b" %PDF-1.7 header not at the start", NOT_A_PDF),
        (
            "laporan.exe",
            EXECUTABLE,
            "Jenis berkas “laporan.exe” tidak diterima. Yang diterima: PDF, Excel (.xlsx), JPEG, PNG.",
        ),
    ],
)
def test_unknown_content_is_rejected_whatever_the_name(name: str, data: bytes, message: str) -> None:
    # The message names the file and, when the name claims an accepted kind, says that the content is not one.
    assert_rejected(rejection(upload(name, data)), "type_not_allowed", message)


def test_detected_kind_must_be_allowed() -> None:
    error = rejection(upload("foto.png", VALID_PNG), allowed={KIND_XLSX, KIND_PDF})
    # Listed in a fixed, friendly order whatever the order of the set.
    assert_rejected(
        error, "type_not_allowed", "Jenis berkas “foto.png” tidak diterima. Yang diterima: PDF, Excel (.xlsx)."
    )


@pytest.mark.parametrize(("allowed", "max_bytes"), [({"docx"}, None), (set(), None), ({KIND_PDF}, 0)])
def test_bad_arguments_are_programming_errors(allowed: set[str], max_bytes: int | None) -> None:
    with pytest.raises(ValueError):
        check_upload(upload("x.pdf", VALID_PDF), allowed_kinds=allowed, max_bytes=max_bytes)


# --- rule 5: extension must match content ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "shown"),
    [
        ("laporan.exe", VALID_PDF, "(.exe)"),
        ("laporan.PNG", VALID_JPEG, "(.png)"),
        ("foto.jpg", VALID_PNG, "(.jpg)"),
        ("laporan.pdf", VALID_XLSX, "(.pdf)"),
        ("laporan", VALID_PDF, "(tanpa ekstensi)"),
    ],
)
def test_extension_must_match_content(name: str, data: bytes, shown: str) -> None:
    error = rejection(upload(name, data))
    assert_rejected(error, "extension_mismatch", f"Isi berkas tidak sesuai dengan ekstensi namanya {shown}.")


# --- rule 6: PDF ----------------------------------------------------------------------------------------

PDF_BROKEN = "PDF rusak atau tidak lengkap (terpotong); ekspor ulang lalu unggah lagi."


def test_encrypted_pdf_is_rejected() -> None:
    error = rejection(upload("rahasia.pdf", make_pdf(password="rahasia")))
    assert_rejected(
        error,
        "pdf_encrypted",
        "PDF terkunci kata sandi/terenkripsi tidak dapat diterima; kirim PDF tanpa kata sandi.",
    )


@pytest.mark.parametrize(
    "data",
    [
        VALID_PDF[: len(VALID_PDF) // 2],  # truncated upload
        # An incremental update cut off mid-way: pypdf (strict=False) still opens the first revision, only the
        # missing final %%EOF shows the file is incomplete.
        VALID_PDF + b"5 0 obj\n<< /Length 4000 >>\nstream\n" + b"q 1 0 0 1 0 0 cm\n" * 200,
        make_pdf(pages=0),
        b"%PDF-1.7\nthis is not a pdf at all\n%%EOF\n",
        VALID_PDF.replace(b"/Type /Pages", b"/Type /Broken"),
    ],
    ids=["truncated", "truncated-update", "zero-pages", "garbage", "broken-page-tree"],
)
def test_broken_pdf_is_rejected(data: bytes) -> None:
    assert_rejected(rejection(upload("laporan.pdf", data)), "pdf_broken", PDF_BROKEN)


# --- rule 7: XLSX ---------------------------------------------------------------------------------------

XLSX_BROKEN = "Berkas Excel rusak atau tidak dapat dibuka."
XLSX_MACRO = "Berkas Excel berisi makro tidak diterima."


@pytest.mark.parametrize("name", ["anggaran.xlsx", "anggaran.xlsm"])
def test_macro_workbook_is_rejected(name: str) -> None:
    assert_rejected(rejection(upload(name, make_xlsm_like())), "xlsx_macro", XLSX_MACRO)


def test_workbook_with_vba_project_is_rejected_even_with_an_innocent_content_type() -> None:
    data = rewrite_zip(VALID_XLSX, add={"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0"})
    assert_rejected(rejection(upload("anggaran.xlsx", data)), "xlsx_macro", XLSX_MACRO)


def test_truncated_xlsx_is_reported_as_damaged() -> None:
    data = VALID_XLSX[: len(VALID_XLSX) // 2]
    assert_rejected(rejection(upload("anggaran.xlsx", data)), "xlsx_broken", XLSX_BROKEN)
    # Without the .xlsx name there is no reason to call it a damaged workbook: it is simply not accepted.
    assert_rejected(
        rejection(upload("anggaran.zip", data)),
        "type_not_allowed",
        "Jenis berkas “anggaran.zip” tidak diterima. Yang diterima: PDF, Excel (.xlsx), JPEG, PNG.",
    )
    assert_rejected(rejection(upload("anggaran.xlsx", data), allowed={KIND_PDF}), "type_not_allowed", "PDF.")


def test_xlsx_that_openpyxl_cannot_open_is_rejected() -> None:
    data = rewrite_zip(VALID_XLSX, replace={"xl/workbook.xml": b"<this is not xml"})
    assert_rejected(rejection(upload("anggaran.xlsx", data)), "xlsx_broken", XLSX_BROKEN)


def test_zip_bomb_is_rejected_before_opening(monkeypatch: pytest.MonkeyPatch) -> None:
    # Same check as the real 200 MB limit, scaled down so the test does not inflate 200 MB of zeros.
    monkeypatch.setattr(files, "XLSX_MAX_UNCOMPRESSED_BYTES", 1024 * 1024)
    data = rewrite_zip(VALID_XLSX, add={"xl/media/nol.bin": b"\x00" * (2 * 1024 * 1024)})
    assert len(data) < 100 * 1024
    error = rejection(upload("anggaran.xlsx", data))
    assert_rejected(error, "xlsx_zip_bomb", "Isi berkas Excel terlalu besar setelah diekstrak (maksimal 1 MB).")


def test_real_zip_bomb_limit_is_200_mb() -> None:
    assert files.XLSX_MAX_UNCOMPRESSED_BYTES == 200 * 1024 * 1024


# --- rule 8: images -------------------------------------------------------------------------------------

IMAGE_BROKEN = "Gambar rusak atau tidak dapat dibuka."


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("foto.png", VALID_PNG[: len(VALID_PNG) // 2]),
        ("foto.png", VALID_PNG[:8] + b"\x00" * 64),
        ("foto.jpg", NOISY_JPEG[: len(NOISY_JPEG) * 4 // 5]),  # passes Image.verify(); only decoding notices
        ("foto.jpg", VALID_JPEG[:3] + b"\x00" * 64),
    ],
    ids=["truncated-png", "garbage-png", "truncated-jpeg", "garbage-jpeg"],
)
def test_broken_image_is_rejected(name: str, data: bytes) -> None:
    assert_rejected(rejection(upload(name, data)), "image_broken", IMAGE_BROKEN)


def test_decompression_bomb_image_is_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    for size in [(40, 40), (100, 100)]:  # above the limit (Pillow warns), above twice the limit (Pillow raises)
        error = rejection(upload("foto.png", make_image("PNG", size)))
        assert_rejected(error, "image_too_many_pixels", "Resolusi gambar terlalu besar.")


# --- the exception --------------------------------------------------------------------------------------


def test_upload_rejected_is_a_validation_error_that_survives_pickling() -> None:
    error = rejection(upload("laporan.exe", VALID_PDF))
    assert isinstance(error, ValidationError)
    copy = pickle.loads(pickle.dumps(error))
    assert isinstance(copy, UploadRejected)
    assert (copy.code, copy.messages) == (error.code, error.messages)


# --- safe_filename --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "kind", "expected"),
    [
        ("Laporan Désa.pdf", KIND_PDF, "Laporan Désa.pdf"),
        ("Laporan De\u0301sa.PDF", KIND_PDF, "Laporan Désa.pdf"),  # NFC
        ("C:\\Users\\budi\\laporan.pdf", KIND_PDF, "laporan.pdf"),
        ("../../etc/passwd", KIND_PDF, "passwd.pdf"),
        ("  ..hidden.pdf", KIND_PDF, "hidden.pdf"),
        ("laporan <final>;*?.pdf", KIND_PDF, "laporan _final_.pdf"),
        ("foto\t\tkegiatan  (1).jpeg", KIND_JPEG, "foto kegiatan (1).jpg"),
        ("Laporan v1.2", KIND_PDF, "Laporan v1.2.pdf"),  # not an extension of the kind: kept in the stem
        ("laporan.exe", KIND_PDF, "laporan.exe.pdf"),
        ("...", KIND_XLSX, "berkas.xlsx"),
        ("", KIND_PNG, "berkas.png"),
        ("a" * 300 + ".pdf", KIND_PDF, "a" * 96 + ".pdf"),
    ],
)
def test_safe_filename_examples(name: str, kind: str, expected: str) -> None:
    assert safe_filename(name, kind=kind) == expected


@given(name=st.text(), kind=st.sampled_from(sorted(EXTENSIONS)))
def test_safe_filename_is_always_safe(name: str, kind: str) -> None:
    result = safe_filename(name, kind=kind)
    assert "/" not in result
    assert "\\" not in result
    assert not result.startswith(".")
    assert len(result) <= 100
    assert result.endswith(EXTENSIONS[kind])


# --- storage --------------------------------------------------------------------------------------------


def test_store_upload_writes_exact_bytes_under_a_random_name(media: Path) -> None:
    file = upload("Laporan Rahasia.pdf", VALID_PDF)
    checked = check_upload(file, allowed_kinds={KIND_PDF})
    relative = store_upload(file, checked, subdir="monev/2026")

    assert re.fullmatch(r"private/monev/2026/[0-9a-f]{32}\.pdf", relative)
    assert "Laporan" not in relative
    stored = media / relative
    assert stored.read_bytes() == VALID_PDF
    assert hashlib.sha256(stored.read_bytes()).hexdigest() == checked.sha256
    assert sorted(p.name for p in stored.parent.iterdir()) == [stored.name]  # no temp file left behind


def test_disk_backed_uploads_are_read_in_chunks(media: Path) -> None:
    # Django spools uploads above FILE_UPLOAD_MAX_MEMORY_SIZE to a TemporaryUploadedFile (64 KB chunks).
    data = make_pdf(pages=1600)
    assert len(data) > 3 * 64 * 1024
    file = TemporaryUploadedFile("besar.pdf", "application/pdf", len(data), None)
    try:
        file.write(data)
        checked = check_upload(file, allowed_kinds={KIND_PDF})
        assert checked.sha256 == hashlib.sha256(data).hexdigest()
        assert (media / store_upload(file, checked, subdir="monev")).read_bytes() == data
    finally:
        file.close()


def test_storing_the_same_content_twice_gives_two_files(media: Path) -> None:
    file = upload("foto.png", VALID_PNG)
    checked = check_upload(file, allowed_kinds={KIND_PNG})
    first = store_upload(file, checked, subdir="foto")
    second = store_upload(file, checked, subdir="foto")
    assert first != second
    assert (media / first).read_bytes() == (media / second).read_bytes() == VALID_PNG


def test_store_upload_refuses_content_changed_after_the_check(media: Path) -> None:
    file = upload("laporan.pdf", VALID_PDF)
    checked = check_upload(file, allowed_kinds={KIND_PDF})
    tampered = upload("laporan.pdf", EXECUTABLE)
    with pytest.raises(UploadRejected) as info:
        store_upload(tampered, checked, subdir="monev")
    assert info.value.code == "store_mismatch"
    assert list((media / "private" / "monev").iterdir()) == []


@pytest.mark.parametrize("subdir", ["../luar", "/etc", "", "monev/../..", "monev/", "a b"])
def test_store_upload_refuses_bad_subdir(media: Path, subdir: str) -> None:
    file = upload("laporan.pdf", VALID_PDF)
    checked = check_upload(file, allowed_kinds={KIND_PDF})
    with pytest.raises(ValueError):
        store_upload(file, checked, subdir=subdir)


@pytest.fixture
def stored_pdf(media: Path) -> str:
    file = upload("laporan.pdf", VALID_PDF)
    return store_upload(file, check_upload(file, allowed_kinds={KIND_PDF}), subdir="monev")


@pytest.fixture
def outside_file(media: Path) -> Path:
    outside = media.parent / "rahasia.txt"
    outside.write_text("jangan dibaca")
    return outside


def test_open_stored_reads_the_file(stored_pdf: str) -> None:
    with open_stored(stored_pdf) as stream:
        assert stream.read() == VALID_PDF


ESCAPES = [
    "private/../../rahasia.txt",
    "../rahasia.txt",
    "private/monev/../../../rahasia.txt",
    "private",
    "private/",
    "private/monev",  # a directory, not a file
    "x\x00.pdf",
]


@pytest.mark.parametrize("relative", [*ESCAPES, "private/monev/tidak-ada.pdf", ""])
def test_open_stored_refuses_escapes_and_missing_files(stored_pdf: str, outside_file: Path, relative: str) -> None:
    with pytest.raises(Http404):
        open_stored(relative)
    with pytest.raises(Http404):
        open_stored(str(outside_file))  # absolute path


def test_open_stored_refuses_symlinks_out_of_private(media: Path, outside_file: Path) -> None:
    link = media / "private" / "tautan.pdf"
    link.parent.mkdir(parents=True)
    link.symlink_to(outside_file)
    with pytest.raises(Http404):
        open_stored("private/tautan.pdf")


def test_delete_stored_removes_the_file(media: Path, stored_pdf: str) -> None:
    delete_stored(stored_pdf)
    assert not (media / stored_pdf).exists()
    delete_stored(stored_pdf)  # already gone: best effort, no error


@pytest.mark.parametrize("relative", [r for r in ESCAPES if r != "private/monev"])
def test_delete_stored_refuses_escapes(stored_pdf: str, outside_file: Path, relative: str) -> None:
    with pytest.raises(SuspiciousFileOperation):
        delete_stored(relative)
    with pytest.raises(SuspiciousFileOperation):
        delete_stored(str(outside_file))
    assert outside_file.exists()


def test_delete_stored_does_not_remove_directories(media: Path, stored_pdf: str) -> None:
    delete_stored("private/monev")  # logged, not raised: cleanup must never hide the original error
    assert (media / stored_pdf).exists()


# --- downloads ------------------------------------------------------------------------------------------


def close_file(response) -> None:
    # Not response.close(): that also fires request_finished, which touches the DB connection outside a request.
    response.file_to_stream.close()


def test_download_response_is_a_private_attachment(stored_pdf: str) -> None:
    response = download_response(stored_pdf, download_name="laporan.pdf", content_type="application/pdf")
    try:
        assert response["Content-Disposition"] == 'attachment; filename="laporan.pdf"'
        assert response["Content-Type"] == "application/pdf"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Cache-Control"] == "private, no-store"
        assert b"".join(response.streaming_content) == VALID_PDF
    finally:
        close_file(response)


def test_download_response_encodes_non_ascii_names(stored_pdf: str) -> None:
    response = download_response(stored_pdf, download_name="Laporan Désa.pdf", content_type="application/pdf")
    close_file(response)
    assert response["Content-Disposition"] == "attachment; filename*=utf-8''Laporan%20D%C3%A9sa.pdf"


def test_download_response_strips_header_injection_and_hidden_characters(stored_pdf: str) -> None:
    name = "laporan\r\nSet-Cookie: x=1\u202e.pdf"
    response = download_response(stored_pdf, download_name=name, content_type="application/pdf")
    close_file(response)
    assert response["Content-Disposition"] == 'attachment; filename="laporanSet-Cookie: x=1.pdf"'


def test_download_response_404_for_missing_or_escaping_paths(media: Path, outside_file: Path) -> None:
    for relative in ["private/tidak-ada.pdf", "private/../../rahasia.txt"]:
        with pytest.raises(Http404):
            download_response(relative, download_name="x.pdf", content_type="application/pdf")


def test_truncated_jpeg_is_rejected_even_after_weasyprint_was_imported():
    """WeasyPrint flips Pillow's global LOAD_TRUNCATED_IMAGES on import (the teguran letters import it)."""
    import weasyprint  # noqa: F401
    from PIL import ImageFile

    assert ImageFile.LOAD_TRUNCATED_IMAGES is True
    data = make_noisy_jpeg()
    upload = SimpleUploadedFile("foto.jpg", data[: len(data) // 2])
    with pytest.raises(UploadRejected, match="Gambar rusak"):
        check_upload(upload, allowed_kinds={KIND_JPEG})
    assert ImageFile.LOAD_TRUNCATED_IMAGES is True  # put back as it was
