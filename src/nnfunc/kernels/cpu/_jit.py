"""numba source of the row-wise and element-wise CPU kernels, compiled lazily by :func:`kernels`.

Everything numba compiles for :mod:`~nnfunc.kernels.cpu.layer_norm`,
:mod:`~nnfunc.kernels.cpu.batch_norm`, :mod:`~nnfunc.kernels.cpu.softmax` and
:mod:`~nnfunc.kernels.cpu.erf` lives in this one file.
numba's on-disk cache (``cache=True``) keys a kernel on the source file of that kernel only: a
helper inlined from another file could change without invalidating the cached kernels that use
it. Keeping helpers and kernels together makes any edit here recompile all of them.

The functions below are plain Python until :func:`kernels` runs (numba is imported there, never
at ``import nnfunc``): the helpers are jitted and stored in this module's globals, where the
kernels find them when they compile, on their first call, once per argument signature.

Vectorisation. numba has no SIMD ``exp``/``erfc`` on this platform (no SVML), and a loop that
calls libm's scalar ``expf`` runs ~5x slower than NumPy's SIMD ``exp``. The helpers here are
branch-free (selects, never ``if`` on data), built from ``+ * floor`` and bit casts, so LLVM
vectorises the loops that call them:

* :func:`expf_nonpos`: ``exp`` of a float32 ``x <= 0`` (Cody-Waite reduction, Cephes'
  polynomial; <= 1 ulp, denormals rounded once, ``-inf`` gives 0, NaN gives NaN);
* :func:`exp_nonpos_f64`: the same in float64 (Taylor degree 11 on ``|r| <= ln2/2``: ~1e-15);
* :func:`erfc_pos`: ``erfc(a)`` for ``0 <= a <= 10.5`` in float64 as
  ``exp(-a**2) * t * Q(t)``, ``t = 1/(1 + 0.3 a)``, with ``Q`` a degree-12 polynomial (a
  Chebyshev fit of ``erfcx(a) / t``, relative error 2.2e-11: ample for float32 results).

Fast-math flags: reductions get ``reassoc`` (so that LLVM may keep one partial sum per SIMD
lane); the ``exp`` helpers get ``contract`` only (re-associating the two-constant reduction
``(x - n*C1) - n*C2`` would lose its accuracy). No kernel assumes "no NaN / no inf": inputs with
NaN or inf keep the results NumPy gives, or the kernel reports them and the caller falls back to
the NumPy twin.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

import numpy as np

__all__ = ["kernels"]

# Filled by kernels(): compiled helpers, resolved as globals when a kernel compiles.
f32_from_bits: Any = None
f64_from_bits: Any = None
expf_nonpos: Any = None
exp_nonpos_f64: Any = None
erfc_pos: Any = None
row_max: Any = None
sub_exact: Any = None
softmax_col_sums: Any = None
softmax_col_apply: Any = None
_pool_cols_j: Any = None
_first_cell_j: Any = None

#: Fast-math flags of the kernels (reductions may be re-associated) and of the exp helpers.
_FM_REDUCE = frozenset({"reassoc", "contract", "nsz", "arcp"})
_FM_EXACT = frozenset({"contract"})

#: Lanes of the row maximum: independent running maxima that LLVM turns into SIMD registers.
_MAX_LANES = 64

# float32 exp: Cephes expf.
_LOG2E_F = np.float32(1.44269504088896341)
_C1_F = np.float32(0.693359375)
_C2_F = np.float32(-2.12194440e-4)
_EXPF_LO = np.float32(-110.0)  # exp(-110) rounds to 0 in float32 (below half the least denormal)
_P0_F = np.float32(1.9875691500e-4)
_P1_F = np.float32(1.3981999507e-3)
_P2_F = np.float32(8.3334519073e-3)
_P3_F = np.float32(4.1665795894e-2)
_P4_F = np.float32(1.6666665459e-1)
_P5_F = np.float32(5.0000001201e-1)
_HALF_F = np.float32(0.5)
_ONE_F = np.float32(1.0)

# float64 exp: fdlibm's two-part ln 2 (LN2_HI has 32 trailing zero bits, so n * LN2_HI is exact).
_LOG2E = 1.4426950408889634
_LN2_HI = 6.93147180369123816490e-01
_LN2_LO = 1.90821492927058770002e-10
_EXP_LO = -740.0

# erfc(a) = exp(-a*a) * t * Q(u), t = 1 / (1 + _ERFC_P * a), u = t * _ERFC_SCALE - _ERFC_SHIFT
# (u spans [-1, 1] for a in [0, _ERFC_AMAX]); Q's coefficients, highest degree first, come from
# numpy.polynomial.chebyshev.chebfit of scipy.special.erfcx(a) / t at 4000 Chebyshev nodes.
_ERFC_AMAX = 10.5
_ERFC_P = 0.3
_ERFC_SCALE = 2.634920634920635
_ERFC_SHIFT = 1.6349206349206347
_Q12 = -2.227172212987617e-07
_Q11 = 1.1703874313794293e-07
_Q10 = 4.1334779073367785e-06
_Q9 = 1.817725485354343e-06
_Q8 = -6.489612453649819e-05
_Q7 = -0.00018280295500450045
_Q6 = 0.0006064042489729903
_Q5 = 0.006566689565264501
_Q4 = 0.02825534202246278
_Q3 = 0.0816197357826727
_Q2 = 0.17717041489039723
_Q1 = 0.3009987508716773
_Q0 = 0.40502451617420593

_INV_SQRT2 = 0.7071067811865476
_TWO_OVER_SQRT_PI = 1.1283791670955126
#: erf(x) = x * S(x*x) below this |x| (Taylor series; erfc would cancel there).
_ERF_SMALL = 0.5
# Taylor coefficients of erf(x) / x in powers of x*x: 2/sqrt(pi) * (-1)**n / (n! (2n + 1)).
_ERF_S = tuple(_TWO_OVER_SQRT_PI * (-1) ** n / (math.factorial(n) * (2 * n + 1)) for n in range(12))
(_S0, _S1, _S2, _S3, _S4, _S5, _S6, _S7, _S8, _S9, _S10, _S11) = _ERF_S


# ---------------------------------------------------------------------------- bit casts
def _f32_from_bits_typer(typingctx: Any, bits: Any) -> Any:
    """numba intrinsic: the float32 whose bits are the low 32 bits of an integer."""
    from llvmlite import ir
    from numba.core import types

    if not isinstance(bits, types.Integer):
        return None

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        v = args[0]
        if bits.bitwidth > 32:
            v = builder.trunc(v, ir.IntType(32))
        elif bits.bitwidth < 32:
            v = builder.sext(v, ir.IntType(32))
        return builder.bitcast(v, ir.FloatType())

    return types.float32(bits), codegen


def _f64_from_bits_typer(typingctx: Any, bits: Any) -> Any:
    """numba intrinsic: the float64 whose bits are an integer's (sign-extended to 64 bits)."""
    from llvmlite import ir
    from numba.core import types

    if not isinstance(bits, types.Integer):
        return None

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        v = args[0]
        if bits.bitwidth < 64:
            v = builder.sext(v, ir.IntType(64))
        return builder.bitcast(v, ir.DoubleType())

    return types.float64(bits), codegen


# ---------------------------------------------------------------------------- scalar helpers
def _expf_nonpos(x: Any) -> Any:  # pragma: no cover - compiled
    # Clamp only from below, written so that NaN passes through (NaN < c is false).
    x = _EXPF_LO if x < _EXPF_LO else x
    n = np.floor(x * _LOG2E_F + _HALF_F)
    r = (x - n * _C1_F) - n * _C2_F
    z = r * r
    p = ((((_P0_F * r + _P1_F) * r + _P2_F) * r + _P3_F) * r + _P4_F) * r + _P5_F
    p = p * z + r + _ONE_F
    k = np.int32(n)
    # 2**k as two normal factors: exact down to the denormal range, which rounds once.
    k1 = k >> 1
    k2 = k - k1
    return p * f32_from_bits((k1 + 127) << 23) * f32_from_bits((k2 + 127) << 23)


def _exp_nonpos_f64(y: Any) -> Any:  # pragma: no cover - compiled
    y = _EXP_LO if y < _EXP_LO else y
    n = np.floor(y * _LOG2E + 0.5)
    r = (y - n * _LN2_HI) - n * _LN2_LO
    p = 1.0 / 39916800.0
    p = p * r + 1.0 / 3628800.0
    p = p * r + 1.0 / 362880.0
    p = p * r + 1.0 / 40320.0
    p = p * r + 1.0 / 5040.0
    p = p * r + 1.0 / 720.0
    p = p * r + 1.0 / 120.0
    p = p * r + 1.0 / 24.0
    p = p * r + 1.0 / 6.0
    p = p * r + 0.5
    p = p * r + 1.0
    p = p * r + 1.0
    k = np.int64(n)
    k1 = k >> 1
    k2 = k - k1
    return p * f64_from_bits((k1 + 1023) << 52) * f64_from_bits((k2 + 1023) << 52)


def _erfc_pos(a: Any) -> Any:  # pragma: no cover - compiled
    # a in [0, _ERFC_AMAX] (callers clamp); float64.
    t = 1.0 / (1.0 + _ERFC_P * a)
    u = t * _ERFC_SCALE - _ERFC_SHIFT
    q = _Q12
    q = q * u + _Q11
    q = q * u + _Q10
    q = q * u + _Q9
    q = q * u + _Q8
    q = q * u + _Q7
    q = q * u + _Q6
    q = q * u + _Q5
    q = q * u + _Q4
    q = q * u + _Q3
    q = q * u + _Q2
    q = q * u + _Q1
    q = q * u + _Q0
    return t * q * exp_nonpos_f64(-(a * a))


def _sub_exact(a: Any, b: Any) -> Any:  # pragma: no cover - compiled
    """``a - b`` as one rounded operation: kernels compiled with ``reassoc`` may otherwise
    rewrite ``(x - m) - c`` as ``x - (m + c)``, which rounds ``m + c`` to the precision of
    ``m`` first (1e-5 relative error on a log-probability near 0 in float32)."""
    return a - b


def _row_max(row: Any, lanes: Any) -> Any:  # pragma: no cover - compiled
    """Maximum of a 1-d array (``-inf`` when empty); NaN entries are skipped.

    ``m = max(m, v)`` in one running variable is a serial dependency chain that LLVM does not
    vectorise; :data:`_MAX_LANES` independent running maxima (``lanes``, scratch) are. A NaN
    entry never matters to the callers: their exp pass turns it into a NaN row whatever the
    shift. (An early return for short rows made LLVM give up on the lane loop: 5x slower.)
    """
    n = row.shape[0]
    nl = _MAX_LANES  # a compile-time constant: the lane loop unrolls into SIMD registers
    for j in range(nl):
        lanes[j] = -np.inf
    stop = n - n % nl
    for j0 in range(0, stop, nl):
        for j in range(nl):
            v = row[j0 + j]
            lanes[j] = v if v > lanes[j] else lanes[j]
    m = lanes[0]
    for j in range(1, nl):
        v = lanes[j]
        m = v if v > m else m
    for j in range(stop, n):
        v = row[j]
        m = v if v > m else m
    return m


# ---------------------------------------------------------------------------- layer norm
def _norm_rows(x, rs, ro, cs, co, use_cols, eps, y, mean, var, inv):  # pragma: no cover
    """Standardize each row of ``x`` (R, K), then ``* scale + offset``.

    ``y = ((x - mean) * inv * rs[i]) * cs[j] + (co[j] + ro[i])``: per-row parameters ``rs, ro``
    (R,) float64, per-column ``cs, co`` (K,) in the dtype of ``x`` (read only with
    ``use_cols``). Statistics in float64, two passes over a row that stays in cache:
    ``var = mean((x - mean)**2)``. Without per-column parameters the output is computed in
    float64 (memory-bound anyway); with them, in the dtype of ``x`` (float64 arithmetic made
    that pass compute-bound for float32), from the mean split into two parts of that dtype so
    that ``x - mean`` stays accurate when ``|mean|`` dwarfs the spread.
    """
    R, K = x.shape
    tmp = np.empty(3, x.dtype)  # rounds float64 scalars to the dtype of x
    for i in range(R):
        xi = x[i]
        yi = y[i]
        s = 0.0
        for j in range(K):
            s += xi[j]
        mu = s / K
        ss = 0.0
        for j in range(K):
            d = xi[j] - mu
            ss += d * d
        v = ss / K
        iv = 1.0 / math.sqrt(v + eps)
        mean[i] = mu
        var[i] = v
        inv[i] = iv
        a = iv * rs[i]
        if use_cols:
            tmp[0] = mu
            tmp[1] = mu - tmp[0]
            tmp[2] = a
            mh = tmp[0]
            ml = tmp[1]
            ax = tmp[2]
            tmp[0] = ro[i]
            c = tmp[0]
            for j in range(K):
                yi[j] = sub_exact(sub_exact(xi[j], mh), ml) * ax * cs[j] + (co[j] + c)
        else:
            b = -mu * a + ro[i]
            for j in range(K):
                yi[j] = xi[j] * a + b


#: The backward pass accumulates its column sums over blocks of this many rows in the dtype of
#: ``x`` (twice as fast as float64 for float32), then adds each block's sums to float64 totals.
_COL_BLOCK = 64


def _norm_rows_grad(x, gy, mean, inv, rs, cs, use_cols, want_cols, want_gx, gx, rsum, csum):
    """Backward of :func:`_norm_rows` (no statistics outputs).

    ``xhat = (x - mean) * inv``, ``g = gy * rs[i] * cs[j]``;
    ``gx = inv * (g - mean_j(g) - xhat * mean_j(g * xhat))`` (with ``want_gx``);
    ``rsum[0, i] = sum_j gy``, ``rsum[1, i] = sum_j gy * xhat`` (per-row parameter gradients);
    with ``want_cols``, ``csum[0, j] = sum_i gy`` and ``csum[1, j] = sum_i gy * xhat``.
    ``rs`` (R,) and ``cs`` (K,, read with ``use_cols``) are in the dtype of ``x``, and so is the
    element-wise arithmetic: in float64 this pass was compute-bound for float32 data (2.5x the
    time of reading the data). ``x - mean`` uses the mean split into two parts of that dtype.
    Row sums are vectorised (one partial sum per SIMD lane); the column sums are accumulated in
    the same loop (a separate loop over the cached row cost 4x more), per block of
    :data:`_COL_BLOCK` rows, into float64 totals.
    """
    R, K = x.shape
    tmp = np.empty(4, x.dtype)  # rounds float64 scalars to the dtype of x
    zero = np.zeros(1, x.dtype)[0]
    cb0 = np.zeros(K, x.dtype)
    cb1 = np.zeros(K, x.dtype)
    c0 = np.zeros(K)
    c1 = np.zeros(K)
    for i in range(R):
        xi = x[i]
        gi = gy[i]
        tmp[0] = mean[i]
        tmp[1] = mean[i] - tmp[0]
        tmp[2] = inv[i]
        mh = tmp[0]
        ml = tmp[1]
        iv = tmp[2]
        r = rs[i]
        sg = zero
        sgx = zero
        tg = zero
        tgx = zero
        if use_cols and want_cols:
            for j in range(K):
                xh = sub_exact(sub_exact(xi[j], mh), ml) * iv
                g = gi[j]
                gc = g * cs[j]
                sg += g
                sgx += g * xh
                tg += gc
                tgx += gc * xh
                cb0[j] += g
                cb1[j] += g * xh
        elif use_cols:
            for j in range(K):
                xh = sub_exact(sub_exact(xi[j], mh), ml) * iv
                g = gi[j]
                gc = g * cs[j]
                sg += g
                sgx += g * xh
                tg += gc
                tgx += gc * xh
        elif want_cols:
            for j in range(K):
                xh = sub_exact(sub_exact(xi[j], mh), ml) * iv
                g = gi[j]
                sg += g
                sgx += g * xh
                cb0[j] += g
                cb1[j] += g * xh
        else:
            for j in range(K):
                xh = sub_exact(sub_exact(xi[j], mh), ml) * iv
                g = gi[j]
                sg += g
                sgx += g * xh
        if not use_cols:
            tg = sg
            tgx = sgx
        rsum[0, i] = sg
        rsum[1, i] = sgx
        if want_cols and ((i + 1) % _COL_BLOCK == 0 or i == R - 1):
            for j in range(K):
                c0[j] += cb0[j]
                c1[j] += cb1[j]
                cb0[j] = zero
                cb1[j] = zero
        if want_gx:
            gxi = gx[i]
            tmp[0] = r * tg / K
            tmp[1] = r * tgx / K
            k1 = tmp[0]
            k2 = tmp[1]
            if use_cols:
                for j in range(K):
                    xh = sub_exact(sub_exact(xi[j], mh), ml) * iv
                    gxi[j] = iv * (r * gi[j] * cs[j] - k1 - xh * k2)
            else:
                for j in range(K):
                    xh = sub_exact(sub_exact(xi[j], mh), ml) * iv
                    gxi[j] = iv * (r * gi[j] - k1 - xh * k2)
    if want_cols:
        for j in range(K):
            csum[0, j] = c0[j]
            csum[1, j] = c1[j]


# ---------------------------------------------------------------------------- batch norm
def _chan_stats(x, count, mean, m2):  # pragma: no cover - compiled
    """Per-channel count, mean and centred sum of squares of ``x`` (A, C, B), in float64.

    Each ``x[a, c]`` (B contiguous values) is summed twice while in cache (mean, then squared
    deviations) and merged into its channel with Chan's update, so no ``E[x^2] - E[x]^2``
    cancellation. ``count, mean, m2`` (C,) start at 0 and may hold earlier rows' statistics.
    """
    A, C, B = x.shape
    for a in range(A):
        for c in range(C):
            row = x[a, c]
            s = 0.0
            for j in range(B):
                s += row[j]
            mu = s / B
            ss = 0.0
            for j in range(B):
                d = row[j] - mu
                ss += d * d
            n0 = count[c]
            n1 = n0 + B
            delta = mu - mean[c]
            mean[c] += delta * (B / n1)
            m2[c] += ss + delta * delta * (n0 * B / n1)
            count[c] = n1


def _chan_apply(x, mh, ml, a, b, y):  # pragma: no cover - compiled
    """``y[., c, .] = (x - mean[c]) * a[c] + b[c]``, ``mean = mh + ml`` (dtype of ``x``)."""
    A, C, B = x.shape
    for i in range(A):
        for c in range(C):
            row = x[i, c]
            out = y[i, c]
            m1 = mh[c]
            m2 = ml[c]
            ac = a[c]
            bc = b[c]
            for j in range(B):
                out[j] = sub_exact(sub_exact(row[j], m1), m2) * ac + bc


def _chan_grad_sums(x, gy, mh, ml, iv, s1, s2):  # pragma: no cover - compiled
    """``s1[c] += sum gy``, ``s2[c] += sum gy * xhat`` over ``x[:, c, :]`` (float64 sums)."""
    A, C, B = x.shape
    zero = np.zeros(1, x.dtype)[0]
    for i in range(A):
        for c in range(C):
            row = x[i, c]
            g = gy[i, c]
            m1 = mh[c]
            m2 = ml[c]
            v = iv[c]
            t1 = zero
            t2 = zero
            for j in range(B):
                gj = g[j]
                t1 += gj
                t2 += gj * (sub_exact(sub_exact(row[j], m1), m2) * v)
            s1[c] += t1
            s2[c] += t2


def _chan_grad_apply(x, gy, mh, ml, iv, k0, k1, k2, gx):  # pragma: no cover - compiled
    """``gx = k0[c] * gy - k1[c] - xhat * k2[c]``, ``xhat = (x - mean) * iv`` per channel."""
    A, C, B = x.shape
    for i in range(A):
        for c in range(C):
            row = x[i, c]
            g = gy[i, c]
            out = gx[i, c]
            m1 = mh[c]
            m2 = ml[c]
            v = iv[c]
            c0 = k0[c]
            c1 = k1[c]
            c2 = k2[c]
            for j in range(B):
                xh = sub_exact(sub_exact(row[j], m1), m2) * v
                out[j] = c0 * g[j] - c1 - xh * c2


# ---------------------------------------------------------------------------- softmax family
def _softmax_rows(x, y, log):  # pragma: no cover - compiled
    """Softmax (or log-softmax with ``log``) of each row of a float32 ``x`` (R, K) into ``y``.

    The sum of the exponentials is accumulated in float64: ``log(sum)`` is then accurate also
    when the sum is close to 1 (one dominant logit), where a float32 sum would lose up to
    ``1e-4`` relative accuracy of the log-probabilities near 0.
    Returns False, leaving ``y`` partly written, when a row's maximum is not finite (a ``+inf``
    or an all ``-inf`` row) or a row holds NaN: the caller then uses the NumPy code, which
    defines those limits.
    """
    R, K = x.shape
    lanes = np.empty(_MAX_LANES, np.float32)
    for i in range(R):
        xi = x[i]
        yi = y[i]
        m = row_max(xi, lanes)
        if not (m > -np.inf and m < np.inf):
            return False
        s = 0.0
        if log:
            for j in range(K):
                s += expf_nonpos(xi[j] - m)
            if s != s:  # a NaN entry (row_max skips them)
                return False
            ls = np.float32(math.log(s))
            for j in range(K):
                yi[j] = sub_exact(sub_exact(xi[j], m), ls)
        else:
            for j in range(K):
                e = expf_nonpos(xi[j] - m)
                yi[j] = e
                s += e
            if s != s:
                return False
            r = np.float32(1.0 / s)
            for j in range(K):
                yi[j] *= r
    return True


def _softmax_xent_rows(x, t, loss, stats):  # pragma: no cover - compiled
    """Dense softmax cross-entropy of each row: ``sum(t) * log(sum(exp(z))) - sum(t * z)``.

    ``z = x - max(x)``; float32 ``x, t`` (R, K); ``loss`` (R,) float32. ``stats`` (3, R)
    float32 receives the row's max, ``sum(exp(z))`` and ``sum(t)``, which the gradient reuses.
    Sums in float64 (``log(sum)`` stays accurate when it is close to 0). A zero label times a
    ``-inf`` logit counts 0. Returns False at a row whose maximum is not finite or that holds a
    NaN logit (the caller then takes its general NumPy path).
    """
    R, K = x.shape
    lanes = np.empty(_MAX_LANES, np.float32)
    zero = np.float32(0.0)
    for i in range(R):
        xi = x[i]
        ti = t[i]
        m = row_max(xi, lanes)
        if not (m > -np.inf and m < np.inf):
            return False
        s = 0.0
        st = 0.0
        tz = 0.0
        for j in range(K):
            z = sub_exact(xi[j], m)
            tj = ti[j]
            s += expf_nonpos(z)
            st += tj
            tz += zero if tj == zero else tj * z
        if s != s:  # a NaN logit (row_max skips them)
            return False
        loss[i] = st * math.log(s) - tz
        stats[0, i] = m
        stats[1, i] = s
        stats[2, i] = st
    return True


def _softmax_xent_grad_rows(x, t, gy, stats, gx):  # pragma: no cover - compiled
    """``gx = gy * (exp(x - max) * sum(t) / sum(exp) - t)`` per row, from the forward's stats."""
    R, K = x.shape
    for i in range(R):
        xi = x[i]
        ti = t[i]
        gi = gx[i]
        m = stats[0, i]
        g = gy[i]
        c = g * stats[2, i] / stats[1, i]
        for j in range(K):
            gi[j] = expf_nonpos(xi[j] - m) * c - ti[j] * g


def _sparse_xent_rows(x, labels, loss, stats):  # pragma: no cover - compiled
    """Sparse softmax cross-entropy of each row: ``log(sum(exp(z))) - z[label]``, ``z = x - max``.

    float32 ``x`` (R, K), integer ``labels`` (R,); ``loss`` (R,) float32; ``stats`` (2, R)
    float32 receives the row's max and ``sum(exp(z))`` for the gradient. Returns False at a
    row whose maximum is not finite, that holds NaN, or whose label is out of range (the caller
    then takes its general NumPy path).
    """
    R, K = x.shape
    lanes = np.empty(_MAX_LANES, np.float32)
    for i in range(R):
        xi = x[i]
        lab = labels[i]
        if lab < 0 or lab >= K:
            return False
        m = row_max(xi, lanes)
        if not (m > -np.inf and m < np.inf):
            return False
        s = 0.0
        for j in range(K):
            s += expf_nonpos(xi[j] - m)
        if s != s:
            return False
        loss[i] = math.log(s) - sub_exact(xi[lab], m)
        stats[0, i] = m
        stats[1, i] = s
    return True


def _sparse_xent_grad_rows(x, labels, gy, stats, gx):  # pragma: no cover - compiled
    """``gx = gy * (exp(x - max) / sum(exp) - onehot(label))`` per row, from the stats."""
    R, K = x.shape
    for i in range(R):
        xi = x[i]
        gi = gx[i]
        m = stats[0, i]
        g = gy[i]
        c = g / stats[1, i]
        for j in range(K):
            gi[j] = expf_nonpos(xi[j] - m) * c
        gi[labels[i]] -= g


# ---------------------------------------------------------------------------- gelu, erf
def _gelu_erf_f32(x, y):  # pragma: no cover - compiled
    """``y = x/2 * erfc(-x/sqrt(2))`` of float32 1-d arrays, computed in float64."""
    for i in range(x.shape[0]):
        xd = np.float64(x[i])
        a = abs(xd) * _INV_SQRT2
        big = not (a < _ERFC_AMAX)  # also NaN: then the result is NaN through xd
        e = erfc_pos(_ERFC_AMAX if big else a)
        e = 0.0 if big else e
        w = e if xd < 0.0 else 2.0 - e
        y[i] = np.float32(0.5 * xd * w)


def _erf_f32(x, y):  # pragma: no cover - compiled
    """``y = erf(x)`` of float32 1-d arrays, computed in float64."""
    for i in range(x.shape[0]):
        xd = np.float64(x[i])
        a = abs(xd)
        z = xd * xd
        s = _S11
        s = s * z + _S10
        s = s * z + _S9
        s = s * z + _S8
        s = s * z + _S7
        s = s * z + _S6
        s = s * z + _S5
        s = s * z + _S4
        s = s * z + _S3
        s = s * z + _S2
        s = s * z + _S1
        s = s * z + _S0
        small = xd * s
        e = erfc_pos(a if a < _ERFC_AMAX else _ERFC_AMAX)
        w = 1.0 - e
        large = w if xd > 0.0 else -w
        r = small if a < _ERF_SMALL else large
        y[i] = np.float32(xd if xd != xd else r)


def _gelu_erf_f64(x, y):  # pragma: no cover - compiled
    """``y = x/2 * erfc(-x/sqrt(2))`` of float64 1-d arrays with libm's ``erfc`` (scalar)."""
    for i in range(x.shape[0]):
        y[i] = 0.5 * x[i] * math.erfc(-x[i] * _INV_SQRT2)


def _erf_f64(x, y):  # pragma: no cover - compiled
    """``y = erf(x)`` of float64 1-d arrays with libm's ``erf`` (scalar)."""
    for i in range(x.shape[0]):
        y[i] = math.erf(x[i])


@lru_cache(maxsize=1)
def kernels() -> dict[str, Any]:
    """The kernels as numba dispatchers (each compiles on its first call, cached on disk)."""
    import numba
    from numba.extending import intrinsic

    g = globals()
    g["f32_from_bits"] = intrinsic(_f32_from_bits_typer)
    g["f64_from_bits"] = intrinsic(_f64_from_bits_typer)
    # error_model="numpy": a float division by zero gives inf/NaN instead of raising, which
    # keeps the helpers free of exception paths, so LLVM inlines and vectorises them.
    common = {"cache": True, "nogil": True, "error_model": "numpy"}
    exact = {**common, "fastmath": set(_FM_EXACT)}
    reduce_ = {**common, "fastmath": set(_FM_REDUCE)}
    g["expf_nonpos"] = numba.njit(**exact)(_expf_nonpos)
    g["exp_nonpos_f64"] = numba.njit(**exact)(_exp_nonpos_f64)
    g["erfc_pos"] = numba.njit(**exact)(_erfc_pos)
    g["row_max"] = numba.njit(**reduce_)(_row_max)
    g["sub_exact"] = numba.njit(**exact)(_sub_exact)
    return {
        "norm_rows": numba.njit(**reduce_)(_norm_rows),
        "norm_rows_grad": numba.njit(**reduce_)(_norm_rows_grad),
        "chan_stats": numba.njit(**reduce_)(_chan_stats),
        "chan_apply": numba.njit(**reduce_)(_chan_apply),
        "chan_grad_sums": numba.njit(**reduce_)(_chan_grad_sums),
        "chan_grad_apply": numba.njit(**reduce_)(_chan_grad_apply),
        "softmax_rows": numba.njit(**reduce_)(_softmax_rows),
        "softmax_xent_rows": numba.njit(**reduce_)(_softmax_xent_rows),
        "softmax_xent_grad_rows": numba.njit(**reduce_)(_softmax_xent_grad_rows),
        "sparse_xent_rows": numba.njit(**reduce_)(_sparse_xent_rows),
        "sparse_xent_grad_rows": numba.njit(**reduce_)(_sparse_xent_grad_rows),
        "gelu_erf_f32": numba.njit(**exact)(_gelu_erf_f32),
        "erf_f32": numba.njit(**exact)(_erf_f32),
        "gelu_erf_f64": numba.njit(**exact)(_gelu_erf_f64),
        "erf_f64": numba.njit(**exact)(_erf_f64),
    }


# ---------------------------------------------------------------------------- bilinear resampling
def _bilinear_rows(x, xs, ys, y, start, stop):  # pragma: no cover - compiled
    """``y[b, c, i, j]``: bilinear sample of ``x[b, c]`` at ``(ys, xs)[b, i, j]`` for images
    ``start <= b < stop``; coordinates clamped to the image (border pixels repeat), NaN gives
    NaN. ``x (B, C, H, W)``, ``xs, ys (B, Ho, Wo)``, ``y (B, C, Ho, Wo)``, one float dtype."""
    C, H, W = x.shape[1], x.shape[2], x.shape[3]
    Ho, Wo = xs.shape[1], xs.shape[2]
    one = x.dtype.type(1.0)
    wmax = x.dtype.type(W - 1)
    hmax = x.dtype.type(H - 1)
    zero = x.dtype.type(0.0)
    for b in range(start, stop):
        for i in range(Ho):
            for j in range(Wo):
                u = xs[b, i, j]
                v = ys[b, i, j]
                if u != u or v != v:
                    for c in range(C):
                        y[b, c, i, j] = np.nan
                    continue
                u = min(max(u, zero), wmax)
                v = min(max(v, zero), hmax)
                x0 = int(u)
                y0 = int(v)
                fx = u - x0
                fy = v - y0
                x1 = x0 + 1 if x0 < W - 1 else x0
                y1 = y0 + 1 if y0 < H - 1 else y0
                w00 = (one - fx) * (one - fy)
                w01 = fx * (one - fy)
                w10 = (one - fx) * fy
                w11 = fx * fy
                for c in range(C):
                    y[b, c, i, j] = (
                        x[b, c, y0, x0] * w00
                        + x[b, c, y0, x1] * w01
                        + x[b, c, y1, x0] * w10
                        + x[b, c, y1, x1] * w11
                    )


# ---------------------------------------------------------------------------- resampling
# (nnfunc.kernels.cpu.interpolate: the two-tap interpolation along the middle axis of a 3-d view)
def _resample_axis(x, i0, i1, w1, y):  # pragma: no cover - compiled
    for a in range(x.shape[0]):
        for o in range(y.shape[1]):
            j0 = i0[o]
            j1 = i1[o]
            w = w1[o]
            v = 1 - w
            for t in range(x.shape[2]):
                y[a, o, t] = v * x[a, j0, t] + w * x[a, j1, t]


def _resample_axis_adjoint(g, i0, i1, w1, out):  # pragma: no cover - compiled
    for a in range(g.shape[0]):
        for o in range(g.shape[1]):
            j0 = i0[o]
            j1 = i1[o]
            w = w1[o]
            v = 1 - w
            for t in range(g.shape[2]):
                out[a, j0, t] += v * g[a, o, t]
                out[a, j1, t] += w * g[a, o, t]


@lru_cache(maxsize=1)
def resample_kernels() -> dict[str, Any]:
    """The bilinear kernel of :mod:`nnfunc.kernels.cpu.resample`, compiled on first call."""
    import numba

    common = {"cache": True, "nogil": True, "error_model": "numpy"}
    return {"bilinear_rows": numba.njit(**common, fastmath={"contract"})(_bilinear_rows)}


@lru_cache(maxsize=1)
def interpolate_kernels() -> dict[str, Any]:
    """The two-tap kernels of :mod:`nnfunc.kernels.cpu.interpolate` (compiled on first call,
    cached on disk)."""
    import numba

    opts = {"cache": True, "nogil": True, "error_model": "numpy"}
    return {
        "resample_axis": numba.njit(**opts)(_resample_axis),
        "resample_axis_adjoint": numba.njit(**opts)(_resample_axis_adjoint),
    }


def _resample_2d(x, iy0, iy1, wy, ix0, ix1, wx, y):  # pragma: no cover - compiled
    # bilinear over the last two axes of (A, H, W) in one pass (NNabla's operation order)
    for a in range(x.shape[0]):
        for oy in range(y.shape[1]):
            r0 = iy0[oy]
            r1 = iy1[oy]
            v = wy[oy]
            u = 1 - v
            for ox in range(y.shape[2]):
                c0 = ix0[ox]
                c1 = ix1[ox]
                w = wx[ox]
                q = 1 - w
                top = q * x[a, r0, c0] + w * x[a, r0, c1]
                bottom = q * x[a, r1, c0] + w * x[a, r1, c1]
                y[a, oy, ox] = u * top + v * bottom


def _resample_2d_adjoint(g, iy0, iy1, wy, ix0, ix1, wx, out):  # pragma: no cover - compiled
    for a in range(g.shape[0]):
        for oy in range(g.shape[1]):
            r0 = iy0[oy]
            r1 = iy1[oy]
            v = wy[oy]
            u = 1 - v
            for ox in range(g.shape[2]):
                c0 = ix0[ox]
                c1 = ix1[ox]
                w = wx[ox]
                q = 1 - w
                t = g[a, oy, ox]
                out[a, r0, c0] += u * q * t
                out[a, r0, c1] += u * w * t
                out[a, r1, c0] += v * q * t
                out[a, r1, c1] += v * w * t


@lru_cache(maxsize=1)
def resample_2d_kernels() -> dict[str, Any]:
    """The fused bilinear kernels as numba dispatchers (compiled on first call)."""
    import numba

    opts = {"cache": True, "nogil": True, "error_model": "numpy"}
    return {
        "resample_2d": numba.njit(**opts)(_resample_2d),
        "resample_2d_adjoint": numba.njit(**opts)(_resample_2d_adjoint),
    }


# ---------------------------------------------------------------------------- CTC
# The CTC kernels of :mod:`nnfunc.kernels.cpu.ctc` (float32), compiled by :func:`ctc_kernels`
# after :func:`kernels`, whose helpers they share. One call handles the sequences
# ``b0 <= b < b1`` of the full arrays (the caller splits the batch over threads). The inner
# loops over the extended label are branch-free (selects; a first loop gathers each state's
# log-probability) so that LLVM vectorises them with :func:`expf_nonpos` and :func:`_ctc_log13`.
_ctc_log13_j: Any = None
_ctc_lse3_j: Any = None
_ctc_flags_j: Any = None
_ctc_step_j: Any = None
_ctc_row_lse_j: Any = None
_ctc_sum_j: Any = None
_ctc_scratch_j: Any = None

_SQRT2_F = np.float32(1.4142135)
_LN2_F = np.float32(0.6931472)
_THIRD_F = np.float32(1.0 / 3.0)
_FIFTH_F = np.float32(0.2)
_SEVENTH_F = np.float32(1.0 / 7.0)
_NINTH_F = np.float32(1.0 / 9.0)
_TWO_F = np.float32(2.0)
_ZERO_F = np.float32(0.0)
_NINF_F = np.float32(-np.inf)


def _ctc_log13(s):  # pragma: no cover - compiled
    """``log(s)`` of a float32 ``1 <= s <= 4`` (a sum of three exponentials, the largest 1).

    Two conditional halvings bring ``s`` to ``r`` in ``[1/sqrt2, sqrt2]``; then
    ``log r = 2 atanh(u)``, ``u = (r - 1)/(r + 1)``, ``|u| <= 0.172``: five odd terms of the
    series leave an error below 1e-9. Branch-free (selects), so loops that call it vectorise.
    """
    h1 = s > _SQRT2_F
    r = s * _HALF_F if h1 else s
    h2 = r > _SQRT2_F
    r = r * _HALF_F if h2 else r
    e = (_ONE_F if h1 else _ZERO_F) + (_ONE_F if h2 else _ZERO_F)
    u = (r - _ONE_F) / (r + _ONE_F)
    z = u * u
    p = (((_NINTH_F * z + _SEVENTH_F) * z + _FIFTH_F) * z + _THIRD_F) * z + _ONE_F
    return e * _LN2_F + _TWO_F * u * p


def _ctc_lse3(a, b, c):  # pragma: no cover - compiled
    """``log(exp(a) + exp(b) + exp(c))`` of float32 values; ``-inf`` when all three are."""
    m = a if a > b else b
    m = m if m > c else c
    finite = m > _NINF_F
    ms = m if finite else _ZERO_F
    s = expf_nonpos(a - ms) + expf_nonpos(b - ms) + expf_nonpos(c - ms)
    r = ms + _ctc_log13_j(s)
    return r if finite else m


def _ctc_flags(ext_b, sb, blank, merge, stay, skip):  # pragma: no cover - compiled
    """Per-state transitions of one sequence: ``stay[s]`` self-loop, ``skip[s]`` from ``s - 2``."""
    for s in range(sb):
        lab = ext_b[s]
        stay[s] = merge or lab == blank
        skip[s] = s >= 2 and lab != blank and (not merge or lab != ext_b[s - 2])


def _ctc_step(src, o, stay, skip, add, dst, lo, hi):  # pragma: no cover - compiled
    """One step of the alpha (or beta) recursion on states ``lo <= s < hi``.

    ``dst[s] = logsumexp(stay, advance, skip terms) + add[s]``. Alpha reads
    ``src = [-inf, -inf, prev...]`` with ``o = 0`` (``s + 2`` stays, ``s + 1`` advances,
    ``s`` skips when ``skip[s]``); beta reads ``src = [next..., -inf, -inf]`` with ``o = 2``
    (``s`` stays, ``s + 1``, ``s + 2`` when ``skip[s + 2]``). The log-sum-exp is written out in
    a function of its own: LLVM then inlines the helpers and vectorises the loop (inside the
    large kernels, or through a jitted ``lse3``, it stayed scalar: 5x slower).
    """
    for s in range(lo, hi):
        a0 = src[s + 2 - o] if stay[s] else _NINF_F
        a1 = src[s + 1]
        a2 = src[s + o] if skip[s + o] else _NINF_F
        m = a0 if a0 > a1 else a1
        m = m if m > a2 else a2
        ms = m if m > _NINF_F else _ZERO_F
        e = expf_nonpos(a0 - ms) + expf_nonpos(a1 - ms) + expf_nonpos(a2 - ms)
        r = ms + _ctc_log13_j(e)
        dst[s] = (r if m > _NINF_F else m) + add[s]


def _ctc_sum(v):  # pragma: no cover - compiled
    """Sum of a float32 1-d array in float64 (compiled with re-association: vectorised)."""
    acc = 0.0
    for j in range(v.shape[0]):
        acc += v[j]
    return acc


def _ctc_scratch(n, k):  # pragma: no cover - compiled
    """``k`` float32 rows of ``n`` cut from one block at offsets 1 KB apart modulo 4 KB.

    Separately allocated scratch rows sometimes lay at addresses equal modulo 4096: a loop
    that stores to one while loading from another then stalls on false store-to-load
    dependencies ("4K aliasing"), and the whole kernel ran 3x slower in one process out of
    two. Rows of a stride equal to 256 floats (1 KB) modulo 1024 floats never alias.
    """
    stride = (n + 1023) // 1024 * 1024 + 256
    return np.empty((k, stride), np.float32)


def _ctc_row_lse(row, lanes, ex):  # pragma: no cover - compiled
    """``log(sum(exp(row)))`` of a float32 row (``ex``: scratch of its length)."""
    c = row.shape[0]
    if c >= _MAX_LANES:
        m = row_max(row, lanes)
    else:  # short rows (the usual CTC vocabularies): 16 running maxima, then a scalar tail
        for j in range(16):
            lanes[j] = _NINF_F
        stop = c - c % 16
        for j0 in range(0, stop, 16):
            for j in range(16):
                v = row[j0 + j]
                lanes[j] = v if v > lanes[j] else lanes[j]
        m = _NINF_F
        for j in range(16):
            v = lanes[j]
            m = v if v > m else m
        for j in range(stop, c):
            v = row[j]
            m = v if v > m else m
    ms = m if (m > _NINF_F and m < np.inf) else _ZERO_F
    for j in range(c):
        ex[j] = expf_nonpos(row[j] - ms)
    acc = 0.0
    for j in range(c):
        acc += ex[j]
    return ms + np.float32(math.log(acc))


def _ctc_alpha(x, ext, ext_len, in_len, blank, merge, nll, alpha, lse, b0, b1):  # pragma: no cover
    """Forward variables (log) of sequences ``b0..b1``: ``nll``, ``alpha``, ``lse`` (ctc.py).

    Only ``alpha[b, t, s]`` for ``t < in_len[b]``, ``s < ext_len[b]`` is written (the states
    outside the band of complete paths as ``-inf``): the gradient reads no other entry.
    """
    t_max = x.shape[1]
    c = x.shape[2]
    s_max = ext.shape[1]
    stay = np.empty(s_max, np.bool_)
    skip = np.empty(s_max, np.bool_)
    # The previous row of alpha after two -inf (states -2 and -1), the row being computed and
    # the states' log-probabilities, cut from one block (see _ctc_scratch).
    scratch = _ctc_scratch_j(s_max + 2, 3)
    pa = scratch[0][: s_max + 2]
    ca = scratch[1][:s_max]
    lpe = scratch[2][:s_max]
    lanes = np.empty(_MAX_LANES, np.float32)
    ex = np.empty(c, np.float32)
    for b in range(b0, b1):
        tb = in_len[b]
        sb = ext_len[b]
        ext_b = ext[b]
        _ctc_flags_j(ext_b, sb, blank, merge, stay, skip)
        for t in range(tb):
            lse[b, t] = _ctc_row_lse_j(x[b, t], lanes, ex)
        for t in range(tb, t_max):
            lse[b, t] = _ZERO_F
        if tb == 0:
            nll[b] = _ZERO_F if sb == 1 else np.inf
            continue
        for s in range(s_max + 2):
            pa[s] = _NINF_F
        l0 = lse[b, 0]
        lo = sb - 2 * tb
        if lo <= 0 and l0 > _NINF_F:
            pa[2] = x[b, 0, ext_b[0]] - l0
        if sb > 1 and lo <= 1 and l0 > _NINF_F:
            pa[3] = x[b, 0, ext_b[1]] - l0
        for s in range(sb):
            alpha[b, 0, s] = pa[s + 2]
        for t in range(1, tb):
            lt = lse[b, t]
            row = x[b, t]
            lo = sb - 2 * (tb - t)
            lo = lo if lo > 0 else 0
            hi = 2 * t + 2
            hi = hi if hi < sb else sb
            for s in range(lo, hi):
                v = sub_exact(row[ext_b[s]], lt)
                lpe[s] = v if lt > _NINF_F else _NINF_F  # an all -inf step: probability 0
            _ctc_step_j(pa, 0, stay, skip, lpe, ca, lo, hi)
            for s in range(lo):
                ca[s] = _NINF_F
            for s in range(hi, sb):
                ca[s] = _NINF_F
            out = alpha[b, t]
            for s in range(sb):
                v = ca[s]
                out[s] = v
                pa[s + 2] = v
        end = pa[sb + 1]
        if sb > 1:
            end = _ctc_lse3_j(end, pa[sb], _NINF_F)
        nll[b] = _ZERO_F - end  # no negative zero


def _ctc_beta_grad(  # pragma: no cover - compiled
    x, ext, ext_len, in_len, blank, merge, alpha, lse, nll, gy, gx, b0, b1
):
    """Logits gradient ``gy * (softmax - posterior)`` of sequences ``b0..b1`` into ``gx``.

    The backward variables of one step at a time (``beta``, without the step's probability;
    ``bl``, with it, for the step before) combine with the stored ``alpha`` into the
    posterior of each state, which its class loses. Rows past the length and sequences
    without an alignment (``nll = inf``) get 0.
    """
    t_max = x.shape[1]
    c = x.shape[2]
    s_max = ext.shape[1]
    stay = np.zeros(s_max + 2, np.bool_)
    skip = np.zeros(s_max + 2, np.bool_)
    scratch = _ctc_scratch_j(s_max + 2, 4)  # one block: no 4K aliasing between the rows
    beta = scratch[0][:s_max]
    zeros = scratch[1][:s_max]
    post = scratch[2][:s_max]
    bl = scratch[3][: s_max + 2]
    for s in range(s_max):
        zeros[s] = _ZERO_F
    lanes = np.empty(_MAX_LANES, np.float32)
    for b in range(b0, b1):
        tb = in_len[b]
        sb = ext_len[b]
        ext_b = ext[b]
        p = nll[b]
        g = gy[b]
        feasible = p < np.inf and p > _NINF_F
        for t in range(t_max):
            if t >= tb or not feasible:
                out = gx[b, t]
                for j in range(c):
                    out[j] = _ZERO_F
        if tb == 0 or not feasible:
            continue
        _ctc_flags_j(ext_b, sb, blank, merge, stay, skip)
        for s in range(sb, s_max + 2):
            stay[s] = False
            skip[s] = False
        for s in range(s_max + 2):
            bl[s] = _NINF_F
        for t in range(tb - 1, -1, -1):
            lt = lse[b, t]
            row = x[b, t]
            if t == tb - 1:
                for s in range(sb):
                    beta[s] = _ZERO_F if s >= sb - 2 else _NINF_F
            else:
                lo = sb - 2 * (tb - t)
                lo = lo if lo > 0 else 0
                hi = 2 * t + 2
                hi = hi if hi < sb else sb
                _ctc_step_j(bl, 2, stay, skip, zeros, beta, lo, hi)
                for s in range(lo):
                    beta[s] = _NINF_F
                for s in range(hi, sb):
                    beta[s] = _NINF_F
            # The posterior of each state, normalised over the step's states (its total is
            # 1 exactly; in float32 alpha + beta - log p drifts by ~1e-3 over 1000 steps,
            # by the same amount for every state of a step, which this cancels). Separate
            # loops and helpers for the reductions: the element-wise loops then vectorise.
            arow = alpha[b, t]
            for s in range(sb):
                post[s] = arow[s] + beta[s]
            m = row_max(post[:sb], lanes)
            ms = m if m > _NINF_F else _ZERO_F
            for s in range(sb):
                post[s] = expf_nonpos(post[s] - ms)
            tot = _ctc_sum_j(post[:sb])
            scale = np.float32(g / tot) if tot > 0.0 else _ZERO_F
            out = gx[b, t]
            for j in range(c):
                out[j] = expf_nonpos(sub_exact(row[j], lt)) * g
            # Even states are the blank: one update; odd states scatter to their labels.
            out[blank] -= np.float32(_ctc_sum_j(post[0:sb:2])) * scale
            for s in range(1, sb, 2):
                out[ext_b[s]] -= post[s] * scale
            for s in range(sb):
                bl[s] = beta[s] + sub_exact(row[ext_b[s]], lt)


@lru_cache(maxsize=1)
def ctc_kernels() -> dict[str, Any]:
    """The CTC kernels as numba dispatchers (compiled on first call, cached on disk)."""
    import numba

    kernels()  # sets the shared helpers (expf_nonpos, row_max, sub_exact) as globals
    g = globals()
    exact = {"cache": True, "nogil": True, "error_model": "numpy", "fastmath": set(_FM_EXACT)}
    g["_ctc_log13_j"] = numba.njit(**exact)(_ctc_log13)
    g["_ctc_lse3_j"] = numba.njit(**exact)(_ctc_lse3)
    g["_ctc_flags_j"] = numba.njit(**exact)(_ctc_flags)
    g["_ctc_step_j"] = numba.njit(**exact)(_ctc_step)
    g["_ctc_row_lse_j"] = numba.njit(**{**exact, "fastmath": set(_FM_REDUCE)})(_ctc_row_lse)
    g["_ctc_scratch_j"] = numba.njit(**exact)(_ctc_scratch)
    g["_ctc_sum_j"] = numba.njit(**{**exact, "fastmath": set(_FM_REDUCE)})(_ctc_sum)
    return {
        "ctc_alpha": numba.njit(**exact)(_ctc_alpha),
        "ctc_beta_grad": numba.njit(**exact)(_ctc_beta_grad),
    }


# ---------------------------------------------------------------------------- attention
# The tile steps of :mod:`nnfunc.kernels.cpu.attention` (float32 scores, rows of one tile).
# Kept after kernels() and compiled by attention_kernels(), which first runs kernels() so that
# the helpers they call (row_max, expf_nonpos) exist as globals.
def _attn_online_step(s, m, msafe, lsum, alpha):  # pragma: no cover - compiled
    """One key block of the online softmax, row by row of the float32 scores ``s`` (R, C).

    Per row: the new running maximum ``m`` (``-inf`` while every key so far is masked), its
    finite shift ``msafe`` (0 instead of ``-inf``), ``s <- exp(s - msafe)`` in place, the
    rescale factor ``alpha = exp(old msafe - msafe)`` of the previous sums (0 while ``m`` was
    ``-inf``: nothing was summed) and the running sum ``lsum <- lsum * alpha + sum(s)``.
    """
    R, C = s.shape
    lanes = np.empty(_MAX_LANES, np.float32)
    for i in range(R):
        si = s[i]
        mb = row_max(si, lanes)
        old = m[i]
        mn = mb if mb > old else old
        ms = mn if mn > -np.inf else np.float32(0.0)
        acc = np.float32(0.0)
        for j in range(C):
            e = expf_nonpos(si[j] - ms)
            si[j] = e
            acc += e
        a = expf_nonpos(msafe[i] - ms) if old > -np.inf else np.float32(0.0)
        alpha[i] = a
        lsum[i] = lsum[i] * a + acc
        m[i] = mn
        msafe[i] = ms


def _attn_exp_rows(s, lse):  # pragma: no cover - compiled
    """``s <- exp(s - lse)`` per row of float32 scores: the probabilities of a tile."""
    R, C = s.shape
    for i in range(R):
        si = s[i]
        c = lse[i]
        for j in range(C):
            x = si[j] - c
            si[j] = expf_nonpos(x if x < 0 else np.float32(0.0))


def _attn_ds_rows(dp, p, d):  # pragma: no cover - compiled
    """``dp <- p * (dp - d)`` per row: the score gradient of a tile (float32)."""
    R, C = dp.shape
    for i in range(R):
        di = d[i]
        dpi = dp[i]
        pi = p[i]
        for j in range(C):
            dpi[j] = pi[j] * (dpi[j] - di)


@lru_cache(maxsize=1)
def attention_kernels() -> dict[str, Any]:
    """The attention tile kernels as numba dispatchers (compiled on first call, cached)."""
    import numba

    kernels()  # the helpers (row_max, expf_nonpos) become globals first
    common = {"cache": True, "nogil": True, "error_model": "numpy"}
    reduce_ = {**common, "fastmath": set(_FM_REDUCE)}
    return {
        "attn_online_step": numba.njit(**reduce_)(_attn_online_step),
        "attn_exp_rows": numba.njit(**reduce_)(_attn_exp_rows),
        "attn_ds_rows": numba.njit(**reduce_)(_attn_ds_rows),
    }


# ------------------------------------------------------------------ recurrent gates (rnn.py)
# One time step of the LSTM / GRU / Elman gates, float32, fused (see nnfunc.kernels.cpu.rnn).
# sigmoid and tanh are built from exp(-|x|) <= 1, so nothing overflows; every row computes its
# gates (branch-free inner loops) and only the stores look at the row's `active` flag.
sigf: Any = None
tanhf: Any = None
_RNN_ONE = np.float32(1.0)
_RNN_TWO = np.float32(2.0)
_RNN_ZERO = np.float32(0.0)


def _sigf(x: Any) -> Any:  # pragma: no cover - compiled
    e = expf_nonpos(-abs(x))
    r = _RNN_ONE / (_RNN_ONE + e)
    return r if x >= _RNN_ZERO else e * r


def _tanhf(x: Any) -> Any:  # pragma: no cover - compiled
    e = expf_nonpos(-_RNN_TWO * abs(x))
    t = (_RNN_ONE - e) / (_RNN_ONE + e)
    return t if x >= _RNN_ZERO else -t


# Each kernel works row by row in several short passes over 1-D row views: a loop that stores
# to one array and reads two or three keeps LLVM's runtime alias checks within its limit, so it
# vectorises (one fused loop over all twelve arrays ran ~10x slower, scalar).
def _lstm_fwd(xw, rec, hp, cp, peep, fb, clip, act, gates, c_out, h_out, y_out):  # pragma: no cover
    nb, nh = hp.shape
    for b in range(nb):
        g = gates[b]
        x = xw[b]
        r = rec[b]
        cpr = cp[b]
        co = c_out[b]
        ho = h_out[b]
        yo = y_out[b]
        for j in range(4 * nh):
            g[j] = x[j] + r[j]
        for j in range(nh):
            g[j] = sigf(g[j] + peep[0, j] * cpr[j])
        for j in range(nh):
            g[nh + j] = sigf(g[nh + j] + peep[1, j] * cpr[j] + fb)
        for j in range(nh):
            g[2 * nh + j] = tanhf(g[2 * nh + j])
        for j in range(nh):
            co[j] = g[nh + j] * cpr[j] + g[j] * g[2 * nh + j]
        if clip > _RNN_ZERO:
            for j in range(nh):
                c = co[j]
                c = clip if c > clip else c
                co[j] = -clip if c < -clip else c
        for j in range(nh):
            g[3 * nh + j] = sigf(g[3 * nh + j] + peep[2, j] * co[j])
        for j in range(nh):
            ho[j] = g[3 * nh + j] * tanhf(co[j])
        if act[b]:
            for j in range(nh):
                yo[j] = ho[j]
        else:
            hpr = hp[b]
            for j in range(nh):
                co[j] = cpr[j]
                ho[j] = hpr[j]
                yo[j] = _RNN_ZERO


def _lstm_bwd(dh, dc, gates, cp, ct, peep, clip, act, dz, dpeep):  # pragma: no cover
    nb, nh = cp.shape
    for b in range(nb):
        d = dz[b]
        if not act[b]:
            for j in range(4 * nh):
                d[j] = _RNN_ZERO
            continue
        g = gates[b]
        dhb = dh[b]
        dcb = dc[b]
        cpr = cp[b]
        ctb = ct[b]
        for j in range(nh):  # tanh(c) into the i block, used as scratch
            d[j] = tanhf(ctb[j])
        for j in range(nh):
            tc = d[j]
            o = g[3 * nh + j]
            x = dhb[j]
            d[3 * nh + j] = x * tc * o * (_RNN_ONE - o)
            d[j] = x * o * (_RNN_ONE - tc * tc)
        for j in range(nh):
            dcb[j] = dcb[j] + d[j] + d[3 * nh + j] * peep[2, j]
        if clip > _RNN_ZERO:
            for j in range(nh):
                u = g[nh + j] * cpr[j] + g[j] * g[2 * nh + j]
                dcb[j] = _RNN_ZERO if abs(u) > clip else dcb[j]
        for j in range(nh):
            dct = dcb[j]
            i = g[j]
            f = g[nh + j]
            gg = g[2 * nh + j]
            d[j] = dct * gg * i * (_RNN_ONE - i)
            d[nh + j] = dct * cpr[j] * f * (_RNN_ONE - f)
            d[2 * nh + j] = dct * i * (_RNN_ONE - gg * gg)
        for j in range(nh):
            dcb[j] = dcb[j] * g[nh + j] + d[j] * peep[0, j] + d[nh + j] * peep[1, j]
        for j in range(nh):
            dpeep[0, j] += d[j] * cpr[j]
        for j in range(nh):
            dpeep[1, j] += d[nh + j] * cpr[j]
        for j in range(nh):
            dpeep[2, j] += d[3 * nh + j] * ctb[j]
        for j in range(nh):
            dhb[j] = _RNN_ZERO


def _gru_fwd(xw, rec, hp, act, gates, h_out, y_out):  # pragma: no cover
    nb, nh = hp.shape
    for b in range(nb):
        g = gates[b]
        x = xw[b]
        r = rec[b]
        hpr = hp[b]
        ho = h_out[b]
        yo = y_out[b]
        for j in range(2 * nh):
            g[j] = sigf(x[j] + r[j])
        for j in range(nh):
            g[2 * nh + j] = tanhf(x[2 * nh + j] + g[j] * r[2 * nh + j])
        for j in range(nh):
            z = g[nh + j]
            ho[j] = (_RNN_ONE - z) * g[2 * nh + j] + z * hpr[j]
        if act[b]:
            for j in range(nh):
                yo[j] = ho[j]
        else:
            for j in range(nh):
                ho[j] = hpr[j]
                yo[j] = _RNN_ZERO


def _gru_bwd(dh, gates, hn, hp, act, dx, dr):  # pragma: no cover
    nb, nh = hp.shape
    for b in range(nb):
        dxb = dx[b]
        drb = dr[b]
        if not act[b]:
            for j in range(3 * nh):
                dxb[j] = _RNN_ZERO
                drb[j] = _RNN_ZERO
            continue
        g = gates[b]
        dhb = dh[b]
        hpr = hp[b]
        hnb = hn[b]
        for j in range(nh):
            z = g[nh + j]
            n = g[2 * nh + j]
            x = dhb[j]
            dxb[2 * nh + j] = x * (_RNN_ONE - z) * (_RNN_ONE - n * n)
            dxb[nh + j] = x * (hpr[j] - n) * z * (_RNN_ONE - z)
        for j in range(nh):
            r = g[j]
            dxb[j] = dxb[2 * nh + j] * hnb[j] * r * (_RNN_ONE - r)
        for j in range(nh):
            drb[2 * nh + j] = dxb[2 * nh + j] * g[j]
        for j in range(2 * nh):
            drb[j] = dxb[j]
        for j in range(nh):
            dhb[j] = dhb[j] * g[nh + j]


def _rnn_fwd(xw, rec, hp, relu, act, h_out, y_out):  # pragma: no cover
    nb, nh = hp.shape
    for b in range(nb):
        x = xw[b]
        r = rec[b]
        ho = h_out[b]
        yo = y_out[b]
        if relu:
            for j in range(nh):
                z = x[j] + r[j]
                ho[j] = z if z > _RNN_ZERO else _RNN_ZERO
        else:
            for j in range(nh):
                ho[j] = tanhf(x[j] + r[j])
        if act[b]:
            for j in range(nh):
                yo[j] = ho[j]
        else:
            hpr = hp[b]
            for j in range(nh):
                ho[j] = hpr[j]
                yo[j] = _RNN_ZERO


def _rnn_bwd(dh, ht, relu, act, dz):  # pragma: no cover
    nb, nh = ht.shape
    for b in range(nb):
        d = dz[b]
        if not act[b]:
            for j in range(nh):
                d[j] = _RNN_ZERO
            continue
        dhb = dh[b]
        hb = ht[b]
        if relu:
            for j in range(nh):
                d[j] = dhb[j] if hb[j] > _RNN_ZERO else _RNN_ZERO
        else:
            for j in range(nh):
                d[j] = dhb[j] * (_RNN_ONE - hb[j] * hb[j])
        for j in range(nh):
            dhb[j] = _RNN_ZERO


@lru_cache(maxsize=1)
def rnn_kernels() -> dict[str, Any]:
    """The recurrent-gate kernels as numba dispatchers (compiled on first call, cached)."""
    import numba

    kernels()  # jits the shared helpers (expf_nonpos...) into this module's globals
    g = globals()
    common = {"cache": True, "nogil": True, "error_model": "numpy"}
    exact = {**common, "fastmath": set(_FM_EXACT)}
    g["sigf"] = numba.njit(**exact)(_sigf)
    g["tanhf"] = numba.njit(**exact)(_tanhf)
    return {
        "lstm_fwd": numba.njit(**exact)(_lstm_fwd),
        "lstm_bwd": numba.njit(**exact)(_lstm_bwd),
        "gru_fwd": numba.njit(**exact)(_gru_fwd),
        "gru_bwd": numba.njit(**exact)(_gru_bwd),
        "rnn_fwd": numba.njit(**exact)(_rnn_fwd),
        "rnn_bwd": numba.njit(**exact)(_rnn_bwd),
    }


# ---------------------------------------------------------------------------- Winograd F(2x2, 3x3)
# (nnfunc.kernels.cpu.winograd: tile transforms of the 3x3 stride-1 convolution; the tiles of
# samples n0 <= n < n1 are numbered t = ((n - n0) * th + i) * tw + j, 16 transform planes first)
def _wino_input(xpad, v, n0, n1, th, tw, c0, c1):  # pragma: no cover - compiled
    """``v[k, c, t] = (B^T d B)[k]`` for the 4x4 tile ``d`` at ``(2i, 2j)`` of ``xpad[n, c]``.

    Per row of tiles: the row combinations ``B^T d`` of the even and the odd columns first
    (``ev``, ``od``: contiguous, one pass over the 4 input rows), then the column combinations,
    which read ``ev``/``od`` at ``j`` and ``j + 1`` and write the 16 planes contiguously in ``j``
    (so that both loops vectorise)."""
    ev = np.empty((4, tw + 1), xpad.dtype)
    od = np.empty((4, tw + 1), xpad.dtype)
    for n in range(n0, n1):
        for c in range(c0, c1):
            for i in range(th):
                r = 2 * i
                base = ((n - n0) * th + i) * tw
                for q in range(tw + 1):
                    s = 2 * q
                    d0 = xpad[n, c, r, s]
                    d1 = xpad[n, c, r + 1, s]
                    d2 = xpad[n, c, r + 2, s]
                    d3 = xpad[n, c, r + 3, s]
                    ev[0, q] = d0 - d2
                    ev[1, q] = d1 + d2
                    ev[2, q] = d2 - d1
                    ev[3, q] = d1 - d3
                    d0 = xpad[n, c, r, s + 1]
                    d1 = xpad[n, c, r + 1, s + 1]
                    d2 = xpad[n, c, r + 2, s + 1]
                    d3 = xpad[n, c, r + 3, s + 1]
                    od[0, q] = d0 - d2
                    od[1, q] = d1 + d2
                    od[2, q] = d2 - d1
                    od[3, q] = d1 - d3
                for a in range(4):
                    k = 4 * a
                    for j in range(tw):
                        e0 = ev[a, j]
                        e1 = od[a, j]
                        e2 = ev[a, j + 1]
                        e3 = od[a, j + 1]
                        v[k, c, base + j] = e0 - e2
                        v[k + 1, c, base + j] = e1 + e2
                        v[k + 2, c, base + j] = e2 - e1
                        v[k + 3, c, base + j] = e1 - e3


def _wino_output(m, y, n0, n1, th, tw, o0, o1):  # pragma: no cover - compiled
    """``y[n, o, 2i:2i+2, 2j:2j+2] = A^T M A`` (cut at the edges of ``y``)."""
    ho = y.shape[2]
    wo = y.shape[3]
    for n in range(n0, n1):
        for o in range(o0, o1):
            for i in range(th):
                r = 2 * i
                base = ((n - n0) * th + i) * tw
                for j in range(tw):
                    s = 2 * j
                    t = base + j
                    u00 = m[0, o, t] + m[4, o, t] + m[8, o, t]
                    u01 = m[1, o, t] + m[5, o, t] + m[9, o, t]
                    u02 = m[2, o, t] + m[6, o, t] + m[10, o, t]
                    u03 = m[3, o, t] + m[7, o, t] + m[11, o, t]
                    u10 = m[4, o, t] - m[8, o, t] - m[12, o, t]
                    u11 = m[5, o, t] - m[9, o, t] - m[13, o, t]
                    u12 = m[6, o, t] - m[10, o, t] - m[14, o, t]
                    u13 = m[7, o, t] - m[11, o, t] - m[15, o, t]
                    y[n, o, r, s] = u00 + u01 + u02
                    if s + 1 < wo:
                        y[n, o, r, s + 1] = u01 - u02 - u03
                    if r + 1 < ho:
                        y[n, o, r + 1, s] = u10 + u11 + u12
                        if s + 1 < wo:
                            y[n, o, r + 1, s + 1] = u11 - u12 - u13


def _wino_output_adjoint(gy, gm, n0, n1, th, tw, o0, o1):  # pragma: no cover - compiled
    """``gm[k, o, t] = (A g A^T)[k]`` for the 2x2 tile ``g`` of ``gy[n, o]`` at ``(2i, 2j)``;
    ``gy`` covers every tile (``(N, O, >= 2 th, >= 2 tw)``, zeros past the output).

    Per row of tiles: the rows ``A g`` of the even and the odd columns first (contiguous), then
    four planes at a time, contiguous in ``j``."""
    h = np.empty((8, tw), gm.dtype)
    for n in range(n0, n1):
        for o in range(o0, o1):
            for i in range(th):
                r = 2 * i
                base = ((n - n0) * th + i) * tw
                for j in range(tw):
                    s = 2 * j
                    a0 = gy[n, o, r, s]
                    a1 = gy[n, o, r, s + 1]
                    b0 = gy[n, o, r + 1, s]
                    b1 = gy[n, o, r + 1, s + 1]
                    # rows A g = (g0, g0 + g1, g0 - g1, -g1), even then odd column
                    h[0, j] = a0
                    h[1, j] = a1
                    h[2, j] = a0 + b0
                    h[3, j] = a1 + b1
                    h[4, j] = a0 - b0
                    h[5, j] = a1 - b1
                    h[6, j] = -b0
                    h[7, j] = -b1
                for a in range(4):
                    k = 4 * a
                    for j in range(tw):
                        e = h[2 * a, j]
                        f = h[2 * a + 1, j]
                        # columns (A g) A^T = (h0, h0 + h1, h0 - h1, -h1)
                        gm[k, o, base + j] = e
                        gm[k + 1, o, base + j] = e + f
                        gm[k + 2, o, base + j] = e - f
                        gm[k + 3, o, base + j] = -f


@lru_cache(maxsize=1)
def winograd_kernels() -> dict[str, Any]:
    """The tile transforms of :mod:`nnfunc.kernels.cpu.winograd` (compiled on first call)."""
    import numba

    opts = {"cache": True, "nogil": True, "error_model": "numpy", "fastmath": {"contract"}}
    return {
        "input": numba.njit(**opts)(_wino_input),
        "output": numba.njit(**opts)(_wino_output),
        "output_adjoint": numba.njit(**opts)(_wino_output_adjoint),
    }


# ---------------------------------------------------------------------------- 2-D depthwise conv
# (nnfunc.kernels.cpu.depthwise: one plane q = n * C + c per step, planes p0 <= q < p1; every
# array a plane writes belongs to that plane only, so threads need no shared accumulation).
# Vectorisation: the innermost loop always runs along an output row over 1-D row views, with a
# unit stride (sw == 1) or the literal stride 2 (LLVM's interleaved loads) in their own loops, so
# LLVM sees a compile-time stride; a run-time stride (the old single loop) gathers element-wise.
# The 3x3 forward keeps its nine taps in scalars and each output in a register (one store per
# output instead of nine read-modify-writes). ``xpad`` covers every window: no border tests.
# Summation order per output is the old one (taps in (a, b) order, fused multiply-adds).
def _dw_forward(x, w, y, sh, sw, dh, dw, top, left, hp, wp, p0, p1):  # pragma: no cover
    """``y[n, c, j] = sum_{a,b} w[c, j, a, b] * xpad[n, c, i*sh + a*dh, col*sw + b*dw]``, with
    ``xpad`` the ``(hp, wp)`` zero plane holding ``x[n, c]`` at ``(top, left)``."""
    nc = x.shape[1]
    m = w.shape[1]
    kh = w.shape[2]
    kw = w.shape[3]
    ho = y.shape[3]
    wo = y.shape[4]
    zero = y.dtype.type(0.0)
    # padding happens here, plane by plane, into a small zero-bordered scratch plane that stays
    # in cache (instead of a padded copy of the whole batch written and read back from memory)
    h = x.shape[2]
    wi = x.shape[3]
    copy = top > 0 or left > 0 or hp > h or wp > wi
    pad = np.zeros((hp if copy else 0, wp), y.dtype)
    # 3x3 with column stride 2: each input row is split into its even and odd columns first
    # (sc[r, 0] = xq[r, 0::2], sc[r, 1] = xq[r, 1::2]), so that the nine taps read unit-stride
    # rows: column 2*col + b*dw is sc[r, (b*dw) % 2, col + (b*dw) // 2].
    split = kh == 3 and kw == 3 and sw == 2
    half = (wp + 1) // 2
    sc = np.empty((hp if split else 0, 2, half), y.dtype)
    for q in range(p0, p1):
        n = q // nc
        c = q % nc
        xq = x[n, c]
        if copy:
            for r in range(h):
                src = xq[r]
                dst = pad[top + r, left:]
                for k in range(wi):
                    dst[k] = src[k]
            xq = pad
        if split:
            for r in range(hp):
                src = xq[r]
                ev = sc[r, 0]
                od = sc[r, 1]
                for k in range(wp // 2):
                    ev[k] = src[2 * k]
                    od[k] = src[2 * k + 1]
                if wp % 2 == 1:
                    ev[half - 1] = src[wp - 1]
        for j in range(m):
            yq = y[n, c, j]
            if kh == 3 and kw == 3:
                t00, t01, t02 = w[c, j, 0, 0], w[c, j, 0, 1], w[c, j, 0, 2]
                t10, t11, t12 = w[c, j, 1, 0], w[c, j, 1, 1], w[c, j, 1, 2]
                t20, t21, t22 = w[c, j, 2, 0], w[c, j, 2, 1], w[c, j, 2, 2]
                for i in range(ho):
                    yr = yq[i]
                    r = i * sh
                    if split:
                        e1, s1, e2, s2 = dw % 2, dw // 2, (2 * dw) % 2, dw
                        x00 = sc[r, 0]
                        x01 = sc[r, e1, s1:]
                        x02 = sc[r, e2, s2:]
                        x10 = sc[r + dh, 0]
                        x11 = sc[r + dh, e1, s1:]
                        x12 = sc[r + dh, e2, s2:]
                        x20 = sc[r + 2 * dh, 0]
                        x21 = sc[r + 2 * dh, e1, s1:]
                        x22 = sc[r + 2 * dh, e2, s2:]
                    else:
                        # rows starting at each tap column: the loop reads them at col*sw
                        x00 = xq[r, 0:]
                        x01 = xq[r, dw:]
                        x02 = xq[r, 2 * dw :]
                        x10 = xq[r + dh, 0:]
                        x11 = xq[r + dh, dw:]
                        x12 = xq[r + dh, 2 * dw :]
                        x20 = xq[r + 2 * dh, 0:]
                        x21 = xq[r + 2 * dh, dw:]
                        x22 = xq[r + 2 * dh, 2 * dw :]
                    if sw == 1 or split:
                        for col in range(wo):
                            acc = t00 * x00[col]
                            acc += t01 * x01[col]
                            acc += t02 * x02[col]
                            acc += t10 * x10[col]
                            acc += t11 * x11[col]
                            acc += t12 * x12[col]
                            acc += t20 * x20[col]
                            acc += t21 * x21[col]
                            acc += t22 * x22[col]
                            yr[col] = acc
                    else:
                        for col in range(wo):
                            k = sw * col
                            acc = t00 * x00[k]
                            acc += t01 * x01[k]
                            acc += t02 * x02[k]
                            acc += t10 * x10[k]
                            acc += t11 * x11[k]
                            acc += t12 * x12[k]
                            acc += t20 * x20[k]
                            acc += t21 * x21[k]
                            acc += t22 * x22[k]
                            yr[col] = acc
                continue
            for i in range(ho):
                yr = yq[i]
                for col in range(wo):
                    yr[col] = zero
                for a in range(kh):
                    for b in range(kw):
                        t = w[c, j, a, b]
                        xr = xq[i * sh + a * dh, b * dw :]
                        if sw == 1:
                            for col in range(wo):
                                yr[col] += t * xr[col]
                        elif sw == 2:
                            for col in range(wo):
                                yr[col] += t * xr[2 * col]
                        else:
                            for col in range(wo):
                                yr[col] += t * xr[sw * col]


def _dw_forward33(x, w, y, sh, sw, dh, dw, top, left, hp, wp, p0, p1):  # pragma: no cover
    """:func:`_dw_forward` (same signature, same sums in the same order) for 3x3 windows,
    stride 1, dilation 1: each output row reads three input rows at constant column offsets.
    Its own function: inside :func:`_dw_forward` the same loop compiled to scalar code at half
    the speed (one thread, 32x64x56x56: 3.5 ms here, 7.3 ms there)."""
    nc = x.shape[1]
    m = w.shape[1]
    ho = y.shape[3]
    wo = y.shape[4]
    h = x.shape[2]
    wi = x.shape[3]
    copy = top > 0 or left > 0 or hp > h or wp > wi
    pad = np.zeros((hp if copy else 0, wp), y.dtype)
    for q in range(p0, p1):
        n = q // nc
        c = q % nc
        xq = x[n, c]
        if copy:
            for r in range(h):
                src = xq[r]
                dst = pad[top + r, left:]
                for k in range(wi):
                    dst[k] = src[k]
            xq = pad
        for j in range(m):
            yq = y[n, c, j]
            t00, t01, t02 = w[c, j, 0, 0], w[c, j, 0, 1], w[c, j, 0, 2]
            t10, t11, t12 = w[c, j, 1, 0], w[c, j, 1, 1], w[c, j, 1, 2]
            t20, t21, t22 = w[c, j, 2, 0], w[c, j, 2, 1], w[c, j, 2, 2]
            for i in range(ho):
                yr = yq[i]
                x0 = xq[i]
                x1 = xq[i + 1]
                x2 = xq[i + 2]
                for col in range(wo):
                    acc = t00 * x0[col]
                    acc += t01 * x0[col + 1]
                    acc += t02 * x0[col + 2]
                    acc += t10 * x1[col]
                    acc += t11 * x1[col + 1]
                    acc += t12 * x1[col + 2]
                    acc += t20 * x2[col]
                    acc += t21 * x2[col + 1]
                    acc += t22 * x2[col + 2]
                    yr[col] = acc


def _dw_grad_input(gy, w, gx, sh, sw, dh, dw, top, left, hp, wp, p0, p1):  # pragma: no cover
    """``gx[n, c] = xpad-gradient[top:top + H, left:left + W]``: the adjoint of
    :func:`_dw_forward` applied to gy on the ``(hp, wp)`` padded plane, cropped to ``gx``'s
    ``(H, W)`` (every cell of ``gx`` is written)."""
    nc = gx.shape[1]
    m = w.shape[1]
    kh = w.shape[2]
    kw = w.shape[3]
    ho = gy.shape[3]
    wo = gy.shape[4]
    h = gx.shape[2]
    wi = gx.shape[3]
    zero = gx.dtype.type(0.0)
    # 3x3, stride 1: gather instead of scatter. gy sits in a zeroed scratch plane with a border
    # of 2*dh rows / 2*dw columns, so every cell of gx is one register sum over the nine taps
    # (no read-modify-write passes, no border tests, only the cropped cells computed); terms
    # come in the scatter's order (a descending, b ascending). Non-finite taps take the
    # scatter (inf * 0 would be NaN where the scatter never touches the cell).
    gather = kh == 3 and kw == 3 and sh == 1 and sw == 1 and m == 1
    sc = np.zeros((hp + 2 * dh if gather else 0, wp + 2 * dw), gx.dtype)
    full = np.empty((hp, wp), gx.dtype)  # the scatter's padded plane
    for q in range(p0, p1):
        n = q // nc
        c = q % nc
        gq = gx[n, c]
        if gather:
            t00, t01, t02 = w[c, 0, 0, 0], w[c, 0, 0, 1], w[c, 0, 0, 2]
            t10, t11, t12 = w[c, 0, 1, 0], w[c, 0, 1, 1], w[c, 0, 1, 2]
            t20, t21, t22 = w[c, 0, 2, 0], w[c, 0, 2, 1], w[c, 0, 2, 2]
            tsum = t00 + t01 + t02 + t10 + t11 + t12 + t20 + t21 + t22
            if tsum - tsum == 0:
                yq = gy[n, c, 0]
                for i in range(ho):
                    src = yq[i]
                    dst = sc[i + 2 * dh, 2 * dw :]
                    for col in range(wo):
                        dst[col] = src[col]
                for r in range(h):
                    gr = gq[r]
                    rr = r + top
                    x00 = sc[rr, left + 2 * dw :]
                    x01 = sc[rr, left + dw :]
                    x02 = sc[rr, left:]
                    x10 = sc[rr + dh, left + 2 * dw :]
                    x11 = sc[rr + dh, left + dw :]
                    x12 = sc[rr + dh, left:]
                    x20 = sc[rr + 2 * dh, left + 2 * dw :]
                    x21 = sc[rr + 2 * dh, left + dw :]
                    x22 = sc[rr + 2 * dh, left:]
                    for col in range(wi):
                        acc = t20 * x00[col]
                        acc += t21 * x01[col]
                        acc += t22 * x02[col]
                        acc += t10 * x10[col]
                        acc += t11 * x11[col]
                        acc += t12 * x12[col]
                        acc += t00 * x20[col]
                        acc += t01 * x21[col]
                        acc += t02 * x22[col]
                        gr[col] = acc
                continue
        for r in range(hp):
            fr = full[r]
            for col in range(wp):
                fr[col] = zero
        for j in range(m):
            yq = gy[n, c, j]
            for i in range(ho):
                gr = yq[i]
                for a in range(kh):
                    for b in range(kw):
                        t = w[c, j, a, b]
                        xr = full[i * sh + a * dh, b * dw :]
                        if sw == 1:
                            for col in range(wo):
                                xr[col] += t * gr[col]
                        elif sw == 2:
                            for col in range(wo):
                                xr[2 * col] += t * gr[col]
                        else:
                            for col in range(wo):
                                xr[sw * col] += t * gr[col]
        for r in range(h):
            src = full[top + r, left:]
            dst = gq[r]
            for col in range(wi):
                dst[col] = src[col]


def _dw_grad_weight(x, gy, gw, sh, sw, dh, dw, top, left, hp, wp, p0, p1):  # pragma: no cover
    """``gw[n, c, j, a, b] = sum_{i,col} gy[n, c, j, i, col] * xpad[n, c, ...]`` per sample
    (the caller sums over ``n``; ``xpad`` as in :func:`_dw_forward`). Each output row's dot
    product runs in the array's dtype (re-associated into SIMD lanes), the rows are summed in
    float64 as before."""
    nc = x.shape[1]
    m = gy.shape[2]
    kh = gw.shape[3]
    kw = gw.shape[4]
    ho = gy.shape[3]
    wo = gy.shape[4]
    zero = gy.dtype.type(0.0)
    h = x.shape[2]
    wi = x.shape[3]
    copy = top > 0 or left > 0 or hp > h or wp > wi
    pad = np.zeros((hp if copy else 0, wp), gy.dtype)
    for q in range(p0, p1):
        n = q // nc
        c = q % nc
        xq = x[n, c]
        if copy:
            for r in range(h):
                src = xq[r]
                dst = pad[top + r, left:]
                for k in range(wi):
                    dst[k] = src[k]
            xq = pad
        for j in range(m):
            yq = gy[n, c, j]
            if kh == 3 and kw == 3 and sw == 1:
                # one pass over gy for the nine taps: nine SIMD row sums per output row
                a00 = a01 = a02 = a10 = a11 = a12 = a20 = a21 = a22 = 0.0
                for i in range(ho):
                    gr = yq[i]
                    r = i * sh
                    x00 = xq[r, 0:]
                    x01 = xq[r, dw:]
                    x02 = xq[r, 2 * dw :]
                    x10 = xq[r + dh, 0:]
                    x11 = xq[r + dh, dw:]
                    x12 = xq[r + dh, 2 * dw :]
                    x20 = xq[r + 2 * dh, 0:]
                    x21 = xq[r + 2 * dh, dw:]
                    x22 = xq[r + 2 * dh, 2 * dw :]
                    p00 = p01 = p02 = p10 = p11 = p12 = p20 = p21 = p22 = zero
                    for col in range(wo):
                        g = gr[col]
                        p00 += g * x00[col]
                        p01 += g * x01[col]
                        p02 += g * x02[col]
                        p10 += g * x10[col]
                        p11 += g * x11[col]
                        p12 += g * x12[col]
                        p20 += g * x20[col]
                        p21 += g * x21[col]
                        p22 += g * x22[col]
                    a00 += p00
                    a01 += p01
                    a02 += p02
                    a10 += p10
                    a11 += p11
                    a12 += p12
                    a20 += p20
                    a21 += p21
                    a22 += p22
                gw[n, c, j, 0, 0], gw[n, c, j, 0, 1], gw[n, c, j, 0, 2] = a00, a01, a02
                gw[n, c, j, 1, 0], gw[n, c, j, 1, 1], gw[n, c, j, 1, 2] = a10, a11, a12
                gw[n, c, j, 2, 0], gw[n, c, j, 2, 1], gw[n, c, j, 2, 2] = a20, a21, a22
                continue
            for a in range(kh):
                for b in range(kw):
                    acc = 0.0
                    for i in range(ho):
                        gr = yq[i]
                        xr = xq[i * sh + a * dh, b * dw :]
                        part = zero
                        if sw == 1:
                            for col in range(wo):
                                part += gr[col] * xr[col]
                        elif sw == 2:
                            for col in range(wo):
                                part += gr[col] * xr[2 * col]
                        else:
                            for col in range(wo):
                                part += gr[col] * xr[sw * col]
                        acc += part
                    gw[n, c, j, a, b] = acc


@lru_cache(maxsize=1)
def depthwise_kernels() -> dict[str, Any]:
    """The 2-D depthwise kernels of :mod:`nnfunc.kernels.cpu.depthwise` (compiled on first call)."""
    import numba

    opts = {"cache": True, "nogil": True, "error_model": "numpy", "fastmath": {"contract"}}
    return {
        "forward": numba.njit(**opts)(_dw_forward),
        "forward33": numba.njit(**opts)(_dw_forward33),
        "grad_input": numba.njit(**opts)(_dw_grad_input),
        "grad_weight": numba.njit(**{**opts, "fastmath": set(_FM_REDUCE)})(_dw_grad_weight),
    }


# ---------------------------------------------------------------------------- row-wise gradients
def _softmax_grad_rows(y, gy, gx, log):  # pragma: no cover - compiled
    """Backward of softmax (``log``: log-softmax) of each row of float32 ``(R, K)`` arrays.

    ``gx = y * (gy - sum(gy * y))``, or ``gx = gy - exp(y) * sum(gy)`` (``y <= 0``): two
    passes over each row while it is in cache, the sum in float64. NaN and infinities
    propagate as in the formula (``exp(-inf) = 0``).
    """
    R, K = y.shape
    for i in range(R):
        yi = y[i]
        gi = gy[i]
        oi = gx[i]
        s = 0.0
        if log:
            for k in range(K):
                s += gi[k]
            sf = np.float32(s)
            for k in range(K):
                oi[k] = gi[k] - expf_nonpos(yi[k]) * sf
        else:
            for k in range(K):
                s += gi[k] * yi[k]
            sf = np.float32(s)
            for k in range(K):
                oi[k] = yi[k] * (gi[k] - sf)


def _softmax_col_sums(y, gy, log, acc):  # pragma: no cover - compiled
    """``acc[b] += sum over k of gy[k, b] * y[k, b]`` (``log``: of ``gy[k, b]``); float32
    ``(K, B)`` C-contiguous slices, ``acc`` float64 ``(B,)``. Row after row: memory in order,
    the ``B`` sums side by side in SIMD lanes."""
    K, B = y.shape
    if log:
        for k in range(K):
            gk = gy[k]
            for b in range(B):
                acc[b] += gk[b]
    else:
        for k in range(K):
            yk = y[k]
            gk = gy[k]
            for b in range(B):
                acc[b] += gk[b] * yk[b]


def _softmax_col_apply(y, gy, s, log, gx):  # pragma: no cover - compiled
    """``gx = y * (gy - s)`` (``log``: ``gy - exp(y) * s``), ``s`` float32 ``(B,)`` the column
    sums, float32 ``(K, B)`` C-contiguous slices."""
    K, B = y.shape
    if log:
        for k in range(K):
            yk = y[k]
            gk = gy[k]
            ok = gx[k]
            for b in range(B):
                ok[b] = gk[b] - expf_nonpos(yk[b]) * s[b]
    else:
        for k in range(K):
            yk = y[k]
            gk = gy[k]
            ok = gx[k]
            for b in range(B):
                ok[b] = yk[b] * (gk[b] - s[b])


def _softmax_grad_cols(y, gy, gx, log):  # pragma: no cover - compiled
    """:func:`_softmax_grad_rows` along the middle axis of float32 ``(A, K, B)`` arrays.

    Whole ``(K, B)`` slices: a loop over a column range of a slice is not vectorised (5x
    slower), so threads share ``A``, or (``A`` small) the caller splits ``K`` with the two
    helpers. Sums in float64.
    """
    A = y.shape[0]
    B = y.shape[2]
    acc = np.empty(B, np.float64)
    s = np.empty(B, np.float32)
    for a in range(A):
        acc[:] = 0.0
        softmax_col_sums(y[a], gy[a], log, acc)
        for b in range(B):
            s[b] = np.float32(acc[b])
        softmax_col_apply(y[a], gy[a], s, log, gx[a])


def _mul_into(a, b, out):  # pragma: no cover - compiled
    """``out = a * b`` of 1-d arrays (one pass; the caller splits it over threads)."""
    for i in range(a.shape[0]):
        out[i] = a[i] * b[i]


def _dropout_mask(u, rate, scale, mask):  # pragma: no cover - compiled
    """``mask = scale if u >= rate else 0`` of 1-d arrays (float64 draws; the store rounds
    ``scale`` to the mask's dtype, as NumPy's cast does)."""
    for i in range(u.shape[0]):
        mask[i] = scale if u[i] >= rate else 0.0


def _bits_from_f32_typer(typingctx: Any, x: Any) -> Any:
    """numba intrinsic: the bits of a float32 as an int32."""
    from llvmlite import ir
    from numba.core import types

    if x != types.float32:
        return None

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        return builder.bitcast(args[0], ir.IntType(32))

    return types.int32(x), codegen


bits_from_f32: Any = None
logf_pos: Any = None
_log1pf_j: Any = None

# float32 log: Cephes logf (x = m * 2**e, m in [sqrt(1/2), sqrt(2)), a degree-9 polynomial).
_SQRTHF_F = np.float32(0.707106781186547524)
_L8_F = np.float32(7.0376836292e-2)
_L7_F = np.float32(-1.1514610310e-1)
_L6_F = np.float32(1.1676998740e-1)
_L5_F = np.float32(-1.2420140846e-1)
_L4_F = np.float32(1.4249322787e-1)
_L3_F = np.float32(-1.6668057665e-1)
_L2_F = np.float32(2.0000714765e-1)
_L1_F = np.float32(-2.4999993993e-1)
_L0_F = np.float32(3.3333331174e-1)
_INF_F = np.float32(np.inf)


def _logf_pos(x: Any) -> Any:  # pragma: no cover - compiled
    """``log`` of a float32 ``x >= `` the smallest normal number (``inf`` and NaN give
    themselves); branch-free, so loops calling it vectorise (libm's ``logf`` does not)."""
    b = bits_from_f32(x)
    e = (b >> 23) - 126
    m = f32_from_bits((b & 0x007FFFFF) | 0x3F000000)  # in [0.5, 1)
    small = m < _SQRTHF_F
    e = e - 1 if small else e
    m = (m + m - _ONE_F) if small else (m - _ONE_F)
    z = m * m
    y = (
        (
            (
                (
                    (((((_L8_F * m + _L7_F) * m + _L6_F) * m + _L5_F) * m + _L4_F) * m + _L3_F) * m
                    + _L2_F
                )
                * m
                + _L1_F
            )
            * m
            + _L0_F
        )
        * m
        * z
    )
    fe = np.float32(e)
    y = y + fe * _C2_F
    y = y - _HALF_F * z
    r = (m + y) + fe * _C1_F
    return r if x < _INF_F else x


def _bce(x, t, lo, hi, tiny, out):  # pragma: no cover - compiled
    """Binary cross-entropy of probabilities, 1-d float32 (see ``kernels/cpu/logistic.py``)."""
    one = np.float32(1.0)
    for i in range(x.shape[0]):
        v = x[i]
        p = lo if v < lo else v  # NaN passes through every test
        p = hi if p > hi else p
        q = one - p
        p = tiny if p < tiny else p
        q = tiny if q < tiny else q
        ti = t[i]
        out[i] = -(ti * logf_pos(p) + (one - ti) * logf_pos(q))


def _bce_grad(x, t, gy, lo, hi, tiny, out):  # pragma: no cover - compiled
    """Its gradient: ``gy * [lo <= x <= hi] * (-t/p [p >= tiny] + (1-t)/(1-p) [1-p >= tiny])``."""
    one = np.float32(1.0)
    zero = np.float32(0.0)
    for i in range(x.shape[0]):
        v = x[i]
        p = lo if v < lo else v
        p = hi if p > hi else p
        q = one - p
        ti = t[i]
        a = zero if p < tiny else -ti / p
        b = zero if q < tiny else (one - ti) / q
        out[i] = zero if (v < lo or v > hi) else gy[i] * (a + b)


def _log1pf_unit(e: Any) -> Any:  # pragma: no cover - compiled
    """``log1p(e)`` of a float32 ``0 <= e <= 1`` (or NaN): ``log(u) * e / (u - 1)``,
    ``u = 1 + e`` (Goldberg's correction of the rounding of ``u``; ``e`` itself where ``u``
    rounds to 1)."""
    u = _ONE_F + e
    d = u - _ONE_F
    r = logf_pos(u) * (e / d)
    return e if d == 0 else r


def _sigmoid_xent(x, z, out):  # pragma: no cover - compiled
    """``c * |x| + log1p(exp(-|x|))``, ``c = 1 - z`` (``x >= 0``) or ``z``: the logistic loss on
    logits with its finite limits at infinite ``x`` (``c * |x| = 0`` where ``c == 0``)."""
    zero = np.float32(0.0)
    for i in range(x.shape[0]):
        v = x[i]
        zi = z[i]
        a = abs(v)
        c = _ONE_F - zi if v >= zero else zi
        lin = zero if c == zero else c * a
        out[i] = lin + _log1pf_j(expf_nonpos(-a))


def _sigmoid_xent_grad(x, z, gy, out):  # pragma: no cover - compiled
    """``gy * ((1 - z) sigmoid(x) - z sigmoid(-x))``, each sigmoid from ``exp(-|x|)``."""
    zero = np.float32(0.0)
    for i in range(x.shape[0]):
        v = x[i]
        zi = z[i]
        e = expf_nonpos(-abs(v))
        big = _ONE_F / (_ONE_F + e)
        small = e * big
        pos = v >= zero
        s = big if pos else small
        sn = small if pos else big
        out[i] = gy[i] * ((_ONE_F - zi) * s - zi * sn)


def _cce_rows(p, t, lo, hi, tiny, loss):  # pragma: no cover - compiled
    """``loss[i] = -sum(t * log(max(clip(p, lo, hi), tiny)))`` over each row of float32 (R, K)
    arrays, summed in float64 (categorical cross-entropy of probabilities)."""
    R, K = p.shape
    for i in range(R):
        pi = p[i]
        ti = t[i]
        s = 0.0
        for j in range(K):
            v = pi[j]
            v = lo if v < lo else v
            v = hi if v > hi else v
            v = tiny if v < tiny else v
            s += ti[j] * logf_pos(v)
        loss[i] = -s


def _cce_grad_rows(p, t, gy, lo, hi, tiny, gx):  # pragma: no cover - compiled
    """``gx = -gy[i] * t / clip(p)`` inside the clip interval (bounds included) and above
    ``tiny``, else 0: the probabilities' gradient of :func:`_cce_rows`."""
    R, K = p.shape
    zero = np.float32(0.0)
    for i in range(R):
        pi = p[i]
        ti = t[i]
        oi = gx[i]
        g = -gy[i]
        for j in range(K):
            v = pi[j]
            c = lo if v < lo else v
            c = hi if c > hi else c
            dead = v < lo or v > hi or c < tiny
            oi[j] = zero if dead else g * ti[j] / c


@lru_cache(maxsize=1)
def rowwise_grad_kernels() -> dict[str, Any]:
    """The fused kernels of softmax's, log-softmax's and dropout's backward passes, dropout's
    mask and the binary cross-entropy (compiled on first call, cached on disk)."""
    import numba
    from numba.extending import intrinsic

    kernels()  # the exp helper that the softmax gradients inline
    common = {"cache": True, "nogil": True, "error_model": "numpy"}
    reduce_ = {**common, "fastmath": set(_FM_REDUCE)}
    g = globals()
    g["bits_from_f32"] = intrinsic(_bits_from_f32_typer)
    g["logf_pos"] = numba.njit(**common, fastmath=set(_FM_EXACT))(_logf_pos)
    g["_log1pf_j"] = numba.njit(**common, fastmath=set(_FM_EXACT))(_log1pf_unit)
    g["softmax_col_sums"] = numba.njit(**reduce_)(_softmax_col_sums)
    g["softmax_col_apply"] = numba.njit(**reduce_)(_softmax_col_apply)
    return {
        "softmax_grad_rows": numba.njit(**reduce_)(_softmax_grad_rows),
        "softmax_grad_cols": numba.njit(**reduce_)(_softmax_grad_cols),
        "softmax_col_sums": softmax_col_sums,
        "softmax_col_apply": softmax_col_apply,
        "mul_into": numba.njit(**common)(_mul_into),
        "dropout_mask": numba.njit(**common)(_dropout_mask),
        "bce": numba.njit(**common, fastmath=set(_FM_EXACT))(_bce),
        "bce_grad": numba.njit(**common, fastmath=set(_FM_EXACT))(_bce_grad),
        "cce_rows": numba.njit(**reduce_)(_cce_rows),
        "cce_grad_rows": numba.njit(**common, fastmath=set(_FM_EXACT))(_cce_grad_rows),
        "sigmoid_xent": numba.njit(**common, fastmath=set(_FM_EXACT))(_sigmoid_xent),
        "sigmoid_xent_grad": numba.njit(**common, fastmath=set(_FM_EXACT))(_sigmoid_xent_grad),
    }


# ---------------------------------------------------------------------------- batch-norm apply form
# (nnfunc.kernels.cpu.batch_norm, given statistics: y = x * a[c] + b[c] per channel; x is
# (A, C, B) rows, or (A, C) when the channels are the last axis; a, b, m, k in x's dtype)
def _bn_apply(x, a, b, y):  # pragma: no cover - compiled
    """``y[i, c, :] = x[i, c, :] * a[c] + b[c]`` (one read of ``x``, one write of ``y``)."""
    n_a, n_c, n_b = x.shape
    for i in range(n_a):
        for c in range(n_c):
            row = x[i, c]
            out = y[i, c]
            ac = a[c]
            bc = b[c]
            for j in range(n_b):
                out[j] = row[j] * ac + bc


def _bn_apply_last(x, a, b, y):  # pragma: no cover - compiled
    """``y[i, c] = x[i, c] * a[c] + b[c]``: channels on the last (contiguous) axis."""
    n_a, n_c = x.shape
    for i in range(n_a):
        row = x[i]
        out = y[i]
        for c in range(n_c):
            out[c] = row[c] * a[c] + b[c]


def _bn_apply_grad(x, gy, m, k, want_gx, gx, s1, s2):  # pragma: no cover - compiled
    """Per channel: ``s1[c] += sum gy``, ``s2[c] += sum gy * (x - m[c])`` (float64 channel
    totals of per-row sums); with ``want_gx``, ``gx = gy * k[c]``. One read of ``x`` and
    ``gy`` (the row is still in cache for ``gx``)."""
    n_a, n_c, n_b = x.shape
    zero = np.zeros(1, x.dtype)[0]
    for i in range(n_a):
        for c in range(n_c):
            row = x[i, c]
            g = gy[i, c]
            mc = m[c]
            t1 = zero
            t2 = zero
            for j in range(n_b):
                gj = g[j]
                t1 += gj
                t2 += gj * (row[j] - mc)
            s1[c] += t1
            s2[c] += t2
            if want_gx:
                out = gx[i, c]
                kc = k[c]
                for j in range(n_b):
                    out[j] = g[j] * kc


def _bn_apply_grad_last(x, gy, m, k, want_gx, gx, s1, s2):  # pragma: no cover - compiled
    """:func:`_bn_apply_grad` with the channels on the last axis (``x`` is (A, C))."""
    n_a, n_c = x.shape
    for i in range(n_a):
        row = x[i]
        g = gy[i]
        for c in range(n_c):
            gj = g[c]
            s1[c] += gj
            s2[c] += gj * (row[c] - m[c])
        if want_gx:
            out = gx[i]
            for c in range(n_c):
                out[c] = g[c] * k[c]


@lru_cache(maxsize=1)
def bn_apply_kernels() -> dict[str, Any]:
    """The batch-norm apply-form kernels of :mod:`nnfunc.kernels.cpu.batch_norm`."""
    import numba

    opts = {"cache": True, "nogil": True, "error_model": "numpy"}
    reduce_ = {**opts, "fastmath": set(_FM_REDUCE)}
    return {  # the apply form without contraction: x * a + b rounded twice, as NumPy does
        "apply": numba.njit(**opts)(_bn_apply),
        "apply_last": numba.njit(**opts)(_bn_apply_last),
        "grad": numba.njit(**reduce_)(_bn_apply_grad),
        "grad_last": numba.njit(**reduce_)(_bn_apply_grad_last),
    }


# ---------------------------------------------------------------------------- 2-D pooling on x
# (nnfunc.kernels.cpu.pool2d: planes p0 <= p < p1 of UNPADDED (P, H, W) inputs; the windows
# start at i * sh - ph, j * sw - pw; cells outside the plane are skipped, which is -inf padding
# for a maximum and zero padding for a sum. For kernel column b, the output columns whose cell
# lies inside the plane are jlo <= j < jhi, computed once per (row, b): the inner loops are
# branch-free runs along a row, which LLVM vectorises.)
def _pool_cols(b, pw, sw, wo, w):  # pragma: no cover - compiled
    c0 = b - pw
    jlo = max(0, (sw - 1 - c0) // sw)
    jhi = min(wo, (w - 1 - c0) // sw + 1)
    return c0, jlo, jhi


def _max_pool2d_arg(x, y, idx, kh, kw, sh, sw, ph, pw, p0, p1):  # pragma: no cover - compiled
    """``y[p]``: window maxima of ``x[p]``; ``idx[p]``: the offset ``a * kw + b`` of the first
    maximum (C order) among the cells of ``x`` (padding never wins), or -2 where the window
    holds a NaN (``y`` is NaN there, and no cell gets its gradient). Every window must hold a
    cell of ``x`` (the caller checks it).

    One pass over the offsets with a running maximum and its offset per output column (the
    offset kept in x's dtype so that both selects vectorise; every value a select reads is
    loaded first, unconditionally, or LLVM keeps the branch). Windows whose cells are all
    ``-inf`` keep offset -1 and are resolved afterwards, one by one (rare).
    """
    h = x.shape[1]
    w = x.shape[2]
    ho = y.shape[1]
    wo = y.shape[2]
    ninf = y.dtype.type(-np.inf)
    t = np.empty(wo, y.dtype)
    m = np.empty(wo, y.dtype)
    xs = np.empty(wo, y.dtype)
    for p in range(p0, p1):
        for i in range(ho):
            for j in range(wo):
                m[j] = ninf
                t[j] = -1.0
            for a in range(kh):
                r = i * sh + a - ph
                if r < 0 or r >= h:
                    continue
                for b in range(kw):
                    c0, jlo, jhi = _pool_cols_j(b, pw, sw, wo, w)
                    code = y.dtype.type(a * kw + b)
                    for j in range(jlo, jhi):  # the strided cells, gathered first
                        xs[j] = x[p, r, c0 + j * sw]
                    for j in range(jlo, jhi):
                        v = xs[j]
                        mm = m[j]
                        gt = v > mm
                        m[j] = v if (gt or v != v) else mm
                        tt = t[j]
                        t[j] = code if gt else tt
            low = 0.0
            for j in range(wo):
                mm = m[j]
                tt = t[j]
                y[p, i, j] = mm
                tt = -2.0 if mm != mm else tt  # a NaN window: no gradient
                low = min(low, tt)
                idx[p, i, j] = tt
            if low == -1.0:  # windows whose cells are all -inf: the first cell of x
                for j in range(wo):
                    if idx[p, i, j] == -1:
                        idx[p, i, j] = _first_cell_j(h, w, i, j, kh, kw, sh, sw, ph, pw)


def _first_cell(h, w, i, j, kh, kw, sh, sw, ph, pw):  # pragma: no cover - compiled
    """Offset of the first cell of window ``(i, j)`` inside the ``h x w`` plane."""
    for a in range(kh):
        r = i * sh + a - ph
        for b in range(kw):
            c = j * sw + b - pw
            if 0 <= r < h and 0 <= c < w:
                return a * kw + b
    return -2


def _max_pool2d_arg_grad(idx, gy, gx, kh, kw, sh, sw, ph, pw, p0, p1):  # pragma: no cover
    """``gx[p]`` (the shape of ``x[p]``): each row gathered from the windows covering it, ``gy``
    where ``idx`` names the cell, 0 elsewhere; each row is written by one thread, in cache.
    The window row's offsets are copied into a scratch row of gx's dtype first, so that the
    compare and the select have one lane width (vectorised)."""
    h = gx.shape[1]
    w = gx.shape[2]
    ho = gy.shape[1]
    wo = gy.shape[2]
    zero = gx.dtype.type(0.0)
    tf = np.empty(wo, gx.dtype)
    gs = np.empty(wo, gx.dtype)
    acc = np.empty(w, gx.dtype)
    for p in range(p0, p1):
        for r in range(h):
            for c in range(w):
                acc[c] = zero
            for a in range(kh):
                u = r + ph - a
                if u < 0 or u % sh != 0 or u // sh >= ho:
                    continue
                i = u // sh
                for j in range(wo):
                    tf[j] = idx[p, i, j]
                    gs[j] = gy[p, i, j]
                for b in range(kw):
                    c0, jlo, jhi = _pool_cols_j(b, pw, sw, wo, w)
                    code = gx.dtype.type(a * kw + b)
                    for j in range(jlo, jhi):
                        g = gs[j]
                        tt = tf[j]
                        acc[c0 + j * sw] += g if tt == code else zero
            for c in range(w):
                gx[p, r, c] = acc[c]


def _max_pool2d_arg_take(g, idx, out, kh, kw, sh, sw, ph, pw, p0, p1):  # pragma: no cover
    """``out[p, i, j] = g[p]`` at the first maximum of window ``(i, j)`` (0 for NaN windows):
    the adjoint of :func:`_max_pool2d_arg_grad`."""
    ho = out.shape[1]
    wo = out.shape[2]
    zero = out.dtype.type(0.0)
    for p in range(p0, p1):
        for i in range(ho):
            for j in range(wo):
                t = idx[p, i, j]
                if t < 0:
                    out[p, i, j] = zero
                else:
                    a = t // kw
                    out[p, i, j] = g[p, i * sh + a - ph, j * sw + t - a * kw - pw]


def _sum_pool2d_x(x, y, scale, kh, kw, sh, sw, ph, pw, p0, p1):  # pragma: no cover - compiled
    """``y[p, i, j] = scale[i, j] * sum`` of the cells of ``x[p]`` in window ``(i, j)``
    (``scale`` of shape (1, 1): one factor). Separable: the window sums along each row of
    ``x[p]`` first (``kw`` adds per cell), then the sums of ``kh`` of those rows."""
    h = x.shape[1]
    w = x.shape[2]
    ho = y.shape[1]
    wo = y.shape[2]
    zero = y.dtype.type(0.0)
    full = scale.shape[0] != 1 or scale.shape[1] != 1
    s0 = scale[0, 0]
    rs = np.empty((h, wo), y.dtype)
    for p in range(p0, p1):
        for r in range(h):
            for j in range(wo):
                rs[r, j] = zero
            for b in range(kw):
                c0, jlo, jhi = _pool_cols_j(b, pw, sw, wo, w)
                for j in range(jlo, jhi):
                    rs[r, j] += x[p, r, c0 + j * sw]
        for i in range(ho):
            for j in range(wo):
                y[p, i, j] = zero
            for a in range(kh):
                r = i * sh + a - ph
                if r < 0 or r >= h:
                    continue
                for j in range(wo):
                    y[p, i, j] += rs[r, j]
            if full:
                for j in range(wo):
                    y[p, i, j] *= scale[i, j]
            else:
                for j in range(wo):
                    y[p, i, j] *= s0


def _sum_pool2d_x_adjoint(g, gx, scale, kh, kw, sh, sw, ph, pw, p0, p1):  # pragma: no cover
    """Adjoint of :func:`_sum_pool2d_x`, the two passes transposed, each a gather: per row
    ``r`` of ``x[p]``, the sum of ``g * scale`` over the window rows covering it, then each
    cell the sum of that row over the window columns covering it (one thread per plane)."""
    h = gx.shape[1]
    w = gx.shape[2]
    ho = g.shape[1]
    wo = g.shape[2]
    zero = gx.dtype.type(0.0)
    full = scale.shape[0] != 1 or scale.shape[1] != 1
    s0 = scale[0, 0]
    gs = np.empty((ho, wo), gx.dtype)
    rs = np.empty(wo, gx.dtype)
    for p in range(p0, p1):
        for i in range(ho):
            if full:
                for j in range(wo):
                    gs[i, j] = g[p, i, j] * scale[i, j]
            else:
                for j in range(wo):
                    gs[i, j] = g[p, i, j] * s0
        for r in range(h):
            for j in range(wo):
                rs[j] = zero
            for a in range(kh):
                t = r + ph - a
                if t < 0 or t % sh != 0 or t // sh >= ho:
                    continue
                i = t // sh
                for j in range(wo):
                    rs[j] += gs[i, j]
            for c in range(w):
                gx[p, r, c] = zero
            for b in range(kw):
                c0, jlo, jhi = _pool_cols_j(b, pw, sw, wo, w)
                for j in range(jlo, jhi):
                    gx[p, r, c0 + j * sw] += rs[j]


def _max_pool2d_arg_22(x, y, idx, p0, p1):  # pragma: no cover - compiled
    """:func:`_max_pool2d_arg` for 2x2 windows, stride 2, no padding, every window inside
    ``x``: the constant stride lets LLVM vectorise the paired loads; the four cells are read
    unconditionally and combined by selects (first maximum in C order; a NaN window gives
    the NaN the sum of its cells is, and offset -2)."""
    ho = y.shape[1]
    wo = y.shape[2]
    for p in range(p0, p1):
        for i in range(ho):
            r = 2 * i
            for j in range(wo):
                c = 2 * j
                v0 = x[p, r, c]
                v1 = x[p, r, c + 1]
                v2 = x[p, r + 1, c]
                v3 = x[p, r + 1, c + 1]
                m = v0
                t = 0
                g = v1 > m
                m = v1 if g else m
                t = 1 if g else t
                g = v2 > m
                m = v2 if g else m
                t = 2 if g else t
                g = v3 > m
                m = v3 if g else m
                t = 3 if g else t
                nan = (v0 != v0) | (v1 != v1) | (v2 != v2) | (v3 != v3)
                total = v0 + v1 + v2 + v3
                y[p, i, j] = total if nan else m
                idx[p, i, j] = -2 if nan else t


def _max_pool2d_arg_grad_22(idx, gy, gx, p0, p1):  # pragma: no cover - compiled
    """:func:`_max_pool2d_arg_grad` for 2x2 windows, stride 2, no padding: each cell of
    ``gx`` written once (``gy`` where the argmax names it, else 0; 0 past the last window)."""
    h = gx.shape[1]
    w = gx.shape[2]
    ho = gy.shape[1]
    wo = gy.shape[2]
    zero = gx.dtype.type(0.0)
    for p in range(p0, p1):
        for i in range(ho):
            r = 2 * i
            for j in range(wo):
                c = 2 * j
                g = gy[p, i, j]
                t = idx[p, i, j]
                gx[p, r, c] = g if t == 0 else zero
                gx[p, r, c + 1] = g if t == 1 else zero
                gx[p, r + 1, c] = g if t == 2 else zero
                gx[p, r + 1, c + 1] = g if t == 3 else zero
            for c in range(2 * wo, w):
                gx[p, r, c] = zero
                gx[p, r + 1, c] = zero
        for r in range(2 * ho, h):
            for c in range(w):
                gx[p, r, c] = zero


def _max_pool2d_padded(x, y, kh, kw, sh, sw, p0, p1):  # pragma: no cover - compiled
    """Window maxima only (no argmax) of planes PADDED with -inf to cover every window: one
    output row at a time, one kernel offset at a time, the inner loop a strided read and a
    select along the row (vectorised; NaN propagates)."""
    ho = y.shape[1]
    wo = y.shape[2]
    for p in range(p0, p1):
        for i in range(ho):
            r = i * sh
            for j in range(wo):
                y[p, i, j] = x[p, r, j * sw]
            for a in range(kh):
                for b in range(kw):
                    if a == 0 and b == 0:
                        continue
                    rr = r + a
                    for j in range(wo):
                        v = x[p, rr, b + j * sw]
                        m = y[p, i, j]
                        y[p, i, j] = v if (v > m or v != v) else m


def _max_pool2d_match(x, y, idx, kh, kw, sh, sw, ph, pw, p0, p1):  # pragma: no cover
    """The argmax of :func:`_max_pool2d_arg` given the maxima ``y``: the offsets visited in
    reverse C order, each keeping the cells equal to ``y`` (the last match is the first
    maximum; a NaN window matches nothing: -2; padding is never visited). Cheaper than
    tracking the maximum and its offset together (one select, against a known value)."""
    h = x.shape[1]
    w = x.shape[2]
    ho = y.shape[1]
    wo = y.shape[2]
    m = np.empty(wo, y.dtype)
    t = np.empty(wo, y.dtype)
    xs = np.empty(wo, y.dtype)
    for p in range(p0, p1):
        for i in range(ho):
            for j in range(wo):
                m[j] = y[p, i, j]
                t[j] = -2.0
            for a in range(kh - 1, -1, -1):
                r = i * sh + a - ph
                if r < 0 or r >= h:
                    continue
                for b in range(kw - 1, -1, -1):
                    c0, jlo, jhi = _pool_cols_j(b, pw, sw, wo, w)
                    code = y.dtype.type(a * kw + b)
                    if sw == 1:  # contiguous: compare in place
                        for j in range(jlo, jhi):
                            v = x[p, r, c0 + j]
                            mm = m[j]
                            tt = t[j]
                            t[j] = code if v == mm else tt
                        continue
                    for j in range(jlo, jhi):
                        xs[j] = x[p, r, c0 + j * sw]
                    for j in range(jlo, jhi):
                        v = xs[j]
                        mm = m[j]
                        tt = t[j]
                        t[j] = code if v == mm else tt
            for j in range(wo):
                idx[p, i, j] = t[j]


@lru_cache(maxsize=1)
def pool2d_x_kernels() -> dict[str, Any]:
    """The 2-D pooling kernels on unpadded planes (:mod:`nnfunc.kernels.cpu.pool2d`)."""
    import numba

    opts = {"cache": True, "nogil": True, "error_model": "numpy"}
    globals()["_pool_cols_j"] = numba.njit(**opts)(_pool_cols)
    globals()["_first_cell_j"] = numba.njit(**opts)(_first_cell)
    return {
        "max": numba.njit(**opts)(_max_pool2d_arg),
        "max_grad": numba.njit(**opts)(_max_pool2d_arg_grad),
        "max_take": numba.njit(**opts)(_max_pool2d_arg_take),
        "max22": numba.njit(**opts)(_max_pool2d_arg_22),
        "max_padded": numba.njit(**opts)(_max_pool2d_padded),
        "match": numba.njit(**opts)(_max_pool2d_match),
        "max_grad22": numba.njit(**opts)(_max_pool2d_arg_grad_22),
        "sum": numba.njit(**opts)(_sum_pool2d_x),
        "sum_adjoint": numba.njit(**opts)(_sum_pool2d_x_adjoint),
    }


# ---------------------------------------------------------------------------- group norm
# (nnfunc.kernels.cpu.batch_norm, group normalization of channel-first data: statistics per
# row of x seen as (N * G, C/G * B); the affine and the gradient per (n, c) row of (N, C, B),
# with per-(n, c) coefficients; the mean as a two-part mh + ml in x's dtype, as _chan_apply)
def _gn_stats(x, groups, mean, m2):  # pragma: no cover - compiled
    """Per (n, group) of ``x`` (N, C, B): the mean and the centred sum of squares (float64).
    Each ``x[n, c]`` row is summed twice while in cache (its mean, then its squared
    deviations; the dtype of ``x``, vectorised: the caller keeps rows short enough for that
    rounding) and merged into its group with Chan's update, so no ``E[x^2] - E[x]^2``
    cancellation."""
    n_n, n_c, n_b = x.shape
    cg = n_c // groups
    zero = np.zeros(1, x.dtype)[0]
    for i in range(n_n):
        for g in range(groups):
            count = 0.0
            mu_g = 0.0
            q_g = 0.0
            for c in range(g * cg, (g + 1) * cg):
                row = x[i, c]
                s = zero
                for j in range(n_b):
                    s += row[j]
                mu = s / n_b
                ss = zero
                for j in range(n_b):
                    d = row[j] - mu
                    ss += d * d
                total = count + n_b
                delta = mu - mu_g
                mu_g += delta * (n_b / total)
                q_g += ss + delta * delta * (count * n_b / total)
                count = total
            mean[i * groups + g] = mu_g
            m2[i * groups + g] = q_g


def _gn_apply(x, mh, b2, a, y):  # pragma: no cover - compiled
    """``y[n, c, :] = (x - mh[n, c]) * a[n, c] + b2[n, c]`` (``b2 = b - ml * a``: the low
    part of the two-part mean folded into the offset)."""
    n_n, n_c, n_b = x.shape
    for i in range(n_n):
        for c in range(n_c):
            row = x[i, c]
            out = y[i, c]
            m1 = mh[i, c]
            ac = a[i, c]
            bc = b2[i, c]
            for j in range(n_b):
                out[j] = sub_exact(row[j], m1) * ac + bc


def _gn_grad_sums(x, gy, mh, ml, s1, s2):  # pragma: no cover - compiled
    """``s1[n, c] = sum gy``, ``s2[n, c] = sum gy * (x - mean[n, c])`` over ``B`` (float64)."""
    n_n, n_c, n_b = x.shape
    zero = np.zeros(1, x.dtype)[0]
    for i in range(n_n):
        for c in range(n_c):
            row = x[i, c]
            g = gy[i, c]
            m1 = mh[i, c]
            m2 = ml[i, c]
            t1 = zero
            t2 = zero
            for j in range(n_b):
                gj = g[j]
                t1 += gj
                t2 += gj * sub_exact(sub_exact(row[j], m1), m2)
            s1[i, c] = t1
            s2[i, c] = t2


def _gn_grad_apply(x, gy, mh, ml, c0, c1, c2, gx):  # pragma: no cover - compiled
    """``gx[n, c, :] = c0 * gy + c2 * (x - mean) + c1`` with per-(n, c) coefficients."""
    n_n, n_c, n_b = x.shape
    for i in range(n_n):
        for c in range(n_c):
            row = x[i, c]
            g = gy[i, c]
            out = gx[i, c]
            m1 = mh[i, c]
            m2 = ml[i, c]
            k0 = c0[i, c]
            k1 = c1[i, c]
            k2 = c2[i, c]
            for j in range(n_b):
                out[j] = k0 * g[j] + k2 * sub_exact(sub_exact(row[j], m1), m2) + k1


@lru_cache(maxsize=1)
def group_norm_kernels() -> dict[str, Any]:
    """The group-normalization kernels of :mod:`nnfunc.kernels.cpu.batch_norm`."""
    import numba

    kernels()  # compiles the shared helpers (sub_exact) into this module's globals
    opts = {"cache": True, "nogil": True, "error_model": "numpy"}
    exact = {**opts, "fastmath": set(_FM_EXACT)}
    reduce_ = {**opts, "fastmath": set(_FM_REDUCE)}
    return {
        "stats": numba.njit(**reduce_)(_gn_stats),
        "apply": numba.njit(**exact)(_gn_apply),
        "grad_sums": numba.njit(**reduce_)(_gn_grad_sums),
        "grad_apply": numba.njit(**exact)(_gn_grad_apply),
    }


# ---------------------------------------------------------------------------- activations
# (nnfunc.kernels.cpu.activation: element-wise forward and first-order gradient kernels of the
# activations on float32 1-d arrays, ``fwd(x, y, a, b)`` and ``grad(v, gy, gx, a, b)``, where
# ``a`` and ``b`` are parameters and ``v`` is the input or, for sigmoid, tanh and relu,
# the output; ``a`` and ``b`` arrive as float64 and are rounded to float32 where the kernel
# computes in float32. Computed in float32 (the exact GELU and its gradient in float64) from the
# branch-free helpers below, so that LLVM vectorises every loop.)
act_expm1_nonpos: Any = None
act_log1p_unit: Any = None
act_sig: Any = None
act_sig64: Any = None
_A0 = np.float32(0.0)
_A1 = np.float32(1.0)
_A2 = np.float32(2.0)
_A3 = np.float32(3.0)
_A200 = np.float32(200.0)
_A6 = np.float32(6.0)
_A_SIXTH = np.float32(1.0 / 6.0)
#: tanh-GELU: 2 * sqrt(2/pi), sqrt(2/pi), 0.044715 (its kernels: the s3-gelu32 section)
_GT_K2 = np.float32(2.0 * math.sqrt(2.0 / math.pi))
_GT_K = np.float32(math.sqrt(2.0 / math.pi))
_GT_A = np.float32(0.044715)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
# log1p(e) = 2 atanh(s), s = e / (2 + e) <= 1/3 for 0 <= e <= 1: 2 s sum s^(2n) / (2n + 1),
# truncated after n = 7 (relative error < 1.5e-9).
(_L0, _L1, _L2, _L3, _L4, _L5, _L6, _L7) = (np.float32(2.0 / (2 * n + 1)) for n in range(8))
# expm1(m) = m (1 + m/2 + m^2/6 + ... + m^8/9!) for -0.5 < m <= 0 (relative error < 1e-9);
# exp(m) - 1 below (no cancellation there).
(_E1, _E2, _E3, _E4, _E5, _E6, _E7, _E8) = (
    np.float32(1.0 / math.factorial(n + 1)) for n in range(1, 9)
)
_EXPM1_SMALL = np.float32(-0.5)


def _act_expm1_nonpos(m: Any) -> Any:  # pragma: no cover - compiled
    """``expm1(m)`` of a float32 ``m <= 0`` (NaN gives NaN)."""
    p = _E8
    p = p * m + _E7
    p = p * m + _E6
    p = p * m + _E5
    p = p * m + _E4
    p = p * m + _E3
    p = p * m + _E2
    p = p * m + _E1
    p = (p * m + _A1) * m
    e = expf_nonpos(m) - _A1
    return p if m > _EXPM1_SMALL else e


def _act_log1p_unit(e: Any) -> Any:  # pragma: no cover - compiled
    """``log1p(e)`` of a float32 ``0 <= e <= 1``."""
    s = e / (_A2 + e)
    z = s * s
    p = _L7
    p = p * z + _L6
    p = p * z + _L5
    p = p * z + _L4
    p = p * z + _L3
    p = p * z + _L2
    p = p * z + _L1
    p = p * z + _L0
    return s * p


def _act_sig(z: Any) -> Any:  # pragma: no cover - compiled
    """``(sigmoid(z), 1 - sigmoid(z))`` of a float32 ``z``, both without cancellation."""
    e = expf_nonpos(-abs(z))
    r = _A1 / (_A1 + e)
    er = e * r
    pos = z >= _A0
    return (r if pos else er), (er if pos else r)


def _act_sig64(z: Any) -> Any:  # pragma: no cover - compiled
    """:func:`_act_sig` in float64 (for the kernels whose sigmoid argument is not exact in
    float32: rounding ``z`` there would cost ``|z|`` ulps of ``sigmoid(z)`` in its tail)."""
    e = exp_nonpos_f64(-abs(z))
    r = 1.0 / (1.0 + e)
    er = e * r
    pos = z >= 0.0
    return (r if pos else er), (er if pos else r)


def _act_sigmoid_fwd(x, y, a, b):  # pragma: no cover - compiled
    for i in range(x.shape[0]):
        s, _q = act_sig(x[i])
        y[i] = s


def _act_swish_fwd(x, y, a, b):  # pragma: no cover - compiled
    """``x * sigmoid(a x)``: silu (a = 1, in float32) and the sigmoid GELU (a = 1.702, in
    float64: rounding ``a x`` to float32 would cost ``|a x|`` ulps in the lower tail)."""
    if a == 1.0:
        # silu: sigmoid's argument is x itself, exact in float32 (results within 3 ulps)
        for i in range(x.shape[0]):
            v = x[i]
            s, _q = act_sig(v)
            y[i] = v * s if v != -np.inf else -_A0  # the limit, not -inf * 0
        return
    ad = np.float64(a)
    for i in range(x.shape[0]):
        v = np.float64(x[i])
        s, _q = act_sig64(ad * v)
        y[i] = np.float32(v * s) if v != -np.inf else -_A0


def _act_softplus_fwd(x, y, a, b):  # pragma: no cover - compiled
    for i in range(x.shape[0]):
        v = x[i]
        m = v if v > _A0 else _A0
        y[i] = m + act_log1p_unit(expf_nonpos(-abs(v)))


def _act_log_sigmoid_fwd(x, y, a, b):  # pragma: no cover - compiled
    for i in range(x.shape[0]):
        v = x[i]
        m = v if v < _A0 else _A0
        y[i] = m - act_log1p_unit(expf_nonpos(-abs(v)))


def _act_elu_fwd(x, y, a, b):  # pragma: no cover - compiled
    """``b * (x if x > 0 else a * expm1(x))`` (a = alpha, b = scale)."""
    af, bf = np.float32(a), np.float32(b)
    for i in range(x.shape[0]):
        v = x[i]
        m = _A0 if v > _A0 else v  # NaN stays NaN
        n = af * act_expm1_nonpos(m)
        y[i] = (v if v > _A0 else n) * bf


def _act_leaky_relu_fwd(x, y, a, b):  # pragma: no cover - compiled
    af = np.float32(a)
    for i in range(x.shape[0]):
        v = x[i]
        y[i] = v if v >= _A0 else v * af


def _act_sigmoid_grad(v, gy, gx, a, b):  # pragma: no cover - compiled
    """From the output ``y``: ``gy * y * (1 - y)``."""
    for i in range(v.shape[0]):
        y = v[i]
        gx[i] = gy[i] * (y * (_A1 - y))


def _act_tanh_grad(v, gy, gx, a, b):  # pragma: no cover - compiled
    """From the output ``y``: ``gy * (1 - y*y)``."""
    for i in range(v.shape[0]):
        y = v[i]
        gx[i] = gy[i] * (_A1 - y * y)


def _act_relu_grad(v, gy, gx, a, b):  # pragma: no cover - compiled
    """``gy`` where ``v > a`` else 0 (``v`` the output and ``a = 0``, or the input and the
    threshold)."""
    for i in range(v.shape[0]):
        gx[i] = gy[i] if v[i] > a else _A0


def _act_leaky_relu_grad(v, gy, gx, a, b):  # pragma: no cover - compiled
    af = np.float32(a)
    for i in range(v.shape[0]):
        g = gy[i]
        gx[i] = g if v[i] >= _A0 else g * af


def _act_softplus_grad(v, gy, gx, a, b):  # pragma: no cover - compiled
    for i in range(v.shape[0]):
        s, _q = act_sig(v[i])
        gx[i] = gy[i] * s


def _act_log_sigmoid_grad(v, gy, gx, a, b):  # pragma: no cover - compiled
    for i in range(v.shape[0]):
        _s, q = act_sig(v[i])
        gx[i] = gy[i] * q


def _act_swish_grad(v, gy, gx, a, b):  # pragma: no cover - compiled
    """``d/dx x sigmoid(a x) = s + a x s (1 - s)``; ``a x`` clipped to +-200 in the second
    term (``s (1 - s)`` is 0 there), so that an overflow of ``a x`` gives no ``inf * 0``."""
    af = np.float32(a)
    for i in range(v.shape[0]):
        z = af * v[i]
        s, q = act_sig(z)
        zc = _A200 if z > _A200 else z  # NaN stays NaN
        zc = -_A200 if zc < -_A200 else zc
        gx[i] = gy[i] * (s + zc * (s * q))


def _act_gelu_erf_grad(v, gy, gx, a, b):  # pragma: no cover - compiled
    """``Phi(x) + x phi(x)``, computed in float64 as the forward kernel."""
    for i in range(v.shape[0]):
        xd = np.float64(v[i])
        t = abs(xd) * _INV_SQRT2
        big = not (t < _ERFC_AMAX)  # also NaN
        tc = _ERFC_AMAX if big else t
        # erfc_pos inlined: its exp(-t*t) = exp(-x*x/2) is phi(x) * sqrt(2 pi) as well
        r = 1.0 / (1.0 + _ERFC_P * tc)
        u = r * _ERFC_SCALE - _ERFC_SHIFT
        q = _Q12
        q = q * u + _Q11
        q = q * u + _Q10
        q = q * u + _Q9
        q = q * u + _Q8
        q = q * u + _Q7
        q = q * u + _Q6
        q = q * u + _Q5
        q = q * u + _Q4
        q = q * u + _Q3
        q = q * u + _Q2
        q = q * u + _Q1
        q = q * u + _Q0
        ex = exp_nonpos_f64(-(tc * tc))
        e = 0.0 if big else r * q * ex
        w = e if xd < 0.0 else 2.0 - e
        # beyond |x| = 10.5 sqrt(2) x phi(x) < 1e-46 is 0 in float32: no inf * 0 there
        xphi = (0.0 if xd == xd else xd) if big else xd * (_INV_SQRT_2PI * ex)
        gx[i] = gy[i] * np.float32(0.5 * w + xphi)


def _act_elu_grad(v, gy, gx, a, b):  # pragma: no cover - compiled
    """``b`` for ``x > 0``, else ``a * exp(x) * b``."""
    af, bf = np.float32(a), np.float32(b)
    for i in range(v.shape[0]):
        x = v[i]
        m = _A0 if x > _A0 else x
        d = (af * expf_nonpos(m)) * bf
        gx[i] = gy[i] * (bf if x > _A0 else d)


def _act_softsign_grad(v, gy, gx, a, b):  # pragma: no cover - compiled
    for i in range(v.shape[0]):
        r = _A1 / (_A1 + abs(v[i]))
        gx[i] = gy[i] * (r * r)


def _act_clip_fwd(x, y, a, b):  # pragma: no cover - compiled
    """``min(max(x, a), b)`` (relu: a = 0, b = inf; relu6: a = lower, b = 6); NaN stays NaN
    (numpy's maximum is ~5x slower than this loop: it checks for NaN element by element)."""
    af, bf = np.float32(a), np.float32(b)
    for i in range(x.shape[0]):
        v = x[i]
        v = af if v < af else v
        y[i] = bf if v > bf else v


def _act_hard_silu_fwd(x, y, a, b):  # pragma: no cover - compiled
    """``x * (min(max(x + 3, 0), 6) * (1/6))``."""
    for i in range(x.shape[0]):
        v = x[i]
        r = v + _A3
        r = _A0 if r < _A0 else r
        r = _A6 if r > _A6 else r
        y[i] = -_A0 if r == _A0 else v * (r * _A_SIXTH)  # -0 up to -3, -inf included


def _act_window_grad(v, gy, gx, a, b):  # pragma: no cover - compiled
    """``gy`` strictly inside ``(a, b)``, else 0 (relu6: the clip's gradient, 0 at the
    bounds)."""
    for i in range(v.shape[0]):
        x = v[i]
        gx[i] = gy[i] if (x > a) and (x < b) else _A0


def _act_hard_silu_grad(v, gy, gx, a, b):  # pragma: no cover - compiled
    """``(2x + 3)/6`` inside ``(-3, 3)``, 1 from 3 on, 0 up to -3."""
    for i in range(v.shape[0]):
        x = v[i]
        r = x + _A3
        r = _A0 if r < _A0 else r
        r = _A6 if r > _A6 else r
        inside = (x > -_A3) and (x < _A3)
        gx[i] = gy[i] * (r * _A_SIXTH + (x * _A_SIXTH if inside else _A0))


#: (gelu_tanh: see the s3-gelu32 section at the end of this file)
_ACT_FWD = ("sigmoid", "swish", "softplus", "log_sigmoid", "elu", "leaky_relu")
#: piecewise-linear kernels, compiled without ``contract``: ``x + 3`` and the products round as
#: NumPy's, so the kink decisions agree with the NumPy twin's
_ACT_FWD_PLAIN = ("clip", "hard_silu")
_ACT_GRAD_PLAIN = ("window", "hard_silu")
_ACT_GRAD = (
    "sigmoid",
    "tanh",
    "relu",
    "leaky_relu",
    "softplus",
    "log_sigmoid",
    "swish",
    "gelu_erf",
    "elu",
    "softsign",
)


@lru_cache(maxsize=1)
def activation_kernels() -> dict[str, Any]:
    """The activation kernels, ``"<kind>_fwd"`` and ``"<kind>_grad"``, as numba dispatchers
    (each compiles on its first call, cached on disk)."""
    import numba

    kernels()  # jits the shared helpers (expf_nonpos, erfc_pos...) into this module's globals
    g = globals()
    exact = {"cache": True, "nogil": True, "error_model": "numpy", "fastmath": set(_FM_EXACT)}
    g["act_expm1_nonpos"] = numba.njit(**exact)(_act_expm1_nonpos)
    g["act_log1p_unit"] = numba.njit(**exact)(_act_log1p_unit)
    g["act_sig"] = numba.njit(**exact)(_act_sig)
    g["act_sig64"] = numba.njit(**exact)(_act_sig64)
    out = {f"{k}_fwd": numba.njit(**exact)(g[f"_act_{k}_fwd"]) for k in _ACT_FWD}
    out.update({f"{k}_grad": numba.njit(**exact)(g[f"_act_{k}_grad"]) for k in _ACT_GRAD})
    plain = {k: v for k, v in exact.items() if k != "fastmath"}
    out.update({f"{k}_fwd": numba.njit(**plain)(g[f"_act_{k}_fwd"]) for k in _ACT_FWD_PLAIN})
    out.update({f"{k}_grad": numba.njit(**plain)(g[f"_act_{k}_grad"]) for k in _ACT_GRAD_PLAIN})
    return out


# ---------------------------------------------------------------------------- small direct conv
# (nnfunc.kernels.cpu.direct: stride-1 2-D convolution, one group, samples n0 <= n < n1 per call.
# Each input plane is flattened with its padded row length ``wp``; output pixel (r, s) is then
# position ``t = r * wp + s`` and tap ``k`` reads ``x[t + offs[k]]``, so every tap is one long
# contiguous multiply-add (vectorised by LLVM) instead of a patch copy; the ``wp - wo`` columns
# past each row are computed and dropped (forward) or read against zeros (weight gradient).
# Taps go three at a time: one load/store of the accumulator per three multiply-adds.)
def _sc_forward(x, w, offs, y, wp, n0, n1):  # pragma: no cover - compiled
    """``y[n, o, r, s] = sum_{c,k} w[o, c, k] * x[n, c, r*wp + s + offs[k]]``."""
    nc = x.shape[1]
    no = w.shape[0]
    nt = w.shape[2]
    ho = y.shape[2]
    wo = y.shape[3]
    span = (ho - 1) * wp + wo
    acc = np.empty((2, span), y.dtype)
    zero = y.dtype.type(0.0)
    t3 = nt - nt % 3
    # 3x3 filters: two output channels and all nine taps per pass over the accumulators (nine
    # input loads shared by 18 multiply-adds); other sizes: one channel, three taps a pass.
    # The taps are read through views (x0 = xc[offset:]): indexing xc[offset + t] instead
    # made LLVM give up vectorising (7-10x slower).
    pair = 2 if nt == 9 else 1
    for n in range(n0, n1):
        for o in range(0, no, pair):
            two = pair == 2 and o + 1 < no
            for t in range(span):
                acc[0, t] = zero
                acc[1, t] = zero
            for c in range(nc):
                xc = x[n, c]
                if two:
                    q = o + 1
                    a0, a1, a2 = w[o, c, 0], w[o, c, 1], w[o, c, 2]
                    a3, a4, a5 = w[o, c, 3], w[o, c, 4], w[o, c, 5]
                    a6, a7, a8 = w[o, c, 6], w[o, c, 7], w[o, c, 8]
                    b0, b1, b2 = w[q, c, 0], w[q, c, 1], w[q, c, 2]
                    b3, b4, b5 = w[q, c, 3], w[q, c, 4], w[q, c, 5]
                    b6, b7, b8 = w[q, c, 6], w[q, c, 7], w[q, c, 8]
                    x0, x1, x2 = xc[offs[0] :], xc[offs[1] :], xc[offs[2] :]
                    x3, x4, x5 = xc[offs[3] :], xc[offs[4] :], xc[offs[5] :]
                    x6, x7, x8 = xc[offs[6] :], xc[offs[7] :], xc[offs[8] :]
                    c0 = acc[0]
                    c1 = acc[1]
                    for t in range(span):
                        v0, v1, v2 = x0[t], x1[t], x2[t]
                        v3, v4, v5 = x3[t], x4[t], x5[t]
                        v6, v7, v8 = x6[t], x7[t], x8[t]
                        c0[t] += (
                            (a0 * v0 + a1 * v1 + a2 * v2)
                            + (a3 * v3 + a4 * v4 + a5 * v5)
                            + (a6 * v6 + a7 * v7 + a8 * v8)
                        )
                        c1[t] += (
                            (b0 * v0 + b1 * v1 + b2 * v2)
                            + (b3 * v3 + b4 * v4 + b5 * v5)
                            + (b6 * v6 + b7 * v7 + b8 * v8)
                        )
                    continue
                c0 = acc[0]
                for k in range(0, t3, 3):
                    a0 = w[o, c, k]
                    a1 = w[o, c, k + 1]
                    a2 = w[o, c, k + 2]
                    x0 = xc[offs[k] :]
                    x1 = xc[offs[k + 1] :]
                    x2 = xc[offs[k + 2] :]
                    for t in range(span):
                        c0[t] += a0 * x0[t] + a1 * x1[t] + a2 * x2[t]
                for k in range(t3, nt):
                    a0 = w[o, c, k]
                    x0 = xc[offs[k] :]
                    for t in range(span):
                        c0[t] += a0 * x0[t]
            for j in range(2 if two else 1):
                for r in range(ho):
                    for s in range(wo):
                        y[n, o + j, r, s] = acc[j, r * wp + s]


def _sc_grad_weight(x, gy, offs, part, wp, n0, n1, slot):  # pragma: no cover - compiled
    """``part[slot, o, c, k] = sum_{n, r, s} gy[n, o, r, s] * x[n, c, r*wp + s + offs[k]]``."""
    nc = x.shape[1]
    no = gy.shape[1]
    nt = offs.shape[0]
    ho = gy.shape[2]
    wo = gy.shape[3]
    span = (ho - 1) * wp + wo
    g = np.zeros(span, gy.dtype)  # the dropped columns stay zero: only (r, s < wo) is written
    zero = gy.dtype.type(0.0)
    t3 = nt - nt % 3
    for o in range(no):
        for c in range(nc):
            for k in range(nt):
                part[slot, o, c, k] = zero
    for n in range(n0, n1):
        for o in range(no):
            for r in range(ho):
                for s in range(wo):
                    g[r * wp + s] = gy[n, o, r, s]
            for c in range(nc):
                xc = x[n, c]
                for k in range(0, t3, 3):
                    x0 = xc[offs[k] :]
                    x1 = xc[offs[k + 1] :]
                    x2 = xc[offs[k + 2] :]
                    s0 = zero
                    s1 = zero
                    s2 = zero
                    for t in range(span):
                        v = g[t]
                        s0 += v * x0[t]
                        s1 += v * x1[t]
                        s2 += v * x2[t]
                    part[slot, o, c, k] += s0
                    part[slot, o, c, k + 1] += s1
                    part[slot, o, c, k + 2] += s2
                for k in range(t3, nt):
                    x0 = xc[offs[k] :]
                    s0 = zero
                    for t in range(span):
                        s0 += g[t] * x0[t]
                    part[slot, o, c, k] += s0


@lru_cache(maxsize=1)
def small_conv_kernels() -> dict[str, Any]:
    """The direct small-convolution kernels of :mod:`nnfunc.kernels.cpu.direct` (compiled on
    first call; the weight gradient's dot products may be reassociated to vectorise)."""
    import numba

    opts = {"cache": True, "nogil": True, "error_model": "numpy", "fastmath": {"contract"}}
    return {
        "forward": numba.njit(**opts)(_sc_forward),
        "grad_weight": numba.njit(**{**opts, "fastmath": set(_FM_REDUCE)})(_sc_grad_weight),
    }


# ------------------------------------------------- branch s3-smallconv3: blocked direct conv
# (nnfunc.kernels.cpu.direct.forward_blocked: stride-1 2-D convolution, one group.) A block of
# ``nb`` samples is copied into one zero-padded scratch ``(C, nb * hp * wp)``, so that every
# tap is one long contiguous multiply-add over all the block's planes (rows of a 32-wide image
# alone are too short for LLVM's 64-lane vector loop: 2x slower); output pixel (r, s) of sample
# k is position ``k * hp * wp + r * wp + s``, the positions in between are computed and dropped.
# Planes may share their zeros: ``hp``/``wp`` are only as long as the outputs, the data and the
# reads need (``direct._plane``); a read past a row's end lands in the next row's leading zeros,
# and past a plane's end in the next plane's top rows (32x32 padded by one: 33x33 cells, not
# 34x34; 8x8: 81, not 100).
# Four output channels share each input load and three taps of a filter row are applied per
# pass over the accumulators (12 weights + 3 inputs + 4 sums stay in registers): ~80 GFLOP/s
# on one core here, against ~45 for one accumulator with nine taps.
def _sc3_forward(x, w, bias, y, lh, lw, hp, wp, dh, dw, nb, n0, n1):  # pragma: no cover
    """``y[n, o, r, s] = sum_{c,i,j} w[o, c, i, j] * xpad[n, c, r + i*dh, s + j*dw] (+ bias[o]
    when ``bias`` is not empty)``, with ``xpad`` the zeros ``(hp, wp)`` holding ``x`` at
    ``(lh, lw)`` (cropped to it)."""
    nc = x.shape[1]
    hx = min(x.shape[2], hp - lh)
    wx = min(x.shape[3], wp - lw)
    no = w.shape[0]
    kh = w.shape[2]
    kw = w.shape[3]
    kw3 = kw - kw % 3
    ho = y.shape[2]
    wo = y.shape[3]
    plane = hp * wp
    # Rows (inputs and sums) 1 KiB modulo 4 KiB apart, the sums 2 KiB after the inputs: a load
    # of an input tap at the address of a sum just stored, modulo 4 KiB, waits for that store
    # (4K aliasing). Measured over row lengths = 0, 64 B, 1, 2 KiB and gaps 0 to 3 KiB on five
    # shapes: rows a multiple of 4 KiB (unpadded 32x32 planes) ran up to 2.3x slower, 1 KiB was
    # the best everywhere, the gap mattered little.
    unit = 4096 // y.itemsize
    rl = nb * plane + (lh + 1) * wp  # the last plane's reads run up to lh + 1 rows past it
    rl += (unit // 4 - rl % unit) % unit
    buf = np.zeros((nc + 4) * rl + unit // 2, y.dtype)
    xs = buf[: nc * rl].reshape((nc, rl))
    acc = buf[nc * rl + unit // 2 :].reshape((4, rl))
    zero = y.dtype.type(0.0)
    for b0 in range(n0, n1, nb):
        m = min(nb, n1 - b0)
        span = (m - 1) * plane + (ho - 1) * wp + wo
        for k in range(m):
            for c in range(nc):
                for r in range(hx):
                    dst = xs[c, k * plane + (lh + r) * wp + lw :]
                    src = x[b0 + k, c, r]
                    for s in range(wx):
                        dst[s] = src[s]
        for o in range(0, no, 4):
            o1 = min(o + 1, no - 1)
            o2 = min(o + 2, no - 1)
            o3 = min(o + 3, no - 1)
            a0 = acc[0]
            a1 = acc[1]
            a2 = acc[2]
            a3 = acc[3]
            first = nc > 0 and kw3 > 0  # the first pass assigns the sums: no zeroing pass
            if not first:
                for t in range(span):
                    a0[t] = zero
                    a1[t] = zero
                    a2[t] = zero
                    a3[t] = zero
            for c in range(nc):
                for i in range(kh):
                    row = xs[c, i * dh * wp :]
                    for j in range(0, kw3, 3):
                        p0, p1, p2 = w[o, c, i, j], w[o, c, i, j + 1], w[o, c, i, j + 2]
                        q0, q1, q2 = w[o1, c, i, j], w[o1, c, i, j + 1], w[o1, c, i, j + 2]
                        u0, u1, u2 = w[o2, c, i, j], w[o2, c, i, j + 1], w[o2, c, i, j + 2]
                        v0, v1, v2 = w[o3, c, i, j], w[o3, c, i, j + 1], w[o3, c, i, j + 2]
                        x0 = row[j * dw :]
                        x1 = row[(j + 1) * dw :]
                        x2 = row[(j + 2) * dw :]
                        if first:
                            first = False
                            for t in range(span):
                                e0, e1, e2 = x0[t], x1[t], x2[t]
                                a0[t] = p0 * e0 + p1 * e1 + p2 * e2
                                a1[t] = q0 * e0 + q1 * e1 + q2 * e2
                                a2[t] = u0 * e0 + u1 * e1 + u2 * e2
                                a3[t] = v0 * e0 + v1 * e1 + v2 * e2
                            continue
                        for t in range(span):
                            e0, e1, e2 = x0[t], x1[t], x2[t]
                            a0[t] += p0 * e0 + p1 * e1 + p2 * e2
                            a1[t] += q0 * e0 + q1 * e1 + q2 * e2
                            a2[t] += u0 * e0 + u1 * e1 + u2 * e2
                            a3[t] += v0 * e0 + v1 * e1 + v2 * e2
                    for j in range(kw3, kw):
                        p0, q0, u0, v0 = (
                            w[o, c, i, j],
                            w[o1, c, i, j],
                            w[o2, c, i, j],
                            w[o3, c, i, j],
                        )
                        x0 = row[j * dw :]
                        for t in range(span):
                            e0 = x0[t]
                            a0[t] += p0 * e0
                            a1[t] += q0 * e0
                            a2[t] += u0 * e0
                            a3[t] += v0 * e0
            for q in range(min(4, no - o)):
                aq = acc[q]
                for k in range(m):
                    for r in range(ho):
                        src = aq[k * plane + r * wp :]
                        dst = y[b0 + k, o + q, r]
                        if bias.shape[0] == 0:  # no bias: -0.0 sums stay -0.0
                            for s in range(wo):
                                dst[s] = src[s]
                        else:
                            bq = bias[o + q]
                            for s in range(wo):
                                dst[s] = src[s] + bq


def _sc3_grad_weight(x, gy, part, lh, lw, hp, wp, dh, dw, nb, n0, n1, slot):  # pragma: no cover
    """``part[slot, o, c, i, j] = sum_{n, r, s} gy[n, o, r, s] * xpad[n, c, r + i*dh, s + j*dw]``
    over samples ``n0:n1`` (``xpad`` as in ``_sc3_forward``); four filters x three taps a pass:
    twelve running sums share three input and four gradient loads."""
    nc = x.shape[1]
    hx = min(x.shape[2], hp - lh)
    wx = min(x.shape[3], wp - lw)
    no = gy.shape[1]
    ho = gy.shape[2]
    wo = gy.shape[3]
    kh = part.shape[3]
    kw = part.shape[4]
    kw3 = kw - kw % 3
    plane = hp * wp
    rl = nb * plane + (lh + 1) * wp + 16  # as in _sc3_forward
    xs = np.zeros((nc, rl), part.dtype)
    gs = np.zeros((no, rl), part.dtype)  # the dropped positions stay zero
    zero = part.dtype.type(0.0)
    part[slot] = zero
    for b0 in range(n0, n1, nb):
        m = min(nb, n1 - b0)
        span = (m - 1) * plane + (ho - 1) * wp + wo
        for k in range(m):
            for c in range(nc):
                for r in range(hx):
                    dst = xs[c, k * plane + (lh + r) * wp + lw :]
                    src = x[b0 + k, c, r]
                    for s in range(wx):
                        dst[s] = src[s]
            for o in range(no):
                for r in range(ho):
                    dst = gs[o, k * plane + r * wp :]
                    src = gy[b0 + k, o, r]
                    for s in range(wo):
                        dst[s] = src[s]
        for o in range(0, no, 4):
            nq = min(4, no - o)
            g0 = gs[o]
            g1 = gs[min(o + 1, no - 1)]
            g2 = gs[min(o + 2, no - 1)]
            g3 = gs[min(o + 3, no - 1)]
            for c in range(nc):
                for i in range(kh):
                    row = xs[c, i * dh * wp :]
                    for j in range(0, kw3, 3):
                        x0 = row[j * dw :]
                        x1 = row[(j + 1) * dw :]
                        x2 = row[(j + 2) * dw :]
                        s00 = s01 = s02 = s10 = s11 = s12 = zero
                        s20 = s21 = s22 = s30 = s31 = s32 = zero
                        for t in range(span):
                            e0, e1, e2 = x0[t], x1[t], x2[t]
                            f0, f1, f2, f3 = g0[t], g1[t], g2[t], g3[t]
                            s00 += f0 * e0
                            s01 += f0 * e1
                            s02 += f0 * e2
                            s10 += f1 * e0
                            s11 += f1 * e1
                            s12 += f1 * e2
                            s20 += f2 * e0
                            s21 += f2 * e1
                            s22 += f2 * e2
                            s30 += f3 * e0
                            s31 += f3 * e1
                            s32 += f3 * e2
                        part[slot, o, c, i, j] += s00
                        part[slot, o, c, i, j + 1] += s01
                        part[slot, o, c, i, j + 2] += s02
                        if nq > 1:
                            part[slot, o + 1, c, i, j] += s10
                            part[slot, o + 1, c, i, j + 1] += s11
                            part[slot, o + 1, c, i, j + 2] += s12
                        if nq > 2:
                            part[slot, o + 2, c, i, j] += s20
                            part[slot, o + 2, c, i, j + 1] += s21
                            part[slot, o + 2, c, i, j + 2] += s22
                        if nq > 3:
                            part[slot, o + 3, c, i, j] += s30
                            part[slot, o + 3, c, i, j + 1] += s31
                            part[slot, o + 3, c, i, j + 2] += s32
                    for j in range(kw3, kw):
                        x0 = row[j * dw :]
                        s00 = s10 = s20 = s30 = zero
                        for t in range(span):
                            e0 = x0[t]
                            s00 += g0[t] * e0
                            s10 += g1[t] * e0
                            s20 += g2[t] * e0
                            s30 += g3[t] * e0
                        part[slot, o, c, i, j] += s00
                        if nq > 1:
                            part[slot, o + 1, c, i, j] += s10
                        if nq > 2:
                            part[slot, o + 2, c, i, j] += s20
                        if nq > 3:
                            part[slot, o + 3, c, i, j] += s30


@lru_cache(maxsize=1)
def blocked_conv_kernels() -> dict[str, Any]:
    """The blocked direct convolution of :mod:`nnfunc.kernels.cpu.direct` (compiled on first
    call; ``contract`` only: each sum keeps its order, up to fused multiply-adds)."""
    import numba

    opts = {"cache": True, "nogil": True, "error_model": "numpy", "fastmath": {"contract"}}
    reduce = {**opts, "fastmath": set(_FM_REDUCE)}  # the sums may be re-associated (vectorised)
    return {
        "forward": numba.njit(**opts)(_sc3_forward),
        "grad_weight": numba.njit(**reduce)(_sc3_grad_weight),
    }


# ------------------------------------------------------------------------------------------
# branch s3-models3: the 2x2/2 max pooling gradient on planes that the windows tile exactly
# (:mod:`nnfunc.kernels.cpu.pool2d`)
def _max_pool2d_grad22_rows(idx, gy, gx, q0, q1):  # pragma: no cover - compiled
    """:func:`_max_pool2d_arg_grad_22` when ``H == 2 Ho`` and ``W == 2 Wo``, on row pairs:
    ``idx``, ``gy`` ``(Q, Wo)`` and ``gx`` ``(Q, 2, W)`` with ``Q = planes * Ho``; rows
    ``q0:q1``. Each cell of ``gx`` is written once (``gy`` where the argmax names it, else 0);
    no remainder rows or columns: 1.4-2.8x faster on 4x4 and 8x8 planes. The loop runs over
    the sliced rows from 0 (indexes numba knows are >= 0: a loop from q0 was 2x slower)."""
    i2 = idx[q0:q1]
    g2 = gy[q0:q1]
    x2 = gx[q0:q1]
    n, wo = g2.shape
    zero = gx.dtype.type(0.0)
    for q in range(n):
        for j in range(wo):
            g = g2[q, j]
            t = i2[q, j]
            c = 2 * j
            x2[q, 0, c] = g if t == 0 else zero
            x2[q, 0, c + 1] = g if t == 1 else zero
            x2[q, 1, c] = g if t == 2 else zero
            x2[q, 1, c + 1] = g if t == 3 else zero


def _max_pool2d_arg22_rows(x, y, idx, q0, q1):  # pragma: no cover - compiled
    """:func:`_max_pool2d_arg_22` when ``H == 2 Ho`` and ``W == 2 Wo``, on row pairs: ``x``
    ``(Q, 2, W)``, ``y`` and ``idx`` ``(Q, Wo)``, rows ``q0:q1`` (sliced, then looped from 0,
    as :func:`_max_pool2d_grad22_rows`): the same selects, the same results (first maximum in
    C order; a NaN window gives the NaN sum of its cells and offset -2); 1.4-1.8x faster on
    4x4 and 8x8 planes."""
    x2 = x[q0:q1]
    y2 = y[q0:q1]
    i2 = idx[q0:q1]
    n, wo = y2.shape
    for q in range(n):
        for j in range(wo):
            c = 2 * j
            v0 = x2[q, 0, c]
            v1 = x2[q, 0, c + 1]
            v2 = x2[q, 1, c]
            v3 = x2[q, 1, c + 1]
            m = v0
            t = 0
            g = v1 > m
            m = v1 if g else m
            t = 1 if g else t
            g = v2 > m
            m = v2 if g else m
            t = 2 if g else t
            g = v3 > m
            m = v3 if g else m
            t = 3 if g else t
            nan = (v0 != v0) | (v1 != v1) | (v2 != v2) | (v3 != v3)
            total = v0 + v1 + v2 + v3
            y2[q, j] = total if nan else m
            i2[q, j] = -2 if nan else t


@lru_cache(maxsize=1)
def pool2d_tile_kernels() -> dict[str, Any]:
    """The exact-tiling 2x2 pooling kernels of :mod:`nnfunc.kernels.cpu.pool2d`."""
    import numba

    opts = {"cache": True, "nogil": True, "error_model": "numpy"}
    return {
        "max22_rows": numba.njit(**opts)(_max_pool2d_arg22_rows),
        "max_grad22_rows": numba.njit(**opts)(_max_pool2d_grad22_rows),
        "max_grad22_pairs": numba.njit(**opts)(_max_pool2d_grad22_pairs),  # s6-pool4
        "max22_flat": numba.njit(**opts)(_max_pool2d_arg22_flat),  # s6-pool4
    }


# ---------------------------------------------------------------------------- s3-gelu32 (branch)
# float32 kernels of the tanh-GELU and the sigmoid GELU (nnfunc.kernels.cpu.activation), replacing
# the float64 loops of the "activations" section for these kinds. Where the result is tiny
# (x < 0) ``exp(z)`` needs ``z`` to ~2**-26 absolute, which a float32 ``z`` does not give (it
# costs |z|/2 ulps, ~50 at x = -9): the argument ``z`` and the reduction ``r = z - n ln2`` are
# float64 (10 vector operations), and everything after, the degree-6 polynomial of ``exp(r)``,
# the scaling by ``2**n``, the sigmoid's division and the products, is float32 (twice the lanes,
# no float64 exp). Max error against a float64 reference over every float32 input: 3.46 ulps
# (tanh form), 3.31 (sigmoid form); 0.5 before. Inputs are clamped where the result
# has already saturated (``x`` or ``-0``), which bounds ``n`` so that ``2**n`` is two normal
# factors; NaN passes every clamp (comparisons with NaN are false).
g32_exp_parts: Any = None
g32_expf_nonpos: Any = None
_G32_MAGIC = 6755399441055744.0  # 1.5 * 2**52: adding it rounds a float64 to an integer
_G32_LN2 = 0.6931471805599453
#: tanh-GELU: |x| beyond 12 gives |z| > 142, exp(-|z|) = 0 in float32 (the result is x or -0)
_G32_GT_CLIP = np.float32(12.0)
_G32_GT_B = 2.0 * math.sqrt(2.0 / math.pi)
_G32_GT_A = 2.0 * math.sqrt(2.0 / math.pi) * 0.044715
#: sigmoid GELU x * sigmoid(a x): x clamped at +-110 / a (exp(-110) = 0 in float32)
_G32_SW_CLIP = 110.0
#: the gradients' exp is 0 below this (exp(-87) = 1.6e-38 is the last normal power of two)
_G32_EXP_LO = np.float32(-87.0)
_G32_MAGIC_F = np.float32(12582912.0)  # 1.5 * 2**23


def _g32_exp_parts(az: Any) -> Any:  # pragma: no cover - compiled
    """``exp(az) = p * s1 * s2`` for a float64 ``-150 <= az <= 0`` (or NaN): ``p`` in
    ``[0.7, 1.42]`` and the two normal powers of two, float32. Reduction in float64 (``n`` by
    the 1.5 * 2**52 rounding, ``r = az - n ln2`` with one rounding), Cephes' ``expf``
    polynomial on ``r`` in float32."""
    n = (az * _LOG2E + _G32_MAGIC) - _G32_MAGIC
    r = np.float32(az - n * _G32_LN2)
    p = ((((_P0_F * r + _P1_F) * r + _P2_F) * r + _P3_F) * r + _P4_F) * r + _P5_F
    p = p * (r * r) + r + _ONE_F
    k = np.int32(n)
    k1 = k >> 1
    k2 = k - k1
    return p, f32_from_bits((k1 + 127) << 23), f32_from_bits((k2 + 127) << 23)


def _g32_gelu_tanh_fwd(x, y, a, b):  # pragma: no cover - compiled
    """``x * sigmoid(z)``, ``z = 2 k (x + 0.044715 x^3)``: ``x / (1 + e)`` for ``x >= 0``,
    ``x e / (1 + e)`` below, ``e = exp(-|z|)``; the small side is scaled by ``2**n`` last,
    so that a denormal result rounds once."""
    for i in range(x.shape[0]):
        v = x[i]
        c = _G32_GT_CLIP if v > _G32_GT_CLIP else v
        c = -_G32_GT_CLIP if c < -_G32_GT_CLIP else c
        cd = np.float64(c)
        p, s1, s2 = g32_exp_parts(-abs(cd * (_G32_GT_B + _G32_GT_A * (cd * cd))))
        pos = v >= _A0
        # x e / (1 + e) as (c p / (1 + e)) * 2**n: three roundings before the last, exact
        # (or denormal) scaling; below -12, c * tiny is the result's -0 (not -inf * 0)
        q = (v if pos else c * p) / (_ONE_F + (p * s1) * s2)
        y[i] = q if pos else (q * s1) * s2


def _g32_swish_fwd(x, y, a, b):  # pragma: no cover - compiled
    """``x * sigmoid(a x)``, ``a > 0``, as :func:`_g32_gelu_tanh_fwd` (``a x`` in float64)."""
    lim = np.float32(_G32_SW_CLIP / a)
    for i in range(x.shape[0]):
        v = x[i]
        c = lim if v > lim else v
        c = -lim if c < -lim else c
        p, s1, s2 = g32_exp_parts(-abs(a * np.float64(c)))
        pos = v >= _A0
        q = (v if pos else c * p) / (_ONE_F + (p * s1) * s2)
        y[i] = q if pos else (q * s1) * s2


def _g32_expf_nonpos(x: Any) -> Any:  # pragma: no cover - compiled
    """``exp(x)`` of a float32 ``x <= 0`` (NaN gives NaN) for the gradients: as
    :func:`_expf_nonpos` but rounding by 1.5 * 2**23 instead of ``floor``, one power of two
    (``x`` clamped at -87, where it is still normal) and 0 below -87 by a select (~10% faster
    than the denormal-exact :func:`_expf_nonpos`; a gradient term below 1.7e-38 is 0)."""
    xc = _G32_EXP_LO if x < _G32_EXP_LO else x
    n = (xc * _LOG2E_F + _G32_MAGIC_F) - _G32_MAGIC_F
    r = (xc - n * _C1_F) - n * _C2_F
    p = ((((_P0_F * r + _P1_F) * r + _P2_F) * r + _P3_F) * r + _P4_F) * r + _P5_F
    p = p * (r * r) + r + _ONE_F
    e = p * f32_from_bits((np.int32(n) + 127) << 23)
    return _A0 if x < _G32_EXP_LO else e


def _g32_gelu_tanh_grad(v, gy, gx, a, b):  # pragma: no cover - compiled
    """``gy (s + 2 x s (1 - s) u')``, ``s = sigmoid(2u)``, ``u' = k (1 + 3 A x^2)``, float32
    on ``x`` clamped at +-12 (beyond, ``s (1 - s)`` is 0 and ``s`` is 0 or 1)."""
    for i in range(v.shape[0]):
        c = v[i]
        c = _G32_GT_CLIP if c > _G32_GT_CLIP else c  # NaN stays NaN
        c = -_G32_GT_CLIP if c < -_G32_GT_CLIP else c
        c2 = c * c
        z = _GT_K2 * (c + _GT_A * (c2 * c))
        e = g32_expf_nonpos(-abs(z))
        r = _ONE_F / (_ONE_F + e)
        er = e * r  # s (1 - s) = er * r
        s = r if z >= _A0 else er
        du = _GT_K * (_ONE_F + (_A3 * _GT_A) * c2)
        gx[i] = gy[i] * (s + ((_A2 * c) * du) * (er * r))


@lru_cache(maxsize=1)
def gelu32_kernels() -> dict[str, Any]:
    """The float32 GELU kernels above, ``"gelu_tanh_fwd"``, ``"swish_fwd"`` (for ``a != 1``)
    and ``"gelu_tanh_grad"``, as numba dispatchers (each compiles on its first call)."""
    import numba

    kernels()  # jits f32_from_bits into this module's globals
    g = globals()
    exact = {"cache": True, "nogil": True, "error_model": "numpy", "fastmath": set(_FM_EXACT)}
    g["g32_exp_parts"] = numba.njit(**exact)(_g32_exp_parts)
    g["g32_expf_nonpos"] = numba.njit(**exact)(_g32_expf_nonpos)
    return {
        "gelu_tanh_fwd": numba.njit(**exact)(_g32_gelu_tanh_fwd),
        "swish_fwd": numba.njit(**exact)(_g32_swish_fwd),
        "gelu_tanh_grad": numba.njit(**exact)(_g32_gelu_tanh_grad),
    }


# ------------------------------------------------- branch s3-matmul3: attention, scaled step
# The online-softmax step of kernels/cpu/attention.py with the score scale folded in, so that
# the forward multiplies no query tile by the scale (one pass over the queries less).
def _attn_online_step_scaled(s, scale, m, msafe, lsum, alpha):  # pragma: no cover - compiled
    """:func:`_attn_online_step` on the scores ``scale * s`` (``scale > 0``): ``s <-
    exp(scale * s - msafe)``; ``m`` and ``msafe`` are in scaled units."""
    R, C = s.shape
    lanes = np.empty(_MAX_LANES, np.float32)
    for i in range(R):
        si = s[i]
        mb = row_max(si, lanes) * scale  # a positive scale keeps the maximum (and -inf)
        old = m[i]
        mn = mb if mb > old else old
        ms = mn if mn > -np.inf else np.float32(0.0)
        acc = np.float32(0.0)
        for j in range(C):
            e = expf_nonpos(si[j] * scale - ms)
            si[j] = e
            acc += e
        a = expf_nonpos(msafe[i] - ms) if old > -np.inf else np.float32(0.0)
        alpha[i] = a
        lsum[i] = lsum[i] * a + acc
        m[i] = mn
        msafe[i] = ms


@lru_cache(maxsize=1)
def attention_scaled_step() -> Any:
    """:func:`_attn_online_step_scaled` as a numba dispatcher (compiled on first call)."""
    import numba

    attention_kernels()  # the helpers (row_max, expf_nonpos) become globals first
    common = {"cache": True, "nogil": True, "error_model": "numpy"}
    return numba.njit(**common, fastmath=set(_FM_REDUCE))(_attn_online_step_scaled)


# ----------------------------------------- branch s4-smallconv4: batch-lanes direct conv
# (nnfunc.kernels.cpu.direct.forward_blocked on tiny images.) On 4x4 images the shared-zero
# planes of ``_sc3_forward`` compute 25 cells per 16 outputs. Here a block of ``nb`` samples is
# transposed into ``(C, hp, wp * nb)`` with the sample innermost: for output row ``r`` the lanes
# ``(s, n)`` of every tap are one contiguous run of ``wo * nb`` cells, all of them outputs
# (no dropped positions); four filters x three taps a pass as in ``_sc3_forward``. The sums of
# a block go to ``(O, ho, wo * nb)`` and are transposed back into ``y`` at the end. One thread,
# CPU us, 128x16x4x4 16 -> 32 pad 1: 296-310 against 355 for ``_sc3_forward``; the transposes
# in and out cost ~40 + ~80 us of it.
def _sc4_forward_bl(x, w, bias, y, lh, lw, hp, wp, dh, dw, nb, n0, n1):  # pragma: no cover
    """``_sc3_forward`` (same signature and result) with the block's samples in the lanes:
    ``(hp, wp)`` is the full padded extent here (no shared zeros); ``nb`` samples a block."""
    nc = x.shape[1]
    hx = min(x.shape[2], hp - lh)
    wx = min(x.shape[3], wp - lw)
    no = w.shape[0]
    kh = w.shape[2]
    kw = w.shape[3]
    kw3 = kw - kw % 3
    ho = y.shape[2]
    wo = y.shape[3]
    lanes = wo * nb
    # one buffer: the sums 2 KiB (mod 4 KiB) after the inputs, their rows 1 KiB (mod 4 KiB)
    # apart (4K aliasing, as in _sc3_forward: with separate allocations a process ran either
    # 266 or 584 us on 128x16x4x4, depending on where they landed)
    unit = 4096 // y.itemsize
    size = nc * hp * wp * nb
    start = size + (unit - size % unit) % unit + unit // 2
    stride = lanes + (unit // 4 - lanes % unit) % unit
    buf = np.zeros(start + 4 * stride, y.dtype)
    xsf = buf[:size]
    xs = xsf.reshape((nc, hp, wp * nb))
    a0 = buf[start : start + lanes]
    a1 = buf[start + stride : start + stride + lanes]
    a2 = buf[start + 2 * stride : start + 2 * stride + lanes]
    a3 = buf[start + 3 * stride : start + 3 * stride + lanes]
    zero = y.dtype.type(0.0)
    yt = np.empty((no, ho, lanes), y.dtype)
    for b0 in range(n0, n1, nb):
        m = min(nb, n1 - b0)
        for k in range(m):
            xk = x[b0 + k]
            for c in range(nc):
                for r in range(hx):
                    src = xk[c, r]
                    dst = xsf[((c * hp + lh + r) * wp + lw) * nb + k :]
                    for s in range(wx):
                        dst[s * nb] = src[s]
        for o in range(0, no, 4):
            o1 = min(o + 1, no - 1)
            o2 = min(o + 2, no - 1)
            o3 = min(o + 3, no - 1)
            for r in range(ho):
                first = nc > 0 and kw3 > 0
                if not first:
                    for t in range(lanes):
                        a0[t] = zero
                        a1[t] = zero
                        a2[t] = zero
                        a3[t] = zero
                for c in range(nc):
                    for i in range(kh):
                        row = xs[c, r + i * dh]
                        for j in range(0, kw3, 3):
                            p0, p1, p2 = w[o, c, i, j], w[o, c, i, j + 1], w[o, c, i, j + 2]
                            q0, q1, q2 = w[o1, c, i, j], w[o1, c, i, j + 1], w[o1, c, i, j + 2]
                            u0, u1, u2 = w[o2, c, i, j], w[o2, c, i, j + 1], w[o2, c, i, j + 2]
                            v0, v1, v2 = w[o3, c, i, j], w[o3, c, i, j + 1], w[o3, c, i, j + 2]
                            x0 = row[j * dw * nb :]
                            x1 = row[(j + 1) * dw * nb :]
                            x2 = row[(j + 2) * dw * nb :]
                            if first:
                                first = False
                                for t in range(lanes):
                                    e0, e1, e2 = x0[t], x1[t], x2[t]
                                    a0[t] = p0 * e0 + p1 * e1 + p2 * e2
                                    a1[t] = q0 * e0 + q1 * e1 + q2 * e2
                                    a2[t] = u0 * e0 + u1 * e1 + u2 * e2
                                    a3[t] = v0 * e0 + v1 * e1 + v2 * e2
                                continue
                            for t in range(lanes):
                                e0, e1, e2 = x0[t], x1[t], x2[t]
                                a0[t] += p0 * e0 + p1 * e1 + p2 * e2
                                a1[t] += q0 * e0 + q1 * e1 + q2 * e2
                                a2[t] += u0 * e0 + u1 * e1 + u2 * e2
                                a3[t] += v0 * e0 + v1 * e1 + v2 * e2
                        for j in range(kw3, kw):
                            p0, q0 = w[o, c, i, j], w[o1, c, i, j]
                            u0, v0 = w[o2, c, i, j], w[o3, c, i, j]
                            x0 = row[j * dw * nb :]
                            for t in range(lanes):
                                e0 = x0[t]
                                a0[t] += p0 * e0
                                a1[t] += q0 * e0
                                a2[t] += u0 * e0
                                a3[t] += v0 * e0
                for q in range(min(4, no - o)):
                    aq = buf[start + q * stride : start + q * stride + lanes]
                    dst = yt[o + q, r]
                    if bias.shape[0] == 0:  # no bias: -0.0 sums stay -0.0
                        for t in range(lanes):
                            dst[t] = aq[t]
                    else:
                        bq = bias[o + q]
                        for t in range(lanes):
                            dst[t] = aq[t] + bq
        ytf = yt.reshape(-1)
        plane = no * ho * wo
        for k in range(m):
            yk = y[b0 + k].reshape(-1)
            for j in range(plane):  # contiguous stores, loads nb apart (79 -> 48 us)
                yk[j] = ytf[j * nb + k]


def _sc4_grad_weight_bl(x, gy, part, lh, lw, hp, wp, dh, dw, nb, n0, n1, slot):  # pragma: no cover
    """``_sc3_grad_weight`` (same signature and result) with the block's samples in the lanes
    (``(hp, wp)`` the full padded extent, as in :func:`_sc4_forward_bl`): twelve running sums
    over the output rows and the ``wo * nb`` lanes of each."""
    nc = x.shape[1]
    hx = min(x.shape[2], hp - lh)
    wx = min(x.shape[3], wp - lw)
    no = gy.shape[1]
    ho = gy.shape[2]
    wo = gy.shape[3]
    kh = part.shape[3]
    kw = part.shape[4]
    kw3 = kw - kw % 3
    lanes = wo * nb
    xs = np.zeros((nc, hp, wp * nb), part.dtype)
    xsf = xs.reshape(-1)
    gs = np.zeros((no, ho, lanes), part.dtype)
    gsf = gs.reshape(-1)
    gplane = no * ho * wo
    zero = part.dtype.type(0.0)
    part[slot] = zero
    for b0 in range(n0, n1, nb):
        m = min(nb, n1 - b0)
        if m < nb:  # the lanes past the batch: zeros (0 * a stale inf would be NaN)
            xs[:] = zero
            gs[:] = zero
        for k in range(m):
            xk = x[b0 + k]
            for c in range(nc):
                for r in range(hx):
                    src = xk[c, r]
                    dst = xsf[((c * hp + lh + r) * wp + lw) * nb + k :]
                    for s in range(wx):
                        dst[s * nb] = src[s]
            gk = gy[b0 + k].reshape(-1)
            for j in range(gplane):  # contiguous loads, stores nb apart
                gsf[j * nb + k] = gk[j]
        for o in range(0, no, 4):
            nq = min(4, no - o)
            o1 = min(o + 1, no - 1)
            o2 = min(o + 2, no - 1)
            o3 = min(o + 3, no - 1)
            for c in range(nc):
                for i in range(kh):
                    for j in range(0, kw3, 3):
                        s00 = s01 = s02 = s10 = s11 = s12 = zero
                        s20 = s21 = s22 = s30 = s31 = s32 = zero
                        for r in range(ho):
                            row = xs[c, r + i * dh]
                            x0 = row[j * dw * nb :]
                            x1 = row[(j + 1) * dw * nb :]
                            x2 = row[(j + 2) * dw * nb :]
                            g0 = gs[o, r]
                            g1 = gs[o1, r]
                            g2 = gs[o2, r]
                            g3 = gs[o3, r]
                            for t in range(lanes):
                                e0, e1, e2 = x0[t], x1[t], x2[t]
                                f0, f1, f2, f3 = g0[t], g1[t], g2[t], g3[t]
                                s00 += f0 * e0
                                s01 += f0 * e1
                                s02 += f0 * e2
                                s10 += f1 * e0
                                s11 += f1 * e1
                                s12 += f1 * e2
                                s20 += f2 * e0
                                s21 += f2 * e1
                                s22 += f2 * e2
                                s30 += f3 * e0
                                s31 += f3 * e1
                                s32 += f3 * e2
                        part[slot, o, c, i, j] += s00
                        part[slot, o, c, i, j + 1] += s01
                        part[slot, o, c, i, j + 2] += s02
                        if nq > 1:
                            part[slot, o + 1, c, i, j] += s10
                            part[slot, o + 1, c, i, j + 1] += s11
                            part[slot, o + 1, c, i, j + 2] += s12
                        if nq > 2:
                            part[slot, o + 2, c, i, j] += s20
                            part[slot, o + 2, c, i, j + 1] += s21
                            part[slot, o + 2, c, i, j + 2] += s22
                        if nq > 3:
                            part[slot, o + 3, c, i, j] += s30
                            part[slot, o + 3, c, i, j + 1] += s31
                            part[slot, o + 3, c, i, j + 2] += s32
                    for j in range(kw3, kw):
                        s00 = s10 = s20 = s30 = zero
                        for r in range(ho):
                            x0 = xs[c, r + i * dh, j * dw * nb :]
                            g0 = gs[o, r]
                            g1 = gs[o1, r]
                            g2 = gs[o2, r]
                            g3 = gs[o3, r]
                            for t in range(lanes):
                                e0 = x0[t]
                                s00 += g0[t] * e0
                                s10 += g1[t] * e0
                                s20 += g2[t] * e0
                                s30 += g3[t] * e0
                        part[slot, o, c, i, j] += s00
                        if nq > 1:
                            part[slot, o + 1, c, i, j] += s10
                        if nq > 2:
                            part[slot, o + 2, c, i, j] += s20
                        if nq > 3:
                            part[slot, o + 3, c, i, j] += s30


@lru_cache(maxsize=1)
def batch_lanes_conv_kernels() -> dict[str, Any]:
    """:func:`_sc4_forward_bl` and :func:`_sc4_grad_weight_bl` compiled (the options of
    :func:`blocked_conv_kernels`)."""
    import numba

    opts = {"cache": True, "nogil": True, "error_model": "numpy", "fastmath": {"contract"}}
    reduce = {**opts, "fastmath": set(_FM_REDUCE)}
    return {
        "forward": numba.njit(**opts)(_sc4_forward_bl),
        "grad_weight": numba.njit(**reduce)(_sc4_grad_weight_bl),
    }


# ------------------------------------------------- branch s4-threads4: pool helpers' spin wait
# A pool helper that has just finished a job polls a counter for a short while, without the GIL,
# before it blocks: waking a blocked thread costs ~50-90 us on a VM whose idle vCPUs halt, and
# back-to-back kernel calls would pay that on every call. ``sched_yield`` between polls hands the
# core to any other runnable thread; both libc calls are external symbols (no address is baked
# into the code, so numba's disk cache keeps working).
def _sched_yield_typer(typingctx: Any) -> Any:
    """numba intrinsic: libc ``sched_yield()``; also keeps the poll's load inside the loop."""
    from llvmlite import ir
    from numba.core import cgutils, types

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        fnty = ir.FunctionType(ir.IntType(32), [])
        builder.call(cgutils.get_or_insert_function(builder.module, fnty, "sched_yield"), [])
        return context.get_dummy_value()

    return types.void(), codegen


def _monotonic_ns_typer(typingctx: Any) -> Any:
    """numba intrinsic: ``clock_gettime(CLOCK_MONOTONIC)`` in nanoseconds (an int64)."""
    from llvmlite import ir
    from numba.core import cgutils, types

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        i64, i32 = ir.IntType(64), ir.IntType(32)
        ts_type = ir.LiteralStructType([i64, i64])  # struct timespec on 64-bit Linux
        ts = cgutils.alloca_once(builder, ts_type)
        fnty = ir.FunctionType(i32, [i32, ts_type.as_pointer()])
        fn = cgutils.get_or_insert_function(builder.module, fnty, "clock_gettime")
        builder.call(fn, [ir.Constant(i32, 1), ts])  # 1 = CLOCK_MONOTONIC
        sec = builder.load(cgutils.gep_inbounds(builder, ts, 0, 0))
        nsec = builder.load(cgutils.gep_inbounds(builder, ts, 0, 1))
        return builder.add(builder.mul(sec, ir.Constant(i64, 1_000_000_000)), nsec)

    return types.int64(), codegen


def _spin_while_equal(word, seen, limit_ns):  # pragma: no cover - compiled
    """Poll ``word[0]`` until it differs from ``seen`` or ``limit_ns`` nanoseconds have passed;
    return its last value (``seen`` on a timeout)."""
    t0 = monotonic_ns()  # noqa: F821 - a global once spin_kernels() has run
    while True:
        for _ in range(16):
            v = word[0]
            if v != seen:
                return v
            sched_yield()  # noqa: F821
        if monotonic_ns() - t0 >= limit_ns:  # noqa: F821
            return word[0]


@lru_cache(maxsize=1)
def spin_kernels() -> dict[str, Any]:
    """``{"spin_while_equal": ...}``: the pool helpers' bounded poll, as a numba dispatcher
    (``nogil``: the other threads keep the GIL while it polls)."""
    import numba
    from numba.extending import intrinsic

    g = globals()
    g["sched_yield"] = intrinsic(_sched_yield_typer)
    g["monotonic_ns"] = intrinsic(_monotonic_ns_typer)
    return {"spin_while_equal": numba.njit(cache=True, nogil=True)(_spin_while_equal)}


# ------------------------------------------------------------------------------------------
# branch s6-pool4: the float32 2x2/2 max pooling forward and gradient on exactly tiled planes
# of rows of few windows, reshaped into long flat loops that LLVM vectorises; the gradient on
# bit patterns two cells at a time (:mod:`nnfunc.kernels.cpu.pool2d`)
def _pair_masks(codes: tuple[int, int]) -> np.ndarray:
    """uint64 masks, one per argmax code ``t & 7`` (-2, a NaN window, is 6): all ones on the
    float32 half of a cell pair that ``t`` names (codes[0]: the first cell, codes[1]: the
    second), zeros elsewhere. Built through a uint32 view: right on either byte order."""
    m = np.zeros((8, 2), np.uint32)
    for half, code in enumerate(codes):
        m[code, half] = 0xFFFFFFFF
    return m.view(np.uint64).reshape(8)


#: The masks of the top (codes 0, 1) and bottom (2, 3) cell pair of a 2x2 window.
_GRAD22_TOP = _pair_masks((0, 1))
_GRAD22_BOT = _pair_masks((2, 3))


def _max_pool2d_grad22_pairs(idx, gu, gp, q0, q1):  # pragma: no cover - compiled
    """:func:`_max_pool2d_grad22_rows` for float32, on bits: ``gu`` ``(Q, Wo)`` is ``gy``
    viewed as uint32, ``gp`` ``(Q, 2, Wo)`` is ``gx`` viewed as uint64 (a window's cell pair
    in one row). Each pair is ``gy``'s bits, duplicated into both halves, ANDed with a mask
    looked up by the argmax: two 8-byte stores per window instead of four selected 4-byte
    ones, no select on the loaded argmax (LLVM turned those into masked AVX-512 stores in a
    vector loop that rows of 2-4 windows never fill). The same bits: each cell is ``gy`` or
    +0. Rows of 2 and 4 windows (4x4, 8x8 planes), per block of rows: ``gy`` and the argmax
    are first copied, as words, into scratch rows laid out as ``gx``'s pairs (each row of
    windows twice, the second copy's codes XOR 2 so that 2, 3 name its two cells), then one
    flat loop over all the pairs (vectorised, selects) writes ``gx``. Rows of 1 window are
    written out; longer rows loop. One thread, load 0.6: 63 -> 21 us on 128x16x8x8, 32 ->
    9.5 us on 128x32x4x4, 21 -> 10 us on 256x32x2x2, 650 -> 350 us on 8x64x56x56."""
    i2 = idx[q0:q1]
    g2 = gu[q0:q1]
    x2 = gp[q0:q1]
    n, wo = g2.shape
    if n == 0 or wo == 0:
        return
    s = np.uint64(32)
    if wo == 2 or wo == 4:
        w = 2 * wo
        fx = x2.reshape(n * w)
        rows = 2048 // w  # 8 KiB + 2 KiB of scratch: in L1
        ge = np.empty(rows * w, np.uint32)
        te = np.empty(rows * w, np.int8)
        z = np.uint64(0)
        for b0 in range(0, n, rows):
            b1 = min(n, b0 + rows)
            nb = b1 - b0
            gb = g2[b0:b1]
            ib = i2[b0:b1]
            e8 = ge.view(np.uint64)
            if wo == 4:
                g8 = gb.view(np.uint64)
                i4 = ib.view(np.uint32)
                t4 = te.view(np.uint32)
                for q in range(nb):
                    a = g8[q, 0]
                    b = g8[q, 1]
                    e8[4 * q] = a
                    e8[4 * q + 1] = b
                    e8[4 * q + 2] = a
                    e8[4 * q + 3] = b
                    c = i4[q, 0]
                    t4[2 * q] = c
                    t4[2 * q + 1] = c ^ np.uint32(0x02020202)  # bytewise: no carries
            else:
                g8 = gb.view(np.uint64)
                i16 = ib.view(np.uint16)
                t16 = te.view(np.uint16)
                for q in range(nb):
                    a = g8[q, 0]
                    e8[2 * q] = a
                    e8[2 * q + 1] = a
                    c = i16[q, 0]
                    t16[2 * q] = c
                    t16[2 * q + 1] = c ^ np.uint16(0x0202)
            fb = fx[b0 * w : b1 * w]
            for m in range(nb * w):  # -2 (NaN) and its XOR 2, -4, match neither cell
                g = np.uint64(ge[m])
                t = te[m]
                lo = g if t == 0 else z
                hi = g if t == 1 else z
                fb[m] = lo | (hi << s)
        return
    top = _GRAD22_TOP
    bot = _GRAD22_BOT
    if wo == 1:
        for q in range(n):
            a = np.uint64(g2[q, 0])
            a = a | (a << s)
            ta = i2[q, 0] & 7
            x2[q, 0, 0] = a & top[ta]
            x2[q, 1, 0] = a & bot[ta]
        return
    for q in range(n):
        for j in range(wo):
            g = np.uint64(g2[q, j])
            g = g | (g << s)
            t = i2[q, j] & 7
            x2[q, 0, j] = g & top[t]
            x2[q, 1, j] = g & bot[t]


def _max_pool2d_arg22_flat(x, y, idx, q0, q1):  # pragma: no cover - compiled
    """:func:`_max_pool2d_arg22_rows` for float32 rows of at most 4 windows (8x8 planes and
    smaller): per block of rows, the top and the bottom cell rows are first copied apart, as
    uint64 words (a window's cell pair), into two scratch rows (constant strides: LLVM moves
    them with shuffles; the 3-D view's row stride made it gather); then one flat loop over the
    block's windows reads their four cells at ``2k, 2k + 1`` of both and writes ``y`` and
    ``idx`` in order: one long loop that LLVM vectorises (16 lanes) instead of a scalar row of
    2-4 windows with its vector-loop set-up each; rows of 8+ windows are faster in
    :func:`_max_pool2d_arg22_rows`. The same selects, the same maxima and codes; a NaN
    window's NaN is the sum of its cells in C order, bit for bit as the NumPy twin's (the row
    kernel's vector loop, on rows of 4+ windows, gives the other sign on some windows holding
    NaN and -NaN, or NaN, inf and -inf: measured, 7 of 2052). One thread, load 0.6: 36 -> 17
    us on 128x16x8x8, 34 -> 8.5 us on 128x32x4x4, 39 -> 29-35 us on 128x16x6x6, 25 us both
    on 256x32x2x2."""
    x2 = x[q0:q1]
    y2 = y[q0:q1]
    i2 = idx[q0:q1]
    n, wo = y2.shape
    if n == 0 or wo == 0:
        return
    w = 2 * wo
    fy = y2.reshape(n * wo)
    fi = i2.reshape(n * wo)
    rows = 2048 // w  # 2 x 8 KiB of scratch: in L1
    top = np.empty(rows * w, x.dtype)
    bot = np.empty(rows * w, x.dtype)
    t8 = top.view(np.uint64)
    b8 = bot.view(np.uint64)
    for b0 in range(0, n, rows):
        b1 = min(n, b0 + rows)
        nb = b1 - b0
        xf = x2[b0:b1].reshape(nb * 2 * w).view(np.uint64)  # row pair q: xf[q*w : (q+1)*w]
        if wo == 4:
            for q in range(nb):
                t8[4 * q] = xf[8 * q]
                t8[4 * q + 1] = xf[8 * q + 1]
                t8[4 * q + 2] = xf[8 * q + 2]
                t8[4 * q + 3] = xf[8 * q + 3]
                b8[4 * q] = xf[8 * q + 4]
                b8[4 * q + 1] = xf[8 * q + 5]
                b8[4 * q + 2] = xf[8 * q + 6]
                b8[4 * q + 3] = xf[8 * q + 7]
        elif wo == 2:
            for q in range(nb):
                t8[2 * q] = xf[4 * q]
                t8[2 * q + 1] = xf[4 * q + 1]
                b8[2 * q] = xf[4 * q + 2]
                b8[2 * q + 1] = xf[4 * q + 3]
        else:
            for q in range(nb):
                for j in range(wo):
                    t8[q * wo + j] = xf[q * w + j]
                    b8[q * wo + j] = xf[q * w + wo + j]
        yb = fy[b0 * wo : b1 * wo]
        ib = fi[b0 * wo : b1 * wo]
        for k in range(nb * wo):
            v0 = top[2 * k]
            v1 = top[2 * k + 1]
            v2 = bot[2 * k]
            v3 = bot[2 * k + 1]
            m = v0
            t = 0
            g = v1 > m
            m = v1 if g else m
            t = 1 if g else t
            g = v2 > m
            m = v2 if g else m
            t = 2 if g else t
            g = v3 > m
            m = v3 if g else m
            t = 3 if g else t
            nan = (v0 != v0) | (v1 != v1) | (v2 != v2) | (v3 != v3)
            total = v0 + v1 + v2 + v3
            yb[k] = total if nan else m
            ib[k] = -2 if nan else t
