"""Monev board at kabupaten (474 desa) and province (7,720 desa) scale, 12 obligations per desa, on
PostgreSQL: server time and query count of the board at both sizes and their ratio (it should grow no
faster than the data), and the time to generate a year of obligations for 7,720 desa."""

from __future__ import annotations

import datetime as dt
import time

from django.db import connection
from django.test.utils import CaptureQueriesContext

from bench.common import sized

YEAR = 2026
# ``--quick``: a tenth of each, for a CI smoke run.
SIZES = [("kabupaten", sized(474, 47)), ("provinsi", sized(7720, 772))]
DESA_PER_KECAMATAN = 17


def reset() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE monev_transition, monev_submissionfile, monev_submission, monev_extension, "
            "monev_historicalobligation, monev_obligation, portal_historicalperangkat, portal_perangkat, "
            "portal_historicaldesa, portal_historicalkecamatan, portal_user, portal_desa, portal_kecamatan "
            "RESTART IDENTITY CASCADE"
        )


def build_wilayah(desa_count: int) -> None:
    from portal.models import Desa, Kecamatan

    kecamatan = Kecamatan.objects.bulk_create(
        [
            Kecamatan(kode=f"35.{k // 99 + 1:02d}.{k % 99 + 1:02d}", nama=f"Kec {k}", kabupaten="Bench")
            for k in range((desa_count + DESA_PER_KECAMATAN - 1) // DESA_PER_KECAMATAN)
        ]
    )
    desa = []
    for i in range(desa_count):
        kec = kecamatan[i // DESA_PER_KECAMATAN]
        desa.append(Desa(kode=f"{kec.kode}.{2001 + i % DESA_PER_KECAMATAN:04d}", nama=f"Desa {i}", kecamatan=kec))
    Desa.objects.bulk_create(desa, batch_size=2000)


def ensure_schedules() -> None:
    from monev.models import DocumentType, DocumentTypeSchedule

    for code, months in (("SPJ_DD", (7, 12)), ("SPJ_ADD", (4, 8))):
        doc_type = DocumentType.objects.get(code=code)
        for n, month in enumerate(months, start=1):
            DocumentTypeSchedule.objects.get_or_create(
                document_type=doc_type,
                year=YEAR,
                period=f"TAHAP{n}",
                defaults={"period_label": f"Tahap {n}", "due_date": dt.date(YEAR, month, 28)},
            )


def board_figures(path: str) -> tuple[float, int]:
    from rest_framework.test import APIClient

    from bench.common import best_of
    from portal.models import User

    user = User.objects.create(username="bench-admin", role="admin", is_superuser=True, is_staff=True)
    client = APIClient()
    client.force_login(user)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(path).status_code == 200
    queries = len(ctx.captured_queries)
    return best_of(lambda: client.get(path), repeat=5), queries


def run() -> None:
    from bench.common import report
    from monev.models import Obligation
    from monev.services import obligations_generate
    from portal.calendar import holidays_sync

    print("== monev board (12 obligations per desa) ==")
    holidays_sync(years=[YEAR - 1, YEAR, YEAR + 1])
    ensure_schedules()
    results = {}
    for label, size in SIZES:
        reset()
        build_wilayah(size)
        start = time.perf_counter()
        obligations_generate(year=YEAR)
        generate_seconds = time.perf_counter() - start
        count = Obligation.objects.filter(year=YEAR).count()
        assert count == size * 12, count
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE monev_obligation")
        page = board_figures(f"/monev/?tahun={YEAR}")
        export_start = time.perf_counter()
        from django.test import Client

        client = Client()
        client.force_login(__import__("portal.models", fromlist=["User"]).User.objects.get(username="bench-admin"))
        assert client.get(f"/monev/ekspor/matriks/?tahun={YEAR}").status_code == 200
        export_seconds = time.perf_counter() - export_start
        results[label] = (size, count, generate_seconds, page, export_seconds)
    base_size, _base_count, base_generate, (base_time, base_q), base_export = results["kabupaten"]
    size, _count, generate, (board_time, board_q), export = results["provinsi"]
    data_ratio = size / base_size
    report(f"board page @{base_size} desa (baseline)", base_time, base_time, note=f"{base_q} queries")
    report(f"board page @{size} desa", board_time, base_time, note=f"{board_q} queries; data x{data_ratio:.1f}")
    report(f"generate a year @{base_size} desa (baseline)", base_generate, base_generate)
    report(
        f"generate a year @{size} desa ({size * 12} obligations)",
        generate,
        base_generate,
        note=f"data x{data_ratio:.1f}",
    )
    report(f"matrix Excel export, all rows @{base_size} desa (baseline)", base_export, base_export)
    report(f"matrix Excel export, all rows @{size} desa", export, base_export, note=f"data x{data_ratio:.1f}")
    reset()
