"""The cleaned transaction set that every later layer consumes."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

#: Columns of :attr:`Transactions.data` (``order_id`` too when the source has one).
DATA_COLUMNS = ("customer_id", "date", "amount", "row", "refund")
#: Columns of :attr:`Transactions.issues`; ``amount`` is the row's amount as read (NaN when
#: unreadable), for the revenue an issue affects.
ISSUE_COLUMNS = ("row", "column", "value", "reason", "severity", "amount")
#: Columns of :meth:`Transactions.issue_summary`.
ISSUE_SUMMARY_COLUMNS = (
    "reason", "severity", "rows", "share_of_rows", "amount", "share_of_amount", "example_rows",
)
#: ``severity`` values: a rejected row is not used; a doubtful row is used but worth a look.
REJECTED = "rejected"
DOUBTFUL = "doubtful"
#: Reason of a summary/total row (rejected). Its amount repeats the other rows' amounts, so it
#: is left out of the amount shares of :meth:`Transactions.issue_summary`.
REASON_TOTAL = "summary/total row"


def empty_issues() -> pd.DataFrame:
    """An issues frame with the right columns and dtypes and no rows."""
    return pd.DataFrame(
        {
            "row": pd.Series(dtype="int64"),
            "column": pd.Series(dtype="object"),
            "value": pd.Series(dtype="object"),
            "reason": pd.Series(dtype="object"),
            "severity": pd.Series(dtype="object"),
            "amount": pd.Series(dtype="float64"),
        }
    )


@dataclass
class Transactions:
    """Clean transactions plus the account of every row that was not used as it stood.

    Attributes
    ----------
    data:
        One row per used input row: ``customer_id`` (str), ``date`` (datetime64, midnight),
        ``amount`` (float; refunds are negative and netted), ``row`` (1-based row number in the
        source sheet, header included, so a user can find it in Excel), ``refund`` (True for a
        refund/cancellation row: netted into revenue, never a purchase day) and, when the source
        has an order or invoice id column, ``order_id`` (text, "" when blank).
    issues:
        One row per issue line: ``row``, ``column``, ``value``, ``reason``, ``severity``
        (``"rejected"`` or ``"doubtful"``) and ``amount`` (the row's amount as read, NaN when
        unreadable). :meth:`issue_summary` counts them by reason.
    counts:
        ``read`` (non-blank rows under the header), ``used``, ``rejected``, ``blank``,
        ``doubtful``; ``read == used + rejected`` always holds.
    source:
        A label for where the data came from (file name and sheet), for reports.
    column_map:
        Which source column became what: ``customer_id``, ``date``, ``amount`` (for line items
        "Quantity x UnitPrice", with ``amount_rule`` "amount = Quantity x UnitPrice"), and
        ``quantity``, ``price``, ``order_id``, ``status`` when used.
    date_order:
        How the day/month order of the date column was decided: ``column``, ``order``
        ("day/month/year", "month/day/year" or None), ``how`` ("inferred", "ambiguous",
        "dayfirst=True", "dayfirst=False"), ``ambiguous`` (bool), ``evidence``, ``conflicting``.
    warnings:
        Loud one-line notes that every front end shows (an ambiguous date order, a column that
        mixes day/month orders).
    reading:
        How the file was read: ``container`` and, for text files, ``encoding`` and
        ``delimiter``.
    """

    data: pd.DataFrame
    issues: pd.DataFrame = field(default_factory=empty_issues)
    counts: dict[str, int] = field(default_factory=dict)
    source: str = ""
    column_map: dict[str, str] = field(default_factory=dict)
    date_order: dict[str, object] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    reading: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.counts:
            n = len(self.data)
            self.counts = {"read": n, "used": n, "rejected": 0, "blank": 0, "doubtful": 0}

    def issue_summary(self, examples: int = 5) -> pd.DataFrame:
        """Issue lines counted by reason: the data-quality summary the report, the JSON and the
        terminal show before (or instead of) every row.

        One row per (``reason``, ``severity``), most rows first: ``rows`` (distinct input rows
        with that reason), ``share_of_rows`` (of ``counts["read"]``), ``amount`` (sum of those
        rows' amounts as read; refunds are negative), ``share_of_amount`` (of the sum of
        absolute amounts of all rows read and readable, total rows left out; NaN for a total
        row, whose amount repeats the others'), ``example_rows`` (the first
        ``examples`` row numbers, a list).
        """
        issues = self.issues
        if issues is None or len(issues) == 0:
            return pd.DataFrame({c: pd.Series(dtype="float64" if "share" in c or c == "amount"
                                              else "int64" if c == "rows" else object)
                                 for c in ISSUE_SUMMARY_COLUMNS})
        out = self._issues_by_reason(examples)
        read = max(int(self.counts.get("read", 0)), 1)
        total_abs = self._amount_base()
        out["share_of_rows"] = out["rows"] / read
        out["share_of_amount"] = (
            np.abs(out["amount"]) / total_abs if total_abs > 0 else np.nan
        )
        # A total row's amount repeats the others': it is not revenue lost (nor a share of it).
        out.loc[out["reason"] == REASON_TOTAL, "share_of_amount"] = np.nan
        out = out.sort_values(["rows", "reason"], ascending=[False, True], kind="stable")
        return out.reset_index(drop=True)[list(ISSUE_SUMMARY_COLUMNS)]

    def _issues_by_reason(self, examples: int) -> pd.DataFrame:
        """``reason``, ``severity``, ``rows``, ``amount``, ``example_rows`` of the issue lines
        (an engine's transactions count them in SQL instead)."""
        issues = self.issues
        amount = issues["amount"] if "amount" in issues else pd.Series(np.nan, issues.index)
        frame = pd.DataFrame({"reason": issues["reason"], "severity": issues["severity"],
                              "row": issues["row"], "amount": amount})
        frame = frame.drop_duplicates(["reason", "severity", "row"])
        grouped = frame.groupby(["reason", "severity"], sort=False)
        out = grouped.agg(rows=("row", "size"), amount=("amount", "sum"))
        out["example_rows"] = grouped["row"].apply(lambda r: sorted(r)[:examples])
        return out.reset_index()

    def _amount_base(self) -> float:
        """Denominator of the amount shares: the absolute amounts of every row read with a
        readable amount, once (total rows left out)."""
        issues = self.issues
        used_abs = float(np.abs(self.data["amount"].to_numpy(dtype=np.float64)).sum())
        rej = issues[(issues["severity"] == REJECTED)
                     & (issues["reason"] != REASON_TOTAL)].drop_duplicates("row")
        rej_abs = float(np.nansum(np.abs(rej["amount"].to_numpy(dtype=np.float64)))) if (
            "amount" in rej) else 0.0
        return used_abs + rej_abs

    @classmethod
    def from_frame(cls, data: pd.DataFrame, source: str = "DataFrame") -> Transactions:
        """Wrap an already clean frame with columns ``customer_id``, ``date``, ``amount``.

        Rows are numbered as if the frame were a sheet with one header row. Use
        :func:`cltv_xl.read_transactions` for data that still needs cleaning.
        """
        df = pd.DataFrame(
            {
                "customer_id": data["customer_id"].astype(str).to_numpy(dtype=object),
                "date": pd.to_datetime(data["date"]).dt.normalize().to_numpy(),
                "amount": pd.to_numeric(data["amount"]).astype("float64").to_numpy(),
            }
        )
        df["row"] = (
            data["row"].to_numpy(dtype="int64")
            if "row" in data
            else pd.RangeIndex(2, len(df) + 2).to_numpy(dtype="int64")
        )
        df["refund"] = (
            data["refund"].to_numpy(dtype=bool) if "refund" in data
            else df["amount"].to_numpy() < 0
        )
        if "order_id" in data:
            df["order_id"] = data["order_id"].astype(str).to_numpy(dtype=object)
        return cls(data=df, source=source)

    @property
    def as_of(self) -> pd.Timestamp | None:
        """The latest transaction date, or ``None`` for an empty set."""
        return None if self.data.empty else pd.Timestamp(self.data["date"].max())


def purchase_mask(data: pd.DataFrame) -> np.ndarray:
    """True for the rows that are purchases: not flagged ``refund`` and not negative. The one
    rule every reader of *activity* uses (:func:`cltv_xl.summary.rfm_summary`, the cohorts'
    active customers, the holdout tracking): a refund or cancellation is netted into revenue
    but never makes a customer active on its day."""
    amounts = data["amount"].to_numpy(dtype=np.float64)
    refund = amounts < 0
    if "refund" in data.columns:
        refund = refund | data["refund"].to_numpy(dtype=bool)
    return ~refund


def transaction_frame(tx: Transactions | pd.DataFrame, who: str) -> pd.DataFrame:
    """The ``customer_id``/``date``/``amount`` frame of ``tx``; ``who`` names the caller."""
    from .errors import InputError

    data = tx.data if isinstance(tx, Transactions) else tx
    if not isinstance(data, pd.DataFrame):
        raise InputError(
            f"{who} needs Transactions or a frame with customer_id, date, amount; "
            f"got {type(tx).__name__}"
        )
    missing = [c for c in ("customer_id", "date", "amount") if c not in data.columns]
    if missing:
        raise InputError(
            f"{who} needs columns customer_id, date, amount; missing {missing}; "
            f"found {list(data.columns)}"
        )
    return data


def customer_codes(
    tx: Transactions | pd.DataFrame, *, sort: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """The customers of a transaction set, factorized once: per row of its frame, the code of
    its ``customer_id`` (0 .. k-1, numbered in sorted id order, every code used), and the k
    sorted ids (an object array). The one grouping of rows by customer that the summary, the
    cohorts and the business rule share.

    Transactions made by the loader carry the codes (the ids were factorized while they were
    cleaned, :func:`cltv_xl.loading.clean.clean_columns`); they are used after checking that
    the frame still holds exactly those ids. Otherwise they are computed here
    (``pandas.factorize(..., sort=True)``; with ``sort=False``, for callers that only group,
    in order of first appearance, which is cheaper).
    """
    data = tx.data if isinstance(tx, Transactions) else tx
    ids = data["customer_id"]
    cached = getattr(tx, "_customer_codes", None) if isinstance(tx, Transactions) else None
    if cached is not None:
        frame, arrow, codes, uniques = cached
        if frame is data and len(codes) == len(ids) and _unchanged(ids, arrow, codes, uniques):
            return codes, uniques
    if sort:
        return sorted_factorize(ids)
    if ids.dtype == object:
        from cltv_xl.loading.parsed import exact_factorize

        return exact_factorize(ids.to_numpy(dtype=object))
    codes, uniques = pd.factorize(ids)
    return codes, np.asarray(uniques, dtype=object)


def sorted_factorize(values: pd.Series | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """What ``pandas.factorize(values, sort=True)`` returns for text without missing values:
    per value the code (0 .. k-1) of its distinct value in sorted order, and the k sorted
    distinct values (an object array). Arrow hashes and sorts them in C++ (UTF-8 byte order is
    code-point order, Python's order for str); pandas sorts the distinct values by comparing
    Python strings, about 5x slower on 200,000 ids. Anything else (numbers, missing values,
    a lone surrogate) goes to pandas itself."""
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = _arrow_of(values) if isinstance(values, pd.Series) else None
    try:
        if arr is None:
            obj = values.to_numpy(dtype=object) if isinstance(values, pd.Series) else values
            arr = pa.array(np.asarray(obj, dtype=object), type=pa.large_string())
        if isinstance(arr, pa.ChunkedArray):
            arr = arr.combine_chunks()
        text = pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)
        if arr.null_count or not text:
            raise TypeError("not text without missing values")
    except (TypeError, ValueError, pa.ArrowException):
        codes, uniques = pd.factorize(values, sort=True)
        return codes, np.asarray(uniques, dtype=object)
    enc = pc.dictionary_encode(arr)
    order = pc.array_sort_indices(enc.dictionary).to_numpy()
    rank = np.empty(len(order), dtype=np.intp)
    rank[order] = np.arange(len(order), dtype=np.intp)
    codes = rank[enc.indices.to_numpy(zero_copy_only=False)]
    uniques = np.asarray(enc.dictionary.take(pa.array(order)).to_numpy(zero_copy_only=False),
                         dtype=object)
    return codes, uniques


#: ``distinct_pairs`` marks the keys in a byte per possible key, instead of sorting them, when
#: there are at most this many possible keys, or this many per row, and never more than
#: :data:`_MARKS_MAX` (64 MiB of marks). (customer, month) pairs fit: a 1M-row log's 213,610
#: customers x 25 months took 119 ms hashed (``pd.unique``), 10 ms marked; (customer, day)
#: pairs over years of days do not, and are sorted.
_MARKS_MIN = 1 << 22
_MARKS_PER_ROW = 8
_MARKS_MAX = 1 << 26


def _marked(key: np.ndarray, space: int) -> np.ndarray:
    """The distinct values of ``key`` (all in ``0 .. space - 1``), ascending: one byte per
    possible value set where a row has it, then the positions set."""
    seen = np.zeros(space, dtype=bool)
    seen[key] = True
    return np.flatnonzero(seen)


def distinct_pairs(codes: np.ndarray, values: np.ndarray, *, inverse: bool = False):
    """The distinct (code, value) pairs of two integer columns, sorted by code then value, as
    two arrays; with ``inverse``, also each row's index into them. The one grouping of rows
    by (customer, day) or (customer, period) that the summary, the business rule and the
    subscription survival table share (and the cohorts' active customers): a 1-D sort of one
    64-bit key (code x span + value), several times faster than sorting rows as records
    (``np.lexsort``, ``np.unique(axis=0)``), or, when the keys are few enough
    (:data:`_MARKS_MAX`), a mark per possible key, without sorting.
    """
    codes = np.asarray(codes, dtype=np.int64)
    values = np.asarray(values, dtype=np.int64)
    if len(codes) == 0:
        return (codes, values, np.zeros(0, dtype=np.intp)) if inverse else (codes, values)
    low = int(values.min())
    span = int(values.max()) - low + 1
    if int(codes.max()) >= (1 << 62) // span:
        raise OverflowError("distinct_pairs: codes x value span exceed 64 bits")
    key = codes * span + (values - low)
    if not inverse:
        space = (int(codes.max()) + 1) * span
        if (int(codes.min()) >= 0 and space <= _MARKS_MAX
                and space <= max(_MARKS_MIN, _MARKS_PER_ROW * len(key))):
            key = _marked(key, space)
        else:
            key = np.sort(key)  # numpy 2's np.unique hashes first: slower here
            key = key[np.r_[True, key[1:] != key[:-1]]]
        return key // span, key % span + low
    order = np.argsort(key)
    ordered = key[order]
    first = np.r_[True, ordered[1:] != ordered[:-1]]
    where = np.empty(len(key), dtype=np.intp)
    where[order] = np.cumsum(first) - 1
    key = ordered[first]
    return key // span, key % span + low, where


def _arrow_of(ids: pd.Series):
    """The Arrow array behind an Arrow-backed text column (pandas' ``str`` dtype), else None."""
    return getattr(ids.array, "_pa_array", None)


def _unchanged(ids: pd.Series, arrow, codes: np.ndarray, uniques: np.ndarray) -> bool:
    """Whether the id column still holds ``uniques[codes]``. An Arrow-backed column is
    immutable: any change to it makes a new Arrow array, so identity says it. An object column
    is compared value by value (its values are the very objects of ``uniques``: fast)."""
    if arrow is not None:
        return _arrow_of(ids) is arrow
    values = ids.to_numpy(dtype=object)
    return len(values) == 0 or bool((values == uniques[codes]).all())


def attach_customer_codes(tx: Transactions, codes: np.ndarray, uniques: np.ndarray) -> None:
    """Record :func:`customer_codes` of ``tx`` (sorted, dense codes per row of ``tx.data``, and
    the sorted ids), computed by whoever built the frame; they are checked before each use."""
    arrow = _arrow_of(tx.data["customer_id"])
    object.__setattr__(tx, "_customer_codes", (tx.data, arrow, codes, uniques))


def text_column(uniques: np.ndarray, codes: np.ndarray):
    """``uniques[codes]`` (text) as the column pandas makes of it: under pandas 3 its
    Arrow-backed ``str`` dtype, built by one Arrow ``take`` from the distinct values rather than
    by converting every row's Python string; an object array otherwise."""
    probe = pd.Series(np.array(["x"], dtype=object))
    dtype = probe.dtype
    arrow = _arrow_of(probe)
    if arrow is None or not isinstance(dtype, pd.StringDtype):
        return uniques[codes]
    import pyarrow as pa

    values = pa.array(uniques, type=arrow.type).take(pa.array(codes))
    return dtype.construct_array_type()._from_sequence(values, dtype=dtype)
