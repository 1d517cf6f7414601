"""read_transactions on messy workbooks: exact values, row numbers, issues and counts."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook

from cltv_xl.errors import InputError
from cltv_xl.loading import read_transactions
from cltv_xl.loading.clean import REASON_REFUND, REASON_TOTAL, REASON_ZERO
from cltv_xl.summary import rfm_summary


def _text(ws, row: int, col: int, value: str) -> None:
    """Store formula-looking text as a string cell, as Excel does for '=... typed with a quote."""
    cell = ws.cell(row, col, value)
    cell.data_type = "s"


def make_messy(path: Path) -> Path:
    """Title rows, header on row 4, real dates, serials, text dates, currency text, accounting
    negatives, blank rows, a TOTAL row, formula-like text, leading-zero and numeric ids."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Export"
    ws["A1"] = "Quarterly orders export"
    ws["A2"] = "Generated 2024-01-05"
    for j, name in enumerate(["Client #", "Invoice date", "Notes", "Order Total ($)"], start=1):
        ws.cell(4, j, name)
    rows = {
        5: ["00042", dt.datetime(2023, 1, 5, 13, 30), "first", 12.5],
        6: [1.0, 44935, None, "$1,234.50"],
        7: [12345678901, "Jan 12, 2023", None, "(12.50)"],
        9: [None, "12 January 2023", None, "7.25-"],
        10: ["  C-7 ", "2023/01/15", None, "€ 30"],
        11: ["C-8", "not a date", None, 5],
        12: [None, dt.date(2023, 1, 3), None, 9],
        13: ["C-9", dt.date(2023, 1, 3), None, "abc"],
        14: ["C-10", dt.date(2023, 1, 4), None, 0],
        16: ["TOTAL", None, None, 1262.0],
    }
    for r, values in rows.items():
        for j, v in enumerate(values, start=1):
            if v is not None:
                ws.cell(r, j, v)
    _text(ws, 9, 1, "=SUM(A1:A3)")
    wb.save(path)
    return path


@pytest.fixture
def messy(tmp_path: Path) -> Path:
    return make_messy(tmp_path / "orders.xlsx")


def test_messy_workbook_values(messy: Path) -> None:
    tx = read_transactions(messy)
    d = tx.data
    assert list(d["customer_id"]) == ["00042", "1", "12345678901", "=SUM(A1:A3)", "C-7", "C-10"]
    assert list(d["date"]) == [
        pd.Timestamp(f"2023-01-{day:02d}") for day in (5, 9, 12, 12, 15, 4)
    ]
    assert list(d["amount"]) == [12.5, 1234.5, -12.5, -7.25, 30.0, 0.0]
    assert list(d["row"]) == [5, 6, 7, 9, 10, 14]
    assert str(d["date"].dtype) == "datetime64[ns]"
    assert d["amount"].dtype == "float64"


def test_messy_workbook_issues_and_counts(messy: Path) -> None:
    tx = read_transactions(messy)
    got = [tuple(r) for r in tx.issues.iloc[:, :5].itertuples(index=False)]
    assert got == [
        (7, "Order Total ($)", "(12.50)", REASON_REFUND, "doubtful"),
        (9, "Order Total ($)", "7.25-", REASON_REFUND, "doubtful"),
        (11, "Invoice date", "not a date", "unreadable date", "rejected"),
        (12, "Client #", "", "missing customer id", "rejected"),
        (13, "Order Total ($)", "abc", "unreadable amount", "rejected"),
        (14, "Order Total ($)", "0", REASON_ZERO, "doubtful"),
        (16, "Client #", "TOTAL", REASON_TOTAL, "rejected"),
    ]
    assert tx.counts == {"read": 10, "used": 6, "rejected": 4, "blank": 2, "doubtful": 3}
    assert tx.source == "orders.xlsx [Export]"
    assert tx.column_map == {
        "customer_id": "Client #",
        "date": "Invoice date",
        "amount": "Order Total ($)",
    }


def test_refunds_are_netted_in_the_summary(messy: Path) -> None:
    summary = rfm_summary(read_transactions(messy), time_unit="D")
    # The only rows of 12345678901 (-12.50) and "=SUM(A1:A3)" (-7.25) are refunds: no
    # purchase, so no RFM row; they are reported in attrs.
    assert "12345678901" not in summary.index
    assert summary.attrs["refund_only"] == {"customers": 2, "amount": -19.75}
    assert summary.loc["00042", "revenue"] == 12.5


def test_as_of_rejects_later_rows(messy: Path) -> None:
    tx = read_transactions(messy, as_of="2023-01-10")
    assert list(tx.data["row"]) == [5, 6, 14]
    later = tx.issues[tx.issues["reason"] == "date after as_of (2023-01-10)"]
    assert list(later["row"]) == [7, 9, 10]
    assert set(later["severity"]) == {"rejected"}
    assert tx.counts == {"read": 10, "used": 3, "rejected": 7, "blank": 2, "doubtful": 1}


def test_header_below_blank_rows_and_right_of_column_a(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws["C4"], ws["D4"], ws["E4"] = "Customer", "Date", "Amount"
    ws["C5"], ws["D5"], ws["E5"] = "a", dt.datetime(2024, 2, 1), 3
    ws["C7"], ws["D7"], ws["E7"] = "b", dt.datetime(2024, 2, 2), 4.5
    path = tmp_path / "offset.xlsx"
    wb.save(path)
    tx = read_transactions(path)
    assert list(tx.data["row"]) == [5, 7]
    assert list(tx.data["customer_id"]) == ["a", "b"]
    assert tx.counts == {"read": 2, "used": 2, "rejected": 0, "blank": 1, "doubtful": 0}


def test_numeric_id_column_and_serial_date_column(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws.append(["CustomerID", "Transaction Date", "Revenue"])
    ws.append([1, 35442, 10])
    ws.append([2.0, 35443.75, 20.25])
    ws.append([12345678901, 35444, 1e3])
    path = tmp_path / "numbers.xlsx"
    wb.save(path)
    tx = read_transactions(path)
    assert list(tx.data["customer_id"]) == ["1", "2", "12345678901"]
    assert list(tx.data["date"]) == [
        pd.Timestamp("1997-01-12"),
        pd.Timestamp("1997-01-13"),
        pd.Timestamp("1997-01-14"),
    ]
    assert list(tx.data["amount"]) == [10.0, 20.25, 1000.0]
    assert list(tx.data["row"]) == [2, 3, 4]


def test_mixed_types_after_the_sampled_rows_are_not_lost(tmp_path: Path) -> None:
    """fastexcel infers types from the first rows; a text date or amount further down must
    still be read (the loader re-reads as text rather than accept a lossy coercion)."""
    wb = Workbook()
    ws = wb.active
    ws.append(["Customer", "Order Date", "Sales"])
    for i in range(1500):
        ws.append([f"c{i}", dt.datetime(2023, 1, 1) + dt.timedelta(days=i % 30), float(i + 1)])
    ws.append([77, "Feb 3, 2023", "(1,000.00)"])
    path = tmp_path / "late.xlsx"
    wb.save(path)
    tx = read_transactions(path)
    last = tx.data.iloc[-1]
    assert (last["customer_id"], last["date"], last["amount"], last["row"]) == (
        "77",
        pd.Timestamp("2023-02-03"),
        -1000.0,
        1502,
    )
    assert tx.data.iloc[0]["date"] == pd.Timestamp("2023-01-01")
    assert tx.counts["used"] == 1501


def test_dayfirst(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws.append(["Customer", "Date", "Amount"])
    ws.append(["a", "12/01/1997", 1])
    ws.append(["b", "13/01/1997", 1])
    path = tmp_path / "dm.xlsx"
    wb.save(path)
    us = read_transactions(path, dayfirst=False)
    assert list(us.data["date"]) == [pd.Timestamp("1997-12-01")]
    assert list(us.issues["reason"]) == [
        "unreadable date (read as month/day/year; pass dayfirst=True for day/month/year)"
    ]
    inferred = read_transactions(path)  # "13/01/1997" proves day first for the whole column
    assert list(inferred.data["date"]) == [pd.Timestamp("1997-01-12"), pd.Timestamp("1997-01-13")]
    assert inferred.date_order["how"] == "inferred" and not inferred.date_order["ambiguous"]
    assert inferred.date_order["order"] == "day/month/year" and inferred.warnings == []
    eu = read_transactions(path, dayfirst=True)
    assert list(eu.data["date"]) == [pd.Timestamp("1997-01-12"), pd.Timestamp("1997-01-13")]


def test_overrides_by_name_index_and_letter(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws.append(["Ref", "Who", "When", "Net", "Gross"])
    ws.append(["r1", "x", dt.datetime(2024, 1, 1), 10, 12])
    path = tmp_path / "odd.xlsx"
    wb.save(path)
    tx = read_transactions(path, customer_col="Who", date_col=3, amount_col="E")
    assert tx.column_map == {"customer_id": "Who", "date": "When", "amount": "Gross"}
    assert list(tx.data["amount"]) == [12.0]
    tx = read_transactions(path, customer_col="who", date_col="when")
    assert tx.column_map["amount"] == "Net"


def test_sheet_choice(tmp_path: Path) -> None:
    wb = Workbook()
    wb.active.title = "Notes"
    wb.active["A1"] = "read me"
    ws = wb.create_sheet("Orders")
    ws.append(["Account", "Date", "Total"])
    ws.append(["a", dt.date(2024, 1, 1), 1])
    path = tmp_path / "two.xlsx"
    wb.save(path)
    assert read_transactions(path).source == "two.xlsx [Orders]"  # first sheet with a header
    assert read_transactions(path, sheet="orders").source == "two.xlsx [Orders]"
    assert read_transactions(path, sheet=1).source == "two.xlsx [Orders]"
    with pytest.raises(InputError, match=r"No customer id or date or amount \(or quantity"):
        read_transactions(path, sheet="Notes")


def test_xlsm_is_read(tmp_path: Path, messy: Path) -> None:
    path = tmp_path / "orders.xlsm"
    path.write_bytes(messy.read_bytes())
    assert read_transactions(path).counts["used"] == 6


def test_1904_workbook_and_error_cells(tmp_path: Path) -> None:
    from openpyxl.utils.datetime import CALENDAR_MAC_1904

    wb = Workbook()
    wb.epoch = CALENDAR_MAC_1904
    ws = wb.active
    ws.append(["Customer", "Date", "Amount"])
    ws.append(["a", dt.datetime(2024, 3, 1), 1])
    ws.append(["b", "2024-03-02", "#N/A"])
    ws["C3"].data_type = "e"
    path = tmp_path / "mac.xlsx"
    wb.save(path)
    tx = read_transactions(path)
    assert list(tx.data["date"]) == [pd.Timestamp("2024-03-01")]
    assert [tuple(r) for r in tx.issues.iloc[:, :5].itertuples(index=False)] == [
        (3, "Amount", "", "missing amount", "rejected")
    ]


def test_control_characters_in_ids_are_removed_and_listed() -> None:
    """XML 1.0 cannot hold most control characters: the id loses them, visibly, not silently."""
    frame = pd.DataFrame(
        {
            "Customer": ["ab\x01c", "\x02", "ok"],
            "Date": ["2024-01-01", "2024-01-02", "2024-01-03"],
            "Amount": [1.0, 2.0, 3.0],
        }
    )
    tx = read_transactions(frame)
    assert tx.data["customer_id"].tolist() == ["abc", "ok"]
    assert tx.counts == {"read": 3, "used": 2, "rejected": 1, "blank": 0, "doubtful": 1}
    doubtful = tx.issues[tx.issues["severity"] == "doubtful"]
    assert doubtful[["row", "column", "value"]].values.tolist() == [[2, "Customer", "ab\\x01c"]]
    assert "control characters removed" in doubtful["reason"].iloc[0]
    rejected = tx.issues[tx.issues["severity"] == "rejected"]
    assert rejected[["row", "value"]].values.tolist() == [[3, "\\x02"]]
