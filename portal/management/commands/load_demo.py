from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils.module_loading import import_string

from portal.demo import accounts_file


class Command(BaseCommand):
    help = "Muat data demo Kecamatan Pucuk (sekali; aman dijalankan berulang) dan tampilkan akun demo."

    def handle(self, *args, **options):
        # Each app contributes its own demo step (settings.DEMO_LOADERS), so portal imports no app.
        for dotted in settings.DEMO_LOADERS:
            import_string(dotted)()
        path = accounts_file()
        url = settings.SITE_URL
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"Pantau Desa siap di {url}"))
        if path.exists():
            self.stdout.write(f"Akun demo (disimpan di {path}):")
            for line in path.read_text(encoding="utf-8").splitlines():
                username, password, role, scope = line.split("\t")
                if role in ("Operator Desa", "Kepala Desa") and not username.endswith((".pucuk", ".wanar")):
                    continue
                self.stdout.write(f"  {username:<26} {password:<14} {role} — {scope}")
            self.stdout.write(f"  (akun Operator Desa dan Kepala Desa lainnya: lihat {path})")
