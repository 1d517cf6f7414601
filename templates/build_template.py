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
from openpyxl.chart.legend import Legend
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

from cltv_xl.report.quality import MAX_REASONS
from cltv_xl.segments import SCORE_RULE

HERE = Path(__file__).resolve().parent
OUT = HERE / "cltv_report.xlsx"

# Dashboard grid: columns B..I of DASH_COL characters; tiles span 2 columns, charts 4 or 8.
DASH_COL = 15
#: First row of the chart area (page 2 of the Dashboard) and the height of a chart in rows.
CHART_TOP = 40
CHART_H = 18
#: Prototype rows of the CLV histogram table (it grows or shrinks with the bins).
CLV_BIN_ROWS = 10

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
WARN = "9A3412"  # the Dashboard's data-quality sentence
FONT = "Calibri"

F_TITLE = Font(name=FONT, size=20, bold=True, color=NAVY)
F_SUB = Font(name=FONT, size=10, color=MUTED)
F_LABEL = Font(name=FONT, size=9, bold=True, color=MUTED)
F_VALUE = Font(name=FONT, size=18, bold=True, color=NAVY)
F_NOTE = Font(name=FONT, size=8, italic=True, color=MUTED)
F_BODY = Font(name=FONT, size=10, color=INK)
F_BOLD = Font(name=FONT, size=10, bold=True, color=INK)
F_SECTION = Font(name=FONT, size=12, bold=True, color=NAVY)
F_WARN = Font(name=FONT, size=10, bold=True, color=WARN)
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
#: 1 shows "Yes", 0 shows "No": the cell keeps a number that formulas can SUM.
YES_NO = '"Yes";"Yes";"No"'


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


def portrait(ws, area: str | None = None, title_rows: str | None = None) -> None:
    """A4 portrait, fitted to one page wide (as many pages down as needed)."""
    landscape(ws, area, title_rows)
    ws.page_setup.orientation = "portrait"


def landscape(ws, area: str | None = None, title_rows: str | None = None) -> None:
    """A4 landscape, fitted to one page wide, header rows repeated on every page."""
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
#: ``" (USD)"`` after a label when the Assumptions name a currency, else nothing. Number
#: formats cannot follow a cell, so the currency code is shown beside the labels instead.
CUR = 'IF(ASSUME_CURRENCY="",""," ("&ASSUME_CURRENCY&")")'
#: The KPI period in the singular ("month"), for "per month".
PER = 'LEFT(ASSUME_KPI_PERIOD,LEN(ASSUME_KPI_PERIOD)-1)'

TILES = [
    # (defined name, label (text or formula), note, number format, formula)
    [
        ("KPI_CUSTOMERS", "CUSTOMERS", "with a purchase up to the as-of date", NUM0,
         "=ROWS(Customers[Customer ID])"),
        ("KPI_REVENUE", f'="REVENUE"&{CUR}', "net of refunds", NUM0,
         "=SUM(Customers[Revenue])+REVENUE_REFUND_ONLY"),
        ("KPI_ARPU", f'="ARPU"&{CUR}', f'="revenue per customer per "&{PER}', NUM2,
         "=KPI_REVENUE/SUM(Customers[Periods observed (exposure)])"),
        ("KPI_CHURN_RATE", "CHURN RATE", f'="churned customers per customer-"&{PER}', PCT1,
         "=SUM(Customers[Churned])/SUM(Customers[Periods observed (exposure)])"),
    ],
    [
        ("KPI_LIFETIME", "LIFETIME", '=ASSUME_KPI_PERIOD&" = 1 / churn rate"', "#,##0.0",
         "=1/KPI_CHURN_RATE"),
        (None, "GROSS MARGIN", "share of revenue kept (Assumptions)", PCT0, "=ASSUME_MARGIN"),
        ("KPI_CAC", f'="CAC"&{CUR}', "acquisition cost (Assumptions)", NUM2, "=ASSUME_CAC"),
        ("KPI_LTV_CAC", "LTV : CAC", "ARPU x margin x lifetime / CAC", RATIO,
         '=IF(KPI_CAC>0,KPI_ARPU*ASSUME_MARGIN*KPI_LIFETIME/KPI_CAC,"n/a")'),
    ],
]
MODEL_TILES = [
    ("KPI_EXPECTED_PURCHASES", "EXPECTED PURCHASES", "all customers, over the horizon", NUM0,
     "=SUM(Customers[Expected purchases])"),
    ("KPI_PREDICTED_CLV", f'="PREDICTED CLV, ALL"&{CUR}', "all customers, over the horizon",
     NUM0, "=SUM(Customers[Predicted CLV])"),
    ("KPI_SHARE_ALIVE", "LIKELY ALIVE", '="average P(alive), "&MODEL_PURCHASE', PCT1,
     "=AVERAGE(Customers[Probability still active (P(alive))])"),
    ("LEVER_ACTIVE", "ACTIVE CUSTOMERS", "bought within the churn window", NUM0,
     "=COUNTIF(Customers[Churned],0)"),
]

#: The two value figures side by side: (defined name, label, value formula, definition).
CLASSIC_DEF = (
    '="= ARPU "&FIXED(KPI_ARPU,2)&" a "&' + PER + '&" x margin "&FIXED(ASSUME_MARGIN*100,0)'
    '&"% x lifetime "&FIXED(KPI_LIFETIME,1)&" "&ASSUME_KPI_PERIOD&" (1 / churn) - CAC "'
    '&FIXED(KPI_CAC,2)&". An average customer over its whole expected lifetime, not '
    'discounted."'
)
MODEL_DEF = (
    '="= expected purchases x expected spend x margin "&FIXED(ASSUME_MARGIN*100,0)&"%, '
    'over the next "&ASSUME_HORIZON&" "&ASSUME_TIME_UNIT&", discounted at "'
    '&FIXED(ASSUME_DISCOUNT_RATE*100,2)&"% a month; per customer ("&MODEL_PURCHASE&" + '
    'Gamma-Gamma), CAC not deducted."'
)
WHY_DIFFER = (
    '="Why they differ: the classic CLTV follows one average customer over its whole lifetime ("'
    '&FIXED(KPI_LIFETIME,1)&" "&ASSUME_KPI_PERIOD&"), undiscounted, and subtracts CAC. "'
    '&"The model-based CLV counts only the next "&ASSUME_HORIZON&" "&ASSUME_TIME_UNIT'
    '&", discounted, for each customer as it is today, including the "'
    '&FIXED((1-KPI_SHARE_ALIVE)*100,0)&"% who have probably stopped buying. "'
    '&"Use the classic figure for acquisition budgets (LTV:CAC), the model-based one for the "'
    '&"value of the customers you already have."'
)

#: The levers block: (label, input name, default, "new value" formula and format, CLTV name,
#: CLTV formula, LTV:CAC name).
LTV_AFTER = {
    "CHURN": "KPI_ARPU*ASSUME_MARGIN/(KPI_CHURN_RATE*(1-LEVER_CHURN_CUT))",
    "ARPU": "KPI_ARPU*(1+LEVER_ARPU_UP)*ASSUME_MARGIN*KPI_LIFETIME",
    "CAC": "KPI_ARPU*ASSUME_MARGIN*KPI_LIFETIME",
    "ALL": "KPI_ARPU*(1+LEVER_ARPU_UP)*ASSUME_MARGIN/(KPI_CHURN_RATE*(1-LEVER_CHURN_CUT))",
}
CAC_AFTER = {"CHURN": "KPI_CAC", "ARPU": "KPI_CAC", "CAC": "KPI_CAC*(1-LEVER_CAC_CUT)",
             "ALL": "KPI_CAC*(1-LEVER_CAC_CUT)"}
LEVERS = [
    # (key, label, input name, default, new-value formula, its format)
    ("CHURN", "Retention: churn rate down by", "LEVER_CHURN_CUT", 0.10,
     "=KPI_CHURN_RATE*(1-LEVER_CHURN_CUT)", PCT1),
    ("ARPU", "Upsell / cross-sell: ARPU up by", "LEVER_ARPU_UP", 0.10,
     "=KPI_ARPU*(1+LEVER_ARPU_UP)", NUM2),
    ("CAC", "Acquisition: CAC down by", "LEVER_CAC_CUT", 0.10, "=KPI_CAC*(1-LEVER_CAC_CUT)",
     NUM2),
    ("ALL", "All three together", None, None, None, None),
]
#: Value of one point less churn per active customer (its remaining lifetime value; with the
#: constant churn of the classic formula an active customer's remaining lifetime is 1 / churn).
ONE_POINT = ('=IF(KPI_CHURN_RATE>0.01,KPI_ARPU*ASSUME_MARGIN*(1/(KPI_CHURN_RATE-0.01)'
             '-1/KPI_CHURN_RATE),"n/a")')


#: The Dashboard's line on subscriptions (issue 14; figures on the Retention sheet).
DASH_SUBSCRIPTION = (
    '=IF(SUB_FITTED="Yes","Subscription business (Retention sheet): a new customer is worth "'
    '&FIXED(SUB_CLV_SBG,2)&" with churn falling with tenure (sBG), "&FIXED(SUB_CLV_CLASSIC,2)'
    '&" with one churn rate; both discounted, CAC deducted.","Business: "&SUB_BUSINESS'
    '&" (Retention sheet: the rule that decided).")'
)


def _tile(ws, row: int, c1: int, label, value, note, fmt: str, big: bool = False,
          span: int = 2) -> None:
    """A tile of ``span`` columns: label, value and note rows, filled and framed."""
    lab = ws.cell(row=row, column=c1, value=label)
    val = ws.cell(row=row + 1, column=c1, value=value)
    nte = ws.cell(row=row + 2, column=c1, value=note)
    lab.font = F_LABEL
    val.font = Font(name=FONT, size=22 if big else 18, bold=True, color=NAVY)
    nte.font = F_NOTE
    val.number_format = fmt
    for cell in (lab, val, nte):
        cell.alignment = Alignment(horizontal="left", vertical="center", indent=1,
                                   wrap_text=cell is nte)
    for r in range(row, row + 3):
        for c in range(c1, c1 + span):
            cell = ws.cell(row=r, column=c)
            cell.fill = FILL_TILE
            cell.border = Border(
                left=Side(style="thick", color=TEAL) if c == c1 else None,
                top=THIN if r == row else None,
                bottom=THIN if r == row + 2 else None,
                right=THIN if c == c1 + span - 1 else None,
            )
        ws.merge_cells(start_row=r, start_column=c1, end_row=r, end_column=c1 + span - 1)


def _tile_row(wb, ws, row: int, tiles) -> None:
    for k, (defined, label, note, fmt, formula) in enumerate(tiles):
        _tile(ws, row, 2 + 2 * k, label, formula, note, fmt)
        if defined:
            name(wb, defined, ws, ws.cell(row=row + 1, column=2 + 2 * k).coordinate)
    ws.row_dimensions[row].height = 16
    ws.row_dimensions[row + 1].height = 28
    ws.row_dimensions[row + 2].height = 14


def _section(ws, cell: str, text: str) -> None:
    ws[cell] = text
    ws[cell].font = F_SECTION
    r = ws[cell].row
    for c in "BCDEFGHI":
        ws[f"{c}{r}"].border = Border(bottom=ACCENT)
    ws.row_dimensions[r].height = 20


def dashboard(wb: Workbook) -> None:
    ws = wb.active
    ws.title = "Dashboard"
    ws.sheet_view.showGridLines = False
    widths(ws, {"A": 2, **{c: DASH_COL for c in "BCDEFGHI"}, "J": 2})
    ws["B2"] = "Customer lifetime value"
    ws["B2"].font = F_TITLE
    ws.row_dimensions[2].height = 32
    meta = [
        ("B3", "Source", "C3", "INFO_SOURCE", None),
        ("F3", "As of", "G3", "INFO_AS_OF", DATE),
        ("H3", "Generated", "I3", "INFO_GENERATED", DATETIME),
        ("B4", "KPI period", "C4", "INFO_KPI_PERIOD", None),
        ("D4", "Model unit", "E4", "INFO_TIME_UNIT", None),
    ]
    for lab_cell, label, val_cell, defined, fmt in meta:
        ws[lab_cell] = label
        ws[lab_cell].font = F_LABEL
        ws[val_cell].font = F_SUB
        ws[val_cell].alignment = Alignment(horizontal="left")
        if fmt:
            ws[val_cell].number_format = fmt
        name(wb, defined, ws, val_cell)
    ws["F4"] = "Currency"
    ws["F4"].font = F_LABEL
    ws["G4"] = '=IF(ASSUME_CURRENCY="","not stated (Assumptions)",ASSUME_CURRENCY)'
    ws["G4"].font = F_SUB
    ws.merge_cells("C3:E3")
    ws.merge_cells("G4:I4")
    for c in "BCDEFGHI":
        ws[f"{c}4"].border = Border(bottom=ACCENT)

    _tile_row(wb, ws, 6, TILES[0])
    _tile_row(wb, ws, 10, TILES[1])

    # One story of value: the classic CLTV and the model-based CLV side by side.
    _section(ws, "B14", "Two measures of customer value")
    _tile(ws, 15, 2, f'="CLASSIC CLTV, PER CUSTOMER"&{CUR}',
          "=KPI_ARPU*ASSUME_MARGIN*KPI_LIFETIME-KPI_CAC", CLASSIC_DEF, NUM2, big=True, span=4)
    name(wb, "KPI_CLTV", ws, "B16")
    _tile(ws, 15, 6, f'="MODEL-BASED CLV, AVERAGE PER CUSTOMER"&{CUR}',
          "=KPI_PREDICTED_CLV/KPI_CUSTOMERS", MODEL_DEF, NUM2, big=True, span=4)
    name(wb, "KPI_AVG_PREDICTED_CLV", ws, "F16")
    ws.row_dimensions[15].height = 16
    ws.row_dimensions[16].height = 34
    ws.row_dimensions[17].height = 30
    ws["B18"] = WHY_DIFFER
    ws["B18"].font = F_BODY
    ws["B18"].alignment = Alignment(wrap_text=True, vertical="top")
    ws.merge_cells("B18:I18")
    ws.row_dimensions[18].height = 50
    ws.row_dimensions[19].height = 6
    _tile_row(wb, ws, 20, MODEL_TILES)

    # Data line: counts from the Data issues sheet.
    ws["B24"] = "Input rows"
    ws["B24"].font = F_LABEL
    parts = [("C24", "=COUNT_READ", "read"), ("D24", "=COUNT_USED", "used"),
             ("E24", "=COUNT_REJECTED", "rejected"), ("F24", "=COUNT_BLANK", "blank"),
             ("G24", "=COUNT_DOUBTFUL", "doubtful")]
    for cell, formula, label in parts:
        ws[cell] = formula
        ws[cell].number_format = f'#,##0" {label}"'
        ws[cell].font = F_SUB
        ws[cell].alignment = Alignment(horizontal="left")
    ws["H24"] = "details: Data issues sheet"
    ws["H24"].font = F_NOTE
    # Issue 9: what the figures leave out, in a plain sentence, and how the file was read
    # (columns, amount rule, date order; an ambiguous date order is flagged WARNING).
    for row, defined, font, height in ((25, "INFO_DATA_QUALITY", F_WARN, 28),
                                       (26, "INFO_READ_AS", F_SUB, 28)):
        cell = ws[f"B{row}"]
        cell.font = font
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        ws.merge_cells(f"B{row}:I{row}")
        ws.row_dimensions[row].height = height
        name(wb, defined, ws, f"B{row}")
    # Issue 14: one line on subscriptions (the figures are on the Retention sheet).
    ws["B27"] = DASH_SUBSCRIPTION
    ws["B27"].font = F_NOTE
    ws.merge_cells("B27:I27")

    end = levers(wb, ws, 28)
    assert end < CHART_TOP, "the levers block runs into the charts"
    portrait(ws, f"A1:J{CHART_TOP + 2 * CHART_H + 2}")
    ws.page_setup.fitToHeight = 1  # the whole Dashboard on one portrait page


def levers(wb: Workbook, ws, top: int) -> int:
    """The three levers: yellow inputs, CLTV and LTV:CAC with each lever alone and all three,
    and the value of one point less churn across the active customers. Live formulas only
    (functions of Excel 2010 and LibreOffice 7.4). Returns the last row used."""
    _section(ws, f"B{top}", "The three levers: what each is worth")
    ws[f"B{top + 1}"] = ("Type a change in a yellow cell: CLTV = ARPU x margin / churn - CAC "
                         "moves with it (margin and CAC from the Assumptions).")
    ws[f"B{top + 1}"].font = F_SUB
    head = top + 2
    heads = [("B", "Lever"), ("D", "Change"), ("E", "New value"), ("F", '="CLTV"&' + CUR),
             ("G", "vs. today"), ("H", "LTV : CAC")]
    for col, text in heads:
        cell = ws[f"{col}{head}"]
        cell.value = text
        cell.font = F_LABEL
        cell.alignment = Alignment(horizontal="left" if col == "B" else "right")
    for c in "BCDEFGHI":
        ws[f"{c}{head}"].border = Border(bottom=THIN)
    ws.merge_cells(f"B{head}:C{head}")
    ws.merge_cells(f"H{head}:I{head}")
    r = head + 1
    ws[f"B{r}"] = "Today"
    ws[f"B{r}"].font = F_BOLD
    ws[f"F{r}"] = "=KPI_CLTV"
    ws[f"H{r}"] = "=KPI_LTV_CAC"
    ws[f"F{r}"].number_format = NUM2
    ws[f"H{r}"].number_format = RATIO
    ws.merge_cells(f"B{r}:C{r}")
    ws.merge_cells(f"H{r}:I{r}")
    for col in "FH":
        ws[f"{col}{r}"].font = F_BODY
    inputs = DataValidation(type="decimal", operator="between", formula1="0", formula2="0.99")
    ws.add_data_validation(inputs)
    for key, label, input_name, default, new_formula, new_fmt in LEVERS:
        r += 1
        ws[f"B{r}"] = label
        ws[f"B{r}"].font = F_BOLD
        ws.merge_cells(f"B{r}:C{r}")
        if input_name:
            cell = ws[f"D{r}"]
            cell.value = default
            cell.fill = FILL_INPUT
            cell.border = BOX
            cell.number_format = PCT0
            cell.font = F_BODY
            name(wb, input_name, ws, cell.coordinate)
            inputs.add(cell.coordinate)
            ws[f"E{r}"] = new_formula
            name(wb, f"LEVER_NEW_{key}", ws, f"E{r}")
            ws[f"E{r}"].number_format = new_fmt
            ws[f"E{r}"].font = F_BODY
        ltv, cac = LTV_AFTER[key], CAC_AFTER[key]
        ws[f"F{r}"] = f'=IFERROR({ltv}-{cac},"n/a")'
        ws[f"G{r}"] = f'=IF(ISNUMBER(LEVER_CLTV_{key}),LEVER_CLTV_{key}-KPI_CLTV,"n/a")'
        ws[f"H{r}"] = f'=IFERROR(IF({cac}>0,{ltv}/({cac}),"n/a"),"n/a")'
        ws.merge_cells(f"H{r}:I{r}")
        name(wb, f"LEVER_CLTV_{key}", ws, f"F{r}")
        name(wb, f"LEVER_GAIN_{key}", ws, f"G{r}")
        name(wb, f"LEVER_LTV_CAC_{key}", ws, f"H{r}")
        for col, fmt in (("F", NUM2), ("G", '+#,##0.00;-#,##0.00;0.00'), ("H", RATIO)):
            ws[f"{col}{r}"].number_format = fmt
            ws[f"{col}{r}"].font = F_BOLD if key == "ALL" else F_BODY
        if key == "ALL":
            for c in "BCDEFGHI":
                ws[f"{c}{r}"].border = Border(top=THIN)
    r += 2
    ws[f"B{r}"] = f'="ONE POINT LESS CHURN"&{CUR}'
    ws[f"B{r}"].font = F_LABEL
    ws[f"B{r + 1}"] = (f'="Churn "&FIXED(KPI_CHURN_RATE*100,1)&"% -> "'
                       f'&FIXED(KPI_CHURN_RATE*100-1,1)&"% a "&{PER}&": worth"')
    ws[f"B{r + 1}"].font = F_BODY
    ws.merge_cells(f"B{r + 1}:D{r + 1}")
    ws[f"E{r + 1}"] = ONE_POINT
    ws[f"E{r + 1}"].number_format = NUM2
    ws[f"E{r + 1}"].font = F_BOLD
    name(wb, "LEVER_ONE_POINT_PER_CUSTOMER", ws, f"E{r + 1}")
    ws[f"F{r + 1}"] = '="per active customer; all "&FIXED(LEVER_ACTIVE,0)&" active:"'
    ws[f"F{r + 1}"].font = F_SUB
    ws[f"F{r + 1}"].alignment = Alignment(horizontal="left", indent=1)
    ws.merge_cells(f"F{r + 1}:G{r + 1}")
    ws[f"H{r + 1}"] = ('=IF(ISNUMBER(LEVER_ONE_POINT_PER_CUSTOMER),'
                       'LEVER_ONE_POINT_PER_CUSTOMER*LEVER_ACTIVE,"n/a")')
    ws[f"H{r + 1}"].number_format = NUM0
    ws[f"H{r + 1}"].font = Font(name=FONT, size=14, bold=True, color=NAVY)
    ws.merge_cells(f"H{r + 1}:I{r + 1}")
    name(wb, "LEVER_ONE_POINT", ws, f"H{r + 1}")
    ws[f"B{r + 2}"] = ("Per active customer: its remaining margin over a lifetime of 1 / churn, "
                       "before and after (its acquisition cost is already spent).")
    ws[f"B{r + 2}"].font = F_NOTE
    return r + 2


def _span(col0: int, row0: int, col1: int, row1: int) -> TwoCellAnchor:
    """Anchor a chart to a cell block (0-based columns and rows), so it fills the block
    whatever the fonts make the column widths."""
    return TwoCellAnchor(_from=AnchorMarker(col=col0, row=row0),
                         to=AnchorMarker(col=col1, row=row1))


def _cm(columns: int, rows: int, col_chars: float = DASH_COL) -> tuple[float, float]:
    """Width and height in cm of a block of ``columns`` columns of ``col_chars`` characters
    and ``rows`` default rows (Excel: a column is 7 px per character + 5 px, a row 20 px at
    96 dpi). Charts get this size as well as the two-cell anchor, so every renderer draws
    them on the same grid as the tiles."""
    return columns * (col_chars * 7 + 5) / 96 * 2.54, rows * 20 / 96 * 2.54


def _place(ws, chart, col0: int, row0: int, col1: int, row1: int) -> None:
    """Put ``chart`` on the cell block from (col0, row0) to (col1, row1), 0-based, exclusive."""
    chart.width, chart.height = _cm(col1 - col0, row1 - row0)
    ws.add_chart(chart, _span(col0, row0, col1, row1))


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
        if y_title:
            chart.y_axis.title = y_title
        chart.y_axis.majorGridlines.spPr = GraphicalProperties(ln=LineProperties(solidFill=LINE))
        chart.x_axis.delete = False
        chart.y_axis.delete = False

    top = CHART_TOP - 1  # 0-based row of the first chart
    bins = BarChart()
    bins.type = "col"
    bins.gapWidth = 30
    bins.add_data(Reference(data, min_col=2, min_row=4, max_row=4 + CLV_BIN_ROWS),
                  titles_from_data=True)
    bins.set_categories(Reference(data, min_col=1, min_row=5, max_row=4 + CLV_BIN_ROWS))
    style(bins, "Customers by predicted CLV (log-scale bins)", "customers")
    bins.series[0].graphicalProperties.solidFill = TEAL
    bins.series[0].graphicalProperties.line.noFill = True
    bins.x_axis.tickLblPos = "low"
    bins.x_axis.title = "predicted CLV over the horizon"
    bins.layout = Layout(manualLayout=ManualLayout(x=0.1, y=0.14, w=0.86, h=0.6))
    _place(ws, bins, 1, top, 5, top + CHART_H)

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
    by_seg.dataLabels.position = "outEnd"
    # Room on the right inside the frame for the label of the longest bar.
    by_seg.layout = Layout(manualLayout=ManualLayout(x=0.2, y=0.14, w=0.62, h=0.8))
    _place(ws, by_seg, 5, top, 9, top + CHART_H)

    curve = LineChart()
    curve.add_data(Reference(data, min_col=6, max_col=7, min_row=4, max_row=5),
                   titles_from_data=True)
    curve.set_categories(Reference(data, min_col=5, min_row=5, max_row=5))
    style(curve, "Cohort retention: share of customers buying, by months since first purchase")
    curve.y_axis.number_format = PCT0
    curve.y_axis.scaling.min = 0
    curve.y_axis.scaling.max = 1
    curve.legend = Legend()
    curve.legend.position = "b"
    for s, colour, dash in zip(curve.series, (NAVY, TEAL), ("solid", "dash"), strict=True):
        s.graphicalProperties.line.solidFill = colour
        s.graphicalProperties.line.width = 22000
        s.graphicalProperties.line.prstDash = dash
        s.smooth = False
    curve.layout = Layout(manualLayout=ManualLayout(x=0.05, y=0.15, w=0.9, h=0.6))
    _place(ws, curve, 1, top + CHART_H + 1, 9, top + 2 * CHART_H + 1)

    # Holdout tracking: actual and expected repeat purchases per period (lines) over a shaded
    # band marking the holdout periods (bars of the "Holdout period" column).
    model = wb["Model"]
    band = BarChart()
    band.type = "col"
    band.gapWidth = 0
    band.add_data(Reference(model, min_col=4, min_row=TRACK_TOP, max_row=TRACK_TOP + 1),
                  titles_from_data=True)
    band.series[0].graphicalProperties.solidFill = "E4ECF2"
    band.series[0].graphicalProperties.line.noFill = True
    track = LineChart()
    track.add_data(Reference(model, min_col=2, max_col=3, min_row=TRACK_TOP,
                                   max_row=TRACK_TOP + 1),
                   titles_from_data=True)
    periods = Reference(model, min_col=1, min_row=TRACK_TOP + 1, max_row=TRACK_TOP + 1)
    track.set_categories(periods)
    band.set_categories(periods)
    for s, colour, dash in zip(track.series, (NAVY, TEAL), ("solid", "dash"), strict=True):
        s.graphicalProperties.line.solidFill = colour
        s.graphicalProperties.line.width = 22000
        s.graphicalProperties.line.prstDash = dash
        s.smooth = False
    style(band, "Repeat purchases per period: actual vs. expected")
    band.y_axis.number_format = NUM0
    band.legend = Legend()
    band.legend.position = "b"
    band.x_axis.number_format = "yyyy-mm"
    band.x_axis.tickLblPos = "low"
    band.y_axis.title = "repeat purchases"
    band += track
    band.width, band.height = 20.0, 9.0
    model.add_chart(band, _span(4, TRACK_TOP + 5, 12, TRACK_TOP + 22))


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
    ("ASSUME_CURRENCY", "Currency", "", "@", "a code such as USD or EUR",
     "Shown beside the money figures on the Dashboard (live). Blank: not stated."),
    ("ASSUME_PALIVE_GUARD", "Segment guard: P(alive) below", 0.5, PCT0, "probability, 0-100%",
     "Customers less likely than this to be active are never Champions or Loyal (next run)."),
    ("ASSUME_MODEL", "Purchase model", "auto", "@", "auto, bgnbd, mbgnbd, paretonbd, none",
     "auto: the best of BG/NBD, MBG/NBD, Pareto/NBD (Model sheet); none: no predictions "
     "(next run or refresh)."),
]


def assumptions(wb: Workbook) -> None:
    ws = wb.create_sheet("Assumptions")
    title(ws, "Assumptions", "Yellow cells are inputs. Change CAC, margin or currency here "
          "and the Dashboard (CLTV, LTV:CAC, the levers) recalculates.", cell="B2")
    widths(ws, {"A": 2, "B": 32, "C": 16, "D": 28, "E": 70})
    for j, head in enumerate(("Assumption", "Value", "Unit", "Effect")):
        cell = ws.cell(row=5, column=2 + j, value=head)
        cell.font = F_LABEL
        cell.border = Border(bottom=ACCENT)
    units = DataValidation(type="list", formula1='"days,weeks,months"', allow_blank=False)
    positive = DataValidation(type="decimal", operator="greaterThanOrEqual", formula1="0")
    share = DataValidation(type="decimal", operator="between", formula1="0", formula2="1")
    models = DataValidation(type="list", formula1='"auto,bgnbd,mbgnbd,paretonbd,none"',
                            allow_blank=True)
    ws.add_data_validation(models)
    ws.add_data_validation(units)
    ws.add_data_validation(positive)
    ws.add_data_validation(share)
    for i, (defined, label, default, fmt, unit, effect) in enumerate(ASSUMPTIONS):
        r = 6 + i
        ws.cell(row=r, column=2, value=label).font = F_BOLD
        val = ws.cell(row=r, column=3, value=default)
        val.fill = FILL_INPUT
        val.border = BOX
        val.font = F_BODY
        val.number_format = fmt
        val.alignment = Alignment(horizontal="right", indent=1)
        for col, text in ((4, unit), (5, effect)):
            cell = ws.cell(row=r, column=col, value=text)
            cell.font = F_SUB
            cell.alignment = Alignment(indent=1, vertical="center")
        ws.row_dimensions[r].height = 20
        name(wb, defined, ws, val.coordinate)
        if defined == "ASSUME_PALIVE_GUARD":
            share.add(val.coordinate)
        elif defined in ("ASSUME_TIME_UNIT", "ASSUME_KPI_PERIOD"):
            units.add(val.coordinate)
        elif defined == "ASSUME_MODEL":
            models.add(val.coordinate)
        elif fmt != "@":
            positive.add(val.coordinate)
    landscape(ws, f"A1:E{6 + len(ASSUMPTIONS)}")


#: Customers columns: (header, number format, width).
CUSTOMER_COLUMNS = [
    ("Customer ID", "@", 14), ("First purchase", DATE, 12),
    ("Last purchase", DATE, 12), ("Orders", NUM0, 8),
    ("Revenue", NUM2, 12),
    ("Repeat purchases (frequency)", NUM0, 11),
    ("First to last purchase (recency)", "#,##0.0", 11),
    ("Since first purchase (T)", "#,##0.0", 11),
    ("Average repeat spend (monetary value)", NUM2, 12),
    ("Probability still active (P(alive))", PCT0, 11),
    ("Expected purchases", "#,##0.00", 11),
    ("Expected spend per purchase", NUM2, 11), ("Predicted CLV", NUM2, 11),
    ("Historical CLV (revenue x margin)", NUM2, 12),
    ("Periods observed (exposure)", "#,##0.0", 11),
    ("Churned", YES_NO, 9), ("Segment", None, 13),
]


def customers(wb: Workbook) -> None:
    ws = wb.create_sheet("Customers")
    title(ws, "Customers", "One row per customer, highest predicted CLV first. Churned = no "
          "purchase for longer than the churn window (Assumptions). Words in brackets are the "
          "technical names; the Glossary sheet explains each column.")
    table(ws, "Customers", "A4", [c[0] for c in CUSTOMER_COLUMNS],
          [c[1] for c in CUSTOMER_COLUMNS], [c[2] for c in CUSTOMER_COLUMNS])
    # The units of the time columns follow the Assumptions, so they sit above the header.
    for col, formula in (("G", '="in "&ASSUME_TIME_UNIT'), ("H", '="in "&ASSUME_TIME_UNIT'),
                         ("O", '="in "&ASSUME_KPI_PERIOD')):
        ws[f"{col}3"] = formula
        ws[f"{col}3"].font = F_LABEL
        ws[f"{col}3"].alignment = Alignment(horizontal="center")
    ws.row_dimensions[4].height = 44
    ws.freeze_panes = "B5"
    landscape(ws, title_rows="3:4")


def segments(wb: Workbook) -> None:
    ws = wb.create_sheet("Segments")
    title(ws, "Segments", "Relative R/F/M scores with absolute guards (rules below); the first "
          "matching rule wins. Predicted CLV over the horizon.")
    cols = [("Segment", None, 14), ("Rule", None, 64), ("Customers", NUM0, 11),
            ("Revenue", NUM0, 13), ("Average predicted CLV", NUM2, 14),
            ("Predicted CLV", NUM0, 14), ("Share of value", PCT1, 10)]
    tab = table(ws, "Segments", "A4", [c[0] for c in cols], [c[1] for c in cols],
                [c[2] for c in cols], body_rows=7)
    for r in range(5, 12):
        for c in range(1, 8):
            cell = ws.cell(row=r, column=c)
            cell.alignment = Alignment(horizontal=cell.alignment.horizontal, indent=
                                       cell.alignment.indent, vertical="center",
                                       wrap_text=c == 2)
        ws.row_dimensions[r].height = 28  # room for a rule on two lines
    del tab
    ws["A13"] = "How the segments are made"
    ws["A13"].font = F_SECTION
    lines = [
        SCORE_RULE,
        '="Absolute guards: a customer with no purchase for more than "&ASSUME_INACTIVITY&" "'
        '&ASSUME_KPI_PERIOD&" (churned), or with P(alive) below "'
        '&FIXED(ASSUME_PALIVE_GUARD*100,0)&"%, counts as lapsed (R at most 2): it is never "'
        '&"Champions, Loyal, Potential or New."',
        "The rules are tried in the order of the table above; the first that matches wins. "
        "The cut-offs are on the Assumptions sheet (churn window, P(alive) guard) and apply on "
        "the next run.",
    ]
    for i, text in enumerate(lines):
        cell = ws.cell(row=14 + i, column=1, value=text)
        cell.font = F_BODY
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        ws.merge_cells(start_row=14 + i, start_column=1, end_row=14 + i, end_column=7)
        ws.row_dimensions[14 + i].height = 30
    ws.freeze_panes = "A5"
    landscape(ws, "A1:G16")


def cohorts(wb: Workbook) -> None:
    for sheet, tname, fmt, note, colours in (
        ("Cohorts", "CohortRetention", PCT0,
         "Share of each monthly acquisition cohort that bought again N months after its first "
         "month (month 0 = 100%). Blank = not observed yet.", ("FFFFFF", "C6DBE9", "6A9FC6")),
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
          ["@", NUM0, PCT1], [18, 11, 11], body_rows=CLV_BIN_ROWS)
    table(ws, "RetentionCurve", "E4", ["Months since first purchase", "All cohorts",
                                       "First cohort"], [NUM0, PCT1, PCT1], [14, 11, 11])
    portrait(ws, title_rows="4:4")


#: Model sheet rows: the parameter table (purchase model, Gamma-Gamma and, with a holdout, the
#: calibration fit: up to 4 + 3 + 4 rows), the model choice and its comparison table (three
#: candidates), then the holdout check with its tracking table (grows downwards).
PARAM_TOP, PARAM_ROWS = 4, 11
CHOICE_TOP = PARAM_TOP + PARAM_ROWS + 2
COMPARE_TOP, COMPARE_ROWS = CHOICE_TOP + 3, 3
HOLDOUT_TOP = COMPARE_TOP + COMPARE_ROWS + 2
TRACK_TOP = HOLDOUT_TOP + 3


def model(wb: Workbook) -> None:
    ws = wb.create_sheet("Model")
    title(ws, "Model", "Purchase model (chosen below): P(alive) and expected purchases. "
          "Gamma-Gamma (Fader & Hardie 2013): spend per purchase. Maximum likelihood.")
    table(ws, "ModelParams", f"A{PARAM_TOP}", ["Model", "Parameter", "Estimate", "Std. error",
                                                "Poorly identified"],
          [None, None, "0.0000", "0.0000", None], [26, 12, 12, 12, 12], body_rows=PARAM_ROWS)
    facts = [("MODEL_TIME_UNIT", "Time unit", None),
             ("MODEL_PURCHASE", "Purchase model", None),
             ("MODEL_PURCHASE_LL", "Purchase model log-likelihood", "#,##0.0"),
             ("MODEL_PURCHASE_CONVERGED", "Purchase model converged", None),
             ("MODEL_GG_CONVERGED", "Gamma-Gamma converged", None),
             ("MODEL_GG_CUSTOMERS", "Gamma-Gamma repeat buyers", NUM0),
             ("INFO_HOLDOUT", "Holdout from", None)]
    widths(ws, {"F": 12, "G": 12, "H": 12, "I": 16, "J": 3, "K": 32, "L": 16})
    for i, (defined, label, fmt) in enumerate(facts):
        r = PARAM_TOP + 1 + i
        ws.cell(row=r, column=11, value=label).font = F_BOLD
        val = ws.cell(row=r, column=12)
        val.font = F_BODY
        val.alignment = Alignment(horizontal="right")
        if fmt:
            val.number_format = fmt
        name(wb, defined, ws, val.coordinate)
        old = {"MODEL_PURCHASE_LL": "MODEL_BGNBD_LL",
               "MODEL_PURCHASE_CONVERGED": "MODEL_BGNBD_CONVERGED"}.get(defined)
        if old:  # the cell's name before the model choice (issue 10), kept for old readers
            name(wb, old, ws, val.coordinate)

    ws[f"A{CHOICE_TOP}"] = "Model choice"
    ws[f"A{CHOICE_TOP}"].font = F_SECTION
    why = ws[f"A{CHOICE_TOP + 1}"]
    why.font = F_BODY
    why.alignment = Alignment(wrap_text=True, vertical="top")
    ws.merge_cells(start_row=CHOICE_TOP + 1, start_column=1, end_row=CHOICE_TOP + 1,
                   end_column=12)
    ws.row_dimensions[CHOICE_TOP + 1].height = 30
    name(wb, "MODEL_CHOICE", ws, why.coordinate)
    table(ws, "ModelComparison", f"A{COMPARE_TOP}",
          ["Model", "Log-likelihood", "BIC", "Converged", "Poorly identified", "Holdout MAE",
           "Holdout RMSE", "Holdout total error", "Chosen"],
          [None, "#,##0.0", "#,##0.0", None, None, "0.000", "0.000", "+0.0%;-0.0%", None],
          body_rows=COMPARE_ROWS)
    ws[f"K{COMPARE_TOP}"] = ("How to read it: with a holdout (--holdout-start) the model with "
                             "the lowest holdout RMSE per customer is chosen, else the one "
                             "with the lowest BIC (= k ln n - 2 LL; lower is better). A model "
                             "that did not converge is chosen only if none did. "
                             "--model bgnbd|mbgnbd|paretonbd overrides the choice.")
    ws[f"K{COMPARE_TOP}"].font = F_SUB
    ws[f"K{COMPARE_TOP}"].alignment = Alignment(wrap_text=True, vertical="top")
    ws.merge_cells(start_row=COMPARE_TOP, start_column=11, end_row=COMPARE_TOP + COMPARE_ROWS,
                   end_column=12)

    ws[f"A{HOLDOUT_TOP}"] = "Holdout check"
    ws[f"A{HOLDOUT_TOP}"].font = F_SECTION
    ws[f"A{HOLDOUT_TOP + 1}"] = (
        '=IF(INFO_HOLDOUT="none","Not run: add --holdout-start DATE to fit the model '
        'on the orders up to DATE and compare its forecast with what happened after.",'
        '"The "&MODEL_PURCHASE&" fitted on the orders up to "&INFO_HOLDOUT&" (its parameters '
        'are in the table above) forecasts the repeat purchases after it (shaded); the figures '
        'on the right measure the miss.")')
    ws[f"A{HOLDOUT_TOP + 1}"].font = F_SUB
    table(ws, "Tracking", f"A{TRACK_TOP}", ["Period", "Actual purchases", "Expected purchases",
                                            "Holdout period"],
          [DATE, "#,##0.0", "#,##0.0", YES_NO])
    hold = [
        (None, "Holdout errors (repeat purchases)", None),
        ("MODEL_HOLDOUT_ACTUAL", "Actual in the holdout", "#,##0"),
        ("MODEL_HOLDOUT_EXPECTED", "Expected by the model", "#,##0"),
        ("MODEL_HOLDOUT_ERROR", "Error of the total (expected / actual - 1)", "+0.0%;-0.0%"),
        ("MODEL_HOLDOUT_MAE", "Mean absolute error per period", "#,##0.0"),
    ]
    for i, (defined, label, fmt) in enumerate(hold):
        r = TRACK_TOP + i
        lab = ws.cell(row=r, column=11, value=label)
        if defined is None:
            lab.font = F_LABEL
            lab.border = Border(bottom=THIN)
            ws.cell(row=r, column=12).border = Border(bottom=THIN)
            continue
        lab.font = F_BODY
        lab.alignment = Alignment(indent=1)
        val = ws.cell(row=r, column=12)
        val.font = F_BODY
        val.number_format = fmt
        val.alignment = Alignment(horizontal="right")
        name(wb, defined, ws, val.coordinate)
    last = TRACK_TOP + 22
    wb.defined_names["HOLDOUT_BLOCK"] = DefinedName(
        "HOLDOUT_BLOCK", attr_text=f"'Model'!$A${HOLDOUT_TOP + 2}:$Q${last}")
    landscape(ws, f"A1:L{last}")


#: Rows of the Data issues sheet: the summary by reason (at most MAX_REASONS rows, see
#: cltv_xl.report.quality) starts at ISSUE_SUMMARY_TOP, the list of every row below it.
ISSUE_SUMMARY_TOP = 13
ISSUE_LIST_TOP = ISSUE_SUMMARY_TOP + MAX_REASONS + 4


# ---------------------------------------------------------------------------- Retention (issue 14)
#: A Retention formula shows its value only when the sBG was fitted (a subscription business).
SUB_OK = 'SUB_FITTED="Yes"'
#: Months 0 .. 1199 (the 100-year projection of cltv_xl.report.retention.PROJECTION_MONTHS),
#: as an array inside SUMPRODUCT; rows inserted above move both ends alike.
SUB_T = "(ROW($A$1:$A$1200)-ROW($A$1))"


def _sbg_survival(beta: str) -> str:
    """S(t) = B(alpha, beta + t) / B(alpha, beta) over the months SUB_T (FH 2007, eq. 6), with
    GAMMALN (Excel 2010, LibreOffice)."""
    return (f"EXP(GAMMALN({beta}+{SUB_T})+GAMMALN(SUB_ALPHA+{beta})-GAMMALN({beta})"
            f"-GAMMALN(SUB_ALPHA+{beta}+{SUB_T}))")


def _sbg_del(beta: str = "SUB_BETA") -> str:
    """Discounted expected lifetime of a new customer, sum_t S(t) / (1 + d)^t, t < 1200."""
    return f"SUMPRODUCT({_sbg_survival(beta)}/(1+ASSUME_DISCOUNT_RATE)^{SUB_T})"


def _ok(formula: str) -> str:
    return f'=IF({SUB_OK},{formula},"n/a")'


#: The comparison rows: (label, classic name, classic formula, sBG name, sBG formula, format,
#: how it is computed).
RETENTION_ROWS = [
    ("Monthly churn, month 1", None, "SUB_CHURN", "SUB_CHURN_FIRST",
     "SUB_ALPHA/(SUB_ALPHA+SUB_BETA)", PCT1,
     "One rate: customers lost / renewals observed. sBG: alpha / (alpha + beta)"),
    ("Monthly churn, month 12", None, "SUB_CHURN", "SUB_CHURN_YEAR",
     "SUB_ALPHA/(SUB_ALPHA+SUB_BETA+11)", PCT1,
     "sBG: 1 - retention in month 12 = alpha / (alpha + beta + 11)"),
    ("Expected lifetime, months", "SUB_LIFETIME_CLASSIC", "1/SUB_CHURN", "SUB_LIFETIME_SBG",
     'IF(SUB_ALPHA>1,(SUB_ALPHA+SUB_BETA-1)/(SUB_ALPHA-1),"infinite (alpha <= 1)")',
     "#,##0.0", "1 / churn. sBG: (alpha + beta - 1) / (alpha - 1); infinite when alpha <= 1"),
    ('="Months paid in the first "&SUB_HORIZON&" (CLV horizon)"', "SUB_HORIZON_CLASSIC",
     "(1-(1-SUB_CHURN)^SUB_HORIZON)/SUB_CHURN", "SUB_HORIZON_SBG",
     f"SUMPRODUCT(({SUB_T}<SUB_HORIZON)*{_sbg_survival('SUB_BETA')})", "#,##0.0",
     "Sum of the share still paying in each month of the horizon: always finite"),
    ("Discounted expected lifetime (DEL), months", "SUB_DEL_CLASSIC",
     "(1+ASSUME_DISCOUNT_RATE)/(SUB_CHURN+ASSUME_DISCOUNT_RATE)*(1-((1-SUB_CHURN)/"
     "(1+ASSUME_DISCOUNT_RATE))^1200)", "SUB_DEL_SBG", _sbg_del(), "#,##0.00",
     '="Sum of S(t) / (1 + d)^t over 100 years, d = "&FIXED(ASSUME_DISCOUNT_RATE*100,2)'
     '&"% a month (Assumptions) = 1 + DERL / (1 + d)"'),
    ("DERL at the first renewal, months", "SUB_DERL_CLASSIC",
     "(SUB_DEL_CLASSIC-1)*(1+ASSUME_DISCOUNT_RATE)", "SUB_DERL_SBG",
     "(SUB_DEL_SBG-1)*(1+ASSUME_DISCOUNT_RATE)", "#,##0.00",
     "Discounted expected residual lifetime (Fader & Hardie 2010): the payments still to come"),
    (f'="CLTV, not discounted"&{CUR}', "SUB_CLTV_CLASSIC",
     "ASSUME_MARGIN*SUB_ARPU/SUB_CHURN-ASSUME_CAC", None,
     'IF(ISNUMBER(SUB_LIFETIME_SBG),ASSUME_MARGIN*SUB_ARPU*SUB_LIFETIME_SBG-ASSUME_CAC,'
     '"infinite (alpha <= 1)")', NUM2, "margin x monthly ARPU x expected lifetime - CAC"),
    (f'="DERL-based CLV of a new customer"&{CUR}', "SUB_CLV_CLASSIC",
     "ASSUME_MARGIN*SUB_ARPU*SUB_DEL_CLASSIC-ASSUME_CAC", "SUB_CLV_SBG",
     "ASSUME_MARGIN*SUB_ARPU*SUB_DEL_SBG-ASSUME_CAC", NUM2,
     "margin x monthly ARPU x DEL - CAC: first payment plus the DERL, discounted"),
]
SUB_WHY = (
    '=IF(' + SUB_OK + ',"Why they differ: one churn rate ("&FIXED(SUB_CHURN*100,1)&"% a month) '
    'treats every subscriber alike, so the classic lifetime is 1 / churn = "'
    '&FIXED(1/SUB_CHURN,1)&" months. In the cohorts churn falls with tenure, from "'
    '&FIXED(SUB_CHURN_FIRST*100,1)&"% in month 1 to "&FIXED(SUB_CHURN_YEAR*100,1)&"% in month '
    '12: the customers likely to cancel leave first and the survivors are the loyal ones. The '
    'sBG follows that, so a new customer is worth "&FIXED(SUB_CLV_SBG,2)&" rather than "'
    '&FIXED(SUB_CLV_CLASSIC,2)&" ("&TEXT(SUB_CLV_SBG/SUB_CLV_CLASSIC-1,"+0%;-0%")&"), '
    'discounted (Fader & Hardie 2010).","Not a subscription business: no sBG figures. Use '
    '--business subscription to fit them anyway.")'
)
#: The Dashboard's lever inputs applied to the sBG figures: (label, input, name, formula).
SUB_LEVERS = [
    ("Churn down by", "LEVER_CHURN_CUT", "SUB_LEVER_CHURN",
     "ASSUME_MARGIN*SUB_ARPU*" + _sbg_del("SUB_LEVER_BETA") + "-ASSUME_CAC"),
    ("ARPU up by", "LEVER_ARPU_UP", "SUB_LEVER_ARPU",
     "ASSUME_MARGIN*SUB_ARPU*(1+LEVER_ARPU_UP)*SUB_DEL_SBG-ASSUME_CAC"),
    ("CAC down by", "LEVER_CAC_CUT", "SUB_LEVER_CAC",
     "ASSUME_MARGIN*SUB_ARPU*SUB_DEL_SBG-ASSUME_CAC*(1-LEVER_CAC_CUT)"),
    ("All three together", None, "SUB_LEVER_ALL",
     "ASSUME_MARGIN*SUB_ARPU*(1+LEVER_ARPU_UP)*" + _sbg_del("SUB_LEVER_BETA")
     + "-ASSUME_CAC*(1-LEVER_CAC_CUT)"),
]
#: First row of the Retention sheet's tables.
SUB_TABLE_ROW = 50


def retention(wb: Workbook) -> None:
    """The Retention sheet (issue 14): the sBG of a subscription business against one churn
    rate. Value cells are SUB_* names written by cltv-xl; the rest are live formulas."""
    ws = wb.create_sheet("Retention")
    title(ws, "Retention (subscriptions)", "Shifted-beta-geometric model (sBG; Fader & Hardie "
          "2007) on the monthly cohort survival table: a customer survives a month while it "
          "keeps paying. Monthly periods.")
    widths(ws, {"A": 2, "B": 40, "C": 16, "D": 16, "E": 3, "F": 14, "G": 12, "H": 12, "I": 12,
                "J": 3, "K": 10, "L": 10, "M": 10, "N": 11, "O": 11, "P": 11, "Q": 11})
    facts = [("SUB_BUSINESS", "Business", "@"), ("SUB_FITTED", "sBG fitted", "@")]
    for i, (defined, label, fmt) in enumerate(facts):
        r = 3 + i
        ws.cell(row=r, column=2, value=label).font = F_BOLD
        val = ws.cell(row=r, column=3)
        val.font = F_BODY
        val.number_format = fmt
        name(wb, defined, ws, val.coordinate)
        ws.merge_cells(start_row=r, start_column=3, end_row=r, end_column=13)
    ws["B5"].font = F_SUB
    ws["B5"].alignment = Alignment(wrap_text=True, vertical="top")
    ws.merge_cells("B5:M5")
    ws.row_dimensions[5].height = 30
    name(wb, "SUB_RULE", ws, "B5")

    _section_at(ws, 7, "B", "D", "The sBG model")
    ws["C8"], ws["D8"] = "Estimate", "Std. error"
    for c in ("C8", "D8"):
        ws[c].font = F_LABEL
        ws[c].alignment = Alignment(horizontal="right")
    params = [
        ("alpha (spread of churn: small = very different customers)", "SUB_ALPHA",
         "SUB_ALPHA_SE", NUM3),
        ("beta", "SUB_BETA", "SUB_BETA_SE", NUM3),
        ("Log-likelihood", "SUB_LL", None, NUM2),
        ("Monthly cohorts", "SUB_COHORTS", None, NUM0),
        ("Customers in them", "SUB_CUSTOMERS", None, NUM0),
        ("Came back after a gap (counted as churned)", "SUB_RETURNED", None, NUM0),
        ("ARPU per paying month", "SUB_ARPU", None, NUM2),
        ("One churn rate: lost / renewals observed", "SUB_CHURN", None, "0.00%"),
        ("CLV horizon, months (Assumptions)", "SUB_HORIZON", None, NUM0),
    ]
    for i, (label, defined, se, fmt) in enumerate(params):
        r = 9 + i
        ws.cell(row=r, column=2, value=label).font = F_BODY
        for col, dn in ((3, defined), (4, se)):
            if dn is None:
                continue
            val = ws.cell(row=r, column=col)
            val.font = F_BODY
            val.number_format = fmt
            name(wb, dn, ws, val.coordinate)

    top = 20
    _section_at(ws, top, "B", "M", "A new customer: one churn rate against the sBG")
    for col, text in (("B", "Figure"), ("C", "One churn rate"), ("D", "sBG"),
                      ("F", "How it is computed")):
        cell = ws[f"{col}{top + 1}"]
        cell.value = text
        cell.font = F_LABEL
        cell.alignment = Alignment(horizontal="left" if col in "BF" else "right")
    for i, (label, c_name, c_formula, s_name, s_formula, fmt, how) in enumerate(RETENTION_ROWS):
        r = top + 2 + i
        ws.cell(row=r, column=2, value=label).font = F_BOLD
        for col, dn, formula in ((3, c_name, c_formula), (4, s_name, s_formula)):
            cell = ws.cell(row=r, column=col, value=_ok(formula))
            cell.number_format = fmt
            cell.font = F_BOLD if "CLV" in str(dn) else F_BODY
            cell.alignment = Alignment(horizontal="right")
            if dn:
                name(wb, dn, ws, cell.coordinate)
        note = ws.cell(row=r, column=6, value=how)
        note.font = F_NOTE
        ws.merge_cells(start_row=r, start_column=6, end_row=r, end_column=13)
    r = top + 2 + len(RETENTION_ROWS)
    ws[f"B{r + 1}"] = SUB_WHY
    ws[f"B{r + 1}"].font = F_BODY
    ws[f"B{r + 1}"].alignment = Alignment(wrap_text=True, vertical="top")
    ws.merge_cells(f"B{r + 1}:M{r + 2}")
    ws.row_dimensions[r + 1].height = 30
    ws.row_dimensions[r + 2].height = 16

    top = r + 4
    _section_at(ws, top, "B", "M", "The Dashboard's levers on the sBG figures")
    ws[f"B{top + 1}"] = ("Inputs: the yellow lever cells on the Dashboard. Churn down by x keeps "
                         "alpha and sets beta' = (alpha + beta) / (1 - x) - alpha, so the mean "
                         "churn of new customers falls by x.")
    ws[f"B{top + 1}"].font = F_SUB
    ws.merge_cells(f"B{top + 1}:M{top + 1}")
    head = top + 2
    for col, text in (("B", "Lever"), ("C", "Change"), ("D", '="DERL-based CLV"&' + CUR),
                      ("F", "vs. today")):
        ws[f"{col}{head}"] = text
        ws[f"{col}{head}"].font = F_LABEL
        ws[f"{col}{head}"].alignment = Alignment(horizontal="left" if col == "B" else "right")
    ws[f"B{head + 1}"] = "Today"
    ws[f"B{head + 1}"].font = F_BOLD
    ws[f"D{head + 1}"] = _ok("SUB_CLV_SBG")
    ws[f"D{head + 1}"].number_format = NUM2
    for i, (label, input_name, defined, formula) in enumerate(SUB_LEVERS):
        rr = head + 2 + i
        ws[f"B{rr}"] = label
        ws[f"B{rr}"].font = F_BOLD
        if input_name:
            ws[f"C{rr}"] = _ok(input_name)
            ws[f"C{rr}"].number_format = PCT0
        ws[f"D{rr}"] = _ok(formula)
        ws[f"D{rr}"].number_format = NUM2
        ws[f"D{rr}"].font = F_BOLD if input_name is None else F_BODY
        name(wb, defined, ws, f"D{rr}")
        ws[f"F{rr}"] = _ok(f"{defined}-SUB_CLV_SBG")
        ws[f"F{rr}"].number_format = "+#,##0.00;-#,##0.00;0.00"
    rr = head + 2
    ws[f"G{rr}"] = "beta'"
    ws[f"G{rr}"].font = F_LABEL
    ws[f"G{rr}"].alignment = Alignment(horizontal="right")
    ws[f"H{rr}"] = _ok("(SUB_ALPHA+SUB_BETA)/(1-LEVER_CHURN_CUT)-SUB_ALPHA")
    ws[f"H{rr}"].number_format = NUM3
    name(wb, "SUB_LEVER_BETA", ws, f"H{rr}")
    assert head + 2 + len(SUB_LEVERS) < SUB_TABLE_ROW - 2, "the levers run into the tables"

    t = SUB_TABLE_ROW
    ws[f"B{t - 1}"] = "The tables behind the chart"
    ws[f"B{t - 1}"].font = F_SECTION
    ws[f"B{t}"] = ("Left: share still paying by months since sign-up, actual (all cohorts "
                   "pooled, and the first cohort) and the sBG. Right: each cohort at its last "
                   "complete month.")
    ws[f"B{t}"].font = F_SUB
    ws[f"B{t}"].alignment = Alignment(wrap_text=True, vertical="top")
    ws.merge_cells(f"B{t}:D{t + 3}")
    table(ws, "SurvivalCurve", f"F{t}", ["Months since sign-up", "Actual, all cohorts",
                                          "Actual, first cohort", "sBG fit and projection"],
          [NUM0, PCT1, PCT1, PCT1])
    table(ws, "CohortFit", f"K{t}", ["Cohort", "Customers", "Months observed",
                                      "Still paying, actual", "Still paying, sBG",
                                      "Actual - sBG", "Came back after a gap"],
          ["@", NUM0, NUM0, NUM0, "#,##0.0", "+#,##0.0;-#,##0.0;0.0", NUM0])

    curve = LineChart()
    curve.add_data(Reference(ws, min_col=7, max_col=9, min_row=t, max_row=t + 1),
                   titles_from_data=True)
    curve.set_categories(Reference(ws, min_col=6, min_row=t + 1, max_row=t + 1))
    props = CharacterProperties(sz=1100, b=True, solidFill=NAVY)
    para = Paragraph(pPr=ParagraphProperties(defRPr=props),
                     r=[RegularTextRun(rPr=props, t="Share of a cohort still paying: actual "
                                       "against the sBG")])
    curve.title = Title(tx=Text(rich=RichText(p=[para])), overlay=False)
    curve.style = 2
    curve.y_axis.number_format = PCT0
    curve.y_axis.scaling.min = 0
    curve.y_axis.scaling.max = 1
    curve.y_axis.majorGridlines.spPr = GraphicalProperties(ln=LineProperties(solidFill=LINE))
    curve.x_axis.title = "months since sign-up"
    curve.x_axis.tickLblSkip = 6
    curve.x_axis.delete = False
    curve.y_axis.delete = False
    curve.legend = Legend()
    curve.legend.position = "b"
    for s, colour, dash in zip(curve.series, (NAVY, SKY, TEAL), ("solid", "solid", "dash"),
                               strict=True):
        s.graphicalProperties.line.solidFill = colour
        s.graphicalProperties.line.width = 22000
        s.graphicalProperties.line.prstDash = dash
        s.smooth = False
    curve.width, curve.height = 24.0, 6.6
    ws.add_chart(curve, _span(5, 6, 17, 19))
    landscape(ws)


def _section_at(ws, row: int, first: str, last: str, text: str) -> None:
    ws[f"{first}{row}"] = text
    ws[f"{first}{row}"].font = F_SECTION
    for c in range(ws[f"{first}1"].column, ws[f"{last}1"].column + 1):
        ws.cell(row=row, column=c).border = Border(bottom=ACCENT)
    ws.row_dimensions[row].height = 20


def data_issues(wb: Workbook) -> None:
    ws = wb.create_sheet("Data issues")
    title(ws, "Data issues", "Every input row that was rejected (not used) or doubtful (used, "
          "worth a look): first counted by reason, then row by row. Row = row number in the "
          "source sheet.")
    counts = [("COUNT_READ", "Rows read (non-blank)", NUM0), ("COUNT_USED", "Rows used", NUM0),
              ("COUNT_REJECTED", "Rows rejected", NUM0),
              ("COUNT_BLANK", "Blank rows skipped", NUM0),
              ("COUNT_DOUBTFUL", "Doubtful rows (used)", NUM0),
              ("COUNT_CUSTOMERS", "Customers", NUM0),
              ("REVENUE_REFUND_ONLY", "Refund-only customers' net amount", NUM2)]
    for i, (defined, label, fmt) in enumerate(counts):
        r = 4 + i
        ws.cell(row=r, column=1, value=label).font = F_BOLD
        val = ws.cell(row=r, column=3)
        val.number_format = fmt
        val.font = F_BODY
        val.alignment = Alignment(horizontal="left")
        name(wb, defined, ws, val.coordinate)
    ws.cell(row=10, column=4, value="customers whose only rows are refunds: in the revenue, "
            "not on the Customers sheet").font = F_NOTE
    ws.cell(row=ISSUE_SUMMARY_TOP - 1, column=1, value="By reason").font = F_SECTION
    table(ws, "IssueSummary", f"A{ISSUE_SUMMARY_TOP}",
          ["Rows", "Share of rows", "Amount", "Reason", "Severity", "Share of amount",
           "Example rows"], [NUM0, PCT1, NUM2, "@", "@", PCT1, "@"])
    ws.cell(row=ISSUE_LIST_TOP - 1, column=1, value="Every row").font = F_SECTION
    table(ws, "DataIssues", f"A{ISSUE_LIST_TOP}", ["Row", "Column", "Value", "Reason",
                                                   "Severity"],
          ["0", "@", "@", "@", "@"], [22, 14, 24, 70, 10])
    widths(ws, {"F": 14, "G": 24})
    landscape(ws, title_rows=f"{ISSUE_LIST_TOP}:{ISSUE_LIST_TOP}")


GLOSSARY = [
    ("ARPU", "Average revenue per user: revenue per customer per KPI period of being a "
     "customer (revenue / periods observed)."),
    ("Churn rate", "Churned customers per customer-period observed: the share of customers "
     "lost in one KPI period."),
    ("Churned", "No purchase for longer than the churn window (Assumptions) before the as-of "
     "date."),
    ("Lifetime", "Expected KPI periods a customer stays: 1 / churn rate."),
    ("Gross margin", "Share of revenue kept after the cost of the goods sold (Assumptions)."),
    ("CAC", "Customer acquisition cost: what winning one new customer costs (Assumptions)."),
    ("Classic CLTV", "ARPU x margin x lifetime - CAC: the value of an average new customer over "
     "its whole lifetime, not discounted."),
    ("LTV : CAC", "ARPU x margin x lifetime / CAC: how many times a customer pays back its "
     "acquisition cost (3x is a common target)."),
    ("Predicted CLV (model-based)", "Each customer's expected margin over the horizon, "
     "discounted: expected purchases x expected spend per purchase x margin. CAC not deducted."),
    ("Horizon", "How far ahead the predicted CLV looks, in model time units (Assumptions)."),
    ("Discount rate", "Monthly rate by which a future purchase is worth less today "
     "(Assumptions)."),
    ("P(alive), probability still active", "The purchase model's probability that the "
     "customer still buys, from its number of purchases and the time since the last one."),
    ("Expected purchases", "Purchases the customer is expected to make over the horizon, "
     "already weighted by P(alive)."),
    ("Expected spend per purchase", "Gamma-Gamma estimate of one future purchase: the "
     "customer's own average pulled towards the overall average when it has few purchases."),
    ("Repeat purchases (frequency)", "Purchase days after the first one (several orders on "
     "one day count once)."),
    ("First to last purchase (recency)", "Time from the first to the last purchase day, in model "
     "time units (the modelling convention; not the time since the last purchase)."),
    ("Since first purchase (T)", "Time from the first purchase day to the as-of date, in model "
     "time units."),
    ("Average repeat spend (monetary value)", "Average amount per repeat purchase day (the "
     "first purchase left out); 0 for one-time buyers."),
    ("Periods observed (exposure)", "KPI periods from the first purchase to the as-of date, or "
     "to the end of the churn window for a churned customer: the denominator of ARPU and churn."),
    ("Historical CLV", "Revenue so far x gross margin."),
    ("Segment", "RFM group (Segments sheet): relative recency, frequency and spend scores with "
     "absolute guards on churn and P(alive)."),
    ("Levers", "Dashboard block: CLTV and LTV:CAC when churn falls, ARPU rises or CAC falls by "
     "the percentages typed in the yellow cells."),
    ("Holdout", "A check of the model: fit it on the data before a date, forecast the rest, and "
     "compare with what happened (Model sheet, --holdout-start)."),
    ("BG/NBD", "Beta-geometric / negative binomial model of purchases and drop-out (Fader, "
     "Hardie & Lee 2005)."),
    ("MBG/NBD", "Modified BG/NBD: one-time buyers can have lapsed too (Batislam, Denizel & "
     "Filiztekin 2007)."),
    ("Pareto/NBD", "Purchases and drop-out at any time, not only after a purchase (Schmittlein, "
     "Morrison & Colombo 1987)."),
    ("Model choice, BIC", "With --model auto the report fits BG/NBD, MBG/NBD and Pareto/NBD and "
     "keeps the one with the lowest holdout error (with a holdout) or the lowest BIC = "
     "k ln n - 2 log-likelihood (Model sheet)."),
    ("Poorly identified", "A parameter whose standard error exceeds its estimate: the data "
     "barely pin it down, so predictions that depend on it are uncertain."),
    ("Gamma-Gamma", "Model of spend per purchase (Fader & Hardie 2013)."),
    ("Retention sheet, sBG", "Subscription businesses: the shifted-beta-geometric model "
     "(Fader & Hardie 2007) of the share of each monthly cohort still paying; alpha and beta "
     "describe how churn varies between customers."),
    ("DERL, DERL-based CLV", "Discounted expected residual lifetime: the payments still to "
     "come from a customer, discounted (Fader & Hardie 2010). CLV = margin x monthly ARPU x "
     "(1 + DERL / (1 + d)) - CAC for a new customer."),
    ("KPI period, model time unit", "Units of ARPU, churn and lifetime, and of recency, T and "
     "the horizon (Assumptions)."),
]


def glossary(wb: Workbook) -> None:
    ws = wb.create_sheet("Glossary")
    title(ws, "Glossary", "The words of this report, in plain language.")
    widths(ws, {"A": 34, "B": 100})
    for j, head in enumerate(("Term", "Meaning")):
        cell = ws.cell(row=4, column=1 + j, value=head)
        cell.font = F_LABEL
        cell.border = Border(bottom=ACCENT)
    for i, (term, meaning) in enumerate(GLOSSARY):
        r = 5 + i
        ws.cell(row=r, column=1, value=term).font = F_BOLD
        cell = ws.cell(row=r, column=2, value=meaning)
        cell.font = F_BODY
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        ws.cell(row=r, column=1).alignment = Alignment(wrap_text=True, vertical="top")
        ws.row_dimensions[r].height = 14 * (1 + len(meaning) // 125)  # wrapped lines
    landscape(ws, f"A1:B{4 + len(GLOSSARY)}", title_rows="4:4")


def transactions(wb: Workbook) -> None:
    ws = wb.create_sheet("Transactions")
    table(ws, "Transactions", "A1", ["Customer ID", "Date", "Amount", "Source row"],
          ["@", DATE, NUM2, "0"], [16, 12, 12, 11])
    ws.freeze_panes = "A2"
    portrait(ws, title_rows="1:1")


def build(path: Path = OUT) -> Path:
    """Write the template to ``path`` and return it."""
    wb = Workbook()
    dashboard(wb)
    assumptions(wb)
    customers(wb)
    segments(wb)
    cohorts(wb)
    model(wb)
    retention(wb)
    data_issues(wb)
    transactions(wb)
    chart_data(wb)
    glossary(wb)
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
