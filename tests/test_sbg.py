"""The shifted-beta-geometric model against Fader & Hardie's published figures.

Sources:
* FH 2007 = Fader & Hardie (2007), "How to project customer retention", Journal of Interactive
  Marketing 21(1), 76-90. Its two cohorts of 1,000 customers (Table 1), survivors at the start
  of years 0-12; the model is fitted on years 0-7 and years 8-12 are the holdout:
    regular:  1000 631 468 382 326 289 262 241 | 223 207 194 183 173
    high end: 1000 869 743 653 593 551 517 491 | 468 445 427 409 394
  Published estimates: regular alpha = 0.704, beta = 1.182; high end alpha = 0.668,
  beta = 3.806 (note: "regular" has the lower retention, hence the larger churn
  alpha / (alpha + beta) = 0.373 against 0.149).
* The projected high-end survival for years 8-12, 46.0%, 43.6%, 41.4%, 39.5%, 37.8%, and the
  high-end DERL(d = 0.1) after 7 renewals, 7.530, are the figures quoted from the paper by the
  reference implementation jdmaturen/shifted_beta_geometric_py (README), a cross-check only.
* FH 2010 = Fader & Hardie (2010), "Customer-base valuation in a contractual setting: the
  perils of ignoring heterogeneity", Marketing Science 29(1), eq. 6 (DERL). No published DERL
  table was available here, so DERL is checked against two independent computations: the
  brute-force sum of discounted survival probabilities and a numerical integral over theta.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from scipy import integrate, optimize, stats

from cltv_xl.errors import FitError, InputError
from cltv_xl.models import SBG, ModelWarning
from cltv_xl.models.sbg import sbg_derl, sbg_expected_lifetime, sbg_retention, sbg_survival

REGULAR = [1000, 631, 468, 382, 326, 289, 262, 241]
HIGH_END = [1000, 869, 743, 653, 593, 551, 517, 491]
REGULAR_HOLDOUT = [223, 207, 194, 183, 173]
HIGH_END_HOLDOUT = [468, 445, 427, 409, 394]
PUBLISHED = {"regular": (0.704, 1.182), "high end": (0.668, 3.806)}


def brute_loglik(alpha: float, beta: float, survivors: list[int]) -> float:
    """FH 2007 appendix likelihood written out term by term with math.lgamma."""

    def lbeta(a: float, b: float) -> float:
        return math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)

    ll = 0.0
    for t in range(1, len(survivors)):
        p = math.exp(lbeta(alpha + 1, beta + t - 1) - lbeta(alpha, beta))
        ll += (survivors[t - 1] - survivors[t]) * math.log(p)
    n = len(survivors) - 1
    return ll + survivors[-1] * (lbeta(alpha, beta + n) - lbeta(alpha, beta))


@pytest.mark.parametrize(("name", "data"), [("regular", REGULAR), ("high end", HIGH_END)])
def test_fit_reproduces_the_published_estimates(name, data):
    m = SBG().fit(data)
    alpha, beta = PUBLISHED[name]
    assert round(m.params_["alpha"], 3) == alpha
    assert round(m.params_["beta"], 3) == beta
    assert m.converged_
    # The log-likelihood is the appendix formula at the estimate, and no point near it is higher.
    assert m.log_likelihood_ == pytest.approx(brute_loglik(alpha, beta, data), abs=0.01)
    ind = optimize.minimize(
        lambda x: -brute_loglik(x[0], x[1], data), [1.0, 1.0], method="Nelder-Mead",
        options={"xatol": 1e-8, "fatol": 1e-10, "maxiter": 5000},
    )
    assert m.params_["alpha"] == pytest.approx(ind.x[0], rel=1e-4)
    assert m.params_["beta"] == pytest.approx(ind.x[1], rel=1e-4)
    assert m.log_likelihood_ == pytest.approx(-ind.fun, abs=1e-6)


def test_standard_errors_are_the_inverse_observed_information():
    m = SBG().fit(HIGH_END)
    a, b = m.params_["alpha"], m.params_["beta"]
    h = 1e-4

    def f(x, y):
        return -brute_loglik(x, y, HIGH_END)

    # Central second differences of the brute-force likelihood (an independent Hessian).
    haa = (f(a + h, b) - 2 * f(a, b) + f(a - h, b)) / h**2
    hbb = (f(a, b + h) - 2 * f(a, b) + f(a, b - h)) / h**2
    hab = (f(a + h, b + h) - f(a + h, b - h) - f(a - h, b + h) + f(a - h, b - h)) / (4 * h * h)
    cov = np.linalg.inv([[haa, hab], [hab, hbb]])
    assert m.standard_errors_["alpha"] == pytest.approx(math.sqrt(cov[0, 0]), rel=1e-3)
    assert m.standard_errors_["beta"] == pytest.approx(math.sqrt(cov[1, 1]), rel=1e-3)


def test_projection_of_years_8_to_12():
    high = SBG().fit(HIGH_END)
    projected = high.survival(np.arange(8, 13))
    # The figures quoted from FH 2007 (see the module docstring), to their 3 decimals.
    assert np.round(projected, 3).tolist() == [0.460, 0.436, 0.414, 0.395, 0.378]
    regular = SBG().fit(REGULAR)
    for model, actual, tol in ((high, HIGH_END_HOLDOUT, 0.045), (regular, REGULAR_HOLDOUT, 0.02)):
        # FH 2007's point: the sBG fitted on years 0-7 tracks the holdout years 8-12 closely:
        # within 2% of the actual survivors for regular, 4.5% for high end (under-projected).
        proj = 1000 * model.survival(np.arange(8, 13))
        assert np.all(np.abs(proj / np.array(actual) - 1) < tol)
        assert np.all(proj < np.array(actual))
        # Survival is the product of the retention rates (FH 2007, eq. 8), computed one by one.
        prod = np.cumprod([model.retention_rate(t) for t in range(1, 13)])
        assert model.survival(np.arange(1, 13)) == pytest.approx(prod, rel=1e-12)


def test_retention_rises_with_tenure_and_matches_eq_8():
    a, b = PUBLISHED["regular"]
    r = sbg_retention(a, b, np.arange(1, 6))
    assert np.all(np.diff(r) > 0)
    assert r[0] == pytest.approx(b / (a + b))
    assert sbg_retention(a, b, 3) == pytest.approx((b + 2) / (a + b + 2))
    assert sbg_survival(a, b, 0) == 1.0


def brute_derl(alpha: float, beta: float, d: float, n: int, terms: int = 20_000) -> float:
    """Sum over future renewals k = 0, 1, ... of P(alive | n renewals) discounted by (1+d)^-k,
    where E[(1 - theta)^(k+1)] under the posterior beta(alpha, beta + n) is a ratio of beta
    functions (scipy.special.betaln)."""
    from scipy.special import betaln

    k = np.arange(terms, dtype=float)
    surv = np.exp(betaln(alpha, beta + n + k + 1) - betaln(alpha, beta + n))
    return float(np.sum(surv * np.exp(-k * np.log1p(d))))


def integral_derl(alpha: float, beta: float, d: float, n: int) -> float:
    """The individual-level DERL (1 - theta)(1 + d) / (d + theta) averaged over the posterior
    beta(alpha, beta + n) of the survivors' churn probabilities, by numerical integration."""
    dist = stats.beta(alpha, beta + n)
    value, _ = integrate.quad(
        lambda th: (1 - th) * (1 + d) / (d + th) * dist.pdf(th), 0, 1, limit=200, points=[1e-6]
    )
    return value


@pytest.mark.parametrize("name", ["regular", "high end"])
@pytest.mark.parametrize("d", [0.1, 0.01])
@pytest.mark.parametrize("n", [0, 1, 4, 7])
def test_derl_closed_form_matches_brute_force(name, d, n):
    a, b = PUBLISHED[name]
    closed = sbg_derl(a, b, d, n)
    terms = 20_000 if d == 0.1 else 200_000
    assert closed == pytest.approx(brute_derl(a, b, d, n, terms), rel=1e-6)
    assert closed == pytest.approx(integral_derl(a, b, d, n), rel=1e-5)


def test_derl_cross_check_and_vector_form():
    m = SBG().fit(HIGH_END)
    assert round(float(m.derl(0.1, 7)), 3) == 7.530  # jdmaturen's quoted figure
    vec = m.derl(0.1, np.arange(4))
    assert vec.shape == (4,)
    assert np.all(np.diff(vec) > 0)  # survivors are the loyal ones: DERL grows with renewals
    # Without heterogeneity (alpha, beta huge with the same mean churn) DERL is the
    # geometric-lifetime formula (1 - c)(1 + d) / (d + c).
    c, d = 0.2, 0.1
    homogeneous = (1 - c) * (1 + d) / (d + c)
    assert sbg_derl(c * 1e7, (1 - c) * 1e7, d, 3) == pytest.approx(homogeneous, rel=1e-5)


def test_derl_undiscounted_and_infinite_cases():
    brute = brute_derl(2.0, 3.0, 0.0, 2, 2_000_000)
    assert sbg_derl(2.0, 3.0, 0, 2) == pytest.approx(brute, rel=1e-3)
    assert sbg_derl(2.0, 3.0, 0, 2) == pytest.approx((3 + 2) / (2 - 1))
    with pytest.raises(InputError, match="infinite"):
        sbg_derl(0.7, 1.2, 0, 1)
    with pytest.raises(InputError, match="discount_rate"):
        sbg_derl(0.7, 1.2, -0.1, 1)


def test_expected_lifetime_finite_infinite_and_with_horizon():
    # alpha > 1: E[1/theta] = (alpha + beta - 1) / (alpha - 1), checked by summing S(t).
    a, b = 3.0, 5.0
    expected = (a + b - 1) / (a - 1)
    assert sbg_expected_lifetime(a, b) == pytest.approx(expected)
    assert sbg_expected_lifetime(a, b, 200_000) == pytest.approx(expected, rel=1e-4)
    # Both published cohorts have alpha < 1: the mean lifetime is infinite, and we say so.
    m = SBG().fit(REGULAR)
    with pytest.raises(InputError, match="infinite"):
        m.expected_lifetime()
    # Within a horizon it is finite: the sum of S(0..H-1); longer than 1 / churn.
    five = m.expected_lifetime(5)
    assert five == pytest.approx(1 + sum(m.survival(t) for t in range(1, 5)))
    assert m.expected_lifetime(100) > 1 / m.churn_rate()


def test_several_cohorts_and_weights():
    one = SBG().fit(HIGH_END)
    # Two identical cohorts: same estimates, twice the log-likelihood.
    two = SBG().fit([HIGH_END, HIGH_END])
    assert two.params_ == pytest.approx(one.params_, rel=1e-5)
    assert two.log_likelihood_ == pytest.approx(2 * one.log_likelihood_)
    weighted = SBG().fit([HIGH_END], weights=[2])
    assert weighted.log_likelihood_ == pytest.approx(2 * one.log_likelihood_)
    # Cohorts of different lengths, as a list and as a NaN-padded table, give the same fit, and
    # the log-likelihood is the sum of each cohort's own.
    short = HIGH_END[:5]
    both = SBG().fit([HIGH_END, short])
    table = np.array([HIGH_END, short + [np.nan] * 3], dtype=float)
    assert SBG().fit(table).params_ == pytest.approx(both.params_, rel=1e-6)
    a, b = both.params_["alpha"], both.params_["beta"]
    separate = brute_loglik(a, b, HIGH_END) + brute_loglik(a, b, short)
    assert both.log_likelihood_ == pytest.approx(separate)
    assert both.n_customers_ == 2000


def test_bad_input_gives_one_line_errors():
    with pytest.raises(InputError, match="must not increase"):
        SBG().fit([1000, 800, 850, 700])
    with pytest.raises(InputError, match="cohort size"):
        SBG().fit([0, 0, 0])
    with pytest.raises(InputError, match="blank at period 1"):
        SBG().fit(np.array([[1000, np.nan, 500], [1000, 800, 700]]))
    with pytest.raises(FitError, match="two renewal periods"):
        SBG().fit([1000, 600])
    with pytest.raises(FitError, match="no customer cancelled"):
        SBG().fit([100, 100, 100])
    with pytest.raises(FitError, match="first renewal"):
        SBG().fit([100, 0, 0])
    with pytest.raises(InputError, match="weights"):
        SBG().fit([HIGH_END], weights=[1, 2])
    with pytest.raises(InputError, match="not fitted"):
        SBG().survival(1)
    with pytest.raises(InputError, match="alpha"):
        sbg_survival(0, 1, 1)
    with pytest.raises(InputError, match="whole numbers"):
        sbg_survival(1, 1, 1.5)


def test_proportions_fit_but_warn_about_standard_errors():
    with pytest.warns(ModelWarning, match="proportions"):
        m = SBG().fit([s / 1000 for s in HIGH_END])
    assert round(m.params_["alpha"], 3) == 0.668
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        SBG().fit(HIGH_END)


def test_summary_and_repr():
    m = SBG().fit(REGULAR)
    frame = m.summary_frame()
    assert list(frame.index) == ["alpha", "beta"]
    assert repr(m).startswith("SBG(alpha=0.704")
