"""The summary stage as relational queries: one SQL text for DuckDB and Spark SQL.

:func:`cltv_xl.summary.rfm_summary` computes the per-customer table with numpy; the queries
here compute the same table inside a database engine, so that a log of any size is reduced to
one row per customer where it lives. The conventions are rfm_summary's (Fader, Hardie & Lee
2005; Fader & Hardie 2013):

* purchases on the same calendar day are one purchase (``cltv_days`` groups by customer, day);
* ``frequency`` = distinct purchase days - 1; ``recency`` = last - first purchase day;
  ``T`` = end of the window - first purchase day, in days, divided by the unit's length;
* ``monetary_value`` = (sum of the day totals - the first day's total) / frequency, 0 for
  one-time buyers; ``orders`` = input rows, ``revenue`` = their net sum.

The queries run over a view ``cltv_raw`` that the backend registers (a CSV or Parquet scan, or
a DataFrame) and build on it: ``cltv_checked`` (typed rows with a rejection reason and the raw
text), ``cltv_rows`` (the typed rows), ``cltv_days`` (one row per customer and purchase day)
and ``cltv_customers`` (one row per customer, times in whole days). What differs between the
engines (identifier quoting, day numbers of dates, row numbers, what is stored and what stays
a view) is held by :class:`Dialect`.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Rejection reasons of the engine's typed cleaning (the ``reason`` column of ``cltv_checked``).
NO_ID = "no customer id"
BAD_DATE = "date is missing or not a date (engines read ISO dates or typed date columns)"
BAD_AMOUNT = "amount is missing or not a number"
AFTER_END = "after the as_of date"


@dataclass(frozen=True)
class Dialect:
    """What differs between the engines' SQL."""

    name: str
    quote_char: str
    #: Day number (days since 1970-01-01) of a DATE expression ``{0}``.
    day_number: str
    #: The DATE of a day number ``{0}``.
    date_of_day: str
    #: A 1-based row number in scan order, or NULL where the engine has none.
    row_number: str
    #: How the typed rows (``cltv_rows``) and the per-customer table are kept once computed:
    #: DuckDB stores them as temporary tables, so the log is scanned once; Spark defines
    #: views (a billion-row log is scanned again rather than cached) and caches the customers.
    keep: str
    cache_customers: str

    def quote(self, identifier: str) -> str:
        q = self.quote_char
        return q + identifier.replace(q, q + q) + q

    def day(self, expr: str) -> str:
        return self.day_number.format(expr)

    def date(self, expr: str) -> str:
        return self.date_of_day.format(expr)


DUCKDB = Dialect("duckdb", '"', "date_diff('day', DATE '1970-01-01', {0})",
                 "DATE '1970-01-01' + CAST({0} AS INTEGER)", "row_number() OVER ()",
                 "CREATE OR REPLACE TEMP TABLE", "")
#: Spark's row_number() needs an ordered window, and a CSV scan has no order to give it.
SPARK = Dialect("spark", "`", "unix_date({0})", "date_add(DATE '1970-01-01', {0})",
                "CAST(NULL AS BIGINT)", "CREATE OR REPLACE TEMP VIEW",
                "CACHE TABLE cltv_customers")


def double(value: float) -> str:
    """A DOUBLE literal (a bare ``7.0`` is a DECIMAL in both engines)."""
    return f"CAST('{float(value)!r}' AS DOUBLE)"


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def checked_view(d: Dialect, id_col: str, date_col: str, amount_col: str,
                 end_day: int | None, reject_after_end: bool) -> str:
    """``cltv_checked``: one row per input row, typed, with ``reason`` NULL when it is used.

    Ids are text, trimmed (an empty id is missing); dates are cast to DATE (a timestamp loses
    its time of day); amounts to DOUBLE and must be finite. Rows after ``end_day`` get the
    reason :data:`AFTER_END` when ``reject_after_end`` (an ``as_of``), and are otherwise only
    left out of the summary (a calibration end).
    """
    raw_id, raw_date, raw_amount = (f"CAST({d.quote(c)} AS STRING)"
                                    for c in (id_col, date_col, amount_col))
    cid = f"NULLIF(TRIM({raw_id}), '')"
    # Else through TIMESTAMP, so that "2024-01-31 10:30:00" text and timestamp columns give a date.
    date = (f"COALESCE(TRY_CAST({raw_date} AS DATE), "
            f"CAST(TRY_CAST({raw_date} AS TIMESTAMP) AS DATE))")
    amount = f"TRY_CAST(TRIM({raw_amount}) AS DOUBLE)"
    after = ""
    if end_day is not None and reject_after_end:
        after = f"WHEN {d.day('date')} > {int(end_day)} THEN {_literal(AFTER_END)} "
    return f"""
CREATE OR REPLACE TEMP VIEW cltv_typed AS
SELECT {cid} AS customer_id, {date} AS date, {amount} AS amount,
       {raw_id} AS raw_id, {raw_date} AS raw_date, {raw_amount} AS raw_amount
FROM cltv_raw;
CREATE OR REPLACE TEMP VIEW cltv_checked AS
SELECT customer_id, date, amount, raw_id, raw_date, raw_amount,
       CASE WHEN customer_id IS NULL THEN {_literal(NO_ID)}
            WHEN date IS NULL THEN {_literal(BAD_DATE)}
            WHEN amount IS NULL OR NOT (ABS(amount) <= 1e300) THEN {_literal(BAD_AMOUNT)}
            {after}ELSE NULL END AS reason
FROM cltv_typed;
{d.keep} cltv_rows AS SELECT customer_id, date, amount, reason FROM cltv_checked
"""


#: Counts of used rows and of each rejection reason, and the last used date.
COUNTS = "SELECT reason, COUNT(*) AS n, MAX(date) AS last_date FROM cltv_rows GROUP BY reason"


def summary_views(d: Dialect, end_day: int) -> str:
    """``cltv_days`` (purchase days), ``cltv_net`` (net revenue) and ``cltv_customers`` for
    the window ending on day ``end_day``; the last is computed once and kept
    (:attr:`Dialect.keep`). As in :func:`cltv_xl.summary.rfm_summary`, a refund (negative
    amount) is never a purchase: it counts in ``revenue`` only, and a customer with only
    refunds has no summary row."""
    day = d.day("date")
    return f"""
CREATE OR REPLACE TEMP VIEW cltv_days AS
SELECT customer_id, {day} AS day, SUM(amount) AS day_total, COUNT(*) AS n_orders
FROM cltv_rows
WHERE reason IS NULL AND {day} <= {int(end_day)} AND amount >= 0
GROUP BY customer_id, {day};
CREATE OR REPLACE TEMP VIEW cltv_net AS
SELECT customer_id, SUM(amount) AS revenue
FROM cltv_rows
WHERE reason IS NULL AND {day} <= {int(end_day)}
GROUP BY customer_id;
{d.keep} cltv_customers AS
SELECT p.customer_id AS customer_id, p.frequency, p.first_day, p.last_day, p.repeat_total,
       p.orders, n.revenue
FROM (SELECT customer_id,
             CAST(COUNT(*) - 1 AS BIGINT) AS frequency,
             MIN(day) AS first_day,
             MAX(day) AS last_day,
             SUM(day_total) - MIN_BY(day_total, day) AS repeat_total,
             CAST(SUM(n_orders) AS BIGINT) AS orders
      FROM cltv_days
      GROUP BY customer_id) p
JOIN cltv_net n ON p.customer_id = n.customer_id;
{d.cache_customers}
"""


def summary_query(d: Dialect, per_unit_days: float, end_day: int) -> str:
    """The rfm_summary columns, one row per customer (times in units of ``per_unit_days``
    days; the same IEEE divisions as numpy, so the values are bit-for-bit rfm_summary's up to
    the order of the sums)."""
    per = double(per_unit_days)
    return f"""
SELECT customer_id,
       frequency,
       CAST(last_day - first_day AS DOUBLE) / {per} AS recency,
       CAST({int(end_day)} - first_day AS DOUBLE) / {per} AS T,
       CASE WHEN frequency > 0 THEN repeat_total / frequency ELSE CAST(0 AS DOUBLE) END
           AS monetary_value,
       {d.date('first_day')} AS first_purchase,
       {d.date('last_day')} AS last_purchase,
       orders, revenue
FROM cltv_customers
"""


def purchase_stats_query(end_day: int) -> str:
    """Sufficient statistics of the BG/NBD and Pareto/NBD: the distinct (frequency, recency,
    T) rows, in whole days, with the number of customers sharing each."""
    return f"""
SELECT frequency, recency_days, t_days, COUNT(*) AS weight
FROM (SELECT frequency, last_day - first_day AS recency_days,
             {int(end_day)} - first_day AS t_days FROM cltv_customers) s
GROUP BY frequency, recency_days, t_days
"""


#: Sufficient statistics of the Gamma-Gamma: the distinct (frequency, mean repeat spend) rows
#: of the repeat buyers with a positive mean spend, with their counts.
SPEND_STATS = """
SELECT frequency, monetary_value, COUNT(*) AS weight
FROM (SELECT frequency, repeat_total / frequency AS monetary_value FROM cltv_customers
      WHERE frequency > 0) s
WHERE monetary_value > 0
GROUP BY frequency, monetary_value
"""


def rejected_query(d: Dialect, first_row: int, limit: int) -> str:
    """Up to ``limit`` rejected rows: row number (the scan's first row is ``first_row``; NULL
    where the engine cannot number rows), reason and the raw values."""
    return f"""
SELECT row, reason, raw_id, raw_date, raw_amount
FROM (SELECT {d.row_number} + {int(first_row) - 1} AS row, reason, raw_id, raw_date,
             raw_amount FROM cltv_checked) r
WHERE reason IS NOT NULL
LIMIT {int(limit)}
"""


def statements(text: str) -> list[str]:
    """Split a multi-statement text on ``;`` (no statement here contains a literal ``;``)."""
    return [s.strip() for s in text.split(";") if s.strip()]
