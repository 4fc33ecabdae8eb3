"""Binary cross-entropies (probabilities; logits) and their input gradients, in one pass each.

The kernels behind :func:`nnfunc.binary_cross_entropy` (``from_logits=False``)::

    p = clip(x, lo, hi);  loss = -(t * log(max(p, tiny)) + (1 - t) * log(max(1 - p, tiny)))
    gx = gy * [lo <= x <= hi] * (-t [p >= tiny] / p + (1 - t) [1 - p >= tiny] / (1 - p))

(``lo = -inf, hi = inf`` without clipping; NaN passes every test, as the composite's ``where``
does, so a NaN ``x`` gives NaN.) The clip bounds and ``tiny`` are given in the caller's dtype.

And the kernels behind :func:`nnfunc.sigmoid_cross_entropy_with_logits` (no ``pos_weight``)::

    loss = c |x| + log1p(exp(-|x|)),  c = 1 - z (x >= 0) or z (x < 0),  c |x| = 0 where c = 0
    gx = gy ((1 - z) sigmoid(x) - z sigmoid(-x))

(exact limits at ``x = +-inf``; both sigmoids from ``exp(-|x|)``, accurate in both tails).

And those behind :func:`nnfunc.categorical_cross_entropy` (probabilities, along an axis)::

    loss = -sum(t * log(max(clip(p, lo, hi), tiny)))
    gp = -gy * t / max(clip(p), tiny) inside [lo, hi] and above tiny, else 0

(numba: the last axis of float32 ``(R, K)`` rows, sums in float64).

Two implementations with one signature and the same results (up to float32 rounding):

* ``*_numba``: float32 NumPy arrays of one shape; one pass, split over threads
  (:mod:`nnfunc.kernels.cpu._threads`; ``threads`` forces a number of ranges);
* ``*_numpy``: NumPy (also CuPy) passes in the dtype of ``x`` (in place where possible);
  ``threads`` is accepted and ignored.

:func:`bce` and :func:`bce_grad` pick numba when :func:`nnfunc.core.backend.numba_enabled` and
the arrays are float32 NumPy arrays of one shape. ``benchmarks/bench_loss.py`` times them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nnfunc.core.backend import get_array_module, numba_enabled
from nnfunc.kernels.cpu import _buffers
from nnfunc.kernels.cpu._rowwise import run_rows

__all__ = [
    "bce",
    "bce_grad",
    "bce_grad_numba",
    "bce_grad_numpy",
    "bce_numba",
    "bce_numpy",
    "cce",
    "cce_grad",
    "cce_grad_numba",
    "cce_grad_numpy",
    "cce_numba",
    "cce_numpy",
    "sigmoid_xent",
    "sigmoid_xent_grad",
    "sigmoid_xent_grad_numba",
    "sigmoid_xent_grad_numpy",
    "sigmoid_xent_numba",
    "sigmoid_xent_numpy",
]


def bce_numpy(x: Any, t: Any, lo: float, hi: float, tiny: float, threads: Any = None) -> Any:
    """The loss of each element (see the module docstring); NumPy passes in ``x``'s dtype."""
    xp = get_array_module(x)
    dt = x.dtype
    with np.errstate(invalid="ignore"):
        p = xp.where(x < dt.type(lo), dt.type(lo), x)
        p = xp.where(p > dt.type(hi), dt.type(hi), p)
        q = 1 - p
        p = xp.where(p < dt.type(tiny), dt.type(tiny), p)
        q = xp.where(q < dt.type(tiny), dt.type(tiny), q)
        xp.log(p, out=p)
        xp.log(q, out=q)
        p *= t
        q *= 1 - t
        p += q
    return xp.negative(p, out=p)


def bce_grad_numpy(
    x: Any, t: Any, gy: Any, lo: float, hi: float, tiny: float, threads: Any = None
) -> Any:
    """The gradient with respect to ``x`` (see the module docstring); NumPy passes."""
    xp = get_array_module(x)
    dt = x.dtype
    with np.errstate(invalid="ignore", divide="ignore"):
        p = xp.where(x < dt.type(lo), dt.type(lo), x)
        p = xp.where(p > dt.type(hi), dt.type(hi), p)
        q = 1 - p
        r1 = xp.where(p < dt.type(tiny), dt.type(0), -t / p)
        r1 += xp.where(q < dt.type(tiny), dt.type(0), (1 - t) / q)
        r1 *= gy
    return xp.where((x < dt.type(lo)) | (x > dt.type(hi)), dt.type(0), r1)


def sigmoid_xent_numpy(x: Any, z: Any, threads: Any = None) -> Any:
    """The logistic loss on logits of each element (see the module docstring); NumPy passes."""
    xp = get_array_module(x)
    ax = xp.abs(x)
    sp = xp.log1p(xp.exp(-ax))
    c = xp.where(x >= 0, 1 - z, z)
    with np.errstate(invalid="ignore"):
        lin = c * ax
    lin = xp.where(c == 0, 0, lin)
    lin += sp
    return lin


def sigmoid_xent_grad_numpy(x: Any, z: Any, gy: Any, threads: Any = None) -> Any:
    """``gy * ((1 - z) sigmoid(x) - z sigmoid(-x))``; NumPy passes."""
    xp = get_array_module(x)
    e = xp.exp(-xp.abs(x))
    big = 1 / (1 + e)
    small = e * big
    pos = x >= 0
    g = (1 - z) * xp.where(pos, big, small)
    g -= z * xp.where(pos, small, big)
    g *= gy
    return g


def cce_numpy(
    p: Any, t: Any, axis: int, lo: float, hi: float, tiny: float, threads: Any = None
) -> Any:
    """``-sum(t * log(max(clip(p), tiny)), axis, keepdims=True)``; NumPy passes."""
    xp = get_array_module(p)
    dt = p.dtype
    q = xp.where(p < dt.type(lo), dt.type(lo), p)
    q = xp.where(q > dt.type(hi), dt.type(hi), q)
    q = xp.where(q < dt.type(tiny), dt.type(tiny), q)
    xp.log(q, out=q)
    q *= t
    return -q.sum(axis=axis, keepdims=True)


def cce_grad_numpy(
    p: Any, t: Any, gy: Any, axis: int, lo: float, hi: float, tiny: float, threads: Any = None
) -> Any:
    """``-gy * t / clip(p)`` where the clips pass the gradient, else 0 (``gy`` keeps ``axis``
    with size 1); NumPy passes."""
    xp = get_array_module(p)
    dt = p.dtype
    c = xp.where(p < dt.type(lo), dt.type(lo), p)
    c = xp.where(c > dt.type(hi), dt.type(hi), c)
    dead = (p < dt.type(lo)) | (p > dt.type(hi)) | (c < dt.type(tiny))
    with np.errstate(divide="ignore", invalid="ignore"):
        g = t / c
    g *= -gy
    return xp.where(dead, dt.type(0), g)


def _f32(a: Any) -> Any:
    return np.asarray(a, np.float32, order="C")  # keeps 0-d arrays 0-d


def bce_numba(x: Any, t: Any, lo: float, hi: float, tiny: float, threads: Any = None) -> Any:
    """:func:`bce_numpy` with a numba kernel (float32 NumPy arrays of one shape)."""
    x, t = _f32(x), _f32(t)
    out = _buffers.empty(x.shape, x.dtype)
    run_rows("bce", _flat(x, t), _consts(lo, hi, tiny), out.reshape(-1), 2, threads)
    return out


def bce_grad_numba(
    x: Any, t: Any, gy: Any, lo: float, hi: float, tiny: float, threads: Any = None
) -> Any:
    """:func:`bce_grad_numpy` with a numba kernel (float32 NumPy arrays of one shape)."""
    x, t, gy = _f32(x), _f32(t), _f32(gy)
    out = _buffers.empty(x.shape, x.dtype)
    run_rows("bce_grad", _flat(x, t, gy), _consts(lo, hi, tiny), out.reshape(-1), 3, threads)
    return out


def sigmoid_xent_numba(x: Any, z: Any, threads: Any = None) -> Any:
    """:func:`sigmoid_xent_numpy` with a numba kernel (float32 NumPy arrays of one shape)."""
    x, z = _f32(x), _f32(z)
    out = _buffers.empty(x.shape, x.dtype)
    run_rows("sigmoid_xent", _flat(x, z), (), out.reshape(-1), 2, threads)
    return out


def sigmoid_xent_grad_numba(x: Any, z: Any, gy: Any, threads: Any = None) -> Any:
    """:func:`sigmoid_xent_grad_numpy` with a numba kernel (float32 arrays of one shape)."""
    x, z, gy = _f32(x), _f32(z), _f32(gy)
    out = _buffers.empty(x.shape, x.dtype)
    run_rows("sigmoid_xent_grad", _flat(x, z, gy), (), out.reshape(-1), 3, threads)
    return out


def _rows(a: Any, k: int) -> Any:
    return _f32(a).reshape(-1, k)


def _flat(*arrays: Any) -> tuple[Any, ...]:
    return tuple([a.reshape(-1) for a in arrays])


def _consts(lo: float, hi: float, tiny: float) -> tuple[Any, ...]:
    return (np.float32(lo), np.float32(hi), np.float32(tiny))


def cce_numba(
    p: Any, t: Any, axis: int, lo: float, hi: float, tiny: float, threads: Any = None
) -> Any:
    """:func:`cce_numpy` along the last axis with a numba kernel (float32 NumPy arrays)."""
    k = p.shape[-1]
    out = np.zeros(p.shape[:-1] + (1,), np.float32)  # an empty row sums to 0
    if p.size == 0:  # (no (-1, 0) reshape of an empty array)
        return out
    ins = (_rows(p, k), _rows(t, k))
    run_rows("cce_rows", ins, _consts(lo, hi, tiny), out.reshape(-1), 2 * k, threads)
    return out


def cce_grad_numba(
    p: Any, t: Any, gy: Any, axis: int, lo: float, hi: float, tiny: float, threads: Any = None
) -> Any:
    """:func:`cce_grad_numpy` along the last axis with a numba kernel (float32 NumPy arrays)."""
    k = p.shape[-1]
    gx = _buffers.empty(p.shape, np.float32)
    if p.size == 0:
        return gx
    ins = (_rows(p, k), _rows(t, k), _f32(gy).reshape(-1))
    run_rows("cce_grad_rows", ins, _consts(lo, hi, tiny), gx.reshape(-1, k), 3 * k, threads)
    return gx


def _cce_numba_ok(p: Any, t: Any, axis: int) -> bool:
    return (
        type(p) is np.ndarray
        and type(t) is np.ndarray
        and p.dtype == t.dtype == np.float32
        and p.shape == t.shape
        and p.ndim >= 1
        and axis == p.ndim - 1
        and numba_enabled()
    )


def cce(p: Any, t: Any, axis: int, lo: float, hi: float, tiny: float, threads: Any = None) -> Any:
    """Categorical cross-entropy of probabilities along ``axis`` (kept with size 1)."""
    if _cce_numba_ok(p, t, axis):
        return cce_numba(p, t, axis, lo, hi, tiny, threads)
    return cce_numpy(p, t, axis, lo, hi, tiny, threads)


def cce_grad(
    p: Any, t: Any, gy: Any, axis: int, lo: float, hi: float, tiny: float, threads: Any = None
) -> Any:
    """Its gradient with respect to the probabilities, in one pass."""
    if _cce_numba_ok(p, t, axis) and type(gy) is np.ndarray and gy.size * p.shape[-1] == p.size:
        return cce_grad_numba(p, t, gy, axis, lo, hi, tiny, threads)
    return cce_grad_numpy(p, t, gy, axis, lo, hi, tiny, threads)


def _use_numba(*arrays: Any) -> bool:
    return (
        all(type(a) is np.ndarray and a.dtype == np.float32 for a in arrays)
        and len({a.shape for a in arrays}) == 1
        and numba_enabled()
    )


def bce(x: Any, t: Any, lo: float, hi: float, tiny: float, threads: Any = None) -> Any:
    """Binary cross-entropy of each element of the probabilities ``x`` against ``t``."""
    if _use_numba(x, t):
        return bce_numba(x, t, lo, hi, tiny, threads)
    return bce_numpy(x, t, lo, hi, tiny, threads)


def bce_grad(
    x: Any, t: Any, gy: Any, lo: float, hi: float, tiny: float, threads: Any = None
) -> Any:
    """Its gradient with respect to ``x`` times ``gy``, in one pass."""
    if _use_numba(x, t, gy):
        return bce_grad_numba(x, t, gy, lo, hi, tiny, threads)
    return bce_grad_numpy(x, t, gy, lo, hi, tiny, threads)


def sigmoid_xent(x: Any, z: Any, threads: Any = None) -> Any:
    """The logistic loss on logits of each element (numba for float32 arrays of one shape)."""
    if _use_numba(x, z):
        return sigmoid_xent_numba(x, z, threads)
    return sigmoid_xent_numpy(x, z, threads)


def sigmoid_xent_grad(x: Any, z: Any, gy: Any, threads: Any = None) -> Any:
    """Its gradient with respect to the logits times ``gy``, in one pass."""
    if _use_numba(x, z, gy):
        return sigmoid_xent_grad_numba(x, z, gy, threads)
    return sigmoid_xent_grad_numpy(x, z, gy, threads)
