from django.core.management.base import BaseCommand, CommandError

from monev.alerts import alerts_run_once


class Command(BaseCommand):
    help = (
        "Satu putaran penuh deteksi (terlambat, pengingat, eskalasi, riwayat status) dan pengiriman pemberitahuan "
        "di proses ini. Kode yang sama dijalankan beat setiap menit. Aman dijalankan berulang atau bersamaan."
    )

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Jalankan satu putaran lalu selesai.")

    def handle(self, *args, once, **options):
        if not once:
            raise CommandError("Gunakan --once (putaran berkala dijalankan oleh Celery beat).")
        counts = alerts_run_once()
        self.stdout.write(" ".join(f"{k}={v}" for k, v in sorted(counts.items())))
