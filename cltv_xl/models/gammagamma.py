"""The Gamma-Gamma model of spend per transaction: Fader & Hardie (2013), "The Gamma-Gamma model
of monetary value" (note 025, FH 2013 below), after Colombo & Jiang (1999).

Each transaction's value is Gamma(p, nu); nu ~ Gamma(q, gamma) across customers. A customer with
x repeat transactions of mean value m has m ~ Gamma(p x, nu x), so the marginal density of m is

    f(m | p, q, gamma, x) = G(px+q) / (G(px) G(q)) * gamma^q x^(px) m^(px-1) / (gamma + m x)^(px+q).

The model assumes spend per transaction is independent of purchase frequency; check that
(e.g. the correlation of frequency and monetary_value among repeat buyers) before relying on it.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pandas as pd
from scipy.special import digamma, gammaln

from ..errors import FitError, InputError
from ._base import FittedModel, distinct_sorted, like_input, summary_columns
from ._fitting import (
    ModelWarning,
    as_vector,
    check_weights,
    compress,
    dot_into,
    same_length,
    weighted_sum,
)

#: Above this q the spend heterogeneity is negligible: every customer has the same mean spend.
Q_HOMOGENEOUS = 1e6


class GammaGamma(FittedModel):
    """Gamma-Gamma spend model; ``params_`` = {p, q, v} (v is FH 2013's gamma).

    **Repeat buyers only.** ``fit`` raises :class:`~cltv_xl.errors.InputError` when given
    customers with frequency 0 (their monetary value is undefined); ``fit_summary`` selects the
    repeat buyers (``frequency > 0``) of an ``rfm_summary`` frame itself.

    ``penalizer`` adds ``penalizer * sum(log(param) ** 2)`` to the average negative
    log-likelihood per customer (an L2 penalty on log-parameters). Fitting, standard errors and
    warnings come from :class:`~cltv_xl.models._base.FittedModel`.
    """

    param_names: ClassVar[tuple[str, ...]] = ("p", "q", "v")
    model_name: ClassVar[str] = "Gamma-Gamma"
    boundary_meanings: ClassVar[dict[tuple[str, str], str]] = {
        ("q", "high"): "mean spend barely varies between customers",
        ("p", "high"): "spend per purchase barely varies within a customer",
    }

    @staticmethod
    def _x_terms(params: np.ndarray, ux: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per distinct x: log G(px+q) / (G(px) G(q)) + px log x and its derivatives in p, q."""
        p, q, _ = params
        px = p * ux
        log_x = np.log(ux)
        psi_pxq = digamma(px + q)
        lg = gammaln(px + q) - gammaln(px) - gammaln(q) + px * log_x
        dp_x = ux * (psi_pxq - digamma(px) + log_x)
        dq_x = psi_pxq - digamma(q)
        return lg, dp_x, dq_x

    @staticmethod
    def _loglik(params: np.ndarray, x, m, ux, xi) -> tuple[np.ndarray, np.ndarray]:
        """Per-row log f(m | p, q, v, x) (FH 2013) and its gradient w.r.t. (p, q, v)."""
        p, q, v = params
        lg, dp_x, dq_x = GammaGamma._x_terms(params, ux)
        log_m = np.log(m)
        log_vmx = np.log(v + m * x)
        pxr = p * x
        ll = lg[xi] + q * np.log(v) + (pxr - 1.0) * log_m - (pxr + q) * log_vmx
        g = np.empty((len(ll), 3))
        g[:, 0] = dp_x[xi] + x * (log_m - log_vmx)
        g[:, 1] = dq_x[xi] + np.log(v) - log_vmx
        g[:, 2] = q / v - (pxr + q) / (v + m * x)
        return ll, g

    def _loglik_total(self, params: np.ndarray, data: _SpendData) -> tuple[float, np.ndarray]:
        return data.loglik_total(params)

    def _starts(self, data: _SpendData) -> list[np.ndarray]:
        # Start near the moments: mean spend p/nu ~ mean with q = 2, v = mean.
        mean_all = data.mean_m
        return [np.log([1.0, 2.0, mean_all]), np.log([5.0, 3.0, mean_all * 2 / 5]), np.zeros(3)]

    def _advice(self) -> str:
        return (
            "Check monetary_value for outliers or use a small penalizer "
            "(GammaGamma(penalizer=0.001))"
        )

    def _post_fit(self, params: np.ndarray) -> None:
        if params[1] > Q_HOMOGENEOUS:
            self.converged_ = False
            self._warn(
                f"Gamma-Gamma: q = {params[1]:.3g} is huge, i.e. mean spend barely varies between "
                "customers; expected_spend is then about the overall average spend. Consider "
                "using that average instead.",
                ModelWarning,
            )

    def fit(self, frequency, monetary_value, weights=None):
        """Fit on repeat buyers: ``frequency`` > 0 and their mean repeat spend. Returns self."""
        x = as_vector(frequency, "frequency")
        m = as_vector(monetary_value, "monetary_value")
        n = same_length(frequency=x, monetary_value=m)
        w = check_weights(weights, n)
        if n == 0:
            raise InputError("there are no customers: frequency and monetary_value are empty")
        if np.any(x < 0) or np.any(x != np.round(x)):
            raise InputError("frequency must be whole numbers >= 0")
        zero = int((x == 0).sum())
        if zero:
            raise InputError(
                f"Gamma-Gamma is fitted on repeat buyers only: {zero} of {n} customers have "
                "frequency 0; pass summary[summary.frequency > 0]"
            )
        if np.any(m <= 0):
            raise InputError(
                f"monetary_value must be > 0 for the Gamma-Gamma model; {int((m <= 0).sum())} "
                "repeat buyer(s) have a zero or negative mean spend (refunds?); leave them out"
            )
        (ux_rows, um), _, uw = compress(x, m, weights=None if weights is None else w)
        keep = uw > 0
        xr, mr, wr = ux_rows[keep], um[keep], uw[keep]
        total = float(wr.sum())
        if len(xr) == 1 and total <= 1:
            raise FitError(
                "Gamma-Gamma needs many repeat buyers: a single customer cannot identify p, q, v"
            )
        mean_all = weighted_sum(wr, mr) / total
        if np.allclose(mr, mean_all, rtol=1e-9, atol=0):
            raise FitError(
                f"spend does not vary: every repeat buyer's mean spend is {mean_all:g}, so the "
                "Gamma-Gamma heterogeneity parameter q is infinite (no customer differs from "
                "another). Use that average spend directly as the expected spend."
            )
        return self._fit_data(_SpendData(xr, mr, wr), weighted=weights is not None)

    def fit_summary(self, summary: pd.DataFrame, weights=None):
        """Fit on the repeat buyers (``frequency > 0``) of an ``rfm_summary`` frame."""
        x, m = summary_columns(summary, ("frequency", "monetary_value"))
        keep = x > 0
        w = None if weights is None else check_weights(weights, len(x))[keep]
        return self.fit(x[keep], m[keep], w)

    def mean_spend(self) -> float:
        """Population mean spend per transaction, p v / (q - 1) (FH 2013; needs q > 1)."""
        p, q, v = self.check_fitted()
        return p * v / (q - 1.0) if q > 1 else float("inf")

    def expected_spend(self, frequency, monetary_value):
        """E(M | p, q, v, m, x) = p (v + m x) / (p x + q - 1) (FH 2013, the posterior mean,
        rearranged: a weighted mean of the population mean p v/(q-1) and the customer's own mean m).
        Frequency 0 gives the population mean p v / (q - 1). A Series in gives a Series out."""
        p, q, v = self.check_fitted()
        x = np.asarray(frequency, dtype=np.float64)
        m = np.asarray(monetary_value, dtype=np.float64)
        if np.any(x < 0) or np.any(~np.isfinite(x)):
            raise InputError("frequency must be finite and >= 0")
        m = np.where(x > 0, m, 0.0)
        out = p * (v + m * x) / (p * x + q - 1.0)
        return like_input(out, frequency, monetary_value)


class _SpendData:
    """Distinct (x, m) rows of the repeat buyers with weights, plus the sums of the Gamma-Gamma
    likelihood that do not depend on the parameters (computed once per fit)."""

    def __init__(self, x: np.ndarray, m: np.ndarray, w: np.ndarray):
        self.w = w
        self.ux, xi = distinct_sorted(x)
        self.total = self.total_w = float(w.sum())
        self.mean_m = weighted_sum(w, m) / self.total
        self.w_by_x = np.bincount(xi, weights=w, minlength=len(self.ux))
        self.mx = m * x
        self.wx = w * x
        log_m = np.log(m)
        self.sum_w_log_m = weighted_sum(w, log_m)
        self.sum_wx_log_m = weighted_sum(self.wx, log_m)
        self.unit = bool(np.all(w == 1.0))
        self._scratch = (np.empty(len(m)), np.empty(len(m)), np.empty(len(m)))

    def loglik_total(self, params: np.ndarray) -> tuple[float, np.ndarray]:
        """Weighted sum of ``GammaGamma._loglik`` and of its gradient. With L = log(v + m x),

        sum log f = sum_x W_x lg_x + W q log v + p S(x log m) - S(log m) - S((p x + q) L),

        (S = weighted sum over rows, W_x = weight of the rows with that x), so an evaluation
        costs one logarithm and one division per row.
        """
        p, q, v = params
        lg, dp_x, dq_x = GammaGamma._x_terms(params, self.ux)
        # v + m x, its log and its reciprocal in scratch arrays reused by every evaluation
        inv_vmx, log_vmx, tmp = self._scratch
        np.add(self.mx, v, out=inv_vmx)
        np.log(inv_vmx, out=log_vmx)
        np.reciprocal(inv_vmx, out=inv_vmx)
        s_w_l = dot_into(self.w, log_vmx, tmp, self.unit)
        s_wx_l = dot_into(self.wx, log_vmx, tmp)
        s_w_i = dot_into(self.w, inv_vmx, tmp, self.unit)
        s_wx_i = dot_into(self.wx, inv_vmx, tmp)
        wx, total, log_v = self.w_by_x, self.total, np.log(v)
        ll = (
            float(wx @ lg) + total * q * log_v + p * self.sum_wx_log_m - self.sum_w_log_m
            - p * s_wx_l - q * s_w_l
        )
        g = np.array([
            float(wx @ dp_x) + self.sum_wx_log_m - s_wx_l,
            float(wx @ dq_x) + total * log_v - s_w_l,
            q * total / v - p * s_wx_i - q * s_w_i,
        ])
        return ll, g
