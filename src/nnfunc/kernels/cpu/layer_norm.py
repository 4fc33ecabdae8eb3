"""Row-wise normalization: standardize each row of a 2-d array, then a per-row/per-column affine.

The kernel behind :class:`nnfunc.functions.normalization._normalize.Normalize` whenever the
normalized axes are the trailing axes of a C-ordered array (layer normalization over the last
axes; instance normalization of channel-first data; batch normalization whose kept axes lead):
``x`` is then a ``(R, K)`` matrix whose rows are normalized independently.

``y[i, j] = (x[i, j] - mean[i]) * inv[i] * rs[i] * cs[j] + ro[i] + co[j]`` with
``inv = 1 / sqrt(var + eps)``, ``var`` the biased variance of the row; each of the per-row
scale/offset ``rs, ro`` (shape ``(R,)``) and per-column ``cs, co`` (``(K,)``) may be None.

Two implementations with one signature and the same results (up to rounding):

* ``*_numba``: one read of each row from memory: the row's sum, then its centred sum of squares
  (accumulated in float64) and the output are computed while it stays in cache (the output
  in float64, or in the dtype of ``x`` when there are per-column parameters, whose values are
  then taken in that dtype). Large inputs are split by rows over threads
  (:mod:`nnfunc.kernels.cpu._threads`; ``threads`` forces a number of row ranges). The backward
  pass likewise reads ``x`` and ``gy`` once and writes ``gx``, accumulating the parameter
  gradients on the way. numba is imported on first use.
* ``*_numpy``: whole-array NumPy passes in the dtype of ``x`` (statistics accumulated in
  float64); it also runs on CuPy. ``threads`` is accepted and ignored.

:func:`normalize_rows` and :func:`normalize_rows_backward` pick numba when
:func:`nnfunc.core.backend.numba_enabled` and the arrays are NumPy arrays.
``benchmarks/bench_norm.py`` times them against PyTorch's ``layer_norm``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nnfunc.core.backend import get_array_module, numba_enabled
from nnfunc.kernels.cpu._jit import kernels
from nnfunc.kernels.cpu._moments import standardize
from nnfunc.kernels.cpu._threads import row_ranges, run

__all__ = [
    "normalize_rows",
    "normalize_rows_backward",
    "normalize_rows_backward_numba",
    "normalize_rows_backward_numpy",
    "normalize_rows_numba",
    "normalize_rows_numpy",
]


# ---------------------------------------------------------------------------- NumPy twins
def normalize_rows_numpy(
    x: Any,
    eps: float,
    rs: Any = None,
    ro: Any = None,
    cs: Any = None,
    co: Any = None,
    threads: int | None = None,
) -> tuple[Any, Any, Any, Any]:
    """Standardize the rows of ``x`` (R, K), then the affine; NumPy (or CuPy) passes.

    Args:
        x: Floating array of shape ``(R, K)``, ``K >= 1``.
        eps: Added to the variance.
        rs, ro: Per-row scale and offset, shape ``(R,)``, or None.
        cs, co: Per-column scale and offset, shape ``(K,)``, or None.
        threads: Row ranges to run in parallel (numba version); None: automatic.

    Returns:
        ``(y, mean, var, inv)``: ``y`` of the shape and dtype of ``x``; float64 arrays of shape
        ``(R,)``: the row means, biased variances and ``1 / sqrt(var + eps)``.
    """
    xp = get_array_module(x)
    d, mean, var, inv = standardize(xp, x, 1, x.shape[1], "ij,ij->i", eps, rs)
    if cs is not None:
        d *= cs.astype(x.dtype, copy=False)
    if co is not None:
        d += co.astype(x.dtype, copy=False)
    if ro is not None:
        d += ro.astype(x.dtype)[:, None]
    return d, mean, var, inv


def normalize_rows_backward_numpy(
    x: Any,
    gy: Any,
    mean: Any,
    inv: Any,
    rs: Any = None,
    cs: Any = None,
    want_gx: bool = True,
    want_cols: bool = False,
    threads: int | None = None,
) -> tuple[Any, Any, Any]:
    """Gradients of :func:`normalize_rows_numpy` (its ``y`` only) from the saved statistics.

    Args:
        x, gy: Arrays of shape ``(R, K)`` and one floating dtype.
        mean, inv: float64 ``(R,)``, as returned by the forward pass.
        rs, cs: The per-row or per-column scale of the forward pass, or None.
        want_gx: Compute the input gradient (else ``gx`` is None).
        want_cols: Compute the column sums (else ``csum`` is None).
        threads: Row ranges to run in parallel (numba version); None: automatic.

    Returns:
        ``(gx, rsum, csum)``: ``gx`` like ``x``; ``rsum`` float64 ``(2, R)``: per row,
        ``sum(gy)`` and ``sum(gy * xhat)`` with ``xhat = (x - mean) * inv``; ``csum`` float64
        ``(2, K)``: the same sums per column.
    """
    xp = get_array_module(x)
    k = x.shape[1]
    dt = x.dtype
    xhat = (x - mean.astype(dt)[:, None]) * inv.astype(dt)[:, None]
    rsum = xp.stack(
        [gy.sum(axis=1, dtype=np.float64), xp.einsum("ij,ij->i", gy, xhat, dtype=np.float64)]
    )
    csum = None
    if want_cols:
        csum = xp.stack(
            [gy.sum(axis=0, dtype=np.float64), xp.einsum("ij,ij->j", gy, xhat, dtype=np.float64)]
        )
    gx = None
    if want_gx:
        g = gy if cs is None else gy * cs.astype(dt, copy=False)
        if rs is not None:
            g = g * rs.astype(dt)[:, None]
        s1 = g.sum(axis=1, dtype=np.float64) / k
        s2 = xp.einsum("ij,ij->i", g, xhat, dtype=np.float64) / k
        gx = g - s1.astype(dt)[:, None]
        gx -= xhat * s2.astype(dt)[:, None]
        gx *= inv.astype(dt)[:, None]
    return gx, rsum, csum


# ---------------------------------------------------------------------------- numba
def normalize_rows_numba(
    x: Any,
    eps: float,
    rs: Any = None,
    ro: Any = None,
    cs: Any = None,
    co: Any = None,
    threads: int | None = None,
) -> tuple[Any, Any, Any, Any]:
    """:func:`normalize_rows_numpy` with a numba kernel (NumPy arrays only)."""
    kernel = kernels()["norm_rows"]
    r, k = x.shape
    x = np.ascontiguousarray(x)
    y = np.empty_like(x)
    mean, var, inv = (np.empty(r) for _ in range(3))
    use_cols = cs is not None or co is not None
    rs, ro = _vec(rs, r, 1.0), _vec(ro, r, 0.0)
    cs = _vec(cs, k if use_cols else 1, 1.0, x.dtype)
    co = _vec(co, k if use_cols else 1, 0.0, x.dtype)

    def part(a: int, b: int) -> None:
        kernel(
            x[a:b],
            rs[a:b],
            ro[a:b],
            cs,
            co,
            use_cols,
            float(eps),
            y[a:b],
            mean[a:b],
            var[a:b],
            inv[a:b],
        )

    run(part, row_ranges(r, 2 * k, threads))
    return y, mean, var, inv


def normalize_rows_backward_numba(
    x: Any,
    gy: Any,
    mean: Any,
    inv: Any,
    rs: Any = None,
    cs: Any = None,
    want_gx: bool = True,
    want_cols: bool = False,
    threads: int | None = None,
) -> tuple[Any, Any, Any]:
    """:func:`normalize_rows_backward_numpy` with a numba kernel (NumPy arrays only)."""
    kernel = kernels()["norm_rows_grad"]
    r, k = x.shape
    x = np.ascontiguousarray(x)
    gy = np.ascontiguousarray(gy, dtype=x.dtype)
    mean = np.ascontiguousarray(mean, dtype=np.float64)
    inv = np.ascontiguousarray(inv, dtype=np.float64)
    gx = np.empty_like(x) if want_gx else np.empty((r, 1), x.dtype)
    rs = _vec(rs, r, 1.0, x.dtype)
    use_cols = cs is not None
    cs = _vec(cs, k if use_cols else 1, 1.0, x.dtype)
    want_gx, want_cols = bool(want_gx), bool(want_cols)

    def part(a: int, b: int) -> tuple[Any, Any]:
        rsum = np.empty((2, b - a))
        csum = np.empty((2, k if want_cols else 1))
        kernel(
            x[a:b],
            gy[a:b],
            mean[a:b],
            inv[a:b],
            rs[a:b],
            cs,
            use_cols,
            want_cols,
            want_gx,
            gx[a:b],
            rsum,
            csum,
        )
        return rsum, csum

    parts = run(part, row_ranges(r, 3 * k, threads))
    rsum = parts[0][0] if len(parts) == 1 else np.concatenate([p[0] for p in parts], axis=1)
    csum = sum(p[1] for p in parts[1:]) + parts[0][1] if want_cols else None
    return (gx if want_gx else None), rsum, csum


def _vec(v: Any, n: int, fill: float, dtype: Any = np.float64) -> Any:
    """``v`` as a contiguous vector of length ``n`` and ``dtype``, or ``fill`` repeated."""
    if v is None:
        return np.full(n, fill, dtype)
    return np.ascontiguousarray(v, dtype=dtype).reshape(n)


# ---------------------------------------------------------------------------- dispatch
def _use_numba(*arrays: Any) -> bool:
    return all(type(a) is np.ndarray for a in arrays) and numba_enabled()


def normalize_rows(
    x: Any,
    eps: float,
    rs: Any = None,
    ro: Any = None,
    cs: Any = None,
    co: Any = None,
    threads: int | None = None,
) -> tuple[Any, Any, Any, Any]:
    """Standardize the rows of ``x`` then the affine: numba kernel or NumPy twin."""
    fn = normalize_rows_numba if _use_numba(x) else normalize_rows_numpy
    return fn(x, eps, rs, ro, cs, co, threads)


def normalize_rows_backward(
    x: Any,
    gy: Any,
    mean: Any,
    inv: Any,
    rs: Any = None,
    cs: Any = None,
    want_gx: bool = True,
    want_cols: bool = False,
    threads: int | None = None,
) -> tuple[Any, Any, Any]:
    """Backward of :func:`normalize_rows`: numba kernel or NumPy twin."""
    use = _use_numba(x, gy)
    fn = normalize_rows_backward_numba if use else normalize_rows_backward_numpy
    return fn(x, gy, mean, inv, rs, cs, want_gx, want_cols, threads)
