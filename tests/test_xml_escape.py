"""The one XML escaper (cltv_xl.safety.xml_escape and its pyarrow twin)."""

from __future__ import annotations

import warnings
import zipfile

import pandas as pd
import pyarrow as pa
import pytest

from cltv_xl.datasets import load_cdnow
from cltv_xl.report import build_report
from cltv_xl.safety import xml_escape, xml_escape_arrow

SAMPLES = ["plain", "a<b & c>d", "line\r\nend", "_x0041_", "A_x00e9_B_x12G_", "bell\x07",
           "x005F", "_x0041", 'say "hi"']


def test_xml_escape_follows_xml_and_ooxml_rules():
    # ECMA-376 Part 1, 22.9.2.19 ST_Xstring: a literal _xHHHH_ is written _x005F_xHHHH_
    assert xml_escape("_x0041_") == "_x005F_x0041_"
    assert xml_escape("A_x00e9_B_x12G_") == "A_x005F_x00e9_B_x12G_"
    assert xml_escape("a<b & c>d\r") == "a&lt;b &amp; c&gt;d&#13;"
    assert xml_escape("bell\x07") == "bell"
    assert xml_escape('say "hi"', attr=True) == "say &quot;hi&quot;"
    assert xml_escape('say "hi"') == 'say "hi"'


def test_the_vectorised_escaper_is_the_same_function():
    out = xml_escape_arrow(pa.array(SAMPLES, type=pa.large_string())).to_pylist()
    assert out == [xml_escape(s) for s in SAMPLES]


@pytest.mark.parametrize("values", [
    ["plain", None, "x\U0001F600y", "42"],  # nothing to escape: the array comes back as is
    ["a&b", "<", "\r", "_x0041_", "\x01"],  # everything escaped
    [None, "plain", "a<b", None, "_x0041_", "tab\tok", "\U0001F600&", "", "bell\x07"],
])
def test_the_vectorised_escaper_escapes_only_what_needs_it(values):
    arr = pa.array(values, type=pa.large_string())
    out = xml_escape_arrow(arr).to_pylist()
    assert out == [None if v is None else xml_escape(v) for v in values]


def test_an_id_that_looks_like_an_ooxml_escape_is_written_escaped(tmp_path):
    orders = load_cdnow()[["customer_id", "date", "amount"]].head(2000).copy()
    orders["customer_id"] = orders["customer_id"].astype(str)
    orders.loc[orders["customer_id"] == "1", "customer_id"] = "_x0041_"
    out = tmp_path / "r.xlsx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = build_report(orders, out)
    assert "_x0041_" in set(report.customers["Customer ID"])
    with zipfile.ZipFile(out) as z:
        body = b"".join(z.read(n) for n in z.namelist() if n.startswith("xl/worksheets/"))
    assert b"_x005F_x0041_" in body
    assert body.count(b"_x0041_") == body.count(b"_x005F_x0041_")


@pytest.mark.parametrize("text", SAMPLES)
def test_escaped_text_parses_back(text):
    from defusedxml import ElementTree

    node = ElementTree.fromstring(f"<t>{xml_escape(text)}</t>")
    back = (node.text or "").replace("_x005F_", "_")
    assert back == "".join(c for c in text if c != "\x07")
    assert isinstance(pd.Series([text]).iloc[0], str)
