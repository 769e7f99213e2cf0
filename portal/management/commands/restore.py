from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from portal.backup import BackupError, backup_restore


class Command(BaseCommand):
    help = (
        "Pulihkan arsip dari `manage.py backup` ke instalasi ini (basis data dan folder media). Semua hash "
        "diperiksa dulu; instalasi yang sudah berisi data ditolak kecuali dengan --force. Hentikan web, worker "
        "dan beat selama pemulihan."
    )

    def add_arguments(self, parser):
        parser.add_argument("archive", type=Path, help="Path arsip pantau-backup-….tar")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Timpa basis data dan folder media yang sudah berisi (folder media lama disimpan di sampingnya)",
        )

    def handle(self, *args, archive, force, **options):
        try:
            result = backup_restore(archive, force=force)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"Dipulihkan dari {archive}: {result.tables} tabel ({result.rows} baris, {result.database_vendor}), "
            f"{result.files} berkas media; jumlah baris dan hash berkas sudah diperiksa."
        )
        if result.media_aside:
            self.stdout.write(f"Folder media sebelumnya disimpan di {result.media_aside}.")
        if result.migrations_behind:
            self.stdout.write(
                f"Arsip dibuat sebelum {len(result.migrations_behind)} migrasi versi ini: jalankan "
                "`manage.py migrate` sebelum menyalakan web dan worker."
            )
