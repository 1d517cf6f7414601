"""Benchmark: the cost of the pre-flight checks against the read they protect.

On the same generated workbook (``bench/generate.py``) it times, each in a fresh subprocess,
``cltv_xl.loading.preflight.check_workbook`` and ``read_transactions`` (fastexcel + cleaning),
and prints seconds and peak resident memory (``VmHWM``) for both, plus the ratio.

Usage: python bench/bench_preflight.py [ROWS]      (default 1000000; files cached in bench/out)
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"


def _child(kind: str, path: str) -> None:
    if kind == "preflight":
        from cltv_xl.loading.preflight import check_workbook

        def job():
            return check_workbook(path).sheets
    else:
        from cltv_xl.loading import read_transactions

        def job():
            return read_transactions(path).counts["read"]

    start = time.perf_counter()
    result = job()
    seconds = time.perf_counter() - start
    peak = 0
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            peak = int(line.split()[1]) // 1024
    print(json.dumps({"kind": kind, "seconds": seconds, "peak_mb": peak, "result": str(result)}))


def run(rows: int) -> list[dict]:
    sys.path.insert(0, str(HERE))
    from generate import cached_sheet

    path = cached_sheet(rows, OUT)
    out = []
    for kind in ("preflight", "read"):
        proc = subprocess.run(
            [sys.executable, __file__, "--child", kind, str(path)],
            capture_output=True, text=True, check=True,
        )
        out.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    return out


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        _child(sys.argv[2], sys.argv[3])
        sys.exit(0)
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    res = run(n)
    for r in res:
        print(f"{r['kind']:>10}: {r['seconds']:.2f} s, peak {r['peak_mb']} MB  ({r['result']})")
    print(f"pre-flight / read = {res[0]['seconds'] / res[1]['seconds']:.2f}")
