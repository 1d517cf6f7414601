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
                "CACHE TABLE cltv_all_customers")


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


#: Finite amounts only (a rejected row's amount as read: NULL when unreadable).
_FINITE_AMOUNT = "CASE WHEN ABS(amount) <= 1e300 THEN amount END"

#: Per rejection reason (NULL: the used rows): rows, the last date, and the sum and absolute
#: sum of the readable amounts (:meth:`cltv_xl.transactions.Transactions.issue_summary`).
COUNTS = f"""
SELECT reason, COUNT(*) AS n, MAX(date) AS last_date, SUM({_FINITE_AMOUNT}) AS amount,
       SUM(ABS({_FINITE_AMOUNT})) AS abs_amount
FROM cltv_rows GROUP BY reason
"""


def summary_views(d: Dialect, end_day: int) -> str:
    """The per-customer tables of the window ending on day ``end_day``, each computed once
    and kept (:attr:`Dialect.keep`):

    * ``cltv_day_rows``: one row per customer and day with a used row: the purchase total and
      purchase rows of the day (``day_total``, ``n_orders``; amounts >= 0), its net amount
      (``net``, refunds included) and whether anything was paid (``paid``: an amount > 0);
    * ``cltv_days`` (a view): the purchase days;
    * ``cltv_all_customers``: one row per customer, refund-only customers included
      (``orders`` = 0), with its payment days (``paid_days``, first and last); and
      ``cltv_customers`` (a view): the buyers.

    As in :func:`cltv_xl.summary.rfm_summary`, a refund (negative amount) is never a
    purchase: it counts in ``revenue`` only, and a customer with only refunds has no summary
    row. Every later aggregate (cohorts, the subscription rule) reads these tables, never the
    rows again."""
    day = d.day("date")
    # A day without purchases sorts after every purchase day in MIN_BY (no NULL semantics).
    never = 2**31 - 1
    return f"""
{d.keep} cltv_day_rows AS
SELECT customer_id, {day} AS day,
       SUM(CASE WHEN amount >= 0 THEN amount ELSE CAST(0 AS DOUBLE) END) AS day_total,
       SUM(CASE WHEN amount >= 0 THEN 1 ELSE 0 END) AS n_orders,
       SUM(amount) AS net,
       MAX(CASE WHEN amount > 0 THEN 1 ELSE 0 END) AS paid
FROM cltv_rows
WHERE reason IS NULL AND {day} <= {int(end_day)}
GROUP BY customer_id, {day};
CREATE OR REPLACE TEMP VIEW cltv_days AS
SELECT customer_id, day, day_total, n_orders FROM cltv_day_rows WHERE n_orders > 0;
{d.keep} cltv_all_customers AS
SELECT customer_id,
       CAST(SUM(CASE WHEN n_orders > 0 THEN 1 ELSE 0 END) - 1 AS BIGINT) AS frequency,
       MIN(CASE WHEN n_orders > 0 THEN day END) AS first_day,
       MAX(CASE WHEN n_orders > 0 THEN day END) AS last_day,
       SUM(day_total) - MIN_BY(day_total, CASE WHEN n_orders > 0 THEN day ELSE {never} END)
           AS repeat_total,
       CAST(SUM(n_orders) AS BIGINT) AS orders,
       SUM(net) AS revenue,
       CAST(SUM(paid) AS BIGINT) AS paid_days,
       MIN(CASE WHEN paid = 1 THEN day END) AS first_paid_day,
       MAX(CASE WHEN paid = 1 THEN day END) AS last_paid_day
FROM cltv_day_rows
GROUP BY customer_id;
CREATE OR REPLACE TEMP VIEW cltv_customers AS
SELECT customer_id, frequency, first_day, last_day, repeat_total, orders, revenue
FROM cltv_all_customers WHERE orders > 0;
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


def rejected_query(d: Dialect, first_row: int, limit: int | None) -> str:
    """Up to ``limit`` (``None``: all) rejected rows: row number (the scan's first row is
    ``first_row``; NULL where the engine cannot number rows), reason, the raw values and the
    amount when it is readable."""
    cap = "" if limit is None else f"LIMIT {int(limit)}"
    return f"""
SELECT row, reason, raw_id, raw_date, raw_amount, amount
FROM (SELECT {d.row_number} + {int(first_row) - 1} AS row, reason, raw_id, raw_date,
             raw_amount, {_FINITE_AMOUNT} AS amount FROM cltv_checked) r
WHERE reason IS NOT NULL
{cap}
"""


def statements(text: str) -> list[str]:
    """Split a multi-statement text on ``;`` (no statement here contains a literal ``;``)."""
    return [s.strip() for s in text.split(";") if s.strip()]


# ------------------------------------------------------------------ the workbook's aggregates
# Each query below is the SQL twin of one pandas computation of the report, over the used
# rows of the window (``cltv_rows``) and the buyers (``cltv_customers``); only aggregates come
# back, never the rows. Months are numbered from January 1970 (as
# :func:`cltv_xl.cohort_tables.period_index`).


def month_number(expr: str) -> str:
    """Calendar month number of a DATE (January 1970 = 0) in both engines."""
    return f"(year({expr}) * 12 + month({expr}) - 23641)"


def cohort_cells_query(d: Dialect) -> str:
    """Monthly acquisition-cohort cells (:func:`cltv_xl.cohort_tables.cohorts` with period
    "M"): per (cohort month, months since acquisition) the customers with a purchase in it
    (``active``) and the net revenue of the cohort's rows (``revenue``; a refund dated before
    its customer's first purchase counts in month 0). A customer's cohort is the month of its
    first purchase (``cltv_customers.first_day``); customers with refunds only have none."""
    first = month_number(d.date("c.first_day"))
    month = month_number(d.date("r.day"))
    return f"""
SELECT cohort, age, SUM(active) AS active, SUM(revenue) AS revenue
FROM (SELECT {first} AS cohort, GREATEST({month}, {first}) - {first} AS age,
             MAX(CASE WHEN r.n_orders > 0 THEN 1 ELSE 0 END) AS active, SUM(r.net) AS revenue
      FROM cltv_day_rows r JOIN cltv_customers c ON r.customer_id = c.customer_id
      GROUP BY r.customer_id, {first}, GREATEST({month}, {first}) - {first}) s
GROUP BY cohort, age
"""


def cohort_sizes_query(d: Dialect) -> str:
    """Customers acquired per cohort month (one row per buyer in ``cltv_customers``)."""
    first = month_number(d.date("first_day"))
    return f"SELECT {first} AS cohort, COUNT(*) AS size FROM cltv_customers GROUP BY {first}"


#: Customers with a payment (a distinct day with an amount > 0) by their number of payment
#: days (:func:`cltv_xl.business.detect_business`).
PAYERS = """
SELECT paid_days AS n, COUNT(*) AS weight FROM cltv_all_customers WHERE paid_days > 0
GROUP BY paid_days
"""


def regular_payers_query(d: Dialect, min_payments: int) -> str:
    """The customers with ``min_payments`` or more payment days who paid once in every
    calendar month from their first payment to their last (``n`` payment days in ``n``
    distinct months spanning ``n`` months), grouped by (``n``, ``s1``, ``s2``): the sums of
    the gaps between their payment days and of their squares (the rule's coefficient of
    variation, :func:`cltv_xl.business.steady_gaps`), with ``weight`` customers each. Only
    customers whose first and last payment months fit are looked at row by row."""
    first, last = (month_number(d.date(c)) for c in ("first_paid_day", "last_paid_day"))
    month = month_number(d.date("r.day"))
    return f"""
WITH cand AS (
  SELECT customer_id, paid_days AS n FROM cltv_all_customers
  WHERE paid_days >= {int(min_payments)} AND {last} - {first} = paid_days - 1),
paid AS (
  SELECT r.customer_id AS customer_id, r.day AS day, {month} AS month
  FROM cltv_day_rows r JOIN cand c ON r.customer_id = c.customer_id WHERE r.paid = 1),
gaps AS (
  SELECT customer_id, month,
         day - LAG(day) OVER (PARTITION BY customer_id ORDER BY day) AS gap
  FROM paid),
per AS (
  SELECT customer_id, COUNT(*) AS n, COUNT(DISTINCT month) AS months,
         CAST(SUM(gap) AS DOUBLE) AS s1, CAST(SUM(gap * gap) AS DOUBLE) AS s2
  FROM gaps GROUP BY customer_id)
SELECT n, s1, s2, COUNT(*) AS weight FROM per WHERE months = n GROUP BY n, s1, s2
"""


def subscription_runs_query(d: Dialect) -> str:
    """The sBG's survival table (:func:`cltv_xl.cohort_tables.subscription_survival`, months):
    per paying customer its first paid month, the months it paid in a row from there
    (``run``) and whether it paid again after a gap (``came_back``), grouped with the
    number of customers (``weight``)."""
    month = month_number(d.date("day"))
    return f"""
WITH pm AS (SELECT DISTINCT customer_id, {month} AS month FROM cltv_day_rows WHERE paid = 1),
r AS (SELECT customer_id, MIN(month) OVER (PARTITION BY customer_id) AS first_month,
             month - MIN(month) OVER (PARTITION BY customer_id) AS since_first,
             row_number() OVER (PARTITION BY customer_id ORDER BY month) - 1 AS nth
      FROM pm),
c AS (SELECT customer_id, MIN(first_month) AS first_month,
             SUM(CASE WHEN since_first = nth THEN 1 ELSE 0 END) AS run,
             MAX(CASE WHEN since_first > nth THEN 1 ELSE 0 END) AS came_back
      FROM r GROUP BY customer_id)
SELECT first_month, run, came_back, COUNT(*) AS weight FROM c
GROUP BY first_month, run, came_back
"""


def paid_months_query(d: Dialect, last_month: int) -> str:
    """Customer-months with a payment up to month ``last_month`` (the sBG's monthly ARPU)."""
    month = month_number(d.date("day"))
    return f"""
SELECT COUNT(*) AS n FROM (SELECT DISTINCT customer_id, {month} AS month FROM cltv_day_rows
                           WHERE paid = 1 AND {month} <= {int(last_month)}) s
"""


def revenue_until_query(d: Dialect, last_month: int) -> str:
    """Net revenue of the used rows up to month ``last_month``."""
    return (f"SELECT SUM(net) AS revenue FROM cltv_day_rows "
            f"WHERE {month_number(d.date('day'))} <= {int(last_month)}")


#: Customers whose rows in the window are all refunds (no summary row), and their net amount
#: (``rfm_summary``'s ``attrs["refund_only"]``).
REFUND_ONLY = """
SELECT COUNT(*) AS customers, SUM(revenue) AS amount FROM cltv_all_customers WHERE orders = 0
"""


def long_ids_query(d: Dialect, limit: int, first_row: int, listed: int) -> str:
    """Used rows whose customer id is longer than ``limit`` characters, with their row
    numbers (the report cuts such ids in a cell and lists the rows as doubtful)."""
    return f"""
SELECT row, customer_id
FROM (SELECT {d.row_number} + {int(first_row) - 1} AS row, customer_id, reason
      FROM cltv_checked) r
WHERE reason IS NULL AND length(customer_id) > {int(limit)}
LIMIT {int(listed)}
"""
