"""Load a kecamatan's plan period, indicators and yearly targets from a data file (idempotent)."""

from django.core.management.base import BaseCommand, CommandError

from monev.services_iku import PUCUK_FILE, plan_load


class Command(BaseCommand):
    help = "Muat indikator kinerja (IKU/IKK) dan target tahunan dari berkas JSON. Aman dijalankan berulang."

    def add_arguments(self, parser):
        parser.add_argument("--file", default=str(PUCUK_FILE), help="berkas JSON (bawaan: Renstra Pucuk 2016-2021)")

    def handle(self, *args, **options):
        period = plan_load(options["file"])
        if period is None:
            raise CommandError("Kecamatan pada berkas belum dimuat (jalankan load_wilayah dahulu).")
        count = period.indicators.count()
        self.stdout.write(f"{period}: {count} indikator dimuat.")
