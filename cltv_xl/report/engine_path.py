"""The report on a big log: an engine (DuckDB or Spark, :mod:`cltv_xl.engines`) reads,
type-checks and summarises the file, fits BG/NBD + Gamma-Gamma on the sufficient statistics,
scores every customer into Parquet and computes every aggregate the workbook needs as SQL
(:mod:`cltv_xl.engines.sql`): the data-quality counts and the listing of rejected rows, the
monthly cohort tables, the counts of the subscription rule, the refund-only customers. Only
aggregates and one row per customer come back to Python, never the log's rows.

The per-customer rows (read back from the Parquet file) and the aggregates become the same
:class:`~cltv_xl.pipeline.PipelineResult` a pandas run gives, and
:func:`~cltv_xl.report.build.compute_report` arranges it (``result=``): the KPIs and segments
are computed on every customer, and the workbook shows up to Excel's row limit of customers,
sorted by value (:func:`cap_customers`).
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..engines import DUCKDB_MIN_BYTES, choose_engine, open_summary
from ..errors import InputError
from ..safety import EXCEL_MAX_CELL_CHARS, same_file
from ..transactions import DOUBTFUL, ISSUE_COLUMNS, Transactions
from .limits import max_table_rows
from .model import Report

#: Header row of the bundled template's Customers table (``templates/build_template.py``; the
#: writer checks the real template's row again).
CUSTOMERS_HEADER_ROW = 4
#: Used rows listed for an id longer than a cell holds (all are counted).
MAX_LONG_IDS = 10_000


@dataclass
class EngineTransactions(Transactions):
    """What the engine path knows of the transactions, as :class:`Transactions`.

    ``data`` holds only the used rows the report must list (those whose customer id is longer
    than a cell holds); every aggregate comes from the engine. ``issues`` lists the rejected
    rows (up to :data:`cltv_xl.engines.core.MAX_LISTED`); ``by_reason`` counts all of them
    per reason in SQL and ``amount_base`` is the absolute amount of every row read, so
    :meth:`issue_summary` counts every row whether listed or not.
    """

    by_reason: pd.DataFrame = field(default_factory=pd.DataFrame)
    amount_base: float = 0.0

    def _issues_by_reason(self, examples: int) -> pd.DataFrame:
        listed = self.issues
        rejected = listed[listed["severity"] != DOUBTFUL]
        examples_of = {r: sorted(g["row"].tolist())[:examples]
                       for r, g in rejected.groupby("reason", sort=False)}
        counted = pd.DataFrame({
            "reason": self.by_reason["reason"].to_numpy(dtype=object),
            "severity": "rejected",
            "rows": self.by_reason["rows"].to_numpy(dtype=np.int64),
            "amount": self.by_reason["amount"].to_numpy(dtype=np.float64),
            "example_rows": [examples_of.get(r, []) for r in self.by_reason["reason"]],
        })
        doubtful = listed[listed["severity"] == DOUBTFUL]
        if len(doubtful) == 0:
            return counted
        listed_only = Transactions(data=self.data, issues=doubtful, counts=self.counts)
        return pd.concat([counted, listed_only._issues_by_reason(examples)],
                         ignore_index=True)

    def _amount_base(self) -> float:
        return self.amount_base


@dataclass
class EngineRun:
    """What the engine computed: the pipeline's result (per-customer rows, models,
    predictions and aggregates), and the Parquet file of every customer's scores."""

    engine: str
    tx: Transactions
    purchase_model: Any
    spend_model: Any
    customers_parquet: Path
    customers: int
    result: Any = None
    facts: dict[str, Any] = field(default_factory=dict)


def wants_engine(source, engine: str | None) -> str:
    """The engine of a report on ``source``: :func:`~cltv_xl.engines.choose_engine`, with a
    small Parquet file read by pandas (the full loader, with its doubtful-row checks and the
    Transactions sheet)."""
    return choose_engine(source, engine, small_parquet="pandas", min_bytes=DUCKDB_MIN_BYTES)


def default_parquet(output: Path) -> Path:
    """Where the full customer table goes by default: ``<report>-customers.parquet``."""
    return output.with_name(f"{output.stem}-customers.parquet")


def default_rejected(customers_parquet: Path) -> Path:
    """Where every rejected row goes when there are more than the Data issues sheet lists:
    beside the customers' file, ``<report>-rejected.parquet``."""
    stem = customers_parquet.stem.removesuffix("-customers")
    return customers_parquet.with_name(f"{stem}-rejected.parquet")


def run_engine(source, engine: str, a, *, parquet: Path, customer_col=None, date_col=None,
               amount_col=None, master: str | None = None, say=lambda _m: None) -> EngineRun:
    """Summarise ``source`` in ``engine``, fit on the sufficient statistics, write every
    customer's scores to ``parquet``, compute the workbook's aggregates in the engine and
    return them as a pipeline result. The engines fit the BG/NBD (``model`` "auto" or
    "bgnbd"); another model, or a holdout check (which needs every customer's purchases
    after the holdout start), is refused, never ignored."""
    if a.model not in ("auto", "bgnbd"):
        raise InputError(f"--engine {engine} fits the BG/NBD on sufficient statistics; "
                         f"--model {a.model} needs --engine pandas")
    if a.holdout_start is not None:
        raise InputError(f"--engine {engine} has no holdout check; --holdout-start needs "
                         "--engine pandas")
    say(f"reading and summarising with {engine}")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with open_summary(source, engine=engine, time_unit=a.time_unit, as_of=a.as_of,
                          customer_col=customer_col, date_col=date_col,
                          amount_col=amount_col, master=master) as es:
            say("fitting BG/NBD and Gamma-Gamma on the sufficient statistics")
            bg, gg = es.fit()
            say(f"scoring every customer into {parquet.name}")
            n = es.score_to_parquet(parquet, bg, gg, horizon=a.horizon,
                                    horizon_unit=a.horizon_unit,
                                    discount_rate=a.discount_per_horizon_unit, margin=a.margin)
            say(f"cohorts, data quality and the subscription rule in {engine}")
            aggregates = {"cohorts": es.cohort_tables(), "business": es.business(a.business),
                          "refund_only": es.refund_only()}
            tx = _transactions(es, source, _long_ids(es))
            rejected_file = None
            if es.counts["rejected"] > len(es.issues):
                rejected_file = default_rejected(parquet)
                if isinstance(source, (str, os.PathLike)) and same_file(rejected_file, source):
                    raise InputError(f"{rejected_file.name} would replace the input; name the "
                                     "customers' file with --customers-parquet")
                say(f"listing every rejected row in {rejected_file.name}")
                es.rejected_to_parquet(rejected_file)
            subscription = None
            if aggregates["business"].subscription:
                say(f"fitting the sBG on the survival table counted in {engine}")
                subscription = _subscription(es)
            end = es.as_of
        say("reading every customer's scores back")
        res = _result(a, tx, parquet, end, bg, gg, engine, aggregates, subscription)
    from ..pipeline import _pass_on

    _pass_on(res, caught)  # the fits' warnings, once each, kept in res.warnings
    facts = {} if rejected_file is None else {"rejected_parquet": rejected_file,
                                               "rejected_listed": len(tx.issues)}
    return EngineRun(engine, tx, bg, gg, parquet, n, res, facts)


def _result(a, tx, parquet: Path, end, bg, gg, engine: str, aggregates, subscription):
    """The :class:`~cltv_xl.pipeline.PipelineResult` of the engine's figures."""
    import pyarrow.parquet as pq

    from .. import metrics
    from ..engines.core import summary_frame
    from ..pipeline import PREDICTION_COLUMNS, ModelChoice, PipelineResult, _attempt, spend_fit_mask
    from ..summary import SUMMARY_COLUMNS

    # In the engine's order: segments rank with ties, the Customers sheet is sorted by value
    # (ties by id), and every aggregate is a sum.
    scored = summary_frame(pq.read_table(parquet), sort=False)
    summary = scored[list(SUMMARY_COLUMNS)]
    summary.attrs.update(time_unit=a.time_unit, as_of=pd.Timestamp(end).date().isoformat(),
                         refund_only=aggregates["refund_only"], engine=engine)
    res = PipelineResult(assumptions=a, transactions=tx, summary=summary,
                         as_of=pd.Timestamp(end))
    res.customer_kpis = metrics.customer_kpi_table(summary, as_of=res.as_of,
                                                   inactivity=a.inactivity,
                                                   period=a.kpi_period)
    _attempt(res, "kpis", lambda: metrics.kpis_from_table(res.customer_kpis))
    res.purchase_model, res.spend_model = bg, gg
    res.choice = ModelChoice(
        key="bgnbd", model=bg,
        reason=f"BG/NBD, fitted by the {engine} engine on the distinct (frequency, recency, "
               "T) rows of every customer")
    res.spend_customers = int(spend_fit_mask(summary).sum())
    res.predictions = scored[list(PREDICTION_COLUMNS)]
    res.cohorts = aggregates["cohorts"]
    res.business = aggregates["business"]
    if isinstance(subscription, Exception):
        res.failures["sbg"] = subscription
    else:
        res.subscription = subscription
    return res


def _subscription(es):
    """The sBG fit of the engine's survival table, or the error that stopped it (recorded as
    the pipeline records it: the report says why on the Retention sheet)."""
    from ..errors import CltvError

    try:
        return es.subscription()
    except (CltvError, ValueError, FloatingPointError, ArithmeticError) as exc:
        return exc


def _long_ids(es) -> pd.DataFrame:
    """Used rows (row number, customer id) whose id is longer than a cell holds."""
    from ..engines import sql

    d = es.backend.dialect
    n = es.backend.frame(f"SELECT COUNT(*) AS n FROM cltv_all_customers "
                         f"WHERE length(customer_id) > {EXCEL_MAX_CELL_CHARS}")["n"].iloc[0]
    if int(n) == 0:
        return pd.DataFrame({"row": pd.Series(dtype=np.int64),
                             "customer_id": pd.Series(dtype=object)})
    rows = es.backend.frame(sql.long_ids_query(d, EXCEL_MAX_CELL_CHARS, es.backend.first_row,
                                               MAX_LONG_IDS))
    return pd.DataFrame({"row": pd.to_numeric(rows["row"]).fillna(-1).to_numpy(np.int64),
                         "customer_id": rows["customer_id"].astype(object).to_numpy()})


def _transactions(es, source, long_ids: pd.DataFrame) -> EngineTransactions:
    data = pd.DataFrame({
        "customer_id": long_ids["customer_id"].to_numpy(dtype=object),
        "date": pd.Series(pd.NaT, index=long_ids.index, dtype="datetime64[ns]").to_numpy(),
        "amount": np.full(len(long_ids), np.nan),
        "row": long_ids["row"].to_numpy(dtype=np.int64),
        "refund": np.zeros(len(long_ids), dtype=bool),
    })
    issues = es.issues.copy()
    if "amount" not in issues.columns:
        issues["amount"] = np.nan
    issues = issues[list(ISSUE_COLUMNS)]
    counts = {k: int(es.counts.get(k, 0)) for k in ("read", "used", "rejected", "blank",
                                                    "doubtful")}
    label = Path(source).name if isinstance(source, (str, os.PathLike)) else "DataFrame"
    return EngineTransactions(data=data, issues=issues, counts=counts, source=label,
                              column_map=dict(es.column_map),
                              reading={"container": f"engine {es.engine}"},
                              by_reason=es.issue_counts, amount_base=es.amount_base)


def cap_customers(report: Report, run: EngineRun) -> Report:
    """Keep up to Excel's row limit of customers (already sorted by value) and say so: a note
    on the Dashboard's customer tile and on the Customers table, the JSON ``warnings`` and
    ``notes``, and ``extras["engine"]``. The KPI cells are written as values computed on all
    customers (their formulas would sum only the rows shown)."""
    limit = max_table_rows(CUSTOMERS_HEADER_ROW)
    total = len(report.customers)
    shown = min(total, limit)
    report.extras["engine"] = {
        "engine": run.engine,
        "customers": total,
        "customers_in_workbook": shown,
        "customers_parquet": str(run.customers_parquet),
        "parquet_rows": int(run.customers),
        "transactions_sheet": False,
    }
    text = (f"Computed with {run.engine}. Every customer's scores ({run.customers:,}) are in "
            f"{run.customers_parquet.name}; ")
    if shown < total:
        report.customers = report.customers.iloc[:shown].reset_index(drop=True)
        text += (f"the Customers sheet shows the top {shown:,} of {total:,} customers by "
                 "value (Excel's row limit); ")
        report.extras["kpis_as_values"] = True
    text += ("KPIs, segments and cohorts cover all customers. The Transactions sheet is left "
             "out on the engine path.")
    if "rejected_parquet" in run.facts:
        path = Path(run.facts["rejected_parquet"])
        listed = int(run.facts["rejected_listed"])
        rejected = int(report.counts.get("rejected", 0))
        issues_note = (f"{rejected:,} rows were rejected: the Data issues sheet lists the first "
                       f"{listed:,}, and {path.name} lists every one with its row number and "
                       "reason (the counts by reason cover all of them).")
        report.extras["engine"]["rejected_parquet"] = str(path)
        report.table_notes["DataIssues"] = issues_note
        text += " " + issues_note
    report.extras["dashboard_note"] = text
    report.extras.setdefault("warnings", []).append(text)
    report.table_notes["Customers"] = text
    return report
