"""Shared set-up for benchmarks: Django on a dedicated PostgreSQL database, timers, and the printing
convention (every figure as a ratio against a baseline measured in the same run).

Every ``report`` is also kept in ``RESULTS``; ``make bench`` ends with one summary table of every figure and,
where the work has one, its goal (the ratio it must not exceed). ``--quick`` (``BENCH_QUICK=1``) shrinks every
benchmark's data to what CI can afford; its figures are for a smoke run, not for the README."""

from __future__ import annotations

import os
import secrets
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass

BENCH_DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/pantau_bench")


@dataclass
class Figure:
    bench: str
    name: str
    figure: float
    ratio: float
    unit: str
    goal: float | None  # the largest ratio that meets the goal; None: reported, no goal
    faster: bool  # the goal is a speed-up (baseline / figure >= goal) rather than a ceiling on the ratio

    @property
    def met(self) -> bool | None:
        if self.goal is None:
            return None
        return (1 / self.ratio if self.ratio else float("inf")) >= self.goal if self.faster else self.ratio <= self.goal


RESULTS: list[Figure] = []
_current = {"bench": ""}


def quick() -> bool:
    """CI-sized data (``make bench ARGS=--quick`` or ``BENCH_QUICK=1``)."""
    return os.environ.get("BENCH_QUICK", "") not in ("", "0", "false")


def sized(full: int, small: int) -> int:
    """``full`` normally, ``small`` under ``--quick``."""
    return small if quick() else full


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


def begin(bench: str) -> None:
    """Name the benchmark whose figures follow (the summary table's first column)."""
    _current["bench"] = bench


def report(
    name: str,
    figure: float,
    baseline: float,
    unit: str = "s",
    note: str = "",
    *,
    goal: float | None = None,
    faster: bool = False,
) -> None:
    """Print one figure as a ratio against ``baseline`` and keep it for the summary. ``goal``: the ratio the
    figure must stay at or under (or, with ``faster=True``, the speed-up baseline/figure it must reach)."""
    ratio = figure / baseline if baseline else float("inf")
    RESULTS.append(Figure(_current["bench"], name, figure, ratio, unit, goal, faster))
    target = ""
    if goal is not None:
        target = f"goal {'≥' if faster else '≤'} {goal:g}{'× faster' if faster else 'x'}"
    print(f"{name:<58} {figure:10.4f} {unit}  ratio {ratio:8.2f}x  {note}  {target}".rstrip())


def summary() -> str:
    """One table of every figure and its goal, for the end of ``make bench``."""
    lines = [
        "",
        "== summary: every figure, its ratio to its baseline, and its goal ==",
        f"{'benchmark':<22} {'figure':<58} {'value':>12} {'ratio':>9} {'goal':>14}  met",
    ]
    for f in RESULTS:
        if f.goal is None:
            goal, met = "-", ""
        else:
            goal = f"≥ {f.goal:g}× faster" if f.faster else f"≤ {f.goal:g}x"
            met = "yes" if f.met else "NO"
        shown = f"{1 / f.ratio:.1f}× faster" if f.faster and f.ratio else f"{f.ratio:.2f}x"
        lines.append(f"{f.bench[:22]:<22} {f.name[:58]:<58} {f.figure:10.4f} {f.unit:<1} {shown:>9} {goal:>14}  {met}")
    goals = [f for f in RESULTS if f.goal is not None]
    lines.append(f"-- {sum(bool(f.met) for f in goals)} of {len(goals)} goals met")
    return "\n".join(lines)
