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

_CHUNK = 64
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
    d log 2F1 / d a, b, c, z.
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
    if active.size:
        raise FloatingPointError(
            f"2F1 series did not converge in {_MAX_TERMS} terms for {active.size} value(s) "
            f"(z up to {z[active].max():.6f}); parameters are extreme"
        )
    res = Hyp2f1Log(out_log)
    if grad:
        res.da = acc_a
        res.db = acc_b
        res.dc = acc_c
        res.dz = np.where(zero_z, a * b / c, acc_k / np.where(zero_z, 1.0, z))
    return res
