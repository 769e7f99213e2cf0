"""Safe file uploads, private storage and downloads: the one place where user-supplied bytes cross into the system.

Flow: ``check_upload`` (reject before anything touches disk) -> store it inside ``atomic_storage`` (random name
under MEDIA_ROOT/private, atomic write) and save the returned relative path in the DB in the same block; if that
transaction fails, the file is deleted again. Files leave only from a view that has checked access: stored ones
through ``download_response``, bytes made on request through ``file_response``, both with the same headers.

The type of a file is decided by its content (magic bytes plus a real parse), never by its name; the name
must merely agree with the content, so a renamed executable or a PDF disguised as ``.exe`` is refused.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import secrets
import tempfile
import threading
import unicodedata
import warnings
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation, ValidationError
from django.db import transaction
from django.http import FileResponse, Http404, HttpResponse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

KIND_PDF = "pdf"
KIND_XLSX = "xlsx"
KIND_JPEG = "jpeg"
KIND_PNG = "png"
# Fixed order: error messages list the accepted kinds in this order, whatever order the caller's set has.
KINDS = (KIND_PDF, KIND_XLSX, KIND_JPEG, KIND_PNG)

EXTENSIONS = {KIND_PDF: ".pdf", KIND_XLSX: ".xlsx", KIND_JPEG: ".jpg", KIND_PNG: ".png"}
CONTENT_TYPES = {
    KIND_PDF: "application/pdf",
    KIND_XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    KIND_JPEG: "image/jpeg",
    KIND_PNG: "image/png",
}
# Extensions a user's file name may carry for each kind (lower case); the first of EXTENSIONS is what we store.
ACCEPTED_EXTENSIONS = {
    KIND_PDF: frozenset({".pdf"}),
    KIND_XLSX: frozenset({".xlsx"}),
    KIND_JPEG: frozenset({".jpg", ".jpeg"}),
    KIND_PNG: frozenset({".png"}),
}
KIND_LABELS = {KIND_PDF: "PDF", KIND_XLSX: "Excel (.xlsx)", KIND_JPEG: "JPEG", KIND_PNG: "PNG"}

MAX_NAME_CHARS = 150  # what we accept from the user
MAX_SAFE_NAME_CHARS = 100  # what we keep (DB columns, download headers)
# A 20 MB xlsx is mostly compressed XML; a legitimate one unpacks to a few hundred MB at most. Beyond this the
# archive is treated as a zip bomb before openpyxl inflates anything.
XLSX_MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
PDF_EOF_WINDOW = 2048  # a complete PDF ends with %%EOF (plus perhaps a little trailing whitespace/garbage)

_PDF_MAGIC = b"%PDF-"
_ZIP_MAGIC = b"PK\x03\x04"
_JPEG_MAGIC = b"\xff\xd8\xff"
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_PIL_FORMATS = {KIND_JPEG: "JPEG", KIND_PNG: "PNG"}
# Marker for "starts like a zip but the archive cannot be read": maybe a truncated xlsx, maybe anything.
_BROKEN_ZIP = "broken-zip"

# Invisible or control characters: Cc (controls incl. NUL), Cf (format: RTL override U+202E, zero-width
# space...), Cs (lone surrogates, which cannot even be encoded), Zl/Zp (line/paragraph separators that break
# headers and logs).
_HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
_SUBDIR_RE = re.compile(r"[A-Za-z0-9_-]+(?:/[A-Za-z0-9_-]+)*")
_UNSAFE_NAME_CHARS_RE = re.compile(r"[^\w .()-]+")
_CHUNK = 64 * 1024


class UploadRejected(ValidationError):
    """An upload that must not be stored. ``code`` says which rule failed; the message is for the user.

    Positional ``(message, code, params)`` like ValidationError, so pickling/copying (which re-create the
    exception from ``args``) keep working.
    """

    def __init__(self, message: str, code: str, params: dict[str, Any] | None = None) -> None:
        super().__init__(message, code=code, params=params)


@dataclass(frozen=True)
class CheckedUpload:
    kind: str
    safe_name: str
    size: int
    sha256: str
    content_type: str


# --- checking -------------------------------------------------------------------------------------------


def check_upload(upload: Any, *, allowed_kinds: set[str], max_bytes: int | None = None) -> CheckedUpload:
    """Validate an uploaded file completely, or raise UploadRejected. Leaves the upload rewound to 0."""
    _require_known_kinds(allowed_kinds)
    limit = settings.UPLOAD_MAX_BYTES if max_bytes is None else max_bytes
    if limit <= 0:
        raise ValueError("max_bytes must be positive")

    name = _check_name(upload.name)
    data, sha256 = _read_limited(upload, limit)
    extension = _name_extension(name)

    kind = _detect_kind(data)
    if kind == _BROKEN_ZIP and KIND_XLSX in allowed_kinds and extension == ".xlsx":
        # Named .xlsx and zip-shaped but unreadable (typically a cut-off download): say "damaged", not "wrong type".
        raise _xlsx_broken()
    if kind not in allowed_kinds:
        raise _wrong_type(allowed_kinds, name=name, extension=extension)
    if kind == KIND_XLSX:
        # Structural refusals (bomb, macros) come first: they explain the real problem of an .xlsm better than
        # the extension mismatch would, and must happen before openpyxl inflates anything.
        _check_xlsx_archive(data)
    if extension not in ACCEPTED_EXTENSIONS[kind]:
        raise UploadRejected(
            _("Isi berkas tidak sesuai dengan ekstensi namanya (%(ext)s)."),
            code="extension_mismatch",
            params={"ext": extension or _("tanpa ekstensi")},
        )
    _CONTENT_VALIDATORS[kind](data)

    return CheckedUpload(
        kind=kind,
        safe_name=safe_filename(name, kind=kind),
        size=len(data),
        sha256=sha256,
        content_type=CONTENT_TYPES[kind],
    )


def _require_known_kinds(allowed_kinds: set[str]) -> None:
    # A typo in a caller's allowed_kinds would silently reject every upload; fail loudly instead.
    unknown = set(allowed_kinds) - set(KINDS)
    if not allowed_kinds or unknown:
        raise ValueError(f"allowed_kinds must be a non-empty subset of {KINDS}, got {allowed_kinds!r}")


def _check_name(raw_name: str | None) -> str:
    """Return the NFC-normalized name, or reject names that try path tricks or hide characters."""
    name = unicodedata.normalize("NFC", raw_name or "")
    if not name.strip():
        raise UploadRejected(_("Nama berkas kosong."), code="name_empty")
    # Django already keeps only the basename, but this module must not depend on how the file arrived.
    if "/" in name or "\\" in name or name.strip() in {".", ".."}:
        raise UploadRejected(_("Nama berkas tidak boleh berisi folder atau '..'."), code="name_path")
    if any(unicodedata.category(char) in _HIDDEN_CATEGORIES for char in name):
        # e.g. "laporan\u202efdp.exe" displays as "laporanexe.pdf"; NUL truncates names in C libraries.
        raise UploadRejected(
            _("Nama berkas berisi karakter tersembunyi atau kendali (mis. pembalik arah teks)."),
            code="name_hidden_chars",
        )
    if len(name) > MAX_NAME_CHARS:
        raise UploadRejected(
            _("Nama berkas terlalu panjang (maksimal %(max)d karakter)."),
            code="name_too_long",
            params={"max": MAX_NAME_CHARS},
        )
    return name


def _name_extension(name: str) -> str:
    """Lower-case extension including the dot, "" when there is none. ".pdf" alone counts as extension .pdf."""
    _stem, dot, extension = name.strip().rpartition(".")
    return f".{extension.lower()}" if dot else ""


def _read_limited(upload: Any, max_bytes: int) -> tuple[bytes, str]:
    """Read the whole upload (never more than max_bytes + one chunk) and hash it; always rewind afterwards."""
    declared = getattr(upload, "size", None)
    # The declared size is only a shortcut for obvious cases; the bytes actually read are what count.
    if declared is not None and declared > max_bytes:
        raise _too_large(max_bytes)
    digest = hashlib.sha256()
    buffer = bytearray()
    try:
        for chunk in upload.chunks():
            buffer += chunk
            if len(buffer) > max_bytes:
                raise _too_large(max_bytes)
            digest.update(chunk)
    finally:
        upload.seek(0)
    if not buffer:
        raise UploadRejected(_("Berkas kosong."), code="empty")
    return bytes(buffer), digest.hexdigest()


def _too_large(max_bytes: int) -> UploadRejected:
    return UploadRejected(
        _("Berkas terlalu besar: maksimal %(limit)s."), code="too_large", params={"limit": _human_size(max_bytes)}
    )


def _human_size(num_bytes: int) -> str:
    """20971520 -> "20 MB", 1572864 -> "1,5 MB" (Indonesian decimal comma), 1000 -> "1000 byte"."""
    for unit, factor in (("MB", 1024 * 1024), ("KB", 1024)):
        if num_bytes >= factor:
            value = f"{num_bytes / factor:.1f}".removesuffix(".0").replace(".", ",")
            return f"{value} {unit}"
    return f"{num_bytes} byte"


def _wrong_type(allowed_kinds: set[str], *, name: str, extension: str) -> UploadRejected:
    labels = ", ".join(KIND_LABELS[kind] for kind in KINDS if kind in allowed_kinds)
    claimed = next((kind for kind in KINDS if kind in allowed_kinds and extension in ACCEPTED_EXTENSIONS[kind]), None)
    if claimed:
        # Named like an accepted kind but something else inside (a renamed .doc, an HTML page saved as .pdf): say
        # which file and that its content, not its name, is the problem.
        return UploadRejected(
            _("Isi berkas “%(name)s” bukan %(kind)s yang sah, walaupun namanya berakhiran %(ext)s."),
            code="type_not_allowed",
            params={"name": name, "kind": KIND_LABELS[claimed], "ext": extension},
        )
    return UploadRejected(
        _("Jenis berkas “%(name)s” tidak diterima. Yang diterima: %(kinds)s."),
        code="type_not_allowed",
        params={"name": name, "kinds": labels},
    )


def _detect_kind(data: bytes) -> str | None:
    """Kind from magic bytes (and, for zips, from the archive's members). None for anything else."""
    if data.startswith(_PDF_MAGIC):
        return KIND_PDF
    if data.startswith(_JPEG_MAGIC):
        return KIND_JPEG
    if data.startswith(_PNG_MAGIC):
        return KIND_PNG
    if data.startswith(_ZIP_MAGIC):
        try:
            with zipfile.ZipFile(BytesIO(data)) as archive:
                names = set(archive.namelist())
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
            return _BROKEN_ZIP
        # .docx/.pptx have [Content_Types].xml too, but no workbook; plain zips have neither.
        if {"[Content_Types].xml", "xl/workbook.xml"} <= names:
            return KIND_XLSX
    return None


def _check_xlsx_archive(data: bytes) -> None:
    """Refuse zip bombs and macro-enabled workbooks by looking at the archive only (no XML parsing yet)."""
    try:
        with zipfile.ZipFile(BytesIO(data)) as archive:
            members = archive.infolist()
            if sum(member.file_size for member in members) > XLSX_MAX_UNCOMPRESSED_BYTES:
                raise UploadRejected(
                    _("Isi berkas Excel terlalu besar setelah diekstrak (maksimal %(limit)s)."),
                    code="xlsx_zip_bomb",
                    params={"limit": _human_size(XLSX_MAX_UNCOMPRESSED_BYTES)},
                )
            content_types = archive.read("[Content_Types].xml").lower()
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, EOFError, RuntimeError) as exc:
        raise _xlsx_broken() from exc
    # An .xlsm renamed to .xlsx keeps its macro content type; a vbaProject.bin betrays macros whatever it claims.
    has_vba = any(member.filename.lower().endswith("vbaproject.bin") for member in members)
    if has_vba or b"macroenabled" in content_types or b"vbaproject" in content_types:
        raise UploadRejected(_("Berkas Excel berisi makro tidak diterima."), code="xlsx_macro")


def _xlsx_broken() -> UploadRejected:
    return UploadRejected(_("Berkas Excel rusak atau tidak dapat dibuka."), code="xlsx_broken")


def _validate_pdf(data: bytes) -> None:
    broken = UploadRejected(
        _("PDF rusak atau tidak lengkap (terpotong); ekspor ulang lalu unggah lagi."), code="pdf_broken"
    )
    # pypdf (strict=False) happily repairs a cut-off file; the missing %%EOF is how we notice truncation.
    if b"%%EOF" not in data[-PDF_EOF_WINDOW:]:
        raise broken
    from pypdf import PdfReader  # local import: only upload paths pay for it

    try:
        reader = PdfReader(BytesIO(data), strict=False)
        encrypted = reader.is_encrypted
        page_count = 0 if encrypted else len(reader.pages)
    except Exception as exc:  # hostile input: pypdf raises PyPdfError, ValueError, KeyError, RecursionError, ...
        raise broken from exc
    if encrypted:
        # Even an owner-password-only PDF is refused: it can't be reliably processed, merged or archived.
        raise UploadRejected(
            _("PDF terkunci kata sandi/terenkripsi tidak dapat diterima; kirim PDF tanpa kata sandi."),
            code="pdf_encrypted",
        )
    if page_count == 0:
        raise broken


def _validate_xlsx(data: bytes) -> None:
    from openpyxl import load_workbook

    try:
        with warnings.catch_warnings():
            # openpyxl warns about harmless things (missing default style, data validation extensions).
            warnings.simplefilter("ignore")
            workbook = load_workbook(BytesIO(data), read_only=True, data_only=True)
            try:
                if not workbook.sheetnames:
                    raise ValueError("workbook without sheets")
            finally:
                workbook.close()
    except Exception as exc:  # hostile input: zipfile, XML and openpyxl errors of every kind
        raise _xlsx_broken() from exc


_TRUNCATION_LOCK = threading.Lock()


@contextmanager
def _strict_truncation():
    """WeasyPrint sets Pillow's process-wide ``LOAD_TRUNCATED_IMAGES = True`` when imported, which would let
    a truncated JPEG decode "successfully". Turn it off for our check only, and put it back."""
    from PIL import ImageFile

    with _TRUNCATION_LOCK:
        previous = ImageFile.LOAD_TRUNCATED_IMAGES
        ImageFile.LOAD_TRUNCATED_IMAGES = False
        try:
            yield
        finally:
            ImageFile.LOAD_TRUNCATED_IMAGES = previous


def _validate_image(data: bytes, kind: str) -> None:
    from PIL import Image

    pil_format = _PIL_FORMATS[kind]
    try:
        with warnings.catch_warnings():
            # Above MAX_IMAGE_PIXELS Pillow only warns; treat that as the decompression bomb it likely is.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(BytesIO(data), formats=[pil_format]) as image:
                image.verify()  # structure and (PNG) chunk checksums
            # verify() does not decode pixels, so a truncated JPEG passes it; decoding does not. draft() makes
            # the JPEG decoder work at 1/8 scale, which still reads every byte but keeps memory small.
            with _strict_truncation(), Image.open(BytesIO(data), formats=[pil_format]) as image:
                if kind == KIND_JPEG:
                    image.draft(None, (1, 1))
                image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise UploadRejected(_("Resolusi gambar terlalu besar."), code="image_too_many_pixels") from exc
    except Exception as exc:  # hostile input: Pillow raises OSError, SyntaxError, ValueError, struct.error, ...
        raise UploadRejected(_("Gambar rusak atau tidak dapat dibuka."), code="image_broken") from exc


_CONTENT_VALIDATORS = {
    KIND_PDF: _validate_pdf,
    KIND_XLSX: _validate_xlsx,
    KIND_JPEG: lambda data: _validate_image(data, KIND_JPEG),
    KIND_PNG: lambda data: _validate_image(data, KIND_PNG),
}


def safe_filename(name: str, *, kind: str) -> str:
    """A display/download name derived from the user's name: no folders, no hidden characters, no leading dot,
    at most 100 characters, always ending in the kind's extension. Never used as a path on disk."""
    extension = EXTENSIONS[kind]
    name = unicodedata.normalize("NFC", name or "")
    name = re.split(r"[/\\]", name)[-1]
    name = re.sub(r"\s+", " ", name)
    name = _UNSAFE_NAME_CHARS_RE.sub("_", name)
    name = re.sub(r" {2,}", " ", name).strip()
    # Drop the user's extension only when it is one of this kind's: "Laporan v1.2" must keep its ".2".
    stem, dot, old_extension = name.rpartition(".")
    if not (dot and f".{old_extension.lower()}" in ACCEPTED_EXTENSIONS[kind]):
        stem = name
    stem = stem.strip(" .")  # leading dot = hidden file; trailing dots/spaces are dropped by Windows
    stem = stem[: MAX_SAFE_NAME_CHARS - len(extension)].rstrip(" .")
    return f"{stem or 'berkas'}{extension}"


# --- storage --------------------------------------------------------------------------------------------


def _private_root() -> Path:
    return Path(settings.MEDIA_ROOT) / "private"


def store_upload(upload: Any, checked: CheckedUpload, *, subdir: str) -> str:
    """Write the checked bytes to MEDIA_ROOT/private/<subdir>/<random>.<ext> atomically; return the path relative
    to MEDIA_ROOT. The user's file name never reaches the file system."""
    if not _SUBDIR_RE.fullmatch(subdir):
        raise ValueError(f"subdir must be a relative path of [A-Za-z0-9_-] segments, got {subdir!r}")
    directory = _private_root() / subdir
    directory.mkdir(parents=True, exist_ok=True)
    final_name = f"{secrets.token_hex(16)}{EXTENSIONS[checked.kind]}"

    # Temp file in the same directory, so os.replace is an atomic rename: readers never see half a file.
    fd, temp_name = tempfile.mkstemp(dir=directory, prefix=".upload-", suffix=".part")
    temp_path = Path(temp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            _copy_upload(upload, out, checked.size)
            out.flush()
            os.fsync(out.fileno())
        # Hash what is on disk, not what we meant to write: catches an upload changed since check_upload
        # as well as a short write.
        if sha256_of(temp_path) != checked.sha256:
            raise UploadRejected(
                _("Berkas berubah atau gagal tersimpan utuh; silakan unggah ulang."), code="store_mismatch"
            )
        os.replace(temp_path, directory / final_name)
    except BaseException:
        temp_path.unlink(missing_ok=True)
        raise
    _fsync_directory(directory)
    return (directory / final_name).relative_to(Path(settings.MEDIA_ROOT)).as_posix()


def _copy_upload(upload: Any, out: IO[bytes], expected_size: int) -> None:
    written = 0
    try:
        for chunk in upload.chunks():
            written += len(chunk)
            if written > expected_size:
                break  # grew since it was checked; the hash comparison will refuse it
            out.write(chunk)
    finally:
        upload.seek(0)


def sha256_of(path: Path) -> str:
    """SHA-256 of a file read in chunks: stored uploads, backup archives and their members."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _fsync_directory(directory: Path) -> None:
    # Makes the rename itself durable; not possible on every platform/file system, and only a durability nicety.
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _resolve_private(relative_path: str) -> Path | None:
    """Absolute path of a file strictly inside MEDIA_ROOT/private, or None if the path would leave it
    (``..``, absolute paths, symlinks pointing elsewhere, NUL bytes)."""
    if not relative_path or "\x00" in relative_path or Path(relative_path).is_absolute():
        return None
    root = _private_root().resolve()
    full = (Path(settings.MEDIA_ROOT) / relative_path).resolve()
    if full == root or not full.is_relative_to(root):
        return None
    return full


def store_generated(data: bytes, *, name: str, kind: str, subdir: str) -> tuple[str, str]:
    """Store a file the portal made itself (a teguran letter) through the same checks and storage as an
    upload; returns (path relative to MEDIA_ROOT, SHA-256)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile(name, data)
    checked = check_upload(upload, allowed_kinds={kind})
    return store_upload(upload, checked, subdir=subdir), checked.sha256


def delete_stored(relative_path: str) -> None:
    """Best-effort removal of a stored file (e.g. after the DB transaction that referenced it failed).

    A missing file or an OS error is only logged, so a cleanup never hides the original error. A path that
    leaves MEDIA_ROOT/private is a bug or tampering: it raises SuspiciousFileOperation and deletes nothing."""
    full = _resolve_private(relative_path)
    if full is None:
        raise SuspiciousFileOperation(f"Refusing to delete {relative_path!r}: outside MEDIA_ROOT/private")
    try:
        full.unlink()
    except FileNotFoundError:
        logger.info("Stored file %s was already gone", relative_path)
    except OSError:
        logger.warning("Could not delete stored file %s", relative_path, exc_info=True)


class TransactionFiles:
    """The files stored inside one ``atomic_storage`` block; they share the fate of its transaction."""

    def __init__(self) -> None:
        self.paths: list[str] = []

    def store_upload(self, upload: Any, checked: CheckedUpload, *, subdir: str) -> str:
        path = store_upload(upload, checked, subdir=subdir)
        self.paths.append(path)
        return path

    def store_generated(self, data: bytes, *, name: str, kind: str, subdir: str) -> tuple[str, str]:
        path, sha256 = store_generated(data, name=name, kind=kind, subdir=subdir)
        self.paths.append(path)
        return path, sha256

    def remove_all(self) -> None:
        for path in self.paths:
            delete_stored(path)
        self.paths.clear()


@contextmanager
def atomic_storage(*, using: str | None = None) -> Iterator[TransactionFiles]:
    """A ``transaction.atomic`` block whose stored files go away with it: if an exception leaves the block, or
    the block asked for a rollback (``transaction.set_rollback``), every file stored through the yielded
    ``TransactionFiles`` is deleted, so no file outlives the rows that would have pointed at it.

    The block is its own transaction, or a savepoint inside the caller's. Django has no rollback hook, so an
    outer transaction that rolls back *after* the block has ended cannot take the files along: put the writes
    that can still fail inside the block, and keep nothing but the commit after it."""
    stored = TransactionFiles()
    try:
        with transaction.atomic(using=using):
            yield stored
            rolled_back = transaction.get_rollback(using=using)
    except BaseException:
        stored.remove_all()
        raise
    if rolled_back:
        stored.remove_all()


def open_stored(relative_path: str) -> IO[bytes]:
    """Open a stored file for reading. Missing files and paths outside MEDIA_ROOT/private both give Http404,
    so a probe cannot tell them apart."""
    full = _resolve_private(relative_path)
    if full is None:
        logger.warning("Refused to open %r: outside MEDIA_ROOT/private", relative_path)
        raise Http404(_("Berkas tidak ditemukan."))
    try:
        return full.open("rb")
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        raise Http404(_("Berkas tidak ditemukan.")) from None


# --- sending ----------------------------------------------------------------------------------------------


def download_response(relative_path: str, *, download_name: str, content_type: str) -> FileResponse:
    """Send a stored file as an attachment (never rendered inline), with the headers of ``_private_file``."""
    stream = open_stored(relative_path)
    try:
        response = FileResponse(stream, content_type=content_type)
    except BaseException:
        stream.close()
        raise
    return _private_file(response, filename=download_name, inline=False)


def file_response(content: bytes, *, filename: str, content_type: str, inline: bool = False) -> HttpResponse:
    """Send bytes the portal made on request (an export, an import template, a rekap PDF) exactly like a
    stored file: the same name handling and the same ``_private_file`` headers. An attachment unless ``inline``."""
    return _private_file(HttpResponse(content, content_type=content_type), filename=filename, inline=inline)


def _private_file(response: HttpResponse, *, filename: str, inline: bool) -> HttpResponse:
    """The headers of every file the portal sends, web or API. The name follows RFC 6266 (``filename*`` for
    non-ASCII, no quotes or line breaks to inject headers); ``nosniff`` keeps a browser from running a file as
    another type than the one we declare; and every file is someone's data behind a login, so no shared cache
    (proxy, CDN) may keep it and no browser should store it. Replaces FileResponse's own Content-Disposition,
    which would carry the random name on disk."""
    response["Content-Disposition"] = content_disposition_header(not inline, _header_safe_name(filename))
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def _header_safe_name(name: str) -> str:
    # Names normally come from safe_filename already; this guards against header injection and RTL tricks if
    # a caller passes something else. Django quotes/encodes the rest (RFC 6266 / RFC 5987).
    name = re.split(r"[/\\]", unicodedata.normalize("NFC", name or ""))[-1]
    name = "".join(char for char in name if unicodedata.category(char) not in _HIDDEN_CATEGORIES).strip()
    return name or "berkas"
