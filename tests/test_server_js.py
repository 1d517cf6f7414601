"""xlwings Server's own custom-functions JavaScript, run under node against the real server.

The server generates the JavaScript that Excel loads (``/xlwings/custom-functions-code``):
it posts each call and turns an HTTP error into ``CustomFunctions.Error(invalidValue, text)``,
retrying 5xx answers up to three times. ``tests/js/run_custom_functions.js`` runs that code
under node with a minimal stand-in for the Office.js globals, and reports what Excel would put
into the cell and how many requests the call made.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from server_fixture import running_server

RUNNER = Path(__file__).with_name("js") / "run_custom_functions.js"
NODE = shutil.which("node")

pytestmark = [
    pytest.mark.skipif(NODE is None, reason="node is not installed"),
    pytest.mark.timeout(600),
]


@pytest.fixture(scope="module")
def cells(tmp_path_factory) -> dict[str, dict]:
    """Run every call of CALLS through the server's JavaScript; the results by label."""
    work = tmp_path_factory.mktemp("js")
    with running_server(work) as server:
        code = server.get("/xlwings/custom-functions-code")
        assert code.status == 200
        (work / "code.js").write_bytes(code.body)
        (work / "calls.json").write_text(json.dumps([c for _, c in CALLS]))
        done = subprocess.run(
            [NODE, str(RUNNER), str(work / "code.js"), server.url, str(work / "calls.json")],
            capture_output=True, text=True, timeout=300, check=False,
        )
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    return {label: line for (label, _), line in zip(CALLS, lines, strict=True)}


CALLS = [
    ("value", {"name": "CLTV", "args": [[[50]], [[24]], [[100]]]}),
    ("bad text", {"name": "LIFETIME", "args": [[["abc"]]]}),
    ("zero", {"name": "LIFETIME", "args": [[[0]]]}),
    ("decimal comma", {"name": "CLTV", "args": [[["1,5"]], [[10]], None], "culture": "de-DE"}),
    ("rejected row", {"name": "HISTORICAL_CLV",
                      "args": [[["A"], ["B"], ["A"]], [[1], [2], ["abc"]], None, None]}),
]


def test_a_value_reaches_the_cell(cells):
    assert cells["value"] == {"name": "CLTV", "value": [[1100]], "requests": 1}
    assert cells["decimal comma"]["value"] == [[15]]


def test_an_error_is_shown_with_its_message_and_not_retried(cells):
    # Before the fix: "An error occurred." after three requests (HTTP 500 is retried).
    assert cells["bad text"] == {
        "name": "LIFETIME",
        "error": {"code": "#VALUE!", "message": "#VALUE! churn_rate: 'abc' is not a number"},
        "requests": 1,
    }
    rejected = cells["rejected row"]
    assert rejected["requests"] == 1
    assert rejected["error"]["message"].startswith("#VALUE! 1 row rejected: row 3 amounts 'abc'")


def test_div0_reaches_the_cell_as_an_error_value(cells):
    assert cells["zero"]["value"] == [[{"type": "Error", "errorType": "Div0"}]]
    assert cells["zero"]["requests"] == 1
