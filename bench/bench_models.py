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

Usage: python bench/bench_models.py [SIZE ...]      (default: 100000 1000000)
"""

from __future__ import annotations

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


def simulate(n: int, seed: int = 1) -> pd.DataFrame:
    """A weekly rfm summary of ``n`` BG/NBD customers (day-resolution times)."""
    rng = np.random.default_rng(seed)
    r, alpha, a, b = 0.243, 4.414, 0.793, 2.426
    lam = rng.gamma(r, 1.0 / alpha, n)  # purchases per week
    p = rng.beta(a, b, n)
    first_day = rng.integers(0, 84, n)
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
    recency_days = np.floor(last)
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


if __name__ == "__main__":
    print("max relative difference, ours vs lifetimes:", agreement(), flush=True)
    for row in run(tuple(int(s) for s in sys.argv[1:]) or (100_000, 1_000_000)):
        print(row)
