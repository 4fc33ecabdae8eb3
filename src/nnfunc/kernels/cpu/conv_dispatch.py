"""Which kernel computes each pass of a convolution: Winograd where it applies, else im2col.

The three functions have the signatures of their :mod:`nnfunc.kernels.cpu.im2col` namesakes
(channel-first arrays, padding resolved to ``(low, high)`` pairs) and give the same results to
rounding. 2-D 3x3 stride-1 float32 convolutions with one group and at least
:data:`~nnfunc.kernels.cpu.winograd.MIN_CHANNELS` channels on both sides take the Winograd
F(2x2, 3x3) path (:mod:`nnfunc.kernels.cpu.winograd`: on 32x64x56x56, 64 -> 64, one thread,
0.77x the CPU time of the patch GEMM forward and 0.66x forward+backward); everything else (other
array modules, float64, strides, dilations, groups) keeps the patch GEMM, and so do all three
passes of outputs at most :data:`~nnfunc.kernels.cpu.winograd.PATCH_SIDE` wide or high (there the
patch GEMM is faster: 128x16x4x4, 16 -> 32, CPU ms forward 0.32 / 0.43 Winograd, input gradient
0.47 / 0.55, weight gradient 0.41 / 0.55).

Before all of these, 2-D stride-1 one-group passes with few channels (at most 4 input channels,
or at most 512 input x output channel pairs, and at least 3 output channels) on planes that
waste little (:func:`nnfunc.kernels.cpu.direct.blocked_applies`) take the blocked direct
kernels for all three passes (one thread, CPU us, previous path / blocked: 8x3x32x32, 3 -> 16,
forward 145 / 100, input gradient 159 / 134, weight gradient 264 / 105; the demo CNN's
128x16x4x4, 16 -> 32: 358 / 372, 552 / 368, 484 / 394; on such tiny images the blocked kernels
put the samples in the vector lanes: 291, 318, 297). Gradient passes with 1-2 output
channels and rows at least :data:`~nnfunc.kernels.cpu.direct.MIN_WIDTH` (16) wide take the
one-filter direct kernels of :mod:`nnfunc.kernels.cpu.direct` (8x1x64x64: 320 / 476 blocked).
2-D depthwise
convolutions (one input channel per group) take the numba plane kernels of
:mod:`nnfunc.kernels.cpu.depthwise` when numba is enabled, else the NumPy shifted products.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from nnfunc.kernels.cpu import depthwise, direct, im2col, winograd
from nnfunc.kernels.cpu._threads import MIN_WORK, num_threads, run

__all__ = ["conv_forward", "conv_grad_weight", "conv_grads", "conv_transpose_forward"]


def _winograd(xp: Any, x: Any, kernel, stride, dilation, groups, c, o, dtype) -> bool:
    return (
        xp is np
        and type(x) is np.ndarray
        and winograd.eligible(kernel, stride, dilation, groups, c, o, dtype)
    )


def conv_forward(
    xp: Any,
    x: Any,
    w: Any,
    stride,
    pads: Sequence[tuple[int, int]],
    dilation,
    groups,
    out,
    dtype,
    bias: Any = None,
) -> Any:
    """:func:`nnfunc.kernels.cpu.im2col.conv_forward`, Winograd when it applies; ``bias``
    (``(O,)``, optional) is added in ``dtype`` (by the blocked kernels as they write)."""
    lows = [lo for lo, _ in pads]
    if xp is np and direct.blocked_applies(
        x, w.shape[2:], stride, dilation, groups, x.shape[1], w.shape[0], lows, out, dtype
    ):
        return direct.forward_blocked(x, w, lows, out, dilation, dtype, bias=bias)
    y = _conv_forward(xp, x, w, stride, pads, dilation, groups, out, dtype)
    if bias is not None:
        y += bias.astype(dtype).reshape((-1,) + (1,) * len(out))
    return y


def _conv_forward(xp, x, w, stride, pads, dilation, groups, out, dtype) -> Any:
    if min(out, default=0) > winograd.PATCH_SIDE and _winograd(
        xp, x, w.shape[2:], stride, dilation, groups, x.shape[1], w.shape[0], dtype
    ):
        return winograd.forward(x, w, [lo for lo, _ in pads], out, dtype)
    kernel = tuple(w.shape[2:])
    if xp is np and depthwise.applies(x, w.shape, groups, x.shape[1], dtype):
        ext = im2col.extent(out, kernel, stride, dilation)  # padded in the kernel, per plane
        lows = [lo for lo, _ in pads]
        return depthwise.forward(x, w, stride, dilation, out, dtype, lows=lows, needed=ext)
    return im2col.conv_forward(xp, x, w, stride, pads, dilation, groups, out, dtype)


def conv_transpose_forward(
    xp: Any,
    gy: Any,
    w: Any,
    stride,
    pads: Sequence[tuple[int, int]],
    dilation,
    groups,
    sizes,
    dtype,
    threads: int | None = None,
) -> Any:
    """:func:`nnfunc.kernels.cpu.im2col.conv_transpose_forward`, Winograd when it applies (the
    low pads at most 2: the flipped convolution pads ``gy`` by ``2 - low``); ``threads`` is
    passed to the blocked direct kernels only."""
    lows = [lo for lo, _ in pads]
    flipped = [d * (k - 1) - lo for k, d, lo in zip(w.shape[2:], dilation, lows)]
    if xp is np and direct.blocked_applies(
        gy, w.shape[2:], stride, dilation, groups, w.shape[0], w.shape[1], flipped, sizes, dtype
    ):
        # the flipped, transposed filter over gy padded by d * (k - 1) - low
        wt = w[:, :, ::-1, ::-1].swapaxes(0, 1)
        return direct.forward_blocked(gy, wt, flipped, tuple(sizes), dilation, dtype, threads)
    if (
        xp is np
        and direct.applies(gy, w.shape[2:], stride, groups, w.shape[1], sizes[-1], dtype)
        and all(0 <= lo <= d * (k - 1) for lo, d, k in zip(lows, dilation, w.shape[2:]))
    ):
        return direct.grad_input(gy, w, lows, sizes, dilation, dtype)
    if all(0 <= lo <= 2 for lo in lows) and _winograd(
        xp, gy, w.shape[2:], stride, dilation, groups, w.shape[1] * groups, w.shape[0], dtype
    ):
        if min(sizes, default=0) <= winograd.PATCH_SIDE:
            # tiny images: the same flipped-filter convolution of gy as a patch GEMM (faster
            # there than Winograd, and than the scatter below: 0.48 / 0.55 / 1.3 ms for
            # 128x32x4x4, 32 -> 16)
            wt = np.ascontiguousarray(w[:, :, ::-1, ::-1].swapaxes(0, 1))
            flipped = [(2 - lo, 0) for lo in lows]
            return im2col.conv_forward(np, gy, wt, (1, 1), flipped, (1, 1), 1, sizes, dtype)
        return winograd.grad_input(gy, w, lows, sizes, dtype)
    c = w.shape[1] * groups
    if xp is np and depthwise.applies(gy, w.shape, groups, c, dtype):
        kernel, out = tuple(w.shape[2:]), tuple(gy.shape[2:])
        ext = im2col.extent(out, kernel, stride, dilation)
        padded = tuple(max(lo + s, e) for lo, s, e in zip(lows, sizes, ext, strict=True))
        full = (gy.shape[0], c, *padded)  # cropped to sizes inside the kernel: contiguous
        return depthwise.grad_input(gy, w, stride, dilation, full, dtype, lows=lows, sizes=sizes)
    return im2col.conv_transpose_forward(xp, gy, w, stride, pads, dilation, groups, sizes, dtype)


def conv_grad_weight(
    xp: Any,
    x: Any,
    gy: Any,
    kernel,
    stride,
    pads: Sequence[tuple[int, int]],
    dilation,
    groups,
    dtype,
    threads: int | None = None,
) -> Any:
    """:func:`nnfunc.kernels.cpu.im2col.conv_grad_weight`, Winograd when it applies; ``threads``
    is passed to the blocked direct kernels only."""
    out = tuple(gy.shape[2:])
    lows = [lo for lo, _ in pads]
    if xp is np and direct.blocked_applies(
        x, kernel, stride, dilation, groups, x.shape[1], gy.shape[1], lows, out, dtype
    ):
        return direct.grad_weight_blocked(x, gy, tuple(kernel), lows, dilation, dtype, threads)
    if direct.applies(x, kernel, stride, groups, x.shape[1], gy.shape[-1], dtype) and all(
        lo >= 0 for lo, _ in pads
    ):
        return direct.grad_weight(x, gy, tuple(kernel), [lo for lo, _ in pads], dilation, dtype)
    if min(gy.shape[2:], default=0) > winograd.PATCH_SIDE and _winograd(
        xp, x, kernel, stride, dilation, groups, x.shape[1], gy.shape[1], dtype
    ):
        return winograd.grad_weight(x, gy, [lo for lo, _ in pads], dtype)
    if xp is np and depthwise.applies(x, (gy.shape[1], 1, *kernel), groups, x.shape[1], dtype):
        out = tuple(gy.shape[2:])
        ext = im2col.extent(out, kernel, stride, dilation)
        lows = [lo for lo, _ in pads]
        return depthwise.grad_weight(
            x, gy, tuple(kernel), stride, dilation, dtype, lows=lows, needed=ext
        )
    return im2col.conv_grad_weight(xp, x, gy, kernel, stride, pads, dilation, groups, dtype)


def _pair_work(x: Any, gy: Any, kernel, stride, dilation, groups, pads, sizes, dtypes) -> int:
    """Multiply-adds of each gradient pass when both take the blocked direct kernels, else 0."""
    out = tuple(gy.shape[2:])
    c, o = x.shape[1], gy.shape[1]
    lows = [lo for lo, _ in pads]
    flipped = [d * (k - 1) - lo for k, d, lo in zip(kernel, dilation, lows)]
    if not (
        direct.blocked_applies(x, kernel, stride, dilation, groups, c, o, lows, out, dtypes[1])
        and direct.blocked_applies(
            gy, kernel, stride, dilation, groups, o, c, flipped, sizes, dtypes[0]
        )
    ):
        return 0
    return x.shape[0] * c * o * math.prod(kernel) * math.prod(out)


def conv_grads(
    xp: Any,
    x: Any,
    w: Any,
    gy: Any,
    stride,
    pads: Sequence[tuple[int, int]],
    dilation,
    groups,
    sizes,
    dtypes: tuple[Any, Any],
    want: tuple[bool, bool],
) -> tuple[Any, Any]:
    """The input gradient (:func:`conv_transpose_forward` of ``gy`` by ``w``, in ``dtypes[0]``)
    and the weight gradient (:func:`conv_grad_weight` of ``x`` and ``gy``, in ``dtypes[1]``)
    that ``want`` asks for (None for the other).

    Both passes on the blocked direct kernels with fewer than
    :data:`~nnfunc.kernels.cpu.direct.SERIAL_WORK` multiply-adds each run at the same time, the
    input gradient on the calling thread and the weight gradient on a helper, each on one
    thread: the blocked kernels split such passes into one sample range per thread at best, and
    the two concurrent passes end sooner than the two split ones one after the other (2 threads,
    wall us, the demo CNN's 128x16x4x4, 16 -> 32: 358 concurrent vs 436 split; 299 / 284 each
    on one thread)."""
    kernel = tuple(w.shape[2:])
    both = want[0] and want[1] and xp is np and len(kernel) == 2
    work = _pair_work(x, gy, kernel, stride, dilation, groups, pads, sizes, dtypes) if both else 0
    if not (MIN_WORK <= work < direct.SERIAL_WORK and num_threads() >= 2):
        gx = gw = None
        if want[0]:
            gx = conv_transpose_forward(xp, gy, w, stride, pads, dilation, groups, sizes, dtypes[0])
        if want[1]:
            gw = conv_grad_weight(xp, x, gy, kernel, stride, pads, dilation, groups, dtypes[1])
        return gx, gw
    res: list[Any] = [None, None]

    def job(a: int, _: int) -> None:
        if a == 0:
            res[0] = conv_transpose_forward(
                xp, gy, w, stride, pads, dilation, groups, sizes, dtypes[0], threads=1
            )
        else:
            res[1] = conv_grad_weight(
                xp, x, gy, kernel, stride, pads, dilation, groups, dtypes[1], threads=1
            )

    run(job, [(0, 1), (1, 2)])
    return res[0], res[1]
