"""The SQL summary on DuckDB against rfm_summary; sufficient statistics; scoring to Parquet."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from engine_data import messy_log

from cltv_xl.datasets import CDNOW_CALIBRATION_END, load_cdnow
from cltv_xl.engines import choose_engine, open_summary, score_to_parquet, summarise
from cltv_xl.errors import InputError
from cltv_xl.models import BGNBD, GammaGamma, predict_clv
from cltv_xl.summary import rfm_summary

TOL = 1e-9


def assert_same_summary(ours: pd.DataFrame, ref: pd.DataFrame) -> None:
    """Same customers in the same order, every column equal (times/money to 1e-9)."""
    assert list(ours.index) == list(ref.index)
    assert list(ours.columns) == list(ref.columns)
    for c in ("frequency", "orders"):
        assert (ours[c].to_numpy() == ref[c].to_numpy()).all(), c
    for c in ("first_purchase", "last_purchase"):
        assert (ours[c].to_numpy() == ref[c].to_numpy()).all(), c
    for c in ("recency", "T", "monetary_value", "revenue"):
        np.testing.assert_allclose(ours[c].to_numpy(), ref[c].to_numpy(), rtol=TOL, atol=TOL,
                                   err_msg=c)
    assert ours.attrs["time_unit"] == ref.attrs["time_unit"]
    assert ours.attrs["as_of"] == ref.attrs["as_of"]


@pytest.fixture(scope="module")
def cdnow() -> pd.DataFrame:
    return load_cdnow()[["customer_id", "date", "amount"]]


def test_cdnow_calibration_summary_equals_pandas(cdnow):
    ref = rfm_summary(cdnow, calibration_end=CDNOW_CALIBRATION_END, time_unit="W")
    ours = summarise(cdnow, engine="duckdb", calibration_end=CDNOW_CALIBRATION_END)
    assert_same_summary(ours, ref)
    # The published calibration figures (FHL 2005): 2,357 customers, 946 repeat buyers.
    assert len(ours) == 2357 and int((ours["frequency"] > 0).sum()) == 946
    later = int((cdnow["date"] > pd.Timestamp(CDNOW_CALIBRATION_END)).sum())
    assert ours.attrs["counts"]["outside"] == later > 0  # purchases after 1997-09-30


@pytest.mark.parametrize("unit", ["D", "W", "M"])
def test_generated_log_equals_pandas_from_csv(tmp_path, unit):
    log = messy_log()
    path = tmp_path / "log.csv"
    log.rename(columns={"customer_id": "Customer ID", "date": "Order Date",
                        "amount": "Amount"}).to_csv(path, index=False, date_format="%Y-%m-%d")
    ours = summarise(path, engine="duckdb", time_unit=unit)
    assert_same_summary(ours, rfm_summary(log, time_unit=unit))
    # Z007's refund is not a repeat purchase but is netted into revenue; REF (refunds only)
    # has no purchase and no row (as in rfm_summary).
    assert ours.loc["Z007", "frequency"] == 0 and ours.loc["Z007", "revenue"] == 15.0
    assert "REF" not in ours.index
    assert ours.loc["LAST", "T"] == 0.0
    assert ours.attrs["counts"] == {"read": len(log), "used": len(log), "rejected": 0,
                                    "blank": 0, "doubtful": 0, "outside": 0}


def test_parquet_input_and_as_of_rejects_later_rows(tmp_path):
    log = messy_log(seed=5)
    path = tmp_path / "log.parquet"
    log.to_parquet(path)
    as_of = "2022-12-31"
    ours = summarise(path, time_unit="W", as_of=as_of)  # "auto" sends Parquet to DuckDB
    assert ours.attrs["engine"] == "duckdb"
    keep = log[log["date"] <= as_of]
    assert_same_summary(ours, rfm_summary(keep, as_of=as_of, time_unit="W"))
    counts, issues = ours.attrs["counts"], ours.attrs["issues"]
    assert counts["rejected"] == len(log) - len(keep) == len(issues)
    assert set(issues["reason"]) == {"after the as_of date"}
    # Parquet rows are numbered from 1 in file order.
    later = np.flatnonzero(log["date"].to_numpy() > np.datetime64(as_of)) + 1
    assert sorted(issues["row"]) == list(later)


def test_bad_rows_are_rejected_with_line_numbers(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(
        "customer,date,amount\n"
        "a,2024-01-01,10\n"
        ",2024-01-02,5\n"  # line 3: no id
        "b,31/01/2024,5\n"  # line 4: not an ISO date
        "b,2024-02-01,abc\n"  # line 5: not a number
        "a,2024-02-01 10:30:00,2.5\n"
        "c,2024-02-03,inf\n"  # line 7: not finite
    )
    es = open_summary(path, engine="duckdb", time_unit="D")
    try:
        assert es.counts == {"read": 6, "used": 2, "rejected": 4, "blank": 0, "doubtful": 0,
                             "outside": 0}
        issues = es.issues.sort_values("row")
        assert list(issues["row"]) == [3, 4, 5, 7]
        assert list(issues["column"]) == ["customer", "date", "amount", "amount"]
        assert list(issues["value"]) == ["", "31/01/2024", "abc", "inf"]
        assert set(issues["severity"]) == {"rejected"}
        s = es.to_pandas()
        assert list(s.index) == ["a"] and s.loc["a", "frequency"] == 1
        assert s.loc["a", "recency"] == 31.0
    finally:
        es.close()


def test_columns_found_by_the_loaders_header_rules(tmp_path):
    path = tmp_path / "orders.csv"
    pd.DataFrame({"Notes": ["x"], "Client #": ["7"], "Invoice date": ["2024-01-01"],
                  "Order Total ($)": ["3"]}).to_csv(path, index=False)
    s = summarise(path, engine="duckdb")
    assert list(s.index) == ["7"] and s["revenue"].iloc[0] == 3.0
    with pytest.raises(InputError, match="No customer id"):
        summarise(pd.DataFrame({"x": [1], "date": ["2024-01-01"], "amount": [1.0]}),
                  engine="duckdb")
    with pytest.raises(InputError, match="no usable transactions"):
        summarise(pd.DataFrame({"customer": ["a"], "date": ["never"], "amount": [1.0]}),
                  engine="duckdb")


def test_choose_engine(tmp_path):
    small = tmp_path / "a.csv"
    small.write_text("customer,date,amount\na,2024-01-01,1\n")
    assert choose_engine(small) == "pandas"
    assert choose_engine(small, "duckdb") == "duckdb"
    assert choose_engine(tmp_path / "a.xlsx") == "pandas"
    assert choose_engine(pd.DataFrame()) == "pandas"
    with pytest.raises(InputError, match="engine must be one of"):
        choose_engine(small, "polars")
    # One policy, one explicit difference: a small Parquet file goes to DuckDB for the engine
    # API and to pandas for the report (its full loader and the Transactions sheet).
    from cltv_xl.report.engine_path import wants_engine

    parquet = tmp_path / "a.parquet"
    pd.DataFrame({"customer": ["a"], "date": ["2024-01-01"], "amount": [1.0]}).to_parquet(parquet)
    assert choose_engine(parquet) == choose_engine(parquet, None) == "duckdb"
    assert wants_engine(parquet, "auto") == wants_engine(parquet, None) == "pandas"
    assert choose_engine(parquet, small_parquet="pandas", min_bytes=1) == "duckdb"
    assert wants_engine(parquet, "spark") == "spark"
    for source in (small, tmp_path / "a.xlsx", pd.DataFrame(), tmp_path):
        assert wants_engine(source, "auto") == choose_engine(source)


def test_sufficient_statistics_give_the_same_fit(cdnow):
    ref = rfm_summary(cdnow, calibration_end=CDNOW_CALIBRATION_END, time_unit="W")
    with open_summary(cdnow, engine="duckdb", calibration_end=CDNOW_CALIBRATION_END) as es:
        stats = es.purchase_stats()
        assert int(stats["weight"].sum()) == len(ref)
        assert len(stats) < len(ref)  # duplicates are collapsed
        spend = es.spend_stats()
        assert int(spend["weight"].sum()) == int(((ref.frequency > 0)
                                                  & (ref.monetary_value > 0)).sum())
        bg, gg = es.fit()
    full = BGNBD().fit_summary(ref)
    for k, v in full.params_.items():
        assert bg.params_[k] == pytest.approx(v, rel=1e-6)
    # The published CDNOW estimates (FHL 2005): r=0.243, alpha=4.414, a=0.793, b=2.426.
    assert bg.params_["r"] == pytest.approx(0.243, abs=5e-4)
    assert bg.params_["alpha"] == pytest.approx(4.414, abs=5e-3)
    assert bg.log_likelihood_ == pytest.approx(-9582.4, abs=0.05)
    rep = ref[(ref.frequency > 0) & (ref.monetary_value > 0)]
    gg_full = GammaGamma().fit(rep["frequency"], rep["monetary_value"])
    for k, v in gg_full.params_.items():
        assert gg.params_[k] == pytest.approx(v, rel=1e-6)


def test_score_to_parquet_equals_predict_clv(tmp_path):
    log = messy_log(n_customers=600, seed=11)
    src = tmp_path / "log.parquet"
    log.to_parquet(src)
    out = tmp_path / "customers.parquet"
    res = score_to_parquet(src, out, engine="duckdb", time_unit="W", horizon=12,
                           horizon_unit="M", discount_rate=0.01, margin=0.3)
    scored = pq.read_table(out).to_pandas().set_index("customer_id").sort_index()
    ref = rfm_summary(log, time_unit="W")
    assert res.customers == len(ref) == len(scored)
    assert list(scored.index) == list(ref.index)
    pred = predict_clv(res.purchase_model, res.spend_model, ref, horizon=12, time_unit="M",
                       discount_rate=0.01, margin=0.3)
    for c in ("expected_purchases", "p_alive", "expected_spend", "clv"):
        np.testing.assert_allclose(scored[c], pred[c], rtol=1e-9, atol=1e-12, err_msg=c)
    np.testing.assert_allclose(scored["monetary_value"], ref["monetary_value"], rtol=TOL,
                               atol=TOL)
    with pytest.raises(InputError, match="must not be the input"):
        score_to_parquet(src, src)


def test_auto_engine_on_a_small_csv_is_the_pandas_loader(tmp_path):
    log = messy_log(n_customers=50, seed=2)
    path = tmp_path / "small.csv"
    log.to_csv(path, index=False, date_format="%Y-%m-%d")
    ours = summarise(path, time_unit="D")
    assert ours.attrs["engine"] == "pandas"
    ref = rfm_summary(log, time_unit="D")
    assert_same_summary(ours, ref)
    assert_same_summary(summarise(path, engine="duckdb", time_unit="D"), ref)


def test_unreadable_sources_are_one_line_errors(tmp_path):
    with pytest.raises(InputError, match="cannot read it"):
        summarise(tmp_path / "missing.csv", engine="duckdb")
    with pytest.raises(InputError, match=r"reads \.csv and \.parquet"):
        summarise(tmp_path / "orders.xlsx", engine="duckdb")
