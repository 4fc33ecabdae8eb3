"""Bilinear resampling of image batches with border clamping (image_augmentation).

``bilinear(x, xs, ys)``: ``x (B, C, H, W)``, sampling coordinates ``xs, ys (B, Ho, Wo)`` in
pixels; returns ``(B, C, Ho, Wo)`` with ``y[b, c, i, j]`` interpolated from the 4 pixels around
``(ys, xs)[b, i, j]``, coordinates clamped to ``[0, W - 1] x [0, H - 1]`` (so outside the image
the nearest border pixel is repeated); a NaN coordinate gives NaN. Two implementations with one
signature and the same results:

* :func:`bilinear_numba`: a numba loop over images, pixels and channels
  (:mod:`nnfunc.kernels.cpu._jit`), images split over threads (:mod:`._threads`);
* :func:`bilinear_numpy`: NumPy (or CuPy) gathers of the 4 taps, whole batch at once.

:func:`bilinear` picks numba for NumPy arrays when :func:`nnfunc.core.backend.numba_enabled`.
Work is in float32 for float16/float32 input, float64 for float64.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nnfunc.core.backend import get_array_module, numba_enabled
from nnfunc.kernels.cpu import _jit
from nnfunc.kernels.cpu._threads import row_ranges, run

__all__ = ["bilinear", "bilinear_numba", "bilinear_numpy"]


def _work(x: Any) -> np.dtype:
    return np.dtype(np.float64) if x.dtype == np.float64 else np.dtype(np.float32)


def bilinear_numpy(x: Any, xs: Any, ys: Any, threads: int | None = None) -> Any:
    """Bilinear sampling with border clamping, NumPy twin (``threads`` ignored)."""
    xp = get_array_module(x)
    dt = _work(x)
    b, c, h, w = x.shape
    ho, wo = xs.shape[1], xs.shape[2]
    xs = xs.astype(dt, copy=False)
    ys = ys.astype(dt, copy=False)
    nan = xp.isnan(xs) | xp.isnan(ys)
    u = xp.clip(xp.where(nan, 0, xs), 0, w - 1)
    v = xp.clip(xp.where(nan, 0, ys), 0, h - 1)
    x0 = xp.floor(u).astype(np.intp)
    y0 = xp.floor(v).astype(np.intp)
    fx = (u - x0).astype(dt)[:, None].reshape(b, 1, ho * wo)
    fy = (v - y0).astype(dt)[:, None].reshape(b, 1, ho * wo)
    x1 = xp.minimum(x0 + 1, w - 1)
    y1 = xp.minimum(y0 + 1, h - 1)
    flat = x.astype(dt, copy=False).reshape(b, c, h * w)

    def tap(yy: Any, xx: Any) -> Any:
        idx = (yy * w + xx).reshape(b, 1, ho * wo)
        return xp.take_along_axis(flat, xp.broadcast_to(idx, (b, c, ho * wo)), axis=2)

    top = tap(y0, x0) * (1 - fx) + tap(y0, x1) * fx
    bottom = tap(y1, x0) * (1 - fx) + tap(y1, x1) * fx
    out = top * (1 - fy) + bottom * fy
    out = xp.where(nan.reshape(b, 1, ho * wo), xp.asarray(np.nan, dt), out)
    return out.reshape(b, c, ho, wo)


def bilinear_numba(x: Any, xs: Any, ys: Any, threads: int | None = None) -> Any:
    """Bilinear sampling with border clamping, numba kernel (NumPy arrays only)."""
    dt = _work(x)
    src = np.ascontiguousarray(x, dtype=dt)
    xs = np.ascontiguousarray(xs, dtype=dt)
    ys = np.ascontiguousarray(ys, dtype=dt)
    b, c = src.shape[:2]
    out = np.empty((b, c, xs.shape[1], xs.shape[2]), dt)
    kernel = _jit.resample_kernels()["bilinear_rows"]
    per_image = c * xs.shape[1] * xs.shape[2] * 4
    run(lambda s, e: kernel(src, xs, ys, out, s, e), row_ranges(b, per_image, threads))
    return out


def bilinear(x: Any, xs: Any, ys: Any, threads: int | None = None) -> Any:
    """Bilinear sampling with border clamping: numba kernel or NumPy twin."""
    if type(x) is np.ndarray and numba_enabled() and x.size and xs.size:
        return bilinear_numba(x, xs, ys, threads)
    return bilinear_numpy(x, xs, ys, threads)
