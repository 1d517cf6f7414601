"""``compute_report``: transactions in, one :class:`~cltv_xl.report.model.Report` out.

Every number comes from :func:`cltv_xl.pipeline.run` (one call); this module only arranges
them. The numbers come from:

* :func:`cltv_xl.summary.rfm_summary` - per-customer frequency, recency, T, revenue;
* :func:`cltv_xl.metrics.period_kpis`, :func:`~cltv_xl.metrics.customer_kpi_table`,
  :func:`~cltv_xl.metrics.cltv`, :func:`~cltv_xl.metrics.ltv_cac_ratio` - the headline KPIs;
* :class:`cltv_xl.models.BGNBD` (Fader, Hardie & Lee 2005) and
  :class:`cltv_xl.models.GammaGamma` (Fader & Hardie 2013), and
  :func:`cltv_xl.models.predict_clv` - P(alive), expected purchases and spend, predicted CLV;
* :func:`cltv_xl.cohort_tables.cohorts` - monthly acquisition cohorts;
* :func:`cltv_xl.segments.rfm_segments` and :func:`~cltv_xl.segments.segment_table`.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from .. import metrics, pipeline
from ..assumptions import Assumptions
from ..errors import InputError
from ..segments import SEGMENT_RULES, rfm_segments, segment_table
from ..transactions import Transactions
from .chart_tables import clv_bins, holdout_tracking
from .model import TABLE_COLUMNS, Report

Progress = Callable[[str], None]

#: Purchase-model choices the report can show today (see :data:`cltv_xl.assumptions.MODEL_CHOICES`).
REPORT_MODELS: tuple[str, ...] = ("auto", "bgnbd")


def resolve_assumptions(assumptions: Assumptions | None = None, **kwargs: Any) -> Assumptions:
    """Validated :class:`Assumptions`: ``assumptions`` (default: the defaults) with the given
    keyword arguments applied; ``None`` keeps a value."""
    given = {k: v for k, v in kwargs.items() if v is not None}
    if assumptions is None:
        return Assumptions.parse(**given)
    return Assumptions.parse(**{**assumptions.as_fields(), **given}) if given else assumptions


def _model_facts(bg, gg, spend_customers: int, unit: str) -> tuple[dict, pd.DataFrame]:
    bp, gp = dict(bg.params_), dict(gg.params_)
    bse = dict(getattr(bg, "standard_errors_", {}) or {})
    gse = dict(getattr(gg, "standard_errors_", {}) or {})
    repeat = spend_customers
    models = {
        "time_unit": unit,
        "bgnbd": {**{k: float(bp[k]) for k in ("r", "alpha", "a", "b")},
                  "log_likelihood": float(bg.log_likelihood_),
                  "converged": bool(bg.converged_),
                  "standard_errors": {k: _finite(v) for k, v in bse.items()}},
        "gamma_gamma": {**{k: float(gp[k]) for k in ("p", "q", "v")},
                        "log_likelihood": float(getattr(gg, "log_likelihood_", math.nan)),
                        "converged": bool(getattr(gg, "converged_", True)),
                        "customers": repeat,
                        "standard_errors": {k: _finite(v) for k, v in gse.items()}},
    }
    rows = [("BG/NBD", k, bp[k], bse.get(k, math.nan)) for k in ("r", "alpha", "a", "b")]
    rows += [("Gamma-Gamma", k, gp[k], gse.get(k, math.nan)) for k in ("p", "q", "v")]
    params = pd.DataFrame(rows, columns=list(TABLE_COLUMNS["ModelParams"]))
    params["Estimate"] = params["Estimate"].astype(np.float64)
    params["Std. error"] = params["Std. error"].astype(np.float64)
    return models, params


def _finite(v: Any) -> float | None:
    v = float(v)
    return v if math.isfinite(v) else None


def _cohort_frames(ct) -> tuple[pd.DataFrame, ...]:
    labels = [pd.Timestamp(c).strftime("%Y-%m") for c in ct.retention.index]

    def frame(matrix: pd.DataFrame) -> pd.DataFrame:
        out = pd.DataFrame({"Cohort": labels,
                            "Customers": ct.sizes.to_numpy(dtype=np.int64)})
        for k in matrix.columns:
            out[str(int(k))] = matrix[k].to_numpy(dtype=np.float64)
        return out

    active = ct.customers.to_numpy(dtype=np.float64)
    sizes = ct.sizes.to_numpy(dtype=np.float64)[:, None]
    observed = ~np.isnan(active)
    with np.errstate(invalid="ignore", divide="ignore"):
        overall = np.nansum(active, axis=0) / np.where(observed, sizes, 0).sum(axis=0)
    curve = pd.DataFrame({
        "Months since first purchase": [int(k) for k in ct.retention.columns],
        "All cohorts": overall,
        "First cohort": ct.retention.iloc[0].to_numpy(dtype=np.float64),
    })
    return frame(ct.retention), frame(ct.revenue), curve


def _issues_frame(tx: Transactions) -> pd.DataFrame:
    issues = tx.issues
    if issues is None or len(issues) == 0:
        return pd.DataFrame({c: pd.Series(dtype="int64" if c == "Row" else object)
                             for c in TABLE_COLUMNS["DataIssues"]})

    def text(s: pd.Series) -> pd.Series:
        return pd.Series([
            "" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v) for v in s
        ], dtype=object)

    return pd.DataFrame({
        "Row": issues["row"].to_numpy(dtype=np.int64),
        "Column": text(issues["column"]),
        "Value": text(issues["value"]),
        "Reason": text(issues["reason"]),
        "Severity": text(issues["severity"]),
    })


def compute_report(
    tx: Transactions,
    *,
    assumptions: Assumptions | None = None,
    include_transactions: bool = True,
    progress: Progress | None = None,
    **kwargs: Any,
) -> Report:
    """Arrange the numbers of :func:`cltv_xl.pipeline.run` into a :class:`Report`.

    Parameters
    ----------
    tx:
        :class:`~cltv_xl.transactions.Transactions` (from :func:`cltv_xl.read_transactions`).
    assumptions:
        An :class:`~cltv_xl.assumptions.Assumptions`; or give its fields as keyword arguments
        (``cac``, ``margin``, ``discount_rate`` per month, ``horizon`` in model time units,
        ``time_unit``, ``kpi_period``, ``inactivity``, ``as_of``, ``holdout_start``, ...). The
        defaults and allowed ranges are those of :class:`Assumptions`.
        ``currency`` is shown beside money values; ``palive_guard`` keeps customers with a
        lower P(alive) out of Champions, Loyal, Potential and New
        (:func:`cltv_xl.segments.rfm_segments`).
    include_transactions:
        Put the cleaned transactions into the report (the Transactions sheet).
    """
    say = progress or (lambda _msg: None)
    a = resolve_assumptions(assumptions, **kwargs)
    if a.model not in REPORT_MODELS:
        # TODO(model selection): the Model sheet and MODEL_BGNBD_* cells show BG/NBD
        # parameters; other purchase models need a generic Model sheet first.
        raise InputError(f"the report shows the BG/NBD model; model={a.model!r} is available "
                         "through cltv_xl.pipeline.run and cltv_xl.models")
    res = pipeline.run(tx, a, progress=say)
    # TODO(issue 9): write the other sheets when a model cannot be fitted; until then a
    # failure recorded by the pipeline stops the report as before.
    res.raise_failures()
    summary, end = res.summary, res.as_of
    kp, per_customer, pred = res.kpis, res.customer_kpis, res.predictions
    bg, gg = res.purchase_model, res.spend_model
    notes = list(res.warnings)
    models, params = _model_facts(bg, gg, res.spend_customers, a.time_unit)

    say("segments and cohorts")
    # Absolute guards (churned, P(alive) below the guard) on the relative R/F/M segments.
    seg = rfm_segments(summary, as_of=end, churned=per_customer["churned"],
                       p_alive=pred["p_alive"], palive_guard=a.palive_guard)
    seg_tab = segment_table(summary, seg, pred["clv"])
    segments = pd.DataFrame({
        "Segment": [str(s) for s in seg_tab.index],
        "Rule": [SEGMENT_RULES.get(str(s), "") for s in seg_tab.index],
        "Customers": seg_tab["customers"].to_numpy(dtype=np.int64),
        "Revenue": seg_tab["revenue"].to_numpy(dtype=np.float64),
        "Average predicted CLV": seg_tab["average_value"].to_numpy(dtype=np.float64),
        "Predicted CLV": seg_tab["value"].to_numpy(dtype=np.float64),
        "Share of value": np.asarray(seg_tab["share_of_value"], dtype=np.float64)
        * np.ones(len(seg_tab)),
    })
    retention, revenue, curve = _cohort_frames(res.cohorts)

    customers = pd.DataFrame({
        "Customer ID": summary.index.to_numpy(dtype=object),
        "First purchase": summary["first_purchase"].to_numpy(),
        "Last purchase": summary["last_purchase"].to_numpy(),
        "Orders": summary["orders"].to_numpy(dtype=np.int64),
        "Revenue": summary["revenue"].to_numpy(dtype=np.float64),
        "Frequency": summary["frequency"].to_numpy(dtype=np.int64),
        "Recency": summary["recency"].to_numpy(dtype=np.float64),
        "T": summary["T"].to_numpy(dtype=np.float64),
        "Average spend": summary["monetary_value"].to_numpy(dtype=np.float64),
        "P(alive)": pred["p_alive"].to_numpy(dtype=np.float64),
        "Expected purchases": pred["expected_purchases"].to_numpy(dtype=np.float64),
        "Expected spend": pred["expected_spend"].to_numpy(dtype=np.float64),
        "Predicted CLV": pred["clv"].to_numpy(dtype=np.float64),
        "Historical CLV": summary["revenue"].to_numpy(dtype=np.float64) * a.margin,
        "Exposure": per_customer["exposure"].to_numpy(dtype=np.float64),
        "Churned": per_customer["churned"].to_numpy(dtype=np.int64),
        "Segment": np.asarray(seg.astype(str), dtype=object),
    })
    order = np.lexsort((customers["Customer ID"].to_numpy(dtype=str),
                        -customers["Predicted CLV"].to_numpy()))
    customers = customers.iloc[order].reset_index(drop=True)

    ltv = kp.arpu * a.margin * kp.lifetime
    predicted_total = float(pred["clv"].sum())
    kpis = {
        "customers": int(kp.customers),
        "revenue": float(kp.revenue),
        "arpu": float(kp.arpu),
        "churn_rate": float(kp.churn_rate),
        "lifetime": float(kp.lifetime),
        "cac": a.cac,
        "cltv": float(metrics.cltv(kp.arpu * a.margin, kp.lifetime, a.cac)),
        "ltv_cac": float(metrics.ltv_cac_ratio(ltv, a.cac)) if a.cac > 0 else None,
        "expected_purchases": float(pred["expected_purchases"].sum()),
        "predicted_clv": predicted_total,
        "avg_predicted_clv": predicted_total / int(kp.customers),
        "share_alive": float(pred["p_alive"].mean()),
        "churned": int(kp.churned),
        "exposure": float(kp.exposure),
    }

    tracking, holdout_facts = holdout_tracking(res.tracking, res.tracking_model)
    transactions = None
    if include_transactions:
        d = tx.data
        transactions = pd.DataFrame({
            "Customer ID": d["customer_id"].to_numpy(dtype=object),
            "Date": d["date"].to_numpy(),
            "Amount": d["amount"].to_numpy(dtype=np.float64),
            "Source row": d["row"].to_numpy(dtype=np.int64),
        })
    counts = {k: int(tx.counts.get(k, 0)) for k in ("read", "used", "rejected", "blank",
                                                    "doubtful")}
    return Report(
        source=tx.source or "",
        as_of=end,
        generated_at=dt.datetime.now(),
        assumptions=a,
        counts=counts,
        kpis=kpis,
        models=models,
        customers=customers,
        segments=segments,
        cohort_retention=retention,
        cohort_revenue=revenue,
        retention_curve=curve,
        clv_bins=clv_bins(customers["Predicted CLV"]),
        model_params=params,
        tracking=tracking,
        issues=_issues_frame(tx),
        transactions=transactions,
        extras={"summary_customers": len(summary),
                "holdout": holdout_facts,
                "warnings": notes},
    )
