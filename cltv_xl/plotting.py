"""Plots for people who script: the diagnostic charts ``lifetimes`` users know, drawn with
matplotlib from cltv-xl's own models and tracking data.

Install the extra first: ``pip install "cltv-xl[plot]"``. Every function takes an optional
matplotlib ``ax`` and returns the ``Axes`` it drew on, so plots can be combined and saved::

    from cltv_xl.models import BGNBD, tracking
    from cltv_xl import plotting

    bg = BGNBD().fit_summary(summary)
    plotting.plot_frequency_recency_matrix(bg, summary)
    result = tracking(BGNBD(), tx, "1997-09-30", "1998-06-30")
    plotting.plot_cumulative_transactions(result)

* :func:`plot_frequency_recency_matrix` - expected purchases in the next period for every
  (frequency, recency) pair, at a customer age T (Fader, Hardie & Lee 2005, Figure 1 style);
* :func:`plot_probability_alive_matrix` - P(alive) over the same grid;
* :func:`plot_calibration_vs_holdout` - mean holdout purchases, actual and predicted, by
  calibration frequency (FHL 2005 Figure 4), from :func:`cltv_xl.models.tracking`;
* :func:`plot_cumulative_transactions`, :func:`plot_incremental_transactions` - the tracking
  plots (FHL 2005 Figure 2), with the calibration end marked.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .errors import InputError
from .timeunits import UNIT_NAMES

__all__ = [
    "plot_calibration_vs_holdout",
    "plot_cumulative_transactions",
    "plot_frequency_recency_matrix",
    "plot_incremental_transactions",
    "plot_probability_alive_matrix",
]

NAVY = "#1F3A5F"
TEAL = "#2E7D9A"
SHADE = "#E4ECF2"


def _plt():
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:  # the optional extra
        raise ImportError('cltv_xl.plotting needs matplotlib: pip install "cltv-xl[plot]"') \
            from exc
    return plt


def _axes(ax):
    if ax is not None:
        return ax
    _fig, ax = _plt().subplots(figsize=(7, 5))
    return ax


def _fitted(model: Any):
    if not hasattr(model, "params_"):
        raise InputError("the model is not fitted: call fit() or fit_summary() first")
    return model


def _grid(model, summary: pd.DataFrame | None, max_frequency: int | None,
          max_recency: float | None, T: float | None) -> tuple[np.ndarray, np.ndarray, float]:
    """Frequencies 0..max_frequency and recencies 0..max_recency (in the model's unit); the
    defaults come from ``summary`` (its maxima), the age T defaults to max_recency."""
    if summary is not None:
        for col in ("frequency", "recency", "T"):
            if col not in summary.columns:
                raise InputError(f"summary needs a {col} column (from rfm_summary)")
        if max_frequency is None:
            max_frequency = int(summary["frequency"].max())
        if max_recency is None:
            max_recency = float(summary["T"].max())
    if max_frequency is None or max_recency is None:
        raise InputError("give a summary, or max_frequency and max_recency")
    if max_frequency < 1 or max_recency <= 0:
        raise InputError("max_frequency must be >= 1 and max_recency > 0")
    age = float(max_recency if T is None else T)
    if age < max_recency:
        raise InputError(f"T ({age:g}) must be at least max_recency ({max_recency:g})")
    freq = np.arange(max_frequency + 1, dtype=np.float64)
    rec = np.linspace(0.0, max_recency, 101)
    return freq, rec, age


def _matrix(ax, values: np.ndarray, freq: np.ndarray, rec: np.ndarray, title: str,
            label: str, unit: str, age: float, cmap: str):
    image = ax.imshow(values, origin="upper", aspect="auto", cmap=cmap,
                      extent=(rec[0], rec[-1], freq[-1] + 0.5, freq[0] - 0.5))
    ax.set_xlabel(f"recency: time from first to last purchase ({unit})")
    ax.set_ylabel("frequency: repeat purchases")
    ax.set_title(f"{title}\ncustomers aged T = {age:,.1f} {unit}")
    ax.figure.colorbar(image, ax=ax, label=label)
    return ax


def _unit(model) -> str:
    return UNIT_NAMES.get(getattr(model, "time_unit_", None) or "W", "weeks")


def plot_frequency_recency_matrix(model, summary: pd.DataFrame | None = None, *, t: float = 1,
                                  max_frequency: int | None = None,
                                  max_recency: float | None = None, T: float | None = None,
                                  ax=None):
    """Expected purchases over the next ``t`` periods for each (frequency, recency) pair of a
    customer aged ``T`` (default: the largest recency), from ``model.expected_purchases``
    (BG/NBD: FHL 2005 eq. 10). Recent, frequent buyers (bottom right) buy most."""
    model = _fitted(model)
    freq, rec, age = _grid(model, summary, max_frequency, max_recency, T)
    x, tx = np.meshgrid(freq, rec, indexing="ij")
    values = model.expected_purchases(t, x.ravel(), tx.ravel(), np.full(x.size, age))
    values = np.asarray(values, dtype=np.float64).reshape(x.shape)
    values[(x > 0) & (tx == 0)] = np.nan  # a repeat buyer has recency > 0
    unit = _unit(model)
    return _matrix(_axes(ax), values, freq, rec, f"Expected purchases in the next {t:g} {unit}",
                   "expected purchases", unit, age, "viridis")


def plot_probability_alive_matrix(model, summary: pd.DataFrame | None = None, *,
                                  max_frequency: int | None = None,
                                  max_recency: float | None = None, T: float | None = None,
                                  ax=None):
    """P(alive) for each (frequency, recency) pair of a customer aged ``T``, from
    ``model.p_alive`` (BG/NBD: FHL 2005 eq. 13). A frequent buyer who has been silent for long
    (bottom left) is most likely gone."""
    model = _fitted(model)
    freq, rec, age = _grid(model, summary, max_frequency, max_recency, T)
    x, tx = np.meshgrid(freq, rec, indexing="ij")
    values = np.asarray(model.p_alive(x.ravel(), tx.ravel(), np.full(x.size, age)),
                        dtype=np.float64).reshape(x.shape)
    values[(x > 0) & (tx == 0)] = np.nan
    ax = _matrix(_axes(ax), values, freq, rec, "Probability the customer is still active",
                 "P(alive)", _unit(model), age, "RdYlGn")
    ax.images[-1].set_clim(0, 1)
    return ax


def _tracking(result) -> Any:
    for attr in ("cumulative", "by_frequency"):
        if not hasattr(result, attr):
            raise InputError("pass the result of cltv_xl.models.tracking(...)")
    return result


def plot_calibration_vs_holdout(result, ax=None):
    """Mean purchases in the holdout period, actual and predicted (conditional expectation,
    FHL 2005 eq. 10), by calibration frequency 0..6 and 7+ (FHL 2005 Figure 4)."""
    by = _tracking(result).by_frequency
    ax = _axes(ax)
    pos = np.arange(len(by))
    ax.plot(pos, by["actual"].to_numpy(), color=NAVY, marker="o", label="actual")
    ax.plot(pos, by["predicted"].to_numpy(), color=TEAL, marker="s", linestyle="--",
            label="model")
    ax.set_xticks(pos, [str(i) for i in by.index])
    ax.set_xlabel("purchases in the calibration period (frequency)")
    ax.set_ylabel("mean purchases in the holdout period")
    ax.set_title("Calibration vs. holdout purchases")
    for i, n in enumerate(by["customers"].to_numpy()):
        ax.annotate(f"n={n:,}", (i, 0), textcoords="offset points", xytext=(0, 4),
                    ha="center", fontsize=7, color="#6B7280")
    ax.legend()
    return ax


def _tracking_plot(result, cumulative: bool, ax):
    track = _tracking(result).cumulative
    ax = _axes(ax)
    dates = pd.to_datetime(track["period_end"])
    suffix = "_cumulative" if cumulative else ""
    held = ~track["in_calibration"].to_numpy(dtype=bool)
    if held.any():
        first = dates[held].iloc[0]
        ax.axvspan(first, dates.iloc[-1], color=SHADE, label="holdout")
        ax.axvline(first, color="#6B7280", linestyle=":", linewidth=1)
    ax.plot(dates, track[f"actual{suffix}"], color=NAVY, label="actual")
    ax.plot(dates, track[f"predicted{suffix}"], color=TEAL, linestyle="--", label="model")
    unit = UNIT_NAMES.get(track.attrs.get("time_unit", "W"), "periods")
    kind = "Cumulative repeat purchases" if cumulative else f"Repeat purchases per {unit[:-1]}"
    ax.set_title(f"{kind}: actual vs. model")
    ax.set_ylabel("repeat purchases")
    ax.legend()
    ax.figure.autofmt_xdate()
    return ax


def plot_cumulative_transactions(result, ax=None):
    """Cumulative repeat purchases of the cohort, actual vs. the model's unconditional
    expectation, with the holdout shaded (FHL 2005 Figure 2)."""
    return _tracking_plot(result, True, ax)


def plot_incremental_transactions(result, ax=None):
    """Repeat purchases per period, actual vs. model, with the holdout shaded."""
    return _tracking_plot(result, False, ax)
