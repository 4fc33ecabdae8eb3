"""CTC forward (alpha), backward (beta with the logits gradient) and the Hessian-vector product.

The kernels behind :func:`nnfunc.ctc_loss`. Shapes, for a batch of ``N`` sequences of ``T``
steps over ``C`` classes and an extended label of ``S = 2 * max_label_length + 1`` states:

* ``x`` (N, T, C): logits, batch-major (a transposed view of time-major logits is fine);
* ``ext`` (N, S) int64: the extended labels ``blank, l1, blank, l2, ..., blank`` (padded with
  the blank); ``ext_len`` (N,): ``2 * label_length + 1``; ``in_len`` (N,): the logit lengths;
* ``alpha`` (N, T, S): ``log`` of the forward variables (the probability of the label prefix
  ending in state ``s`` at step ``t``, with step ``t``'s probability); ``lse`` (N, T): the
  log-sum-exp of each row of logits (log-softmax is ``x - lse``); ``nll`` (N,): ``-log p(l|x)``,
  ``+inf`` where no alignment exists.

Transitions (TensorFlow's ``ctc_loss_calculator``): state ``s`` is reached from ``s`` (always
for a blank; for a label only with ``merge``, TF's ``ctc_merge_repeated``), from ``s - 1``, and
from ``s - 2`` when ``ext[s]`` is a label that differs from ``ext[s - 2]`` (with ``merge``) or
is any label (without). At step ``t`` only states ``2t + 2 > s >= S_b - 2 (T_b - t)`` can lie on
a complete path; the others are ``-inf``.

Two implementations with one signature and the same results (up to rounding):

* ``*_numba`` (float32): one sequence at a time, the batch split over threads
  (:mod:`nnfunc.kernels.cpu._threads`); beta is never stored: the backward sweep forms each
  step's gradient row ``softmax - posterior`` as soon as that step's beta is known.
* ``*_numpy``: vectorised over the batch and the extended label, a Python loop over time (also
  CuPy and ``NNFUNC_DISABLE_NUMBA``).

:func:`ctc_hvp_numpy` (no numba twin: second order only) gives what the gradient's own backward
needs: the product of the loss's Hessian with a direction, from a forward-mode sweep through
the same recursions.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from nnfunc.core.backend import get_array_module, numba_enabled
from nnfunc.kernels.cpu import _jit
from nnfunc.kernels.cpu._threads import row_ranges, run

__all__ = [
    "ctc_forward",
    "ctc_forward_numba",
    "ctc_forward_numpy",
    "ctc_grad",
    "ctc_grad_numba",
    "ctc_grad_numpy",
    "ctc_hvp_numpy",
    "extend_labels",
    "release",
]

# Free alpha buffers of the numba path, reused by the next forward pass. alpha is large
# (T * N * (2L + 1) floats, 51 MB for T=1000, N=32, L=200) and a fresh array of that size
# costs more in page faults than the whole recursion; the loss hands its buffer back here
# when its gradient has used it (or when the loss is dropped without one).
_POOL: list[np.ndarray] = []
_POOL_LOCK = threading.Lock()
_POOL_MAX_BYTES = 1 << 28


def _take(shape: tuple[int, ...], dtype: Any) -> np.ndarray:
    """An uninitialised array of ``shape``: a pooled buffer when one fits."""
    size = int(np.prod(shape))
    with _POOL_LOCK:
        for i, owner in enumerate(_POOL):
            if owner.dtype == dtype and size <= owner.size <= 2 * size + 4096:
                del _POOL[i]
                return owner.reshape(-1)[:size].reshape(shape)
    return np.empty(shape, dtype)


def release(alpha: Any) -> None:
    """Hand ``alpha`` (from :func:`ctc_forward`) back for reuse; the caller must drop it."""
    if type(alpha) is not np.ndarray:
        return
    owner = alpha if alpha.base is None else alpha.base
    if type(owner) is not np.ndarray or not owner.flags.c_contiguous or owner.size < 4096:
        return
    with _POOL_LOCK:
        if not any(b is owner for b in _POOL):
            _POOL.append(owner)
        while sum(b.nbytes for b in _POOL) > _POOL_MAX_BYTES:
            _POOL.pop(0)


def extend_labels(xp: Any, labels: Any, label_length: Any, blank: int) -> tuple[Any, Any]:
    """``(ext, ext_len)``: labels ``(N, L)`` interleaved with blanks, ``(N, 2L + 1)``."""
    n, m = labels.shape
    ext = xp.full((n, 2 * m + 1), blank, dtype=np.int64)
    if m:
        keep = xp.arange(m)[None, :] < label_length[:, None]
        ext[:, 1::2] = xp.where(keep, labels, blank)
    return ext, 2 * label_length.astype(np.int64) + 1


# ---------------------------------------------------------------------------- NumPy twins
def _transitions(xp: Any, ext: Any, blank: int, merge: bool) -> tuple[Any, Any]:
    """``(stay, skip)`` (N, S) bool: state ``s`` may repeat; may be entered from ``s - 2``."""
    is_blank = ext == blank
    stay = xp.ones(ext.shape, bool) if merge else is_blank
    skip = xp.zeros(ext.shape, bool)
    if ext.shape[1] > 2:
        differ = ext[:, 2:] != ext[:, :-2] if merge else xp.ones(ext[:, 2:].shape, bool)
        skip[:, 2:] = ~is_blank[:, 2:] & differ
    return stay, skip


def _lse3(xp: Any, a: Any, b: Any, c: Any) -> Any:
    """``log(exp(a) + exp(b) + exp(c))`` element-wise, ``-inf`` when all three are."""
    m = xp.maximum(xp.maximum(a, b), c)
    ms = xp.where(m > -np.inf, m, 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return m + xp.log(xp.exp(a - ms) + xp.exp(b - ms) + xp.exp(c - ms))


def _shift(xp: Any, a: Any, k: int, fill: float = -np.inf) -> Any:
    """``a`` moved ``k`` places along its last axis (right for ``k > 0``), ``fill`` entering."""
    out = xp.full(a.shape, fill, dtype=a.dtype)
    if k > 0:
        out[..., k:] = a[..., :-k]
    else:
        out[..., :k] = a[..., -k:]
    return out


def _log_softmax_parts(xp: Any, x: Any) -> tuple[Any, Any]:
    """``(lse (N, T), log-softmax (N, T, C))`` in the working dtype."""
    m = x.max(axis=2, keepdims=True) if x.shape[2] else xp.zeros(x.shape[:2] + (1,), x.dtype)
    ms = xp.where(xp.isfinite(m), m, 0)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        lse = xp.log(xp.exp(x - ms).sum(axis=2, keepdims=True)) + ms
        # A step whose logits are all -inf has probability 0 for every class (not NaN).
        lp = xp.where(lse == -np.inf, -np.inf, x - lse)
    return lse[..., 0], lp


def _gather(xp: Any, lp: Any, ext: Any) -> Any:
    """``lp[b, t, ext[b, s]]`` as (N, T, S)."""
    idx = xp.broadcast_to(ext[:, None, :], lp.shape[:2] + (ext.shape[1],))
    return xp.take_along_axis(lp, idx, axis=2)


def _band(xp: Any, t: int, s_idx: Any, ext_len: Any, in_len: Any) -> Any:
    """States of step ``t`` that can lie on a complete path (N, S)."""
    return (s_idx < 2 * t + 2) & (s_idx >= (ext_len - 2 * (in_len - t))[:, None])


def ctc_forward_numpy(
    x: Any, ext: Any, ext_len: Any, in_len: Any, blank: int, merge: bool, threads: Any = None
) -> tuple[Any, Any, Any]:
    """``(nll, alpha, lse)`` of the CTC forward recursion; NumPy passes over the batch."""
    xp = get_array_module(x)
    n, t_max, _ = x.shape
    s_max = ext.shape[1]
    lse, lp = _log_softmax_parts(xp, x)
    lpe = _gather(xp, lp, ext)
    stay, skip = _transitions(xp, ext, blank, merge)
    s_idx = xp.arange(s_max)[None, :]
    alpha = xp.full((n, t_max, s_max), -np.inf, dtype=x.dtype)
    if t_max:
        first = s_idx < 2
        alpha[:, 0] = xp.where(first & _band(xp, 0, s_idx, ext_len, in_len), lpe[:, 0], -np.inf)
    for t in range(1, t_max):
        prev = alpha[:, t - 1]
        a = _lse3(
            xp,
            xp.where(stay, prev, -np.inf),
            _shift(xp, prev, 1),
            xp.where(skip, _shift(xp, prev, 2), -np.inf),
        )
        alpha[:, t] = xp.where(_band(xp, t, s_idx, ext_len, in_len), a + lpe[:, t], -np.inf)
    rows = xp.arange(n)
    last = xp.maximum(in_len - 1, 0)
    end1 = alpha[rows, last, ext_len - 1] if s_max else xp.zeros(n, x.dtype)
    end2 = xp.where(ext_len >= 2, alpha[rows, last, xp.maximum(ext_len - 2, 0)], -np.inf)
    with np.errstate(invalid="ignore"):
        nll = 0.0 - xp.logaddexp(end1, end2)  # 0.0 - 0.0: no negative zero
    # No step: probability 1 for the empty label, 0 for any other.
    nll = xp.where(in_len == 0, xp.where(ext_len == 1, 0.0, np.inf), nll).astype(x.dtype)
    lse = xp.where(xp.arange(t_max)[None, :] < in_len[:, None], lse, 0).astype(x.dtype)
    return nll, alpha, lse


def _beta_all(
    xp: Any, lpe: Any, ext: Any, ext_len: Any, in_len: Any, blank: int, merge: bool
) -> Any:
    """``log`` of the backward variables (N, T, S), excluding step ``t``'s own probability."""
    n, t_max, s_max = lpe.shape
    stay, skip = _transitions(xp, ext, blank, merge)
    skip_next = _shift(xp, skip.astype(np.int8), -2, 0).astype(bool)
    s_idx = xp.arange(s_max)[None, :]
    init = xp.where(
        (s_idx == (ext_len - 1)[:, None]) | (s_idx == (ext_len - 2)[:, None]), 0.0, -np.inf
    )
    beta = xp.full((n, t_max, s_max), -np.inf, dtype=lpe.dtype)
    bl = xp.full((n, s_max), -np.inf, dtype=lpe.dtype)
    for t in range(t_max - 1, -1, -1):
        rec = _lse3(
            xp,
            xp.where(stay, bl, -np.inf),
            _shift(xp, bl, -1),
            xp.where(skip_next, _shift(xp, bl, -2), -np.inf),
        )
        last = (in_len - 1 == t)[:, None]
        inner = (in_len - 1 > t)[:, None] & _band(xp, t, s_idx, ext_len, in_len)
        b = xp.where(last, init, xp.where(inner, rec, -np.inf))
        beta[:, t] = b
        bl = b + lpe[:, t]
    return beta


def _posterior(xp: Any, ab: Any) -> Any:
    """State posteriors from ``alpha + beta`` (N, T, S), normalised over each step's states.

    Their total is 1 at every step (``exp(alpha + beta + nll)`` in exact arithmetic); the
    normalisation cancels the rounding drift that every state of a step shares. Steps without
    a finite state give 0.
    """
    m = ab.max(axis=2, keepdims=True) if ab.shape[2] else xp.zeros(ab.shape[:2] + (1,))
    ms = xp.where(m > -np.inf, m, 0)
    with np.errstate(invalid="ignore"):
        e = xp.exp(ab - ms)
    tot = e.sum(axis=2, keepdims=True)
    return xp.where(tot > 0, e / xp.where(tot > 0, tot, 1), 0)


def _onehot(xp: Any, ext: Any, c: int, dtype: Any) -> Any:
    """(N, S, C): 1 where ``ext[b, s] == c``."""
    return (ext[:, :, None] == xp.arange(c)[None, None, :]).astype(dtype)


def ctc_grad_numpy(
    x: Any,
    ext: Any,
    ext_len: Any,
    in_len: Any,
    blank: int,
    merge: bool,
    alpha: Any,
    lse: Any,
    nll: Any,
    gy: Any,
    threads: Any = None,
) -> Any:
    """``gy * (softmax(x) - posterior)`` (N, T, C), 0 past each length and for ``nll = inf``."""
    xp = get_array_module(x)
    _, t_max, c = x.shape
    with np.errstate(invalid="ignore"):
        lp = xp.where(lse[..., None] == -np.inf, -np.inf, x - lse[..., None])
    lpe = _gather(xp, lp, ext)
    beta = _beta_all(xp, lpe, ext, ext_len, in_len, blank, merge)
    ok = xp.isfinite(nll)
    post = _posterior(xp, alpha + beta)
    gamma = xp.matmul(post, _onehot(xp, ext, c, x.dtype))
    with np.errstate(over="ignore"):
        g = xp.exp(lp) - gamma
    keep = (xp.arange(t_max)[None, :] < in_len[:, None]) & ok[:, None]
    return xp.where(keep[..., None], g * gy[:, None, None], 0).astype(x.dtype)


def ctc_hvp_numpy(
    x: Any,
    ext: Any,
    ext_len: Any,
    in_len: Any,
    blank: int,
    merge: bool,
    gy: Any,
    v: Any,
) -> tuple[Any, Any]:
    """Second-order terms of the CTC loss, in float64: ``(hv, gv)``.

    With ``G = gy * (softmax(x) - posterior)`` the logits gradient and ``v`` (N, T, C) a
    direction, ``hv = d<v, G>/dx`` (N, T, C) and ``gv = d<v, G>/dgy`` (N,). The posterior's
    part is the covariance, under the alignment posterior, of ``f = sum_t v[t, pi_t]`` with
    the indicator ``pi_t = c``, from forward and backward sweeps of the conditional
    expectations of ``f`` given the state (``fa``, ``fb``).
    """
    xp = get_array_module(x)
    x = x.astype(np.float64)
    v = v.astype(np.float64)
    n, t_max, c = x.shape
    s_max = ext.shape[1]
    nll, alpha, lse = ctc_forward_numpy(x, ext, ext_len, in_len, blank, merge)
    with np.errstate(invalid="ignore"):
        lp = xp.where(lse[..., None] == -np.inf, -np.inf, x - lse[..., None])
    lpe = _gather(xp, lp, ext)
    beta = _beta_all(xp, lpe, ext, ext_len, in_len, blank, merge)
    ve = _gather(xp, v, ext)
    stay, skip = _transitions(xp, ext, blank, merge)
    skip_next = _shift(xp, skip.astype(np.int8), -2, 0).astype(bool)

    def w(a: Any, target: Any) -> Any:
        with np.errstate(invalid="ignore", over="ignore"):
            r = xp.exp(a - target)
        return xp.where(xp.isfinite(target) & (a > -np.inf), r, 0.0)

    fa = xp.zeros((n, t_max, s_max))
    if t_max:
        fa[:, 0] = ve[:, 0]
    for t in range(1, t_max):
        prev, fprev = alpha[:, t - 1], fa[:, t - 1]
        tgt = alpha[:, t] - lpe[:, t]  # log of the sum over the predecessors
        acc = xp.where(stay, w(prev, tgt) * fprev, 0.0)
        acc += w(_shift(xp, prev, 1), tgt) * _shift(xp, fprev, 1, 0.0)
        acc += xp.where(skip, w(_shift(xp, prev, 2), tgt) * _shift(xp, fprev, 2, 0.0), 0.0)
        fa[:, t] = ve[:, t] + acc
    fb = xp.zeros((n, t_max, s_max))
    for t in range(t_max - 2, -1, -1):
        bl = beta[:, t + 1] + lpe[:, t + 1]
        val = ve[:, t + 1] + fb[:, t + 1]
        tgt = beta[:, t]
        acc = xp.where(stay, w(bl, tgt) * val, 0.0)
        acc += w(_shift(xp, bl, -1), tgt) * _shift(xp, val, -1, 0.0)
        acc += xp.where(skip_next, w(_shift(xp, bl, -2), tgt) * _shift(xp, val, -2, 0.0), 0.0)
        fb[:, t] = xp.where((in_len - 1 > t)[:, None], acc, 0.0)
    ok = xp.isfinite(nll)
    post = _posterior(xp, alpha + beta)
    keep_t = (xp.arange(t_max)[None, :] < in_len[:, None]) & ok[:, None]
    ef = (post[:, :1] * (fa[:, :1] + fb[:, :1])).sum(axis=(1, 2)) if t_max else xp.zeros(n)
    onehot = _onehot(xp, ext, c, np.float64)
    cov = xp.matmul(post * (fa + fb - ef[:, None, None]), onehot)
    gamma = xp.matmul(post, onehot)
    y = xp.exp(lp)
    vy = (v * y).sum(axis=2, keepdims=True)
    hv = gy[:, None, None] * (y * (v - vy) - cov)
    hv = xp.where(keep_t[..., None], hv, 0.0)
    gv = xp.where(keep_t[..., None], v * (y - gamma), 0.0).sum(axis=(1, 2))
    return hv, gv


# ---------------------------------------------------------------------------- numba
def _kernel(name: str) -> Any:
    return _jit.ctc_kernels()[name]


def ctc_forward_numba(
    x: Any, ext: Any, ext_len: Any, in_len: Any, blank: int, merge: bool, threads: Any = None
) -> tuple[Any, Any, Any]:
    """:func:`ctc_forward_numpy` with a numba kernel over sequences (float32 NumPy arrays)."""
    n, t_max, _ = x.shape
    s_max = ext.shape[1]
    ext = np.ascontiguousarray(ext, dtype=np.int64)
    ext_len = np.ascontiguousarray(ext_len, dtype=np.int64)
    in_len = np.ascontiguousarray(in_len, dtype=np.int64)
    nll = np.empty(n, x.dtype)
    alpha = _take((n, t_max, s_max), x.dtype)
    lse = np.empty((n, t_max), x.dtype)
    kernel = _kernel("ctc_alpha")
    ranges = row_ranges(n, max(t_max * s_max, t_max * x.shape[2]), threads)
    run(lambda a, b: kernel(x, ext, ext_len, in_len, blank, merge, nll, alpha, lse, a, b), ranges)
    return nll, alpha, lse


def ctc_grad_numba(
    x: Any,
    ext: Any,
    ext_len: Any,
    in_len: Any,
    blank: int,
    merge: bool,
    alpha: Any,
    lse: Any,
    nll: Any,
    gy: Any,
    threads: Any = None,
    out: Any = None,
) -> Any:
    """:func:`ctc_grad_numpy` with a numba kernel over sequences; ``out``: (N, T, C) view."""
    n, t_max, c = x.shape
    s_max = ext.shape[1]
    ext = np.ascontiguousarray(ext, dtype=np.int64)
    ext_len = np.ascontiguousarray(ext_len, dtype=np.int64)
    in_len = np.ascontiguousarray(in_len, dtype=np.int64)
    gy = np.ascontiguousarray(gy, dtype=x.dtype)
    gx = np.empty(x.shape, x.dtype) if out is None else out
    kernel = _kernel("ctc_beta_grad")
    ranges = row_ranges(n, max(t_max * s_max, t_max * c), threads)
    run(
        lambda a, b: kernel(x, ext, ext_len, in_len, blank, merge, alpha, lse, nll, gy, gx, a, b),
        ranges,
    )
    return gx


# ---------------------------------------------------------------------------- dispatch
def _use_numba(x: Any) -> bool:
    return type(x) is np.ndarray and x.dtype == np.float32 and numba_enabled()


def ctc_forward(
    x: Any, ext: Any, ext_len: Any, in_len: Any, blank: int, merge: bool, threads: Any = None
) -> tuple[Any, Any, Any]:
    """``(nll, alpha, lse)``: numba for float32 NumPy arrays, else NumPy."""
    if _use_numba(x):
        return ctc_forward_numba(x, ext, ext_len, in_len, blank, merge, threads)
    return ctc_forward_numpy(x, ext, ext_len, in_len, blank, merge, threads)


def ctc_grad(
    x: Any,
    ext: Any,
    ext_len: Any,
    in_len: Any,
    blank: int,
    merge: bool,
    alpha: Any,
    lse: Any,
    nll: Any,
    gy: Any,
    threads: Any = None,
    out: Any = None,
) -> Any:
    """The logits gradient (N, T, C) from the forward's ``alpha``, ``lse`` and ``nll``."""
    if _use_numba(x):
        return ctc_grad_numba(
            x, ext, ext_len, in_len, blank, merge, alpha, lse, nll, gy, threads, out
        )
    g = ctc_grad_numpy(x, ext, ext_len, in_len, blank, merge, alpha, lse, nll, gy, threads)
    if out is not None:
        out[...] = g
        return out
    return g
