"""``compute_report``: transactions in, one :class:`~cltv_xl.report.model.Report` out.

Every number comes from the layers below; this module only arranges them:

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
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from .. import metrics
from ..cohort_tables import cohorts as cohort_tables
from ..errors import CltvWarning, InputError
from ..segments import SEGMENT_RULES, rfm_segments, segment_table
from ..summary import rfm_summary
from ..timeunits import check_unit, convert_rate
from ..transactions import Transactions
from .model import TABLE_COLUMNS, Assumptions, Report

Progress = Callable[[str], None]

#: Number of equal-width bins of the predicted-CLV histogram (plus one open-ended last bin).
CLV_BINS = 10


def _number(value: Any, name: str, *, low: float | None = None, high: float | None = None,
            low_open: bool = False) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{name} must be a number; got {value!r}") from exc
    if not math.isfinite(x):
        raise InputError(f"{name} must be a finite number; got {value!r}")
    if low is not None and (x < low or (low_open and x == low)):
        raise InputError(f"{name} must be {'>' if low_open else '>='} {low:g}; got {value!r}")
    if high is not None and x > high:
        raise InputError(f"{name} must be <= {high:g}; got {value!r}")
    return x


def make_assumptions(*, cac=0.0, margin=1.0, discount_rate=0.01, horizon=52.0,
                     inactivity=3.0, time_unit="W", kpi_period="M",
                     holdout_start=None) -> Assumptions:
    """Validated :class:`Assumptions` (InputError names the bad argument)."""
    try:
        unit = check_unit(time_unit, "time_unit")
        period = check_unit(kpi_period, "kpi_period")
    except ValueError as exc:
        raise InputError(str(exc)) from exc
    start = None
    if holdout_start is not None:
        try:
            start = pd.Timestamp(holdout_start).normalize()
        except (TypeError, ValueError) as exc:
            raise InputError(f"holdout_start must be a date such as 1997-09-30; got "
                             f"{holdout_start!r}") from exc
    return Assumptions(
        cac=_number(cac, "cac", low=0),
        margin=_number(margin, "margin", low=0, high=1, low_open=True),
        discount_rate=_number(discount_rate, "discount_rate", low=0),
        horizon=_number(horizon, "horizon", low=0, low_open=True),
        inactivity=_number(inactivity, "inactivity", low=0, low_open=True),
        time_unit=unit,
        kpi_period=period,
        holdout_start=start,
    )


def _fit_models(summary: pd.DataFrame):
    from ..models import BGNBD, GammaGamma

    bg = BGNBD().fit_summary(summary)
    # Gamma-Gamma is defined for positive spend: repeat buyers whose mean repeat spend is zero
    # or negative (refunds) are left out of its fit (FH 2013 assume spend > 0).
    x = summary["frequency"].to_numpy()
    m = summary["monetary_value"].to_numpy(dtype=np.float64)
    keep = (x > 0) & (m > 0)
    gg = GammaGamma().fit(x[keep], m[keep])
    return bg, gg


def _model_facts(bg, gg, summary: pd.DataFrame, unit: str) -> tuple[dict, pd.DataFrame]:
    bp, gp = dict(bg.params_), dict(gg.params_)
    bse = dict(getattr(bg, "standard_errors_", {}) or {})
    gse = dict(getattr(gg, "standard_errors_", {}) or {})
    repeat = int(((summary["frequency"] > 0) & (summary["monetary_value"] > 0)).sum())
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


def _nice_step(top: float, bins: int) -> float:
    raw = max(top, 1e-9) / bins
    exp = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5, 10):
        if raw <= m * exp:
            return m * exp
    return 10 * exp


def clv_bins(clv: pd.Series, bins: int = CLV_BINS) -> pd.DataFrame:
    """Histogram table of predicted CLV: ``bins`` equal, round-numbered bins up to about the
    99th percentile, and a last open-ended bin (``bins + 1`` rows, a fixed shape for the
    chart)."""
    values = clv.to_numpy(dtype=np.float64)
    top = float(np.quantile(values, 0.99)) if len(values) else 1.0
    step = _nice_step(top, bins)
    edges = np.arange(bins + 1) * step
    idx = np.clip(np.floor(values / step), 0, bins).astype(np.int64)
    counts = np.bincount(idx, minlength=bins + 1)[: bins + 1]
    labels = [f"{edges[i]:,.0f}-{edges[i + 1]:,.0f}" for i in range(bins)]
    labels.append(f"{edges[-1]:,.0f} +")
    total = max(int(counts.sum()), 1)
    return pd.DataFrame({"Predicted CLV": labels, "Customers": counts.astype(np.int64),
                         "Share of customers": counts / total})


def _cohort_frames(tx: Transactions, as_of: pd.Timestamp) -> tuple[pd.DataFrame, ...]:
    ct = cohort_tables(tx, "M", as_of=as_of)
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


def _holdout(tx: Transactions, a: Assumptions, as_of: pd.Timestamp) -> pd.DataFrame:
    """Holdout tracking table: repeat purchases per period, actual vs. BG/NBD fitted on the
    calibration period up to ``holdout_start`` (:func:`cltv_xl.models.tracking`, FHL 2005
    Figure 2)."""
    from .. import models

    empty = pd.DataFrame({c: pd.Series(dtype="float64") for c in TABLE_COLUMNS["Tracking"]})
    if a.holdout_start is None:
        return empty
    if not a.holdout_start < as_of:
        raise InputError(f"holdout_start {a.holdout_start.date()} must be before the as-of date "
                         f"{as_of.date()}")
    result = models.tracking(models.BGNBD(), tx.data, a.holdout_start, as_of, a.time_unit)
    track = result.cumulative
    return pd.DataFrame({
        "Period": pd.to_datetime(track["period_end"]).to_numpy(),
        "Actual purchases": track["actual"].to_numpy(dtype=np.float64),
        "Expected purchases": track["predicted"].to_numpy(dtype=np.float64),
    })


def compute_report(
    tx: Transactions,
    *,
    cac: float = 0.0,
    margin: float = 1.0,
    discount_rate: float = 0.01,
    horizon: float = 52.0,
    time_unit: str = "W",
    kpi_period: str = "M",
    inactivity: float = 3.0,
    as_of: Any = None,
    holdout_start: Any = None,
    include_transactions: bool = True,
    progress: Progress | None = None,
) -> Report:
    """Compute every number of the CLTV report from cleaned transactions.

    Parameters
    ----------
    tx:
        :class:`~cltv_xl.transactions.Transactions` (from :func:`cltv_xl.read_transactions`).
    cac:
        Customer acquisition cost per customer (currency, >= 0).
    margin:
        Gross margin as a fraction in (0, 1].
    discount_rate:
        Discount rate **per month** (>= 0), converted to the model time unit with
        :func:`cltv_xl.timeunits.convert_rate` for the predicted CLV.
    horizon:
        CLV horizon in model time units (``time_unit``).
    time_unit:
        Model time unit: ``"W"`` (weeks, the default of the literature), ``"D"`` or ``"M"``.
    kpi_period:
        Period of ARPU, churn rate and lifetime: ``"M"`` (default), ``"W"`` or ``"D"``.
    inactivity:
        Churn window in KPI periods.
    as_of:
        End of the observation window (default: the last transaction date).
    holdout_start:
        Optional start of a holdout period: the Model sheet then shows actual vs. expected
        repeat purchases per period (BG/NBD fitted on the calibration period).
    include_transactions:
        Put the cleaned transactions into the report (the Transactions sheet).
    """
    say = progress or (lambda _msg: None)
    a = make_assumptions(cac=cac, margin=margin, discount_rate=discount_rate, horizon=horizon,
                         inactivity=inactivity, time_unit=time_unit, kpi_period=kpi_period,
                         holdout_start=holdout_start)
    if not isinstance(tx, Transactions):
        raise InputError("compute_report needs Transactions from cltv_xl.read_transactions; "
                         f"got {type(tx).__name__}")
    if len(tx.data) == 0:
        raise InputError("there are no usable transactions: every row was rejected (see the "
                         "data issues)")
    say("summarising customers")
    summary = rfm_summary(tx, as_of=as_of, time_unit=a.time_unit)
    end = pd.Timestamp(summary.attrs["as_of"])
    late = int((tx.data["date"] > end).sum())
    if late:
        raise InputError(f"{late} transactions are dated after as_of {end.date()}; read the "
                         "file with the same as_of so they are listed as data issues")

    say("computing KPIs")
    kp = metrics.period_kpis(summary, as_of=end, inactivity=a.inactivity, period=a.kpi_period)
    per_customer = metrics.customer_kpi_table(summary, as_of=end, inactivity=a.inactivity,
                                              period=a.kpi_period)

    say("fitting BG/NBD and Gamma-Gamma")
    from ..models import predict_clv

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        bg, gg = _fit_models(summary)
        rate = float(convert_rate(a.discount_rate, "M", a.time_unit))
        pred = predict_clv(bg, gg, summary, horizon=a.horizon, time_unit=a.time_unit,
                           discount_rate=rate, margin=a.margin)
    # The report lists cltv-xl's own warnings only; others are passed on to the debug log.
    notes = list(dict.fromkeys(
        str(w.message) for w in caught if issubclass(w.category, CltvWarning)))
    seen: set[str] = set()
    for w in caught:  # pass each on once; the report keeps them too (JSON "warnings")
        if str(w.message) not in seen:
            seen.add(str(w.message))
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    models, params = _model_facts(bg, gg, summary, a.time_unit)

    say("segments and cohorts")
    seg = rfm_segments(summary, as_of=end)
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
    retention, revenue, curve = _cohort_frames(tx, end)

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

    tracking = _holdout(tx, a, end)
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
                "warnings": notes},
    )
