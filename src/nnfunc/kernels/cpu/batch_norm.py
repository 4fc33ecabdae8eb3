"""Per-channel normalization of an ``(A, C, B)`` array: statistics over axes 0 and 2.

The kernel behind :class:`nnfunc.functions.normalization._normalize.Normalize` when the kept
axes form one block with normalized axes on both sides: batch normalization of channel-first
data (``(N, C, H, W)`` is ``(N, C, H*W)``). ``y = (x - mean[c]) * inv[c] * scale[c] +
offset[c]`` with ``inv = 1 / sqrt(var + eps)`` and the biased variance over ``A * B`` values.

Two implementations with one signature and the same results (up to rounding):

* ``*_numba``: the statistics read ``x`` once (each ``x[a, c, :]`` summed twice while in
  cache, merged into its channel with Chan's update, float64), the output is one more pass
  (arithmetic in the dtype of ``x``, from a two-part mean); the backward pass reads ``x`` and
  ``gy`` twice (channel sums, then ``gx``). Calls are split over threads by ranges of axis 0
  (:mod:`nnfunc.kernels.cpu._threads`; ``threads`` forces a number of ranges). numba is
  imported on first use.
* ``*_numpy``: whole-array NumPy passes (also CuPy); ``threads`` is accepted and ignored.

:func:`normalize_channels` and :func:`normalize_channels_backward` pick numba when
:func:`nnfunc.core.backend.numba_enabled` and the arrays are NumPy arrays.
``benchmarks/bench_norm.py`` times them against PyTorch's ``batch_norm``.

The apply form (batch normalization with GIVEN statistics, the inference form) is
:func:`bn_apply` (``y = x * a[c] + b[c]``, one pass) and :func:`bn_apply_grad` (``gx = gy *
k[c]`` and the per-channel sums ``sum(gy)``, ``sum(gy * (x - m[c]))`` the parameter gradients
are made of, one pass), on ``(A, C, B)`` rows or on ``(A, C)`` when the channels are the last
axis; numba (``bn_apply_kernels`` of :mod:`nnfunc.kernels.cpu._jit`, threaded over axis 0) or
the NumPy twins ``*_numpy`` of the same signatures.

Group normalization of channel-first data is :func:`group_normalize` and
:func:`group_normalize_backward` on ``(N, C, B)`` with ``G`` groups: the statistics per row of
``(N * G, C / G * B)`` (float64, one read while in cache), then one pass with per-(n, c)
coefficients; the backward is one pass for the per-(n, c) sums and one for ``gx``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nnfunc.core.backend import get_array_module, numba_enabled
from nnfunc.kernels.cpu import _buffers
from nnfunc.kernels.cpu._jit import bn_apply_kernels, group_norm_kernels, kernels
from nnfunc.kernels.cpu._moments import standardize
from nnfunc.kernels.cpu._threads import row_ranges, run

__all__ = [
    "GN_MAX_ROW",
    "bn_apply",
    "bn_apply_grad",
    "bn_apply_grad_numba",
    "bn_apply_grad_numpy",
    "bn_apply_numba",
    "bn_apply_numpy",
    "group_normalize",
    "group_normalize_backward",
    "group_normalize_backward_numba",
    "group_normalize_backward_numpy",
    "group_normalize_numba",
    "group_normalize_numpy",
    "normalize_channels",
    "normalize_channels_backward",
    "normalize_channels_backward_numba",
    "normalize_channels_backward_numpy",
    "normalize_channels_numba",
    "normalize_channels_numpy",
]


# ---------------------------------------------------------------------------- NumPy twins
def normalize_channels_numpy(
    x: Any, eps: float, scale: Any = None, offset: Any = None, threads: int | None = None
) -> tuple[Any, Any, Any, Any]:
    """Standardize each channel ``x[:, c, :]`` of ``x`` (A, C, B), then ``* scale + offset``.

    Args:
        x: Floating array of shape ``(A, C, B)`` with ``A * B >= 1``.
        eps: Added to the variance.
        scale, offset: Per-channel parameters, shape ``(C,)``, or None.
        threads: Ranges of axis 0 to run in parallel (numba version); None: automatic.

    Returns:
        ``(y, mean, var, inv)``: ``y`` of the shape and dtype of ``x``; float64 arrays of shape
        ``(C,)``: the channel means, biased variances and ``1 / sqrt(var + eps)``.
    """
    xp = get_array_module(x)
    n = x.shape[0] * x.shape[2]
    d, mean, var, inv = standardize(xp, x, (0, 2), n, "acb,acb->c", eps, scale)
    if offset is not None:
        d += xp.asarray(offset).astype(x.dtype)[:, None]
    return d, mean, var, inv


def normalize_channels_backward_numpy(
    x: Any,
    gy: Any,
    mean: Any,
    inv: Any,
    scale: Any = None,
    want_gx: bool = True,
    threads: int | None = None,
) -> tuple[Any, Any, Any]:
    """Gradients of :func:`normalize_channels_numpy` (its ``y``) from the saved statistics.

    Args:
        x, gy: Arrays of shape ``(A, C, B)`` and one floating dtype.
        mean, inv: float64 ``(C,)``, as returned by the forward pass.
        scale: The forward pass's scale ``(C,)``, or None.
        want_gx: Compute the input gradient (else ``gx`` is None).
        threads: Ranges of axis 0 to run in parallel (numba version); None: automatic.

    Returns:
        ``(gx, s1, s2)``: ``gx`` like ``x``; float64 ``(C,)``: per channel ``sum(gy)`` (the
        offset's gradient) and ``sum(gy * xhat)`` (the scale's), ``xhat = (x - mean) * inv``.
    """
    xp = get_array_module(x)
    dt = x.dtype
    n = x.shape[0] * x.shape[2]
    xhat = (x - mean.astype(dt)[:, None]) * inv.astype(dt)[:, None]
    s1 = gy.sum(axis=(0, 2), dtype=np.float64)
    s2 = xp.einsum("acb,acb->c", gy, xhat, dtype=np.float64)
    gx = None
    if want_gx:
        k0 = inv if scale is None else inv * scale
        gx = gy * k0.astype(dt)[:, None]
        gx -= (k0 * s1 / n).astype(dt)[:, None]
        gx -= xhat * (k0 * s2 / n).astype(dt)[:, None]
    return gx, s1, s2


# ---------------------------------------------------------------------------- numba
def _split_mean(mean: Any, dt: Any) -> tuple[Any, Any]:
    """``mean`` as ``hi + lo`` in dtype ``dt`` (``x - hi - lo`` keeps float64's accuracy)."""
    hi = mean.astype(dt)
    return hi, (mean - hi).astype(dt)


def normalize_channels_numba(
    x: Any, eps: float, scale: Any = None, offset: Any = None, threads: int | None = None
) -> tuple[Any, Any, Any, Any]:
    """:func:`normalize_channels_numpy` with numba kernels (NumPy arrays only)."""
    k = kernels()
    x = np.ascontiguousarray(x)
    n_a, n_c, n_b = x.shape
    ranges = row_ranges(n_a, n_c * n_b, threads)

    def stats(a0: int, a1: int) -> tuple[Any, Any, Any]:
        count, mean, m2 = np.zeros(n_c), np.zeros(n_c), np.zeros(n_c)
        k["chan_stats"](x[a0:a1], count, mean, m2)
        return count, mean, m2

    parts = run(stats, ranges)
    count, mean, m2 = parts[0]
    for c2, mu2, q2 in parts[1:]:  # Chan's merge of the ranges' statistics
        total = count + c2
        delta = mu2 - mean
        mean = mean + delta * (c2 / total)
        m2 = m2 + q2 + delta * delta * (count * c2 / total)
        count = total
    var = m2 / count
    inv = 1.0 / np.sqrt(var + eps)
    dt = x.dtype
    mh, ml = _split_mean(mean, dt)
    a = (inv if scale is None else inv * scale).astype(dt)
    b = np.zeros(n_c, dt) if offset is None else np.asarray(offset).astype(dt)
    y = _buffers.empty(x.shape, x.dtype)
    run(lambda a0, a1: k["chan_apply"](x[a0:a1], mh, ml, a, b, y[a0:a1]), ranges)
    return y, mean, var, inv


def normalize_channels_backward_numba(
    x: Any,
    gy: Any,
    mean: Any,
    inv: Any,
    scale: Any = None,
    want_gx: bool = True,
    threads: int | None = None,
) -> tuple[Any, Any, Any]:
    """:func:`normalize_channels_backward_numpy` with numba kernels (NumPy arrays only)."""
    k = kernels()
    x = np.ascontiguousarray(x)
    gy = np.ascontiguousarray(gy, dtype=x.dtype)
    n_a, n_c, n_b = x.shape
    dt = x.dtype
    mh, ml = _split_mean(np.asarray(mean, np.float64), dt)
    iv = np.asarray(inv).astype(dt)
    ranges = row_ranges(n_a, 2 * n_c * n_b, threads)

    def sums(a0: int, a1: int) -> tuple[Any, Any]:
        s1, s2 = np.zeros(n_c), np.zeros(n_c)
        k["chan_grad_sums"](x[a0:a1], gy[a0:a1], mh, ml, iv, s1, s2)
        return s1, s2

    parts = run(sums, ranges)
    s1 = sum(p[0] for p in parts[1:]) + parts[0][0]
    s2 = sum(p[1] for p in parts[1:]) + parts[0][1]
    if not want_gx:
        return None, s1, s2
    n = n_a * n_b
    k0 = inv if scale is None else inv * scale
    c0, c1, c2 = k0.astype(dt), (k0 * s1 / n).astype(dt), (k0 * s2 / n).astype(dt)
    gx = _buffers.empty(x.shape, x.dtype)
    run(
        lambda a0, a1: k["chan_grad_apply"](x[a0:a1], gy[a0:a1], mh, ml, iv, c0, c1, c2, gx[a0:a1]),
        ranges,
    )
    return gx, s1, s2


# ---------------------------------------------------------------------------- dispatch
def _use_numba(*arrays: Any) -> bool:
    return all(type(a) is np.ndarray for a in arrays) and numba_enabled()


def normalize_channels(
    x: Any, eps: float, scale: Any = None, offset: Any = None, threads: int | None = None
) -> tuple[Any, Any, Any, Any]:
    """Per-channel standardization then affine: numba kernels or NumPy twin."""
    fn = normalize_channels_numba if _use_numba(x) else normalize_channels_numpy
    return fn(x, eps, scale, offset, threads)


def normalize_channels_backward(
    x: Any,
    gy: Any,
    mean: Any,
    inv: Any,
    scale: Any = None,
    want_gx: bool = True,
    threads: int | None = None,
) -> tuple[Any, Any, Any]:
    """Backward of :func:`normalize_channels`: numba kernels or NumPy twin."""
    use = _use_numba(x, gy)
    fn = normalize_channels_backward_numba if use else normalize_channels_backward_numpy
    return fn(x, gy, mean, inv, scale, want_gx, threads)


# ---------------------------------------------------------------------------- apply form
def _chan_shape(x: Any) -> tuple[int, ...]:
    return (-1, 1) if x.ndim == 3 else (-1,)


def bn_apply_numpy(x: Any, a: Any, b: Any, threads: int | None = None) -> Any:
    """``y = x * a[c] + b[c]`` for ``x`` (A, C, B) or (A, C); ``a``, ``b`` (C,) in x's dtype.

    ``threads`` is accepted and ignored (numba version: ranges of axis 0).
    """
    sh = _chan_shape(x)
    y = x * a.reshape(sh)
    y += b.reshape(sh)
    return y


def bn_apply_grad_numpy(
    x: Any, gy: Any, m: Any, k: Any, want_gx: bool = True, threads: int | None = None
) -> tuple[Any, Any, Any]:
    """Gradient pieces of the apply form, per channel ``c`` of ``x`` (A, C, B) or (A, C).

    Returns:
        ``(gx, s1, s2)``: ``gx = gy * k[c]`` (None without ``want_gx``); float64 (C,) vectors
        ``s1 = sum(gy)`` and ``s2 = sum(gy * (x - m[c]))`` over the other axes.
    """
    xp = get_array_module(x)
    sh = _chan_shape(x)
    sub = "acb,acb->c" if x.ndim == 3 else "ac,ac->c"
    axes = (0, 2) if x.ndim == 3 else (0,)
    s1 = gy.sum(axis=axes, dtype=np.float64)
    s2 = xp.einsum(sub, gy, x - m.reshape(sh), dtype=np.float64)
    gx = gy * k.reshape(sh) if want_gx else None
    return gx, s1, s2


def bn_apply_numba(x: Any, a: Any, b: Any, threads: int | None = None) -> Any:
    """:func:`bn_apply_numpy` with numba kernels (NumPy arrays only)."""
    k = bn_apply_kernels()
    if not x.flags.c_contiguous:
        x = np.ascontiguousarray(x)
    y = _buffers.empty(x.shape, x.dtype)
    fn = k["apply"] if x.ndim == 3 else k["apply_last"]
    ranges = row_ranges(x.shape[0], x.size // max(x.shape[0], 1), threads)
    if len(ranges) == 1:  # no closure, no slicing: the fixed cost of a small call
        fn(x, a, b, y)
    else:
        run(lambda a0, a1: fn(x[a0:a1], a, b, y[a0:a1]), ranges)
    return y


def bn_apply_grad_numba(
    x: Any, gy: Any, m: Any, k: Any, want_gx: bool = True, threads: int | None = None
) -> tuple[Any, Any, Any]:
    """:func:`bn_apply_grad_numpy` with numba kernels (NumPy arrays only)."""
    kern = bn_apply_kernels()
    if not x.flags.c_contiguous:
        x = np.ascontiguousarray(x)
    gy = np.ascontiguousarray(gy, dtype=x.dtype)
    n_c = x.shape[1]
    gx = _buffers.empty(x.shape, x.dtype) if want_gx else np.empty((1,) * x.ndim, x.dtype)
    fn = kern["grad"] if x.ndim == 3 else kern["grad_last"]
    per = 2 * (x.size // max(x.shape[0], 1))

    def part(a0: int, a1: int) -> tuple[Any, Any]:
        s1, s2 = np.zeros(n_c), np.zeros(n_c)
        fn(x[a0:a1], gy[a0:a1], m, k, want_gx, gx[a0:a1] if want_gx else gx, s1, s2)
        return s1, s2

    parts = run(part, row_ranges(x.shape[0], per, threads))
    s1 = sum(p[0] for p in parts[1:]) + parts[0][0]
    s2 = sum(p[1] for p in parts[1:]) + parts[0][1]
    return (gx if want_gx else None), s1, s2


def _apply_numba(x: Any) -> bool:
    return _use_numba(x) and x.dtype in (np.float32, np.float64)


def bn_apply(x: Any, a: Any, b: Any, threads: int | None = None) -> Any:
    """The apply form ``x * a[c] + b[c]``: numba kernels or NumPy twin."""
    fn = bn_apply_numba if _apply_numba(x) else bn_apply_numpy
    return fn(x, a, b, threads)


def bn_apply_grad(
    x: Any, gy: Any, m: Any, k: Any, want_gx: bool = True, threads: int | None = None
) -> tuple[Any, Any, Any]:
    """Gradient pieces of the apply form: numba kernels or NumPy twin."""
    use = _apply_numba(x) and _use_numba(gy)
    fn = bn_apply_grad_numba if use else bn_apply_grad_numpy
    return fn(x, gy, m, k, want_gx, threads)


# ---------------------------------------------------------------------------- group norm
#: Longest ``x[n, c]`` row the numba statistics take (summed in x's dtype: float32 rows of
#: this length keep a relative error near 1e-6 with the kernel's vector lanes).
GN_MAX_ROW = 1 << 15


def _per_channel(v: Any, groups: int, n_c: int) -> Any:
    """A per-(n, g) vector ``(N * G,)`` repeated over each group's channels: ``(N, C)``."""
    xp = get_array_module(v)
    return xp.repeat(v.reshape(-1, groups), n_c // groups, axis=1)


def _group_coefficients(
    x: Any, groups: int, eps: float, scale: Any, offset: Any, mean: Any, m2: Any
):
    xp = get_array_module(x)
    n_n, n_c, n_b = x.shape
    var = m2 / (n_c // groups * n_b)
    inv = 1.0 / xp.sqrt(var + eps)
    inv_nc = _per_channel(inv, groups, n_c)
    a = inv_nc if scale is None else inv_nc * scale[None, :]
    b = xp.zeros((n_n, n_c)) if offset is None else xp.broadcast_to(offset[None, :], (n_n, n_c))
    return var, inv, a, b


def group_normalize_numpy(
    x: Any, groups: int, eps: float, scale: Any = None, offset: Any = None, threads: Any = None
) -> tuple[Any, Any, Any, Any]:
    """Group normalization of ``x`` (N, C, B), ``groups`` dividing C, then ``* scale +
    offset`` (float64 ``(C,)`` or None).

    Returns:
        ``(y, mean, var, inv)``: ``y`` like ``x``; float64 ``(N * G,)`` statistics per
        (sample, group) and ``1 / sqrt(var + eps)``.
    """
    n_n, n_c = x.shape[:2]
    x64 = x.reshape(n_n * groups, -1).astype(np.float64)
    mean = x64.mean(axis=1)
    m2 = ((x64 - mean[:, None]) ** 2).sum(axis=1)
    var, inv, a, b = _group_coefficients(x, groups, eps, scale, offset, mean, m2)
    d = x.astype(np.float64) - _per_channel(mean, groups, n_c)[:, :, None]
    y = (d * a[:, :, None] + b[:, :, None]).astype(x.dtype)
    return y, mean, var, inv


def group_normalize_backward_numpy(
    x: Any,
    gy: Any,
    groups: int,
    mean: Any,
    inv: Any,
    scale: Any = None,
    want_gx: bool = True,
    threads: Any = None,
) -> tuple[Any, Any, Any]:
    """Gradients of :func:`group_normalize_numpy` from its statistics.

    Returns:
        ``(gx, s_offset, s_scale)``: ``gx`` like ``x`` (None without ``want_gx``); float64
        ``(C,)``: ``sum(gy)`` and ``sum(gy * xhat)`` per channel.
    """
    n_c = x.shape[1]
    d = x.astype(np.float64) - _per_channel(mean, groups, n_c)[:, :, None]
    g64 = gy.astype(np.float64)
    s1, s2 = g64.sum(axis=2), (g64 * d).sum(axis=2)
    return _group_grads(x, gy, groups, inv, scale, want_gx, s1, s2, d, None)


def _group_grads(x, gy, groups, inv, scale, want_gx, s1, s2, d, apply):
    """From the per-(n, c) sums ``s1 = sum gy``, ``s2 = sum gy (x - mean)``: the parameter
    sums, and ``gx = c0 gy + c2 (x - mean) + c1`` (NumPy with ``d``, else ``apply``)."""
    xp = get_array_module(x)
    n_n, n_c, n_b = x.shape
    inv_nc = _per_channel(inv, groups, n_c)
    s_off, s_sc = s1.sum(axis=0), (s2 * inv_nc).sum(axis=0)
    if not want_gx:
        return None, s_off, s_sc
    sc = xp.ones(n_c) if scale is None else scale
    n_el = n_c // groups * n_b
    sg = (s1 * sc).reshape(n_n, groups, -1).sum(axis=2).reshape(-1)
    sgx = (s2 * sc).reshape(n_n, groups, -1).sum(axis=2).reshape(-1) * inv
    c0 = inv_nc * sc
    c1 = _per_channel(-inv * sg / n_el, groups, n_c)
    c2 = _per_channel(-inv * inv * sgx / n_el, groups, n_c)
    if apply is not None:
        return apply(c0, c1, c2), s_off, s_sc
    gx = c0[:, :, None] * gy + c2[:, :, None] * d + c1[:, :, None]
    return gx.astype(x.dtype), s_off, s_sc


def group_normalize_numba(
    x: Any, groups: int, eps: float, scale: Any = None, offset: Any = None, threads: Any = None
) -> tuple[Any, Any, Any, Any]:
    """:func:`group_normalize_numpy` with numba kernels (NumPy arrays only)."""
    k = group_norm_kernels()
    x = np.ascontiguousarray(x)
    n_n, n_c, n_b = x.shape
    mean, m2 = np.empty(n_n * groups), np.empty(n_n * groups)
    ranges = row_ranges(n_n, n_c * n_b, threads)
    run(
        lambda i0, i1: k["stats"](
            x[i0:i1], groups, mean[i0 * groups : i1 * groups], m2[i0 * groups : i1 * groups]
        ),
        ranges,
    )
    var, inv, a, b = _group_coefficients(x, groups, eps, scale, offset, mean, m2)
    dt = x.dtype
    mh, ml = _split_mean(_per_channel(mean, groups, n_c), dt)
    a_dt = np.ascontiguousarray(a, dt)
    b2 = np.ascontiguousarray(b - ml.astype(np.float64) * a_dt.astype(np.float64), dt)
    y = _buffers.empty(x.shape, x.dtype)
    run(lambda i0, i1: k["apply"](x[i0:i1], mh[i0:i1], b2[i0:i1], a_dt[i0:i1], y[i0:i1]), ranges)
    return y, mean, var, inv


def group_normalize_backward_numba(
    x: Any,
    gy: Any,
    groups: int,
    mean: Any,
    inv: Any,
    scale: Any = None,
    want_gx: bool = True,
    threads: Any = None,
) -> tuple[Any, Any, Any]:
    """:func:`group_normalize_backward_numpy` with numba kernels (NumPy arrays only)."""
    k = group_norm_kernels()
    x = np.ascontiguousarray(x)
    gy = np.ascontiguousarray(gy, dtype=x.dtype)
    n_n, n_c, n_b = x.shape
    dt = x.dtype
    mh, ml = _split_mean(_per_channel(np.asarray(mean, np.float64), groups, n_c), dt)
    ranges = row_ranges(n_n, 2 * n_c * n_b, threads)
    s1, s2 = np.empty((n_n, n_c)), np.empty((n_n, n_c))
    run(
        lambda i0, i1: k["grad_sums"](
            x[i0:i1], gy[i0:i1], mh[i0:i1], ml[i0:i1], s1[i0:i1], s2[i0:i1]
        ),
        ranges,
    )

    def apply(c0: Any, c1: Any, c2: Any) -> Any:
        c0, c1, c2 = (np.ascontiguousarray(c, dt) for c in (c0, c1, c2))
        gx = _buffers.empty(x.shape, x.dtype)
        run(
            lambda i0, i1: k["grad_apply"](
                x[i0:i1],
                gy[i0:i1],
                mh[i0:i1],
                ml[i0:i1],
                c0[i0:i1],
                c1[i0:i1],
                c2[i0:i1],
                gx[i0:i1],
            ),
            ranges,
        )
        return gx

    return _group_grads(x, gy, groups, inv, scale, want_gx, s1, s2, None, apply)


def group_normalize(
    x: Any, groups: int, eps: float, scale: Any = None, offset: Any = None, threads: Any = None
) -> tuple[Any, Any, Any, Any]:
    """Group normalization of ``(N, C, B)``: numba kernels or NumPy twin (also for rows of
    more than :data:`GN_MAX_ROW` values, which the kernel would sum in x's dtype)."""
    use = _apply_numba(x) and x.shape[2] <= GN_MAX_ROW
    fn = group_normalize_numba if use else group_normalize_numpy
    return fn(x, groups, eps, scale, offset, threads)


def group_normalize_backward(
    x: Any,
    gy: Any,
    groups: int,
    mean: Any,
    inv: Any,
    scale: Any = None,
    want_gx: bool = True,
    threads: Any = None,
) -> tuple[Any, Any, Any]:
    """Backward of :func:`group_normalize`: numba kernels or NumPy twin."""
    use = _apply_numba(x) and _use_numba(gy) and x.shape[2] <= GN_MAX_ROW
    fn = group_normalize_backward_numba if use else group_normalize_backward_numpy
    return fn(x, gy, groups, mean, inv, scale, want_gx, threads)
