"""The beta-geometric/beta-Bernoulli (BG/BB) model of Fader, Hardie & Shang (2010), "Customer-
base analysis in a discrete-time noncontractual setting", *Marketing Science* 29(6), 1086-1108
(FHS 2010 below).

Time is a sequence of n transaction opportunities (periods). While alive, a customer buys in
each period with probability p ~ Beta(alpha, beta); at the start of each period after the
first it drops out with probability theta ~ Beta(gamma, delta). A customer is summarised by
x (purchases in periods 1..n), t_x (the period of the last purchase, 0 if none) and n.

Likelihood (FHS 2010 eq. 5):

    L = B(alpha+x, beta+n-x)/B(alpha, beta) * B(gamma, delta+n)/B(gamma, delta)
        + sum_{i=0}^{n-t_x-1} B(alpha+x, beta+t_x-x+i)/B(alpha, beta)
                              * B(gamma+1, delta+t_x+i)/B(gamma, delta).

P(alive in period n+1) = B(alpha+x, beta+n-x)/B(alpha, beta) B(gamma, delta+n+1)/B(gamma, delta)/L
(FHS 2010 eq. 11). Given alive in n+1, p ~ Beta(alpha+x, beta+n-x) and theta ~
Beta(gamma, delta+n+1), so the expected purchases in the next n* periods are

    E[X(n, n+n*) | alive] = (alpha+x)/(alpha+beta+n)
                            * sum_{k=1}^{n*} B(gamma, delta+n+k)/B(gamma, delta+n+1)

which times P(alive) is FHS 2010 eq. 13.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pandas as pd
from scipy.special import betaln, digamma

from ..errors import FitError, InputError
from ._base import PurchaseModel, like_input, summary_columns, summary_unit
from ._fitting import as_vector, check_weights, compress, same_length, weighted_colsum, weighted_sum


class BGBBData:
    """Distinct (x, t_x, n) rows with weights."""

    def __init__(self, x: np.ndarray, tx: np.ndarray, n: np.ndarray, w: np.ndarray):
        self.x, self.tx, self.n, self.w = x, tx, n, w
        self.total_w = float(w.sum())
        gap = (n - tx).astype(np.int64)
        self.max_gap = int(gap.max()) if len(gap) else 0
        self.i = np.arange(max(self.max_gap, 1), dtype=np.float64)
        self.valid = self.i[None, :] < gap[:, None]  # i = 0 .. n - t_x - 1


class BGBB(PurchaseModel):
    """BG/BB model (FHS 2010); ``params_`` = {alpha, beta, gamma, delta}.

    ``fit(frequency, recency, n_periods, weights=None)``: x, t_x and n are whole numbers of
    periods with 0 <= x <= t_x <= n. Predictions take the same three arguments (n in place of
    T) and a whole number of future periods ``t``.
    """

    param_names: ClassVar[tuple[str, ...]] = ("alpha", "beta", "gamma", "delta")
    model_name: ClassVar[str] = "BG/BB"
    boundary_meanings: ClassVar[dict[tuple[str, str], str]] = {
        ("gamma", "low"): "customers almost never drop out",
        ("delta", "high"): "customers almost never drop out",
        ("alpha", "high"): "the purchase probability is the same for every customer",
        ("beta", "high"): "the purchase probability is the same for every customer",
        ("gamma", "high"): "the drop-out probability is the same for every customer",
    }

    def fit(self, frequency, recency, n_periods, weights=None, *, time_unit: str | None = None):
        """Fit by maximum likelihood on (x, t_x, n) per customer; returns ``self``."""
        x = as_vector(frequency, "frequency")
        tx = as_vector(recency, "recency")
        n = as_vector(n_periods, "n_periods")
        same_length(frequency=x, recency=tx, n_periods=n)
        if len(x) == 0:
            raise InputError("there are no customers: frequency, recency and n_periods are empty")
        for name, v in (("frequency", x), ("recency", tx), ("n_periods", n)):
            if np.any(v < 0) or np.any(v != np.round(v)):
                raise InputError(f"{name} must be whole numbers of periods >= 0 for the BG/BB")
        if np.any(x > tx) or np.any(tx > n):
            raise InputError(
                "the BG/BB needs 0 <= frequency <= recency <= n_periods (one purchase at most "
                "per period; recency is the period of the last purchase)"
            )
        if np.any((x == 0) & (tx > 0)):
            raise InputError("recency must be 0 when frequency is 0")
        w = check_weights(weights, len(x))
        (ux, utx, un), _, uw = compress(x, tx, n, weights=None if weights is None else w)
        keep = uw > 0
        d = BGBBData(ux[keep], utx[keep], un[keep], uw[keep])
        if np.all(d.x == 0):
            raise FitError(
                "BG/BB cannot be fitted: no customer made a purchase in the periods observed"
            )
        if np.all(d.n == 0):
            raise FitError("BG/BB cannot be fitted: every customer has 0 periods")
        return self._fit_data(d, weighted=weights is not None, time_unit=time_unit)

    def fit_summary(self, summary: pd.DataFrame, weights=None):
        """Fit on a summary whose ``frequency``, ``recency`` and ``T`` are whole periods (``T``
        is n, the number of transaction opportunities)."""
        x, tx, n = summary_columns(summary, ("frequency", "recency", "T"))
        return self.fit(x, tx, n, weights, time_unit=summary_unit(summary))

    # ----------------------------------------------------------------------------- likelihood
    def _loglik_terms(self, params: np.ndarray, d: BGBBData):
        al, be, ga, de = params
        x, tx, n = d.x[:, None], d.tx[:, None], d.n[:, None]
        i = d.i[None, :]
        lb_ab, lb_gd = betaln(al, be), betaln(ga, de)
        t0 = (betaln(al + x, be + n - x) - lb_ab + betaln(ga, de + n) - lb_gd)[:, 0]
        ti = betaln(al + x, be + tx - x + i) - lb_ab + betaln(ga + 1, de + tx + i) - lb_gd
        ti = np.where(d.valid, ti, -np.inf)
        return t0, ti

    def _loglik_total(self, params: np.ndarray, d: BGBBData) -> tuple[float, np.ndarray]:
        """FHS 2010 eq. 5 summed over rows, with its analytic gradient."""
        al, be, ga, de = params
        t0, ti = self._loglik_terms(params, d)
        m = np.maximum(t0, ti.max(axis=1))
        e0 = np.exp(t0 - m)
        ei = np.exp(ti - m[:, None])
        tot = e0 + ei.sum(axis=1)
        ll = m + np.log(tot)
        w0 = e0 / tot
        wi = ei / tot[:, None]
        x, tx, n = d.x, d.tx, d.n
        xi, txi = x[:, None], tx[:, None]
        i = d.i[None, :]
        ps_ab, ps_gd = digamma(al + be), digamma(ga + de)
        base_a = -digamma(al) + ps_ab
        base_b = -digamma(be) + ps_ab
        base_g = -digamma(ga) + ps_gd
        base_d = -digamma(de) + ps_gd
        # term 0
        g0 = np.column_stack([
            digamma(al + x) - digamma(al + be + n),
            digamma(be + n - x) - digamma(al + be + n),
            digamma(ga) - digamma(ga + de + n),
            digamma(de + n) - digamma(ga + de + n),
        ])
        # terms i (masked rows have weight 0; keep their values finite)
        kb = np.where(d.valid, be + txi - xi + i, 1.0)
        kd = np.where(d.valid, de + txi + i, 1.0)
        psi_abk = digamma(al + xi + kb)
        psi_gdk = digamma(ga + 1 + kd)
        gi_a = (wi * (digamma(al + xi) - psi_abk)).sum(axis=1)
        gi_b = (wi * (digamma(kb) - psi_abk)).sum(axis=1)
        gi_g = (wi * (digamma(ga + 1) - psi_gdk)).sum(axis=1)
        gi_d = (wi * (digamma(kd) - psi_gdk)).sum(axis=1)
        g = w0[:, None] * g0 + np.column_stack([gi_a, gi_b, gi_g, gi_d])
        g += np.array([base_a, base_b, base_g, base_d])[None, :]
        return weighted_sum(d.w, ll), weighted_colsum(d.w, g)

    def _starts(self, d: BGBBData) -> list[np.ndarray]:
        return [np.zeros(4), np.log([1.0, 1.0, 0.5, 3.0]), np.log([0.5, 2.0, 1.0, 1.0])]

    def _log_l(self, x, tx, n) -> np.ndarray:
        params = np.array([self.params_[k] for k in self.param_names])
        shape = np.shape(x)
        d = BGBBData(np.ravel(x), np.ravel(tx), np.ravel(n), np.ones(np.size(x)))
        t0, ti = self._loglik_terms(params, d)
        return np.logaddexp(t0, np.logaddexp.reduce(ti, axis=1)).reshape(shape)

    # ----------------------------------------------------------------------------- predictions
    def _log_p_alive(self, x, tx, T) -> np.ndarray:
        """FHS 2010 eq. 11: P(alive in period n+1 | x, t_x, n)."""
        al, be, ga, de = (self.params_[k] for k in self.param_names)
        _whole(x, tx, T)
        x, tx, n = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in (x, tx, T)))
        num = betaln(al + x, be + n - x) - betaln(al, be) + betaln(ga, de + n + 1) - betaln(ga, de)
        return num - self._log_l(x, tx, n)

    def _alive_expectation(self, t, x, T) -> np.ndarray:
        """(alpha+x)/(alpha+beta+n) sum_{k=1}^{t} prod_{j=1}^{k-1} (delta+n+j)/(gamma+delta+n+j)
        (module docstring); ``t`` whole periods."""
        al, be, ga, de = (self.params_[k] for k in self.param_names)
        _whole(t)
        t, x, n = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in (t, x, T)))
        kmax = int(t.max()) if t.size else 0
        out = np.zeros(t.shape)
        if kmax == 0:
            return out
        j = np.arange(1, kmax, dtype=np.float64)
        ratio = (de + n[..., None] + j) / (ga + de + n[..., None] + j)
        surv = np.concatenate([np.ones((*n.shape, 1)), np.cumprod(ratio, axis=-1)], axis=-1)
        csum = np.cumsum(surv, axis=-1)  # csum[..., k-1] = sum_{k'=1}^{k}
        idx = np.maximum(t.astype(np.int64) - 1, 0)[..., None]
        total = np.take_along_axis(csum, idx, axis=-1)[..., 0]
        return np.where(t > 0, (al + x) / (al + be + n) * total, 0.0)

    def expected_purchases_new(self, t):
        """E[X(n*)] for a new customer (FHS 2010 eq. 8):
        alpha/(alpha+beta) sum_{k=1}^{n*} B(gamma, delta+k)/B(gamma, delta)."""
        self.check_fitted()
        ga, de = self.params_["gamma"], self.params_["delta"]
        tt = np.asarray(t, dtype=np.float64)
        _whole(tt)
        # = delta/(gamma+delta) times the alive expectation at x = 0, n = 0 (whose survival
        # products start one period later and whose prefactor is alpha/(alpha+beta))
        zeros = np.zeros(tt.shape)
        out = de / (ga + de) * self._alive_expectation(tt, zeros, zeros)
        return like_input(out, t)

    def _pmf_if_alive(self, n, t, x, T) -> np.ndarray:
        """Alive in period N+1 (N = ``T``): it stays alive m of the next t periods (m = t, or
        it drops out at the start of period N+m+1 with probability B(gamma+1, delta+N+m) /
        B(gamma, delta+N+1)), and buys BetaBinomial(m; alpha+x, beta+N-x) times."""
        from scipy.stats import betabinom  # imported here: scipy.stats costs ~0.5 s to import

        al, be, ga, de = (self.params_[k] for k in self.param_names)
        _whole(n, t)
        n, t, x, N = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in (n, t, x, T)))
        out = np.where((t == 0) & (n == 0), 1.0, 0.0)
        base = betaln(ga, de + N + 1)
        for m in range(1, int(t.max()) + 1 if t.size else 1):
            last = t == m
            p_m = np.where(
                last,
                np.exp(betaln(ga, de + N + m) - base),
                np.exp(betaln(ga + 1, de + N + m) - base),
            )
            p_m = np.where(t >= m, p_m, 0.0)
            out = out + p_m * betabinom.pmf(n, m, al + x, be + N - x)
        return out


def _whole(*values) -> None:
    for v in values:
        arr = np.asarray(v, dtype=np.float64)
        if np.any(arr != np.round(arr)):
            raise InputError("the BG/BB works in whole periods: t, frequency, recency and n "
                             "must be whole numbers")
