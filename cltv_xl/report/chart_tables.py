"""Small tables behind the report's charts: the predicted-CLV histogram on log bins and the
holdout tracking table with its error figures.

Predicted CLV is heavily skewed (on CDNOW, 90 % of customers fall in the first tenth of a
linear scale), so equal-width bins give one tall bar. The bins here grow geometrically along
the 1-2-5 series (1, 2, 5, 10, 20, 50, ...), the usual "log scale with round numbers", so each
bin is 2 to 2.5 times wider than the one before it and the chart shows the whole range.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

#: Most bins of the CLV histogram (the first edge moves up until the bins fit).
MAX_CLV_BINS = 12
#: Share of customers the first edge may leave below it (in the "under ..." bin).
LOW_SHARE = 0.05


def _step_125(k: int) -> float:
    """The k-th number of the 1-2-5 series: ..., 0.5, 1, 2, 5, 10, 20, ... (k = 0 gives 1)."""
    decade, pos = divmod(k, 3)
    return (1.0, 2.0, 5.0)[pos] * 10.0 ** decade


def _index_at_or_below(x: float) -> int:
    """Largest k with ``_step_125(k) <= x`` (x > 0)."""
    k = 3 * math.floor(math.log10(x)) + 2
    while _step_125(k) > x * (1 + 1e-12):
        k -= 1
    return k


def _label(x: float) -> str:
    return f"{x:,.0f}" if x >= 1 else f"{x:g}"


def clv_bins(clv: pd.Series | np.ndarray, max_bins: int = MAX_CLV_BINS) -> pd.DataFrame:
    """Histogram table of predicted CLV on 1-2-5 log bins.

    The first edge is the largest 1-2-5 number at or below the ``LOW_SHARE`` quantile of the
    positive values, the last edge the smallest one at or above the maximum. The first row,
    "under <first edge>", also holds zero and negative values; then one row per
    ``[edge, next edge)``. Columns: ``Predicted CLV`` (the bin's label), ``Customers``,
    ``Share of customers``. Every customer is in exactly one row.
    """
    values = np.asarray(clv, dtype=np.float64)
    values = values[np.isfinite(values)]
    positive = values[values > 0]
    if len(positive) == 0:
        labels = ["0 or less"]
        counts = np.array([len(values)], dtype=np.int64)
    else:
        low = float(np.quantile(positive, LOW_SHARE))
        k0 = _index_at_or_below(low)
        k1 = _index_at_or_below(float(positive.max())) + 1
        k0 = max(k0, k1 - max_bins + 1)
        edges = np.array([_step_125(k) for k in range(k0, k1 + 1)])
        # bin 0: below edges[0]; bin i: [edges[i-1], edges[i]).
        idx = np.searchsorted(edges, values, side="right")
        counts = np.bincount(idx, minlength=len(edges) + 1)[: len(edges)].astype(np.int64)
        labels = [f"under {_label(edges[0])}"] + [
            f"{_label(edges[i])}-{_label(edges[i + 1])}" for i in range(len(edges) - 1)
        ]
    total = max(int(counts.sum()), 1)
    return pd.DataFrame({"Predicted CLV": labels, "Customers": counts,
                         "Share of customers": counts / total})


def holdout_tracking(result, model) -> tuple[pd.DataFrame, dict]:
    """The Model sheet's holdout check, from the pipeline's tracking result and its
    calibration fit (:func:`cltv_xl.pipeline.run` with ``holdout_start``).

    ``result`` is the :class:`~cltv_xl.models.TrackingResult` of a purchase model fitted on the
    orders up to the holdout start (:func:`cltv_xl.models.tracking`, FHL 2005 Figure 2), or
    None without a holdout; ``model`` is that calibration fit. Returns

    * the ``Tracking`` table: ``Period`` (end date), ``Actual purchases``, ``Expected
      purchases`` and ``Holdout period`` (for holdout periods the height of the chart's shaded
      band, 5 % above the highest line; blank for calibration periods). Empty without a holdout.
    * facts: ``calibration`` (the calibration fit's parameters), ``actual`` (purchase days
      after the calibration end of the customers seen by then) and ``expected`` (their
      conditional expectations over the holdout, FHL 2005 eq. 10), ``error`` (expected /
      actual - 1), ``mae`` (mean absolute error of the tracking table per holdout period),
      ``periods``. Empty without a holdout.
    """
    columns = ("Period", "Actual purchases", "Expected purchases", "Holdout period")
    if result is None:
        return pd.DataFrame({c: pd.Series(dtype="float64") for c in columns}), {}
    track = result.cumulative
    actual = track["actual"].to_numpy(dtype=np.float64)
    expected = track["predicted"].to_numpy(dtype=np.float64)
    holdout = ~track["in_calibration"].to_numpy(dtype=bool)
    top = 1.05 * float(max(actual.max(initial=0), expected.max(initial=0)))
    frame = pd.DataFrame({
        "Period": pd.to_datetime(track["period_end"]).to_numpy(),
        "Actual purchases": actual,
        "Expected purchases": expected,
        "Holdout period": np.where(holdout, top, np.nan),
    })
    # Totals over the holdout itself (the period straddling its start mixes both sides):
    # purchase days after the calibration end, and the per-customer conditional expectations
    # (FHL 2005 eq. 10) summed.
    act = float(result.customers["frequency_holdout"].sum())
    exp = float(result.customers["predicted_holdout"].sum())
    facts = {
        "calibration": {k: float(v) for k, v in model.params_.items()},
        "actual": act,
        "expected": exp,
        "error": exp / act - 1 if act > 0 else None,
        "mae": float(np.abs(actual - expected)[holdout].mean()) if holdout.any() else None,
        "periods": int(holdout.sum()),
    }
    return frame, facts
