"""Benchmark: compressing the report's Transactions sheet XML (the largest zip member).

The XML of ``ROWS`` generated transactions (``bench/generate.py``) is built once with
:func:`cltv_xl.report.fastxml.rows_xml`, then deflated (raw deflate, as in a zip member) by:

* zlib level 1 (zipfile's compressor, the writer before issue 16);
* python-isal (ISA-L) level 1 through ``isal.isal_zlib`` (the writer now);
* zlib level 1 on two threads: two halves compressed separately, the first ending with a
  sync flush, concatenated into one valid deflate stream (pigz's method).

Each is timed as the minimum of ``REPEATS`` runs; the output size is reported, and every
output is inflated again and compared with the input.

Usage: python bench/bench_deflate.py [ROWS]      (default 1000000)
"""

from __future__ import annotations

import sys
import time
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

REPEATS = 3


def transactions_xml(rows: int) -> bytes:
    import pandas as pd
    from generate import transactions

    from cltv_xl.report import fastxml

    df = transactions(rows)
    cols = [df["Customer ID"], df["Order Date"], df["Amount"],
            pd.Series(range(2, rows + 2), dtype="int64")]
    return bytes(fastxml.rows_xml(cols, 1, 2, [3, 4, 5, 6]))


def zlib_1(data: bytes) -> bytes:
    c = zlib.compressobj(1, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush()


def isal_1(data: bytes) -> bytes:
    from isal import isal_zlib

    c = isal_zlib.compressobj(1, isal_zlib.DEFLATED, -15)
    return c.compress(data) + c.flush()


def zlib_1_two_threads(data: bytes) -> bytes:
    half = len(data) // 2

    def part(args):
        chunk, last = args
        c = zlib.compressobj(1, zlib.DEFLATED, -15)
        return c.compress(chunk) + c.flush(zlib.Z_FINISH if last else zlib.Z_SYNC_FLUSH)

    with ThreadPoolExecutor(2) as pool:
        a, b = pool.map(part, [(memoryview(data)[:half], False), (memoryview(data)[half:], True)])
    return a + b


METHODS = {"zlib level 1": zlib_1, "isal level 1": isal_1,
           "zlib level 1, two threads": zlib_1_two_threads}


def measure(rows: int) -> list[dict]:
    data = transactions_xml(rows)
    out = []
    for name, fn in METHODS.items():
        best = float("inf")
        for _ in range(REPEATS):
            t0 = time.perf_counter()
            packed = fn(data)
            best = min(best, time.perf_counter() - t0)
        assert zlib.decompress(packed, -15) == data, name
        out.append({"method": name, "rows": rows, "xml_mb": round(len(data) / 2**20, 1),
                    "seconds": round(best, 3), "compressed_mb": round(len(packed) / 2**20, 2)})
    return out


def run(sizes=(1_000_000,)) -> list[dict]:
    """Rows in bench.py's format: isal (ours) against zlib level 1 (the baseline)."""
    rows = []
    for size in sizes:
        m = {r["method"]: r for r in measure(size)}
        ours, base = m["isal level 1"], m["zlib level 1"]
        rows.append({
            "benchmark": f"deflate of the Transactions sheet XML ({ours['xml_mb']} MB): isal "
                         f"level 1 -> {ours['compressed_mb']} MB",
            "size": size, "ours_s": ours["seconds"],
            "baseline": f"zlib level 1 -> {base['compressed_mb']} MB",
            "baseline_s": base["seconds"],
            "speedup": round(base["seconds"] / ours["seconds"], 1), "peak_mb": None,
        })
    return rows


if __name__ == "__main__":
    for row in measure(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000):
        print(row)
