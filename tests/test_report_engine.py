"""``cltv-xl report --engine duckdb``: the engine reads, summarises, fits on the sufficient
statistics and scores every customer into Parquet; the workbook is the pipeline's Report with
the engine's models, and says where every customer is."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from cltv_xl.cli import main
from cltv_xl.report import build_report, limits
from cltv_xl.report.engine_path import CUSTOMERS_HEADER_ROW
from cltv_xl.report.model import FORMULA_NAMES
from cltv_xl.report.template import default_template

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from generate import transactions  # the benchmarks' BG/NBD-like log


@pytest.fixture(scope="module")
def log_csv(tmp_path_factory):
    path = tmp_path_factory.mktemp("engine") / "orders.csv"
    transactions(20_000, seed=11).to_csv(path, index=False, date_format="%Y-%m-%d")
    return path


@pytest.fixture(scope="module")
def both(log_csv, tmp_path_factory):
    out = tmp_path_factory.mktemp("reports")
    # The engine path fits the BG/NBD on sufficient statistics: compare with the same model.
    pandas_rep = build_report(log_csv, out / "pandas.xlsx", engine="pandas", model="bgnbd")
    duck_rep = build_report(log_csv, out / "duck.xlsx", engine="duckdb", model="bgnbd")
    return out, pandas_rep, duck_rep


def test_template_customers_header_row():
    ws = load_workbook(default_template())["Customers"]
    ref = ws.tables["Customers"].ref
    assert int("".join(ch for ch in ref.split(":")[0] if ch.isdigit())) == CUSTOMERS_HEADER_ROW


def test_engine_report_matches_pandas(both):
    _out, p, d = both
    # the engines do not flag doubtful rows (the pandas loader's checks); the rest agree
    assert {k: v for k, v in d.counts.items() if k != "doubtful"} == {
        k: v for k, v in p.counts.items() if k != "doubtful"}
    # the engine fits on weighted distinct rows, pandas on every customer: the same optimum
    for model, names in (("bgnbd", ("r", "alpha", "a", "b")), ("gamma_gamma", ("p", "q", "v"))):
        for name in names:
            assert d.models[model][name] == pytest.approx(p.models[model][name], rel=1e-5)
    model_free = ("customers", "revenue", "arpu", "churn_rate", "lifetime", "cltv")
    for key, value in p.kpis.items():
        if isinstance(value, float) and np.isfinite(value):
            rel = 1e-9 if key in model_free else 1e-5
            assert d.kpis[key] == pytest.approx(value, rel=rel, abs=1e-9), key
    pc = p.customers.set_index("Customer ID").sort_index()
    dc = d.customers.set_index("Customer ID").sort_index()
    assert list(pc.index) == list(dc.index)
    np.testing.assert_allclose(dc["Predicted CLV"], pc["Predicted CLV"], rtol=1e-4)
    for col in ("Frequency", "Recency", "T", "Revenue", "Orders"):
        np.testing.assert_allclose(dc[col], pc[col], rtol=1e-12)


def test_parquet_holds_the_workbooks_predictions(both):
    out, _p, d = both
    parquet = pd.read_parquet(out / "duck-customers.parquet").set_index("customer_id")
    assert len(parquet) == len(d.customers) == d.extras["engine"]["parquet_rows"]
    dc = d.customers.set_index("Customer ID")
    np.testing.assert_allclose(parquet.loc[dc.index, "clv"], dc["Predicted CLV"], rtol=1e-9)
    np.testing.assert_allclose(parquet.loc[dc.index, "p_alive"], dc["P(alive)"], rtol=1e-9)
    assert d.extras["engine"]["customers_in_workbook"] == len(d.customers)
    assert "Transactions sheet is left out" in d.table_notes["Customers"]


def test_capped_customers_keep_kpis_of_all(log_csv, tmp_path, monkeypatch):
    monkeypatch.setattr(limits, "EXCEL_MAX_ROWS", CUSTOMERS_HEADER_ROW + 50)
    js = tmp_path / "r.json"
    code = main(["report", str(log_csv), "-o", str(tmp_path / "r.xlsx"), "--engine", "duckdb",
                 "--json", str(js), "--customers-parquet", str(tmp_path / "all.parquet"),
                 "--quiet"])
    assert code in (0, 3)
    summary = json.loads(js.read_text())
    note = summary["notes"]["Customers"]
    assert "top 50 of" in note and "all.parquet" in note
    assert note in summary["warnings"]
    every = pd.read_parquet(tmp_path / "all.parquet")
    wb = load_workbook(tmp_path / "r.xlsx")
    ws = wb["Customers"]
    assert ws.tables["Customers"].ref.endswith(str(CUSTOMERS_HEADER_ROW + 50))
    shown = [ws.cell(row=r, column=1).value for r in range(CUSTOMERS_HEADER_ROW + 1,
                                                            CUSTOMERS_HEADER_ROW + 51)]
    top = every.sort_values("clv", ascending=False)["customer_id"].head(50)
    assert set(shown) == set(top)
    # KPI tiles are values over every customer, not formulas over the 50 rows shown
    dash = wb["Dashboard"]
    for name in FORMULA_NAMES:
        for sheet, coord in wb.defined_names[name].destinations:
            value = wb[sheet][coord.replace("$", "")].value
            assert not (isinstance(value, str) and value.startswith("=")), name
    kpi = wb.defined_names["KPI_CUSTOMERS"].destinations
    sheet, coord = next(iter(kpi))
    assert wb[sheet][coord.replace("$", "")].value == len(every) == summary["kpis"]["customers"]
    assert "top 50" in wb[sheet][coord.replace("$", "")].comment.text
    assert dash is wb[sheet]


def test_parquet_name_must_be_its_own(log_csv, tmp_path, capsys):
    code = main(["report", str(log_csv), "-o", str(tmp_path / "r.xlsx"), "--engine", "duckdb",
                 "--customers-parquet", str(log_csv)])
    assert code != 0
    assert "own .parquet file name" in capsys.readouterr().err


def test_auto_picks_duckdb_for_big_files_only(log_csv, tmp_path, monkeypatch):
    from cltv_xl.report import engine_path

    assert engine_path.wants_engine(log_csv, "auto") == "pandas"
    assert engine_path.wants_engine(log_csv, None) == "pandas"
    assert engine_path.wants_engine(pd.DataFrame(), "auto") == "pandas"
    assert engine_path.wants_engine(log_csv, "duckdb") == "duckdb"
    assert engine_path.wants_engine(tmp_path, "auto") == "duckdb"  # a Parquet folder
    monkeypatch.setattr(engine_path, "DUCKDB_MIN_BYTES", 1000)
    assert engine_path.wants_engine(log_csv, "auto") == "duckdb"


def assert_same_workbook_aggregates(d, p, *, rel=1e-9, clv_rel=1e-4) -> None:
    """Every whole-log aggregate of the engine report ``d`` equals the pandas report ``p``
    (to ``rel``; the model-based predicted CLV to ``clv_rel``: the engine fits on weighted
    distinct rows, pandas on every customer, and the optimiser stops within its tolerance)."""
    for name in ("cohort_retention", "cohort_revenue", "retention_curve"):
        a, b = getattr(d, name), getattr(p, name)
        assert list(a.columns) == list(b.columns), name
        for col in a.columns:
            if not pd.api.types.is_numeric_dtype(a[col]):
                assert a[col].tolist() == b[col].tolist(), (name, col)
            else:
                np.testing.assert_allclose(a[col].to_numpy(float), b[col].to_numpy(float),
                                           rtol=rel, atol=1e-9, equal_nan=True,
                                           err_msg=f"{name} {col}")
    assert d.extras["cohorts"] == p.extras["cohorts"]
    assert d.extras["retention"]["business"] == p.extras["retention"]["business"]
    assert d.extras["data"]["refund_only"]["customers"] == p.extras["data"]["refund_only"][
        "customers"]
    assert d.extras["data"]["refund_only"]["amount"] == pytest.approx(
        p.extras["data"]["refund_only"]["amount"], abs=1e-9)
    sd, sp = d.segments.set_index("Segment"), p.segments.set_index("Segment")
    assert list(sd.index) == list(sp.index)
    assert (sd["Customers"] == sp["Customers"]).all()
    np.testing.assert_allclose(sd["Revenue"], sp["Revenue"], rtol=rel)
    np.testing.assert_allclose(sd["Predicted CLV"], sp["Predicted CLV"], rtol=clv_rel)


def test_engine_report_aggregates_match_pandas(both):
    _out, p, d = both
    assert_same_workbook_aggregates(d, p)


@pytest.fixture(scope="module")
def messy_both(tmp_path_factory):
    """A log with refunds, a refund-only customer, several orders a day and bad rows."""
    from engine_data import messy_log

    frame = messy_log(600, seed=8).astype({"amount": object, "date": object})
    frame["date"] = [pd.Timestamp(v).date().isoformat() for v in frame["date"]]
    frame.loc[3, "date"] = "31/02/2023"  # no such day: rejected by both
    frame.loc[8, "amount"] = "n/a"
    frame.loc[12, "customer_id"] = ""
    out = tmp_path_factory.mktemp("messy")
    path = out / "messy.csv"
    frame.to_csv(path, index=False)
    pandas_rep = build_report(path, out / "pandas.xlsx", engine="pandas", model="bgnbd")
    duck_rep = build_report(path, out / "duck.xlsx", engine="duckdb", model="bgnbd")
    return pandas_rep, duck_rep


def test_messy_log_engine_report_matches_pandas(messy_both):
    p, d = messy_both
    assert d.counts["rejected"] == p.counts["rejected"] == 3
    assert d.counts["used"] == p.counts["used"]
    assert sorted(d.issues["Row"]) == sorted(p.issues.loc[p.issues["Severity"] == "rejected",
                                                          "Row"])
    assert d.issue_summary["rows"].sum() == 3
    assert_same_workbook_aggregates(d, p)
    for key in ("customers", "revenue", "arpu", "churn_rate", "lifetime", "churned"):
        assert d.kpis[key] == pytest.approx(p.kpis[key], rel=1e-9), key


def test_rejected_rows_beyond_the_sheet_go_to_parquet(tmp_path, monkeypatch):
    from engine_data import messy_log

    from cltv_xl.engines import core

    frame = messy_log(200, seed=2).astype({"date": object})
    frame["date"] = [pd.Timestamp(v).date().isoformat() for v in frame["date"]]
    frame.loc[5:24, "date"] = "someday"  # 20 rejected rows
    path = tmp_path / "log.csv"
    frame.to_csv(path, index=False)
    monkeypatch.setattr(core, "MAX_LISTED", 6)
    rep = build_report(path, tmp_path / "r.xlsx", engine="duckdb", model="bgnbd")
    assert len(rep.issues) == 6 and rep.counts["rejected"] == 20
    assert rep.issue_summary["rows"].sum() == 20
    every = pd.read_parquet(tmp_path / "r-rejected.parquet")
    assert sorted(every["row"]) == list(range(7, 27))  # CSV lines: header is line 1
    assert (every["raw_date"] == "someday").all()
    note = rep.table_notes["DataIssues"]
    assert "lists the first 6" in note and "r-rejected.parquet" in note
    assert any("r-rejected.parquet" in w for w in rep.extras["warnings"])


def test_subscription_log_engine_report_matches_pandas(tmp_path):
    """The sBG's survival table and ARPU counted in SQL: the Retention sheet's figures equal
    the pandas report's."""
    from test_engine_aggregates import subscription_log

    frame = subscription_log()
    frame["date"] = frame["date"].dt.strftime("%Y-%m-%d")
    path = tmp_path / "invoices.csv"
    frame.to_csv(path, index=False)
    p = build_report(path, tmp_path / "p.xlsx", engine="pandas", model="bgnbd")
    d = build_report(path, tmp_path / "d.xlsx", engine="duckdb", model="bgnbd")
    assert d.extras["retention"]["business"]["kind"] == "subscription"
    # BG/NBD on monthly invoices is nearly flat in a and b: the two fits stop 1.6e-4 apart
    assert_same_workbook_aggregates(d, p, clv_rel=1e-3)
    sd, sp = d.extras["retention"]["sbg"], p.extras["retention"]["sbg"]
    assert sd.keys() == sp.keys()
    for key, value in sp.items():
        if isinstance(value, float):
            assert sd[key] == pytest.approx(value, rel=1e-9, nan_ok=True), key
        elif not isinstance(value, dict):
            assert sd[key] == value, key
    for name, value in p.retention_cells.items():
        if isinstance(value, float):
            assert d.retention_cells[name] == pytest.approx(value, rel=1e-9, nan_ok=True), name
        else:
            assert d.retention_cells[name] == value, name


def test_ids_longer_than_a_cell_are_listed_as_on_the_pandas_path(tmp_path):
    from engine_data import messy_log

    frame = messy_log(80, seed=9)
    frame["date"] = frame["date"].dt.strftime("%Y-%m-%d")
    long_id = "L" * 40_000
    frame.loc[[4, 9], "customer_id"] = long_id
    path = tmp_path / "long.csv"
    frame.to_csv(path, index=False)
    p = build_report(path, tmp_path / "p.xlsx", engine="pandas", model="bgnbd")
    d = build_report(path, tmp_path / "d.xlsx", engine="duckdb", model="bgnbd")
    assert d.counts["doubtful"] == 2  # the engines flag no other doubtful rows (refunds)

    def long_ids(rep):
        rows = rep.issues[rep.issues["Reason"].str.startswith("customer id of 40,000")]
        return rows[["Row", "Column", "Reason", "Severity"]].reset_index(drop=True)

    dd, pp = long_ids(d), long_ids(p)
    assert dd["Row"].tolist() == pp["Row"].tolist() == [6, 11]  # CSV lines
    assert dd["Reason"].tolist() == pp["Reason"].tolist()
