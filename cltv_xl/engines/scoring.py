"""Models fitted on an engine's sufficient statistics, and per-batch scoring.

A purchase model's likelihood depends on a customer only through (frequency, recency, T), and
the Gamma-Gamma's only through (frequency, mean spend); so a log of any size is reduced, in the
engine, to the distinct rows with the number of customers sharing each (:mod:`.sql`), and the
models are fitted on those weighted rows on the driver (``fit(..., weights=...)``, which
multiplies each row's log-likelihood by its weight: the same estimates as a fit on every
customer). Scoring then needs each customer's row and the fitted parameters only, so it runs
batch by batch (DuckDB) or partition by partition (Spark).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..models import BGNBD, GammaGamma, predict_clv
from ..timeunits import unit_days

#: Columns :func:`score_batch` adds to a summary batch.
SCORE_COLUMNS = ("expected_purchases", "p_alive", "expected_spend", "clv")


def fit_purchase_model(stats: pd.DataFrame, time_unit: str, model=None):
    """Fit ``model`` (default a new :class:`BGNBD`) on weighted (frequency, recency_days,
    t_days) rows; times are converted to ``time_unit``."""
    per = unit_days(time_unit)
    model = BGNBD() if model is None else model
    # Engines return groups in no particular order; sorted rows make the fit reproducible.
    stats = stats.sort_values(["frequency", "recency_days", "t_days"], kind="stable")
    return model.fit(
        stats["frequency"].to_numpy(dtype=np.float64),
        stats["recency_days"].to_numpy(dtype=np.float64) / per,
        stats["t_days"].to_numpy(dtype=np.float64) / per,
        weights=stats["weight"].to_numpy(dtype=np.float64),
        time_unit=time_unit,
    )


def fit_spend_model(stats: pd.DataFrame, model=None) -> GammaGamma:
    """Fit ``model`` (default a new :class:`GammaGamma`) on weighted (frequency,
    monetary_value) rows of the repeat buyers with positive mean spend."""
    model = GammaGamma() if model is None else model
    # Mean spends are sums divided by counts, summed in an engine-specific order: the last bits
    # differ between engines (about 1e-14), and the optimiser's stopping point would follow
    # them. Rounded to 1e-9 of a currency unit, every engine fits the same numbers.
    stats = stats.assign(monetary_value=np.round(stats["monetary_value"].to_numpy(float), 9))
    stats = stats.sort_values(["frequency", "monetary_value"], kind="stable")
    return model.fit(
        stats["frequency"].to_numpy(dtype=np.float64),
        stats["monetary_value"].to_numpy(dtype=np.float64),
        weights=stats["weight"].to_numpy(dtype=np.float64),
    )


@dataclass(frozen=True)
class Scorer:
    """Adds :data:`SCORE_COLUMNS` to a batch of summary rows (picklable, for Spark)."""

    purchase_model: object
    spend_model: GammaGamma
    time_unit: str
    horizon: float
    horizon_unit: str
    discount_rate: float
    margin: float

    def __call__(self, batch: pd.DataFrame) -> pd.DataFrame:
        batch = batch.reset_index(drop=True)
        if batch.empty:
            out = batch.copy()
            for c in SCORE_COLUMNS:
                out[c] = pd.Series(dtype=np.float64)
            return out
        from ..pipeline import _spend_inputs, spend_fit_mask

        frame = batch[["frequency", "recency", "T", "monetary_value"]]
        # The pipeline's rule: a repeat buyer left out of the spend fit (mean spend <= 0) is
        # predicted with the population mean spend, so Parquet and workbook agree.
        frame = _spend_inputs(frame, spend_fit_mask(frame), self.spend_model)
        frame.attrs["time_unit"] = self.time_unit
        pred = predict_clv(self.purchase_model, self.spend_model, frame, horizon=self.horizon,
                           time_unit=self.horizon_unit, discount_rate=self.discount_rate,
                           margin=self.margin)
        out = batch.copy()
        for c in SCORE_COLUMNS:
            out[c] = pred[c].to_numpy(dtype=np.float64)
        return out
