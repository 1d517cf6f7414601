"""Benchmark: reading and cleaning a transaction workbook.

Times, each in a fresh subprocess (so memory held by Arrow/Rust is seen too), on the same
generated file (``bench/generate.py``):

* ours: ``read_transactions`` (fastexcel + cleaning) and then ``rfm_summary``;
* ours without the summary (read + clean only);
* the baseline a plain-Python tool would use: openpyxl ``read_only`` iteration over all rows;
* the two calamine-based readers: fastexcel to Arrow/pandas vs python-calamine ``to_python``.

Peak memory is the child's maximum resident set size: its own ``VmHWM`` on Linux, else the
``ru_maxrss`` that ``os.wait4`` (the per-child form of ``getrusage(RUSAGE_CHILDREN)``) returns.
(On Linux ``ru_maxrss`` of a child also counts the parent's memory from before ``exec``.)

Line items (issue 9): ``--line-items N`` times read + clean of N invoice lines in the layout of
an online retailer's export (InvoiceNo, StockCode, Description, Quantity, InvoiceDate,
UnitPrice, CustomerID, Country; "C" cancellations, a quarter of the rows without a customer
id), as .xlsx and as CSV (US dates "12/1/2010 8:26", float ids "17850.0"); amount = quantity x
unit price. Baselines: openpyxl ``read_only`` iteration (.xlsx) and a bare ``pandas.read_csv``.

Usage: python bench/bench_read.py [ROWS ...]     (default 1000000; files are cached in bench/out)
       python bench/bench_read.py --line-items 500000
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "out"
#: Every raw measurement of the last :func:`run` (seconds, rows, peak_mb per reader).
MEASUREMENTS: list[dict] = []


def _work(kind: str, path: str) -> dict:
    """One measurement, run inside the child process (imports are not timed)."""
    if kind in ("ours", "ours_read"):
        from cltv_xl.loading import read_transactions
        from cltv_xl.summary import rfm_summary

        def job() -> int:
            tx = read_transactions(path)
            if kind == "ours":
                rfm_summary(tx)
            return tx.counts["read"]

    elif kind == "openpyxl":
        from openpyxl import load_workbook

        def job() -> int:
            wb = load_workbook(path, read_only=True, data_only=True)
            n = sum(1 for _row in wb.worksheets[0].iter_rows(values_only=True))
            wb.close()
            return n

    elif kind == "pandas_csv":
        import pandas

        def job() -> int:
            return len(pandas.read_csv(path, dtype=str, keep_default_na=False))

    elif kind == "fastexcel":
        import fastexcel
        import pandas

        def job() -> int:
            return len(fastexcel.read_excel(path).load_sheet(0).to_pandas())

    elif kind == "calamine":
        from python_calamine import CalamineWorkbook

        def job() -> int:
            return len(CalamineWorkbook.from_path(path).get_sheet_by_index(0).to_python())

    else:
        raise ValueError(f"unknown measurement {kind!r}")
    t0 = time.perf_counter()
    rows = job()
    return {"seconds": time.perf_counter() - t0, "rows": rows, "hwm_mb": _own_peak_mb()}


def _own_peak_mb() -> float | None:
    """This process's peak resident memory (VmHWM), in MiB, or None off Linux."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def measure(kind: str, path: Path) -> dict:
    """Run one measurement in a subprocess; returns seconds, rows and peak_mb."""
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.Popen(
        [sys.executable, __file__, "--measure", kind, str(path)],
        stdout=subprocess.PIPE,
        env=env,
    )
    assert proc.stdout is not None
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"measurement {kind} failed with exit code {proc.returncode}")
    result = json.loads(out)
    # Linux carries the parent's pre-exec high-water mark into the child's ru_maxrss, so the
    # child's own VmHWM is exact where available; ru_maxrss is the portable fallback.
    hwm = result.pop("hwm_mb", None)
    result["peak_mb"] = hwm if hwm is not None else usage.ru_maxrss / 1024
    return result


def run(sizes=(1_000_000,)) -> list[dict]:
    """Benchmark rows ``{"benchmark", "size", "ours_s", "baseline", "baseline_s", "speedup",
    "peak_mb"}`` for each sheet size."""
    sys.path.insert(0, str(HERE))
    from generate import cached_sheet

    rows: list[dict] = []
    for size in sizes:
        path = cached_sheet(size, OUT)
        ours = measure("ours", path)
        ours_read = measure("ours_read", path)
        base = measure("openpyxl", path)
        fx = measure("fastexcel", path)
        cal = measure("calamine", path)
        MEASUREMENTS.extend(
            {"size": size, "measurement": k, **m}
            for k, m in (("ours", ours), ("ours_read", ours_read), ("openpyxl", base),
                         ("fastexcel", fx), ("calamine", cal))
        )
        for name, res in (
            ("read+clean+rfm_summary", ours),
            ("read+clean", ours_read),
        ):
            rows.append(
                {
                    "benchmark": name,
                    "size": size,
                    "ours_s": round(res["seconds"], 3),
                    "baseline": "openpyxl read_only iteration",
                    "baseline_s": round(base["seconds"], 3),
                    "speedup": round(base["seconds"] / res["seconds"], 1),
                    "peak_mb": round(res["peak_mb"], 1),
                }
            )
        rows.append(
            {
                "benchmark": "raw read: fastexcel to pandas",
                "size": size,
                "ours_s": round(fx["seconds"], 3),
                "baseline": "python-calamine to_python",
                "baseline_s": round(cal["seconds"], 3),
                "speedup": round(cal["seconds"] / fx["seconds"], 1),
                "peak_mb": round(fx["peak_mb"], 1),
            }
        )
    return rows


def line_items(rows: int, seed: int = 11):
    """A frame of ``rows`` invoice lines built from the simulated orders of ``generate.py``:
    each order becomes 1-4 lines whose quantity x unit price sum to the order value; about 2 %
    of lines are cancelled by a "C" invoice line a day later; a quarter of the lines have no
    customer id (as in the retailer's published log)."""
    import numpy as np
    import pandas as pd

    sys.path.insert(0, str(HERE))
    from generate import transactions

    rng = np.random.default_rng(seed)
    orders = transactions(max(1, rows // 2))
    n_lines = rng.integers(1, 5, len(orders))
    idx = np.repeat(np.arange(len(orders)), n_lines)[:rows]
    qty = rng.integers(1, 13, len(idx))
    price = np.round(orders["Amount"].to_numpy()[idx] / n_lines[idx] / qty + 0.005, 2)
    invoice = (536365 + idx).astype(str).astype(object)
    cust = orders["Customer ID"].str.slice(1).astype(np.int64).to_numpy()[idx] + 12000
    date = orders["Order Date"].to_numpy()[idx] + np.timedelta64(9, "h")
    cancel = rng.random(len(idx)) < 0.02
    invoice[cancel] = np.char.add("C", invoice[cancel].astype(str))
    qty = np.where(cancel, -qty, qty)
    date = np.where(cancel, date + np.timedelta64(1, "D"), date)
    ids = cust.astype(np.float64)
    ids[rng.random(len(idx)) < 0.25] = np.nan
    return pd.DataFrame({
        "InvoiceNo": invoice, "StockCode": rng.integers(10000, 99999, len(idx)).astype(str),
        "Description": "ITEM", "Quantity": qty, "InvoiceDate": date, "UnitPrice": price,
        "CustomerID": ids, "Country": "United Kingdom",
    })


def cached_line_items(rows: int, suffix: str) -> Path:
    """The line-item file of ``rows`` lines (.xlsx or .csv), generated once into bench/out."""
    path = OUT / f"line_items_{rows}{suffix}"
    if path.exists():
        return path
    OUT.mkdir(parents=True, exist_ok=True)
    df = line_items(rows)
    tmp = path.with_name(path.stem + ".tmp" + suffix)
    if suffix == ".csv":  # the retailer's CSV: US dates with a time, float ids
        out = df.assign(InvoiceDate=df["InvoiceDate"].dt.strftime("%-m/%-d/%Y %-H:%M"))
        out.to_csv(tmp, index=False)
    else:
        from openpyxl import Workbook

        wb = Workbook(write_only=True)
        ws = wb.create_sheet("Online Retail")
        ws.append(list(df.columns))
        for row in df.itertuples(index=False, name=None):
            ws.append([None if isinstance(v, float) and v != v else v for v in row])
        wb.save(tmp)
    tmp.replace(path)
    return path


def run_line_items(size: int) -> list[dict]:
    """Benchmark rows for read + clean of ``size`` line items as .xlsx and as CSV."""
    rows: list[dict] = []
    for suffix, base_kind, base_name in ((".xlsx", "openpyxl", "openpyxl read_only iteration"),
                                         (".csv", "pandas_csv", "pandas.read_csv, no cleaning")):
        path = cached_line_items(size, suffix)
        ours = measure("ours_read", path)
        base = measure(base_kind, path)
        MEASUREMENTS.extend({"size": size, "measurement": k, "file": path.name, **m}
                            for k, m in (("ours_read", ours), (base_kind, base)))
        rows.append({
            "benchmark": f"line items {suffix}: read+clean (amount = quantity x price)",
            "size": size,
            "ours_s": round(ours["seconds"], 3),
            "baseline": base_name,
            "baseline_s": round(base["seconds"], 3),
            "speedup": round(base["seconds"] / ours["seconds"], 1),
            "peak_mb": round(ours["peak_mb"], 1),
        })
    return rows


def main(argv: list[str]) -> None:
    if len(argv) == 3 and argv[0] == "--measure":
        print(json.dumps(_work(argv[1], argv[2])))
        return
    if argv and argv[0] == "--line-items":
        for row in run_line_items(int(argv[1]) if len(argv) > 1 else 500_000):
            print(json.dumps(row))
        for m in MEASUREMENTS:
            print(json.dumps(m), file=sys.stderr)
        return
    sizes = tuple(int(a) for a in argv) or (1_000_000,)
    for row in run(sizes):
        print(json.dumps(row))
    for m in MEASUREMENTS:
        print(json.dumps(m), file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1:])
