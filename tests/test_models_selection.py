"""compare_models: fit BG/NBD, MBG/NBD and Pareto/NBD and choose (issue 10, item 4)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from cltv_xl.datasets import CDNOW_CALIBRATION_END, CDNOW_END, load_cdnow
from cltv_xl.errors import InputError
from cltv_xl.models import BGNBD, MBGNBD, ParetoNBD, calibration_holdout, compare_models


@pytest.fixture(scope="module")
def ch() -> pd.DataFrame:
    return calibration_holdout(load_cdnow(), CDNOW_CALIBRATION_END, CDNOW_END)


def test_without_holdout_chooses_lowest_bic(ch):
    c = compare_models(ch)
    assert c.criterion == "bic" and list(c.table.index) == ["bgnbd", "mbgnbd", "paretonbd"]
    n = len(ch)
    for key, cls in (("bgnbd", BGNBD), ("mbgnbd", MBGNBD), ("paretonbd", ParetoNBD)):
        m = cls().fit_summary(ch)
        row = c.table.loc[key]
        assert row["log_likelihood"] == pytest.approx(m.log_likelihood_, rel=1e-9)
        assert row["bic"] == pytest.approx(4 * math.log(n) - 2 * m.log_likelihood_, rel=1e-9)
    assert c.chosen == c.table["bic"].idxmin() and c.table.loc[c.chosen, "chosen"]
    assert c.model is c.models[c.chosen] and "lowest BIC" in c.reason
    d = c.to_dict()
    assert d["chosen"] == c.chosen and len(d["models"]) == 3


def test_with_holdout_errors_and_choice(ch):
    c = compare_models(ch, holdout=ch)
    assert c.criterion == "holdout rmse"
    m = ParetoNBD().fit_summary(ch)
    pred = m.expected_purchases(ch["duration_holdout"], ch["frequency"], ch["recency"], ch["T"])
    err = pred.to_numpy() - ch["frequency_holdout"].to_numpy()
    row = c.table.loc["paretonbd"]
    assert row["mae"] == pytest.approx(np.mean(np.abs(err)), rel=1e-9)
    assert row["rmse"] == pytest.approx(np.sqrt(np.mean(err**2)), rel=1e-9)
    assert row["actual_total"] == ch["frequency_holdout"].sum() == 1882
    assert row["aggregate_error"] == pytest.approx(err.sum() / 1882, rel=1e-9)
    assert c.chosen == c.table["rmse"].idxmin()


def test_unknown_candidate_and_unfittable_data(ch):
    with pytest.raises(InputError, match="unknown model"):
        compare_models(ch, candidates=("bgnbd", "nope"))
    ones = ch.assign(frequency=0, recency=0.0)
    c = compare_models(ones)
    assert c.chosen is None and (c.table["error"] != "").all()
    assert "No candidate model could be fitted" in c.reason
