"""Row-wise softmax, log-softmax and softmax cross-entropies of ``(R, K)`` arrays.

The kernels behind :func:`nnfunc.softmax`, :func:`nnfunc.log_softmax` (no mask, last axis),
:func:`nnfunc.softmax_cross_entropy_with_logits` and
:func:`nnfunc.sparse_softmax_cross_entropy_with_logits` (last axis) for float32 data. Every row is
max-shifted; a row whose maximum is not finite (``+inf``, all ``-inf``, NaN) has limits that the
callers' general NumPy code defines, so these functions return None for such input (also for
NaN logits anywhere) and the caller takes that path.

Two implementations with one signature and the same results (up to float32 rounding):

* ``*_numba``: float32 only, one read of each row from memory, then passes over the row while
  it is in cache (max, ``exp`` and sums, output), with a vectorised ``exp`` (<= 1 ulp; NumPy's
  float32 ``exp`` is also SIMD but each NumPy pass streams the whole array through memory).
  Large inputs are split by rows over threads (:mod:`nnfunc.kernels.cpu._threads`; the
  ``threads`` argument forces a number of row ranges). numba is imported on first use.
* ``*_numpy``: whole-array NumPy passes (also CuPy), in the dtype of ``x``; ``threads`` is
  accepted and ignored.

:func:`softmax_rows`, :func:`softmax_xent_rows` and :func:`softmax_xent_grad_rows` pick numba
when :func:`nnfunc.core.backend.numba_enabled` and the data are float32 NumPy arrays.
``benchmarks/bench_activation.py`` and ``benchmarks/bench_loss.py`` time them against PyTorch.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nnfunc.core.backend import get_array_module, numba_enabled
from nnfunc.kernels.cpu._jit import kernels
from nnfunc.kernels.cpu._threads import row_ranges, run

__all__ = [
    "softmax_rows",
    "softmax_rows_numba",
    "softmax_rows_numpy",
    "softmax_xent_grad_rows",
    "softmax_xent_grad_rows_numba",
    "softmax_xent_grad_rows_numpy",
    "softmax_xent_rows",
    "softmax_xent_rows_numba",
    "softmax_xent_rows_numpy",
    "sparse_xent_grad_rows",
    "sparse_xent_grad_rows_numba",
    "sparse_xent_grad_rows_numpy",
    "sparse_xent_rows",
    "sparse_xent_rows_numba",
    "sparse_xent_rows_numpy",
]


# ---------------------------------------------------------------------------- NumPy twins
def _finite_max(xp: Any, x: Any) -> Any:
    """Row maxima ``(R, 1)``, or None when one is not finite (NaN included)."""
    m = x.max(axis=1, keepdims=True)  # NaN when the row holds one
    return m if bool(xp.isfinite(m).all()) else None


def softmax_rows_numpy(x: Any, log: bool = False, threads: int | None = None) -> Any:
    """Softmax (``log``: log-softmax) of each row of ``x`` (R, K), K >= 1; NumPy passes.

    Returns:
        An array like ``x``, or None when a row's maximum is not finite or a row holds NaN.
    """
    xp = get_array_module(x)
    m = _finite_max(xp, x)
    if m is None:
        return None
    z = xp.subtract(x, m)
    # Sums in float64, as the numba kernel does: log(sum) stays accurate near 0.
    if log:
        z -= xp.log(xp.exp(z).sum(axis=1, keepdims=True, dtype=np.float64)).astype(z.dtype)
        return z
    xp.exp(z, out=z)
    z /= z.sum(axis=1, keepdims=True, dtype=np.float64).astype(z.dtype)
    return z


def softmax_xent_rows_numpy(x: Any, t: Any, threads: int | None = None) -> tuple[Any, Any] | None:
    """Dense softmax cross-entropy of each row: ``sum(t) * logsumexp(x) - sum(t * x)``.

    Args:
        x: Logits ``(R, K)``, K >= 1.
        t: Labels, same shape and dtype.

    Returns:
        ``(loss, stats)``: ``loss`` ``(R,)`` in the dtype of ``x``; ``stats`` ``(3, R)``: the
        row maxima, ``sum(exp(x - max))`` and ``sum(t)``, which the gradient takes. None when a
        row's maximum is not finite or a logit is NaN. A zero label on a ``-inf`` logit
        counts 0.
    """
    xp = get_array_module(x)
    m = _finite_max(xp, x)
    if m is None:
        return None
    z = xp.subtract(x, m)
    with np.errstate(invalid="ignore"):
        tz = xp.einsum("ij,ij->i", t, z)
        if bool(xp.isnan(tz).any()):
            tz = xp.where(t == 0, 0, t * z).sum(axis=1)
    st = t.sum(axis=1, dtype=np.float64)
    xp.exp(z, out=z)
    s = z.sum(axis=1, dtype=np.float64)
    loss = st * xp.log(s) - tz
    return loss.astype(x.dtype), xp.stack([m[:, 0], s, st]).astype(x.dtype)


def softmax_xent_grad_rows_numpy(
    x: Any, t: Any, gy: Any, stats: Any, threads: int | None = None
) -> Any:
    """``gy[:, None] * (softmax(x) * sum(t) - t)`` from the forward's ``stats``; NumPy passes.

    Args:
        x, t: Logits and labels ``(R, K)``, one dtype.
        gy: Gradient of the loss, ``(R,)``.
        stats: ``(3, R)`` from :func:`softmax_xent_rows_numpy` on the same ``x, t``.
    """
    xp = get_array_module(x)
    g = xp.exp(x - stats[0][:, None])
    g *= (gy * stats[2] / stats[1])[:, None]
    g -= t * gy[:, None]
    return g


def sparse_xent_rows_numpy(
    x: Any, labels: Any, threads: int | None = None
) -> tuple[Any, Any] | None:
    """Sparse softmax cross-entropy of each row: ``logsumexp(x) - x[label]``.

    Args:
        x: Logits ``(R, K)``, K >= 1.
        labels: Integer class indices ``(R,)``.

    Returns:
        ``(loss, stats)``: ``loss`` ``(R,)`` in the dtype of ``x``; ``stats`` ``(2, R)``: the
        row maxima and ``sum(exp(x - max))``, which the gradient takes. None when a row's
        maximum is not finite, a logit is NaN or a label is outside ``[0, K)``.
    """
    xp = get_array_module(x)
    if labels.size and (bool((labels < 0).any()) or bool((labels >= x.shape[1]).any())):
        return None
    m = _finite_max(xp, x)
    if m is None:
        return None
    z = xp.subtract(x, m)
    lab = labels.astype(np.intp)[:, None]
    zt = xp.take_along_axis(z, lab, axis=1)[:, 0]
    xp.exp(z, out=z)
    s = z.sum(axis=1, dtype=np.float64)
    loss = xp.log(s) - zt
    return loss.astype(x.dtype), xp.stack([m[:, 0], s]).astype(x.dtype)


def sparse_xent_grad_rows_numpy(
    x: Any, labels: Any, gy: Any, stats: Any, threads: int | None = None
) -> Any:
    """``gy[:, None] * (softmax(x) - onehot(labels))`` from the forward's ``stats``."""
    xp = get_array_module(x)
    g = xp.exp(x - stats[0][:, None])
    g *= (gy / stats[1])[:, None]
    lab = labels.astype(np.intp)[:, None]
    xp.put_along_axis(g, lab, xp.take_along_axis(g, lab, axis=1) - gy[:, None], axis=1)
    return g


# ---------------------------------------------------------------------------- numba
def _kernel(name: str) -> Any:
    return kernels()[name]


def _f32(a: Any) -> Any:
    return np.ascontiguousarray(a, dtype=np.float32)


def softmax_rows_numba(x: Any, log: bool = False, threads: int | None = None) -> Any:
    """:func:`softmax_rows_numpy` with a numba kernel (float32 NumPy arrays)."""
    x = _f32(x)
    y = np.empty_like(x)
    kernel = _kernel("softmax_rows")
    ranges = row_ranges(x.shape[0], x.shape[1], threads)
    ok = run(lambda a, b: kernel(x[a:b], y[a:b], bool(log)), ranges)
    return y if all(ok) else None


def softmax_xent_rows_numba(x: Any, t: Any, threads: int | None = None) -> tuple[Any, Any] | None:
    """:func:`softmax_xent_rows_numpy` with a numba kernel (float32 NumPy arrays)."""
    x, t = _f32(x), _f32(t)
    kernel = _kernel("softmax_xent_rows")

    def part(a: int, b: int) -> Any:
        loss = np.empty(b - a, np.float32)
        stats = np.empty((3, b - a), np.float32)
        return (loss, stats) if kernel(x[a:b], t[a:b], loss, stats) else None

    parts = run(part, row_ranges(x.shape[0], 2 * x.shape[1], threads))
    if any(p is None for p in parts):
        return None
    if len(parts) == 1:
        return parts[0]
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts], axis=1)


def softmax_xent_grad_rows_numba(
    x: Any, t: Any, gy: Any, stats: Any, threads: int | None = None
) -> Any:
    """:func:`softmax_xent_grad_rows_numpy` with a numba kernel (float32 NumPy arrays)."""
    x, t, gy, stats = _f32(x), _f32(t), _f32(gy), _f32(stats)
    gx = np.empty_like(x)
    kernel = _kernel("softmax_xent_grad_rows")

    def part(a: int, b: int) -> None:
        kernel(x[a:b], t[a:b], gy[a:b], np.ascontiguousarray(stats[:, a:b]), gx[a:b])

    run(part, row_ranges(x.shape[0], 3 * x.shape[1], threads))
    return gx


def sparse_xent_rows_numba(
    x: Any, labels: Any, threads: int | None = None
) -> tuple[Any, Any] | None:
    """:func:`sparse_xent_rows_numpy` with a numba kernel (float32 NumPy arrays)."""
    x = _f32(x)
    labels = np.ascontiguousarray(labels, dtype=np.intp)
    kernel = _kernel("sparse_xent_rows")

    def part(a: int, b: int) -> Any:
        loss = np.empty(b - a, np.float32)
        stats = np.empty((2, b - a), np.float32)
        return (loss, stats) if kernel(x[a:b], labels[a:b], loss, stats) else None

    parts = run(part, row_ranges(x.shape[0], x.shape[1], threads))
    if any(p is None for p in parts):
        return None
    if len(parts) == 1:
        return parts[0]
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts], axis=1)


def sparse_xent_grad_rows_numba(
    x: Any, labels: Any, gy: Any, stats: Any, threads: int | None = None
) -> Any:
    """:func:`sparse_xent_grad_rows_numpy` with a numba kernel (float32 NumPy arrays)."""
    x, gy, stats = _f32(x), _f32(gy), _f32(stats)
    labels = np.ascontiguousarray(labels, dtype=np.intp)
    gx = np.empty_like(x)
    kernel = _kernel("sparse_xent_grad_rows")

    def part(a: int, b: int) -> None:
        kernel(x[a:b], labels[a:b], gy[a:b], np.ascontiguousarray(stats[:, a:b]), gx[a:b])

    run(part, row_ranges(x.shape[0], 2 * x.shape[1], threads))
    return gx


# ---------------------------------------------------------------------------- dispatch
def _use_numba(*arrays: Any) -> bool:
    return all(type(a) is np.ndarray and a.dtype == np.float32 for a in arrays) and numba_enabled()


def softmax_rows(x: Any, log: bool = False, threads: int | None = None) -> Any:
    """Softmax or log-softmax of each row (None for a non-finite row maximum)."""
    if _use_numba(x):
        return softmax_rows_numba(x, log, threads)
    return softmax_rows_numpy(x, log, threads)


def softmax_xent_rows(x: Any, t: Any, threads: int | None = None) -> tuple[Any, Any] | None:
    """Dense softmax cross-entropy of each row and its statistics (None: non-finite max)."""
    if _use_numba(x, t):
        return softmax_xent_rows_numba(x, t, threads)
    return softmax_xent_rows_numpy(x, t, threads)


def softmax_xent_grad_rows(x: Any, t: Any, gy: Any, stats: Any, threads: int | None = None) -> Any:
    """Logits gradient of the dense softmax cross-entropy from the forward's statistics."""
    if _use_numba(x, t):
        return softmax_xent_grad_rows_numba(x, t, gy, stats, threads)
    return softmax_xent_grad_rows_numpy(x, t, gy, stats, threads)


def sparse_xent_rows(x: Any, labels: Any, threads: int | None = None) -> tuple[Any, Any] | None:
    """Sparse softmax cross-entropy of each row and its statistics (None: see the twin)."""
    if _use_numba(x):
        return sparse_xent_rows_numba(x, labels, threads)
    return sparse_xent_rows_numpy(x, labels, threads)


def sparse_xent_grad_rows(
    x: Any, labels: Any, gy: Any, stats: Any, threads: int | None = None
) -> Any:
    """Logits gradient of the sparse softmax cross-entropy from the forward's statistics."""
    if _use_numba(x):
        return sparse_xent_grad_rows_numba(x, labels, gy, stats, threads)
    return sparse_xent_grad_rows_numpy(x, labels, gy, stats, threads)
