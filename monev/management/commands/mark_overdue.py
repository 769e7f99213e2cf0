from django.core.management.base import BaseCommand
from django.utils import timezone

from monev.services import obligations_mark_overdue


class Command(BaseCommand):
    help = "Tandai kewajiban yang lewat tenggat sebagai terlambat (sama dengan tugas beat)."

    def handle(self, *args, **options):
        moved = obligations_mark_overdue(today=timezone.localdate())
        self.stdout.write(f"{moved} kewajiban ditandai terlambat.")
