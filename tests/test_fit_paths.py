"""The fast paths of the fits give the numbers of the grouped ones: per-row likelihood sums
on (nearly) distinct data, the forward-difference Hessian."""

from __future__ import annotations

import numpy as np
import pytest
from model_sim import bgnbd

from cltv_xl.models import BGNBD, MBGNBD
from cltv_xl.models._base import RFMData, mostly_distinct
from cltv_xl.models._fitting import compress, natural_hessian


@pytest.fixture(scope="module")
def rfm():
    rng = np.random.default_rng(5)
    x, tx, T = bgnbd(rng, 20_000, 0.243, 4.414, 0.793, 2.426, T_max=39.0)
    return (np.asarray(x, float), np.asarray(tx, float), np.asarray(T, float))


@pytest.mark.parametrize("cls", [BGNBD, MBGNBD])
@pytest.mark.parametrize("params", [[0.243, 4.414, 0.793, 2.426], [1.3, 0.7, 2.1, 0.3]])
def test_per_row_total_equals_grouped_total(rfm, cls, params):
    x, tx, T = rfm
    tx, T = np.round(tx, 1), np.round(T, 1)  # some shared rows, so grouping does something
    (ux, utx, uT), _, uw = compress(x, tx, T)
    assert len(ux) < len(x)
    p = np.array(params)
    grouped = cls()._loglik_total(p, RFMData(ux, utx, uT, uw))
    rows = cls()._loglik_total(p, RFMData(x, tx, T, np.ones(len(x)), per_row=True))
    assert rows[0] == pytest.approx(grouped[0], rel=1e-13)
    np.testing.assert_allclose(rows[1], grouped[1], rtol=1e-11)


def test_mostly_distinct_decides_on_the_share_of_distinct_T():
    rng = np.random.default_rng(1)
    assert mostly_distinct(rng.random(60_000))
    assert not mostly_distinct(np.round(rng.random(60_000) * 300))
    assert not mostly_distinct(rng.random(1000))  # small: grouping is cheap
    # judged from a random sample: sorted order does not fool it either way
    assert mostly_distinct(np.sort(rng.random(200_000)))
    assert not mostly_distinct(np.sort(np.repeat(rng.random(50_000), 4)))


def test_distinct_fit_equals_grouped_fit(rfm, monkeypatch):
    from cltv_xl.models import _base

    x, tx, T = rfm
    monkeypatch.setattr(_base, "mostly_distinct", lambda _t: True)
    fast = BGNBD().fit(x, tx, T)
    monkeypatch.setattr(_base, "mostly_distinct", lambda _t: False)
    slow = BGNBD().fit(x, tx, T)
    for k in fast.params_:
        assert fast.params_[k] == pytest.approx(slow.params_[k], rel=1e-6)
    assert fast.log_likelihood_ == pytest.approx(slow.log_likelihood_, rel=1e-12)


def test_forward_hessian_matches_central(rfm):
    x, tx, T = rfm
    m = BGNBD().fit(x, tx, T)
    (ux, utx, uT), _, uw = compress(x, tx, T)
    d = RFMData(ux, utx, uT, uw)
    p = m.check_fitted()

    def grad(q):
        return -m._loglik_total(q, d)[1]

    central = natural_hessian(grad, p)
    forward = natural_hessian(grad, p, grad(p))
    np.testing.assert_allclose(forward, central, rtol=1e-5)


@pytest.mark.parametrize("cls", [BGNBD, MBGNBD])
def test_per_row_total_with_weights_equals_repeated_rows(rfm, cls):
    """Weighted per-row sums (scratch buffers, weights not all 1) equal the unit-weight sums
    over the rows repeated as often as their weight."""
    x, tx, T = (v[:3000] for v in rfm)
    w = np.random.default_rng(2).integers(1, 4, len(x)).astype(float)
    p = np.array([0.7, 3.1, 0.9, 1.8])
    d = RFMData(x, tx, T, w, per_row=True)
    weighted = cls()._loglik_total(p, d)
    again = cls()._loglik_total(p, d)  # buffers reused: the same numbers
    rep = np.repeat(np.arange(len(x)), w.astype(int))
    repeated = cls()._loglik_total(p, RFMData(x[rep], tx[rep], T[rep], np.ones(len(rep)),
                                              per_row=True))
    assert weighted[0] == pytest.approx(repeated[0], rel=1e-13)
    np.testing.assert_allclose(weighted[1], repeated[1], rtol=1e-11)
    assert again[0] == weighted[0]
    np.testing.assert_array_equal(again[1], weighted[1])


def test_distinct_sorted_is_np_unique():
    from cltv_xl.models._base import distinct_sorted

    rng = np.random.default_rng(3)
    for x in (rng.integers(0, 50, 1000).astype(float), np.array([2.0, 7.0, 2.0]),
              rng.random(100) * 10, np.array([1e9, 0.0, 1e9])):
        ux, xi = distinct_sorted(x)
        ref_u, ref_i = np.unique(x, return_inverse=True)
        np.testing.assert_array_equal(ux, ref_u)
        np.testing.assert_array_equal(xi, ref_i.ravel())
