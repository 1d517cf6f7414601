"""The :class:`Report` object: everything a CLTV report shows, writer-neutral.

Both writers consume a :class:`Report` the same way: the offline writer
(:mod:`cltv_xl.report.xlsx_writer`, openpyxl + a fast XML path) and the live writer
(:mod:`cltv_xl.refresh`, an xlwings ``Book``). A writer only needs two views:

* :meth:`Report.cells` -> ``{defined_name: value}``: the scalars. Each is one cell of the
  template addressed by a **workbook-level defined name**.
* :meth:`Report.tables` -> ``{table_name: DataFrame}``: the Excel tables, addressed by their
  **table name**. A frame's column labels are the table's header texts; a writer matches
  columns by header text, so a template may reorder or restyle them.

Names a template must define (:data:`REQUIRED_NAMES`)
------------------------------------------------------
* Live KPI formulas (:data:`FORMULA_NAMES`; the template holds the formula, a writer must NOT
  overwrite it): ``KPI_CUSTOMERS``, ``KPI_REVENUE``, ``KPI_ARPU``, ``KPI_CHURN_RATE``,
  ``KPI_LIFETIME``, ``KPI_CAC``, ``KPI_CLTV``, ``KPI_LTV_CAC``, ``KPI_EXPECTED_PURCHASES``,
  ``KPI_PREDICTED_CLV``, ``KPI_AVG_PREDICTED_CLV``, ``KPI_SHARE_ALIVE``.
* User inputs (:data:`INPUT_NAMES`; the offline writer fills them from the CLI/Python
  arguments, a refresh reads them and leaves them alone): ``ASSUME_CAC``, ``ASSUME_MARGIN``,
  ``ASSUME_DISCOUNT_RATE`` (per month), ``ASSUME_HORIZON`` (model time units),
  ``ASSUME_INACTIVITY`` (KPI periods), ``ASSUME_TIME_UNIT`` ("days"/"weeks"/"months"),
  ``ASSUME_KPI_PERIOD`` ("days"/"weeks"/"months").
* Values written by Python (:data:`VALUE_NAMES`): ``INFO_SOURCE``, ``INFO_AS_OF``,
  ``INFO_GENERATED``, ``INFO_TIME_UNIT``, ``INFO_KPI_PERIOD``, ``INFO_HOLDOUT``,
  ``COUNT_READ``, ``COUNT_USED``, ``COUNT_REJECTED``, ``COUNT_BLANK``, ``COUNT_DOUBTFUL``,
  ``COUNT_CUSTOMERS``, ``MODEL_TIME_UNIT``, ``MODEL_PURCHASE`` (the purchase model used),
  ``MODEL_PURCHASE_LL``, ``MODEL_PURCHASE_CONVERGED``, ``MODEL_CHOICE`` (how it was chosen,
  one sentence), ``MODEL_GG_CONVERGED``, ``MODEL_GG_CUSTOMERS``, the holdout figures
  ``MODEL_HOLDOUT_*``; and ``MODEL_BGNBD_LL``, ``MODEL_BGNBD_CONVERGED``, the names of the
  purchase model's cells before the model choice (same cells, same values; kept for workbooks
  and scripts that read them).

Tables a template must hold (:data:`REQUIRED_TABLES`)
-----------------------------------------------------
``Customers``, ``Segments``, ``CohortRetention``, ``CohortRevenue``, ``RetentionCurve``,
``ClvBins``, ``ModelParams``, ``ModelComparison``, ``Tracking``, ``DataIssues``,
``Transactions``.
``CohortRetention``/``CohortRevenue`` have a variable number of columns
(:data:`VARIABLE_COLUMN_TABLES`); every other table has the fixed header of
:data:`TABLE_COLUMNS`. ``Transactions`` may be left empty (``--no-transactions``) and
``Tracking`` is empty without a holdout, ``ModelComparison`` when the model was named
(``--model bgnbd``) rather than chosen (``auto``).

The KPI formulas of the bundled template (see ``templates/build_template.py``) reproduce the
values of :attr:`Report.kpis`, which come from :mod:`cltv_xl.metrics` and
:mod:`cltv_xl.models`; :data:`KPI_KEYS` maps each KPI defined name to its key there and in
the ``--json`` summary.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ..assumptions import CELL_FIELDS, Assumptions
from ..timeunits import UNIT_NAMES
from . import quality

#: KPI defined name -> key in :attr:`Report.kpis` and in the JSON summary.
KPI_KEYS: dict[str, str] = {
    "KPI_CUSTOMERS": "customers",
    "KPI_REVENUE": "revenue",
    "KPI_ARPU": "arpu",
    "KPI_CHURN_RATE": "churn_rate",
    "KPI_LIFETIME": "lifetime",
    "KPI_CAC": "cac",
    "KPI_CLTV": "cltv",
    "KPI_LTV_CAC": "ltv_cac",
    "KPI_EXPECTED_PURCHASES": "expected_purchases",
    "KPI_PREDICTED_CLV": "predicted_clv",
    "KPI_AVG_PREDICTED_CLV": "avg_predicted_clv",
    "KPI_SHARE_ALIVE": "share_alive",
}

#: Defined names holding live formulas in the template: never overwritten by a writer,
#: except by the text "not estimated: <reason>" when the report has a gap there
#: (:meth:`Report.not_estimated`).
FORMULA_NAMES: tuple[str, ...] = tuple(KPI_KEYS)

#: The label of a value the pipeline could not estimate (issue 9: a report with gaps).
NOT_ESTIMATED = "not estimated"

#: The reason of the gaps of a report built with ``model="none"``: nothing failed, no
#: predictive model was asked for (the command exits with 0, not 3).
NOT_ASKED = "no predictive model was asked for (--model none): historical KPIs only"

#: Pipeline step (a key of :attr:`Report.gaps`) -> the KPI keys it leaves without a value.
GAP_KPIS: dict[str, tuple[str, ...]] = {
    "arpu": ("arpu",),
    "kpis": ("churn_rate", "lifetime", "cltv", "ltv_cac"),
    "predictions": ("expected_purchases", "predicted_clv", "avg_predicted_clv",
                    "share_alive"),
}

#: Pipeline step -> what the user reads ("churn rate not estimated: ...").
GAP_LABELS: dict[str, str] = {
    "arpu": "ARPU",
    "kpis": "churn rate",
    "purchase_model": "purchase model",
    "spend_model": "spend model (Gamma-Gamma)",
    "predictions": "predicted CLV",
    "tracking": "holdout tracking",
    "sbg": "retention model (sBG)",
}

#: Assumption defined name -> :class:`Assumptions` field. User inputs: a refresh keeps them.
ASSUMPTION_FIELDS: dict[str, str] = CELL_FIELDS
INPUT_NAMES: tuple[str, ...] = tuple(ASSUMPTION_FIELDS)

#: Optional names of the bundled template's levers block. Not required of a
#: template and never written by Python: the inputs are the user's (template defaults 10 %),
#: the results are live formulas over the KPI cells, checked against cltv_xl.metrics by
#: tests/test_report_libreoffice.py.
LEVER_INPUT_NAMES: tuple[str, ...] = ("LEVER_CHURN_CUT", "LEVER_ARPU_UP", "LEVER_CAC_CUT")
LEVER_FORMULA_NAMES: tuple[str, ...] = (
    *(f"LEVER_{kind}_{key}" for key in ("CHURN", "ARPU", "CAC", "ALL")
      for kind in ("CLTV", "GAIN", "LTV_CAC")),
    "LEVER_NEW_CHURN",
    "LEVER_NEW_ARPU",
    "LEVER_NEW_CAC",
    "LEVER_ACTIVE",
    "LEVER_ONE_POINT_PER_CUSTOMER",
    "LEVER_ONE_POINT",
)

#: Defined names whose values Python writes on every run (labels, counts, model facts).
VALUE_NAMES: tuple[str, ...] = (
    "INFO_SOURCE",
    "INFO_AS_OF",
    "INFO_GENERATED",
    "INFO_TIME_UNIT",
    "INFO_KPI_PERIOD",
    "INFO_HOLDOUT",
    "COUNT_READ",
    "COUNT_USED",
    "COUNT_REJECTED",
    "COUNT_BLANK",
    "COUNT_DOUBTFUL",
    "COUNT_CUSTOMERS",
    # issue 9: how the data were read and what was lost, in words; refund-only customers'
    # net amount (in KPI_REVENUE, but not in the Customers table)
    "INFO_DATA_QUALITY",
    "INFO_READ_AS",
    "REVENUE_REFUND_ONLY",
    "MODEL_TIME_UNIT",
    "MODEL_PURCHASE",
    "MODEL_PURCHASE_LL",
    "MODEL_PURCHASE_CONVERGED",
    "MODEL_CHOICE",
    "MODEL_BGNBD_CONVERGED",  # = MODEL_PURCHASE_CONVERGED (the cell's name before issue 10)
    "MODEL_BGNBD_LL",  # = MODEL_PURCHASE_LL
    "MODEL_GG_CONVERGED",
    "MODEL_GG_CUSTOMERS",
    # The holdout check (blank without --holdout-start); the calibration
    # fit's parameters are rows of ModelParams.
    "MODEL_HOLDOUT_ACTUAL",
    "MODEL_HOLDOUT_EXPECTED",
    "MODEL_HOLDOUT_ERROR",
    "MODEL_HOLDOUT_MAE",
)

#: A template block (a defined name over a range of rows) hidden when its table is empty
#: The holdout section without --holdout-start. Optional in a template.
HIDDEN_WHEN_EMPTY: dict[str, str] = {"Tracking": "HOLDOUT_BLOCK"}

REQUIRED_NAMES: tuple[str, ...] = FORMULA_NAMES + INPUT_NAMES + VALUE_NAMES

#: Plain-language headers of the Customers table: technical column of
#: :attr:`Report.customers` -> header in the workbook, the technical name kept in brackets.
#: Recency, T and exposure are in the units stated above the table on the Customers sheet.
CUSTOMER_HEADERS: dict[str, str] = {
    "Frequency": "Repeat purchases (frequency)",
    "Recency": "First to last purchase (recency)",
    "T": "Since first purchase (T)",
    "Average spend": "Average repeat spend (monetary value)",
    "P(alive)": "Probability still active (P(alive))",
    "Expected spend": "Expected spend per purchase",
    "Historical CLV": "Historical CLV (revenue x margin)",
    "Exposure": "Periods observed (exposure)",
}

#: Header texts of each table, in the template's default order.
TABLE_COLUMNS: dict[str, tuple[str, ...]] = {
    "Customers": (
        "Customer ID",
        "First purchase",
        "Last purchase",
        "Orders",
        "Revenue",
        "Repeat purchases (frequency)",
        "First to last purchase (recency)",
        "Since first purchase (T)",
        "Average repeat spend (monetary value)",
        "Probability still active (P(alive))",
        "Expected purchases",
        "Expected spend per purchase",
        "Predicted CLV",
        "Historical CLV (revenue x margin)",
        "Periods observed (exposure)",
        "Churned",
        "Segment",
    ),
    "Segments": (
        "Segment",
        "Rule",
        "Customers",
        "Revenue",
        "Average predicted CLV",
        "Predicted CLV",
        "Share of value",
    ),
    "CohortRetention": ("Cohort", "Customers"),
    "CohortRevenue": ("Cohort", "Customers"),
    "RetentionCurve": ("Months since first purchase", "All cohorts", "First cohort"),
    "ClvBins": ("Predicted CLV", "Customers", "Share of customers"),
    "ModelParams": ("Model", "Parameter", "Estimate", "Std. error", "Poorly identified"),
    "ModelComparison": ("Model", "Log-likelihood", "BIC", "Converged", "Poorly identified",
                        "Holdout MAE", "Holdout RMSE", "Holdout total error", "Chosen"),
    "Tracking": ("Period", "Actual purchases", "Expected purchases", "Holdout period"),
    "IssueSummary": ("Rows", "Share of rows", "Amount", "Reason", "Severity",
                     "Share of amount", "Example rows"),
    "DataIssues": ("Row", "Column", "Value", "Reason", "Severity"),
    "Transactions": ("Customer ID", "Date", "Amount", "Source row"),
}
REQUIRED_TABLES: tuple[str, ...] = tuple(TABLE_COLUMNS)

#: Tables whose columns after the fixed ones (periods since acquisition) vary with the data.
VARIABLE_COLUMN_TABLES: tuple[str, ...] = ("CohortRetention", "CohortRevenue")

#: Tables that can be large; the offline writer streams them straight into the sheet XML.
LARGE_TABLES: tuple[str, ...] = ("Customers", "Transactions", "DataIssues")

#: Columns of :class:`Report` tables that hold text from the input data (written as text only).
DATA_TEXT_COLUMNS: dict[str, tuple[str, ...]] = {
    "Customers": ("Customer ID",),
    "Transactions": ("Customer ID",),
    "DataIssues": ("Column", "Value", "Reason"),
    "IssueSummary": ("Reason",),
}


@dataclass
class Report:
    """One CLTV report: KPIs, tables, model facts and the account of every input row.

    Build it with :func:`cltv_xl.report.compute_report`; write it with
    :func:`cltv_xl.report.xlsx_writer.write_report` (offline) or ``cltv_xl.refresh`` (live).
    """

    source: str
    as_of: pd.Timestamp
    generated_at: dt.datetime
    assumptions: Assumptions
    counts: dict[str, int]
    kpis: dict[str, float]
    models: dict[str, Any]
    customers: pd.DataFrame
    segments: pd.DataFrame
    cohort_retention: pd.DataFrame
    cohort_revenue: pd.DataFrame
    retention_curve: pd.DataFrame
    clv_bins: pd.DataFrame
    model_params: pd.DataFrame
    tracking: pd.DataFrame
    issues: pd.DataFrame
    transactions: pd.DataFrame | None = None
    #: The candidates compared for ``model="auto"`` (ModelComparison table); None or empty
    #: when the model was named.
    model_comparison: pd.DataFrame | None = None
    extras: dict[str, Any] = field(default_factory=dict)
    #: What could not be estimated: pipeline step -> reason (empty for a complete report).
    #: The report is still written; the Dashboard tiles, the Model sheet, the terminal and
    #: the JSON (``gaps``) say why, and the command exits with 3.
    gaps: dict[str, str] = field(default_factory=dict)
    #: Issue lines counted by reason (:meth:`cltv_xl.transactions.Transactions.issue_summary`
    #: columns): the Data issues sheet's first table and the JSON ``issues_by_reason``.
    issue_summary: pd.DataFrame | None = None
    #: Notes on tables: table name -> text, shown as a note on the table's first header cell
    #: (e.g. the cohort month cut short by the as-of date) and listed in the JSON ``notes``.
    table_notes: dict[str, str] = field(default_factory=dict)
    #: The Retention sheet (issue 14; :mod:`cltv_xl.report.retention`): its defined names ->
    #: values (value cells to write, and Python's values of its live formulas), and its
    #: tables. Optional in a template: a writer fills only what the template has.
    retention_cells: dict[str, Any] = field(default_factory=dict)
    retention_tables: dict[str, pd.DataFrame] = field(default_factory=dict)

    def gap_messages(self) -> dict[str, str]:
        """``{label: reason}`` of :attr:`gaps`, for the terminal and the JSON."""
        return {GAP_LABELS.get(step, step): why for step, why in self.gaps.items()}

    def not_estimated(self) -> dict[str, str]:
        """KPI defined name -> ``"not estimated: <reason>"`` for every KPI a gap leaves
        without a value; the offline writer puts this text in place of the tile's formula."""
        out: dict[str, str] = {}
        keys = {key: name for name, key in KPI_KEYS.items()}
        for step, kpi_keys in GAP_KPIS.items():
            if step in self.gaps:
                for key in kpi_keys:
                    out[keys[key]] = f"{NOT_ESTIMATED}: {self.gaps[step]}"
        return out

    # ------------------------------------------------------------------ data quality
    def _issue_summary(self) -> pd.DataFrame:
        if self.issue_summary is not None:
            return self.issue_summary
        from ..transactions import Transactions, empty_issues

        return Transactions(data=pd.DataFrame({"amount": []}), issues=empty_issues(),
                            counts=dict(self.counts)).issue_summary()

    def data_quality(self) -> str:
        """The Dashboard's sentence on rows not used, refunds netted and refund-only
        customers (:func:`cltv_xl.report.quality.quality_sentence`)."""
        data = self.extras.get("data", {})
        return quality.quality_sentence(self._issue_summary(), self.counts,
                                        data.get("refund_only"))

    def read_as(self) -> str:
        """The Dashboard's "Read as" note: columns, amount rule, date order, encoding; the
        loader's loud notes (an ambiguous date order) follow it."""
        data = self.extras.get("data", {})
        text = quality.read_as_sentence(data.get("column_map", {}), data.get("date_order", {}),
                                        data.get("reading"))
        loud = " ".join(f"WARNING: {w}" for w in data.get("warnings", []))
        return f"{text} {loud}".strip()

    def data_quality_lines(self) -> list[str]:
        """The terminal's loud lines when more than :data:`quality.LOUD_SHARE` of the rows or
        of the amount were rejected (else empty)."""
        return quality.terminal_lines(self._issue_summary(), self.counts)

    # ------------------------------------------------------------------ writer-neutral views
    def cells(self) -> dict[str, Any]:
        """``{defined_name: value}`` for every name of :data:`REQUIRED_NAMES`.

        KPI names carry the Python value (for checks and for the live writer's status); the
        offline writer never writes them (:data:`FORMULA_NAMES`). Dates are ``datetime``,
        booleans are "Yes"/"No", everything else is a number or text.
        """
        a = self.assumptions
        chosen = self.models.get("chosen")
        pm = self.models.get(chosen, {}) if chosen else {
            "estimated": False, "reason": self.gaps.get("purchase_model",
                                                        self.models.get("reason", ""))}
        gg = self.models.get("gamma_gamma", {})
        out: dict[str, Any] = {name: self.kpis[key] for name, key in KPI_KEYS.items()}
        out.update(a.cells())
        out.update(
            {
                "INFO_SOURCE": self.source,
                "INFO_AS_OF": pd.Timestamp(self.as_of).to_pydatetime(),
                "INFO_GENERATED": self.generated_at.replace(microsecond=0),
                "INFO_TIME_UNIT": UNIT_NAMES[a.time_unit],
                "INFO_KPI_PERIOD": UNIT_NAMES[a.kpi_period],
                "INFO_HOLDOUT": "none"
                if a.holdout_start is None
                else pd.Timestamp(a.holdout_start).date().isoformat(),
                "COUNT_READ": int(self.counts["read"]),
                "COUNT_USED": int(self.counts["used"]),
                "COUNT_REJECTED": int(self.counts["rejected"]),
                "COUNT_BLANK": int(self.counts["blank"]),
                "COUNT_DOUBTFUL": int(self.counts["doubtful"]),
                "COUNT_CUSTOMERS": len(self.customers),
                "INFO_DATA_QUALITY": self.data_quality(),
                "INFO_READ_AS": self.read_as(),
                "REVENUE_REFUND_ONLY": float(self.extras.get("data", {}).get(
                    "refund_only", {}).get("amount", 0.0)),
                "MODEL_TIME_UNIT": UNIT_NAMES[a.time_unit],
                "MODEL_PURCHASE": pm.get("name", NOT_ESTIMATED),
                "MODEL_PURCHASE_LL": float(pm.get("log_likelihood", math.nan)),
                "MODEL_PURCHASE_CONVERGED": _converged(pm),
                "MODEL_CHOICE": str(self.models.get("reason", "")),
                "MODEL_BGNBD_CONVERGED": _converged(pm),
                "MODEL_BGNBD_LL": float(pm.get("log_likelihood", math.nan)),
                "MODEL_GG_CONVERGED": _converged(gg),
                "MODEL_GG_CUSTOMERS": int(gg.get("customers", 0)),
            }
        )
        hold = self.extras.get("holdout") or {}
        out.update({
            "MODEL_HOLDOUT_ACTUAL": hold.get("actual"),
            "MODEL_HOLDOUT_EXPECTED": hold.get("expected"),
            "MODEL_HOLDOUT_ERROR": hold.get("error"),
            "MODEL_HOLDOUT_MAE": hold.get("mae"),
        })
        return out

    def tables(self) -> dict[str, pd.DataFrame]:
        """``{table_name: frame}`` for every table of :data:`REQUIRED_TABLES`.

        Column labels are header texts. ``Transactions`` is an empty frame when the report
        was built without it.
        """
        tx = self.transactions
        if tx is None:
            tx = pd.DataFrame({c: [] for c in TABLE_COLUMNS["Transactions"]})
        return {
            "Customers": _plain_headers(self.customers),
            "Segments": self.segments,
            "CohortRetention": self.cohort_retention,
            "CohortRevenue": self.cohort_revenue,
            "RetentionCurve": self.retention_curve,
            "ClvBins": self.clv_bins,
            "ModelParams": self.model_params,
            "ModelComparison": self.model_comparison if self.model_comparison is not None
            else pd.DataFrame({c: [] for c in TABLE_COLUMNS["ModelComparison"]}),
            "Tracking": self.tracking,
            "IssueSummary": quality.summary_table(self._issue_summary()),
            "DataIssues": self.issues,
            "Transactions": tx,
        }

    # ------------------------------------------------------------------ JSON summary
    def summary(self) -> dict[str, Any]:
        """The ``--json`` summary: ``rows``, ``kpis``, ``models``, ``assumptions``, ``issues``.

        ``kpis`` holds exactly the values the workbook's KPI formulas compute (checked by the
        LibreOffice test). ``issues_by_reason`` counts the rejected and doubtful rows by reason
        with a few example rows each (the Data issues sheet lists every row; the JSON stays
        small). ``data`` says how the file was read: ``column_map``, ``date_order``,
        ``reading`` (container, encoding, delimiter), the loader's loud ``warnings``,
        ``refund_only`` customers and the Dashboard's ``quality`` and ``read_as`` sentences.
        """
        data = dict(self.extras.get("data", {}))
        data.update({"quality": self.data_quality(), "read_as": self.read_as(),
                     "loud": bool(self.data_quality_lines())})
        return {
            "source": self.source,
            "as_of": pd.Timestamp(self.as_of).date().isoformat(),
            "generated_at": self.generated_at.replace(microsecond=0).isoformat(),
            "rows": {k: int(self.counts[k]) for k in ("read", "used", "rejected", "blank",
                                                         "doubtful")},
            "kpis": {k: _json_number(v) for k, v in self.kpis.items()},
            "models": self.models,
            "assumptions": self.assumptions.as_dict(),
            "issues_by_reason": quality.json_issues(self._issue_summary(), self.issues),
            "column_map": dict(data.get("column_map", {})),
            "data": data,
            "warnings": list(self.extras.get("warnings", [])),
            "gaps": self.gap_messages(),
            "notes": dict(self.table_notes),
            "cohorts": dict(self.extras.get("cohorts", {})),
            "retention": dict(self.extras.get("retention", {})),
        }


def _plain_headers(customers: pd.DataFrame) -> pd.DataFrame:
    """The Customers frame with :data:`CUSTOMER_HEADERS` (a shallow copy: no data copied)."""
    out = customers.copy(deep=False)
    out.columns = [CUSTOMER_HEADERS.get(c, c) for c in customers.columns]
    return out
def _converged(model: dict[str, Any]) -> str:
    """The Model sheet's "converged" cell: Yes / No, or why the model was not estimated."""
    if model.get("estimated") is False:
        return f"{NOT_ESTIMATED}: {model.get('reason', '')}"
    return "Yes" if model.get("converged") else "No"


def _json_number(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
