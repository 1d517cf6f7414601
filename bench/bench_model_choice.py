"""Benchmark: the report's automatic model choice against a named model.

The purchase-model step of :func:`cltv_xl.pipeline.run` on ``bench/generate.transactions(rows)``
(about ``rows / 4.2`` customers, two years of day-granular orders), weekly summary:

* ours: ``model="auto"`` - :func:`cltv_xl.models.compare_models` fits the BG/NBD, MBG/NBD and
  Pareto/NBD (on a deterministic sample of ``cltv_xl.pipeline.COMPARE_MAX_CUSTOMERS`` customers
  above that many), then the chosen model is fitted on every customer;
* baseline: ``model="bgnbd"`` - the BG/NBD alone (what the report did before the choice).

The summary is computed once, outside the timings (``steps=("purchase_model",)`` includes it,
so both columns carry the same summary cost). One run each: a Pareto/NBD fit takes seconds.
``chosen`` says which model won.

Usage: python bench/bench_model_choice.py [ROWS ...]      (default: 200000 1000000)
"""

from __future__ import annotations

import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import transactions

from cltv_xl import pipeline
from cltv_xl.assumptions import Assumptions
from cltv_xl.transactions import Transactions

BENCHMARK = "purchase model: auto (compare BG/NBD, MBG/NBD, Pareto/NBD) vs named BG/NBD"


def _timed(tx: Transactions, model: str) -> tuple[float, pipeline.PipelineResult]:
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = pipeline.run(tx, Assumptions(model=model), steps=("purchase_model",))
    return time.perf_counter() - t0, res


def run(sizes=(200_000, 1_000_000)) -> list[dict]:
    rows = []
    for size in sizes:
        frame = transactions(size).rename(columns={"Customer ID": "customer_id",
                                                   "Order Date": "date", "Amount": "amount"})
        tx = Transactions.from_frame(frame)
        auto_s, auto = _timed(tx, "auto")
        named_s, _ = _timed(tx, "bgnbd")
        rows.append({
            "benchmark": BENCHMARK, "size": size, "customers": len(auto.summary),
            "ours_s": round(auto_s, 2), "baseline": "model=bgnbd",
            "baseline_s": round(named_s, 2), "speedup": round(named_s / auto_s, 2),
            "peak_mb": None, "chosen": auto.choice.key if auto.choice else None,
            "compared_on": auto.choice.sampled if auto.choice else None,
        })
    return rows


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:]] or [200_000, 1_000_000]
    for row in run(args):
        print(row)
