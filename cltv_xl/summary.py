"""Per-customer recency/frequency/monetary summary (the "RFM" or "CBS" table).

Conventions are those of Fader, Hardie & Lee (2005), "Counting your customers the easy way",
*Marketing Science* 24(2), and of the ``lifetimes`` package's
``summary_data_from_transaction_data``:

* purchases on the same calendar day are one purchase; refund and cancellation rows (the
  ``refund`` column of :class:`~cltv_xl.transactions.Transactions`, or a negative amount) are
  never purchases: they count in ``revenue`` (net) but not in the purchase days, ``orders`` or
  ``monetary_value``, so a day with only a cancellation is not a repeat purchase;
* ``frequency`` = number of distinct purchase days - 1 (repeat purchases);
* ``recency`` = time from the first to the last purchase day;
* ``T`` = time from the first purchase day to the end of the observation window;
* ``monetary_value`` = mean of the repeat-purchase day totals (the first day excluded), 0 when
  there are no repeat purchases (Fader & Hardie 2013, "The Gamma-Gamma model of monetary value").
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .errors import InputError
from .timeunits import as_date, check_unit, unit_days
from .transactions import (
    Transactions,
    customer_codes,
    distinct_pairs,
    purchase_mask,
    transaction_frame,
)

SUMMARY_COLUMNS = (
    "frequency",
    "recency",
    "T",
    "monetary_value",
    "first_purchase",
    "last_purchase",
    "orders",
    "revenue",
)


def rfm_summary(
    tx: Transactions | pd.DataFrame,
    *,
    as_of=None,
    calibration_end=None,
    time_unit: str | None = None,
    customer_id_col: str | None = None,
    datetime_col: str | None = None,
    monetary_value_col: str | None = None,
    observation_period_end=None,
    freq: str | None = None,
) -> pd.DataFrame:
    """Summarise transactions per customer.

    Parameters
    ----------
    tx:
        A :class:`~cltv_xl.transactions.Transactions` or a frame with ``customer_id``, ``date``,
        ``amount``.
    as_of:
        End of the observation window (date string or datetime). Defaults to the latest
        transaction date. Transactions after it are left out.
    calibration_end:
        End of a calibration period. When given, only transactions on or before it count and ``T``
        runs to it. It takes precedence over ``as_of``.
    time_unit:
        ``"D"``, ``"W"`` (the default) or ``"M"``: unit of ``recency`` and ``T``. Weeks are
        days / 7 and months are days / (365.25 / 12), never rounded.
    customer_id_col, datetime_col, monetary_value_col:
        Column names of a transactions frame whose columns are not called ``customer_id``,
        ``date`` and ``amount`` (the keywords of lifetimes' ``summary_data_from_transaction_data``).
        The columns are converted as :meth:`Transactions.from_frame` does. Without a
        ``monetary_value_col`` (and no ``amount`` column), ``monetary_value`` and ``revenue`` are
        NaN: unknown, not zero.
    observation_period_end, freq:
        lifetimes' names for ``as_of`` and ``time_unit``; give one name or the other. ``freq``
        takes ``"D"``, ``"W"`` or ``"M"`` only, and counts purchases on distinct *days* whatever
        the unit (lifetimes' ``freq="W"`` counts distinct weeks instead).

    Returns
    -------
    DataFrame indexed by ``customer_id`` with columns ``frequency`` (int), ``recency``, ``T``,
    ``monetary_value``, ``first_purchase``, ``last_purchase``, ``orders`` (distinct order ids
    when the data have an ``order_id`` column, else purchase rows; refunds excluded), and
    ``revenue`` (net of refunds). Customers whose only rows are refunds have no purchase and
    are left out; ``df.attrs["refund_only"]`` gives their number and net amount.
    ``df.attrs`` also records ``time_unit`` (``"D"``, ``"W"`` or ``"M"``) and ``as_of`` (an
    ISO date string such as ``"1997-09-30"``), so the frame can be saved with ``to_parquet``
    and read back with its attrs.
    """
    unit = check_unit(_one_of(time_unit, freq, "time_unit", "freq") or "W")
    as_of = _one_of(as_of, observation_period_end, "as_of", "observation_period_end")
    data = _named_columns(tx, customer_id_col, datetime_col, monetary_value_col)
    end = as_date(calibration_end, "calibration_end")
    if end is None:
        end = as_date(as_of, "as_of")
    dates = data["date"].to_numpy(dtype="datetime64[ns]")
    if end is None:
        if len(dates) == 0:
            raise InputError("rfm_summary: there are no transactions to summarise")
        end = pd.Timestamp(dates.max()).normalize()
    keep = dates <= end.to_datetime64()
    amounts_all = data["amount"].to_numpy(dtype=np.float64)
    refund_all = ~purchase_mask(data)
    if not keep.any():
        raise InputError(f"rfm_summary: no transactions on or before {end.date()}")
    # Customers with at least one purchase row in the window; refund-only customers are left
    # out (they have no first purchase) and reported in attrs. Customer codes are in sorted
    # id order (factorized once, usually by the loader: customer_codes).
    codes_all, ids_sorted = customer_codes(tx if data is _frame_of(tx) else data)
    if (codes_all[keep] < 0).any():
        raise InputError("rfm_summary: some transactions have no customer id")
    k_all = len(ids_sorted)
    buyer = np.bincount(codes_all[keep & ~refund_all], minlength=k_all) > 0
    in_buyers = buyer[codes_all]
    refund_only = keep & ~in_buyers
    keep &= in_buyers
    days = dates[keep].astype("datetime64[D]").astype(np.int64)
    amounts = amounts_all[keep]
    purchase = ~refund_all[keep]
    if len(days) == 0:
        raise InputError(f"rfm_summary: no purchases on or before {end.date()} (only refunds)")

    # Customer codes of the buyers (still in sorted id order), then one record per
    # (customer, purchase day).
    codes = (np.cumsum(buyer) - 1)[codes_all[keep]]
    uniques = ids_sorted[buyer]
    n_cust = len(uniques)
    revenue = np.bincount(codes, weights=amounts, minlength=n_cust)
    if "order_id" in data.columns:
        # Distinct orders per customer; a purchase row without an order id is its own order.
        oid = data["order_id"].to_numpy(dtype=object)[keep][purchase].astype(str)
        pc = codes[purchase]
        blank = oid == ""
        pairs = pd.DataFrame({"c": pc[~blank], "o": oid[~blank]}).drop_duplicates()
        orders = np.bincount(pairs["c"].to_numpy(), minlength=n_cust) + np.bincount(
            pc[blank], minlength=n_cust
        )
    else:
        orders = np.bincount(codes[purchase], minlength=n_cust)
    p_codes, p_days, p_amounts = codes[purchase], days[purchase], amounts[purchase]
    day_cust, day_num, day_idx = distinct_pairs(p_codes, p_days, inverse=True)
    day_total = np.bincount(day_idx, weights=p_amounts, minlength=len(day_cust))
    # The pairs are sorted by customer then day, so each customer's first one is its first day.
    n_days = np.bincount(day_cust, minlength=n_cust)
    starts = np.concatenate(([0], np.cumsum(n_days)[:-1]))
    ends = starts + n_days - 1
    first_day = day_num[starts]
    last_day = day_num[ends]
    first_total = day_total[starts]
    cust_day_sum = np.bincount(day_cust, weights=day_total, minlength=n_cust)

    per = unit_days(unit)
    end_day = end.to_datetime64().astype("datetime64[D]").astype(np.int64)
    frequency = n_days - 1
    with np.errstate(invalid="ignore", divide="ignore"):
        monetary = np.where(frequency > 0, (cust_day_sum - first_total) / frequency, 0.0)
    if np.isnan(amounts).all():  # no monetary column: spend is unknown, not zero
        monetary = np.full(n_cust, np.nan)
    out = pd.DataFrame(
        {
            "frequency": frequency.astype(np.int64),
            "recency": (last_day - first_day) / per,
            "T": (end_day - first_day) / per,
            "monetary_value": monetary,
            "first_purchase": first_day.astype("datetime64[D]").astype("datetime64[ns]"),
            "last_purchase": last_day.astype("datetime64[D]").astype("datetime64[ns]"),
            "orders": orders.astype(np.int64),
            "revenue": revenue,
        },
        index=pd.Index(np.asarray(uniques, dtype=object), name="customer_id"),
    )
    out.attrs["time_unit"] = unit
    out.attrs["as_of"] = end.date().isoformat()
    out.attrs["refund_only"] = {
        "customers": int((np.bincount(codes_all[refund_only], minlength=k_all) > 0).sum()),
        "amount": float(amounts_all[refund_only].sum()),
    }
    return out


def _frame_of(tx: Transactions | pd.DataFrame) -> pd.DataFrame | None:
    return tx.data if isinstance(tx, Transactions) else None


def _one_of(value, alias, name: str, alias_name: str):
    """``value`` or its lifetimes-named ``alias``; giving both is an error."""
    if value is not None and alias is not None:
        raise InputError(
            f"rfm_summary: give {name}= or {alias_name}= (lifetimes' name for it), not both"
        )
    return alias if value is None else value


def _named_columns(
    tx: Transactions | pd.DataFrame,
    customer_id_col: str | None,
    datetime_col: str | None,
    monetary_value_col: str | None,
) -> pd.DataFrame:
    """The ``customer_id``/``date``/``amount`` frame, taking columns by the names given."""
    if customer_id_col is None and datetime_col is None and monetary_value_col is None:
        return transaction_frame(tx, "rfm_summary")
    if not isinstance(tx, pd.DataFrame):
        raise InputError(
            "rfm_summary: customer_id_col, datetime_col and monetary_value_col name the columns "
            f"of a DataFrame; got {type(tx).__name__}"
        )
    names = {
        "customer_id": customer_id_col or "customer_id",
        "date": datetime_col or "date",
        "amount": monetary_value_col or "amount",
    }
    missing = [
        f"{name!r}" for key, name in names.items()
        if name not in tx.columns and not (key == "amount" and monetary_value_col is None)
    ]
    if missing:
        raise InputError(
            f"rfm_summary: no column {', '.join(missing)} in the transactions; "
            f"found {list(tx.columns)}"
        )
    frame = pd.DataFrame({key: tx[name] for key, name in names.items() if name in tx.columns})
    if "amount" not in frame:
        frame["amount"] = np.nan
    return Transactions.from_frame(frame).data
