"""One pipeline behind every front door, with one Assumptions object (issue 8).

Each test here failed on the code before the pipeline: the worksheet function and the report
fitted Gamma-Gamma on different customers, the number checks were written six times with six
messages, and the README's defaults were not tied to the code.
"""

from __future__ import annotations

import asyncio
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xlwings as xw
import xlwings.server

from cltv_xl import cli, metrics, pipeline, udfs
from cltv_xl.assumptions import MAX_HORIZON_PERIODS, Assumptions
from cltv_xl.datasets import load_cdnow
from cltv_xl.errors import FitError, InputError
from cltv_xl.loading import read_transactions
from cltv_xl.report import build_report, compute_report

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

README = Path(__file__).resolve().parents[1] / "README.md"
SERIAL_ZERO = np.datetime64("1899-12-30")


def _call(func_name: str, *args):
    body = {"client": "Office.js", "func_name": func_name, "args": list(args),
            "caller_address": "[Book1.xlsx]Sheet1!B2", "culture_info_name": "en-US",
            "date_format": "m/d/yyyy", "version": xw.__version__, "runtime": "1.4"}
    return asyncio.run(xlwings.server.custom_functions_call(body, udfs))


@pytest.fixture(scope="module")
def orders_with_a_refunder() -> pd.DataFrame:
    """CDNOW, plus customer R1: a repeat buyer whose repeat orders were free (mean repeat
    spend 0, so Gamma-Gamma cannot use it; refunds never count as purchase days, so a zero
    spend is how such a buyer arises now), and whose later refund exceeds its purchase."""
    cd = load_cdnow()[["customer_id", "date", "amount"]]
    extra = pd.DataFrame({"customer_id": ["R1", "R1", "R1"],
                          "date": pd.to_datetime(["1997-02-01", "1997-05-01", "1997-11-01"]),
                          "amount": [50.0, 0.0, 0.0]})
    extra = pd.concat([extra, pd.DataFrame({"customer_id": ["R1"],
                                            "date": pd.to_datetime(["1997-12-01"]),
                                            "amount": [-120.0]})], ignore_index=True)
    return pd.concat([cd, extra], ignore_index=True)


def test_clv_predict_and_the_report_agree_customer_by_customer(orders_with_a_refunder):
    df = orders_with_a_refunder
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # CLV_PREDICT is the BG/NBD's; the report's "auto" may choose another model
        report = compute_report(read_transactions(df), margin=0.3, horizon=12,
                                horizon_unit="M", discount_rate=0.01, model="bgnbd")
    r1 = report.customers.set_index("Customer ID").loc["R1"]
    assert r1["Frequency"] == 2 and r1["Average spend"] == pytest.approx(0.0)

    days = (df["date"].to_numpy(dtype="datetime64[ns]") - SERIAL_ZERO) / np.timedelta64(1, "D")
    out = _call("clv_predict", [[v] for v in df["customer_id"]], [[d] for d in days.tolist()],
                [[a] for a in df["amount"]], [[12]], [[0.01]], [[0.3]], [[""]])
    assert out[0] == ["customer_id", "expected_purchases", "p_alive", "expected_spend", "clv"]
    udf = pd.DataFrame(out[1:], columns=out[0]).set_index("customer_id")
    ours = report.customers.set_index("Customer ID")
    assert len(udf) == len(ours) == 2358
    udf = udf.loc[ours.index]
    for theirs, mine in [("expected_purchases", "Expected purchases"), ("p_alive", "P(alive)"),
                         ("expected_spend", "Expected spend"), ("clv", "Predicted CLV")]:
        np.testing.assert_allclose(udf[theirs].to_numpy(float), ours[mine].to_numpy(float),
                                   rtol=1e-12)
    # R1 is left out of the spend fit and gets the population mean p*v/(q-1) (FH 2013 eq. 5
    # with x = 0), exactly like a one-time buyer.
    gg = report.models["gamma_gamma"]
    assert udf.loc["R1", "expected_spend"] == pytest.approx(gg["p"] * gg["v"] / (gg["q"] - 1))
    assert gg["customers"] == int(((ours["Frequency"] > 0) & (ours["Average spend"] > 0)).sum())


def test_spend_fit_mask_is_repeat_buyers_with_positive_mean_spend():
    summary = pd.DataFrame({"frequency": [0, 2, 3, 1], "monetary_value": [0.0, -5.0, 10.0, 0.0]})
    assert pipeline.spend_fit_mask(summary).tolist() == [False, False, True, False]


MARGIN_2 = "margin must be in (0, 1]; got 2"


def test_every_front_door_gives_the_same_message_for_margin_2(tmp_path):
    frame = load_cdnow()[["customer_id", "date", "amount"]].head(300)
    with pytest.raises(InputError, match=re.escape(MARGIN_2)):
        Assumptions(margin=2)
    with pytest.raises(InputError, match=re.escape(MARGIN_2)):
        build_report(frame, tmp_path / "r.xlsx", margin=2)
    with pytest.raises(InputError, match=re.escape(MARGIN_2)):
        Assumptions.from_cells({"ASSUME_MARGIN": 2})
    with pytest.raises(InputError, match=re.escape(MARGIN_2)):
        metrics.cac_payback_periods(10, 5, 2)
    src = tmp_path / "orders.csv"
    frame.to_csv(src, index=False)
    import io
    err = io.StringIO()
    code = cli.main(["report", str(src), "-o", str(tmp_path / "c.xlsx"), "--margin", "2"],
                    stdout=io.StringIO(), stderr=err)
    assert code == 1 and MARGIN_2 in err.getvalue() and "--margin" in err.getvalue()
    days = ((frame["date"].to_numpy(dtype="datetime64[ns]") - SERIAL_ZERO)
            / np.timedelta64(1, "D")).tolist()
    with pytest.raises(Exception, match=re.escape(MARGIN_2)):
        _call("clv_predict", [[v] for v in frame["customer_id"]], [[d] for d in days],
              [[a] for a in frame["amount"]], [[12]], [[0.01]], [[2]], [[""]])


def test_units_are_checked_once_with_input_error():
    from cltv_xl.timeunits import check_unit

    with pytest.raises(InputError, match="kpi_period must be one of 'D'"):
        Assumptions(kpi_period="fortnights")
    with pytest.raises(InputError, match="time_unit must be one of"):
        check_unit("fortnights")


def test_defaults_the_drift_fixed():
    a = Assumptions()
    assert a.discount_rate == 0.01 and a.discount_unit == "M"
    assert a.horizon == 52 and a.horizon_unit == "W" and a.time_unit == "W"
    # the discount rate is converted once, to the unit the CLV is discounted in
    assert a.discount_per_horizon_unit == pytest.approx(1.01 ** (7 / (365.25 / 12)) - 1)
    assert Assumptions(time_unit="M").horizon == pytest.approx(52 * 7 / (365.25 / 12))


def test_the_horizon_is_bounded():
    with pytest.raises(InputError, match="horizon must be at most 100 years"):
        Assumptions(horizon=1300, time_unit="M")
    with pytest.raises(InputError, match=f"at most {MAX_HORIZON_PERIODS:,} periods"):
        Assumptions(horizon=MAX_HORIZON_PERIODS + 1, time_unit="D")
    assert Assumptions(horizon=1200, time_unit="M").horizon == 1200


def test_a_model_that_cannot_be_fitted_is_recorded_not_raised():
    # every customer buys once: nothing identifies the BG/NBD (FitError), but the summary,
    # the KPIs and the cohorts are still computed
    df = pd.DataFrame({"customer_id": [str(i) for i in range(40)],
                       "date": pd.date_range("2024-01-01", periods=40, freq="7D"),
                       "amount": 10.0})
    res = pipeline.run(read_transactions(df), Assumptions())
    assert isinstance(res.failures["purchase_model"], FitError)
    assert isinstance(res.failures["spend_model"], FitError)
    assert "there are none among the 40 customers" in str(res.failures["spend_model"])
    assert "predictions" in res.failures and res.predictions is None
    assert res.kpis is not None and res.kpis.customers == 40 and res.cohorts is not None
    with pytest.raises(FitError):
        res.require("predictions")


def _readme_table() -> dict[str, str]:
    text = README.read_text(encoding="utf-8")
    rows = {}
    for line in text[text.index("| Option | Meaning (unit) | Default |"):].splitlines()[2:]:
        if not line.startswith("|"):
            break
        option, _meaning, default = (c.strip() for c in line.strip("|").split("|"))
        rows[option.split()[0].strip("`")] = default
    return rows


def test_readme_defaults_match_assumptions():
    from cltv_xl.timeunits import UNIT_NAMES

    rows, a = _readme_table(), Assumptions()
    number = {"--cac": a.cac, "--margin": a.margin, "--discount-rate": a.discount_rate,
              "--inactivity": a.inactivity}
    for option, value in number.items():
        assert float(rows[option]) == value, option
    assert rows["--horizon"] == f"{a.horizon:g} {UNIT_NAMES[a.horizon_unit]}"
    assert rows["--time-unit"] == UNIT_NAMES[a.time_unit]
    assert rows["--kpi-period"] == UNIT_NAMES[a.kpi_period]
    assert rows["--holdout-start"] == "none" and a.holdout_start is None
    assert rows["--as-of"] == "last order date" and a.as_of is None
    assert rows["--model"] == a.model == "auto"
    # every assumption option of the command line is in the table
    options = {o for act in cli.parser()._subparsers._group_actions[0].choices["report"]._actions
               for o in act.option_strings}
    assert set(number) | {"--horizon", "--time-unit", "--kpi-period", "--holdout-start",
                          "--as-of", "--model"} <= options


def test_one_number_check_names_the_argument_and_the_range():
    from cltv_xl import validation

    assert validation.number("30%", "margin", low=0, high=1, low_open=True) == 0.3
    assert validation.number(" 1,000 ", "cac", low=0) == 1000.0
    for value, message in [("abc", "cac must be a number; got 'abc'"),
                           (True, "cac must be a number; got True"),
                           (-1, "cac must be a finite number >= 0; got -1"),
                           (float("nan"), "cac must be a finite number >= 0; got NaN (a missing "
                                          "value)")]:
        with pytest.raises(InputError) as info:
            validation.number(value, "cac", low=0)
        assert str(info.value) == message
    # metrics reports through the same function, with the position in an array argument
    with pytest.raises(InputError, match=re.escape("churn_rate must be in (0, 1]; got 0 at "
                                                   "position 1")):
        metrics.lifetime(np.array([0.5, 0.0]))


def test_template_cells_parse_into_assumptions():
    a = Assumptions.from_cells({"ASSUME_CAC": 25, "ASSUME_MARGIN": "30%",
                                "ASSUME_DISCOUNT_RATE": "", "ASSUME_HORIZON": None,
                                "ASSUME_TIME_UNIT": "months", "ASSUME_KPI_PERIOD": "weeks",
                                "ASSUME_INACTIVITY": 4})
    assert (a.cac, a.margin, a.discount_rate, a.time_unit, a.kpi_period, a.inactivity) == (
        25.0, 0.3, 0.01, "M", "W", 4.0)
    assert a.horizon == pytest.approx(52 * 7 / (365.25 / 12)) and a.horizon_unit == "M"
    assert Assumptions.from_cells(a.cells()) == a  # the cells a report writes read back
    with pytest.raises(InputError, match=r"time_unit must be one of .* \(Assumptions cell "
                                         r"ASSUME_TIME_UNIT\)"):
        Assumptions.from_cells({"ASSUME_TIME_UNIT": "fortnights"})


def test_the_model_choice_is_made_in_one_place():
    from cltv_xl.models import ParetoNBD, compare_models
    from cltv_xl.models.selection import MODELS
    from cltv_xl.summary import rfm_summary

    tx = read_transactions(load_cdnow()[["customer_id", "date", "amount"]])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        auto = pipeline.run(tx, Assumptions(), steps=("purchase_model",))
        pareto = pipeline.run(tx, Assumptions(model="paretonbd"), steps=("predictions",))
        none = pipeline.run(tx, Assumptions(model="none"))
        chosen = compare_models(rfm_summary(tx, time_unit="W")).chosen
    assert type(auto.require("purchase_model")) is MODELS[chosen]
    assert auto.choice.key == chosen and auto.choice.comparison.chosen == chosen
    assert type(pareto.require("purchase_model")) is ParetoNBD
    assert pareto.choice.comparison is None and "as asked for" in pareto.choice.reason
    assert len(pareto.require("predictions")) == 2357
    assert none.purchase_model is None and none.predictions is None and not none.failures
    assert none.kpis is not None
