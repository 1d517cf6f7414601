"""``compute_report``: transactions in, one :class:`~cltv_xl.report.model.Report` out.

Every number comes from :func:`cltv_xl.pipeline.run` (one call); this module only arranges
them. The numbers come from:

* :func:`cltv_xl.summary.rfm_summary` - per-customer frequency, recency, T, revenue;
* :func:`cltv_xl.metrics.period_kpis`, :func:`~cltv_xl.metrics.customer_kpi_table`,
  :func:`~cltv_xl.metrics.cltv`, :func:`~cltv_xl.metrics.ltv_cac_ratio` - the headline KPIs;
* the purchase model the pipeline chose or was told to use (BG/NBD, MBG/NBD or Pareto/NBD;
  :func:`cltv_xl.pipeline.choose_purchase_model`), :class:`cltv_xl.models.GammaGamma`
  (Fader & Hardie 2013) and :func:`cltv_xl.models.predict_clv` - P(alive), expected purchases
  and spend, predicted CLV; the model comparison for ``model="auto"``;
* :func:`cltv_xl.cohort_tables.cohorts` - monthly acquisition cohorts;
* :func:`cltv_xl.segments.rfm_segments` and :func:`~cltv_xl.segments.segment_table`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from .. import metrics, pipeline
from ..assumptions import Assumptions
from ..cohort_tables import MAX_COHORT_PERIODS, MAX_COHORTS, observed_retention
from ..errors import CltvWarning
from ..safety import EXCEL_MAX_CELL_CHARS, fit_cell
from ..segments import SEGMENT_RULES, rfm_segments, segment_table
from ..transactions import Transactions
from .chart_tables import clv_bins, holdout_tracking
from .model import NOT_ASKED, NOT_ESTIMATED, TABLE_COLUMNS, Report
from .retention import arrange as arrange_retention

Progress = Callable[[str], None]

def resolve_assumptions(assumptions: Assumptions | None = None, **kwargs: Any) -> Assumptions:
    """Validated :class:`Assumptions`: ``assumptions`` (default: the defaults) with the given
    keyword arguments applied; ``None`` keeps a value."""
    given = {k: v for k, v in kwargs.items() if v is not None}
    if assumptions is None:
        return Assumptions.parse(**given)
    return Assumptions.parse(**{**assumptions.as_fields(), **given}) if given else assumptions


def _model_entry(m, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """One fitted model for the JSON: its parameters (top level, by name), log-likelihood,
    convergence, standard errors, poorly identified parameters and fit warnings."""
    se = dict(getattr(m, "standard_errors_", {}) or {})
    return {"name": m.model_name,
            **{k: float(v) for k, v in m.params_.items()},
            "log_likelihood": float(getattr(m, "log_likelihood_", math.nan)),
            "converged": bool(getattr(m, "converged_", True)),
            **(extra or {}),
            "standard_errors": {k: _finite(v) for k, v in se.items()},
            "poorly_identified": list(getattr(m, "poorly_identified_", ())),
            "warnings": list(getattr(m, "fit_warnings_", ()))}


def _param_rows(label: str, m) -> list[tuple[str, str, float, float, str]]:
    """ModelParams rows of a fitted model: name, value, standard error, poorly identified."""
    se = dict(getattr(m, "standard_errors_", {}) or {})
    poor = set(getattr(m, "poorly_identified_", ()))
    return [(label, k, float(v), float(se.get(k, math.nan)), "Yes" if k in poor else "No")
            for k, v in m.params_.items()]


def _model_facts(res, gaps: dict[str, str]) -> tuple[dict, pd.DataFrame, pd.DataFrame]:
    """Model facts for the JSON and the Model sheet: the purchase model used (whatever it
    is), the spend model, how the purchase model was chosen and, for ``model="auto"``, the
    comparison (:class:`~cltv_xl.models.ModelComparison`). A model that could not be fitted
    is ``{"estimated": False, "reason": ...}`` and one ModelParams row saying why. Returns
    the JSON block, the ModelParams table and the ModelComparison table."""
    a = res.assumptions
    choice = res.choice
    pm, gg = res.purchase_model, res.spend_model
    cmp = None if choice is None else choice.comparison
    chosen = None if pm is None or choice is None else choice.key
    if a.model == "none":
        reason = NOT_ASKED[0].upper() + NOT_ASKED[1:] + "."
    elif choice is not None:
        reason = choice.reason if pm is not None else gaps.get("purchase_model", choice.reason)
    else:
        reason = gaps.get("purchase_model", "the purchase model was not fitted")
    models: dict[str, Any] = {"time_unit": a.time_unit, "asked": a.model, "chosen": chosen,
                              "reason": reason,
                              "comparison": None if cmp is None else cmp.to_dict()}
    if choice is not None and choice.sampled:
        models["compared_on_customers"] = choice.sampled
    rows: list[tuple[str, str, float, float, str]] = []
    if pm is not None:
        models[chosen] = _model_entry(pm)
        rows += _param_rows(pm.model_name, pm)
    else:
        why = gaps.get("purchase_model", reason)
        if a.model not in ("auto", "none"):
            models[a.model] = {"estimated": False, "reason": why}
        rows.append(("Purchase model", f"{NOT_ESTIMATED}: {why}", math.nan, math.nan, ""))
    if gg is not None:
        models["gamma_gamma"] = _model_entry(gg, {"customers": res.spend_customers})
        rows += _param_rows("Gamma-Gamma", gg)
    else:
        why = gaps.get("spend_model", "the spend model was not fitted")
        models["gamma_gamma"] = {"estimated": False, "reason": why,
                                 "customers": res.spend_customers}
        rows.append(("Gamma-Gamma", f"{NOT_ESTIMATED}: {why}", math.nan, math.nan, ""))
    cal = res.tracking_model
    if res.tracking is not None and cal is not None:  # the holdout check's calibration fit
        start = pd.Timestamp(a.holdout_start).date().isoformat()
        rows += _param_rows(f"{cal.model_name} up to {start}", cal)
    params = pd.DataFrame(rows, columns=list(TABLE_COLUMNS["ModelParams"]))
    params["Estimate"] = params["Estimate"].astype(np.float64)
    params["Std. error"] = params["Std. error"].astype(np.float64)
    return models, params, _comparison_table(cmp)


def _comparison_table(cmp) -> pd.DataFrame:
    """The Model sheet's ModelComparison table (empty when the model was named)."""
    columns = TABLE_COLUMNS["ModelComparison"]
    if cmp is None:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    t = cmp.table
    blank = pd.Series(np.nan, index=t.index)

    def col(name: str) -> np.ndarray:
        return t.get(name, blank).to_numpy(dtype=np.float64)

    return pd.DataFrame({
        "Model": t["model"].to_numpy(dtype=object),
        "Log-likelihood": col("log_likelihood"),
        "BIC": col("bic"),
        "Converged": ["Yes" if c else "No" for c in t["converged"]],
        "Poorly identified": [p or "-" for p in t["poorly_identified"]],
        "Holdout MAE": col("mae"),
        "Holdout RMSE": col("rmse"),
        "Holdout total error": col("aggregate_error"),
        "Chosen": ["Yes" if c else (f"not fitted: {e}" if e else "No")
                   for c, e in zip(t["chosen"], t["error"], strict=True)],
    }, columns=list(columns))


def _gaps(res) -> dict[str, str]:
    """What the pipeline could not estimate: step -> one-line reason (the error message)."""
    out = {}
    for step, exc in res.failures.items():
        text = " ".join(str(exc).split()) or type(exc).__name__
        out[step] = text
    if res.customer_kpis is not None and not float(res.customer_kpis["exposure"].sum()) > 0:
        out["arpu"] = ("ARPU needs at least one customer-period of exposure; every purchase "
                       "falls on the as-of date")
    if res.assumptions.model == "none":
        for step in ("purchase_model", "spend_model", "predictions"):
            out.setdefault(step, NOT_ASKED)
    return out


def _kpis(res, a: Assumptions, pred: pd.DataFrame | None) -> dict[str, Any]:
    """The headline KPIs; those the pipeline could not estimate are ``None``."""
    table = res.customer_kpis
    kp = res.kpis
    customers = len(table)
    revenue = metrics.table_revenue(table)  # refund-only customers' net amounts included
    exposure = float(table["exposure"].sum())
    churned = int(table["churned"].sum())
    out: dict[str, Any] = {
        "customers": customers, "revenue": revenue,
        "arpu": float(metrics.arpu(revenue, exposure)) if exposure > 0 else None,
        "churn_rate": None, "lifetime": None, "cac": a.cac, "cltv": None, "ltv_cac": None,
        "expected_purchases": None, "predicted_clv": None, "avg_predicted_clv": None,
        "share_alive": None, "churned": churned, "exposure": exposure,
    }
    if kp is not None:
        ltv = kp.arpu * a.margin * kp.lifetime
        out.update({
            "arpu": float(kp.arpu),
            "churn_rate": float(kp.churn_rate),
            "lifetime": float(kp.lifetime),
            "cltv": float(metrics.cltv(kp.arpu * a.margin, kp.lifetime, a.cac)),
            "ltv_cac": float(metrics.ltv_cac_ratio(ltv, a.cac)) if a.cac > 0 else None,
        })
    if pred is not None:
        total = float(pred["clv"].sum())
        out.update({
            "expected_purchases": float(pred["expected_purchases"].sum()),
            "predicted_clv": total,
            "avg_predicted_clv": total / customers,
            "share_alive": float(pred["p_alive"].mean()),
        })
    return out


def _finite(v: Any) -> float | None:
    v = float(v)
    return v if math.isfinite(v) else None


def _cohort_frames(ct) -> tuple[pd.DataFrame, ...]:
    labels = [pd.Timestamp(c).strftime("%Y-%m") for c in ct.retention.index]

    def frame(matrix: pd.DataFrame) -> pd.DataFrame:
        values = matrix.to_numpy(dtype=np.float64)
        columns: dict[str, Any] = {"Cohort": labels,
                                   "Customers": ct.sizes.to_numpy(dtype=np.int64)}
        columns.update({str(int(k)): values[:, j] for j, k in enumerate(matrix.columns)})
        return pd.DataFrame(columns)  # one construction, not one insert per column

    # The chart's curves use complete months only: the month cut short by the as-of date
    # (data ending on the 9th) would look like a drop in every cohort (issue 9 item 7).
    overall, first = observed_retention(ct)
    curve = pd.DataFrame({
        "Months since first purchase": [int(k) for k in ct.retention.columns],
        "All cohorts": overall,
        "First cohort": first,
    })
    return frame(ct.retention), frame(ct.revenue), curve


def _cohort_notes(ct) -> tuple[dict[str, str], dict[str, Any]]:
    """Notes for the Cohorts sheet and the JSON: the month cut short by the as-of date."""
    notes: dict[str, str] = {}
    rows, cols = ct.customers.shape
    facts: dict[str, Any] = {"partial_period": None, "cohorts_shown": rows,
                             "cohorts_total": ct.total_cohorts or rows, "periods_shown": cols,
                             "periods_total": ct.total_periods or cols}
    if ct.truncated:
        text = (f"Cohort tables bounded: the {rows} most recent of {facts['cohorts_total']:,} "
                f"monthly cohorts and months 0-{cols - 1} of {facts['periods_total']:,} since "
                f"acquisition are shown (limits MAX_COHORTS={MAX_COHORTS}, "
                f"MAX_COHORT_PERIODS={MAX_COHORT_PERIODS}: the tables grow with the square of "
                "the span).")
        facts["note"] = text
        for table in ("CohortRetention", "CohortRevenue", "RetentionCurve"):
            notes[table] = text
    if ct.partial_period is not None:
        month = pd.Timestamp(ct.partial_period).strftime("%B %Y")
        facts["partial_period"] = pd.Timestamp(ct.partial_period).strftime("%Y-%m")
        text = (f"{month} is partial: the data end on {pd.Timestamp(ct.as_of).date()}, before "
                f"the month ends. Its cells (the last filled cell of each cohort row) are shown "
                f"but left out of the retention curve and chart, so they do not look like a "
                f"drop.")
        for table in ("CohortRetention", "CohortRevenue", "RetentionCurve"):
            notes[table] = f"{notes[table]} {text}" if table in notes else text
    return notes, facts


def _long_text_issues(tx: Transactions) -> tuple[pd.DataFrame | None, int]:
    """Doubtful issues for used rows whose customer id is longer than an Excel cell holds
    (:data:`cltv_xl.safety.EXCEL_MAX_CELL_CHARS`): the writer cuts such text with a visible
    marker, so the row is listed; returns the issues and how many rows become doubtful."""
    ids = tx.data["customer_id"]
    try:
        lengths = ids.str.len().fillna(0).to_numpy(dtype=np.int64)
    except AttributeError:
        lengths = ids.astype(object).map(lambda v: len(str(v))).to_numpy(dtype=np.int64)
    long = lengths > EXCEL_MAX_CELL_CHARS
    if not long.any():
        return None, 0
    rows = tx.data["row"].to_numpy(dtype=np.int64)[long]
    issues = pd.DataFrame({
        "row": rows,
        "column": "customer_id",
        "value": [fit_cell(v) for v in ids.to_numpy(dtype=object)[long]],
        "reason": [f"customer id of {n:,} characters is longer than an Excel cell holds "
                   f"({EXCEL_MAX_CELL_CHARS:,}); cut in the workbook (the analysis used the "
                   "whole id)" for n in lengths[long]],
        "severity": "doubtful",
    })
    known = tx.issues
    already = set()
    if known is not None and len(known):
        already = set(known.loc[known["severity"] == "doubtful", "row"].astype(np.int64))
    return issues, len(set(rows.tolist()) - already)


def _issue_summary(tx: Transactions, extra: pd.DataFrame | None) -> pd.DataFrame:
    """:meth:`Transactions.issue_summary` of the loader's issues plus the report's own
    (ids longer than a cell), counted by reason."""
    if extra is None or len(extra) == 0:
        return tx.issue_summary()
    extra = extra.assign(amount=np.nan)
    issues = extra if tx.issues is None or len(tx.issues) == 0 else pd.concat(
        [tx.issues, extra], ignore_index=True)
    return dataclasses.replace(tx, issues=issues).issue_summary()


def _issues_frame(tx: Transactions, extra: pd.DataFrame | None = None) -> pd.DataFrame:
    issues = tx.issues
    if extra is not None:
        issues = extra if issues is None or len(issues) == 0 else pd.concat(
            [issues, extra], ignore_index=True).sort_values("row", kind="stable")
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


def transactions_table(tx: Transactions) -> pd.DataFrame:
    """The Transactions sheet's table: every used row's customer id, date, amount and source
    row number."""
    d = tx.data
    return pd.DataFrame({
        # The column as it is (Arrow-backed under pandas 3): no Python string per row.
        "Customer ID": d["customer_id"].array,
        "Date": d["date"].to_numpy(),
        "Amount": d["amount"].to_numpy(dtype=np.float64),
        "Source row": d["row"].to_numpy(dtype=np.int64),
    })


def compute_report(
    tx: Transactions,
    *,
    assumptions: Assumptions | None = None,
    include_transactions: bool = True,
    progress: Progress | None = None,
    memo: Any = None,
    result: pipeline.PipelineResult | None = None,
    table: pd.DataFrame | None = None,
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
    memo:
        The pipeline's model store (:func:`cltv_xl.pipeline.run`); the engine path passes
        the models it fitted on the sufficient statistics.
    result:
        The numbers already computed (the engine path, :mod:`cltv_xl.report.engine_path`,
        computes them in DuckDB or Spark); ``pipeline.run`` is then not called.
    table:
        The Transactions table already made by :func:`transactions_table` from ``tx``
        (``build_report`` passes the one whose rows it builds ahead); by default it is made
        here when ``include_transactions``.
    """
    say = progress or (lambda _msg: None)
    a = resolve_assumptions(assumptions, **kwargs)
    res = result if result is not None else pipeline.run(tx, a, progress=say, memo=memo)
    # Issue 9: a model or the churn rate that cannot be estimated leaves a gap, not a missing
    # report: every other sheet is written and the gaps say why (Report.gaps).
    gaps = _gaps(res)
    summary, end = res.summary, res.as_of
    per_customer, pred = res.customer_kpis, res.predictions
    notes = list(res.warnings)
    for text in tx.warnings:  # the loader's loud notes (an ambiguous date order): everywhere
        if text not in notes:
            notes.insert(0, text)
            warnings.warn(text, CltvWarning, stacklevel=2)
    models, params, comparison = _model_facts(res, gaps)
    n = len(summary)
    blank = np.full(n, np.nan)

    def predicted(column: str) -> np.ndarray:
        return blank if pred is None else pred[column].to_numpy(dtype=np.float64)

    say("segments and cohorts")
    # Absolute guards (churned, P(alive) below the guard) on the relative R/F/M segments.
    seg = rfm_segments(
        summary, as_of=end,
        churned=None if per_customer is None else per_customer["churned"],
        p_alive=None if pred is None else pred["p_alive"], palive_guard=a.palive_guard)
    value = pd.Series(predicted("clv"), index=summary.index)
    seg_tab = segment_table(summary, seg, value if pred is not None else None)
    no_value = np.full(len(seg_tab), np.nan)
    segments = pd.DataFrame({
        "Segment": [str(s) for s in seg_tab.index],
        "Rule": [SEGMENT_RULES.get(str(s), "") for s in seg_tab.index],
        "Customers": seg_tab["customers"].to_numpy(dtype=np.int64),
        "Revenue": seg_tab["revenue"].to_numpy(dtype=np.float64),
        "Average predicted CLV": seg_tab["average_value"].to_numpy(dtype=np.float64)
        if pred is not None else no_value,
        "Predicted CLV": seg_tab["value"].to_numpy(dtype=np.float64)
        if pred is not None else no_value,
        "Share of value": np.asarray(seg_tab["share_of_value"], dtype=np.float64)
        * np.ones(len(seg_tab)) if pred is not None else no_value,
    })
    retention, revenue, curve = _cohort_frames(res.cohorts)
    table_notes, cohort_facts = _cohort_notes(res.cohorts)
    if "note" in cohort_facts:  # loud: terminal (a warning), JSON, Cohorts sheet note
        notes.append(cohort_facts["note"])
        warnings.warn(cohort_facts["note"], CltvWarning, stacklevel=2)

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
        "P(alive)": predicted("p_alive"),
        "Expected purchases": predicted("expected_purchases"),
        "Expected spend": predicted("expected_spend"),
        "Predicted CLV": predicted("clv"),
        "Historical CLV": summary["revenue"].to_numpy(dtype=np.float64) * a.margin,
        "Exposure": per_customer["exposure"].to_numpy(dtype=np.float64),
        "Churned": per_customer["churned"].to_numpy(dtype=np.int64),
        "Segment": seg.to_numpy(dtype=object),  # the categories are the SEGMENTS names
    })
    rank = customers["Predicted CLV" if pred is not None else "Revenue"].to_numpy()
    # Ties by id; object comparison, not a fixed-width unicode copy (one 64 MiB id would make
    # that copy 64 MiB x 4 bytes per customer).
    ids = customers["Customer ID"].to_numpy(dtype=object)
    id_rank = np.empty(len(ids), dtype=np.int64)
    id_rank[np.argsort(ids, kind="stable")] = np.arange(len(ids))
    order = np.lexsort((id_rank, -rank))
    customers = customers.iloc[order].reset_index(drop=True)
    kpis = _kpis(res, a, pred)

    tracking, holdout_facts = holdout_tracking(res.tracking, res.tracking_model)
    transactions = None
    if include_transactions:
        transactions = table if table is not None else transactions_table(tx)
    counts = {k: int(tx.counts.get(k, 0)) for k in ("read", "used", "rejected", "blank",
                                                    "doubtful")}
    retention_cells, retention_tables, retention_facts = arrange_retention(res, a, gaps)
    long_text, newly_doubtful = _long_text_issues(tx)
    counts["doubtful"] += newly_doubtful
    refund_only = dict(summary.attrs.get("refund_only") or {"customers": 0, "amount": 0.0})
    issue_summary = _issue_summary(tx, long_text)
    data = {"column_map": dict(tx.column_map), "date_order": dict(tx.date_order),
            "reading": dict(tx.reading), "warnings": list(tx.warnings),
            "refund_only": {"customers": int(refund_only.get("customers", 0)),
                            "amount": float(refund_only.get("amount", 0.0))}}
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
        clv_bins=clv_bins(customers["Predicted CLV"]) if pred is not None else clv_bins(
            pd.Series([], dtype=np.float64)).iloc[:0],
        model_params=params,
        model_comparison=comparison,
        tracking=tracking,
        issues=_issues_frame(tx, long_text),
        issue_summary=issue_summary,
        transactions=transactions,
        extras={"summary_customers": len(summary),
                "data": data,
                "holdout": holdout_facts,
                "warnings": notes,
                "cohorts": cohort_facts,
                "retention": retention_facts},
        gaps=gaps,
        table_notes=table_notes,
        retention_cells=retention_cells,
        retention_tables=retention_tables,
    )
