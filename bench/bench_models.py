"""Benchmark: BG/NBD + Gamma-Gamma fits and per-customer discounted CLV.

Customers are simulated from the BG/NBD with the CDNOW estimates (r=0.243, alpha=4.414 weeks,
a=0.793, b=2.426; FHL 2005), acquired over 12 weeks and observed for 39 weeks at day resolution
(like the CDNOW calibration summary); spend per transaction is gamma with gamma-distributed
scale (the Gamma-Gamma story, FH 2013 CDNOW estimates p=6.25, q=3.74, gamma=15.44).

The baseline is lifetimes 0.11.3 (BetaGeoFitter + GammaGammaFitter + customer_lifetime_value),
timed on at most ``BASELINE_MAX`` customers because it is slow; ours is timed on that same data
too (that row's speed-up compares like with like), and on the full size.

Usage: python bench/bench_models.py [SIZE ...]
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

BASELINE_MAX = 100_000


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


def lifetimes_baseline(summary: pd.DataFrame) -> pd.Series:
    from lifetimes import BetaGeoFitter, GammaGammaFitter

    x = summary["frequency"].to_numpy(float)
    tx = summary["recency"].to_numpy(float)
    tt = summary["T"].to_numpy(float)
    m = summary["monetary_value"].to_numpy(float)
    bg = BetaGeoFitter().fit(x, tx, tt)
    rep = x > 0
    gg = GammaGammaFitter().fit(x[rep], m[rep])
    # lifetimes' freq="W" with a 12-month horizon (it uses 30-day months internally).
    return gg.customer_lifetime_value(
        bg, pd.Series(x), pd.Series(tx), pd.Series(tt), pd.Series(np.where(rep, m, 0.0)),
        time=12, discount_rate=0.01, freq="W",
    )


def _timed(fn, *args) -> tuple[float, float]:
    """Wall time of one call (untraced), then peak traced memory of a second call (MB)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t0 = time.perf_counter()
        fn(*args)
        elapsed = time.perf_counter() - t0
        tracemalloc.start()
        fn(*args)
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    return elapsed, peak


def run(sizes=(1_000_000,)) -> list[dict]:
    rows = []
    for size in sizes:
        summary = simulate(size)
        ours(summary.iloc[:1000])  # warm-up (imports)
        base_n = min(size, BASELINE_MAX)
        small = summary.iloc[:base_n]
        small.attrs.update(summary.attrs)
        ours_small, peak_small = _timed(ours, small)
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            lifetimes_baseline(small)
        base_s = time.perf_counter() - t0
        rows.append({
            "benchmark": "BG/NBD + Gamma-Gamma fit + 12-month CLV",
            "size": base_n, "ours_s": ours_small, "baseline": "lifetimes 0.11.3",
            "baseline_s": base_s, "speedup": base_s / ours_small, "peak_mb": peak_small,
        })
        if size > base_n:
            t_full, peak = _timed(ours, summary)
            rows.append({
                "benchmark": "BG/NBD + Gamma-Gamma fit + 12-month CLV",
                "size": size, "ours_s": t_full, "baseline": None, "baseline_s": None,
                "speedup": None, "peak_mb": peak,
            })
    return rows


if __name__ == "__main__":
    sizes = tuple(int(s) for s in sys.argv[1:]) or (1_000_000,)
    for row in run(sizes):
        print(row)
