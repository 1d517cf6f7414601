"""Discounted customer lifetime value from a purchase model and a spend model.

For each customer,

    CLV = sum_{i=1..H} margin * E[spend] * (E[X(t_i)] - E[X(t_{i-1})]) / (1 + d)^{t_i},

with E[X(t)] the purchase model's conditional expectation of purchases in the next t periods
(FHL 2005 eq. 10 for the BG/NBD), t_i = i periods of ``time_unit`` (the last one is the horizon
itself when it is not a whole number: a partial final period is discounted at its end, t_H = H),
and d the discount rate per period of ``time_unit``. This is the discrete form of the
"discounted expected transactions" of Fader, Hardie & Lee (2005, JMR) with spend from the
Gamma-Gamma model (Fader & Hardie 2013).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from numpy.polynomial.chebyshev import chebval

from .. import validation
from ..errors import InputError
from ..timeunits import UNIT_NAMES, convert
from ._base import PurchaseModel, mostly_distinct, summary_columns, summary_unit
from ._fitting import _column_codes, compress
from .gammagamma import GammaGamma


def _period_ends(horizon: float) -> np.ndarray:
    full = math.floor(horizon + 1e-12)
    ends = np.arange(1, full + 1, dtype=np.float64)
    if horizon - full > 1e-12:
        ends = np.append(ends, horizon)
    return ends


#: Pair-period elements evaluated at once by :func:`_discounted_alive`. The BG/NBD's
#: expectation takes about 160 bytes of temporaries per element (measured with tracemalloc on
#: CDNOW in days), so a block peaks near 170 MB whatever the horizon.
GRID_BLOCK = 1 << 20


def _discounted_alive(model: PurchaseModel, t_model: np.ndarray, discount: np.ndarray,
                      ux: np.ndarray, uT: np.ndarray, block: int = GRID_BLOCK,
                      groups: list[np.ndarray] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """E[X(t_H)] if alive and sum_i discount_i (E[X(t_i)] - E[X(t_{i-1})]) if alive, per
    (x, T) pair, evaluated over blocks of periods so that the pairs x periods grid is
    never built whole (a daily horizon of 10,000 days on 1,000 pairs would otherwise take
    gigabytes). The last cumulative column of a block is the start of the next block's
    differences; the discounted sums are accumulated block by block. ``groups``: the pairs'
    indices per distinct x, when known (passed to every block instead of regrouping)."""
    n_periods = len(t_model)
    step = max(1, min(n_periods, block // max(len(ux), 1)))
    prev = np.zeros(len(ux))
    disc_alive = np.zeros(len(ux))
    for start in range(0, n_periods, step):
        stop = min(start + step, n_periods)
        cum = model._alive_expectation_grid(t_model[start:stop], ux, uT, groups=groups)
        inc = np.diff(cum, axis=1, prepend=prev[:, None])
        # not `inc @ discount`: no BLAS threads
        disc_alive += np.add.reduce(inc * discount[start:stop], axis=1)
        prev = cum[:, -1].copy()
    return prev, disc_alive


#: Pairs of one x from which :func:`_alive_sums` interpolates (below, the grid is cheaper).
INTERP_MIN_PAIRS = 256
#: Largest degree of those interpolants (a wider range of log(T + c) goes to the grid).
INTERP_MAX_DEGREE = 96
#: Largest relative error of an interpolant at its check points, and the ceiling of that
#: bound where the exact sums are themselves noisy (see :func:`_alive_sums`).
INTERP_TOL = 1e-13
INTERP_TOL_NOISY = 1e-11


def _x_groups(x: np.ndarray) -> list[np.ndarray]:
    """Row indices of each distinct value of ``x``, by one stable sort of integer codes (a
    radix sort when there are fewer than 32,768 distinct values)."""
    codes, uniq = _column_codes(x)
    if len(uniq) < 2**15:
        codes = codes.astype(np.int16)
    order = np.argsort(codes, kind="stable")
    return np.split(order, np.flatnonzero(np.diff(codes[order])) + 1)


def _cheb_degree(half_width: float) -> int | None:
    """Degree of a Chebyshev interpolant on an interval of half-width ``half_width`` of a
    function analytic on the strip |Im s| < pi around it: the Bernstein ellipse whose
    semi-minor axis is 0.8 pi (inside the strip) has rho = q + sqrt(q^2 + 1), q = 0.8 pi / h,
    and the error falls like rho^-n; n is chosen for rho^-n < 1e-16 (Trefethen, Approximation
    Theory and Approximation Practice, ch. 8). None when that exceeds INTERP_MAX_DEGREE."""
    q = 0.8 * math.pi / half_width
    rho = q + math.sqrt(q * q + 1.0)
    n = max(6, math.ceil(37.0 / math.log(rho)) + 3)
    return n if n <= INTERP_MAX_DEGREE else None


def _alive_sums(model: PurchaseModel, t_model: np.ndarray, discount: np.ndarray,
                x: np.ndarray, T: np.ndarray,
                block: int = GRID_BLOCK) -> tuple[np.ndarray, np.ndarray]:
    """``_discounted_alive`` per (x, T) pair, with the rows grouped by x once.

    For a model that states the analytic domain of its expectation (``_grid_offset`` c: the
    expectation is analytic in T off T + c <= 0), both sums are, for a fixed x, analytic
    functions of s = log(T + c) on the strip |Im s| < pi. For each x with many pairs they
    are then interpolated in s at Chebyshev points of the x's range of s (degree from
    :func:`_cheb_degree`, each node one row of the exact grid), and the interpolant is
    checked against the exact sums at as many points between the nodes and at both ends
    (largest relative error ``INTERP_TOL``): the cost per pair becomes one logarithm and a
    short Clenshaw sum, whatever the number of periods. Where the exact sums are themselves
    noisy (near a = 1 the BG/NBD expectation loses digits to cancellation, 1e-12 relative),
    the bound of the check is 30 times the noise seen in the interpolant's last coefficients,
    never above ``INTERP_TOL_NOISY``. An x with few pairs, a failed check or a model without
    an offset takes the exact grid.
    """
    n = len(x)
    last = np.empty(n)
    disc = np.empty(n)
    groups = _x_groups(x) if n else []
    offset = model._grid_offset()
    rest: list[np.ndarray] = []
    plans = []
    nodes_x, nodes_T = [], []
    for idx in groups:
        if offset is None or not (offset > 0 and math.isfinite(offset)) or (
                len(idx) < INTERP_MIN_PAIRS):
            rest.append(idx)
            continue
        tg = T[idx]
        t_lo, t_hi = float(tg.min()), float(tg.max())
        lo, hi = math.log(t_lo + offset), math.log(t_hi + offset)
        half = 0.5 * (hi - lo)
        deg = _cheb_degree(half) if half > 1e-9 else None
        if deg is None or len(idx) < 4 * (2 * deg + 1):
            rest.append(idx)
            continue
        mid = 0.5 * (hi + lo)
        theta = math.pi * (np.arange(deg) + 0.5) / deg
        u_all = np.concatenate([np.cos(theta), np.cos(math.pi * np.arange(deg + 1) / deg)])
        s_all = mid + half * u_all
        nodes_T.append(np.clip(np.exp(s_all) - offset, t_lo, t_hi))
        nodes_x.append(np.full(len(s_all), x[idx[0]]))
        plans.append((idx, deg, theta, u_all[deg:], mid, half))
    if plans:
        node_last, node_disc = _discounted_alive(model, t_model, discount,
                                                 np.concatenate(nodes_x),
                                                 np.concatenate(nodes_T), block)
        pos = 0
        for idx, deg, theta, u_check, mid, half in plans:
            size = 2 * deg + 1
            vals = np.stack([node_last[pos:pos + size], node_disc[pos:pos + size]])
            pos += size
            coeffs = (2.0 / deg) * (np.cos(np.outer(np.arange(deg), theta)) @ vals[:, :deg].T)
            coeffs[0] /= 2.0
            exact = vals[:, deg:]
            with np.errstate(all="ignore"):
                err = np.abs(chebval(u_check, coeffs) - exact)
                # noise of the exact sums: the last coefficients of a function this smooth
                # are below 1e-16 of it, so what they hold is rounding in the exact values
                noise = np.max(np.abs(coeffs[-2:]), axis=0) / np.max(np.abs(vals), axis=1)
            tol = np.clip(30.0 * noise, INTERP_TOL, INTERP_TOL_NOISY)[:, None]
            if not (np.all(np.isfinite(vals)) and np.all(err <= tol * np.abs(exact))):
                rest.append(idx)
                continue
            u = np.log(T[idx] + offset)
            u -= mid
            u /= half
            np.clip(u, -1.0, 1.0, out=u)
            ev = chebval(u, coeffs)
            last[idx] = ev[0]
            disc[idx] = ev[1]
    if rest:
        sizes = [len(g) for g in rest]
        rows = np.concatenate(rest)
        starts = np.cumsum([0, *sizes[:-1]])
        local = [np.arange(s0, s0 + k) for s0, k in zip(starts, sizes, strict=True)]
        last[rows], disc[rows] = _discounted_alive(model, t_model, discount, x[rows], T[rows],
                                                   block, groups=local)
    return last, disc


def _model_unit(model: PurchaseModel, summary: pd.DataFrame) -> str:
    fitted = getattr(model, "time_unit_", None)
    given = summary_unit(summary)
    if fitted and given and fitted != given:
        raise InputError(
            f"the purchase model was fitted in {UNIT_NAMES[fitted]} but summary is in "
            f"{UNIT_NAMES[given]}; rebuild the summary with time_unit={fitted!r}"
        )
    unit = fitted or given
    if unit is None:
        raise InputError(
            "unknown time unit of the purchase model: fit it with fit_summary(), or pass "
            "time_unit= to fit(), or set summary.attrs['time_unit']"
        )
    return unit


def predict_clv(
    purchase_model: PurchaseModel,
    spend_model: GammaGamma,
    summary: pd.DataFrame,
    *,
    horizon: float,
    time_unit: str,
    discount_rate: float,
    margin: float = 1.0,
) -> pd.DataFrame:
    """Per-customer expected purchases, P(alive), expected spend and discounted CLV.

    Parameters
    ----------
    purchase_model:
        A fitted :class:`BGNBD` or :class:`ParetoNBD` (its parameters are per summary unit).
    spend_model:
        A fitted :class:`GammaGamma`.
    summary:
        ``rfm_summary`` output (``frequency``, ``recency``, ``T``, ``monetary_value``).
    horizon:
        Length of the prediction window, in ``time_unit`` (> 0; may be fractional).
    time_unit:
        ``"D"``, ``"W"`` or ``"M"``: the unit of ``horizon`` and of the discount periods. A
        12-month horizon is 12 months whatever the summary's unit.
    discount_rate:
        Discount rate per period of ``time_unit`` (>= 0), e.g. 0.01 for 1% a month.
    margin:
        Profit margin applied to spend (>= 0; 1.0 means CLV in revenue).

    Returns
    -------
    DataFrame indexed like ``summary``: ``expected_purchases`` (over the horizon),
    ``p_alive``, ``expected_spend`` (per purchase), ``clv`` (discounted, times margin).
    """
    unit = validation.unit(time_unit, "time_unit")
    horizon = validation.number(horizon, "horizon", low=0.0, low_open=True)
    discount_rate = validation.number(discount_rate, "discount_rate", low=0.0)
    margin = validation.number(margin, "margin", low=0.0)
    for name, model, kind, example in (
        ("purchase_model", purchase_model, PurchaseModel, "BGNBD().fit_summary(summary)"),
        ("spend_model", spend_model, GammaGamma, "GammaGamma().fit_summary(summary)"),
    ):
        if not isinstance(model, kind):
            raise InputError(f"{name} must be a fitted {kind.__name__}, e.g. {example}; got "
                             f"{type(model).__name__}")
    purchase_model.check_fitted()
    spend_model.check_fitted()
    x, tx, tt, m = summary_columns(summary, ("frequency", "recency", "T", "monetary_value"))
    model_unit = _model_unit(purchase_model, summary)

    ends = _period_ends(horizon)
    t_model = convert(ends, unit, model_unit)
    discount = (1.0 + discount_rate) ** -ends

    # The conditional expectation factors as alive_expectation(t, x, T) * P(alive | x, t_x, T):
    # the first part is evaluated once per distinct (x, T) on the whole grid of period ends, the
    # second once per distinct (x, t_x, T); both are broadcast back to the customers. When the
    # rows are (nearly) all distinct, grouping would cost more than it saves: per row.
    if mostly_distinct(tt):
        cum_last, disc_alive = _alive_sums(purchase_model, t_model, discount, x, tt)
        p_alive = np.asarray(purchase_model.p_alive(x, tx, tt))
        purchases = cum_last * p_alive
        value = disc_alive
        value *= p_alive
    else:
        (vx, vtx, vT), inv_rfm, _ = compress(x, tx, tt)
        (ux, uT), inv_xt, _ = compress(vx, vT)
        cum_last, disc_alive = _alive_sums(purchase_model, t_model, discount, ux, uT)
        p_alive_rows = np.asarray(purchase_model.p_alive(vx, vtx, vT))
        purchases = (cum_last[inv_xt] * p_alive_rows)[inv_rfm]
        value = (p_alive_rows * disc_alive[inv_xt])[inv_rfm]
        p_alive = p_alive_rows[inv_rfm]
    if margin != 1.0:
        value *= margin
    spend = np.asarray(spend_model.expected_spend(x, m))
    value *= spend
    out = pd.DataFrame(
        {
            "expected_purchases": purchases,
            "p_alive": p_alive,
            "expected_spend": spend,
            "clv": value,
        },
        index=summary.index,
        copy=False,
    )
    out.attrs["horizon"] = horizon
    out.attrs["time_unit"] = unit
    out.attrs["discount_rate"] = discount_rate
    out.attrs["margin"] = margin
    return out
