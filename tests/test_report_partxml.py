"""The writer's edits of package parts go through defusedxml's SAX parser (issue 8, item 4).

The parts below are written the way Excel 365 writes them (``mc:Ignorable`` naming prefixes,
``xr:uid``, ``x14ac:dyDescent``), or with SpreadsheetML under a prefix (``x:``), as some
writers do. Expected outputs are written out by hand; C14N 2.0 (which keeps prefixes as
written) compares meaning.
"""

from __future__ import annotations

from xml.etree.ElementTree import canonicalize
from xml.parsers import expat

import openpyxl
import pandas as pd
import pytest
from defusedxml import DefusedXmlException
from defusedxml import ElementTree as DefusedET

from cltv_xl.datasets import load_cdnow
from cltv_xl.errors import TemplateError
from cltv_xl.report import compute_report
from cltv_xl.report import xlsx_writer as xw
from cltv_xl.report.partxml import PartEditor, rewrite
from cltv_xl.report.template import default_template
from cltv_xl.transactions import Transactions

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
ROOT = (
    f'<worksheet xmlns="{MAIN}" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" '
    'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
    'mc:Ignorable="x14ac xr xr2 xr3" '
    'xmlns:x14ac="http://schemas.microsoft.com/office/spreadsheetml/2009/9/ac" '
    'xmlns:xr="http://schemas.microsoft.com/office/spreadsheetml/2014/revision" '
    'xmlns:xr2="http://schemas.microsoft.com/office/spreadsheetml/2015/revision2" '
    'xmlns:xr3="http://schemas.microsoft.com/office/spreadsheetml/2016/revision3" '
    'xr:uid="{00000000-0001-0000-0000-000000000000}">'
)
#: Text with every character that needs care: markup, quotes, a non-BMP character, a CR
#: (kept as &#13;), a tab, and a literal _xHHHH_ that must stay as stored.
TRICKY = 'a &lt; b &amp; "c" \'d\' &gt; e \U0001F600 \u00e9 tab\there cr&#13;end _x0041_'
TRICKY_TEXT = 'a < b & "c" \'d\' > e \U0001F600 \u00e9 tab\there cr\rend _x0041_'
ATTR = 'q &quot;x&quot; &lt;y&gt; &amp; tab&#9;nl&#10;end \U0001F600'

SHEET = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n' + ROOT
    + '<dimension ref="A1:C3"/>'
    '<sheetViews><sheetView tabSelected="1" workbookViewId="0"/></sheetViews>'
    '<sheetFormatPr defaultRowHeight="15" x14ac:dyDescent="0.25"/>'
    '<sheetData>'
    '<row r="1" spans="1:3" x14ac:dyDescent="0.25">'
    f'<c r="A1" s="1" t="inlineStr"><is><t xml:space="preserve">{TRICKY}</t></is></c>'
    '<c r="B1" s="1" t="inlineStr"><is><t>Date</t></is></c>'
    '<c r="C1" s="1" t="inlineStr"><is><t>Amount</t></is></c></row>'
    '<row r="2" spans="1:3" x14ac:dyDescent="0.25"><c r="A2" s="7"/><c r="B2" s="8"/>'
    '<c s="9"/></row>'
    '<row r="3"><c r="A3" s="7"/></row>'
    '</sheetData>'
    f'<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>'
    f'<tableParts count="1"><tablePart r:id="rId1" xr3:uid="{{ABC}}" /></tableParts>'
    '</worksheet>'
)


def _root_attrs(xml: str) -> dict[str, str]:
    """The root element's attributes by their qualified names, as a non-namespace parser
    sees them (namespace declarations included)."""
    found: list[dict] = []
    p = expat.ParserCreate()
    p.StartElementHandler = lambda name, attrs: found.append(attrs)
    p.Parse(xml.encode(), True)
    return found[0]


def _names(xml: str) -> list[str]:
    names: list[str] = []
    p = expat.ParserCreate()
    p.StartElementHandler = lambda name, attrs: names.append(name)
    p.Parse(xml.encode(), True)
    return names


def _pending(first_col=1, header_row=1, n_cols=3, table="Tx") -> xw._Pending:
    return xw._Pending("Sheet", table, first_col, header_row, [], n_cols)


def test_unedited_part_comes_back_with_the_same_meaning_and_prefixes():
    out = rewrite(SHEET.encode(), PartEditor()).decode()
    assert canonicalize(out) == canonicalize(SHEET)  # C14N keeps prefixes as written
    assert _root_attrs(out) == _root_attrs(SHEET)
    assert _names(out) == _names(SHEET)
    assert out.startswith('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>')


def test_split_sheet_keeps_namespaces_and_reads_the_prototype_styles():
    head, tail, styles = xw._split_sheet(SHEET.encode(), _pending(), 1000, "sheet1.xml")
    assert styles == [7, 8, 9]  # C2 has no r attribute: it follows B2
    whole = head + '<row r="2"><c r="A2"><v>1</v></c></row>' + tail
    assert _root_attrs(whole) == _root_attrs(SHEET)
    assert _root_attrs(whole)["mc:Ignorable"] == "x14ac xr xr2 xr3"
    assert head.endswith("</row>") and tail.startswith("</sheetData>")
    expected = (SHEET.replace('<dimension ref="A1:C3"/>', '<dimension ref="A1:C1001"/>')
                .replace(SHEET[SHEET.index('<row r="2"'):SHEET.index("</sheetData>")],
                         '<row r="2"><c r="A2"><v>1</v></c></row>'))
    assert canonicalize(whole) == canonicalize(expected)
    # the header text, with its markup characters, CR, tab and emoji, reads back unchanged
    assert DefusedET.fromstring(whole).find(f".//{{{MAIN}}}t").text == TRICKY_TEXT


def test_empty_table_keeps_its_prototype_row():
    head, tail, styles = xw._split_sheet(SHEET.encode(), _pending(first_col=2, n_cols=2), 0,
                                         "sheet1.xml")
    assert styles == [8, 9]
    expected = (SHEET.replace('<dimension ref="A1:C3"/>', '<dimension ref="A1:C2"/>')
                .replace('<row r="3"><c r="A3" s="7"/></row>', ""))
    assert canonicalize(head + tail) == canonicalize(expected)


def test_prefixed_spreadsheetml_is_recognised_and_keeps_its_prefix():
    xml = (f'<x:worksheet xmlns:x="{MAIN}"><x:dimension ref="A1"/><x:sheetData>'
           '<x:row r="4"><x:c r="B4" s="2"/></x:row><x:row r="5"><x:c r="B5" s="3"/>'
           '<x:c r="C5" s="4"/></x:row></x:sheetData></x:worksheet>')
    head, tail, styles = xw._split_sheet(xml.encode(), _pending(2, 4, 2), 10, "s.xml")
    assert styles == [3, 4]
    assert head + tail == (f'<x:worksheet xmlns:x="{MAIN}"><x:dimension ref="A1:C14"/>'
                           '<x:sheetData><x:row r="4"><x:c r="B4" s="2"/></x:row>'
                           '</x:sheetData></x:worksheet>')
    cached = xw._cache_formula_values(
        (f'<x:worksheet xmlns:x="{MAIN}"><x:sheetData><x:row r="1"><x:c r="A1" t="e">'
         '<x:f>1/0</x:f><x:v>#DIV/0!</x:v></x:c></x:row></x:sheetData></x:worksheet>').encode(),
        {"A1": 2.5}).decode()
    assert '<x:c r="A1"><x:f>1/0</x:f><x:v>2.5</x:v></x:c>' in cached


def test_sheet_without_rows_is_a_template_error():
    xml = f'<worksheet xmlns="{MAIN}"><sheetData/></worksheet>'.encode()
    with pytest.raises(TemplateError, match="no rows"):
        xw._split_sheet(xml, _pending(), 3, "s.xml")


def test_formula_cells_get_their_cached_values():
    xml = (ROOT + '<sheetData><row r="3" x14ac:dyDescent="0.25">'
           '<c r="B3" s="4" t="e"><f>KPI_A/KPI_B</f><v>#DIV/0!</v></c>'
           '<c r="C3" s="5"><f>CONCAT("&lt;",A1)</f><v/></c>'
           '<c r="D3" s="6"><f t="shared" ref="D3:D9" si="0">A3*2</f></c>'
           '<c r="E3"><v>7</v></c>'
           '<c r="F3"><f>NA()</f><v>1</v></c>'
           '<c r="G3" t="str"><f>1</f><v>x</v></c>'
           '</row></sheetData></worksheet>')
    values = {"B3": 0.125, "C3": 'x<y & "z" \U0001F600 _x0041_', "D3": 3, "E3": 9.0,
              "F3": float("nan"), "G3": None}
    out = xw._cache_formula_values(xml.encode(), values).decode()
    expected = (ROOT + '<sheetData><row r="3" x14ac:dyDescent="0.25">'
                '<c r="B3" s="4"><f>KPI_A/KPI_B</f><v>0.125</v></c>'
                '<c r="C3" s="5" t="str"><f>CONCAT("&lt;",A1)</f>'
                '<v>x&lt;y &amp; "z" \U0001F600 _x005F_x0041_</v></c>'
                '<c r="D3" s="6"><f t="shared" ref="D3:D9" si="0">A3*2</f><v>3.0</v></c>'
                '<c r="E3"><v>7</v></c>'  # not a formula: untouched
                '<c r="F3"><f>NA()</f><v>1</v></c>'  # NaN: untouched
                '<c r="G3" t="str"><f>1</f><v>x</v></c>'  # None: untouched
                '</row></sheetData></worksheet>')
    assert canonicalize(out) == canonicalize(expected)
    assert _root_attrs(out) == _root_attrs(xml)


def test_table_part_resize_keeps_excel_namespaces():
    table = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n'
             f'<table xmlns="{MAIN}" '
             'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
             'mc:Ignorable="xr xr3" '
             'xmlns:xr="http://schemas.microsoft.com/office/spreadsheetml/2014/revision" '
             'xmlns:xr3="http://schemas.microsoft.com/office/spreadsheetml/2016/revision3" '
             'id="1" xr:uid="{A}" name="Tx" displayName="Tx" ref="A1:C2">'
             '<autoFilter ref="A1:C2" xr:uid="{B}"/><tableColumns count="1">'
             f'<tableColumn id="1" xr3:uid="{{C}}" name="{ATTR}"/></tableColumns>'
             '<tableStyleInfo name="TableStyleMedium2" showRowStripes="1"/></table>')
    out = xw._resize_table_part(table.encode(), "A1:C500").decode()
    expected = table.replace('ref="A1:C2"', 'ref="A1:C500"')
    assert canonicalize(out) == canonicalize(expected)
    assert _root_attrs(out) == {**_root_attrs(table), "ref": "A1:C500"}


BOMB = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
        '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
        f'<worksheet xmlns="{MAIN}"><sheetData><row r="1"><c r="A1" t="inlineStr"><is>'
        '<t>&lol3;</t></is></c></row></sheetData></worksheet>')
EXTERNAL = ('<?xml version="1.0"?><!DOCTYPE t [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            f'<table xmlns="{MAIN}" ref="A1:B2">&x;</table>')
DTD_ONLY = f'<!DOCTYPE worksheet><worksheet xmlns="{MAIN}"><sheetData/></worksheet>'


@pytest.mark.parametrize("hostile", [BOMB, EXTERNAL, DTD_ONLY], ids=["bomb", "xxe", "dtd"])
def test_hostile_parts_are_refused(hostile):
    for edit in (lambda x: xw._split_sheet(x, _pending(), 5, "xl/worksheets/sheet1.xml"),
                 lambda x: xw._cache_formula_values(x, {"A1": 1.0}, "xl/worksheets/sheet1.xml"),
                 lambda x: xw._resize_table_part(x, "A1:B9", "xl/tables/table1.xml")):
        with pytest.raises(TemplateError, match="not safe, well-formed XML") as err:
            edit(hostile.encode())
        assert isinstance(err.value.__cause__, DefusedXmlException)


def test_malformed_part_is_a_template_error():
    with pytest.raises(TemplateError, match=r"xl/tables/table1\.xml"):
        xw._resize_table_part(b"<table><autoFilter></table>", "A1:B2", "xl/tables/table1.xml")


def test_template_text_survives_a_written_report(tmp_path):
    """Text of the template in the edited sheets (above a streamed table, on the Dashboard
    whose KPI cells get cached values) reads back unchanged."""
    wb = openpyxl.load_workbook(default_template())
    text = TRICKY_TEXT.replace("\r", "")  # openpyxl itself writes a CR raw (read back as LF)
    wb["Customers"]["A2"] = text
    wb["Transactions"]["H1"] = text
    wb["Dashboard"]["L40"] = text
    template = tmp_path / "template.xlsx"
    wb.save(template)
    frame = load_cdnow()[["customer_id", "date", "amount"]].head(400)
    report = compute_report(Transactions.from_frame(frame))
    out = tmp_path / "report.xlsx"
    xw.write_report(report, out, template)
    back = openpyxl.load_workbook(out)
    assert back["Customers"]["A2"].value == text
    assert back["Transactions"]["H1"].value == text
    assert back["Dashboard"]["L40"].value == text
    tx = pd.DataFrame(back["Transactions"].iter_rows(min_row=2, max_col=3, values_only=True))
    assert len(tx) == len(report.transactions)
