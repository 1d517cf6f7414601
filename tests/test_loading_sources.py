"""CSV files, DataFrames and the three-column cleaner share one set of rules."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cltv_xl.loading import clean_columns, read_transactions
from cltv_xl.loading.clean import REASON_REFUND, REASON_TOTAL
from cltv_xl.transactions import Transactions


def test_csv_with_title_rows_semicolons_and_decimal_commas(tmp_path: Path) -> None:
    p = tmp_path / "export.csv"
    p.write_text(
        "Sales export;;\n"
        "\n"
        "Kunde;Datum;Betrag\n"
        "001;12.01.1997;1.234,56\n"
        "002;13.01.1997;12,50\n"
        "\n"
        "003;14.01.1997;-3\n"
        "Summe;;1.244,06\n",
        encoding="cp1252",
    )
    tx = read_transactions(p, dayfirst=True)
    assert list(tx.data["customer_id"]) == ["001", "002", "003"]
    assert list(tx.data["date"]) == [pd.Timestamp(f"1997-01-{d}") for d in (12, 13, 14)]
    assert list(tx.data["amount"]) == [1234.56, 12.5, -3.0]
    assert list(tx.data["row"]) == [4, 5, 7]
    assert [tuple(r) for r in tx.issues.iloc[:, :5].itertuples(index=False)] == [
        (7, "Betrag", "-3", REASON_REFUND, "doubtful"),
        (8, "Kunde", "Summe", REASON_TOTAL, "rejected"),
    ]
    assert tx.counts == {"read": 4, "used": 3, "rejected": 1, "blank": 1, "doubtful": 1}
    assert tx.source == "export.csv"


def test_csv_keeps_text_exactly(tmp_path: Path) -> None:
    p = tmp_path / "ids.csv"
    p.write_text(
        "\ufeffCustomer ID,Order Date,Amount\n"
        '00001,2024-01-02,"$1,200.00"\n'
        "=HYPERLINK(1),2024-01-03,NA\n"
        "NA,2024-01-03,5\n",
        encoding="utf-8",
    )
    tx = read_transactions(p)
    assert list(tx.data["customer_id"]) == ["00001", "NA"]
    assert list(tx.data["amount"]) == [1200.0, 5.0]
    assert [tuple(r) for r in tx.issues.iloc[:, :5].itertuples(index=False)] == [
        (3, "Amount", "NA", "unreadable amount", "rejected"),
    ]


def test_csv_matches_xlsx_cleaning(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "Customer": ["a", "b", "a"],
            "Date": ["2024-01-01", "Jan 5, 2024", "2024/02/01"],
            "Amount": ["10", "(2.50)", "$3"],
        }
    )
    p = tmp_path / "same.csv"
    frame.to_csv(p, index=False)
    from_csv = read_transactions(p)
    from_frame = read_transactions(frame)
    pd.testing.assert_frame_equal(from_csv.data, from_frame.data)
    pd.testing.assert_frame_equal(from_csv.issues, from_frame.issues)
    assert from_csv.counts == from_frame.counts


def test_dataframe_of_raw_cell_values() -> None:
    frame = pd.DataFrame(
        {
            "Client #": ["001", 2.0, "  x ", None, "Grand Total", None],
            "Invoice date": [
                "12/01/1997", 35442, dt.datetime(2020, 1, 1, 5), None, None, "2020-01-01"
            ],
            "Order Total ($)": ["1.234,56", "(3)", 7, np.nan, 99, 1238.56],
        }
    )
    tx = read_transactions(frame, dayfirst=True)
    assert list(tx.data["customer_id"]) == ["001", "2", "x"]
    assert list(tx.data["date"]) == [
        pd.Timestamp("1997-01-12"),
        pd.Timestamp("1997-01-12"),
        pd.Timestamp("2020-01-01"),
    ]
    assert list(tx.data["amount"]) == [1234.56, -3.0, 7.0]
    assert list(tx.data["row"]) == [2, 3, 4]
    assert [tuple(r) for r in tx.issues.iloc[:, :5].itertuples(index=False)] == [
        (3, "Order Total ($)", "(3)", REASON_REFUND, "doubtful"),
        (6, "Client #", "Grand Total", REASON_TOTAL, "rejected"),
        (7, "Client #", "", REASON_TOTAL, "rejected"),  # empty id, amount = sum of the rest
    ]
    assert tx.counts == {"read": 5, "used": 3, "rejected": 2, "blank": 1, "doubtful": 1}
    assert tx.source == "DataFrame"


def test_headerless_frame_with_positional_overrides() -> None:
    frame = pd.DataFrame([["a", "2024-01-02", "5"], ["b", 45293, 6.5]])
    tx = read_transactions(frame, customer_col="A", date_col=2, amount_col="C")
    assert list(tx.data["row"]) == [1, 2]
    assert list(tx.data["date"]) == [pd.Timestamp("2024-01-02"), pd.Timestamp("2024-01-02")]
    assert tx.column_map == {"customer_id": "A", "date": "B", "amount": "C"}


def test_headerless_frame_that_contains_its_header() -> None:
    frame = pd.DataFrame(
        [["Orders", None, None], ["Customer", "Date", "Amount"], ["a", "2024-01-02", 5]]
    )
    tx = read_transactions(frame)
    assert list(tx.data["row"]) == [3]
    tx = read_transactions(frame, customer_col=1, date_col=2, amount_col=3)
    assert list(tx.data["row"]) == [3]
    assert tx.column_map == {"customer_id": "Customer", "date": "Date", "amount": "Amount"}


def test_clean_columns_is_the_worksheet_function_entry() -> None:
    tx = clean_columns(
        ["a", "b", "", "Total"],
        [45292.0, dt.datetime(2024, 1, 2), None, None],
        [10, "-4", None, 6],
        rows=[10, 11, 12, 13],
        names={"customer": "B", "date": "C", "amount": "D"},
        source="Sheet1!B10:D13",
    )
    assert isinstance(tx, Transactions)
    assert list(tx.data["customer_id"]) == ["a", "b"]
    assert list(tx.data["date"]) == [pd.Timestamp("2024-01-01"), pd.Timestamp("2024-01-02")]
    assert list(tx.data["amount"]) == [10.0, -4.0]
    assert list(tx.issues["row"]) == [11, 13]
    assert tx.counts == {"read": 3, "used": 2, "rejected": 1, "blank": 1, "doubtful": 1}
    assert tx.column_map == {"customer_id": "B", "date": "C", "amount": "D"}


def test_clean_columns_checks_lengths() -> None:
    from cltv_xl.errors import InputError

    with pytest.raises(InputError, match="same length"):
        clean_columns(["a"], [], [1])


def test_future_and_implausible_dates() -> None:
    frame = pd.DataFrame(
        {
            "Customer": ["a", "b", "c"],
            "Date": ["2098-06-01", "2150-01-01", "1850-01-01"],
            "Amount": [1, 2, 3],
        }
    )
    tx = read_transactions(frame)
    assert [tuple(r) for r in tx.issues.iloc[:, :5].itertuples(index=False)] == [
        (2, "Date", "2098-06-01", "date after today: kept", "doubtful"),
        (3, "Date", "2150-01-01", "date outside 1900-01-01..2099-12-31", "rejected"),
        (4, "Date", "1850-01-01", "date outside 1900-01-01..2099-12-31", "rejected"),
    ]
    with_cutoff = read_transactions(frame, as_of="2024-12-31")
    assert with_cutoff.issues.iloc[0]["reason"] == "date after as_of (2024-12-31)"
