"""Benchmark: issue 12's hostile corpus, time and peak memory per case; and what reading a
workbook in a separate worker process would cost.

Part 1 runs every case of ``tests/hostile.py`` through ``cltv_xl.cli.main`` in the corpus'
child process (:class:`hostile.Driver`), resetting the peak resident size before each case
(``/proc/self/clear_refs``), and prints per case: outcome, seconds, peak MB (``VmHWM``). The
acceptance of issue 12: no case above 1.5 GB.

Part 2 (``--isolation``) times ``read_transactions`` on a generated workbook in-process against
the same read in a fresh ``multiprocessing`` worker started with ``spawn`` (the result, a
``Transactions``, comes back pickled): the price of protecting a long-lived process by a worker.

Usage: python bench/bench_hostile.py [--isolation [ROWS ...]]   (default rows: 10000 100000)
"""

from __future__ import annotations

import multiprocessing as mp
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))
sys.path.insert(0, str(HERE))

LIMIT_MB = 1536


def corpus() -> int:
    from hostile import CASES, Driver, argv_for

    driver = Driver()
    worst = 0.0
    failures = 0
    print(f"{'case':36s} {'outcome':>10s} {'seconds':>8s} {'peak MB':>8s}")
    try:
        for case in CASES:
            with tempfile.TemporaryDirectory() as folder:
                path, _ = case.build(Path(folder))
                r = driver.run(case.name, argv_for(case, path, Path(folder)), case.timeout)
            if r.aborted:
                outcome = f"ABORT {r.code}"
            elif r.timed_out:
                outcome = "TIMEOUT"
            elif r.traceback:
                outcome = "traceback"
            else:
                outcome = "report" if r.code == 0 else f"error {r.code}"
            bad = r.aborted or r.timed_out or bool(r.traceback) or r.peak_mb > LIMIT_MB
            failures += bad
            worst = max(worst, r.peak_mb)
            print(f"{case.name:36s} {outcome:>10s} {r.seconds:8.2f} {r.peak_mb:8.0f}"
                  f"{'  <-- ' + (case.needs or '') if bad else ''}", flush=True)
    finally:
        driver.close()
    print(f"largest peak: {worst:.0f} MB (limit {LIMIT_MB} MB); cases failing: {failures}")
    return failures


def _read_in_worker(path: str):
    from cltv_xl.loading import read_transactions

    return read_transactions(path)


def isolation(sizes: list[int]) -> None:
    from generate import cached_sheet

    from cltv_xl.loading import read_transactions

    ctx = mp.get_context("spawn")
    for rows in sizes:
        path = cached_sheet(rows, HERE / "out")
        read_transactions(path)  # warm the page cache and the imports
        start = time.perf_counter()
        direct = read_transactions(path)
        t_direct = time.perf_counter() - start
        start = time.perf_counter()
        with ctx.Pool(1) as pool:
            isolated = pool.apply(_read_in_worker, (str(path),))
        t_worker = time.perf_counter() - start
        assert isolated.counts == direct.counts
        print(f"{rows:>9,} rows: in-process {t_direct:.2f} s, spawn worker {t_worker:.2f} s "
              f"(+{t_worker - t_direct:.2f} s)", flush=True)


if __name__ == "__main__":
    if "--isolation" in sys.argv:
        isolation([int(a) for a in sys.argv[2:]] or [10_000, 100_000])
    else:
        sys.exit(1 if corpus() else 0)
