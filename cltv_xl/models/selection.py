"""Model choice: fit the candidate purchase models and compare them (issue 10, item 4).

:func:`compare_models` fits each candidate on the calibration summary and returns a table with,
per model, the log-likelihood, the number of parameters and the Bayesian information criterion
BIC = k ln(n) - 2 LL (Schwarz 1978; lower is better), whether the fit converged and which
parameters are poorly identified, and, when a holdout is given, the holdout errors:

* ``mae`` / ``rmse``: mean absolute / root mean squared error, per customer, of the predicted
  number of holdout purchases (the conditional expectation E[X(T, T + t*) | x, t_x, T]) against
  the actual number;
* ``aggregate_error``: (sum of predictions - sum of actual purchases) / sum of actual purchases,
  the relative error of the total (FHL 2005 Figure 2 reads this off the tracking plot).

The choice: with a holdout, the converged model with the lowest per-customer RMSE (large misses
on frequent buyers, who carry most of the value, weigh more than under MAE); without, the
converged model with the lowest BIC (the candidates all have four parameters, so this is the
highest likelihood). A model that did not converge, or could not be fitted, is chosen only if
no candidate converged; the table keeps its row with the reason.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import FitError, InputError
from ._base import PurchaseModel, summary_columns
from .bgbb import BGBB
from .bgnbd import BGNBD
from .mbgnbd import MBGNBD
from .paretonbd import ParetoNBD

#: Model keys accepted by ``compare_models`` (and ``--model`` in the report).
MODELS: dict[str, type[PurchaseModel]] = {
    "bgnbd": BGNBD,
    "mbgnbd": MBGNBD,
    "paretonbd": ParetoNBD,
    "bgbb": BGBB,
}
DEFAULT_CANDIDATES = ("bgnbd", "mbgnbd", "paretonbd")


@dataclass
class ModelComparison:
    """Result of :func:`compare_models`.

    ``table``: one row per candidate (index: model key) with ``model`` (display name),
    ``log_likelihood``, ``n_params``, ``bic``, ``converged``, ``poorly_identified`` (comma-
    separated names), ``error`` (why a fit failed, else empty) and with a holdout ``mae``,
    ``rmse``, ``aggregate_error``, ``predicted_total``, ``actual_total``; ``chosen`` marks the
    choice. ``chosen``: the key of the chosen model; ``model``: that fitted model; ``models``:
    every fitted model by key; ``criterion``: "holdout rmse" or "bic"; ``reason``: one sentence
    for the report.
    """

    table: pd.DataFrame
    chosen: str | None
    models: dict[str, PurchaseModel] = field(default_factory=dict)
    criterion: str = "bic"
    reason: str = ""

    @property
    def model(self) -> PurchaseModel | None:
        return None if self.chosen is None else self.models[self.chosen]

    def to_dict(self) -> dict:
        """JSON-ready form (NaN becomes None)."""
        rows = []
        for key, row in self.table.iterrows():
            rec = {"key": key}
            for k, v in row.items():
                if isinstance(v, float) and not math.isfinite(v):
                    v = None
                elif isinstance(v, np.generic):
                    v = v.item()
                rec[k] = v
            rows.append(rec)
        return {"chosen": self.chosen, "criterion": self.criterion, "reason": self.reason,
                "models": rows}


def compare_models(
    summary: pd.DataFrame,
    holdout: pd.DataFrame | None = None,
    candidates: tuple[str, ...] | list[str] = DEFAULT_CANDIDATES,
) -> ModelComparison:
    """Fit each candidate purchase model on ``summary`` and choose one (see module docstring).

    ``summary``: an ``rfm_summary`` frame (``frequency``, ``recency``, ``T``) of the
    calibration period. ``holdout``: optional frame indexed like ``summary`` with
    ``frequency_holdout`` (purchases in the holdout period) and ``duration_holdout`` (its length
    in the summary's time unit), as :func:`~cltv_xl.models.calibration_holdout` returns (that
    frame can be passed as both arguments). ``candidates``: keys of :data:`MODELS`.
    """
    if isinstance(candidates, str):
        candidates = (candidates,)
    unknown = [c for c in candidates if c not in MODELS]
    if unknown or not candidates:
        raise InputError(
            f"unknown model(s) {unknown or list(candidates)}; choose from {sorted(MODELS)}"
        )
    x, tx, T = summary_columns(summary, ("frequency", "recency", "T"))
    actual = dur = None
    if holdout is not None:
        fh, dur = summary_columns(holdout, ("frequency_holdout", "duration_holdout"))
        if len(fh) != len(x) or not holdout.index.equals(summary.index):
            raise InputError("holdout must be indexed like summary (one row per customer)")
        actual = fh
    n = len(x)
    rows, models = {}, {}
    for key in candidates:
        cls = MODELS[key]
        row: dict = {"model": cls.model_name, "n_params": len(cls.param_names), "error": ""}
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # kept in fit_warnings_
                m = cls().fit_summary(summary)
        except (FitError, InputError) as exc:
            row.update(log_likelihood=np.nan, bic=np.nan, converged=False,
                       poorly_identified="", error=str(exc))
            rows[key] = row
            continue
        models[key] = m
        row.update(
            log_likelihood=m.log_likelihood_,
            bic=len(cls.param_names) * math.log(n) - 2.0 * m.log_likelihood_,
            converged=bool(m.converged_),
            poorly_identified=", ".join(m.poorly_identified_),
        )
        if actual is not None:
            pred = np.asarray(m.expected_purchases(dur, x, tx, T), dtype=np.float64)
            err = pred - actual
            row.update(
                mae=float(np.mean(np.abs(err))),
                rmse=float(np.sqrt(np.mean(err**2))),
                predicted_total=float(pred.sum()),
                actual_total=float(actual.sum()),
                aggregate_error=(float(pred.sum() - actual.sum()) / actual.sum()
                                 if actual.sum() > 0 else np.nan),
            )
        rows[key] = row
    table = pd.DataFrame.from_dict(rows, orient="index").rename_axis("key")
    criterion = "holdout rmse" if actual is not None else "bic"
    col = "rmse" if actual is not None else "bic"
    fitted = table[table["error"] == ""]
    pool = fitted[fitted["converged"]]
    note = ""
    if pool.empty:
        pool = fitted
        note = " None of the candidates converged; treat the choice with caution."
    chosen = None if pool.empty or pool[col].isna().all() else str(pool[col].idxmin())
    table["chosen"] = table.index == chosen
    if chosen is None:
        reason = "No candidate model could be fitted: " + "; ".join(
            f"{k}: {e}" for k, e in table["error"].items() if e
        )
    else:
        best = table.loc[chosen]
        if actual is not None:
            what = (f"the lowest holdout error per customer (RMSE {best['rmse']:.3g}, "
                    f"MAE {best['mae']:.3g})")
        else:
            what = f"the lowest BIC ({best['bic']:.1f})"
        reason = f"{best['model']} chosen: {what} among {', '.join(table['model'])}.{note}"
    return ModelComparison(table=table, chosen=chosen, models=models, criterion=criterion,
                           reason=reason)
