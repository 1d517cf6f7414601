"""Shared machinery: input checks, compression to sufficient statistics, maximum likelihood.

Every model is fitted by maximising the weighted log-likelihood over log-parameters with
``scipy.optimize.minimize(method="L-BFGS-B")`` and an analytic gradient. Customers with the same
sufficient statistics become one row whose weight is their count, so the cost of a fit grows
with the number of *distinct* rows, not customers.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext

import numpy as np
import pandas as pd
from scipy.optimize import minimize

from ..errors import CltvWarning, FitError, InputError

try:  # optional: without it, fits are correct but slower on a busy machine (see below)
    from threadpoolctl import ThreadpoolController
except ImportError:  # pragma: no cover - depends on the environment
    ThreadpoolController = None

#: Log-parameters are kept inside [-LOG_BOUND, LOG_BOUND] (about 2e-9 .. 5e8).
LOG_BOUND = 20.0


class ModelWarning(CltvWarning):
    """A model was fitted, but its result needs care (the message says why)."""


class ConvergenceWarning(ModelWarning):
    """The optimiser stopped without meeting its convergence test, or a parameter ran to a bound;
    ``converged_`` is False and the estimates should not be trusted as they are."""


def as_vector(values, name: str) -> np.ndarray:
    """A 1-D float64 array of finite values, or InputError naming ``name``."""
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{name} must be numbers; could not read {type(values).__name__}") from exc
    arr = np.atleast_1d(arr)
    if arr.ndim != 1:
        raise InputError(f"{name} must be one-dimensional; got shape {arr.shape}")
    bad = ~np.isfinite(arr)
    if bad.any():
        raise InputError(
            f"{name} has {int(bad.sum())} missing or infinite value(s) (first at position "
            f"{int(np.flatnonzero(bad)[0])}); remove or fill them"
        )
    return arr


def same_length(**arrays: np.ndarray) -> int:
    """Common length of the arrays, or InputError listing the lengths."""
    lengths = {k: len(v) for k, v in arrays.items()}
    if len(set(lengths.values())) > 1:
        raise InputError(f"arguments must have the same length; got {lengths}")
    return next(iter(lengths.values()))


def check_weights(weights, n: int) -> np.ndarray:
    """Per-row weights (default 1) as a float array; non-negative and finite."""
    if weights is None:
        return np.ones(n)
    w = as_vector(weights, "weights")
    if len(w) != n:
        raise InputError(f"weights must have one value per customer ({n}); got {len(w)}")
    if np.any(w < 0):
        raise InputError("weights must be >= 0")
    return w


def check_rfm(frequency, recency, T) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Validate frequency / recency / T arrays (FHL 2005 notation x, t_x, T)."""
    x = as_vector(frequency, "frequency")
    tx = as_vector(recency, "recency")
    tt = as_vector(T, "T")
    same_length(frequency=x, recency=tx, T=tt)
    if len(x) == 0:
        raise InputError("there are no customers: frequency, recency and T are empty")
    if np.any(x < 0) or np.any(x != np.round(x)):
        raise InputError("frequency must be whole numbers >= 0 (repeat purchases per customer)")
    if np.any(tx < 0) or np.any(tt < 0):
        raise InputError("recency and T must be >= 0")
    over = tx > tt * (1 + 1e-12) + 1e-12
    if over.any():
        i = int(np.flatnonzero(over)[0])
        raise InputError(
            f"recency must not exceed T: {int(over.sum())} customer(s) have recency > T "
            f"(first at position {i}: recency={tx[i]}, T={tt[i]}); check the time units"
        )
    bad = (x == 0) & (tx > 0)
    if bad.any():
        raise InputError(
            f"recency must be 0 when frequency is 0; {int(bad.sum())} customer(s) break this "
            "(recency is the time from the first to the last purchase)"
        )
    return x, np.minimum(tx, tt), tt


def compress(*columns: np.ndarray, weights: np.ndarray | None = None):
    """Distinct rows of ``columns`` with their summed weights.

    Returns ``(uniques, inverse, row_weights)``: ``uniques`` is a list of arrays (one per column,
    one value per distinct row), ``inverse`` maps each input row to its distinct row.
    Each column is hashed once (``pandas.factorize`` on the float's bit pattern, linear time);
    the per-column codes are combined into one integer key, which is counted densely
    (``np.bincount``) when the number of combinations is small, else hashed again.
    """
    n = len(columns[0])
    codes, uniqs = zip(*(_column_codes(col) for col in columns), strict=True)
    sizes = [len(u) for u in uniqs]
    card = 1
    for size in sizes:
        card *= size
    if card <= max(4 * n, 1 << 16):
        key = codes[0].astype(np.int64)
        for c, size in zip(codes[1:], sizes[1:], strict=True):
            key *= size
            key += c
        counts = np.bincount(key, minlength=card)
        present = np.flatnonzero(counts)
        lookup = np.zeros(card, dtype=np.intp)
        lookup[present] = np.arange(len(present))
        inverse = lookup[key]
        rest = present
        parts = []
        for size in reversed(sizes):
            rest, c = np.divmod(rest, size)
            parts.append(c)
        uniques = [u[c] for u, c in zip(uniqs, reversed(parts), strict=True)]
        if weights is None:
            w = counts[present].astype(np.float64)
        else:
            w = np.bincount(inverse, weights=weights, minlength=len(present))
        return uniques, inverse, w
    key = np.zeros(n, dtype=np.int64)
    card = 1
    for c, size in zip(codes, sizes, strict=True):
        if card * size >= 2**62:  # too many combinations for one int64: re-number first
            key = pd.factorize(key, sort=False)[0].astype(np.int64)
            card = int(key.max()) + 1
        key = key * size + c
        card *= size
    inverse, first = _factorize_first(key)
    uniques = [np.asarray(col, dtype=np.float64)[first] for col in columns]
    w = np.bincount(inverse, weights=weights, minlength=len(first))
    return uniques, inverse, w


def _column_codes(col: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Codes and candidate values of a float column.

    Small whole numbers (frequencies) are their own codes, with values 0..max (some may be
    unused, which ``compress`` tolerates); anything else is hashed on its bit pattern
    (``+ 0.0`` merges -0.0 into 0.0).
    """
    v = np.ascontiguousarray(col, dtype=np.float64) + 0.0
    if v.size and v.min() >= 0.0 and v.max() < max(4 * v.size, 1024):
        iv = v.astype(np.int64)
        if np.array_equal(iv, v):
            return iv, np.arange(int(iv.max()) + 1, dtype=np.float64)
    codes, uniq = pd.factorize(v.view(np.int64), sort=False)
    return codes, np.asarray(uniq).view(np.float64)


def _factorize_first(key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    codes, uniq = pd.factorize(key, sort=False)
    first = np.empty(len(uniq), dtype=np.int64)
    # Position of one row per code (the last write wins, any representative will do).
    first[codes] = np.arange(len(codes))
    return codes.astype(np.intp), first


def weighted_sum(w: np.ndarray, values: np.ndarray) -> float:
    """sum(w * values) without BLAS: OpenBLAS threads ``w @ values`` on large vectors, and on a
    busy machine its spinning worker threads cost far more than the product itself."""
    return float(np.add.reduce(w * values))


def dot_into(a: np.ndarray | None, b: np.ndarray, tmp: np.ndarray, unit: bool = False) -> float:
    """sum(a * b) through the scratch array ``tmp`` (may be ``b`` itself), without BLAS (see
    ``weighted_sum``) and without a fresh temporary; with ``unit`` (``a`` is all ones, or
    None) simply sum(b)."""
    if unit:
        return float(np.add.reduce(b))
    np.multiply(a, b, out=tmp)
    return float(np.add.reduce(tmp))


def weighted_colsum(w: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Column sums of ``w[:, None] * values`` (rows x k), without BLAS (see ``weighted_sum``)."""
    return np.add.reduce(values * w[:, None], axis=0)


@contextmanager
def single_threaded_blas() -> Iterator[None]:
    """Run the block with BLAS limited to one thread (``threadpoolctl``, when installed).

    scipy's L-BFGS-B calls BLAS on vectors of 4 parameters many times per fit. OpenBLAS hands
    those calls to its worker threads; on a machine whose cores are busy, waiting for them costs
    about a millisecond per iteration, ten times the work of the iteration itself (measured:
    116 ms against 11 ms for a 20,000-customer BG/NBD fit). Tiny problems gain nothing from
    threads, so fitting asks for one.

    The loaded BLAS libraries are found once per process (:func:`_blas_controller`): finding
    them walks every loaded shared library, 2.7 ms a time with SciPy loaded, and a report
    limits BLAS a dozen times.
    """
    limiter = nullcontext()
    controller = _blas_controller()
    if controller is not None:
        try:
            limiter = controller.limit(limits=1, user_api="blas")
        except Exception:  # a platform threadpoolctl cannot inspect: run as is
            limiter = nullcontext()
    with limiter:
        yield


_CONTROLLER: list = []


def _blas_controller():
    """One ``threadpoolctl.ThreadpoolController`` for the process (None without threadpoolctl
    or where it cannot inspect the libraries). Made at the first fit, when NumPy's and
    SciPy's BLAS are loaded; a BLAS loaded later would not be limited, which costs speed only."""
    if not _CONTROLLER:
        controller = None
        if ThreadpoolController is not None:
            try:
                controller = ThreadpoolController()
            except Exception:  # a platform threadpoolctl cannot inspect: run as is
                controller = None
        _CONTROLLER.append(controller)
    return _CONTROLLER[0]


def maximise(
    objective: Callable[[np.ndarray], tuple[float, np.ndarray]],
    starts: Sequence[np.ndarray],
    names: Sequence[str],
) -> tuple[np.ndarray, bool, str, list[tuple[int, str]]]:
    """Minimise ``objective`` (mean negative log-likelihood and its gradient in log-parameters).

    Tries each start in turn and keeps the best; returns (log_params, converged, message,
    at_bound) where ``at_bound`` lists (index, "low" | "high") of parameters at the edge of the
    allowed range [exp(-LOG_BOUND), exp(LOG_BOUND)].
    """
    best = None
    bounds = [(-LOG_BOUND, LOG_BOUND)] * len(names)
    for x0 in starts:
        with np.errstate(all="ignore"), single_threaded_blas():
            res = minimize(
                objective,
                np.asarray(x0, dtype=np.float64),
                jac=True,
                method="L-BFGS-B",
                bounds=bounds,
                options={"maxiter": 2000, "ftol": 1e-13, "gtol": 1e-9},
            )
        if not np.isfinite(res.fun):
            continue
        # L-BFGS-B may stop with "ABNORMAL" in its line search right at the optimum; a (near)
        # zero gradient of the per-customer objective is the test that matters.
        res.success = bool(res.success) or float(np.max(np.abs(res.jac))) < 1e-5
        if best is None or res.fun < best.fun - 1e-12:
            best = res
        if res.success and not _at_bound(res.x):
            break
    if best is None:
        raise FitError(
            "the likelihood could not be evaluated at any starting point; the data are "
            "degenerate (check that frequency, recency and T are in the same time unit)"
        )
    return best.x, bool(best.success), str(best.message), _at_bound(best.x)


def _at_bound(log_params: np.ndarray) -> list[tuple[int, str]]:
    return [
        (i, "low" if v < 0 else "high")
        for i, v in enumerate(log_params)
        if abs(v) > LOG_BOUND - 1e-3
    ]


def natural_hessian(
    grad_natural: Callable[[np.ndarray], np.ndarray], params: np.ndarray,
    grad_at: np.ndarray | None = None,
) -> np.ndarray:
    """Hessian of the total negative log-likelihood in the natural parameters, by differences
    of its analytic gradient: forward differences from ``grad_at`` (the gradient at
    ``params``, which the fit has already evaluated; k evaluations, step 1e-7 relative, error
    about 1e-7 relative) or, without it, central differences (2k evaluations, step 1e-5)."""
    k = len(params)
    hess = np.empty((k, k))
    with single_threaded_blas():
        for j in range(k):
            if grad_at is not None:
                h = 1e-7 * max(abs(params[j]), 1e-8)
                up = params.copy()
                up[j] += h
                hess[:, j] = (grad_natural(up) - grad_at) / h
                continue
            h = 1e-5 * max(abs(params[j]), 1e-8)
            up, dn = params.copy(), params.copy()
            up[j] += h
            dn[j] -= h
            hess[:, j] = (grad_natural(up) - grad_natural(dn)) / (2 * h)
    return 0.5 * (hess + hess.T)


def standard_errors(hess: np.ndarray, names: Sequence[str]) -> dict[str, float]:
    """Square roots of the diagonal of the inverse Hessian; NaN (with a warning) when the
    Hessian is not positive definite, i.e. the optimum is not a proper maximum."""
    try:
        np.linalg.cholesky(hess)
        cov = np.linalg.inv(hess)
        se = np.sqrt(np.diag(cov))
    except np.linalg.LinAlgError:
        warnings.warn(
            "standard errors are not available: the Hessian of the negative log-likelihood is "
            "not positive definite at the estimate, so the data do not identify every parameter "
            "(converged_ is set to False; treat the estimates with suspicion)",
            ConvergenceWarning,
            stacklevel=3,
        )
        se = np.full(len(names), np.nan)
    return {n: float(v) for n, v in zip(names, se, strict=True)}
