"""Sum the monthly rollup of daily statuses again (every month, or the months of a range): after statuses were
written other than by the recompute, e.g. restored from a backup. The recompute keeps it by itself."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from attendance.management.commands.attendance_rebuild import _date
from attendance.rollup import rebuild


class Command(BaseCommand):
    help = "Hitung ulang rekap bulanan desa dari status harian: semua bulan, atau [--from D] [--to D]."

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="date_from")
        parser.add_argument("--to", dest="date_to")

    def handle(self, *args, date_from: str | None = None, date_to: str | None = None, **options):
        start = _date(date_from) if date_from else None
        end = _date(date_to) if date_to else None
        if start and end and end < start:
            raise CommandError("--to tidak boleh sebelum --from.")
        rows = rebuild(date_from=start, date_to=end)
        self.stdout.write(f"Rekap bulanan desa dihitung ulang: {rows} baris desa × bulan.")
