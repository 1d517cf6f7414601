"""Graceful degradation (issue 9 item 8): when the purchase model, the spend model or the
churn rate cannot be estimated, the report is still written with every sheet that can be
computed, the gaps say why (Dashboard tiles, Model sheet, terminal, JSON) and the command
exits with 3 ("report written with gaps")."""

from __future__ import annotations

import io
import json

import openpyxl
import pandas as pd
import pytest

from cltv_xl import cli
from cltv_xl.report.model import KPI_KEYS

CASES = {
    # one customer with three orders: neither model is identified; nobody churned yet
    "one customer": (["a", "a", "a"], ["2024-01-01", "2024-03-01", "2024-06-01"], [10, 20, 30]),
    # six one-time buyers: no repeat purchase, so no purchase or spend model
    "one-time buyers": (list("abcdef"), ["2024-01-01", "2024-02-01", "2024-03-01",
                                         "2024-04-01", "2024-05-01", "2024-06-01"],
                        [10, 20, 30, 40, 50, 60]),
    # every order on one day: T = 0, no exposure, no churn
    "one day of history": (list("aabbc"), ["2024-06-01"] * 5, [10, 20, 30, 40, 50]),
}


def _cell(wb, name):
    sheet, coord = next(iter(wb.defined_names[name].destinations))
    return wb[sheet][coord.replace("$", "")]


@pytest.fixture(params=sorted(CASES))
def degraded(request, tmp_path):
    ids, dates, amounts = CASES[request.param]
    src = tmp_path / "orders.csv"
    pd.DataFrame({"Customer ID": ids, "Date": dates, "Amount": amounts}).to_csv(src,
                                                                               index=False)
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(["report", str(src), "-o", str(tmp_path / "r.xlsx"), "--json",
                     str(tmp_path / "s.json")], stdout=out, stderr=err)
    data = json.loads((tmp_path / "s.json").read_text())
    wb = openpyxl.load_workbook(tmp_path / "r.xlsx")
    return request.param, (ids, dates, amounts), code, out.getvalue(), err.getvalue(), data, wb


def test_the_report_is_written_with_gaps_and_exit_3(degraded):
    case, (ids, _dates, amounts), code, out, err, data, wb = degraded
    assert code == cli.EXIT_GAPS == 3
    assert "Report written" in out and "Traceback" not in err
    assert "report written with gaps" in err
    # what can be computed is there, and right
    assert data["kpis"]["customers"] == len(set(ids))
    assert data["kpis"]["revenue"] == pytest.approx(sum(amounts))
    assert data["rows"]["used"] == len(ids)
    customers = wb["Customers"]
    header = [c.value for c in customers[_table_header_row(wb, "Customers")]]
    assert "Predicted CLV" in header
    assert data["gaps"], case
    for what, why in data["gaps"].items():
        assert f"{what} not estimated: {why}" in err


def _table_header_row(wb, table: str) -> int:
    for ws in wb.worksheets:
        if table in ws.tables:
            return int(ws.tables[table].ref.split(":")[0].lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
    raise AssertionError(table)


def test_dashboard_tiles_and_model_sheet_say_why(degraded):
    _case, _data_in, _code, _out, _err, data, wb = degraded
    missing = [name for name, key in KPI_KEYS.items() if data["kpis"][key] is None
               and not (key == "ltv_cac" and data["assumptions"]["cac"] == 0
                        and "churn rate" not in data["gaps"])]
    assert missing
    for name in missing:
        cell = _cell(wb, name)
        assert cell.value == "not estimated", name
        assert cell.comment is not None and cell.comment.text.startswith("not estimated: ")
    if "purchase model" in data["gaps"]:
        reason = data["gaps"]["purchase model"]
        for name in ("MODEL_PURCHASE_CONVERGED", "MODEL_BGNBD_CONVERGED"):
            assert _cell(wb, name).value == f"not estimated: {reason}"
        assert data["models"]["chosen"] is None and data["models"]["reason"] == reason
        # "auto": every candidate was tried, and the comparison says why each failed
        rows = data["models"]["comparison"]["models"]
        assert [r["key"] for r in rows] == ["bgnbd", "mbgnbd", "paretonbd"]
        assert all(r["error"] for r in rows) and rows[0]["error"] == reason
        params = [row for row in wb["Model"].iter_rows(values_only=True)
                  if row and any(isinstance(v, str) and v.startswith("not estimated: ")
                                 for v in row)]
        assert params


def test_a_complete_report_has_no_gaps_and_exits_0(tmp_path):
    from cltv_xl.report.demo import write_demo_orders

    orders = write_demo_orders(tmp_path / "orders.xlsx")
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(["report", str(orders), "-o", str(tmp_path / "r.xlsx"), "--json",
                     str(tmp_path / "s.json")], stdout=out, stderr=err)
    assert code == 0, err
    assert json.loads((tmp_path / "s.json").read_text())["gaps"] == {}
    assert "gaps" not in err


def test_compute_report_no_longer_raises_a_recorded_failure():
    from cltv_xl import read_transactions
    from cltv_xl.report import compute_report

    frame = pd.DataFrame({"Customer ID": list("abc"), "Date": ["2024-01-01", "2024-02-01",
                                                               "2024-03-01"],
                          "Amount": [1.0, 2.0, 3.0]})
    report = compute_report(read_transactions(frame))
    assert set(report.gaps) >= {"purchase_model", "spend_model", "predictions"}
    assert report.customers["Predicted CLV"].isna().all()
    assert len(report.clv_bins) == 0  # the histogram chart is left out, not drawn empty
