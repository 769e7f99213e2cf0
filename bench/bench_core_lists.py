"""Core lists at kecamatan (17 desa) and kabupaten (474 desa) scale: server time and query count of the
desa and perangkat API lists; the baseline is the same list at 17 desa, measured in this run."""

from __future__ import annotations

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from bench.common import sized


def build(kecamatan_count: int, desa_per_kecamatan: int, perangkat_per_desa: int = 10):
    from portal.choices import Jabatan, Role
    from portal.models import Desa, Kecamatan, Perangkat, User

    Perangkat.objects.all().delete()
    User.objects.all().delete()
    Desa.objects.all().delete()
    Kecamatan.objects.all().delete()
    kecamatan = Kecamatan.objects.bulk_create(
        [Kecamatan(kode=f"35.24.{i + 1:02d}", nama=f"Kec {i}", kabupaten="Lamongan") for i in range(kecamatan_count)]
    )
    desa = Desa.objects.bulk_create(
        [
            Desa(kode=f"{k.kode}.{2001 + j:04d}", nama=f"Desa {k.kode}-{j}", kecamatan=k)
            for k in kecamatan
            for j in range(desa_per_kecamatan)
        ]
    )
    Perangkat.objects.bulk_create(
        [
            Perangkat(desa=d, nama=f"P {d.kode} {n}", jabatan=Jabatan.STAF)
            for d in desa
            for n in range(perangkat_per_desa)
        ]
    )
    return User.objects.create(username="bench-admin", role=Role.ADMIN, is_superuser=True)


def measure(user, path: str) -> tuple[float, int]:
    from rest_framework.test import APIClient

    from bench.common import best_of

    client = APIClient()
    client.force_authenticate(user)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(path).status_code == 200
    queries = len(ctx.captured_queries)  # read now: every request_started signal resets the query log
    return best_of(lambda: client.get(path), repeat=5), queries


def run() -> None:
    from bench.common import report

    print("== core lists (API, page_size=1000) ==")
    results = {}
    kabupaten = sized(27, 3)  # --quick: three kecamatan instead of 27
    for label, kec, per in (("kecamatan 17 desa", 1, 17), ("kabupaten 474 desa", kabupaten, 18)):
        with transaction.atomic():
            user = build(kec, per)
            for path in ("/api/v1/desa/?page_size=1000", "/api/v1/perangkat/?page_size=1000"):
                results[(label, path)] = measure(user, path)
            transaction.set_rollback(True)
    for path in ("/api/v1/desa/?page_size=1000", "/api/v1/perangkat/?page_size=1000"):
        base_time, base_q = results[("kecamatan 17 desa", path)]
        big_time, big_q = results[("kabupaten 474 desa", path)]
        report(f"{path} @17 desa (baseline)", base_time, base_time, note=f"{base_q} queries")
        big = kabupaten * 18
        report(f"{path} @{big} desa", big_time, base_time, note=f"{big_q} queries; data x{big / 17:.0f}")
