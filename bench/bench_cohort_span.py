"""Benchmark: a report whose orders span two centuries (issue 12 item 10).

Usage: ``python bench/bench_cohort_span.py [CUSTOMERS ...]`` (default 240)

240 customers with three orders each, dated at random between 1900-01-01 and 2099-12-31,
give up to 240 monthly cohorts x 2,400 months since acquisition. Unbounded, the two cohort
sheets held 1.15 million cells (160 s, 700 MB measured before the bound); with the bound
(:data:`cltv_xl.cohort_tables.MAX_COHORTS` x :data:`~cltv_xl.cohort_tables.MAX_COHORT_PERIODS`)
they hold at most 2 x 120 x 122 cells. Each run is a fresh ``python`` child, measured by a
wrapper process: wall time and ``ru_maxrss`` (peak resident memory).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

_WRAPPER = r"""
import json, resource, subprocess, sys, time
t = time.perf_counter()
done = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
seconds = time.perf_counter() - t
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(json.dumps({"seconds": seconds, "peak_mb": peak, "returncode": done.returncode,
                  "stderr": done.stderr.decode(errors="replace")[-2000:]}))
"""

_REPORT = r"""
import sys, warnings
import numpy as np, pandas as pd
warnings.simplefilter("ignore")
from cltv_xl.report import build_report
from cltv_xl.transactions import Transactions
n, out = int(sys.argv[1]), sys.argv[2]
rng = np.random.default_rng(1)
start, end = pd.Timestamp("1900-01-01"), pd.Timestamp("2099-12-31")
days = rng.integers(0, (end - start).days, (n, 3))
frame = pd.DataFrame({
    "customer_id": np.repeat([f"c{i}" for i in range(n)], 3),
    "date": start + pd.to_timedelta(np.sort(days, axis=1).ravel(), unit="D"),
    "amount": rng.integers(5, 100, n * 3).astype(float),
})
build_report(Transactions.from_frame(frame), out, include_transactions=False)
"""


def measure(customers: int, root: Path = ROOT) -> dict:
    """Time and peak memory of one report over ``customers`` customers (code under ``root``)."""
    with tempfile.TemporaryDirectory() as tmp:
        env_path = str(root)
        argv = [sys.executable, "-c", _WRAPPER, sys.executable, "-c",
                f"import sys; sys.path.insert(0, {env_path!r}); exec({_REPORT!r})",
                str(customers), str(Path(tmp) / "r.xlsx")]
        done = subprocess.run(argv, capture_output=True, text=True, check=True)
        result = json.loads(done.stdout)
    if result["returncode"] != 0:
        raise RuntimeError(result["stderr"])
    return result


def run(sizes: list[int] | None = None) -> list[dict]:
    """Benchmark rows in the format of ``bench/bench.py``."""
    rows = []
    for n in sizes or [240]:
        r = measure(n)
        rows.append({"benchmark": "report, orders over 1900-2099", "size": n,
                     "ours_s": r["seconds"], "baseline": None, "baseline_s": None,
                     "speedup": None, "peak_mb": r["peak_mb"]})
    return rows


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    root = Path(next((a.split("=", 1)[1] for a in sys.argv[1:] if a.startswith("--root=")),
                     ROOT))
    for n in [int(a) for a in args] or [240]:
        r = measure(n, root)
        print(f"{n} customers over 1900-2099 ({root}): {r['seconds']:.1f} s, "
              f"peak {r['peak_mb']:.0f} MB")
