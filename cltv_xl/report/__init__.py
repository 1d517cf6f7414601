"""The offline CLTV report: ``build_report`` (read, compute, write), ``compute_report`` and the
writer-neutral :class:`Report` (see :mod:`cltv_xl.report.model` for the names and tables a
template must provide)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, TextIO

import pandas as pd

from ..errors import InputError, TemplateError
from ..memory import release_freed_memory
from ..safety import atomic_write, check_json_output, check_output, same_file
from ..transactions import Transactions
from .build import Progress, compute_report, resolve_assumptions
from .limits import check_transactions_fit
from .model import REQUIRED_NAMES, REQUIRED_TABLES, Assumptions, Report

__all__ = [
    "REQUIRED_NAMES",
    "REQUIRED_TABLES",
    "Assumptions",
    "Report",
    "build_report",
    "compute_report",
    "write_json",
]


def write_json(report: Report, path: str | os.PathLike | TextIO) -> Path | None:
    """Write :meth:`Report.summary` as JSON: to a text stream (``--json -`` is stdout), or to
    a file, atomically (a FIFO or a device such as ``/dev/null`` is written in place, never
    replaced; a symbolic link keeps pointing at its target, which is replaced)."""
    text = json.dumps(report.summary(), indent=2, ensure_ascii=False, default=str)
    if hasattr(path, "write"):
        path.write(text + "\n")
        path.flush()
        return None
    return atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def _bundled_template() -> Path | None:
    from .template import default_template

    try:
        return default_template()
    except TemplateError:
        return None


def build_report(
    source: str | os.PathLike | pd.DataFrame | Transactions,
    output: str | os.PathLike,
    *,
    template: str | os.PathLike | None = None,
    sheet: str | int | None = None,
    customer_col: str | int | None = None,
    date_col: str | int | None = None,
    amount_col: str | int | None = None,
    quantity_col: str | int | None = None,
    price_col: str | int | None = None,
    order_col: str | int | None = None,
    status_col: str | int | None = None,
    dayfirst: bool | None = None,
    as_of: Any = None,
    json_path: str | os.PathLike | TextIO | None = None,
    include_transactions: bool = True,
    progress: Progress | None = None,
    assumptions: Assumptions | None = None,
    engine: str | None = None,
    spark_master: str | None = None,
    customers_parquet: str | os.PathLike | None = None,
    **kwargs: Any,
) -> Report:
    """Read transactions, compute the report and write the workbook (and optional JSON).

    ``source`` is a path (.xlsx/.xlsm/.xlsb/.xls/.ods/.csv/.tsv/.txt/.parquet), a DataFrame of
    raw cells, or :class:`~cltv_xl.transactions.Transactions`. The column and ``dayfirst``
    arguments are those of :func:`cltv_xl.read_transactions` (``dayfirst=None``: the day/month
    order is inferred per column). The report's inputs are an
    :class:`~cltv_xl.assumptions.Assumptions` (``assumptions=``) or its fields as keyword
    arguments (``cac``, ``margin``, ``discount_rate`` per month, ``horizon`` in model time
    units, ``time_unit``, ``kpi_period``, ``inactivity``, ``holdout_start``); they are
    validated before the file is read.
    The output is written atomically; the input file and the template are never
    overwritten, and an output open in Excel (``~$`` lock file) stops the run with an
    :class:`InputError`.
    ``engine``: "auto" (DuckDB for a CSV or Parquet file of 64 MiB or more), "pandas",
    "duckdb" or "spark" (``spark_master``, or ``$CLTV_XL_SPARK_MASTER``); on an engine the
    full customer table goes to ``customers_parquet`` (default beside the output) and the
    workbook shows up to Excel's row limit of customers (:mod:`cltv_xl.report.engine_path`).
    """
    from ..loading import read_transactions
    from .build import transactions_table
    from .rows_ahead import start_rows
    from .template import load_template
    from .xlsx_writer import write_report

    say = progress or (lambda _msg: None)
    a = resolve_assumptions(assumptions, as_of=as_of, **kwargs)
    src_path = None if isinstance(source, (pd.DataFrame, Transactions)) else Path(source)
    template_path = Path(template) if template is not None else _bundled_template()
    out = check_output(output, src_path, template=template_path)
    if json_path is not None and not hasattr(json_path, "write"):
        check_json_output(json_path, out, src_path, template_path)
    from .engine_path import cap_customers, default_parquet, run_engine, wants_engine

    # Loaded before the data, so that a broken template fails before a long read.
    workbook = load_template(template)
    run = None
    engine_name = "pandas" if isinstance(source, Transactions) else wants_engine(source, engine)
    if isinstance(source, Transactions):
        tx = source
    elif engine_name != "pandas":
        parquet = Path(customers_parquet) if customers_parquet else default_parquet(out)
        same = [p for p in (out, src_path, template_path, json_path)
                if isinstance(p, (str, os.PathLike)) and same_file(parquet, p)]
        if same or (parquet.suffix.lower() != ".parquet" and engine_name == "duckdb"):
            raise InputError(f"--customers-parquet needs its own .parquet file name; got "
                             f"{parquet.name}")
        run = run_engine(source, engine_name, a, parquet=parquet, customer_col=customer_col,
                         date_col=date_col, amount_col=amount_col, master=spark_master,
                         say=say)
        tx, include_transactions = run.tx, False
    else:
        say("reading transactions")
        tx = read_transactions(source, sheet=sheet, customer_col=customer_col,
                               date_col=date_col, amount_col=amount_col,
                               quantity_col=quantity_col, price_col=price_col,
                               order_col=order_col, status_col=status_col, dayfirst=dayfirst,
                               as_of=a.as_of)
    # Excel's row limit, checked as soon as the row count is known (not after the models).
    check_transactions_fit(len(tx.data), include_transactions)
    release_freed_memory()  # the raw columns are gone: lower the base of the write's peak
    # The Transactions sheet's rows do not depend on the models: they are built and
    # compressed on the second core while the models fit (report.rows_ahead).
    table, ahead = None, {}
    if include_transactions:
        table = transactions_table(tx)
        started = start_rows(workbook, "Transactions", table)
        if started is not None:
            ahead["Transactions"] = started
    report = compute_report(tx, assumptions=a, include_transactions=include_transactions,
                            progress=say, result=None if run is None else run.result,
                            table=table)
    if run is not None:
        cap_customers(report, run)
    say("writing the workbook")
    release_freed_memory()
    write_report(report, out, template, loaded=workbook, ahead=ahead)
    if json_path is not None:
        write_json(report, json_path)
    return report
