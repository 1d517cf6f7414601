"""The Retention sheet: a subscription business's sBG figures, arranged for the writers.

Every number comes from :class:`cltv_xl.business.SubscriptionFit` (the pipeline's monthly
cohort survival table, sBG fit, monthly ARPU and single churn rate) and the sBG closed forms
of :mod:`cltv_xl.models.sbg` (Fader & Hardie 2007, 2010). This module only arranges them:

* value cells (:data:`RETENTION_VALUE_NAMES`) Python writes: the rule that decided, alpha and
  beta with standard errors, ARPU, the single churn rate, the horizon in months;
* live formula cells (:data:`RETENTION_FORMULA_NAMES`) in the template, over those values and
  the Assumptions (margin, discount rate, CAC) and the Dashboard's lever inputs; the values
  here are Python's, which LibreOffice's recalculation must reproduce
  (``tests/test_retention_report.py``);
* the tables behind the chart (actual against projected retention).

**The lifetimes.** With one churn rate c a customer pays 1 / c months on average. Under the
sBG the mean lifetime is (alpha + beta - 1) / (alpha - 1), infinite when alpha <= 1; the sheet
then says so and compares finite figures: the months paid within the CLV horizon, and the
discounted expected lifetime of a new customer, DEL = sum_t S(t) / (1 + d)^t = 1 + DERL /
(1 + d), with DERL the discounted expected residual lifetime at its first renewal (Fader &
Hardie 2010, eq. 6). The sums run over :data:`PROJECTION_MONTHS` months (100 years, the
longest horizon :class:`~cltv_xl.assumptions.Assumptions` allows), so Python and the sheet
compute the same finite sum; beyond 100 years a payment at 1 % a month is discounted by more
than 160,000, and the sum differs from the infinite series (``sbg_derl``) by less than 1e-5.

**The churn lever** (issue 13 levers on the sBG figures): churn down by x keeps alpha and sets
beta' = (alpha + beta) / (1 - x) - alpha, so the mean churn alpha / (alpha + beta) of the
customers falls by exactly x while the spread of churn between customers keeps its shape
parameter alpha; every tenure's retention rises with it.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from ..assumptions import Assumptions
from ..models.sbg import sbg_survival
from ..timeunits import convert

#: Months summed for the discounted lifetimes (100 years).
PROJECTION_MONTHS = 1200
#: Months projected beyond the oldest cohort's history in the chart.
CHART_EXTRA_MONTHS = 12

#: Value cells Python writes on the Retention sheet (optional in a template).
RETENTION_VALUE_NAMES: tuple[str, ...] = (
    "SUB_BUSINESS", "SUB_RULE", "SUB_FITTED", "SUB_ALPHA", "SUB_ALPHA_SE", "SUB_BETA",
    "SUB_BETA_SE", "SUB_LL", "SUB_COHORTS", "SUB_CUSTOMERS", "SUB_RETURNED", "SUB_ARPU",
    "SUB_CHURN", "SUB_HORIZON",
)
#: Live formula cells of the Retention sheet (never written; their Python values are here).
RETENTION_FORMULA_NAMES: tuple[str, ...] = (
    "SUB_CHURN_FIRST", "SUB_CHURN_YEAR", "SUB_LIFETIME_CLASSIC", "SUB_LIFETIME_SBG",
    "SUB_HORIZON_CLASSIC", "SUB_HORIZON_SBG", "SUB_DEL_CLASSIC", "SUB_DEL_SBG",
    "SUB_DERL_CLASSIC", "SUB_DERL_SBG", "SUB_CLTV_CLASSIC", "SUB_CLV_CLASSIC", "SUB_CLV_SBG",
    "SUB_LEVER_BETA", "SUB_LEVER_CHURN", "SUB_LEVER_ARPU", "SUB_LEVER_CAC", "SUB_LEVER_ALL",
)
#: Tables of the Retention sheet: name -> header texts.
RETENTION_TABLES: dict[str, tuple[str, ...]] = {
    "SurvivalCurve": ("Months since sign-up", "Actual, all cohorts", "Actual, first cohort",
                      "sBG fit and projection"),
    "CohortFit": ("Cohort", "Customers", "Months observed", "Still paying, actual",
                  "Still paying, sBG", "Actual - sBG", "Came back after a gap"),
}
#: Text of the sBG lifetime cell when alpha <= 1 (the mean is infinite).
INFINITE = "infinite (alpha <= 1)"


def _del(alpha: float, beta: float, d: float) -> float:
    """sum_{t < PROJECTION_MONTHS} S(t) / (1 + d)^t (what the sheet's SUMPRODUCT computes)."""
    t = np.arange(PROJECTION_MONTHS, dtype=np.float64)
    return float((sbg_survival(alpha, beta, t) / (1.0 + d) ** t).sum())


def horizon_months(a: Assumptions) -> int:
    """The CLV horizon in whole months (at least 1, at most :data:`PROJECTION_MONTHS`)."""
    months = float(convert(a.horizon, a.horizon_unit, "M"))
    return int(min(max(round(months), 1), PROJECTION_MONTHS))


def lever_values(alpha: float, beta: float, arpu: float, margin: float, cac: float, d: float,
                 x: float, y: float, z: float) -> dict[str, float]:
    """The sBG lever cells for churn down by ``x``, ARPU up by ``y``, CAC down by ``z``."""
    beta2 = (alpha + beta) / (1.0 - x) - alpha
    base, cut = _del(alpha, beta, d), _del(alpha, beta2, d)
    return {
        "SUB_LEVER_BETA": beta2,
        "SUB_LEVER_CHURN": margin * arpu * cut - cac,
        "SUB_LEVER_ARPU": margin * arpu * (1 + y) * base - cac,
        "SUB_LEVER_CAC": margin * arpu * base - cac * (1 - z),
        "SUB_LEVER_ALL": margin * arpu * (1 + y) * cut - cac * (1 - z),
    }


def figures(alpha: float, beta: float, arpu: float, churn: float, a: Assumptions,
            levers: tuple[float, float, float] = (0.1, 0.1, 0.1)) -> dict[str, Any]:
    """Python's values of :data:`RETENTION_FORMULA_NAMES` (the sheet's live formulas) for
    the given parameters and Assumptions (margin, CAC, discount rate per month)."""
    d = a.discount_per("M")
    h = horizon_months(a)
    m, cac, c = a.margin, a.cac, churn
    del_c = (1 + d) / (c + d) * (1 - ((1 - c) / (1 + d)) ** PROJECTION_MONTHS)
    del_s = _del(alpha, beta, d)
    t = np.arange(h, dtype=np.float64)
    out: dict[str, Any] = {
        "SUB_CHURN_FIRST": alpha / (alpha + beta),
        "SUB_CHURN_YEAR": alpha / (alpha + beta + 11),
        "SUB_LIFETIME_CLASSIC": 1 / c,
        "SUB_LIFETIME_SBG": (alpha + beta - 1) / (alpha - 1) if alpha > 1 else INFINITE,
        "SUB_HORIZON_CLASSIC": (1 - (1 - c) ** h) / c,
        "SUB_HORIZON_SBG": float(sbg_survival(alpha, beta, t).sum()),
        "SUB_DEL_CLASSIC": del_c,
        "SUB_DEL_SBG": del_s,
        "SUB_DERL_CLASSIC": (del_c - 1) * (1 + d),
        "SUB_DERL_SBG": (del_s - 1) * (1 + d),
        "SUB_CLTV_CLASSIC": m * arpu / c - cac,
        "SUB_CLV_CLASSIC": m * arpu * del_c - cac,
        "SUB_CLV_SBG": m * arpu * del_s - cac,
    }
    out.update(lever_values(alpha, beta, arpu, m, cac, d, *levers))
    return {k: float(v) if not isinstance(v, str) else v for k, v in out.items()}


def _labels(index: pd.Index) -> list[str]:
    return [pd.Timestamp(c).strftime("%Y-%m") for c in index]


def _tables(fit) -> dict[str, pd.DataFrame]:
    table, model = fit.table, fit.model
    surv = table.survivors.to_numpy(dtype=np.float64)
    sizes = table.sizes.to_numpy(dtype=np.float64)
    width = surv.shape[1]
    # Pooled survival: the product of the pooled retention rates of the cohorts observed in
    # both months (a cohort too young for month k drops out of that ratio).
    pooled = [1.0]
    for k in range(1, width):
        both = ~np.isnan(surv[:, k])
        pooled.append(pooled[-1] * surv[both, k].sum() / surv[both, k - 1].sum())
    months = np.arange(width + CHART_EXTRA_MONTHS)
    first = surv[0] / surv[0, 0]
    curve = pd.DataFrame({
        "Months since sign-up": months.astype(np.int64),
        "Actual, all cohorts": np.r_[pooled, np.full(CHART_EXTRA_MONTHS, np.nan)],
        "Actual, first cohort": np.r_[first, np.full(CHART_EXTRA_MONTHS, np.nan)],
        "sBG fit and projection": model.survival(months.astype(np.float64)),
    })
    observed = (~np.isnan(surv)).sum(axis=1)
    actual = surv[np.arange(len(surv)), observed - 1]
    projected = sizes * model.survival((observed - 1).astype(np.float64))
    labels = _labels(table.survivors.index)
    fit_table = pd.DataFrame({
        "Cohort": labels,
        "Customers": sizes.astype(np.int64),
        "Months observed": observed.astype(np.int64),
        "Still paying, actual": actual,
        "Still paying, sBG": projected,
        "Actual - sBG": actual - projected,
        "Came back after a gap": table.returned.to_numpy(dtype=np.int64),
    })
    return {"SurvivalCurve": curve, "CohortFit": fit_table}


def empty_tables() -> dict[str, pd.DataFrame]:
    return {name: pd.DataFrame({c: [] for c in cols}) for name, cols in RETENTION_TABLES.items()}


def arrange(res, a: Assumptions, gaps: dict[str, str]) -> tuple[dict, dict, dict]:
    """(cells, tables, JSON facts) of the Retention sheet for a pipeline result."""
    decision = res.business
    fit = res.subscription
    cells: dict[str, Any] = {name: None for name in RETENTION_VALUE_NAMES}
    cells["SUB_BUSINESS"] = decision.kind if decision is not None else "not decided"
    cells["SUB_RULE"] = decision.rule if decision is not None else ""
    cells["SUB_HORIZON"] = horizon_months(a)
    facts: dict[str, Any] = {"business": None if decision is None else decision.as_dict()}
    if fit is None:
        if decision is not None and decision.subscription:
            why = gaps.get("sbg", "the sBG was not fitted")
            cells["SUB_FITTED"] = f"not estimated: {why}"
            facts["sbg"] = {"estimated": False, "reason": why}
        else:
            cells["SUB_FITTED"] = "No: not a subscription business"
        return cells, empty_tables(), facts
    model = fit.model
    al, be = float(model.params_["alpha"]), float(model.params_["beta"])
    se = dict(model.standard_errors_ or {})
    cells.update({
        "SUB_FITTED": "Yes",
        "SUB_ALPHA": al, "SUB_BETA": be,
        "SUB_ALPHA_SE": _finite(se.get("alpha")), "SUB_BETA_SE": _finite(se.get("beta")),
        "SUB_LL": float(model.log_likelihood_),
        "SUB_COHORTS": len(fit.table.survivors),
        "SUB_CUSTOMERS": int(fit.table.sizes.sum()),
        "SUB_RETURNED": int(fit.table.returned.sum()),
        "SUB_ARPU": fit.arpu, "SUB_CHURN": fit.churn,
    })
    values = figures(al, be, fit.arpu, fit.churn, a)
    facts["sbg"] = {
        "alpha": al, "beta": be, "standard_errors": {k: _finite(v) for k, v in se.items()},
        "log_likelihood": float(model.log_likelihood_), "converged": bool(model.converged_),
        "cohorts": cells["SUB_COHORTS"], "customers": cells["SUB_CUSTOMERS"],
        "came_back_after_gap": cells["SUB_RETURNED"], "excluded": dict(fit.table.excluded),
        "monthly_arpu": fit.arpu, "single_churn_rate": fit.churn,
        "horizon_months": cells["SUB_HORIZON"], "projection_months": PROJECTION_MONTHS,
        **{k.removeprefix("SUB_").lower(): v for k, v in values.items()
           if not k.startswith("SUB_LEVER")},
    }
    return {**cells, **values}, _tables(fit), facts


def _finite(v: Any) -> float | None:
    if v is None:
        return None
    v = float(v)
    return v if math.isfinite(v) else None
