"""CLTV worksheet functions for Excel, through xlwings.

One module serves the three xlwings runtimes:

* classic desktop xlwings on Windows: add ``cltv_xl.udfs`` to ``UDF_MODULES`` and click
  *Import Functions*; the functions appear as ``=CLTV(...)`` and so on (VBA names are
  case-insensitive);
* xlwings Server and xlwings Lite (Office.js): xlwings registers each function under its
  upper-case Python name, e.g. ``churn_rate`` -> ``CHURN_RATE``.

Every function is a thin adapter: :mod:`cltv_xl.excel_args` turns the cells into numbers,
dates and :class:`~cltv_xl.transactions.Transactions` (through :func:`cltv_xl.loading.
read_transactions`), and the value comes from :mod:`cltv_xl.metrics`, :mod:`cltv_xl.models`
or :func:`cltv_xl.summary.rfm_summary`. No formula is written twice. Every argument uses
xlwings' ``"raw"`` converter, so no runtime converts cells one by one; range results are
built as plain 2-D lists (``@xw.ret("raw")``) for the same reason.

Bad arguments give an Excel error, never a traceback (see :func:`cltv_xl.excel_args.
error_result` for what each runtime shows). Each function's Excel help is :data:`HELP`, one
line of at most 255 characters, with a link to the README (:data:`HELP_URL`).

Argument names avoid VBA keywords (``end``, ``new``...), because classic xlwings writes a
VBA wrapper with the Python argument names.
"""

from __future__ import annotations

import os
from typing import Any

import xlwings as xw

from ..errors import InputError
from . import excel_args as xa
from .cache import CACHE
from .excel_args import excel_errors

#: A cell or a range as xlwings passes it with the "raw" converter.
Cells = Any
#: A worksheet-function result: a number, or a 2-D list that spills.
Result = Any

_IDS = "Customer ids: one column (or row) of the orders table, e.g. Orders[Customer]."
_DATES = "Order dates, same length as ids: dates or Excel date numbers."
_AMOUNTS = "Order amounts, same length as ids; refunds negative."
_AS_OF = "Optional end of the observation window (a date); default: the latest order date."
_UNIT = 'Optional time unit of recency and T: "D", "W" (default) or "M".'
_SKIP = (
    "Optional TRUE to leave out rows that cannot be read; default FALSE: such rows make the "
    "result an error that names the first one (DATA_ISSUES lists them all)."
)

#: Where each function's "Help on this function" link points: the README's function list.
#: A server can point it elsewhere with the environment variable CLTV_XL_HELP_URL.
HELP_URL = os.environ.get("CLTV_XL_HELP_URL", "https://pypi.org/project/cltv-xl/#the-functions")

#: Excel's description of each function (at most 255 characters, shown in the formula
#: AutoComplete and the Insert Function dialog).
HELP: dict[str, str] = {
    "cltv": "Customer lifetime value: ARPU x lifetime - CAC.",
    "lifetime": "Expected customer lifetime in periods: 1 / churn rate.",
    "churn_rate": "Churn rate: customers lost / customers at the start of the period.",
    "retention_rate": "Retention rate: (customers at the end - new customers) / customers at "
    "the start.",
    "clv_margin": "CLV from margin, retention and discount rate: m x r / (1 + d - r) (Gupta & "
    "Lehmann 2003).",
    "discounted_cltv": "CLTV over a finite horizon: the sum of ARPU x (1 - churn)^(t-1) / "
    "(1 + discount)^t over the periods, minus CAC.",
    "ltv_cac": "LTV:CAC ratio: lifetime value / acquisition cost.",
    "cac_payback": "Periods to earn back the acquisition cost: CAC / (ARPU x margin).",
    "arpu": "Average revenue per user: revenue / customers, or a range of amounts with the "
    "range of their customer ids.",
    "historical_clv": "Net revenue per customer to date, with order counts (spills a table), "
    "or one customer's value.",
    "rfm_summary": "Per-customer frequency, recency, T and monetary value (Fader, Hardie & Lee "
    "2005); spills a table. Date columns are Excel date numbers.",
    "bgnbd_fit": "Fits the BG/NBD purchase model (Fader, Hardie & Lee 2005); spills r, alpha, "
    "a, b with standard errors and the log-likelihood.",
    "clv_predict": "Predicted CLV per customer from BG/NBD and Gamma-Gamma, discounted; spills "
    "expected purchases, P(alive), expected spend and CLV.",
    "sbg_fit": "Fits the shifted-beta-geometric retention model (Fader & Hardie 2007) to "
    "cohort survivor counts; spills alpha, beta, standard errors and the log-likelihood.",
    "sbg_retention": "Projected retention rate in period t under the sBG model (Fader & Hardie "
    "2007).",
    "sbg_survival": "Projected share of a cohort still subscribed after t periods under the sBG "
    "model (Fader & Hardie 2007).",
    "sbg_lifetime": "Expected lifetime in periods under the sBG model, within an optional "
    "horizon (infinite when alpha <= 1).",
    "derl": "Discounted expected residual lifetime of a customer who has renewed n times "
    "(Fader & Hardie 2010).",
    "data_issues": "Lists the rows of the ranges that cannot be used, or are doubtful, with "
    "their row numbers and reasons (spills a table).",
}


def _help(func: Any) -> Any:
    """Give a decorated worksheet function its Excel description and help link.

    Put it above ``@xw.func``. It sets what xlwings reads for Excel's function help (the
    description replaces the docstring, which is for Python readers); where the decorators
    do nothing (xlwings on Linux without ``XLWINGS_ON_SERVER``) it does nothing either.
    """
    info = getattr(func, "__xlfunc__", None)
    if info is not None:
        info["ret"]["doc"] = HELP[func.__name__]
        info["help_url"] = HELP_URL
    return func


def _metric(name: str, *args: Any) -> Result:
    """Call ``cltv_xl.metrics.<name>``; a value outside the formula's domain is Excel's #NUM!."""
    from .. import metrics

    try:
        return _scalar_result(getattr(metrics, name)(*args))
    except InputError as exc:
        raise xa.ExcelError(xa.NUM, str(exc)) from None


def _scalar_result(value: Any) -> Result:
    """A metric result as a plain float, or a 2-D list when the inputs were ranges."""
    if hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, list):
        return value if value and isinstance(value[0], list) else [value]
    return float(value)


def _denominator(value: Any, name: str) -> None:
    """Report a zero divisor as Excel's #DIV/0! rather than the formula's generic #NUM!."""
    import numpy as np

    if np.any(np.asarray(value) == 0):
        raise xa.ExcelError(xa.DIV0, f"{name} is 0, and the formula divides by it")


# ---------------------------------------------------------------------------------------------
# Closed-form metrics
# ---------------------------------------------------------------------------------------------


@_help
@xw.func
@xw.arg("arpu", "raw", doc="Average revenue (or margin) per user per period.")
@xw.arg("lifetime", "raw", doc="Expected customer lifetime, in the same periods.")
@xw.arg("cac", "raw", doc="Optional customer acquisition cost, subtracted; default 0.")
@excel_errors
def cltv(arpu: Cells, lifetime: Cells, cac: Cells = None) -> Result:
    """Customer lifetime value: ARPU x lifetime - CAC (cltv_xl.metrics.cltv)."""
    return _metric(
        "cltv",
        xa.numbers(arpu, "arpu"),
        xa.numbers(lifetime, "lifetime"),
        xa.numbers(cac, "cac", 0),
    )


@_help
@xw.func
@xw.arg("churn_rate", "raw", doc="Share of customers lost per period, between 0 and 1.")
@excel_errors
def lifetime(churn_rate: Cells) -> Result:
    """Expected customer lifetime in periods: 1 / churn rate (cltv_xl.metrics.lifetime)."""
    rate = xa.numbers(churn_rate, "churn_rate")
    _denominator(rate, "churn_rate")
    return _metric("lifetime", rate)


@_help
@xw.func
@xw.arg("customers_start", "raw", doc="Customers at the start of the period.")
@xw.arg("customers_lost", "raw", doc="Customers lost during the period.")
@excel_errors
def churn_rate(customers_start: Cells, customers_lost: Cells) -> Result:
    """Churn rate: customers lost / customers at the start (cltv_xl.metrics.churn_rate)."""
    start = xa.numbers(customers_start, "customers_start")
    _denominator(start, "customers_start")
    lost = xa.numbers(customers_lost, "customers_lost")
    return _metric("churn_rate", start, lost)


@_help
@xw.func
@xw.arg("customers_start", "raw", doc="Customers at the start of the period.")
@xw.arg("customers_end", "raw", doc="Customers at the end of the period.")
@xw.arg("new_customers", "raw", doc="Customers acquired during the period.")
@excel_errors
def retention_rate(customers_start: Cells, customers_end: Cells, new_customers: Cells) -> Result:
    """Retention rate: (end - new) / start (cltv_xl.metrics.retention_rate)."""
    start = xa.numbers(customers_start, "customers_start")
    _denominator(start, "customers_start")
    return _metric(
        "retention_rate",
        start,
        xa.numbers(customers_end, "customers_end"),
        xa.numbers(new_customers, "new_customers"),
    )


@_help
@xw.func
@xw.arg("margin", "raw", doc="Margin per customer per period (money).")
@xw.arg("retention", "raw", doc="Retention rate per period, between 0 and 1.")
@xw.arg("discount_rate", "raw", doc="Discount rate per period, e.g. 0.1 for 10%.")
@excel_errors
def clv_margin(margin: Cells, retention: Cells, discount_rate: Cells) -> Result:
    """CLV from margin, retention and discount rate: m x r / (1 + d - r) (cltv_xl.metrics)."""
    return _metric(
        "clv_margin",
        xa.numbers(margin, "margin"),
        xa.numbers(retention, "retention"),
        xa.numbers(discount_rate, "discount_rate"),
    )


@_help
@xw.func
@xw.arg("arpu", "raw", doc="Average revenue (or margin) per user per period.")
@xw.arg("churn_rate", "raw", doc="Share of customers lost per period, between 0 and 1.")
@xw.arg("discount_rate", "raw", doc="Discount rate per period, e.g. 0.01 for 1% a month.")
@xw.arg("periods", "raw", doc="Number of periods to sum over.")
@xw.arg("cac", "raw", doc="Optional customer acquisition cost, subtracted; default 0.")
@excel_errors
def discounted_cltv(
    arpu: Cells, churn_rate: Cells, discount_rate: Cells, periods: Cells, cac: Cells = None
) -> Result:
    """CLTV over a finite horizon with churn and discounting (cltv_xl.metrics.discounted_cltv)."""
    return _metric(
        "discounted_cltv",
        xa.numbers(arpu, "arpu"),
        xa.numbers(churn_rate, "churn_rate"),
        xa.numbers(discount_rate, "discount_rate"),
        xa.numbers(periods, "periods"),
        xa.numbers(cac, "cac", 0),
    )


@_help
@xw.func
@xw.arg("ltv", "raw", doc="Customer lifetime value (money).")
@xw.arg("cac", "raw", doc="Customer acquisition cost (money).")
@excel_errors
def ltv_cac(ltv: Cells, cac: Cells) -> Result:
    """LTV:CAC ratio: lifetime value / acquisition cost (cltv_xl.metrics.ltv_cac_ratio)."""
    cost = xa.numbers(cac, "cac")
    _denominator(cost, "cac")
    return _metric("ltv_cac_ratio", xa.numbers(ltv, "ltv"), cost)


@_help
@xw.func
@xw.arg("cac", "raw", doc="Customer acquisition cost (money).")
@xw.arg("arpu", "raw", doc="Average revenue per user per period.")
@xw.arg("margin", "raw", doc="Optional gross margin share, between 0 and 1; default 1.")
@excel_errors
def cac_payback(cac: Cells, arpu: Cells, margin: Cells = None) -> Result:
    """Periods to earn back the acquisition cost: CAC / (ARPU x margin) (cltv_xl.metrics)."""
    per_period = xa.numbers(arpu, "arpu")
    _denominator(per_period, "arpu")
    share = xa.numbers(margin, "margin", 1)
    _denominator(share, "margin")
    return _metric("cac_payback_periods", xa.numbers(cac, "cac"), per_period, share)


@_help
@xw.func
@xw.arg("revenue", "raw", doc="Total revenue (a number), or a range of order amounts.")
@xw.arg(
    "customers",
    "raw",
    doc="Number of customers, or a range of customer ids (distinct ids are counted).",
)
@excel_errors
def arpu(revenue: Cells, customers: Cells = None) -> Result:
    """Average revenue per user: revenue / customers (cltv_xl.metrics.arpu).

    Either two numbers, or a range of order amounts beside the range of their customer ids.
    """
    by_id = xa.is_range(revenue) or xa.is_range(customers)
    if not by_id and not xa.is_blank(customers):
        cell = xa.unwrap(customers)
        by_id = isinstance(cell, str) and not _is_number_text(cell)  # a single order's id
    if by_id:
        if xa.is_blank(customers) or (
            xa.is_range(revenue) and not xa.is_range(customers) and _is_number_text(customers)
        ):
            raise xa.ExcelError(
                xa.VALUE,
                "with a range of amounts as revenue, customers must be the range of their "
                "customer ids (or give revenue and customers as two numbers)",
            )
        tx = xa.transactions(customers, None, revenue)
        total, count = float(tx.data["amount"].sum()), float(tx.data["customer_id"].nunique())
    else:
        total = xa.number(revenue, "revenue")
        count = xa.number(customers, "customers")
    _denominator(count, "customers")
    return _metric("arpu", total, count)


def _is_number_text(value: Any) -> bool:
    try:
        xa.number(value, "value")
    except xa.ExcelError:
        return False
    return True


# ---------------------------------------------------------------------------------------------
# Range functions: spill a table with a header row
# ---------------------------------------------------------------------------------------------


def _run(found: Any, steps: tuple[str, ...], **given: Any):
    """One call to :func:`cltv_xl.pipeline.run` on cleaned ranges, with the arguments parsed
    into :class:`~cltv_xl.assumptions.Assumptions` (blank -> its default); cached per inputs,
    steps and assumptions (see CACHE), so several cells on the same ranges compute once."""
    from .. import pipeline
    from ..assumptions import Assumptions

    try:
        a = Assumptions.parse(**given)
    except InputError as exc:
        raise xa.ExcelError(xa.VALUE, str(exc)) from None
    fit_key = (found.key, a.as_of, a.time_unit, a.model)

    def memo(label: str, build: Any) -> Any:
        return CACHE.get((label, *fit_key), build)

    return CACHE.get(
        ("pipeline", found.key, steps, a),
        lambda: pipeline.run(found.tx, a, steps=steps, later="ignore", memo=memo),
    )


def _summary(
    ids: Cells, dates: Cells, amounts: Cells, as_of: Cells, time_unit: Cells, skip: Cells = None
):
    """(RFM summary, cleaned orders, cache key) of the ranges; cached per inputs and options."""
    as_of_date = xa.date(as_of, "as_of")
    unit = xa.text(time_unit, "time_unit", "W")
    found = xa.checked_orders(ids, dates, amounts, skip)
    result = _run(found, (), as_of=as_of_date, time_unit=unit)
    return result.summary, found, (found.key, str(as_of_date), unit)


@_help
@xw.func
@xw.arg("ids", "raw", doc=_IDS)
@xw.arg("amounts", "raw", doc=_AMOUNTS)
@xw.arg("customer", "raw", doc="Optional customer id: return only that customer's value.")
@xw.arg("skip_bad_rows", "raw", doc=_SKIP)
@xw.ret("raw")
@excel_errors
def historical_clv(
    ids: Cells, amounts: Cells, customer: Cells = None, skip_bad_rows: Cells = None
) -> Result:
    """Historical CLV: net revenue per customer to date, with order counts (spills a table)."""
    from ..summary import rfm_summary

    found = xa.checked_orders(ids, None, amounts, skip_bad_rows)
    summary = CACHE.get(
        ("historical", found.key), lambda: rfm_summary(found.tx, time_unit="D")
    )
    if not xa.is_blank(customer):
        key = xa.text(customer, "customer")
        if key not in summary.index:
            raise xa.ExcelError(xa.NA, f"customer {key!r} is not among the ids")
        return [[float(summary.at[key, "revenue"])]]
    frame = xa.typed_ids(summary[["orders", "revenue"]].reset_index(), found.numeric_ids)
    return xa.table(frame, ["customer_id", "orders", "historical_clv"])


@_help
@xw.func
@xw.arg("ids", "raw", doc=_IDS)
@xw.arg("dates", "raw", doc=_DATES)
@xw.arg("amounts", "raw", doc=_AMOUNTS)
@xw.arg("as_of", "raw", doc=_AS_OF)
@xw.arg("time_unit", "raw", doc=_UNIT)
@xw.arg("skip_bad_rows", "raw", doc=_SKIP)
@xw.ret("raw")
@excel_errors
def rfm_summary(
    ids: Cells,
    dates: Cells,
    amounts: Cells,
    as_of: Cells = None,
    time_unit: Cells = None,
    skip_bad_rows: Cells = None,
) -> Result:
    """Per-customer frequency, recency, T and monetary value (Fader, Hardie & Lee 2005); spills.

    Dates in first_purchase/last_purchase are Excel date numbers: format them as dates.
    """
    summary, found, key = _summary(ids, dates, amounts, as_of, time_unit, skip_bad_rows)
    return CACHE.get(
        ("rfm_table", *key),
        lambda: xa.table(xa.typed_ids(summary.reset_index(), found.numeric_ids)),
    )


@_help
@xw.func
@xw.arg("ids", "raw", doc=_IDS)
@xw.arg("dates", "raw", doc=_DATES)
@xw.arg("amounts", "raw", doc=_AMOUNTS)
@xw.arg("as_of", "raw", doc=_AS_OF)
@xw.arg("time_unit", "raw", doc=_UNIT)
@xw.arg("skip_bad_rows", "raw", doc=_SKIP)
@xw.ret("raw")
@excel_errors
def bgnbd_fit(
    ids: Cells,
    dates: Cells,
    amounts: Cells,
    as_of: Cells = None,
    time_unit: Cells = None,
    skip_bad_rows: Cells = None,
) -> Result:
    """Fit the BG/NBD purchase model (Fader, Hardie & Lee 2005); spills r, alpha, a, b."""
    found = xa.checked_orders(ids, dates, amounts, skip_bad_rows)
    result = _run(found, ("purchase_model",), model="bgnbd", as_of=xa.date(as_of, "as_of"),
                  time_unit=xa.text(time_unit, "time_unit", "W"))
    summary, model = result.summary, result.require("purchase_model")
    params = dict(model.params_)
    found = getattr(model, "standard_errors_", None)
    errors = {} if found is None else dict(found)
    rows: list[list[Any]] = [["parameter", "value", "std_error"]]
    for name, value in params.items():
        se = errors.get(name)
        rows.append([str(name), float(value), "" if se is None else float(se)])
    rows.append(["log_likelihood", float(model.log_likelihood_), ""])
    rows.append(["converged", "Yes" if getattr(model, "converged_", True) else "No", ""])
    rows.append(["customers", len(summary), ""])
    rows.append(["time_unit", summary.attrs["time_unit"], ""])
    return rows


@_help
@xw.func
@xw.arg("ids", "raw", doc=_IDS)
@xw.arg("dates", "raw", doc=_DATES)
@xw.arg("amounts", "raw", doc=_AMOUNTS)
@xw.arg("horizon", "raw", doc="Optional horizon in months; default 12.")
@xw.arg("discount_rate", "raw", doc="Optional discount rate per month; default 0.01.")
@xw.arg("margin", "raw", doc="Optional margin share of spend, 0 to 1; default 1.")
@xw.arg("as_of", "raw", doc=_AS_OF)
@xw.arg("skip_bad_rows", "raw", doc=_SKIP)
@xw.ret("raw")
@excel_errors
def clv_predict(
    ids: Cells,
    dates: Cells,
    amounts: Cells,
    horizon: Cells = None,
    discount_rate: Cells = None,
    margin: Cells = None,
    as_of: Cells = None,
    skip_bad_rows: Cells = None,
) -> Result:
    """Predicted CLV per customer: BG/NBD x Gamma-Gamma, discounted (Fader, Hardie & Lee 2005).

    Spills customer_id, expected_purchases, p_alive, expected_spend and clv over the horizon.
    """
    found = xa.checked_orders(ids, dates, amounts, skip_bad_rows)
    result = _run(
        found, ("predictions",), model="bgnbd", time_unit="W",
        as_of=xa.date(as_of, "as_of"),
        horizon=xa.number(horizon, "horizon", 12), horizon_unit="M",
        discount_rate=xa.number(discount_rate, "discount_rate", 0.01), discount_unit="M",
        margin=xa.number(margin, "margin", 1),
    )
    columns = ["expected_purchases", "p_alive", "expected_spend", "clv"]
    frame = result.require("predictions")[columns].reset_index()
    return xa.table(xa.typed_ids(frame, found.numeric_ids), ["customer_id", *columns])


@_help
@xw.func
@xw.arg("ids", "raw", doc=_IDS)
@xw.arg("dates", "raw", doc=_DATES)
@xw.arg("amounts", "raw", doc=_AMOUNTS)
@xw.ret("raw")
@excel_errors
def data_issues(ids: Cells, dates: Cells, amounts: Cells) -> Result:
    """The rows of the ranges that are rejected or doubtful, with row numbers and reasons.

    Spills row (1 = first cell of the ranges), column, value, reason and severity
    ("rejected": not used; "doubtful": used, worth a look). Error cells are listed too. With
    no issues it spills the header row only.
    """
    found = xa.orders(ids, dates, amounts, keep_errors=True)
    issues = found.tx.issues
    return xa.table(issues[["row", "column", "value", "reason", "severity"]])


#: The worksheet functions, Python name -> Excel name.
FUNCTIONS: dict[str, str] = {
    name: name.upper()
    for name in (
        "cltv",
        "lifetime",
        "churn_rate",
        "retention_rate",
        "clv_margin",
        "discounted_cltv",
        "ltv_cac",
        "cac_payback",
        "arpu",
        "historical_clv",
        "rfm_summary",
        "bgnbd_fit",
        "clv_predict",
        "data_issues",
    )
}


# ---------------------------------------------------------------------------------------------
# Subscriptions: the shifted-beta-geometric model (Fader & Hardie 2007, 2010)
# ---------------------------------------------------------------------------------------------

_ALPHA = "sBG alpha (> 0), e.g. from SBG_FIT."
_BETA = "sBG beta (> 0), e.g. from SBG_FIT."


def _sbg(name: str, *args: Any) -> Result:
    """Call ``cltv_xl.models.sbg.<name>``; a value outside the model's domain is #NUM!."""
    from ..models import sbg

    try:
        return _scalar_result(getattr(sbg, name)(*args))
    except InputError as exc:
        raise xa.ExcelError(xa.NUM, str(exc)) from None


@_help
@xw.func
@xw.arg(
    "survivors",
    "raw",
    doc="Customers still subscribed at the start of periods 0, 1, 2...: one column or row for "
    "one cohort, or a cohort table (one row per cohort, blank where not observed yet).",
)
@xw.ret("raw")
@excel_errors
def sbg_fit(survivors: Cells) -> Result:
    """Fit the shifted-beta-geometric retention model (Fader & Hardie 2007); spills alpha, beta,
    their standard errors and the log-likelihood."""
    import numpy as np

    from ..models import SBG

    values = np.atleast_2d(xa.numbers(survivors, "survivors", float("nan")))
    if 1 in values.shape:  # one column or one row: one cohort; trailing blanks are ignored
        values = values.reshape(1, -1)
    model = SBG().fit(values)
    rows: list[list[Any]] = [["parameter", "value", "std_error"]]
    for name, value in model.params_.items():
        se = model.standard_errors_[name]
        rows.append([name, float(value), "" if not np.isfinite(se) else float(se)])
    rows.append(["log_likelihood", float(model.log_likelihood_), ""])
    rows.append(["converged", "Yes" if model.converged_ else "No", ""])
    rows.append(["cohorts", int(values.shape[0]), ""])
    rows.append(["customers", float(model.n_customers_), ""])
    return rows


@_help
@xw.func
@xw.arg("alpha", "raw", doc=_ALPHA)
@xw.arg("beta", "raw", doc=_BETA)
@xw.arg("t", "raw", doc="Period number(s) 1, 2, ... since acquisition (a cell or a range).")
@excel_errors
def sbg_retention(alpha: Cells, beta: Cells, t: Cells) -> Result:
    """sBG retention rate in period t: (beta + t - 1) / (alpha + beta + t - 1) (FH 2007, eq. 8)."""
    return _sbg(
        "sbg_retention", xa.number(alpha, "alpha"), xa.number(beta, "beta"), xa.numbers(t, "t")
    )


@_help
@xw.func
@xw.arg("alpha", "raw", doc=_ALPHA)
@xw.arg("beta", "raw", doc=_BETA)
@xw.arg("t", "raw", doc="Period number(s) 0, 1, 2, ... since acquisition (a cell or a range).")
@excel_errors
def sbg_survival(alpha: Cells, beta: Cells, t: Cells) -> Result:
    """Share of a cohort still subscribed after t periods: B(alpha, beta + t) / B(alpha, beta)."""
    return _sbg(
        "sbg_survival", xa.number(alpha, "alpha"), xa.number(beta, "beta"), xa.numbers(t, "t")
    )


@_help
@xw.func
@xw.arg("alpha", "raw", doc=_ALPHA)
@xw.arg("beta", "raw", doc=_BETA)
@xw.arg("horizon", "raw", doc="Optional horizon in periods: expected periods paid within it.")
@excel_errors
def sbg_lifetime(alpha: Cells, beta: Cells, horizon: Cells = None) -> Result:
    """Expected periods a new subscriber pays for, with heterogeneous churn (sBG).

    (alpha + beta - 1) / (alpha - 1); #NUM! when alpha <= 1, where the mean is infinite (then
    give a horizon, or use DERL).
    """
    limit = None if xa.is_blank(horizon) else xa.number(horizon, "horizon")
    return _sbg("sbg_expected_lifetime", xa.number(alpha, "alpha"), xa.number(beta, "beta"), limit)


@_help
@xw.func
@xw.arg("alpha", "raw", doc=_ALPHA)
@xw.arg("beta", "raw", doc=_BETA)
@xw.arg("discount_rate", "raw", doc="Discount rate per period of the model, e.g. 0.1 a year.")
@xw.arg("renewals", "raw", doc="Optional renewals the customer has made so far; default 0.")
@excel_errors
def derl(alpha: Cells, beta: Cells, discount_rate: Cells, renewals: Cells = None) -> Result:
    """Discounted expected residual lifetime of a subscriber after n renewals (Fader & Hardie
    2010); times the margin per period it is the customer's residual value."""
    return _sbg(
        "sbg_derl",
        xa.number(alpha, "alpha"),
        xa.number(beta, "beta"),
        xa.number(discount_rate, "discount_rate"),
        xa.numbers(renewals, "renewals", 0),
    )


FUNCTIONS.update(
    {
        name: name.upper()
        for name in ("sbg_fit", "sbg_retention", "sbg_survival", "sbg_lifetime", "derl")
    }
)
