"""The "Refresh report" button: ``refresh_report`` on an xlwings Book.

The Book is xlwings' remote Book (the one xlwings Server and xlwings Lite hand to a script),
built from a JSON snapshot of a real report workbook written by ``cltv-xl``'s offline writer,
in the format Office.js sends (values anchored at A1, date cells as ISO strings, names and
tables with their addresses). ``xlwings.server.custom_scripts_call`` runs the ``@script``
exactly as the server does; the returned actions are what Excel would apply.
"""

from __future__ import annotations

import asyncio
import copy
import datetime as dt
import warnings
from pathlib import Path

import openpyxl
import pytest
import xlwings as xw
import xlwings.server
from openpyxl.utils.cell import range_boundaries

import cltv_xl
from cltv_xl import refresh
from cltv_xl.datasets import load_cdnow
from cltv_xl.loading import read_transactions
from cltv_xl.report import build_report, compute_report
from cltv_xl.report.model import CUSTOMER_HEADERS, FORMULA_NAMES, INPUT_NAMES

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

FIRST_CUSTOMERS = 1500  # the report is built for these; the pasted orders add the rest


def _json_cell(value):
    """A cell as Office.js' getBookData sends it: dates as ISO text, empty cells as ""."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    if isinstance(value, dt.date):
        return f"{value.isoformat()}T00:00:00.000Z"
    return value


def _address(ref: str) -> str:
    return ref.split("!")[-1].replace("$", "")


def book_json(path: Path) -> dict:
    """The JSON snapshot xlwings' remote Book expects, built from an .xlsx with openpyxl."""
    wb = openpyxl.load_workbook(path, data_only=True)  # Office.js sends values, not formulas
    index = {ws.title: i for i, ws in enumerate(wb.worksheets)}
    names = []
    for name, defined in wb.defined_names.items():
        sheet, ref = next(iter(defined.destinations))
        names.append(
            {
                "name": name,
                "sheet_index": index[sheet],
                "address": _address(ref),
                "scope_sheet_name": None,
                "scope_sheet_index": None,
                "book_scope": True,
            }
        )
    sheets = []
    for ws in wb.worksheets:
        values = [
            [_json_cell(c) for c in row]
            for row in ws.iter_rows(
                min_row=1, max_row=ws.max_row, max_col=ws.max_column, values_only=True
            )
        ]
        tables = []
        for table in ws.tables.values():
            c0, r0, c1, r1 = range_boundaries(table.ref)
            header = openpyxl.utils.get_column_letter
            tables.append(
                {
                    "name": table.name,
                    "range_address": table.ref,
                    "header_row_range_address": f"{header(c0)}{r0}:{header(c1)}{r0}",
                    "data_body_range_address": f"{header(c0)}{r0 + 1}:{header(c1)}{r1}",
                    "total_row_range_address": None,
                    "show_headers": True,
                    "show_totals": False,
                    "table_style": "TableStyleMedium2",
                    "show_autofilter": True,
                }
            )
        sheets.append({"name": ws.title, "values": values, "pictures": [], "tables": tables})
    return {
        "client": "Office.js",
        "version": xw.__version__,
        "book": {"name": path.name, "active_sheet_index": 0, "selection": "A1"},
        "names": names,
        "sheets": sheets,
    }


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory) -> dict:
    """A report built from the CDNOW orders of the first 1,500 customers, as its JSON snapshot."""
    return report_snapshot(tmp_path_factory.mktemp("report"))


def report_snapshot(folder: Path) -> dict:
    """The JSON snapshot of a report built in ``folder`` (see :func:`snapshot`)."""
    orders = load_cdnow()
    early = orders[orders["customer_id"].astype(int) <= FIRST_CUSTOMERS]
    frame = early.rename(columns={"customer_id": "Customer ID", "date": "Date",
                                  "amount": "Amount"})[["Customer ID", "Date", "Amount"]]
    path = folder / "cltv_report.xlsx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        build_report(frame, path)
    return book_json(path)


def _sheet(data: dict, name: str) -> dict:
    return next(s for s in data["sheets"] if s["name"] == name)


def _name(data: dict, name: str) -> tuple[int, int, int]:
    """(sheet index, 0-based row, 0-based column) of a one-cell defined name."""
    entry = next(n for n in data["names"] if n["name"] == name)
    c0, r0, _, _ = range_boundaries(entry["address"])
    return entry["sheet_index"], r0 - 1, c0 - 1


def _paste_all_orders(data: dict) -> None:
    """What a user does: paste every CDNOW order (to June 1998) into the Transactions sheet."""
    orders = load_cdnow()
    values = [["Customer ID", "Date", "Amount", "Source row"]]
    values += [
        [cid, _json_cell(day.to_pydatetime()), amount, ""]
        for cid, day, amount in zip(orders["customer_id"], orders["date"], orders["amount"],
                                    strict=True)
    ]
    _sheet(data, "Transactions")["values"] = values


def _set(data: dict, name: str, value) -> None:
    sheet, row, col = _name(data, name)
    data["sheets"][sheet]["values"][row][col] = value


def run_script(data: dict) -> list[dict]:
    book = xw.Book(json=data)
    try:
        result = asyncio.run(
            xlwings.server.custom_scripts_call(
                refresh, refresh.SCRIPT_NAME, typehint_to_value={xw.Book: book}
            )
        )
        return result.json()["actions"]
    finally:
        book.close()


def _writes(actions: list[dict]) -> list[dict]:
    return [a for a in actions if a["func"] == "setValues"]


def _covers(action: dict, sheet: int, row: int, col: int) -> bool:
    return (
        action["sheet_position"] == sheet
        and action["start_row"] <= row < action["start_row"] + action["row_count"]
        and action["start_column"] <= col < action["start_column"] + action["column_count"]
    )


@pytest.fixture(scope="module")
def refreshed(snapshot):
    """The actions of a refresh after pasting all orders and typing CAC 25 and margin 0.3."""
    data = copy.deepcopy(snapshot)
    _paste_all_orders(data)
    _set(data, "ASSUME_CAC", 25)
    _set(data, "ASSUME_MARGIN", 0.3)
    orders = load_cdnow()
    frame = orders.rename(columns={"customer_id": "Customer ID", "date": "Date",
                                   "amount": "Amount"})[["Customer ID", "Date", "Amount"]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = compute_report(read_transactions(frame), cac=25, margin=0.3,
                                  include_transactions=False)
    return data, run_script(data), expected


def test_refresh_writes_the_value_names(refreshed):
    data, actions, expected = refreshed
    cells = expected.cells()
    for name, value in [("COUNT_USED", 6919), ("COUNT_READ", 6919), ("COUNT_CUSTOMERS", 2357),
                        ("COUNT_REJECTED", 0)]:
        sheet, row, col = _name(data, name)
        hits = [a for a in _writes(actions) if _covers(a, sheet, row, col)]
        assert hits and hits[-1]["values"] == [[value]], name
        assert cells[name] == value
    sheet, row, col = _name(data, "INFO_AS_OF")
    hit = [a for a in _writes(actions) if _covers(a, sheet, row, col)][-1]
    assert hit["values"] == [["1998-06-30"]]  # the new as-of date (last order)


def test_refresh_rewrites_the_customers_table_so_the_kpis_follow(refreshed):
    data, actions, expected = refreshed
    sheets = [s["name"] for s in data["sheets"]]
    customers = sheets.index("Customers")
    table = _sheet(data, "Customers")["tables"][0]
    c0, r0, c1, _ = range_boundaries(table["range_address"])
    resize = [a for a in actions if a["func"] == "resizeTable"
              and a["sheet_position"] == customers]
    assert resize[-1]["args"][1] == f"$A${r0}:$Q${r0 + 2357}"  # was 1,500 rows
    body = [a for a in _writes(actions) if a["sheet_position"] == customers
            and a["start_row"] == r0]  # 0-based start_row r0 is the first body row
    assert len(body) == 1 and body[0]["row_count"] == 2357
    header = [_sheet(data, "Customers")["values"][r0 - 1][c] for c in range(c0 - 1, c1)]
    rows = body[0]["values"]
    plain = {v: k for k, v in CUSTOMER_HEADERS.items()}  # plain header -> technical name
    column = {plain.get(h, h): [row[i] for row in rows] for i, h in enumerate(header)}
    # The Dashboard's KPI formulas sum these columns: they give the recomputed KPIs.
    kpis = expected.kpis
    assert len(rows) == kpis["customers"] == 2357
    assert sum(column["Revenue"]) == pytest.approx(kpis["revenue"])
    assert sum(column["Predicted CLV"]) == pytest.approx(kpis["predicted_clv"])
    assert sum(column["Expected purchases"]) == pytest.approx(kpis["expected_purchases"])
    assert sum(column["P(alive)"]) / 2357 == pytest.approx(kpis["share_alive"])
    arpu = kpis["revenue"] / sum(column["Exposure"])
    assert arpu == pytest.approx(kpis["arpu"])
    churn = sum(column["Churned"]) / sum(column["Exposure"])
    assert churn == pytest.approx(kpis["churn_rate"])
    # CLTV = ARPU x margin x lifetime - CAC with the user's CAC 25 and margin 0.3
    assert arpu * 0.3 / churn - 25 == pytest.approx(kpis["cltv"])


def test_refresh_leaves_inputs_formulas_and_other_sheets_alone(refreshed):
    data, actions, _ = refreshed
    protected = [n["name"] for n in data["names"]
                 if n["name"].startswith(("ASSUME_", "KPI_"))]
    assert len(protected) == len(INPUT_NAMES) + len(FORMULA_NAMES)
    for name in protected:
        sheet, row, col = _name(data, name)
        assert not [a for a in actions if a["func"].startswith("set") and
                    _covers(a, sheet, row, col)], name
    sheets = [s["name"] for s in data["sheets"]]
    touched = {sheets[a["sheet_position"]] for a in actions}
    assert "Assumptions" not in touched and "Transactions" not in touched
    assert not [a for a in actions if a["func"] == "alert"]


def test_refresh_with_a_missing_transactions_sheet_tells_the_user(snapshot):
    data = copy.deepcopy(snapshot)
    data["sheets"] = [s for s in data["sheets"] if s["name"] != "Transactions"]
    data["names"] = []  # sheet indexes changed; the names are not needed for this check
    actions = run_script(data)
    alerts = [a for a in actions if a["func"] == "alert"]
    assert len(alerts) == 1
    message = alerts[0]["args"][0]
    assert "no sheet named 'Transactions'" in message and "not refreshed" in message
    assert not _writes(actions)


def test_refresh_with_an_empty_transactions_sheet_tells_the_user(snapshot):
    data = copy.deepcopy(snapshot)
    _sheet(data, "Transactions")["values"] = [["Customer ID", "Date", "Amount", "Source row"]]
    actions = run_script(data)
    alerts = [a for a in actions if a["func"] == "alert"]
    assert len(alerts) == 1 and "has no orders" in alerts[0]["args"][0]
    assert not _writes(actions)


def test_refresh_with_unusable_columns_passes_on_the_loader_message(snapshot):
    data = copy.deepcopy(snapshot)
    _sheet(data, "Transactions")["values"] = [["Name", "Colour"], ["a", "red"], ["b", "blue"]]
    actions = run_script(data)
    alerts = [a for a in actions if a["func"] == "alert"]
    assert len(alerts) == 1 and "not refreshed" in alerts[0]["args"][0]
    assert not _writes(actions)


def test_ribbon_entry_point_refreshes_the_book_it_is_given(snapshot):
    # cltv_xl.main() is what the desktop add-in's RunPython call runs.
    data = copy.deepcopy(snapshot)
    _paste_all_orders(data)
    book = xw.Book(json=data)
    try:
        status = cltv_xl.main(book)
        actions = book.json()["actions"]
    finally:
        book.close()
    assert status.startswith("Refreshed the report from 6,919 orders of 2,357 customers")
    assert _writes(actions)


def test_data_text_cannot_become_a_formula():
    assert refresh._as_text("=HYPERLINK(\"x\")") == "'=HYPERLINK(\"x\")"
    assert refresh._as_text("C001") == "C001"


def test_refresh_reads_a_sheet_the_user_names(snapshot):
    data = copy.deepcopy(snapshot)
    _paste_all_orders(data)
    _sheet(data, "Transactions")["name"] = "Orders June"
    book = xw.Book(json=data)
    try:
        status = refresh.refresh_report(book, sheet="orders june")  # any case
    finally:
        book.close()
    assert status.startswith("Refreshed the report from 6,919 orders")


def test_refresh_with_a_blank_discount_cell_discounts_at_one_percent_a_month(snapshot):
    # The Assumptions default and the template's default are the same object: a blank
    # ASSUME_DISCOUNT_RATE cell means 1 % a month, as in `cltv-xl report` (issue 8).
    data = copy.deepcopy(snapshot)
    _paste_all_orders(data)
    _set(data, "ASSUME_DISCOUNT_RATE", "")
    actions = run_script(data)
    sheets = [s["name"] for s in data["sheets"]]
    table = _sheet(data, "Customers")["tables"][0]
    c0, r0, c1, _ = range_boundaries(table["range_address"])
    header = [_sheet(data, "Customers")["values"][r0 - 1][c] for c in range(c0 - 1, c1)]
    body = [a for a in _writes(actions) if a["sheet_position"] == sheets.index("Customers")
            and a["start_row"] == r0][-1]["values"]
    written = sum(row[header.index("Predicted CLV")] for row in body)
    orders = load_cdnow()
    frame = orders.rename(columns={"customer_id": "Customer ID", "date": "Date",
                                   "amount": "Amount"})[["Customer ID", "Date", "Amount"]]
    tx = read_transactions(frame)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        monthly = compute_report(tx, discount_rate=0.01, include_transactions=False)
        undiscounted = compute_report(tx, discount_rate=0.0, include_transactions=False)
    assert written == pytest.approx(monthly.kpis["predicted_clv"], rel=1e-9)
    assert written < undiscounted.kpis["predicted_clv"] * 0.999


def as_the_client_sends(data: dict, include) -> dict:
    """The snapshot as xlwings' Office.js client sends it for ``@script(include=...)``.

    Its getBookData sends, for a sheet not included, the name and position only: no values
    (``[[]]``) and no tables; workbook-scope names are always sent (xlwings-server 1.20,
    static/js/custom-scripts/index.js).
    """
    out = copy.deepcopy(data)
    for sheet in out["sheets"]:
        if sheet["name"] not in include:
            sheet["values"], sheet["tables"] = [[]], []
    return out


def test_the_script_asks_only_for_the_sheets_it_uses(refreshed, snapshot):
    # Before: no include, so the client sent every sheet (12.9 MB at 100k orders).
    meta = xlwings.server.custom_scripts_meta(refresh)[0]
    assert meta["include"].split(",") == list(refresh.REFRESH_SHEETS)
    sheets = [s["name"] for s in snapshot["sheets"]]
    assert set(refresh.REFRESH_SHEETS) < set(sheets) and "Dashboard" not in refresh.REFRESH_SHEETS
    data, actions, _ = refreshed
    partial = run_script(as_the_client_sends(data, refresh.REFRESH_SHEETS))
    stamp = _name(data, "INFO_GENERATED")  # the refresh time differs between the two runs

    def same(found):
        return [a for a in found if not _covers(a, *stamp)]

    assert len(partial) == len(actions) and same(partial) == same(actions)


# ------------------------------------------------------------------ all or nothing (issue 12)


def _changes(actions: list[dict]) -> list[dict]:
    """Every action that would change the workbook (all but the message box)."""
    return [a for a in actions if a["func"] != "alert"]


def _alert_text(actions: list[dict]) -> str:
    alerts = [a for a in actions if a["func"] == "alert"]
    assert len(alerts) == 1, actions[:3]
    return alerts[0]["args"][0]


def _delete_sheet(data: dict, name: str) -> None:
    """What deleting a sheet does to the snapshot: the sheet, its tables and the names on it
    go; the sheets after it move up one place."""
    at = [s["name"] for s in data["sheets"]].index(name)
    del data["sheets"][at]
    names = []
    for entry in data["names"]:
        if entry["sheet_index"] == at:
            continue
        if entry["sheet_index"] > at:
            entry["sheet_index"] -= 1
        names.append(entry)
    data["names"] = names


def _table(data: dict, name: str) -> tuple[dict, dict]:
    for sheet in data["sheets"]:
        for table in sheet["tables"]:
            if table["name"] == name:
                return sheet, table
    raise KeyError(name)


def test_a_deleted_sheet_stops_the_refresh_before_any_write(snapshot):
    data = copy.deepcopy(snapshot)
    _paste_all_orders(data)
    _delete_sheet(data, "Model")
    actions = run_script(data)
    message = _alert_text(actions)
    assert message.startswith("The report was not refreshed: the workbook lacks ")
    for missing in ("table ModelParams", "table Tracking", "defined name MODEL_BGNBD_LL"):
        assert missing in message
    assert "Nothing was changed" in message
    assert _changes(actions) == []  # before: 17 value cells were already rewritten


def test_a_deleted_sheet_through_the_ribbon_entry_point_changes_nothing(snapshot):
    data = copy.deepcopy(snapshot)
    _paste_all_orders(data)
    _delete_sheet(data, "Segments")
    book = xw.Book(json=data)
    try:
        status = cltv_xl.main(book)
        actions = book.json()["actions"]
    finally:
        book.close()
    assert status.startswith("The report was not refreshed") and "table Segments" in status
    assert _changes(actions) == []


def test_a_renamed_table_stops_the_refresh_before_any_write(snapshot):
    data = copy.deepcopy(snapshot)
    _paste_all_orders(data)
    _table(data, "Segments")[1]["name"] = "MySegments"
    actions = run_script(data)
    message = _alert_text(actions)
    assert "table Segments" in message and "deleted or renamed" in message
    assert _changes(actions) == []


def test_a_renamed_column_is_an_error_naming_it_not_a_blank_column(snapshot):
    data = copy.deepcopy(snapshot)
    _paste_all_orders(data)
    sheet, table = _table(data, "Customers")
    _c0, r0, _c1, _ = range_boundaries(table["range_address"])
    header = sheet["values"][r0 - 1]
    at = header.index("Revenue")
    header[at] = "Revenue 2024"
    actions = run_script(data)
    message = _alert_text(actions)
    assert "column 'Revenue' of table Customers" in message
    assert _changes(actions) == []  # before: the column was written blank and KPI_REVENUE = 0


@pytest.mark.parametrize(
    ("value", "shown"), [("#N/A", "'#N/A'"), ("#DIV/0!", "'#DIV/0!'"), (True, "True"),
                         ("abc", "'abc'")]
)
def test_a_bad_assumption_value_is_an_alert_naming_the_cell(snapshot, value, shown):
    # Office.js sends an error cell as its text ("#N/A"); before, it was read as a blank cell
    # (the default CAC was used without a word).
    data = copy.deepcopy(snapshot)
    _paste_all_orders(data)
    _set(data, "ASSUME_CAC", value)
    actions = run_script(data)
    message = _alert_text(actions)
    assert "ASSUME_CAC" in message and shown in message, message
    assert _changes(actions) == []


def _add_notes_column(data: dict, notes: dict[str, str]) -> int:
    """Add a "Notes" column to the right of the Customers table, with ``notes`` by customer id;
    returns the 0-based column of Notes."""
    sheet, table = _table(data, "Customers")
    c0, r0, c1, r1 = range_boundaries(table["range_address"])
    letter = openpyxl.utils.get_column_letter
    width = max(len(r) for r in sheet["values"])
    for row in sheet["values"]:
        row.extend([""] * (max(width, c1 + 1) - len(row)))
    sheet["values"][r0 - 1][c1] = "Notes"
    id_col = sheet["values"][r0 - 1].index("Customer ID")
    for r in range(r0, r1):
        cid = str(sheet["values"][r][id_col])
        sheet["values"][r][c1] = notes.get(cid, "")
    table["range_address"] = f"{letter(c0)}{r0}:{letter(c1 + 1)}{r1}"
    table["header_row_range_address"] = f"{letter(c0)}{r0}:{letter(c1 + 1)}{r0}"
    table["data_body_range_address"] = f"{letter(c0)}{r0 + 1}:{letter(c1 + 1)}{r1}"
    return c1


def test_a_column_the_user_added_keeps_its_values_with_their_customers(snapshot):
    data = copy.deepcopy(snapshot)
    notes = {"7": "called in May", "1234": "VIP", "1500": "=cmd|' /C calc'!A0"}
    notes_col = _add_notes_column(data, notes)
    _paste_all_orders(data)
    actions = run_script(data)
    assert not [a for a in actions if a["func"] == "alert"]
    sheets = [s["name"] for s in data["sheets"]]
    customers = sheets.index("Customers")
    table = _table(data, "Customers")[1]
    _c0, r0, c1, _ = range_boundaries(table["range_address"])
    assert c1 - 1 == notes_col
    resize = [a for a in actions if a["func"] == "resizeTable"
              and a["sheet_position"] == customers]
    assert resize[-1]["args"][1] == f"$A${r0}:$R${r0 + 2357}"  # the Notes column stays in it
    body = [a for a in _writes(actions) if a["sheet_position"] == customers
            and a["start_row"] == r0]
    assert len(body) == 1 and body[0]["column_count"] == 18
    rows = body[0]["values"]
    id_at = TABLE_COLUMNS_CUSTOMERS.index("Customer ID")
    written = {str(row[id_at]): row[-1] for row in rows}
    assert len(written) == 2357
    assert {cid: note for cid, note in written.items() if note not in (None, "")} == {
        **notes, "1500": "'=cmd|' /C calc'!A0"}  # written back as text, never as a formula
    # the rows moved (1,500 -> 2,357 customers, re-sorted by predicted CLV), the notes with them
    old_rows = [r for r in _sheet(data, "Customers")["values"][r0:] if r[notes_col]]
    old_position = {str(r[id_at]): i for i, r in enumerate(_sheet(data, "Customers")["values"]
                                                           [r0:]) if r[notes_col]}
    new_position = {str(row[id_at]): i for i, row in enumerate(rows) if row[-1]}
    assert len(old_rows) == 3 and old_position != new_position
    assert not [a for a in actions if a["func"] == "rangeClearContents"
                and a["sheet_position"] == customers]  # the table grew: nothing to clear


def test_a_user_column_whose_rows_stay_put_is_not_written_at_all(snapshot):
    # Refreshing the same orders keeps every customer on its row: the Notes column (which may
    # hold the user's formulas) is left untouched; only the report's 17 columns are written.
    data = copy.deepcopy(snapshot)
    _add_notes_column(data, {"7": "called in May"})
    actions = run_script(data)
    assert not [a for a in actions if a["func"] == "alert"]
    customers = [s["name"] for s in data["sheets"]].index("Customers")
    table = _table(data, "Customers")[1]
    c0, r0, _c1, _ = range_boundaries(table["range_address"])
    body = [a for a in _writes(actions) if a["sheet_position"] == customers]
    assert [(a["start_row"], a["start_column"], a["column_count"]) for a in body] == [
        (r0, c0 - 1, 17)]
    assert not [a for a in actions if a["func"] in ("resizeTable", "rangeClearContents")
                and a["sheet_position"] == customers]


def test_notes_of_a_customer_the_report_no_longer_has_stop_the_refresh(snapshot):
    data = copy.deepcopy(snapshot)
    _add_notes_column(data, {"42": "keep me"})
    _paste_all_orders(data)
    tx = _sheet(data, "Transactions")["values"]
    _sheet(data, "Transactions")["values"] = [r for r in tx if str(r[0]) != "42"]
    actions = run_script(data)
    message = _alert_text(actions)
    assert "table Customers" in message and "'Notes'" in message and "1 row" in message
    assert _changes(actions) == []


TABLE_COLUMNS_CUSTOMERS = list(refresh.TABLE_COLUMNS["Customers"])


def test_the_refresh_reads_cells_and_never_reaches_a_native_reader(snapshot, monkeypatch):
    # The refresh runs in long-lived processes (Excel's Python, a server). It receives cell
    # values, never a file, so no hostile file can reach the Rust reader through it: with the
    # reader replaced by a trap, a full refresh still succeeds (issue 12, native aborts).
    import fastexcel

    def trap(*args, **kwargs):
        raise AssertionError("the native reader was reached")

    monkeypatch.setattr(fastexcel, "read_excel", trap)
    data = copy.deepcopy(snapshot)
    _paste_all_orders(data)
    actions = run_script(data)
    assert _writes(actions) and not [a for a in actions if a["func"] == "alert"]


def test_a_huge_horizon_cell_is_an_alert_not_a_22_gb_workbook(snapshot):
    # Issue 12: a horizon cell holding 1e9 made the refreshed workbook grow to 22 GB.
    data = copy.deepcopy(snapshot)
    _paste_all_orders(data)
    _set(data, "ASSUME_HORIZON", 1e9)
    actions = run_script(data)
    message = _alert_text(actions)
    assert "ASSUME_HORIZON" in message and "horizon must be at most" in message
    assert _changes(actions) == []


def test_a_refresh_with_many_rejected_rows_or_gaps_alerts_the_user(snapshot):
    """Issue 9: rows lost above the threshold and a report with gaps are said in a message
    box, not only written on the Data issues sheet and the Model sheet."""
    data = copy.deepcopy(snapshot)
    orders = load_cdnow()
    values = [["Customer ID", "Date", "Amount", "Source row"]]
    for i, (cid, day, amount) in enumerate(zip(orders["customer_id"], orders["date"],
                                               orders["amount"], strict=True)):
        values.append(["" if i % 4 == 0 else cid, _json_cell(day.to_pydatetime()), amount, ""])
    _sheet(data, "Transactions")["values"] = values
    message = _alert_text(run_script(data))
    assert "Refreshed the report" in message
    assert "Revenue from identified customers only; 25 % of rows had no customer id" in message


def test_refresh_notes_name_the_gaps():
    class Fake:
        def gap_messages(self):
            return {"churn rate": "no customer has been inactive for more than 3 months"}

        def data_quality_lines(self):
            return []

    assert refresh.refresh_notes(Fake()) == [
        "The report has gaps: churn rate not estimated: no customer has been inactive for "
        "more than 3 months."]


def test_refresh_reads_the_model_cell(snapshot):
    """Issue 10: the Assumptions sheet's ASSUME_MODEL cell picks the purchase model on the next
    refresh, like --model on the command line (Pareto/NBD fitted directly as the check)."""
    from cltv_xl.models import ParetoNBD
    from cltv_xl.summary import rfm_summary

    data = copy.deepcopy(snapshot)
    _paste_all_orders(data)
    _set(data, "ASSUME_MODEL", "paretonbd")
    actions = run_script(data)

    def written(name):
        sheet, row, col = _name(data, name)
        return [a for a in _writes(actions) if _covers(a, sheet, row, col)][-1]["values"]

    assert written("MODEL_PURCHASE") == [["Pareto/NBD"]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pnbd = ParetoNBD().fit_summary(rfm_summary(load_cdnow(), time_unit="W"))
    assert written("MODEL_PURCHASE_LL")[0][0] == pytest.approx(pnbd.log_likelihood_, rel=1e-9)
    assert "as asked for" in written("MODEL_CHOICE")[0][0]
