"""Model choice in the report (issue 10 item 4): ``--model auto|bgnbd|mbgnbd|paretonbd|none``.

"auto" must choose exactly what :func:`cltv_xl.models.compare_models` chooses on the same data
(by BIC without a holdout, by holdout RMSE with one), the chosen model's predictions must feed
the report, and the Model sheet, the JSON and the terminal must show the comparison and why.
Each expected value is computed here independently: the models are fitted directly on
``rfm_summary`` / ``calibration_holdout`` frames and the predictions by ``predict_clv``.
"""

from __future__ import annotations

import io
import json
import warnings

import numpy as np
import openpyxl
import pandas as pd
import pytest

from cltv_xl import cli, pipeline
from cltv_xl.datasets import load_cdnow
from cltv_xl.models import GammaGamma, ParetoNBD, calibration_holdout, compare_models, predict_clv
from cltv_xl.models.selection import MODELS
from cltv_xl.report import compute_report
from cltv_xl.report.xlsx_writer import write_report
from cltv_xl.summary import rfm_summary
from cltv_xl.transactions import Transactions

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")
HOLDOUT = "1997-10-01"


def _cell(wb, name: str):
    sheet, coord = next(iter(wb.defined_names[name].destinations))
    return wb[sheet][coord.replace("$", "")]


def _table(wb, tname: str) -> pd.DataFrame:
    for ws in wb.worksheets:
        if tname in ws.tables:
            rows = list(ws[ws.tables[tname].ref])
            return pd.DataFrame([[c.value for c in r] for r in rows[1:]],
                                columns=[c.value for c in rows[0]])
    raise KeyError(tname)


@pytest.fixture(scope="module")
def cdnow() -> pd.DataFrame:
    return load_cdnow()[["customer_id", "date", "amount"]]


@pytest.fixture(scope="module")
def tx(cdnow) -> Transactions:
    return Transactions.from_frame(cdnow)


@pytest.fixture(scope="module")
def auto(tx):
    return compute_report(tx, margin=0.3)


def test_auto_chooses_by_bic_and_its_predictions_feed_the_report(auto, cdnow):
    summary = rfm_summary(cdnow, time_unit="W")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cmp = compare_models(summary)
    m = auto.models
    assert m["asked"] == "auto" and m["chosen"] == cmp.chosen and cmp.criterion == "bic"
    # The rule (lowest BIC among converged fits), checked by hand on the comparison table.
    t = cmp.table
    assert cmp.chosen == t.loc[t["converged"], "bic"].idxmin()
    assert m["comparison"] == json.loads(json.dumps(cmp.to_dict()))
    assert m["reason"] == cmp.reason and "lowest BIC" in m["reason"]
    # The chosen model, fitted directly, gives the report's predictions customer by customer.
    model = MODELS[cmp.chosen]().fit_summary(summary)
    keep = (summary["frequency"] > 0) & (summary["monetary_value"] > 0)
    gg = GammaGamma().fit(summary.loc[keep, "frequency"], summary.loc[keep, "monetary_value"])
    pred = predict_clv(model, gg, summary, horizon=52, time_unit="W",
                       discount_rate=1.01 ** (7 / (365.25 / 12)) - 1, margin=0.3)
    ours = auto.customers.set_index("Customer ID").loc[pred.index]
    np.testing.assert_allclose(ours["Predicted CLV"], pred["clv"], rtol=1e-9)
    np.testing.assert_allclose(ours["P(alive)"], pred["p_alive"], rtol=1e-9)
    for k, v in model.params_.items():
        assert m[cmp.chosen][k] == pytest.approx(v, rel=1e-12)
    assert m[cmp.chosen]["poorly_identified"] == list(model.poorly_identified_)
    assert m[cmp.chosen]["warnings"] == list(model.fit_warnings_)


def test_auto_with_a_holdout_chooses_by_holdout_error(tx, cdnow):
    ch = calibration_holdout(cdnow, HOLDOUT, cdnow["date"].max(), "W")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cmp = compare_models(ch, holdout=ch)
        rep = compute_report(tx, holdout_start=HOLDOUT)
    m = rep.models
    assert cmp.criterion == "holdout rmse"
    fitted = cmp.table[cmp.table["converged"]]
    assert m["chosen"] == cmp.chosen == fitted["rmse"].idxmin()
    assert m["reason"].startswith(cmp.reason) and f"up to {HOLDOUT}" in m["reason"]
    # per-customer MAE / RMSE of the holdout purchases, recomputed from the calibration fit
    for key, row in cmp.table.iterrows():
        model = MODELS[key]().fit_summary(ch)
        pred = model.expected_purchases(ch["duration_holdout"], ch["frequency"],
                                        ch["recency"], ch["T"])
        err = np.asarray(pred) - ch["frequency_holdout"].to_numpy()
        assert row["mae"] == pytest.approx(np.abs(err).mean(), rel=1e-9)
        assert row["rmse"] == pytest.approx(np.sqrt((err ** 2).mean()), rel=1e-9)
    # The tracking uses the chosen model's calibration fit, shown in ModelParams.
    assert type(rep.extras["holdout"]) is dict
    cal = MODELS[cmp.chosen]().fit_summary(ch)
    for k, v in cal.params_.items():
        assert rep.extras["holdout"]["calibration"][k] == pytest.approx(v, rel=1e-9)
    label = f"{cal.model_name} up to {HOLDOUT}"
    rows = rep.model_params[rep.model_params["Model"] == label]
    assert list(rows["Parameter"]) == list(cal.param_names)


def test_the_model_sheet_shows_the_comparison(auto, tmp_path):
    path = write_report(auto, tmp_path / "r.xlsx")
    wb = openpyxl.load_workbook(path)
    m = auto.models
    chosen = m["chosen"]
    name = m[chosen]["name"]
    assert _cell(wb, "MODEL_PURCHASE").value == name
    assert _cell(wb, "MODEL_CHOICE").value == m["reason"]
    assert _cell(wb, "MODEL_PURCHASE_LL").value == pytest.approx(m[chosen]["log_likelihood"])
    # the cells' names before the model choice still point at the purchase model's cells
    assert _cell(wb, "MODEL_BGNBD_LL").coordinate == _cell(wb, "MODEL_PURCHASE_LL").coordinate
    params = _table(wb, "ModelParams")
    mine = params[params["Model"] == name]
    assert list(mine["Parameter"]) == list(MODELS[chosen].param_names)
    for _, row in mine.iterrows():
        assert row["Estimate"] == pytest.approx(m[chosen][row["Parameter"]])
        assert row["Std. error"] == pytest.approx(m[chosen]["standard_errors"][row["Parameter"]])
        assert row["Poorly identified"] == (
            "Yes" if row["Parameter"] in m[chosen]["poorly_identified"] else "No")
    assert set(params["Model"]) == {name, "Gamma-Gamma"}
    comparison = _table(wb, "ModelComparison")
    rows = {r["key"]: r for r in m["comparison"]["models"]}
    assert list(comparison["Model"]) == [rows[k]["model"] for k in rows]
    for (_, got), want in zip(comparison.iterrows(), rows.values(), strict=True):
        assert got["Log-likelihood"] == pytest.approx(want["log_likelihood"])
        assert got["BIC"] == pytest.approx(want["bic"])
        assert got["Converged"] == ("Yes" if want["converged"] else "No")
        assert got["Chosen"] == ("Yes" if want["chosen"] else "No")
        assert got["Holdout MAE"] is None  # no holdout
    assert _cell(wb, "MODEL_PURCHASE_CONVERGED").value == "Yes"


def test_cli_model_option_overrides_the_choice(tmp_path, cdnow):
    src = tmp_path / "orders.csv"
    cdnow.to_csv(src, index=False)
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(["report", str(src), "-o", str(tmp_path / "r.xlsx"), "--model",
                     "ParetoNBD", "--json", str(tmp_path / "s.json")], stdout=out, stderr=err)
    assert code == 0, err.getvalue()
    data = json.loads((tmp_path / "s.json").read_text())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pnbd = ParetoNBD().fit_summary(rfm_summary(cdnow, time_unit="W"))
    m = data["models"]
    assert m["chosen"] == "paretonbd" and m["comparison"] is None
    assert data["assumptions"]["model"] == "paretonbd"
    for k, v in pnbd.params_.items():
        assert m["paretonbd"][k] == pytest.approx(v, rel=1e-12)
    assert "bgnbd" not in m and "mbgnbd" not in m
    line = next(x for x in out.getvalue().splitlines() if x.startswith("Model: "))
    assert line == f"Model: {m['reason']}" and "Pareto/NBD as asked for" in line
    wb = openpyxl.load_workbook(tmp_path / "r.xlsx")
    assert _cell(wb, "MODEL_PURCHASE").value == "Pareto/NBD"
    assert len(_table(wb, "ModelComparison").dropna(how="all")) == 0
    params = _table(wb, "ModelParams")
    assert list(params.loc[params["Model"] == "Pareto/NBD", "Parameter"]) == [
        "r", "alpha", "s", "beta"]
    # a bad value is one line naming the option
    code = cli.main(["report", str(src), "-o", str(tmp_path / "x.xlsx"), "--model", "xgb"],
                    stdout=io.StringIO(), stderr=(err := io.StringIO()))
    assert code == cli.EXIT_INPUT
    assert err.getvalue().strip() == ("cltv-xl: error: model must be one of auto, bgnbd, "
                                      "mbgnbd, paretonbd, none; got 'xgb' (option --model)")


def test_model_none_gives_historical_kpis_only_and_exit_0(tmp_path, cdnow):
    src = tmp_path / "orders.csv"
    cdnow.to_csv(src, index=False)
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(["report", str(src), "-o", str(tmp_path / "r.xlsx"), "--model", "none",
                     "--json", str(tmp_path / "s.json")], stdout=out, stderr=err)
    assert code == 0, err.getvalue()
    assert "gaps" not in err.getvalue()
    data = json.loads((tmp_path / "s.json").read_text())
    assert data["kpis"]["predicted_clv"] is None and data["kpis"]["churn_rate"] is not None
    assert data["models"]["chosen"] is None and "--model none" in data["models"]["reason"]
    assert "Model: none (--model none)" in out.getvalue()
    wb = openpyxl.load_workbook(tmp_path / "r.xlsx")
    assert _cell(wb, "MODEL_CHOICE").value.startswith("No predictive model was asked for")
    assert _cell(wb, "KPI_PREDICTED_CLV").value == "not estimated"
    assert _cell(wb, "KPI_CLTV").data_type == "f"  # the historical KPIs stay live


def test_a_large_comparison_runs_on_a_deterministic_sample(tx, monkeypatch):
    monkeypatch.setattr(pipeline, "COMPARE_MAX_CUSTOMERS", 500)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = pipeline.run(tx, pipeline.Assumptions(), steps=("purchase_model",))
        again = pipeline.run(tx, pipeline.Assumptions(), steps=("purchase_model",))
    summary = res.summary
    sample = summary.iloc[np.unique(np.linspace(0, len(summary) - 1, 500).round().astype(int))]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cmp = compare_models(sample)
    assert res.choice.sampled == 500 and res.choice.key == cmp.chosen == again.choice.key
    assert "Compared on 500 of the 2,357 customers" in res.choice.reason
    # the chosen model is then fitted on every customer
    assert res.purchase_model.n_customers_ == 2357
    full = MODELS[cmp.chosen]().fit_summary(summary)
    assert res.purchase_model.params_ == pytest.approx(full.params_, rel=1e-12)


def test_poorly_identified_parameters_are_flagged(cdnow, tmp_path):
    """The first 100 CDNOW customers: the Pareto/NBD's s and beta have standard errors above
    their estimates. The Model sheet and the JSON say so, parameter by parameter."""
    first = sorted(cdnow["customer_id"].unique(), key=int)[:100]
    small = cdnow[cdnow["customer_id"].isin(first)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pnbd = ParetoNBD().fit_summary(rfm_summary(small, time_unit="W"))
        rep = compute_report(Transactions.from_frame(small), model="paretonbd")
    se = pnbd.standard_errors_
    poor = [k for k, v in pnbd.params_.items() if se[k] > v]
    assert poor  # the data set is chosen so that some parameter is poorly identified
    entry = rep.models["paretonbd"]
    assert entry["poorly_identified"] == poor
    assert any("poorly identified" in w for w in entry["warnings"])
    wb = openpyxl.load_workbook(write_report(rep, tmp_path / "p.xlsx"))
    params = _table(wb, "ModelParams").set_index("Parameter")
    for k in pnbd.param_names:
        assert params.loc[k, "Poorly identified"] == ("Yes" if k in poor else "No")
