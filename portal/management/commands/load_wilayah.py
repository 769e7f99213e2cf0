from pathlib import Path

from django.core.management.base import BaseCommand

from portal.services import PUCUK_CSV, wilayah_load_csv


class Command(BaseCommand):
    help = (
        "Muat kecamatan dan desa dari CSV (kolom: kode,nama,kecamatan_kode,kecamatan_nama,kabupaten,provinsi). "
        "Aman dijalankan berulang. Tanpa --file: Kecamatan Pucuk, Lamongan."
    )

    def add_arguments(self, parser):
        parser.add_argument("--file", type=Path, default=PUCUK_CSV)

    def handle(self, *args, file: Path, **options):
        result = wilayah_load_csv(path=file)
        self.stdout.write(
            f"Kecamatan baru: {result.kecamatan_created}; desa baru: {result.desa_created}; "
            f"desa diperbarui: {result.desa_updated}."
        )
