"""lifetimes' summary function under its own name, for code moving from ``lifetimes``.

The archived ``lifetimes`` package (0.11.3) builds its summary with
``summary_data_from_transaction_data(transactions, customer_id_col, datetime_col,
monetary_value_col=None, observation_period_end=None, freq="D")``. This is the same call
forwarded to :func:`cltv_xl.summary.rfm_summary`, with lifetimes' positional order and its default
unit (days). Everything else is renamed, not aliased: see ``docs/migrating-from-lifetimes.md``.
"""

from __future__ import annotations

import pandas as pd

from .summary import rfm_summary


def summary_data_from_transaction_data(
    transactions: pd.DataFrame,
    customer_id_col: str,
    datetime_col: str,
    monetary_value_col: str | None = None,
    observation_period_end=None,
    freq: str = "D",
) -> pd.DataFrame:
    """``rfm_summary(transactions, customer_id_col=..., datetime_col=..., ...)``.

    ``freq`` is ``"D"``, ``"W"`` or ``"M"`` (days, 7-day weeks, 365.25/12-day months); purchases
    are counted on distinct days whatever the unit.
    """
    return rfm_summary(
        transactions,
        customer_id_col=customer_id_col,
        datetime_col=datetime_col,
        monetary_value_col=monetary_value_col,
        observation_period_end=observation_period_end,
        freq=freq,
    )
