import getpass
import sys

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from portal.choices import Role
from portal.models import Desa, Kecamatan
from portal.services import user_create


class Command(BaseCommand):
    help = "Buat akun pengguna. Kata sandi dibaca dari prompt, atau dari stdin bila stdin bukan terminal."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=Role.values)
        scope = parser.add_mutually_exclusive_group()
        scope.add_argument("--desa", metavar="KODE", help="Kode Kemendagri desa, mis. 35.24.13.2001")
        scope.add_argument("--kecamatan", metavar="KODE", help="Kode Kemendagri kecamatan, mis. 35.24.13")
        parser.add_argument("--email", default="")
        parser.add_argument("--name", default="", help="Nama lengkap")

    def _password(self) -> str:
        if sys.stdin.isatty():
            first = getpass.getpass("Kata sandi: ")
            if first != getpass.getpass("Ulangi kata sandi: "):
                raise CommandError("Kedua kata sandi tidak sama.")
            return first
        password = sys.stdin.readline().rstrip("\n")
        if not password:
            raise CommandError("Kata sandi kosong: berikan lewat stdin atau jalankan di terminal.")
        return password

    def handle(self, *args, username, role, desa, kecamatan, email, name, **options):
        desa_obj = kec_obj = None
        if desa:
            desa_obj = Desa.objects.select_related("kecamatan").filter(kode=desa).first()
            if desa_obj is None:
                raise CommandError(f"Desa dengan kode {desa} tidak ditemukan.")
        if kecamatan:
            kec_obj = Kecamatan.objects.filter(kode=kecamatan).first()
            if kec_obj is None:
                raise CommandError(f"Kecamatan dengan kode {kecamatan} tidak ditemukan.")
        try:
            user = user_create(
                username=username,
                role=role,
                password=self._password(),
                desa=desa_obj,
                kecamatan=kec_obj,
                email=email,
                full_name=name,
            )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stdout.write(
            self.style.SUCCESS(f"Akun {user.username} ({user.get_role_display()}) dibuat: {user.scope_label}.")
        )
