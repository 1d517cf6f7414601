"""Date-order inference, the supported date window, Unicode digits, encodings, decimal styles
and CSV ids (issue 9 items 3-5; issue 12's date and digit cases)."""

from __future__ import annotations

import codecs
import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cltv_xl.loading import clean_columns, read_transactions
from cltv_xl.loading.sources import detect_encoding


def _tx(dates, amounts=None, **kw):
    n = len(dates)
    return clean_columns([f"c{i}" for i in range(n)], dates, amounts or [1.0] * n, **kw)


def test_day_first_is_inferred_per_column_and_never_mixed() -> None:
    tx = _tx(["03/04/2024", "13/04/2024", "04/05/2024"])
    assert list(tx.data["date"]) == [pd.Timestamp(d) for d in
                                     ("2024-04-03", "2024-04-13", "2024-05-04")]
    assert tx.date_order == {
        "column": "date", "order": "day/month/year", "how": "inferred", "ambiguous": False,
        "evidence": "'13/04/2024' has a first field above 12", "conflicting": 0,
    }
    us = _tx(["03/04/2024", "04/13/2024"])
    assert list(us.data["date"]) == [pd.Timestamp("2024-03-04"), pd.Timestamp("2024-04-13")]
    # Both kinds in one column: the majority order wins, the other values are rejected.
    mixed = _tx(["13/01/2024", "14/01/2024", "01/15/2024", "02/03/2024"])
    assert list(mixed.data["date"]) == [pd.Timestamp(d) for d in
                                        ("2024-01-13", "2024-01-14", "2024-03-02")]
    assert list(mixed.issues["row"]) == [4]
    assert mixed.issues["reason"][0].startswith("unreadable date: day/month order differs")
    assert mixed.date_order["conflicting"] == 1
    assert "mixes day/month orders" in mixed.warnings[0]


def test_ambiguous_column_is_loud_and_overrides_decide() -> None:
    tx = _tx(["03/04/2024", "05/06/2024"])
    assert list(tx.data["date"]) == [pd.Timestamp("2024-03-04"), pd.Timestamp("2024-05-06")]
    assert tx.date_order["ambiguous"] and tx.date_order["order"] == "month/day/year"
    assert tx.warnings == [
        "Date order of column 'date' is ambiguous: no value has a day or month field above 12 "
        "(e.g. '03/04/2024'); read as month/day/year (the default); pass dayfirst=True or "
        "False (CLI: --dayfirst / --monthfirst) to choose."
    ]
    dotted = _tx(["03.04.2024"])
    assert list(dotted.data["date"]) == [pd.Timestamp("2024-04-03")]
    assert dotted.date_order["ambiguous"] and dotted.date_order["order"] == "day/month/year"
    forced = _tx(["03/04/2024", "05/06/2024"], dayfirst=True)
    assert list(forced.data["date"]) == [pd.Timestamp("2024-04-03"), pd.Timestamp("2024-06-05")]
    assert forced.date_order["how"] == "dayfirst=True" and forced.warnings == []
    iso = _tx(["2024-03-04"])
    assert iso.date_order["order"] is None and iso.warnings == []


def test_dates_outside_the_window_are_rejected_never_wrapped() -> None:
    far = [
        "1500-01-01", "3000-01-01", dt.datetime(3000, 1, 1), dt.date(1500, 6, 1),
        np.datetime64("2500-01-01", "s"), "1" * 400, 10**400, "2024-01-31",
    ]
    tx = _tx(far)
    assert list(tx.data["date"]) == [pd.Timestamp("2024-01-31")]
    reasons = list(tx.issues["reason"])
    assert reasons[:5] == ["date outside 1900-01-01..2099-12-31"] * 5
    assert reasons[5:] == [
        "number is not a date (Excel serial 1-73050 or yyyymmdd expected)"
    ] * 2
    # A typed column of out-of-range datetimes (seconds resolution) as well.
    col = pd.Series(np.array(["1500-01-01", "2024-05-06", "2600-01-01"], dtype="datetime64[s]"))
    tx = clean_columns(["a", "b", "c"], col, [1, 2, 3])
    assert list(tx.data["date"]) == [pd.Timestamp("2024-05-06")]
    assert list(tx.issues["row"]) == [2, 4]


def test_unicode_digits_are_read_or_rejected_one_row_at_a_time() -> None:
    tx = _tx(["٢٠٢٤-٠١-١٥", "２０２４/０２/０３", "45292", "٤٥٢٩٢"], ["١٢٣٫٥", "１２", "7", "???"])
    assert list(tx.data["date"]) == [pd.Timestamp(d) for d in
                                     ("2024-01-15", "2024-02-03", "2024-01-01")]
    assert list(tx.data["amount"]) == [123.5, 12.0, 7.0]
    assert [tuple(r) for r in tx.issues.iloc[:, [0, 3]].itertuples(index=False)] == [
        (5, "unreadable amount")
    ]


def test_decimal_style_is_one_per_column() -> None:
    tx = _tx(["2024-01-01"] * 4, ["1.234,56", "12,50", "1.500", "7.25"])
    assert list(tx.data["amount"]) == [1234.56, 12.5, 1500.0]
    assert tx.issues["reason"][0] == (
        "decimal separator differs from the rest of the column (one style per column)"
    )
    space = _tx(["2024-01-01"] * 2, ["1 234,56 €", "2 000,00 €"])
    assert list(space.data["amount"]) == [1234.56, 2000.0]


@pytest.mark.parametrize(
    ("encoding", "expected"),
    [("utf-8-sig", "utf-8 (byte-order mark)"), ("utf-16", "utf-16 (byte-order mark)"),
     ("utf-32", "utf-32 (byte-order mark)"), ("utf-16-le", "utf-16-le (no byte-order mark; "
                                             "NUL bytes between characters)"),
     ("utf-8", "utf-8")],
)
def test_encodings(tmp_path: Path, encoding: str, expected: str) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes("Kunde;Datum;Betrag\nMüller;15.01.2024;1.234,56 €\n".encode(encoding))
    assert detect_encoding(path)[1] == expected
    tx = read_transactions(path)
    assert list(tx.data["customer_id"]) == ["Müller"] and list(tx.data["amount"]) == [1234.56]


def test_undefined_cp1252_byte_falls_back_to_latin1(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes(b"Customer,Date,Amount\nab\x81c,2024-01-01,1\n")
    assert detect_encoding(path) == (
        "latin-1",
        "latin-1 (not valid UTF-8: byte 0x81 at offset 23; not valid Windows-1252 either)",
    )
    assert list(read_transactions(path).data["customer_id"]) == ["ab\x81c"]


def test_float_ids_from_csv_match_the_workbook(tmp_path: Path) -> None:
    path = tmp_path / "ids.csv"
    path.write_text("CustomerID,Date,Amount\n17850.0,2024-01-01,1\n00017.0,2024-01-01,1\n"
                    "17850.5,2024-01-01,1\n0.0,2024-01-01,1\n", encoding="utf-8")
    tx = read_transactions(path)
    assert list(tx.data["customer_id"]) == ["17850", "00017.0", "17850.5", "0"]
    # Text in a DataFrame is kept as written.
    frame = pd.DataFrame({"CustomerID": ["17850.0"], "Date": ["2024-01-01"], "Amount": [1]})
    assert list(read_transactions(frame).data["customer_id"]) == ["17850.0"]


def test_tab_separated_text_saved_as_xls(tmp_path: Path) -> None:
    path = tmp_path / "export.xls"
    path.write_bytes(codecs.BOM_UTF16_LE + "Customer\tDate\tAmount\r\na\t1/13/2024\t5\r\n"
                     .encode("utf-16-le"))
    tx = read_transactions(path)
    assert list(tx.data["date"]) == [pd.Timestamp("2024-01-13")]
    assert tx.reading["delimiter"] == "tab"


def test_numbers_too_large_for_a_float_are_one_rejected_row() -> None:
    big = "1" * 400
    tx = clean_columns([big, 10**400, "a", "b"], ["2024-01-01"] * 4,
                       [big, 10**400, "1e400", "١٢٣"])
    assert list(tx.data["customer_id"]) == ["b"] and list(tx.data["amount"]) == [123.0]
    assert list(tx.issues["reason"]) == ["amount is not a finite number"] * 3
    assert tx.issues["value"][1] == "1" + "0" * 400


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("broken.xls", bytes.fromhex("D0CF11E0A1B11AE1") + b"\x00" * 600,
         "broken.xls: cannot read the workbook ("),
        ("broken.ods", b"PK\x03\x04" + b"\x00" * 600, "broken.ods: cannot read the workbook ("),
        ("broken.xlsb", b"PK\x03\x04" + b"\x00" * 600, "broken.xlsb: cannot read the workbook ("),
    ],
)
def test_damaged_containers_give_one_line_errors(tmp_path: Path, name, data, message) -> None:
    from cltv_xl.errors import InputError

    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(InputError) as exc:
        read_transactions(path)
    text = str(exc.value)
    assert text.startswith(message) and "\n" not in text
