"""Special functions evaluated in log space.

The Gauss hypergeometric function 2F1(a, b; c; z) appears in the BG/NBD conditional expectation
(Fader, Hardie & Lee 2005, *Marketing Science* 24(2), eq. 10 and eq. 9) and in the Pareto/NBD
likelihood (Fader & Hardie 2005, "A note on deriving the Pareto/NBD model and related
expressions", eq. 22). Every use in this package has a, b, c > 0 and 0 <= z < 1, so the Gauss
series has positive terms only: we sum it in log space (log-sum-exp), vectorised over rows, in
chunks of terms, stopping each row once its terms are past their peak and negligible. This
avoids the overflow and loss of precision of ``scipy.special.hyp2f1`` with large parameters.

The derivatives of log 2F1 with respect to a, b, c and z come from the same terms (the
derivative of log (a)_k is psi(a + k) - psi(a), accumulated as a running sum of 1 / (a + j)), so
the Pareto/NBD gradient is analytic.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import hyp2f1

_CHUNK = 64
#: Rows of the log-space series evaluated at once in ``beta_geometric_expectation`` (its
#: temporaries are rows x _CHUNK doubles, about 80 MB at this size).
_SERIES_ROWS = 1 << 14
_MAX_TERMS = 200_000
_REL_TOL = 1e-17


@dataclass
class Hyp2f1Log:
    """log 2F1(a, b; c; z) and, when asked for, its partial derivatives."""

    value: np.ndarray
    da: np.ndarray | None = None
    db: np.ndarray | None = None
    dc: np.ndarray | None = None
    dz: np.ndarray | None = None


def log_hyp2f1(a, b, c, z, *, grad: bool = False) -> Hyp2f1Log:
    """log of the Gauss hypergeometric function for a, b, c > 0 and 0 <= z < 1.

    Arguments broadcast against each other. With ``grad=True`` the result also holds
    d log 2F1 / d a, b, c, z. Where the series does not converge within its term budget (z very
    close to 1 with extreme parameters) the value is NaN; callers then use their careful path.
    """
    a, b, c, z = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in (a, b, c, z)))
    shape = a.shape
    a, b, c, z = (v.ravel().copy() for v in (a, b, c, z))
    if np.any(z < 0) or np.any(z >= 1):
        raise ValueError("log_hyp2f1 needs 0 <= z < 1")
    if not grad:
        value = _log_series_linear(a, b, c, z)
        bad = ~np.isfinite(value)
        if bad.any():
            value[bad] = _log_series(a[bad], b[bad], c[bad], z[bad], grad=False).value
        return Hyp2f1Log(value.reshape(shape))
    res = _log_series(a, b, c, z, grad=True)
    res.value = res.value.reshape(shape)
    for name in ("da", "db", "dc", "dz"):
        setattr(res, name, getattr(res, name).reshape(shape))
    return res


#: The linear-space series gives up on a row (the log-space one takes over) above this sum.
_LINEAR_MAX = 1e250
_LINEAR_CHUNK = 32
_LINEAR_MAX_TERMS = 20_000


def _log_series_linear(a: np.ndarray, b: np.ndarray, c: np.ndarray, z: np.ndarray) -> np.ndarray:
    """log 2F1 from the Gauss series summed in plain floating point: each term is the previous
    times (a+k)(b+k) z / ((c+k)(k+1)), a running product (``np.cumprod``) over chunks of terms;
    no logarithm per term, so several times faster than the log-space sum. Rows whose terms
    overflow (huge parameters) come back as NaN for the caller to redo in log space."""
    n = a.size
    total = np.ones(n)
    term = np.ones(n)
    failed = np.zeros(n, dtype=bool)
    active = np.flatnonzero(z > 0)
    kk = np.arange(_LINEAR_CHUNK, dtype=np.float64)
    k0 = 0
    with np.errstate(over="ignore", invalid="ignore"):
        while active.size and k0 < _LINEAR_MAX_TERMS:
            ks = k0 + kk
            ratio = a[active, None] + ks
            ratio *= b[active, None] + ks
            ratio *= z[active, None]
            den = c[active, None] + ks
            den *= ks + 1.0
            ratio /= den
            terms = np.cumprod(ratio, axis=1, out=den)
            terms *= term[active, None]
            tot = total[active] + terms.sum(axis=1)
            last = terms[:, -1]
            total[active] = tot
            term[active] = last
            k0 += _LINEAR_CHUNK
            bad = ~(tot <= _LINEAR_MAX)  # also catches inf and nan
            failed[active[bad]] = True
            done = bad | ((ratio[:, -1] < 1.0) & (last <= _REL_TOL * tot))
            active = active[~done]
    failed[active] = True  # not converged here: let the log-space series decide
    out = np.log(total)
    out[failed] = np.nan
    return out


def _log_series(a: np.ndarray, b: np.ndarray, c: np.ndarray, z: np.ndarray, *, grad: bool):
    """log 2F1 (and its derivatives) from the Gauss series summed in log space; flat arrays."""
    n = a.size
    logz = np.log(np.where(z > 0, z, 1.0))
    zero_z = z == 0

    out_log = np.zeros(n)  # log of the running sum; the k = 0 term is 1
    # State per active row: log term, running d log term / d a, b, c.
    active = np.flatnonzero(~zero_z)
    logt = np.zeros(active.size)
    sa = np.zeros(active.size)
    sb = np.zeros(active.size)
    sc = np.zeros(active.size)
    # Weighted sums of derivative terms, scaled by exp(-out_log) as we go.
    acc_a = np.zeros(n)
    acc_b = np.zeros(n)
    acc_c = np.zeros(n)
    acc_k = np.zeros(n)
    k0 = 0
    while active.size and k0 < _MAX_TERMS:
        ks = k0 + np.arange(_CHUNK, dtype=np.float64)  # terms k0 .. k0+CHUNK-1 give k0+1 ..
        aa, bb, cc = a[active, None], b[active, None], c[active, None]
        step = (
            np.log(aa + ks) + np.log(bb + ks) - np.log(cc + ks) - np.log1p(ks)
            + logz[active, None]
        )
        lt = logt[:, None] + np.cumsum(step, axis=1)  # log terms k0+1 .. k0+CHUNK
        cur = out_log[active]
        m = np.maximum(cur, lt.max(axis=1))
        e_old = np.exp(cur - m)
        e_new = np.exp(lt - m[:, None])
        total = e_old + e_new.sum(axis=1)
        new_log = m + np.log(total)
        if grad:
            da_k = sa[:, None] + np.cumsum(1.0 / (aa + ks), axis=1)
            db_k = sb[:, None] + np.cumsum(1.0 / (bb + ks), axis=1)
            dc_k = sc[:, None] - np.cumsum(1.0 / (cc + ks), axis=1)
            kk = ks + 1.0
            scale_old = e_old / total
            w = e_new / total[:, None]
            acc_a[active] = acc_a[active] * scale_old + (w * da_k).sum(axis=1)
            acc_b[active] = acc_b[active] * scale_old + (w * db_k).sum(axis=1)
            acc_c[active] = acc_c[active] * scale_old + (w * dc_k).sum(axis=1)
            acc_k[active] = acc_k[active] * scale_old + (w * kk).sum(axis=1)
            sa, sb, sc = da_k[:, -1], db_k[:, -1], dc_k[:, -1]
        out_log[active] = new_log
        logt = lt[:, -1]
        k0 += _CHUNK
        # A row is done when its last step shrinks the terms and the last term is negligible.
        done = (step[:, -1] < 0) & (logt - new_log < np.log(_REL_TOL))
        keep = ~done
        active, logt = active[keep], logt[keep]
        if grad:
            sa, sb, sc = sa[keep], sb[keep], sc[keep]
    out_log[active] = np.nan  # not converged: the caller falls back to its careful path
    res = Hyp2f1Log(out_log)
    if grad:
        res.da = acc_a
        res.db = acc_b
        res.dc = acc_c
        res.dz = np.where(zero_z, a * b / c, acc_k / np.where(zero_z, 1.0, z))
    return res


#: Rows of ``log_hyp2f1_a1`` summed at once, and terms per step (most Pareto/NBD rows need
#: a few dozen terms: short steps waste little past convergence).
_A1_ROWS = 1 << 14
_A1_CHUNK = 16


def log_hyp2f1_a1(b, c, z, *, grad: bool = False) -> Hyp2f1Log:
    """log 2F1(1, b; c; z) for b > 0, c > 0 and 0 <= z < 1 (the Pareto/NBD's integral I(t)),
    and with ``grad`` its derivatives in b, c and z (``da`` is left None). The same numbers as
    ``log_hyp2f1(1, b, c, z)`` (to about 1e-13), several times faster.

    With a = 1 the Gauss series is sum_k t_k, t_0 = 1, t_{k+1} = t_k (b+k) z / (c+k): no
    factorial, and where b <= c (the Pareto/NBD's case: c - b is s + 1 or r + x) every term
    is at most 1, so the series is summed in plain floating point as running products over
    short chunks of terms, with no logarithm per term. The derivatives come from the same
    terms: d t_k / d b = t_k sum_{j<k} 1/(b+j), d t_k / d c = -t_k sum_{j<k} 1/(c+j),
    d t_k / d z = k t_k / z. A row stops once past its peak term and once the rest of its
    series, at most t_last z / (1 - z), is below 1e-17 of its sum. A row that does not
    converge or overflows is handed to ``log_hyp2f1``."""
    b, c, z = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in (b, c, z)))
    shape = b.shape
    b, c, z = (v.ravel() for v in (b, c, z))
    if np.any(z < 0) or np.any(z >= 1):
        raise ValueError("log_hyp2f1_a1 needs 0 <= z < 1")
    n = b.size
    value = np.empty(n)
    db = np.empty(n) if grad else None
    dc = np.empty(n) if grad else None
    dz = np.empty(n) if grad else None
    for lo in range(0, n, _A1_ROWS):
        sl = slice(lo, min(lo + _A1_ROWS, n))
        out = _a1_series(b[sl], c[sl], z[sl], grad)
        value[sl] = out[0]
        if grad:
            db[sl], dc[sl], dz[sl] = out[1:]
    bad = ~np.isfinite(value)
    if grad:
        bad |= ~(np.isfinite(db) & np.isfinite(dc) & np.isfinite(dz))
    if bad.any():
        res = log_hyp2f1(1.0, b[bad], c[bad], z[bad], grad=grad)
        value[bad] = res.value
        if grad:
            db[bad], dc[bad], dz[bad] = res.db, res.dc, res.dz
    if not grad:
        return Hyp2f1Log(value.reshape(shape))
    return Hyp2f1Log(value.reshape(shape), None, db.reshape(shape), dc.reshape(shape),
                     dz.reshape(shape))


def _a1_series(b: np.ndarray, c: np.ndarray, z: np.ndarray, grad: bool):
    """The series of ``log_hyp2f1_a1`` on flat arrays: (log value,) or (log value, d/db,
    d/dc, d/dz) of log 2F1; NaN where it did not converge.

    A chunk of terms is laid out terms x rows, so the running products and sums go down
    axis 0: one vector operation over the active rows per term (the rows x terms layout
    made NumPy accumulate 16 elements at a time, row by row, at twice the cost)."""
    n = b.size
    total = np.ones(n)
    term = np.ones(n)
    sb = np.zeros(n)
    sc = np.zeros(n)
    acc_b = np.zeros(n)
    acc_c = np.zeros(n)
    acc_k = np.zeros(n)
    failed = np.zeros(n, dtype=bool)
    with np.errstate(divide="ignore"):
        tail = np.where(z > 0, z / (1.0 - z), 0.0)  # sum_{j>k} t_j / t_k once b <= c + k
    active = np.flatnonzero(z > 0)
    kk = np.arange(_A1_CHUNK, dtype=np.float64)[:, None]
    k0 = 0
    with np.errstate(over="ignore", invalid="ignore"):
        while active.size and k0 < _LINEAR_MAX_TERMS:
            ks = k0 + kk
            bb = b[active] + ks  # terms x rows
            cc = c[active] + ks
            ratio = bb * z[active]
            ratio /= cc
            terms = np.cumprod(ratio, axis=0, out=ratio)
            terms *= term[active]  # t_{k0+1} .. t_{k0+K}
            if grad:
                sbk = np.cumsum(np.reciprocal(bb, out=bb), axis=0, out=bb)
                sbk += sb[active]
                sck = np.cumsum(np.reciprocal(cc, out=cc), axis=0, out=cc)
                sck += sc[active]
                sb[active] = sbk[-1]
                sc[active] = sck[-1]
                # Elementwise products summed down axis 0 (row after row), not einsum or a
                # matrix product, whose kernels may round a column differently with the number
                # of columns: the likelihood over distinct (x, t) pairs must equal the per-row one
                # exactly (numpy 1.26's matvec did not).
                acc_b[active] += np.multiply(terms, sbk, out=sbk).sum(axis=0)
                acc_c[active] += np.multiply(terms, sck, out=sck).sum(axis=0)
                acc_k[active] += (terms * (ks + 1.0)).sum(axis=0)
            tot = total[active] + terms.sum(axis=0)
            last = terms[-1]
            total[active] = tot
            term[active] = last
            k0 += _A1_CHUNK
            over = ~(tot <= _LINEAR_MAX)  # also NaN
            done = over | ((b[active] <= c[active] + k0)
                           & (last * tail[active] <= _REL_TOL * tot))
            failed[active[over]] = True
            active = active[~done]
    failed[active] = True
    value = np.log(total)
    value[failed] = np.nan
    if not grad:
        return (value,)
    zs = np.where(z > 0, z, 1.0)
    return value, acc_b / total, -acc_c / total, np.where(z > 0, acc_k / (zs * total), b / c)


# ----------------------------------------------------------------------------------------------
# The BG/NBD family's conditional expectation, exact everywhere in the parameter space
# ----------------------------------------------------------------------------------------------
#: scipy's hyp2f1 is trusted (measured against mpmath at 40 digits: relative error < 2e-10)
#: only where every parameter is at most this and z at most FAST_Z, with c > 0.
FAST_MAX_PARAM = 30.0
FAST_Z = 0.9
#: The Gauss series (``log_hyp2f1``) is used up to this z; beyond it the careful quadrature.
SERIES_Z = 0.99


def beta_geometric_expectation(t, A, scale, a, B, *, path: str = "auto") -> np.ndarray:
    """E[purchases in the next t | alive] for a customer who buys at rate lambda ~ Gamma(A, scale)
    and drops out after each purchase with probability p ~ Beta(a, B):

        E = E_p[(1 - (1 + p t/scale)^-A) / p]                                 (1)
          = (a+B-1)/(a-1) [1 - (scale/(scale+t))^A 2F1(A, B; a+B-1; t/(scale+t))]   (2)

    (1) is E[(1 - exp(-lambda p t)) / p] (Fader, Hardie & Lee 2005, eq. 7) averaged over lambda;
    (2) is its closed form (FHL 2005 eq. 9 and 10; A = r+x, scale = alpha+T, B = b+x for the
    BG/NBD, B = b+x+1 for the MBG/NBD). (1) is finite and positive for every a, B > 0 and t >= 0,
    while (2) has poles at a = 1 and a+B-1 = 0 and a negative 2F1 when a+B-1 < 0.

    ``path="auto"`` evaluates (2) with ``scipy.special.hyp2f1`` where that is accurate (fast
    path: c > 0, parameters <= FAST_MAX_PARAM, z <= FAST_Z), else with the log-space Gauss
    series (c > 0, z <= SERIES_Z), and falls back to the quadrature of (1) for everything else
    (c <= 0, z -> 1, a near 1): vectorised Gauss-Legendre (``_bg_expectation_gl``) when the Beta
    density is wide, adaptive QUADPACK (``_bg_expectation_quad``) otherwise.
    ``path="careful"`` uses the quadrature everywhere (for tests and the benchmark);
    ``path="fast"`` skips the quadrature (non-finite where it would be needed).
    """
    t, A, scale, a, B = np.broadcast_arrays(
        *(np.asarray(v, dtype=np.float64) for v in (t, A, scale, a, B))
    )
    shape = t.shape
    t, A, scale, a, B = (v.ravel() for v in (t, A, scale, a, B))
    out = np.full(t.shape, np.nan)
    C = a + B - 1.0
    with np.errstate(all="ignore"):
        z = t / (scale + t)
        log1mz = np.log(scale) - np.log(scale + t)
    todo = np.ones(t.shape, dtype=bool)
    zero = t == 0
    out[zero] = 0.0
    todo &= ~zero
    if path != "careful":
        ok_a = np.abs(a - 1.0) > 1e-6
        fast = todo & ok_a & (C > 0) & (z <= FAST_Z) & (np.maximum(np.maximum(A, B), C)
                                                         <= FAST_MAX_PARAM)
        if fast.any():
            with np.errstate(all="ignore"):
                f = hyp2f1(A[fast], B[fast], C[fast], z[fast])
                val = C[fast] / (a[fast] - 1.0) * -np.expm1(A[fast] * log1mz[fast] + np.log(f))
            good = np.isfinite(val) & (f > 0)
            idx = np.flatnonzero(fast)[good]
            out[idx] = val[good]
            todo[idx] = False
        ser = todo & ok_a & (C > 0) & (z <= SERIES_Z)
        if ser.any():
            idx = np.flatnonzero(ser)
            # the series keeps rows x _CHUNK terms per step: rows in slices bound its memory
            lf = np.concatenate([
                log_hyp2f1(A[j], B[j], C[j], z[j]).value
                for j in np.array_split(idx, max(1, -(-len(idx) // _SERIES_ROWS)))
            ])
            with np.errstate(all="ignore"):
                val = C[idx] / (a[idx] - 1.0) * -np.expm1(A[idx] * log1mz[idx] + lf)
            good = np.isfinite(val)
            out[idx[good]] = val[good]
            todo[idx[good]] = False
    if path != "fast":
        rest = np.flatnonzero(todo)
        # vectorised Gauss-Legendre where the Beta(a, B) density is wide in the logit of p,
        # adaptive QUADPACK for the (rare) rest
        wide = rest[np.minimum(a[rest], B[rest]) <= _GLQ_MAX_SHAPE]
        for lo in range(0, len(wide), 256):
            idx = wide[lo:lo + 256]
            out[idx] = _bg_expectation_gl(t[idx] / scale[idx], A[idx], a[idx], B[idx])
        for i in np.setdiff1d(rest, wide):
            out[i] = _bg_expectation_quad(t[i] / scale[i], A[i], a[i], B[i])
    return out.reshape(shape)


#: Rows with min(a, B) up to this use the vectorised Gauss-Legendre rule of
#: ``_bg_expectation_gl``; a narrower Beta density goes to adaptive quadrature.
_GLQ_MAX_SHAPE = 4.0


def _bg_expectation_gl(u: np.ndarray, A: np.ndarray, a: np.ndarray, B: np.ndarray) -> np.ndarray:
    """Equation (1) of ``beta_geometric_expectation`` for many rows at once: the integral of
    ``_bg_expectation_quad`` (same variable y = logit p, same range and closed-form tails) by
    composite 12-point Gauss-Legendre on panels of width 0.25 / sqrt(max(1, min(a, B))). The
    integrand is analytic within pi of the real axis (its singularities are those of
    softplus(+-y) and of log(1 + p u) at y = -log(1 + u) +- i pi), so such panels are far
    below the distance to the nearest singularity and the rule converges to double precision."""
    from scipy.special import betaln

    lb = betaln(a, B)
    with np.errstate(divide="ignore"):
        y_kink = np.where(u > 0, -np.log(np.where(u > 0, u, 1.0)), 0.0)
    y0 = np.minimum(y_kink, 0.0) - 30.0
    y1 = np.maximum(y_kink, 0.0) + 40.0
    panel = 0.25 / np.sqrt(np.maximum(1.0, np.minimum(a, B)))
    n_panels = int(np.ceil(np.max((y1 - y0) / panel)))
    width = (y1 - y0) / n_panels
    k = (np.arange(n_panels)[:, None] + 0.5 * (1.0 + _GL_NODES[None, :])).ravel()
    y = y0[:, None] + width[:, None] * k[None, :]
    wts = (0.5 * width)[:, None] * np.tile(_GL_WEIGHTS, n_panels)[None, :]
    log_p = -np.logaddexp(0.0, -y)
    log_q = -np.logaddexp(0.0, y)
    p = np.exp(log_p)
    pu = p * u[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        g = np.where(pu < 1e-300, (A * u)[:, None], -np.expm1(-A[:, None] * np.log1p(pu)) / p)
    f = np.exp(a[:, None] * log_p + B[:, None] * log_q - lb[:, None]) * g
    body = (f * wts).sum(axis=1)
    low = A * u * np.exp(a * y0 - lb) / a
    high = -np.expm1(-A * np.log1p(u)) * np.exp(-B * y1 - lb) / B
    return body + low + high


def _bg_expectation_quad(u: float, A: float, a: float, B: float) -> float:
    """Equation (1) of ``beta_geometric_expectation`` by adaptive quadrature (QUADPACK) in the
    logit of p, y = log(p / (1 - p)), where the Beta density times the Jacobian,
    p^a (1-p)^B / B(a, B), is smooth and decays like exp(a y) and exp(-B y) in the two tails.
    The tails beyond the quadrature range are integrated in closed form: for p u << 1 the
    integrand is A u exp(a y), for 1 - p << 1 it is g(1) exp(-B y)."""
    from scipy.integrate import quad
    from scipy.special import betaln

    lb = betaln(a, B)

    def g(p: float) -> float:  # (1 - (1 + p u)^-A) / p, continuous at p = 0 (A u)
        pu = p * u
        if pu < 1e-300:
            return A * u
        return -np.expm1(-A * np.log1p(pu)) / p

    def integrand(y: float) -> float:
        log_p = -np.logaddexp(0.0, -y)
        log_q = -np.logaddexp(0.0, y)
        return float(np.exp(a * log_p + B * log_q - lb) * g(np.exp(log_p)))

    y_kink = -np.log(u) if u > 0 else 0.0
    y0 = min(y_kink, 0.0) - 30.0
    y1 = max(y_kink, 0.0) + 40.0
    points = sorted({y_kink, 0.0})
    body, _ = quad(integrand, y0, y1, points=points, limit=400, epsabs=0.0, epsrel=1e-13)
    # tails: p ~ exp(y) below y0 (p u < 1e-13), 1 - p ~ exp(-y) above y1 (p = 1 in doubles)
    low = A * u * np.exp(a * y0 - lb) / a
    high = -np.expm1(-A * np.log1p(u)) * np.exp(-B * y1 - lb) / B
    return float(body + low + high)


# ----------------------------------------------------------------------------------------------
# The Pareto/NBD integral I(t), by quadrature where the series is slow (z -> 1)
# ----------------------------------------------------------------------------------------------
_GL_NODES, _GL_WEIGHTS = np.polynomial.legendre.leggauss(12)
_PANEL = 2.0


def log_pareto_integral(P, c1, S, c2, *, grad: bool = False):
    """log I and, with ``grad``, d log I / d(P, c1, S, c2); see ``_log_pareto_integral``. Rows
    are processed in chunks so that memory stays bounded (a few tens of MB)."""
    P, c1, S, c2 = (
        np.asarray(v, dtype=np.float64).ravel() for v in np.broadcast_arrays(P, c1, S, c2)
    )
    n = len(P)
    value = np.empty(n)
    g = np.empty((n, 4)) if grad else None
    step = 64
    for lo in range(0, n, step):
        sl = slice(lo, min(lo + step, n))
        v, gg = _log_pareto_integral(P[sl], c1[sl], S[sl], c2[sl], grad=grad)
        value[sl] = v
        if grad:
            g[sl] = gg
    return value, g


def _log_pareto_integral(P, c1, S, c2, *, grad: bool = False):
    """log I and, with ``grad``, d log I / d(P, c1, S, c2), where

        I = int_0^inf (c1 + v)^-P (c2 + v)^-S dv,   P, S > 0, P + S > 1, c1, c2 > 0.

    The Pareto/NBD's I(t) (see ``paretonbd``) is this with c1 = alpha + t, c2 = beta + t,
    P = r + x and S = s + 1. With v = exp(y) the integrand exp(y - P log(c1 + e^y) -
    S log(c2 + e^y)) is smooth (analytic within pi of the real axis), rises like e^y and falls
    like e^-(P+S-1)y: composite Gauss-Legendre (12 nodes per panel no wider than the peak) over
    [log min(c) - 40, log max(c) + 37], vectorised over rows, plus the upper tail in closed form
    (there log(c + e^y) = y to double precision). Used where the Gauss series of the 2F1 form
    needs too many terms (z -> 1, e.g. beta -> 0)."""
    P, c1, S, c2 = (
        np.asarray(v, dtype=np.float64).ravel() for v in np.broadcast_arrays(P, c1, S, c2)
    )
    lo = np.log(np.minimum(c1, c2)) - 40.0
    hi = np.log(np.maximum(c1, c2)) + 37.0
    # The log-integrand is concave in y (unimodal integrand): locate where it is within 60 of
    # its peak on a coarse grid, and integrate there finely (panels at most as wide as the peak,
    # 1/sqrt(curvature)).
    coarse = lo[:, None] + (hi - lo)[:, None] * np.linspace(0.0, 1.0, 2001)[None, :]
    lf = _pareto_logf(coarse, P, c1, S, c2)
    inside = lf >= lf.max(axis=1, keepdims=True) - 60.0
    step = (hi - lo) / 2000
    first = np.argmax(inside, axis=1)
    last = 2000 - np.argmax(inside[:, ::-1], axis=1)
    lo = lo + np.maximum(first - 1, 0) * step
    top = np.minimum(last + 1, 2000)
    has_tail = top >= 2000
    hi = np.where(has_tail, hi, lo + (top - np.maximum(first - 1, 0)) * step)
    ymax = coarse[np.arange(len(P)), np.argmax(lf, axis=1)]
    s1 = np.exp(ymax) / (c1 + np.exp(ymax))
    s2 = np.exp(ymax) / (c2 + np.exp(ymax))
    curv = P * s1 * (1.0 - s1) + S * s2 * (1.0 - s2)  # -(log-integrand)'' at the peak
    panel = np.minimum(_PANEL, 1.0 / np.sqrt(np.maximum(curv, 1e-300)))
    n_panels = int(min(np.ceil(np.max((hi - lo) / panel)), 2000))
    width = (hi - lo) / n_panels
    k = np.arange(n_panels)[:, None] + 0.5 * (1.0 + _GL_NODES[None, :])  # panel + node offset
    y = lo[:, None] + width[:, None] * k.ravel()[None, :]  # rows x nodes
    wts = (0.5 * width)[:, None] * np.tile(_GL_WEIGHTS, n_panels)[None, :]
    ey = np.exp(y)
    l1 = np.log(c1[:, None] + ey)
    l2 = np.log(c2[:, None] + ey)
    logf = y - P[:, None] * l1 - S[:, None] * l2
    kdec = P + S - 1.0  # decay rate of the tail
    log_tail = np.where(has_tail, -kdec * hi - np.log(kdec), -np.inf)  # int_hi^inf e^-ky dy
    m = np.maximum(logf.max(axis=1), log_tail)
    f = np.exp(logf - m[:, None]) * wts
    tail = np.exp(log_tail - m)
    body = f.sum(axis=1)
    total = body + tail
    value = m + np.log(total)
    if not grad:
        return value, None
    # tail moments: int_hi^inf y e^-ky dy = e^-k hi (hi/k + 1/k^2); 1/(c + e^y) ~ e^-y there
    tail_y = tail * (hi + 1.0 / kdec)
    tail_inv = np.where(has_tail, np.exp(-(kdec + 1.0) * hi - np.log(kdec + 1.0) - m), 0.0)
    e_l1 = ((f * l1).sum(axis=1) + tail_y) / total
    e_l2 = ((f * l2).sum(axis=1) + tail_y) / total
    e_i1 = ((f / (c1[:, None] + ey)).sum(axis=1) + tail_inv) / total
    e_i2 = ((f / (c2[:, None] + ey)).sum(axis=1) + tail_inv) / total
    g = np.column_stack([-e_l1, -P * e_i1, -e_l2, -S * e_i2])
    return value, g


def _pareto_logf(y, P, c1, S, c2):
    ey = np.exp(y)
    return y - P[:, None] * np.log(c1[:, None] + ey) - S[:, None] * np.log(c2[:, None] + ey)


def beta_geometric_grid(t, A, scale, a: float, B,
                        groups: list[np.ndarray] | None = None) -> np.ndarray:
    """``beta_geometric_expectation`` on a grid: rows are customers (``A``, ``scale``, ``B``,
    one value each, with ``A`` and ``B`` shared by every row of the same x), columns the
    times ``t``. Equal to ``beta_geometric_expectation(t[None, :], A[:, None],
    scale[:, None], a, B[:, None])`` to about 1e-13.

    The 2F1 of equation (2) depends on a row only through z = t / (scale + t) once x is fixed,
    so for each distinct x, log 2F1(A, B; a+B-1; z) is interpolated on [0, z_max] from its
    values at Chebyshev points (scipy's hyp2f1 at a few dozen points instead of one call per
    customer and period). log 2F1 is analytic on the disc |z| < 1, so the interpolant converges
    geometrically with the ratio of the Bernstein ellipse that reaches z = 1; the degree is
    chosen from that ratio and the interpolant is checked against hyp2f1 at as many other
    points. Any x whose parameters are outside the fast regime of
    ``beta_geometric_expectation``, whose check fails, or whose rows are too few to gain, is
    evaluated by ``beta_geometric_expectation`` itself.

    ``groups`` (optional) lists the row indices of each distinct (A, B), when the caller has
    grouped the rows already (``predict_clv`` groups once, then calls this per block).
    """
    t = np.asarray(t, dtype=np.float64)
    A, scale, B = (np.asarray(v, dtype=np.float64) for v in (A, scale, B))
    out = np.empty((len(A), len(t)))
    if len(A) == 0:
        return out
    C = a + B - 1.0
    if groups is None:
        import pandas as pd

        ca, _ = pd.factorize(A, sort=False)  # hashing: linear time (np.unique(axis=1) sorts)
        cb, _ = pd.factorize(B, sort=False)
        codes = pd.factorize(ca.astype(np.int64) * (int(cb.max()) + 1) + cb, sort=False)[0]
        order = np.argsort(codes, kind="stable")
        groups = np.split(order, np.flatnonzero(np.diff(codes[order])) + 1)
    direct = []  # rows evaluated by beta_geometric_expectation, all in one call at the end
    for idx in groups:
        Ag, Bg, Cg = A[idx[0]], B[idx[0]], C[idx[0]]
        coeffs = None
        if abs(a - 1.0) > 1e-6 and Cg > 0 and len(idx) * len(t) >= _GRID_MIN_ROWS:
            sc = scale[idx][:, None]
            with np.errstate(all="ignore"):
                z = t[None, :] / (sc + t[None, :])
            zmax = float(np.max(z)) if z.size else 0.0
            fast = max(Ag, Bg, Cg) <= FAST_MAX_PARAM and zmax <= FAST_Z
            if zmax > 0.0 and (fast or zmax <= SERIES_Z):
                coeffs = _cheb_log_hyp2f1(Ag, Bg, Cg, zmax, scipy=fast)
        if coeffs is None:
            direct.append(idx)
            continue
        with np.errstate(all="ignore"):
            lf = np.polynomial.chebyshev.chebval(z * (2.0 / zmax) - 1.0, coeffs)
            log1mz = np.log(sc) - np.log(sc + t[None, :])
            val = Cg / (a - 1.0) * -np.expm1(Ag * log1mz + lf)
        out[idx] = val
        bad = ~np.isfinite(val)
        if bad.any():
            direct.append(idx[bad.any(axis=1)])
    if direct:
        idx = np.concatenate(direct)
        out[idx] = beta_geometric_expectation(t[None, :], A[idx][:, None], scale[idx][:, None],
                                              a, B[idx][:, None])
    return out


#: Grid elements of one x below which ``beta_geometric_grid`` calls hyp2f1 directly.
_GRID_MIN_ROWS = 2048
#: Largest interpolation degree ``beta_geometric_grid`` uses.
_GRID_MAX_DEGREE = 160


def _cheb_log_hyp2f1(A: float, B: float, C: float, zmax: float,
                     scipy: bool = True) -> np.ndarray | None:
    """Chebyshev coefficients of log 2F1(A, B; C; z) on [0, zmax] (variable u = 2z/zmax - 1),
    or None when the degree would be too high or the check fails. The values at the nodes
    and at the check points are scipy's hyp2f1 in its fast regime (``scipy``), else the
    Gauss series (``log_hyp2f1``): the path ``beta_geometric_expectation`` itself would take
    for those parameters, at a few hundred points instead of every customer and period."""
    u_sing = 2.0 / zmax - 1.0  # z = 1 in the variable u
    rho = u_sing + np.sqrt(u_sing * u_sing - 1.0)
    n = int(np.ceil(40.0 / np.log(rho))) + 4
    if n > _GRID_MAX_DEGREE:
        return None
    k = np.arange(n)
    theta = np.pi * (k + 0.5) / n
    u_check = np.cos(np.pi * np.arange(n + 1) / n)  # between the nodes, and both ends
    z_all = zmax * (np.concatenate([np.cos(theta), u_check]) + 1.0) / 2.0
    with np.errstate(all="ignore"):
        if scipy:
            f = hyp2f1(A, B, C, z_all)
            if not np.all(np.isfinite(f)) or np.any(f <= 0):
                return None
            log_f = np.log(f)
        else:
            log_f = log_hyp2f1(A, B, C, np.minimum(z_all, SERIES_Z)).value
    if not np.all(np.isfinite(log_f)):
        return None
    coeffs = (2.0 / n) * (np.cos(np.outer(k, theta)) @ log_f[:n])
    coeffs[0] /= 2.0
    with np.errstate(all="ignore"):
        err = np.abs(np.polynomial.chebyshev.chebval(u_check, coeffs) - log_f[n:])
    if not np.all(np.isfinite(err)) or err.max() > 1e-13:
        return None
    return coeffs
