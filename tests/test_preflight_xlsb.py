"""The pre-flight count of binary .xlsb workbooks (``cltv_xl.loading.preflight_xlsb``).

calamine takes an .xlsb cell's column from its record (32 bits, no cap) and allocates the grid
the cells span; one number at column 16,777,216 aborted the process. The sheets here are built
record by record (``hostile.write_xlsb``) and read by fastexcel itself for comparison.
"""

from __future__ import annotations

import pytest
from hostile import biff12, write_xlsb, xlsb_orders, xlsb_sheet
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cltv_xl.errors import InputError
from cltv_xl.loading import read_transactions
from cltv_xl.loading.preflight import check_workbook
from cltv_xl.loading.preflight_xlsb import XlsbSheetScan

SHEETS = st.lists(
    st.tuples(st.integers(1, 300), st.lists(st.tuples(st.integers(0, 60), st.one_of(
        st.floats(-1e6, 1e6), st.text("abc", max_size=200))), min_size=1, max_size=5)),
    max_size=8)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=SHEETS)
def test_the_measured_range_is_the_one_fastexcel_returns(tmp_path_factory, rows):
    """A1 holds a value, so the range from A1 is calamine's whole grid."""
    import fastexcel

    sheet = [(0, [(0, "A1")]), *sorted(rows, key=lambda row: row[0])]
    path = write_xlsb(tmp_path_factory.mktemp("xlsb") / "r.xlsb", xlsb_sheet(sheet))
    bounds = check_workbook(path).sheets["xl/worksheets/sheet1.bin"]
    read = fastexcel.read_excel(str(path)).load_sheet(0, header_row=None)
    assert bounds == (read.height, read.width)


@settings(max_examples=40, deadline=None)
@given(cuts=st.lists(st.integers(1, 5_000), max_size=30))
def test_the_count_does_not_depend_on_how_the_part_arrives(cuts):
    """Records split anywhere between pieces (a long text cell spans several) count the same."""
    data = xlsb_sheet([(0, [(0, "x" * 3_000), (7, 1.0)]), (5, [(2, "y"), (40, 2.0)]),
                       (9, [(1, "z" * 200)])])
    whole = XlsbSheetScan(10**9, "w")
    whole.feed(data)
    pieces, at = XlsbSheetScan(10**9, "p"), 0
    for cut in sorted(cuts):
        pieces.feed(data[at:cut])
        at = max(at, cut)
    pieces.feed(data[at:])
    assert whole.bounds == pieces.bounds == (10, 41) and whole.pushed == pieces.pushed == 5


def test_a_far_column_is_refused_before_the_reader(tmp_path, no_native_reader):
    rows = xlsb_orders()
    rows[1] = (1, [*rows[1][1][:2], (0xFF_FFFF, 9.5)])
    path = write_xlsb(tmp_path / "far.xlsb", xlsb_sheet(rows))
    with pytest.raises(InputError, match=r"^far.xlsb: part 'xl/worksheets/sheet1.bin': the "
                                         r"sheet's cells span 3 rows x 16,777,216 columns"):
        read_transactions(path)


def test_cells_after_the_sheet_data_or_beyond_the_last_row_are_not_read(tmp_path):
    """calamine stops at BrtEndSheetData and at a row header beyond row 1,048,576; what follows
    is never allocated, so it is not counted (and fastexcel agrees)."""
    import fastexcel

    beyond = biff12(0x00, (0x0010_0001).to_bytes(4, "little") + bytes(21)) + biff12(
        0x05, (0x7FFF_FFFF).to_bytes(4, "little") + bytes(12))
    rows = [(0, [(0, "id"), (1, 2.0)]), (3, [(1, 4.0)])]
    for name, sheet in (("after.xlsb", xlsb_sheet(rows, after=beyond)),
                        ("stop.xlsb", xlsb_sheet(rows)[:-4] + beyond + biff12(0x92)
                         + biff12(0x82))):
        path = write_xlsb(tmp_path / name, sheet)
        assert check_workbook(path).sheets["xl/worksheets/sheet1.bin"] == (4, 2)
        read = fastexcel.read_excel(str(path)).load_sheet(0, header_row=None)
        assert (read.height, read.width) == (4, 2)


def test_an_xlsb_of_orders_reads_like_the_csv(tmp_path):
    from hostile import orders_csv

    path = write_xlsb(tmp_path / "orders.xlsb", xlsb_sheet(xlsb_orders()))
    csv, _ = orders_csv(tmp_path / "orders.csv")
    got, want = read_transactions(path), read_transactions(csv)
    assert got.counts == want.counts
    assert list(got.data["customer_id"]) == list(want.data["customer_id"])
