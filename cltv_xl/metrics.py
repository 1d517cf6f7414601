"""Closed-form customer lifetime value formulas and period KPIs.

Every formula function is pure and vectorised. It accepts Python numbers, numpy arrays (or lists)
and pandas Series, and returns the same kind: a number in gives a ``float`` out, an array gives an
array, a Series gives a Series with the same index. Arguments are broadcast against each other
with numpy's rules; when several Series are given they must share one index.

Bad arguments raise :class:`cltv_xl.errors.InputError` (a ``ValueError``) naming the argument,
the range it must lie in, and, for arrays, the first offending value and its position. Nothing
returns a silent NaN or infinity.

Sources
-------
* Classic (undiscounted) CLTV ``ARPU x lifetime - CAC`` and the SaaS ratios (LTV/CAC, CAC
  payback): standard SaaS definitions, e.g. D. Skok, "SaaS metrics 2.0" (forEntrepreneurs, 2013).
* Expected lifetime ``1 / churn`` for a constant per-period churn (geometric lifetime):
  Berger & Nasr (1998), "Customer lifetime value: marketing models and applications",
  *J. Interactive Marketing* 12(1), case 1.
* Margin multiple ``m r / (1 + d - r)``: Gupta & Lehmann (2003), "Customers as assets",
  *J. Interactive Marketing* 17(1), eq. 3; Gupta & Lehmann (2005), *Managing Customers as
  Investments*, ch. 2.
* Discounted finite-horizon sum: Berger & Nasr (1998), and Fader & Hardie (2012), "Reconciling
  and clarifying CLV formulas" (note 024, www.brucehardie.com/notes/024/).
"""

from __future__ import annotations

import functools
import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from .errors import InputError
from .summary import rfm_summary
from .timeunits import UNIT_NAMES, as_date, unit_days
from .transactions import Transactions
from .validation import check_values, number, unit
from .validation import fmt as _fmt

__all__ = [
    "PeriodKPIs",
    "arpu",
    "average_order_value",
    "cac_payback_periods",
    "churn_rate",
    "cltv",
    "clv_margin",
    "customer_exposure",
    "customer_kpi_table",
    "discounted_cltv",
    "is_churned",
    "kpis_from_table",
    "lifetime",
    "ltv_cac_ratio",
    "period_kpis",
    "purchase_frequency",
    "retention_rate",
]


# --------------------------------------------------------------------------------------------
# Input handling shared by the formula functions
# --------------------------------------------------------------------------------------------


class _Args:
    """Arguments converted to broadcast float arrays, remembering how to shape the result."""

    def __init__(self, **kwargs: Any) -> None:
        self.index: pd.Index | None = None
        self.is_array = False
        arrays: dict[str, np.ndarray] = {}
        for name, value in kwargs.items():
            arrays[name] = self._to_array(name, value)
        try:
            shaped = np.broadcast_arrays(*arrays.values())
        except ValueError as exc:
            shapes = ", ".join(f"{n} {a.shape}" for n, a in arrays.items())
            raise InputError(f"arguments have shapes that cannot be combined: {shapes}") from exc
        self.values = dict(zip(arrays, shaped, strict=True))

    def _to_array(self, name: str, value: Any) -> np.ndarray:
        if isinstance(value, pd.Series):
            if self.index is None:
                self.index = value.index
            elif not value.index.equals(self.index):
                raise InputError(f"{name} is a Series with a different index from the others")
            self.is_array = True
            raw = value.to_numpy()
        elif isinstance(value, (np.ndarray, list, tuple)):
            self.is_array = True
            raw = np.asarray(value)
        else:
            raw = value
        if isinstance(raw, (bool, np.bool_)):
            raise InputError(f"{name} must be a number; got {value!r}")
        try:
            arr = np.asarray(raw, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise InputError(f"{name} must be a number or numbers; got {value!r}") from exc
        return arr

    def __getitem__(self, name: str) -> np.ndarray:
        return self.values[name]

    def check(
        self,
        name: str,
        *,
        low: float = -math.inf,
        high: float = math.inf,
        low_open: bool = False,
        high_open: bool = False,
        allow_inf: bool = False,
        hint: str = "",
    ) -> np.ndarray:
        """Validate ``name`` against an interval (:func:`cltv_xl.validation.check_values`)."""
        arr = self.values[name]

        def where(flat: int) -> str:
            if not (self.is_array and arr.ndim > 0):
                return ""
            pos = np.unravel_index(flat, arr.shape)
            text = f" at position {pos[0] if len(pos) == 1 else tuple(int(p) for p in pos)}"
            if self.index is not None and arr.ndim == 1:
                text += f" (index {self.index[flat]!r})"
            return text

        return check_values(arr, name, low=low, high=high, low_open=low_open,
                            high_open=high_open, allow_inf=allow_inf, hint=hint, where=where)

    def out(self, result: np.ndarray, what: str) -> float | np.ndarray | pd.Series:
        """Shape ``result`` like the input: float, array, or Series with the input's index.

        A result that overflowed (an infinity or NaN from finite arguments, e.g.
        ``cltv(1e308, 7)`` or ``lifetime(5e-324)``) raises :class:`InputError` naming the
        formula ``what``: the formulas never return a silent NaN or infinity."""
        result = np.asarray(result, dtype=np.float64)
        bad = ~np.isfinite(result)
        if bad.any():
            flat = int(np.flatnonzero(bad.ravel())[0])
            where = f" at position {flat}" if self.is_array and result.ndim > 0 else ""
            args = ", ".join(f"{n}={float(np.ravel(v)[flat]):.6g}"
                             for n, v in self.values.items())
            raise InputError(f"{what} overflows: the result is too large for a floating-point "
                             f"number ({args}){where}")
        if not self.is_array:
            return float(result)
        if self.index is not None:
            return pd.Series(result.reshape(len(self.index)), index=self.index)
        return result


def _formula(func: Any) -> Any:
    """Run a formula with numpy's overflow warnings off: :meth:`_Args.out` turns an
    overflowed result into one clear :class:`InputError` instead."""
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            return func(*args, **kwargs)

    return wrapper


def _first_true(mask: np.ndarray) -> int:
    return int(np.flatnonzero(np.asarray(mask).ravel())[0])


def _raise_relation(args: _Args, mask: np.ndarray, message: str) -> None:
    """Raise ``message`` (with the position for arrays) if ``mask`` has a True entry."""
    if not np.any(mask):
        return
    where = ""
    if args.is_array and np.ndim(mask) > 0:
        pos = _first_true(mask)
        where = f" (first at position {pos})"
    raise InputError(message + where)


# --------------------------------------------------------------------------------------------
# Formulas
# --------------------------------------------------------------------------------------------


@_formula
def arpu(revenue, customers):
    """Average revenue per user: ``revenue / customers``.

    Standard SaaS definition (revenue of a period divided by the customers of that period).
    ``revenue`` is any finite amount (net of refunds it may be negative); ``customers`` > 0.
    """
    a = _Args(revenue=revenue, customers=customers)
    r = a.check("revenue")
    c = a.check("customers", low=0, low_open=True, hint="there must be at least one customer")
    return a.out(r / c, "arpu")


@_formula
def churn_rate(customers_start, customers_lost):
    """Churn rate of a period: ``customers_lost / customers_start``.

    Standard SaaS definition; Berger & Nasr (1998) use ``1 - r`` with ``r`` the retention rate.
    ``customers_start`` > 0 and ``0 <= customers_lost <= customers_start``.
    """
    a = _Args(customers_start=customers_start, customers_lost=customers_lost)
    s = a.check("customers_start", low=0, low_open=True, hint="no customers at the start")
    lost = a.check("customers_lost", low=0)
    _raise_relation(a, lost > s, "customers_lost cannot exceed customers_start")
    return a.out(lost / s, "churn_rate")


@_formula
def retention_rate(customers_start, customers_end, customers_new):
    """Retention rate of a period: ``(customers_end - customers_new) / customers_start``.

    The share of the customers present at the start of the period who are still customers at
    its end (the customers acquired during the period are taken out). Standard SaaS definition;
    for a constant rate it is ``1 - churn``. Needs ``customers_start`` > 0, counts >= 0,
    ``customers_new <= customers_end`` and ``customers_end - customers_new <= customers_start``.
    """
    a = _Args(
        customers_start=customers_start, customers_end=customers_end, customers_new=customers_new
    )
    s = a.check("customers_start", low=0, low_open=True, hint="no customers at the start")
    e = a.check("customers_end", low=0)
    n = a.check("customers_new", low=0)
    _raise_relation(a, n > e, "customers_new cannot exceed customers_end")
    _raise_relation(
        a,
        e - n > s,
        "customers_end - customers_new (customers kept) cannot exceed customers_start",
    )
    return a.out((e - n) / s, "retention_rate")


@_formula
def lifetime(churn_rate):
    """Expected customer lifetime in periods: ``1 / churn_rate``.

    With a constant per-period churn ``c`` the number of periods a customer stays is geometric
    with mean ``1 / c`` (Berger & Nasr 1998). ``churn_rate`` must be in (0, 1].
    """
    a = _Args(churn_rate=churn_rate)
    c = a.check(
        "churn_rate", low=0, high=1, low_open=True,
        hint="a churn of 0 means an infinite lifetime",
    )
    return a.out(1.0 / c, "lifetime")


@_formula
def cltv(arpu, lifetime, cac=0.0):
    """Classic customer lifetime value: ``arpu x lifetime - cac``.

    The undiscounted SaaS formula (e.g. Skok 2013). Use a margin-adjusted ARPU (ARPU x gross
    margin) for a profit-based value. ``arpu`` is any finite amount per period, ``lifetime``
    >= 0 periods (finite), ``cac`` >= 0.

    Example: ARPU 50 per month, lifetime 24 months, CAC 100 -> 50 x 24 - 100 = 1100.
    """
    a = _Args(arpu=arpu, lifetime=lifetime, cac=cac)
    m = a.check("arpu")
    life = a.check("lifetime", low=0)
    k = a.check("cac", low=0)
    return a.out(m * life - k, "cltv")


@_formula
def clv_margin(margin, retention, discount_rate):
    """Gupta & Lehmann's infinite-horizon CLV: ``m r / (1 + d - r)``.

    Gupta & Lehmann (2003), "Customers as assets", *J. Interactive Marketing* 17(1), eq. 3: the
    value of a customer who brings margin ``m`` (money per period, received at the end of each
    period) while retained, with constant retention ``r`` per period and discount rate ``d`` per
    period, is ``sum_{t>=1} m r^t / (1 + d)^t = m r / (1 + d - r)``. (The first margin is
    counted after the first retention event; add ``m`` to include an initial margin.)

    ``margin`` is any finite amount, ``retention`` in [0, 1], ``discount_rate`` in [0, 1], and
    ``retention = 1`` needs ``discount_rate > 0``.

    Example: m = 100, r = 0.8, d = 0.1 -> 100 x 0.8 / 0.3 = 266.67.
    """
    a = _Args(margin=margin, retention=retention, discount_rate=discount_rate)
    m = a.check("margin")
    r = a.check("retention", low=0, high=1)
    d = a.check("discount_rate", low=0, high=1)
    _raise_relation(
        a,
        (r == 1) & (d == 0),
        "retention 1 with discount_rate 0 gives an infinite value; use retention < 1 "
        "or discount_rate > 0",
    )
    return a.out(m * r / (1.0 + d - r), "clv_margin")


@_formula
def discounted_cltv(arpu, churn_rate, discount_rate, periods, cac=0.0):
    """Discounted CLTV over a horizon: ``sum_{t=1..n} arpu (1-c)^(t-1) / (1+d)^t - cac``.

    Timing convention (Berger & Nasr 1998, case 1; Fader & Hardie 2012, note 024): the customer
    is acquired at time 0 and pays ``arpu`` at the end of each period it is still a customer;
    it is still a customer in period ``t`` with probability ``(1 - c)^(t-1)`` (the first period
    is certain); the payment of period ``t`` is discounted by ``(1 + d)^t``.

    Closed form of the geometric sum, with ``q = (1 - c) / (1 + d)``::

        sum = arpu (1 - q^n) / (c + d)          when c + d > 0
        sum = arpu n                            when c = d = 0
        sum = arpu / (c + d)                    when n = inf (needs c + d > 0)

    As ``d -> 0`` and ``n -> inf`` it tends to ``arpu / c = cltv(arpu, lifetime(c))``.

    Arguments: ``arpu`` finite; ``churn_rate`` in [0, 1]; ``discount_rate`` in [0, 1];
    ``periods`` a whole number >= 0 or ``inf``; ``cac`` >= 0. ``periods = inf`` with churn 0
    and discount 0 is infinite and raises.
    """
    a = _Args(arpu=arpu, churn_rate=churn_rate, discount_rate=discount_rate, periods=periods,
              cac=cac)
    m = a.check("arpu")
    c = a.check("churn_rate", low=0, high=1)
    d = a.check("discount_rate", low=0, high=1)
    n = a.check("periods", low=0, allow_inf=True)
    finite_n = np.isfinite(n)
    _raise_relation(
        a,
        finite_n & (n != np.floor(np.where(finite_n, n, 0))),
        "periods must be a whole number of periods (or inf)",
    )
    k = a.check("cac", low=0)
    rate = c + d
    _raise_relation(
        a,
        ~finite_n & (rate == 0),
        "periods = inf with churn_rate 0 and discount_rate 0 gives an infinite value",
    )
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        # log q^n computed as n (log1p(-c) - log1p(d)) keeps precision for small c and d.
        log_q = np.log1p(-c) - np.log1p(d)
        log_qn = np.where(n == 0, 0.0, n * log_q)
        factor = np.where(rate > 0, -np.expm1(log_qn) / np.where(rate > 0, rate, 1.0), n)
        factor = np.where(n == 0, 0.0, factor)
    return a.out(m * factor - k, "discounted_cltv")


@_formula
def ltv_cac_ratio(ltv, cac):
    """LTV to CAC ratio: ``ltv / cac`` (standard SaaS metric; 3 or more is the usual target).

    ``ltv`` is any finite amount and ``cac`` > 0.
    """
    a = _Args(ltv=ltv, cac=cac)
    v = a.check("ltv")
    k = a.check("cac", low=0, low_open=True, hint="a CAC of 0 makes the ratio infinite")
    return a.out(v / k, "ltv_cac_ratio")


@_formula
def cac_payback_periods(cac, arpu, margin=1.0):
    """Periods needed to earn back the acquisition cost: ``cac / (arpu x margin)``.

    Standard SaaS definition (months to recover CAC when ARPU is monthly). ``cac`` >= 0,
    ``arpu`` > 0, ``margin`` (gross margin as a fraction) in (0, 1].
    """
    a = _Args(cac=cac, arpu=arpu, margin=margin)
    k = a.check("cac", low=0)
    m = a.check("arpu", low=0, low_open=True, hint="with no revenue the CAC is never paid back")
    g = a.check("margin", low=0, high=1, low_open=True,
                hint="with no margin the CAC is never paid back")
    return a.out(k / (m * g), "cac_payback_periods")


@_formula
def average_order_value(revenue, orders):
    """Average order value: ``revenue / orders``. ``revenue`` finite, ``orders`` > 0."""
    a = _Args(revenue=revenue, orders=orders)
    r = a.check("revenue")
    o = a.check("orders", low=0, low_open=True, hint="there must be at least one order")
    return a.out(r / o, "average_order_value")


@_formula
def purchase_frequency(orders, customers):
    """Purchase frequency: ``orders / customers``. ``orders`` >= 0, ``customers`` > 0."""
    a = _Args(orders=orders, customers=customers)
    o = a.check("orders", low=0)
    c = a.check("customers", low=0, low_open=True, hint="there must be at least one customer")
    return a.out(o / c, "purchase_frequency")


# --------------------------------------------------------------------------------------------
# Period KPIs derived from data
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PeriodKPIs:
    """Per-period KPIs estimated from transactions (see :func:`period_kpis`).

    Attributes
    ----------
    customers: number of customers with a purchase on or before ``as_of``.
    revenue: total net revenue up to ``as_of`` (every used amount, refunds netted, including
        customers whose only rows are refunds).
    churned: customers whose last purchase is more than ``inactivity`` periods before ``as_of``.
    exposure: customer-periods observed (sum of :func:`customer_exposure`).
    arpu: ``revenue / exposure``, revenue per customer per period.
    churn_rate: ``churned / exposure``, churn per customer per period.
    lifetime: ``1 / churn_rate``, expected lifetime in periods.
    period: the period unit, ``"D"``, ``"W"`` or ``"M"``.
    inactivity: the inactivity window, in periods.
    as_of: end of the observation window.
    """

    customers: int
    revenue: float
    churned: int
    exposure: float
    arpu: float
    churn_rate: float
    lifetime: float
    period: str
    inactivity: float
    as_of: pd.Timestamp

    def to_dict(self) -> dict[str, Any]:
        """The KPIs as a plain dict (field name -> value)."""
        return asdict(self)


_SUMMARY_NEEDS = ("first_purchase", "last_purchase", "revenue")


def _check_inactivity(inactivity: Any) -> float:
    return number(inactivity, "inactivity", low=1)


def _check_period(period: Any) -> str:
    return unit(period, "period")


def _is_summary(obj: Any) -> bool:
    return isinstance(obj, pd.DataFrame) and all(c in obj.columns for c in _SUMMARY_NEEDS)


def _summary_and_as_of(tx_or_summary: Any, as_of: Any) -> tuple[pd.DataFrame, pd.Timestamp]:
    """Per-customer first/last purchase and revenue, and the window end, from any accepted input."""
    if _is_summary(tx_or_summary):
        summary = tx_or_summary
        if len(summary) == 0:
            raise InputError("the summary has no customers")
        window_end = summary.attrs.get("as_of")
        window_end = (
            pd.Timestamp(summary["last_purchase"].max()).normalize()
            if window_end is None
            else pd.Timestamp(window_end).normalize()
        )
        if as_of is None:
            return summary, window_end
        end = as_date(as_of, "as_of", required=True)
        if end < window_end:
            raise InputError(
                f"as_of {end.date()} is before the end of the summary's window "
                f"({window_end.date()}); summarise the transactions again with this as_of"
            )
        return summary, end
    if isinstance(tx_or_summary, (Transactions, pd.DataFrame)):
        end = None if as_of is None else as_date(as_of, "as_of", required=True)
        summary = rfm_summary(tx_or_summary, as_of=end, time_unit="D")
        return summary, pd.Timestamp(summary.attrs["as_of"])
    raise InputError(
        "period_kpis needs Transactions, a transactions frame (customer_id, date, amount) or an "
        f"rfm_summary frame ({', '.join(_SUMMARY_NEEDS)}); got {type(tx_or_summary).__name__}"
    )


def _days_since(later: Any, earlier: pd.Series) -> np.ndarray:
    """Whole and fractional days from each ``earlier`` date to ``later`` (float array)."""
    later_days = np.datetime64(pd.Timestamp(later), "ns")
    delta = later_days - earlier.to_numpy(dtype="datetime64[ns]")
    return delta.astype("timedelta64[ns]").astype(np.int64) / 86_400e9


def is_churned(summary: pd.DataFrame, as_of: Any, inactivity: float = 3, period: str = "M"):
    """True for each customer whose last purchase is more than ``inactivity`` periods before
    ``as_of``.

    ``(as_of - last_purchase) in days > inactivity x unit_days(period)``, where a month is
    365.25 / 12 days and a week 7 days. Returns a bool Series indexed like ``summary``.
    """
    unit = _check_period(period)
    window = _check_inactivity(inactivity)
    end = as_date(as_of, "as_of", required=True)
    since_last = _days_since(end, summary["last_purchase"])
    return pd.Series(since_last > window * unit_days(unit), index=summary.index, name="churned")


def customer_exposure(
    summary: pd.DataFrame, as_of: Any, inactivity: float = 3, period: str = "M"
) -> pd.Series:
    """Periods each customer was observed as a customer (float Series indexed like ``summary``).

    Exposure runs from the first purchase to the earlier of ``as_of`` and
    ``last_purchase + inactivity`` periods::

        exposure = (min(as_of, last_purchase + inactivity x unit_days) - first_purchase)
                   / unit_days

    with ``unit_days`` = 365.25 / 12 for months, 7 for weeks, 1 for days. A churned customer
    (see :func:`is_churned`) is therefore exposed until the end of its inactivity window, and an
    active one until ``as_of``.
    """
    unit = _check_period(period)
    window = _check_inactivity(inactivity)
    end = as_date(as_of, "as_of", required=True)
    per = unit_days(unit)
    to_end = _days_since(end, summary["first_purchase"])
    to_window_end = (
        _days_since(end, summary["first_purchase"])
        - _days_since(end, summary["last_purchase"])
        + window * per
    )
    days = np.minimum(to_end, to_window_end)
    return pd.Series(days / per, index=summary.index, name="exposure")


def customer_kpi_table(
    tx_or_summary: Any, *, as_of: Any = None, inactivity: float = 3, period: str = "M"
) -> pd.DataFrame:
    """Per-customer pieces of :func:`period_kpis`, for a report to write and SUM with formulas.

    Columns: ``first_purchase``, ``last_purchase``, ``revenue``, ``exposure`` (periods, see
    :func:`customer_exposure`), ``churned`` (bool, see :func:`is_churned`). ``attrs`` records
    ``as_of``, ``inactivity``, ``period`` and ``refund_only_revenue``: the net amount of the
    customers whose only rows are refunds (no purchase, so no row here; from the summary's
    ``attrs["refund_only"]``), which the total revenue still includes.
    """
    unit = _check_period(period)
    window = _check_inactivity(inactivity)
    summary, end = _summary_and_as_of(tx_or_summary, as_of)
    table = pd.DataFrame(
        {
            "first_purchase": summary["first_purchase"],
            "last_purchase": summary["last_purchase"],
            "revenue": summary["revenue"].astype(np.float64),
            "exposure": customer_exposure(summary, end, window, unit),
            "churned": is_churned(summary, end, window, unit),
        },
        index=summary.index,
    )
    refund_only = summary.attrs.get("refund_only") or {}
    table.attrs.update({"as_of": end, "inactivity": window, "period": unit,
                        "refund_only_revenue": float(refund_only.get("amount", 0.0))})
    return table


def period_kpis(
    tx_or_summary: Any, *, as_of: Any = None, inactivity: float = 3, period: str = "M"
) -> PeriodKPIs:
    """Estimate ARPU, churn rate and lifetime per period from transactions.

    Parameters
    ----------
    tx_or_summary:
        :class:`~cltv_xl.transactions.Transactions`, a transactions frame (``customer_id``,
        ``date``, ``amount``), or an :func:`~cltv_xl.summary.rfm_summary` frame (it needs
        ``first_purchase``, ``last_purchase`` and ``revenue``; its ``attrs["as_of"]`` is the
        default ``as_of``, and a later ``as_of`` may be given, an earlier one may not).
    as_of:
        End of the observation window; defaults to the last transaction date.
    inactivity:
        Inactivity window in periods (>= 1): a customer whose last purchase is more than this
        many periods before ``as_of`` is counted as churned.
    period:
        ``"M"`` (months of 365.25 / 12 days), ``"W"`` (weeks) or ``"D"`` (days).

    Definitions
    -----------
    * ``customers`` = customers with a purchase on or before ``as_of``;
      ``revenue`` = total net revenue up to ``as_of``: every used amount, refunds netted,
      including the refunds of customers with no purchase in the window.
    * ``churned`` = number of customers with ``as_of - last_purchase > inactivity`` periods.
    * ``exposure`` = sum over customers of
      ``min(as_of, last_purchase + inactivity) - first_purchase``, in periods.
    * ``arpu = revenue / exposure`` (revenue per customer per period of exposure).
    * ``churn_rate = churned / exposure``: with exponentially distributed lifetimes this is the
      maximum-likelihood estimate of the churn hazard (events / time at risk, e.g. Lawless 2003,
      *Statistical Models and Methods for Lifetime Data*, sec. 2.2; churned customers are the
      events, active ones are right-censored at ``as_of``).
    * ``lifetime = 1 / churn_rate = exposure / churned`` periods.

    These give the report's headline values: ``cltv(arpu * margin, lifetime, cac)`` and
    ``ltv_cac_ratio(arpu * margin * lifetime, cac)``.

    Raises
    ------
    InputError
        When no customer has churned (the churn rate cannot be estimated from the window), and
        for bad arguments.
    """
    table = customer_kpi_table(tx_or_summary, as_of=as_of, inactivity=inactivity, period=period)
    return kpis_from_table(table)


def table_revenue(table: pd.DataFrame) -> float:
    """Total net revenue of a :func:`customer_kpi_table`: its customers' revenue plus the net
    amount of refund-only customers (``attrs["refund_only_revenue"]``), so that it equals the
    sum of every used amount up to ``as_of``."""
    return float(table["revenue"].sum()) + float(table.attrs.get("refund_only_revenue", 0.0))


def kpis_from_table(table: pd.DataFrame) -> PeriodKPIs:
    """:class:`PeriodKPIs` from a :func:`customer_kpi_table` (the sums of its columns), so a
    caller that needs both builds the per-customer table once. Definitions: see
    :func:`period_kpis`."""
    unit = table.attrs["period"]
    window = table.attrs["inactivity"]
    end = table.attrs["as_of"]
    churned = int(table["churned"].sum())
    exposure = float(table["exposure"].sum())
    revenue = table_revenue(table)
    if churned == 0:
        raise InputError(
            f"the churn rate cannot be estimated from this window: no customer has been inactive "
            f"for more than {_fmt(window)} {UNIT_NAMES[unit]} before {end.date()}; use a shorter "
            "inactivity window or a longer history"
        )
    rate = churned / exposure
    return PeriodKPIs(
        customers=len(table),
        revenue=revenue,
        churned=churned,
        exposure=exposure,
        arpu=revenue / exposure,
        churn_rate=rate,
        lifetime=exposure / churned,
        period=unit,
        inactivity=window,
        as_of=end,
    )
