"""Benchmark: the summary stage on DuckDB against pandas on a large CSV; per-row costs of
each engine stage (the figures ``docs/scale.md`` rests on); Spark against DuckDB.

Each measurement runs in a fresh subprocess (imports not timed; peak memory is the child's
``VmHWM``) on the same generated CSV (``bench/generate.py``, cached in ``bench/out``):

* ``pandas``: ``read_transactions(csv)`` + ``rfm_summary`` (the path for sheets and small
  files: the loader's full cleaning rules, then numpy);
* ``duckdb``: ``cltv_xl.engines.summarise(csv, engine="duckdb")`` (typed SQL cleaning and the
  SQL summary, the per-customer frame returned to pandas);
* ``duckdb_score``: ``score_to_parquet(csv, out.parquet, engine="duckdb")``: summary, the
  sufficient statistics, BG/NBD + Gamma-Gamma fits on them, every customer scored to Parquet;
  the stages are timed apart inside the child.

``--report`` times the whole command a user runs, ``cltv-xl report CSV -o r.xlsx --engine
duckdb`` (imports included; wall time and the child's peak RSS from ``wait4``), beside
``--engine pandas --no-transactions`` (the pandas path; the Transactions sheet cannot hold the
rows; it stops when the customers exceed a sheet's rows) on the same file in the same run,
and with ``--baseline-root DIR`` the same command with the package of another checkout (an
earlier version's engine path); it prints the load average around each run
(``--report-only`` skips the stage measurements).

``--spark ROWS`` also runs both SQL engines on a ROWS-row CSV in this process and prints the
largest difference per column (they must agree to 1e-9) and both times (Spark local mode,
session start not counted).

Usage: python bench/bench_engine.py [ROWS ...] [--report] [--report-only]
       [--baseline-root DIR] [--repeat N] [--spark ROWS]      (default 5000000)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "out"


def _peak_mb() -> float | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def _work(kind: str, path: str) -> dict:
    import warnings

    warnings.simplefilter("ignore")
    if kind == "pandas":
        from cltv_xl.loading import read_transactions
        from cltv_xl.summary import rfm_summary

        t0 = time.perf_counter()
        s = rfm_summary(read_transactions(path))
        return {"seconds": time.perf_counter() - t0, "customers": len(s)}
    from cltv_xl.engines import open_summary, summarise

    if kind == "duckdb":
        t0 = time.perf_counter()
        s = summarise(path, engine="duckdb")
        return {"seconds": time.perf_counter() - t0, "customers": len(s)}
    if kind == "duckdb_score":
        stages = {}
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            es = open_summary(path, engine="duckdb")  # type-checks and counts every row
            stages["read_check_count"] = time.perf_counter() - t0
            t = time.perf_counter()
            stats = es.purchase_stats()
            spend = es.spend_stats()
            stages["summary_and_statistics"] = time.perf_counter() - t
            t = time.perf_counter()
            from cltv_xl.engines.scoring import fit_purchase_model, fit_spend_model

            bg = fit_purchase_model(stats, es.time_unit)
            gg = fit_spend_model(spend)
            stages["fit"] = time.perf_counter() - t
            t = time.perf_counter()
            n = es.score_to_parquet(Path(tmp) / "out.parquet", bg, gg, horizon=12)
            stages["summary_again_score_write"] = time.perf_counter() - t
            size = (Path(tmp) / "out.parquet").stat().st_size
            es.close()
        return {"seconds": time.perf_counter() - t0, "customers": n, "stages": stages,
                "purchase_stat_rows": len(stats), "spend_stat_rows": len(spend),
                "parquet_mb": size / 2**20, "rows": es.counts["read"]}
    raise ValueError(kind)


def measure(kind: str, path: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    done = subprocess.run([sys.executable, __file__, "--measure", kind, str(path)],
                          capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{kind} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout)


def csv_file(rows: int) -> Path:
    sys.path.insert(0, str(HERE))
    from generate import cached_sheet

    return cached_sheet(int(rows), OUT, ".csv")


def run(sizes=(5_000_000,)) -> list[dict]:
    rows = []
    for size in sizes:
        path = csv_file(size)
        duck = measure("duckdb", path)
        pandas = measure("pandas", path)
        if duck["customers"] != pandas["customers"]:
            raise AssertionError("DuckDB and pandas found different customers")
        rows.append({
            "benchmark": "summary stage of a CSV on DuckDB (read, type-check, RFM summary)",
            "size": size, "ours_s": round(duck["seconds"], 2),
            "baseline": "read_transactions + rfm_summary (pandas)",
            "baseline_s": round(pandas["seconds"], 2),
            "speedup": round(pandas["seconds"] / duck["seconds"], 1),
            "peak_mb": round(duck["peak_mb"]), "baseline_peak_mb": round(pandas["peak_mb"]),
        })
    return rows


def time_report(path: Path, engine: str, root: Path = ROOT) -> dict:
    """The whole ``cltv-xl report`` command on ``path`` in a fresh interpreter, with the
    package of ``root``: wall time (imports included), the child's peak RSS, and the 1-minute
    load average before/after. A run that stops with an error is reported with its message."""
    env = {**os.environ, "PYTHONPATH": str(root) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "r.xlsx"
        cmd = [sys.executable, "-c", "import sys; from cltv_xl.cli import main; "
               "sys.exit(main(sys.argv[1:]))", "report", str(path), "-o", str(out),
               "--engine", engine, "--quiet"]
        if engine == "pandas":
            cmd.append("--no-transactions")
        load_before = os.getloadavg()[0]
        t0 = time.perf_counter()
        # cwd: with -c the current folder comes first on sys.path, before PYTHONPATH
        child = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.PIPE, cwd=tmp)
        _pid, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - t0
        err = child.stderr.read().decode(errors="replace") if child.stderr else ""
        code = os.waitstatus_to_exitcode(status)
        done = code in (0, 3)  # 3: finished with data-quality warnings
        size = out.stat().st_size if done and out.exists() else 0
    return {"benchmark": f"cltv-xl report --engine {engine}"
            + (" --no-transactions" if engine == "pandas" else ""), "code": str(root),
            "seconds": round(seconds, 2), "peak_mb": round(usage.ru_maxrss / 1024),
            "xlsx_mb": round(size / 2**20, 1), "exit_code": code,
            "error": None if done else (err.strip().splitlines() or ["?"])[-1][:300],
            "load_before": round(load_before, 2), "load_after": round(os.getloadavg()[0], 2)}


def report_goal(size: int, baseline_root: Path | None = None, repeat: int = 1) -> dict:
    """Issue 16's goal (a 5M-row CSV report in <= 15 s with DuckDB) beside the pandas path
    and, with ``baseline_root`` (a checkout of an earlier version), that version's engine
    path, in the same run. The pandas path stops when the customers exceed a sheet's rows."""
    import statistics

    path = csv_file(size)
    ours, base = [], []
    for _ in range(repeat):  # interleaved A/B: the shared machine's load drifts
        ours.append(time_report(path, "duckdb"))
        print(json.dumps({"size": size, **ours[-1]}), flush=True)
        base.append(time_report(path, "duckdb", baseline_root) if baseline_root is not None
                    else time_report(path, "pandas"))
        print(json.dumps({"size": size, **base[-1]}), flush=True)
    if baseline_root is not None:
        print(json.dumps({"size": size, **time_report(path, "pandas")}), flush=True)

    def median(runs: list[dict], key: str) -> float:
        return round(statistics.median(r[key] for r in runs), 2)

    return {"benchmark": "whole report of a CSV", "size": size, "runs": repeat,
            "ours_s": median(ours, "seconds"),
            "baseline": f"{base[0]['benchmark']} ({base[0]['code']})",
            "baseline_s": median(base, "seconds"), "baseline_error": base[0]["error"],
            "speedup": round(median(base, "seconds") / median(ours, "seconds"), 1),
            "peak_mb": median(ours, "peak_mb"), "baseline_peak_mb": median(base, "peak_mb"),
            "goal_s": 15, "load": [ours[0]["load_before"], base[-1]["load_after"]]}


def spark_vs_duckdb(rows: int) -> dict:
    """Both SQL engines on the same CSV: largest absolute difference per column, and times."""
    import warnings

    import numpy as np

    from cltv_xl.engines import summarise
    from cltv_xl.engines.spark import session

    warnings.simplefilter("ignore")
    path = csv_file(rows)
    t0 = time.perf_counter()
    duck = summarise(path, engine="duckdb")
    t_duck = time.perf_counter() - t0
    spark = session(os.environ.get("CLTV_XL_SPARK_MASTER", "local[2]"))
    spark.conf.set("spark.sql.shuffle.partitions", "8")
    t0 = time.perf_counter()
    sp = summarise(path, engine="spark", spark=spark)
    t_spark = time.perf_counter() - t0
    assert list(sp.index) == list(duck.index)
    diff = {}
    for c in duck.columns:
        a, b = sp[c].to_numpy(), duck[c].to_numpy()
        if np.issubdtype(a.dtype, np.datetime64):
            diff[c] = int(np.abs((a - b).astype(np.int64)).max())
        else:
            diff[c] = float(np.abs(a.astype(float) - b.astype(float)).max())
    return {"rows": rows, "customers": len(duck), "duckdb_s": round(t_duck, 2),
            "spark_s": round(t_spark, 2), "max_abs_difference": diff}


if __name__ == "__main__":
    if sys.argv[1:2] == ["--measure"]:
        result = _work(sys.argv[2], sys.argv[3])
        result["peak_mb"] = _peak_mb()
        print(json.dumps(result))
        raise SystemExit(0)
    args = sys.argv[1:]
    spark_rows = None
    if "--spark" in args:
        i = args.index("--spark")
        spark_rows = int(args[i + 1])
        del args[i:i + 2]
    baseline_root = None
    if "--baseline-root" in args:
        i = args.index("--baseline-root")
        baseline_root = Path(args[i + 1])
        del args[i:i + 2]
    repeat = 1
    if "--repeat" in args:
        i = args.index("--repeat")
        repeat = int(args[i + 1])
        del args[i:i + 2]
    report = "--report" in args or "--report-only" in args
    stages = "--report-only" not in args
    args = [a for a in args if a not in ("--report", "--report-only")]
    sizes = [int(a) for a in args] or [5_000_000]
    if stages:
        for row in run(sizes):
            print(json.dumps(row), flush=True)
        for size in sizes:
            print(json.dumps({"size": size, **measure("duckdb_score", csv_file(size))}),
                  flush=True)
    if report:
        for size in sizes:
            print(json.dumps(report_goal(size, baseline_root, repeat)), flush=True)
    if spark_rows:
        print(json.dumps(spark_vs_duckdb(spark_rows)), flush=True)
