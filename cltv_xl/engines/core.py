"""The engine front door: summarise a transaction log where it lives, fit on sufficient
statistics, score every customer into Parquet."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError
from ..loading.headers import ROLES, find_header
from ..summary import SUMMARY_COLUMNS
from ..timeunits import as_date, check_unit, unit_days
from ..transactions import REJECTED, empty_issues
from . import sql
from .scoring import Scorer, fit_purchase_model, fit_spend_model

#: Engine names accepted by ``engine=``; "auto" picks one with :func:`choose_engine`.
ENGINES = ("pandas", "duckdb", "spark")
#: Files at least this large (CSV or Parquet) go to DuckDB under ``engine="auto"``.
DUCKDB_MIN_BYTES = 64 * 2**20
#: Suffixes the engines read.
ENGINE_SUFFIXES = (".csv", ".parquet")
#: Rejected rows listed individually (all are counted).
MAX_LISTED = 10_000

_EPOCH = np.datetime64("1970-01-01", "D")


def choose_engine(source, engine: str | None = "auto", *, small_parquet: str = "duckdb",
                  min_bytes: int | None = None) -> str:
    """The engine for ``source``: ``engine`` itself unless "auto" (or None); under "auto",
    DuckDB for a Parquet folder and for a CSV or Parquet file of ``min_bytes`` (default
    :data:`DUCKDB_MIN_BYTES`) or more, pandas for sheets, DataFrames and small CSV files, and
    ``small_parquet`` for a smaller Parquet file: "duckdb" for the engine API (typed data, no
    cleaning to lose), "pandas" for the report (the full loader, with its doubtful-row checks
    and the Transactions sheet)."""
    name = "auto" if engine is None else str(engine).lower()
    if name != "auto":
        if name not in ENGINES:
            raise InputError(f"engine must be one of auto, {', '.join(ENGINES)}; got {engine!r}")
        return name
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if path.is_dir():
            return "duckdb"
        suffix = path.suffix.lower()
        if suffix in ENGINE_SUFFIXES and path.is_file():
            limit = DUCKDB_MIN_BYTES if min_bytes is None else min_bytes
            if path.stat().st_size >= limit:
                return "duckdb"
            return small_parquet if suffix == ".parquet" else "pandas"
    return "pandas"


def _backend(source, engine: str, spark, master):
    if engine == "duckdb":
        from .duck import DuckDBBackend

        return DuckDBBackend(source)
    if engine == "spark":
        from .spark import SparkBackend

        return SparkBackend(source, spark=spark, master=master)
    raise InputError(f"engine {engine!r} has no SQL backend; use rfm_summary for pandas")


def _day(ts: pd.Timestamp) -> int:
    return int((ts.to_datetime64().astype("datetime64[D]") - _EPOCH).astype(np.int64))


def summary_frame(table, *, sort: bool = True) -> pd.DataFrame:
    """An Arrow table of per-customer rows (``customer_id`` plus rfm_summary's columns, and
    any score columns) as a frame indexed by ``customer_id``: in rfm_summary's order, or in
    the engine's order with ``sort=False`` (for consumers that do not depend on it)."""
    import pyarrow.compute as pc

    if sort:
        # Arrow sorts strings by their UTF-8 bytes, i.e. by code point: Python's order, which
        # rfm_summary's sorted factorize uses.
        table = table.take(pc.sort_indices(table, [("customer_id", "ascending")]))
    kinds = {"frequency": np.int64, "orders": np.int64, "first_purchase": "datetime64[ns]",
             "last_purchase": "datetime64[ns]"}
    columns = {name: table.column(name).to_numpy().astype(kinds.get(name, np.float64),
                                                          copy=False)
               for name in table.column_names if name != "customer_id"}
    index = pd.Index(table.column("customer_id").to_numpy().astype(object, copy=False),
                     name="customer_id")
    return pd.DataFrame(columns, index=index)


@dataclass
class EngineSummary:
    """The summary stage of one source inside an engine (DuckDB or Spark).

    Attributes: ``engine``; ``time_unit``; ``as_of`` (end of the window); ``counts`` (``read``,
    ``used``, ``rejected``, ``blank`` = 0, ``doubtful`` = 0, and ``outside`` = used rows after
    a calibration end); ``issues`` (the rejected rows, as :attr:`Transactions.issues`, up to
    :data:`MAX_LISTED`; ``row`` is the CSV line or the Parquet record number, -1 on Spark,
    which cannot number the rows of a scan); ``column_map``.
    """

    engine: str
    backend: object = field(repr=False)
    time_unit: str
    as_of: pd.Timestamp
    end_day: int
    counts: dict[str, int]
    issues: pd.DataFrame
    column_map: dict[str, str]
    #: Rejected rows per reason (``reason``, ``rows``, ``amount``: sum of readable amounts).
    issue_counts: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: Absolute amounts of every row read with a readable amount (the amount shares' base).
    amount_base: float = 0.0

    # -------------------------------------------------------------- the per-customer table
    def query(self) -> str:
        """SQL of the per-customer table (rfm_summary's columns plus ``customer_id``)."""
        return sql.summary_query(self.backend.dialect, unit_days(self.time_unit), self.end_day)

    def to_pandas(self) -> pd.DataFrame:
        """The whole per-customer table as :func:`cltv_xl.summary.rfm_summary` returns it.
        Meant for logs whose customers fit in memory; see :meth:`score_to_parquet`."""
        out = summary_frame(self.backend.arrow(self.query()))[list(SUMMARY_COLUMNS)]
        out.attrs["time_unit"] = self.time_unit
        out.attrs["as_of"] = pd.Timestamp(self.as_of).date().isoformat()  # as rfm_summary
        out.attrs["engine"] = self.engine
        return out

    # -------------------------------------------------------------- sufficient statistics
    def purchase_stats(self) -> pd.DataFrame:
        """Distinct (frequency, recency_days, t_days) rows and their ``weight`` (customers)."""
        return self.backend.frame(sql.purchase_stats_query(self.end_day))

    def spend_stats(self) -> pd.DataFrame:
        """Distinct (frequency, monetary_value) rows of the repeat buyers with a positive mean
        spend, and their ``weight``."""
        return self.backend.frame(sql.SPEND_STATS)

    def fit(self, purchase_model=None, spend_model=None):
        """Fit a purchase model (default BG/NBD) and the Gamma-Gamma on the sufficient
        statistics; returns ``(purchase_model, spend_model)``."""
        bg = fit_purchase_model(self.purchase_stats(), self.time_unit, purchase_model)
        gg = fit_spend_model(self.spend_stats(), spend_model)
        return bg, gg

    # -------------------------------------------------------------- the workbook's aggregates
    def cohort_tables(self, *, max_cohorts: int | None = None, max_periods: int | None = None):
        """Monthly acquisition cohorts (:func:`cltv_xl.cohort_tables.cohorts` with period
        "M", same bounds), counted in the engine."""
        from ..cohort_tables import MAX_COHORT_PERIODS, MAX_COHORTS, cohort_tables_from_cells

        d = self.backend.dialect
        cells = self.backend.frame(sql.cohort_cells_query(d))
        sizes = self.backend.frame(sql.cohort_sizes_query(d))
        return cohort_tables_from_cells(
            sizes["cohort"].to_numpy(np.int64), sizes["size"].to_numpy(np.int64),
            cells["cohort"].to_numpy(np.int64), cells["age"].to_numpy(np.int64),
            cells["active"].to_numpy(np.float64), cells["revenue"].to_numpy(np.float64),
            "M", self.as_of,
            max_cohorts=MAX_COHORTS if max_cohorts is None else max_cohorts,
            max_periods=MAX_COHORT_PERIODS if max_periods is None else max_periods)

    def business(self, business: str = "auto"):
        """:func:`cltv_xl.business.decide_business` with the rule's counts taken in the
        engine (the gap sums of the regular monthly payers, grouped)."""
        from ..business import MIN_PAYMENTS, business_from_counts, decide_business, steady_gaps

        if str(business).strip().lower() != "auto":
            return decide_business(None, business)  # asked for: the rows are not looked at
        payers = self.backend.frame(sql.PAYERS)
        n = payers["n"].to_numpy(np.int64)
        weight = payers["weight"].to_numpy(np.int64)
        regular = self.backend.frame(sql.regular_payers_query(self.backend.dialect,
                                                              MIN_PAYMENTS))
        steady = steady_gaps(regular["n"].to_numpy(np.float64),
                             regular["s1"].to_numpy(np.float64),
                             regular["s2"].to_numpy(np.float64))
        return business_from_counts(int(weight.sum()), int(weight[n >= MIN_PAYMENTS].sum()),
                                    int(regular["weight"].to_numpy(np.int64)[steady].sum()))

    def subscription(self):
        """:func:`cltv_xl.business.fit_subscription` with its survival table and monthly
        ARPU counted in the engine (the sBG is fitted on the table, a few hundred cells)."""
        from ..business import last_survival_period, subscription_fit_from
        from ..cohort_tables import survival_from_runs

        d = self.backend.dialect
        runs = self.backend.frame(sql.subscription_runs_query(d))
        if len(runs) == 0:
            raise InputError("subscription_survival: there are no payments (amount > 0) by "
                             "as_of")
        n_all = int(self.backend.frame(
            "SELECT COUNT(*) AS n FROM cltv_all_customers")["n"].iloc[0])
        table = survival_from_runs(runs["first_month"].to_numpy(np.int64),
                                   runs["run"].to_numpy(np.int64),
                                   runs["came_back"].to_numpy(np.int64) > 0,
                                   runs["weight"].to_numpy(np.int64), n_all, "M", self.as_of)
        last = last_survival_period(table)
        paid_months = int(self.backend.frame(sql.paid_months_query(d, last))["n"].iloc[0])
        revenue = self.backend.frame(sql.revenue_until_query(d, last))["revenue"].iloc[0]
        return subscription_fit_from(table, paid_months,
                                     0.0 if pd.isna(revenue) else float(revenue))

    def refund_only(self) -> dict[str, float]:
        """Customers whose rows are all refunds, and their net amount (rfm_summary's
        ``attrs["refund_only"]``)."""
        row = self.backend.frame(sql.REFUND_ONLY)
        amount = row["amount"].iloc[0]
        return {"customers": int(row["customers"].iloc[0]),
                "amount": 0.0 if pd.isna(amount) else float(amount)}

    # -------------------------------------------------------------- scoring
    def score_to_parquet(self, output, purchase_model, spend_model, *, horizon: float,
                         horizon_unit: str = "M", discount_rate: float = 0.01,
                         margin: float = 1.0) -> int:
        """Write every customer's summary row plus ``expected_purchases``, ``p_alive``,
        ``expected_spend`` and ``clv`` (:func:`cltv_xl.models.predict_clv`) to Parquet
        (one file on DuckDB, a folder of part files on Spark); returns the number of rows."""
        scorer = Scorer(purchase_model, spend_model, self.time_unit, float(horizon),
                        check_unit(horizon_unit), float(discount_rate), float(margin))
        return self.backend.write_scores(self.query(), Path(output), scorer)

    def rejected_to_parquet(self, output) -> int:
        """Write every rejected row (row number, reason, raw values, readable amount) to
        Parquet ``output`` (a file on DuckDB, a folder on Spark); returns the rows written.
        :attr:`issues` lists only the first :data:`MAX_LISTED`."""
        d = self.backend.dialect
        return self.backend.write_query(sql.rejected_query(d, self.backend.first_row, None),
                                        Path(output))

    def close(self) -> None:
        self.backend.close()

    def __enter__(self) -> EngineSummary:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def open_summary(source, *, engine: str = "duckdb", time_unit: str = "W", as_of=None,
                 calibration_end=None, customer_col=None, date_col=None, amount_col=None,
                 spark=None, master: str | None = None) -> EngineSummary:
    """Type-check every row of ``source`` and define the per-customer summary in ``engine``.

    ``source`` is a .csv or .parquet path (a Parquet folder too), or a DataFrame; its columns
    are found by :func:`cltv_xl.loading.headers.find_header` (the loader's header names, or
    ``customer_col``/``date_col``/``amount_col``). Engines read typed data: ISO dates or date
    columns, plain numbers; any other row is rejected and listed with its reason. ``as_of``
    rejects later rows (as the loader does); ``calibration_end`` leaves them out of the window
    (as :func:`cltv_xl.summary.rfm_summary` does). Nothing is computed until asked for.
    """
    unit = check_unit(time_unit)
    name = choose_engine(source, engine)
    backend = _backend(source, name, spark, master)
    try:
        return _define(backend, name, unit, as_of, calibration_end,
                       {"customer": customer_col, "date": date_col, "amount": amount_col})
    except BaseException:
        backend.close()
        raise


def _define(backend, name: str, unit: str, as_of, calibration_end, overrides) -> EngineSummary:
    match = find_header([backend.columns], overrides, where="the source's columns")
    cols = {role: backend.columns[match.columns[role]] for role in ROLES}
    if len(set(cols.values())) != len(cols):
        raise InputError(f"customer, date and amount must be different columns; got {cols}")
    cal = as_date(calibration_end, "calibration_end")
    end = cal if cal is not None else as_date(as_of, "as_of")
    end_day = None if end is None else _day(end)
    d = backend.dialect
    backend.execute(sql.checked_view(d, cols["customer"], cols["date"], cols["amount"],
                                     end_day, reject_after_end=cal is None))
    counts_frame = backend.frame(sql.COUNTS)
    by_reason = {r: int(n) for r, n in zip(counts_frame["reason"], counts_frame["n"], strict=True)
                 if r is not None and r == r}
    used_rows = counts_frame[counts_frame["reason"].isna()]
    rejected_rows = counts_frame[counts_frame["reason"].notna()]
    issue_counts = pd.DataFrame({
        "reason": rejected_rows["reason"].astype(object).to_numpy(),
        "rows": rejected_rows["n"].to_numpy(np.int64),
        "amount": pd.to_numeric(rejected_rows["amount"]).fillna(0.0).to_numpy(np.float64)})
    amount_base = float(pd.to_numeric(counts_frame["abs_amount"]).fillna(0.0).sum())
    used = int(used_rows["n"].sum())
    if used == 0:
        why = "; ".join(f"{n:,} {r}" for r, n in by_reason.items()) or "it has no rows"
        raise InputError(f"no usable transactions in the source ({why})")
    last = pd.Timestamp(used_rows["last_date"].iloc[0]).normalize()
    if end is None:
        end, end_day = last, _day(last)
    outside = 0
    if cal is not None and last > end:
        outside = int(backend.frame(
            f"SELECT COUNT(*) AS n FROM cltv_rows WHERE reason IS NULL AND "
            f"{d.day('date')} > {end_day}")["n"].iloc[0])
        if outside == used:
            raise InputError(f"no transactions on or before {end.date()}")
    backend.execute(sql.summary_views(d, end_day))
    rejected = sum(by_reason.values())
    counts = {"read": used + rejected, "used": used, "rejected": rejected, "blank": 0,
              "doubtful": 0, "outside": outside}
    issues = _issues(backend, cols, rejected)
    column_map = {"customer_id": cols["customer"], "date": cols["date"],
                  "amount": cols["amount"]}
    return EngineSummary(name, backend, unit, end, end_day, counts, issues, column_map,
                         issue_counts, amount_base)


def _issues(backend, cols: dict[str, str], rejected: int) -> pd.DataFrame:
    if rejected == 0:
        return empty_issues()
    rows = backend.frame(sql.rejected_query(backend.dialect, backend.first_row, MAX_LISTED))
    column_of = {sql.NO_ID: ("customer", "raw_id"), sql.BAD_DATE: ("date", "raw_date"),
                 sql.BAD_AMOUNT: ("amount", "raw_amount"), sql.AFTER_END: ("date", "raw_date")}
    role = [column_of[r] for r in rows["reason"]]
    out = pd.DataFrame({
        "row": pd.to_numeric(rows["row"]).fillna(-1).to_numpy(dtype=np.int64),
        "column": [cols[r] for r, _ in role],
        "value": ["" if pd.isna(rec[raw]) else str(rec[raw])
                  for rec, (_, raw) in zip(rows.to_dict("records"), role, strict=True)],
        "reason": rows["reason"].astype(object).to_numpy(),
        "severity": REJECTED,
        "amount": pd.to_numeric(rows["amount"]).to_numpy(np.float64),
    })
    return out


def summarise(source, *, engine: str = "auto", time_unit: str = "W", as_of=None,
              calibration_end=None, customer_col=None, date_col=None, amount_col=None,
              spark=None, master: str | None = None) -> pd.DataFrame:
    """The per-customer summary of ``source`` (rfm_summary's frame) computed by ``engine``.

    ``engine="pandas"`` (or "auto" choosing it) reads with :func:`cltv_xl.read_transactions`
    and runs :func:`cltv_xl.summary.rfm_summary`; "duckdb" and "spark" run
    :mod:`cltv_xl.engines.sql`. ``attrs`` carry ``time_unit``, ``as_of``, ``engine`` and,
    for the SQL engines, ``counts`` and ``issues``.
    """
    name = choose_engine(source, engine)
    if name == "pandas":
        from ..loading import read_transactions
        from ..summary import rfm_summary

        tx = read_transactions(source, customer_col=customer_col, date_col=date_col,
                               amount_col=amount_col, as_of=None if calibration_end else as_of)
        out = rfm_summary(tx, as_of=as_of, calibration_end=calibration_end, time_unit=time_unit)
        out.attrs.update(engine="pandas", counts=dict(tx.counts), issues=tx.issues)
        return out
    with open_summary(source, engine=name, time_unit=time_unit, as_of=as_of,
                      calibration_end=calibration_end, customer_col=customer_col,
                      date_col=date_col, amount_col=amount_col, spark=spark,
                      master=master) as es:
        out = es.to_pandas()
        out.attrs.update(counts=dict(es.counts), issues=es.issues)
        return out


@dataclass
class ScoreResult:
    """What :func:`score_to_parquet` did: the output path, customers written, fitted models,
    counts and issues of the input, and the end of the window."""

    output: Path
    customers: int
    purchase_model: object
    spend_model: object
    counts: dict[str, int]
    issues: pd.DataFrame
    as_of: pd.Timestamp


def score_to_parquet(source, output, *, engine: str = "duckdb", time_unit: str = "W",
                     as_of=None, calibration_end=None, horizon: float = 12,
                     horizon_unit: str = "M", discount_rate: float = 0.01, margin: float = 1.0,
                     customer_col=None, date_col=None, amount_col=None, spark=None,
                     master: str | None = None) -> ScoreResult:
    """Summarise ``source`` in ``engine``, fit BG/NBD + Gamma-Gamma on the sufficient
    statistics, and write every customer's summary and prediction to Parquet ``output``.

    ``horizon`` is in ``horizon_unit`` and ``discount_rate`` per ``horizon_unit`` (as in
    :func:`cltv_xl.models.predict_clv`). The output never replaces the input.
    """
    if isinstance(source, (str, os.PathLike)) and Path(source).resolve() == Path(output).resolve():
        raise InputError("the output must not be the input file")
    name = choose_engine(source, engine)
    if name == "pandas":
        name = "duckdb"  # scoring to Parquet always runs in an engine
    with open_summary(source, engine=name, time_unit=time_unit, as_of=as_of,
                      calibration_end=calibration_end, customer_col=customer_col,
                      date_col=date_col, amount_col=amount_col, spark=spark,
                      master=master) as es:
        bg, gg = es.fit()
        n = es.score_to_parquet(output, bg, gg, horizon=horizon, horizon_unit=horizon_unit,
                                discount_rate=discount_rate, margin=margin)
        return ScoreResult(Path(output), n, bg, gg, dict(es.counts), es.issues, es.as_of)
