"""Gradients, degenerate data, scale, predict_clv and holdout/tracking of cltv_xl.models."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.special import hyp2f1

from cltv_xl.datasets import CDNOW_CALIBRATION_END, CDNOW_END, load_cdnow
from cltv_xl.errors import FitError, InputError
from cltv_xl.models import (
    BGNBD,
    ConvergenceWarning,
    GammaGamma,
    ModelWarning,
    ParetoNBD,
    calibration_holdout,
    predict_clv,
    tracking,
)
from cltv_xl.models._base import RFMData
from cltv_xl.models._fitting import compress
from cltv_xl.models._special import log_hyp2f1
from cltv_xl.models.gammagamma import _SpendData
from cltv_xl.summary import rfm_summary
from cltv_xl.timeunits import convert

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def pub() -> pd.DataFrame:
    return pd.read_csv(DATA / "cdnow_customers_summary.csv")


@pytest.fixture(scope="module")
def summary() -> pd.DataFrame:
    return rfm_summary(load_cdnow(), calibration_end=CDNOW_CALIBRATION_END, time_unit="W")


@pytest.fixture(scope="module")
def fitted(summary):
    return BGNBD().fit_summary(summary), GammaGamma().fit_summary(summary)


def _rfm(pub) -> RFMData:
    x, tx, tt = (pub[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    return RFMData(x, tx, tt, np.ones(len(x)))


def _fd_check(loglik, params, *args):
    _, g = loglik(params, *args)
    for j in range(len(params)):
        h = 1e-6 * params[j]
        up, dn = params.copy(), params.copy()
        up[j] += h
        dn[j] -= h
        fd = (loglik(up, *args)[0] - loglik(dn, *args)[0]) / (2 * h)
        np.testing.assert_allclose(g[:, j], fd, rtol=2e-5, atol=1e-7)


# ---------------------------------------------------------------------------- analytic gradients
def test_bgnbd_gradient_matches_finite_differences(pub):
    _fd_check(BGNBD()._loglik, np.array([0.243, 4.414, 0.793, 2.426]), _rfm(pub))


@pytest.mark.parametrize("params", [[0.553, 10.578, 0.606, 11.669], [0.553, 14.0, 0.606, 3.0],
                                    [1.3, 2.0, 1.7, 25.0]])
def test_paretonbd_gradient_matches_finite_differences(pub, params):
    # Covers both branches of the hypergeometric form (alpha >= beta and alpha < beta).
    _fd_check(ParetoNBD()._loglik, np.array(params), _rfm(pub))


def test_gammagamma_gradient_matches_finite_differences():
    rng = np.random.default_rng(3)
    x = rng.integers(1, 12, 300).astype(float)
    m = rng.gamma(3.0, 10.0, 300)
    ux, xi = np.unique(x, return_inverse=True)
    _fd_check(GammaGamma._loglik, np.array([6.25, 3.74, 15.44]), x, m, ux, xi)


# ------------------------------------------------------------------------- degenerate data
@pytest.mark.parametrize("model", [BGNBD, ParetoNBD])
def test_all_one_time_buyers_raises(model):
    with pytest.raises(FitError, match="one-time buyers"):
        model().fit(np.zeros(50), np.zeros(50), np.linspace(1, 30, 50))


@pytest.mark.parametrize("model", [BGNBD, ParetoNBD])
def test_single_customer_raises(model):
    with pytest.raises(FitError, match="single customer"):
        model().fit([2], [5.0], [10.0])


@pytest.mark.parametrize("model", [BGNBD, ParetoNBD])
def test_all_purchases_on_one_day_raises(model):
    with pytest.raises(FitError, match="T is 0"):
        model().fit(np.zeros(10), np.zeros(10), np.zeros(10))


def test_constant_spend_raises():
    with pytest.raises(FitError, match="spend does not vary"):
        GammaGamma().fit([1, 2, 3, 4], [20.0, 20.0, 20.0, 20.0])


@pytest.mark.filterwarnings("ignore::cltv_xl.models.ConvergenceWarning")
def test_nearly_constant_spend_warns():
    rng = np.random.default_rng(1)
    x = rng.integers(1, 5, 200)
    with pytest.warns(ModelWarning, match="q = .* is huge"):
        g = GammaGamma().fit(x, 20 + 1e-7 * rng.standard_normal(200))
    assert not g.converged_
    assert g.expected_spend(3, 20.0) == pytest.approx(20.0, rel=1e-4)


def test_unidentified_fit_warns_and_flags():
    # Every customer bought on its last day: nobody has lapsed, so drop-out is not identified.
    rng = np.random.default_rng(1)
    x = rng.integers(1, 5, 200).astype(float)
    T = rng.uniform(10, 40, 200)
    with pytest.warns(ConvergenceWarning):
        m = BGNBD().fit(x, T, T)
    assert m.converged_ is False


def test_gammagamma_rejects_zero_frequency():
    with pytest.raises(InputError, match=r"repeat buyers only: 1 of 3 customers have frequency 0"):
        GammaGamma().fit([0, 1, 2], [0.0, 10.0, 12.0])


@pytest.mark.parametrize(
    ("args", "match"),
    [(([1, 2], [1.0], [2.0, 3.0]), "same length"), (([1], [5.0], [3.0]), "recency must not"),
     (([1.5], [1.0], [3.0]), "whole numbers"), (([0], [1.0], [3.0]), "recency must be 0"),
     (([1], [np.nan], [3.0]), "missing")],
)
def test_bad_inputs(args, match):
    with pytest.raises(InputError, match=match):
        BGNBD().fit(*args)


def test_unfitted_model_raises():
    with pytest.raises(InputError, match="not fitted"):
        BGNBD().p_alive(1, 1.0, 2.0)


# ----------------------------------------------------------------------------------- scale
def test_ten_million_customers_by_weights(pub):
    # The CDNOW base replicated to ~10 million customers through weights: same optimum.
    x, tx, tt = (pub[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    w = np.full(len(x), 10_000_000 / len(x))
    m = BGNBD().fit(x, tx, tt, weights=w)
    ref = BGNBD().fit(x, tx, tt)
    for k in ref.params_:
        assert m.params_[k] == pytest.approx(ref.params_[k], rel=1e-5)
    assert m.n_customers_ == pytest.approx(10_000_000)
    assert m.log_likelihood_ == pytest.approx(ref.log_likelihood_ * w[0], rel=1e-6)


def test_ten_million_rows_compress(pub):
    # A real 10M-row input: compression to distinct (x, t_x, T) rows keeps the fit cheap.
    reps = -(-10_000_000 // len(pub))
    x, tx, tt = (np.tile(pub[c].to_numpy(float), reps) for c in ("frequency", "recency", "T"))
    assert len(x) >= 10_000_000
    m = BGNBD().fit(x, tx, tt, time_unit="W")
    assert m.n_customers_ == len(x)
    assert round(m.params_["r"], 3) == 0.243 and round(m.params_["b"], 3) == 2.426


# ------------------------------------------------------------------------------ predict_clv
def test_predict_clv_matches_period_sum(summary, fitted):
    bg, gg = fitted
    out = predict_clv(bg, gg, summary, horizon=12, time_unit="M", discount_rate=0.01, margin=0.3)
    assert list(out.columns) == ["expected_purchases", "p_alive", "expected_spend", "clv"]
    assert out.index.equals(summary.index)
    x, tx, tt, mv = (summary[c].to_numpy() for c in ("frequency", "recency", "T", "monetary_value"))
    weeks = convert(np.arange(0, 13.0), "M", "W")  # 12 months in the model's weeks
    cum = np.stack([bg.expected_purchases(t, x, tx, tt) for t in weeks], axis=1)
    spend = gg.expected_spend(x, mv)
    clv = 0.3 * spend * (np.diff(cum, axis=1) / 1.01 ** np.arange(1, 13)).sum(axis=1)
    np.testing.assert_allclose(out["clv"], clv, rtol=1e-10)
    np.testing.assert_allclose(out["expected_purchases"], cum[:, -1], rtol=1e-10)
    np.testing.assert_allclose(out["p_alive"], bg.p_alive(x, tx, tt), rtol=1e-12)


def test_predict_clv_partial_period_and_zero_discount(summary, fitted):
    bg, gg = fitted
    out = predict_clv(bg, gg, summary, horizon=2.5, time_unit="W", discount_rate=0.0)
    np.testing.assert_allclose(out["clv"], out["expected_spend"] * out["expected_purchases"],
                               rtol=1e-10)
    d = predict_clv(bg, gg, summary, horizon=2.5, time_unit="W", discount_rate=0.1)
    x, tx, tt = (summary[c].to_numpy() for c in ("frequency", "recency", "T"))
    e = [bg.expected_purchases(t, x, tx, tt) for t in (0.0, 1.0, 2.0, 2.5)]
    manual = sum((e[i] - e[i - 1]) / 1.1 ** t for i, t in zip((1, 2, 3), (1, 2, 2.5), strict=True))
    np.testing.assert_allclose(d["clv"], d["expected_spend"] * manual, rtol=1e-10)


def test_predict_clv_with_paretonbd(summary, fitted):
    _, gg = fitted
    pn = ParetoNBD().fit_summary(summary)
    out = predict_clv(pn, gg, summary, horizon=52, time_unit="W", discount_rate=0.0)
    x, tx, tt = (summary[c].to_numpy() for c in ("frequency", "recency", "T"))
    np.testing.assert_allclose(out["expected_purchases"], pn.expected_purchases(52, x, tx, tt),
                               rtol=1e-10)


@pytest.mark.parametrize(
    ("kw", "match"),
    [({"horizon": 0}, "horizon"), ({"discount_rate": -0.1}, "discount_rate"),
     ({"margin": -1}, "margin"), ({"time_unit": "Y"}, "time_unit")],
)
def test_predict_clv_validates(summary, fitted, kw, match):
    args = {"horizon": 12, "time_unit": "M", "discount_rate": 0.01} | kw
    with pytest.raises(ValueError, match=match):
        predict_clv(*fitted, summary, **args)


@pytest.mark.parametrize(
    ("kw", "message"),
    [({"horizon": 0}, "horizon must be a finite number > 0; got 0"),
     ({"horizon": -3.5}, "horizon must be a finite number > 0; got -3.5"),
     ({"horizon": float("nan")}, "horizon must be a finite number > 0; got NaN (a missing value)"),
     ({"horizon": float("inf")}, "horizon must be a finite number > 0; got inf"),
     ({"horizon": "soon"}, "horizon must be a number; got 'soon'"),
     ({"horizon": None}, "horizon must be a number; got None"),
     ({"horizon": True}, "horizon must be a number; got True"),
     ({"discount_rate": -0.1}, "discount_rate must be a finite number >= 0; got -0.1"),
     ({"discount_rate": [0.01]}, "discount_rate must be a number; got [0.01]"),
     ({"margin": -1}, "margin must be a finite number >= 0; got -1"),
     ({"time_unit": "Y"},
      "time_unit must be one of 'D' (days), 'W' (weeks) or 'M' (months); got 'Y'"),
     ({"time_unit": None},
      "time_unit must be one of 'D' (days), 'W' (weeks) or 'M' (months); got None")],
)
def test_predict_clv_bad_arguments_name_the_argument(summary, fitted, kw, message):
    """predict_clv checks its numbers and unit with cltv_xl.validation (issue 8, item 4): one
    line, an InputError, naming the argument, the allowed range and the value."""
    args = {"horizon": 12, "time_unit": "M", "discount_rate": 0.01} | kw
    with pytest.raises(InputError) as info:
        predict_clv(*fitted, summary, **args)
    assert str(info.value) == message


def test_predict_clv_accepts_number_texts_like_every_front_door(summary, fitted):
    """The one validation reads "12" and "1%" as every other argument of the package does."""
    as_text = predict_clv(*fitted, summary.iloc[:50], horizon="12", time_unit="months",
                          discount_rate="1%", margin="0.5")
    as_numbers = predict_clv(*fitted, summary.iloc[:50], horizon=12, time_unit="M",
                             discount_rate=0.01, margin=0.5)
    pd.testing.assert_frame_equal(as_text, as_numbers)
    assert as_text.attrs == {"horizon": 12.0, "time_unit": "M", "discount_rate": 0.01,
                             "margin": 0.5}


@pytest.mark.parametrize("which", ["purchase_model", "spend_model"])
def test_predict_clv_rejects_something_that_is_not_a_model(summary, fitted, which):
    bg, gg = fitted
    args = {"purchase_model": bg, "spend_model": gg} | {which: None}
    with pytest.raises(InputError, match=f"^{which} must be a fitted .*; got NoneType$"):
        predict_clv(summary=summary, horizon=12, time_unit="M", discount_rate=0.01, **args)
    with pytest.raises(InputError, match="not fitted"):
        predict_clv(summary=summary, horizon=12, time_unit="M", discount_rate=0.01,
                    **(args | {which: type(fitted[0 if which == "purchase_model" else 1])()}))


def test_predict_clv_summary_must_be_a_frame(fitted):
    with pytest.raises(InputError, match="summary must be a DataFrame"):
        predict_clv(*fitted, [[1, 2, 3]], horizon=12, time_unit="M", discount_rate=0.01)


def test_predict_clv_unit_mismatch(fitted):
    days = rfm_summary(load_cdnow(), calibration_end=CDNOW_CALIBRATION_END, time_unit="D")
    with pytest.raises(InputError, match="fitted in weeks but summary is in days"):
        predict_clv(*fitted, days, horizon=12, time_unit="M", discount_rate=0.01)


# ---------------------------------------------------------------------------- holdout/tracking
def test_calibration_holdout_small():
    tx = pd.DataFrame(
        {
            "customer_id": ["a", "a", "a", "a", "a", "b", "c"],
            "date": pd.to_datetime(["2020-01-01", "2020-01-08", "2020-02-01", "2020-02-01",
                                    "2020-02-15", "2020-01-05", "2020-02-10"]),
            "amount": [10.0, 20.0, 5.0, 7.0, 30.0, 8.0, 9.0],
        }
    )
    out = calibration_holdout(tx, "2020-01-15", "2020-02-29", time_unit="D")
    assert list(out.index) == ["a", "b"]  # c is first seen in the holdout period
    assert out.loc["a", "frequency"] == 1 and out.loc["a", "frequency_holdout"] == 2
    assert out.loc["a", "monetary_value_holdout"] == pytest.approx((12.0 + 30.0) / 2)
    assert out.loc["b", "frequency_holdout"] == 0
    assert out["duration_holdout"].iloc[0] == 45.0
    with pytest.raises(InputError, match="holdout_end"):
        calibration_holdout(tx, "2020-02-01", "2020-01-01")


def test_tracking_cdnow(summary, fitted):
    bg, _ = fitted
    tr = tracking(bg, load_cdnow(), CDNOW_CALIBRATION_END, CDNOW_END)
    cum = tr.cumulative
    assert len(cum) == 78 and cum["in_calibration"].sum() == 39
    assert str(cum["period_end"].iloc[38].date()) == CDNOW_CALIBRATION_END
    # Actual repeat transactions: calibration total at week 39, plus the holdout at week 78.
    assert cum["actual_cumulative"].iloc[38] == summary["frequency"].sum()
    assert cum["actual_cumulative"].iloc[-1] == (
        summary["frequency"].sum() + tr.customers["frequency_holdout"].sum()
    )
    # Predicted: sum over customers of E[X(time since first purchase)] (FHL 2005 eq. 9), the
    # time running from the start of the first purchase day to the end of the last day (BTYD).
    first = summary["first_purchase"].to_numpy().astype("datetime64[D]").astype(np.int64)
    end = np.datetime64(CDNOW_END).astype("datetime64[D]").astype(np.int64)
    direct = bg.expected_purchases_new((end + 1 - first) / 7.0).sum()
    assert cum["predicted_cumulative"].iloc[-1] == pytest.approx(direct, rel=1e-10)
    by = tr.by_frequency
    assert by["customers"].sum() == 2357 and list(by.index)[-1] == "7+"
    assert by["predicted"].is_monotonic_increasing


def test_tracking_fits_unfitted_model():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tr = tracking(BGNBD(), load_cdnow(), CDNOW_CALIBRATION_END, CDNOW_END)
    assert len(tr.customers) == 2357


# ----------------------------------------------------------------------- fast paths (speed)
def test_compress_round_trips_both_paths():
    rng = np.random.default_rng(5)
    x = rng.integers(0, 5, 5000).astype(float)
    tx = np.round(rng.uniform(0, 3, 5000), 1)
    tx[:10] = -0.0  # -0.0 and 0.0 are one value
    tt = np.round(rng.uniform(3, 4, 5000), 1)
    w = rng.uniform(0.5, 2.0, 5000)
    ids = rng.permutation(5000) / 7.0
    dense = compress(x, tx, tt, weights=w)  # 1,705 combinations: counted densely
    wide = compress(ids, x, tx, tt)  # 8.5 million combinations: hashed
    for (cols, inverse, weights), src, wts in ((dense, (x, tx, tt), w),
                                               (wide, (ids, x, tx, tt), None)):
        for u, col in zip(cols, src, strict=True):
            np.testing.assert_array_equal(u[inverse], col)
        rows = pd.DataFrame(dict(enumerate(cols)))
        assert not rows.duplicated().any()
        expected = np.bincount(inverse, weights=wts, minlength=len(rows))
        np.testing.assert_allclose(weights, expected, rtol=1e-12)
    distinct = pd.DataFrame({"x": x, "tx": tx + 0.0, "T": tt}).drop_duplicates()
    assert len(dense[0][0]) == len(distinct)
    assert len(wide[0][0]) == 5000


@pytest.mark.parametrize("params", [[0.243, 4.414, 0.793, 2.426], [1.3, 0.2, 3.0, 0.5],
                                    [0.05, 40.0, 0.2, 9.0]])
def test_bgnbd_fast_total_equals_row_sum(pub, params):
    # The fitting objective (sums over distinct x / T / t_x) equals the weighted sum of the
    # per-row likelihood of FHL 2005 eq. 6 and of its gradient (checked above by differences).
    x, tx, tt = (pub[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    w = np.random.default_rng(2).uniform(0.1, 3.0, len(x))
    d = RFMData(x, tx, tt, w)
    params = np.array(params)
    ll, g = BGNBD()._loglik(params, d)
    total, grad = BGNBD()._loglik_total(params, d)
    assert total == pytest.approx(float((w * ll).sum()), rel=1e-13)
    np.testing.assert_allclose(grad, (g * w[:, None]).sum(axis=0), rtol=1e-10, atol=1e-8)


def test_gammagamma_fast_total_equals_row_sum():
    rng = np.random.default_rng(4)
    x = rng.integers(1, 12, 500).astype(float)
    m = rng.gamma(3.0, 10.0, 500)
    w = rng.uniform(0.1, 3.0, 500)
    ux, xi = np.unique(x, return_inverse=True)
    for params in ([6.25, 3.74, 15.44], [0.5, 1.2, 300.0]):
        params = np.array(params)
        ll, g = GammaGamma._loglik(params, x, m, ux, xi)
        total, grad = _SpendData(x, m, w).loglik_total(params)
        assert total == pytest.approx(float((w * ll).sum()), rel=1e-13)
        np.testing.assert_allclose(grad, (g * w[:, None]).sum(axis=0), rtol=1e-10, atol=1e-8)


def test_log_hyp2f1_linear_and_log_space_agree():
    rng = np.random.default_rng(6)
    a = rng.uniform(0.1, 80, 3000)
    b = a + rng.uniform(0, 3, 3000)
    c = a + b + rng.uniform(-0.5, 3, 3000)
    z = rng.uniform(0, 0.95, 3000)
    fast = log_hyp2f1(a, b, c, z).value
    slow = log_hyp2f1(a, b, c, z, grad=True).value  # the log-space series
    np.testing.assert_allclose(fast, slow, rtol=1e-13, atol=1e-14)
    small = a < 5
    np.testing.assert_allclose(fast[small], np.log(hyp2f1(a, b, c, z)[small]), rtol=1e-11)
    # Closed forms: 2F1(1, 1; 2; z) = -log(1-z)/z and 2F1(a, b; b; z) = (1-z)^-a; the second with
    # a = 800 overflows floating point, so the log-space series takes over for it.
    zz = np.array([0.1, 0.5, 0.9])
    np.testing.assert_allclose(log_hyp2f1(1.0, 1.0, 2.0, zz).value,
                               np.log(-np.log1p(-zz) / zz), rtol=1e-13)
    np.testing.assert_allclose(log_hyp2f1(800.0, 5.0, 5.0, zz).value, -800.0 * np.log1p(-zz),
                               rtol=1e-12)


def test_fits_run_blas_single_threaded():
    # L-BFGS-B's BLAS calls on 4-vectors must not wake OpenBLAS threads (slow on a busy
    # machine); with threadpoolctl installed the fit limits BLAS to one thread and restores it.
    from cltv_xl.models import _fitting

    if _fitting.ThreadpoolController is None:
        with _fitting.single_threaded_blas():  # without threadpoolctl: a no-op that still runs
            assert float(np.ones(3) @ np.ones(3)) == 3.0
        return
    from threadpoolctl import threadpool_info

    def blas_threads() -> list[int]:
        return [p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"]

    before = blas_threads()
    for _ in range(2):  # the second time with the controller made the first time
        with _fitting.single_threaded_blas():
            assert set(blas_threads()) <= {1}
        assert blas_threads() == before
    assert _fitting._blas_controller() is _fitting._blas_controller()
