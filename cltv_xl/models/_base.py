"""The fitted-model base shared by every model, and the purchase-model layer on top of it.

``FittedModel`` contract (every model class in ``cltv_xl.models`` follows it)
=============================================================================

A subclass declares:

* ``param_names`` (ClassVar tuple of str): the natural parameters, all > 0, in the order of the
  arrays passed to ``_loglik_total``;
* ``model_name`` (ClassVar str): the name used in messages ("BG/NBD");
* ``_loglik_total(params, data) -> (float, ndarray)``: the *weighted total* log-likelihood and its
  gradient w.r.t. the natural parameters (length k). It may return non-finite values or raise
  ``FloatingPointError``/``OverflowError``/``ZeroDivisionError``/``ValueError`` where the
  likelihood cannot be evaluated; the fit loop treats that point as infinitely bad;
* ``_starts(data) -> list[ndarray]``: starting points in *log*-parameters;
* optionally ``boundary_meanings`` (ClassVar dict ``{(name, "low"|"high"): text}``) that say what
  a parameter running to the edge of its range means for the customers, and ``_advice()``;
* optionally ``_post_fit(params)``: extra checks after the optimiser (may set ``converged_`` False
  and add to ``fit_warnings_``).

and a public ``fit(..., weights=None)`` that validates its arguments (``InputError``), builds a
data object with the attribute ``total_w`` (sum of weights), raises ``FitError`` when the data
cannot identify the model, and ends with ``return self._fit_data(data, weighted=...)``.

The base then supplies, for every model:

* the fit loop (``_fit_data``): L-BFGS-B over log-parameters from each start, the L2 penalty
  ``penalizer * sum(log(param) ** 2)`` on the mean negative log-likelihood per customer;
* the fitted state (scikit-learn style, names end in ``_``): ``params_`` (dict),
  ``log_likelihood_``,
  ``standard_errors_`` (from the Hessian of the log-likelihood), ``converged_``,
  ``poorly_identified_`` (names of parameters whose standard error exceeds the estimate),
  ``fit_warnings_`` (the text of every warning the fit raised, for the report and JSON),
  ``n_customers_``, ``time_unit_``;
* warnings: :class:`ConvergenceWarning` naming the parameter that ran off and what it means, and a
  :class:`ModelWarning` for poorly identified fits;
* ``check_fitted()`` (public; raises ``InputError`` before ``fit``), ``params_array()``,
  ``get_params``/``set_params`` (so ``sklearn.base.clone`` works), ``summary_frame()``.

``fit`` returns ``self``. A model is never half-fitted: the fitted attributes are set together at
the end of ``_fit_data``.

Purchase models
===============

BG/NBD, MBG/NBD, Pareto/NBD (and BG/BB) see a customer through (x, t_x, T) = (frequency, recency,
T) and factor the conditional expectation as

    E[X(T, T + t) | x, t_x, T] = expected_purchases_if_alive(t, x, T) * P(alive | x, t_x, T),

which :func:`~cltv_xl.models.predict_clv` uses to evaluate the expensive part once per distinct
(x, T) pair. Prediction methods accept scalars, arrays or pandas Series: a Series in gives a
Series out with the same index.
"""

from __future__ import annotations

import inspect
import warnings
from abc import ABC, abstractmethod
from functools import cached_property
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from ..errors import FitError, InputError
from ..timeunits import check_unit
from ._fitting import (
    LOG_BOUND,
    ConvergenceWarning,
    ModelWarning,
    check_rfm,
    check_weights,
    compress,
    maximise,
    natural_hessian,
    standard_errors,
    weighted_colsum,
    weighted_sum,
)

_NUMERIC_TROUBLE = (FloatingPointError, OverflowError, ZeroDivisionError, ValueError)


class FittedModel(ABC):
    """Base of every fitted model; see the module docstring for the contract."""

    param_names: ClassVar[tuple[str, ...]]
    model_name: ClassVar[str]
    #: What a parameter at the low/high edge of its range means (for the ConvergenceWarning).
    boundary_meanings: ClassVar[dict[tuple[str, str], str]] = {}

    def __init__(self, penalizer: float = 0.0):
        _check_penalizer(penalizer)
        self.penalizer = penalizer

    # ------------------------------------------------------------------ scikit-learn protocol
    @classmethod
    def _param_keys(cls) -> list[str]:
        sig = inspect.signature(cls.__init__)
        return [
            p.name for p in sig.parameters.values()
            if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        ]

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """Constructor arguments (scikit-learn convention; ``sklearn.base.clone`` uses this)."""
        return {k: getattr(self, k) for k in self._param_keys()}

    def set_params(self, **params: Any):
        """Set constructor arguments; returns self. Unknown names raise ``InputError``."""
        keys = self._param_keys()
        for k, v in params.items():
            if k not in keys:
                raise InputError(f"{type(self).__name__} has no parameter {k!r}; valid: {keys}")
            if k == "penalizer":
                _check_penalizer(v)
            setattr(self, k, v)
        return self

    # ------------------------------------------------------------------------ subclass hooks
    @abstractmethod
    def _loglik_total(self, params: np.ndarray, data: Any) -> tuple[float, np.ndarray]:
        """Weighted total log-likelihood and its gradient w.r.t. the natural parameters."""

    @abstractmethod
    def _starts(self, data: Any) -> list[np.ndarray]:
        """Starting log-parameters for the optimiser."""

    def _advice(self) -> str:
        return (
            "Try a longer calibration period, more customers, or a small penalizer "
            f"(e.g. {type(self).__name__}(penalizer=0.001))"
        )

    def _post_fit(self, params: np.ndarray) -> None:
        """Model-specific checks after fitting (default: none)."""
        return None

    # ------------------------------------------------------------------------------ fit loop
    def _safe_total(self, params: np.ndarray, data: Any) -> tuple[float, np.ndarray]:
        try:
            with np.errstate(all="ignore"):
                ll, g = self._loglik_total(params, data)
        except _NUMERIC_TROUBLE:
            return -np.inf, np.full(len(params), np.nan)
        return float(ll), np.asarray(g, dtype=np.float64)

    def _fit_data(self, data: Any, *, weighted: bool, time_unit: str | None = None):
        """Maximise the penalised likelihood on ``data`` and set the fitted state; returns self."""
        names = self.param_names
        total = float(data.total_w)
        pen = float(self.penalizer)

        recent: dict[bytes, tuple[float, np.ndarray]] = {}  # the optimiser's last evaluations

        def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
            params = np.exp(theta)
            ll, g = self._safe_total(params, data)
            if len(recent) >= 4:
                recent.pop(next(iter(recent)))
            recent[theta.tobytes()] = (ll, g)
            f = -ll / total + pen * float(theta @ theta)
            grad = -g / total * params + 2 * pen * theta
            if not np.isfinite(f) or not np.all(np.isfinite(grad)):
                return np.inf, np.zeros_like(theta)
            return f, grad

        theta, converged, message, at_bound = maximise(objective, self._starts(data), names)
        params = np.exp(theta)
        messages: list[str] = []
        if at_bound:
            converged = False
            message = "; ".join(
                f"{names[i]} ran to {params[i]:.3g}, the {side} edge of its range"
                + (f" ({self.boundary_meanings[(names[i], side)]})"
                   if (names[i], side) in self.boundary_meanings else "")
                for i, side in at_bound
            )
        if not converged:
            messages.append(f"{self.model_name} fit did not converge: {message}. {self._advice()}")

        def grad_natural(p: np.ndarray) -> np.ndarray:
            return -self._safe_total(p, data)[1]

        # the log-likelihood and the Hessian's base gradient at the optimum: the optimiser's
        # own last evaluation there when it has one (the same numbers), else one more
        theta = np.asarray(theta, dtype=np.float64)
        ll_at, g_at = recent.get(theta.tobytes()) or self._safe_total(params, data)
        hess = natural_hessian(grad_natural, params,
                               -g_at if np.all(np.isfinite(g_at)) else None)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            se = standard_errors(hess, names)
        no_se = not all(np.isfinite(v) for v in se.values())
        if no_se:
            se = {n: float("nan") for n in names}
        if no_se or any(issubclass(w.category, ConvergenceWarning) for w in caught):
            converged = False
            if not at_bound:
                messages.append(
                    f"{self.model_name} fit did not converge: the likelihood is flat along "
                    f"{self._flat_direction(hess, params)}, so the data do not pin these "
                    "parameters down and there are no standard errors. "
                    f"{self._advice()}"
                )
        # A parameter far out whose range edge lies within two standard errors (log scale) has
        # run off too: the data cannot tell it from the edge, wherever the optimiser stopped on
        # the plateau (which differs between scipy releases).
        ran_off = [
            (i, "low" if theta[i] < 0 else "high") for i, n in enumerate(names)
            if converged and abs(theta[i]) > LOG_BOUND / 2
            and abs(theta[i]) + 2 * se[n] / params[i] >= LOG_BOUND
        ]
        if ran_off:
            converged = False
            messages.append(
                f"{self.model_name} fit did not converge: " + "; ".join(
                    f"{names[i]} ran to {params[i]:.3g}, within two standard errors of the "
                    f"{side} edge of its range"
                    + (f" ({self.boundary_meanings[(names[i], side)]})"
                       if (names[i], side) in self.boundary_meanings else "")
                    for i, side in ran_off
                ) + f". {self._advice()}"
            )
        poor = tuple(n for n in names if not (se[n] <= _param_dict(params, names)[n]))
        self.params_ = _param_dict(params, names)
        self.log_likelihood_ = ll_at
        self.standard_errors_ = se
        self.converged_ = bool(converged)
        self.poorly_identified_ = poor
        self.n_customers_ = float(total) if weighted else round(total)
        self.time_unit_ = None if time_unit is None else check_unit(time_unit)
        self.fit_warnings_ = []
        for msg in messages:
            self._warn(msg, ConvergenceWarning)
        if poor and converged:
            detail = ", ".join(
                f"{n} = {self.params_[n]:.3g} (standard error {se[n]:.3g})" for n in poor
            )
            self._warn(
                f"{self.model_name} is poorly identified: {detail}; the standard error exceeds "
                "the estimate, so the data barely pin this parameter down and predictions that "
                "depend on it are uncertain. More customers or a longer calibration period help.",
                ModelWarning,
            )
        self._post_fit(params)
        return self

    def _flat_direction(self, hess: np.ndarray, params: np.ndarray) -> str:
        """Name the parameters of the least-determined direction of the likelihood (the
        eigenvector of the smallest eigenvalue of the Hessian in log-parameters), each with the
        side it ran off to and what that means."""
        names = self.param_names
        scaled = hess * np.outer(params, params)
        try:
            _, vecs = np.linalg.eigh(np.where(np.isfinite(scaled), scaled, 0.0))
            v = np.abs(vecs[:, 0])
        except np.linalg.LinAlgError:
            v = np.ones(len(names))
        parts = []
        for i in np.flatnonzero(v >= 0.3 * v.max()):
            if 1e-3 <= params[i] <= 1e3:
                parts.append(f"{names[i]} (= {params[i]:.3g})")
                continue
            side = "high" if params[i] > 1.0 else "low"
            meaning = self.boundary_meanings.get((names[i], side))
            parts.append(
                f"{names[i]} (= {params[i]:.3g}, ran off {side}"
                + (f": {meaning}" if meaning else "") + ")"
            )
        return ", ".join(parts)

    def _warn(self, message: str, category: type[Warning] = ModelWarning) -> None:
        """Record a fit warning in ``fit_warnings_`` and emit it."""
        self.fit_warnings_.append(message)
        warnings.warn(message, category, stacklevel=4)

    # ----------------------------------------------------------------------------- fitted
    @property
    def is_fitted(self) -> bool:
        return hasattr(self, "params_")

    def check_fitted(self) -> np.ndarray:
        """The fitted parameters as an array in ``param_names`` order; ``InputError`` before
        ``fit``."""
        if not hasattr(self, "params_"):
            raise InputError(
                f"this {type(self).__name__} is not fitted yet; call fit() or fit_summary() first"
            )
        return np.array([self.params_[n] for n in self.param_names])

    _check_fitted = check_fitted  # old private name, kept for callers outside the package

    def summary_frame(self) -> pd.DataFrame:
        """Parameters with standard errors, one row per parameter."""
        self.check_fitted()
        return pd.DataFrame(
            {"estimate": self.params_, "standard_error": self.standard_errors_}
        ).rename_axis("parameter")

    def __repr__(self) -> str:
        if hasattr(self, "params_"):
            inner = ", ".join(f"{k}={v:.4g}" for k, v in self.params_.items())
            return f"{type(self).__name__}({inner})"
        return f"{type(self).__name__}(penalizer={self.penalizer})"


def _param_dict(params: np.ndarray, names: tuple[str, ...]) -> dict[str, float]:
    return {n: float(v) for n, v in zip(names, params, strict=True)}


def _check_penalizer(penalizer: Any) -> None:
    try:
        ok = np.isfinite(penalizer) and penalizer >= 0
    except TypeError:
        ok = False
    if not ok:
        raise InputError(f"penalizer must be a number >= 0; got {penalizer!r}")


class RFMData:
    """Distinct (x, t_x, T) rows with weights.

    Terms that depend on x only are evaluated once per distinct x (``ux``) and indexed through
    ``xi``; likewise ``by_T`` and ``by_tx`` give the distinct values of T and t_x with each
    row's index, so that log(alpha + T) and friends cost one logarithm per distinct value.
    """

    def __init__(self, x: np.ndarray, tx: np.ndarray, T: np.ndarray, w: np.ndarray, *,
                 per_row: bool = False):
        self.x, self.tx, self.T, self.w = x, tx, T, w
        self.ux, self.xi = distinct_sorted(x)
        self.total_w = float(w.sum())
        #: Rows are (nearly) all distinct: a model's total takes per-row sums, not sums per
        #: distinct T and t_x.
        self.per_row = per_row
        self._buffers: dict[str, np.ndarray] = {}

    @cached_property
    def unit_weights(self) -> bool:
        """Every weight is 1 (sums need no multiplication by the weights)."""
        return bool(np.all(self.w == 1.0))

    def buffer(self, name: str, n: int) -> np.ndarray:
        """A scratch array of ``n`` floats, kept for the next likelihood evaluation: the fit
        evaluates the likelihood dozens of times, and fresh arrays of this size cost page
        faults each time."""
        buf = self._buffers.get(name)
        if buf is None or len(buf) != n:
            buf = self._buffers[name] = np.empty(n)
        return buf

    @cached_property
    def split(self) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, ...]]:
        """((T, w) of the rows with x = 0), ((x, t_x, T, w, index into ``ux``) of the rest):
        one-time buyers' likelihood has no second term, so they need no per-row softplus."""
        zero = self.x == 0
        pos = ~zero
        if self.unit_weights:  # weights of 1 are never read: no copies of them
            w0, w1 = np.broadcast_to(1.0, (int(zero.sum()),)), None
        else:
            w0, w1 = self.w[zero], self.w[pos]
        return ((self.T[zero], w0),
                (self.x[pos], self.tx[pos], self.T[pos], w1, self.xi[pos]))

    @cached_property
    def xt_pairs(self) -> tuple[tuple[np.ndarray, np.ndarray], np.ndarray, np.ndarray]:
        """((x, t) of the distinct pairs among the rows' (x, t_x) and (x, T)), index of each
        row's (x, t_x), index of each row's (x, T): for terms that depend on (x, t) alone,
        such as the Pareto/NBD's I(t)."""
        n = len(self.x)
        (px, pt), inverse, _ = compress(np.concatenate([self.x, self.x]),
                                        np.concatenate([self.tx, self.T]))
        return (px, pt), inverse[:n], inverse[n:]

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


#: Share of distinct T values above which ``fit`` skips grouping rows (``mostly_distinct``).
DISTINCT_SHARE = 0.5
#: Rows drawn by ``mostly_distinct`` to estimate that share.
DISTINCT_SAMPLE = 20_000


def mostly_distinct(T: np.ndarray) -> bool:
    """True when at least :data:`DISTINCT_SHARE` of the T values are likely distinct (then at
    least as many (x, t_x, T) rows are), judged from a sample: grouping pays only when it
    merges many rows, and a sample tells that for a fraction of the cost of hashing them all.

    ``DISTINCT_SAMPLE`` positions are drawn (with replacement, fixed seed); m distinct
    positions result. If the column had D = DISTINCT_SHARE * n equally frequent values, the
    sample would show D (1 - exp(-m / D)) distinct values on average (the occupancy problem);
    more than that says the share is higher. Skewed data (a few values shared by many rows)
    show fewer and are grouped, which is always correct, only sometimes slower."""
    n = len(T)
    if n < 50_000:  # small data: grouping is cheap either way
        return False
    pos = np.unique(np.random.default_rng(0).integers(0, n, DISTINCT_SAMPLE))
    m = len(pos)
    seen = len(pd.unique(np.asarray(T)[pos]))
    d = DISTINCT_SHARE * n
    return seen >= d * -np.expm1(-m / d)


def distinct_sorted(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(x, return_inverse=True)`` for frequencies: small whole numbers are counted
    (linear time) instead of sorted; anything else goes to ``np.unique``."""
    if x.size and x.min() >= 0.0 and x.max() < max(4 * x.size, 1024):
        iv = x.astype(np.intp)
        if np.array_equal(iv, x):
            present = np.flatnonzero(np.bincount(iv))
            lookup = np.zeros(int(present[-1]) + 1, dtype=np.intp)
            lookup[present] = np.arange(len(present))
            return present.astype(np.float64), lookup[iv]
    return np.unique(x, return_inverse=True)


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


def like_input(result: np.ndarray, *inputs: Any, name: str | None = None):
    """``result`` as a Series with the index of the first Series among ``inputs`` (when its
    length matches), else as an array: a Series in gives a Series out."""
    for v in inputs:
        if isinstance(v, pd.Series):
            arr = np.asarray(result)
            if arr.ndim == 1 and len(arr) == len(v):
                return pd.Series(arr, index=v.index, name=name)
            break
    return result


class PurchaseModel(FittedModel):
    """Purchase-count models on (x, t_x, T); subclasses supply the likelihood and
    ``_log_p_alive`` / ``_alive_expectation`` (see the module docstring)."""

    def _loglik(self, params: np.ndarray, d: RFMData) -> tuple[np.ndarray, np.ndarray]:
        """Per-row log-likelihood and its gradient (rows x k); used by the default total."""
        raise NotImplementedError

    def _loglik_total(self, params: np.ndarray, d: RFMData) -> tuple[float, np.ndarray]:
        """Weighted total of ``_loglik`` (a subclass may override it with a faster form)."""
        ll, g = self._loglik(params, d)
        return weighted_sum(d.w, ll), weighted_colsum(d.w, g)

    def fit(self, frequency, recency, T, weights=None, *, time_unit: str | None = None):
        """Fit by maximum likelihood; returns ``self``.

        ``frequency`` (repeat purchases x), ``recency`` (t_x) and ``T`` are per customer, in one
        time unit (record it with ``time_unit``; ``fit_summary`` reads it from the summary).
        ``weights`` multiplies each customer's log-likelihood (e.g. counts of identical rows).
        """
        x, tx, tt = check_rfm(frequency, recency, T)
        w = check_weights(weights, len(x))
        if time_unit is not None:
            check_unit(time_unit)
        if mostly_distinct(tt):
            # Nearly every row is its own (x, t_x, T) (e.g. times from timestamps): grouping
            # would cost more hashing than it saves; the likelihood takes plain per-row sums.
            keep = w > 0
            d = RFMData(x[keep], tx[keep], tt[keep], w[keep], per_row=True)
        else:
            (ux, utx, uT), _, uw = compress(x, tx, tt, weights=None if weights is None else w)
            keep = uw > 0
            d = RFMData(ux[keep], utx[keep], uT[keep], uw[keep])
        self._check_identifiable(d)
        return self._fit_data(d, weighted=weights is not None, time_unit=time_unit)

    def fit_summary(self, summary: pd.DataFrame, weights=None):
        """Fit on an ``rfm_summary`` frame (columns ``frequency``, ``recency``, ``T``; the unit
        comes from ``summary.attrs["time_unit"]``)."""
        x, tx, tt = summary_columns(summary, ("frequency", "recency", "T"))
        return self.fit(x, tx, tt, weights, time_unit=summary_unit(summary))

    def _check_identifiable(self, d: RFMData) -> None:
        n = d.total_w
        if len(d.x) == 1 and n <= 1:
            raise FitError(
                f"{self.model_name} needs many customers: a single customer cannot identify the "
                "population parameters. Fit on the whole customer base."
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
    @abstractmethod
    def _log_p_alive(self, x, tx, T) -> np.ndarray:
        """log P(alive at T | x, t_x, T) on float arrays (already checked)."""

    @abstractmethod
    def _alive_expectation(self, t, x, T) -> np.ndarray:
        """E[purchases in (T, T + t] | alive at T, x, T] on float arrays (already checked)."""

    def _alive_expectation_grid(self, t: np.ndarray, x: np.ndarray, T: np.ndarray,
                                groups: list[np.ndarray] | None = None) -> np.ndarray:
        """``_alive_expectation`` on the grid rows (x, T) x columns t (``predict_clv``); a
        model may evaluate it faster than broadcasting (the BG/NBD family does). ``groups``,
        when given, lists the row indices of each distinct x (computed once per
        ``predict_clv`` call, not once per block of periods)."""
        return self._alive_expectation(t[None, :], x[:, None], T[:, None])

    def _grid_offset(self) -> float | None:
        """A c > 0 such that ``_alive_expectation(t, x, T)``, for fixed t and x, is analytic in
        T everywhere off the real half-line T + c <= 0 (None: no such statement). Then it is
        analytic in s = log(T + c) on the strip |Im s| < pi, and ``predict_clv`` may
        interpolate its discounted sums in s (see ``clv._alive_sums``)."""
        return None

    def log_p_alive(self, frequency, recency, T):
        """log P(alive at T | x, t_x, T), per customer."""
        self.check_fitted()
        x, tx, tt = _rfm_broadcast(frequency, recency, T)
        return like_input(self._log_p_alive(x, tx, tt), frequency, recency, T)

    def p_alive(self, frequency, recency, T):
        """Probability that each customer is still active at the end of its observation T."""
        self.check_fitted()
        x, tx, tt = _rfm_broadcast(frequency, recency, T)
        return like_input(np.exp(self._log_p_alive(x, tx, tt)), frequency, recency, T)

    def expected_purchases_if_alive(self, t, frequency, T):
        """E[purchases in the next ``t`` units | alive at T, x, T]: the first factor of the
        conditional expectation (arguments broadcast; ``predict_clv`` evaluates it on a grid)."""
        self.check_fitted()
        t = _nonneg(t, "t")
        x = _nonneg(frequency, "frequency")
        tt = _nonneg(T, "T")
        return like_input(self._alive_expectation(t, x, tt), t, frequency, T)

    def expected_purchases(self, t, frequency, recency, T):
        """Expected number of purchases in the next ``t`` units, given (x, t_x, T)."""
        self.check_fitted()
        tt_ = _nonneg(t, "t")
        x, tx, tt = _rfm_broadcast(frequency, recency, T)
        out = self._alive_expectation(tt_, x, tt) * np.exp(self._log_p_alive(x, tx, tt))
        return like_input(out, t, frequency, recency, T)

    def prob_purchases_conditional(self, n, t, frequency, recency, T):
        """P(X(T, T + t) = n | x, t_x, T): the chance of exactly ``n`` purchases in the next
        ``t`` units. A customer who is dead at T makes none; one alive at T follows the model's
        count distribution with the posterior of its rates (see ``_pmf_if_alive``)."""
        self.check_fitted()
        n = _nonneg(n, "n")
        if np.any(n != np.round(n)):
            raise InputError("n must be whole numbers >= 0")
        tt_ = _nonneg(t, "t")
        x, tx, tt = _rfm_broadcast(frequency, recency, T)
        n, tt_, x, tx, tt = np.broadcast_arrays(n, tt_, x, tx, tt)
        pa = np.exp(self._log_p_alive(x, tx, tt))
        alive = self._pmf_if_alive(n, tt_, x, tt)
        out = pa * alive + (1.0 - pa) * (n == 0)
        return like_input(out, n, t, frequency, recency, T)

    def _pmf_if_alive(self, n, t, x, T) -> np.ndarray:
        raise NotImplementedError(
            f"{type(self).__name__} has no conditional count distribution"
        )


def _nonneg(values: Any, name: str) -> np.ndarray:
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError(f"{name} must be numbers") from None
    if np.any(~np.isfinite(arr)) or np.any(arr < 0):
        raise InputError(f"{name} must be finite and >= 0")
    return arr


def _rfm_broadcast(frequency, recency, T):
    x = _nonneg(frequency, "frequency")
    tx = _nonneg(recency, "recency")
    tt = _nonneg(T, "T")
    try:
        return np.broadcast_arrays(x, tx, tt)
    except ValueError:
        raise InputError(
            f"frequency, recency and T must have matching shapes; got {x.shape}, {tx.shape}, "
            f"{tt.shape}"
        ) from None
