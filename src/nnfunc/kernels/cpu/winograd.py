"""Winograd F(2x2, 3x3): the 3x3 stride-1 convolution as 16 batched GEMMs over 4x4 tiles.

Lavin & Gray's minimal filtering: each 2x2 output tile is ``A^T [(G g G^T) * (B^T d B)] A`` with
``d`` the 4x4 input tile at twice the tile index, ``g`` the 3x3 filter. Summed over the input
channels, the 16 element-wise products become 16 GEMMs ``M_k = U_k V_k`` with ``U (16, O, C)``
the transformed filters and ``V (16, C, tiles)`` the transformed input tiles: 2.25x fewer
multiplications than the patch GEMM, and the transforms read the input once, contiguously.

The three passes of a convolution all reuse these transforms:

* forward: ``y = out_transform(U @ in_transform(x))``;
* input gradient: the same forward with the filter flipped and its channel axes swapped, on
  ``gy`` padded by ``2 - low`` (stride 1: the transposed convolution is a convolution);
* weight gradient: the exact adjoint of the forward in ``U``:
  ``gW = G^T [sum_tiles out_transform^T(gy) @ in_transform(x)^T] G``.

Accuracy: the transforms add and subtract only (``G`` has halves), so the result differs from
the direct sum by a few roundings of the operands' size: on random float32 data the relative
error (max abs error over max abs value, float64 reference) is ~1e-6, against ~5e-7 for the
patch GEMM (tests/kernels/test_winograd.py states the bound it checks).

The tile transforms are numba kernels (:mod:`nnfunc.kernels.cpu._jit`, split over channel ranges
on the kernel thread pool) with NumPy twins of the same signature (strided slices; NumPy arrays
only: other array modules keep the patch GEMM); the GEMMs are NumPy's (BLAS, itself threaded).
Work is chunked over samples so that the transformed tiles of one chunk stay near
:data:`TILE_BUDGET` bytes. With several kernel threads and a BLAS whose threads can be set
(:func:`nnfunc.kernels.cpu.blas.can_limit`), whole chunks of :data:`PARALLEL_BUDGET` bytes run
on the kernel pool instead, with BLAS held to one thread meanwhile: a 2-thread BLAS hands every
GEMM call to its second thread and waits for it; on a loaded machine each hand-off can wait a
scheduler quantum, and Winograd makes 16 calls per chunk (measured on 32x64x56x56 at load ~5:
887 ms wall with BLAS threads and 32 MiB chunks, 210 ms with the chunks on the kernel pool).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any

import numpy as np

from nnfunc.core.backend import numba_enabled
from nnfunc.kernels.cpu import blas
from nnfunc.kernels.cpu._jit import winograd_kernels
from nnfunc.kernels.cpu._threads import row_ranges, run
from nnfunc.kernels.cpu.im2col import pad_input, scratch

__all__ = [
    "TILE_BUDGET",
    "eligible",
    "forward",
    "grad_input",
    "grad_weight",
    "input_transform_numpy",
    "output_adjoint_numpy",
    "output_transform_numpy",
]

#: Bytes of transformed tiles (one of V / M) per chunk of samples. Smaller chunks stay in cache
#: (4 MiB is ~5% less CPU on one thread) but make 16 GEMM calls each: with a multithreaded BLAS
#: on a loaded machine every call pays a thread hand-off, which made 4 MiB chunks several times
#: slower in wall time than the patch GEMM; 32 MiB keeps the calls few (64 for 32x64x56x56).
TILE_BUDGET = 32 * 2**20

#: Smallest channel counts for which the transforms pay for themselves (measured: the
#: first-layer 3 -> 16 convolution is faster as a patch GEMM).
MIN_CHANNELS = 16

#: Largest output side for which all three passes keep the patch GEMM (the dispatcher's rule):
#: with at most two tile columns the transforms' per-tile-row loops cost more than the GEMM
#: they save (128x16x4x4, 16 -> 32, CPU ms Winograd / patch GEMM: forward 0.43 / 0.32, input
#: gradient 0.55 / 0.47, weight gradient 0.55 / 0.41); at 6x6 and 8x8 Winograd is faster again.
PATCH_SIDE = 4

_G = np.array([[1.0, 0.0, 0.0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0.0, 0.0, 1.0]])


def eligible(
    kernel: Sequence[int],
    stride: Sequence[int],
    dilation: Sequence[int],
    groups: int,
    c: int,
    o: int,
    dtype: Any,
) -> bool:
    """Whether a convolution takes the Winograd path: 2-D 3x3, stride 1, no dilation, one group,
    float32 work (float64 keeps the patch GEMM, exact to its rounding), enough channels."""
    return (
        tuple(kernel) == (3, 3)
        and tuple(stride) == (1, 1)
        and tuple(dilation) == (1, 1)
        and groups == 1
        and np.dtype(dtype) == np.float32
        and min(c, o) >= MIN_CHANNELS
    )


# ------------------------------------------------------------------ NumPy twins of the transforms
def input_transform_numpy(xpad, v, n0, n1, th, tw, c0, c1) -> None:
    """NumPy twin of ``_jit._wino_input``: ``v[:, c0:c1]`` from samples ``n0:n1``."""
    xs = xpad[n0:n1, c0:c1]
    d = [xs[:, :, r : r + 2 * th : 2, :] for r in range(4)]
    rows = (d[0] - d[2], d[1] + d[2], d[2] - d[1], d[1] - d[3])
    vv = v.reshape(16, v.shape[1], n1 - n0, th, tw)
    for a, t in enumerate(rows):
        e = [t[..., s : s + 2 * tw : 2] for s in range(4)]
        cols = (e[0] - e[2], e[1] + e[2], e[2] - e[1], e[1] - e[3])
        for b, col in enumerate(cols):
            vv[4 * a + b, c0:c1] = col.transpose(1, 0, 2, 3)


def output_transform_numpy(m, y, n0, n1, th, tw, o0, o1) -> None:
    """NumPy twin of ``_jit._wino_output``: ``y[n0:n1, o0:o1]`` from ``m[:, o0:o1]``."""
    ho, wo = y.shape[2], y.shape[3]
    nn = n1 - n0
    mm = m.reshape(4, 4, m.shape[1], nn, th, tw)[:, :, o0:o1]
    us = (mm[0] + mm[1] + mm[2], mm[1] - mm[2] - mm[3])
    full = np.empty((o1 - o0, nn, th, 2, tw, 2), m.dtype)
    for p, u in enumerate(us):
        full[:, :, :, p, :, 0] = u[0] + u[1] + u[2]
        full[:, :, :, p, :, 1] = u[1] - u[2] - u[3]
    full = full.reshape(o1 - o0, nn, 2 * th, 2 * tw)[:, :, :ho, :wo]
    y[n0:n1, o0:o1] = full.transpose(1, 0, 2, 3)


def output_adjoint_numpy(gy, gm, n0, n1, th, tw, o0, o1) -> None:
    """NumPy twin of ``_jit._wino_output_adjoint``: ``gm[:, o0:o1]`` from ``gy[n0:n1, o0:o1]``
    (``gy`` at least ``2 th x 2 tw``, zeros past the output)."""
    nn = n1 - n0
    g = gy[n0:n1, o0:o1, : 2 * th, : 2 * tw]
    g0, g1 = g[:, :, 0::2], g[:, :, 1::2]
    rows = (g0, g0 + g1, g0 - g1, -g1)
    gv = gm.reshape(16, gm.shape[1], nn, th, tw)
    for a, h in enumerate(rows):
        h0, h1 = h[..., 0::2], h[..., 1::2]
        cols = (h0, h0 + h1, h0 - h1, -h1)
        for b, col in enumerate(cols):
            gv[4 * a + b, o0:o1] = col.transpose(1, 0, 2, 3)


# ------------------------------------------------------------------------------------- drivers
#: Tile bytes per chunk when whole chunks run in parallel on one-thread BLAS (cache-sized).
PARALLEL_BUDGET = 4 * 2**20


def _parallel_ranges(n: int, per_sample: int, threads: int | None) -> list | None:
    """Sample ranges for chunk-parallel work, or None (one range, or BLAS threads not settable)."""
    ranges = row_ranges(n, per_sample, threads)
    if len(ranges) < 2 or not blas.can_limit():
        return None
    return ranges


#: Elements between consecutive planes of the transformed-tile buffers beyond the plane itself.
#: The transforms write the 16 planes in turn; planes a power-of-two size apart (small images:
#: 16 x 512 tiles = 32 KiB) all map to the same cache sets, and the writes evicted each other:
#: one cache line of padding made the transforms of a 128x16x4x4 batch 1.6-2.2x faster.
PLANE_PAD = 16


def _plane_buffer(plane: int, dtype: Any, role: str) -> np.ndarray:
    """Flat scratch for 16 planes of up to ``plane`` elements, :data:`PLANE_PAD` apart (kept
    between calls on this thread, see :func:`nnfunc.kernels.cpu.im2col.scratch`)."""
    return scratch(role, 16 * (plane + PLANE_PAD), dtype)


def _planes(buf: np.ndarray, rows: int, t: int) -> np.ndarray:
    """``(16, rows, t)`` view of ``buf`` whose planes are ``rows * t + PLANE_PAD`` apart."""
    step = rows * t + PLANE_PAD
    return buf[: 16 * step].reshape(16, step)[:, : rows * t].reshape(16, rows, t)


def _forward_samples(k_in, k_out, xpad, u, y, th, tw, a, b) -> None:
    """Forward of samples ``a:b`` on this thread, one cache-sized chunk at a time."""
    c, o = xpad.shape[1], u.shape[1]
    tiles = th * tw
    step = max(1, PARALLEL_BUDGET // (16 * max(c, o) * tiles * y.itemsize))
    step = min(step, b - a)
    vbuf = _plane_buffer(c * step * tiles, y.dtype, "winograd_v")
    mbuf = _plane_buffer(o * step * tiles, y.dtype, "winograd_m")
    for n0 in range(a, b, step):
        n1 = min(b, n0 + step)
        t = (n1 - n0) * tiles
        v = _planes(vbuf, c, t)
        k_in(xpad, v, n0, n1, th, tw, 0, c)
        m = _planes(mbuf, o, t)
        np.matmul(u, v, out=m)
        k_out(m, y, n0, n1, th, tw, 0, o)


def _grad_weight_samples(k_in, k_adj, xpad, gy, o, th, tw, a, b) -> np.ndarray:
    """``sum`` over samples ``a:b`` of ``gM @ V^T`` (16, O, C), on this thread."""
    c = xpad.shape[1]
    dtype = gy.dtype
    tiles = th * tw
    step = max(1, PARALLEL_BUDGET // (16 * max(c, o) * tiles * dtype.itemsize))
    step = min(step, b - a)
    vbuf = _plane_buffer(c * step * tiles, dtype, "winograd_v")
    mbuf = _plane_buffer(o * step * tiles, dtype, "winograd_m")
    gu = np.zeros((16, o, c), dtype)
    part = np.empty_like(gu)
    for n0 in range(a, b, step):
        n1 = min(b, n0 + step)
        t = (n1 - n0) * tiles
        v = _planes(vbuf, c, t)
        k_in(xpad, v, n0, n1, th, tw, 0, c)
        gm = _planes(mbuf, o, t)
        k_adj(gy, gm, n0, n1, th, tw, 0, o)
        np.matmul(gm, v.swapaxes(1, 2), out=part)
        gu += part
    return gu


def _kernels(use_numba: bool | None) -> tuple[Any, Any, Any]:
    if use_numba is None:
        use_numba = numba_enabled()
    if use_numba:
        k = winograd_kernels()
        return k["input"], k["output"], k["output_adjoint"]
    return input_transform_numpy, output_transform_numpy, output_adjoint_numpy


def _g(dtype: Any) -> np.ndarray:
    """``G`` in ``dtype`` (one cached array per dtype: never written)."""
    key = np.dtype(dtype)
    g = _G_BY_DTYPE.get(key)
    if g is None:
        g = _G_BY_DTYPE[key] = _G.astype(key)
    return g


_G_BY_DTYPE: dict[np.dtype, np.ndarray] = {}


def transform_weight(w: Any, dtype: Any) -> np.ndarray:
    """``U (16, O, C)``: ``G g G^T`` of every 3x3 filter ``g`` of ``w (O, C, 3, 3)``.

    Two GEMMs with ``G`` (not ``np.einsum(..., optimize=True)``, which searched a contraction
    path on every call: ~60 % of a small convolution's time)."""
    g = _g(dtype)
    o, c = w.shape[:2]
    w = w.astype(dtype, copy=False)
    # t[o, c, k, b] = sum_l w[o, c, k, l] G[b, l]
    t = np.matmul(w.reshape(o * c * 3, 3), g.T).reshape(o, c, 3, 4)
    # u[a, o, c, b] = sum_k G[a, k] t[o, c, k, b]
    u = np.matmul(g, t.transpose(2, 0, 1, 3).reshape(3, o * c * 4)).reshape(4, o, c, 4)
    return np.ascontiguousarray(u.transpose(0, 3, 1, 2)).reshape(16, o, c)


def _untransform_weight(gu: np.ndarray, dtype: Any) -> np.ndarray:
    """``gW (O, C, 3, 3) = G^T gU G`` for ``gu (16, O, C)`` (the adjoint of
    :func:`transform_weight`), as two GEMMs."""
    g = _g(dtype)
    _, o, c = gu.shape
    # t[k, b, o, c] = sum_a G[a, k] gu[a, b, o, c]
    t = np.matmul(g.T, gu.reshape(4, 4 * o * c)).reshape(3, 4, o, c)
    # gw[o, c, k, l] = sum_b t[k, b, o, c] G[b, l]
    gw = np.matmul(t.transpose(0, 2, 3, 1).reshape(3 * o * c, 4), g).reshape(3, o, c, 3)
    return np.ascontiguousarray(gw.transpose(1, 2, 0, 3))


def _split(fn: Any, rows: int, per_row: int, threads: int | None) -> None:
    run(fn, row_ranges(rows, per_row, threads))


def _steps(n: int, per_sample: int) -> int:
    return max(1, min(n, TILE_BUDGET // max(per_sample, 1)))


def forward(
    x: np.ndarray,
    w: np.ndarray,
    lows: Sequence[int],
    out: Sequence[int],
    dtype: Any,
    threads: int | None = None,
    use_numba: bool | None = None,
) -> np.ndarray:
    """``conv(x, w)``, 3x3, stride 1, input padded by ``lows`` before (zeros after as needed):
    ``(N, C, H, W) x (O, C, 3, 3) -> (N, O, *out)`` in ``dtype``."""
    k_in, k_out, _ = _kernels(use_numba)
    n, c = x.shape[:2]
    o = w.shape[0]
    ho, wo = out
    th, tw = (ho + 1) // 2, (wo + 1) // 2
    xpad = np.ascontiguousarray(pad_input(np, x, lows, (2 * th + 2, 2 * tw + 2), dtype))
    u = transform_weight(w, dtype)
    y = np.empty((n, o, ho, wo), dtype)
    if n == 0 or ho == 0 or wo == 0:
        return y
    tiles = th * tw
    ranges = _parallel_ranges(n, 16 * (c + o) * tiles, threads)
    if ranges:
        with blas.one_thread_blas():
            run(partial(_forward_samples, k_in, k_out, xpad, u, y, th, tw), ranges)
        return y
    step = _steps(n, 16 * max(c, o) * tiles * np.dtype(dtype).itemsize)
    vbuf = _plane_buffer(c * step * tiles, dtype, "winograd_v")
    mbuf = _plane_buffer(o * step * tiles, dtype, "winograd_m")
    for n0 in range(0, n, step):
        n1 = min(n, n0 + step)
        t = (n1 - n0) * tiles
        v = _planes(vbuf, c, t)
        _split(partial(k_in, xpad, v, n0, n1, th, tw), c, 16 * t, threads)
        m = _planes(mbuf, o, t)
        np.matmul(u, v, out=m)
        _split(partial(k_out, m, y, n0, n1, th, tw), o, 16 * t, threads)
    return y


def grad_input(
    gy: np.ndarray,
    w: np.ndarray,
    lows: Sequence[int],
    sizes: Sequence[int],
    dtype: Any,
    threads: int | None = None,
    use_numba: bool | None = None,
) -> np.ndarray:
    """Input gradient ``(N, C, *sizes)`` of the 3x3 stride-1 convolution padded by ``lows``
    before (each at most 2): the convolution of ``gy`` padded by ``2 - low`` with the flipped,
    transposed filter."""
    wt = np.ascontiguousarray(w[:, :, ::-1, ::-1].swapaxes(0, 1))
    return forward(gy, wt, [2 - lo for lo in lows], sizes, dtype, threads, use_numba)


def grad_weight(
    x: np.ndarray,
    gy: np.ndarray,
    lows: Sequence[int],
    dtype: Any,
    threads: int | None = None,
    use_numba: bool | None = None,
) -> np.ndarray:
    """Weight gradient ``(O, C, 3, 3)`` of the 3x3 stride-1 convolution of ``x`` padded by
    ``lows`` before, for the output gradient ``gy (N, O, Ho, Wo)``."""
    k_in, _, k_adj = _kernels(use_numba)
    n, c = x.shape[:2]
    o = gy.shape[1]
    ho, wo = gy.shape[2:]
    th, tw = (ho + 1) // 2, (wo + 1) // 2
    xpad = np.ascontiguousarray(pad_input(np, x, lows, (2 * th + 2, 2 * tw + 2), dtype))
    # zeros past the output: every 2x2 tile is whole (no bounds test in the kernel)
    gy = np.ascontiguousarray(pad_input(np, gy, (0, 0), (2 * th, 2 * tw), dtype))
    gu = np.zeros((16, o, c), dtype)
    tiles = th * tw
    ranges = _parallel_ranges(n, 16 * (c + o) * tiles, threads) if n and tiles else None
    if ranges:
        with blas.one_thread_blas():
            parts = run(partial(_grad_weight_samples, k_in, k_adj, xpad, gy, o, th, tw), ranges)
        gu = np.sum(parts, axis=0, dtype=dtype)
    elif n and tiles:
        step = _steps(n, 16 * max(c, o) * tiles * np.dtype(dtype).itemsize)
        vbuf = _plane_buffer(c * step * tiles, dtype, "winograd_v")
        mbuf = _plane_buffer(o * step * tiles, dtype, "winograd_m")
        part = np.empty_like(gu)
        for n0 in range(0, n, step):
            n1 = min(n, n0 + step)
            t = (n1 - n0) * tiles
            v = _planes(vbuf, c, t)
            _split(partial(k_in, xpad, v, n0, n1, th, tw), c, 16 * t, threads)
            gm = _planes(mbuf, o, t)
            _split(partial(k_adj, gy, gm, n0, n1, th, tw), o, 16 * t, threads)
            np.matmul(gm, v.swapaxes(1, 2), out=part)
            gu += part
    return _untransform_weight(gu, dtype)
