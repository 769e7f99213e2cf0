import time

from django.core.management.base import BaseCommand, CommandError

from attendance.models import Device
from attendance.services import device_pull


class Command(BaseCommand):
    help = (
        "Tarik data absensi sekarang (di proses ini) dan tampilkan jumlah rekaman yang dibaca, yang baru, dan yang "
        "sudah tersimpan sebelumnya. Dengan -v 2 juga lama penarikan tiap mesin."
    )

    def add_arguments(self, parser):
        parser.add_argument("--device", metavar="SERIAL", help="Nomor seri mesin; tanpa ini semua mesin aktif (pull).")

    def handle(self, *args, device, verbosity, **options):
        devices = Device.objects.filter(enabled=True, protocol="pull")
        if device:
            devices = Device.objects.filter(serial_number=device)
            if not devices.exists():
                raise CommandError(f"Mesin dengan nomor seri {device} tidak terdaftar.")
        failed = 0
        for d in devices.order_by("serial_number"):
            start = time.perf_counter()
            result = device_pull(device_id=d.pk, trigger="cli")
            # The pull alone, without the command's start-up: what a slow network or machine costs.
            took = f" dalam {time.perf_counter() - start:.3f} detik".replace(".", ",") if verbosity >= 2 else ""
            if result.outcome == "success":
                # Punches read again are normal (the machine keeps its log): not worded as an error.
                self.stdout.write(
                    f"{d.serial_number}: dibaca {result.read}, baru {result.new}, "
                    f"{result.duplicates} sudah tersimpan sebelumnya (tidak diulang){took}"
                )
            else:
                failed += 1
                self.stdout.write(self.style.ERROR(f"{d.serial_number}: {result.outcome} — {result.error}{took}"))
        if failed:
            raise CommandError(f"{failed} mesin gagal ditarik.")
