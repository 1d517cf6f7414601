"""The same SQL on Spark (local mode) gives DuckDB's and pandas' numbers; scoring runs per
partition with mapInPandas. One Spark session for the module, small data."""

from __future__ import annotations

import os
import shutil
import sys
import warnings

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from engine_data import messy_log
from test_engines import assert_same_summary

from cltv_xl.datasets import CDNOW_CALIBRATION_END, load_cdnow
from cltv_xl.engines import open_summary, score_to_parquet, summarise
from cltv_xl.summary import rfm_summary

pytestmark = pytest.mark.timeout(600)


@pytest.fixture(scope="module")
def spark():
    if shutil.which("java") is None:
        pytest.fail("Spark tests need Java: run scripts/ensure-java.sh (CI does)")
    pyspark = pytest.importorskip("pyspark", reason="pip install 'cltv-xl[spark]'")
    del pyspark
    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # workers need this venv

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # pyspark's note about pandas 3
        session = (SparkSession.builder.master("local[1]").appName("cltv-xl-tests")
                   .config("spark.sql.shuffle.partitions", "2")
                   .config("spark.default.parallelism", "2")
                   .config("spark.ui.enabled", "false")
                   .config("spark.ui.showConsoleProgress", "false")
                   .config("spark.sql.session.timeZone", "UTC")
                   .config("spark.sql.execution.arrow.pyspark.enabled", "true")
                   .getOrCreate())
    yield session
    session.stop()


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        yield


def test_cdnow_spark_equals_pandas_and_duckdb(spark):
    cdnow = load_cdnow()[["customer_id", "date", "amount"]]
    ref = rfm_summary(cdnow, calibration_end=CDNOW_CALIBRATION_END, time_unit="W")
    ours = summarise(cdnow, engine="spark", spark=spark, calibration_end=CDNOW_CALIBRATION_END)
    assert_same_summary(ours, ref)
    duck = summarise(cdnow, engine="duckdb", calibration_end=CDNOW_CALIBRATION_END)
    assert_same_summary(ours, duck)
    assert ours.attrs["counts"] == duck.attrs["counts"]


def test_csv_with_bad_rows_on_spark(spark, tmp_path):
    log = messy_log(n_customers=150, seed=9)
    path = tmp_path / "log.csv"
    text = log.to_csv(index=False, date_format="%Y-%m-%d")
    path.write_text(text + ",2022-03-01,5\nq,someday,5\nq,2022-03-01,n/a\n")
    with open_summary(path, engine="spark", spark=spark, time_unit="D") as es:
        ours = es.to_pandas()
        assert es.counts["rejected"] == 3 and es.counts["used"] == len(log)
        assert sorted(es.issues["reason"]) == sorted(
            ["no customer id", "amount is missing or not a number",
             "date is missing or not a date (engines read ISO dates or typed date columns)"])
        assert set(es.issues["row"]) == {-1}  # Spark cannot number a scan's rows
    assert_same_summary(ours, rfm_summary(log, time_unit="D"))
    duck = open_summary(path, engine="duckdb", time_unit="D")
    try:
        assert_same_summary(ours, duck.to_pandas())
        assert sorted(duck.issues["row"]) == [len(log) + 2, len(log) + 3, len(log) + 4]
    finally:
        duck.close()


def test_sufficient_statistics_and_map_in_pandas_scoring(spark, tmp_path):
    log = messy_log(n_customers=300, seed=4)
    src = tmp_path / "log.parquet"
    log.to_parquet(src, coerce_timestamps="us")  # Spark reads no nanosecond timestamps
    kw = {"time_unit": "W", "horizon": 52, "horizon_unit": "W", "discount_rate": 0.002,
          "margin": 0.5}
    res_spark = score_to_parquet(src, tmp_path / "spark_out", engine="spark", spark=spark, **kw)
    res_duck = score_to_parquet(src, tmp_path / "duck.parquet", engine="duckdb", **kw)
    for name, value in res_duck.purchase_model.params_.items():
        assert res_spark.purchase_model.params_[name] == pytest.approx(value, rel=1e-9)
    for name, value in res_duck.spend_model.params_.items():
        assert res_spark.spend_model.params_[name] == pytest.approx(value, rel=1e-9)
    a = pq.read_table(tmp_path / "spark_out").to_pandas().set_index("customer_id").sort_index()
    b = pq.read_table(tmp_path / "duck.parquet").to_pandas().set_index("customer_id")
    b = b.sort_index()
    buyers = log.loc[log["amount"] >= 0, "customer_id"].nunique()  # refund-only: no row
    assert res_spark.customers == res_duck.customers == len(a) == len(b) == buyers
    assert list(a.index) == list(b.index)
    for c in ("frequency", "recency", "T", "monetary_value", "revenue", "expected_purchases",
              "p_alive", "expected_spend", "clv"):
        np.testing.assert_allclose(a[c].to_numpy(float), b[c].to_numpy(float), rtol=1e-9,
                                   atol=1e-12, err_msg=c)
    assert (pd.to_datetime(a["first_purchase"]) == pd.to_datetime(b["first_purchase"])).all()


def test_two_summaries_in_one_application_do_not_clash(spark):
    a_log, b_log = messy_log(n_customers=30, seed=1), messy_log(n_customers=40, seed=2)
    with open_summary(a_log, engine="spark", spark=spark, time_unit="D") as a, \
            open_summary(spark.createDataFrame(b_log), engine="spark", time_unit="D") as b:
        assert_same_summary(b.to_pandas(), rfm_summary(b_log, time_unit="D"))
        assert_same_summary(a.to_pandas(), rfm_summary(a_log, time_unit="D"))


@pytest.mark.parametrize("log", ["messy", "subscription"])
def test_workbook_aggregates_on_spark_equal_pandas(spark, log):
    from test_engine_aggregates import check_aggregates, subscription_log

    frame = messy_log() if log == "messy" else subscription_log()
    with open_summary(frame, engine="spark", spark=spark) as es:
        check_aggregates(frame, es)
        check_aggregates(frame, es, max_cohorts=3, max_periods=4)


def test_engine_report_on_spark_equals_duckdb_and_pandas(spark, tmp_path):
    """``build_report(engine="spark")``: the same workbook numbers as DuckDB (1e-9) and as
    the pandas path."""
    from test_report_engine import assert_same_workbook_aggregates

    from cltv_xl.report import build_report

    frame = messy_log(300, seed=4)
    frame["date"] = frame["date"].dt.strftime("%Y-%m-%d")
    path = tmp_path / "log.csv"
    frame.to_csv(path, index=False)
    reps = {name: build_report(path, tmp_path / f"{name}.xlsx", engine=name, model="bgnbd")
            for name in ("pandas", "duckdb", "spark")}
    sp, duck = reps["spark"], reps["duckdb"]
    assert_same_workbook_aggregates(sp, reps["pandas"])
    assert_same_workbook_aggregates(sp, duck)
    for key, value in duck.kpis.items():
        if isinstance(value, float) and np.isfinite(value):
            assert sp.kpis[key] == pytest.approx(value, rel=1e-9, abs=1e-9), key
    for model in ("bgnbd", "gamma_gamma"):
        for name, value in duck.models[model].items():
            if isinstance(value, float) and name != "log_likelihood":
                assert sp.models[model][name] == pytest.approx(value, rel=1e-9), (model, name)
    a = sp.customers.set_index("Customer ID").sort_index()
    b = duck.customers.set_index("Customer ID").sort_index()
    assert list(a.index) == list(b.index)
    for col in ("Predicted CLV", "P(alive)", "Revenue", "Recency", "T", "Average spend"):
        np.testing.assert_allclose(a[col], b[col], rtol=1e-9, atol=1e-12, err_msg=col)
    assert pq.read_table(tmp_path / "spark-customers.parquet").num_rows == len(a)


def test_every_rejected_row_to_parquet_on_spark(spark, tmp_path):
    frame = messy_log(120, seed=6).astype({"amount": object})
    frame.loc[:6, "amount"] = "n/a"
    with open_summary(frame, engine="spark", spark=spark) as es:
        assert es.counts["rejected"] == 7
        assert es.rejected_to_parquet(tmp_path / "rejected.parquet") == 7
        assert list(es.issue_counts["rows"]) == [7]
    every = pq.read_table(tmp_path / "rejected.parquet").to_pandas()
    assert sorted(every["raw_amount"]) == ["n/a"] * 7
