"""Small tables behind the report's charts: the predicted-CLV histogram on log bins.

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
