"""Text at Excel's cell limit (issue 12 item 8): text over 32,767 characters is cut when
written, with a visible marker, and the rows concerned are listed as doubtful."""

from __future__ import annotations

import warnings

import openpyxl
import pandas as pd

from cltv_xl.report import build_report
from cltv_xl.safety import EXCEL_MAX_CELL_CHARS, fit_cell, fit_cells, set_text
from cltv_xl.transactions import Transactions

LONG = "X" * 40_000


def test_fit_cell_cuts_with_a_marker():
    assert fit_cell("abc") == "abc"
    assert fit_cell("a" * EXCEL_MAX_CELL_CHARS) == "a" * EXCEL_MAX_CELL_CHARS
    cut = fit_cell(LONG)
    assert len(cut) == EXCEL_MAX_CELL_CHARS
    assert cut.endswith(" [... cut by cltv-xl: 40,000 characters]")
    assert cut.startswith("X" * 30_000)
    s = pd.Series(["ok", LONG, None, 3])
    out = fit_cells(s)
    assert out.tolist()[0] == "ok" and out.tolist()[2] is None and out.tolist()[3] == 3
    assert len(out[1]) == EXCEL_MAX_CELL_CHARS
    same = pd.Series(["a", "b"])
    assert fit_cells(same) is same


def test_set_text_cuts_an_openpyxl_cell():
    cell = openpyxl.Workbook().active["A1"]
    set_text(cell, "=" + LONG)
    assert len(cell.value) == EXCEL_MAX_CELL_CHARS and cell.quotePrefix


def _cells(ws, table):
    ref = ws.tables[table].ref
    return [list(r) for r in ws[ref]]


def test_a_long_customer_id_is_cut_in_the_workbook_and_listed_as_doubtful(tmp_path):
    ids = ["a", "a", LONG, LONG, "b", "b"]
    frame = pd.DataFrame({
        "customer_id": ids,
        "date": pd.to_datetime(["2024-01-01", "2024-03-01", "2024-01-05", "2024-04-01",
                                "2024-02-01", "2024-06-30"]),
        "amount": [10.0, 20.0, 30.0, 40.0, 5.0, 6.0],
    })
    tx = Transactions.from_frame(frame)
    out = tmp_path / "r.xlsx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = build_report(tx, out)
    rows = tx.data.loc[tx.data["customer_id"] == LONG, "row"].tolist()
    issues = report.issues[report.issues["Reason"].str.contains("longer than an Excel cell")]
    assert sorted(issues["Row"].tolist()) == sorted(rows)
    assert (issues["Severity"] == "doubtful").all()
    assert report.counts["doubtful"] == len(rows)
    assert report.summary()["rows"]["doubtful"] == len(rows)
    wb = openpyxl.load_workbook(out)
    texts = [c.value for ws in wb.worksheets for row in ws.iter_rows() for c in row
             if isinstance(c.value, str)]
    assert max(len(t) for t in texts) <= EXCEL_MAX_CELL_CHARS
    cut = [t for t in texts if t.startswith("XXXX")]
    assert cut and all(t.endswith("[... cut by cltv-xl: 40,000 characters]") for t in cut)
