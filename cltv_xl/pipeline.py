"""The pipeline: transactions + :class:`~cltv_xl.assumptions.Assumptions` -> every number.

One call, :func:`run`, gives the per-customer summary, the KPI table and KPIs, the fitted
purchase and spend models, the per-customer predictions, the holdout tracking and the cohort
tables. Every front door reaches it in that one call: the ``cltv-xl`` command and
:func:`cltv_xl.build_report` (through :func:`cltv_xl.report.compute_report`, which only
arranges the result into tables), the ribbon's refresh, and the range worksheet functions
(``RFM_SUMMARY``, ``BGNBD_FIT``, ``CLV_PREDICT``).

Decisions made here and only here:

* **Who the spend model is fitted on** (:func:`spend_fit_mask`): repeat buyers whose mean
  repeat spend is positive. Gamma-Gamma (Fader & Hardie 2013, note 025) assumes spend > 0, so
  a repeat buyer whose refunds exceed their purchases is left out of the fit and, like a
  one-time buyer, gets the population mean spend as its expected spend
  (:func:`_spend_inputs`).
* **Which purchase model** (:func:`choose_purchase_model`): ``Assumptions.model`` names one
  (``"bgnbd"``, ``"mbgnbd"``, ``"paretonbd"``), ``"none"`` fits none, and ``"auto"`` lets
  :func:`cltv_xl.models.compare_models` choose among the BG/NBD, MBG/NBD and Pareto/NBD (by
  holdout error when ``holdout_start`` is given, else by BIC; the rule is the models
  package's). Above :data:`COMPARE_MAX_CUSTOMERS` customers the comparison runs on a
  deterministic sample (:func:`comparison_sample`); the chosen model is then fitted on every
  customer.
* **What happens when a model cannot be fitted**: the error is recorded in
  :attr:`PipelineResult.failures` (step -> exception) instead of stopping the run, and the
  steps that need the model are skipped; a caller that needs the model calls
  :meth:`PipelineResult.require`, which raises the recorded error.
* **Subscription or transactional** (:func:`cltv_xl.business.decide_business`):
  ``Assumptions.business``, ``"auto"`` applying the rule of :mod:`cltv_xl.business`. For a
  subscription business the sBG (Fader & Hardie 2007) is fitted on the monthly cohort survival
  table (:func:`cltv_xl.business.fit_subscription`); a failure is recorded as ``"sbg"``.
* **The discount rate's unit**: converted once, by :class:`Assumptions`, to the horizon's
  unit, in which the CLV is discounted period by period.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from . import metrics
from .assumptions import Assumptions
from .errors import CltvError, CltvWarning, FitError, InputError
from .memory import release_freed_memory
from .summary import rfm_summary
from .transactions import Transactions

Progress = Callable[[str], None]

#: Steps :func:`run` can compute, in order; ``steps=`` picks a subset (the summary is always
#: computed).
STEPS: tuple[str, ...] = ("kpis", "purchase_model", "spend_model", "predictions", "tracking",
                          "cohorts", "subscription")

#: The columns of :attr:`PipelineResult.predictions` (see :func:`cltv_xl.models.predict_clv`).
PREDICTION_COLUMNS: tuple[str, ...] = ("expected_purchases", "p_alive", "expected_spend", "clv")


@dataclass
class PipelineResult:
    """Everything :func:`run` computed. A step that failed or was not asked for is ``None``;
    :attr:`failures` says why a step failed."""

    assumptions: Assumptions
    transactions: Transactions
    summary: pd.DataFrame
    as_of: pd.Timestamp
    customer_kpis: pd.DataFrame | None = None
    kpis: metrics.PeriodKPIs | None = None
    purchase_model: Any = None
    spend_model: Any = None
    spend_customers: int = 0
    predictions: pd.DataFrame | None = None
    tracking: Any = None
    tracking_model: Any = None
    #: How the purchase model was chosen (None before the fit, or with model "none").
    choice: ModelChoice | None = None
    cohorts: Any = None
    #: :class:`cltv_xl.business.BusinessDecision`: subscription or transactional, and why.
    business: Any = None
    #: :class:`cltv_xl.business.SubscriptionFit` (survival table, sBG, ARPU, churn) for a
    #: subscription business; ``None`` otherwise or when it failed (``failures["sbg"]``).
    subscription: Any = None
    failures: dict[str, Exception] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def require(self, step: str) -> Any:
        """The result of ``step`` (an attribute name); raise the recorded error if it failed."""
        if step in self.failures:
            raise self.failures[step]
        value = getattr(self, step)
        if value is None:
            raise InputError(f"the pipeline did not compute {step}")
        return value

    def raise_failures(self) -> None:
        """Raise the first recorded failure, if any (callers that cannot degrade)."""
        for exc in self.failures.values():
            raise exc


def spend_fit_mask(summary: pd.DataFrame) -> np.ndarray:
    """Customers the spend model is fitted on: repeat buyers (frequency > 0) with a positive
    mean repeat spend (Gamma-Gamma assumes spend > 0; Fader & Hardie 2013)."""
    x = summary["frequency"].to_numpy()
    m = summary["monetary_value"].to_numpy(dtype=np.float64)
    return (x > 0) & (m > 0)


#: Transactions from which :func:`run` hands freed memory back to the operating system
#: between its steps (:func:`cltv_xl.memory.release_freed_memory`), keeping the peak of a
#: large report down; smaller inputs are not worth the system calls.
BIG_ROWS = 100_000


#: Most customers the automatic model choice compares the candidates on: above it, a
#: deterministic sample (:func:`comparison_sample`). A Pareto/NBD fit took 1.7 s on 10,000
#: and 8-45 s on 50,000 simulated customers on the 2-core test machine (the BG/NBD and MBG/NBD
#: under 0.1 s); with this bound ``auto`` adds about 5 s to a report
#: (``bench/bench_model_choice.py``). The chosen model is then fitted on every customer.
COMPARE_MAX_CUSTOMERS = 10_000


def purchase_model(summary: pd.DataFrame, a: Assumptions):
    """An unfitted purchase model of the class ``a.model`` names (``"bgnbd"``, ``"mbgnbd"``,
    ``"paretonbd"``). ``"auto"`` is decided by :func:`choose_purchase_model`, which calls this
    with the chosen key; here it stands for the BG/NBD (Fader, Hardie & Lee 2005), the default
    of the worksheet functions."""
    return _new_model("bgnbd" if a.model == "auto" else a.model)


def _new_model(key: str):
    """An unfitted purchase model by key (:data:`cltv_xl.models.selection.MODELS`)."""
    from .models.selection import MODELS

    if key not in MODELS:
        raise InputError(f"model {key!r} has no purchase model; choose from "
                         f"{', '.join(k for k in MODELS if k != 'bgbb')}")
    return MODELS[key]()


def comparison_sample(frame: pd.DataFrame, limit: int = COMPARE_MAX_CUSTOMERS) -> pd.DataFrame:
    """``frame`` itself when it has at most ``limit`` rows, else ``limit`` rows evenly spaced
    through it (the summary is ordered by customer id, which says nothing about behaviour): the
    same data always give the same sample, so the same choice."""
    n = len(frame)
    if n <= limit:
        return frame
    rows = np.unique(np.linspace(0, n - 1, limit).round().astype(np.int64))
    out = frame.iloc[rows]
    out.attrs = dict(frame.attrs)
    return out


@dataclass
class ModelChoice:
    """How the purchase model was chosen (:func:`choose_purchase_model`).

    ``key``: the chosen model (a key of :data:`cltv_xl.models.selection.MODELS`) or None;
    ``model``: it, fitted on every customer; ``reason``: one sentence for the report;
    ``comparison``: the :class:`~cltv_xl.models.ModelComparison` for ``"auto"`` (None when
    the model was named); ``sampled``: customers the comparison used when it ran on a sample
    (else 0); ``calibration_model``: the chosen model fitted up to ``holdout_start`` when the
    comparison already did that fit on every customer (the holdout tracking reuses it).
    """

    key: str | None
    model: Any = None
    reason: str = ""
    comparison: Any = None
    sampled: int = 0
    calibration_model: Any = None


def choose_purchase_model(res: PipelineResult) -> ModelChoice:
    """Choose and fit the purchase model for ``res.assumptions.model`` (see the module
    docstring). A named model that cannot be fitted raises its :class:`FitError`; when no
    candidate of ``"auto"`` can be fitted, ``model`` is None and ``reason`` is the first
    candidate's error (the comparison keeps every candidate's)."""
    from .models import compare_models
    from .models.holdout import calibration_holdout

    a, summary = res.assumptions, res.summary
    if a.model != "auto":
        model = purchase_model(summary, a).fit_summary(summary)
        return ModelChoice(a.model, model, f"{model.model_name} as asked for (model "
                           f"'{a.model}'; 'auto' compares BG/NBD, MBG/NBD and Pareto/NBD).")
    holdout = None
    if a.holdout_start is not None:
        holdout = calibration_holdout(res.transactions.data, a.holdout_start, res.as_of,
                                      a.time_unit)
        if len(holdout) == 0:
            raise FitError(f"no customer bought by the holdout start "
                           f"{a.holdout_start.date()}; choose a later --holdout-start")
    base = summary if holdout is None else holdout
    sample = comparison_sample(base, COMPARE_MAX_CUSTOMERS)
    cmp = compare_models(sample, None if holdout is None else sample)
    if cmp.chosen is None:  # every candidate failed: the first one's error says why
        first = next(e for e in cmp.table["error"] if e)
        return ModelChoice(None, None, first, cmp)
    reason = cmp.reason
    if holdout is not None:
        reason += (f" Each was fitted on the orders up to {a.holdout_start.date()} and scored "
                   "on the purchases after it.")
    sampled = len(sample) if len(sample) < len(base) else 0
    if sampled:
        reason += (f" Compared on {sampled:,} of the {len(base):,} customers (evenly spaced "
                   "in customer-id order, for speed); the chosen model was then fitted on all "
                   "of them.")
    if holdout is None and not sampled:
        model = cmp.model  # fitted on this very summary
    else:
        model = _new_model(cmp.chosen).fit_summary(summary)
    calibration = cmp.model if holdout is not None and not sampled else None
    return ModelChoice(cmp.chosen, model, reason, cmp, sampled, calibration)


def summarise(tx: Transactions, a: Assumptions, *, later: str = "error") -> pd.DataFrame:
    """The per-customer summary (:func:`cltv_xl.summary.rfm_summary`) in the model unit.

    Orders dated after ``as_of``: ``later="error"`` (the report: the file is read with the
    same ``as_of``, so they are already listed as data issues and none may remain) or
    ``"ignore"`` (the worksheet functions, where ``as_of`` is a calibration end: later orders
    are left out of the summary, as :func:`~cltv_xl.summary.rfm_summary` does)."""
    if not isinstance(tx, Transactions):
        raise InputError("the pipeline needs Transactions from cltv_xl.read_transactions; "
                         f"got {type(tx).__name__}")
    if len(tx.data) == 0:
        raise InputError("there are no usable transactions: every row was rejected (see the "
                         "data issues)")
    summary = rfm_summary(tx, as_of=a.as_of, time_unit=a.time_unit)
    end = pd.Timestamp(summary.attrs["as_of"])
    late = int((tx.data["date"] > end).sum())
    if late and later == "error":
        raise InputError(f"{late} transactions are dated after as_of {end.date()}; read the "
                         "file with the same as_of so they are listed as data issues")
    return summary


def run(
    tx: Transactions,
    assumptions: Assumptions | None = None,
    *,
    steps: Collection[str] = STEPS,
    later: str = "error",
    progress: Progress | None = None,
    memo: Callable[[str, Callable[[], Any]], Any] | None = None,
) -> PipelineResult:
    """Compute the summary and the requested ``steps`` (default: all of :data:`STEPS`).

    A step that cannot be computed (a model that cannot be fitted, KPIs without any churned
    customer) is recorded in ``failures`` with its error; the steps that depend on it are
    skipped. Bad arguments and unusable data still raise :class:`InputError` at once.
    Warnings raised by the models are passed on once each and kept in ``warnings``.
    ``later``: what to do with orders after ``as_of`` (see :func:`summarise`).
    ``memo(label, build)``: optional store for the fitted models (``label`` is
    ``"purchase_model"`` or ``"spend_model"``); the worksheet functions pass their cache, keyed
    by the input cells, so cells with other horizons or margins on the same ranges fit once.
    """
    a = assumptions if assumptions is not None else Assumptions()
    unknown = set(steps) - set(STEPS)
    if unknown:
        raise ValueError(f"unknown pipeline steps {sorted(unknown)}; known: {STEPS}")
    report = progress or (lambda _msg: None)
    big = len(getattr(tx, "data", ())) >= BIG_ROWS

    def say(message: str) -> None:
        if big:  # the temporaries of the step before are freed: hand their pages back
            release_freed_memory()
        report(message)

    say("summarising customers")
    summary = summarise(tx, a, later=later)
    end = pd.Timestamp(summary.attrs["as_of"])
    res = PipelineResult(assumptions=a, transactions=tx, summary=summary, as_of=end)
    if a.holdout_start is not None and "tracking" in steps and not a.holdout_start < end:
        raise InputError(f"holdout_start {a.holdout_start.date()} must be before the as-of date "
                         f"{end.date()}")

    if "kpis" in steps:
        say("computing KPIs")
        res.customer_kpis = metrics.customer_kpi_table(
            summary, as_of=end, inactivity=a.inactivity, period=a.kpi_period)
        _attempt(res, "kpis", lambda: metrics.kpis_from_table(res.customer_kpis))

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if {"purchase_model", "spend_model", "predictions"} & set(steps) and a.model != "none":
            say("fitting the purchase and spend models")
            _fit_models(res, steps, memo or (lambda _label, build: build()))
        if "tracking" in steps and a.holdout_start is not None and a.model != "none":
            _attempt(res, "tracking", lambda: _tracking(res))
    _pass_on(res, caught)

    if "cohorts" in steps:
        from .cohort_tables import cohorts

        say("segments and cohorts")
        res.cohorts = cohorts(tx, "M", as_of=end)
    if "subscription" in steps:
        from .business import decide_business, fit_subscription

        res.business = decide_business(tx, a.business)
        if res.business.subscription:
            say("fitting the sBG retention model")
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                _attempt(res, "subscription", lambda: fit_subscription(tx, end))
            _pass_on(res, caught)
            if "subscription" in res.failures:
                res.failures["sbg"] = res.failures.pop("subscription")
    if big:
        release_freed_memory()
    return res


def _attempt(res: PipelineResult, step: str, compute: Callable[[], Any]) -> None:
    """Set ``res.<step>`` to ``compute()``, or record why it failed."""
    try:
        setattr(res, step, compute())
    except (CltvError, ValueError, FloatingPointError, ArithmeticError) as exc:
        res.failures[step] = exc


def _fit_models(res: PipelineResult, steps: Collection[str],
                memo: Callable[[str, Callable[[], Any]], Any]) -> None:
    from .models import GammaGamma, predict_clv

    a, summary = res.assumptions, res.summary
    def fit_purchase():
        res.choice = memo("purchase_model", lambda: choose_purchase_model(res))
        if res.choice.model is None:
            raise FitError(res.choice.reason)
        return res.choice.model

    _attempt(res, "purchase_model", fit_purchase)
    keep = spend_fit_mask(summary)
    res.spend_customers = int(keep.sum())
    if {"spend_model", "predictions"} & set(steps) and not keep.any():
        # Say why in the user's words rather than the model's "no customers".
        res.failures["spend_model"] = FitError(
            "Gamma-Gamma needs repeat buyers with a positive mean spend, and there are none "
            f"among the {len(summary):,} customers (spend is learned from repeat purchases)")
    elif {"spend_model", "predictions"} & set(steps):
        x = summary["frequency"].to_numpy()[keep]
        m = summary["monetary_value"].to_numpy(dtype=np.float64)[keep]
        _attempt(res, "spend_model", lambda: memo("spend_model", lambda: GammaGamma().fit(x, m)))
    if "predictions" not in steps:
        return
    missing = [s for s in ("purchase_model", "spend_model") if s in res.failures]
    if missing:
        res.failures["predictions"] = FitError(
            f"no predictions: the {' and '.join(missing).replace('_', ' ')} could not be "
            f"fitted ({res.failures[missing[0]]})")
        return
    _attempt(res, "predictions", lambda: predict_clv(
        res.purchase_model, res.spend_model, _spend_inputs(summary, keep, res.spend_model),
        horizon=a.horizon, time_unit=a.horizon_unit, discount_rate=a.discount_per_horizon_unit,
        margin=a.margin))


def _spend_inputs(summary: pd.DataFrame, keep: np.ndarray, spend_model) -> pd.DataFrame:
    """The summary the predictions read spend from: a repeat buyer left out of the spend fit
    (mean spend <= 0) is predicted with the population mean spend p*v/(q-1), as a customer
    with no usable spend history is (Fader & Hardie 2013: the Gamma-Gamma conditional mean is
    defined for positive spend only)."""
    excluded = (summary["frequency"].to_numpy() > 0) & ~keep
    if not excluded.any():
        return summary
    out = summary.copy()
    m = out["monetary_value"].to_numpy(dtype=np.float64, copy=True)
    m[excluded] = spend_model.mean_spend()
    out["monetary_value"] = m
    return out


def _tracking(res: PipelineResult):
    """Holdout tracking: a purchase model fitted up to ``holdout_start`` against the actual
    repeat purchases after it (:func:`cltv_xl.models.tracking`, FHL 2005 Figure 2)."""
    from .models import tracking

    a = res.assumptions
    choice = res.choice
    if choice is not None and choice.calibration_model is not None:
        model = choice.calibration_model  # already fitted up to holdout_start by the choice
    else:  # the chosen (or named) model's class, fitted on the orders up to holdout_start
        named = choice is not None and choice.key
        model = _new_model(choice.key) if named else purchase_model(res.summary, a)
    result = tracking(model, res.transactions.data, a.holdout_start, res.as_of, a.time_unit)
    res.tracking_model = model  # the calibration fit, shown on the Model sheet
    return result


def _pass_on(res: PipelineResult, caught: list[warnings.WarningMessage]) -> None:
    seen: set[str] = set()
    for w in caught:  # pass each on once; the result keeps cltv-xl's own (JSON "warnings")
        text = str(w.message)
        if text not in seen:
            seen.add(text)
            if issubclass(w.category, CltvWarning):
                res.warnings.append(text)
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
