"""Benchmark: the whole ``cltv-xl report`` against the straightforward pipeline.

Usage: ``python bench/bench_report.py [SIZE ...] [--repeat N]`` (default 200000 1000000, 3 runs
of ours and of the hand-written pipeline each, interleaved; medians)

* **ours**: ``cltv-xl report transactions_N.xlsx -o report.xlsx`` with the Transactions sheet
  included (fastexcel read, vectorised models, template filled by openpyxl, large tables
  streamed into the sheet XML).
* **baseline** (the straightforward pipeline): openpyxl ``read_only`` to read the rows,
  ``lifetimes`` (``summary_data_from_transaction_data``, ``BetaGeoFitter`` and
  ``GammaGammaFitter`` with the small penalizer 0.001 its docs suggest, since unpenalised
  BG/NBD does not converge in lifetimes on these data;
  ``customer_lifetime_value``), then an openpyxl workbook with a per-customer
  sheet and a transactions sheet written cell by cell. It runs only at sizes up to
  :data:`BASELINE_MAX` rows (openpyxl reads 1M rows in about 80 s).
* **hand-written baseline** (issue 16: the pipeline a user would write by hand, timed in the
  same run): the baseline above without the Transactions sheet, i.e. openpyxl ``read_only``
  -> lifetimes BG/NBD + Gamma-Gamma -> an openpyxl customer sheet.

``python bench/bench_report.py ab SIZE CHECKOUT [CHECKOUT ...] [--repeat N] [--each]`` compares
checkouts instead: the report command from each, interleaved, with the median time until the
read starts, of the read and clean stage and of the whole run (``--each``: every run's stage
seconds too).

``python bench/bench_report.py exit SIZE [--repeat N]`` measures what the interpreter's own shutdown
costs after a report: the wall time of ``cltv-xl report`` as the program runs it
(``cltv_xl.cli.run``, which leaves with ``os._exit``) against the same command returning from
``cltv_xl.cli.main`` into an ordinary exit, interleaved, medians.

Each measurement runs in a fresh child process; wall time is measured around it and peak
memory is ``resource.getrusage(RUSAGE_CHILDREN).ru_maxrss`` of a wrapper process that only
runs that child, so numbers do not leak between measurements.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

BASELINE_MAX = 200_000

#: Runs ``argv`` as a child and prints {"seconds", "peak_mb", "returncode"} as JSON.
_WRAPPER = r"""
import json, resource, subprocess, sys, time
t = time.perf_counter()
done = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
seconds = time.perf_counter() - t
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # kB on Linux
print(json.dumps({"seconds": seconds, "peak_mb": peak, "returncode": done.returncode,
                  "stderr": done.stderr.decode(errors="replace")[-2000:]}))
"""

#: The straightforward pipeline, run as ``python -c BASELINE INPUT OUTPUT``.
BASELINE = r"""
import sys, warnings
warnings.simplefilter("ignore")
import pandas as pd
from openpyxl import Workbook, load_workbook
from lifetimes import BetaGeoFitter, GammaGammaFitter
from lifetimes.utils import summary_data_from_transaction_data

src, out = sys.argv[1], sys.argv[2]
ws = load_workbook(src, read_only=True).worksheets[0]
rows = ws.iter_rows(values_only=True)
header = next(rows)
df = pd.DataFrame(list(rows), columns=header).dropna()
df.columns = ["customer_id", "date", "amount"]
s = summary_data_from_transaction_data(df, "customer_id", "date", "amount", freq="W")
bg = BetaGeoFitter(penalizer_coef=0.001).fit(s["frequency"], s["recency"], s["T"])
s["p_alive"] = bg.conditional_probability_alive(s["frequency"], s["recency"], s["T"])
s["expected_purchases"] = bg.conditional_expected_number_of_purchases_up_to_time(
    52, s["frequency"], s["recency"], s["T"])
rep = s[(s["frequency"] > 0) & (s["monetary_value"] > 0)]
gg = GammaGammaFitter(penalizer_coef=0.001).fit(rep["frequency"], rep["monetary_value"])
s["expected_spend"] = gg.conditional_expected_average_profit(s["frequency"], s["monetary_value"])
s["clv"] = gg.customer_lifetime_value(bg, s["frequency"], s["recency"], s["T"],
                                      s["monetary_value"], time=12, discount_rate=0.01, freq="W")
s = s.sort_values("clv", ascending=False)
wb = Workbook()
sheet = wb.active
sheet.title = "Customers"
sheet.append(["Customer ID", *s.columns])
for cid, row in zip(s.index, s.itertuples(index=False)):
    sheet.append([str(cid), *row])
"""
_TX_SHEET = r"""
tx = wb.create_sheet("Transactions")
tx.append(["Customer ID", "Date", "Amount"])
for row in df.itertuples(index=False):
    tx.append(list(row))
"""
_SAVE = r"""
wb.save(out)
"""
#: The pipeline a user would write by hand (issue 16): openpyxl read_only, lifetimes BG/NBD +
#: Gamma-Gamma, an openpyxl customer sheet. No Transactions sheet.
HANDWRITTEN = BASELINE + _SAVE
#: The same plus the Transactions sheet written cell by cell (the README's earlier baseline).
BASELINE = BASELINE + _TX_SHEET + _SAVE


def _measure(argv: list[str]) -> dict:
    done = subprocess.run([sys.executable, "-c", _WRAPPER, *argv], capture_output=True,
                          text=True, check=True)
    result = json.loads(done.stdout)
    if result["returncode"] != 0:
        raise RuntimeError(f"{argv[:4]} failed: {result['stderr']}")
    return result


def compile_package() -> None:
    """Byte-compile cltv_xl as ``pip install`` does, so that an editable checkout run under
    ``PYTHONDONTWRITEBYTECODE`` (this machine sets it) is not timed compiling its own sources
    (about 0.1 s a run); the baselines' libraries were compiled when pip installed them."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "cltv_xl")],
                   check=True, stdout=subprocess.DEVNULL)


def run(sizes=(200_000, 1_000_000), repeat: int = 3) -> list[dict]:
    """One row per size and baseline: ours against the straightforward pipeline (one run) and
    against the hand-written one, both up to 200k rows. Ours and the hand-written pipeline run
    ``repeat`` times, interleaved (ours, hand-written, ours, ...), and the rows give their
    medians and every run: one run of ours swings by about 0.3 s on this host."""
    import statistics

    from generate import cached_sheet

    compile_package()
    rows = []
    for size in sizes:
        src = cached_sheet(int(size), HERE / "out")
        ours_runs: list[dict] = []
        hand_runs: list[dict] = []
        base = None
        with tempfile.TemporaryDirectory() as tmp:
            for _ in range(repeat):
                ours_runs.append(_measure([sys.executable, "-m", "cltv_xl.cli", "report",
                                           str(src), "-o", str(Path(tmp) / "report.xlsx"),
                                           "--quiet"]))
                if size <= BASELINE_MAX:
                    hand_runs.append(_measure([sys.executable, "-c", HANDWRITTEN, str(src),
                                               str(Path(tmp) / "handwritten.xlsx")]))
            if size <= BASELINE_MAX:
                base = _measure([sys.executable, "-c", BASELINE, str(src),
                                 str(Path(tmp) / "baseline.xlsx")])
        ours_s = statistics.median(r["seconds"] for r in ours_runs)
        peak = max(r["peak_mb"] for r in ours_runs)
        common = {"benchmark": "cltv-xl report (Transactions sheet included)",
                  "size": int(size), "ours_s": round(ours_s, 2),
                  "ours_runs_s": [round(r["seconds"], 2) for r in ours_runs]}
        rows.append({
            **common,
            "baseline": "openpyxl read_only + lifetimes + openpyxl cell-by-cell" if base else None,
            "baseline_s": round(base["seconds"], 2) if base else None,
            "speedup": round(base["seconds"] / ours_s, 1) if base else None,
            "peak_mb": round(peak),
            "baseline_peak_mb": round(base["peak_mb"]) if base else None,
        })
        if hand_runs:
            hand_s = statistics.median(r["seconds"] for r in hand_runs)
            rows.append({
                **common,
                "baseline": "hand-written: openpyxl read_only + lifetimes + openpyxl customer "
                            "sheet (no Transactions sheet)",
                "baseline_s": round(hand_s, 2),
                "baseline_runs_s": [round(r["seconds"], 2) for r in hand_runs],
                "speedup": round(hand_s / ours_s, 1),
                "peak_mb": round(peak),
                "baseline_peak_mb": round(max(r["peak_mb"] for r in hand_runs)),
            })
    return rows


#: One ``cltv-xl report`` run in a child, printing when each progress step began (seconds from
#: the start of the process) as JSON: ``python -c STAGES INPUT OUTPUT``.
_STAGES = r"""
import json, os, sys, time
t0 = time.perf_counter()
from cltv_xl import cli
seen = {}
step = cli.Progress.__call__
def mark(self, name):
    seen.setdefault(name, time.perf_counter() - t0)
    return step(self, name)
cli.Progress.__call__ = mark
cli._PROGRAM = True  # as in the program (cli.run), which this times up to its os._exit
code = cli.main(["report", sys.argv[1], "-o", sys.argv[2], "--quiet"])
seen["done"] = time.perf_counter() - t0
print(json.dumps({"code": code, **seen}))
"""


def stage_seconds(marks: dict) -> dict[str, float]:
    """Seconds of each progress stage of one run (from when it began to when the next did)."""
    names = [k for k in marks if k not in ("code", "done")] + ["done"]
    out, prev = {"before the first stage": round(marks[names[0]], 3)}, names[0]
    for name in names[1:]:
        out[prev] = round(marks[name] - marks[prev], 3)
        prev = name
    return out


def ab(size: int, checkouts: list[str], repeat: int = 5,
       each: bool = False) -> dict[str, dict[str, float]]:
    """``cltv-xl report`` on the generated sheet of ``size`` rows from each checkout (a folder
    holding ``cltv_xl``), interleaved ``repeat`` times (A, B, A, B, ...): median seconds until
    the read starts, of the read and clean stage, and of the whole run, per checkout. ``each``
    also prints every run's stage seconds as it ends."""
    import statistics

    from generate import cached_sheet

    src = cached_sheet(int(size), HERE / "out")
    for root in checkouts:
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(Path(root) / "cltv_xl")],
                       check=True, stdout=subprocess.DEVNULL)
    runs: dict[str, list[dict]] = {root: [] for root in checkouts}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(repeat):
            for root in checkouts:
                out = Path(tmp) / "report.xlsx"
                out.unlink(missing_ok=True)
                env = {**os.environ, "PYTHONPATH": str(Path(root).resolve())}
                done = subprocess.run([sys.executable, "-c", _STAGES, str(src), str(out)],
                                      env=env, cwd=tmp, capture_output=True, text=True,
                                      check=True)
                runs[root].append(json.loads(done.stdout.strip().splitlines()[-1]))
                if each:
                    print(json.dumps({"checkout": root, "total_s": round(runs[root][-1]["done"], 2),
                                      **stage_seconds(runs[root][-1])}), flush=True)
    result = {}
    for root, rows in runs.items():
        start = [r["reading transactions"] for r in rows]
        read = [r["summarising customers"] - r["reading transactions"] for r in rows]
        result[root] = {"before_read_s": round(statistics.median(start), 2),
                        "read_s": round(statistics.median(read), 2),
                        "total_s": round(statistics.median(r["done"] for r in rows), 2),
                        "total_min_s": round(min(r["done"] for r in rows), 2),
                        "runs": len(rows)}
    return result


#: ``cltv-xl report`` followed by Python's ordinary shutdown (what ``run`` skips).
_ORDINARY_EXIT = r"""
import sys
from cltv_xl.cli import main
raise SystemExit(main(sys.argv[1:]))
"""


def exit_cost(size: int, repeat: int = 5) -> dict[str, float]:
    """Median wall seconds of the report with the program's exit and with an ordinary one."""
    import statistics
    import time

    from generate import cached_sheet

    compile_package()
    src = cached_sheet(int(size), HERE / "out")
    walls: dict[str, list[float]] = {"os_exit_s": [], "ordinary_exit_s": []}
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "report.xlsx"
        args = ["report", str(src), "-o", str(out), "--quiet"]
        for _ in range(repeat):
            for key, argv in (("os_exit_s", [sys.executable, "-m", "cltv_xl.cli", *args]),
                              ("ordinary_exit_s", [sys.executable, "-c", _ORDINARY_EXIT,
                                                   *args])):
                out.unlink(missing_ok=True)
                start = time.perf_counter()
                subprocess.run(argv, check=True, cwd=tmp)
                walls[key].append(time.perf_counter() - start)
    result = {k: round(statistics.median(v), 3) for k, v in walls.items()}
    result["saved_s"] = round(result["ordinary_exit_s"] - result["os_exit_s"], 3)
    return {"size": int(size), "runs": repeat, **result}


if __name__ == "__main__":
    if sys.argv[1:2] == ["exit"]:
        # python bench/bench_report.py exit SIZE [--repeat N]
        args = sys.argv[2:]
        repeat = int(args[args.index("--repeat") + 1]) if "--repeat" in args else 5
        print(json.dumps(exit_cost(int(args[0]), repeat)))
        raise SystemExit(0)
    if sys.argv[1:2] == ["ab"]:
        # python bench/bench_report.py ab SIZE CHECKOUT [CHECKOUT ...] [--repeat N] [--each]
        args = sys.argv[2:]
        each = "--each" in args
        args = [a for a in args if a != "--each"]
        repeat = 5
        if "--repeat" in args:
            i = args.index("--repeat")
            repeat = int(args[i + 1])
            del args[i:i + 2]
        for root, row in ab(int(args[0]), args[1:], repeat, each).items():
            print(json.dumps({"checkout": root, "size": int(args[0]), **row}))
        raise SystemExit(0)
    # python bench/bench_report.py [SIZE ...] [--repeat N]
    args = sys.argv[1:]
    repeat = 3
    if "--repeat" in args:
        i = args.index("--repeat")
        repeat = int(args[i + 1])
        del args[i:i + 2]
    sizes = [int(a) for a in args] or [200_000, 1_000_000]
    for row in run(sizes, repeat):
        print(json.dumps(row))
