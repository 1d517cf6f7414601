"""Closed-form CLTV formulas: worked numbers, input kinds and error messages."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from cltv_xl import metrics as m
from cltv_xl.errors import InputError

# ------------------------------------------------------------------ worked numbers


def test_classic_cltv_worked_example():
    # ARPU 50 a month, lifetime 24 months, CAC 100.
    assert m.cltv(50, 24, 100) == 1100.0
    assert m.cltv(50, 24) == 1200.0


def test_gupta_lehmann_worked_example():
    # m = 100, r = 0.8, d = 0.1: 100 * 0.8 / (1 + 0.1 - 0.8) = 266.67.
    assert m.clv_margin(100, 0.8, 0.1) == pytest.approx(800 / 3, rel=1e-12)
    assert round(m.clv_margin(100, 0.8, 0.1), 2) == 266.67
    # Gupta & Lehmann's rule of thumb: r = 0.9, d = 0.12 gives a multiple of 0.9 / 0.22.
    assert m.clv_margin(1, 0.9, 0.12) == pytest.approx(4.0909, abs=1e-4)
    # With retention 1 the value is m / d.
    assert m.clv_margin(10, 1.0, 0.05) == pytest.approx(200.0)


def test_simple_ratios():
    assert m.arpu(1000, 40) == 25.0
    assert m.churn_rate(200, 10) == 0.05
    assert m.retention_rate(100, 110, 20) == 0.9
    assert m.lifetime(0.05) == 20.0
    assert m.ltv_cac_ratio(1200, 400) == 3.0
    assert m.cac_payback_periods(300, 50) == 6.0
    assert m.cac_payback_periods(300, 50, margin=0.5) == 12.0
    assert m.average_order_value(500, 20) == 25.0
    assert m.purchase_frequency(30, 12) == 2.5


def test_discounted_cltv_worked_numbers():
    # ARPU 100, churn 0.2, d = 0.1, 3 periods: 100/1.1 + 80/1.21 + 64/1.331.
    expected = 100 / 1.1 + 80 / 1.21 + 64 / 1.331
    assert m.discounted_cltv(100, 0.2, 0.1, 3) == pytest.approx(expected, rel=1e-12)
    assert m.discounted_cltv(100, 0.2, 0.1, 3, cac=50) == pytest.approx(expected - 50, rel=1e-12)
    # Closed form: ARPU (1 - q^n) / (c + d) with q = 0.8 / 1.1.
    q = 0.8 / 1.1
    assert m.discounted_cltv(100, 0.2, 0.1, 3) == pytest.approx(100 * (1 - q**3) / 0.3)


def test_discounted_cltv_edge_cases_are_exact():
    # c = d = 0: ARPU x periods.
    assert m.discounted_cltv(10, 0, 0, 12) == 120.0
    # d = 0, infinite horizon: ARPU / churn = cltv with lifetime 1 / churn.
    assert m.discounted_cltv(50, 0.04, 0, math.inf) == pytest.approx(m.cltv(50, m.lifetime(0.04)))
    # c = 0, infinite horizon: a perpetuity ARPU / d.
    assert m.discounted_cltv(10, 0, 0.05, math.inf) == pytest.approx(200.0)
    # c = 1: only the first, certain, period counts.
    assert m.discounted_cltv(10, 1, 0, 5) == 10.0
    assert m.discounted_cltv(11, 1, 0.1, math.inf) == pytest.approx(10.0)
    # No periods: nothing but the CAC.
    assert m.discounted_cltv(10, 0.1, 0.1, 0) == 0.0
    assert m.discounted_cltv(10, 0.1, 0.1, 0, cac=5) == -5.0


def test_discounted_cltv_tiny_rates_keep_precision():
    # c + d tiny: the sum must be close to ARPU x periods, not garbage from 0 / 0.
    value = m.discounted_cltv(1.0, 1e-12, 1e-12, 10)
    assert value == pytest.approx(10.0, rel=1e-9)


# ------------------------------------------------------------------ input kinds


def test_scalar_in_float_out():
    out = m.arpu(10, 4)
    assert type(out) is float and out == 2.5
    assert type(m.lifetime(np.float64(0.5))) is float


def test_array_in_array_out_and_broadcast():
    out = m.cltv(np.array([10.0, 20.0]), 12, np.array([0.0, 40.0]))
    assert isinstance(out, np.ndarray)
    np.testing.assert_array_equal(out, [120.0, 200.0])
    out = m.churn_rate([100, 200], [10, 10])
    np.testing.assert_allclose(out, [0.1, 0.05])


def test_series_in_series_out_same_index():
    idx = pd.Index(["x", "y", "z"], name="plan")
    churn = pd.Series([0.5, 0.25, 0.1], index=idx)
    out = m.lifetime(churn)
    assert isinstance(out, pd.Series)
    assert out.index.equals(idx)
    assert out.tolist() == [2.0, 4.0, 10.0]
    out = m.cltv(pd.Series([10.0, 20.0, 30.0], index=idx), out, 5)
    assert out.tolist() == [15.0, 75.0, 295.0]


def test_series_with_different_indexes_rejected():
    a = pd.Series([1.0, 2.0], index=["a", "b"])
    b = pd.Series([1.0, 2.0], index=["b", "c"])
    with pytest.raises(InputError, match="different index"):
        m.arpu(a, b)


def test_shapes_that_do_not_broadcast_rejected():
    with pytest.raises(InputError, match="shapes"):
        m.arpu(np.array([1.0, 2.0]), np.array([1.0, 2.0, 3.0]))


# ------------------------------------------------------------------ error messages


def test_lifetime_of_zero_churn_message():
    with pytest.raises(InputError) as info:
        m.lifetime(0)
    assert str(info.value) == (
        "churn_rate must be in (0, 1]; got 0 (a churn of 0 means an infinite lifetime)"
    )
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize(
    ("call", "pattern"),
    [
        (lambda: m.lifetime(1.5), r"churn_rate must be in \(0, 1\]; got 1.5"),
        (lambda: m.lifetime(-0.1), r"churn_rate must be in \(0, 1\]; got -0.1"),
        (lambda: m.arpu(100, 0), r"customers must be a finite number > 0; got 0"),
        (lambda: m.arpu(100, -3), r"customers must be a finite number > 0; got -3"),
        (lambda: m.cltv(50, 24, -10), r"cac must be a finite number >= 0; got -10"),
        (lambda: m.cltv(50, -1), r"lifetime must be a finite number >= 0; got -1"),
        (lambda: m.cltv(math.nan, 24), r"arpu must be a finite number; got NaN \(a missing"),
        (lambda: m.cltv(50, math.inf), r"lifetime must be a finite number >= 0; got inf"),
        (lambda: m.churn_rate(10, 11), r"customers_lost cannot exceed customers_start"),
        (lambda: m.churn_rate(0, 0), r"customers_start must be a finite number > 0; got 0"),
        (lambda: m.retention_rate(10, 5, 6), r"customers_new cannot exceed customers_end"),
        (lambda: m.retention_rate(10, 30, 5), r"cannot exceed customers_start"),
        (lambda: m.clv_margin(100, 1.2, 0.1), r"retention must be in \[0, 1\]; got 1.2"),
        (lambda: m.clv_margin(100, 1, 0), r"retention 1 with discount_rate 0"),
        (lambda: m.clv_margin(100, 0.5, -0.1), r"discount_rate must be in \[0, 1\]"),
        (lambda: m.discounted_cltv(10, 0, 0, math.inf), r"infinite value"),
        (lambda: m.discounted_cltv(10, 0.1, 0, 2.5), r"whole number"),
        (lambda: m.discounted_cltv(10, 0.1, 0, -1), r"periods must be >= 0; got -1"),
        (lambda: m.discounted_cltv(10, 1.1, 0, 3), r"churn_rate must be in \[0, 1\]"),
        (lambda: m.ltv_cac_ratio(100, 0), r"cac must be a finite number > 0; got 0 \(a CAC of 0"),
        (lambda: m.cac_payback_periods(100, 0), r"arpu must be a finite number > 0; got 0"),
        (lambda: m.cac_payback_periods(100, 10, 1.5), r"margin must be in \(0, 1\]"),
        (lambda: m.average_order_value(10, 0), r"orders must be a finite number > 0; got 0"),
        (lambda: m.purchase_frequency(-1, 3), r"orders must be a finite number >= 0; got -1"),
        (lambda: m.arpu("lots", 3), r"revenue must be a number"),
        (lambda: m.arpu(True, 3), r"revenue must be a number"),
    ],
)
def test_bad_arguments_name_argument_and_range(call, pattern):
    with pytest.raises(InputError, match=pattern):
        call()


def test_array_error_reports_first_offending_position():
    with pytest.raises(InputError, match=r"got 0 at position 2 \(a churn of 0"):
        m.lifetime(np.array([0.5, 0.2, 0.0, -1.0]))
    with pytest.raises(InputError, match=r"got NaN at position 1 \(index 'b'\)"):
        m.lifetime(pd.Series([0.5, np.nan], index=["a", "b"]))
    with pytest.raises(InputError, match=r"first at position 1"):
        m.churn_rate([10, 10], [5, 11])


def test_no_silent_nan_or_inf_in_results():
    out = m.discounted_cltv(
        np.array([10.0, 10.0, 10.0, 10.0]),
        np.array([0.0, 1.0, 0.3, 0.0]),
        np.array([0.0, 0.0, 0.0, 0.2]),
        np.array([5.0, math.inf, math.inf, math.inf]),
    )
    assert np.isfinite(out).all()
    np.testing.assert_allclose(out, [50.0, 10.0, 10 / 0.3, 50.0])
