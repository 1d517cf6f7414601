"""Benchmark: BG/NBD + Gamma-Gamma fits and per-customer discounted CLV.

Customers are simulated from the BG/NBD with the CDNOW estimates (r=0.243, alpha=4.414 weeks,
a=0.793, b=2.426; FHL 2005), acquired over 12 weeks and observed for 39 weeks at day resolution
(like the CDNOW calibration summary); spend per transaction is gamma with gamma-distributed
scale (the Gamma-Gamma story, FH 2013 CDNOW estimates p=6.25, q=3.74, gamma=15.44).

Both sides do the same work on the same data, in the same run: fit the BG/NBD on every customer
and the Gamma-Gamma on the repeat buyers, then per customer produce the 12-month discounted CLV
(1% a month), P(alive), expected spend and expected purchases over the 12 months.

* ours: ``BGNBD().fit_summary`` + ``GammaGamma().fit_summary`` + ``predict_clv``;
* baseline: lifetimes 0.11.3 (numpy arrays, never ``df.T``): ``BetaGeoFitter.fit`` +
  ``GammaGammaFitter.fit`` + ``customer_lifetime_value(freq="W", time=12)`` +
  ``conditional_probability_alive`` + ``conditional_expected_average_profit`` +
  ``conditional_expected_number_of_purchases_up_to_time(12 months)``. lifetimes' months are
  4.345 weeks, ours 365.25/12 days = 4.348 weeks: the same 12 periods.

Times are wall-clock seconds, the minimum of ``REPEATS`` runs for ours and of
``BASELINE_REPEATS`` runs for lifetimes (once at sizes above 100,000, where one run takes tens
of seconds). If lifetimes would need more than ``BASELINE_BUDGET_S`` seconds at a size
(extrapolated linearly from the previous size, or from one run at ``BASELINE_PROBE``
customers), it is timed at ``BASELINE_FALLBACK`` customers instead and the row says so.
``peak_mb`` is the peak memory traced (tracemalloc) during one extra run of ours.

Two more measurements:

* ``fits [SIZE]``: the time of each model's fit alone on ``SIZE`` simulated customers (default
  1,000,000), best of ``REPEATS``, for every model class the checked-out tree has (run it with
  another tree first on PYTHONPATH to compare with today's code); the Pareto/NBD only up to
  200,000 customers (a fit takes about a minute per 100,000 distinct rows);
* ``paths``: the BG/NBD family's conditional expectation (``_special.beta_geometric_expectation``)
  on 10,000 random parameter sets of the regimes where the fast path (scipy's hyp2f1 or the
  Gauss series) applies, timed with ``path="auto"`` and with ``path="careful"`` (the quadrature
  that is the fallback elsewhere), with the largest relative difference between the two.

* ``compare ROWS [TREE]``: the report's model choice, :func:`cltv_xl.models.compare_models` on
  the comparison sample (``cltv_xl.pipeline.comparison_sample``, 10,000 customers) of the
  weekly summary of ``bench/generate.transactions(ROWS)``, timed in fresh subprocesses; with
  ``TREE`` (a directory holding another ``cltv_xl``, e.g. ``git archive <commit> cltv_xl |
  tar -x -C TREE``) that tree and this one alternate ``COMPARE_ROUNDS`` times and the medians
  are compared, with each side's log-likelihoods (``*_values``: the same estimates);
* ``clv ROWS [TREE]``: the same for ``predict_clv`` (52 weekly periods) on that whole summary,
  with each side's sums of CLV and of expected purchases.

Usage: python bench/bench_models.py [SIZE ...]      (default: 100000 1000000)
       python bench/bench_models.py distinct [SIZE] [ROUNDS]  (default 400000 2; issue 16)
       python bench/bench_models.py fits [SIZE]
       python bench/bench_models.py paths
       python bench/bench_models.py compare [ROWS] [TREE]  (default 1000000)
       python bench/bench_models.py clv [ROWS] [TREE]      (default 1000000)
"""

from __future__ import annotations

import json
import sys
import time
import tracemalloc
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cltv_xl.models import BGNBD, GammaGamma, predict_clv

BENCHMARK = "BG/NBD + Gamma-Gamma fit + 12-month CLV, P(alive), spend, purchases"
BASELINE = "lifetimes 0.11.3"
REPEATS = 3
BASELINE_REPEATS = 2
BASELINE_BUDGET_S = 120.0
BASELINE_FALLBACK = 300_000
BASELINE_PROBE = 100_000


def simulate(n: int, seed: int = 1, *, distinct: bool = False) -> pd.DataFrame:
    """A weekly rfm summary of ``n`` BG/NBD customers (day-resolution times; with
    ``distinct``, times to the second, so that nearly every (x, t_x, T) row is distinct, as in
    a log of timestamps)."""
    rng = np.random.default_rng(seed)
    r, alpha, a, b = 0.243, 4.414, 0.793, 2.426
    lam = rng.gamma(r, 1.0 / alpha, n)  # purchases per week
    p = rng.beta(a, b, n)
    first_day = rng.integers(0, 84, n).astype(np.float64)
    if distinct:
        first_day += np.round(rng.random(n) * 86400) / 86400
    T_days = 272 - first_day
    t = np.zeros(n)
    last = np.zeros(n)
    x = np.zeros(n, dtype=np.int64)
    active = np.arange(n)
    while active.size:
        t[active] += rng.exponential(1.0, active.size) / np.maximum(lam[active], 1e-12) * 7.0
        ok = t[active] <= T_days[active]
        active = active[ok]
        x[active] += 1
        last[active] = t[active]
        alive = rng.random(active.size) >= p[active]
        active = active[alive]
    recency_days = np.round(last * 86400) / 86400 if distinct else np.floor(last)
    pq, gq, pp = 3.74, 15.44, 6.25
    nu = rng.gamma(pq, 1.0 / gq, n)
    mean_spend = np.where(x > 0, rng.gamma(pp * np.maximum(x, 1), 1.0, n) / (nu * np.maximum(x, 1)),
                          0.0)
    out = pd.DataFrame(
        {
            "frequency": x,
            "recency": np.where(x > 0, recency_days, 0.0) / 7.0,
            "T": T_days / 7.0,
            "monetary_value": np.round(mean_spend, 2),
        },
        index=pd.Index(np.arange(n).astype(str), name="customer_id"),
    )
    out.attrs["time_unit"] = "W"
    return out


def ours(summary: pd.DataFrame) -> pd.DataFrame:
    bg = BGNBD().fit_summary(summary)
    gg = GammaGamma().fit_summary(summary)
    return predict_clv(bg, gg, summary, horizon=12, time_unit="M", discount_rate=0.01)


def lifetimes_baseline(summary: pd.DataFrame) -> pd.DataFrame:
    from lifetimes import BetaGeoFitter, GammaGammaFitter

    x = summary["frequency"].to_numpy(float)
    tx = summary["recency"].to_numpy(float)
    tt = summary["T"].to_numpy(float)
    m = summary["monetary_value"].to_numpy(float)
    bg = BetaGeoFitter().fit(x, tx, tt)
    rep = x > 0
    gg = GammaGammaFitter().fit(x[rep], m[rep])
    m_all = np.where(rep, m, 0.0)
    # lifetimes' freq="W" with a 12-month horizon (it uses 4.345-week months internally).
    clv = gg.customer_lifetime_value(
        bg, pd.Series(x), pd.Series(tx), pd.Series(tt), pd.Series(m_all),
        time=12, discount_rate=0.01, freq="W",
    )
    return pd.DataFrame({
        "expected_purchases": bg.conditional_expected_number_of_purchases_up_to_time(
            12 * 4.345, x, tx, tt),
        "p_alive": bg.conditional_probability_alive(x, tx, tt),
        "expected_spend": gg.conditional_expected_average_profit(x, m_all),
        "clv": clv.to_numpy(),
    })


def _quiet(fn, *args):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args)


def _best_time(fn, summary: pd.DataFrame, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        _quiet(fn, summary)
        best = min(best, time.perf_counter() - t0)
    return best


def _peak_mb(fn, summary: pd.DataFrame) -> float:
    tracemalloc.start()
    _quiet(fn, summary)
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return peak


def _head(summary: pd.DataFrame, n: int) -> pd.DataFrame:
    out = summary.iloc[:n]
    out.attrs.update(summary.attrs)
    return out


def agreement(n: int = 20_000) -> dict[str, float]:
    """Largest relative difference between ours and lifetimes per output column (untimed): a
    check that both sides compute the same things. lifetimes' 4.345-week month and its own
    fitted parameters make small differences expected."""
    summary = simulate(n, seed=2)
    a = _quiet(ours, summary).reset_index(drop=True)
    b = _quiet(lifetimes_baseline, summary)
    return {c: float(np.max(np.abs(a[c] - b[c]) / np.maximum(np.abs(b[c]), 1e-9))) for c in b}


def run(sizes=(100_000, 1_000_000)) -> list[dict]:
    rows = []
    per_customer = None  # lifetimes seconds per customer at the previous size
    for size in sizes:
        summary = simulate(size)
        _quiet(ours, _head(summary, 1000))  # warm-up (imports)
        ours_s = _best_time(ours, summary, REPEATS)
        if per_customer is None and size > BASELINE_PROBE:  # estimate lifetimes' time first
            per_customer = _best_time(lifetimes_baseline, _head(summary, BASELINE_PROBE), 1)
            per_customer /= BASELINE_PROBE
        baseline, data = BASELINE, summary
        if per_customer is not None and per_customer * size > BASELINE_BUDGET_S:
            n = min(size, BASELINE_FALLBACK)
            baseline = (f"{BASELINE}, timed at {n:,} customers (at {size:,} it would take about "
                        f"{per_customer * size:.0f} s); speedup compares ours at {n:,} too")
            data = _head(summary, n)
        base_s = _best_time(lifetimes_baseline, data, BASELINE_REPEATS if len(data) <= 100_000
                            else 1)
        per_customer = base_s / len(data)
        ours_same = ours_s if data is summary else _best_time(ours, data, REPEATS)
        rows.append({
            "benchmark": BENCHMARK, "size": size, "ours_s": round(ours_s, 3),
            "baseline": baseline, "baseline_s": round(base_s, 2),
            "speedup": round(base_s / ours_same, 1), "peak_mb": round(_peak_mb(ours, summary), 1),
        })
    return rows


def distinct(n: int = 400_000, rounds: int = 2) -> dict:
    """Issue 16's mostly-distinct goal: times to the second (nearly every (x, t_x, T) row
    distinct), ours and lifetimes interleaved ``rounds`` times (medians), and the traced peak
    memory of each."""
    summary = simulate(n, seed=4, distinct=True)
    _quiet(ours, _head(summary, 1000))  # warm-up (imports)
    _quiet(lifetimes_baseline, _head(summary, 1000))
    ours_t, base_t = [], []
    for _ in range(rounds):
        ours_t.append(_best_time(ours, summary, 1))
        base_t.append(_best_time(lifetimes_baseline, summary, 1))
    o, b = float(np.median(ours_t)), float(np.median(base_t))
    po, pb = _peak_mb(ours, summary), _peak_mb(lifetimes_baseline, summary)
    return {"benchmark": f"{BENCHMARK} (mostly distinct rows)", "size": n,
            "distinct_rows": len(summary.drop_duplicates(["frequency", "recency", "T"])),
            "ours_s": round(o, 2), "baseline": BASELINE, "baseline_s": round(b, 2),
            "speedup": round(b / o, 1), "peak_mb": round(po), "baseline_peak_mb": round(pb),
            "peak_ratio": round(po / pb, 2), "ours_runs": [round(v, 2) for v in ours_t],
            "baseline_runs": [round(v, 2) for v in base_t]}


def fit_times(size: int = 1_000_000) -> list[dict]:
    """Seconds per fit of each model class on ``size`` simulated customers (best of REPEATS)."""
    import cltv_xl.models as models

    summary = simulate(size)
    rows = []
    for name in ("BGNBD", "MBGNBD", "ParetoNBD", "GammaGamma"):
        cls = getattr(models, name, None)
        if cls is None or (name == "ParetoNBD" and size > 200_000):  # minutes per fit there
            continue
        _quiet(lambda s, c=cls: c().fit_summary(s), _head(summary, 1000))  # warm-up

        def fit(s, c=cls):
            return c().fit_summary(s)

        rows.append({"benchmark": f"{name} fit", "size": size,
                     "seconds": round(_best_time(fit, summary, REPEATS), 3)})
    return rows


def special_paths(n: int = 10_000) -> dict:
    """Fast path against careful path of the BG/NBD expectation, where both apply."""
    from cltv_xl.models._special import beta_geometric_expectation

    rng = np.random.default_rng(3)
    A = 10 ** rng.uniform(-2, 1.4, n)
    a = 10 ** rng.uniform(-1, 1.4, n)
    B = 10 ** rng.uniform(-1, 1.4, n)
    a = np.where(np.abs(a - 1) < 1e-3, a + 0.01, a)
    B = np.where(a + B - 1.0 > 0.05, B, 1.05 - a + B)  # c = a + B - 1 > 0: the fast regime
    scale = 10 ** rng.uniform(0, 2, n)
    t = scale * rng.uniform(0.0, 8.0, n)  # z = t / (scale + t) up to 0.89
    out = {}
    for path in ("auto", "careful"):
        t0 = time.perf_counter()
        out[path] = beta_geometric_expectation(t, A, scale, a, B, path=path)
        out[f"{path}_s"] = round(time.perf_counter() - t0, 4)
    diff = np.abs(out["auto"] - out["careful"]) / np.maximum(np.abs(out["careful"]), 1e-300)
    return {"values": n, "fast_s": out["auto_s"], "careful_s": out["careful_s"],
            "max_rel_diff": float(diff.max())}


COMPARE_ROUNDS = 5

_COMPARE_CHILD = """
import pickle, sys, time, warnings
sys.path.insert(0, sys.argv[1])
from cltv_xl.models import compare_models
warnings.simplefilter("ignore")
sample, attrs = pickle.load(open(sys.argv[2], "rb"))
sample.attrs.update(attrs)
compare_models(sample.iloc[:500])  # warm-up: imports, first allocations
t0 = time.perf_counter()
cmp = compare_models(sample)
print(time.perf_counter() - t0)
print({k: float(v) for k, v in cmp.table["log_likelihood"].items()})
"""

_CLV_CHILD = """
import pickle, sys, time, warnings
sys.path.insert(0, sys.argv[1])
import numpy as np
from cltv_xl.models import BGNBD, GammaGamma, predict_clv
warnings.simplefilter("ignore")
s, attrs = pickle.load(open(sys.argv[2], "rb"))
s.attrs.update(attrs)
bg = BGNBD().fit_summary(s)
gg = GammaGamma().fit_summary(s[(s["frequency"] > 0) & (s["monetary_value"] > 0)])
predict_clv(bg, gg, s.iloc[:500], horizon=52, time_unit="W", discount_rate=0.0023)  # warm-up
t0 = time.perf_counter()
out = predict_clv(bg, gg, s, horizon=52, time_unit="W", discount_rate=0.0023)
print(time.perf_counter() - t0)
print({"clv_sum": float(out["clv"].sum()), "purchases_sum": float(out["expected_purchases"].sum())})
"""


def clv_report_summary(rows: int = 1_000_000, against: str | None = None) -> dict:
    """``predict_clv`` (52 weekly periods, BG/NBD + Gamma-Gamma) on the weekly summary of
    ``bench/generate.transactions(rows)`` (the report's customers), this tree against
    ``against`` (alternating subprocesses; medians; each side's sums of CLV and purchases)."""
    return compare_choice(rows, against, child=_CLV_CHILD, sample=False,
                          what="predict_clv, 52 weekly periods, on the report's summary")


def compare_choice(rows: int = 1_000_000, against: str | None = None, *,
                   child: str = _COMPARE_CHILD, sample: bool = True,
                   what: str = "compare_models (BG/NBD, MBG/NBD, Pareto/NBD) on the "
                               "comparison sample") -> dict:
    """``compare_models`` on the report's comparison sample (or ``child`` on the whole
    summary), this tree against ``against`` (alternating subprocesses; medians)."""
    import pickle
    import subprocess
    import tempfile

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from generate import transactions

    from cltv_xl import pipeline
    from cltv_xl.assumptions import Assumptions
    from cltv_xl.transactions import Transactions

    frame = transactions(rows).rename(columns={"Customer ID": "customer_id",
                                               "Order Date": "date", "Amount": "amount"})
    summary = pipeline.summarise(Transactions.from_frame(frame), Assumptions())
    data = pipeline.comparison_sample(summary) if sample else summary
    here = str(Path(__file__).resolve().parents[1])
    trees = {"ours": here} | ({"baseline": str(Path(against).resolve())} if against else {})
    times: dict[str, list[float]] = {k: [] for k in trees}
    lls = {}
    with tempfile.NamedTemporaryFile(suffix=".pkl") as f:
        pickle.dump((data, dict(data.attrs)), f)
        f.flush()
        for _ in range(COMPARE_ROUNDS):
            for key, tree in trees.items():
                out = subprocess.run([sys.executable, "-c", child, tree, f.name],
                                     capture_output=True, text=True, check=True).stdout
                seconds, ll = out.strip().splitlines()[-2:]
                times[key].append(float(seconds))
                lls[key] = ll
    row = {"benchmark": what, "rows": rows, "customers": len(summary), "sample": len(data),
           "ours_s": round(float(np.median(times["ours"])), 3),
           "ours_runs": [round(t, 3) for t in times["ours"]], "ours_values": lls["ours"]}
    if against:
        row |= {"baseline": against,
                "baseline_s": round(float(np.median(times["baseline"])), 3),
                "baseline_runs": [round(t, 3) for t in times["baseline"]],
                "baseline_values": lls["baseline"],
                "speedup": round(float(np.median(times["baseline"]) / np.median(times["ours"])),
                                 1)}
    return row


if __name__ == "__main__":
    if sys.argv[1:2] == ["distinct"]:
        print(json.dumps(distinct(int(sys.argv[2]) if len(sys.argv) > 2 else 400_000,
                                  int(sys.argv[3]) if len(sys.argv) > 3 else 2)))
    elif sys.argv[1:2] == ["fits"]:
        for row in fit_times(int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000):
            print(row)
    elif sys.argv[1:2] == ["compare"]:
        print(json.dumps(compare_choice(int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000,
                                        sys.argv[3] if len(sys.argv) > 3 else None)))
    elif sys.argv[1:2] == ["clv"]:
        print(json.dumps(clv_report_summary(int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000,
                                            sys.argv[3] if len(sys.argv) > 3 else None)))
    elif sys.argv[1:2] == ["paths"]:
        print(special_paths())
    else:
        print("max relative difference, ours vs lifetimes:", agreement(), flush=True)
        for row in run(tuple(int(s) for s in sys.argv[1:]) or (100_000, 1_000_000)):
            print(row)
