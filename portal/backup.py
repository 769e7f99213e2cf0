"""Backups: one archive holds the database, every file under MEDIA_ROOT and a manifest; restore checks it all.

Archive (``pantau-backup-YYYYMMDD-HHMMSS.tar``, local time, uncompressed: the PostgreSQL dump is compressed
already and most media are PDFs and JPEGs):

* ``database.pgdump`` — ``pg_dump -Fc`` through django-dbbackup's ``PgDumpBinaryConnector``, taken in the
  snapshot the row counts were read in (``--snapshot``), so the manifest describes exactly what the dump holds;
  or ``database.sqlite3`` — a copy made with SQLite's online backup API (safe while web and workers write);
* ``media/…`` — every file under MEDIA_ROOT (documents, IKU and visit evidence, letters, attachments), except
  uploads still being written (``.upload-*.part``, see ``portal.files.store_upload``);
* ``manifest.json`` (last) — format, time, app version, database vendor, each app's last applied migration,
  every table's row count, and the SHA-256 and size of every other member.

The database is dumped before the media are read: a row refers only to a file written before the row was
committed, so every file the dump refers to is on disk when the media are copied.

Restore reads the whole archive into a staging folder beside MEDIA_ROOT and checks every hash against the
manifest before it touches the database or the media; then the database is restored in one transaction
(``pg_restore --single-transaction``, or SQLite's backup API, one write), the staged media folder takes MEDIA_ROOT's
place by a rename (the old folder, if it held files, is kept beside it), and row counts and file hashes are
checked once more. Messages are in Bahasa Indonesia: they reach the admin through ``manage.py``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import re
import shutil
import sqlite3
import tarfile
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path, PurePosixPath

from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from portal.files import sha256_of

log = logging.getLogger(__name__)

FORMAT = "pantau-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
MEDIA_PREFIX = "media"
DATABASE_MEMBERS = {"postgresql": "database.pgdump", "sqlite": "database.sqlite3"}
ARCHIVE_RE = re.compile(r"^pantau-backup-(\d{8}-\d{6})\.tar$")
STAMP_FORMAT = "%Y%m%d-%H%M%S"
LAST_BACKUP_KEY = "pantau:backup:last"
# The apps whose tables hold the install's data: a target with rows in any of them is not empty.
PROJECT_APPS = ("portal", "monev", "attendance", "musrenbang")
# Reference rows that migrations write into every install (monev 0002/0005): not the install's own data.
SEEDED_TABLES = frozenset({"monev_documenttype"})
_CHUNK = 1024 * 1024


class BackupError(Exception):
    """A backup or restore that could not be done; the message (Bahasa Indonesia) says what happened and what
    was left as it was. ``manage.py`` turns it into a ``CommandError``."""


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    created_at: dt.datetime
    size: int


@dataclass
class RestoreResult:
    database_vendor: str
    tables: int
    rows: int
    files: int
    media_aside: Path | None = None  # the media folder that was there before (``--force``), kept
    migrations_behind: list[str] = field(default_factory=list)  # migrations of this code the archive lacks


# Retention (pure) --------------------------------------------------------------------------------------------


def retention_keep(stamps: Iterable[dt.datetime], *, keep_daily: int, keep_monthly: int) -> set[dt.datetime]:
    """Which backups to keep, by their times: the newest of each of the ``keep_daily`` most recent days that have
    a backup, and the newest of each of the ``keep_monthly`` most recent months that have one. Counting days and
    months that *have* a backup, not calendar days back from today, means a server that stopped backing up never
    loses its last backups to the passing of time."""
    newest_of_day: dict[dt.date, dt.datetime] = {}
    newest_of_month: dict[tuple[int, int], dt.datetime] = {}
    for stamp in stamps:
        day = stamp.date()
        if day not in newest_of_day or stamp > newest_of_day[day]:
            newest_of_day[day] = stamp
        month = (stamp.year, stamp.month)
        if month not in newest_of_month or stamp > newest_of_month[month]:
            newest_of_month[month] = stamp
    days = sorted(newest_of_day, reverse=True)[: max(keep_daily, 0)]
    months = sorted(newest_of_month, reverse=True)[: max(keep_monthly, 0)]
    return {newest_of_day[d] for d in days} | {newest_of_month[m] for m in months}


def archive_stamp(name: str) -> dt.datetime | None:
    """The (naive, local) time in an archive's name; None for any other file, which pruning never touches."""
    match = ARCHIVE_RE.match(name)
    if not match:
        return None
    try:
        return dt.datetime.strptime(match.group(1), STAMP_FORMAT)
    except ValueError:
        return None


# Selectors ------------------------------------------------------------------------------------------------


def backup_last() -> BackupInfo | None:
    """The last successful backup, for the health page: what the last run recorded, or else (cache flushed,
    restarted) the newest archive in BACKUP_DIR."""
    value = cache.get(LAST_BACKUP_KEY)
    if value:
        return BackupInfo(Path(value["path"]), dt.datetime.fromisoformat(value["created_at"]), value["size"])
    archives = _archives(Path(settings.BACKUP_DIR))
    if not archives:
        return None
    stamp, path = max(archives.items())
    return BackupInfo(path, timezone.make_aware(stamp), path.stat().st_size)


def _archives(directory: Path) -> dict[dt.datetime, Path]:
    if not directory.is_dir():
        return {}
    found = {}
    for path in directory.iterdir():
        stamp = archive_stamp(path.name)
        if stamp is not None and path.is_file():
            found[stamp] = path
    return found


# Backup -----------------------------------------------------------------------------------------------------


def backup_create(
    *, directory: Path | None = None, copy_dir: Path | None = None, using: str = DEFAULT_DB_ALIAS
) -> Path:
    """Write one archive into ``directory`` (BACKUP_DIR) and, when set, a copy into ``copy_dir``
    (BACKUP_COPY_DIR); returns the archive's path. The archive appears under its final name only when complete."""
    directory = Path(directory or settings.BACKUP_DIR)
    copy_dir = copy_dir if copy_dir is not None else settings.BACKUP_COPY_DIR
    connection = connections[using]
    vendor = connection.vendor
    if vendor not in DATABASE_MEMBERS:
        raise BackupError(_("Basis data %(vendor)s tidak didukung untuk pencadangan.") % {"vendor": vendor})
    if connection.in_atomic_block:
        # The dump is read by another process (pg_dump) or through a second connection: it would not see what
        # this transaction has not committed.
        raise BackupError(_("Pencadangan tidak dapat dijalankan di dalam transaksi yang terbuka."))
    directory.mkdir(parents=True, exist_ok=True)
    created = timezone.localtime()
    final = directory / f"pantau-backup-{created:{STAMP_FORMAT}}.tar"
    work = Path(tempfile.mkdtemp(prefix=".pantau-backup-", dir=directory))
    try:
        db_member = DATABASE_MEMBERS[vendor]
        db_file = work / db_member
        if vendor == "postgresql":
            tables, heads = _dump_postgresql(using, db_file)
        else:
            tables, heads = _dump_sqlite(using, db_file)
        partial = work / (final.name + ".part")
        with tarfile.open(partial, "w", format=tarfile.PAX_FORMAT) as tar:
            files = {db_member: _tar_add(tar, db_file, db_member)}
            db_file.unlink()  # no longer needed: do not keep two copies of a large database on the disk
            media_root = Path(settings.MEDIA_ROOT)
            for relative in _media_files(media_root):
                name = f"{MEDIA_PREFIX}/{relative}"
                files[name] = _tar_add(tar, media_root / relative, name)
            manifest = {
                "format": FORMAT,
                "format_version": FORMAT_VERSION,
                "created_at": created.isoformat(),
                "app_version": _app_version(),
                "database": {"vendor": vendor, "member": db_member, "tables": tables},
                "migration_heads": heads,
                "files": files,
            }
            _tar_add_bytes(tar, MANIFEST, json.dumps(manifest, indent=1, sort_keys=True).encode())
        partial.chmod(0o600)  # the whole install is in it: readable by its owner only
        _fsync(partial)
        os.replace(partial, final)
        _fsync_directory(directory)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    size = final.stat().st_size
    cache.set(
        LAST_BACKUP_KEY,
        {"path": str(final), "created_at": created.isoformat(), "size": size},
        timeout=None,
    )
    log.info("backup written: %s (%d bytes, %d files)", final, size, len(files))
    if copy_dir:
        _copy_archive(final, Path(copy_dir))
    return final


def _dump_postgresql(using: str, target: Path) -> tuple[dict[str, int], dict[str, str]]:
    """``pg_dump -Fc`` into ``target`` from a snapshot that the row counts and migration heads are read in too.
    The snapshot is exported by a connection of its own, whose transaction stays open while pg_dump runs."""
    from dbbackup.db.base import get_connector
    from dbbackup.db.exceptions import CommandConnectorError

    own = connections.create_connection(using)
    try:
        with own.cursor() as cursor:
            cursor.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
            tables = _row_counts(cursor, own.introspection.table_names(cursor), own.ops.quote_name)
            heads = _migration_heads(cursor)
            connector = get_connector(using)
            connector.dump_suffix = f"--snapshot={snapshot} --file={_shell_quote(str(target))}"
            try:
                connector.create_dump()
            except CommandConnectorError as exc:
                raise BackupError(_("pg_dump gagal: %(error)s") % {"error": str(exc).strip()}) from exc
            cursor.execute("COMMIT")
    finally:
        own.close()
    return tables, heads


def _dump_sqlite(using: str, target: Path) -> tuple[dict[str, int], dict[str, str]]:
    """A copy through SQLite's online backup API (consistent while others write); the counts are read from the
    copy, so they describe it exactly. django-dbbackup's SqliteBackupConnector is not used: it holds the whole
    copy in memory, and its restore writes over the file under open connections and the WAL."""
    connection = connections[using]
    connection.ensure_connection()
    copy = sqlite3.connect(target)
    try:
        connection.connection.backup(copy)
        cursor = copy.cursor()
        tables = _row_counts(cursor, _sqlite_tables(cursor), _sqlite_quote)
        heads = _migration_heads(cursor)
    finally:
        copy.close()
    return tables, heads


def _sqlite_tables(cursor) -> list[str]:
    cursor.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
    return [row[0] for row in cursor.fetchall()]


def _sqlite_quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _row_counts(cursor, tables: Iterable[str], quote) -> dict[str, int]:
    counts = {}
    for table in sorted(tables):
        cursor.execute(f"SELECT COUNT(*) FROM {quote(table)}")  # noqa: S608 (a table name from the catalogue)
        counts[table] = cursor.fetchone()[0]
    return counts


def _migration_heads(cursor) -> dict[str, str]:
    """Each app's last applied migration (by the order they were applied)."""
    cursor.execute("SELECT app, name FROM django_migrations ORDER BY id")
    return {app: name for app, name in cursor.fetchall()}


def _media_files(media_root: Path) -> list[str]:
    if not media_root.is_dir():
        return []
    found = []
    for folder, dirs, names in os.walk(media_root):
        dirs.sort()
        for name in sorted(names):
            path = Path(folder) / name
            if name.startswith(".upload-") and name.endswith(".part"):
                continue  # an upload being written: store_upload renames it when complete
            if path.is_file() and not path.is_symlink():
                found.append(path.relative_to(media_root).as_posix())
    return found


class _HashingReader:
    """Hands tarfile the bytes it reads and hashes them on the way: the manifest describes what is in the
    archive, even if the file on disk changed meanwhile."""

    def __init__(self, handle):
        self.handle = handle
        self.digest = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self.handle.read(size)
        self.digest.update(data)
        return data


def _tar_add(tar: tarfile.TarFile, path: Path, name: str) -> dict:
    stat = path.stat()
    info = tarfile.TarInfo(name)
    info.size = stat.st_size
    info.mtime = int(stat.st_mtime)
    info.mode = 0o600
    with path.open("rb") as handle:
        reader = _HashingReader(handle)
        tar.addfile(info, reader)
    return {"sha256": reader.digest.hexdigest(), "size": stat.st_size}


def _tar_add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    import io

    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(timezone.now().timestamp())
    info.mode = 0o600
    tar.addfile(info, io.BytesIO(data))


def _copy_archive(archive: Path, copy_dir: Path) -> Path:
    """The copy is written under a temporary name and renamed, and its hash compared with the original's: a
    half-written copy never carries an archive's name."""
    try:
        copy_dir.mkdir(parents=True, exist_ok=True)
        partial = copy_dir / (archive.name + ".part")
        shutil.copyfile(archive, partial)
        partial.chmod(0o600)
        _fsync(partial)
        if sha256_of(partial) != sha256_of(archive):
            partial.unlink(missing_ok=True)
            raise OSError("salinan berbeda dari aslinya")
        target = copy_dir / archive.name
        os.replace(partial, target)
        _fsync_directory(copy_dir)
    except OSError as exc:
        raise BackupError(
            _("Cadangan %(archive)s sudah dibuat, tetapi salinannya ke %(folder)s gagal: %(error)s")
            % {"archive": archive, "folder": copy_dir, "error": exc}
        ) from exc
    return target


def _app_version() -> str:
    try:
        return metadata.version("pantau-desa")
    except metadata.PackageNotFoundError:
        return "unknown"


def _shell_quote(value: str) -> str:
    import shlex

    return shlex.quote(value)


def _fsync(path: Path) -> None:
    with path.open("rb") as handle:
        os.fsync(handle.fileno())


def _fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# Pruning and the daily run ------------------------------------------------------------------------------------


def backups_prune(directory: Path, *, keep_daily: int, keep_monthly: int) -> list[Path]:
    """Delete the archives in ``directory`` that ``retention_keep`` does not keep; other files are left alone.
    Returns the deleted paths."""
    archives = _archives(Path(directory))
    keep = retention_keep(archives, keep_daily=keep_daily, keep_monthly=keep_monthly)
    removed = []
    for stamp, path in sorted(archives.items()):
        if stamp not in keep:
            path.unlink(missing_ok=True)
            removed.append(path)
    if removed:
        log.info("backups pruned in %s: %s", directory, ", ".join(p.name for p in removed))
    return removed


def backups_prune_configured(directory: Path | None = None) -> None:
    """Prune ``directory`` (default BACKUP_DIR) and BACKUP_COPY_DIR by the configured retention."""
    folders = [directory or Path(settings.BACKUP_DIR)]
    if settings.BACKUP_COPY_DIR:
        folders.append(Path(settings.BACKUP_COPY_DIR))
    for folder in folders:
        backups_prune(folder, keep_daily=settings.BACKUP_KEEP_DAILY, keep_monthly=settings.BACKUP_KEEP_MONTHLY)


def backup_scheduled() -> Path:
    """The beat task's work: an archive, its copy, pruning in both folders. A failure notifies the admins (once
    per day: the event key holds the date) and is raised again, so the task is recorded as failed."""
    try:
        path = backup_create()
        backups_prune_configured()
    except Exception as exc:
        log.exception("daily backup failed")
        backup_failure_notify(error=str(exc))
        raise
    return path


def backup_failure_notify(*, error: str, day: dt.date | None = None) -> int:
    """Tell the administrators that the backup failed: one notice per day however often it fails
    (``notify.admins_notify``'s event key). Returns how many deliveries are new."""
    from portal import notify
    from portal.models import Notification

    day = day or timezone.localdate()
    payload = notify.payload_build(
        title=notify.text(gettext_noop("Pencadangan harian gagal")),
        message=notify.text(
            gettext_noop(
                "Pencadangan tanggal %(date)s gagal: %(error)s. Periksa ruang disk dan log worker, lalu jalankan "
                "manage.py backup."
            ),
            date=day.strftime("%d/%m/%Y"),
            error=error[:500],
        ),
        url_name="health-status",
        kind=Notification.Kind.SYSTEM,
    )
    return len(notify.admins_notify(event_key=f"backup-failed:{day.isoformat()}", payload=payload))


# Restore ----------------------------------------------------------------------------------------------------


def backup_restore(archive: Path, *, force: bool = False, using: str = DEFAULT_DB_ALIAS) -> RestoreResult:
    """Restore ``archive`` into this install's database and MEDIA_ROOT. Nothing is touched until every member's
    hash matches the manifest; a target holding data is refused unless ``force``."""
    archive = Path(archive)
    if not archive.is_file():
        raise BackupError(_("Arsip %(path)s tidak ditemukan.") % {"path": archive})
    connection = connections[using]
    if connection.in_atomic_block:
        raise BackupError(_("Pemulihan tidak dapat dijalankan di dalam transaksi yang terbuka."))
    media_root = Path(settings.MEDIA_ROOT)
    media_root.parent.mkdir(parents=True, exist_ok=True)
    # Beside MEDIA_ROOT, on the same file system: the restored media take its place by one rename.
    staging = Path(tempfile.mkdtemp(prefix=".pantau-restore-", dir=media_root.parent))
    keep_staging = False
    try:
        manifest = _extract_verified(archive, staging)
        behind = _check_compatible(manifest, connection)
        if not force:
            found = _target_contents(connection, media_root)
            if found:
                raise BackupError(
                    _(
                        "Instalasi tujuan tidak kosong (%(found)s). Pemulihan akan menimpa basis data dan folder "
                        "media; ulangi dengan --force bila memang itu maksudnya. Tidak ada yang diubah."
                    )
                    % {"found": "; ".join(found)}
                )
        _restore_database(manifest, staging, using)
        staged_media = staging / MEDIA_PREFIX
        staged_media.mkdir(exist_ok=True)
        try:
            aside = _swap_media(staged_media, media_root)
        except OSError as exc:
            keep_staging = True
            raise BackupError(
                _(
                    "Basis data sudah dipulihkan, tetapi folder media %(media)s tidak dapat diganti: %(error)s. "
                    "Berkas media hasil pemulihan ada di %(staged)s; pindahkan ke %(media)s secara manual."
                )
                % {"media": media_root, "error": exc, "staged": staged_media}
            ) from exc
        result = _verify_restored(manifest, connection, media_root)
        result.media_aside = aside
        result.migrations_behind = behind
        return result
    finally:
        if not keep_staging:
            shutil.rmtree(staging, ignore_errors=True)


def _safe_member(name: str) -> bool:
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or not path.parts:
        return False
    if path.parts[0] == MEDIA_PREFIX:
        return len(path.parts) > 1
    return name == MANIFEST or name in DATABASE_MEMBERS.values()


def _extract_verified(archive: Path, staging: Path) -> dict:
    """Every member into ``staging``, hashed on the way; the manifest must list exactly these members with these
    hashes and sizes."""
    seen: dict[str, dict] = {}
    try:
        with tarfile.open(archive, "r:") as tar:
            for member in tar:
                if not member.isfile() or not _safe_member(member.name) or member.name in seen:
                    raise BackupError(
                        _("Arsip %(path)s berisi entri yang tidak dikenal: %(name)s. Tidak ada yang diubah.")
                        % {"path": archive, "name": member.name}
                    )
                target = staging / member.name
                target.parent.mkdir(parents=True, exist_ok=True)
                digest, size = hashlib.sha256(), 0
                source = tar.extractfile(member)
                with target.open("wb") as out:
                    while chunk := source.read(_CHUNK):
                        digest.update(chunk)
                        size += len(chunk)
                        out.write(chunk)
                seen[member.name] = {"sha256": digest.hexdigest(), "size": size}
    except (tarfile.TarError, EOFError) as exc:
        raise BackupError(
            _("Arsip %(path)s rusak atau terpotong (%(error)s). Tidak ada yang diubah.")
            % {"path": archive, "error": exc}
        ) from exc
    if MANIFEST not in seen:
        raise BackupError(_("Arsip %(path)s tidak memuat manifest.json. Tidak ada yang diubah.") % {"path": archive})
    try:
        manifest = json.loads((staging / MANIFEST).read_text(encoding="utf-8"))
        listed = manifest["files"]
        if not isinstance(manifest["database"]["vendor"], str) or not isinstance(manifest["database"]["tables"], dict):
            raise TypeError("manifest shape")
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise BackupError(
            _("manifest.json di arsip %(path)s rusak. Tidak ada yang diubah.") % {"path": archive}
        ) from exc
    if manifest.get("format") != FORMAT or manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(
            _("Arsip %(path)s bukan cadangan Pantau Desa format %(version)s. Tidak ada yang diubah.")
            % {"path": archive, "version": FORMAT_VERSION}
        )
    del seen[MANIFEST]
    problems = []
    for name in sorted(set(listed) | set(seen)):
        if name not in seen:
            problems.append(_("%(name)s hilang") % {"name": name})
        elif name not in listed:
            problems.append(_("%(name)s tidak tercantum di manifest") % {"name": name})
        elif seen[name] != {"sha256": listed[name].get("sha256"), "size": listed[name].get("size")}:
            problems.append(_("%(name)s berbeda dari manifest") % {"name": name})
    if (
        manifest["database"].get("member") not in DATABASE_MEMBERS.values()
        or manifest["database"]["member"] not in seen
    ):
        problems.append(_("berkas basis data tidak ada"))
    if problems:
        shown = "; ".join(problems[:5]) + ("; …" if len(problems) > 5 else "")
        raise BackupError(
            _("Arsip %(path)s tidak utuh: %(problems)s. Tidak ada yang diubah.") % {"path": archive, "problems": shown}
        )
    return manifest


def _check_compatible(manifest: dict, connection) -> list[str]:
    """Refuse an archive of another database vendor or of a newer code version; returns the migrations of this
    code that the archive lacks (``manage.py migrate`` brings the restored database up to date)."""
    vendor = manifest["database"]["vendor"]
    if vendor != connection.vendor:
        raise BackupError(
            _(
                "Arsip ini berisi basis data %(archive)s, sedangkan instalasi ini memakai %(target)s. Pulihkan ke "
                "instalasi dengan jenis basis data yang sama. Tidak ada yang diubah."
            )
            % {"archive": vendor, "target": connection.vendor}
        )
    loader = MigrationLoader(None, ignore_no_migrations=True)
    known = set(loader.disk_migrations)
    unknown = [f"{app}.{name}" for app, name in manifest.get("migration_heads", {}).items() if (app, name) not in known]
    if unknown:
        raise BackupError(
            _(
                "Arsip dibuat oleh versi Pantau Desa yang lebih baru (migrasi tidak dikenal: %(names)s). Pasang "
                "versi itu terlebih dahulu. Tidak ada yang diubah."
            )
            % {"names": ", ".join(sorted(unknown))}
        )
    heads = manifest.get("migration_heads", {})
    behind = []
    for app, name in sorted(loader.disk_migrations):
        head = heads.get(app)
        if head is None or name not in _ancestors(loader, (app, head)):
            behind.append(f"{app}.{name}")
    return behind


def _ancestors(loader: MigrationLoader, node: tuple[str, str]) -> set[str]:
    """Names of the migrations of ``node``'s app that ``node`` depends on (itself included)."""
    if node not in loader.graph.nodes:
        return set()
    return {name for app, name in loader.graph.forwards_plan(node) if app == node[0]}


def _project_tables() -> set[str]:
    tables = set()
    for label in PROJECT_APPS:
        for model in apps.get_app_config(label).get_models(include_auto_created=True):
            tables.add(model._meta.db_table)
    return tables - SEEDED_TABLES


def _target_contents(connection, media_root: Path) -> list[str]:
    """What the target holds already: tables of the project with rows, and files under MEDIA_ROOT."""
    found = []
    with connection.cursor() as cursor:
        existing = set(connection.introspection.table_names(cursor))
        with_rows = []
        for table in sorted(_project_tables() & existing):
            cursor.execute(f"SELECT 1 FROM {connection.ops.quote_name(table)} LIMIT 1")  # noqa: S608
            if cursor.fetchone():
                with_rows.append(table)
    if with_rows:
        shown = ", ".join(with_rows[:5]) + (", …" if len(with_rows) > 5 else "")
        found.append(_("basis data berisi data di tabel %(tables)s") % {"tables": shown})
    if media_root.is_dir() and any(path.is_file() for path in media_root.rglob("*")):
        found.append(_("folder media %(path)s berisi berkas") % {"path": media_root})
    return found


def _restore_database(manifest: dict, staging: Path, using: str) -> None:
    connection = connections[using]
    source = staging / manifest["database"]["member"]
    if connection.vendor == "postgresql":
        _restore_postgresql(source, using)
    else:
        connection.ensure_connection()
        archive_db = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        try:
            # One step: the whole copy is written in one transaction of the target.
            archive_db.backup(connection.connection)
        except sqlite3.Error as exc:
            raise BackupError(_("Pemulihan SQLite gagal: %(error)s") % {"error": exc}) from exc
        finally:
            archive_db.close()


def _restore_postgresql(source: Path, using: str) -> None:
    """pg_restore into an empty ``public`` schema, in one transaction. ``pg_restore --clean`` cannot be used: it
    fails on the partitioned punch table of any migrated database ("cannot drop inherited constraint"). A
    ``public`` schema that holds tables is renamed aside first and put back if pg_restore fails, so a failed
    restore leaves the database as it was; after a successful one the old schema is dropped."""
    from dbbackup.db.base import get_connector
    from dbbackup.db.exceptions import CommandConnectorError

    connection = connections[using]
    aside = f"public_before_restore_{timezone.now():%Y%m%d%H%M%S}"
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM pg_tables WHERE schemaname = 'public'")
        occupied = cursor.fetchone()[0] > 0
        if occupied:
            with transaction.atomic(using=using):
                cursor.execute(f"ALTER SCHEMA public RENAME TO {aside}")
                cursor.execute("CREATE SCHEMA public")
    connection.close()  # no session of ours may hold a lock pg_restore would wait for
    connector = get_connector(using)
    connector.drop = connector.if_exists = False
    # The archive's owners and grants may name roles this server lacks: the restoring role owns everything.
    connector.pg_options = ["--no-owner", "--no-privileges", "--exit-on-error"]
    try:
        with source.open("rb") as dump:
            connector.restore_dump(dump)
    except CommandConnectorError as exc:
        if occupied:
            with transaction.atomic(using=using), connection.cursor() as cursor:
                cursor.execute("DROP SCHEMA public CASCADE")
                cursor.execute(f"ALTER SCHEMA {aside} RENAME TO public")
        raise BackupError(
            _("pg_restore gagal; basis data dikembalikan seperti semula: %(error)s") % {"error": str(exc).strip()}
        ) from exc
    if occupied:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP SCHEMA {aside} CASCADE")


def _swap_media(staged: Path, media_root: Path) -> Path | None:
    """Put the restored media folder in MEDIA_ROOT's place; a previous folder that held files is renamed beside
    it (returned), never deleted."""
    aside = None
    if media_root.exists():
        if any(path.is_file() for path in media_root.rglob("*")):
            aside = media_root.with_name(f"{media_root.name}.sebelum-pemulihan-{timezone.localtime():{STAMP_FORMAT}}")
            media_root.rename(aside)
        else:
            shutil.rmtree(media_root)
    staged.rename(media_root)
    _fsync_directory(media_root.parent)
    return aside


def _verify_restored(manifest: dict, connection, media_root: Path) -> RestoreResult:
    expected = manifest["database"]["tables"]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            quote = connection.ops.quote_name
            present = connection.introspection.table_names(cursor)
        else:
            quote = _sqlite_quote
            present = _sqlite_tables(cursor)
        actual = _row_counts(cursor, [t for t in present if t in expected], quote)
    problems = [
        _("tabel %(table)s: %(actual)s baris, manifest %(expected)s")
        % {"table": table, "actual": actual.get(table, "-"), "expected": count}
        for table, count in sorted(expected.items())
        if actual.get(table) != count
    ]
    media_files = {name for name in manifest["files"] if name.startswith(f"{MEDIA_PREFIX}/")}
    for name in sorted(media_files):
        path = media_root / PurePosixPath(name).relative_to(MEDIA_PREFIX)
        if not path.is_file() or sha256_of(path) != manifest["files"][name]["sha256"]:
            problems.append(_("%(name)s berbeda dari manifest") % {"name": name})
    if problems:
        raise BackupError(
            _("Data sudah dipulihkan, tetapi pemeriksaan akhirnya gagal: %(problems)s.")
            % {"problems": "; ".join(problems[:10])}
        )
    return RestoreResult(
        database_vendor=connection.vendor,
        tables=len(expected),
        rows=sum(expected.values()),
        files=len(media_files),
    )
