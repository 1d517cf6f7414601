"""Benchmark the range worksheet functions through xlwings' own Office.js call layer.

Each call is ``await xlwings.server.custom_functions_call(body, module)`` with the request body
Excel sends: three 2-D ranges (ids as text, dates as Excel serial numbers, amounts), as under
xlwings Server and xlwings Lite.

* ours: :mod:`cltv_xl.udfs` as shipped ("raw" argument conversion, vectorised parsing through
  the loader, a plain 2-D list result);
* baseline: the same function bodies registered with xlwings' default conversion (per-cell
  cleaning of every argument and of the result), on the same data in the same run;
* ``second_call_s``: the same call again, as a second cell on the same ranges makes it (the
  cleaned orders, the RFM summary and the fitted models come from the in-process cache).

Usage::

    python bench/bench_udfs.py [ROWS ...] [--no-baseline]   # default 100000; prints JSON rows

``run(sizes)`` measures in a fresh interpreter, because xlwings picks its Office.js decorators
when it is first imported (``XLWINGS_ON_SERVER=true``) and another benchmark may have imported
it already.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
FUNCTIONS = ("rfm_summary", "clv_predict")


def run(sizes=(100_000,), baseline: bool = True) -> list[dict]:
    """Measure each function once per size; rows as in ``bench/bench.py``.

    ``baseline=False`` skips xlwings' default conversion, which takes minutes at 100,000 rows.
    """
    env = {**os.environ, "XLWINGS_ON_SERVER": "true", "XLWINGS_LICENSE_KEY": "noncommercial"}
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(HERE.parent), env.get("PYTHONPATH", "")) if p
    )
    done = subprocess.run(
        [
            sys.executable,
            str(Path(__file__).resolve()),
            *map(str, sizes),
            *([] if baseline else ["--no-baseline"]),
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"bench_udfs failed:\n{done.stderr}")
    return json.loads(done.stdout)


# ------------------------------------------------------------------ inside the fresh process


def _request(func_name: str, args: list) -> dict:
    import xlwings as xw

    return {
        "client": "Office.js",
        "func_name": func_name,
        "args": args,
        "caller_address": "[Book1.xlsx]Sheet1!E2",
        "culture_info_name": "en-US",
        "date_format": "m/d/yyyy",
        "version": xw.__version__,
        "runtime": "1.4",
    }


def _baseline_module():
    """The udfs' function bodies registered with xlwings' default (per-cell) conversion."""
    import types

    import xlwings as xw

    from cltv_xl import udfs

    module = types.ModuleType("cltv_xl_default_conversion")
    for name in FUNCTIONS:
        body = getattr(udfs, name).__wrapped__  # below @excel_errors: the plain function
        fresh = types.FunctionType(
            body.__code__, body.__globals__, name, body.__defaults__, body.__closure__
        )
        fresh.__annotations__ = {}  # no type hints: xlwings' default converter throughout
        fresh.__doc__ = body.__doc__
        setattr(module, name, xw.func(fresh))
    return module


def _ranges(rows: int) -> list:
    import numpy as np

    sys.path.insert(0, str(HERE))
    from generate import transactions

    df = transactions(rows)
    serial = (df["Order Date"].to_numpy() - np.datetime64("1899-12-30")) / np.timedelta64(1, "D")
    return [
        [[v] for v in df["Customer ID"].tolist()],
        [[v] for v in serial.tolist()],
        [[v] for v in df["Amount"].tolist()],
    ]


def _call(module, func_name: str, args: list) -> list:
    import asyncio

    import xlwings.server

    return asyncio.run(xlwings.server.custom_functions_call(_request(func_name, args), module))


def _time(module, func_name: str, args: list) -> tuple[float, list]:
    """Seconds for one call (after a warm-up call on 200 rows, so imports are not counted)."""
    import time

    n_args = len(module.__dict__[func_name].__xlfunc__["args"])
    warm = [rng[:200] for rng in args[:3]] + [None] * (n_args - 3)
    _call(module, func_name, warm)
    start = time.perf_counter()
    result = _call(module, func_name, args)
    return time.perf_counter() - start, result


def _peak_mb(module, func_name: str, args: list) -> float:
    """Peak traced Python memory of one call, measured in a separate (slower) call."""
    import tracemalloc

    from cltv_xl.excel.cache import CACHE

    CACHE.clear()  # measure a first call, not one answered from the cache
    tracemalloc.start()
    _call(module, func_name, args)
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return peak


def _measure(sizes: list[int], baseline: bool = True) -> list[dict]:
    import time
    import warnings

    from cltv_xl import udfs
    from cltv_xl.excel.cache import CACHE

    warnings.simplefilter("ignore")  # model convergence notes are not part of the timing
    default = _baseline_module()
    out = []
    for size in sizes:
        ranges = _ranges(size)
        for name in FUNCTIONS:
            args = [*ranges] + [None] * (len(udfs.__dict__[name].__xlfunc__["args"]) - 3)
            CACHE.clear()
            ours_s, ours = _time(udfs, name, args)
            start = time.perf_counter()
            again = _call(udfs, name, args)  # same ranges: cleaned orders and fits are cached
            cached_s = time.perf_counter() - start
            if again != ours:
                raise AssertionError(f"{name}: the cached call returned another result")
            row = {
                "benchmark": f"{name.upper()} via xlwings Office.js call layer",
                "size": size,
                "ours_s": round(ours_s, 3),
                "second_call_s": round(cached_s, 3),
                "baseline": None,
                "baseline_s": None,
                "speedup": None,
                "peak_mb": round(_peak_mb(udfs, name, args), 1),  # cache cleared first
            }
            if baseline:
                CACHE.clear()
                base_s, base = _time(default, name, args)
                if len(ours) != len(base) or ours[0] != base[0]:
                    raise AssertionError(f"{name}: baseline and ours disagree")
                row.update(
                    baseline="same function, xlwings default conversion",
                    baseline_s=round(base_s, 3),
                    speedup=round(base_s / ours_s, 1),
                )
            out.append(row)
    return out


if __name__ == "__main__":
    with_baseline = "--no-baseline" not in sys.argv
    sizes = [int(a) for a in sys.argv[1:] if a != "--no-baseline"] or [100_000]
    if os.environ.get("XLWINGS_ON_SERVER") != "true":
        print(json.dumps(run(sizes, baseline=with_baseline), indent=2))
    else:
        print(json.dumps(_measure(sizes, baseline=with_baseline)))
