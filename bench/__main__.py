"""`python -m bench [name ...]`: run every `bench/bench_*.py` module's `main()` (or only the named ones)."""

from __future__ import annotations

import importlib
import sys
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> None:
    names = argv if argv is not None else sys.argv[1:]
    modules = sorted(p.stem for p in Path(__file__).resolve().parent.glob("bench_*.py"))
    selected = [m for m in modules if not names or m.removeprefix("bench_") in names or m in names]
    if not selected:
        sys.exit(
            f"no benchmark matches {names}; available: {', '.join(m.removeprefix('bench_') for m in modules)}"
        )
    for name in selected:
        print(f"== {name}", flush=True)
        started = time.perf_counter()
        importlib.import_module(f"bench.{name}").main()
        print(f"== {name} done in {time.perf_counter() - started:.1f} s\n", flush=True)


if __name__ == "__main__":
    main()
