"""Recompute daily attendance statuses for a date range (all desa, or one by Kemendagri code)."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from attendance.daily import statuses_rebuild
from portal.models import Desa


def _date(value: str) -> dt.date:
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    raise CommandError(f"Tanggal tidak dikenali: {value!r} (pakai YYYY-MM-DD atau dd/mm/yyyy).")


class Command(BaseCommand):
    help = "Hitung ulang status absensi harian untuk rentang tanggal: --from D --to D [--desa KODE]."

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="date_from", required=True)
        parser.add_argument("--to", dest="date_to", required=True)
        parser.add_argument("--desa", help="kode Kemendagri desa, mis. 35.24.13.2001")

    def handle(self, *args, date_from: str, date_to: str, desa: str | None = None, **options):
        start, end = _date(date_from), _date(date_to)
        if end < start:
            raise CommandError("--to tidak boleh sebelum --from.")
        ids = None
        if desa:
            ids = list(Desa.objects.filter(kode=desa).values_list("id", flat=True))
            if not ids:
                raise CommandError(f"Desa dengan kode {desa} tidak ada.")
        written = statuses_rebuild(date_from=start, date_to=end, desa_ids=ids)
        self.stdout.write(f"Status harian {start:%d/%m/%Y}–{end:%d/%m/%Y} dihitung ulang: {written} berubah.")
