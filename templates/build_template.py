"""Build ``templates/cltv_report.xlsx``, the styled template of the offline CLTV report.

Usage: ``python templates/build_template.py [OUT.xlsx]``

This script is the only place that knows cell addresses. The report writer fills the template
through workbook-level defined names and Excel table names only (the lists are in
:mod:`cltv_xl.report.model`), so the template can be restyled in Excel, or replaced with
``--template``, without touching code.

Only features that survive an openpyxl load and save are used: cell styles, number formats,
merged cells, column widths, frozen panes, defined names, tables, colour-scale conditional
formats, data validation, bar and line charts, print settings.
"""

from __future__ import annotations

import sys
from pathlib import Path

from openpyxl import Workbook
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.chart.label import DataLabelList
from openpyxl.chart.layout import Layout, ManualLayout
from openpyxl.chart.shapes import GraphicalProperties
from openpyxl.chart.text import RichText, Text
from openpyxl.chart.title import Title
from openpyxl.drawing.line import LineProperties
from openpyxl.drawing.spreadsheet_drawing import AnchorMarker, TwoCellAnchor
from openpyxl.drawing.text import (
    CharacterProperties,
    Paragraph,
    ParagraphProperties,
    RegularTextRun,
)
from openpyxl.formatting.rule import ColorScaleRule
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.table import Table, TableStyleInfo

HERE = Path(__file__).resolve().parent
OUT = HERE / "cltv_report.xlsx"

# Corporate-neutral palette.
NAVY = "1F3A5F"
TEAL = "2E7D9A"
SKY = "8FB8D0"
INK = "1F2933"
MUTED = "6B7280"
LINE = "D0D5DD"
TILE = "F3F5F8"
INPUT = "FFF4D6"
WHITE = "FFFFFF"
FONT = "Calibri"

F_TITLE = Font(name=FONT, size=20, bold=True, color=NAVY)
F_SUB = Font(name=FONT, size=10, color=MUTED)
F_LABEL = Font(name=FONT, size=9, bold=True, color=MUTED)
F_VALUE = Font(name=FONT, size=18, bold=True, color=NAVY)
F_NOTE = Font(name=FONT, size=8, italic=True, color=MUTED)
F_BODY = Font(name=FONT, size=10, color=INK)
F_BOLD = Font(name=FONT, size=10, bold=True, color=INK)
F_SECTION = Font(name=FONT, size=12, bold=True, color=NAVY)
FILL_TILE = PatternFill("solid", fgColor=TILE)
FILL_INPUT = PatternFill("solid", fgColor=INPUT)
THIN = Side(style="thin", color=LINE)
ACCENT = Side(style="medium", color=TEAL)
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
TABLE_STYLE = TableStyleInfo(name="TableStyleLight9", showRowStripes=True)

NUM0 = "#,##0"
NUM2 = "#,##0.00"
NUM3 = "0.000"
PCT1 = "0.0%"
PCT0 = "0%"
DATE = "yyyy-mm-dd"
DATETIME = "yyyy-mm-dd hh:mm"
RATIO = '0.0"x"'


def name(wb: Workbook, defined: str, ws, cell: str) -> None:
    """Add a workbook-level defined name for one cell."""
    col = "".join(ch for ch in cell if ch.isalpha())
    row = "".join(ch for ch in cell if ch.isdigit())
    wb.defined_names[defined] = DefinedName(defined, attr_text=f"'{ws.title}'!${col}${row}")


def widths(ws, spec: dict[str, float]) -> None:
    for col, width in spec.items():
        ws.column_dimensions[col].width = width


def title(ws, text: str, note: str = "", cell: str = "A1") -> None:
    ws[cell] = text
    ws[cell].font = F_TITLE
    ws.row_dimensions[ws[cell].row].height = 30
    if note:
        below = ws.cell(row=ws[cell].row + 1, column=ws[cell].column, value=note)
        below.font = F_SUB
    ws.sheet_view.showGridLines = False


def table(ws, tname: str, top_left: str, headers: list[str], formats: list[str | None],
          col_widths: list[float] | None = None, body_rows: int = 1) -> Table:
    """An Excel table with a header row and ``body_rows`` styled prototype rows."""
    c0 = ws[top_left].column
    r0 = ws[top_left].row
    for j, head in enumerate(headers):
        cell = ws.cell(row=r0, column=c0 + j, value=head)
        cell.font = Font(name=FONT, size=10, bold=True, color=WHITE)
        cell.fill = PatternFill("solid", fgColor=NAVY)  # explicit: LibreOffice ignores
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        for i in range(1, body_rows + 1):
            body = ws.cell(row=r0 + i, column=c0 + j)
            body.font = F_BODY
            if formats[j]:
                body.number_format = formats[j]
            if formats[j] is None or formats[j] == "@":
                body.alignment = Alignment(horizontal="left", indent=1)
        if col_widths:
            ws.column_dimensions[cell.column_letter].width = col_widths[j]
    ws.row_dimensions[r0].height = 30
    last = ws.cell(row=r0 + body_rows, column=c0 + len(headers) - 1).coordinate
    tab = Table(displayName=tname, ref=f"{top_left}:{last}", tableStyleInfo=TABLE_STYLE)
    ws.add_table(tab)
    return tab


def landscape(ws, area: str | None = None, title_rows: str | None = None) -> None:
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.5
    if area:
        ws.print_area = area
    if title_rows:
        ws.print_title_rows = title_rows


# ---------------------------------------------------------------------------- Dashboard
TILES = [
    # (defined name, label, note, number format, formula)
    [
        ("KPI_CUSTOMERS", "CUSTOMERS", "with a purchase up to the as-of date", NUM0,
         "=ROWS(Customers[Customer ID])"),
        ("KPI_REVENUE", "REVENUE", "net of refunds", NUM0, "=SUM(Customers[Revenue])"),
        ("KPI_ARPU", "ARPU", "revenue per customer per KPI period", NUM2,
         "=KPI_REVENUE/SUM(Customers[Exposure])"),
        ("KPI_CHURN_RATE", "CHURN RATE", "churned customers per customer-period", PCT1,
         "=SUM(Customers[Churned])/SUM(Customers[Exposure])"),
    ],
    [
        ("KPI_LIFETIME", "LIFETIME", "expected KPI periods = 1 / churn rate", "#,##0.0",
         "=1/KPI_CHURN_RATE"),
        ("KPI_CAC", "CAC", "acquisition cost (Assumptions)", NUM2, "=ASSUME_CAC"),
        ("KPI_CLTV", "CLTV", "ARPU x margin x lifetime - CAC", NUM2,
         "=KPI_ARPU*ASSUME_MARGIN*KPI_LIFETIME-KPI_CAC"),
        ("KPI_LTV_CAC", "LTV : CAC", "ARPU x margin x lifetime / CAC", RATIO,
         '=IF(KPI_CAC>0,KPI_ARPU*ASSUME_MARGIN*KPI_LIFETIME/KPI_CAC,"n/a")'),
    ],
    [
        ("KPI_EXPECTED_PURCHASES", "EXPECTED PURCHASES", "BG/NBD, over the horizon", NUM0,
         "=SUM(Customers[Expected purchases])"),
        ("KPI_PREDICTED_CLV", "PREDICTED CLV", "all customers, over the horizon", NUM0,
         "=SUM(Customers[Predicted CLV])"),
        ("KPI_AVG_PREDICTED_CLV", "AVG PREDICTED CLV", "per customer, over the horizon", NUM2,
         "=KPI_PREDICTED_CLV/KPI_CUSTOMERS"),
        ("KPI_SHARE_ALIVE", "LIKELY ALIVE", "average P(alive), BG/NBD", PCT1,
         "=AVERAGE(Customers[P(alive)])"),
    ],
]


def dashboard(wb: Workbook) -> None:
    ws = wb.active
    ws.title = "Dashboard"
    ws.sheet_view.showGridLines = False
    widths(ws, {"A": 2, **{c: 15 for c in "BCDEFGHI"}, "J": 2})
    ws["B2"] = "Customer lifetime value"
    ws["B2"].font = F_TITLE
    ws.row_dimensions[2].height = 32
    meta = [
        ("B3", "Source", "C3", "INFO_SOURCE", None),
        ("G3", "As of", "H3", "INFO_AS_OF", DATE),
        ("B4", "KPI period", "C4", "INFO_KPI_PERIOD", None),
        ("D4", "Model unit", "E4", "INFO_TIME_UNIT", None),
        ("G4", "Generated", "H4", "INFO_GENERATED", DATETIME),
    ]
    for lab_cell, label, val_cell, defined, fmt in meta:
        ws[lab_cell] = label
        ws[lab_cell].font = F_LABEL
        ws[val_cell].font = F_SUB
        ws[val_cell].alignment = Alignment(horizontal="left")
        if fmt:
            ws[val_cell].number_format = fmt
        name(wb, defined, ws, val_cell)
    ws.merge_cells("C3:F3")
    ws.merge_cells("H3:I3")
    ws.merge_cells("H4:I4")
    for c in "BCDEFGHI":
        ws[f"{c}4"].border = Border(bottom=ACCENT)

    row = 6
    for tiles in TILES:
        for k, (defined, label, note, fmt, formula) in enumerate(tiles):
            c1 = 2 + 2 * k
            lab = ws.cell(row=row, column=c1, value=label)
            val = ws.cell(row=row + 1, column=c1, value=formula)
            nte = ws.cell(row=row + 2, column=c1, value=note)
            lab.font, val.font, nte.font = F_LABEL, F_VALUE, F_NOTE
            val.number_format = fmt
            for cell in (lab, val, nte):
                cell.alignment = Alignment(horizontal="left", vertical="center", indent=1)
            for r in range(row, row + 3):
                for c in (c1, c1 + 1):
                    cell = ws.cell(row=r, column=c)
                    cell.fill = FILL_TILE
                    cell.border = Border(
                        left=Side(style="thick", color=TEAL) if c == c1 else None,
                        top=THIN if r == row else None,
                        bottom=THIN if r == row + 2 else None,
                        right=THIN if c == c1 + 1 else None,
                    )
                ws.merge_cells(start_row=r, start_column=c1, end_row=r, end_column=c1 + 1)
            name(wb, defined, ws, val.coordinate)
        ws.row_dimensions[row].height = 16
        ws.row_dimensions[row + 1].height = 28
        ws.row_dimensions[row + 2].height = 14
        row += 4

    # Data line: counts from the Data issues sheet.
    ws["B18"] = "Input rows"
    ws["B18"].font = F_LABEL
    parts = [("C18", "=COUNT_READ", "read"), ("D18", "=COUNT_USED", "used"),
             ("E18", "=COUNT_REJECTED", "rejected"), ("F18", "=COUNT_BLANK", "blank"),
             ("G18", "=COUNT_DOUBTFUL", "doubtful")]
    for cell, formula, label in parts:
        ws[cell] = formula
        ws[cell].number_format = f'#,##0" {label}"'
        ws[cell].font = F_SUB
        ws[cell].alignment = Alignment(horizontal="left")
    ws["H18"] = "details: Data issues sheet"
    ws["H18"].font = F_NOTE
    landscape(ws, "A1:J54")
    ws.page_setup.fitToHeight = 1


def _span(col0: int, row0: int, col1: int, row1: int) -> TwoCellAnchor:
    """Anchor a chart to a cell block (0-based columns and rows), so it fills the block
    whatever the fonts make the column widths."""
    return TwoCellAnchor(_from=AnchorMarker(col=col0, row=row0),
                         to=AnchorMarker(col=col1, row=row1))


def charts(wb: Workbook) -> None:
    ws = wb["Dashboard"]
    data = wb["Chart data"]
    seg = wb["Segments"]

    def style(chart, title_text: str, y_title: str | None = None) -> None:
        props = CharacterProperties(sz=1100, b=True, solidFill=NAVY)
        para = Paragraph(pPr=ParagraphProperties(defRPr=props),
                         r=[RegularTextRun(rPr=props, t=title_text)])
        chart.title = Title(tx=Text(rich=RichText(p=[para])), overlay=False)
        chart.style = 2
        chart.legend = None
        chart.height = 7.2
        chart.width = 12.4
        if y_title:
            chart.y_axis.title = y_title
        chart.y_axis.majorGridlines.spPr = GraphicalProperties(ln=LineProperties(solidFill=LINE))
        chart.x_axis.delete = False
        chart.y_axis.delete = False

    bins = BarChart()
    bins.type = "col"
    bins.gapWidth = 40
    bins.add_data(Reference(data, min_col=2, min_row=4, max_row=15), titles_from_data=True)
    bins.set_categories(Reference(data, min_col=1, min_row=5, max_row=15))
    style(bins, "Customers by predicted CLV", "customers")
    bins.series[0].graphicalProperties.solidFill = TEAL
    bins.series[0].graphicalProperties.line.noFill = True
    bins.x_axis.tickLblPos = "low"
    ws.add_chart(bins, _span(1, 19, 5, 35))

    by_seg = BarChart()
    by_seg.type = "bar"
    by_seg.gapWidth = 40
    by_seg.add_data(Reference(seg, min_col=4, min_row=4, max_row=11), titles_from_data=True)
    by_seg.set_categories(Reference(seg, min_col=1, min_row=5, max_row=11))
    style(by_seg, "Revenue by segment")
    by_seg.series[0].graphicalProperties.solidFill = NAVY
    by_seg.series[0].graphicalProperties.line.noFill = True
    by_seg.x_axis.scaling.orientation = "maxMin"
    by_seg.y_axis.delete = True  # the bars carry their values
    by_seg.y_axis.majorGridlines = None
    by_seg.dataLabels = DataLabelList()
    by_seg.dataLabels.showVal = True
    by_seg.dataLabels.showSerName = False
    by_seg.dataLabels.showCatName = False
    by_seg.dataLabels.showLegendKey = False
    by_seg.dataLabels.numFmt = NUM0
    ws.add_chart(by_seg, _span(5, 19, 9, 35))

    curve = LineChart()
    curve.add_data(Reference(data, min_col=6, max_col=7, min_row=4, max_row=5),
                   titles_from_data=True)
    curve.set_categories(Reference(data, min_col=5, min_row=5, max_row=5))
    style(curve, "Cohort retention: share of customers buying, by months since first purchase")
    curve.width = 24.8
    curve.height = 7.0
    curve.y_axis.number_format = PCT0
    curve.y_axis.scaling.min = 0
    curve.y_axis.scaling.max = 1
    curve.legend = __import__("openpyxl").chart.legend.Legend()
    curve.legend.position = "b"
    for s, colour, dash in zip(curve.series, (NAVY, TEAL), ("solid", "dash"), strict=True):
        s.graphicalProperties.line.solidFill = colour
        s.graphicalProperties.line.width = 22000
        s.graphicalProperties.line.prstDash = dash
        s.smooth = False
    curve.layout = Layout(manualLayout=ManualLayout(x=0.05, y=0.15, w=0.9, h=0.6))
    ws.add_chart(curve, _span(1, 36, 9, 53))

    track = LineChart()
    model = wb["Model"]
    track.add_data(Reference(model, min_col=2, max_col=3, min_row=16, max_row=17),
                   titles_from_data=True)
    track.set_categories(Reference(model, min_col=1, min_row=17, max_row=17))
    style(track, "Holdout tracking: repeat purchases per period")
    track.legend = __import__("openpyxl").chart.legend.Legend()
    track.legend.position = "b"
    for s, colour in zip(track.series, (NAVY, TEAL), strict=True):
        s.graphicalProperties.line.solidFill = colour
        s.smooth = False
    model.add_chart(track, "F16")


# ---------------------------------------------------------------------------- other sheets
ASSUMPTIONS = [
    ("ASSUME_CAC", "Customer acquisition cost (CAC)", 0, NUM2, "currency per customer",
     "Live: CLTV and LTV:CAC on the Dashboard update as you type."),
    ("ASSUME_MARGIN", "Gross margin", 1, PCT0, "fraction of revenue",
     "Live for CLTV and LTV:CAC; predicted CLV uses it on the next run or refresh."),
    ("ASSUME_DISCOUNT_RATE", "Discount rate", 0.01, "0.00%", "per month",
     "Discounts future purchases in the predicted CLV (next run or refresh)."),
    ("ASSUME_HORIZON", "CLV horizon", 52, "#,##0.##", "model time units (see below)",
     "How far ahead predicted CLV and expected purchases look (next run or refresh)."),
    ("ASSUME_INACTIVITY", "Churn inactivity window", 3, "#,##0.##", "KPI periods (see below)",
     "A customer with no purchase for longer than this counts as churned (next run)."),
    ("ASSUME_TIME_UNIT", "Model time unit", "weeks", "@", "days, weeks or months",
     "Unit of recency, T, frequency models and the horizon (next run)."),
    ("ASSUME_KPI_PERIOD", "KPI period", "months", "@", "days, weeks or months",
     "Unit of ARPU, churn rate and lifetime (next run)."),
]


def assumptions(wb: Workbook) -> None:
    ws = wb.create_sheet("Assumptions")
    title(ws, "Assumptions", "Yellow cells are inputs. Change CAC or margin here and the "
          "Dashboard's CLTV and LTV:CAC recalculate.", cell="B2")
    widths(ws, {"A": 2, "B": 32, "C": 16, "D": 28, "E": 70})
    for j, head in enumerate(("Assumption", "Value", "Unit", "Effect")):
        cell = ws.cell(row=5, column=2 + j, value=head)
        cell.font = F_LABEL
        cell.border = Border(bottom=ACCENT)
    units = DataValidation(type="list", formula1='"days,weeks,months"', allow_blank=False)
    positive = DataValidation(type="decimal", operator="greaterThanOrEqual", formula1="0")
    ws.add_data_validation(units)
    ws.add_data_validation(positive)
    for i, (defined, label, default, fmt, unit, effect) in enumerate(ASSUMPTIONS):
        r = 6 + i
        ws.cell(row=r, column=2, value=label).font = F_BOLD
        val = ws.cell(row=r, column=3, value=default)
        val.fill = FILL_INPUT
        val.border = BOX
        val.font = F_BODY
        val.number_format = fmt
        val.alignment = Alignment(horizontal="right")
        for col, text in ((4, unit), (5, effect)):
            cell = ws.cell(row=r, column=col, value=text)
            cell.font = F_SUB
            cell.alignment = Alignment(indent=1, vertical="center")
        ws.row_dimensions[r].height = 20
        name(wb, defined, ws, val.coordinate)
        (units if fmt == "@" else positive).add(val.coordinate)
    landscape(ws, "A1:E14")


def customers(wb: Workbook) -> None:
    ws = wb.create_sheet("Customers")
    title(ws, "Customers", "One row per customer, highest predicted CLV first. Recency and T "
          "are in model time units; exposure in KPI periods; churned = 1 when inactive for "
          "longer than the churn window.")
    cols = [
        ("Customer ID", "@", 14), ("First purchase", DATE, 12), ("Last purchase", DATE, 12),
        ("Orders", NUM0, 8), ("Revenue", NUM2, 12), ("Frequency", NUM0, 10),
        ("Recency", "#,##0.0", 9), ("T", "#,##0.0", 8), ("Average spend", NUM2, 11),
        ("P(alive)", PCT0, 9), ("Expected purchases", "#,##0.00", 11),
        ("Expected spend", NUM2, 11), ("Predicted CLV", NUM2, 12), ("Historical CLV", NUM2, 12),
        ("Exposure", "#,##0.0", 10), ("Churned", "0", 9), ("Segment", None, 13),
    ]
    table(ws, "Customers", "A4", [c[0] for c in cols], [c[1] for c in cols],
          [c[2] for c in cols])
    ws.freeze_panes = "B5"
    landscape(ws, title_rows="4:4")


def segments(wb: Workbook) -> None:
    ws = wb.create_sheet("Segments")
    title(ws, "Segments", "RFM quartile scores 1-4 (4 best) for recency, frequency and average "
          "spend; the first matching rule wins. Values over the CLV horizon.")
    cols = [("Segment", None, 14), ("Rule", None, 58), ("Customers", NUM0, 11),
            ("Revenue", NUM0, 13), ("Average predicted CLV", NUM2, 14),
            ("Predicted CLV", NUM0, 14), ("Share of value", PCT1, 10)]
    tab = table(ws, "Segments", "A4", [c[0] for c in cols], [c[1] for c in cols],
                [c[2] for c in cols], body_rows=7)
    for r in range(5, 12):
        ws.cell(row=r, column=2).alignment = Alignment(wrap_text=True, vertical="top")
    del tab
    ws.freeze_panes = "A5"
    landscape(ws, "A1:G12")


def cohorts(wb: Workbook) -> None:
    for sheet, tname, fmt, note, colours in (
        ("Cohorts", "CohortRetention", PCT0,
         "Share of each monthly acquisition cohort that bought again N months after its first "
         "month (month 0 = 100%). Blank = not observed yet.", ("FFFFFF", SKY, NAVY)),
        ("Cohort revenue", "CohortRevenue", NUM0,
         "Net revenue of each monthly acquisition cohort by months since its first month.",
         ("FFFFFF", "B7D7C9", "2E7D5B")),
    ):
        ws = wb.create_sheet(sheet)
        title(ws, sheet if sheet != "Cohorts" else "Cohort retention", note)
        ws["C3"] = "Months since first purchase"
        ws["C3"].font = F_LABEL
        table(ws, tname, "A4", ["Cohort", "Customers", "0"], ["@", NUM0, fmt], [10, 10, 7])
        ws.conditional_formatting.add(
            "C5:C5",
            ColorScaleRule(start_type="min", start_color=colours[0], mid_type="percentile",
                           mid_value=50, mid_color=colours[1], end_type="max",
                           end_color=colours[2]),
        )
        ws.freeze_panes = "C5"
        landscape(ws, title_rows="4:4")


def chart_data(wb: Workbook) -> None:
    ws = wb.create_sheet("Chart data")
    title(ws, "Chart data", "Source tables of the Dashboard charts (written by cltv-xl).")
    table(ws, "ClvBins", "A4", ["Predicted CLV", "Customers", "Share of customers"],
          ["@", NUM0, PCT1], [18, 11, 11], body_rows=11)
    table(ws, "RetentionCurve", "E4", ["Months since first purchase", "All cohorts",
                                       "First cohort"], [NUM0, PCT1, PCT1], [14, 11, 11])


def model(wb: Workbook) -> None:
    ws = wb.create_sheet("Model")
    title(ws, "Model", "BG/NBD (Fader, Hardie & Lee 2005) for purchases and P(alive); "
          "Gamma-Gamma (Fader & Hardie 2013) for spend per purchase. Maximum likelihood.")
    table(ws, "ModelParams", "A4", ["Model", "Parameter", "Estimate", "Std. error"],
          [None, None, "0.0000", "0.0000"], [14, 11, 12, 12], body_rows=7)
    facts = [("MODEL_TIME_UNIT", "Time unit", None), ("MODEL_BGNBD_LL", "BG/NBD log-likelihood",
             "#,##0.0"), ("MODEL_BGNBD_CONVERGED", "BG/NBD converged", None),
             ("MODEL_GG_CONVERGED", "Gamma-Gamma converged", None),
             ("MODEL_GG_CUSTOMERS", "Gamma-Gamma repeat buyers", NUM0),
             ("INFO_HOLDOUT", "Holdout from", None)]
    widths(ws, {"E": 3, "F": 26, "G": 14})
    for i, (defined, label, fmt) in enumerate(facts):
        r = 5 + i
        ws.cell(row=r, column=6, value=label).font = F_BOLD
        val = ws.cell(row=r, column=7)
        val.font = F_BODY
        val.alignment = Alignment(horizontal="right")
        if fmt:
            val.number_format = fmt
        name(wb, defined, ws, val.coordinate)
    ws["A14"] = "Holdout tracking (with --holdout-start): repeat purchases per period"
    ws["A14"].font = F_SECTION
    table(ws, "Tracking", "A16", ["Period", "Actual purchases", "Expected purchases"],
          [DATE, "#,##0.0", "#,##0.0"], [14, 11, 12])
    landscape(ws)


def data_issues(wb: Workbook) -> None:
    ws = wb.create_sheet("Data issues")
    title(ws, "Data issues", "Every input row that was rejected (not used) or doubtful (used, "
          "worth a look). Row = row number in the source sheet.")
    counts = [("COUNT_READ", "Rows read (non-blank)"), ("COUNT_USED", "Rows used"),
              ("COUNT_REJECTED", "Rows rejected"), ("COUNT_BLANK", "Blank rows skipped"),
              ("COUNT_DOUBTFUL", "Doubtful rows (used)"), ("COUNT_CUSTOMERS", "Customers")]
    for i, (defined, label) in enumerate(counts):
        r = 4 + i
        ws.cell(row=r, column=1, value=label).font = F_BOLD
        val = ws.cell(row=r, column=3)
        val.number_format = NUM0
        val.font = F_BODY
        name(wb, defined, ws, val.coordinate)
    table(ws, "DataIssues", "A11", ["Row", "Column", "Value", "Reason", "Severity"],
          [NUM0, "@", "@", "@", "@"], [22, 14, 24, 70, 10])
    ws.freeze_panes = "A12"
    landscape(ws, title_rows="11:11")


def transactions(wb: Workbook) -> None:
    ws = wb.create_sheet("Transactions")
    table(ws, "Transactions", "A1", ["Customer ID", "Date", "Amount", "Source row"],
          ["@", DATE, NUM2, NUM0], [16, 12, 12, 11])
    ws.freeze_panes = "A2"


def build(path: Path = OUT) -> Path:
    """Write the template to ``path`` and return it."""
    wb = Workbook()
    dashboard(wb)
    assumptions(wb)
    customers(wb)
    segments(wb)
    cohorts(wb)
    model(wb)
    data_issues(wb)
    transactions(wb)
    chart_data(wb)
    charts(wb)
    wb.calculation.fullCalcOnLoad = True
    for ws in wb.worksheets:
        ws.sheet_properties.tabColor = NAVY if ws.title == "Dashboard" else None
        ws.sheet_view.zoomScale = 100
    wb["Chart data"].sheet_state = "visible"
    wb.active = 0
    path = Path(path)
    wb.save(path)
    return path


if __name__ == "__main__":
    print(build(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT))
