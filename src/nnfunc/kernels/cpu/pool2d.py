"""2-D max and sum pooling, forward and backward: numba kernels over planes on the thread pool.

Inputs are channel-first with any leading axes, padded to cover every window (as
:mod:`nnfunc.kernels.cpu.pool` expects); they are viewed as ``(P, Hp, Wp)`` planes. The forward
keeps a running maximum per window (NaN propagates, as ``numpy.maximum``); the backward finds
the first maximum of each window again (offsets in C order, the rule of
:func:`nnfunc.kernels.cpu.pool.max_scatter`) and adds ``gy`` there, in the same pass. One
thread owns each plane, so the backward writes every gradient cell from one thread in order:
no masks per offset, no shared accumulation. The argmax is recomputed rather than saved: the
Function nodes stay stateless (graph mode and double backward rebuild them from ``x`` and
``y``), and reading ``x`` once costs about what reading a saved index would.

Window sums (sum and average pooling) and their adjoint run the same way: row-wise sums, and
the adjoint adding each output cell over its window in a zeroed plane owned by one thread.

``max_pool2d_numpy`` / ``max_pool2d_grad_numpy`` are the NumPy twins (same signatures, whole
planes at once, through :mod:`nnfunc.kernels.cpu.pool`); :func:`max_pool2d` and
:func:`max_pool2d_grad` pick numba for float NumPy arrays when it is enabled.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nnfunc.core.backend import numba_enabled
from nnfunc.kernels.cpu import pool as K
from nnfunc.kernels.cpu._jit import pool2d_kernels
from nnfunc.kernels.cpu._threads import row_ranges, run

__all__ = [
    "applies",
    "max_pool2d",
    "max_pool2d_grad",
    "max_pool2d_grad_numpy",
    "max_pool2d_numpy",
    "window_sum2d",
    "window_sum2d_transpose",
]


def applies(x: Any, kernel) -> bool:
    """Whether the numba kernels take this call: NumPy float arrays, 2 window axes, numba on."""
    return (
        type(x) is np.ndarray
        and len(kernel) == 2
        and x.dtype in (np.float32, np.float64)
        and numba_enabled()
    )


def max_pool2d_numpy(x, y, kh, kw, sh, sw, dh, dw, p0, p1) -> None:
    """NumPy twin of ``_jit._max_pool2d``: ``y[p0:p1]`` from ``x[p0:p1]``."""
    out = y.shape[1:]
    y[p0:p1] = K.window_max(np, x[p0:p1], (kh, kw), (sh, sw), (dh, dw), out)


def max_pool2d_grad_numpy(x, y, gy, gx, kh, kw, sh, sw, dh, dw, p0, p1) -> None:
    """NumPy twin of ``_jit._max_pool2d_grad``: ``gx[p0:p1] += ...``."""
    out = y.shape[1:]
    buf, _ = K.max_scatter(np, x[p0:p1], y[p0:p1], gy[p0:p1], (kh, kw), (sh, sw), (dh, dw), out)
    gx[p0:p1] += buf


def _planes(a: Any) -> np.ndarray:
    return np.ascontiguousarray(a).reshape((-1, *a.shape[-2:]))


def max_pool2d(xpad, kernel, stride, dilation, out, threads: int | None = None, use_numba=None):
    """Window maxima ``(*lead, *out)`` of ``xpad (*lead, Hp, Wp)``."""
    fn = pool2d_kernels()["max_pool2d"] if use_numba in (None, True) else max_pool2d_numpy
    x3 = _planes(xpad)
    y = np.empty((x3.shape[0], *out), xpad.dtype)
    args = (*kernel, *stride, *dilation)
    per = int(np.prod(out)) * kernel[0] * kernel[1]
    run(lambda a, b: fn(x3, y, *args, a, b), row_ranges(x3.shape[0], per, threads))
    return y.reshape((*xpad.shape[:-2], *out))


def max_pool2d_grad(
    xpad, y, gy, kernel, stride, dilation, out, threads: int | None = None, use_numba=None
):
    """Gradient ``(*lead, Hp, Wp)`` on the padded input: ``gy`` at each window's first maximum.

    Windows that tile the plane (stride equal to the kernel, no dilation: the usual 2x2/2) take
    the gather kernel, which writes each cell once; other geometries add into a zeroed plane.
    """
    x3, y3 = _planes(xpad), _planes(y)
    g3 = _planes(gy.astype(xpad.dtype, copy=False))
    args = (*kernel, *stride, *dilation)
    per = int(np.prod(out)) * kernel[0] * kernel[1]
    ranges = row_ranges(x3.shape[0], per, threads)
    tiled = tuple(stride) == tuple(kernel) and tuple(dilation) == (1, 1)
    if use_numba in (None, True) and tiled:
        fn = pool2d_kernels()["max_pool2d_grad_tiled"]
        gx = np.empty(x3.shape, xpad.dtype)
        run(lambda a, b: fn(x3, y3, g3, gx, *kernel, a, b), ranges)
        return gx.reshape(xpad.shape)
    fn = pool2d_kernels()["max_pool2d_grad"] if use_numba in (None, True) else max_pool2d_grad_numpy
    gx = np.zeros(x3.shape, xpad.dtype)
    run(lambda a, b: fn(x3, y3, g3, gx, *args, a, b), ranges)
    return gx.reshape(xpad.shape)


def window_sum2d(xpad, kernel, stride, out, threads: int | None = None) -> np.ndarray:
    """Window sums ``(*lead, *out)`` of ``xpad (*lead, Hp, Wp)`` (in its dtype); the NumPy twin
    is :func:`nnfunc.kernels.cpu.pool.window_sum`."""
    x3 = _planes(xpad)
    y = np.empty((x3.shape[0], *out), xpad.dtype)
    fn = pool2d_kernels()["sum_pool2d"]
    per = int(np.prod(out)) * kernel[0] * kernel[1]
    run(lambda a, b: fn(x3, y, *kernel, *stride, a, b), row_ranges(x3.shape[0], per, threads))
    return y.reshape((*xpad.shape[:-2], *out))


def window_sum2d_transpose(gy, kernel, stride, padded, threads: int | None = None) -> np.ndarray:
    """Adjoint of :func:`window_sum2d` on the padded shape ``padded``; the NumPy twin is
    :func:`nnfunc.kernels.cpu.pool.window_sum_transpose`."""
    g3 = _planes(gy)
    buf = np.zeros((g3.shape[0], *padded[-2:]), gy.dtype)
    fn = pool2d_kernels()["sum_pool2d_transpose"]
    per = int(np.prod(gy.shape[-2:])) * kernel[0] * kernel[1]
    run(lambda a, b: fn(g3, buf, *kernel, *stride, a, b), row_ranges(g3.shape[0], per, threads))
    return buf.reshape(padded)
