"""The large sheets streamed in row chunks, deflated by ISA-L; Excel's row limit checked early."""

from __future__ import annotations

import zipfile

import numpy as np
import openpyxl
import pytest

from cltv_xl.datasets import load_cdnow
from cltv_xl.errors import InputError
from cltv_xl.report import compute_report
from cltv_xl.report import xlsx_writer as xw_mod
from cltv_xl.report.limits import (
    EXCEL_MAX_ROWS,
    check_table_rows,
    check_transactions_fit,
    max_table_rows,
)
from cltv_xl.transactions import Transactions


@pytest.fixture(scope="module")
def report():
    tx = Transactions.from_frame(load_cdnow()[["customer_id", "date", "amount"]])
    return compute_report(tx)


def _sheet_rows(path, sheet: str) -> list[tuple]:
    wb = openpyxl.load_workbook(path, read_only=True)
    return list(wb[sheet].iter_rows(values_only=True))


def test_chunked_rows_equal_one_piece(report, tmp_path, monkeypatch):
    whole = tmp_path / "whole.xlsx"
    xw_mod.write_report(report, whole)
    monkeypatch.setattr(xw_mod, "CHUNK_ROWS", 997)  # 6919 rows: 7 full chunks and a partial
    chunked = tmp_path / "chunked.xlsx"
    xw_mod.write_report(report, chunked)
    for sheet in ("Transactions", "Customers"):
        a, b = _sheet_rows(whole, sheet), _sheet_rows(chunked, sheet)
        assert a == b
    rows = _sheet_rows(chunked, "Transactions")
    assert len(rows) == 1 + 6919
    tx = report.tables()["Transactions"]
    assert [r[0] for r in rows[1:]] == list(tx.iloc[:, 0])
    assert np.allclose([r[2] for r in rows[1:]], tx.iloc[:, 2].to_numpy(dtype=float))
    with zipfile.ZipFile(chunked) as z:
        assert z.testzip() is None  # every member's CRC matches its inflated bytes


def test_isal_deflate_is_used_and_smaller_than_zlib_level_1(report, tmp_path, monkeypatch):
    pytest.importorskip("isal")
    fast = tmp_path / "isal.xlsx"
    xw_mod.write_report(report, fast)
    monkeypatch.setattr(xw_mod, "_fast_compressor", lambda: None)
    plain = tmp_path / "zlib.xlsx"
    xw_mod.write_report(report, plain)
    with zipfile.ZipFile(fast) as a, zipfile.ZipFile(plain) as b:
        assert a.testzip() is None and b.testzip() is None
        for info in a.infolist():
            if info.filename != "docProps/core.xml":  # holds the time of writing
                assert a.read(info.filename) == b.read(info.filename)
        sizes_a = {i.filename: i.compress_size for i in a.infolist()}
        sizes_b = {i.filename: i.compress_size for i in b.infolist()}
    # The Transactions sheet is the largest part; ISA-L level 1 compresses it differently
    # from zlib level 1 (the streams differ), into no more than 5 % more bytes.
    big = max(sizes_b, key=sizes_b.get)
    assert sizes_a[big] != sizes_b[big]
    assert sizes_a[big] <= 1.05 * sizes_b[big]


def test_row_limit_checked_in_one_place(report, tmp_path, monkeypatch):
    assert max_table_rows(1) == EXCEL_MAX_ROWS - 1 == 1_048_575
    check_transactions_fit(1_048_575)  # the last sheet row
    with pytest.raises(InputError, match=r"1,048,576 rows.*--no-transactions"):
        check_transactions_fit(1_048_576)
    check_transactions_fit(5_000_000, include_transactions=False)
    check_table_rows(1_048_573, "Customers", header_row=3)
    with pytest.raises(InputError, match=r"the Customers table has 1,048,574 rows.*row 3"):
        check_table_rows(1_048_574, "Customers", header_row=3)
    # The writer uses the same check: nothing is written when a table does not fit.
    monkeypatch.setattr("cltv_xl.report.limits.EXCEL_MAX_ROWS", 3000)
    with pytest.raises(InputError, match="Transactions table has 6,919 rows"):
        xw_mod.write_report(report, tmp_path / "big.xlsx")
    assert not (tmp_path / "big.xlsx").exists()


def test_rows_xml_writes_each_cell_and_leaves_out_missing_ones():
    import pandas as pd

    from cltv_xl.report import fastxml

    cols = [pd.Series(["a<b", None, "=1+1"], dtype=object),
            pd.Series([1.5, float("nan"), -2.0]),
            pd.Series(pd.to_datetime(["1900-03-01", None, "2024-01-02"])),
            pd.Series([3, 4, 5], dtype="int64"),
            pd.Series([True, False, True])]
    xml = bytes(fastxml.rows_xml(cols, 2, 7, [5, None, 6, 7, 8])).decode()
    t = ' t="inlineStr"><is><t xml:space="preserve">'
    assert xml == (
        f'<row r="7"><c r="B7" s="5"{t}a&lt;b</t></is></c><c r="C7"><v>1.5</v></c>'
        '<c r="D7" s="6"><v>61</v></c><c r="E7" s="7"><v>3</v></c>'
        '<c r="F7" s="8"><v>1</v></c></row>'
        '<row r="8"><c r="E8" s="7"><v>4</v></c><c r="F8" s="8"><v>0</v></c></row>'
        f'<row r="9"><c r="B9" s="5"{t}=1+1</t></is></c><c r="C9"><v>-2</v></c>'
        '<c r="D9" s="6"><v>45293</v></c><c r="E9" s="7"><v>5</v></c>'
        '<c r="F9" s="8"><v>1</v></c></row>')


def test_wide_tables_stream_in_fewer_rows_per_chunk():
    assert xw_mod.chunk_rows(4) == xw_mod.CHUNK_ROWS
    assert xw_mod.chunk_rows(17) * 17 <= xw_mod.CHUNK_CELLS
    assert xw_mod.chunk_rows(10**9) == 1
