"""Benchmark: the cost of the pre-flight checks against the read they protect.

On the same generated workbook (``bench/generate.py``) it times, each in a fresh subprocess,
``cltv_xl.loading.preflight.check_workbook`` and ``read_transactions`` (fastexcel + cleaning),
and prints seconds and peak resident memory (``VmHWM``) for both, plus the ratio.

Usage: python bench/bench_preflight.py [ROWS]      (default 1000000; files cached in bench/out)

``python bench/bench_preflight.py --beside-python [ROWS]`` measures why the command line runs
the checks in a child process and not in a thread: the checks and fastexcel's ``load_sheet``,
each alone and then while another thread of the same process runs pure Python (as the imports
of pandas, SciPy and openpyxl do), with the spinner's progress beside each.
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


def beside_python(path: str) -> list[dict]:
    """Seconds of the checks and of fastexcel's read, alone and beside a thread spinning in
    Python; ``spins_share`` is the spinner's progress as a share of its progress alone."""
    import threading

    import fastexcel

    from cltv_xl.loading.preflight import _check, limits_in_effect

    def checks():
        _check(path, limits_in_effect())

    def read():
        fastexcel.read_excel(path).load_sheet(0, use_columns="A,B,C").to_arrow()

    def timed(job, spin: bool) -> tuple[float, int]:
        stop, count = threading.Event(), [0]

        def spinner():
            n = 0
            while not stop.is_set():
                n += 1
            count[0] = n

        th = threading.Thread(target=spinner) if spin else None
        if th:
            th.start()
        start = time.perf_counter()
        job()
        seconds = time.perf_counter() - start
        stop.set()
        if th:
            th.join()
        return seconds, count[0]

    out = []
    for name, job in (("pre-flight checks", checks), ("fastexcel load_sheet", read)):
        alone, _ = timed(job, False)
        beside, spins = timed(job, True)
        _idle, idle_spins = timed(lambda s=beside: time.sleep(s), True)  # spinner alone
        out.append({"job": name, "alone_s": round(alone, 3), "beside_python_s": round(beside, 3),
                    "spins_share": round(spins / max(idle_spins, 1), 2)})
    return out


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
    if len(sys.argv) > 1 and sys.argv[1] == "--beside-python":
        sys.path.insert(0, str(HERE))
        from generate import cached_sheet

        rows = int(sys.argv[2]) if len(sys.argv) > 2 else 200_000
        for r in beside_python(str(cached_sheet(rows, OUT))):
            print(json.dumps({"rows": rows, **r}))
        sys.exit(0)
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        _child(sys.argv[2], sys.argv[3])
        sys.exit(0)
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    res = run(n)
    for r in res:
        print(f"{r['kind']:>10}: {r['seconds']:.2f} s, peak {r['peak_mb']} MB  ({r['result']})")
    print(f"pre-flight / read = {res[0]['seconds'] / res[1]['seconds']:.2f}")
