from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from portal.backup import BackupError, backup_create, backups_prune_configured


class Command(BaseCommand):
    help = (
        "Buat satu arsip cadangan (basis data, semua berkas media, manifest SHA-256) di BACKUP_DIR, salin ke "
        "BACKUP_COPY_DIR bila diisi, lalu cetak path arsipnya."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dir", type=Path, help="Folder tujuan (bawaan: BACKUP_DIR)")
        parser.add_argument(
            "--prune",
            action="store_true",
            help="Sesudahnya hapus arsip lama menurut BACKUP_KEEP_DAILY dan BACKUP_KEEP_MONTHLY",
        )

    def handle(self, *args, dir, prune, **options):
        directory = dir or Path(settings.BACKUP_DIR)
        try:
            path = backup_create(directory=directory)
            if prune:
                backups_prune_configured(directory)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(str(path))
