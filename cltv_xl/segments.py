"""RFM scores and named customer segments.

Each customer gets three quartile scores from 1 (worst) to 4 (best): R (recency: days since the
last purchase, fewer is better), F (frequency: number of purchase days) and M (monetary: average
spend per purchase day, or total revenue). A fixed, ordered rule list turns the scores into one
of seven segments whose names follow common RFM practice (the vocabulary of pymc-marketing's
``rfm_segments`` and of the classic RFM grids): Champions, Loyal, Potential, New, At risk,
Hibernating, Lost.

The scores are relative (quartiles among the customers of the report), so on an old customer
base the "recent" half can hold customers who have not bought for a year. Two absolute guards
stop that: a customer who is churned (no purchase for longer than the churn window) or whose
model P(alive) is below :data:`PALIVE_GUARD` is treated as lapsed, its R score capped at 2, so it
can never be Champions, Loyal, Potential or New; it falls into At risk (a good customer who
stopped buying), Hibernating or Lost.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pandas as pd

from .errors import InputError
from .timeunits import as_date

__all__ = [
    "GUARD_RULE",
    "PALIVE_GUARD",
    "SCORE_RULE",
    "SEGMENTS",
    "SEGMENT_RULES",
    "lapsed",
    "rfm_scores",
    "rfm_segments",
    "segment_table",
]

#: Default P(alive) guard: below it a customer is more likely gone than still buying (the
#: model's own verdict), so calling it a Champion or Loyal customer would contradict the model.
PALIVE_GUARD = 0.5

#: The relative scores, in one line (for the report's Segments sheet).
SCORE_RULE = (
    "R, F and M are quartile scores 1-4 (4 best) relative to the other customers: R = days since "
    "the last purchase (fewer is better), F = purchase days (one-time buyers score 1, repeat "
    "buyers are ranked among themselves), M = average spend per purchase day."
)

#: The absolute guards, in one line (for the report's Segments sheet).
GUARD_RULE = (
    "Absolute guards: a churned customer (no purchase for longer than the churn window) or one "
    "with P(alive) below the guard counts as lapsed (R at most 2), so it is never Champions, "
    "Loyal, Potential or New."
)

#: Segment names, best first; the categories of :func:`rfm_segments`.
SEGMENTS: tuple[str, ...] = (
    "Champions",
    "Loyal",
    "Potential",
    "New",
    "At risk",
    "Hibernating",
    "Lost",
)

#: One line per segment, in the order the rules are tried (for the report's Segments sheet).
SEGMENT_RULES: dict[str, str] = {
    "New": "one purchase day only, and R >= 3 (bought recently); active",
    "Champions": "R >= 3, F >= 3 and M >= 3 (recent, frequent, high spend); active",
    "Loyal": "R >= 3 and F >= 3, M <= 2 (recent and frequent, lower spend); active",
    "Potential": "R >= 3, F <= 2, more than one purchase day (recent, not yet frequent); active",
    "At risk": "R <= 2 and (F >= 3 or M >= 3): good customers who stopped buying (churned "
    "or below the P(alive) guard included)",
    "Hibernating": "R = 2 (low value, lapsing)",
    "Lost": "R = 1 (low value, long gone)",
}

#: Number of score levels (quartiles).
N_SCORES = 4

_NEEDS = ("frequency", "last_purchase", "revenue")


def _quantile_score(values: Any, n: int = N_SCORES) -> np.ndarray:
    """Score 1..n by mid-rank quantile: ``1 + floor(n (rank - 1/2) / N)``.

    ``rank`` is the average rank (ties share their mean rank), so equal values always get the
    same score and the result does not depend on row order. Computed in integers:
    ``1 + floor(n (2 rank - 1) / (2 N))``, with ``2 rank`` an integer: the lowest rank of a
    run of equal values plus its highest, from one stable sort (the run of sorted positions
    ``start .. end - 1`` has ranks ``start + 1 .. end``). One customer, or all customers equal,
    get the middle score ``1 + floor(n / 2)``. ``values``: numbers, none of them NaN.
    """
    v = np.asarray(values)
    size = len(v)
    if size == 0:
        return np.zeros(0, dtype=np.int64)
    if v.dtype.kind == "f" and np.isnan(v).any():
        raise ValueError("cannot score NaN values")
    order = np.argsort(v, kind="stable")
    ordered = v[order]
    starts_run = np.empty(size, dtype=bool)
    starts_run[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=starts_run[1:])
    start = np.flatnonzero(starts_run)
    end = np.append(start[1:], size)
    two_rank = np.empty(size, dtype=np.int64)
    two_rank[order] = (start + 1 + end)[np.cumsum(starts_run) - 1]
    return 1 + (n * (two_rank - 1)) // (2 * size)


def _frequency_score(purchase_days: np.ndarray) -> np.ndarray:
    """F score: 1 for one-time buyers; repeat buyers scored 1-4 among themselves.

    Scoring everyone together would let the one-time buyers, usually the majority and all tied,
    take the lower half of the ranks, so every repeat buyer would score F >= 3 and the
    "Potential" segment would always be empty.
    """
    score = np.ones(len(purchase_days), dtype=np.int64)
    repeat = purchase_days > 1
    if repeat.any():
        score[repeat] = _quantile_score(purchase_days[repeat])
    return score


def _check_summary(summary: Any) -> pd.DataFrame:
    if not isinstance(summary, pd.DataFrame):
        raise InputError(f"summary must be an rfm_summary frame; got {type(summary).__name__}")
    missing = [c for c in _NEEDS if c not in summary.columns]
    if missing:
        raise InputError(
            f"summary needs columns {', '.join(_NEEDS)} (from rfm_summary); missing {missing}"
        )
    if len(summary) == 0:
        raise InputError("summary has no customers to segment")
    for col in ("frequency", "revenue"):
        if summary[col].isna().any():
            raise InputError(f"summary column {col} has missing values")
    if summary["last_purchase"].isna().any():
        raise InputError("summary column last_purchase has missing dates")
    return summary


def _as_of(summary: pd.DataFrame, as_of: Any) -> pd.Timestamp:
    if as_of is None:
        value = summary.attrs.get("as_of")
        return pd.Timestamp(summary["last_purchase"].max() if value is None else value).normalize()
    return as_date(as_of, "as_of", required=True)


def rfm_scores(
    summary: pd.DataFrame,
    *,
    as_of: Any = None,
    monetary: Literal["average", "total"] = "average",
) -> pd.DataFrame:
    """R, F and M values and their quartile scores (1 = worst, 4 = best) per customer.

    Parameters
    ----------
    summary:
        An :func:`~cltv_xl.summary.rfm_summary` frame (needs ``frequency``, ``last_purchase``,
        ``revenue``).
    as_of:
        Date recency is measured to; defaults to ``summary.attrs["as_of"]`` (else the latest
        last purchase).
    monetary:
        ``"average"`` (default): revenue per purchase day, ``revenue / (frequency + 1)``, which
        includes the first purchase; ``"total"``: total revenue.

    Returns
    -------
    DataFrame indexed like ``summary`` with ``recency_days`` (days from the last purchase to
    ``as_of``), ``purchase_days`` (``frequency + 1``), ``monetary``, and int scores ``r``, ``f``,
    ``m``. Each score is ``1 + floor(4 (rank - 1/2) / N)`` where ``rank`` is the customer's
    average rank (ties share it) among the ``N`` customers, ranked so that higher is better
    (for R, the most recent purchase ranks highest). F is the exception: one-time buyers score
    1 and repeat buyers are ranked among the repeat buyers only.
    """
    summary = _check_summary(summary)
    if monetary not in ("average", "total"):
        raise InputError(f"monetary must be 'average' or 'total'; got {monetary!r}")
    end = _as_of(summary, as_of)
    last = summary["last_purchase"].to_numpy(dtype="datetime64[ns]")
    recency_days = (end.to_datetime64() - last).astype("timedelta64[D]").astype(np.int64)
    if (recency_days < 0).any():
        pos = int(np.flatnonzero(recency_days < 0)[0])
        raise InputError(
            f"as_of {end.date()} is before the last purchase of customer "
            f"{summary.index[pos]!r}; use a later as_of"
        )
    purchase_days = summary["frequency"].to_numpy(dtype=np.int64) + 1
    revenue = summary["revenue"].to_numpy(dtype=np.float64)
    money = revenue / purchase_days if monetary == "average" else revenue
    idx = summary.index
    return pd.DataFrame(
        {
            "recency_days": recency_days,
            "purchase_days": purchase_days,
            "monetary": money,
            "r": _quantile_score(-recency_days),
            "f": _frequency_score(purchase_days),
            "m": _quantile_score(money),
        },
        index=idx,
    )


def _segment_codes(r: np.ndarray, f: np.ndarray, m: np.ndarray, one_day: np.ndarray) -> np.ndarray:
    """Index into :data:`SEGMENTS` of the first matching rule (rules in SEGMENT_RULES order)."""
    conditions = [
        one_day & (r >= 3),  # New
        (r >= 3) & (f >= 3) & (m >= 3),  # Champions
        (r >= 3) & (f >= 3),  # Loyal
        r >= 3,  # Potential
        (r <= 2) & ((f >= 3) | (m >= 3)),  # At risk
        r == 2,  # Hibernating
    ]
    choices = [SEGMENTS.index(s) for s in ("New", "Champions", "Loyal", "Potential", "At risk",
                                           "Hibernating")]
    return np.select(conditions, choices, default=SEGMENTS.index("Lost"))


def _guard_mask(summary: pd.DataFrame, values: Any, name: str) -> np.ndarray:
    """A guard input as a numpy array aligned with ``summary`` (Series by index, else by
    position)."""
    if isinstance(values, pd.Series):
        if not values.index.equals(summary.index):
            try:
                values = values.reindex(summary.index)
            except ValueError as exc:  # duplicate labels
                raise InputError(f"{name} must be indexed like summary") from exc
            if values.isna().any():
                raise InputError(f"{name} has no value for some customers of summary")
        return values.to_numpy()
    arr = np.asarray(values)
    if arr.shape != (len(summary),):
        raise InputError(f"{name} must have one value per customer ({len(summary)}); got shape "
                         f"{arr.shape}")
    return arr


def lapsed(
    summary: pd.DataFrame,
    *,
    churned: Any = None,
    p_alive: Any = None,
    palive_guard: float = PALIVE_GUARD,
) -> np.ndarray:
    """Bool array: the customers the absolute guards treat as lapsed (see the module docstring).

    ``churned``: bools (or 0/1) per customer, e.g. :func:`cltv_xl.metrics.is_churned`.
    ``p_alive``: P(alive) per customer from a purchase model; ``palive_guard`` in [0, 1].
    Either may be ``None`` (that guard is off). A missing P(alive) (NaN) does not trigger the
    P(alive) guard.
    """
    out = np.zeros(len(summary), dtype=bool)
    if churned is not None:
        out |= _guard_mask(summary, churned, "churned").astype(bool)
    if p_alive is not None:
        try:
            guard = float(palive_guard)
        except (TypeError, ValueError) as exc:
            raise InputError(f"palive_guard must be a number in [0, 1]; got {palive_guard!r}") \
                from exc
        if not 0 <= guard <= 1:
            raise InputError(f"palive_guard must be in [0, 1]; got {palive_guard!r}")
        pa = _guard_mask(summary, p_alive, "p_alive").astype(np.float64)
        with np.errstate(invalid="ignore"):
            out |= pa < guard
    return out


def rfm_segments(
    summary: pd.DataFrame,
    *,
    as_of: Any = None,
    monetary: Literal["average", "total"] = "average",
    churned: Any = None,
    p_alive: Any = None,
    palive_guard: float = PALIVE_GUARD,
) -> pd.Series:
    """Name each customer's RFM segment.

    Scores come from :func:`rfm_scores` (quartiles 1-4, 4 best). The first matching rule wins:

    ============  =====================================================================
    New           one purchase day only (``frequency == 0``) and R >= 3
    Champions     R >= 3 and F >= 3 and M >= 3
    Loyal         R >= 3 and F >= 3
    Potential     R >= 3
    At risk       R <= 2 and (F >= 3 or M >= 3)
    Hibernating   R = 2
    Lost          R = 1
    ============  =====================================================================

    Absolute guards (optional): customers flagged in ``churned``, or whose ``p_alive`` is below
    ``palive_guard`` (default :data:`PALIVE_GUARD` = 0.5), have their R score capped at 2
    before the rules run (see :func:`lapsed`), so they are never Champions, Loyal, Potential or
    New.

    Every customer falls in exactly one segment. Ties share a score, so the result depends on
    neither row order nor customer ids; a single customer (or all customers equal) scores 3 on
    each axis, i.e. "New" for a one-time buyer and "Champions" otherwise.

    Returns
    -------
    A categorical Series named ``"segment"`` indexed like ``summary``, with categories
    :data:`SEGMENTS` in that order (all seven, even when empty).
    """
    scores = rfm_scores(summary, as_of=as_of, monetary=monetary)
    r = scores["r"].to_numpy()
    gone = lapsed(summary, churned=churned, p_alive=p_alive, palive_guard=palive_guard)
    r = np.where(gone, np.minimum(r, 2), r)
    codes = _segment_codes(
        r,
        scores["f"].to_numpy(),
        scores["m"].to_numpy(),
        scores["purchase_days"].to_numpy() == 1,
    )
    values = pd.Categorical.from_codes(codes, categories=list(SEGMENTS))
    return pd.Series(values, index=summary.index, name="segment")


def segment_table(
    summary: pd.DataFrame,
    segments: pd.Series,
    value_col: str | pd.Series | None = None,
) -> pd.DataFrame:
    """Customers, revenue and value per segment.

    Parameters
    ----------
    summary:
        The frame the segments were computed from (needs ``revenue``).
    segments:
        Output of :func:`rfm_segments` (or any labels) indexed like ``summary``.
    value_col:
        The value to average and share out: a column of ``summary`` (e.g. a predicted ``clv``
        joined onto it) or a Series indexed like ``summary``. Defaults to ``revenue``.

    Returns
    -------
    DataFrame indexed by segment (all categories, in order, for a categorical input) with
    ``customers``, ``share_of_customers``, ``revenue``, ``value`` (sum of the value),
    ``average_value`` (value per customer; 0 for an empty segment) and ``share_of_value``
    (the segment's value / total value; 0 when the total is 0).
    """
    if not isinstance(summary, pd.DataFrame) or "revenue" not in summary.columns:
        raise InputError("summary must be an rfm_summary frame with a revenue column")
    if not isinstance(segments, pd.Series) or not segments.index.equals(summary.index):
        raise InputError("segments must be a Series indexed like summary (from rfm_segments)")
    if value_col is None:
        value = summary["revenue"]
    elif isinstance(value_col, pd.Series):
        if not value_col.index.equals(summary.index):
            raise InputError("value_col Series must be indexed like summary")
        value = value_col
    elif value_col in summary.columns:
        value = summary[value_col]
    else:
        raise InputError(
            f"value_col {value_col!r} is not a column of summary; columns: {list(summary.columns)}"
        )
    value = pd.to_numeric(value, errors="coerce").astype(np.float64)
    if value.isna().any():
        pos = int(np.flatnonzero(value.isna().to_numpy())[0])
        raise InputError(
            f"value_col has a missing or non-numeric value for customer {summary.index[pos]!r}"
        )
    frame = pd.DataFrame(
        {"segment": segments, "revenue": summary["revenue"].astype(np.float64), "value": value}
    )
    grouped = frame.groupby("segment", observed=False, sort=True)
    table = pd.DataFrame(
        {
            "customers": grouped.size().astype(np.int64),
            "revenue": grouped["revenue"].sum(),
            "value": grouped["value"].sum(),
        }
    )
    table.index.name = "segment"
    if isinstance(table.index, pd.CategoricalIndex):
        table.index = pd.Index(table.index.astype(str), name="segment")
    total_customers = int(table["customers"].sum())
    total_value = float(table["value"].sum())
    table.insert(1, "share_of_customers", table["customers"] / total_customers)
    table["average_value"] = np.where(
        table["customers"] > 0, table["value"] / table["customers"].clip(lower=1), 0.0
    )
    table["share_of_value"] = table["value"] / total_value if total_value != 0 else 0.0
    return table
