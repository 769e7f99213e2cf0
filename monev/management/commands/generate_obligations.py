from django.core.management.base import BaseCommand

from monev.services import obligations_generate, obligations_recompute
from portal.calendar import holidays_sync


class Command(BaseCommand):
    help = (
        "Buat kewajiban laporan semua desa untuk satu tahun anggaran dan hitung ulang tenggat yang masih terbuka "
        "menurut aturan (aman dijalankan berulang)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, required=True)

    def handle(self, *args, year, **options):
        holidays_sync(years=[year - 1, year, year + 1])
        created = obligations_generate(year=year)
        moved = obligations_recompute(reason="generate_obligations", years=[year])
        self.stdout.write(
            f"Tahun anggaran {year}: {created} kewajiban baru dibuat, {moved} tenggat dihitung ulang menurut aturan."
        )
