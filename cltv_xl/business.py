"""Is this a subscription business? The one rule that decides, and the retention facts.

A subscription customer pays once every period until it cancels; a transactional (retail)
customer buys when it likes. The report fits the shifted-beta-geometric model (sBG; Fader &
Hardie 2007) on the monthly cohort survival table only for subscription-like data. The choice
is ``Assumptions.business``: ``"subscription"``, ``"transactional"`` or ``"auto"`` (default),
which applies :func:`detect_business`:

**The rule (auto).** Look at the customers with at least :data:`MIN_PAYMENTS` payments
(distinct days with an amount > 0). Such a customer is a *regular monthly payer* when it paid
exactly once in every calendar month from its first payment to its last (no month skipped, no
second payment in a month) and the gaps between its payments vary little: their coefficient
of variation (standard deviation / mean, in days) is at most :data:`MAX_GAP_CV` (billing on the
same day of every month gives 28-31 days, a CV of about 0.04). The data are subscription-like
when at least :data:`MIN_REGULAR_SHARE` of those customers are regular monthly payers and there
are at least :data:`MIN_CANDIDATES` of them; otherwise transactional. The sentence saying which
way the rule went, with the counts, is :attr:`BusinessDecision.rule` (shown on the Retention
sheet and in the JSON).

On Fader & Hardie's CDNOW sample (retail CD purchases) 1 of the 736 customers with three or
more purchase days qualifies: transactional. On the sample SaaS invoices
(:func:`cltv_xl.datasets.subscription_invoices`) every one of them does.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from .assumptions import BUSINESS_CHOICES
from .transactions import customer_codes, distinct_pairs, transaction_frame
from .validation import choice

__all__ = [
    "BUSINESS_CHOICES",
    "MAX_GAP_CV",
    "MIN_CANDIDATES",
    "MIN_PAYMENTS",
    "MIN_REGULAR_SHARE",
    "BusinessDecision",
    "decide_business",
    "detect_business",
]

#: Payments (distinct days with amount > 0) a customer needs for the rule to look at it.
MIN_PAYMENTS = 3
#: Largest coefficient of variation of a regular payer's gaps between payments (in days).
MAX_GAP_CV = 0.1
#: Share of the customers looked at who must be regular monthly payers.
MIN_REGULAR_SHARE = 0.5
#: Fewest customers with :data:`MIN_PAYMENTS` payments for the rule to say "subscription".
MIN_CANDIDATES = 20


@dataclass(frozen=True)
class BusinessDecision:
    """What the report treats the data as, and why.

    ``kind``: ``"subscription"`` or ``"transactional"``. ``how``: ``"asked"`` (the
    ``business`` assumption named it) or ``"detected"`` (the rule of :func:`detect_business`).
    ``rule``: one sentence naming the rule and the counts. ``customers``: customers with a
    payment; ``candidates``: those with :data:`MIN_PAYMENTS`+ payments; ``regular``: the
    regular monthly payers among them (``None`` when the rule was not run).
    """

    kind: str
    how: str
    rule: str
    customers: int | None = None
    candidates: int | None = None
    regular: int | None = None

    @property
    def subscription(self) -> bool:
        return self.kind == "subscription"

    def as_dict(self) -> dict:
        return asdict(self)


def _regular_payers(data: pd.DataFrame, codes: np.ndarray) -> tuple[int, int, int]:
    """(customers with a payment, customers with MIN_PAYMENTS+ payments, regular ones);
    ``codes``: the customer of each row of ``data`` (:func:`customer_codes`)."""
    paid = data["amount"].to_numpy(dtype=np.float64) > 0
    n_codes = int(codes.max()) + 1 if len(codes) else 0
    days = data["date"].to_numpy(dtype="datetime64[D]")[paid].astype(np.int64)
    cust, day = distinct_pairs(codes[paid], days)  # sorted by customer, then day
    n = np.bincount(cust, minlength=n_codes)
    month = day.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    same = np.r_[False, cust[1:] == cust[:-1]]  # row continues the customer above
    gap = np.where(same, np.r_[0, np.diff(day)], 0).astype(np.float64)
    step = np.where(same, np.r_[0, np.diff(month)], 1)
    # Once a month, every month: each step to the next payment is exactly one calendar month.
    irregular = np.bincount(cust, weights=(same & (step != 1)), minlength=n_codes) > 0
    s1 = np.bincount(cust, weights=gap, minlength=n_codes)
    s2 = np.bincount(cust, weights=gap * gap, minlength=n_codes)
    cand = n >= MIN_PAYMENTS
    regular = cand & ~irregular & steady_gaps(n, s1, s2)
    return int((n > 0).sum()), int(cand.sum()), int(regular.sum())


def steady_gaps(n: np.ndarray, s1: np.ndarray, s2: np.ndarray) -> np.ndarray:
    """True where the gaps between a customer's ``n`` payment days, with sum ``s1`` and sum
    of squares ``s2`` (days), have a coefficient of variation of at most :data:`MAX_GAP_CV`.
    The one formula of the rule, for numpy here and for the engines' SQL sums."""
    k = np.maximum(np.asarray(n, dtype=np.float64) - 1, 1)
    mean = np.asarray(s1, dtype=np.float64) / k
    var = np.maximum(np.asarray(s2, dtype=np.float64) / k - mean * mean, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        cv = np.where(mean > 0, np.sqrt(var) / mean, np.inf)
    return cv <= MAX_GAP_CV


def detect_business(tx) -> BusinessDecision:
    """Apply the rule of this module to transactions (or a transaction frame)."""
    data = transaction_frame(tx, "detect_business")
    counts = _regular_payers(data, customer_codes(tx, sort=False)[0])
    return business_from_counts(*counts)


def business_from_counts(customers: int, candidates: int, regular: int) -> BusinessDecision:
    """The rule's verdict from its counts: customers with a payment, those with
    :data:`MIN_PAYMENTS` or more, and the regular monthly payers among them (counted by
    :func:`detect_business` in numpy, or by an engine in SQL)."""
    share = regular / candidates if candidates else 0.0
    counts = (f"{regular:,} of the {candidates:,} customers with {MIN_PAYMENTS} or more "
              f"payments ({share:.0%}) paid once in every calendar month, with gaps varying "
              f"by at most {MAX_GAP_CV:.0%}")
    threshold = (f"the rule needs at least {MIN_REGULAR_SHARE:.0%} of at least "
                 f"{MIN_CANDIDATES} such customers")
    if candidates >= MIN_CANDIDATES and share >= MIN_REGULAR_SHARE:
        kind, verdict = "subscription", "Detected as a subscription business"
    else:
        kind, verdict = "transactional", "Not detected as a subscription business"
    return BusinessDecision(kind, "detected", f"{verdict}: {counts}; {threshold}.",
                            customers, candidates, regular)


def decide_business(tx, business: str = "auto") -> BusinessDecision:
    """The decision for ``business`` (a :data:`BUSINESS_CHOICES` value): the rule when
    ``"auto"``, else what was asked (the rule is not run)."""
    value = choice(business, "business", {c: c for c in BUSINESS_CHOICES},
                   "one of " + ", ".join(BUSINESS_CHOICES))
    if value == "auto":
        return detect_business(tx)
    return BusinessDecision(value, "asked", f"Treated as a {value} business because it was "
                            f"asked for (business = {value}); the detection rule was not "
                            "applied.")


@dataclass
class SubscriptionFit:
    """The subscription figures of a report (:func:`fit_subscription`).

    ``table``: the monthly cohort survival table
    (:func:`cltv_xl.cohort_tables.subscription_survival`). ``model``: the sBG fitted on all
    its cohorts at once (``SBG().fit(table.survivors)``). ``arpu``: net revenue of the complete
    months divided by the customer-months paid in them (revenue per paying customer per
    month). ``churn``: the one monthly churn rate that fits the cohorts best if every customer
    had the same churn (the geometric maximum-likelihood estimate): customers lost / renewal
    decisions observed. ``lost``, ``at_risk``: those two counts.
    """

    table: object
    model: object
    arpu: float
    churn: float
    lost: float
    at_risk: float
    paid_months: int
    revenue: float


def fit_subscription(tx, as_of) -> SubscriptionFit:
    """Survival table, sBG fit (Fader & Hardie 2007), monthly ARPU and the single churn rate
    of the subscribers in ``tx`` up to ``as_of`` (months: the cohorts' periods)."""
    from .cohort_tables import period_index, subscription_survival

    table = subscription_survival(tx, "M", as_of=as_of)
    data = transaction_frame(tx, "fit_subscription")
    dates = data["date"].to_numpy(dtype="datetime64[ns]")
    month = period_index(dates, "M")
    complete = month <= last_survival_period(table)
    amounts = data["amount"].to_numpy(dtype=np.float64)
    paid = complete & (amounts > 0)
    codes = customer_codes(tx, sort=False)[0]
    paid_months = len(distinct_pairs(codes[paid], month[paid])[0])
    revenue = float(amounts[complete].sum())
    return subscription_fit_from(table, paid_months, revenue)


def last_survival_period(table) -> int:
    """Month number (:func:`cltv_xl.cohort_tables.period_index`) of the last complete month
    of a survival table: its first cohort's month plus its width, minus one."""
    from .cohort_tables import period_index

    first = pd.Timestamp(table.survivors.index[0]).to_datetime64()
    return int(period_index(np.array([first]), "M")[0]) + table.survivors.shape[1] - 1


def subscription_fit_from(table, paid_months: int, revenue: float) -> SubscriptionFit:
    """:class:`SubscriptionFit` from a survival table, the customer-months paid in its
    complete months and their net revenue (counted in numpy by :func:`fit_subscription`, or
    in SQL by an engine)."""
    from . import metrics
    from .models import SBG

    model = SBG().fit(table.survivors)
    surv = table.survivors.to_numpy(dtype=np.float64)
    observed = (~np.isnan(surv)).sum(axis=1)
    lost = at_risk = 0.0
    for row, k in zip(surv, observed, strict=True):
        at_risk += float(row[: k - 1].sum())
        lost += float(row[0] - row[k - 1])
    return SubscriptionFit(
        table=table, model=model,
        arpu=float(metrics.arpu(revenue, paid_months)),
        churn=float(metrics.churn_rate(at_risk, lost)) if at_risk > 0 else float("nan"),
        lost=lost, at_risk=at_risk, paid_months=int(paid_months), revenue=float(revenue))
