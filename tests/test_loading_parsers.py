"""Column parsers (ids, dates, amounts) and header mapping, value by value."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cltv_xl.loading.amounts import parse_amounts
from cltv_xl.loading.dates import parse_dates
from cltv_xl.loading.headers import column_position, find_header, normalise
from cltv_xl.loading.ids import parse_ids


def one_amount(v: object, *, others: tuple = ()) -> tuple[float, int, int]:
    p = parse_amounts(pd.Series([v, *others], dtype=object))
    return p.values[0], int(p.status[0]), int(p.doubt[0])  # type: ignore[index]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12.5", 12.5),
        ("$1,234.50", 1234.5),
        ("1.234,56", 1234.56),
        ("(12.50)", -12.5),
        ("12.50-", -12.5),
        ("-$5.00", -5.0),
        ("$-5.00", -5.0),
        ("($1,000.00)", -1000.0),
        ("USD 99", 99.0),
        ("99 EUR", 99.0),
        ("£5", 5.0),
        ("¥1000", 1000.0),
        ("€ 30", 30.0),
        ("1 234,50 €", 1234.5),
        ("1\u00a0234.50", 1234.5),
        ("1'234.50", 1234.5),
        ("12,5", 12.5),
        ("1,234,567", 1234567.0),
        ("1.234.567", 1234567.0),
        ("0.125", 0.125),
        ("1e3", 1000.0),
        ("−7", -7.0),
        (42, 42.0),
        (3.25, 3.25),
    ],
)
def test_amount_forms(text: object, expected: float) -> None:
    value, status, doubt = one_amount(text)
    assert (value, status, doubt) == (expected, 0, 0)


@pytest.mark.parametrize("bad", ["abc", "12%", "1,23,4", "$", "1.2.3,4,5", "--5"])
def test_unreadable_amounts(bad: str) -> None:
    value, status, _ = one_amount(bad)
    assert math.isnan(value) and status == 2


def test_amount_missing_type_and_nonfinite() -> None:
    p = parse_amounts(
        pd.Series([None, "", "  ", np.nan, True, dt.date(2024, 1, 1), math.inf], dtype=object)
    )
    assert list(p.status) == [1, 1, 1, 1, 5, 5, 4]


def test_ambiguous_separators_follow_the_column() -> None:
    # No evidence: English reading, marked doubtful.
    assert one_amount("1,234") == (1234.0, 0, 1)
    assert one_amount("1.234") == (1.234, 0, 2)
    # The column writes decimal commas: "1,234" is 1.234 and "1.234" is 1234.
    assert one_amount("1,234", others=("12,50",)) == (1.234, 0, 0)
    assert one_amount("1.234", others=("1.234,50",)) == (1234.0, 0, 0)
    # The column writes decimal points: "1,234" is 1234.
    assert one_amount("1,234", others=("12.50",)) == (1234.0, 0, 0)
    # The column mixes both styles: rejected, not guessed.
    value, status, _ = one_amount("1,234", others=("12.50", "3,5"))
    assert math.isnan(value) and status == 3


def test_numeric_amount_column_fast_path() -> None:
    p = parse_amounts(pd.Series([1.5, np.nan, -2.0, math.inf]))
    assert list(p.status) == [0, 1, 0, 4]
    assert p.values[0] == 1.5 and p.values[2] == -2.0


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("00001", "00001"),
        ("  x 1 ", "x 1"),
        (1.0, "1"),
        (12345678901, "12345678901"),
        (12345678901.0, "12345678901"),
        (7, "7"),
        (np.int64(8), "8"),
        (1.5, "1.5"),
        ("=A1+1", "=A1+1"),
        ("+44 20 7946", "+44 20 7946"),
        ("-5", "-5"),
        ("@handle", "@handle"),
        (dt.date(2024, 1, 2), "2024-01-02"),
    ],
)
def test_ids(raw: object, expected: str) -> None:
    p = parse_ids(pd.Series([raw], dtype=object))
    assert (p.values[0], int(p.status[0])) == (expected, 0)


def test_ids_missing_and_total_labels() -> None:
    raw = ["Total", "grand total:", "SUM", "Subtotal", "Totals", "Total Sales", "Totally", "", None]
    p = parse_ids(pd.Series(raw, dtype=object))
    assert list(p.flag) == [True, True, True, True, True, True, False, False, False]  # type: ignore[arg-type]
    assert list(p.status) == [0, 0, 0, 0, 0, 0, 0, 1, 1]


def test_ids_from_numeric_and_text_dtypes() -> None:
    assert list(parse_ids(pd.Series([1.0, 2.0, np.nan])).values) == ["1", "2", ""]
    text = pd.Series(["007", " a ", None], dtype="string")
    assert list(parse_ids(text).values) == ["007", "a", ""]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from("ab1\x00\x01\x1f\n\t\ufffe é"),
                        max_size=6), min_size=1, max_size=8))
def test_the_one_search_pre_check_agrees_with_label_by_label(labels: list[str]) -> None:
    from cltv_xl.loading.ids import _any_match
    from cltv_xl.safety import XML_ILLEGAL

    arr = np.array(labels, dtype=object)
    exact = any(XML_ILLEGAL.search(v) for v in labels)
    assert _any_match(XML_ILLEGAL, arr, "\n") == exact


_TOTAL_FORMS = ["grand total", "grandtotal", "sub total", "subtotal", "total", "totals", "sum",
                "summe", "gesamt", "overall", "overall total", "total amount", "total sales",
                "total revenue", "total value", "grand total 2024"]


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(_TOTAL_FORMS), st.lists(st.booleans(), min_size=20, max_size=20),
       st.sampled_from([" ", "  ", "\t", "\u00a0", "\u2003"]), st.sampled_from(["", ":", "."]),
       st.booleans())
def test_every_total_label_holds_a_total_word(form, upper, space, end, long_s) -> None:
    """The keyword pre-check (``ids._may_hold_total``) never says no to a label the total
    pattern matches, in any case, with any whitespace, and with the long s that the
    case-insensitive pattern takes for "s"."""
    from cltv_xl.loading.ids import TOTAL_LABEL, _may_hold_total

    label = "".join(c.upper() if u else c for c, u in zip(form, upper, strict=False))
    label += form[len(upper):]
    label = label.replace(" ", space) + end
    if long_s:
        label = label.replace("s", "\u017f")
    assert TOTAL_LABEL.fullmatch(label), label
    assert _may_hold_total(np.array(["C001", label], dtype=object))


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_any_text_the_total_pattern_matches_passes_the_pre_check(data) -> None:
    """Labels drawn from the pattern itself (so an alternative added to ``TOTAL_LABEL`` later
    is covered too) all hold a word of ``TOTAL_WORDS``: the pre-check never hides a total."""
    from cltv_xl.loading.ids import TOTAL_LABEL, _may_hold_total

    label = data.draw(st.from_regex(TOTAL_LABEL, fullmatch=True))
    assert TOTAL_LABEL.fullmatch(label)
    assert _may_hold_total(np.array([label], dtype=object)), label


def test_the_total_pre_check_decides_most_columns_at_once() -> None:
    """Ids without a total word skip the pattern; ids with one ("Summers") still get the
    pattern's answer, and the long s counts as an s."""
    from cltv_xl.loading.ids import _may_hold_total

    assert not _may_hold_total(np.array([f"C{i:05d}" for i in range(100)], dtype=object))
    assert _may_hold_total(np.array(["C1", "Summers"], dtype=object))
    assert not parse_ids(pd.Series(["C1", "Summers", "Totally"], dtype=object)).flag.any()
    assert list(parse_ids(pd.Series(["C1", "\u017fum", "GESAMT:"], dtype=object)).flag) == [
        False, True, True]


def test_clean_ids_skip_the_label_by_label_control_character_pass(monkeypatch) -> None:
    """Regression: the pre-search joined the labels with NUL, which the control-character
    class matches, so every column with two or more ids went label by label."""
    from pandas.core.strings.accessor import StringMethods

    calls: list[str] = []
    for name in ("contains", "fullmatch"):
        real = getattr(StringMethods, name)

        def spy(self, *args, _real=real, _name=name, **kwargs):
            calls.append(_name)
            return _real(self, *args, **kwargs)

        monkeypatch.setattr(StringMethods, name, spy)
    p = parse_ids(pd.Series([f"C{i:05d}" for i in range(1000)], dtype=object))
    assert list(p.values[:2]) == ["C00000", "C00001"] and not p.doubt.any()
    assert calls == []  # neither str.contains nor str.fullmatch ran


def one_date(v: object, dayfirst: bool = False) -> tuple[pd.Timestamp, int]:
    p = parse_dates(pd.Series([v], dtype=object), dayfirst=dayfirst)
    return pd.Timestamp(p.values[0]), int(p.status[0])


JAN12 = pd.Timestamp("1997-01-12")


@pytest.mark.parametrize(
    "raw",
    [
        dt.datetime(1997, 1, 12, 18, 45),
        dt.date(1997, 1, 12),
        pd.Timestamp("1997-01-12 08:00"),
        np.datetime64("1997-01-12T10:00"),
        "1997-01-12",
        "1997-01-12T10:00:00",
        "1997-01-12 10:00:00.123",
        "Jan 12, 1997",
        "January 12, 1997",
        "12 January 1997",
        "12 Jan 1997",
        "12-Jan-97",
        "1997/01/12",
        "1997.01.12",
        "01/12/1997",
        "1/12/97",
        "Sunday, January 12th, 1997",
        "01/12/1997 3:45 PM",
        35442,
        35442.6,
        "35442",
        19970112,
        "19970112",
    ],
)
def test_dates_month_first(raw: object) -> None:
    assert one_date(raw) == (JAN12, 0)


@pytest.mark.parametrize("raw", ["12/01/1997", "12.01.1997", "12-01-1997", "12/1/97"])
def test_dates_dayfirst(raw: str) -> None:
    assert one_date(raw, dayfirst=True) == (JAN12, 0)
    assert one_date(raw, dayfirst=False) == (pd.Timestamp("1997-12-01"), 0)


def test_excel_serial_edges() -> None:
    assert one_date(1) == (pd.Timestamp("1900-01-01"), 0)
    assert one_date(59) == (pd.Timestamp("1900-02-28"), 0)
    assert one_date(60)[1] == 7  # Excel's phantom 29 Feb 1900
    assert one_date(61) == (pd.Timestamp("1900-03-01"), 0)
    assert one_date(73050) == (pd.Timestamp("2099-12-31"), 0)
    assert one_date(0)[1] == 4
    assert one_date(-3)[1] == 4
    assert one_date(73051)[1] == 4


def test_implausible_and_unreadable_dates() -> None:
    assert one_date("1899-12-31")[1] == 5
    assert one_date("2150-01-01")[1] == 5
    assert one_date("13/13/2020")[1] == 2
    assert one_date("13/01/2020")[1] == 3  # would read day-first: the reason says so
    assert one_date("soon")[1] == 2
    assert one_date(True)[1] == 6
    assert one_date(None)[1] == 1
    assert one_date("   ")[1] == 1


def test_typed_date_columns() -> None:
    s = pd.Series(pd.to_datetime(["2024-01-02 13:00", None]))
    p = parse_dates(s)
    assert list(p.status) == [0, 1]
    assert pd.Timestamp(p.values[0]) == pd.Timestamp("2024-01-02")
    tz = pd.Series(pd.to_datetime(["2024-01-02 23:00"]).tz_localize("UTC"))
    assert pd.Timestamp(parse_dates(tz).values[0]) == pd.Timestamp("2024-01-02")
    nums = parse_dates(pd.Series([35442.0, np.nan]))
    assert list(nums.status) == [0, 1]


@pytest.mark.parametrize(
    ("header", "role"),
    [
        ("Customer ID", "customer"), ("Client #", "customer"), ("Account", "customer"),
        ("Customer", "customer"), ("CustomerID", "customer"), ("cust_id", "customer"),
        ("Order Date", "date"), ("Invoice date", "date"), ("Date", "date"),
        ("Transaction Date", "date"), ("Amount", "amount"), ("Order Total ($)", "amount"),
        ("Revenue", "amount"), ("Sales", "amount"), ("Total", "amount"), ("Value", "amount"),
    ],
)
def test_header_synonyms(header: str, role: str) -> None:
    others = {"customer": "Customer", "date": "Date", "amount": "Amount"}
    others[role] = header
    row = [others["customer"], others["date"], others["amount"]]
    match = find_header([row], {})
    assert match.columns == {"customer": 0, "date": 1, "amount": 2}
    assert match.names[role] == header


def test_header_row_is_found_below_titles() -> None:
    rows = [["Sales report"], [], ["Region", "Account No.", "Posting Date", "Net Amount"]]
    match = find_header(rows, {})
    assert match.row == 2
    assert match.columns == {"customer": 1, "date": 2, "amount": 3}


def test_column_positions_and_normalise() -> None:
    specs = (1, "1", "A", "c", "AB", "Amount")
    assert [column_position(x) for x in specs] == [0, 0, 0, 2, 27, None]
    assert normalise("Order Total ($)") == "ordertotal"
    assert normalise(" Client # ") == "client"


def test_best_synonym_wins_over_column_order() -> None:
    row = ["Total", "Customer Name", "Customer ID", "Ship Date", "Date", "Amount"]
    match = find_header([row], {})
    assert match.names == {"customer": "Customer ID", "date": "Date", "amount": "Amount"}


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from("aAbZ0 9é€😀\t-_"), max_size=5), max_size=30))
def test_sorted_factorize_is_pandas_sorted_factorize(ids: list[str]) -> None:
    from cltv_xl.transactions import sorted_factorize

    arr = np.array(ids, dtype=object)
    codes, uniques = sorted_factorize(arr)
    want_codes, want_uniques = pd.factorize(arr, sort=True)
    assert list(codes) == list(want_codes)
    assert list(uniques) == list(want_uniques)
    as_str = pd.Series(ids, dtype="str")
    codes2, uniques2 = sorted_factorize(as_str)
    assert list(codes2) == list(want_codes) and list(uniques2) == list(want_uniques)


def test_sorted_factorize_leaves_numbers_and_gaps_to_pandas() -> None:
    from cltv_xl.transactions import sorted_factorize

    codes, uniques = sorted_factorize(np.array([3, 1, 3], dtype=object))
    assert list(codes) == [1, 0, 1] and list(uniques) == [1, 3]
    codes, uniques = sorted_factorize(pd.Series(["b", None, "a"], dtype="str"))
    assert list(codes) == [1, -1, 0] and list(uniques) == ["a", "b"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 50), st.integers(-40_000, 80_000)), max_size=60))
def test_distinct_pairs_are_the_sorted_set_of_pairs(rows: list[tuple[int, int]]) -> None:
    from cltv_xl.transactions import distinct_pairs

    codes = np.array([c for c, _ in rows], dtype=np.int64)
    values = np.array([v for _, v in rows], dtype=np.int64)
    want = sorted(set(rows))
    got_c, got_v = distinct_pairs(codes, values)
    assert list(zip(got_c.tolist(), got_v.tolist(), strict=True)) == want
    c, v, where = distinct_pairs(codes, values, inverse=True)
    assert list(zip(c.tolist(), v.tolist(), strict=True)) == want
    assert [(int(c[i]), int(v[i])) for i in where] == rows


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3000), st.integers(0, 40)), min_size=1, max_size=400),
       st.integers(-5, 5))
def test_distinct_pairs_marked_or_sorted_agree(rows: list[tuple[int, int]], shift: int) -> None:
    """Few possible keys (customer x month): marked, not sorted; the same pairs, in the same
    order, as the sort (forced here by a span beyond the marks' bound)."""
    from cltv_xl import transactions

    codes = np.array([c for c, _ in rows], dtype=np.int64)
    values = np.array([v + shift for _, v in rows], dtype=np.int64)
    want = sorted(set(zip(codes.tolist(), values.tolist(), strict=True)))
    got_c, got_v = transactions.distinct_pairs(codes, values)  # marked: at most 3001 x 41 keys
    assert list(zip(got_c.tolist(), got_v.tolist(), strict=True)) == want
    far = np.append(values, values[0] + transactions._MARKS_MAX)  # one far value: sorted
    far_c, far_v = transactions.distinct_pairs(np.append(codes, codes[0]), far)
    pairs = list(zip(far_c.tolist(), far_v.tolist(), strict=True))
    assert pairs == sorted(set(want) | {(int(codes[0]), int(far[-1]))})


def test_a_true_cell_beside_empty_text_is_not_lost():
    """Found by hypothesis on pandas 2.2: TRUE/FALSE cells were keyed "\\x00True", which pandas
    2.2 hashes like "" (object strings end at their first NUL), so a lone TRUE amount next to an
    empty cell vanished and its row counted as blank."""
    import pandas as pd

    from cltv_xl.loading import read_transactions
    from cltv_xl.loading.parsed import factorize

    codes, uniq = factorize(pd.Series(["", True, 1, False, 0, "x"], dtype=object))
    assert list(codes) == [-1, 1, 2, 3, 4, 5]  # the empty cell is missing; the rest distinct
    assert [type(v) for v in uniq[1:]] == [bool, int, bool, int, str]
    frame = pd.DataFrame({"Customer ID": [None, None], "Order Date": [None, None],
                          "Amount": ["", True]})
    tx = read_transactions(frame)
    assert tx.counts["read"] == 1 and tx.counts["rejected"] == 1 and tx.counts["blank"] == 1
    assert list(tx.issues["row"].unique()) == [3]


@pytest.fixture(params=["this pandas", "as pandas 2.2"])
def nul_hashing(request, monkeypatch):
    """Each NUL test runs on this pandas, and with the re-keying pandas 2.2 needs forced on (so
    the default environment runs that path too; the floor legs run it for real)."""
    from cltv_xl.loading import parsed

    if request.param == "as pandas 2.2":
        monkeypatch.setattr(parsed, "_text_hash_stops_at_nul", lambda: True)
    return request.param


@pytest.mark.parametrize("dtype", [object, "string[python]", "string[pyarrow]"])
def test_text_holding_nul_stays_whole(nul_hashing, dtype):
    """pandas 2.2 hashes an all-text array as C strings, which end at the first NUL, so
    "A\\x00B", "A\\x00C" and "A" were one value: two customers merged without a word."""
    from cltv_xl.loading.parsed import exact_factorize, factorize

    values = ["A\x00B", "A\x00C", "D", "A", "A\x00B", " "]
    codes, uniq = factorize(pd.Series(values, dtype=dtype))
    assert list(codes) == [0, 1, 2, 3, 0, -1]
    assert list(uniq[:4]) == ["A\x00B", "A\x00C", "D", "A"]
    codes, uniq = exact_factorize(np.array(values, dtype=object))
    assert list(codes) == [0, 1, 2, 3, 0, 4] and list(uniq) == ["A\x00B", "A\x00C", "D", "A", " "]


def test_ids_holding_nul_are_distinct_customers_and_a_merge_is_said(nul_hashing):
    from cltv_xl.loading import read_transactions

    frame = pd.DataFrame({
        "Customer ID": ["A\x00B", "A\x00C", "A", "AC", "D\x00"],
        "Order Date": ["2024-01-01"] * 5,
        "Amount": [1.0, 2.0, 3.0, 4.0, 5.0],
    })
    tx = read_transactions(frame)
    assert list(tx.data["customer_id"]) == ["AB", "AC", "A", "AC", "D"]
    assert tx.counts["used"] == 5
    reasons = dict(zip(tx.issues["row"], tx.issues["reason"], strict=True))
    assert set(reasons) == {2, 3, 6}  # the three ids that held a NUL
    assert "equals another id" in reasons[3]  # "A\x00C" became "AC", which row 5 also has
    assert "equals another id" not in reasons[2] and "equals another id" not in reasons[6]
    assert tx.issues.loc[tx.issues["row"] == 3, "value"].iloc[0] == "A\\x00C"


def test_order_ids_and_statuses_holding_nul_are_not_merged(nul_hashing):
    """A cancellation marker must not spread to an order or status that differs after a NUL."""
    from cltv_xl.loading.clean import _c_invoices, _status_kind

    full, partial = _status_kind(pd.Series(["Paid", "Paid\x00Cancelled", "Cancelled"]))
    assert list(full) == [False, True, True] and not partial.any()
    marks = _c_invoices(np.array(["17", "C1", "17\x00C1", "C1\x00"], dtype=object))
    assert list(marks) == [False, True, False, True]  # "17\x00C1" is not "17"
