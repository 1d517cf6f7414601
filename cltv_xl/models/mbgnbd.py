"""The modified BG/NBD model (MBG/NBD) of Batislam, Denizel & Filiztekin (2007), "Empirical
validation and comparison of models for customer base analysis", *International Journal of
Research in Marketing* 24(3), 201-209 (BDF 2007 below).

The BG/NBD story (Fader, Hardie & Lee 2005) with one change: a customer may also drop out
right after its *first* purchase (time 0), so a one-time buyer's P(alive) falls with time
instead of staying at 1. Per customer (x, t_x, T), with lambda ~ Gamma(r, alpha), p ~ Beta(a, b):

    L = G(r+x) alpha^r / G(r) * [ B(a, b+x+1)/B(a, b) (alpha+T)^-(r+x)
                                  + B(a+1, b+x)/B(a, b) (alpha+t_x)^-(r+x) ]    (every x >= 0)

    P(alive) = 1 / (1 + a/(b+x) ((alpha+T)/(alpha+t_x))^(r+x))

    E[X(T, T+t) | x, t_x, T] = P(alive) * (a+b+x)/(a-1)
        [1 - ((alpha+T)/(alpha+T+t))^(r+x) 2F1(r+x, b+x+1; a+b+x; t/(alpha+T+t))]

    E[X(t)] (new customer) = b/(a-1) [1 - (alpha/(alpha+t))^r 2F1(r, b+1; a+b; t/(alpha+t))].

These are the expressions of lifetimes' ModifiedBetaGeoFitter, with which the fit agrees on
CDNOW (tests/test_models_reference.py).
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from scipy.special import betaln, digamma, gammaln

from ._base import like_input
from ._special import beta_geometric_expectation
from .bgnbd import BGNBD, _count_args, bgnbd_pmf


class MBGNBD(BGNBD):
    """Modified BG/NBD (BDF 2007); ``params_`` = {r, alpha, a, b}, interface as :class:`BGNBD`.

    Use it instead of the BG/NBD when many customers bought once long ago: the BG/NBD gives
    them P(alive) = 1, the MBG/NBD lets them have dropped out.
    """

    model_name: ClassVar[str] = "MBG/NBD"

    @staticmethod
    def _x_terms(params: np.ndarray, ux: np.ndarray) -> dict[str, np.ndarray]:
        """Per distinct x: lg = log G(r+x)/G(r); t1 = log B(a, b+x+1)/B(a, b);
        t2 = log B(a+1, b+x)/B(a, b) (present for every x), with derivatives."""
        r, _, a, b = params
        bl0 = betaln(a, b)
        psi_ab = digamma(a + b)
        psi_abx1 = digamma(a + b + ux + 1)
        return {
            "lg": gammaln(r + ux) - gammaln(r),
            "lg_r": digamma(r + ux) - digamma(r),
            "t1": betaln(a, b + ux + 1) - bl0,
            "t1_a": psi_ab - psi_abx1,
            "t1_b": digamma(b + ux + 1) - psi_abx1 - digamma(b) + psi_ab,
            "t2": betaln(a + 1, b + ux) - bl0,
            "t2_a": digamma(a + 1) - digamma(a) + psi_ab - psi_abx1,
            "t2_b": digamma(b + ux) - digamma(b) + psi_ab - psi_abx1,
        }

    def _log_p_alive(self, x, tx, T) -> np.ndarray:
        """BDF 2007: P(alive) = 1 / (1 + a/(b+x) ((alpha+T)/(alpha+t_x))^(r+x)), every x."""
        r, alpha, a, b = (self.params_[n] for n in self.param_names)
        x = np.asarray(x, dtype=np.float64)
        log_odds = np.log(a) - np.log(b + x) + (r + x) * (np.log(alpha + T) - np.log(alpha + tx))
        return -np.logaddexp(0.0, log_odds)

    _posterior_b_shift: ClassVar[float] = 1.0

    def _alive_expectation(self, t, x, T) -> np.ndarray:
        """(a+b+x)/(a-1) [1 - ((alpha+T)/(alpha+T+t))^(r+x) 2F1(r+x, b+x+1; a+b+x; z)]: the
        posterior of p given alive is Beta(a, b+x+1) (x+1 survived drop-out chances)."""
        r, alpha, a, b = (self.params_[n] for n in self.param_names)
        return beta_geometric_expectation(t, r + x, alpha + T, a, b + x + 1.0)

    def expected_purchases_new(self, t):
        """E[X(t)] of a new customer: b/(a+b) of the alive expectation with p ~ Beta(a, b+1)
        (it survives its first purchase with probability b/(a+b)), i.e.
        b/(a-1) [1 - (alpha/(alpha+t))^r 2F1(r, b+1; a+b; t/(alpha+t))]."""
        r, alpha, a, b = self.check_fitted()
        tt = _count_args(0, t)[1]
        return like_input(b / (a + b) * beta_geometric_expectation(tt, r, alpha, a, b + 1.0), t)

    def prob_purchases(self, n, t):
        """P(X(t) = n) for a new customer: it drops out at once with probability a/(a+b) (no
        purchases), else follows FHL 2005 eq. 8 with p ~ Beta(a, b+1)."""
        r, alpha, a, b = self.check_fitted()
        n, t = _count_args(n, t)
        out = b / (a + b) * bgnbd_pmf(n, t, r, alpha, a, b + 1.0) + a / (a + b) * (n == 0)
        return like_input(out, n, t)

    def _pmf_if_alive(self, n, t, x, T) -> np.ndarray:
        r, alpha, a, b = self.check_fitted()
        return bgnbd_pmf(n, t, r + x, alpha + T, a, b + x + 1.0)
