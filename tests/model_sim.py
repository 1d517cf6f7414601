"""Simulators that draw customers from the generative stories of the models, with known
parameters, for the parameter-recovery tests (tests/test_models_contract.py).

Each returns per-customer (frequency, recency, T) (or (x, t_x, n) for BG/BB) as arrays. The
stories are those of the papers: BG/NBD (Fader, Hardie & Lee 2005, section 3), MBG/NBD
(Batislam, Denizel & Filiztekin 2007: drop-out also possible at time 0), Pareto/NBD
(Schmittlein, Morrison & Colombo 1987), BG/BB (Fader, Hardie & Shang 2010) and Gamma-Gamma
(Fader & Hardie 2013).
"""

from __future__ import annotations

import numpy as np


def _observation_times(rng: np.random.Generator, n: int, T_max: float) -> np.ndarray:
    # customers acquired at different times: T spread over (T_max/3, T_max]
    return rng.uniform(T_max / 3, T_max, n)


def bgnbd(rng, n, r, alpha, a, b, T_max=52.0, *, modified=False):
    lam = rng.gamma(r, 1.0 / alpha, n)
    p = rng.beta(a, b, n)
    T = _observation_times(rng, n, T_max)
    x = np.zeros(n)
    tx = np.zeros(n)
    alive = np.ones(n, dtype=bool)
    if modified:  # MBG/NBD: may drop out right after the first purchase
        alive &= rng.random(n) >= p
    t = np.zeros(n)
    while alive.any():
        i = np.flatnonzero(alive)
        t[i] += rng.exponential(1.0 / np.maximum(lam[i], 1e-300))
        inside = t[i] <= T[i]
        alive[i[~inside]] = False
        j = i[inside]
        x[j] += 1
        tx[j] = t[j]
        alive[j] &= rng.random(len(j)) >= p[j]
    return x, tx, T


def paretonbd(rng, n, r, alpha, s, beta, T_max=52.0):
    lam = rng.gamma(r, 1.0 / alpha, n)
    mu = rng.gamma(s, 1.0 / beta, n)
    tau = rng.exponential(1.0 / np.maximum(mu, 1e-300))
    T = _observation_times(rng, n, T_max)
    end = np.minimum(tau, T)
    x = rng.poisson(lam * end).astype(np.float64)
    # given the count, purchase times are uniform on (0, end): recency is the largest
    u = rng.random(n) ** (1.0 / np.maximum(x, 1.0))
    tx = np.where(x > 0, end * u, 0.0)
    return x, tx, T


def bgbb(rng, n, alpha, beta, gamma, delta, n_periods=6):
    p = rng.beta(alpha, beta, n)
    theta = rng.beta(gamma, delta, n)
    x = np.zeros(n)
    tx = np.zeros(n)
    alive = np.ones(n, dtype=bool)
    for period in range(1, n_periods + 1):
        alive &= rng.random(n) >= theta  # drop out at the start of the period
        buy = alive & (rng.random(n) < p)
        x[buy] += 1
        tx[buy] = period
    return x, tx, np.full(n, float(n_periods))


def gammagamma(rng, n, p, q, v):
    x = rng.integers(1, 8, n).astype(np.float64)
    nu = rng.gamma(q, 1.0 / v, n)
    m = rng.gamma(p * x, 1.0 / (nu * x))  # mean of x Gamma(p, nu) draws
    return x, m


def sbg(rng: np.random.Generator, n: int, alpha: float, beta: float, periods: int = 12):
    """One cohort of ``n`` subscribers under the sBG (Fader & Hardie 2007): each churns with a
    probability theta ~ Beta(alpha, beta) at every renewal. Returns ``(survivors,)``, the
    customers still subscribed at the start of periods 0..``periods``."""
    theta = rng.beta(alpha, beta, n)
    lifetime = rng.geometric(theta)  # periods paid: 1, 2, ...
    survivors = np.array([(lifetime > t).sum() for t in range(periods + 1)], dtype=float)
    return (survivors,)
