"""Pooling kernels over the last ``len(kernel)`` axes: strided window views, one pass per offset.

Inputs are already padded to cover every window (see :func:`nnfunc.kernels.cpu.im2col.pad_input`);
leading axes (batch, channels) are arbitrary. Each kernel loops over the few kernel offsets and
does whole-array operations on strided views, never a Python loop over output pixels.

Max pooling gives the gradient to the FIRST maximum of each window (offsets in C order), which
:func:`max_scatter` / :func:`max_gather` find by comparing each offset's view with the output.
An optional additive ``filt`` of shape ``(C, prod(kernel))`` (``C`` the axis just before the
window axes: the per-channel structuring function of a morphological dilation) is added before
the max.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from nnfunc.kernels.cpu.im2col import offsets, window

__all__ = ["max_gather", "max_scatter", "window_max", "window_sum", "window_sum_transpose"]


def _view(xpad: Any, o: Sequence[int], stride, dilation, out) -> Any:
    return xpad[(Ellipsis, *window(o, stride, dilation, out))]


def _shifted(xpad, o, i, stride, dilation, out, filt, nsp) -> Any:
    v = _view(xpad, o, stride, dilation, out)
    if filt is None:
        return v
    return v + filt[..., i].reshape(filt.shape[:-1] + (1,) * nsp)


def window_max(xp: Any, xpad: Any, kernel, stride, dilation, out, filt: Any = None) -> Any:
    """``max`` over each window (plus ``filt[..., offset]`` when given)."""
    nsp = len(kernel)
    y = None
    for i, o in enumerate(offsets(kernel)):
        v = _shifted(xpad, o, i, stride, dilation, out, filt, nsp)
        if y is None:
            y = v.copy() if filt is None else v
        else:
            xp.maximum(y, v, out=y)
    return y


def _hits(xp, xpad, y, kernel, stride, dilation, out, filt, inside=None):
    """For each offset, the mask of windows whose first maximum sits at that offset (among
    the cells where the padded mask ``inside`` is True, when given: padding never wins)."""
    nsp = len(kernel)
    taken = xp.zeros(y.shape, dtype=bool)
    for i, o in enumerate(offsets(kernel)):
        hit = _shifted(xpad, o, i, stride, dilation, out, filt, nsp) == y
        if inside is not None:
            hit &= _view(inside, o, stride, dilation, out)
        hit &= ~taken
        taken |= hit
        yield i, o, hit


def max_scatter(
    xp: Any,
    xpad: Any,
    y: Any,
    gy: Any,
    kernel,
    stride,
    dilation,
    out,
    filt: Any = None,
    inside: Any = None,
) -> tuple[Any, Any]:
    """Route ``gy`` to the first maximum of each window: ``(g_xpad, g_filt or None)``
    (``inside``: see :func:`_hits`)."""
    buf = xp.zeros(xpad.shape, dtype=gy.dtype)
    gf = None if filt is None else xp.zeros(filt.shape, dtype=gy.dtype)
    cax = gy.ndim - len(kernel) - 1
    red = tuple(a for a in range(gy.ndim) if a != cax)
    for i, o, hit in _hits(xp, xpad, y, kernel, stride, dilation, out, filt, inside):
        g = xp.where(hit, gy, 0)
        buf[(Ellipsis, *window(o, stride, dilation, out))] += g
        if gf is not None:
            gf[:, i] = g.sum(axis=red)
    return buf, gf


def max_gather(
    xp: Any,
    xpad: Any,
    y: Any,
    gxpad: Any,
    gfilt: Any,
    kernel,
    stride,
    dilation,
    out,
    filt: Any = None,
    inside: Any = None,
) -> Any:
    """Adjoint of :func:`max_scatter`: read ``gxpad`` (and ``gfilt``) at each first maximum."""
    nsp = len(kernel)
    dtype = gxpad.dtype if gxpad is not None else gfilt.dtype
    gy = xp.zeros(y.shape, dtype=dtype)
    for i, o, hit in _hits(xp, xpad, y, kernel, stride, dilation, out, filt, inside):
        src = 0
        if gxpad is not None:
            src = _view(gxpad, o, stride, dilation, out)
        if gfilt is not None:
            src = src + gfilt[..., i].reshape(gfilt.shape[:-1] + (1,) * nsp)
        gy += xp.where(hit, src, 0)
    return gy


def window_sum(xp: Any, xpad: Any, kernel, stride, out, dtype) -> Any:
    """Sum over each window, accumulated in ``dtype``."""
    y = None
    for o in offsets(kernel):
        v = _view(xpad, o, stride, (1,) * len(kernel), out)
        if y is None:
            y = v.astype(dtype, copy=True)
        else:
            y += v
    return y


def window_sum_transpose(xp: Any, gy: Any, kernel, stride, out, padded_shape) -> Any:
    """Adjoint of :func:`window_sum`: add ``gy`` to every cell of its window."""
    buf = xp.zeros(padded_shape, dtype=gy.dtype)
    for o in offsets(kernel):
        buf[(Ellipsis, *window(o, stride, (1,) * len(kernel), out))] += gy
    return buf
