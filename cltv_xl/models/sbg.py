"""The shifted-beta-geometric (sBG) model of contract renewals.

Fader, P. S. & Hardie, B. G. S. (2007). How to project customer retention. *Journal of
Interactive Marketing* 21(1), 76-90 (FH 2007); and Fader & Hardie (2010). Customer-base
valuation in a contractual setting: the perils of ignoring heterogeneity. *Marketing Science*
29(1), 85-93 (FH 2010).

The story (FH 2007, section 3): at the end of each period a customer renews with probability
1 - theta and cancels with probability theta, so its lifetime (periods paid, counting the first)
is geometric; theta differs between customers and follows a beta(alpha, beta) distribution. A
cohort's survivor function and retention rates are then (FH 2007, eq. 5-8)

    P(T = t) = B(alpha + 1, beta + t - 1) / B(alpha, beta),          t = 1, 2, ...
    S(t)     = B(alpha, beta + t) / B(alpha, beta),                  t = 0, 1, ...
    r(t)     = S(t) / S(t - 1) = (beta + t - 1) / (alpha + beta + t - 1),

so the retention rate rises with tenure although no customer's own rate changes: the customers
with a high theta leave first. The classic lifetime 1 / churn uses one average churn rate
E[theta] = alpha / (alpha + beta), whereas the mean lifetime is E[1 / theta], which Jensen's
inequality makes larger; it is (alpha + beta - 1) / (alpha - 1), and infinite when alpha <= 1.

Time is counted in the cohort's own periods (months, years...): ``t`` is the number of renewal
opportunities since acquisition.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from scipy.special import betaln, digamma

from ..errors import FitError, InputError
from ._base import FittedModel
from ._fitting import ModelWarning, as_vector, weighted_sum
from ._special import log_hyp2f1

__all__ = ["SBG", "sbg_derl", "sbg_expected_lifetime", "sbg_retention", "sbg_survival"]


# ---------------------------------------------------------------------------------------------
# Closed forms (also used by the worksheet functions)
# ---------------------------------------------------------------------------------------------


def _params(alpha: Any, beta: Any) -> tuple[float, float]:
    out = []
    for name, value in (("alpha", alpha), ("beta", beta)):
        try:
            v = float(value)
        except (TypeError, ValueError):
            raise InputError(f"{name} must be a number > 0; got {value!r}") from None
        if not math.isfinite(v) or v <= 0:
            raise InputError(f"{name} must be a number > 0; got {value!r}")
        out.append(v)
    return out[0], out[1]


def _periods(t: Any, name: str = "t", *, least: int = 0) -> np.ndarray:
    arr = np.asarray(t, dtype=np.float64)
    if np.any(~np.isfinite(arr)) or np.any(arr < least) or np.any(arr != np.round(arr)):
        raise InputError(f"{name} must be whole numbers of periods >= {least}; got {t!r}")
    return arr


def _result(values: np.ndarray, like: Any) -> float | np.ndarray:
    return float(values) if np.ndim(like) == 0 else values


def sbg_survival(alpha: float, beta: float, t: Any) -> float | np.ndarray:
    """S(t) = B(alpha, beta + t) / B(alpha, beta): the share of a cohort still subscribed after
    ``t`` renewal opportunities (FH 2007, eq. 6). S(0) = 1."""
    a, b = _params(alpha, beta)
    tt = _periods(t)
    return _result(np.exp(betaln(a, b + tt) - betaln(a, b)), t)


def sbg_retention(alpha: float, beta: float, t: Any) -> float | np.ndarray:
    """r(t) = (beta + t - 1) / (alpha + beta + t - 1): the share of the customers alive in
    period t - 1 who renew into period t, for t = 1, 2, ... (FH 2007, eq. 8)."""
    a, b = _params(alpha, beta)
    tt = _periods(t, least=1)
    return _result((b + tt - 1.0) / (a + b + tt - 1.0), t)


def sbg_expected_lifetime(alpha: float, beta: float, horizon: Any = None) -> float:
    """Expected number of periods a new customer pays for, counting the first.

    Without ``horizon``: E[1 / theta] = (alpha + beta - 1) / (alpha - 1), the mean of the
    beta-geometric lifetime, which exists only for alpha > 1; for alpha <= 1 the customers
    with churn near 0 stay so long that the mean is infinite, and this raises InputError
    saying so (use ``horizon`` or :func:`sbg_derl` instead). With ``horizon`` = H periods: the
    expected periods paid within the first H, sum of S(t) for t = 0 .. H-1 (always finite).
    """
    a, b = _params(alpha, beta)
    if horizon is None:
        if a <= 1.0:
            raise InputError(
                f"the mean lifetime is infinite: alpha = {a:.4g} <= 1, so enough customers have a "
                "churn probability near 0 that they stay for ever on average (FH 2007). Give a "
                "horizon (expected periods within it) or use the discounted residual lifetime "
                "(DERL), which is finite"
            )
        return (a + b - 1.0) / (a - 1.0)
    h = _periods(horizon, "horizon")
    if h.ndim:
        raise InputError("horizon must be one whole number of periods")
    n = int(h)
    if n > 10_000_000:
        raise InputError(f"horizon must be at most 10,000,000 periods; got {n:,}")
    t = np.arange(n, dtype=np.float64)
    return float(np.exp(betaln(a, b + t) - betaln(a, b)).sum())


def sbg_derl(alpha: float, beta: float, discount_rate: float, renewals: Any = 0):
    """Discounted expected residual lifetime of a customer who has renewed ``renewals`` times
    (FH 2010, eq. 6, with their n - 1 renewals = ``renewals``):

        DERL = (beta + n) / (alpha + beta + n) * 2F1(1, beta + n + 1; alpha + beta + n + 1;
                                                     1 / (1 + d)),      n = renewals.

    It is the expected discounted number of payments still to come, counted at the renewal
    decision the customer is about to make (that payment is not discounted, the next one by
    1 / (1 + d), ...). Multiply by the margin per period for the customer's residual value.
    ``discount_rate`` d is per period of the model. With d = 0 it is the undiscounted residual
    lifetime (beta + n) / (alpha - 1), finite only for alpha > 1.
    """
    a, b = _params(alpha, beta)
    try:
        d = float(discount_rate)
    except (TypeError, ValueError):
        raise InputError(f"discount_rate must be a number >= 0; got {discount_rate!r}") from None
    if not math.isfinite(d) or d < 0:
        raise InputError(f"discount_rate must be a number >= 0 (per period); got {discount_rate!r}")
    n = _periods(renewals, "renewals")
    if d == 0.0:
        if a <= 1.0:
            raise InputError(
                f"with discount_rate 0 the residual lifetime is infinite for alpha = {a:.4g} <= 1; "
                "give a discount rate > 0"
            )
        return _result((b + n) / (a - 1.0), renewals)
    z = 1.0 / (1.0 + d)
    log_f = log_hyp2f1(1.0, b + n + 1.0, a + b + n + 1.0, np.full(n.shape, z)).value
    return _result((b + n) / (a + b + n) * np.exp(log_f), renewals)


# ---------------------------------------------------------------------------------------------
# Data: survivor counts of one or several cohorts
# ---------------------------------------------------------------------------------------------


def _cohorts(survivors: Any) -> list[np.ndarray]:
    """Survivor counts as a list of 1-D arrays, one per cohort.

    Accepts one sequence (one cohort), a list of sequences of different lengths, or a 2-D
    array / DataFrame whose rows are cohorts, padded at the end with NaN (the layout of a cohort
    table: later periods of young cohorts are not observed yet).
    """
    if isinstance(survivors, pd.Series):
        survivors = survivors.to_numpy(dtype=np.float64)
    if isinstance(survivors, pd.DataFrame):
        survivors = survivors.to_numpy(dtype=np.float64)
    if isinstance(survivors, np.ndarray) and survivors.ndim == 2:
        rows = [row[: _observed_length(row, i)] for i, row in enumerate(survivors.astype(float))]
    elif isinstance(survivors, Sequence | np.ndarray) and len(survivors) and all(
        isinstance(s, Sequence | np.ndarray | pd.Series) and not isinstance(s, str)
        for s in survivors
    ):
        rows = [as_vector(s, f"survivors of cohort {i + 1}") for i, s in enumerate(survivors)]
    else:
        rows = [as_vector(survivors, "survivors")]
    if not rows:
        raise InputError("survivors is empty: give the survivor counts of at least one cohort")
    for i, row in enumerate(rows):
        where = f" of cohort {i + 1}" if len(rows) > 1 else ""
        if len(row) == 0:
            raise InputError(f"survivors{where} is empty")
        if np.any(row < 0):
            raise InputError(f"survivors{where} must be counts >= 0")
        if row[0] <= 0:
            raise InputError(
                f"survivors{where} must start with the cohort size (> 0) at period 0; "
                f"got {row[0]:g}"
            )
        up = np.flatnonzero(np.diff(row) > 0)
        if up.size:
            k = int(up[0]) + 1
            raise InputError(
                f"survivors{where} must not increase: period {k} has {row[k]:g} after "
                f"{row[k - 1]:g} in period {k - 1}. In the sBG a customer who cancels does not "
                "come back; give counts of customers still subscribed since acquisition"
            )
    return rows


def _observed_length(row: np.ndarray, i: int) -> int:
    missing = np.isnan(row)
    if not missing.any():
        return len(row)
    first = int(np.argmax(missing))
    if not missing[first:].all():
        raise InputError(
            f"survivors of cohort {i + 1} has a blank at period {first} followed by numbers; "
            "only the last periods of a cohort may be blank (not observed yet)"
        )
    return first


class _Churn:
    """Sufficient statistics of the cohorts: customers lost in period t = 1..K (``lost``) and
    customers still alive when their cohort's observation ended after t periods (``alive``),
    summed over cohorts with their weights."""

    def __init__(self, rows: list[np.ndarray], w: np.ndarray):
        k = max(len(r) for r in rows) - 1
        self.lost = np.zeros(k)
        self.alive = np.zeros(k + 1)
        for row, wi in zip(rows, w, strict=True):
            self.lost[: len(row) - 1] += wi * -np.diff(row)
            self.alive[len(row) - 1] += wi * row[-1]
        self.t = np.arange(1, k + 1, dtype=np.float64)  # churn periods
        self.s = np.arange(k + 1, dtype=np.float64)  # censoring points
        self.total = float(self.lost.sum() + self.alive.sum())

    def loglik(self, params: np.ndarray) -> tuple[float, np.ndarray]:
        """Weighted log-likelihood (FH 2007, eq. 5 and the appendix) and its gradient in
        (alpha, beta):

            LL = sum_t lost_t log P(T = t) + sum_s alive_s log S(s).
        """
        a, b = params
        t, s = self.t, self.s
        base = betaln(a, b)
        dab = digamma(a + b)
        log_p = betaln(a + 1.0, b + t - 1.0) - base
        log_s = betaln(a, b + s) - base
        ll = weighted_sum(self.lost, log_p) + weighted_sum(self.alive, log_s)
        dpa = digamma(a + 1.0) - digamma(a + b + t) - digamma(a) + dab
        dpb = digamma(b + t - 1.0) - digamma(a + b + t) - digamma(b) + dab
        dsa = dab - digamma(a + b + s)
        dsb = digamma(b + s) - digamma(a + b + s) - digamma(b) + dab
        grad = np.array([
            weighted_sum(self.lost, dpa) + weighted_sum(self.alive, dsa),
            weighted_sum(self.lost, dpb) + weighted_sum(self.alive, dsb),
        ])
        return float(ll), grad


# ---------------------------------------------------------------------------------------------
# The model
# ---------------------------------------------------------------------------------------------


class SBG(FittedModel):
    """Shifted-beta-geometric model of contract renewals (Fader & Hardie 2007).

    >>> m = SBG().fit([1000, 869, 743, 653, 593, 551, 517, 491])   # FH 2007, "high end"
    >>> round(m.params_["alpha"], 3), round(m.params_["beta"], 3)
    (0.668, 3.806)

    After :meth:`fit`: ``params_`` {alpha, beta}, ``log_likelihood_``, ``standard_errors_``,
    ``converged_``, ``n_customers_`` (customers at period 0, weighted) and ``periods_`` (the
    longest observed history, in periods).
    """

    param_names = ("alpha", "beta")
    model_name = "sBG"
    boundary_meanings: ClassVar[dict[tuple[str, str], str]] = {
        ("alpha", "high"): "churn probabilities hardly vary between customers",
        ("beta", "high"): "customers almost never churn",
    }

    def _advice(self) -> str:
        return "Add more cohorts or periods, or use a small penalizer."

    def _loglik_total(self, params: np.ndarray, data: Any) -> tuple[float, np.ndarray]:
        return data.loglik(params)

    def _starts(self, data: Any) -> list[np.ndarray]:
        return [np.zeros(2), np.log([0.5, 2.0]), np.log([2.0, 10.0])]

    def fit(self, survivors: Any, weights: Any = None) -> SBG:
        """Fit by maximum likelihood on cohort survivor counts; returns ``self``.

        ``survivors``: the customers still subscribed at the start of periods 0, 1, ..., n of
        one cohort (period 0 = the cohort size), or several cohorts at once: a list of such
        sequences (lengths may differ), or a 2-D array / DataFrame with one row per cohort and
        NaN for periods not observed yet. ``weights``: one per cohort, multiplying its
        log-likelihood (default 1).
        """
        rows = _cohorts(survivors)
        if weights is None:
            w = np.ones(len(rows))
        else:
            w = as_vector(weights, "weights")
            if len(w) != len(rows):
                raise InputError(
                    f"weights must have one value per cohort ({len(rows)}); got {len(w)}"
                )
            if np.any(w < 0):
                raise InputError("weights must be >= 0")
        data = _Churn(rows, w)
        self._check_identifiable(rows, data)
        if all(np.all(r <= 1.0) for r in rows) and any(np.any((r > 0) & (r < 1)) for r in rows):
            warnings.warn(
                "sBG: the survivors look like proportions (at most 1); the estimates are right "
                "but the standard errors treat each cohort as one customer. Pass counts.",
                ModelWarning,
                stacklevel=2,
            )
        data.total_w = data.total
        self._fit_data(data, weighted=weights is not None)
        self.n_customers_ = float(sum(wi * r[0] for wi, r in zip(w, rows, strict=True)))
        self.periods_ = len(data.s) - 1
        return self

    def _check_identifiable(self, rows: list[np.ndarray], data: _Churn) -> None:
        if len(data.t) < 2:
            raise FitError(
                "sBG needs at least two renewal periods (survivors at periods 0, 1 and 2): one "
                "period gives only the first churn rate, which cannot separate alpha from beta"
            )
        if data.lost.sum() <= 0:
            raise FitError(
                "sBG cannot be fitted: no customer cancelled in the periods observed, so there "
                "is no churn to model"
            )
        if data.alive[1:].sum() <= 0 and data.lost[1:].sum() <= 0:
            raise FitError(
                "sBG cannot be fitted: every customer cancelled at the first renewal, so no "
                "later renewal tells the customers apart"
            )

    # --------------------------------------------------------------------------- predictions
    def _fitted(self) -> tuple[float, float]:
        alpha, beta = self.check_fitted()  # the base's one fitted check
        return float(alpha), float(beta)

    def survival(self, t: Any) -> float | np.ndarray:
        """Projected share of a cohort still subscribed after ``t`` periods (FH 2007, eq. 6)."""
        return sbg_survival(*self._fitted(), t)

    def retention_rate(self, t: Any) -> float | np.ndarray:
        """Projected retention rate in period ``t`` >= 1 (FH 2007, eq. 8)."""
        return sbg_retention(*self._fitted(), t)

    def expected_lifetime(self, horizon: Any = None) -> float:
        """Expected periods paid by a new customer (see :func:`sbg_expected_lifetime`; raises
        InputError when the mean is infinite, alpha <= 1, unless a ``horizon`` is given)."""
        return sbg_expected_lifetime(*self._fitted(), horizon)

    def derl(self, discount_rate: float, renewals: Any = 0) -> float | np.ndarray:
        """Discounted expected residual lifetime after ``renewals`` renewals (FH 2010, eq. 6)."""
        return sbg_derl(*self._fitted(), discount_rate, renewals)

    def churn_rate(self) -> float:
        """Mean churn probability of a new customer, E[theta] = alpha / (alpha + beta); its
        inverse is the classic lifetime 1 / churn, which ignores heterogeneity."""
        a, b = self._fitted()
        return a / (a + b)

