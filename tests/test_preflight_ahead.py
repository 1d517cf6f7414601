"""Work started ahead (``cltv_xl.loading.ahead``): the pre-flight check in a child process
and the sheet's read in a thread.

The child is a real ``python -m cltv_xl.loading.ahead`` process; these tests check that its
result (or refusal) is the one the in-process check gives, that it is taken only for the same
unchanged file and limits, and that every failure of the child falls back to checking in the
caller's process. The read ahead must give the same transactions as a plain read, raise its
errors where the plain read would, and never run the checks in its thread.
"""

from __future__ import annotations

import io
import sys
import threading

import pandas as pd
import pytest
from hostile import openpyxl_workbook, rewrite_sheet

from cltv_xl import cli
from cltv_xl.errors import InputError
from cltv_xl.loading import ahead, preflight, read_transactions
from cltv_xl.loading.api import read_ahead
from cltv_xl.loading.preflight import Limits, check_workbook


@pytest.fixture(autouse=True)
def _no_leftovers():
    yield
    ahead.stop_pending()


@pytest.fixture
def count_in_process(monkeypatch):
    """Counts the checks made in this process (not in a child)."""
    calls: list[str] = []
    real = preflight._check

    def spy(path, lim):
        calls.append(str(path))
        return real(path, lim)

    monkeypatch.setattr(preflight, "_check", spy)
    return calls


def far_cell(tmp_path):
    src = openpyxl_workbook(tmp_path / "orders.xlsx")
    far = b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData>'
    return rewrite_sheet(src, tmp_path / "far.xlsx", lambda x: x.replace(b"</sheetData>", far))


def test_the_child_result_is_the_in_process_result(tmp_path, count_in_process):
    path = openpyxl_workbook(tmp_path / "orders.xlsx")
    expected = preflight._check(path, Limits())
    count_in_process.clear()
    assert ahead.start_check(path)
    assert check_workbook(path) == expected
    assert count_in_process == []  # taken from the child
    assert ahead._PENDING == {}


def test_a_refusal_in_the_child_is_the_same_one_line_error(tmp_path, count_in_process):
    path = far_cell(tmp_path)
    with pytest.raises(InputError) as direct:
        check_workbook(path)
    count_in_process.clear()
    assert ahead.start_check(path)
    with pytest.raises(InputError) as from_child:
        check_workbook(path)
    assert str(from_child.value) == str(direct.value)
    assert "17,179,869,184 cells" in str(from_child.value)
    assert count_in_process == []


def test_a_file_changed_after_the_start_is_checked_again(tmp_path, count_in_process):
    path = openpyxl_workbook(tmp_path / "orders.xlsx")
    assert ahead.start_check(path)
    far_cell(tmp_path).replace(path)  # a different file under the same name
    with pytest.raises(InputError, match="17,179,869,184 cells"):
        check_workbook(path)
    assert count_in_process == [str(path)]


def test_other_limits_are_checked_in_process(tmp_path, count_in_process):
    path = openpyxl_workbook(tmp_path / "orders.xlsx")
    assert ahead.start_check(path)
    with pytest.raises(InputError, match="limit of 10 rows"):
        check_workbook(path, Limits(max_rows=10))
    assert count_in_process == [str(path)]


def test_a_failed_child_falls_back_to_the_in_process_check(tmp_path, monkeypatch,
                                                            count_in_process):
    path = openpyxl_workbook(tmp_path / "orders.xlsx")
    monkeypatch.setattr(sys, "executable", "/bin/false")  # exits 1 without any output
    assert ahead.start_check(path)
    assert check_workbook(path).sheets == {"xl/worksheets/sheet1.xml": (51, 3)}
    assert count_in_process == [str(path)]


def test_no_child_where_none_can_run(tmp_path, monkeypatch):
    path = openpyxl_workbook(tmp_path / "orders.xlsx")
    csv = tmp_path / "orders.csv"
    csv.write_text("customer,date,amount\n1,2024-01-01,5\n")
    assert not ahead.start_check(csv)
    assert not ahead.start_check(tmp_path / "missing.xlsx")
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    assert not ahead.start_check(path)
    assert ahead._PENDING == {}


def test_children_nobody_waited_for_are_stopped(tmp_path):
    path = openpyxl_workbook(tmp_path / "orders.xlsx")
    assert ahead.start_check(path)
    (proc,) = ahead._PENDING.values()
    ahead.stop_pending()
    assert ahead._PENDING == {} and proc.returncode is not None


def test_the_report_command_checks_in_the_child(tmp_path, count_in_process):
    path = openpyxl_workbook(tmp_path / "orders.xlsx")
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(["report", str(path), "-o", str(tmp_path / "r.xlsx"), "--quiet"],
                    stdout=out, stderr=err)
    assert code in (cli.EXIT_OK, cli.EXIT_GAPS), err.getvalue()
    assert count_in_process == []
    assert (tmp_path / "r.xlsx").is_file()


def test_the_report_command_refuses_a_hostile_file_from_the_child(tmp_path, count_in_process):
    path = far_cell(tmp_path)
    err = io.StringIO()
    code = cli.main(["report", str(path), "-o", str(tmp_path / "r.xlsx")],
                    stdout=io.StringIO(), stderr=err)
    assert code == cli.EXIT_INPUT
    assert "17,179,869,184 cells" in err.getvalue() and err.getvalue().count("\n") == 1
    assert count_in_process == []
    assert not (tmp_path / "r.xlsx").exists()


def test_the_child_runs_this_copy_of_the_package(tmp_path, monkeypatch, count_in_process):
    """Another ``cltv_xl`` in the working directory is not what the child imports."""
    decoy = tmp_path / "cltv_xl" / "loading"
    decoy.mkdir(parents=True)
    (tmp_path / "cltv_xl" / "__init__.py").write_text("raise SystemExit(3)\n")
    (decoy / "__init__.py").write_text("")
    path = openpyxl_workbook(tmp_path / "orders.xlsx")
    monkeypatch.chdir(tmp_path)
    assert ahead.start_check(path.name)
    assert check_workbook(path.name).sheets == {"xl/worksheets/sheet1.xml": (51, 3)}
    assert count_in_process == []


# --------------------------------------------------------------------------- the read ahead


@pytest.fixture
def where_loaded(monkeypatch):
    """The names of the threads in which fastexcel read a sheet's columns."""
    from cltv_xl.loading import sources

    threads: list[str] = []
    real = sources.load_sheet_columns

    def spy(*args, **kwargs):
        threads.append(threading.current_thread().name)
        return real(*args, **kwargs)

    monkeypatch.setattr(sources, "load_sheet_columns", spy)
    return threads


def same_transactions(a, b) -> None:
    pd.testing.assert_frame_equal(a.data, b.data)
    assert a.counts == b.counts
    pd.testing.assert_frame_equal(a.issues, b.issues)
    assert a.column_map == b.column_map and a.source == b.source


def messy_rows() -> list[list]:
    rows = [[f"C{i % 7}", f"2024-01-{i % 28 + 1:02d}", i * 1.5] for i in range(1, 41)]
    rows += [["", "2024-02-01", 3.0], ["C1", "not a date", 2.0], ["C2", "2024-02-02", "n/a"]]
    return rows


def test_a_read_ahead_gives_the_same_transactions(tmp_path, count_in_process, where_loaded):
    path = openpyxl_workbook(tmp_path / "orders.xlsx", messy_rows())
    plain = read_transactions(path)
    assert where_loaded == ["MainThread"]
    count_in_process.clear()
    assert ahead.start_check(path)
    assert read_ahead(path)
    ahead_read = read_transactions(path)
    same_transactions(plain, ahead_read)
    assert ahead_read.counts["rejected"] == 3
    assert where_loaded[1:] == ["cltv-xl read"]  # read in the thread, not again
    assert count_in_process == []  # checked by the child
    assert ahead._READS == {} and ahead._PENDING == {}


def test_an_error_found_ahead_is_raised_by_the_read_in_its_place(tmp_path):
    path = openpyxl_workbook(tmp_path / "orders.xlsx", [["C1", "2024-01-02", 5.0]])
    with pytest.raises(InputError) as direct:
        read_transactions(path, amount_col="Revenue")
    assert ahead.start_check(path)
    assert read_ahead(path, amount_col="Revenue")
    with pytest.raises(InputError) as later:
        read_transactions(path, amount_col="Revenue")
    assert str(later.value) == str(direct.value) and "Revenue" in str(later.value)


def test_a_refusal_ahead_is_raised_by_the_read(tmp_path, count_in_process, where_loaded):
    path = far_cell(tmp_path)
    assert ahead.start_check(path)
    assert read_ahead(path)
    with pytest.raises(InputError, match="17,179,869,184 cells"):
        read_transactions(path)
    assert count_in_process == [] and where_loaded == []  # fastexcel never opened it


def test_a_read_ahead_is_taken_only_for_the_same_file_and_choices(tmp_path, where_loaded):
    path = openpyxl_workbook(tmp_path / "orders.xlsx")
    assert read_ahead(path)
    other = read_transactions(path, sheet="Orders")  # another sheet argument: read again
    assert where_loaded.count("MainThread") == 1
    assert read_ahead(path, sheet="Orders")
    openpyxl_workbook(tmp_path / "new.xlsx", [["Z9", "2024-03-01", 7.0]]).replace(path)
    changed = read_transactions(path, sheet="Orders")  # changed since: read again
    assert where_loaded.count("MainThread") == 2
    assert other.counts["used"] == 50 and list(changed.data["customer_id"]) == ["Z9"]


def test_without_the_childs_result_the_read_is_done_in_the_caller(tmp_path, monkeypatch,
                                                                   count_in_process,
                                                                   where_loaded):
    """No check ever runs in the thread beside the imports (the GIL convoy of the module
    docstring): a failed child leaves the whole read to the caller."""
    path = openpyxl_workbook(tmp_path / "orders.xlsx")
    monkeypatch.setattr(sys, "executable", "/bin/false")
    assert ahead.start_check(path)
    assert read_ahead(path)
    (read,) = ahead._READS.values()
    read.thread.join()
    assert count_in_process == [] and where_loaded == []
    assert read_transactions(path).counts["used"] == 50
    assert count_in_process == [str(path)] and where_loaded == ["MainThread"]


def test_no_read_ahead_for_text_files_or_missing_files(tmp_path):
    csv = tmp_path / "orders.csv"
    csv.write_text("customer,date,amount\n1,2024-01-01,5\n")
    assert not read_ahead(csv)
    assert not read_ahead(tmp_path / "missing.xlsx")
    assert ahead._READS == {}


def test_the_report_command_reads_in_the_thread(tmp_path, count_in_process, where_loaded):
    path = openpyxl_workbook(tmp_path / "orders.xlsx", messy_rows())
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(["report", str(path), "-o", str(tmp_path / "r.xlsx"), "--quiet"],
                    stdout=out, stderr=err)
    assert code in (cli.EXIT_OK, cli.EXIT_GAPS), err.getvalue()
    assert where_loaded == ["cltv-xl read"] and count_in_process == []
    assert ahead._READS == {}
