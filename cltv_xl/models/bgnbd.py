"""The BG/NBD model of Fader, Hardie & Lee (2005), "'Counting your customers' the easy way: an
alternative to the Pareto/NBD model", *Marketing Science* 24(2), 275-284 (FHL 2005 below).

While active, a customer buys as a Poisson process with rate lambda ~ Gamma(r, alpha); after
each purchase it drops out with probability p ~ Beta(a, b).
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from scipy.special import betainc, betaln, digamma, gammaln

from ..errors import InputError
from ._base import PurchaseModel, RFMData, like_input
from ._fitting import dot_into, weighted_sum
from ._special import beta_geometric_expectation, beta_geometric_grid


class BGNBD(PurchaseModel):
    """Beta-geometric/NBD purchase model (FHL 2005).

    Parameters after fitting: ``params_`` = {r, alpha, a, b} (``alpha`` in the summary's time
    unit), ``log_likelihood_`` (sum over customers), ``standard_errors_``, ``converged_``,
    ``time_unit_``, ``n_customers_``.

    ``penalizer`` adds ``penalizer * sum(log(param) ** 2)`` to the average negative
    log-likelihood per customer (an L2 penalty on log-parameters, shrinking them towards 1).
    """

    param_names: ClassVar[tuple[str, ...]] = ("r", "alpha", "a", "b")
    model_name: ClassVar[str] = "BG/NBD"
    boundary_meanings: ClassVar[dict[tuple[str, str], str]] = {
        ("a", "low"): "customers almost never drop out after a purchase",
        ("b", "high"): "customers almost never drop out after a purchase",
        ("a", "high"): "the drop-out probability is the same for every customer",
        ("r", "high"): "the purchase rate is the same for every customer",
        ("alpha", "high"): "the purchase rate is the same for every customer",
        ("r", "low"): "almost all purchasing comes from a few very active customers",
    }

    @staticmethod
    def _x_terms(params: np.ndarray, ux: np.ndarray) -> dict[str, np.ndarray]:
        """The parts of FHL 2005 eq. 6 that depend on x only, per distinct x, with derivatives:
        lg = log G(r+x)/G(r); t1 = log B(a, b+x)/B(a, b); t2 = log B(a+1, b+x-1)/B(a, b)
        (-inf at x = 0, where the second term of eq. 6 is absent)."""
        r, _, a, b = params
        pos = ux > 0
        xs = np.where(pos, ux, 1.0)  # safe x for the x > 0 terms
        bl0 = betaln(a, b)
        psi_ab = digamma(a + b)
        psi_abx = digamma(a + b + ux)
        return {
            "lg": gammaln(r + ux) - gammaln(r),
            "lg_r": digamma(r + ux) - digamma(r),
            "t1": betaln(a, b + ux) - bl0,
            "t1_a": psi_ab - psi_abx,
            "t1_b": digamma(b + ux) - psi_abx - digamma(b) + psi_ab,
            "t2": np.where(pos, betaln(a + 1, b + xs - 1) - bl0, -np.inf),
            "t2_a": np.where(pos, digamma(a + 1) - digamma(a) + psi_ab - psi_abx, 0.0),
            "t2_b": np.where(pos, digamma(b + xs - 1) - digamma(b) + psi_ab - psi_abx, 0.0),
        }

    def _loglik(self, params: np.ndarray, d: RFMData) -> tuple[np.ndarray, np.ndarray]:
        """FHL 2005 eq. 6 in log space per row, with its analytic gradient (rows x 4).

        L = B(a, b+x)/B(a, b) G(r+x) alpha^r / (G(r) (alpha+T)^(r+x))
            + [x > 0] B(a+1, b+x-1)/B(a, b) G(r+x) alpha^r / (G(r) (alpha+t_x)^(r+x)).
        """
        r, alpha, _, _ = params
        k = self._x_terms(params, d.ux)
        xi = d.xi
        rx = r + d.x
        log_aT = np.log(alpha + d.T)
        log_atx = np.log(alpha + d.tx)
        l1 = k["t1"][xi] - rx * log_aT
        l2 = k["t2"][xi] - rx * log_atx
        lse = np.logaddexp(l1, l2)
        w2 = np.exp(l2 - lse)
        w1 = 1.0 - w2
        ll = k["lg"][xi] + r * np.log(alpha) + lse
        grad = np.empty((len(ll), 4))
        grad[:, 0] = k["lg_r"][xi] + np.log(alpha) - w1 * log_aT - w2 * log_atx
        grad[:, 1] = r / alpha - w1 * rx / (alpha + d.T) - w2 * rx / (alpha + d.tx)
        grad[:, 2] = w1 * k["t1_a"][xi] + w2 * k["t2_a"][xi]
        grad[:, 3] = w1 * k["t1_b"][xi] + w2 * k["t2_b"][xi]
        return ll, grad

    def _loglik_total(self, params: np.ndarray, d: RFMData) -> tuple[float, np.ndarray]:
        """Weighted sum of ``_loglik`` and of its gradient, in fewer passes over the rows.

        Write eq. 6 as log L = lg + r log alpha + l1 + softplus(l2 - l1) with
        l1 = t1 - (r+x) log(alpha+T) and l2 = t2 - (r+x) log(alpha+t_x). Every term except the
        softplus depends on x alone or on T alone, so its weighted sum is a dot product over
        distinct x or distinct T. Per row remain the difference l2 - l1, its softplus and the
        share w2 = 1 / (1 + exp(l1 - l2)) of the second term in L (w1 = 1 - w2); the gradient
        needs sums of w * w2 (times r + x) per distinct x, T and t_x, from ``np.bincount``.
        """
        if d.per_row:
            return self._loglik_total_rows(params, d)
        r, alpha, _, _ = params
        k = self._x_terms(params, d.ux)
        uT, Ti = d.by_T
        utx, txi = d.by_tx
        wx = d.w_by_x
        wT, wxT = d.w_by_T
        la_T = np.log(alpha + uT)
        la_tx = np.log(alpha + utx)
        ia_T = 1.0 / (alpha + uT)
        ia_tx = 1.0 / (alpha + utx)
        rx = d.x + r
        with np.errstate(invalid="ignore"):
            dt = k["t2"] - k["t1"]  # -inf at x = 0
        diff = dt[d.xi] + rx * (la_T[Ti] - la_tx[txi])  # l2 - l1
        # softplus(diff) = max(diff, 0) + log(1 + e), e = exp(-|diff|) in [0, 1]: one exp and
        # one log per row (log(1 + e) is exact to 1e-16 absolute, all a sum needs).
        e = np.exp(-np.abs(diff))
        one_e = 1.0 + e
        sp = np.maximum(diff, 0.0) + np.log(one_e)
        # share of the second term: w2 = 1 / (1 + exp(-diff)), i.e. 1/(1+e) or e/(1+e)
        ww2 = d.w * np.where(diff > 0, 1.0, e) / one_e
        wrw2 = ww2 * rx
        s2_x = np.bincount(d.xi, weights=ww2, minlength=len(d.ux))
        s2_T = np.bincount(Ti, weights=ww2, minlength=len(uT))
        s2_tx = np.bincount(txi, weights=ww2, minlength=len(utx))
        sr_T = np.bincount(Ti, weights=wrw2, minlength=len(uT))
        sr_tx = np.bincount(txi, weights=wrw2, minlength=len(utx))
        log_alpha = np.log(alpha)
        total = d.total_w
        rlaT = r * float(wT @ la_T) + float(wxT @ la_T)  # sum w (r+x) log(alpha+T)
        ll = (
            float(wx @ (k["lg"] + k["t1"])) + total * r * log_alpha - rlaT + weighted_sum(d.w, sp)
        )
        g = np.empty(4)
        # d/dr: lg_r + log alpha - w1 log(alpha+T) - w2 log(alpha+t_x)
        g[0] = (
            float(wx @ k["lg_r"]) + total * log_alpha - float(wT @ la_T)
            - (float(s2_tx @ la_tx) - float(s2_T @ la_T))
        )
        # d/dalpha: r/alpha - (r+x) [w1/(alpha+T) + w2/(alpha+t_x)]
        g[1] = (
            total * r / alpha - (r * float(wT @ ia_T) + float(wxT @ ia_T))
            - (float(sr_tx @ ia_tx) - float(sr_T @ ia_T))
        )
        # d/da, d/db: w1 t1' + w2 t2'
        g[2] = float(wx @ k["t1_a"]) + float(s2_x @ (k["t2_a"] - k["t1_a"]))
        g[3] = float(wx @ k["t1_b"]) + float(s2_x @ (k["t2_b"] - k["t1_b"]))
        return ll, g

    def _loglik_total_rows(self, params: np.ndarray, d: RFMData) -> tuple[float, np.ndarray]:
        """The same total as ``_loglik_total`` for (nearly) distinct rows, as plain per-row
        sums: x = 0 rows contribute r log alpha - r log(alpha+T) only (eq. 6 has no second term
        there, and lg = t1 = 0), the others the softplus form of ``_loglik_total``. (A model
        whose x = 0 rows do have a second term, the MBG/NBD, takes every row the long way.)

        Every per-row array lives in a scratch buffer of ``d`` that the next evaluation reuses
        (``RFMData.buffer``), and unit weights skip their multiplications: an evaluation is
        about twenty passes over the rows with x > 0 and four over the others, with no fresh
        memory."""
        r, alpha, _, _ = params
        k = self._x_terms(params, d.ux)
        if d.ux[0] == 0 and k["t2"][0] == -np.inf:
            (T0, w0), (x, tx, T, w, xi) = d.split
        else:
            T0 = w0 = np.empty(0)
            x, tx, T, w, xi = d.x, d.tx, d.T, d.w, d.xi
        unit = d.unit_weights
        n0, n1 = len(T0), len(x)
        z0, l0, t0 = d.buffer("z0", n0), d.buffer("l0", n0), d.buffer("t0", n0)
        np.add(T0, alpha, out=z0)
        np.log(z0, out=l0)
        np.reciprocal(z0, out=z0)
        sum_la0 = dot_into(w0, l0, t0, unit)
        sum_ia0 = dot_into(w0, z0, t0, unit)
        ia_T, la_T = d.buffer("ia_T", n1), d.buffer("la_T", n1)
        di, dl = d.buffer("ia_tx", n1), d.buffer("la_tx", n1)
        rx, diff, e, tmp = (d.buffer(name, n1) for name in ("rx", "diff", "e", "tmp"))
        np.add(T, alpha, out=ia_T)
        np.log(ia_T, out=la_T)
        np.reciprocal(ia_T, out=ia_T)
        np.add(tx, alpha, out=di)
        np.log(di, out=dl)
        np.reciprocal(di, out=di)
        np.add(x, r, out=rx)
        wrx = rx if unit else np.multiply(w, rx, out=d.buffer("wrx", n1))
        sum_la = dot_into(w, la_T, tmp, unit)
        sum_rx_la = dot_into(wrx, la_T, tmp)
        sum_rx_ia = dot_into(wrx, ia_T, tmp)
        np.subtract(dl, la_T, out=dl)  # log(alpha+t_x) - log(alpha+T)
        np.subtract(di, ia_T, out=di)  # 1/(alpha+t_x) - 1/(alpha+T)
        # diff = l2 - l1 = (t2 - t1)[x] - (r+x) dl, finite for x > 0
        np.take(k["t2"] - k["t1"], xi, out=diff)
        np.multiply(rx, dl, out=tmp)
        np.subtract(diff, tmp, out=diff)
        # softplus(diff) = max(diff, 0) + log1p(e) with e = exp(-|diff|) in [0, 1]
        np.abs(diff, out=e)
        np.negative(e, out=e)
        np.exp(e, out=e)
        np.maximum(diff, 0.0, out=tmp)
        sum_sp = dot_into(w, tmp, tmp, unit)
        np.log1p(e, out=tmp)
        sum_sp += dot_into(w, tmp, tmp, unit)
        # share of the second term: w2 = 1/(1+e) where diff > 0, else e/(1+e)
        np.add(e, 1.0, out=tmp)
        np.reciprocal(tmp, out=tmp)
        np.multiply(e, tmp, out=e)
        np.copyto(e, tmp, where=diff > 0.0)
        ww2 = e if unit else np.multiply(w, e, out=e)
        sum_w2_dl = dot_into(ww2, dl, tmp)
        np.multiply(ww2, rx, out=tmp)
        sum_w2_rx_di = dot_into(tmp, di, tmp)
        s2_x = np.bincount(xi, weights=ww2, minlength=len(d.ux))
        log_alpha = np.log(alpha)
        total = d.total_w
        wx = d.w_by_x
        ll = (float(wx @ (k["lg"] + k["t1"])) + total * r * log_alpha - r * sum_la0
              - sum_rx_la + sum_sp)
        g = np.empty(4)
        g[0] = float(wx @ k["lg_r"]) + total * log_alpha - sum_la0 - sum_la - sum_w2_dl
        g[1] = total * r / alpha - r * sum_ia0 - sum_rx_ia - sum_w2_rx_di
        g[2] = float(wx @ k["t1_a"]) + float(s2_x @ (k["t2_a"] - k["t1_a"]))
        g[3] = float(wx @ k["t1_b"]) + float(s2_x @ (k["t2_b"] - k["t1_b"]))
        return ll, g

    def _starts(self, d: RFMData) -> list[np.ndarray]:
        rate = weighted_sum(d.w, d.x) / max(weighted_sum(d.w, d.T), 1e-12)
        alpha0 = 1.0 / max(rate, 1e-6)
        return [np.log([1.0, alpha0, 1.0, 1.0]), np.zeros(4), np.log([0.5, alpha0, 0.5, 2.0])]

    # ----------------------------------------------------------------------------- predictions
    def _log_p_alive(self, x, tx, T) -> np.ndarray:
        """FHL 2005 eq. 13 (also Fader, Hardie & Lee 2008 note 023):
        P(alive) = 1 / (1 + [x > 0] a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x))."""
        r, alpha, a, b = (self.params_[n] for n in self.param_names)
        x = np.asarray(x, dtype=np.float64)
        pos = x > 0
        xs = np.where(pos, x, 1.0)
        log_odds = (
            np.log(a)
            - np.log(b + xs - 1)
            + (r + x) * (np.log(alpha + T) - np.log(alpha + tx))
        )
        return np.where(pos, -np.logaddexp(0.0, log_odds), 0.0)

    def _alive_expectation(self, t, x, T) -> np.ndarray:
        """FHL 2005 eq. 10 without its P(alive) denominator:
        (a+b+x-1)/(a-1) [1 - ((alpha+T)/(alpha+T+t))^(r+x) 2F1(r+x, b+x; a+b+x-1; t/(alpha+T+t))],
        i.e. the expectation for a customer with posterior lambda ~ Gamma(r+x, alpha+T) and
        p ~ Beta(a, b+x); evaluated exactly for every a, b (also a+b+x-1 <= 0 and t >> alpha) by
        ``_special.beta_geometric_expectation``."""
        r, alpha, a, b = (self.params_[n] for n in self.param_names)
        return beta_geometric_expectation(t, r + x, alpha + T, a, b + x)

    #: B - b - x of the posterior Beta(a, B) of p given alive (0 here, 1 for the MBG/NBD).
    _posterior_b_shift: ClassVar[float] = 0.0

    def _alive_expectation_grid(self, t, x, T, groups=None) -> np.ndarray:
        """``_alive_expectation`` on a (customers x periods) grid, by
        ``_special.beta_geometric_grid`` (2F1 interpolated per distinct x)."""
        r, alpha, a, b = (self.params_[n] for n in self.param_names)
        return beta_geometric_grid(t, r + x, alpha + T, a, b + x + self._posterior_b_shift,
                                   groups=groups)

    def _grid_offset(self) -> float:
        """alpha: the expectation is E_p[(1 - (1 + p t/(alpha+T))^-(r+x)) / p] with
        p ~ Beta(a, b+x) (``beta_geometric_expectation``, equation (1)), singular in T only
        where alpha + T = -p t for some p in [0, 1], i.e. on alpha + T <= 0."""
        return self.params_["alpha"]

    def expected_purchases_new(self, t):
        """Unconditional E[X(t)] for a customer just acquired (FHL 2005 eq. 9):
        (a+b-1)/(a-1) [1 - (alpha/(alpha+t))^r 2F1(r, b; a+b-1; t/(alpha+t))]."""
        r, alpha, a, b = self.check_fitted()
        tt = np.asarray(t, dtype=np.float64)
        if np.any(~np.isfinite(tt)) or np.any(tt < 0):
            raise InputError("t must be finite and >= 0")
        return like_input(beta_geometric_expectation(tt, r, alpha, a, b), t)

    def prob_purchases(self, n, t):
        """P(X(t) = n) for a customer just acquired (FHL 2005 eq. 8)."""
        r, alpha, a, b = self.check_fitted()
        n, t = _count_args(n, t)
        return like_input(bgnbd_pmf(n, t, r, alpha, a, b), n, t)

    def _pmf_if_alive(self, n, t, x, T) -> np.ndarray:
        """Alive at T, the customer's future is that of a new customer whose rates follow the
        posterior: lambda ~ Gamma(r + x, alpha + T), p ~ Beta(a, b + x) (FHL 2005 section 5),
        so eq. 8 applies with those parameters."""
        r, alpha, a, b = self.check_fitted()
        return bgnbd_pmf(n, t, r + x, alpha + T, a, b + x)


def _count_args(n, t) -> tuple[np.ndarray, np.ndarray]:
    n = np.asarray(n, dtype=np.float64)
    t = np.asarray(t, dtype=np.float64)
    if np.any(~np.isfinite(n)) or np.any(n < 0) or np.any(n != np.round(n)):
        raise InputError("n must be whole numbers >= 0")
    if np.any(~np.isfinite(t)) or np.any(t < 0):
        raise InputError("t must be finite and >= 0")
    return n, t


def bgnbd_pmf(n, t, r, alpha, a, b) -> np.ndarray:
    """FHL 2005 eq. 8, vectorised:

    P(X(t) = n) = B(a, b+n)/B(a, b) NB(n; r, alpha/(alpha+t))
                  + [n > 0] B(a+1, b+n-1)/B(a, b) P(NB(r, alpha/(alpha+t)) >= n),

    with NB the negative binomial count of a Gamma(r, alpha)-mixed Poisson over t; its survival
    function is the regularised incomplete beta I_{t/(alpha+t)}(n, r).
    """
    n, t, r, alpha, a, b = np.broadcast_arrays(
        *(np.asarray(v, dtype=np.float64) for v in (n, t, r, alpha, a, b))
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        log_q = np.log(alpha) - np.log(alpha + t)
        log_p = np.log(t) - np.log(alpha + t)
        bl0 = betaln(a, b)
        nb = np.exp(
            gammaln(r + n) - gammaln(r) - gammaln(n + 1) + r * log_q
            + np.where(n > 0, n * log_p, 0.0)
        )
        nb = np.where(t > 0, nb, (n == 0).astype(np.float64))
        first = np.exp(betaln(a, b + n) - bl0) * nb
        pos = n > 0
        ns = np.where(pos, n, 1.0)
        tail = betainc(ns, r, t / (alpha + t))
        second = np.where(pos, np.exp(betaln(a + 1, b + ns - 1) - bl0) * tail, 0.0)
    return first + second
