"""2-D depthwise convolution (one input channel per group, multiplier ``m``) as numba plane
kernels: forward, input gradient and weight gradient, planes ``(n, c)`` split over the thread
pool (:mod:`nnfunc.kernels.cpu._threads`).

Each plane runs the 9 (``kh * kw``) shifted multiply-adds row by row, the inner loop along the
output row (vectorised by LLVM), instead of the whole-batch NumPy pass per kernel offset of
:mod:`nnfunc.kernels.cpu.im2col` (which streams the whole output through memory ``kh * kw``
times). The input gradient adds into a zeroed padded plane that only its own thread writes; the
weight gradient is one dot product per (plane, tap), summed over the batch afterwards.
The NumPy twins are the functions of :mod:`~nnfunc.kernels.cpu.im2col` (``_depthwise_*``),
which the dispatcher (:mod:`nnfunc.kernels.cpu.conv_dispatch`) uses when numba is off.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import partial
from typing import Any

import numpy as np

from nnfunc.core.backend import numba_enabled
from nnfunc.kernels.cpu._jit import depthwise_kernels
from nnfunc.kernels.cpu._threads import row_ranges, run

__all__ = ["applies", "forward", "grad_input", "grad_weight"]


def applies(x: Any, w_shape: Sequence[int], groups: int, channels: int, dtype: Any) -> bool:
    """NumPy arrays, 2 spatial axes, one input channel per group, float work, numba on."""
    return (
        type(x) is np.ndarray
        and len(w_shape) == 4
        and w_shape[1] == 1
        and groups == channels
        and groups > 1
        and np.dtype(dtype) in (np.float32, np.float64)
        and numba_enabled()
    )


def _run(fn: Any, planes: int, per_plane: int, threads: int | None) -> None:
    run(fn, row_ranges(planes, per_plane, threads))


def _plane(x, lows, needed) -> tuple[int, int, int, int]:
    """``(top, left, Hp, Wp)``: where ``x`` sits in the zero plane of
    :func:`nnfunc.kernels.cpu.im2col.pad_input` (no padding when ``lows`` is None)."""
    h, w = x.shape[2:]
    if lows is None:
        return 0, 0, h, w
    return lows[0], lows[1], max(lows[0] + h, needed[0]), max(lows[1] + w, needed[1])


def forward(
    xpad, w, stride, dilation, out, dtype, threads: int | None = None, *, lows=None, needed=None
) -> np.ndarray:
    """``(N, C, Hp, Wp) x (C*m, 1, kh, kw) -> (N, C*m, *out)``; ``xpad`` covers every window,
    or, with ``lows`` and ``needed`` (as :func:`~nnfunc.kernels.cpu.im2col.pad_input`'s), is
    the unpadded input, padded plane by plane inside the kernel."""
    n, c = xpad.shape[:2]
    m = w.shape[0] // c
    geo = _plane(xpad, lows, needed)
    xpad = np.ascontiguousarray(xpad, dtype=dtype)
    wv = np.ascontiguousarray(w.reshape(c, m, *w.shape[2:]), dtype=dtype)
    y = np.empty((n, c, m, *out), dtype)
    # 3x3, stride 1, dilation 1: the kernel specialised for it (2.1x faster)
    name = "forward33" if (*w.shape[2:], *stride, *dilation) == (3, 3, 1, 1, 1, 1) else "forward"
    fn = partial(depthwise_kernels()[name], xpad, wv, y, *stride, *dilation, *geo)
    _run(fn, n * c, m * math.prod(out) * w.shape[2] * w.shape[3], threads)
    return y.reshape(n, c * m, *out)


def grad_input(
    gy, w, stride, dilation, padded, dtype, threads: int | None = None, *, lows=None, sizes=None
) -> np.ndarray:
    """Adjoint of :func:`forward` on the padded input shape ``padded`` ``(N, C, Hp, Wp)``,
    cropped to ``sizes`` from ``lows`` when given (the input gradient proper), else whole."""
    n, c = padded[:2]
    m = w.shape[0] // c
    top, left = (0, 0) if lows is None else lows
    sizes = tuple(padded[2:]) if sizes is None else tuple(sizes)
    g = np.ascontiguousarray(gy, dtype=dtype).reshape(n, c, m, *gy.shape[2:])
    wv = np.ascontiguousarray(w.reshape(c, m, *w.shape[2:]), dtype=dtype)
    gx = np.empty((n, c, *sizes), dtype)  # every cell written by the kernel
    geo = (top, left, *padded[2:])
    fn = partial(depthwise_kernels()["grad_input"], g, wv, gx, *stride, *dilation, *geo)
    _run(fn, n * c, m * math.prod(gy.shape[2:]) * w.shape[2] * w.shape[3], threads)
    return gx


def grad_weight(
    xpad, gy, kernel, stride, dilation, dtype, threads: int | None = None, *, lows=None, needed=None
):
    """Weight gradient ``(C*m, 1, *kernel)`` of :func:`forward` (``lows``, ``needed`` as there)."""
    n, c = xpad.shape[:2]
    m = gy.shape[1] // c
    geo = _plane(xpad, lows, needed)
    xpad = np.ascontiguousarray(xpad, dtype=dtype)
    g = np.ascontiguousarray(gy, dtype=dtype).reshape(n, c, m, *gy.shape[2:])
    part = np.empty((n, c, m, *kernel), dtype)
    fn = partial(depthwise_kernels()["grad_weight"], xpad, g, part, *stride, *dilation, *geo)
    _run(fn, n * c, m * math.prod(gy.shape[2:]) * kernel[0] * kernel[1], threads)
    return part.sum(axis=0).reshape(c * m, 1, *kernel)
