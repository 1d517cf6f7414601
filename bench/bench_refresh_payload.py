"""Benchmark: bytes sent to and from the "Refresh report" script under xlwings Server / Lite.

For N orders, a report is built with ``cltv-xl report`` (orders included in its Transactions
sheet) and turned into the JSON snapshot xlwings' Office.js client sends (the format of
``tests/test_refresh.py``). Measured:

* ``request_all_mb``: the request when the client sends every sheet (a script without
  ``include``, as before);
* ``request_mb``: the request for ``@script(include=REFRESH_SHEETS)``: sheets not listed
  arrive without values and tables, as the client's ``getBookData`` sends them;
* ``response_mb``: the actions the refresh returns (the rewritten report tables and cells);
* ``script_s``: the time of ``custom_scripts_call`` on that request (parse, refresh, actions).

Sizes are of compact JSON (``json.dumps``), in MB of 10^6 bytes.

Usage::

    python bench/bench_refresh_payload.py [ROWS ...]   # default 10000 100000; prints JSON rows
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "tests")]
os.environ.setdefault("XLWINGS_ON_SERVER", "true")
os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")


def _mb(payload) -> float:
    return round(len(json.dumps(payload, default=str).encode("utf-8")) / 1e6, 2)


def measure(rows: int) -> dict:
    from generate import transactions
    from test_refresh import as_the_client_sends, book_json, run_script

    from cltv_xl import refresh
    from cltv_xl.report import build_report

    frame = transactions(rows)
    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        path = Path(tmp) / "cltv_report.xlsx"
        build_report(frame, path)
        snapshot = book_json(path)
        sent = as_the_client_sends(snapshot, refresh.REFRESH_SHEETS)
        start = time.perf_counter()
        actions = run_script(sent)
        seconds = time.perf_counter() - start
    return {
        "benchmark": "Refresh report payload (xlwings Server / Lite)",
        "size": rows,
        "request_all_mb": _mb(snapshot),
        "request_mb": _mb(sent),
        "response_mb": _mb({"actions": actions}),
        "script_s": round(seconds, 2),
    }


if __name__ == "__main__":
    sizes = [int(a) for a in sys.argv[1:]] or [10_000, 100_000]
    print(json.dumps([measure(n) for n in sizes], indent=2))
