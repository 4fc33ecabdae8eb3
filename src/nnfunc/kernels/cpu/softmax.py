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
from nnfunc.kernels.cpu import _buffers
from nnfunc.kernels.cpu._jit import kernels, rowwise_grad_kernels
from nnfunc.kernels.cpu._threads import num_threads, row_ranges, run

__all__ = [
    "softmax_grad",
    "softmax_grad_numba",
    "softmax_grad_numpy",
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


def softmax_grad_numpy(
    y: Any, gy: Any, axis: int | None, log: bool = False, threads: int | None = None
) -> Any:
    """Backward of softmax (``log``: log-softmax) along ``axis`` from its output; NumPy passes.

    ``y * (gy - sum(gy * y))`` or ``gy - exp(y) * sum(gy)``, the sums over ``axis`` (None: the
    whole array), computed in float32 for float16 and returned in the dtype of ``y``.

    Args:
        y: The forward's output (any shape, floating).
        gy: Gradient of the output, same shape.
        axis: The normalised axis (non-negative) or None.
    """
    xp = get_array_module(y)
    if y.ndim == 0:  # NumPy gives scalars for 0-d operands, which `out=` cannot take
        return softmax_grad_numpy(y.reshape(1), gy.reshape(1), None, log).reshape(())
    dt = y.dtype
    acc = np.float32 if dt == np.float16 else dt
    y = y.astype(acc, copy=False)
    gy = gy.astype(acc, copy=False)
    if log:
        gx = xp.exp(y)
        gx *= -gy.sum(axis=axis, keepdims=True, dtype=np.float64).astype(acc)
        gx += gy
    else:
        gx = gy * y
        s = gx.sum(axis=axis, keepdims=True, dtype=np.float64).astype(acc)
        xp.subtract(gy, s, out=gx)
        gx *= y
    return gx.astype(dt, copy=False)


# ---------------------------------------------------------------------------- numba
def _kernel(name: str) -> Any:
    return kernels()[name]


def _f32(a: Any) -> Any:
    return np.ascontiguousarray(a, dtype=np.float32)


def _even_ranges(rows: int, per_row: int, threads: int | None) -> list[tuple[int, int]]:
    """:func:`row_ranges`, but one range per thread when it splits: the softmax rows all cost
    the same, and each range is a numba call on slices (2 threads, 4096x1024 float32: forward
    kernel 1.20 ms on 2 ranges vs 1.23 on 8)."""
    ranges = row_ranges(rows, per_row, threads)
    if threads is None and len(ranges) > num_threads():
        ranges = row_ranges(rows, per_row, num_threads())
    return ranges


def softmax_rows_numba(x: Any, log: bool = False, threads: int | None = None) -> Any:
    """:func:`softmax_rows_numpy` with a numba kernel (float32 NumPy arrays)."""
    x = _f32(x)
    y = _buffers.empty(x.shape, np.float32)  # a large output reuses a released block
    kernel = _kernel("softmax_rows")
    ranges = _even_ranges(x.shape[0], x.shape[1], threads)
    ok = run(lambda a, b: kernel(x[a:b], y[a:b], bool(log)), ranges)
    return y if all(ok) else None


def softmax_xent_rows_numba(x: Any, t: Any, threads: int | None = None) -> tuple[Any, Any] | None:
    """:func:`softmax_xent_rows_numpy` with a numba kernel (float32 NumPy arrays)."""
    return _xent_rows("softmax_xent_rows", _f32(x), _f32(t), 3, 2, threads)


def _xent_rows(
    name: str, x: Any, t: Any, n_stats: int, passes: int, threads: int | None
) -> tuple[Any, Any] | None:
    """The loss and the ``n_stats`` row statistics of the row kernel ``name`` over ranges of
    rows (``passes`` reads of a row), or None when the kernel refuses a range."""
    kernel = _kernel(name)

    def part(a: int, b: int) -> Any:
        loss = np.empty(b - a, np.float32)
        stats = np.empty((n_stats, b - a), np.float32)
        return (loss, stats) if kernel(x[a:b], t[a:b], loss, stats) else None

    parts = run(part, row_ranges(x.shape[0], passes * x.shape[1], threads))
    if any(p is None for p in parts):
        return None
    if len(parts) == 1:
        return parts[0]
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts], axis=1)


def _xent_grad_rows(
    name: str, x: Any, t: Any, gy: Any, stats: Any, passes: int, threads: int | None
) -> Any:
    """The logits gradient of the row kernel ``name`` from the forward's row statistics."""
    gx = _buffers.empty(x.shape, np.float32)
    kernel = _kernel(name)

    def part(a: int, b: int) -> None:
        kernel(x[a:b], t[a:b], gy[a:b], np.ascontiguousarray(stats[:, a:b]), gx[a:b])

    run(part, row_ranges(x.shape[0], passes * x.shape[1], threads))
    return gx


def softmax_xent_grad_rows_numba(
    x: Any, t: Any, gy: Any, stats: Any, threads: int | None = None
) -> Any:
    """:func:`softmax_xent_grad_rows_numpy` with a numba kernel (float32 NumPy arrays)."""
    x, t, gy, stats = _f32(x), _f32(t), _f32(gy), _f32(stats)
    return _xent_grad_rows("softmax_xent_grad_rows", x, t, gy, stats, 3, threads)


def sparse_xent_rows_numba(
    x: Any, labels: Any, threads: int | None = None
) -> tuple[Any, Any] | None:
    """:func:`sparse_xent_rows_numpy` with a numba kernel (float32 NumPy arrays)."""
    x = _f32(x)
    labels = np.ascontiguousarray(labels, dtype=np.intp)
    return _xent_rows("sparse_xent_rows", x, labels, 2, 1, threads)


def sparse_xent_grad_rows_numba(
    x: Any, labels: Any, gy: Any, stats: Any, threads: int | None = None
) -> Any:
    """:func:`sparse_xent_grad_rows_numpy` with a numba kernel (float32 NumPy arrays)."""
    x, gy, stats = _f32(x), _f32(gy), _f32(stats)
    labels = np.ascontiguousarray(labels, dtype=np.intp)
    return _xent_grad_rows("sparse_xent_grad_rows", x, labels, gy, stats, 2, threads)


def softmax_grad_numba(
    y: Any, gy: Any, axis: int | None, log: bool = False, threads: int | None = None
) -> Any:
    """:func:`softmax_grad_numpy` with a numba kernel (float32 NumPy arrays).

    The arrays are seen as ``(A, K, B)`` with ``K`` the normalised axis. Threads share the rows
    ``A`` (the last axis, ``B == 1``, or several ``(K, B)`` slices); one large ``(K, B)`` slice
    (axis 0 of a matrix) is split along ``K``: partial column sums, then the output.
    """
    # np.asarray keeps a 0-d array 0-d (np.ascontiguousarray would make it 1-d).
    y, gy = (np.asarray(a, np.float32, order="C") for a in (y, gy))
    gx = _buffers.empty(y.shape, np.float32)
    if y.size == 0:
        return gx
    if axis is None:
        shape = (1, y.size, 1)
    else:
        shape = (
            int(np.prod(y.shape[:axis])),
            y.shape[axis],
            int(np.prod(y.shape[axis + 1 :])),
        )
    a_n, k, b_n = shape
    y3, g3, o3 = y.reshape(shape), gy.reshape(shape), gx.reshape(shape)
    kern = rowwise_grad_kernels()
    if b_n == 1:
        rows = kern["softmax_grad_rows"]
        y2, g2, o2 = y.reshape(a_n, k), gy.reshape(a_n, k), gx.reshape(a_n, k)
        ranges = _even_ranges(a_n, 2 * k, threads)
        run(lambda a, b: rows(y2[a:b], g2[a:b], o2[a:b], bool(log)), ranges)
        return gx
    by_k = row_ranges(k, 2 * b_n, threads)
    if a_n > 1 or len(by_k) == 1:
        cols = kern["softmax_grad_cols"]
        by_a = row_ranges(a_n, 2 * k * b_n, threads)
        run(lambda a, b: cols(y3[a:b], g3[a:b], o3[a:b], bool(log)), by_a)
        return gx
    # One large (K, B) slice: threads share K, for the sums (combined here) and the output.
    sums, apply = kern["softmax_col_sums"], kern["softmax_col_apply"]
    y2, g2, o2 = y3[0], g3[0], o3[0]

    def part_sums(a: int, b: int) -> Any:
        acc = np.zeros(b_n, np.float64)
        sums(y2[a:b], g2[a:b], bool(log), acc)
        return acc

    s = np.sum(run(part_sums, by_k), axis=0).astype(np.float32)
    run(lambda a, b: apply(y2[a:b], g2[a:b], s, bool(log), o2[a:b]), by_k)
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


def softmax_grad(
    y: Any, gy: Any, axis: int | None, log: bool = False, threads: int | None = None
) -> Any:
    """Backward of softmax or log-softmax along ``axis`` from the output ``y``, in one pass."""
    if _use_numba(y, gy):
        return softmax_grad_numba(y, gy, axis, log, threads)
    return softmax_grad_numpy(y, gy, axis, log, threads)
