"""Benchmark: the write stage alone (``xlsx_writer.write_report``), A/B between two checkouts.

The report of a generated sheet (``bench/out/transactions_v2_N.xlsx``) is computed once and
pickled (``/tmp/cltv_bench_report_N.pkl``); then each checkout given on the command line
writes it, in a fresh child process, ``REPEATS`` times interleaved (A, B, A, B, ...). For each
run the child prints the seconds spent in ``write_report`` (wall and CPU) and its peak
memory above the memory it held before writing (``ru_maxrss`` after minus the resident size
before, in MB). Medians are printed per checkout.

Usage: python bench/bench_write.py ROWS CHECKOUT [CHECKOUT ...]   (e.g. 1000000 /work/main .)
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPEATS = int(os.environ.get("REPEATS", "5"))

_CHILD = r"""
import json, pickle, resource, sys, time
def rss_mb():
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * 4096 / 2**20
with open(sys.argv[1], "rb") as fh:
    report = pickle.load(fh)
from cltv_xl.report.xlsx_writer import write_report
import cltv_xl.report.xlsx_writer as w
before = rss_mb()
u0 = resource.getrusage(resource.RUSAGE_SELF)
t = time.perf_counter()
write_report(report, sys.argv[2])
seconds = time.perf_counter() - t
u1 = resource.getrusage(resource.RUSAGE_SELF)
cpu = u1.ru_utime - u0.ru_utime + u1.ru_stime - u0.ru_stime
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": seconds, "cpu_s": cpu, "held_mb": before, "peak_mb": peak,
                  "extra_mb": peak - before, "module": w.__file__}))
"""


def report_pickle(rows: int, checkout: str) -> Path:
    """The pickled Report of the generated sheet of ``rows`` rows (made once)."""
    path = Path(f"/tmp/cltv_bench_report_{rows}.pkl")
    if not path.exists():
        src = HERE / "out" / f"transactions_v2_{rows}.xlsx"
        code = ("import pickle,sys\nfrom cltv_xl.loading import read_transactions\n"
                "from cltv_xl.report import compute_report\n"
                "r = compute_report(read_transactions(sys.argv[1]))\n"
                "pickle.dump(r, open(sys.argv[2], 'wb'), protocol=5)\n")
        env = {**os.environ, "PYTHONPATH": str(Path(checkout).resolve())}
        subprocess.run([sys.executable, "-c", code, str(src), str(path)], check=True, env=env,
                       cwd="/tmp")
    return path


def one(checkout: str, pkl: Path, out: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(Path(checkout).resolve())}
    done = subprocess.run([sys.executable, "-c", _CHILD, str(pkl), str(out)], env=env, cwd="/tmp",
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str]) -> None:
    rows, checkouts = int(argv[0]), argv[1:]
    pkl = report_pickle(rows, checkouts[0])
    runs: dict[str, list[dict]] = {c: [] for c in checkouts}
    for _ in range(REPEATS):
        for c in checkouts:
            r = one(c, pkl, Path(f"/tmp/cltv_bench_write_{os.getpid()}.xlsx"))
            runs[c].append(r)
            print(c, json.dumps({k: round(v, 3) if isinstance(v, float) else v
                                 for k, v in r.items()}), flush=True)
    for c, rs in runs.items():
        print(f"{c}: write_report median {statistics.median(r['seconds'] for r in rs):.3f} s "
              f"(CPU {statistics.median(r['cpu_s'] for r in rs):.3f} s), "
              f"peak above held median {statistics.median(r['extra_mb'] for r in rs):.0f} MB "
              f"(peak {statistics.median(r['peak_mb'] for r in rs):.0f} MB), n={len(rs)}")


if __name__ == "__main__":
    main(sys.argv[1:])
