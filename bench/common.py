"""Shared set-up for benchmarks: Django on a dedicated PostgreSQL database, timers, and the printing
convention (every figure as a ratio against a baseline measured in the same run)."""

from __future__ import annotations

import os
import secrets
import statistics
import tempfile
import time
from collections.abc import Callable

BENCH_DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/pantau_bench")


def setup_django() -> None:
    os.environ["DATABASE_URL"] = BENCH_DATABASE_URL
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(40))
    os.environ.setdefault("VAR_DIR", tempfile.mkdtemp(prefix="pantau-bench-"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    # Enqueueing is part of the measured work: use the real broker (Redis db 15, purged after each bench).
    os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/15")
    os.environ["ALLOWED_HOSTS"] = "testserver"  # the Django test client's host
    _ensure_database()
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)


def _ensure_database() -> None:
    import psycopg
    from dj_database_url import parse

    cfg = parse(BENCH_DATABASE_URL)
    with psycopg.connect(
        host=cfg["HOST"], port=cfg["PORT"] or 5432, user=cfg["USER"], dbname="postgres", autocommit=True
    ) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [cfg["NAME"]]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{cfg["NAME"]}"')


def best_of(fn: Callable[[], object], repeat: int = 5) -> float:
    """Median wall time of ``repeat`` runs, in seconds (after one warm-up run)."""
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def report(name: str, figure: float, baseline: float, unit: str = "s", note: str = "") -> None:
    ratio = figure / baseline if baseline else float("inf")
    print(f"{name:<58} {figure:10.4f} {unit}  ratio {ratio:8.2f}x  {note}")
