"""Run every benchmark and print the README performance table.

Usage::

    python bench/bench.py                 # full sizes (as in the README table)
    python bench/bench.py --quick         # small sizes, to check the scripts work
    python bench/bench.py --only read,models

Each area lives in its own script (``bench_read.py``, ``bench_models.py``, ``bench_report.py``,
``bench_udfs.py``, ``bench_engine.py``, ``bench_deflate.py``) with a
``run(sizes) -> list[dict]`` function; each row has ``benchmark``, ``size``, ``ours_s``,
``baseline``, ``baseline_s``, ``speedup`` and ``peak_mb``. Our code and the baseline are always
timed in the same run, on the same generated data.
"""

from __future__ import annotations

import argparse
import importlib
import json
import platform
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

AREAS = {
    "read": ("bench_read", (1_000_000,), (20_000,)),
    "models": ("bench_models", (100_000, 1_000_000), (20_000,)),
    "udfs": ("bench_udfs", (100_000,), (5_000,)),
    "report": ("bench_report", (200_000, 1_000_000), (20_000,)),
    "engine": ("bench_engine", (5_000_000,), (20_000,)),
    "deflate": ("bench_deflate", (1_000_000,), (20_000,)),
    "cohort_span": ("bench_cohort_span", (240,), (24,)),
}


def _fmt(value, digits=2) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def table(rows: list[dict]) -> str:
    """Markdown table of benchmark rows."""
    head = "| Benchmark | Size | cltv-xl (s) | Baseline | Baseline (s) | Speed-up | Peak MB |"
    lines = [head, "|---|---:|---:|---|---:|---:|---:|"]
    for r in rows:
        speedup = r.get("speedup")
        lines.append(
            f"| {r['benchmark']} | {_fmt(r['size'])} | {_fmt(r.get('ours_s'))} | "
            f"{r.get('baseline') or '-'} | {_fmt(r.get('baseline_s'))} | "
            f"{_fmt(speedup, 1) + 'x' if speedup else '-'} | {_fmt(r.get('peak_mb'), 0)} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("--only", default=",".join(AREAS), help="comma-separated areas")
    parser.add_argument("--json", type=Path, help="also write the rows as JSON here")
    args = parser.parse_args(argv)
    rows: list[dict] = []
    for area in args.only.split(","):
        module_name, full, quick = AREAS[area.strip()]
        module = importlib.import_module(module_name)
        print(f"# {area} ...", file=sys.stderr, flush=True)
        rows.extend(module.run(quick if args.quick else full))
    machine = platform.processor() or platform.machine()
    print(f"Machine: {machine}, Python {platform.python_version()}")
    print(table(rows))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
