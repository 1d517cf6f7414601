"""build_report checks Excel's row limit right after reading, before any model runs."""

from __future__ import annotations

import pandas as pd
import pytest

import cltv_xl.report as report_pkg
from cltv_xl.errors import InputError
from cltv_xl.report import limits


def _orders(n: int) -> pd.DataFrame:
    return pd.DataFrame({
        "customer_id": [f"c{i % 7}" for i in range(n)],
        "date": pd.date_range("2024-01-01", periods=n, freq="D").strftime("%Y-%m-%d"),
        "amount": [10.0 + i for i in range(n)],
    })


def test_too_many_rows_stop_before_the_models(tmp_path, monkeypatch):
    monkeypatch.setattr(limits, "EXCEL_MAX_ROWS", 20)  # 19 body rows below the header

    def never(*_a, **_k):
        raise AssertionError("compute_report ran before the row limit was checked")

    monkeypatch.setattr(report_pkg, "compute_report", never)
    with pytest.raises(InputError, match=r"Transactions table has 30 rows.*--no-transactions"):
        report_pkg.build_report(_orders(30), tmp_path / "r.xlsx")
    assert not (tmp_path / "r.xlsx").exists()


def test_without_the_transactions_sheet_the_limit_does_not_apply(tmp_path, monkeypatch):
    monkeypatch.setattr(limits, "EXCEL_MAX_ROWS", 20)
    seen = {}

    def record(tx, **kwargs):
        seen["rows"] = len(tx.data)
        raise RuntimeError("stop here")

    monkeypatch.setattr(report_pkg, "compute_report", record)
    with pytest.raises(RuntimeError, match="stop here"):
        report_pkg.build_report(_orders(30), tmp_path / "r.xlsx", include_transactions=False)
    assert seen["rows"] == 30
