"""Exact, finite values everywhere in the parameter space (issue 10, items 1 and 2).

References are computed independently with mpmath at 50 digits from the closed forms of the
papers: FHL 2005 = Fader, Hardie & Lee (2005), Marketing Science 24(2), eq. 9 and 10 (BG/NBD);
FH 2005 = Fader & Hardie (2005), note 009 (Pareto/NBD likelihood and P(alive)).
"""

from __future__ import annotations

import warnings

import mpmath as mp
import numpy as np
import pytest
from datasets_ref import load_donations

from cltv_xl.datasets import load_cdnow
from cltv_xl.models import (
    BGNBD,
    ConvergenceWarning,
    GammaGamma,
    ModelWarning,
    ParetoNBD,
    predict_clv,
)
from cltv_xl.models._base import RFMData
from cltv_xl.models._special import beta_geometric_expectation, log_pareto_integral
from cltv_xl.summary import rfm_summary

mp.mp.dps = 50


def mp_bg_expectation(t, A, scale, a, B):
    """(a+B-1)/(a-1) [1 - (scale/(scale+t))^A 2F1(A, B; a+B-1; t/(scale+t))] (FHL 2005 eq. 10)."""
    t, A, scale, a, B = (mp.mpf(float(v)) for v in (t, A, scale, a, B))
    C = a + B - 1
    return C / (a - 1) * (1 - (scale / (scale + t)) ** A * mp.hyp2f1(A, B, C, t / (scale + t)))


def mp_log_I(P, c1, S, c2):
    """log int_0^inf (c1+v)^-P (c2+v)^-S dv in its 2F1 form (FH 2005 note 009)."""
    P, c1, S, c2 = (mp.mpf(float(v)) for v in (P, c1, S, c2))
    m = P + S - 1
    if c1 >= c2:
        val = c1 ** -P * c2 ** (1 - S) * mp.hyp2f1(1, P, m + 1, (c1 - c2) / c1) / m
    else:
        val = c1 ** (1 - P) * c2 ** -S * mp.hyp2f1(1, S, m + 1, (c2 - c1) / c2) / m
    return mp.log(val)


def _bg(r, alpha, a, b) -> BGNBD:
    m = BGNBD()
    m.params_ = {"r": r, "alpha": alpha, "a": a, "b": b}
    return m


# ------------------------------------------------------------------------------- issue figures
def test_bgnbd_one_time_buyer_with_a_plus_b_below_one():
    """Issue 10: at r=.11, alpha=2.24, a=.31, b=.5 (a+b+x-1 < 0 for x = 0),
    E[X(30) | x=0, t_x=0, T=1] = 0.5646 and E[X(30)] of a new customer = 0.7406."""
    m = _bg(0.11, 2.24, 0.31, 0.5)
    cond = m.expected_purchases(30.0, 0, 0, 1.0)
    new = m.expected_purchases_new(30.0)
    assert round(float(cond), 4) == 0.5646 and round(float(new), 4) == 0.7406
    assert float(cond) == pytest.approx(float(mp_bg_expectation(30, 0.11, 3.24, 0.31, 0.5)),
                                        rel=1e-12)
    assert float(new) == pytest.approx(float(mp_bg_expectation(30, 0.11, 2.24, 0.31, 0.5)),
                                       rel=1e-12)


def test_bgnbd_expectation_far_beyond_alpha():
    """Issue 10: E[X(t)] for t beyond 9,000 alpha used to raise."""
    m = _bg(0.243, 4.414, 0.793, 2.426)
    t = np.array([9000 * 4.414, 1e5, 1e7])
    got = m.expected_purchases_new(t)
    want = [float(mp_bg_expectation(ti, 0.243, 4.414, 0.793, 2.426)) for ti in t]
    np.testing.assert_allclose(got, want, rtol=1e-10)
    cond = m.expected_purchases(1e7, 3, 20.0, 30.0)
    assert np.isfinite(cond) and cond > 0


# --------------------------------------------------------------------------- property tests
def _wide_params(rng, n):
    r = 10 ** rng.uniform(-2, 2, n)
    a = 10 ** rng.uniform(-2, 1.5, n)
    b = 10 ** rng.uniform(-2, 1.5, n)
    x = np.where(rng.random(n) < 0.4, 0, rng.integers(0, 200, n)).astype(float)
    scale = 10 ** rng.uniform(-1, 3, n)
    t = scale * 10 ** rng.uniform(-4, 5, n)
    a = np.where(np.abs(a - 1) < 1e-3, a + 0.01, a)  # mpmath's closed form has a pole at a = 1
    return t, r + x, scale, a, b + x


@pytest.mark.parametrize("path", ["auto", "careful"])
def test_beta_geometric_expectation_matches_mpmath(path):
    rng = np.random.default_rng(10)
    t, A, scale, a, B = _wide_params(rng, 150)
    got = beta_geometric_expectation(t, A, scale, a, B, path=path)
    want = np.array([float(mp_bg_expectation(*v)) for v in zip(t, A, scale, a, B, strict=True)])
    assert np.all(np.isfinite(got)) and np.all(got > 0)
    np.testing.assert_allclose(got, want, rtol=1e-9)


def test_pareto_integral_quadrature_matches_mpmath():
    rng = np.random.default_rng(11)
    n = 60
    P = 10 ** rng.uniform(-2, 2.5, n)
    S = 1 + 10 ** rng.uniform(-2, 1.5, n)
    c1 = 10 ** rng.uniform(-10, 4, n)
    c2 = 10 ** rng.uniform(-10, 4, n)
    got, grad = log_pareto_integral(P, c1, S, c2, grad=True)
    want = np.array([float(mp_log_I(*v)) for v in zip(P, c1, S, c2, strict=True)])
    np.testing.assert_allclose(got, want, rtol=1e-11, atol=1e-11)
    # gradient: central differences of the mpmath value in each argument
    for j in range(4):
        for i in range(0, n, 12):
            args = [P[i], c1[i], S[i], c2[i]]
            h = 1e-8 * args[j]
            up, dn = list(args), list(args)
            up[j] += h
            dn[j] -= h
            fd = float((mp_log_I(*up) - mp_log_I(*dn)) / (2 * h))
            assert grad[i, j] == pytest.approx(fd, rel=1e-6, abs=1e-9), (i, j)


def test_pareto_p_alive_with_beta_near_zero():
    """Issue 10: P(alive) at beta ~ 3e-11 used to raise FloatingPointError."""
    r, alpha, s, beta = 0.5, 10.0, 0.6, 3e-11
    m = ParetoNBD()
    m.params_ = {"r": r, "alpha": alpha, "s": s, "beta": beta}
    x, tx, T = np.array([0.0, 1.0, 5.0]), np.array([0.0, 2.0, 20.0]), np.array([30.0] * 3)
    got = m.p_alive(x, tx, T)
    for xi, txi, Ti, g in zip(x, tx, T, got, strict=True):
        # P(alive) = T0 / (T0 + s (I(t_x) - I(T))), T0 = (alpha+T)^-(r+x) (beta+T)^-s
        log_t0 = -(r + xi) * mp.log(alpha + Ti) - s * mp.log(beta + Ti)
        diff = mp.exp(mp_log_I(r + xi, alpha + txi, s + 1, beta + txi)) - mp.exp(
            mp_log_I(r + xi, alpha + Ti, s + 1, beta + Ti))
        want = mp.exp(log_t0) / (mp.exp(log_t0) + s * diff)
        assert g == pytest.approx(float(want), rel=1e-9)


# ----------------------------------------------------------------------------- fits end well
def test_paretonbd_fits_lifetimes_donations():
    """Issue 10: ParetoNBD().fit on lifetimes' donations data used to abort. The purchase-rate
    heterogeneity runs off (r, alpha -> infinity): a ConvergenceWarning names r, converged_ is
    False, and the estimate is at least as likely as lifetimes' own (r=4.996, alpha=10.234,
    s=0.0112, beta=4.07e-11)."""
    d = load_donations()
    cols = [d[c].to_numpy(float) for c in ("frequency", "recency", "periods")]
    with pytest.warns(ConvergenceWarning, match=r"\br \(= .*ran off high: the purchase rate"):
        m = ParetoNBD().fit(*cols, weights=d["weights"])
    assert not m.converged_ and m.fit_warnings_
    assert all(np.isfinite(v) for v in m.params_.values())
    data = RFMData(*cols, d["weights"].to_numpy(float))
    theirs, _ = m._loglik_total(np.array([4.996193539921439, 10.23427052862515,
                                          0.011236043517018481, 4.0728785535755326e-11]), data)
    assert m.log_likelihood_ >= theirs


def test_cdnow_nine_week_calibration_gives_finite_predictions():
    """Issue 10: the CDNOW sample with a 9-week calibration drives a and b towards 0; every
    customer still gets a finite prediction, and the fit says it did not converge."""
    s = rfm_summary(load_cdnow(), calibration_end="1997-03-04", time_unit="W")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        bg = BGNBD().fit_summary(s)
        gg = GammaGamma().fit_summary(s)
    assert not bg.converged_
    texts = [str(w.message) for w in caught if issubclass(w.category, ConvergenceWarning)]
    assert any("a (= " in t and "ran off low" in t for t in texts), texts
    out = predict_clv(bg, gg, s, horizon=12, time_unit="M", discount_rate=0.01)
    assert len(out) == len(s) == 1757
    assert np.isfinite(out.to_numpy()).all()
    assert (out["expected_purchases"] > 0).all() and (out["p_alive"] <= 1).all()


def test_poorly_identified_fit_is_flagged():
    """Standard errors above the estimates: poorly_identified_ names the parameters, a
    ModelWarning says so and fit_warnings_ keeps the text for the report."""
    s = rfm_summary(load_cdnow(), calibration_end="1997-03-04", time_unit="W")
    with pytest.warns(ModelWarning, match="poorly identified"):
        gg = GammaGamma().fit_summary(s)
    assert gg.poorly_identified_
    for name in gg.poorly_identified_:
        assert gg.standard_errors_[name] > gg.params_[name]
    assert any("poorly identified" in t for t in gg.fit_warnings_)


@pytest.mark.parametrize("cls", [BGNBD, ParetoNBD])
@pytest.mark.parametrize("case", ["all_alive_same", "huge_frequency", "tiny_T", "no_dropout"])
def test_fits_on_odd_data_end_well(cls, case):
    """A fit on odd data returns (possibly with converged_ False and a warning) or raises
    FitError/InputError; never an internal exception, never NaN estimates."""
    from cltv_xl.errors import FitError, InputError

    rng = np.random.default_rng(7)
    n = 300
    if case == "all_alive_same":  # everyone bought again on the last day
        x, tx, T = np.full(n, 2.0), np.full(n, 10.0), np.full(n, 10.0)
    elif case == "huge_frequency":
        x = rng.integers(0, 3000, n).astype(float)
        T = np.full(n, 52.0)
        tx = np.where(x > 0, T * rng.uniform(0.9, 1.0, n), 0.0)
    elif case == "tiny_T":
        T = rng.uniform(1e-6, 1e-3, n)
        x = rng.integers(0, 2, n).astype(float)
        tx = np.where(x > 0, T / 2, 0.0)
    else:  # heavy buyers whose last purchase is at T: drop-out rates run to 0
        T = rng.uniform(20, 52, n)
        x = rng.integers(1, 20, n).astype(float)
        tx = T.copy()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            m = cls().fit(x, tx, T)
    except (FitError, InputError):
        return
    assert all(np.isfinite(v) for v in m.params_.values())
    pa = m.p_alive(x, tx, T)
    ep = m.expected_purchases(10.0, x, tx, T)
    assert np.all(np.isfinite(pa)) and np.all(np.isfinite(ep))
    if not m.converged_:
        assert m.fit_warnings_


def test_log_hyp2f1_a1_matches_mpmath():
    """The Pareto/NBD's 2F1(1, b; c; z) summed in plain floating point (``log_hyp2f1_a1``):
    value and its b, c, z derivatives against mpmath (50 digits, numerical derivatives of
    mp.log(mp.hyp2f1)), over the Pareto/NBD's range b <= c, z up to 0.99, and b > c."""
    from cltv_xl.models._special import log_hyp2f1_a1

    rng = np.random.default_rng(7)
    n = 40
    b = 10 ** rng.uniform(-1, 2, n)
    c = np.where(np.arange(n) < 30, b + 10 ** rng.uniform(-1, 1.5, n), b * 0.7 + 0.1)
    z = np.concatenate([[0.0], rng.uniform(0, 0.99, n - 2), [0.985]])
    got = log_hyp2f1_a1(b, c, z, grad=True)
    def f(bb, cc, zz):
        return mp.log(mp.hyp2f1(1, bb, cc, zz))

    for i in range(n):
        B, C, Z = (mp.mpf(float(v)) for v in (b[i], c[i], z[i]))
        ref_db = mp.diff(lambda v, C=C, Z=Z: f(v, C, Z), B)
        ref_dc = mp.diff(lambda v, B=B, Z=Z: f(B, v, Z), C)
        ref_dz = mp.diff(lambda v, B=B, C=C: f(B, C, v), Z)
        assert got.value[i] == pytest.approx(float(f(B, C, Z)), rel=1e-12, abs=1e-15)
        assert got.db[i] == pytest.approx(float(ref_db), rel=1e-11, abs=1e-15)
        assert got.dc[i] == pytest.approx(float(ref_dc), rel=1e-11, abs=1e-15)
        assert got.dz[i] == pytest.approx(float(ref_dz), rel=1e-11)


def test_pareto_likelihood_over_distinct_pairs_equals_per_row():
    """I(t) evaluated once per distinct (x, t) pair (``RFMData.xt_pairs``) gives the per-row
    numbers exactly."""
    s = rfm_summary(load_cdnow(), calibration_end="1997-09-30", time_unit="W")
    x, tx, T = (s[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    m = ParetoNBD()
    p = np.array([0.55, 10.6, 0.61, 11.7])
    d = RFMData(x, tx, T, np.ones(len(x)))
    assert len(d.xt_pairs[0][0]) < 2 * len(x)
    got = m._terms(p, x, tx, T, grad=True, pairs=d.xt_pairs)
    ref = m._terms(p, x, tx, T, grad=True)
    np.testing.assert_array_equal(got[0], ref[0])
    np.testing.assert_array_equal(got[1], ref[1])
