"""Every unusable input gives a one-line InputError that says what to do."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook

from cltv_xl.errors import InputError
from cltv_xl.loading import read_transactions


def _one_line(exc: pytest.ExceptionInfo[InputError]) -> str:
    text = str(exc.value)
    assert "\n" not in text
    return text


def _book(path: Path, rows: list[list[object]], extra_sheet: str | None = None) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = "Data"
    for r in rows:
        ws.append(r)
    if extra_sheet:
        wb.create_sheet(extra_sheet)
    wb.save(path)
    return path


def test_text_file_renamed_xlsx(tmp_path: Path) -> None:
    p = tmp_path / "fake.xlsx"
    p.write_text("customer,date,amount\n1,2024-01-01,3\n")
    with pytest.raises(InputError) as exc:
        read_transactions(p)
    assert _one_line(exc) == "fake.xlsx: not an Excel workbook (an .xlsx file is a zip archive)"


def test_encrypted_workbook(tmp_path: Path) -> None:
    p = tmp_path / "secret.xlsx"
    p.write_bytes(bytes.fromhex("D0CF11E0A1B11AE1") + b"\x00" * 512)
    with pytest.raises(InputError) as exc:
        read_transactions(p)
    assert _one_line(exc).startswith("secret.xlsx: the workbook is password-protected/encrypted")


def test_corrupt_zip(tmp_path: Path) -> None:
    p = tmp_path / "broken.xlsx"
    p.write_bytes(b"PK\x03\x04" + b"garbage" * 20)
    with pytest.raises(InputError) as exc:
        read_transactions(p)
    assert _one_line(exc).startswith("broken.xlsx: cannot read the workbook")


@pytest.mark.parametrize("name", ["empty.xlsx", "empty.csv"])
def test_empty_file(tmp_path: Path, name: str) -> None:
    p = tmp_path / name
    p.write_bytes(b"")
    with pytest.raises(InputError) as exc:
        read_transactions(p)
    assert _one_line(exc) == f"{name}: the file is empty"


def test_unsupported_extension_and_missing_file(tmp_path: Path) -> None:
    p = tmp_path / "old.numbers"
    p.write_bytes(b"x")
    with pytest.raises(InputError) as exc:
        read_transactions(p)
    assert _one_line(exc) == (
        "old.numbers: unsupported file type '.numbers'; use .xlsx, .xlsm, .xlsb, .xls, .ods, "
        ".csv, .tsv, .txt or .parquet"
    )
    html = tmp_path / "export.xls"
    html.write_bytes(b"<html><table><tr><td>x</td></tr></table></html>")
    with pytest.raises(InputError, match=r"export.xls: an HTML/XML page named .xls"):
        read_transactions(html)
    with pytest.raises(InputError, match="file not found"):
        read_transactions(tmp_path / "nope.csv")


def test_empty_sheet_and_unknown_sheet(tmp_path: Path) -> None:
    p = _book(
        tmp_path / "b.xlsx",
        [["Customer", "Date", "Amount"], ["a", dt.date(2024, 1, 1), 1]],
        extra_sheet="Blank",
    )
    with pytest.raises(InputError) as exc:
        read_transactions(p, sheet="Blank")
    assert _one_line(exc) == "b.xlsx: sheet 'Blank' is empty"
    with pytest.raises(InputError) as exc:
        read_transactions(p, sheet="Sales")
    assert _one_line(exc) == "b.xlsx: no sheet named 'Sales'; sheets: 'Data', 'Blank'"


def test_header_without_data(tmp_path: Path) -> None:
    p = _book(tmp_path / "h.xlsx", [["Title"], [], ["Customer", "Date", "Amount"]])
    with pytest.raises(InputError) as exc:
        read_transactions(p)
    assert _one_line(exc) == "h.xlsx: sheet 'Data' has a header (row 3) but no data rows under it"
    c = tmp_path / "h.csv"
    c.write_text("Customer,Date,Amount\n")
    with pytest.raises(InputError) as exc:
        read_transactions(c)
    assert _one_line(exc) == "h.csv: has a header (line 1) but no data rows under it"


def test_missing_column_lists_headers_and_option(tmp_path: Path) -> None:
    p = _book(tmp_path / "m.xlsx", [["Foo", "Order Date", "Bar"], ["a", dt.date(2024, 1, 1), 1]])
    with pytest.raises(InputError) as exc:
        read_transactions(p)
    assert _one_line(exc) == (
        "No customer id or amount (or quantity and unit price) column found in sheet 'Data' of "
        "m.xlsx. Columns seen: 'Foo', 'Order Date', 'Bar'. Pass customer_col=..., amount_col=... "
        "(or quantity_col=... and price_col=...) (CLI: --customer-col, --amount-col)."
    )
    frame = pd.DataFrame({"Foo": ["a"], "Date": ["2024-01-01"], "Amount": [1]})
    with pytest.raises(InputError) as exc:
        read_transactions(frame)
    assert _one_line(exc) == (
        "No customer id column found in DataFrame. Columns seen: 'Foo', 'Date', 'Amount'. "
        "Pass customer_col=... (CLI: --customer-col)."
    )


def test_override_that_matches_nothing(tmp_path: Path) -> None:
    frame = pd.DataFrame({"Customer": ["a"], "Date": ["2024-01-01"], "Amount": [1]})
    with pytest.raises(InputError, match=r"amount_col='Price' matches no column"):
        read_transactions(frame, amount_col="Price")
    with pytest.raises(InputError, match="each role needs its own column"):
        read_transactions(frame, customer_col="A", date_col="A", amount_col="C")


def test_bad_arguments() -> None:
    frame = pd.DataFrame({"Customer": ["a"], "Date": ["2024-01-01"], "Amount": [1]})
    with pytest.raises(InputError, match="as_of must be a date"):
        read_transactions(frame, as_of="someday")
    with pytest.raises(InputError, match="source must be a path"):
        read_transactions(42)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="column indexes are 1-based"):
        read_transactions(frame, customer_col=0)


@pytest.mark.parametrize("padding", [0, 70_000])
def test_xml_entity_bomb_is_refused(tmp_path: Path, padding: int) -> None:
    """A 'billion laughs' DOCTYPE in a sheet part is refused, even behind a long comment."""
    import zipfile

    good = _book(
        tmp_path / "good.xlsx", [["Customer", "Date", "Amount"], ["a", dt.date(2024, 1, 1), 5]]
    )
    bomb = (
        '<?xml version="1.0"?><!--'
        + "x" * padding
        + '--><!DOCTYPE lolz [<!ENTITY lol "lol">'
        + "".join(
            f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10 if i else "&lol;" * 10}">'
            for i in range(9)
        )
        + ']><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol8;</t></is></c></row>'
        "</sheetData></worksheet>"
    )
    evil = tmp_path / "evil.xlsx"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(evil, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = bomb.encode()
            dst.writestr(item, data)
    with pytest.raises(InputError) as exc:
        read_transactions(evil)
    assert "DOCTYPE" in _one_line(exc)
