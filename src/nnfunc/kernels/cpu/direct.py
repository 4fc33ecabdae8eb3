"""Direct stride-1 2-D convolution for small channel counts and small images: forward, input
gradient and weight gradient as numba loops over flattened padded planes, samples split over
the thread pool (:mod:`nnfunc.kernels.cpu._threads`).

The patch GEMM (:mod:`nnfunc.kernels.cpu.im2col`) copies ``C * kh * kw`` shifted rows per
output pixel before its GEMM; for a few channels and small images that copy (NumPy strided
copies of rows only 4-32 wide) and the GEMM's packing cost more than the arithmetic. Here each
input plane ``(Hp, Wp)`` is read as one flat row: output pixel ``(r, s)`` is position
``r * Wp + s`` and tap ``(i, j)`` reads it at offset ``i * dh * Wp + j * dw``, so every tap is
one contiguous multiply-add over the plane (the ``Wp - Wo`` columns past each row are computed
and dropped). The input gradient is the same forward loop on ``gy`` padded by
``d * (k - 1) - low`` with the flipped, transposed filter. The weight gradient is one dot
product per (sample range, filter, channel, tap), summed over the thread ranges afterwards.

Kernels: ``_sc_forward`` and ``_sc_grad_weight`` in :mod:`nnfunc.kernels.cpu._jit`, with the
NumPy twins :func:`forward_rows` and :func:`grad_weight_rows` of the same signatures (used when
numba is off, and by the tests). Which convolutions come here is decided in
:mod:`nnfunc.kernels.cpu.conv_dispatch`.

The blocked kernels (:func:`forward_blocked`, :func:`grad_weight_blocked`; numba
``_sc3_forward``/``_sc3_grad_weight``, NumPy twins :func:`blocked_rows` and
:func:`blocked_grad_weight_rows`) supersede the first two where :func:`blocked_applies` holds:
they pad in the kernel, a block of samples at a time, into one scratch row per channel whose
planes share their zeros (a 32x32 image padded by one takes 33x33 cells), so that every tap is
one long contiguous multiply-add over the whole block (32-wide rows alone are too short for
LLVM's vector loops), and apply four filters x three taps per pass (the forward's sums in
memory, the weight gradient's twelve running sums in registers): ~80-90 GFLOP/s on one core
here against ~45 for the one-filter kernels and 50-100 for the patch GEMM, which also pays for
its patch copies. The input gradient is the blocked forward of ``gy`` with the flipped,
transposed filter.

On tiny images (shared-zero planes more than :data:`BATCH_LANES_WASTE` times the outputs: a 4x4
image padded by one computes 25 cells per 16 outputs) the forward and the weight gradient put
the samples of a block in the vector lanes instead (numba ``_sc4_forward_bl`` /
``_sc4_grad_weight_bl``, the same NumPy twins): the block is transposed into ``(C, hp, wp * nb)``
with the sample innermost, so that an output row of every sample is one contiguous run with no
dropped positions; the sums are transposed back at the end.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from nnfunc.core.backend import numba_enabled
from nnfunc.kernels.cpu import im2col
from nnfunc.kernels.cpu._jit import (
    batch_lanes_conv_kernels,
    blocked_conv_kernels,
    small_conv_kernels,
)
from nnfunc.kernels.cpu._threads import num_threads, row_ranges, run

__all__ = [
    "BATCH_LANES",
    "BATCH_LANES_BYTES",
    "BATCH_LANES_WASTE",
    "BLOCK_CELLS",
    "MAX_CHANNELS",
    "MAX_PLANE",
    "MAX_PRODUCT",
    "MAX_WASTE",
    "MIN_BLOCK_OUT",
    "MIN_WIDTH",
    "SERIAL_WORK",
    "applies",
    "blocked_applies",
    "blocked_grad_weight_rows",
    "blocked_rows",
    "forward",
    "forward_blocked",
    "forward_rows",
    "grad_input",
    "grad_weight",
    "grad_weight_blocked",
    "grad_weight_rows",
]


#: Input channels (of the convolution, not of the pass) up to which the gradients come here.
MAX_CHANNELS = 4
#: Output rows at least this wide (shorter rows: the dropped columns and loop tails dominate).
MIN_WIDTH = 16


def applies(x: Any, kernel, stride, groups: int, channels: int, width: int, dtype: Any) -> bool:
    """NumPy arrays, 2 spatial axes, stride 1, one group, few channels, wide rows, numba on."""
    return (
        type(x) is np.ndarray
        and len(kernel) == 2
        and tuple(stride) == (1, 1)
        and groups == 1
        and channels <= MAX_CHANNELS
        and width >= MIN_WIDTH
        and np.dtype(dtype) in (np.float32, np.float64)
        and numba_enabled()
    )


#: Padded cells a sample block of the blocked forward aims at (its scratch and accumulators
#: stay in L1/L2; shorter blocks leave LLVM's 64-lane vector loop mostly unused).
BLOCK_CELLS = 2048
#: Multiply-adds (padded) below which the blocked kernels run on the calling thread: a pool
#: round trip costs more than it saves there (8x3x32x32, 3 -> 16, 4.0e6 multiply-adds, wall
#: us min/median, 2 threads, load 4.3: forward 91/93 one thread, 119/145 two ranges, 103/142
#: eight ranges; PyTorch with 2 threads 101/107).
SERIAL_WORK = 1 << 24
#: Multiply-adds from which a pass below :data:`SERIAL_WORK` is still split, in exactly one
#: equal sample range per thread (no load-balancing ranges: the batch-lanes kernels lose on
#: short blocks, and each range is a pool round trip). 2 threads, wall us, inline / 2 ranges:
#: 128x16x4x4 16 -> 32 (9.4e6) forward 274 / 194, input gradient 304 / 209, weight gradient
#: 288 / 209; 128x1x8x8 1 -> 16 (1.2e6) forward 75 / 92, weight gradient 82 / 99.
SPLIT_WORK = 1 << 22
#: Output channels (of the pass) from which the blocked kernel computes the input gradient (it
#: computes four at a time: with one or two the old pair kernel is faster, 8x1x64x64 input
#: gradient 320 / 476 us).
MIN_BLOCK_OUT = 3
#: Scratch plane / output plane above which the blocked kernels are not used (4x4 images with
#: a one-cell border share 5x5 planes: 1.56; unpadded ones, 2x2 outputs of 4x4 planes: 4).
MAX_WASTE = 1.6
#: Plane cells above which the blocked kernels are not used (each pass streams the block's
#: planes: 1x3x1024x1024, 3 -> 32, ran memory-bound, input gradient 2.1x and weight gradient
#: 1.6x the patch GEMM's time; 512x512 was still 0.5-0.6x).
MAX_PLANE = 1 << 19
#: Input x output channels up to which a pass with more than :data:`MAX_CHANNELS` input
#: channels comes here (one thread, CPU time, blocked / Winograd or patch GEMM: 128x16x4x4,
#: 16 -> 32: forward 1.00, input gradient (32 -> 16) 0.58, weight gradient 0.80; 16x16x16x16,
#: 16 -> 16: 0.69, 0.68, 0.75; 2x16x56x56: 0.67, 0.69, 0.69; 32 -> 32 on 4x4 images lost:
#: 1.07, 1.06, 0.95; 64 -> 64 on 28x28 lost: 1.06, 1.10, 0.91).
MAX_PRODUCT = 512


#: Shared-zero plane / output plane above which the forward and the weight gradient put the
#: samples in the vector lanes (``_sc4_forward_bl``, ``_sc4_grad_weight_bl``: no dropped
#: positions, at the cost of transposing in and out; one thread, CPU us, ``_sc4`` / ``_sc3``:
#: 128x16x4x4 16 -> 32 (1.56) forward 296-310 / 355, weight gradient 303 / 388; 128x32x4x4
#: 32 -> 16 451 / 491; 128x32x2x2 (2.25) 170 / 328, 169 / 270; lost at 1.27: 128x16x8x8
#: 16 -> 16 forward 663 / 552, 128x1x8x8 1 -> 16 weight gradient 169 / 75).
BATCH_LANES_WASTE = 1.4
#: Lanes (output columns x samples) a row of the batch-lanes kernels aims at, and the bytes
#: their transposed input block may take (one thread, CPU us, 4x4 images, 32 / 64 / 128
#: samples a block: 128x16, 16 -> 32 forward 302 / 269 / 263, weight gradient 323 / 287 /
#: 277; 128x32, 32 -> 16 (the input gradient) 315 / 293 / 289; 128x64, 64 -> 8 397 / 371 /
#: 383: a 128-sample block of 64 channels, 1.2 MB, no longer pays).
BATCH_LANES = 512
BATCH_LANES_BYTES = 640 << 10


def _lanes_block(n: int, c: int, ext, out, itemsize: int, ranges: int = 1) -> int:
    """Samples a block of the batch-lanes kernels (``ext`` the padded extent): at most
    :data:`BATCH_LANES` lanes a row and :data:`BATCH_LANES_BYTES` of transposed input, the
    blocks of a thread range equal (43 samples as 32 + 11 ran 1.5x slower than as one block)."""
    top = min(BATCH_LANES // out[1], BATCH_LANES_BYTES // max(1, c * ext[0] * ext[1] * itemsize))
    m = -(-n // ranges)  # samples of the longest range
    blocks = -(-m // max(1, top))
    return max(1, -(-m // blocks))


_F32 = np.dtype(np.float32)
_F64 = np.dtype(np.float64)
#: The empty bias (none) of each work dtype.
_NO_BIAS = {_F32: np.zeros(0, _F32), _F64: np.zeros(0, _F64)}


def blocked_applies(
    x: Any, kernel, stride, dilation, groups: int, c_in: int, c_out: int, lows, out, dtype: Any
) -> bool:
    """Whether a pass ``(N, c_in, *x.shape[2:]) -> (N, c_out, *out)`` comes to the blocked
    kernels: NumPy, 2-D, stride 1, one group, ``lows >= 0``, float32/float64 work, numba on (the
    NumPy twins are for the tests), at least :data:`MIN_BLOCK_OUT` output channels, at most
    :data:`MAX_CHANNELS` input channels or at most :data:`MAX_PRODUCT` channel pairs,
    shared-zero planes of at most :data:`MAX_PLANE` cells and at most :data:`MAX_WASTE` times
    the output planes, and a sample per thread unless the call runs on one thread anyway."""
    if not (
        type(x) is np.ndarray
        and len(kernel) == 2
        and tuple(stride) == (1, 1)
        and groups == 1
        and c_out >= MIN_BLOCK_OUT
        and (c_in <= MAX_CHANNELS or c_in * c_out <= MAX_PRODUCT)
        and lows[0] >= 0
        and lows[1] >= 0
        and (dtype is _F32 or dtype is _F64 or np.dtype(dtype) in (_F32, _F64))
        and numba_enabled()
    ):
        return False
    hp, wp = _geometry(x.shape[2:], kernel, dilation, lows, out)
    cells = hp * wp
    if cells > MAX_PLANE or cells > MAX_WASTE * out[0] * out[1]:
        return False
    # threads split the samples: fewer samples than threads would leave threads idle where the
    # patch GEMM's BLAS would use them
    n = x.shape[0]  # (the work test first: it spares small calls reading the environment)
    return n * c_in * c_out * kernel[0] * kernel[1] * cells < SERIAL_WORK or n >= num_threads()


def _ranges(n: int, per: int, threads: int | None) -> list[tuple[int, int]] | None:
    """The sample ranges of a blocked pass, or None to run it inline (on the calling thread)."""
    if threads == 1:
        return None
    if threads is None and n * per < SERIAL_WORK:
        if n * per < SPLIT_WORK:
            return None
        parts = min(num_threads(), n)
        if parts == 1:
            return None
        return [(n * k // parts, n * (k + 1) // parts) for k in range(parts)]
    return row_ranges(n, per, threads)


def _plane(sizes, lows, ext, out) -> tuple[int, int]:
    """Rows and row length of one sample's plane in the blocked kernels' scratch: long enough
    for the data placed at ``lows``, for the outputs, and for the reads (``ext``, the padded
    extent) once the trailing zeros are shared with the next row's (next plane's) leading
    ones: a read ``e - 1`` past the start wraps to at most ``e - 1 - length < low``."""
    (h, w), (lh, lw), (eh, ew), (ho, wo) = sizes, lows, ext, out
    return (
        max(lh + min(h, eh - lh), eh - lh, ho),
        max(lw + min(w, ew - lw), ew - lw, wo),
    )


def _geometry(sizes, kernel, dilation, lows, out) -> tuple[int, int]:
    """:func:`_plane` of a stride-1 2-D pass (its extent computed here: the call is per pass)."""
    ext = (out[0] + dilation[0] * (kernel[0] - 1), out[1] + dilation[1] * (kernel[1] - 1))
    return _plane(sizes, lows, ext, out)


def blocked_rows(x, w, bias, y, lh, lw, hp, wp, dh, dw, nb, n0, n1) -> None:
    """NumPy twin of ``_sc3_forward`` (same signature; ``nb`` is unused here)."""
    ho, wo = y.shape[2:]
    kh, kw = w.shape[2:]
    # reads past (hp, wp) find zeros in the kernel (the next row's or plane's): here, more zeros
    big = (max(hp, ho + dh * (kh - 1)), max(wp, wo + dw * (kw - 1)))
    for n in range(n0, n1):
        xpad = np.zeros((x.shape[1], *big), y.dtype)
        hx, wx = min(x.shape[2], hp - lh), min(x.shape[3], wp - lw)
        xpad[:, lh : lh + hx, lw : lw + wx] = x[n, :, :hx, :wx]
        acc = np.zeros((w.shape[0], ho, wo), y.dtype)
        for i in range(kh):
            for j in range(kw):
                win = xpad[:, i * dh : i * dh + ho, j * dw : j * dw + wo]
                acc += np.tensordot(w[:, :, i, j], win, axes=(1, 0))
        if bias.shape[0]:
            acc += bias.reshape(-1, 1, 1)
        y[n] = acc


def blocked_grad_weight_rows(x, gy, part, lh, lw, hp, wp, dh, dw, nb, n0, n1, slot) -> None:
    """NumPy twin of ``_sc3_grad_weight`` (same signature; ``nb`` is unused here)."""
    ho, wo = gy.shape[2:]
    kh, kw = part.shape[3:]
    big = (max(hp, ho + dh * (kh - 1)), max(wp, wo + dw * (kw - 1)))  # as in blocked_rows
    part[slot] = 0
    for n in range(n0, n1):
        xpad = np.zeros((x.shape[1], *big), part.dtype)
        hx, wx = min(x.shape[2], hp - lh), min(x.shape[3], wp - lw)
        xpad[:, lh : lh + hx, lw : lw + wx] = x[n, :, :hx, :wx]
        for i in range(kh):
            for j in range(kw):
                win = xpad[:, i * dh : i * dh + ho, j * dw : j * dw + wo]
                part[slot, :, :, i, j] += np.tensordot(gy[n], win, axes=((1, 2), (1, 2)))


def _layout(n, c, o, kernel, dilation, lows, sizes, out, itemsize, threads):
    """``(lanes, hp, wp, nb, ranges)`` of a blocked pass ``(N, c) -> (N, o)``: the shared-zero
    planes ``(hp, wp)`` with ``nb`` samples a block, or, on tiny images whose shared planes would
    compute more than :data:`BATCH_LANES_WASTE` times the outputs, the samples in the vector
    lanes (``lanes``; the planes the full padded extent, ``nb`` from :func:`_lanes_block`); the
    sample ranges of :func:`_ranges` (None: inline)."""
    kh, kw = kernel
    hp, wp = _geometry(sizes, kernel, dilation, lows, out)
    plane = hp * wp
    if plane > BATCH_LANES_WASTE * out[0] * out[1] and n > 1:
        hp, wp = out[0] + dilation[0] * (kh - 1), out[1] + dilation[1] * (kw - 1)
        ranges = _ranges(n, o * c * kh * kw * out[0] * out[1], threads)
        nb = _lanes_block(n, c, (hp, wp), out, itemsize, 1 if ranges is None else len(ranges))
        return True, hp, wp, nb, ranges
    return False, hp, wp, max(1, BLOCK_CELLS // plane), _ranges(n, o * c * kh * kw * plane, threads)


def grad_weight_blocked(
    x, gy, kernel, lows, dilation, dtype, threads: int | None = None
) -> np.ndarray:
    """Weight gradient ``(O, C, *kernel)`` of :func:`forward_blocked` (partial sums per
    thread range, added afterwards)."""
    n, c = x.shape[:2]
    o = gy.shape[1]
    out = tuple(gy.shape[2:])
    kh, kw = kernel
    if n == 0 or math.prod(out) == 0:
        return np.zeros((o, c, kh, kw), dtype)
    xc = np.ascontiguousarray(x, dtype=dtype)
    g = np.ascontiguousarray(gy, dtype=dtype)
    lanes, hp, wp, nb, ranges = _layout(
        n, c, o, kernel, dilation, lows, x.shape[2:], out, xc.itemsize, threads
    )
    if not numba_enabled():
        fn = blocked_grad_weight_rows
    else:
        fn = (batch_lanes_conv_kernels() if lanes else blocked_conv_kernels())["grad_weight"]
    lh, lw = lows
    dh, dw = dilation
    if ranges is None:
        part = np.empty((1, o, c, kh, kw), dtype)
        fn(xc, g, part, lh, lw, hp, wp, dh, dw, nb, 0, n, 0)  # inline
        return part[0]
    part = np.empty((len(ranges), o, c, kh, kw), dtype)
    slot = {a: k for k, (a, _) in enumerate(ranges)}
    run(lambda a, b: fn(xc, g, part, lh, lw, hp, wp, dh, dw, nb, a, b, slot[a]), ranges)
    return part[0] if len(ranges) == 1 else part.sum(axis=0)


def forward_blocked(
    x, w, lows, out, dilation, dtype, threads: int | None = None, bias: Any = None
) -> np.ndarray:
    """``(N, C, H, W) x (O, C, kh, kw) (+ bias (O,)) -> (N, O, *out)``, stride 1, ``lows``
    (>= 0) zeros before; the padding is done in the kernel, a few samples at a time (no padded
    copy), the bias added as the outputs are written (no pass of its own)."""
    n, c = x.shape[:2]
    o = w.shape[0]
    y = np.empty((n, o, *out), dtype)
    if y.size == 0:
        return y
    xc = np.ascontiguousarray(x, dtype=dtype)
    wc = np.ascontiguousarray(w, dtype=dtype)
    if bias is None:
        bc = _NO_BIAS.get(y.dtype)
        bc = np.zeros(0, dtype) if bc is None else bc
    else:
        bc = np.ascontiguousarray(bias, dtype=dtype)
    kernel = w.shape[2:]
    lanes, hp, wp, nb, ranges = _layout(
        n, c, o, kernel, dilation, lows, x.shape[2:], out, y.itemsize, threads
    )
    if not numba_enabled():
        fn = blocked_rows
    else:
        fn = (batch_lanes_conv_kernels() if lanes else blocked_conv_kernels())["forward"]
    lh, lw = lows
    dh, dw = dilation
    if ranges is None:
        fn(xc, wc, bc, y, lh, lw, hp, wp, dh, dw, nb, 0, n)  # inline: no ranges, no closure
        return y
    run(lambda a, b: fn(xc, wc, bc, y, lh, lw, hp, wp, dh, dw, nb, a, b), ranges)
    return y


def forward_rows(x, w, offs, y, wp, n0, n1) -> None:
    """NumPy twin of ``_sc_forward``: ``x (N, C, Hp*Wp)``, ``w (O, C, T)``, ``y (N, O, Ho, Wo)``."""
    ho, wo = y.shape[2:]
    span = (ho - 1) * wp + wo
    for n in range(n0, n1):
        acc = np.zeros((w.shape[0], ho * wp), y.dtype)
        for k, b in enumerate(offs):
            acc[:, :span] += w[:, :, k] @ x[n, :, b : b + span]
        y[n] = acc.reshape(-1, ho, wp)[:, :, :wo]


def grad_weight_rows(x, gy, offs, part, wp, n0, n1, slot) -> None:
    """NumPy twin of ``_sc_grad_weight``: ``part[slot] (O, C, T)`` from samples ``n0:n1``."""
    ho, wo = gy.shape[2:]
    span = (ho - 1) * wp + wo
    part[slot] = 0
    for n in range(n0, n1):
        g = np.zeros((gy.shape[1], ho, wp), gy.dtype)
        g[:, :, :wo] = gy[n]
        g = g.reshape(gy.shape[1], -1)[:, :span]
        for k, b in enumerate(offs):
            part[slot, :, :, k] += g @ x[n, :, b : b + span].T


def _offsets(kernel: Sequence[int], dilation: Sequence[int], wp: int) -> np.ndarray:
    kh, kw = kernel
    dh, dw = dilation
    return np.array([i * dh * wp + j * dw for i in range(kh) for j in range(kw)], np.int64)


def _kernels() -> tuple[Any, Any]:
    if numba_enabled():
        k = small_conv_kernels()
        return k["forward"], k["grad_weight"]
    return forward_rows, grad_weight_rows


def _forward_padded(xpad, w, dilation, out, dtype, threads: int | None) -> np.ndarray:
    n, c, hp, wp = xpad.shape
    o = w.shape[0]
    kernel = w.shape[2:]
    xf = np.ascontiguousarray(xpad, dtype=dtype).reshape(n, c, hp * wp)
    wf = np.ascontiguousarray(w, dtype=dtype).reshape(o, c, -1)
    y = np.empty((n, o, *out), dtype)
    if n == 0 or y.size == 0:
        return y
    fn = _kernels()[0]
    offs = _offsets(kernel, dilation, wp)
    work = o * c * wf.shape[2] * hp * wp
    run(lambda a, b: fn(xf, wf, offs, y, wp, a, b), row_ranges(n, work, threads))
    return y


def forward(x, w, lows, out, dilation, dtype, threads: int | None = None) -> np.ndarray:
    """``(N, C, H, W) x (O, C, kh, kw) -> (N, O, *out)``, stride 1, padding ``lows`` before."""
    ext = im2col.extent(out, w.shape[2:], (1, 1), dilation)
    xpad = im2col.pad_input(np, x, lows, ext, dtype)
    return _forward_padded(xpad, w, dilation, out, dtype, threads)


def grad_input(gy, w, lows, sizes, dilation, dtype, threads: int | None = None) -> np.ndarray:
    """Adjoint of :func:`forward` for the input sizes ``sizes`` (needs ``low <= d*(k-1)``)."""
    kernel = w.shape[2:]
    flipped = [d * (k - 1) - lo for k, d, lo in zip(kernel, dilation, lows, strict=True)]
    wt = w[:, :, ::-1, ::-1].swapaxes(0, 1)
    ext = im2col.extent(sizes, kernel, (1, 1), dilation)
    gpad = im2col.pad_input(np, gy, flipped, ext, dtype)
    return _forward_padded(gpad, wt, dilation, tuple(sizes), dtype, threads)


def grad_weight(x, gy, kernel, lows, dilation, dtype, threads: int | None = None) -> np.ndarray:
    """Weight gradient ``(O, C, *kernel)`` of :func:`forward`."""
    n, c = x.shape[:2]
    o = gy.shape[1]
    out = tuple(gy.shape[2:])
    t = math.prod(kernel)
    if n == 0 or math.prod(out) == 0:
        return np.zeros((o, c, *kernel), dtype)
    ext = im2col.extent(out, kernel, (1, 1), dilation)
    xpad = im2col.pad_input(np, x, lows, ext, dtype)
    hp, wp = xpad.shape[2:]
    xf = np.ascontiguousarray(xpad, dtype=dtype).reshape(n, c, hp * wp)
    g = np.ascontiguousarray(gy, dtype=dtype)
    offs = _offsets(kernel, dilation, wp)
    ranges = row_ranges(n, o * c * t * hp * wp, threads)
    part = np.empty((len(ranges), o, c, t), dtype)
    slot = {a: k for k, (a, _) in enumerate(ranges)}
    fn = _kernels()[1]
    run(lambda a, b: fn(xf, g, offs, part, wp, a, b, slot[a]), ranges)
    gw = part[0] if len(ranges) == 1 else part.sum(axis=0)
    return gw.reshape(o, c, *kernel)
