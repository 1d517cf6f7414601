"""Contract tests run over every model class, in the spirit of scikit-learn's estimator_checks
(issue 8 item 6): fit returns self, an unfitted model raises, the constructor parameters round
trip (``sklearn.base.clone``'s protocol), weights equal duplicated rows, standard errors are
finite on CDNOW, and parameters are recovered from data simulated with known parameters
(the truth lies within 4 of the fit's own standard errors).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import model_sim
import numpy as np
import pandas as pd
import pytest

from cltv_xl.errors import InputError
from cltv_xl.models import BGBB, BGNBD, MBGNBD, SBG, GammaGamma, ParetoNBD

DATA = Path(__file__).parent / "data"


def _cdnow_rfm():
    pub = pd.read_csv(DATA / "cdnow_customers_summary.csv")
    return pub["frequency"], pub["recency"], pub["T"]


def _donations():
    from datasets_ref import load_donations

    d = load_donations()
    reps = d["weights"].to_numpy()
    return tuple(np.repeat(d[c].to_numpy(float), reps) for c in ("frequency", "recency",
                                                                  "periods"))


def _cdnow_spend():
    pub = pd.read_csv(DATA / "cdnow_customers_summary_with_transactions.csv")
    rep = pub[pub["x"] > 0]
    return rep["x"], rep["zbar"]


def _sbg_cohorts():
    """The two cohorts of Fader & Hardie (2007), years 0-7 ("regular", "high end"), and three
    more simulated ones, so that cohorts can be sampled and duplicated like customers."""
    rng = np.random.default_rng(7)
    sims = [model_sim.sbg(rng, 800, 0.7, 1.2, 7)[0] for _ in range(3)]
    return (np.array([[1000, 631, 468, 382, 326, 289, 262, 241],
                      [1000, 869, 743, 653, 593, 551, 517, 491], *sims], dtype=float),)


@dataclass
class Spec:
    cls: type
    cdnow: Callable[[], tuple]
    truth: dict[str, float]
    simulate: Callable[[np.random.Generator, int], tuple]
    n_sim: int = 20_000
    #: (x, t_x, T) of a few customers for the conditional count distribution
    history: tuple = ([0, 1, 3, 7], [0, 5.0, 30.0, 35.0], [38.0] * 4)
    horizon: float = 13.0


SPECS = [
    Spec(BGNBD, _cdnow_rfm, {"r": 0.5, "alpha": 6.0, "a": 0.7, "b": 2.5},
         lambda rng, n: model_sim.bgnbd(rng, n, 0.5, 6.0, 0.7, 2.5)),
    Spec(MBGNBD, _cdnow_rfm, {"r": 0.5, "alpha": 6.0, "a": 0.7, "b": 2.5},
         lambda rng, n: model_sim.bgnbd(rng, n, 0.5, 6.0, 0.7, 2.5, modified=True)),
    Spec(BGBB, _donations, {"alpha": 1.2, "beta": 0.75, "gamma": 0.66, "delta": 2.8},
         lambda rng, n: model_sim.bgbb(rng, n, 1.2, 0.75, 0.66, 2.8),
         history=([0, 1, 3, 5], [0, 2, 4, 6], [6] * 4), horizon=5),
    Spec(ParetoNBD, _cdnow_rfm, {"r": 0.5, "alpha": 6.0, "s": 0.8, "beta": 10.0},
         lambda rng, n: model_sim.paretonbd(rng, n, 0.5, 6.0, 0.8, 10.0)),
    Spec(GammaGamma, _cdnow_spend, {"p": 6.0, "q": 4.0, "v": 15.0},
         lambda rng, n: model_sim.gammagamma(rng, n, 6.0, 4.0, 15.0)),
    Spec(SBG, _sbg_cohorts, {"alpha": 0.7, "beta": 1.2},
         lambda rng, n: model_sim.sbg(rng, n, 0.7, 1.2)),
]
IDS = [s.cls.__name__ for s in SPECS]


def _fit(model, args, weights=None):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a clean fit on these data: any warning is a failure
        return model.fit(*args, weights=weights)


@pytest.fixture(scope="module", params=SPECS, ids=IDS)
def fitted_cdnow(request):
    spec = request.param
    return spec, _fit(spec.cls(), spec.cdnow())


def test_fit_returns_self_and_fitted_state_ends_in_underscore(fitted_cdnow):
    spec, _ = fitted_cdnow
    model = spec.cls()
    before = set(vars(model))
    assert _fit(model, spec.cdnow()) is model
    new = set(vars(model)) - before
    assert new and all(k.endswith("_") and not k.startswith("_") for k in new), new
    for attr in ("params_", "standard_errors_", "log_likelihood_", "converged_",
                 "poorly_identified_", "fit_warnings_", "n_customers_"):
        assert hasattr(model, attr), attr
    assert model.converged_ and model.poorly_identified_ == () and model.fit_warnings_ == []


def test_unfitted_model_raises(fitted_cdnow):
    spec, _ = fitted_cdnow
    model = spec.cls()
    assert not model.is_fitted
    with pytest.raises(InputError, match="not fitted"):
        model.check_fitted()
    with pytest.raises(InputError, match="not fitted"):
        model.summary_frame()
    predictors = [m for m in ("p_alive", "expected_purchases", "expected_spend") if
                  hasattr(model, m)]
    for name in predictors:
        with pytest.raises(InputError, match="not fitted"):
            getattr(model, name)(*([1.0] * (4 if name == "expected_purchases" else
                                            2 if name == "expected_spend" else 3)))


def test_get_set_params_clone_protocol(fitted_cdnow):
    _, fitted = fitted_cdnow
    params = fitted.get_params()
    assert params == {"penalizer": 0.0}
    # what sklearn.base.clone does: construct from get_params(deep=False), check identity
    clone = type(fitted)(**fitted.get_params(deep=False))
    for k, v in clone.get_params(deep=False).items():
        assert v is params[k]
    assert not clone.is_fitted
    assert clone.set_params(penalizer=0.01) is clone and clone.penalizer == 0.01
    with pytest.raises(InputError, match="no parameter"):
        clone.set_params(nope=1)
    with pytest.raises(InputError, match="penalizer"):
        clone.set_params(penalizer=-1)


def test_weights_equal_duplicated_rows(fitted_cdnow):
    spec, _ = fitted_cdnow
    rng = np.random.default_rng(3)
    full = [np.asarray(a, dtype=float) for a in spec.cdnow()]
    rows = rng.choice(len(full[0]), min(400, len(full[0])), replace=False)
    args = [a[rows] for a in full]
    w = rng.integers(1, 4, len(rows))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a small sample may be poorly identified: same for both
        by_weight = spec.cls().fit(*args, weights=w)
        dup = spec.cls().fit(*[np.repeat(a, w, axis=0) for a in args])
    assert by_weight.poorly_identified_ == dup.poorly_identified_
    for k in spec.cls.param_names:
        assert by_weight.params_[k] == pytest.approx(dup.params_[k], rel=1e-5), k
        assert by_weight.standard_errors_[k] == pytest.approx(dup.standard_errors_[k], rel=1e-3)
    assert by_weight.log_likelihood_ == pytest.approx(dup.log_likelihood_, rel=1e-10)
    assert by_weight.n_customers_ == dup.n_customers_
    if spec.cls is not SBG:  # a weighted SBG row is a cohort: n_customers_ counts its members
        assert by_weight.n_customers_ == w.sum()


def test_standard_errors_finite_on_cdnow(fitted_cdnow):
    _, model = fitted_cdnow
    se = np.array(list(model.standard_errors_.values()))
    assert np.all(np.isfinite(se)) and np.all(se > 0)
    frame = model.summary_frame()
    assert list(frame.index) == list(model.param_names)


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_parameters_recovered_from_simulation(spec):
    rng = np.random.default_rng(20240601)
    args = spec.simulate(rng, spec.n_sim)
    model = _fit(spec.cls(), args)
    for k, true in spec.truth.items():
        est, se = model.params_[k], model.standard_errors_[k]
        assert abs(est - true) < 4 * se, (k, est, se, true)


PREDICTORS = [s for s in SPECS if hasattr(s.cls, "p_alive") or hasattr(s.cls, "expected_spend")]


@pytest.mark.parametrize("spec", PREDICTORS, ids=[s.cls.__name__ for s in PREDICTORS])
def test_series_in_series_out(spec):
    model = _fit(spec.cls(), spec.cdnow())
    args = [pd.Series(np.asarray(a)[-5:], index=list("abcde")) for a in spec.cdnow()]
    outs = []
    if hasattr(model, "p_alive"):
        outs += [model.p_alive(*args), model.expected_purchases(spec.horizon, *args),
                 model.expected_purchases_if_alive(spec.horizon, args[0], args[2]),
                 model.prob_purchases_conditional(1, spec.horizon, *args)]
    if hasattr(model, "expected_spend"):
        outs.append(model.expected_spend(*args))
    assert outs
    for out in outs:
        assert isinstance(out, pd.Series) and list(out.index) == list("abcde")
    plain = [np.asarray(a) for a in args]
    if hasattr(model, "p_alive"):
        assert isinstance(model.p_alive(*plain), np.ndarray)


PURCHASE = [s for s in SPECS if hasattr(s.cls, "p_alive")]


@pytest.mark.parametrize("spec", PURCHASE, ids=[s.cls.__name__ for s in PURCHASE])
def test_conditional_count_distribution_sums_to_one_and_to_the_mean(spec):
    """P(X(t) = n | x, t_x, T) over n = 0..N sums to 1 and its mean is expected_purchases."""
    model = _fit(spec.cls(), spec.cdnow())
    x, tx, T = (np.array(v, dtype=float) for v in spec.history)
    n = np.arange(0, 200)[:, None]
    pmf = model.prob_purchases_conditional(n, spec.horizon, x[None], tx[None], T[None])
    np.testing.assert_allclose(pmf.sum(axis=0), 1.0, atol=1e-7)
    mean = (n * pmf).sum(axis=0)
    np.testing.assert_allclose(mean, model.expected_purchases(spec.horizon, x, tx, T), rtol=1e-6)
