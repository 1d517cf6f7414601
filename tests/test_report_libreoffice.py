"""The report checked by a real spreadsheet engine: LibreOffice recalculates every formula.

One report (CDNOW plus OWASP formula-injection payloads as customer ids) is recalculated with
forced recalculation (see ``tests/lo.py``). Every formula cell must equal the value Python
computed (``Report.kpis``, i.e. the JSON), the payloads must read back as the same text, and a
new CAC typed into the Assumptions sheet must move KPI_CLTV and KPI_LTV_CAC exactly as
``cltv_xl.metrics`` does. A missing LibreOffice fails these tests; it does not skip them.
"""

from __future__ import annotations

import math

import openpyxl
import pandas as pd
import pytest
from lo import recalculate

from cltv_xl import metrics
from cltv_xl.datasets import load_cdnow
from cltv_xl.report import compute_report
from cltv_xl.report.model import FORMULA_NAMES, KPI_KEYS
from cltv_xl.report.xlsx_writer import write_report
from cltv_xl.transactions import Transactions

pytestmark = pytest.mark.libreoffice

OWASP = [
    '=HYPERLINK("http://evil","x")',
    "=cmd|' /C calc'!A0",
    "+1+1",
    "-2+3",
    "@SUM(1+1)",
    "#N/A",
]
REL = 1e-9


def _cell(wb, name: str):
    sheet, coord = next(iter(wb.defined_names[name].destinations))
    return wb[sheet][coord.replace("$", "")]


@pytest.fixture(scope="module")
def recalculated(tmp_path_factory):
    folder = tmp_path_factory.mktemp("lo")
    cdnow = load_cdnow()
    extra = pd.DataFrame({
        "customer_id": OWASP,
        "date": pd.to_datetime(["1997-02-01"] * len(OWASP)),
        "amount": [10.0, 20.0, 30.0, 40.0, 50.0, 60.0],
    })
    frame = pd.concat([cdnow[["customer_id", "date", "amount"]], extra], ignore_index=True)
    report = compute_report(Transactions.from_frame(frame), cac=25.0, margin=0.3,
                            holdout_start="1997-10-01")
    path = write_report(report, folder / "report.xlsx")
    out = recalculate(path, folder / "recalc")
    return report, path, out


def test_every_formula_cell_equals_python(recalculated):
    report, path, out = recalculated
    formulas = openpyxl.load_workbook(path)
    values = openpyxl.load_workbook(out, data_only=True)
    expected_by_name = report.cells()
    checked = 0
    # KPI cells, by defined name.
    for name in FORMULA_NAMES:
        got = _cell(values, name).value
        want = report.kpis[KPI_KEYS[name]]
        assert isinstance(got, (int, float)), (name, got)
        assert got == pytest.approx(want, rel=REL), name
        checked += 1
    # Every other formula cell in the workbook refers to one defined name: "=NAME".
    coords = {}
    for name in expected_by_name:
        cell = _cell(formulas, name)
        coords[(cell.parent.title, cell.coordinate)] = name
    for ws in formulas.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type != "f":
                    continue
                key = (ws.title, cell.coordinate)
                if key in coords and coords[key] in FORMULA_NAMES:
                    continue
                target = str(cell.value).lstrip("=")
                assert target in expected_by_name, f"unchecked formula {key}: {cell.value}"
                got = values[ws.title][cell.coordinate].value
                assert got == pytest.approx(expected_by_name[target], rel=REL), key
                checked += 1
    assert checked >= len(FORMULA_NAMES) + 5


def test_payloads_stay_text_after_recalculation(recalculated):
    _report, path, out = recalculated
    for p in (path, out):
        wb = openpyxl.load_workbook(p, data_only=True)
        ids = {row[0] for row in wb["Customers"].iter_rows(min_row=5, max_col=1, values_only=True)}
        tx_ids = {row[0] for row in wb["Transactions"].iter_rows(min_row=2, max_col=1,
                                                                 values_only=True)}
        for payload in OWASP:
            assert payload in ids, (p.name, payload)
            assert payload in tx_ids, (p.name, payload)


def test_new_cac_moves_cltv_and_ltv_cac_like_metrics(recalculated, tmp_path):
    report, path, _out = recalculated
    wb = openpyxl.load_workbook(path)
    _cell(wb, "ASSUME_CAC").value = 7.5
    _cell(wb, "ASSUME_MARGIN").value = 0.45
    edited = tmp_path / "edited.xlsx"
    wb.save(edited)
    values = openpyxl.load_workbook(recalculate(edited, tmp_path / "out"), data_only=True)
    k = report.kpis
    ltv = k["arpu"] * 0.45 * k["lifetime"]
    assert _cell(values, "KPI_CAC").value == pytest.approx(7.5, rel=REL)
    assert _cell(values, "KPI_CLTV").value == pytest.approx(
        metrics.cltv(k["arpu"] * 0.45, k["lifetime"], 7.5), rel=REL)
    assert _cell(values, "KPI_LTV_CAC").value == pytest.approx(
        metrics.ltv_cac_ratio(ltv, 7.5), rel=REL)
    assert not math.isclose(_cell(values, "KPI_CLTV").value, k["cltv"])
