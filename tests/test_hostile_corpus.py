"""Issue 12's hostile corpus through the command line: no traceback, no native abort, and a
one-line error or a report that lists the bad rows.

Each case (``tests/hostile.py``) is generated small and run by ``cltv_xl.cli.main`` in a child
process (:class:`hostile.Driver`), so that a native abort in the Rust reader kills the child,
not pytest, and shows up here as a negative exit code (-6 for SIGABRT, the "memory allocation
of N bytes failed" of issue 12). Cases that need another branch's work are marked
``xfail(strict=True, reason="needs <branch>")``: the mark goes once that branch is merged.
"""

from __future__ import annotations

import json
import re

import pytest
from hostile import CASES, Case, Driver, argv_for

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def _sheet_issues(path) -> list[dict]:
    """Every row of the report's DataIssues table (the JSON gives counts by reason only)."""
    import openpyxl

    wb = openpyxl.load_workbook(path, read_only=False)
    ws = wb["Data issues"]
    ref = ws.tables["DataIssues"].ref
    rows = list(ws[ref])
    head = [c.value for c in rows[0]]
    out = []
    for cells in rows[1:]:
        rec = dict(zip(head, (c.value for c in cells), strict=True))
        if rec["Row"] is not None:
            out.append({"row": int(rec["Row"]), "reason": str(rec["Reason"] or ""),
                        "severity": str(rec["Severity"] or "")})
    return out


@pytest.fixture(scope="module")
def driver():
    d = Driver()
    yield d
    d.close()


def _params():
    for case in CASES:
        marks = ([pytest.mark.xfail(strict=True, reason=f"needs {case.needs}")]
                 if case.needs else [])
        yield pytest.param(case, id=case.name, marks=marks)


@pytest.mark.parametrize("case", list(_params()))
def test_hostile_input(case: Case, driver, tmp_path):
    path, hostile_rows = case.build(tmp_path)
    result = driver.run(case.name, argv_for(case, path, tmp_path), case.timeout)
    assert not result.aborted, f"native abort: exit {result.code}; {result.stderr[-600:]}"
    assert not result.timed_out, f"still running after {case.timeout} s"
    assert result.code >= 0 and result.code != 134
    assert not result.traceback, result.traceback
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert not any("Traceback" in line for line in lines)
    if result.code != 0:
        assert case.expect in ("error", "either"), f"expected a report; got {lines}"
        assert result.code == 1
        assert len(lines) == 1 and lines[0].startswith("cltv-xl: error: "), lines
        assert re.search(case.pattern, lines[0], re.IGNORECASE), lines[0]
        assert not (tmp_path / "report.xlsx").exists()
        return
    assert case.expect in ("report", "either"), "expected a one-line error; got a report"
    assert lines == []
    summary = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))
    rows = summary["rows"]
    assert rows["read"] == rows["used"] + rows["rejected"]
    listed: dict[int, list[dict]] = {}
    for issue in _sheet_issues(tmp_path / "report.xlsx"):  # the JSON counts by reason only
        listed.setdefault(issue["row"], []).append(issue)
    if case.pattern:  # every hostile row is listed with a reason that says why
        for row in hostile_rows:
            assert row in listed, f"row {row} is not listed as a data issue"
            assert any(re.search(case.pattern, i["reason"], re.IGNORECASE)
                       for i in listed[row]), listed[row]
        if case.expect == "report" and re.search("date", case.pattern):
            for row in hostile_rows:  # a date out of range is never used
                assert any(i["severity"] == "rejected" for i in listed[row]), listed[row]
    if case.check is not None:
        case.check(tmp_path / "report.xlsx", summary)


def test_the_corpus_covers_every_category_of_issue_12():
    names = {c.name for c in CASES}
    for needed in ("date-2502-text", "date-1453-text", "xfd1048576", "bomb-whitespace-2gib",
                   "bomb-shared-string-1.5gib", "truncated-sheet-xml", "row-0",
                   "ref-zzzzzzzzzzzz1", "utf16-sheet-with-doctype", "csv-field-64mib",
                   "date-400-digits", "arabic-indic-digits", "full-width-digits",
                   "text-over-32767", "text-x003d-escape", "formula-injection",
                   "entity-bomb-sheet", "encrypted-ole2", "horizon-1e9",
                   "cohort-span-1900-2099", "as-of-9999", "ods-repeated-rows-99m-cells",
                   "ods-cells-held-while-reading", "xls-dimensions-2-billion-rows",
                   "xls-cell-at-column-65536", "xlsb-cell-at-column-16777216"):
        assert needed in names


def test_worksheet_functions_read_cells_and_never_reach_a_native_reader(monkeypatch):
    # Like the refresh, the functions run in long-lived processes and receive cells: with the
    # Rust reader replaced by a trap, RFM_SUMMARY still computes (issue 12, native aborts).
    import asyncio

    import fastexcel
    import xlwings as xw
    import xlwings.server

    from cltv_xl import udfs

    def trap(*args, **kwargs):
        raise AssertionError("the native reader was reached")

    monkeypatch.setattr(fastexcel, "read_excel", trap)
    ids = [["a"], ["a"], ["b"]]
    dates = [["2024-01-01"], ["2024-02-01"], ["2024-01-15"]]
    amounts = [[10], [20], [5]]
    data = {"client": "Office.js", "func_name": "rfm_summary", "args": [ids, dates, amounts],
            "caller_address": "[Book1.xlsx]Sheet1!B2", "culture_info_name": "en-US",
            "date_format": "m/d/yyyy", "version": xw.__version__, "runtime": "1.4"}
    result = asyncio.run(xlwings.server.custom_functions_call(data, udfs))
    assert result[0][0] == "customer_id" and len(result) == 3
    assert [row[1] for row in result[1:]] == [1, 0]  # frequency: a bought again, b did not
