"""compute_report and the offline writer (openpyxl read-back; LibreOffice is in
test_report_libreoffice.py)."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import openpyxl
import pandas as pd
import pytest

from cltv_xl import metrics
from cltv_xl.datasets import load_cdnow
from cltv_xl.errors import InputError
from cltv_xl.models.selection import MODELS
from cltv_xl.report import build_report, compute_report, write_json
from cltv_xl.report.model import (
    FORMULA_NAMES,
    KPI_KEYS,
    REQUIRED_NAMES,
    REQUIRED_TABLES,
    TABLE_COLUMNS,
    VARIABLE_COLUMN_TABLES,
)
from cltv_xl.report.xlsx_writer import write_report
from cltv_xl.summary import rfm_summary
from cltv_xl.transactions import Transactions

OWASP = ['=HYPERLINK("http://evil","x")', "=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(1+1)",
         "#N/A", "a\x01b <&> ", "\tTAB", "\rCR"]


def _cell(wb, name: str):
    sheet, coord = next(iter(wb.defined_names[name].destinations))
    return wb[sheet][coord.replace("$", "")]


def _table(wb, tname: str) -> pd.DataFrame:
    for ws in wb.worksheets:
        if tname in ws.tables:
            rows = list(ws[ws.tables[tname].ref])
            head = [c.value for c in rows[0]]
            return pd.DataFrame([[c.value for c in r] for r in rows[1:]], columns=head)
    raise KeyError(tname)


@pytest.fixture(scope="module")
def cdnow_tx() -> Transactions:
    frame = load_cdnow()[["customer_id", "date", "amount"]]
    extra = pd.DataFrame({"customer_id": OWASP, "date": pd.Timestamp("1997-03-01"),
                          "amount": 10.0})
    return Transactions.from_frame(pd.concat([frame, extra], ignore_index=True))


@pytest.fixture(scope="module")
def report(cdnow_tx):
    return compute_report(cdnow_tx, cac=30.0, margin=0.25, discount_rate=0.01, horizon=52)


@pytest.fixture(scope="module")
def written(report, tmp_path_factory):
    path = tmp_path_factory.mktemp("rep") / "report.xlsx"
    write_report(report, path)
    return path


def test_kpis_come_from_metrics(report, cdnow_tx):
    summary = rfm_summary(cdnow_tx, time_unit="W")
    kp = metrics.period_kpis(summary, inactivity=3, period="M")
    k = report.kpis
    assert k["customers"] == kp.customers == 2357 + len(OWASP)
    assert k["revenue"] == pytest.approx(kp.revenue)
    assert k["arpu"] == kp.arpu and k["churn_rate"] == kp.churn_rate
    assert k["lifetime"] == kp.lifetime
    assert k["cltv"] == pytest.approx(kp.arpu * 0.25 * kp.lifetime - 30.0)
    assert k["ltv_cac"] == pytest.approx(kp.arpu * 0.25 * kp.lifetime / 30.0)
    c = report.customers
    assert k["predicted_clv"] == pytest.approx(c["Predicted CLV"].sum())
    assert k["share_alive"] == pytest.approx(c["P(alive)"].mean())
    # The Customers columns the KPI formulas sum reproduce the Python KPIs.
    assert c["Exposure"].sum() == pytest.approx(kp.exposure)
    assert c["Churned"].sum() == kp.churned


def test_models_and_tables(report, cdnow_tx):
    chosen = report.models["chosen"]
    fitted = MODELS[chosen]().fit_summary(rfm_summary(cdnow_tx, time_unit="W"))
    for k, v in fitted.params_.items():
        assert report.models[chosen][k] == pytest.approx(v, rel=1e-12)
    assert set(report.models["gamma_gamma"]) >= {"p", "q", "v"}
    tables = report.tables()
    assert set(tables) == set(REQUIRED_TABLES)
    for name, frame in tables.items():
        if name in VARIABLE_COLUMN_TABLES:
            assert list(frame.columns[:2]) == ["Cohort", "Customers"]
        else:
            assert tuple(frame.columns) == TABLE_COLUMNS[name], name
    clv = report.customers["Predicted CLV"].to_numpy()
    assert (np.diff(clv) <= 0).all(), "customers sorted by predicted CLV, highest first"
    assert report.segments["Customers"].sum() == len(report.customers)
    assert report.clv_bins["Customers"].sum() == len(report.customers)
    assert set(report.cells()) == set(REQUIRED_NAMES)


def test_bad_assumptions_name_the_argument(cdnow_tx):
    with pytest.raises(InputError, match="margin"):
        compute_report(cdnow_tx, margin=1.5)
    with pytest.raises(InputError, match="time_unit"):
        compute_report(cdnow_tx, time_unit="fortnight")
    with pytest.raises(InputError, match="cac"):
        compute_report(cdnow_tx, cac=-1)
    with pytest.raises(InputError, match="palive_guard"):
        compute_report(cdnow_tx, palive_guard=1.5)
    with pytest.raises(InputError, match="currency"):
        compute_report(cdnow_tx, currency="=HYPERLINK(1)")


def test_workbook_reads_back(report, written):
    wb = openpyxl.load_workbook(written)
    customers = _table(wb, "Customers")
    assert len(customers) == len(report.customers)
    # Characters XML 1.0 cannot hold are dropped (documented); everything else is kept.
    expected_ids = [i.replace("\x01", "") for i in report.customers["Customer ID"]]
    assert customers["Customer ID"].tolist() == expected_ids
    assert np.allclose(customers["Predicted CLV"].astype(float),
                       report.customers["Predicted CLV"])
    assert customers["First purchase"].iloc[0] == report.customers["First purchase"].iloc[0]
    tx = _table(wb, "Transactions")
    assert len(tx) == len(report.transactions)
    assert tx["Amount"].astype(float).sum() == pytest.approx(report.transactions["Amount"].sum())
    for name in REQUIRED_NAMES:
        cell = _cell(wb, name)
        if name in FORMULA_NAMES:
            assert cell.data_type == "f", name
    assert _cell(wb, "ASSUME_CAC").value == 30.0
    assert _cell(wb, "COUNT_READ").value == report.counts["read"]
    assert wb.calculation.fullCalcOnLoad
    # Cached values for previewers that do not calculate.
    values = openpyxl.load_workbook(written, data_only=True)
    for name, key in KPI_KEYS.items():
        assert _cell(values, name).value == pytest.approx(report.kpis[key]), name


def test_payloads_are_text(written):
    wb = openpyxl.load_workbook(written)
    for sheet, first in (("Customers", 5), ("Transactions", 2)):
        cells = {c.value: c for (c,) in wb[sheet].iter_rows(min_row=first, max_col=1)}
        for payload in OWASP:
            clean = payload.replace("\x01", "")
            assert clean in cells, (sheet, payload)
            assert cells[clean].data_type == "s"
            assert cells[clean].quotePrefix, (sheet, payload)


def test_holdout_chart_only_with_holdout(cdnow_tx, written, tmp_path):
    wb = openpyxl.load_workbook(written)
    assert len(wb["Model"]._charts) == 0
    assert len(wb["Dashboard"]._charts) == 3
    with_holdout = compute_report(cdnow_tx, holdout_start="1997-10-01")
    assert len(with_holdout.tracking) > 10
    path = write_report(with_holdout, tmp_path / "h.xlsx")
    wb = openpyxl.load_workbook(path)
    assert len(wb["Model"]._charts) == 1
    track = _table(wb, "Tracking")
    assert len(track) == len(with_holdout.tracking)
    ref = wb["Model"]._charts[0].series[0].val.numRef.f
    header = int(wb["Model"].tables["Tracking"].ref.split(":")[0][1:])
    assert ref.endswith(f"${header + len(track)}")


def test_cohort_tables_grow_and_keep_colour_scale(report, written):
    wb = openpyxl.load_workbook(written)
    ws = wb["Cohorts"]
    frame = report.cohort_retention
    assert ws.tables["CohortRetention"].ref.endswith(f"{4 + len(frame)}")
    headers = [c.value for c in next(ws.iter_rows(min_row=4, max_row=4))][: frame.shape[1]]
    assert headers == list(frame.columns)
    ranges = [str(cf.sqref) for cf in ws.conditional_formatting]
    assert any(r.startswith("C5:") for r in ranges)


def test_valid_package(written):
    with zipfile.ZipFile(written) as z:
        assert z.testzip() is None
        sheet = [n for n in z.namelist() if n.startswith("xl/worksheets/sheet")]
        assert sheet


def test_nothing_lost(tmp_path):
    from cltv_xl.report.demo import write_demo_orders

    orders = write_demo_orders(tmp_path / "orders.xlsx")
    out = tmp_path / "r.xlsx"
    rep = build_report(orders, out, json_path=tmp_path / "s.json")
    c = rep.counts
    assert c["read"] == c["used"] + c["rejected"]
    assert c["rejected"] == 3 and c["blank"] >= 1 and c["doubtful"] >= 1
    src = openpyxl.load_workbook(orders, read_only=True)["Orders"]
    nonblank = [i for i, row in enumerate(src.iter_rows(values_only=True), start=1)
                if i > 3 and any(v not in (None, "") for v in row)]
    used_rows = set(rep.transactions["Source row"])
    rejected_rows = set(rep.issues.loc[rep.issues["Severity"] == "rejected", "Row"])
    assert used_rows | rejected_rows == set(nonblank)
    assert not used_rows & rejected_rows
    summary = json.loads((tmp_path / "s.json").read_text())
    wb = openpyxl.load_workbook(out)
    for key in ("read", "used", "rejected", "blank", "doubtful"):
        assert summary["rows"][key] == c[key] == _cell(wb, f"COUNT_{key.upper()}").value
    assert len(_table(wb, "DataIssues")) == len(rep.issues)
    by_reason = summary["issues_by_reason"]  # counts by reason; the sheet lists every row
    assert sum(i["rows"] for i in by_reason) == len(
        rep.issues.drop_duplicates(["Reason", "Severity", "Row"]))


def test_json_schema(report, tmp_path):
    data = json.loads(write_json(report, tmp_path / "s.json").read_text())
    assert set(data) >= {"rows", "kpis", "models", "assumptions", "issues_by_reason",
                         "column_map", "data"}
    assert set(data["kpis"]) >= {v for v in KPI_KEYS.values()}
    assert data["models"]["time_unit"] == "W"
    chosen = data["models"]["chosen"]
    assert set(data["models"][chosen]) >= {"log_likelihood", "converged", "standard_errors",
                                           "poorly_identified", "warnings", "name"}
    assert set(data["models"]["gamma_gamma"]) >= {"p", "q", "v"}
    assert data["assumptions"]["cac"] == 30.0


def test_no_transactions_sheet(cdnow_tx, tmp_path):
    rep = compute_report(cdnow_tx, include_transactions=False)
    path = write_report(rep, tmp_path / "n.xlsx")
    wb = openpyxl.load_workbook(path)
    assert wb["Transactions"].tables["Transactions"].ref == "A1:D2"
    assert wb["Transactions"]["A2"].value is None


def test_too_many_rows_for_a_sheet_is_a_clear_error(report, tmp_path, monkeypatch):
    monkeypatch.setattr("cltv_xl.report.limits.EXCEL_MAX_ROWS", 3000)
    with pytest.raises(InputError, match="no-transactions"):
        write_report(report, tmp_path / "big.xlsx")
    assert not (tmp_path / "big.xlsx").exists()


def test_no_champion_or_loyal_customer_is_churned_or_unlikely_alive(report):
    """CDNOW: the relative R/F/M scores alone made 179 churned "Champions" (issue 13)."""
    from cltv_xl.segments import PALIVE_GUARD

    c = report.customers
    best = c[c["Segment"].isin(["Champions", "Loyal"])]
    assert len(best) > 100
    assert best["Churned"].sum() == 0
    assert (best["P(alive)"] >= PALIVE_GUARD).all()
    assert report.assumptions.palive_guard == PALIVE_GUARD
    # The guards only move customers down: the churned ones sit in At risk, Hibernating, Lost.
    assert set(c.loc[c["Churned"] == 1, "Segment"]) <= {"At risk", "Hibernating", "Lost"}


def test_holdout_facts_and_hidden_section(cdnow_tx, written, tmp_path):
    """The holdout check: actual repeat purchases counted by hand from the orders, the
    calibration fit on the Model sheet, and the section hidden without a holdout."""
    start = pd.Timestamp("1997-10-01")
    rep = compute_report(cdnow_tx, holdout_start=start)
    facts = rep.extras["holdout"]
    # By hand: purchase days after the holdout start of customers first seen up to it.
    days = cdnow_tx.data.assign(day=cdnow_tx.data["date"].dt.normalize())
    days = days.drop_duplicates(["customer_id", "day"])
    first = days.groupby("customer_id")["day"].transform("min")
    later = days[(first <= start) & (days["day"] > start)]
    assert facts["actual"] == len(later)
    hold = rep.tracking[rep.tracking["Holdout period"].notna()]
    assert facts["mae"] == pytest.approx(
        (hold["Actual purchases"] - hold["Expected purchases"]).abs().mean())
    assert 0.8 < facts["expected"] / facts["actual"] < 1.2
    assert facts["error"] == pytest.approx(facts["expected"] / facts["actual"] - 1)
    cal = rep.models[rep.models["chosen"]]["name"]
    assert set(facts["calibration"]) == set(MODELS[rep.models["chosen"]].param_names)
    path = write_report(rep, tmp_path / "h.xlsx")
    wb = openpyxl.load_workbook(path)
    params = _table(wb, "ModelParams")  # the calibration fit: rows of the parameter table
    rows = params[params["Model"] == f"{cal} up to 1997-10-01"].set_index("Parameter")
    for k, v in facts["calibration"].items():
        assert rows.loc[k, "Estimate"] == pytest.approx(v)
    assert _cell(wb, "MODEL_HOLDOUT_ACTUAL").value == len(later)
    first = int(wb.defined_names["HOLDOUT_BLOCK"].attr_text.split("$")[2].rstrip(":"))
    assert not wb["Model"].row_dimensions[first].hidden
    plain = openpyxl.load_workbook(written)  # no holdout: the section is hidden, a note stays
    assert plain["Model"].row_dimensions[first].hidden
    assert _cell(plain, "MODEL_HOLDOUT_ACTUAL").value is None
