"""predict_clv's daily-horizon grid is evaluated in blocks of periods (issue 12, item 3): the
same numbers as the whole pairs x periods grid, with memory bounded by the block."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

from cltv_xl.datasets import load_cdnow
from cltv_xl.models import BGNBD, GammaGamma, predict_clv
from cltv_xl.models import clv as clv_module
from cltv_xl.models._fitting import compress
from cltv_xl.summary import rfm_summary
from cltv_xl.timeunits import convert


@pytest.fixture(scope="module")
def fitted():
    s = rfm_summary(load_cdnow(), calibration_end="1997-09-30", time_unit="D")
    bg = BGNBD().fit_summary(s)
    rep = s[s["frequency"] > 0]
    gg = GammaGamma().fit_summary(rep)
    return s, bg, gg


def _unblocked(bg, gg, s, horizon, unit, d):
    """The whole grid at once: the formula of predict_clv's docstring, written out."""
    ends = clv_module._period_ends(horizon)
    t = convert(ends, unit, "D")
    x, tx, tt = (s[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    (ux, uT), inv, _ = compress(x, tt)
    cum = bg.expected_purchases_if_alive(t[None, :], ux[:, None], uT[:, None])
    inc = np.diff(cum, axis=1, prepend=0.0)
    disc = (inc * (1 + d) ** -ends).sum(axis=1)
    pa = bg.p_alive(x, tx, tt)
    spend = gg.expected_spend(s["frequency"], s["monetary_value"]).to_numpy()
    return cum[:, -1][inv] * pa, pa * disc[inv] * spend


@pytest.mark.parametrize("block", [1, 7, 1000, 1 << 30])
def test_blocks_match_the_whole_grid(fitted, monkeypatch, block):
    s, bg, gg = fitted
    s = s.iloc[:400]
    monkeypatch.setattr(clv_module, "GRID_BLOCK", block)
    got = predict_clv(bg, gg, s, horizon=100.5, time_unit="D", discount_rate=0.0003)
    purchases, value = _unblocked(bg, gg, s, 100.5, "D", 0.0003)
    np.testing.assert_allclose(got["expected_purchases"], purchases, rtol=1e-12, atol=0)
    np.testing.assert_allclose(got["clv"], value, rtol=1e-12, atol=0)


def test_ten_year_daily_horizon_stays_within_a_block(fitted):
    """3,650 daily periods on CDNOW in days: the whole grid would take about 1.85 GiB."""
    s, bg, gg = fitted
    tracemalloc.start()
    try:
        got = predict_clv(bg, gg, s, horizon=3650, time_unit="D", discount_rate=0.0003)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 300 * 2**20
    assert np.all(np.isfinite(got["clv"])) and np.all(got["clv"] >= 0)
    # more days never lower the expected purchases
    short = predict_clv(bg, gg, s, horizon=365, time_unit="D", discount_rate=0.0003)
    assert np.all(got["expected_purchases"].to_numpy() >= short["expected_purchases"].to_numpy())


@pytest.mark.parametrize("seed", range(4))
def test_grid_expectation_equals_direct(seed):
    """beta_geometric_grid (2F1 interpolated per distinct x) against the direct evaluation,
    over parameters in and out of the fast regime (a < 1, a near 1, large x, long horizons)."""
    from cltv_xl.models._special import beta_geometric_expectation, beta_geometric_grid

    rng = np.random.default_rng(seed)
    r, alpha = rng.uniform(0.1, 3.0), rng.uniform(0.5, 50.0)
    a, b = rng.choice([0.3, 0.79, 1.0 + 1e-8, 2.5]), rng.uniform(0.2, 5.0)
    x = rng.integers(0, 40, 3000).astype(float)
    T = rng.uniform(0.0, 80.0, 3000)
    t = np.arange(1, 1 + rng.integers(5, 60)) * rng.uniform(0.2, 5.0)
    got = beta_geometric_grid(t, r + x, alpha + T, a, b + x)
    ref = beta_geometric_expectation(t[None, :], (r + x)[:, None], (alpha + T)[:, None], a,
                                     (b + x)[:, None])
    np.testing.assert_allclose(got, ref, rtol=1e-11, atol=0)


@pytest.fixture(scope="module")
def distinct_summary():
    """20,000 BG/NBD customers with continuous times: nearly every (x, T) pair distinct."""
    import pandas as pd
    from model_sim import bgnbd

    rng = np.random.default_rng(11)
    x, tx, T = bgnbd(rng, 20_000, 0.243, 4.414, 0.793, 2.426, T_max=39.0)
    s = pd.DataFrame({"frequency": x, "recency": tx, "T": T,
                      "monetary_value": np.where(x > 0, rng.gamma(6.0, 5.0, len(x)), 0.0)})
    s.attrs["time_unit"] = "W"
    return s


@pytest.mark.parametrize("model", ["bgnbd", "mbgnbd", "paretonbd"])
@pytest.mark.parametrize(("horizon", "unit", "rate"), [(12, "M", 0.01), (365, "D", 0.0003),
                                                      (3.5, "W", 0.02)])
def test_interpolated_sums_equal_the_grid(distinct_summary, monkeypatch, model, horizon, unit,
                                          rate):
    """Per x, the discounted sums are interpolated in log(T + c) (``clv._alive_sums``; c is
    alpha, or min(alpha, beta) for the Pareto/NBD): the same numbers as the exact grid, to the
    grid's own accuracy."""
    from cltv_xl.models import MBGNBD, ParetoNBD

    s = distinct_summary
    bg = {"bgnbd": BGNBD, "mbgnbd": MBGNBD, "paretonbd": ParetoNBD}[model]().fit_summary(s)
    gg = GammaGamma().fit_summary(s)
    used = []
    real = clv_module.chebval
    monkeypatch.setattr(clv_module, "chebval", lambda *a: used.append(1) or real(*a))
    got = predict_clv(bg, gg, s, horizon=horizon, time_unit=unit, discount_rate=rate)
    assert used  # the interpolated path ran
    monkeypatch.setattr(clv_module, "INTERP_MIN_PAIRS", 10**12)
    ref = predict_clv(bg, gg, s, horizon=horizon, time_unit=unit, discount_rate=rate)
    for col in ("expected_purchases", "clv", "p_alive"):
        np.testing.assert_allclose(got[col], ref[col], rtol=1e-10, atol=0)


def test_interpolated_sums_against_quadrature(distinct_summary):
    """Against the careful path (quadrature of FHL 2005 eq. 7 averaged over lambda) on a
    sample of customers: the interpolant is as accurate as the grid."""
    from cltv_xl.models._special import beta_geometric_expectation

    s = distinct_summary
    bg = BGNBD().fit_summary(s)
    x, T = s["frequency"].to_numpy(), s["T"].to_numpy()
    ends = clv_module._period_ends(12)
    t = convert(ends, "M", "W")
    disc = 1.01 ** -ends
    last, summed = clv_module._alive_sums(bg, t, disc, x, T)
    r, alpha, a, b = bg.check_fitted()
    pick = np.random.default_rng(0).choice(len(x), 300, replace=False)
    cum = beta_geometric_expectation(t[None, :], (r + x[pick])[:, None],
                                     (alpha + T[pick])[:, None], a, (b + x[pick])[:, None],
                                     path="careful")
    np.testing.assert_allclose(last[pick], cum[:, -1], rtol=1e-12)
    np.testing.assert_allclose(summed[pick], (np.diff(cum, axis=1, prepend=0.0) * disc).sum(1),
                               rtol=1e-12)


def test_failed_interpolation_check_falls_back_to_the_grid(distinct_summary, monkeypatch):
    s = distinct_summary
    bg = BGNBD().fit_summary(s)
    gg = GammaGamma().fit_summary(s)
    ref_mod = {"INTERP_MIN_PAIRS": 10**12}
    monkeypatch.setattr(clv_module, "INTERP_TOL", 0.0)
    monkeypatch.setattr(clv_module, "INTERP_TOL_NOISY", 0.0)  # every check fails
    got = predict_clv(bg, gg, s, horizon=12, time_unit="M", discount_rate=0.01)
    for k, v in ref_mod.items():
        monkeypatch.setattr(clv_module, k, v)
    ref = predict_clv(bg, gg, s, horizon=12, time_unit="M", discount_rate=0.01)
    np.testing.assert_array_equal(got["clv"].to_numpy(), ref["clv"].to_numpy())


def test_x_groups_partition_the_rows():
    x = np.array([3.0, 0.0, 3.0, 1.0, 0.0, 7.5, 3.0])
    groups = clv_module._x_groups(x)
    assert sorted(np.concatenate(groups).tolist()) == list(range(len(x)))
    for g in groups:
        assert len(set(x[g])) == 1
    assert len(groups) == 4


def test_grid_interpolates_2f1_beyond_scipys_regime(monkeypatch):
    """Frequent buyers (r + x, b + x above FAST_MAX_PARAM): log 2F1 is interpolated in z from
    Gauss-series values at the nodes (not scipy's), and equals the direct evaluation."""
    from cltv_xl.models import _special

    calls = []
    real = _special._cheb_log_hyp2f1
    monkeypatch.setattr(_special, "_cheb_log_hyp2f1",
                        lambda *a, **k: calls.append(k.get("scipy", True)) or real(*a, **k))
    rng = np.random.default_rng(9)
    r, alpha, a, b = 0.33, 1.44, 2.51, 9.45
    x = rng.integers(25, 120, 4000).astype(float)
    T = rng.uniform(0.0, 104.0, 4000)
    t = np.arange(1.0, 53.0)  # z up to 52 / 53.4 = 0.97
    got = _special.beta_geometric_grid(t, r + x, alpha + T, a, b + x)
    assert False in calls  # the series-noded interpolant ran
    ref = _special.beta_geometric_expectation(t[None, :], (r + x)[:, None],
                                              (alpha + T)[:, None], a, (b + x)[:, None])
    np.testing.assert_allclose(got, ref, rtol=1e-11, atol=0)
