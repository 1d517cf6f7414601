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
from cltv_xl.report.build import transactions_table
from cltv_xl.report.model import (
    FORMULA_NAMES,
    KPI_KEYS,
    LEVER_FORMULA_NAMES,
    LEVER_INPUT_NAMES,
)
from cltv_xl.report.rows_ahead import start_rows
from cltv_xl.report.template import load_template
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
    # Written as build_report writes it: the Transactions rows built and deflated ahead.
    tx = Transactions.from_frame(frame)
    wb = load_template()
    table = transactions_table(tx)
    ahead = start_rows(wb, "Transactions", table)
    report = compute_report(tx, cac=25.0, margin=0.3, holdout_start="1997-10-01",
                            currency="USD", table=table)
    path = write_report(report, folder / "report.xlsx", loaded=wb,
                        ahead={"Transactions": ahead})
    assert ahead.pieces == []  # spliced in (cleared once written)
    out = recalculate(path, folder / "recalc")
    return report, path, out


def lever_values(k: dict, margin: float, cac: float, x: float, y: float, z: float) -> dict:
    """What the levers block must show, computed with cltv_xl.metrics from the report's KPIs:
    churn rate down by ``x``, ARPU up by ``y``, CAC down by ``z`` (fractions)."""
    arpu, churn = k["arpu"], k["churn_rate"]
    cases = {  # lever -> (margin per period, churn rate, CAC) after the change
        "CHURN": (arpu * margin, churn * (1 - x), cac),
        "ARPU": (arpu * (1 + y) * margin, churn, cac),
        "CAC": (arpu * margin, churn, cac * (1 - z)),
        "ALL": (arpu * (1 + y) * margin, churn * (1 - x), cac * (1 - z)),
    }
    today = metrics.cltv(arpu * margin, metrics.lifetime(churn), cac)
    out = {}
    for key, (per_period, rate, cost) in cases.items():
        life = metrics.lifetime(rate)
        out[f"LEVER_CLTV_{key}"] = metrics.cltv(per_period, life, cost)
        out[f"LEVER_GAIN_{key}"] = out[f"LEVER_CLTV_{key}"] - today
        out[f"LEVER_LTV_CAC_{key}"] = metrics.ltv_cac_ratio(per_period * life, cost)
    out["LEVER_NEW_CHURN"] = churn * (1 - x)
    out["LEVER_NEW_ARPU"] = arpu * (1 + y)
    out["LEVER_NEW_CAC"] = cac * (1 - z)
    active = k["customers"] - k["churned"]
    per_customer = arpu * margin * (metrics.lifetime(churn - 0.01) - metrics.lifetime(churn))
    out["LEVER_ACTIVE"] = active
    out["LEVER_ONE_POINT_PER_CUSTOMER"] = per_customer
    out["LEVER_ONE_POINT"] = per_customer * active
    return {name: float(v) for name, v in out.items()}


def _levers_in(wb) -> tuple[float, float, float]:
    return tuple(float(_cell(wb, n).value) for n in LEVER_INPUT_NAMES)


def test_every_formula_cell_equals_python(recalculated):
    report, path, out = recalculated
    formulas = openpyxl.load_workbook(path)
    values = openpyxl.load_workbook(out, data_only=True)
    expected_by_name = report.cells()
    k, a = report.kpis, report.assumptions
    expected_by_name.update(lever_values(k, a.margin, a.cac, *_levers_in(formulas)))
    assert set(LEVER_FORMULA_NAMES) <= set(expected_by_name)
    checked = texts = 0
    # KPI cells, by defined name.
    for name in FORMULA_NAMES:
        got = _cell(values, name).value
        want = report.kpis[KPI_KEYS[name]]
        assert isinstance(got, (int, float)), (name, got)
        assert got == pytest.approx(want, rel=REL), name
        checked += 1
    # Every other formula cell is a named cell with a Python value (the levers), a reference
    # to one defined name ("=NAME"), or a text (a label or definition with live numbers).
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
                got = values[ws.title][cell.coordinate].value
                if key in coords and coords[key] in FORMULA_NAMES:
                    continue
                target = coords.get(key) or str(cell.value).lstrip("=")
                if target in expected_by_name:
                    want = expected_by_name[target]
                    if isinstance(want, str):
                        assert got == want, key
                    else:
                        assert got == pytest.approx(want, rel=REL), (key, target)
                    checked += 1
                    continue
                assert isinstance(got, str) and got, f"formula {key} {cell.value} gave {got!r}"
                assert not got.startswith("#") and "Err:" not in got, (key, got)
                texts += 1
    assert checked >= len(FORMULA_NAMES) + len(LEVER_FORMULA_NAMES) + 5
    assert texts >= 10
    # The definitions beside the two value figures show the numbers behind them.
    dash = values["Dashboard"]
    strings = [c.value for row in dash.iter_rows() for c in row if isinstance(c.value, str)]
    classic = next(t for t in strings if t.startswith("= ARPU"))
    assert f"ARPU {k['arpu']:,.2f} a month" in classic and f"CAC {a.cac:,.2f}" in classic
    assert f"lifetime {k['lifetime']:,.1f} months" in classic
    model = next(t for t in strings if t.startswith("= expected purchases"))
    assert f"next {a.horizon:g} weeks" in model and "discounted at 1.00% a month" in model
    assert "REVENUE (USD)" in strings and "CLASSIC CLTV, PER CUSTOMER (USD)" in strings
    why = next(t for t in strings if t.startswith("Why they differ"))
    assert f"{(1 - k['share_alive']) * 100:.0f}% who have probably stopped" in why


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
    for name, value in zip(LEVER_INPUT_NAMES, (0.2, 0.05, 0.3), strict=True):
        _cell(wb, name).value = value
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
    # The levers follow the new inputs, CAC and margin, exactly as cltv_xl.metrics computes.
    for name, want in lever_values(k, 0.45, 7.5, 0.2, 0.05, 0.3).items():
        assert _cell(values, name).value == pytest.approx(want, rel=REL), name
