"""Backup and restore (portal/backup.py): a populated install backed up and restored into a fresh database and
media folder has every table's rows and every file's bytes; a non-empty target and a tampered archive are refused
before anything is touched; the daily task notifies the admins once per failing day."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from attendance.models import Device, PushRequest
from portal import backup
from portal.choices import Role
from portal.models import Delivery, User
from tests.conftest import IN_CI
from tests.factories import DesaFactory, UserFactory

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.usefixtures("private_media")


def file_hashes(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def row_counts(cursor, tables) -> dict[str, int]:
    counts = {}
    for table in sorted(tables):
        cursor.execute(f'SELECT COUNT(*) FROM "{table}"')
        counts[table] = cursor.fetchone()[0]
    return counts


def populate() -> None:
    """The Pucuk demo (users, desa, perangkat, documents with their PDFs, IKU evidence, Musrenbang files) plus
    punches and raw push uploads, which the demo does not make."""
    from tests.monev.conftest import ensure_document_types

    ensure_document_types()  # an earlier transactional test may have flushed the seeded types
    call_command("load_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    device = Device.objects.order_by("pk").first()
    from attendance.models import Punch

    start = timezone.now().replace(microsecond=0) - dt.timedelta(days=40)
    Punch.objects.bulk_create(
        [Punch(device=device, pin=str(n % 9 + 1), punched_at=start + dt.timedelta(hours=n)) for n in range(60)]
    )
    PushRequest.objects.bulk_create(
        [
            PushRequest(
                serial_number=device.serial_number, device=device, table="ATTLOG", body=f"1\t2026-01-0{n} 07:00"
            )
            for n in range(1, 8)
        ]
    )


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    """manage.py in a process of its own, on the database and folders given (never the test run's)."""
    dropped = ("DATABASE_URL", "SECRET_KEY_FILE", "REDIS_URL", "MEDIA_ROOT", "DJANGO_ALLOW_ASYNC_UNSAFE", "CI")
    environment = {k: v for k, v in os.environ.items() if k not in dropped}
    environment.update(DJANGO_SETTINGS_MODULE="portal.settings", SECRET_KEY="restore-test", **env)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=600
    )


def need_tools(*names: str) -> None:
    missing = [n for n in names if shutil.which(n) is None]
    if missing:
        if IN_CI:
            pytest.fail(f"{', '.join(missing)} required under CI=true (apt-get install postgresql-client)")
        pytest.skip(f"{', '.join(missing)} not installed")


# The round trip on PostgreSQL: pg_dump here, pg_restore into a database of its own ---------------------------


@pytest.mark.django_db(transaction=True)
def test_postgresql_round_trip_into_a_fresh_database_and_media(settings, tmp_path):
    if connection.vendor != "postgresql":
        if IN_CI:
            pytest.fail("CI runs the suite on PostgreSQL (DATABASE_URL)")
        pytest.skip("PostgreSQL only (CI runs it)")
    need_tools("pg_dump", "pg_restore")
    import psycopg

    populate()
    settings.BACKUP_DIR = tmp_path / "backups"
    archive = backup.backup_create()
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
        before = row_counts(cursor, tables)
    files = file_hashes(Path(settings.MEDIA_ROOT))
    assert before["attendance_pushrequest"] == 7 and before["attendance_punch"] == 60
    assert any(name.startswith("private/") for name in files) and len(files) > 10

    params = connection.settings_dict
    target = f"{params['NAME']}_restore"
    admin_dsn = f"host={params['HOST']} port={params['PORT'] or 5432} user={params['USER']} dbname=postgres"
    if params.get("PASSWORD"):
        admin_dsn += f" password={params['PASSWORD']}"
    with psycopg.connect(admin_dsn, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{target}"')
        admin.execute(f'CREATE DATABASE "{target}"')
    try:
        url = f"postgres://{params['USER']}:{params.get('PASSWORD') or ''}@{params['HOST']}:{params['PORT'] or 5432}/{target}"
        media = tmp_path / "fresh" / "media"
        done = run_manage(
            "restore", str(archive), DATABASE_URL=url, MEDIA_ROOT=str(media), VAR_DIR=str(tmp_path / "fresh")
        )
        assert done.returncode == 0, done.stderr
        assert "Dipulihkan" in done.stdout
        with psycopg.connect(admin_dsn.replace("dbname=postgres", f"dbname={target}")) as restored:
            after = row_counts(restored.cursor(), tables)
        assert after == before
        assert file_hashes(media) == files
    finally:
        with psycopg.connect(admin_dsn, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)')


# The round trip on SQLite (online backup API), in processes of their own on files under tmp_path -------------

POPULATE_SQLITE = """
import datetime as dt
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from attendance.models import Device, Punch, PushRequest
from monev.demo import demo_pdf
from portal import files
from portal.models import Desa, Kecamatan, User
kec = Kecamatan.objects.create(kode="35.24.13", nama="Pucuk")
desa = Desa.objects.create(kecamatan=kec, kode="35.24.13.2001", nama="Pucuk")
User.objects.create_user("admin1", password="x" * 12, role="admin", is_superuser=True, is_staff=True)
device = Device.objects.create(serial_number="S-1", desa=desa, name="Balai", host="127.0.0.1")
start = timezone.now().replace(microsecond=0) - dt.timedelta(days=3)
Punch.objects.bulk_create([Punch(device=device, pin=str(n % 5), punched_at=start + dt.timedelta(hours=n)) for n in range(30)])
PushRequest.objects.bulk_create([PushRequest(serial_number="S-1", device=device, table="ATTLOG", body="1") for _ in range(4)])
for n in range(3):
    upload = SimpleUploadedFile(f"dok-{n}.pdf", demo_pdf(f"Dokumen {n}"))
    files.store_upload(upload, files.check_upload(upload, allowed_kinds={"pdf"}), subdir=f"dokumen/{n}")
"""


def test_sqlite_round_trip_into_a_fresh_database_and_media(tmp_path):
    source_db, target_db = tmp_path / "source.sqlite3", tmp_path / "target.sqlite3"
    source = {
        "DATABASE_URL": f"sqlite:///{source_db}",
        "VAR_DIR": str(tmp_path / "source"),
        "MEDIA_ROOT": str(tmp_path / "source" / "media"),
    }
    assert run_manage("migrate", "-v0", **source).returncode == 0
    populated = run_manage("shell", "-c", POPULATE_SQLITE, **source)
    assert populated.returncode == 0, populated.stderr
    made = run_manage("backup", **source)
    assert made.returncode == 0, made.stderr
    archive = Path(made.stdout.strip())
    assert archive.parent == tmp_path / "source" / "backups" and backup.archive_stamp(archive.name)

    target = {
        "DATABASE_URL": f"sqlite:///{target_db}",
        "VAR_DIR": str(tmp_path / "target"),
        "MEDIA_ROOT": str(tmp_path / "target" / "media"),
    }
    done = run_manage("restore", str(archive), **target)
    assert done.returncode == 0, done.stderr

    def counts(path: Path) -> dict[str, int]:
        with sqlite3.connect(path) as db:
            cursor = db.cursor()
            cursor.execute("SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'")
            return row_counts(cursor, [r[0] for r in cursor.fetchall()])

    before = counts(source_db)
    assert before["attendance_punch"] == 30 and before["attendance_pushrequest"] == 4
    assert counts(target_db) == before
    source_files = file_hashes(tmp_path / "source" / "media")
    assert len(source_files) == 3
    assert file_hashes(tmp_path / "target" / "media") == source_files

    # The same archive again: the target now holds data, and is refused without --force.
    again = run_manage("restore", str(archive), **target)
    assert again.returncode != 0 and "tidak kosong" in again.stderr and "--force" in again.stderr


# Refusals (in this process, on the test database) -----------------------------------------------------------


def make_archive(tmp_path, settings) -> Path:
    settings.BACKUP_DIR = tmp_path / "backups"
    return backup.backup_create()


@pytest.mark.django_db(transaction=True)
def test_a_non_empty_target_is_refused_without_force(settings, tmp_path):
    UserFactory(username="sudah-ada", role=Role.ADMIN)
    (Path(settings.MEDIA_ROOT) / "private").mkdir(parents=True)
    (Path(settings.MEDIA_ROOT) / "private" / "lama.pdf").write_bytes(b"%PDF-lama")
    archive = make_archive(tmp_path, settings)
    User.objects.create(username="sesudah-backup")
    with pytest.raises(CommandError, match="tidak kosong.*portal_user.*--force"):
        call_command("restore", str(archive))
    assert User.objects.filter(username="sesudah-backup").exists()  # nothing touched

    # With --force: the database is the archive's, the media folder it replaced is kept beside it.
    call_command("restore", str(archive), "--force", stdout=open(os.devnull, "w"))  # noqa: SIM115
    assert not User.objects.filter(username="sesudah-backup").exists()
    assert User.objects.filter(username="sudah-ada").exists()
    aside = list(Path(settings.MEDIA_ROOT).parent.glob("media.sebelum-pemulihan-*"))
    assert len(aside) == 1 and (aside[0] / "private" / "lama.pdf").read_bytes() == b"%PDF-lama"
    assert (Path(settings.MEDIA_ROOT) / "private" / "lama.pdf").read_bytes() == b"%PDF-lama"


def rewrite_member(archive: Path, name: str, change) -> Path:
    """A copy of the archive with one member's bytes changed (the manifest left as it was)."""
    tampered = archive.with_name("tampered.tar")
    with tarfile.open(archive) as src, tarfile.open(tampered, "w", format=tarfile.PAX_FORMAT) as dst:
        for member in src:
            data = src.extractfile(member).read()
            if member.name == name:
                data = change(data)
                member.size = len(data)
            import io

            dst.addfile(member, io.BytesIO(data))
    return tampered


@pytest.mark.django_db(transaction=True)
def test_a_tampered_archive_is_refused_before_anything_is_touched(settings, tmp_path):
    UserFactory(username="asli", role=Role.ADMIN)
    media = Path(settings.MEDIA_ROOT) / "private" / "bukti"
    media.mkdir(parents=True)
    (media / "bukti.pdf").write_bytes(b"%PDF-1.4 bukti kegiatan")
    archive = make_archive(tmp_path, settings)
    tampered = rewrite_member(archive, "media/private/bukti/bukti.pdf", lambda d: d[:5] + bytes([d[5] ^ 1]) + d[6:])
    User.objects.create(username="sesudah")
    (media / "baru.pdf").write_bytes(b"%PDF baru")
    before_files = file_hashes(Path(settings.MEDIA_ROOT))

    with pytest.raises(CommandError, match="tidak utuh: media/private/bukti/bukti.pdf berbeda dari manifest"):
        call_command("restore", str(tampered), "--force")
    assert User.objects.filter(username="sesudah").exists()
    assert file_hashes(Path(settings.MEDIA_ROOT)) == before_files
    assert not list(Path(settings.MEDIA_ROOT).parent.glob(".pantau-restore-*"))  # staging cleaned up

    # Cut short (a copy that stopped half-way): refused as truncated, nothing touched either.
    truncated = archive.with_name("truncated.tar")
    truncated.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    with pytest.raises(CommandError, match="rusak atau terpotong|tidak memuat manifest"):
        call_command("restore", str(truncated), "--force")
    assert User.objects.filter(username="sesudah").exists()


@pytest.mark.django_db(transaction=True)
def test_an_archive_of_another_database_vendor_is_refused(settings, tmp_path):
    archive = make_archive(tmp_path, settings)
    other = "sqlite" if connection.vendor == "postgresql" else "postgresql"

    def swap_vendor(data: bytes) -> bytes:
        manifest = json.loads(data)
        manifest["database"]["vendor"] = other
        return json.dumps(manifest).encode()

    changed = rewrite_member(archive, "manifest.json", swap_vendor)
    with pytest.raises(CommandError, match=f"basis data {other}, sedangkan instalasi ini memakai {connection.vendor}"):
        call_command("restore", str(changed), "--force")


# Pruning, the copy and the daily task ---------------------------------------------------------------------------


def test_prune_deletes_only_what_the_rule_drops(tmp_path):
    names = [f"pantau-backup-202603{d:02d}-020000.tar" for d in range(1, 6)] + ["catatan.txt"]
    for name in names:
        (tmp_path / name).write_bytes(b"x")
    removed = backup.backups_prune(tmp_path, keep_daily=2, keep_monthly=0)
    assert sorted(p.name for p in removed) == names[:3]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([*names[3:5], "catatan.txt"])


@pytest.mark.django_db(transaction=True)
def test_daily_task_writes_copies_prunes_and_records_the_last_backup(settings, tmp_path):
    from workers.tasks import backup_task

    settings.BACKUP_DIR = tmp_path / "backups"
    settings.BACKUP_COPY_DIR = tmp_path / "copy"
    settings.BACKUP_KEEP_DAILY, settings.BACKUP_KEEP_MONTHLY = 1, 0
    settings.BACKUP_DIR.mkdir()
    old = settings.BACKUP_DIR / "pantau-backup-20200101-020000.tar"
    old.write_bytes(b"old")
    path = Path(backup_task.delay().get())
    assert path.parent == settings.BACKUP_DIR and not old.exists()
    copy = settings.BACKUP_COPY_DIR / path.name
    assert copy.read_bytes() == path.read_bytes()
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    last = backup.backup_last()
    assert last.path == path and last.size == path.stat().st_size


@pytest.mark.django_db(transaction=True)
def test_a_failing_backup_notifies_the_admins_once_a_day_and_fails_the_task(settings, tmp_path):
    from workers.tasks import backup_task

    admin = UserFactory(username="admin1", role=Role.ADMIN)
    cache.clear()
    superuser = UserFactory(username="root", role="", is_superuser=True)
    staff = UserFactory(username="tapem", role=Role.KASI_TAPEM, kecamatan=DesaFactory().kecamatan)
    blocker = tmp_path / "bukan-folder"
    blocker.write_text("a file where the backup folder should be")
    settings.BACKUP_DIR = blocker

    for _ in range(2):
        with pytest.raises(Exception):  # noqa: B017, PT011 (whatever the disk says, the task fails)
            backup_task.delay().get()
    deliveries = Delivery.objects.filter(event_key=f"backup-failed:{timezone.localdate().isoformat()}")
    assert {d.recipient_id for d in deliveries} == {admin.pk, superuser.pk}
    assert deliveries.filter(channel=Delivery.Channel.INAPP).count() == 2  # once each, not once per failure
    assert staff.pk not in {d.recipient_id for d in deliveries}
    assert "Pencadangan tanggal" in deliveries.first().payload["message"]
    assert backup.backup_last() is None
