"""The report on a big log: an engine (DuckDB or Spark, :mod:`cltv_xl.engines`) reads,
type-checks and summarises the file, fits BG/NBD + Gamma-Gamma on the sufficient statistics
and scores every customer into Parquet; the workbook is then computed by the same pipeline as
any other report (:func:`~cltv_xl.report.build.compute_report`, with the engine's fitted
models), and shows up to Excel's row limit of customers, sorted by value, with every
aggregate (KPIs, segments, cohorts) computed on all customers.

What the engine hands to the pipeline is the typed rows it kept (customer, date, amount):
the pipeline's own summary, KPIs and cohorts are computed from them, so the workbook is the
same :class:`~cltv_xl.report.model.Report` a pandas read would give, and the per-customer
predictions in the workbook and in the Parquet file come from the same fitted models.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..engines import DUCKDB_MIN_BYTES, choose_engine, open_summary
from ..errors import InputError
from ..transactions import ISSUE_COLUMNS, Transactions
from .limits import max_table_rows
from .model import Report

#: Header row of the bundled template's Customers table (``templates/build_template.py``; the
#: writer checks the real template's row again).
CUSTOMERS_HEADER_ROW = 4


@dataclass
class EngineRun:
    """What the engine did before the pipeline: the typed rows, the fitted models, the
    Parquet file of every customer's scores."""

    engine: str
    tx: Transactions
    purchase_model: Any
    spend_model: Any
    customers_parquet: Path
    customers: int
    facts: dict[str, Any] = field(default_factory=dict)

    def memo(self, label: str, build) -> Any:
        """The pipeline's model store (:func:`cltv_xl.pipeline.run`): the engine's models, the
        purchase model as the pipeline's :class:`~cltv_xl.pipeline.ModelChoice`."""
        if label == "purchase_model":
            from ..pipeline import ModelChoice

            return ModelChoice(
                key="bgnbd", model=self.purchase_model,
                reason=f"BG/NBD, fitted by the {self.engine} engine on the distinct "
                       "(frequency, recency, T) rows of every customer")
        return {"spend_model": self.spend_model}[label]


def wants_engine(source, engine: str | None) -> str:
    """The engine of a report on ``source``: ``engine`` itself unless ``None``/"auto"; under
    "auto", DuckDB for a .csv or .parquet file of :data:`~cltv_xl.engines.DUCKDB_MIN_BYTES`
    or more and for a Parquet folder, pandas (the full loader, with its doubtful-row checks and
    the Transactions sheet) for everything else."""
    if engine not in (None, "auto"):
        return choose_engine(source, engine)
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if path.is_dir():
            return "duckdb"
        if (path.suffix.lower() in (".csv", ".parquet") and path.is_file()
                and path.stat().st_size >= DUCKDB_MIN_BYTES):
            return "duckdb"
    return "pandas"


def default_parquet(output: Path) -> Path:
    """Where the full customer table goes by default: ``<report>-customers.parquet``."""
    return output.with_name(f"{output.stem}-customers.parquet")


def run_engine(source, engine: str, a, *, parquet: Path, customer_col=None, date_col=None,
               amount_col=None, master: str | None = None, say=lambda _m: None) -> EngineRun:
    """Summarise ``source`` in ``engine``, fit on the sufficient statistics, write every
    customer's scores to ``parquet`` and return the typed rows for the pipeline. The engines
    fit the BG/NBD (``model`` "auto" or "bgnbd"); another model is refused, never ignored."""
    if a.model not in ("auto", "bgnbd"):
        raise InputError(f"--engine {engine} fits the BG/NBD on sufficient statistics; "
                         f"--model {a.model} needs --engine pandas")
    say(f"reading and summarising with {engine}")
    with open_summary(source, engine=engine, time_unit=a.time_unit, as_of=a.as_of,
                      customer_col=customer_col, date_col=date_col, amount_col=amount_col,
                      master=master) as es:
        say("fitting BG/NBD and Gamma-Gamma on the sufficient statistics")
        bg, gg = es.fit()
        say(f"scoring every customer into {parquet.name}")
        n = es.score_to_parquet(parquet, bg, gg, horizon=a.horizon, horizon_unit=a.horizon_unit,
                                discount_rate=a.discount_per_horizon_unit, margin=a.margin)
        rows = es.backend.arrow(
            "SELECT customer_id, date, amount FROM cltv_rows WHERE reason IS NULL")
        tx = _transactions(rows, es, source)
    return EngineRun(engine, tx, bg, gg, parquet, n)


def _transactions(rows, es, source) -> Transactions:
    import pyarrow.compute as pc

    ids = rows.column("customer_id")
    codes = pc.dictionary_encode(ids).combine_chunks()  # factorize on the Arrow column
    cats = pd.Categorical.from_codes(codes.indices.to_numpy(zero_copy_only=False),
                                     codes.dictionary.to_pandas().astype(object))
    amount = rows.column("amount").to_numpy().astype(np.float64, copy=False)
    data = pd.DataFrame({
        "customer_id": np.asarray(cats, dtype=object),
        "date": rows.column("date").to_numpy().astype("datetime64[ns]"),
        "amount": amount,
        # the engines do not keep the source row of a used row (rejected rows keep theirs)
        "row": np.full(len(amount), -1, dtype=np.int64),
        "refund": amount < 0,
    })
    issues = es.issues.copy()
    if "amount" not in issues.columns:
        issues["amount"] = np.nan
    issues = issues[list(ISSUE_COLUMNS)]
    counts = {k: int(es.counts.get(k, 0)) for k in ("read", "used", "rejected", "blank",
                                                    "doubtful")}
    label = Path(source).name if isinstance(source, (str, os.PathLike)) else "DataFrame"
    return Transactions(data=data, issues=issues, counts=counts, source=label,
                        column_map=dict(es.column_map),
                        reading={"container": f"engine {es.engine}"})


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
    report.extras["dashboard_note"] = text
    report.extras.setdefault("warnings", []).append(text)
    report.table_notes["Customers"] = text
    return report
