"""Worksheet functions: plain Python calls and calls through xlwings' real Office.js layer.

``tests/conftest.py`` sets ``XLWINGS_ON_SERVER=true`` before xlwings is imported, so
``cltv_xl.udfs`` is decorated by xlwings' Office.js decorators (those of xlwings Server and
xlwings Lite) and ``xlwings.server.custom_functions_call`` runs a call exactly as Excel sends it.
"""

from __future__ import annotations

import asyncio
import math
from typing import Any

import pytest
import xlwings as xw
import xlwings.server

from cltv_xl import excel_args, udfs
from cltv_xl.excel_args import ExcelError

EXCEL_NAMES = {
    "CLTV", "LIFETIME", "CHURN_RATE", "RETENTION_RATE", "CLV_MARGIN", "DISCOUNTED_CLTV",
    "LTV_CAC", "CAC_PAYBACK", "ARPU", "HISTORICAL_CLV", "RFM_SUMMARY", "BGNBD_FIT", "CLV_PREDICT",
    "DATA_ISSUES",
    "SBG_FIT", "SBG_RETENTION", "SBG_SURVIVAL", "SBG_LIFETIME", "DERL",
}


def body(func_name: str, *args: Any, culture: str = "en-US", runtime: str = "1.4") -> dict:
    """The request body Excel's Office.js runtime sends (every argument a 2-D list)."""
    return {
        "client": "Office.js",
        "func_name": func_name,
        "args": list(args),
        "caller_address": "[Book1.xlsx]Sheet1!B2",
        "culture_info_name": culture,
        "date_format": "m/d/yyyy",
        "version": xw.__version__,
        "runtime": runtime,
    }


def call(func_name: str, *args: Any, **options: str) -> Any:
    data = body(func_name, *args, **options)
    return asyncio.run(xlwings.server.custom_functions_call(data, udfs))


def error_value(code: str) -> list[list[dict]]:
    """A real Excel error value as Office.js custom functions return it (ErrorCellValue)."""
    return [[{"type": "Error", "errorType": excel_args.OFFICEJS_ERROR_TYPES[code]}]]


# --------------------------------------------------------------------------------------------
# Registration metadata (what Excel shows in its function help)
# --------------------------------------------------------------------------------------------


def test_meta_lists_every_function_upper_case_with_help():
    meta = xlwings.server.custom_functions_meta(udfs)
    by_name = {f["name"]: f for f in meta["functions"]}
    assert set(by_name) == EXCEL_NAMES
    assert set(udfs.FUNCTIONS.values()) == EXCEL_NAMES
    for name, func in by_name.items():
        assert func["id"] == name
        assert 20 < len(func["description"]) <= 255, name
        assert "cltv_xl" not in func["description"] and "\n" not in func["description"], name
        assert func["helpUrl"] == udfs.HELP_URL and func["helpUrl"].endswith("#the-functions")
        for param in func["parameters"]:
            assert not param["description"].startswith("Positional argument"), (name, param)
            assert 0 < len(param["description"]) <= 255, (name, param["name"])
            assert "cltv_xl" not in param["description"]


@pytest.mark.parametrize(
    ("name", "required", "optional"),
    [
        ("CLTV", ["arpu", "lifetime"], ["cac"]),
        ("ARPU", ["revenue"], ["customers"]),
        ("CAC_PAYBACK", ["cac", "arpu"], ["margin"]),
        ("DISCOUNTED_CLTV", ["arpu", "churn_rate", "discount_rate", "periods"], ["cac"]),
        ("RETENTION_RATE", ["customers_start", "customers_end", "new_customers"], []),
        ("HISTORICAL_CLV", ["ids", "amounts"], ["customer", "skip_bad_rows"]),
        ("RFM_SUMMARY", ["ids", "dates", "amounts"], ["as_of", "time_unit", "skip_bad_rows"]),
        ("BGNBD_FIT", ["ids", "dates", "amounts"], ["as_of", "time_unit", "skip_bad_rows"]),
        (
            "CLV_PREDICT",
            ["ids", "dates", "amounts"],
            ["horizon", "discount_rate", "margin", "as_of", "skip_bad_rows"],
        ),
        ("DATA_ISSUES", ["ids", "dates", "amounts"], []),
    ],
)
def test_meta_optional_arguments(name, required, optional):
    meta = {f["name"]: f for f in xlwings.server.custom_functions_meta(udfs)["functions"]}
    params = meta[name]["parameters"]
    assert [p["name"] for p in params] == required + optional
    assert [p["name"] for p in params if p.get("optional")] == optional


def test_argument_names_are_not_vba_keywords():
    # Classic xlwings writes a VBA wrapper whose parameters carry the Python names.
    reserved = {"end", "new", "date", "type", "name", "step", "to", "next", "string", "error"}
    for func in xlwings.server.custom_functions_meta(udfs)["functions"]:
        for param in func["parameters"]:
            assert param["name"].lower() not in reserved, (func["name"], param["name"])


# --------------------------------------------------------------------------------------------
# Scalar functions through the Office.js layer
# --------------------------------------------------------------------------------------------


def test_scalar_functions_through_officejs():
    assert call("cltv", [[50]], [[24]], [[100]]) == [[1100.0]]
    assert call("lifetime", [[0.05]]) == [[pytest.approx(20.0)]]
    assert call("churn_rate", [[200]], [[10]]) == [[0.05]]
    assert call("retention_rate", [[100]], [[110]], [[20]]) == [[0.9]]
    assert call("clv_margin", [[100]], [[0.8]], [[0.1]]) == [[pytest.approx(80 / 0.3)]]
    assert call("ltv_cac", [[1100]], [[100]]) == [[11.0]]
    assert call("cac_payback", [[100]], [[50]], [[0.5]]) == [[4.0]]
    assert call("arpu", [[1000]], [[20]]) == [[50.0]]


def test_discounted_cltv_matches_the_explicit_sum():
    # sum_{t=1..12} 50 * 0.95**(t-1) / 1.01**t - 100, written out term by term.
    expected = sum(50 * 0.95 ** (t - 1) / 1.01**t for t in range(1, 13)) - 100
    result = call("discounted_cltv", [[50]], [[0.05]], [[0.01]], [[12]], [[100]])
    assert result == [[pytest.approx(expected, rel=1e-12)]]


def test_omitted_and_blank_optional_arguments_take_the_default():
    omitted = call("cltv", [[50]], [[24]], None)  # Excel sends null for an omitted argument
    blank = call("cltv", [[50]], [[24]], [[""]])  # a blank cell is padded with ""
    assert omitted == blank == [[1200.0]]
    assert call("cac_payback", [[100]], [[50]], [[""]]) == [[2.0]]


def test_scalar_functions_broadcast_over_ranges():
    # A column of ARPUs against one lifetime spills a column, like Excel's own arithmetic.
    assert call("cltv", [[50], [60]], [[24]], [[""]]) == [[1200.0], [1440.0]]
    assert call("lifetime", [[0.5, 0.25]]) == [[2.0, 4.0]]


def test_numbers_as_text_and_percent_are_read():
    assert call("cac_payback", [["100"]], [["50"]], [["50%"]]) == [[4.0]]


# --------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("func", "args", "fragment"),
    [
        ("lifetime", ([["abc"]],), "churn_rate: 'abc' is not a number"),
        ("cltv", ([[""]], [[24]], None), "arpu is required"),
        ("arpu", ([[100], [50]], None), "customers must be the range of their"),
        ("arpu", ([[100], [50]], [[2]]), "customers must be the range of their"),
    ],
)
def test_value_errors_are_raised_as_xlwings_errors_with_the_message(func, args, fragment):
    # xlwings Server answers an XlwingsError with HTTP 400 and its text (tests/test_server.py):
    # Excel shows #VALUE! with the message on the error flag.
    with pytest.raises(xw.XlwingsError) as info:
        call(func, *args)
    assert isinstance(info.value, ExcelError) and info.value.code == "#VALUE!"
    assert str(info.value).startswith("#VALUE! ")
    assert fragment in str(info.value)
    assert "Traceback" not in str(info.value)


@pytest.mark.parametrize(
    ("func", "args", "code"),
    [
        ("lifetime", ([[0]],), "#DIV/0!"),
        ("lifetime", ([[1.5]],), "#NUM!"),
        ("churn_rate", ([[10]], [[20]]), "#NUM!"),
        ("ltv_cac", ([[1000]], [[0]]), "#DIV/0!"),
        # an error in an argument propagates, as in Excel's own functions
        ("cltv", ([[{"type": "Error", "basicValue": "#N/A", "errorType": "NotAvailable"}]],
                  [[24]], None), "#N/A"),
    ],
)
def test_div0_num_na_are_real_excel_error_values_under_officejs(func, args, code):
    assert call(func, *args) == error_value(code)


def test_before_runtime_1_4_every_error_is_raised_with_its_code(caplog):
    # Custom-functions runtimes before 1.4 have no error values in results.
    with pytest.raises(ExcelError, match=r"^#DIV/0! churn_rate is 0"):
        call("lifetime", [[0]], runtime="1.3")


def test_the_message_of_a_returned_error_value_is_logged(caplog):
    with caplog.at_level("WARNING", logger="cltv_xl.excel"):
        call("lifetime", [[1.5]])
    assert "#NUM! churn_rate must be in (0, 1]; got 1.5" in caplog.text


class _FakeVariant:
    """Stand-in for pywin32's win32com.client.VARIANT (not installable on Linux)."""

    def __init__(self, varianttype, value):
        self.varianttype, self.value = varianttype, value


@pytest.fixture
def classic_com(monkeypatch):
    import sys
    import types

    client = types.ModuleType("win32com.client")
    client.VARIANT = _FakeVariant
    package = types.ModuleType("win32com")
    package.client = client
    monkeypatch.setitem(sys.modules, "win32com", package)
    monkeypatch.setitem(sys.modules, "win32com.client", client)
    monkeypatch.setattr(excel_args, "error_mode", lambda: "com")


@pytest.mark.parametrize(
    ("args", "code"),
    [((0,), -2146826281), ((1.5,), -2146826252), (("abc",), -2146826273),
     ((-2146826246,), -2146826246)],  # #DIV/0!, #NUM!, #VALUE!, and #N/A propagates
)
def test_classic_com_returns_real_error_values(classic_com, args, code):
    # pywin32 hands a VARIANT(VT_ERROR, CVErr code) to the VBA wrapper: the cell holds the
    # error value itself, so IFERROR and ISNA work (codes: tests/test_udfs.py COM_ERRORS).
    [[value]] = udfs.lifetime(*args)
    assert (value.varianttype, value.value) == (10, code)
    assert excel_args.COM_ERRORS[code] in ("#DIV/0!", "#NUM!", "#VALUE!", "#N/A")


def test_error_mode_follows_the_runtime(monkeypatch):
    assert excel_args.error_mode() == "raise"  # a plain Python call
    seen = {}

    def probe(value):
        seen["mode"] = excel_args.error_mode()
        seen["culture"] = excel_args.culture()
        return 1.0

    monkeypatch.setattr(udfs, "_metric", lambda name, *a: probe(a))
    call("lifetime", [[0.5]], culture="de-DE")
    assert seen == {"mode": "officejs", "culture": "de-DE"}
    monkeypatch.delenv("XLWINGS_ON_SERVER")
    monkeypatch.setattr(excel_args.sys, "platform", "win32")
    assert excel_args.error_mode() == "com"
    monkeypatch.setattr(excel_args.sys, "platform", "emscripten")
    assert excel_args.error_mode() == "raise"


def test_unexpected_exceptions_become_value_errors_without_traceback():
    error = excel_args.to_excel_error(KeyError("boom"))
    assert error.code == "#VALUE!" and str(error) == "#VALUE! KeyError: 'boom'"
    assert excel_args.to_excel_error(ZeroDivisionError("x")).code == "#DIV/0!"


# --------------------------------------------------------------------------------------------
# Plain Python calls (classic COM passes scalars and tuples of tuples)
# --------------------------------------------------------------------------------------------


def test_plain_python_calls_match_officejs_calls():
    assert udfs.cltv(50, 24, 100) == 1100.0
    assert udfs.cltv(50.0, 24.0) == 1200.0
    assert udfs.cltv(((50.0,), (60.0,)), 24.0, None) == [[1200.0], [1440.0]]
    assert udfs.ltv_cac(1100, 100) == 11.0
    assert math.isclose(udfs.clv_margin(100, 0.8, 0.1), 80 / 0.3)


def test_cell_helpers_accept_every_runtime_shape():
    import datetime as dt

    assert excel_args.date(35431.0, "as_of").date() == dt.date(1997, 1, 1)  # Office.js
    assert excel_args.date(dt.datetime(1997, 1, 1, tzinfo=dt.UTC), "as_of").date() == dt.date(
        1997, 1, 1
    )  # pywin32 adds a time zone
    assert excel_args.date("1997-01-01", "as_of").date() == dt.date(1997, 1, 1)
    assert excel_args.date([[""]], "as_of") is None
    cells = excel_args.cells([["a"], [""], [-2146826246]], "ids", keep_errors=True)
    assert list(cells) == ["a", "", "#N/A"]  # COM #N/A error code
    with pytest.raises(ExcelError, match=r"^#N/A ids row 3 is #N/A$"):
        excel_args.cells([["a"], [""], [-2146826246]], "ids")
    row = excel_args.cells(["a", "b"], "ids")  # Office.js unwraps a one-row range
    assert list(row) == ["a", "b"]
    with pytest.raises(ExcelError, match="single column or row"):
        excel_args.cells([[1, 2], [3, 4]], "ids")


# --------------------------------------------------------------------------------------------
# Range functions
# --------------------------------------------------------------------------------------------

ORDERS = [  # customer, ISO date, amount: the worked example in the README
    ("C001", "2024-01-05", 120.0),
    ("C002", "2024-01-09", 80.0),
    ("C001", "2024-02-11", 95.5),
    ("C003", "2024-02-20", 40.0),
    ("C002", "2024-03-02", 60.0),
    ("C001", "2024-03-30", 130.0),
    ("C003", "2024-04-02", 55.0),
    ("C004", "2024-04-15", 75.0),
]


def serial(iso: str) -> int:
    import datetime as dt

    return (dt.date.fromisoformat(iso) - dt.date(1899, 12, 30)).days


def officejs_ranges(padding: int = 2) -> tuple[list, list, list]:
    """The three columns as Office.js sends them: 2-D, serial dates, blank rows padded with ""."""
    ids = [[c] for c, _, _ in ORDERS] + [[""]] * padding
    dates = [[serial(d)] for _, d, _ in ORDERS] + [[""]] * padding
    amounts = [[a] for _, _, a in ORDERS] + [[""]] * padding
    return ids, dates, amounts


def classic_ranges() -> tuple[tuple, tuple, tuple]:
    """The same columns as classic COM passes them: tuples, aware datetimes, None for blanks."""
    import datetime as dt

    def when(iso):
        return dt.datetime.fromisoformat(iso).replace(tzinfo=dt.UTC)

    ids = (*tuple((c,) for c, _, _ in ORDERS), (None,))
    dates = (*tuple((when(d),) for _, d, _ in ORDERS), (None,))
    amounts = (*tuple((a,) for _, _, a in ORDERS), (None,))
    return ids, dates, amounts


RFM_HEADER = [
    "customer_id", "frequency", "recency", "T", "monetary_value", "first_purchase",
    "last_purchase", "orders", "revenue",
]


def test_rfm_summary_through_officejs_gives_the_hand_computed_table():
    result = call("rfm_summary", *officejs_ranges(), None, None)
    assert result[0] == RFM_HEADER
    by_id = {row[0]: row for row in result[1:]}
    assert list(by_id) == ["C001", "C002", "C003", "C004"]
    # C001: days 2024-01-05, 02-11, 03-30; as_of = last order date 2024-04-15; weeks.
    c001 = by_id["C001"]
    assert c001[1] == 2
    assert c001[2] == pytest.approx(85 / 7)  # recency: first to last purchase
    assert c001[3] == pytest.approx(101 / 7)  # T: first purchase to as_of
    assert c001[4] == pytest.approx((95.5 + 130.0) / 2)  # mean of the repeat purchases
    assert c001[5:] == [serial("2024-01-05"), serial("2024-03-30"), 3, 345.5]
    assert by_id["C004"][1:5] == [0, 0.0, 0.0, 0.0]


def test_rfm_summary_classic_and_officejs_shapes_agree():
    assert udfs.rfm_summary(*classic_ranges()) == call("rfm_summary", *officejs_ranges(), None,
                                                       None)


def test_rfm_summary_as_of_and_time_unit():
    as_of = [[serial("2024-04-30")]]
    result = call("rfm_summary", *officejs_ranges(), as_of, [["M"]])
    c004 = next(row for row in result if row[0] == "C004")
    assert c004[3] == pytest.approx(15 / (365.25 / 12))  # T in months: 15 days
    with pytest.raises(ExcelError, match="time_unit must be one of") as info:
        call("rfm_summary", *officejs_ranges(), None, [["fortnights"]])
    assert info.value.code == "#VALUE!"


def test_a_one_row_range_is_read_like_a_column():
    # Office.js unwraps a single-row argument into a flat list.
    ids = [c for c, _, _ in ORDERS]
    dates = [serial(d) for _, d, _ in ORDERS]
    amounts = [a for _, _, a in ORDERS]
    assert call("rfm_summary", [ids], [dates], [amounts], None, None) == call(
        "rfm_summary", *officejs_ranges(), None, None
    )


def test_historical_clv_table_and_single_customer():
    ids, _, amounts = officejs_ranges()
    assert call("historical_clv", ids, amounts, None) == [
        ["customer_id", "orders", "historical_clv"],
        ["C001", 3, 345.5],
        ["C002", 2, 140.0],
        ["C003", 2, 95.0],
        ["C004", 1, 75.0],
    ]
    assert call("historical_clv", ids, amounts, [["C002"]], None) == [[140.0]]
    assert call("historical_clv", ids, amounts, [["C999"]], None) == error_value("#N/A")


def test_arpu_over_ranges_counts_distinct_customers():
    ids, _, amounts = officejs_ranges()
    assert call("arpu", amounts, ids) == [[pytest.approx(655.5 / 4)]]


def test_ranges_of_different_lengths_are_a_value_error():
    ids, dates, amounts = officejs_ranges()
    with pytest.raises(ExcelError, match="same number of cells: ids has 10, dates has 9"):
        call("rfm_summary", ids, dates[:-1], amounts, None, None)


def test_range_function_error_in_classic_runtime(classic_com):
    ids, dates, amounts = classic_ranges()
    [[value]] = udfs.rfm_summary(ids, dates[:-1], amounts)
    assert (value.varianttype, value.value) == (10, -2146826273)  # #VALUE!


@pytest.fixture(scope="module")
def cdnow_ranges():
    import numpy as np

    from cltv_xl.datasets import load_cdnow

    df = load_cdnow()
    days = (df["date"].to_numpy() - np.datetime64("1899-12-30")) / np.timedelta64(1, "D")
    return (
        [[v] for v in df["customer_id"].tolist()],
        [[v] for v in days.tolist()],
        [[v] for v in df["amount"].tolist()],
    )


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_bgnbd_fit_reproduces_the_published_cdnow_estimates(cdnow_ranges):
    # Fader, Hardie & Lee (2005): r = 0.243, alpha = 4.414, a = 0.793, b = 2.426, LL -9582.4
    result = call("bgnbd_fit", *cdnow_ranges, [[serial("1997-09-30")]], None)
    assert result[0] == ["parameter", "value", "std_error"]
    table = {row[0]: row[1] for row in result[1:]}
    assert table["r"] == pytest.approx(0.243, abs=5e-4)
    assert table["alpha"] == pytest.approx(4.414, abs=5e-3)
    assert table["a"] == pytest.approx(0.793, abs=5e-3)
    assert table["b"] == pytest.approx(2.426, abs=5e-3)
    assert table["log_likelihood"] == pytest.approx(-9582.4, abs=0.1)
    assert table["customers"] == 2357 and table["time_unit"] == "W"


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_clv_predict_is_a_thin_adapter_over_predict_clv(cdnow_ranges):
    from cltv_xl.datasets import load_cdnow
    from cltv_xl.models import BGNBD, GammaGamma, predict_clv
    from cltv_xl.summary import rfm_summary
    from cltv_xl.transactions import Transactions

    as_of = "1997-09-30"
    result = call("clv_predict", *cdnow_ranges, [[24]], [[0.02]], [[0.3]], [[serial(as_of)]])
    assert result[0] == ["customer_id", "expected_purchases", "p_alive", "expected_spend", "clv"]

    summary = rfm_summary(Transactions.from_frame(load_cdnow()), as_of=as_of, time_unit="W")
    direct = predict_clv(
        BGNBD().fit_summary(summary), GammaGamma().fit_summary(summary), summary,
        horizon=24, time_unit="M", discount_rate=0.02, margin=0.3,
    )
    assert len(result) - 1 == len(direct) == 2357
    by_id = {row[0]: row[1:] for row in result[1:]}
    for customer in ("1", "100", "1000", "2357"):
        expected = direct.loc[customer, ["expected_purchases", "p_alive", "expected_spend", "clv"]]
        assert by_id[customer] == pytest.approx(expected.tolist(), rel=1e-9)


def test_table_output_is_plain_cells():
    import numpy as np
    import pandas as pd

    frame = pd.DataFrame(
        {
            "id": ["a", None],
            "n": np.array([1, 2], dtype=np.int64),
            "x": [1.5, np.nan],
            "day": pd.to_datetime(["1997-01-01", None]),
        }
    )
    assert excel_args.table(frame) == [
        ["id", "n", "x", "day"],
        ["a", 1, 1.5, 35431.0],
        ["", 2, "", ""],
    ]


# --------------------------------------------------------------------------------------------
# Nothing vanishes: rejected rows and error cells
# --------------------------------------------------------------------------------------------


def test_a_rejected_amount_is_an_error_naming_the_row_unless_skipped():
    ids, _, amounts = officejs_ranges()
    amounts[2] = ["abc"]  # row 3: C001's 95.50
    with pytest.raises(ExcelError) as info:
        call("historical_clv", ids, amounts, None, None)
    assert str(info.value).startswith("#VALUE! 1 row rejected: row 3 amounts 'abc': ")
    # Asked to skip bad rows, C001's value is 120 + 130 (was silently 250 before).
    assert call("historical_clv", ids, amounts, [["C001"]], [[True]]) == [[250.0]]


def test_an_impossible_date_is_an_error_not_a_lower_frequency():
    ids, dates, amounts = officejs_ranges()
    dates[5] = ["2024-02-30"]  # row 6: C001's third order
    with pytest.raises(ExcelError, match=r"^#VALUE! 1 row rejected: row 6 dates '2024-02-30'"):
        call("rfm_summary", ids, dates, amounts, None, None, None)


def test_an_error_cell_in_a_range_propagates():
    ids, dates, amounts = officejs_ranges()
    amounts[4] = [{"type": "Error", "basicValue": "#N/A", "errorType": "NotAvailable"}]
    assert call("historical_clv", ids, amounts, None, None) == error_value("#N/A")
    assert call("rfm_summary", ids, dates, amounts) == error_value("#N/A")


def test_data_issues_lists_rejected_and_doubtful_rows_with_row_numbers():
    ids, dates, amounts = officejs_ranges()
    amounts[2] = ["abc"]
    amounts[4] = [{"type": "Error", "basicValue": "#N/A", "errorType": "NotAvailable"}]
    amounts[6] = [-5.0]
    result = call("data_issues", ids, dates, amounts)
    assert result[0] == ["row", "column", "value", "reason", "severity"]
    rows = {row[0]: row for row in result[1:]}
    assert rows[3][1:3] == ["amounts", "abc"] and rows[3][4] == "rejected"
    assert rows[5][1:3] == ["amounts", "#N/A"] and rows[5][4] == "rejected"
    assert rows[7][4] == "doubtful" and "refund" in rows[7][3]
    clean = call("data_issues", *officejs_ranges())
    assert clean == [["row", "column", "value", "reason", "severity"]]


# --------------------------------------------------------------------------------------------
# Numbers typed as text follow the caller's culture
# --------------------------------------------------------------------------------------------


def test_a_decimal_comma_is_read_with_the_callers_culture():
    assert call("cltv", [["1,5"]], [[10]], None, culture="de-DE") == [[15.0]]
    assert call("cltv", [["1.234,56"]], [[1]], None, culture="de-DE") == [[1234.56]]
    assert call("cltv", [["1,234.5"]], [[1]], None, culture="en-US") == [[1234.5]]
    assert call("cltv", [["1 234,5"]], [[1]], None, culture="fr-FR") == [[1234.5]]
    with pytest.raises(ExcelError, match="'1,5' is not a number in en-US"):
        call("cltv", [["1,5"]], [[10]], None, culture="en-US")  # was 150
    with pytest.raises(ExcelError, match=r"'1\.234,56' is not a number in en-US"):
        call("cltv", [["1.234,56"]], [[1]], None, culture="en-US")  # was 1.23456


def test_without_a_culture_only_unambiguous_texts_are_read():
    from cltv_xl.numtext import NumberTextError, parse_number_text

    assert parse_number_text("1.5") == 1.5
    assert parse_number_text("1.234,56") == 1234.56
    assert parse_number_text("-12%") == -0.12
    with pytest.raises(NumberTextError, match="ambiguous"):
        parse_number_text("1,234")  # 1.234 or 1234
    assert udfs.cltv("2,5", 2) == 5.0  # a plain call: "2,5" has one reading


def test_amount_texts_in_ranges_follow_the_callers_culture():
    ids = [["A"], ["A"]]
    amounts = [["1.234"], ["2"]]  # 1,234 + 2 in German; 1.234 + 2 in English
    assert call("historical_clv", ids, amounts, [["A"]], None, culture="de-DE") == [[1236.0]]
    assert call("historical_clv", ids, amounts, [["A"]], None, culture="en-US") == [[3.234]]


# --------------------------------------------------------------------------------------------
# Ids keep their type; caching
# --------------------------------------------------------------------------------------------


def test_numeric_ids_come_back_as_numbers_in_numeric_order():
    ids = [[100], [10], [1], [10], [2.0]]
    amounts = [[5], [6], [7], [8], [9]]
    result = call("historical_clv", ids, amounts, None, None)
    assert [row[0] for row in result[1:]] == [1, 2, 10, 100]  # was "1", "10", "100", "2"
    assert all(isinstance(row[0], int) for row in result[1:])
    assert call("historical_clv", ids, amounts, [[10]], None) == [[14.0]]
    mixed = call("historical_clv", [[1], ["B"]], [[1], [2]], None, None)
    assert [row[0] for row in mixed[1:]] == ["1", "B"]  # text when any id is text


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_cells_on_the_same_ranges_fit_the_model_once(monkeypatch, cdnow_ranges):
    from cltv_xl.excel.cache import CACHE
    from cltv_xl.models import BGNBD

    CACHE.clear()
    fits = []
    original = BGNBD.fit_summary
    monkeypatch.setattr(BGNBD, "fit_summary", lambda self, s: fits.append(1) or original(self, s))
    as_of = [[serial("1997-09-30")]]
    first = call("bgnbd_fit", *cdnow_ranges, as_of, None)
    assert call("bgnbd_fit", *cdnow_ranges, as_of, None) == first
    call("clv_predict", *cdnow_ranges, [[24]], None, None, as_of)
    assert len(fits) == 1
    call("bgnbd_fit", *cdnow_ranges, as_of, [["D"]])  # another option: another fit
    assert len(fits) == 2
    changed = [row[:] for row in cdnow_ranges[2]]
    changed[0] = [changed[0][0] + 1]
    call("bgnbd_fit", cdnow_ranges[0], cdnow_ranges[1], changed, as_of, None)
    assert len(fits) == 3
# Subscriptions: sBG functions (values checked against the published FH 2007 estimates and the
# model's own closed forms, which tests/test_sbg.py checks against independent computations)
# --------------------------------------------------------------------------------------------

HIGH_END = [1000, 869, 743, 653, 593, 551, 517, 491]  # Fader & Hardie (2007), "high end"


def test_sbg_fit_through_officejs_column_row_and_cohort_table():
    from cltv_xl.models import SBG

    column = call("sbg_fit", [[v] for v in HIGH_END] + [[""], [""]])  # trailing blanks
    row = call("sbg_fit", [HIGH_END])
    assert column == row
    assert column[0] == ["parameter", "value", "std_error"]
    values = {r[0]: r[1:] for r in column[1:]}
    assert round(values["alpha"][0], 3) == 0.668  # FH 2007's published estimates
    assert round(values["beta"][0], 3) == 3.806
    direct = SBG().fit(HIGH_END)
    assert values["alpha"][1] == pytest.approx(direct.standard_errors_["alpha"])
    assert values["log_likelihood"][0] == pytest.approx(direct.log_likelihood_)
    assert values["converged"][0] == "Yes"
    assert values["customers"][0] == 1000
    # A cohort table: one row per cohort, blanks where a young cohort is not observed yet.
    table = call("sbg_fit", [HIGH_END, [*HIGH_END[:5], "", "", ""]])
    both = SBG().fit([HIGH_END, HIGH_END[:5]])
    got = {r[0]: r[1] for r in table[1:]}
    assert got["alpha"] == pytest.approx(both.params_["alpha"])
    assert got["cohorts"] == 2


def test_sbg_scalar_functions_through_officejs():
    a, b = 0.668, 3.806
    assert call("sbg_retention", [[a]], [[b]], [[3]]) == [[pytest.approx((b + 2) / (a + b + 2))]]
    spilled = call("sbg_retention", [[a]], [[b]], [[1], [2]])
    assert spilled == [[pytest.approx(b / (a + b))], [pytest.approx((b + 1) / (a + b + 1))]]
    assert call("sbg_survival", [[a]], [[b]], [[1]]) == [[pytest.approx(b / (a + b))]]
    assert call("sbg_lifetime", [[3]], [[5]], None) == [[pytest.approx((3 + 5 - 1) / (3 - 1))]]
    assert call("sbg_lifetime", [[a]], [[b]], [[2]]) == [[pytest.approx(1 + b / (a + b))]]
    # DERL after 7 renewals, d = 10%: 7.530 (the figure quoted for the FH high-end cohort).
    assert round(call("derl", [[a]], [[b]], [[0.1]], [[7]])[0][0], 2) == 7.53
    assert call("derl", [[a]], [[b]], [[0.1]], None) == call("derl", [[a]], [[b]], [[0.1]], [[0]])


@pytest.mark.parametrize(
    ("func", "args", "code", "fragment"),
    [
        ("sbg_lifetime", ([[0.7]], [[1.2]], None), "#NUM!", "mean lifetime is infinite"),
        ("sbg_retention", ([[0]], [[1]], [[1]]), "#NUM!", "alpha must be a number > 0"),
        ("sbg_retention", ([[1]], [[1]], [[0]]), "#NUM!", "t must be whole numbers"),
        ("derl", ([[1]], [[1]], [[-0.1]], None), "#NUM!", "discount_rate must be"),
        ("derl", ([[""]], [[1]], [[0.1]], None), "#VALUE!", "alpha is required"),
        ("sbg_fit", ([[1000], [1200], [900]],), "#VALUE!", "must not increase"),
        ("sbg_fit", ([[1000], [600]],), "#NUM!", "two renewal periods"),
        ("sbg_fit", ([[1000], ["x"]],), "#VALUE!", "is not a number"),
    ],
)
def test_sbg_bad_arguments_are_readable_excel_errors(func, args, code, fragment, monkeypatch):
    if code == "#VALUE!":  # raised: Excel shows #VALUE! with the message
        with pytest.raises(ExcelError) as info:
            call(func, *args)
        assert info.value.code == code
        assert fragment in str(info.value)
        assert "Traceback" not in str(info.value)
    else:  # a real error value under Office.js (IFERROR works); the message as text on COM
        assert call(func, *args) == error_value(code)
        with pytest.raises(ExcelError) as info:  # a plain Python call raises it with the message
            getattr(udfs, func)(*args)
        assert info.value.code == code and fragment in str(info.value)


def test_sbg_meta_optional_arguments():
    meta = {f["name"]: f for f in xlwings.server.custom_functions_meta(udfs)["functions"]}
    expected = {
        "SBG_FIT": (["survivors"], []),
        "SBG_RETENTION": (["alpha", "beta", "t"], []),
        "SBG_SURVIVAL": (["alpha", "beta", "t"], []),
        "SBG_LIFETIME": (["alpha", "beta"], ["horizon"]),
        "DERL": (["alpha", "beta", "discount_rate"], ["renewals"]),
    }
    for name, (required, optional) in expected.items():
        params = meta[name]["parameters"]
        assert [p["name"] for p in params] == required + optional
        assert [p["name"] for p in params if p.get("optional")] == optional
