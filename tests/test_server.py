"""cltv-xl on a real xlwings Server 1.x, called over HTTP as Excel's Office.js runtime calls it.

The server runs in production mode (XLWINGS_ENVIRONMENT=prod), where an exception that is not
an ``xlwings.XlwingsError`` reaches Excel only as HTTP 500 "An error occurred." and is retried
by the server's JavaScript client (tests/test_server_js.py runs that client under node).
"""

from __future__ import annotations

import re
from xml.etree import ElementTree

import pytest
from server_fixture import running_server

from cltv_xl import udfs
from cltv_xl.excel.refresh import RIBBON_FUNCTION_NAME, SCRIPT_NAME

pytestmark = [pytest.mark.filterwarnings("ignore::UserWarning"), pytest.mark.timeout(600)]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with running_server(tmp_path_factory.mktemp("xlwings-server")) as running:
        yield running


ORDERS = [("C001", 45296, 120.0), ("C002", 45300, 80.0), ("C001", 45333, 95.5),
          ("C003", 45342, 40.0)]


def columns(orders=ORDERS):
    return ([[c] for c, _, _ in orders], [[d] for _, d, _ in orders], [[a] for _, _, a in orders])


def test_the_server_registers_every_function_with_short_help(server):
    meta = server.get("/xlwings/custom-functions-meta").json()
    functions = {f["name"]: f for f in meta["functions"]}
    assert set(functions) == set(udfs.FUNCTIONS.values())
    for func in functions.values():
        assert len(func["description"]) <= 255 and "cltv_xl" not in func["description"]
        assert func["helpUrl"] == udfs.HELP_URL


def test_values_over_http(server):
    reply = server.call("cltv", [[50]], [[24]], [[100]])
    assert (reply.status, reply.json()) == (200, {"result": [[1100.0]]})


def test_a_range_function_spills_over_http(server):
    reply = server.call("historical_clv", *columns()[::2], None, None)
    assert reply.status == 200
    assert reply.json()["result"] == [
        ["customer_id", "orders", "historical_clv"],
        ["C001", 2, 215.5],
        ["C002", 1, 80.0],
        ["C003", 1, 40.0],
    ]


def test_a_value_error_is_http_400_with_the_message_in_production(server):
    # Before the fix: HTTP 500 and "An error occurred." (retried by the client).
    reply = server.call("lifetime", [["abc"]])
    assert reply.status == 400
    assert reply.text == "#VALUE! churn_rate: 'abc' is not a number"


@pytest.mark.parametrize(
    ("func", "args", "error_type"),
    [("lifetime", ([[0]],), "Div0"), ("lifetime", ([[2]],), "Num"),
     ("historical_clv", (*columns()[::2], [["C999"]]), "NotAvailable")],
)
def test_div0_num_na_come_back_as_excel_error_values(server, func, args, error_type):
    reply = server.call(func, *args)
    assert reply.status == 200
    assert reply.json() == {"result": [[{"type": "Error", "errorType": error_type}]]}


def test_a_rejected_row_is_an_error_naming_it(server):
    ids, dates, amounts = columns()
    amounts[2] = ["abc"]
    reply = server.call("historical_clv", ids, amounts, None, None)
    assert reply.status == 400
    assert reply.text.startswith("#VALUE! 1 row rejected: row 3 amounts 'abc': ")
    skipped = server.call("historical_clv", ids, amounts, None, [[True]])
    assert skipped.json()["result"][1] == ["C001", 1, 120.0]
    issues = server.call("data_issues", ids, dates, amounts).json()["result"]
    assert issues[0] == ["row", "column", "value", "reason", "severity"]
    assert issues[1][:3] == [3, "amounts", "abc"] and issues[1][4] == "rejected"


def test_a_decimal_comma_follows_the_callers_culture(server):
    assert server.call("cltv", [["1,5"]], [[10]], culture="de-DE").json() == {"result": [[15.0]]}
    reply = server.call("cltv", [["1,5"]], [[10]], culture="en-US")
    assert reply.status == 400 and "'1,5' is not a number in en-US" in reply.text


def test_the_ribbon_javascript_calls_the_refresh_script_with_the_1x_signature(server):
    js = server.get("/static/js/ribbon.js")
    assert js.status == 200
    assert f'Office.actions.associate("{RIBBON_FUNCTION_NAME}"' in js.text
    assert "xlwings.runPython({" in js.text and f'scriptName: "{SCRIPT_NAME}"' in js.text
    meta = server.get("/xlwings/custom-scripts-meta").json()
    assert [s["function_name"] for s in meta] == [SCRIPT_NAME]


def _manifest(server) -> ElementTree.Element:
    reply = server.get("/manifest")
    assert reply.status == 200
    return ElementTree.fromstring(reply.body)


def test_the_served_manifest_has_no_empty_strings_and_no_namespace(server):
    root = _manifest(server)
    for element in root.iter():
        value = element.get("DefaultValue")
        if value is not None:
            assert value.strip(), element.tag
        if element.tag.endswith("}String") and element.tag.count("officeappbasictypes"):
            assert 1 <= len(value) <= (125 if "ShortStrings" else 250)
    assert not [e for e in root.iter() if e.tag.endswith("}Namespace")]
    ids = [e.text for e in root.iter() if e.tag.endswith("}Id")]
    assert re.fullmatch(r"[0-9a-f-]{36}", ids[0])
    assert "docs/excel.md" not in server.get("/manifest").text


def test_every_url_in_the_served_manifest_exists_on_the_server(server):
    root = _manifest(server)
    urls = sorted(
        {e.get("DefaultValue") for e in root.iter() if (e.get("DefaultValue") or "")[:4] == "http"}
        | {e.text for e in root.iter() if e.tag.endswith("}AppDomain")}
    )
    assert any(u.endswith("/images/icons/xlwings-80.png") for u in urls)
    for url in urls:
        assert url.startswith(server.url), url
        if url == server.url:  # the AppDomain
            continue
        assert server.get(url[len(server.url):]).status == 200, url


def test_the_refresh_script_over_http(server, refresh_snapshot):
    reply = server.post(f"/xlwings/custom-scripts-call/{SCRIPT_NAME}", refresh_snapshot)
    assert reply.status == 200
    actions = reply.json()["actions"]
    assert actions, "the refresh wrote nothing"
    written = {a.get("sheet_position") for a in actions}
    sheets = [s["name"] for s in refresh_snapshot["sheets"]]
    assert sheets.index("Customers") in written
    assert sheets.index("Transactions") not in written
    assert sheets.index("Assumptions") not in written


@pytest.fixture(scope="module")
def refresh_snapshot(tmp_path_factory):
    from test_refresh import report_snapshot

    return report_snapshot(tmp_path_factory.mktemp("report"))


def test_the_readme_ribbon_javascript_is_what_the_server_serves(server):
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### xlwings Server (Office.js add-in)"):]
    block = re.search(r"```js\n(.*?)```", section, re.S).group(1)
    served = server.get("/static/js/ribbon.js").text
    assert block in served
    assert "setup_project('cltv-server')" in section and "xlwings-server init" in section
    assert "app/custom_functions" not in readme and "runPython(\n" not in section
