"""Property tests of the closed-form formulas (hypothesis)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from cltv_xl import metrics as m

money = st.floats(0.01, 1e5, allow_nan=False, allow_infinity=False)
churns = st.floats(0.001, 1.0, allow_nan=False)
rates = st.floats(0.0, 0.5, allow_nan=False)
retentions = st.floats(0.0, 0.99, allow_nan=False)
lifetimes = st.floats(0.0, 1e3, allow_nan=False)
periods = st.integers(0, 600)
counts = st.integers(1, 10**6)

SETTINGS = settings(max_examples=150, deadline=None)


@SETTINGS
@given(money, money, lifetimes, lifetimes, st.floats(0, 1e4))
def test_cltv_increases_with_arpu_and_lifetime(a1, a2, l1, l2, cac):
    lo_a, hi_a = sorted((a1, a2))
    lo_l, hi_l = sorted((l1, l2))
    assert m.cltv(lo_a, lo_l, cac) <= m.cltv(hi_a, lo_l, cac)
    assert m.cltv(lo_a, lo_l, cac) <= m.cltv(lo_a, hi_l, cac)
    if hi_a > lo_a and lo_l >= 1e-6:
        assert m.cltv(lo_a, lo_l) < m.cltv(hi_a, lo_l)


@SETTINGS
@given(money, churns)
def test_discounted_cltv_tends_to_arpu_over_churn(arpu, churn):
    limit = m.cltv(arpu, m.lifetime(churn))
    assert m.discounted_cltv(arpu, churn, 0.0, math.inf) == pytest.approx(limit, rel=1e-12)
    # d -> 0 and n -> inf: the discounted value converges to the limit from below.
    previous = -math.inf
    for d, n in [(1e-2, 2_000), (1e-4, 200_000), (1e-7, math.inf)]:
        value = m.discounted_cltv(arpu, churn, d, n)
        assert previous <= value <= limit * (1 + 1e-12)
        previous = value
    assert value == pytest.approx(limit, rel=1e-4)


@SETTINGS
@given(money, st.floats(0.0, 1.0), rates, periods, st.floats(0, 1e3))
def test_discounted_cltv_not_above_undiscounted(arpu, churn, d, n, cac):
    discounted = m.discounted_cltv(arpu, churn, d, n, cac)
    undiscounted = m.discounted_cltv(arpu, churn, 0.0, n, cac)
    assert discounted <= undiscounted + 1e-9 * max(1.0, abs(undiscounted))


@SETTINGS
@given(money, st.floats(0.0, 1.0), rates, st.integers(0, 300))
def test_discounted_cltv_closed_form_equals_explicit_sum(arpu, churn, d, n):
    t = np.arange(1, n + 1)
    explicit = float(np.sum(arpu * (1 - churn) ** (t - 1) / (1 + d) ** t))
    assert m.discounted_cltv(arpu, churn, d, n) == pytest.approx(explicit, rel=1e-9, abs=1e-9)


@SETTINGS
@given(st.floats(-1e4, 1e4), retentions, st.floats(0.01, 0.5))
def test_clv_margin_equals_long_explicit_sum(margin, r, d):
    # Gupta & Lehmann: sum_{t>=1} m r^t / (1 + d)^t; the ratio r / (1 + d) <= 0.99 / 1.01,
    # so 5,000 terms leave a tail far below the tolerance.
    t = np.arange(1, 5_001)
    explicit = float(np.sum(margin * (r / (1 + d)) ** t))
    assert m.clv_margin(margin, r, d) == pytest.approx(explicit, rel=1e-9, abs=1e-9)


@SETTINGS
@given(money, retentions, st.floats(0.01, 0.5))
def test_clv_margin_is_discounted_cltv_shifted_by_one_retention(margin, r, d):
    # m r / (1 + d - r) equals the discounted sum with churn 1 - r and ARPU m r.
    assume(r > 0)
    expected = m.discounted_cltv(margin * r, 1 - r, d, math.inf)
    assert m.clv_margin(margin, r, d) == pytest.approx(expected, rel=1e-9)


@SETTINGS
@given(counts, st.data())
def test_lifetime_times_lost_is_start(start, data):
    lost = data.draw(st.integers(1, start))
    assert m.lifetime(m.churn_rate(start, lost)) * lost == pytest.approx(start, rel=1e-12)


@SETTINGS
@given(counts, st.data())
def test_retention_plus_churn_is_one_without_new_customers(start, data):
    lost = data.draw(st.integers(0, start))
    end = start - lost
    assert m.retention_rate(start, end, 0) + m.churn_rate(start, lost) == pytest.approx(1.0)
    # New customers acquired during the period do not change the retention rate.
    new = data.draw(st.integers(0, 1000))
    assert m.retention_rate(start, end + new, new) == pytest.approx(m.retention_rate(start, end, 0))


@SETTINGS
@given(money, counts, counts)
def test_arpu_is_aov_times_frequency(revenue, orders, customers):
    aov = m.average_order_value(revenue, orders)
    freq = m.purchase_frequency(orders, customers)
    assert aov * freq == pytest.approx(m.arpu(revenue, customers), rel=1e-12)


@SETTINGS
@given(money, money, st.floats(0.01, 1.0))
def test_payback_times_margin_arpu_is_cac(cac, arpu, margin):
    assert m.cac_payback_periods(cac, arpu, margin) * arpu * margin == pytest.approx(cac)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(money, st.floats(0.0, 1.0), rates, periods, st.floats(0, 1e3), churns),
        min_size=1,
        max_size=20,
    )
)
def test_vectorised_equals_elementwise(rows):
    arpu, churn, d, n, cac, c2 = (np.array(col, dtype=float) for col in zip(*rows, strict=True))
    vec = m.discounted_cltv(arpu, churn, d, n, cac)
    one = [m.discounted_cltv(*row[:5]) for row in rows]
    np.testing.assert_allclose(vec, one, rtol=1e-12)
    np.testing.assert_allclose(m.lifetime(c2), [m.lifetime(x) for x in c2], rtol=1e-15)
    np.testing.assert_allclose(
        m.cltv(arpu, n, cac), [m.cltv(a, b, c) for a, b, c in zip(arpu, n, cac, strict=True)]
    )
    np.testing.assert_allclose(
        m.clv_margin(arpu, np.minimum(churn, 0.99), d + 0.01),
        [
            m.clv_margin(a, min(r, 0.99), x + 0.01)
            for a, r, x in zip(arpu, churn, d, strict=True)
        ],
        rtol=1e-12,
    )


# ---------------------------------------------------------------- extreme floats (issue 12)
extreme = st.floats(allow_nan=False, allow_infinity=False)


def test_overflow_is_an_input_error_not_inf():
    with pytest.raises(m.InputError, match="cltv overflows"):
        m.cltv(1e308, 7)
    with pytest.raises(m.InputError, match="lifetime overflows"):
        m.lifetime(5e-324)
    with pytest.raises(m.InputError, match="at position 1"):
        m.arpu([1.0, 1e308], [1.0, 1e-300])


FORMULAS = {
    "arpu": (m.arpu, 2), "churn_rate": (m.churn_rate, 2), "retention_rate": (m.retention_rate, 3),
    "lifetime": (m.lifetime, 1), "cltv": (m.cltv, 3), "clv_margin": (m.clv_margin, 3),
    "discounted_cltv": (m.discounted_cltv, 5), "ltv_cac_ratio": (m.ltv_cac_ratio, 2),
    "cac_payback_periods": (m.cac_payback_periods, 3),
    "average_order_value": (m.average_order_value, 2),
    "purchase_frequency": (m.purchase_frequency, 2),
}


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(sorted(FORMULAS)), st.lists(extreme, min_size=5, max_size=5))
def test_formulas_never_return_nan_or_inf(name, values):
    """Any finite arguments, however extreme: a finite result or an InputError."""
    func, n = FORMULAS[name]
    try:
        result = func(*values[:n])
    except m.InputError:
        return
    assert math.isfinite(result), (name, values[:n], result)
