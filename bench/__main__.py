"""`make bench`: run every benchmark module in bench/ (PostgreSQL at BENCH_DATABASE_URL)."""

import importlib
import pkgutil
import sys
from pathlib import Path

from bench.common import setup_django


def main(selected: list[str]) -> None:
    setup_django()
    names = sorted(m.name for m in pkgutil.iter_modules([str(Path(__file__).parent)]) if m.name.startswith("bench_"))
    for name in names:
        if selected and not any(s in name for s in selected):
            continue
        importlib.import_module(f"bench.{name}").run()


if __name__ == "__main__":
    main(sys.argv[1:])
