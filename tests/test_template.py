"""The report template: built by templates/build_template.py, survives openpyxl, and is
addressed only through defined names and table names."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from cltv_xl.datasets import load_cdnow
from cltv_xl.errors import TemplateError
from cltv_xl.report import compute_report
from cltv_xl.report.model import REQUIRED_NAMES, REQUIRED_TABLES
from cltv_xl.report.template import default_template, find_tables, load_template, validate
from cltv_xl.report.xlsx_writer import write_report
from cltv_xl.transactions import Transactions

ROOT = Path(__file__).resolve().parents[1]


def _builder():
    spec = importlib.util.spec_from_file_location("build_template",
                                                  ROOT / "templates" / "build_template.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _facts(path: Path) -> dict:
    wb = openpyxl.load_workbook(path)
    kpi = wb[next(iter(wb.defined_names["KPI_CLTV"].destinations))[0]]
    coord = next(iter(wb.defined_names["KPI_CLTV"].destinations))[1].replace("$", "")
    return {
        "sheets": wb.sheetnames,
        "names": sorted(wb.defined_names),
        "tables": sorted(find_tables(wb)),
        "charts": {ws.title: len(ws._charts) for ws in wb.worksheets},
        "cf": {ws.title: [str(cf.sqref) for cf in ws.conditional_formatting]
               for ws in wb.worksheets},
        "kpi_fill": kpi[coord].fill.fgColor.rgb,
        "kpi_format": kpi[coord].number_format,
        "kpi_formula": kpi[coord].value,
        "validations": len(wb["Assumptions"].data_validations.dataValidation),
        "freeze": wb["Customers"].freeze_panes,
    }


@pytest.fixture(scope="module")
def shared_template() -> Path:
    return default_template()


def test_bundled_template_is_complete(shared_template):
    validate(openpyxl.load_workbook(shared_template))
    facts = _facts(shared_template)
    assert set(REQUIRED_NAMES) <= set(facts["names"])
    assert set(REQUIRED_TABLES) <= set(facts["tables"])
    assert facts["charts"]["Dashboard"] == 3 and facts["charts"]["Model"] == 1


def test_template_survives_openpyxl_load_and_save(shared_template, tmp_path):
    saved = tmp_path / "resaved.xlsx"
    openpyxl.load_workbook(shared_template).save(saved)
    assert _facts(saved) == _facts(shared_template)
    assert _facts(saved)["cf"]["Cohorts"] == ["C5"]


def test_build_script_reproduces_the_committed_template(shared_template, tmp_path):
    built = _builder().build(tmp_path / "built.xlsx")
    assert _facts(built) == _facts(shared_template)


def test_missing_names_and_tables_are_all_listed(shared_template, tmp_path):
    wb = openpyxl.load_workbook(shared_template)
    del wb.defined_names["KPI_CLTV"]
    del wb.defined_names["ASSUME_CAC"]
    del wb["Segments"].tables["Segments"]
    broken = tmp_path / "broken.xlsx"
    wb.save(broken)
    with pytest.raises(TemplateError) as err:
        load_template(broken)
    text = str(err.value)
    assert "KPI_CLTV" in text and "ASSUME_CAC" in text and "Segments" in text


def test_missing_template_file_is_a_template_error(tmp_path):
    with pytest.raises(TemplateError, match="does not exist"):
        load_template(tmp_path / "nope.xlsx")


def test_restyled_template_with_moved_cells_still_works(shared_template, tmp_path):
    """Move a named cell and a whole table: the writer follows the names, not addresses."""
    wb = openpyxl.load_workbook(shared_template)
    ws = wb["Assumptions"]
    ws["H20"].value = None
    from openpyxl.workbook.defined_name import DefinedName

    wb.defined_names["ASSUME_CAC"] = DefinedName("ASSUME_CAC", attr_text="Assumptions!$H$20")
    ws["C6"] = "moved"  # the old cell is free text now
    seg = wb["Segments"]
    seg.move_range("A4:G11", rows=0, cols=8)  # beside the rules text, not over it
    seg.tables["Segments"].ref = "I4:O11"
    seg.tables["Segments"].autoFilter.ref = "I4:O11"
    restyled = tmp_path / "restyled.xlsx"
    wb.save(restyled)

    frame = load_cdnow()
    report = compute_report(Transactions.from_frame(frame), cac=12.5)
    out = write_report(report, tmp_path / "out.xlsx", template=restyled)
    got = openpyxl.load_workbook(out)
    assert got["Assumptions"]["H20"].value == 12.5
    assert got["Assumptions"]["C6"].value == "moved"
    seg_rows = list(got["Segments"].iter_rows(min_row=5, max_row=11, min_col=9, max_col=11,
                                              values_only=True))
    table = pd.DataFrame(seg_rows, columns=["Segment", "Rule", "Customers"])
    assert table["Segment"].tolist() == report.segments["Segment"].tolist()
    assert table["Customers"].sum() == len(report.customers)


def test_every_sheet_prints_fitted_to_width_with_repeated_headers(shared_template):
    wb = openpyxl.load_workbook(shared_template)
    for ws in wb.worksheets:
        setup = ws.page_setup
        assert setup.orientation in ("portrait", "landscape"), ws.title
        assert ws.sheet_properties.pageSetUpPr.fitToPage and setup.fitToWidth == 1, ws.title
        assert setup.fitToHeight == (1 if ws.title == "Dashboard" else 0), ws.title
    for ws in wb.worksheets:  # sheets with a long table repeat its header row on each page
        long_tables = [t for t in ws.tables.values() if t.displayName in
                       ("Customers", "Transactions", "DataIssues", "CohortRetention",
                        "CohortRevenue", "ClvBins")]
        for t in long_tables:
            header_row = int("".join(ch for ch in t.ref.split(":")[0] if ch.isdigit()))
            assert ws.print_title_rows and str(header_row) in ws.print_title_rows, ws.title
    # Row numbers are plain integers (no thousands separators).
    first_row = wb["Data issues"].tables["DataIssues"].ref.split(":")[0]
    assert wb["Data issues"][first_row].offset(row=1).number_format == "0"
    assert wb["Transactions"]["D2"].number_format == "0"


def test_plain_headers_glossary_and_lever_inputs(shared_template):
    from cltv_xl.report.model import CUSTOMER_HEADERS, LEVER_INPUT_NAMES, TABLE_COLUMNS

    wb = openpyxl.load_workbook(shared_template)
    headers = find_tables(wb)["Customers"].headers()
    assert headers == list(TABLE_COLUMNS["Customers"])
    for technical in ("Frequency", "Recency", "T", "P(alive)", "Exposure"):
        assert f"({technical.lower()})" in CUSTOMER_HEADERS[technical].lower()
    assert set(CUSTOMER_HEADERS.values()) <= set(headers)
    terms = [r[0] for r in wb["Glossary"].iter_rows(min_row=5, max_col=1, values_only=True)]
    assert len(terms) >= 20 and "ARPU" in terms
    for name in LEVER_INPUT_NAMES:
        sheet, coord = next(iter(wb.defined_names[name].destinations))
        cell = wb[sheet][coord.replace("$", "")]
        assert sheet == "Dashboard" and cell.fill.fgColor.rgb.endswith("FFF4D6")
        assert 0 < cell.value < 1
