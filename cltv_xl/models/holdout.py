"""Calibration/holdout validation, as in Fader, Hardie & Lee (2005), *Marketing Science* 24(2):
fit on a calibration period, then compare predictions with what happened in the holdout period.

* :func:`calibration_holdout` - the calibration summary plus each customer's holdout behaviour.
* :func:`tracking` - the cumulative repeat-transaction tracking plot (FHL 2005 Figure 2: actual
  vs model-predicted cumulative repeat transactions, period by period, across the cohort) and the
  conditional expectations by calibration frequency (FHL 2005 Figure 4).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import InputError
from ..summary import rfm_summary
from ..timeunits import as_date, check_unit, convert, unit_days
from ..transactions import Transactions, purchase_mask, transaction_frame
from ._base import PurchaseModel


def _dates(calibration_end, holdout_end) -> tuple[pd.Timestamp, pd.Timestamp]:
    cal = as_date(calibration_end, "calibration_end")
    hold = as_date(holdout_end, "holdout_end")
    if cal is None or hold is None:
        raise InputError("calibration_end and holdout_end are both required dates")
    if hold <= cal:
        raise InputError(
            f"holdout_end ({hold.date()}) must be after calibration_end ({cal.date()})"
        )
    return cal, hold


def _customer_days(data: pd.DataFrame, end: pd.Timestamp) -> pd.DataFrame:
    """One row per (customer, purchase day) up to ``end``: customer_id, day (int), total of
    the day's purchases. Refund and cancellation rows are never purchases
    (:func:`~cltv_xl.transactions.purchase_mask`), as in :func:`~cltv_xl.summary.rfm_summary`."""
    dates = data["date"].to_numpy(dtype="datetime64[ns]")
    keep = (dates <= end.to_datetime64()) & purchase_mask(data)
    days = dates[keep].astype("datetime64[D]").astype(np.int64)
    frame = pd.DataFrame(
        {
            "customer_id": np.asarray(data["customer_id"].to_numpy()[keep], dtype=object),
            "day": days,
            "amount": data["amount"].to_numpy(dtype=np.float64)[keep],
        }
    )
    return frame.groupby(["customer_id", "day"], sort=True, as_index=False)["amount"].sum()


def calibration_holdout(
    tx: Transactions | pd.DataFrame,
    calibration_end,
    holdout_end,
    time_unit: str = "W",
) -> pd.DataFrame:
    """Calibration summary plus holdout columns, for customers first seen in calibration.

    Returns ``rfm_summary(tx, calibration_end=calibration_end, time_unit=time_unit)`` with:

    * ``frequency_holdout``: purchases on distinct days in (calibration_end, holdout_end]
      (all of them repeat purchases, since the customer was acquired in calibration);
    * ``monetary_value_holdout``: mean of those days' totals (0 when there are none);
    * ``duration_holdout``: length of the holdout period in ``time_unit``.
    """
    unit = check_unit(time_unit)
    cal, hold = _dates(calibration_end, holdout_end)
    data = transaction_frame(tx, "calibration_holdout")
    summary = rfm_summary(data, calibration_end=cal, time_unit=unit)
    days = _customer_days(data, hold)
    cal_day = cal.to_datetime64().astype("datetime64[D]").astype(np.int64)
    later = days[(days["day"] > cal_day) & days["customer_id"].isin(summary.index)]
    grouped = later.groupby("customer_id")["amount"]
    freq = grouped.size().reindex(summary.index, fill_value=0)
    mon = grouped.mean().reindex(summary.index, fill_value=0.0)
    out = summary.copy()
    out["frequency_holdout"] = freq.to_numpy(dtype=np.int64)
    out["monetary_value_holdout"] = mon.to_numpy(dtype=np.float64)
    out["duration_holdout"] = (hold - cal).days / unit_days(unit)
    out.attrs.update(summary.attrs)
    out.attrs["holdout_end"] = hold.date().isoformat()  # serialisable, like "as_of"
    return out


@dataclass
class TrackingResult:
    """Output of :func:`tracking`.

    ``cumulative`` (one row per period since the cohort's first purchase day): ``period``
    (1, 2, ...), ``period_end`` (last day of the period), ``in_calibration`` (bool),
    ``actual`` / ``predicted`` (repeat transactions in the period) and ``actual_cumulative`` /
    ``predicted_cumulative``. Predictions are the unconditional E[X(t)] of each customer at its
    time since first purchase, summed over customers (FHL 2005 Figure 2).

    ``customers``: the :func:`calibration_holdout` frame plus ``predicted_holdout``, each
    customer's conditional expectation of purchases over the holdout period.

    ``by_frequency``: customers grouped by calibration frequency (0..6 and "7+", as FHL 2005
    Figure 4) with ``customers``, ``actual`` (mean holdout purchases) and ``predicted`` (mean
    conditional expectation).
    """

    cumulative: pd.DataFrame
    customers: pd.DataFrame
    by_frequency: pd.DataFrame


def tracking(
    model: PurchaseModel,
    tx: Transactions | pd.DataFrame,
    calibration_end,
    holdout_end,
    time_unit: str = "W",
    *,
    max_frequency: int = 7,
) -> TrackingResult:
    """Compare a purchase model's predictions with the holdout period (see TrackingResult).

    ``model`` is used as fitted if it is fitted (its ``time_unit_`` is honoured); an unfitted
    model is first fitted on the calibration summary. Periods are ``time_unit`` long and start
    on the first purchase day of the cohort (customers first seen by ``calibration_end``).

    Convention (that of BTYD's ``pnbd.ExpectedCumulativeTransactions`` and lifetimes'
    ``expected_cumulative_transactions``): period k covers days ``start + (k-1) L`` to
    ``start + k L - 1`` inclusive (L days per period), ``actual`` counts the cohort's repeat
    purchase days inside it, and ``predicted_cumulative`` at period k is
    sum_i E[X(k L - (first_i - start))] over customers i with ``first_i`` their first purchase
    day: the time from the start of a customer's first day to the end of the period's last day,
    in the model's unit. Repeat purchases are counted once per customer and day. The last
    period ends at ``holdout_end`` (and may be shorter).
    """
    unit = check_unit(time_unit)
    if not isinstance(max_frequency, int) or max_frequency < 1:
        raise InputError(f"max_frequency must be a whole number >= 1; got {max_frequency!r}")
    customers = calibration_holdout(tx, calibration_end, holdout_end, unit)
    if not hasattr(model, "params_"):
        model.fit_summary(customers)
    model_unit = model.time_unit_ or unit
    cal, hold = _dates(calibration_end, holdout_end)

    # Per-customer conditional expectation over the holdout (FHL 2005 eq. 10, Figure 4).
    to_model = convert(1.0, unit, model_unit)
    customers["predicted_holdout"] = model.expected_purchases(
        customers["duration_holdout"].to_numpy() * to_model,
        customers["frequency"].to_numpy() ,
        customers["recency"].to_numpy() * to_model,
        customers["T"].to_numpy() * to_model,
    )
    group = np.minimum(customers["frequency"].to_numpy(), max_frequency)
    labels = [str(i) for i in range(max_frequency)] + [f"{max_frequency}+"]
    by = (
        pd.DataFrame(
            {
                "frequency": pd.Categorical.from_codes(group, labels),
                "actual": customers["frequency_holdout"].to_numpy(dtype=np.float64),
                "predicted": customers["predicted_holdout"].to_numpy(),
            }
        )
        .groupby("frequency", observed=False)
        .agg(
            customers=("actual", "size"),
            actual=("actual", "mean"),
            predicted=("predicted", "mean"),
        )
    )

    # Cumulative tracking: repeat purchase days of the cohort vs sum of E[X(t - first day)].
    days = _customer_days(transaction_frame(tx, "calibration_holdout"), hold)
    days = days[days["customer_id"].isin(customers.index)]
    first = days.groupby("customer_id")["day"].transform("min").to_numpy()
    repeat_days = np.sort(days["day"].to_numpy()[days["day"].to_numpy() > first])
    first_days, counts = np.unique(days.groupby("customer_id")["day"].min().to_numpy(),
                                   return_counts=True)
    start = int(first_days.min())
    hold_day = int(hold.to_datetime64().astype("datetime64[D]").astype(np.int64))
    cal_day = int(cal.to_datetime64().astype("datetime64[D]").astype(np.int64))
    per = unit_days(unit)
    n_periods = math.ceil((hold_day - start + 1) / per - 1e-9)
    ends = np.minimum(start + per * np.arange(1, n_periods + 1) - 1.0, hold_day)
    actual_cum = np.searchsorted(repeat_days, ends, side="right").astype(np.float64)
    # Exposure at the end of a period is measured at the end of its last day (BTYD's
    # convention: week k ends k weeks after the cohort's first day), so a customer whose first
    # purchase was on the cohort's first day has k * 7 days of exposure at the end of week k.
    exposure = np.maximum(ends[:, None] + 1.0 - first_days[None, :], 0.0)  # days
    expected = model.expected_purchases_new(convert(exposure, "D", model_unit))
    predicted_cum = expected @ counts
    end_dates = (np.floor(ends).astype(np.int64)).astype("datetime64[D]").astype("datetime64[ns]")
    cumulative = pd.DataFrame(
        {
            "period": np.arange(1, n_periods + 1),
            "period_end": end_dates,
            "in_calibration": ends <= cal_day,
            "actual": np.diff(actual_cum, prepend=0.0),
            "predicted": np.diff(predicted_cum, prepend=0.0),
            "actual_cumulative": actual_cum,
            "predicted_cumulative": predicted_cum,
        }
    )
    cumulative.attrs["time_unit"] = unit
    return TrackingResult(cumulative=cumulative, customers=customers, by_frequency=by)
