"""Convolution kernels on channel-first arrays: patch GEMM (im2col) and depthwise shifted products.

Every array here is channel-first ``(N, C, *spatial)`` with padding already resolved to
``(low, high)`` pairs. The patch buffer of the GEMM path is built one kernel offset at a time
(one strided slice copy per offset, never a loop over output pixels, samples or groups) and is
chunked over the batch, then over the first output dimension, so that it stays under
:data:`PATCH_BUDGET` bytes whatever the input. Depthwise convolutions (one input channel per
group) skip the GEMM: they are a sum over kernel offsets of shifted elementwise products.

The functions take the array module ``xp`` and work on NumPy and CuPy arrays alike.
"""

from __future__ import annotations

import itertools
import math
import threading
from collections.abc import Iterator, Sequence
from functools import lru_cache
from typing import Any

import numpy as np

__all__ = [
    "PATCH_BUDGET",
    "SCRATCH_KEEP",
    "conv_forward",
    "conv_grad_weight",
    "conv_transpose_forward",
    "offsets",
    "pad_input",
    "scratch",
    "window",
]

#: Largest patch buffer (bytes) the GEMM path allocates at once. Small enough that one chunk of
#: patches stays in the last-level cache between its copy and its GEMM (one buffer is reused for
#: every chunk: fresh large arrays cost page faults); at least one output row is always taken.
PATCH_BUDGET = 8 * 2**20


def offsets(kernel: Sequence[int]) -> list[tuple[int, ...]]:
    """Every kernel offset, in C order."""
    return list(itertools.product(*(range(k) for k in kernel)))


def window(
    offset: Sequence[int],
    stride: Sequence[int],
    dilation: Sequence[int],
    out: Sequence[int],
    start: Sequence[int] | None = None,
) -> tuple[slice, ...]:
    """Slices (over the spatial axes of a padded input) read by kernel offset ``offset``."""
    start = start or (0,) * len(out)
    return tuple(
        slice(b + o * d, b + o * d + (n - 1) * s + 1, s)
        for o, s, d, n, b in zip(offset, stride, dilation, out, start, strict=True)
    )


@lru_cache(maxsize=512)
def _taps_cached(kernel, stride, dil, out, start) -> tuple:
    return tuple((o, window(o, stride, dil, out, start)) for o in offsets(kernel))


def _taps(kernel, stride, dil, out, start=None) -> tuple:
    """``(offset, window(offset, ...))`` for every kernel offset in C order, built once per
    geometry (a training step asks for the same ones every call: ~10 us of slicing per pass)."""
    t = tuple
    return _taps_cached(t(kernel), t(stride), t(dil), t(out), None if start is None else t(start))


def extent(out: Sequence[int], kernel: Sequence[int], stride: Sequence[int], dil: Sequence[int]):
    """Length of padded input that the windows of ``out`` outputs touch, per dimension."""
    return tuple(
        (n - 1) * s + d * (k - 1) + 1 for n, k, s, d in zip(out, kernel, stride, dil, strict=True)
    )


def pad_input(
    xp: Any,
    x: Any,
    lows: Sequence[int],
    needed: Sequence[int],
    dtype: Any,
    value: Any = 0,
) -> Any:
    """``x`` with ``lows`` cells before its last ``len(lows)`` axes and enough after them.

    The result has length ``max(low + L, needed)`` along each padded axis; without padding and
    with the right dtype, ``x`` itself is returned (no copy).
    """
    nsp = len(lows)
    sizes = x.shape[x.ndim - nsp :]
    total = tuple(max(lo + n, need) for lo, n, need in zip(lows, sizes, needed, strict=True))
    if all(lo == 0 for lo in lows) and total == tuple(sizes):
        return x if x.dtype == dtype else x.astype(dtype)
    shape = x.shape[: x.ndim - nsp] + total
    # zeros: calloc'ed (large buffers come zeroed from the OS) where full writes every cell
    zero = type(value) is int and value == 0
    out = xp.zeros(shape, dtype=dtype) if zero else xp.full(shape, value, dtype=dtype)
    inner = tuple(slice(lo, lo + n) for lo, n in zip(lows, sizes, strict=True))
    _copy_rows(out[(Ellipsis, *inner)], x)
    return out


#: Rows below which :func:`_copy_rows` copies element-wise: the row-item views cost ~1 us a
#: call, the element-wise copy ~5 ns a row more (a 1x1x3x3 conv made 10 such copies a call).
ROW_COPY_MIN_ROWS = 256


@lru_cache(maxsize=64)
def _row_item(nbytes: int) -> np.dtype:
    return np.dtype((np.void, nbytes))  # ~0.7 us to build: kept


def _copy_rows(dst: Any, src: Any) -> None:
    """``dst[...] = src``; NumPy arrays of one dtype whose last axes are contiguous copy whole
    rows as single opaque items (NumPy's strided copy costs ~5 ns per inner loop: a
    128x32x4x4 input padded to 6x6 took 86 us element-wise, 26 us row-wise)."""
    if (
        type(dst) is np.ndarray
        and type(src) is np.ndarray
        and dst.dtype == src.dtype
        and dst.ndim >= 1
        and dst.size >= ROW_COPY_MIN_ROWS * dst.shape[-1]
        and dst.size
        and dst.strides[-1] == dst.itemsize
        and src.strides[-1] == src.itemsize
    ):
        row = _row_item(dst.shape[-1] * dst.itemsize)
        dst.view(row)[...] = src.view(row)
        return
    dst[...] = src


def _chunks(n: int, rows: int, row_bytes: int, budget: int) -> Iterator[tuple[int, int, int, int]]:
    """(n0, n1, r0, r1) blocks of samples and output rows whose patch buffer fits ``budget``."""
    sample = row_bytes * rows
    if sample <= budget:
        step = max(1, budget // max(sample, 1))
        for n0 in range(0, n, step):
            yield n0, min(n, n0 + step), 0, rows
        return
    rstep = max(1, budget // max(row_bytes, 1))
    for n0 in range(n):
        for r0 in range(0, rows, rstep):
            yield n0, n0 + 1, r0, min(rows, r0 + rstep)


def _im2col(
    xp: Any, xpad: Any, kernel, stride, dil, out, batch_last: bool = False, buf: Any = None
) -> Any:
    """Patches ``(n, C, *kernel, *out)`` (``batch_last``: ``(C, *kernel, n, *out)``).

    ``buf``: a flat scratch array the patches are written into (reused across chunks).
    """
    n, c = xpad.shape[:2]
    shape = (c, *kernel, n, *out) if batch_last else (n, c, *kernel, *out)
    size = math.prod(shape)
    cols = xp.empty(shape, xpad.dtype) if buf is None else buf[:size].reshape(shape)
    if batch_last:
        src = xpad.swapaxes(0, 1)
        for o, win in _taps(kernel, stride, dil, out):
            _copy_rows(cols[(slice(None), *o)], src[(slice(None), slice(None), *win)])
        return cols
    for o, win in _taps(kernel, stride, dil, out):
        _copy_rows(cols[(slice(None), slice(None), *o)], xpad[(slice(None), slice(None), *win)])
    return cols


#: Largest scratch buffer (bytes) kept per thread and role between calls (:func:`scratch`).
SCRATCH_KEEP = 4 * 2**20

_kept = threading.local()


def scratch(role: str, elems: int, dtype: Any) -> np.ndarray:
    """A flat NumPy scratch array of ``elems`` elements, reused by later calls of this thread
    with the same ``role`` (its content is garbage; never return it or a view of it).

    Why: a fresh buffer of a few hundred KiB or more is mapped from the OS and page-faulted
    cell by cell on its first write on every call (glibc returns it on free): a 128x32x4x4
    Winograd forward spent more time in those faults than in its arithmetic (1.5 ms against
    0.65 ms with the buffers kept). Buffers above :data:`SCRATCH_KEEP` are not kept.
    """
    dtype = np.dtype(dtype)
    nbytes = elems * dtype.itemsize
    if nbytes > SCRATCH_KEEP:
        return np.empty(elems, dtype)
    bufs = _kept.__dict__.setdefault("bufs", {})
    buf = bufs.get(role)
    if buf is None or buf.nbytes < nbytes:
        buf = bufs[role] = np.empty(max(nbytes, 1), np.uint8)
    return buf[:nbytes].view(dtype)


def _scratch(xp: Any, n: int, rows: int, row_elems: int, dtype: Any) -> Any:
    """One flat buffer big enough for the largest chunk :func:`_chunks` yields."""
    row_bytes = row_elems * np.dtype(dtype).itemsize
    most = 0
    for n0, n1, r0, r1 in _chunks(n, rows, row_bytes, PATCH_BUDGET):
        most = max(most, (n1 - n0) * (r1 - r0))
    if xp is np:
        return scratch("im2col", most * row_elems, dtype)
    return xp.empty(most * row_elems, dtype=dtype)


def _is_pointwise(kernel, stride, pads) -> bool:
    return (
        all(k == 1 for k in kernel)
        and all(s == 1 for s in stride)
        and not any(lo or hi for lo, hi in pads)
    )


def conv_forward(
    xp: Any,
    x: Any,
    w: Any,
    stride: Sequence[int],
    pads: Sequence[tuple[int, int]],
    dilation: Sequence[int],
    groups: int,
    out: Sequence[int],
    dtype: Any,
) -> Any:
    """Cross-correlation ``(N, C, *L) x (O, C/groups, *k) -> (N, O, *out)`` in ``dtype``."""
    n, c = x.shape[:2]
    o_ch, cg = w.shape[:2]
    kernel = tuple(w.shape[2:])
    w = w.astype(dtype, copy=False)
    og = o_ch // groups
    p = math.prod(out)
    if _is_pointwise(kernel, stride, pads):
        xs = x.astype(dtype, copy=False).reshape(n, groups, cg, p)
        y = xp.matmul(w.reshape(groups, og, cg), xs)
        return y.reshape(n, o_ch, *out)
    xpad = pad_input(xp, x, [lo for lo, _ in pads], extent(out, kernel, stride, dilation), dtype)
    if cg == 1 and groups > 1:
        return _depthwise_forward(xp, xpad, w, stride, dilation, out, dtype)
    k = math.prod(kernel)
    wmat = w.reshape(groups, og, cg * k)
    y = xp.empty((n, o_ch, *out), dtype=dtype)
    row_elems = c * k * p // max(out[0], 1)
    row_bytes = row_elems * np.dtype(dtype).itemsize
    buf = _scratch(xp, n, out[0], row_elems, dtype)
    for n0, n1, r0, r1 in _chunks(n, out[0], row_bytes, PATCH_BUDGET):
        sub_out = (r1 - r0, *out[1:])
        start = r0 * stride[0]
        stop = start + (r1 - r0 - 1) * stride[0] + dilation[0] * (kernel[0] - 1) + 1
        xs = xpad[n0:n1, :, start:stop]
        cols = _im2col(xp, xs, kernel, stride, dilation, sub_out, buf=buf)
        cols = cols.reshape(n1 - n0, groups, cg * k, math.prod(sub_out))
        if r0 == 0 and r1 == out[0]:
            xp.matmul(wmat, cols, out=y[n0:n1].reshape(n1 - n0, groups, og, p))
        else:
            y[n0:n1, :, r0:r1] = xp.matmul(wmat, cols).reshape(n1 - n0, o_ch, *sub_out)
    return y


def _depthwise_forward(xp, xpad, w, stride, dilation, out, dtype) -> Any:
    n, c = xpad.shape[:2]
    kernel = tuple(w.shape[2:])
    m = w.shape[0] // c
    nsp = len(kernel)
    wv = w.reshape(c, m, math.prod(kernel))  # not -1: m or n may be 0
    y = xp.zeros((n, c, m, *out), dtype=dtype)
    tmp = xp.empty_like(y)
    ones = (1,) * nsp
    for i, (_, win) in enumerate(_taps(kernel, stride, dilation, out)):
        sl = xpad[(slice(None), slice(None), None, *win)]
        xp.multiply(sl, wv[:, :, i].reshape(c, m, *ones), out=tmp)
        y += tmp
    return y.reshape(n, c * m, *out)


def conv_transpose_forward(
    xp: Any,
    gy: Any,
    w: Any,
    stride: Sequence[int],
    pads: Sequence[tuple[int, int]],
    dilation: Sequence[int],
    groups: int,
    sizes: Sequence[int],
    dtype: Any,
) -> Any:
    """Adjoint of :func:`conv_forward`: ``(N, O, *out) -> (N, C, *sizes)`` with ``C = groups*Cg``.

    ``sizes`` is the spatial size of the result (the input size of the forward convolution).
    """
    n, o_ch = gy.shape[:2]
    out = tuple(gy.shape[2:])
    cg = w.shape[1]
    kernel = tuple(w.shape[2:])
    c = cg * groups
    og = o_ch // groups
    w = w.astype(dtype, copy=False)
    gy = gy.astype(dtype, copy=False)
    p = math.prod(out)
    if _is_pointwise(kernel, stride, pads) and tuple(sizes) == out:
        wt = w.reshape(groups, og, cg).swapaxes(1, 2)
        r = xp.matmul(wt, gy.reshape(n, groups, og, p))
        return r.reshape(n, c, *out)
    lows = [lo for lo, _ in pads]
    ext = extent(out, kernel, stride, dilation)
    buf_sizes = tuple(max(lo + s, e) for lo, s, e in zip(lows, sizes, ext, strict=True))
    buf = xp.zeros((n, c, *buf_sizes), dtype=dtype)
    if cg == 1 and groups > 1:
        _depthwise_transpose(xp, gy, w, stride, dilation, buf)
    else:
        k = math.prod(kernel)
        wt = w.reshape(groups, og, cg * k).swapaxes(1, 2)
        row_elems = c * k * p // max(out[0], 1)
        row_bytes = row_elems * np.dtype(dtype).itemsize
        scratch = _scratch(xp, n, out[0], row_elems, dtype)
        for n0, n1, r0, r1 in _chunks(n, out[0], row_bytes, PATCH_BUDGET):
            sub_out = (r1 - r0, *out[1:])
            q = math.prod(sub_out)
            g = gy[n0:n1, :, r0:r1].reshape(n1 - n0, groups, og, q)
            cols = scratch[: (n1 - n0) * c * k * q].reshape(n1 - n0, groups, cg * k, q)
            xp.matmul(wt, g, out=cols)
            cols = cols.reshape(n1 - n0, c, *kernel, *sub_out)
            start = r0 * stride[0]
            target = buf[n0:n1]
            taps = _taps(kernel, stride, dilation, sub_out, (start,) + (0,) * (len(out) - 1))
            for o, sl in taps:
                target[(slice(None), slice(None), *sl)] += cols[(slice(None), slice(None), *o)]
    inner = tuple(slice(lo, lo + s) for lo, s in zip(lows, sizes, strict=True))
    return buf[(slice(None), slice(None), *inner)]


def _depthwise_transpose(xp, gy, w, stride, dilation, buf) -> None:
    n, c = buf.shape[:2]
    out = tuple(gy.shape[2:])
    kernel = tuple(w.shape[2:])
    m = w.shape[0] // c
    nsp = len(kernel)
    wv = w.reshape(c, m, math.prod(kernel))  # not -1: m or n may be 0
    g = gy.reshape(n, c, m, *out)
    ones = (1,) * nsp
    tmp = xp.empty((n, c, *out), dtype=buf.dtype) if m == 1 else None
    for i, (_, win) in enumerate(_taps(kernel, stride, dilation, out)):
        target = buf[(slice(None), slice(None), *win)]
        if m == 1:
            xp.multiply(g[:, :, 0], wv[:, 0, i].reshape(c, *ones), out=tmp)
            target += tmp
        else:
            target += (g * wv[:, :, i].reshape(c, m, *ones)).sum(axis=2)


def conv_grad_weight(
    xp: Any,
    x: Any,
    gy: Any,
    kernel: Sequence[int],
    stride: Sequence[int],
    pads: Sequence[tuple[int, int]],
    dilation: Sequence[int],
    groups: int,
    dtype: Any,
) -> Any:
    """Gradient of :func:`conv_forward` with respect to the weight: ``(O, C/groups, *kernel)``."""
    n, c = x.shape[:2]
    o_ch = gy.shape[1]
    out = tuple(gy.shape[2:])
    kernel = tuple(kernel)
    cg = c // groups
    og = o_ch // groups
    k = math.prod(kernel)
    p = math.prod(out)
    gy = gy.astype(dtype, copy=False)
    if _is_pointwise(kernel, stride, pads):
        xs = x.astype(dtype, copy=False).reshape(n, groups, cg, p)
        g = gy.reshape(n, groups, og, p)
        r = xp.matmul(g, xs.swapaxes(-1, -2)).sum(axis=0)
        return r.reshape(o_ch, cg, *kernel)
    xpad = pad_input(xp, x, [lo for lo, _ in pads], extent(out, kernel, stride, dilation), dtype)
    if cg == 1 and groups > 1:
        return _depthwise_grad_weight(xp, xpad, gy, kernel, stride, dilation)
    gw = xp.zeros((groups, og, cg * k), dtype=dtype)
    row_elems = c * k * p // max(out[0], 1)
    row_bytes = row_elems * np.dtype(dtype).itemsize
    buf = _scratch(xp, n, out[0], row_elems, dtype)
    for n0, n1, r0, r1 in _chunks(n, out[0], row_bytes, PATCH_BUDGET):
        sub_out = (r1 - r0, *out[1:])
        start = r0 * stride[0]
        stop = start + (r1 - r0 - 1) * stride[0] + dilation[0] * (kernel[0] - 1) + 1
        xs = xpad[n0:n1, :, start:stop]
        cols = _im2col(xp, xs, kernel, stride, dilation, sub_out, True, buf=buf)
        q = (n1 - n0) * math.prod(sub_out)
        cols = cols.reshape(groups, cg * k, q)
        g = gy[n0:n1, :, r0:r1].reshape(n1 - n0, groups, og, math.prod(sub_out))  # og may be 0
        g = xp.ascontiguousarray(g.transpose(1, 2, 0, 3)).reshape(groups, og, q)
        if cg * k >= og:  # the long axis q as the inner dimension of both operands' rows:
            # (cols @ g^T)^T is 1.1-1.5x faster in OpenBLAS here than g @ cols^T
            gw += xp.matmul(cols, g.swapaxes(1, 2)).swapaxes(1, 2)
        else:
            gw += xp.matmul(g, cols.swapaxes(1, 2))
    return gw.reshape(o_ch, cg, *kernel)


def _depthwise_grad_weight(xp, xpad, gy, kernel, stride, dilation) -> Any:
    n, c = xpad.shape[:2]
    out = tuple(gy.shape[2:])
    m = gy.shape[1] // c
    g = gy.reshape(n, c, m, math.prod(out))  # not -1: m or n may be 0
    gw = xp.empty((c, m, math.prod(kernel)), dtype=gy.dtype)
    for i, (_, win) in enumerate(_taps(kernel, stride, dilation, out)):
        sl = xpad[(slice(None), slice(None), *win)]
        sl = sl.reshape(n, c, 1, math.prod(out))
        # batched (c*m) dot products over samples and positions
        gw[:, :, i] = xp.einsum("ncmp,ncjp->cm", g, sl)
    return gw.reshape(c * m, 1, *kernel)
