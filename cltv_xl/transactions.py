"""The cleaned transaction set that every later layer consumes."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

#: Columns of :attr:`Transactions.data`.
DATA_COLUMNS = ("customer_id", "date", "amount", "row")
#: Columns of :attr:`Transactions.issues`.
ISSUE_COLUMNS = ("row", "column", "value", "reason", "severity")
#: ``severity`` values: a rejected row is not used; a doubtful row is used but worth a look.
REJECTED = "rejected"
DOUBTFUL = "doubtful"


def empty_issues() -> pd.DataFrame:
    """An issues frame with the right columns and dtypes and no rows."""
    return pd.DataFrame(
        {
            "row": pd.Series(dtype="int64"),
            "column": pd.Series(dtype="object"),
            "value": pd.Series(dtype="object"),
            "reason": pd.Series(dtype="object"),
            "severity": pd.Series(dtype="object"),
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
        source sheet, header included, so a user can find it in Excel).
    issues:
        One row per rejected or doubtful input row: ``row``, ``column``, ``value``, ``reason``,
        ``severity`` (``"rejected"`` or ``"doubtful"``).
    counts:
        ``read`` (non-blank rows under the header), ``used``, ``rejected``, ``blank``, ``doubtful``;
        ``read == used + rejected`` always holds.
    source:
        A label for where the data came from (file name and sheet), for reports.
    """

    data: pd.DataFrame
    issues: pd.DataFrame = field(default_factory=empty_issues)
    counts: dict[str, int] = field(default_factory=dict)
    source: str = ""
    column_map: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.counts:
            n = len(self.data)
            self.counts = {"read": n, "used": n, "rejected": 0, "blank": 0, "doubtful": 0}

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
        return cls(data=df, source=source)

    @property
    def as_of(self) -> pd.Timestamp | None:
        """The latest transaction date, or ``None`` for an empty set."""
        return None if self.data.empty else pd.Timestamp(self.data["date"].max())


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
