"""Base class of the purchase-count models (BG/NBD and Pareto/NBD).

Both models see a customer through (x, t_x, T) = (frequency, recency, T) in the summary's time
unit, and both factor the conditional expectation as

    E[X(T, T + t) | x, t_x, T] = alive_expectation(t, x, T) * P(alive | x, t_x, T),

where ``alive_expectation`` is the expected number of purchases in the next t units for a
customer known to be alive at T. ``predict_clv`` uses this factorisation to evaluate the
expensive part once per distinct (x, T) pair.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from functools import cached_property
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from ..errors import FitError, InputError
from ..timeunits import check_unit
from ._fitting import (
    check_rfm,
    check_weights,
    compress,
    maximise,
    natural_hessian,
    standard_errors,
    warn_not_converged,
    weighted_colsum,
    weighted_sum,
)


class RFMData:
    """Distinct (x, t_x, T) rows with weights.

    Terms that depend on x only are evaluated once per distinct x (``ux``) and indexed through
    ``xi``; likewise ``by_T`` and ``by_tx`` give the distinct values of T and t_x with each
    row's index, so that log(alpha + T) and friends cost one logarithm per distinct value.
    """

    def __init__(self, x: np.ndarray, tx: np.ndarray, T: np.ndarray, w: np.ndarray):
        self.x, self.tx, self.T, self.w = x, tx, T, w
        self.ux, self.xi = np.unique(x, return_inverse=True)
        self.total_w = float(w.sum())

    @cached_property
    def by_T(self) -> tuple[np.ndarray, np.ndarray]:
        """(distinct T values, index of each row's T)."""
        codes, uniq = pd.factorize(self.T, sort=False)
        return np.asarray(uniq, dtype=np.float64), codes

    @cached_property
    def by_tx(self) -> tuple[np.ndarray, np.ndarray]:
        """(distinct t_x values, index of each row's t_x)."""
        codes, uniq = pd.factorize(self.tx, sort=False)
        return np.asarray(uniq, dtype=np.float64), codes

    @cached_property
    def w_by_x(self) -> np.ndarray:
        """Total weight per distinct x."""
        return np.bincount(self.xi, weights=self.w, minlength=len(self.ux))

    @cached_property
    def w_by_T(self) -> tuple[np.ndarray, np.ndarray]:
        """(total weight, total weight * x) per distinct T."""
        uT, Ti = self.by_T
        return (
            np.bincount(Ti, weights=self.w, minlength=len(uT)),
            np.bincount(Ti, weights=self.w * self.x, minlength=len(uT)),
        )


def summary_columns(summary: pd.DataFrame, columns: tuple[str, ...]) -> list[np.ndarray]:
    """Columns of an ``rfm_summary`` frame by name (``summary["T"]``, never ``summary.T``)."""
    if not isinstance(summary, pd.DataFrame):
        raise InputError(f"summary must be a DataFrame from rfm_summary; got {type(summary)}")
    missing = [c for c in columns if c not in summary.columns]
    if missing:
        raise InputError(
            f"summary is missing column(s) {missing}; expected the output of "
            f"cltv_xl.summary.rfm_summary with columns {list(columns)}"
        )
    return [summary[c].to_numpy(dtype=np.float64) for c in columns]


def summary_unit(summary: pd.DataFrame) -> str | None:
    unit = summary.attrs.get("time_unit")
    return None if unit is None else check_unit(unit, 'summary.attrs["time_unit"]')


class PurchaseModel(ABC):
    """Shared fitting and prediction plumbing; subclasses supply the likelihood."""

    param_names: ClassVar[tuple[str, ...]]
    model_name: ClassVar[str]

    def __init__(self, penalizer: float = 0.0):
        if not np.isfinite(penalizer) or penalizer < 0:
            raise InputError(f"penalizer must be a number >= 0; got {penalizer!r}")
        self.penalizer = float(penalizer)

    # ----------------------------------------------------------------- likelihood (subclass)
    @abstractmethod
    def _loglik(self, params: np.ndarray, d: RFMData) -> tuple[np.ndarray, np.ndarray]:
        """Per-row log-likelihood and its gradient w.r.t. the natural parameters (rows x k)."""

    def _loglik_total(self, params: np.ndarray, d: RFMData) -> tuple[float, np.ndarray]:
        """Weighted total log-likelihood and its gradient w.r.t. the natural parameters.

        This default sums ``_loglik``'s rows; a subclass may override it with a faster form.
        """
        ll, g = self._loglik(params, d)
        return weighted_sum(d.w, ll), weighted_colsum(d.w, g)

    @abstractmethod
    def _starts(self, d: RFMData) -> list[np.ndarray]:
        """Starting log-parameters for the optimiser."""

    # ----------------------------------------------------------------------------- fitting
    def fit(self, frequency, recency, T, weights=None, *, time_unit: str | None = None):
        """Fit by maximum likelihood; returns ``self``.

        ``frequency`` (repeat purchases x), ``recency`` (t_x) and ``T`` are per customer, in one
        time unit (record it with ``time_unit``; ``fit_summary`` reads it from the summary).
        ``weights`` multiplies each customer's log-likelihood (e.g. counts of identical rows).
        """
        x, tx, tt = check_rfm(frequency, recency, T)
        w = check_weights(weights, len(x))
        self.time_unit_ = None if time_unit is None else check_unit(time_unit)
        (ux, utx, uT), _, uw = compress(x, tx, tt, weights=None if weights is None else w)
        keep = uw > 0
        d = RFMData(ux[keep], utx[keep], uT[keep], uw[keep])
        self._check_identifiable(d)
        names = self.param_names

        def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
            params = np.exp(theta)
            ll, g = self._loglik_total(params, d)
            f = -ll / d.total_w + self.penalizer * float(theta @ theta)
            grad = -g / d.total_w * params + 2 * self.penalizer * theta
            if not np.isfinite(f) or not np.all(np.isfinite(grad)):
                return np.inf, np.zeros_like(theta)
            return f, grad

        theta, converged, message = maximise(objective, self._starts(d), names)
        params = np.exp(theta)
        self.params_ = {n: float(v) for n, v in zip(names, params, strict=True)}
        self.log_likelihood_ = self._loglik_total(params, d)[0]
        self.n_customers_ = round(d.total_w) if weights is None else float(d.total_w)
        self.converged_ = converged
        if not converged:
            warn_not_converged(self.model_name, message, self._advice())

        def grad_natural(p: np.ndarray) -> np.ndarray:
            return -self._loglik_total(p, d)[1]

        self.standard_errors_ = standard_errors(natural_hessian(grad_natural, params), names)
        if np.isnan(list(self.standard_errors_.values())).any():
            self.converged_ = False
        return self

    def fit_summary(self, summary: pd.DataFrame, weights=None):
        """Fit on an ``rfm_summary`` frame (columns ``frequency``, ``recency``, ``T``; the unit
        comes from ``summary.attrs["time_unit"]``)."""
        x, tx, tt = summary_columns(summary, ("frequency", "recency", "T"))
        return self.fit(x, tx, tt, weights, time_unit=summary_unit(summary))

    def _advice(self) -> str:
        return (
            "Try a longer calibration period, more customers, or a small penalizer "
            f"(e.g. {type(self).__name__}(penalizer=0.001))"
        )

    def _check_identifiable(self, d: RFMData) -> None:
        n = d.total_w
        if len(d.x) == 1 and n <= 1:
            raise FitError(
                f"{self.model_name} needs many customers: a single customer cannot identify the "
                "four population parameters. Fit on the whole customer base."
            )
        if np.all(d.T == 0):
            raise FitError(
                f"{self.model_name} cannot be fitted: every customer's T is 0 (all purchases fall "
                "on the last day of the data), so there is no observation time. Use a later "
                "as_of/calibration_end date."
            )
        if np.all(d.x == 0):
            raise FitError(
                f"{self.model_name} cannot be fitted: all {n:,.0f} customers are one-time buyers "
                "(frequency 0). Without repeat purchases neither the purchase rate nor the "
                "drop-out process can be estimated. Use a longer calibration period, or the "
                "historical formula (cltv_xl.metrics) instead."
            )

    # ------------------------------------------------------------------------- prediction
    def _check_fitted(self) -> np.ndarray:
        if not hasattr(self, "params_"):
            raise InputError(
                f"this {type(self).__name__} is not fitted yet; call fit() or fit_summary() first"
            )
        return np.array([self.params_[n] for n in self.param_names])

    @abstractmethod
    def _log_p_alive(self, x, tx, T) -> np.ndarray:
        """log P(alive at T | x, t_x, T)."""

    @abstractmethod
    def _alive_expectation(self, t, x, T) -> np.ndarray:
        """E[purchases in (T, T + t] | alive at T, x, T]."""

    def p_alive(self, frequency, recency, T) -> np.ndarray:
        """Probability that each customer is still active at the end of its observation T."""
        self._check_fitted()
        x, tx, tt = _rfm_broadcast(frequency, recency, T)
        return np.exp(self._log_p_alive(x, tx, tt))

    def expected_purchases(self, t, frequency, recency, T) -> np.ndarray:
        """Expected number of purchases in the next ``t`` units, given (x, t_x, T)."""
        self._check_fitted()
        t = _nonneg(t, "t")
        x, tx, tt = _rfm_broadcast(frequency, recency, T)
        return self._alive_expectation(t, x, tt) * np.exp(self._log_p_alive(x, tx, tt))

    def summary_frame(self) -> pd.DataFrame:
        """Parameters with standard errors, one row per parameter."""
        self._check_fitted()
        return pd.DataFrame(
            {
                "estimate": self.params_,
                "standard_error": self.standard_errors_,
            }
        ).rename_axis("parameter")

    def __repr__(self) -> str:
        if hasattr(self, "params_"):
            inner = ", ".join(f"{k}={v:.4g}" for k, v in self.params_.items())
            return f"{type(self).__name__}({inner})"
        return f"{type(self).__name__}(penalizer={self.penalizer})"


def _nonneg(values: Any, name: str) -> np.ndarray:
    arr = np.asarray(values, dtype=np.float64)
    if np.any(~np.isfinite(arr)) or np.any(arr < 0):
        raise InputError(f"{name} must be finite and >= 0")
    return arr


def _rfm_broadcast(frequency, recency, T):
    x = _nonneg(frequency, "frequency")
    tx = _nonneg(recency, "recency")
    tt = _nonneg(T, "T")
    return np.broadcast_arrays(x, tx, tt)
