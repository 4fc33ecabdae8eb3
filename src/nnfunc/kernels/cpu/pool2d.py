"""2-D max and sum pooling, forward and backward: numba kernels over planes on the thread pool.

Inputs are channel-first with any leading axes, NOT padded: they are viewed as ``(P, H, W)``
planes, the windows start at ``i * sh - ph, j * sw - pw``, and cells outside the plane are
skipped (``-inf`` padding for a maximum, zero padding for a sum), so no padded copy is made.
One thread owns each plane: every array a plane writes belongs to it, no shared accumulation.

* Max pooling: the forward writes the maxima (NaN propagates, as ``numpy.maximum``) and the
  offset ``a * kw + b`` of each window's FIRST maximum (C order) among the cells of the input
  (padding never wins; -2 for a window holding a NaN: no gradient). The backward is a gather
  from that saved argmax: each row of the input gradient is built from the windows covering
  it (``gy`` where the argmax names the cell), in cache, written once. Its adjoint
  (:func:`max_pool2d_arg_take`, for double backward) reads a gradient at each argmax.
* Sum and average pooling: window sums times a per-window scale (the average's ``1 /
  divisor``), and the adjoint, gathered per input row the same way.

Every window must hold at least one cell of the input (``Geometry`` rejects padding that
leaves a window with none). The ``*_numpy`` functions are the NumPy twins of the numba
kernels (same signatures, whole planes at once through :mod:`nnfunc.kernels.cpu.pool`);
:func:`applies` says when the numba path is taken (float NumPy arrays, numba enabled).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from nnfunc.core.backend import numba_enabled
from nnfunc.kernels.cpu import pool as K
from nnfunc.kernels.cpu._jit import pool2d_tile_kernels, pool2d_x_kernels
from nnfunc.kernels.cpu._threads import row_ranges, run
from nnfunc.kernels.cpu.im2col import pad_input

__all__ = [
    "applies",
    "index_dtype",
    "max_pool2d",
    "max_pool2d_arg",
    "max_pool2d_arg22_rows_numpy",
    "max_pool2d_arg_grad",
    "max_pool2d_arg_grad_numpy",
    "max_pool2d_arg_numpy",
    "max_pool2d_arg_take",
    "max_pool2d_arg_take_numpy",
    "max_pool2d_grad22_rows_numpy",
    "max_pool2d_match",
    "max_pool2d_match_numpy",
    "max_pool2d_numpy",
    "sum_pool2d",
    "sum_pool2d_adjoint",
    "sum_pool2d_adjoint_numpy",
    "sum_pool2d_numpy",
    "tiles22",
]


def applies(x: Any, kernel) -> bool:
    """Whether the numba kernels take this call: NumPy float arrays, 2 window axes, numba on."""
    return (
        type(x) is np.ndarray
        and len(kernel) == 2
        and x.dtype in (np.float32, np.float64)
        and numba_enabled()
    )


def index_dtype(kernel) -> np.dtype:
    """The argmax's dtype: int8 for windows of up to 127 cells, else int32."""
    return np.dtype(np.int8 if kernel[0] * kernel[1] <= 127 else np.int32)


# ---------------------------------------------------------------------------- NumPy twins
def max_pool2d_numpy(xpad, y, kh, kw, sh, sw, p0, p1) -> None:
    """NumPy twin of ``_jit._max_pool2d_padded``: ``y[p0:p1]`` from the padded ``xpad``."""
    y[p0:p1] = K.window_max(np, xpad[p0:p1], (kh, kw), (sh, sw), (1, 1), y.shape[1:])


def _geometry(kh, kw, sh, sw, ph, pw, out, size):
    lows = (ph, pw)
    needed = ((out[0] - 1) * sh + kh, (out[1] - 1) * sw + kw)
    padded = tuple(max(lo + n, e) for lo, n, e in zip(lows, size, needed, strict=True))
    return lows, needed, padded


def _views(kh, kw, sh, sw, out):
    for a in range(kh):
        for b in range(kw):
            yield (
                a * kw + b,
                (
                    Ellipsis,
                    slice(a, a + (out[0] - 1) * sh + 1, sh),
                    slice(b, b + (out[1] - 1) * sw + 1, sw),
                ),
            )


def max_pool2d_arg_numpy(x, y, idx, kh, kw, sh, sw, ph, pw, p0, p1) -> None:
    """NumPy twin of ``_jit._max_pool2d_arg``: ``y[p0:p1]`` and ``idx[p0:p1]`` from ``x``."""
    xs = x[p0:p1]
    out = y.shape[1:]
    lows, needed, _ = _geometry(kh, kw, sh, sw, ph, pw, out, xs.shape[1:])
    xpad = pad_input(np, xs, lows, needed, xs.dtype, 0)
    inside = pad_input(np, np.ones((1, *xs.shape[1:]), bool), lows, needed, bool, False)
    m = np.zeros((p1 - p0, *out), xs.dtype)
    t = np.full(m.shape, -1, idx.dtype)
    with np.errstate(invalid="ignore"):
        for code, view in _views(kh, kw, sh, sw, out):
            v, ok = xpad[view], inside[view]
            nan = ok & (v != v)
            take = (ok & ((t == -1) | (v > m))) | nan
            m = np.where(take, v, m)
            t = np.where(nan, -2, np.where(take, code, t)).astype(idx.dtype)
    y[p0:p1] = m
    idx[p0:p1] = t


def max_pool2d_match_numpy(x, y, idx, kh, kw, sh, sw, ph, pw, p0, p1) -> None:
    """NumPy twin of ``_jit._max_pool2d_match``: the argmax of ``x[p0:p1]`` (``y`` is its
    maximum, so the argmax from ``x`` alone is the same)."""
    max_pool2d_arg_numpy(x, np.empty_like(y), idx, kh, kw, sh, sw, ph, pw, p0, p1)


def max_pool2d_arg_grad_numpy(idx, gy, gx, kh, kw, sh, sw, ph, pw, p0, p1) -> None:
    """NumPy twin of ``_jit._max_pool2d_arg_grad``: ``gx[p0:p1]`` from ``idx``, ``gy``."""
    out = gy.shape[1:]
    _, _, padded = _geometry(kh, kw, sh, sw, ph, pw, out, gx.shape[1:])
    buf = np.zeros((p1 - p0, *padded), gx.dtype)
    for code, view in _views(kh, kw, sh, sw, out):
        buf[view] += np.where(idx[p0:p1] == code, gy[p0:p1], 0)
    gx[p0:p1] = buf[:, ph : ph + gx.shape[1], pw : pw + gx.shape[2]]


def max_pool2d_grad22_rows_numpy(idx, gy, gx, q0, q1) -> None:
    """NumPy twin of ``_jit._max_pool2d_grad22_rows``: rows ``q0:q1`` of ``gx (Q, 2, W)``
    from ``idx``, ``gy`` ``(Q, W / 2)`` (2x2 windows of stride 2 tiling the planes)."""
    i, g = idx[q0:q1], gy[q0:q1]
    zero = gx.dtype.type(0)
    for code, (a, b) in enumerate(((0, 0), (0, 1), (1, 0), (1, 1))):
        gx[q0:q1, a, b::2] = np.where(i == code, g, zero)


def max_pool2d_arg22_rows_numpy(x, y, idx, q0, q1) -> None:
    """NumPy twin of ``_jit._max_pool2d_arg22_rows``: rows ``q0:q1`` of ``y``, ``idx`` ``(Q,
    W / 2)`` from ``x (Q, 2, W)`` (2x2 windows of stride 2 tiling the planes)."""
    cells = [x[q0:q1, a, b::2] for a, b in ((0, 0), (0, 1), (1, 0), (1, 1))]
    m = cells[0]
    t = np.zeros(m.shape, idx.dtype)
    for code in (1, 2, 3):
        g = cells[code] > m
        m = np.where(g, cells[code], m)
        t = np.where(g, idx.dtype.type(code), t)
    nan = np.isnan(cells[0]) | np.isnan(cells[1]) | np.isnan(cells[2]) | np.isnan(cells[3])
    total = cells[0] + cells[1] + cells[2] + cells[3]
    y[q0:q1] = np.where(nan, total, m)
    idx[q0:q1] = np.where(nan, idx.dtype.type(-2), t)


def max_pool2d_arg_take_numpy(g, idx, out_, kh, kw, sh, sw, ph, pw, p0, p1) -> None:
    """NumPy twin of ``_jit._max_pool2d_arg_take``: ``out_[p0:p1]`` read from ``g``."""
    out = out_.shape[1:]
    lows, needed, _ = _geometry(kh, kw, sh, sw, ph, pw, out, g.shape[1:])
    gpad = pad_input(np, g[p0:p1], lows, needed, g.dtype, 0)
    res = np.zeros((p1 - p0, *out), out_.dtype)
    for code, view in _views(kh, kw, sh, sw, out):
        res += np.where(idx[p0:p1] == code, gpad[view], 0)
    out_[p0:p1] = res


def sum_pool2d_numpy(x, y, scale, kh, kw, sh, sw, ph, pw, p0, p1) -> None:
    """NumPy twin of ``_jit._sum_pool2d_x``: ``y[p0:p1] = scale * window sums``."""
    out = y.shape[1:]
    lows, needed, _ = _geometry(kh, kw, sh, sw, ph, pw, out, x.shape[1:])
    xpad = pad_input(np, x[p0:p1], lows, needed, x.dtype, 0)
    y[p0:p1] = K.window_sum(np, xpad, (kh, kw), (sh, sw), out, y.dtype) * scale


def sum_pool2d_adjoint_numpy(g, gx, scale, kh, kw, sh, sw, ph, pw, p0, p1) -> None:
    """NumPy twin of ``_jit._sum_pool2d_x_adjoint``: ``gx[p0:p1]`` from ``g * scale``."""
    out = g.shape[1:]
    _, _, padded = _geometry(kh, kw, sh, sw, ph, pw, out, gx.shape[1:])
    gs = (g[p0:p1] * scale).astype(gx.dtype, copy=False)
    buf = K.window_sum_transpose(np, gs, (kh, kw), (sh, sw), out, (p1 - p0, *padded))
    gx[p0:p1] = buf[:, ph : ph + gx.shape[1], pw : pw + gx.shape[2]]


# ---------------------------------------------------------------------------- dispatch
def _planes(a: Any) -> np.ndarray:
    return np.ascontiguousarray(a).reshape((-1, *a.shape[-2:]))


def _pick(name: str, twin: Any, use_numba: Any) -> Any:
    if use_numba is False or (use_numba is None and not numba_enabled()):
        return twin
    return pool2d_x_kernels()[name]


def _go(fn: Any, planes: int, per: int, threads: int | None, *args: Any) -> None:
    run(lambda a, b: fn(*args, a, b), row_ranges(planes, per, threads))


def tiles22(kernel, stride, lows, out, size) -> bool:
    """2x2 windows, stride 2, no padding, all inside the input: the specialised kernels."""
    return (
        tuple(kernel) == (2, 2)
        and tuple(stride) == (2, 2)
        and tuple(lows) == (0, 0)
        and 2 * out[0] <= size[0]
        and 2 * out[1] <= size[1]
    )


def max_pool2d(xpad, kernel, stride, out, threads=None, use_numba=None):
    """Window maxima ``(*lead, *out)`` of ``xpad (*lead, Hp, Wp)``, padded with -inf to cover
    every window; no argmax (the forward of the geometries whose argmax kernel is slow: the
    gradient computes the argmax when it runs)."""
    x3 = _planes(xpad)
    y = np.empty((x3.shape[0], *out), xpad.dtype)
    fn = _pick("max_padded", max_pool2d_numpy, use_numba)
    per = math.prod(out) * kernel[0] * kernel[1]
    _go(fn, x3.shape[0], per, threads, x3, y, *kernel, *stride)
    return y.reshape((*xpad.shape[:-2], *out))


def max_pool2d_arg(x, kernel, stride, lows, out, threads=None, use_numba=None):
    """Window maxima ``(*lead, *out)`` of ``x (*lead, H, W)`` and the argmax (same shape,
    :func:`index_dtype`): the offset of each window's first maximum, -2 for NaN windows."""
    x3 = _planes(x)
    y = np.empty((x3.shape[0], *out), x.dtype)
    idx = np.empty(y.shape, index_dtype(kernel))
    fn = _pick("max", max_pool2d_arg_numpy, use_numba)
    per = math.prod(out) * kernel[0] * kernel[1]
    if fn is not max_pool2d_arg_numpy and tiles22(kernel, stride, lows, out, x.shape[-2:]):
        ho, wo = out
        if x3.shape[1] == 2 * ho and x3.shape[2] == 2 * wo:  # exact tiles: rows of windows
            rows = x3.shape[0] * ho
            args = (x3.reshape(rows, 2, 2 * wo), y.reshape(rows, wo), idx.reshape(rows, wo))
            # float32 rows of <= 4 windows: one flat vectorised loop, 1.3-4x faster
            name = "max22_flat" if x.dtype == np.float32 and wo <= 4 else "max22_rows"
            # work = the input's elements (4 * wo a row pair): the 16 * wo used before split
            # 128x16x8x8 (131k elements) into 8 ranges, 2 threads wall 85 vs 45 us inline
            _go(pool2d_tile_kernels()[name], rows, 4 * wo, threads, *args)
        else:
            _go(pool2d_x_kernels()["max22"], x3.shape[0], per, threads, x3, y, idx)
    else:
        _go(fn, x3.shape[0], per, threads, x3, y, idx, *kernel, *stride, *lows)
    lead = x.shape[:-2]
    return y.reshape((*lead, *out)), idx.reshape((*lead, *out))


def max_pool2d_match(x, y, kernel, stride, lows, threads=None, use_numba=None):
    """The argmax of :func:`max_pool2d_arg` for ``x (*lead, H, W)`` whose window maxima ``y``
    are known (the gradient of the forward that kept none)."""
    x3, y3 = _planes(x), _planes(y)
    idx = np.empty(y3.shape, index_dtype(kernel))
    fn = _pick("match", max_pool2d_match_numpy, use_numba)
    per = math.prod(y3.shape[1:]) * kernel[0] * kernel[1]
    _go(fn, x3.shape[0], per, threads, x3, y3, idx, *kernel, *stride, *lows)
    return idx.reshape(y.shape)


def max_pool2d_arg_grad(idx, gy, size, kernel, stride, lows, threads=None, use_numba=None):
    """Gradient ``(*lead, *size)`` of the input: ``gy`` at each window's argmax (a gather)."""
    i3, g3 = _planes(idx), _planes(gy)
    gx = np.empty((g3.shape[0], *size), gy.dtype)
    fn = _pick("max_grad", max_pool2d_arg_grad_numpy, use_numba)
    per = math.prod(size) * kernel[0] * kernel[1]
    if fn is not max_pool2d_arg_grad_numpy and tiles22(kernel, stride, lows, g3.shape[1:], size):
        ho, wo = g3.shape[1:]
        if size[0] == 2 * ho and size[1] == 2 * wo:  # exact tiles: rows of window pairs
            rows = g3.shape[0] * ho
            args = (i3.reshape(rows, wo), g3.reshape(rows, wo), gx.reshape(rows, 2, 2 * wo))
            name = "max_grad22_rows"
            if gx.dtype == np.float32:  # on bits, a cell pair per uint64: 1.2-4x faster
                name = "max_grad22_pairs"
                args = (args[0], args[1].view(np.uint32), args[2].view(np.uint64))
            # work = gx's elements (as the forward's: 81 vs 70 us inline at 128x16x8x8)
            _go(pool2d_tile_kernels()[name], rows, 4 * wo, threads, *args)
        else:
            _go(pool2d_x_kernels()["max_grad22"], g3.shape[0], per, threads, i3, g3, gx)
    else:
        _go(fn, g3.shape[0], per, threads, i3, g3, gx, *kernel, *stride, *lows)
    return gx.reshape((*gy.shape[:-2], *size))


def max_pool2d_arg_take(g, idx, kernel, stride, lows, threads=None, use_numba=None):
    """``g (*lead, H, W)`` read at each window's argmax: ``(*lead, *out)`` (0 for NaN windows)."""
    g3, i3 = _planes(g), _planes(idx)
    res = np.empty(i3.shape, g.dtype)
    fn = _pick("max_take", max_pool2d_arg_take_numpy, use_numba)
    _go(fn, g3.shape[0], math.prod(i3.shape[1:]), threads, g3, i3, res, *kernel, *stride, *lows)
    return res.reshape(idx.shape)


def _scale2d(scale: Any, dtype: Any) -> np.ndarray:
    s = np.ones((1, 1)) if scale is None else np.asarray(scale, np.float64)
    return np.ascontiguousarray(s.reshape((1, 1) if s.size == 1 else s.shape[-2:]), dtype=dtype)


def sum_pool2d(x, kernel, stride, lows, out, scale=None, threads=None, use_numba=None):
    """``scale * window sums`` ``(*lead, *out)`` of ``x (*lead, H, W)`` (in x's dtype;
    ``scale``: None, a number or an ``out``-shaped array)."""
    x3 = _planes(x)
    y = np.empty((x3.shape[0], *out), x.dtype)
    fn = _pick("sum", sum_pool2d_numpy, use_numba)
    per = math.prod(out) * kernel[0] * kernel[1]
    _go(fn, x3.shape[0], per, threads, x3, y, _scale2d(scale, x.dtype), *kernel, *stride, *lows)
    return y.reshape((*x.shape[:-2], *out))


def sum_pool2d_adjoint(g, size, kernel, stride, lows, scale=None, threads=None, use_numba=None):
    """Adjoint of :func:`sum_pool2d`: ``(*lead, *size)``, each cell the sum of ``g * scale``
    over the windows covering it."""
    g3 = _planes(g)
    gx = np.empty((g3.shape[0], *size), g.dtype)
    fn = _pick("sum_adjoint", sum_pool2d_adjoint_numpy, use_numba)
    per = math.prod(size) * kernel[0] * kernel[1]
    _go(fn, g3.shape[0], per, threads, g3, gx, _scale2d(scale, g.dtype), *kernel, *stride, *lows)
    return gx.reshape((*g.shape[:-2], *size))
