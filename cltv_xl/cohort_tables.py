"""Acquisition cohorts: customers, revenue and retention by periods since first purchase.

A customer's cohort is the calendar period (month, ISO week or quarter) of its first purchase.
"Periods since acquisition" counts calendar periods: a customer acquired on 31 January who buys
on 1 February is active in period 1 of the January cohort. There are no 30-day blocks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .errors import InputError
from .timeunits import as_date
from .transactions import (
    Transactions,
    customer_codes,
    distinct_pairs,
    purchase_mask,
    transaction_frame,
)
from .validation import choice

__all__ = [
    "MAX_COHORTS",
    "MAX_COHORT_PERIODS",
    "CohortTables",
    "SurvivalTable",
    "cohort_tables_from_cells",
    "cohorts",
    "observed_retention",
    "period_index",
    "period_start",
    "subscription_survival",
    "survival_from_runs",
]

#: Accepted spellings of the cohort period.
_PERIODS = {
    "m": "M", "month": "M", "months": "M", "monthly": "M",
    "w": "W", "week": "W", "weeks": "W", "weekly": "W",
    "q": "Q", "quarter": "Q", "quarters": "Q", "quarterly": "Q",
}
_PERIOD_NAMES = {"M": "months", "W": "weeks", "Q": "quarters"}
# 1970-01-01 is a Thursday: the ISO week holding it starts on Monday 1969-12-29 (day -3).
_MONDAY_OFFSET = 3


@dataclass
class CohortTables:
    """Cohort matrices; rows are cohorts, columns are periods since acquisition (0..K).

    Attributes
    ----------
    customers:
        Active customers: customers of the cohort with at least one purchase in that period.
    revenue:
        Net revenue of the cohort's customers in that period.
    retention:
        ``customers / sizes``: the share of the cohort active in that period (1.0 in period 0).
    sizes:
        Cohort sizes (customers acquired in the period), an int Series.
    period:
        ``"M"``, ``"W"`` or ``"Q"``.
    as_of:
        End of the observation window. Cells of periods that start after the period holding
        ``as_of`` have not been observed yet: they are NaN in all three matrices (write them as
        blank cells).

    total_cohorts, total_periods:
        Cohorts and periods since acquisition in the data; larger than the tables' shape when
        they were bounded (``max_cohorts``, ``max_periods``).
    partial:
        True for the cells of the period holding ``as_of`` when ``as_of`` is not that period's
        last day (data ending on 9 December: every cohort's December cell). Such a period is
        cut short, so its retention looks like a drop; it is shown but marked, and left out
        of retention averages and charts (:func:`observed_retention`).
    partial_period:
        Start of that cut-short period, or ``None`` when ``as_of`` ends its period.

    The index holds the cohort period start dates (Timestamps, name ``"cohort"``); the columns
    are ints named ``"periods_since_acquisition"``.
    """

    customers: pd.DataFrame
    revenue: pd.DataFrame
    retention: pd.DataFrame
    sizes: pd.Series
    period: str
    as_of: pd.Timestamp
    partial: pd.DataFrame | None = None
    partial_period: pd.Timestamp | None = None
    total_cohorts: int | None = None
    total_periods: int | None = None

    @property
    def truncated(self) -> bool:
        """True when the tables hold fewer cohorts or periods than the data span
        (:data:`MAX_COHORTS`, :data:`MAX_COHORT_PERIODS`)."""
        rows, cols = self.customers.shape
        return (self.total_cohorts or rows) > rows or (self.total_periods or cols) > cols


def observed_retention(ct: CohortTables) -> tuple[np.ndarray, np.ndarray]:
    """Retention by periods since acquisition over complete periods only: (all cohorts
    pooled = active / size summed over the cohorts observed for that whole period, first
    cohort). Unobserved and partial cells (:attr:`CohortTables.partial`) are left out; a
    period with no complete cell is NaN."""
    active = ct.customers.to_numpy(dtype=np.float64).copy()
    first = ct.retention.iloc[0].to_numpy(dtype=np.float64).copy()
    sizes = ct.sizes.to_numpy(dtype=np.float64)[:, None]
    if ct.partial is not None:
        mask = ct.partial.to_numpy(dtype=bool)
        active[mask] = np.nan
        first[mask[0]] = np.nan
    observed = ~np.isnan(active)
    with np.errstate(invalid="ignore", divide="ignore"):
        pooled = np.nansum(active, axis=0) / np.where(observed, sizes, 0).sum(axis=0)
    return pooled, first


def _check_period(period: str) -> str:
    return choice(period, "period", _PERIODS,
                  "one of 'M' (months), 'W' (ISO weeks from Monday) or 'Q' (quarters)")


def period_index(dates: np.ndarray, period: str) -> np.ndarray:
    """Integer calendar-period number of each date (consecutive periods differ by 1).

    Months count from January 1970, quarters from Q1 1970, ISO weeks (Monday start) from the
    week of 29 December 1969.
    """
    code = _check_period(period)
    d = np.asarray(dates, dtype="datetime64[ns]")
    if code == "W":
        days = d.astype("datetime64[D]").astype(np.int64)
        return (days + _MONDAY_OFFSET) // 7
    months = d.astype("datetime64[M]").astype(np.int64)
    return months // 3 if code == "Q" else months


def period_start(index: np.ndarray, period: str) -> pd.DatetimeIndex:
    """Start date of each period number made by :func:`period_index`."""
    code = _check_period(period)
    idx = np.asarray(index, dtype=np.int64)
    if code == "W":
        starts = (idx * 7 - _MONDAY_OFFSET).astype("datetime64[D]")
    else:
        starts = (idx * 3 if code == "Q" else idx).astype("datetime64[M]")
    return pd.DatetimeIndex(starts.astype("datetime64[ns]"))


#: Most cohorts (rows) and periods since acquisition (columns) a cohort table holds. The
#: matrices grow with (span in periods)^2: orders spread over 1900-2099 make 2,400 x 2,400
#: monthly cells, and the report writes each one as an openpyxl cell (about 0.6 KB each:
#: 700 MB and 160 s measured for 240 customers; bench/bench_cohort_span.py). 120 x 120 keeps
#: the matrices under 0.4 MB and the report's two cohort sheets under 30,000 cells (about
#: 20 MB while written). The most recent cohorts and the first periods are kept, and
#: ``CohortTables.total_cohorts`` / ``total_periods`` say how many there were.
MAX_COHORTS = 120
MAX_COHORT_PERIODS = 120


def cohorts(tx: Transactions | pd.DataFrame, period: str = "M", *, as_of=None,
            max_cohorts: int | None = MAX_COHORTS,
            max_periods: int | None = MAX_COHORT_PERIODS) -> CohortTables:
    """Acquisition-cohort tables of active customers, revenue and retention.

    Parameters
    ----------
    tx:
        :class:`~cltv_xl.transactions.Transactions` or a frame with ``customer_id``, ``date``
        and ``amount``.
    period:
        ``"M"`` calendar months (default), ``"W"`` ISO weeks starting Monday, ``"Q"`` calendar
        quarters.
    as_of:
        End of the observation window; transactions after it are left out. Defaults to the last
        transaction date.
    max_cohorts, max_periods:
        Bounds of the tables (:data:`MAX_COHORTS`, :data:`MAX_COHORT_PERIODS`; ``None`` for
        no bound): only the ``max_cohorts`` most recent cohorts and the periods since
        acquisition ``0 .. max_periods - 1`` are tabulated. ``total_cohorts`` and
        ``total_periods`` of the result give the unbounded sizes.

    Definitions
    -----------
    * cohort of a customer = the period holding its first purchase (refund and cancellation
      rows, :func:`~cltv_xl.transactions.purchase_mask`, are never purchases; a customer with
      refunds only has no cohort);
    * ``k`` = periods since acquisition = period number of a transaction - that of the cohort;
    * ``customers[c, k]`` = customers of cohort ``c`` with at least one purchase in period
      ``k`` (a customer counts once however many purchases it made; a period holding only
      refunds does not make it active);
    * ``revenue[c, k]`` = sum of the amounts of the cohort's transactions in period ``k``, net of
      refunds (a refund dated before its customer's first purchase counts in period 0);
    * ``retention[c, k] = customers[c, k] / sizes[c]``;
    * a cell whose period starts after the period of ``as_of`` is not observed yet: NaN;
    * a cell of the period holding ``as_of``, when ``as_of`` is not its last day, is partial
      (``partial``): shown, but left out of :func:`observed_retention`.

    Returns
    -------
    CohortTables
    """
    code = _check_period(period)
    data = transaction_frame(tx, "cohorts")
    dates = data["date"].to_numpy(dtype="datetime64[ns]")
    amounts = data["amount"].to_numpy(dtype=np.float64)
    codes = customer_codes(tx, sort=False)[0]  # grouping only: any numbering will do
    purchase = purchase_mask(data)
    if as_of is not None:
        end = as_date(as_of, "as_of", required=True)
        keep = dates <= end.to_datetime64()
        dates, amounts, codes, purchase = dates[keep], amounts[keep], codes[keep], purchase[keep]
    if len(dates) == 0:
        raise InputError("cohorts: there are no transactions to group into cohorts")
    if np.isnat(dates).any():
        raise InputError("cohorts: the date column has missing dates; clean the data first")
    if as_of is None:
        end = pd.Timestamp(dates.max()).normalize()

    p = period_index(dates, code)
    n_cust = int(codes.max()) + 1
    # Acquisition and activity come from purchase rows only: a refund (or a cancellation) is
    # netted into its customer's revenue but never makes the customer active in a period.
    never = np.iinfo(np.int64).max
    first = np.full(n_cust, never, dtype=np.int64)
    np.minimum.at(first, codes[purchase], p[purchase])
    buyer = first < never
    if not buyer.any():
        raise InputError("cohorts: there are no purchases to group into cohorts (only refunds)")
    if not buyer.all():  # customers with refunds only have no cohort
        rows = buyer[codes]
        renumber = np.cumsum(buyer) - 1
        codes, p, amounts, purchase = renumber[codes[rows]], p[rows], amounts[rows], purchase[rows]
        first = first[buyer]
    # A refund dated before the customer's first purchase counts in the acquisition period.
    p = np.maximum(p, first[codes])
    end_p = int(period_index(np.array([end.to_datetime64()]), code)[0])
    all_cohorts, all_sizes = np.unique(first, return_counts=True)
    total_periods = int(end_p - all_cohorts.min()) + 1
    if max_cohorts is not None and len(all_cohorts) > max_cohorts:
        # Only the rows of the kept cohorts' customers need counting (the cells are bounded
        # again by cohort_tables_from_cells).
        kept_customer = first >= all_cohorts[-int(max_cohorts)]
        rows = kept_customer[codes]
        renumber = np.cumsum(kept_customer) - 1  # old customer code -> new, order kept
        codes, p, amounts = renumber[codes[rows]], p[rows], amounts[rows]
        purchase = purchase[rows]
        first = first[kept_customer]
    age_all = p - first[codes]
    if max_periods is not None and total_periods > max_periods:
        rows = age_all < int(max_periods)
        codes, p, amounts, purchase = codes[rows], p[rows], amounts[rows], purchase[rows]
    cohort_values, cohort_of_customer = np.unique(first, return_inverse=True)
    n_cohorts = len(cohort_values)
    age = p - first[codes]
    n_ages = int(end_p - cohort_values.min()) + 1
    if max_periods is not None:
        n_ages = min(n_ages, int(max_periods))
    cell = cohort_of_customer[codes] * n_ages + age
    revenue = np.bincount(cell, weights=amounts, minlength=n_cohorts * n_ages)
    # Active customers: distinct (customer, period) pairs, counted per cell.
    # (purchase rows only: a refund-only period is not an active one)
    pair_cust, pair_age = distinct_pairs(codes[purchase], age[purchase])
    pair_cell = cohort_of_customer[pair_cust] * n_ages + pair_age
    active = np.bincount(pair_cell, minlength=n_cohorts * n_ages)
    grid = np.arange(n_cohorts * n_ages)
    return cohort_tables_from_cells(
        all_cohorts, all_sizes, cohort_values[grid // n_ages], grid % n_ages, active, revenue,
        code, end, max_cohorts=max_cohorts, max_periods=max_periods)


def cohort_tables_from_cells(cohort_ids: np.ndarray, sizes: np.ndarray, cell_cohort: np.ndarray,
                             cell_age: np.ndarray, active: np.ndarray, revenue: np.ndarray,
                             period: str, as_of, *, max_cohorts: int | None = MAX_COHORTS,
                             max_periods: int | None = MAX_COHORT_PERIODS) -> CohortTables:
    """:class:`CohortTables` from aggregated cells, the one place the tables are arranged
    (bounded, unobserved and partial cells marked) whoever counted the cells: :func:`cohorts`
    with numpy, or a database engine with SQL (:mod:`cltv_xl.engines.sql`).

    ``cohort_ids``/``sizes``: every cohort's period number (:func:`period_index`) and its
    customers; ``cell_*``: (cohort period number, periods since acquisition) of each cell with
    its ``active`` customers and net ``revenue`` (cells not given are 0); ``as_of``: the end of
    the window (a date); the bounds are those of :func:`cohorts`.
    """
    code = _check_period(period)
    end = as_date(as_of, "as_of", required=True)
    order = np.argsort(np.asarray(cohort_ids, dtype=np.int64), kind="stable")
    all_cohorts = np.asarray(cohort_ids, dtype=np.int64)[order]
    all_sizes = np.asarray(sizes, dtype=np.int64)[order]
    if len(all_cohorts) == 0:
        raise InputError("cohorts: there are no purchases to group into cohorts (only refunds)")
    end_p = int(period_index(np.array([end.to_datetime64()]), code)[0])
    total_cohorts = len(all_cohorts)
    total_periods = int(end_p - all_cohorts[0]) + 1
    cohort_values, size_values = all_cohorts, all_sizes
    if max_cohorts is not None and total_cohorts > max_cohorts:
        cohort_values, size_values = all_cohorts[-int(max_cohorts):], all_sizes[-int(max_cohorts):]
    n_cohorts = len(cohort_values)
    n_ages = int(end_p - cohort_values[0]) + 1
    if max_periods is not None:
        n_ages = min(n_ages, int(max_periods))
    cell_cohort = np.asarray(cell_cohort, dtype=np.int64)
    cell_age = np.asarray(cell_age, dtype=np.int64)
    row = np.searchsorted(cohort_values, cell_cohort)
    found = row < n_cohorts
    found[found] = cohort_values[row[found]] == cell_cohort[found]
    keep = found & (cell_age >= 0) & (cell_age < n_ages)
    cell = row[keep] * n_ages + cell_age[keep]
    shape = (n_cohorts, n_ages)
    active_m = np.bincount(cell, weights=np.asarray(active, dtype=np.float64)[keep],
                           minlength=n_cohorts * n_ages).reshape(shape)
    revenue_m = np.bincount(cell, weights=np.asarray(revenue, dtype=np.float64)[keep],
                            minlength=n_cohorts * n_ages).reshape(shape)
    unobserved = (cohort_values[:, None] + np.arange(n_ages)[None, :]) > end_p
    active_m[unobserved] = np.nan
    revenue_m[unobserved] = np.nan
    retention = active_m / size_values[:, None]

    next_start = period_start(np.array([end_p + 1]), code)[0]
    cut_short = end.normalize() < next_start - pd.Timedelta(days=1)
    partial = (cohort_values[:, None] + np.arange(n_ages)[None, :]) == end_p
    if not cut_short:
        partial[:] = False

    index = pd.Index(period_start(cohort_values, code), name="cohort")
    columns = pd.Index(np.arange(n_ages), name="periods_since_acquisition")

    def frame(values: np.ndarray) -> pd.DataFrame:
        return pd.DataFrame(values, index=index, columns=columns)

    return CohortTables(
        customers=frame(active_m),
        revenue=frame(revenue_m),
        retention=frame(retention),
        sizes=pd.Series(size_values.astype(np.int64), index=index, name="customers"),
        period=code,
        as_of=end,
        partial=frame(partial),
        partial_period=period_start(np.array([end_p]), code)[0] if cut_short else None,
        total_cohorts=total_cohorts,
        total_periods=total_periods,
    )


@dataclass
class SurvivalTable:
    """Subscribers still paying, by acquisition cohort and periods since acquisition.

    Attributes
    ----------
    survivors:
        ``survivors[c, k]``: customers of cohort ``c`` who paid in every period 0..k since
        acquisition (the survivor counts of the shifted-beta-geometric model,
        :class:`cltv_xl.models.SBG`, which fits this frame directly). Column 0 is the cohort
        size. Periods not complete by ``as_of`` are NaN.
    sizes:
        Cohort sizes (customers whose first payment fell in the period), an int Series.
    returned:
        Per cohort, customers who missed a period and later paid again. They count as churned
        at their first missed period (the sBG has no come-backs); a large number here means the
        business is not a plain subscription, or a grace period is needed.
    excluded:
        Customers left out, with the reason: ``"no payment"`` (no transaction with amount > 0)
        and ``"unfinished period"`` (first payment in the period holding ``as_of``, which has
        not ended).
    period, as_of:
        ``"M"``, ``"W"`` or ``"Q"``, and the end of the observation window.
    """

    survivors: pd.DataFrame
    sizes: pd.Series
    returned: pd.Series
    excluded: dict[str, int]
    period: str
    as_of: pd.Timestamp


def subscription_survival(
    tx: Transactions | pd.DataFrame, period: str = "M", *, as_of=None
) -> SurvivalTable:
    """Cohort survival of subscribers: a customer survives a period while it keeps paying.

    A period counts as paid when the customer has a transaction with amount > 0 in it. A
    customer's cohort is the period of its first payment; it survives period k when it paid in
    each of periods 0..k (the first period without a payment ends its lifetime). Only periods
    that ended by ``as_of`` (default: the last transaction date) are observed, so a subscriber
    not yet billed in the current, unfinished period is not counted as lost.
    """
    code = _check_period(period)
    data = transaction_frame(tx, "subscription_survival")
    dates = data["date"].to_numpy(dtype="datetime64[ns]")
    paid = data["amount"].to_numpy(dtype=np.float64) > 0
    if len(dates) and np.isnat(dates).any():
        raise InputError(
            "subscription_survival: the date column has missing dates; clean the data first"
        )
    if as_of is None:
        if len(dates) == 0:
            raise InputError("subscription_survival: there are no transactions")
        end = pd.Timestamp(dates.max()).normalize()
    else:
        end = as_date(as_of, "as_of", required=True)
    in_window = dates <= end.to_datetime64()
    codes, uniq = customer_codes(tx, sort=False)
    n_all = len(uniq)
    keep = in_window & paid
    codes, p = codes[keep], period_index(dates[keep], code)
    if len(p) == 0:
        raise InputError("subscription_survival: there are no payments (amount > 0) by as_of")

    # Distinct (customer, period) pairs, ordered by customer then period.
    c_sorted, p_sorted = distinct_pairs(codes, p)
    start = np.ones(len(c_sorted), dtype=bool)
    start[1:] = c_sorted[1:] != c_sorted[:-1]
    group_start = np.maximum.accumulate(np.where(start, np.arange(len(c_sorted)), 0))
    rank = np.arange(len(c_sorted)) - group_start
    first_of_pair = p_sorted[group_start]
    offset = p_sorted - first_of_pair
    customers = c_sorted[start]
    first = p_sorted[start]
    run = np.bincount(c_sorted, weights=offset == rank, minlength=n_all)[customers]
    came_back = np.bincount(c_sorted, weights=offset > rank, minlength=n_all)[customers] > 0
    return survival_from_runs(first, run, came_back, np.ones(len(first), dtype=np.int64),
                              n_all, code, end)


def last_complete_period(as_of, period: str) -> int:
    """Number of the last period that has ended by ``as_of`` (:func:`period_index`): the
    period holding ``as_of`` when ``as_of`` is its last day, else the one before."""
    code = _check_period(period)
    end = as_date(as_of, "as_of", required=True)
    last = int(period_index(np.array([end.to_datetime64()]), code)[0])
    next_day = (end + pd.Timedelta(days=1)).to_datetime64()
    if int(period_index(np.array([next_day]), code)[0]) == last:
        last -= 1  # the period holding as_of has not ended: it is not observed yet
    return last


def survival_from_runs(first: np.ndarray, run: np.ndarray, came_back: np.ndarray,
                       weight: np.ndarray, n_all: int, period: str, as_of) -> SurvivalTable:
    """:class:`SurvivalTable` from each paying customer's first paid period ``first``, the
    number of periods it paid in a row from there (``run``) and whether it paid again after a
    gap (``came_back``), ``weight`` customers per row; ``n_all`` customers in all (payers or
    not). The one arranger, for :func:`subscription_survival` (numpy) and the engines (SQL,
    :mod:`cltv_xl.engines.sql`)."""
    code = _check_period(period)
    end = as_date(as_of, "as_of", required=True)
    last = last_complete_period(end, code)
    first = np.asarray(first, dtype=np.int64)
    run = np.asarray(run, dtype=np.int64)
    came_back = np.asarray(came_back, dtype=bool)
    weight = np.asarray(weight, dtype=np.int64)
    complete = first <= last
    excluded = {
        "no payment": int(n_all - weight.sum()),
        "unfinished period": int(weight[~complete].sum()),
    }
    first, run, came_back = first[complete], run[complete], came_back[complete]
    weight = weight[complete]
    if len(first) == 0:
        raise InputError(
            "subscription_survival: every customer's first payment is in the unfinished period "
            f"holding as_of {end.date()}; no period has been observed completely"
        )
    cohort_values, row = np.unique(first, return_inverse=True)
    observed = last - cohort_values + 1  # periods 0 .. observed-1 are complete
    width = int(observed.max())
    length = np.minimum(run, observed[row]).astype(np.int64)  # periods paid in a row, >= 1
    counts = np.bincount(row * (width + 1) + length, weights=weight,
                         minlength=len(cohort_values) * (width + 1)).astype(np.int64)
    counts = counts.reshape(len(cohort_values), width + 1)
    # survivors[c, k] = customers with at least k + 1 periods paid in a row.
    survivors = np.cumsum(counts[:, ::-1], axis=1)[:, ::-1][:, 1:].astype(np.float64)
    survivors[np.arange(width)[None, :] >= observed[:, None]] = np.nan
    sizes = np.bincount(row, weights=weight, minlength=len(cohort_values)).astype(np.int64)
    returned = np.bincount(row, weights=came_back * weight, minlength=len(cohort_values))

    index = pd.Index(period_start(cohort_values, code), name="cohort")
    columns = pd.Index(np.arange(width), name="periods_since_acquisition")
    return SurvivalTable(
        survivors=pd.DataFrame(survivors, index=index, columns=columns),
        sizes=pd.Series(sizes.astype(np.int64), index=index, name="customers"),
        returned=pd.Series(returned.astype(np.int64), index=index, name="returned"),
        excluded=excluded,
        period=code,
        as_of=end,
    )
