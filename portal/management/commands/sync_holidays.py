import datetime as dt

from django.core.management.base import BaseCommand

from portal.calendar import holidays_sync


class Command(BaseCommand):
    help = "Isi/perbarui tabel hari libur nasional dan cuti bersama dari paket `holidays` (baris yang diubah manual dibiarkan)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--year", type=int, action="append", help="Tahun (boleh berulang). Bawaan: tahun ini dan depan."
        )

    def handle(self, *args, year, **options):
        years = year or [dt.date.today().year, dt.date.today().year + 1]
        changed = holidays_sync(years=years)
        self.stdout.write(f"Hari libur {', '.join(map(str, years))}: {changed} baris baru/diperbarui.")
