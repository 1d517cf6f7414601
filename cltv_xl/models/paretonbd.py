"""The Pareto/NBD model (Schmittlein, Morrison & Colombo 1987), as written by Fader & Hardie
(2005), "A note on deriving the Pareto/NBD model and related expressions" (note 009, FH 2005
below) and used in Fader, Hardie & Lee (2005), "RFM and CLV: using iso-value curves for customer
base analysis", *Journal of Marketing Research* 42(4).

While active, a customer buys as a Poisson process with rate lambda ~ Gamma(r, alpha); its
lifetime is exponential with rate mu ~ Gamma(s, beta).

Likelihood (FH 2005, written with the integral it comes from):

    L = G(r+x) alpha^r beta^s / G(r) * [ (alpha+T)^-(r+x) (beta+T)^-s + s (I(t_x) - I(T)) ],
    I(t) = int_t^inf (alpha+u)^-(r+x) (beta+u)^-(s+1) du.

I(t) is a Gauss hypergeometric function. After Euler's transformation
2F1(a, b; c; z) = (1-z)^(c-a-b) 2F1(c-a, c-b; c; z), with m = r+s+x:

* alpha >= beta: I(t) = (alpha+t)^-(r+x) (beta+t)^-s 2F1(1, r+x; m+1; z) / m,
  z = (alpha-beta)/(alpha+t);
* alpha < beta:  I(t) = (alpha+t)^(1-r-x) (beta+t)^-(s+1) 2F1(1, s+1; m+1; w) / m,
  w = (beta-alpha)/(beta+t).

Both series have positive terms with ratio below z (or w) < 1, so they are summed in plain
floating point (``_special.log_hyp2f1_a1``: a = 1, every term at most 1) with analytic
derivatives; the difference I(t_x) - I(T) and the sum with
the first term are taken with log-sum-exp. ``scipy.special.hyp2f1`` is not used.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from scipy.special import betaln, digamma, gammaln

from ._base import PurchaseModel, RFMData, like_input
from ._fitting import weighted_sum
from ._special import SERIES_Z, log_hyp2f1, log_hyp2f1_a1, log_pareto_integral
from .bgnbd import _count_args


class ParetoNBD(PurchaseModel):
    """Pareto/NBD purchase model; ``params_`` = {r, alpha, s, beta} in the summary's time unit.

    Same interface as :class:`~cltv_xl.models.BGNBD`, including ``prob_purchases`` (the count
    distribution P(X(t) = n) of FH 2005 note 009).
    """

    param_names: ClassVar[tuple[str, ...]] = ("r", "alpha", "s", "beta")
    model_name: ClassVar[str] = "Pareto/NBD"
    boundary_meanings: ClassVar[dict[tuple[str, str], str]] = {
        ("s", "low"): "a few customers drop out fast and the rest practically never",
        ("beta", "low"): "a few customers drop out fast and the rest practically never",
        ("beta", "high"): "customers almost never drop out",
        ("s", "high"): "the drop-out rate is the same for every customer",
        ("r", "high"): "the purchase rate is the same for every customer",
        ("alpha", "high"): "the purchase rate is the same for every customer",
        ("r", "low"): "almost all purchasing comes from a few very active customers",
    }

    # ------------------------------------------------------------------------ likelihood
    @staticmethod
    def _log_I(r, alpha, s, beta, x, t, *, grad: bool):
        """log I(t) and its gradient (rows x 4) w.r.t. (r, alpha, s, beta).

        The Gauss series of the 2F1 form where its argument is at most ``SERIES_Z``; beyond
        (z -> 1, e.g. beta -> 0 or alpha -> 0) and wherever the series fails, the quadrature of
        the integral itself (``_special.log_pareto_integral``)."""
        x, t = np.broadcast_arrays(np.asarray(x, dtype=np.float64), np.asarray(t, np.float64))
        at, bt = alpha + t, beta + t
        zz = (alpha - beta) / at if alpha >= beta else (beta - alpha) / bt
        val = np.full(x.shape, np.nan)
        g = np.full((len(x), 4), np.nan) if grad else None
        ser = zz <= SERIES_Z
        if ser.any():
            v, gs = ParetoNBD._log_I_series(r, alpha, s, beta, x[ser], t[ser], grad=grad)
            val[ser] = v
            if grad:
                g[ser] = gs
        bad = ~np.isfinite(val)
        if grad:
            bad |= ~np.all(np.isfinite(g), axis=1)
        if bad.any():
            v, gq = log_pareto_integral(r + x[bad], at[bad], s + 1.0, bt[bad], grad=grad)
            val[bad] = v
            if grad:
                g[bad] = gq
        return val, g

    @staticmethod
    def _log_I_series(r, alpha, s, beta, x, t, *, grad: bool):
        """log I(t) from the 2F1 forms of the module docstring (both series positive)."""
        p = r + x
        m = r + s + x
        at, bt = alpha + t, beta + t
        if alpha >= beta:
            z = (alpha - beta) / at
            h = log_hyp2f1_a1(p, m + 1.0, z, grad=grad)
            val = -p * np.log(at) - s * np.log(bt) + h.value - np.log(m)
            if not grad:
                return val, None
            g = np.empty((len(val), 4))
            g[:, 0] = -np.log(at) + h.db + h.dc - 1.0 / m
            g[:, 1] = -p / at + h.dz * bt / at**2
            g[:, 2] = -np.log(bt) + h.dc - 1.0 / m
            g[:, 3] = -s / bt - h.dz / at
        else:
            w = (beta - alpha) / bt
            h = log_hyp2f1_a1(s + 1.0, m + 1.0, w, grad=grad)
            val = (1.0 - p) * np.log(at) - (s + 1.0) * np.log(bt) + h.value - np.log(m)
            if not grad:
                return val, None
            g = np.empty((len(val), 4))
            g[:, 0] = -np.log(at) + h.dc - 1.0 / m
            g[:, 1] = (1.0 - p) / at - h.dz / bt
            g[:, 2] = -np.log(bt) + h.db + h.dc - 1.0 / m
            g[:, 3] = -(s + 1.0) / bt + h.dz * at / bt**2
        return val, g

    def _terms(self, params, x, tx, T, *, grad: bool, pairs=None):
        """log of the bracket [T0 + s (I(t_x) - I(T))], its gradient, and log T0.

        ``pairs`` (optional, ``RFMData.xt_pairs``): the distinct (x, t) among the (x, t_x) and
        (x, T) of the rows, with each row's index into them. I(t) depends on a row only through
        (x, t), and many rows share one (every one-time buyer has t_x = 0; T takes one value
        per acquisition day), so I is evaluated once per distinct pair."""
        r, alpha, s, beta = params
        log_t0 = -(r + x) * np.log(alpha + T) - s * np.log(beta + T)
        if pairs is None:
            li_x, gi_x = self._log_I(r, alpha, s, beta, x, tx, grad=grad)
            li_T, gi_T = self._log_I(r, alpha, s, beta, x, T, grad=grad)
        else:
            (px, pt), at_tx, at_T = pairs
            li, gi = self._log_I(r, alpha, s, beta, px, pt, grad=grad)
            li_x, li_T = li[at_tx], li[at_T]
            gi_x, gi_T = (gi[at_tx], gi[at_T]) if grad else (None, None)
        gap = tx < T
        with np.errstate(divide="ignore"):
            ratio = np.where(gap, np.exp(np.minimum(li_T - li_x, 0.0)), 1.0)
            log_diff = np.where(gap, np.log(s) + li_x + np.log1p(-np.minimum(ratio, 1.0)), -np.inf)
        log_br = np.logaddexp(log_t0, log_diff)
        if not grad:
            return log_br, None, log_t0
        e0 = np.exp(log_t0 - log_br)
        e1 = np.where(gap, np.exp(np.log(s) + li_x - log_br), 0.0)
        e2 = np.where(gap, np.exp(np.log(s) + li_T - log_br), 0.0)
        g0 = np.column_stack(
            [-np.log(alpha + T), -(r + x) / (alpha + T), -np.log(beta + T), -s / (beta + T)]
        )
        g = e0[:, None] * g0 + e1[:, None] * gi_x - e2[:, None] * gi_T
        g[:, 2] += (e1 - e2) / s
        return log_br, g, log_t0

    def _loglik(self, params: np.ndarray, d: RFMData) -> tuple[np.ndarray, np.ndarray]:
        r, alpha, s, beta = params
        lg = gammaln(r + d.ux) - gammaln(r)
        dlg = digamma(r + d.ux) - digamma(r)
        log_br, g, _ = self._terms(params, d.x, d.tx, d.T, grad=True, pairs=d.xt_pairs)
        ll = lg[d.xi] + r * np.log(alpha) + s * np.log(beta) + log_br
        g[:, 0] += dlg[d.xi] + np.log(alpha)
        g[:, 1] += r / alpha
        g[:, 2] += np.log(beta)
        g[:, 3] += s / beta
        return ll, g

    def _starts(self, d: RFMData) -> list[np.ndarray]:
        rate = weighted_sum(d.w, d.x) / max(weighted_sum(d.w, d.T), 1e-12)
        alpha0 = 1.0 / max(rate, 1e-6)
        span = max(weighted_sum(d.w, d.T) / d.total_w, 1e-3)
        return [np.log([1.0, alpha0, 1.0, span]), np.zeros(4), np.log([0.5, alpha0, 0.5, alpha0])]

    # ----------------------------------------------------------------------------- predictions
    def _log_p_alive(self, x, tx, T) -> np.ndarray:
        """log P(alive at T) = log first term - log bracket (FH 2005 note 009, P(alive))."""
        params = np.array([self.params_[n] for n in self.param_names])
        x, tx, T = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in (x, tx, T)))
        shape = x.shape
        log_br, _, log_t0 = self._terms(params, x.ravel(), tx.ravel(), T.ravel(), grad=False)
        return (log_t0 - log_br).reshape(shape)

    def _alive_expectation(self, t, x, T) -> np.ndarray:
        """(r+x)(beta+T) / ((alpha+T)(s-1)) [1 - ((beta+T)/(beta+T+t))^(s-1)]
        (FH 2005 note 009, conditional expectation without P(alive)); at s = 1 the bracket over
        (s-1) becomes its limit log1p(t/(beta+T)).
        """
        r, alpha, s, beta = (self.params_[n] for n in self.param_names)
        t, x, T = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in (t, x, T)))
        return (r + x) * (beta + T) / (alpha + T) * _expm1_over(s - 1.0, np.log1p(t / (beta + T)))

    def _grid_offset(self) -> float:
        """min(alpha, beta): the expectation (r+x)(beta+T)/((alpha+T)(s-1)) [1 - ((beta+T)/
        (beta+T+t))^(s-1)] is singular in T only at T = -alpha, on T <= -beta (the power's
        branch point and its log) and at T = -beta - t, all where T + min(alpha, beta) <= 0."""
        return min(self.params_["alpha"], self.params_["beta"])

    def expected_purchases_new(self, t) -> np.ndarray:
        """Unconditional E[X(t)] (Schmittlein et al. 1987; FH 2005 note 009):
        r beta / (alpha (s-1)) [1 - (beta/(beta+t))^(s-1)]."""
        r, alpha, s, beta = self._check_fitted()
        t = np.asarray(t, dtype=np.float64)
        return r * beta / alpha * _expm1_over(s - 1.0, np.log1p(t / beta))

    def prob_purchases(self, n, t) -> np.ndarray:
        """P(X(t) = n) for a customer just acquired (FH 2005 note 009, section 4).

        Given lambda and mu, the count is Poisson(lambda t) if the customer is still alive at t,
        and Poisson(lambda tau) if it died at tau < t; integrating over lambda ~ Gamma(r, alpha)
        and mu ~ Gamma(s, beta) gives

            P(X(t) = n) = G(r+n)/(G(r) n!) (alpha/(alpha+t))^r (t/(alpha+t))^n (beta/(beta+t))^s
                + alpha^r beta^s B(r+n, s+1)/B(r, s)
                  * [B1 - sum_{i=0..n} G(r+s+i)/(G(r+s) i!) t^i B2(i)],

        with, for alpha >= beta (z = alpha - beta),
        B1 = 2F1(r+s, s+1; r+s+n+1; z/alpha) / alpha^(r+s) and
        B2(i) = 2F1(r+s+i, s+1; r+s+n+1; z/(alpha+t)) / (alpha+t)^(r+s+i);
        for alpha < beta the same with (alpha, s+1) replaced by (beta, r+n) and z = beta - alpha.
        The bracket (the chance of dying before t, as an integral over the death time) is a
        difference of positive terms, taken in log space with expm1.
        """
        r, alpha, s, beta = self.check_fitted()
        n, t = _count_args(n, t)
        return like_input(_pnbd_pmf_array(n, t, r, alpha, s, beta), n, t)

    def _pmf_if_alive(self, n, t, x, T) -> np.ndarray:
        """Alive at T, the customer's future is that of a new customer whose rates follow the
        posterior lambda ~ Gamma(r + x, alpha + T), mu ~ Gamma(s, beta + T) (both processes are
        memoryless; FH 2005 note 009), so ``prob_purchases`` applies with those parameters."""
        r, alpha, s, beta = self.check_fitted()
        return _pnbd_pmf_array(n, t, r + x, alpha + T, s, beta + T)


def _pnbd_pmf_array(n, t, r, alpha, s, beta) -> np.ndarray:
    n, t, r, alpha, s, beta = np.broadcast_arrays(
        *(np.asarray(v, dtype=np.float64) for v in (n, t, r, alpha, s, beta))
    )
    out = np.empty(n.shape)
    for idx in np.ndindex(n.shape):
        out[idx] = _pnbd_pmf(
            float(r[idx]), float(alpha[idx]), float(s[idx]), float(beta[idx]),
            int(n[idx]), float(t[idx]),
        )
    return out


def _pnbd_pmf(r: float, alpha: float, s: float, beta: float, n: int, t: float) -> float:
    """One value of ``ParetoNBD.prob_purchases`` (see there for the formula)."""
    if t == 0:
        return float(n == 0)
    log_t = np.log(t)
    alive = np.exp(
        gammaln(r + n) - gammaln(r) - gammaln(n + 1) + r * (np.log(alpha) - np.log(alpha + t))
        + n * (log_t - np.log(alpha + t)) + s * (np.log(beta) - np.log(beta + t))
    )
    rs = r + s
    c = rs + n + 1.0
    i = np.arange(n + 1, dtype=np.float64)
    if alpha >= beta:
        big, b_arg = alpha, s + 1.0
    else:
        big, b_arg = beta, r + n
    z = abs(alpha - beta)
    log_b1 = log_hyp2f1(rs, b_arg, c, z / big).value - rs * np.log(big)
    log_b2 = log_hyp2f1(rs + i, b_arg, c, z / (big + t)).value - (rs + i) * np.log(big + t)
    log_terms = gammaln(rs + i) - gammaln(rs) - gammaln(i + 1) + i * log_t + log_b2
    log_sum = np.logaddexp.reduce(log_terms)
    bracket_rel = -np.expm1(min(log_sum - log_b1, 0.0))  # bracket / B1, in [0, 1]
    log_front = r * np.log(alpha) + s * np.log(beta) + betaln(r + n, s + 1) - betaln(r, s)
    dead = np.exp(log_front + log_b1) * bracket_rel
    return float(alive + dead)


def _expm1_over(k: float, u: np.ndarray) -> np.ndarray:
    """(1 - exp(-k u)) / k, continuous at k = 0 (where it is u)."""
    if abs(k) < 1e-10:
        return u
    return -np.expm1(-k * u) / k
