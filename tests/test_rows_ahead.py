"""The Transactions rows built and deflated ahead, while the models fit
(``cltv_xl.report.rows_ahead``): the member they make is the one the writer makes itself, its
CRC is right, and anything that does not match falls back to the writer's own rows."""

from __future__ import annotations

import zipfile
import zlib

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cltv_xl.datasets import load_cdnow
from cltv_xl.report import build_report, compute_report
from cltv_xl.report import rows_ahead as ra
from cltv_xl.report import xlsx_writer as xw_mod
from cltv_xl.report.build import transactions_table
from cltv_xl.report.template import load_template
from cltv_xl.transactions import Transactions

pytest.importorskip("isal")


@given(st.binary(max_size=300), st.binary(max_size=300), st.integers(0, 2**32 - 1))
@settings(max_examples=300, deadline=None)
def test_crc32_combine_is_the_crc_of_the_concatenation(a, b, seed):
    first = zlib.crc32(a, seed)
    assert ra.crc32_combine(first, zlib.crc32(b), len(b)) == zlib.crc32(a + b, seed)


def test_crc32_combine_over_long_lengths():
    block = bytes(range(256)) * 4096  # 1 MiB
    crc = zlib.crc32(block)
    whole = zlib.crc32(block, crc)  # two blocks
    assert ra.crc32_combine(crc, crc, len(block)) == whole
    assert ra.crc32_combine(123, 0, 0) == 123


@pytest.fixture(scope="module")
def tx():
    return Transactions.from_frame(load_cdnow()[["customer_id", "date", "amount"]])


@pytest.fixture
def spy(monkeypatch):
    """Per table, whether RowsAhead.write used the rows built ahead."""
    used: dict[str, bool] = {}
    real = ra.RowsAhead.write

    def write(self, *args, **kwargs):
        out = real(self, *args, **kwargs)
        used[self.table] = out
        return out

    monkeypatch.setattr(ra.RowsAhead, "write", write)
    return used


def cells(path, sheet):
    wb = openpyxl.load_workbook(path)
    out = []
    for row in wb[sheet].iter_rows():
        out.append([(c.value, c.number_format, c.quotePrefix, repr(c.font), repr(c.fill))
                    for c in row])
    return out


def test_the_report_with_rows_ahead_is_the_report_without(tx, tmp_path, spy, monkeypatch):
    src = tmp_path / "orders.parquet"
    tx.data[["customer_id", "date", "amount"]].to_parquet(src)
    ahead = build_report(src, tmp_path / "ahead.xlsx", as_of="1998-07-01")
    assert spy == {"Transactions": True}
    spy.clear()
    monkeypatch.setattr(ra, "start_rows", lambda *a, **k: None)
    plain = build_report(src, tmp_path / "plain.xlsx", as_of="1998-07-01")
    assert spy == {}  # no rows built ahead
    assert ahead.counts == plain.counts
    with zipfile.ZipFile(tmp_path / "ahead.xlsx") as a:
        assert a.testzip() is None  # the combined CRC and the sizes hold
    for sheet in ("Transactions", "Customers", "Data issues"):
        assert cells(tmp_path / "ahead.xlsx", sheet) == cells(tmp_path / "plain.xlsx", sheet)
    rows = cells(tmp_path / "ahead.xlsx", "Transactions")
    assert len(rows) == 1 + len(tx.data)
    assert rows[1][0][2] is True  # the id column keeps its quote prefix


def test_rows_of_another_frame_are_not_used(tx, tmp_path, spy):
    report = compute_report(tx, as_of="1998-07-01")
    wb = load_template()
    other = transactions_table(tx)  # equal, but not the report's own frame
    started = ra.start_rows(wb, "Transactions", other)
    assert started is not None
    xw_mod.write_report(report, tmp_path / "r.xlsx", loaded=wb,
                        ahead={"Transactions": started})
    assert spy == {"Transactions": False}
    rows = cells(tmp_path / "r.xlsx", "Transactions")
    assert len(rows) == 1 + len(tx.data)
    with zipfile.ZipFile(tmp_path / "r.xlsx") as z:
        assert z.testzip() is None


def test_rows_with_other_styles_are_not_used(tx, tmp_path, spy):
    wb = load_template()
    table = transactions_table(tx)
    started = ra.start_rows(wb, "Transactions", table)
    started.styles[0] = (started.styles[0] or 0) + 1  # as if the prototype row had changed
    report = compute_report(tx, as_of="1998-07-01", table=table)
    xw_mod.write_report(report, tmp_path / "r.xlsx", loaded=wb,
                        ahead={"Transactions": started})
    assert spy == {"Transactions": False}
    assert cells(tmp_path / "r.xlsx", "Transactions")[1][0][2] is True


def test_an_error_while_building_ahead_stops_the_report(tx, tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise MemoryError("no room for the rows")

    monkeypatch.setattr(ra.fastxml, "rows_xml", broken)
    src = tmp_path / "orders.parquet"
    tx.data[["customer_id", "date", "amount"]].to_parquet(src)
    with pytest.raises(MemoryError, match="no room"):
        build_report(src, tmp_path / "r.xlsx", as_of="1998-07-01")
    assert list(tmp_path.iterdir()) == [src]  # no report, no temporary file


def test_no_rows_ahead_without_isal_or_rows(tx, monkeypatch):
    wb = load_template()
    assert ra.start_rows(wb, "Transactions", transactions_table(tx).iloc[:0]) is None
    assert ra.start_rows(wb, "NoSuchTable", transactions_table(tx)) is None
    monkeypatch.setattr(xw_mod, "_fast_compressor", lambda: None)  # as without python-isal
    assert ra.start_rows(wb, "Transactions", transactions_table(tx)) is None
