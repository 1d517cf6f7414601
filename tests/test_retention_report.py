"""Issue 14: subscription businesses in the report (the Retention sheet).

The decision (``business``: subscription, transactional or the auto rule), the sBG fitted once
by the pipeline on the monthly cohort survival table, and the Retention sheet's figures:
checked against ``SBG().fit`` on :func:`subscription_survival`, against the closed forms of
Fader & Hardie (2007, 2010) (``sbg_derl``, (alpha + beta - 1) / (alpha - 1), 1 / churn from
hand-counted renewals), and, in LibreOffice, every live formula against Python's values,
before and after new margin, CAC, discount-rate and lever inputs.
"""

from __future__ import annotations

import io

import numpy as np
import openpyxl
import pandas as pd
import pytest
from lo import recalculate

from cltv_xl import pipeline
from cltv_xl.assumptions import Assumptions
from cltv_xl.business import decide_business, detect_business
from cltv_xl.cli import main as cli_main
from cltv_xl.cohort_tables import subscription_survival
from cltv_xl.datasets import load_cdnow, subscription_invoices
from cltv_xl.errors import InputError
from cltv_xl.models import SBG
from cltv_xl.models.sbg import sbg_derl
from cltv_xl.report import compute_report
from cltv_xl.report.retention import (
    INFINITE,
    RETENTION_FORMULA_NAMES,
    RETENTION_VALUE_NAMES,
    figures,
)
from cltv_xl.report.xlsx_writer import write_report
from cltv_xl.transactions import Transactions

REL = 1e-9


def _invoices(**kwargs) -> tuple[Transactions, pd.Timestamp]:
    frame = subscription_invoices(**kwargs)
    return Transactions.from_frame(frame[["customer_id", "date", "amount"]]), frame.attrs["as_of"]


@pytest.fixture(scope="module")
def sample():
    tx, as_of = _invoices()
    report = compute_report(tx, cac=50.0, margin=0.8, currency="USD", as_of=as_of)
    return tx, as_of, report


# ------------------------------------------------------------------ the decision
def test_cdnow_is_not_detected_as_subscription():
    decision = detect_business(load_cdnow())
    assert decision.kind == "transactional" and decision.how == "detected"
    assert decision.candidates > 700 and decision.regular / decision.candidates < 0.01
    assert decision.rule.startswith("Not detected as a subscription business")


def test_sample_invoices_are_detected_and_the_rule_is_stated():
    decision = detect_business(subscription_invoices())
    assert decision.subscription and decision.regular == decision.candidates > 5000
    assert "paid once in every calendar month" in decision.rule


def test_an_irregular_monthly_buyer_is_not_regular():
    # Hand-made: A pays on the 5th of Jan-Apr (regular); B skips March; C pays twice in Feb;
    # D pays monthly but on the 1st, 28th, 2nd, 27th (gap CV well above 0.1).
    rows = [("A", f"2024-0{m}-05") for m in (1, 2, 3, 4)]
    rows += [("B", d) for d in ("2024-01-05", "2024-02-05", "2024-04-05")]
    rows += [("C", d) for d in ("2024-01-05", "2024-02-05", "2024-02-20", "2024-03-05")]
    rows += [("D", d) for d in ("2024-01-01", "2024-02-28", "2024-03-02", "2024-04-27")]
    frame = pd.DataFrame(rows, columns=["customer_id", "date"]).assign(amount=10.0)
    frame["date"] = pd.to_datetime(frame["date"])
    d = detect_business(frame)
    assert (d.customers, d.candidates, d.regular) == (4, 4, 1)
    assert d.kind == "transactional"  # 1 of 4, and fewer than 20 customers


def test_business_asked_for_overrides_the_rule():
    assert decide_business(load_cdnow(), "subscription").how == "asked"
    assert decide_business(subscription_invoices(), "Transactional").kind == "transactional"
    with pytest.raises(InputError, match="business must be one of auto, subscription"):
        Assumptions(business="saas")
    assert Assumptions().business == "auto"


# ------------------------------------------------------------------ the pipeline's sBG
def test_pipeline_sbg_equals_sbg_fit_on_the_survival_table(sample):
    tx, as_of, report = sample
    res = pipeline.run(tx, Assumptions(as_of=as_of), steps=("subscription",))
    table = subscription_survival(tx, "M", as_of=as_of)
    ref = SBG().fit(table.survivors)
    assert res.subscription.model.params_ == ref.params_
    assert res.subscription.model.standard_errors_ == ref.standard_errors_
    cells = report.retention_cells
    assert cells["SUB_ALPHA"] == ref.params_["alpha"] and cells["SUB_BETA"] == ref.params_["beta"]
    assert cells["SUB_ALPHA_SE"] == ref.standard_errors_["alpha"]
    assert cells["SUB_LL"] == ref.log_likelihood_
    # The generator's true parameters (beta(1.5, 12)) lie within two standard errors.
    assert abs(cells["SUB_ALPHA"] - 1.5) < 2 * cells["SUB_ALPHA_SE"]
    assert abs(cells["SUB_BETA"] - 12.0) < 2 * cells["SUB_BETA_SE"]


def test_transactional_data_fit_no_sbg():
    tx = Transactions.from_frame(load_cdnow()[["customer_id", "date", "amount"]])
    res = pipeline.run(tx, Assumptions(), steps=("subscription",))
    assert res.business.kind == "transactional" and res.subscription is None
    assert "sbg" not in res.failures


# ------------------------------------------------------------------ the figures
def test_both_lifetimes_and_values_match_the_closed_forms(sample):
    tx, as_of, report = sample
    c = report.retention_cells
    a = report.assumptions
    table = subscription_survival(tx, "M", as_of=as_of)
    surv = table.survivors.to_numpy()
    lost = at_risk = 0.0
    for row in surv:  # hand count: renewal decisions observed and customers lost
        row = row[~np.isnan(row)]
        at_risk += row[:-1].sum()
        lost += row[0] - row[-1]
    assert c["SUB_CHURN"] == pytest.approx(lost / at_risk, rel=1e-12)
    assert c["SUB_LIFETIME_CLASSIC"] == pytest.approx(at_risk / lost, rel=1e-12)
    al, be = c["SUB_ALPHA"], c["SUB_BETA"]
    assert al > 1 and c["SUB_LIFETIME_SBG"] == pytest.approx((al + be - 1) / (al - 1), rel=1e-12)
    # Heterogeneity: the sBG lifetime is longer than 1 / churn, churn falls with tenure.
    assert c["SUB_LIFETIME_SBG"] > c["SUB_LIFETIME_CLASSIC"]
    assert c["SUB_CHURN_YEAR"] < c["SUB_CHURN"] < c["SUB_CHURN_FIRST"]
    d = 0.01  # per month (the default)
    derl = sbg_derl(al, be, d, 0)  # FH 2010 eq. 6, exact (2F1)
    assert c["SUB_DERL_SBG"] == pytest.approx(derl, rel=1e-6)
    assert c["SUB_DEL_SBG"] == pytest.approx(1 + derl / (1 + d), rel=1e-6)
    cc = c["SUB_CHURN"]
    assert c["SUB_DERL_CLASSIC"] == pytest.approx((1 - cc) * (1 + d) / (d + cc), rel=1e-6)
    assert c["SUB_CLV_SBG"] == pytest.approx(
        0.8 * c["SUB_ARPU"] * (1 + derl / (1 + d)) - 50.0, rel=1e-6)
    assert c["SUB_CLV_SBG"] > c["SUB_CLV_CLASSIC"]
    # Monthly ARPU: the sample's plans cost 19, 49 and 149 (60/30/10 % with upgrades).
    assert 19 < c["SUB_ARPU"] < 149
    paid = tx.data[tx.data["date"] <= as_of]
    months = paid.assign(m=paid["date"].dt.to_period("M"))[["customer_id", "m"]].drop_duplicates()
    assert c["SUB_ARPU"] == pytest.approx(paid["amount"].sum() / len(months), rel=1e-12)
    # The churn lever: beta' = (alpha + beta) / (1 - x) - alpha cuts the mean churn by x.
    b2 = c["SUB_LEVER_BETA"]
    assert al / (al + b2) == pytest.approx(0.9 * al / (al + be), rel=1e-12)
    assert c["SUB_LEVER_CHURN"] == pytest.approx(
        0.8 * c["SUB_ARPU"] * (1 + sbg_derl(al, b2, d, 0) / (1 + d)) - 50.0, rel=1e-6)
    assert a.business == "auto"
    assert set(RETENTION_FORMULA_NAMES) <= set(c) and set(RETENTION_VALUE_NAMES) <= set(c)
    # The JSON carries the decision and the figures.
    js = report.summary()["retention"]
    assert js["business"]["kind"] == "subscription" and js["sbg"]["alpha"] == al


def test_alpha_below_one_says_the_mean_lifetime_is_infinite():
    tx, as_of = _invoices(alpha=0.6, beta=3.0, months=18, customers_per_month=200, seed=3)
    report = compute_report(tx, as_of=as_of, business="subscription", model="auto")
    c = report.retention_cells
    assert c["SUB_ALPHA"] < 1 and c["SUB_LIFETIME_SBG"] == INFINITE
    assert np.isfinite(c["SUB_DEL_SBG"]) and np.isfinite(c["SUB_HORIZON_SBG"])
    assert c["SUB_HORIZON_SBG"] <= c["SUB_HORIZON"]


def test_cdnow_report_has_no_sbg_figures():
    tx = Transactions.from_frame(load_cdnow()[["customer_id", "date", "amount"]])
    report = compute_report(tx)
    c = report.retention_cells
    assert c["SUB_BUSINESS"] == "transactional" and c["SUB_FITTED"].startswith("No")
    assert not set(RETENTION_FORMULA_NAMES) & set(c)
    assert all(len(t) == 0 for t in report.retention_tables.values())


# ------------------------------------------------------------------ LibreOffice
def _cell(wb, name):
    sheet, coord = next(iter(wb.defined_names[name].destinations))
    return wb[sheet][coord.replace("$", "")]


def _check(values, want: dict) -> int:
    for name in RETENTION_FORMULA_NAMES:
        got, exp = _cell(values, name).value, want[name]
        if isinstance(exp, str):
            assert got == exp, name
        else:
            assert got == pytest.approx(exp, rel=REL), name
    return len(RETENTION_FORMULA_NAMES)


@pytest.mark.libreoffice
def test_retention_formulas_recalculate_to_python(sample, tmp_path):
    _tx, _as_of, report = sample
    path = write_report(report, tmp_path / "report.xlsx")
    values = openpyxl.load_workbook(recalculate(path, tmp_path / "lo"), data_only=True)
    c = report.retention_cells
    _check(values, c)
    for name in RETENTION_VALUE_NAMES:  # written values read back
        got = _cell(values, name).value
        assert got == (pytest.approx(c[name], rel=REL) if isinstance(c[name], float) else
                       c[name]), name
    formulas = openpyxl.load_workbook(path)
    for sheet in ("Retention", "Dashboard"):
        for row in formulas[sheet].iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    got = values[sheet][cell.coordinate].value
                    assert got is not None, (sheet, cell.coordinate)
                    assert not (isinstance(got, str) and (got.startswith("#") or "Err:" in got)), (
                        sheet, cell.coordinate, got)
    line = values["Dashboard"]["B27"].value
    assert line.startswith("Subscription business") and f"{c['SUB_CLV_SBG']:,.2f}" in line
    why = next(v for row in values["Retention"].iter_rows(values_only=True) for v in row
               if isinstance(v, str) and v.startswith("Why they differ"))
    assert "survivors are the loyal ones" in why and f"{1 / c['SUB_CHURN']:.1f} months" in why
    # The chart's table: actual and projected share still paying.
    curve = report.retention_tables["SurvivalCurve"]
    ws = values["Retention"]
    assert ws["I51"].value == pytest.approx(curve["sBG fit and projection"][0], rel=REL)

    # New margin, CAC, discount rate and levers: the sheet follows, as Python computes.
    for name, value in (("ASSUME_MARGIN", 0.6), ("ASSUME_CAC", 80.0),
                        ("ASSUME_DISCOUNT_RATE", 0.02), ("LEVER_CHURN_CUT", 0.25),
                        ("LEVER_ARPU_UP", 0.05), ("LEVER_CAC_CUT", 0.5)):
        _cell(formulas, name).value = value
    edited = tmp_path / "edited.xlsx"
    formulas.save(edited)
    after = openpyxl.load_workbook(recalculate(edited, tmp_path / "lo2"), data_only=True)
    a = Assumptions.parse(**{**report.assumptions.as_fields(), "margin": 0.6, "cac": 80.0,
                             "discount_rate": 0.02, "discount_unit": "M"})
    want = figures(c["SUB_ALPHA"], c["SUB_BETA"], c["SUB_ARPU"], c["SUB_CHURN"], a,
                   levers=(0.25, 0.05, 0.5))
    _check(after, want)
    derl = sbg_derl(c["SUB_ALPHA"], c["SUB_BETA"], 0.02, 0)
    assert _cell(after, "SUB_CLV_SBG").value == pytest.approx(
        0.6 * c["SUB_ARPU"] * (1 + derl / 1.02) - 80.0, rel=1e-6)


# ------------------------------------------------------------------ the command
@pytest.mark.libreoffice
def test_demo_subscription_writes_invoices_and_report(tmp_path):
    out, err = io.StringIO(), io.StringIO()
    code = cli_main(["demo", "--subscription", "-o", str(tmp_path)], stdout=out, stderr=err)
    assert code == 0, err.getvalue()
    assert (tmp_path / "invoices.xlsx").exists()
    text = out.getvalue()
    assert "Subscription (Retention sheet): sBG alpha" in text and "one churn rate" in text
    wb = openpyxl.load_workbook(tmp_path / "cltv-report.xlsx")
    assert _cell(wb, "SUB_FITTED").value == "Yes"
    assert wb["Retention"]["K51"].value  # the per-cohort table is filled


def test_business_option_transactional_and_bad_value(tmp_path):
    tx, _as_of = _invoices(months=6, customers_per_month=40)
    src = tmp_path / "inv.csv"
    frame = tx.data[["customer_id", "date", "amount"]]
    frame.to_csv(src, index=False)
    out, err = io.StringIO(), io.StringIO()
    code = cli_main(["report", str(src), "-o", str(tmp_path / "r.xlsx"), "--business",
                     "transactional", "--quiet", "--json", str(tmp_path / "r.json")],
                    stdout=out, stderr=err)
    assert code in (0, 3), err.getvalue()
    wb = openpyxl.load_workbook(tmp_path / "r.xlsx")
    assert _cell(wb, "SUB_FITTED").value.startswith("No")
    assert "asked for" in _cell(wb, "SUB_RULE").value
    err = io.StringIO()
    code = cli_main(["report", str(src), "-o", str(tmp_path / "r2.xlsx"), "--business", "x"],
                    stdout=io.StringIO(), stderr=err)
    assert code == 1 and "business must be one of" in err.getvalue()
    assert "\n" not in err.getvalue().strip()
