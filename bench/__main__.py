"""`make bench`: run every benchmark module in bench/ (PostgreSQL at BENCH_DATABASE_URL), then print one
summary table of every figure and its goal.

    python -m bench [--quick] [name ...]

``--quick`` runs CI-sized data (``BENCH_QUICK=1``); names select benchmarks by substring."""

import importlib
import os
import pkgutil
import sys
from pathlib import Path

from bench.common import begin, setup_django, summary


def main(args: list[str]) -> None:
    if "--quick" in args:
        os.environ["BENCH_QUICK"] = "1"
    selected = [a for a in args if not a.startswith("--")]
    setup_django()
    names = sorted(m.name for m in pkgutil.iter_modules([str(Path(__file__).parent)]) if m.name.startswith("bench_"))
    for name in names:
        if selected and not any(s in name for s in selected):
            continue
        begin(name.removeprefix("bench_"))
        importlib.import_module(f"bench.{name}").run()
    print(summary())


if __name__ == "__main__":
    main(sys.argv[1:])
