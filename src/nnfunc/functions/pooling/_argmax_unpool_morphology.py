"""max_pool_with_argmax, unpool, and grayscale morphology (dilation2d / erosion2d)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

import nnfunc.functions as F
from nnfunc.core import check, shapes
from nnfunc.core.function import Function
from nnfunc.core.spec import TensorSpec
from nnfunc.errors import ShapeError
from nnfunc.functions.pooling._pool import Geometry, GeomSpec, MaxPool, WindowSum, _min_value
from nnfunc.kernels.cpu import pool as K

__all__ = ["dilation2d", "erosion2d", "max_pool_with_argmax", "unpool"]


class _PoolArgmax(Function):
    """Flat C-order index into ``x`` of the first maximum of each window (no gradient)."""

    op_name = "max_pool_with_argmax"

    def __init__(self, args: tuple, index_dtype: Any) -> None:
        self._args = args
        self._index_dtype = index_dtype

    def setup(self, x: Any) -> tuple[TensorSpec, ...]:
        self.geom = Geometry(self.op_name, x, *self._args)
        name = np.dtype(self._index_dtype).name if _is_dtype(self._index_dtype) else None
        check.choice(self.op_name, "index_dtype", name, ("int32", "int64"))
        self.index_dtype = np.dtype(name)
        return (TensorSpec(self.geom.out_shape(x.shape), self.index_dtype),)

    def forward(self, xp: Any, x: Any) -> tuple[Any, ...]:
        g = self.geom
        xpad = g.pad(xp, g.to_first(xp, x), x.dtype, _min_value(x.dtype))
        y = K.window_max(xp, xpad, g.kernel, g.stride, g.dilation, g.out)
        idx = xp.arange(x.size, dtype=np.int64).reshape(x.shape)
        ipad = g.pad(xp, g.to_first(xp, idx), np.int64, -1)
        out = xp.full(y.shape, -1, dtype=np.int64)
        for _, o, hit in K._hits(xp, xpad, y, g.kernel, g.stride, g.dilation, g.out, None):
            view = ipad[(Ellipsis, *K.window(o, g.stride, g.dilation, g.out))]
            xp.copyto(out, view, where=hit)
        return (g.from_first(xp, out).astype(self.index_dtype),)


def _is_dtype(value: Any) -> bool:
    try:
        np.dtype(value)
    except TypeError:
        return False
    return not isinstance(value, (int, float)) and value is not None


def max_pool_with_argmax(
    x: Any,
    kernel: int | Sequence[int],
    *,
    stride: int | Sequence[int] | None = None,
    pad: Any = 0,
    channel_last: bool = False,
    index_dtype: Any = "int64",
    name: str | None = None,
) -> tuple[Any, Any]:
    """Max pooling that also returns where each maximum was taken.

    ``argmax`` is the flat (C-order) index into ``x`` of the first maximum of each window,
    batch included: for NHWC input, ``((b*H + y)*W + x)*C + c`` (TensorFlow 1.x's formula).

    Args:
        x, kernel, stride, pad, channel_last: as :func:`max_pool`.
        index_dtype: ``"int64"`` (default) or ``"int32"``.
        name (str, optional): Node-name prefix in graph mode (``name`` and ``name + "_argmax"``).

    Returns:
        ``(output, argmax)``: pooled values (dtype of ``x``) and indices.

    Raises:
        ShapeError, ArgumentError: as :func:`max_pool`; ArgumentError for another index dtype.

    Notes:
        Only ``output`` carries a gradient (to the same first maximum as the index).
        Equivalent: ``tf.nn.max_pool_with_argmax`` (NHWC, ``Targmax``).

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> x = np.array([[[[1.0], [5.0]], [[7.0], [2.0]]]])  # NHWC (1, 2, 2, 1)
        >>> y, i = nf.max_pool_with_argmax(x, (2, 2), channel_last=True)
        >>> y.ravel(), i.ravel()
        (array([7.]), array([2]))
    """
    args = (kernel, stride, pad, True, channel_last)
    argmax = _PoolArgmax(args, index_dtype)
    # validate first, so that errors name this function and (in a graph) the node `name`
    with shapes.node_errors(name, x):
        argmax.setup(_spec(x))
    y = MaxPool(*args).apply1(x, name=name)
    idx = argmax.apply1(x, name=None if name is None else f"{name}_argmax")
    return y, idx


def unpool(
    x: Any, kernel: int | Sequence[int], *, channel_last: bool = False, name: str | None = None
) -> Any:
    """Spread each value over a ``kernel``-sized block (nearest-neighbour upsampling).

    .. math::
        y[\\ldots, k_1 i_1 + j_1, k_2 i_2 + j_2] = x[\\ldots, i_1, i_2], \\quad 0 \\le j < k

    Args:
        x: ``(..., C, *L)`` (``channel_last``: ``(..., *L, C)``); ``kernel`` covers the last
            ``len(kernel)`` spatial axes (an int: ``x.ndim - 2`` axes).
        kernel (int or tuple): Block size per axis.
        channel_last (bool): Channels on the last axis.
        name (str, optional): Node name of the result in graph mode.

    Returns:
        Spatial sizes multiplied by ``kernel``; dtype of ``x``.

    Raises:
        ArgumentError: bad kernel. ShapeError: rank too small.

    Notes:
        A composite of reshape and broadcast; the gradient sums each block.
        Equivalent: ``nnabla.functions.unpooling`` (spreading, not index-based unpooling).

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.unpool(np.array([[[1.0, 2.0]]]), (2,))
        array([[[1., 1., 2., 2.]]])
    """
    return Unpool(kernel, channel_last).apply1(x, name=name)


class Unpool(Function):
    """Function node of :func:`unpool`; its backward is a sum pooling over the blocks."""

    op_name = "unpool"

    def __init__(self, kernel: Any, channel_last: Any) -> None:
        self._kernel = kernel
        self._channel_last = channel_last

    def setup(self, x: Any) -> tuple[TensorSpec, ...]:
        # "same": the block need not fit in the input (unpooling enlarges it); only the axes
        # and the kernel are wanted from the pooling geometry here.
        g = Geometry(self.op_name, x, self._kernel, 1, "same", True, self._channel_last)
        self.axes, self.kernel, self.channel_last = g.axes, g.kernel, g.channel_last
        shape = list(x.shape)
        for a, k in zip(g.axes, g.kernel, strict=True):
            shape[a] = None if shape[a] is None else shape[a] * k
        return (TensorSpec(tuple(shape), np.dtype(x.dtype)),)

    def forward(self, xp: Any, x: Any) -> tuple[Any, ...]:
        y = x
        for a, k in zip(self.axes, self.kernel, strict=True):
            y = xp.repeat(y, k, axis=a)
        return (y,)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        args = (self.kernel, self.kernel, 0, True, self.channel_last)
        return (WindowSum(args, "sum").apply1(grad_outputs[0]),)


class Dilation2D(Function):
    """Function node of :func:`dilation2d` (channel-first internally)."""

    op_name = "dilation2d"
    input_names = ("x", "filter")
    retain_in = (0, 1)
    retain_out = (0,)

    def __init__(
        self, stride: Any, rate: Any, pad: Any, channel_last: Any, op: str = "dilation2d"
    ) -> None:
        self._raw = (stride, rate, pad, channel_last)
        if op != "dilation2d":  # erosion2d's core: its errors carry erosion2d's names
            self.op_name = op
            self.input_names = ("x", "kernel")

    def setup(self, x: Any, f: Any) -> tuple[TensorSpec, ...]:
        op = self.op_name
        fname = self.input_names[1]
        stride, rate, pad, channel_last = self._raw
        check.ndim(op, "x", x, 4)
        check.ndim(op, fname, f, 3)
        check.same_dtype(op, ("x", fname), (x, f))
        kernel = tuple(f.shape[1:])
        self.spec = GeomSpec(op, (kernel, stride, pad, True, channel_last), rate)
        self.geom = self.spec.build(x)
        c = x.shape[3 if self.geom.channel_last else 1]
        if c is not None and f.shape[0] is not None and f.shape[0] != c:
            raise ShapeError(
                check.message(
                    op,
                    fname,
                    f"have {c} channels on axis 0 (the depth of `x`)",
                    **{f"{fname}.shape": tuple(f.shape), "x.shape": tuple(x.shape)},
                )
            )
        return (TensorSpec(self.geom.out_shape(x.shape), np.dtype(x.dtype)),)

    def forward(self, xp: Any, x: Any, f: Any) -> tuple[Any, ...]:
        g = self.geom
        xpad = g.pad(xp, g.to_first(xp, x), x.dtype, _min_value(x.dtype))
        filt = f.reshape(f.shape[0], -1)
        y = K.window_max(xp, xpad, g.kernel, g.stride, g.dilation, g.out, filt)
        return (g.from_first(xp, y.astype(x.dtype, copy=False)),)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        x, f = self.retained_inputs()
        (y,) = self.retained_outputs()
        return _MorphScatter(self.spec).apply(x, f, y, grad_outputs[0])


class _MorphScatter(Function):
    """``(x, f, y, gy) -> (gx, gf)``: ``gy`` routed to the first maximum of each window."""

    op_name = "dilation2d_grad"
    input_names = ("x", "filter", "y", "gy")
    retain_in = (0, 1, 2)

    def __init__(self, spec: GeomSpec) -> None:
        self.spec = spec

    def setup(self, x: Any, f: Any, y: Any, gy: Any) -> tuple[TensorSpec, ...]:
        self.geom = self.spec.build(x)
        dt = np.dtype(gy.dtype)
        return (TensorSpec(tuple(x.shape), dt), TensorSpec(tuple(f.shape), dt))

    def forward(self, xp: Any, x: Any, f: Any, y: Any, gy: Any) -> tuple[Any, ...]:
        g = self.geom
        xpad = g.pad(xp, g.to_first(xp, x), x.dtype, _min_value(x.dtype))
        buf, gf = K.max_scatter(
            xp,
            xpad,
            g.to_first(xp, y),
            g.to_first(xp, gy),
            g.kernel,
            g.stride,
            g.dilation,
            g.out,
            f.reshape(f.shape[0], -1),
        )
        gx = g.from_first(xp, xp.ascontiguousarray(g.crop(buf)))
        return (gx, gf.reshape(f.shape))

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        x, f, y = self.retained_inputs()
        ggx, ggf = grad_outputs
        return (None, None, None, _MorphGather(self.spec).apply1(x, f, y, ggx, ggf))


class _MorphGather(Function):
    """Adjoint of :class:`_MorphScatter`: ``(x, f, y, gx, gf) -> gy``."""

    op_name = "dilation2d_grad_grad"
    input_names = ("x", "filter", "y", "gx", "gf")
    retain_in = (0, 1, 2)

    def __init__(self, spec: GeomSpec) -> None:
        self.spec = spec

    def setup(self, x: Any, f: Any, y: Any, gx: Any, gf: Any) -> tuple[TensorSpec, ...]:
        self.geom = self.spec.build(x)
        dt = np.dtype((gx if gx is not None else gf).dtype)
        return (TensorSpec(tuple(y.shape), dt),)

    def forward(self, xp: Any, x: Any, f: Any, y: Any, gx: Any, gf: Any) -> tuple[Any, ...]:
        g = self.geom
        xpad = g.pad(xp, g.to_first(xp, x), x.dtype, _min_value(x.dtype))
        gpad = None if gx is None else g.pad(xp, g.to_first(xp, gx), gx.dtype, 0)
        gfl = None if gf is None else gf.reshape(gf.shape[0], -1)
        gy = K.max_gather(
            xp,
            xpad,
            g.to_first(xp, y),
            gpad,
            gfl,
            g.kernel,
            g.stride,
            g.dilation,
            g.out,
            f.reshape(f.shape[0], -1),
        )
        return (g.from_first(xp, gy),)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        x, f, y = self.retained_inputs()
        gx, gf = _MorphScatter(self.spec).apply(x, f, y, grad_outputs[0])
        return (None, None, None, gx, gf)


def dilation2d(
    x: Any,
    filter: Any,  # noqa: A002
    *,
    stride: int | Sequence[int] = 1,
    rate: int | Sequence[int] = 1,
    pad: Any = "valid",
    channel_last: bool = False,
    name: str | None = None,
) -> Any:
    """Grayscale morphological dilation (max-plus correlation, unmirrored filter).

    .. math::
        y[n, c, i, j] = \\max_{a, b} x_{pad}[n, c, s_1 i + r_1 a, s_2 j + r_2 b] + f[c, a, b]

    Args:
        x: ``(N, C, H, W)`` (``channel_last``: ``(N, H, W, C)``).
        filter: ``(C, kh, kw)``, one structuring function per channel.
        stride (int or tuple): Window step.
        rate (int or tuple): Spacing of the filter taps (atrous).
        pad: ``"valid"`` (default), ``"same"`` (TensorFlow's rule) or explicit pads; padded
            cells never win.
        channel_last (bool): Channels on the last axis.
        name (str, optional): Node name in graph mode.

    Returns:
        ``(N, C, H', W')`` (or channel-last), dtype of ``x``.

    Raises:
        ShapeError: ranks, filter depth different from the channels, empty output.
        ArgumentError: bad stride, rate or pad. DTypeError: mixed dtypes.

    Notes:
        Max pooling is the dilation by an all-zero filter. Gradients go to the first
        maximum of each window, for ``x`` and for the filter. Equivalent:
        ``tf.nn.dilation2d`` (NHWC, filter ``(kh, kw, C)``).

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> x = np.array([[[[1.0, 4.0, 2.0]]]])
        >>> nf.dilation2d(x, np.array([[[0.0, -1.0]]]))
        array([[[[3., 4.]]]])
    """
    return Dilation2D(stride, rate, pad, channel_last).apply1(x, filter, name=name)


def erosion2d(
    x: Any,
    kernel: Any,
    *,
    stride: int | Sequence[int] = 1,
    rate: int | Sequence[int] = 1,
    pad: Any = "valid",
    channel_last: bool = False,
    name: str | None = None,
) -> Any:
    """Grayscale morphological erosion: the dual of :func:`dilation2d`.

    .. math::
        \\mathrm{erosion2d}(x, k) = -\\mathrm{dilation2d}(-x, \\bar{k}), \\quad
        \\bar{k}[c, a, b] = k[c, k_h - 1 - a, k_w - 1 - b]

    which is ``min_{a,b} x[s i - r a, s j - r b] - k[a, b]`` up to the window origin (TensorFlow
    computes it exactly this way).

    Args:
        x: ``(N, C, H, W)`` (``channel_last``: ``(N, H, W, C)``).
        kernel: ``(C, kh, kw)``.
        stride, rate, pad, channel_last: as :func:`dilation2d`.
        name (str, optional): Node name of the result in graph mode.

    Returns:
        ``(N, C, H', W')`` (or channel-last).

    Raises:
        ShapeError, ArgumentError, DTypeError: as :func:`dilation2d`.

    Notes:
        A composite of negation, a reversed kernel and :func:`dilation2d`; gradients go to the
        first minimum. Equivalent: ``tf.nn.erosion2d``.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> x = np.array([[[[1.0, 4.0, 2.0]]]])
        >>> nf.erosion2d(x, np.array([[[0.0, 1.0]]]))
        array([[[[0., 1.]]]])
    """

    # validate first, so that errors name erosion2d, `kernel` and (in a graph) this node; on a
    # throwaway instance, so the node applied below is as its constructor left it (what a saved
    # graph records)
    with shapes.node_errors(name, x, kernel):
        Dilation2D(stride, rate, pad, channel_last, op="erosion2d").setup(_spec(x), _spec(kernel))
    core = Dilation2D(stride, rate, pad, channel_last, op="erosion2d")
    flipped = F.getitem(kernel, (slice(None), slice(None, None, -1), slice(None, None, -1)))
    y = core.apply1(F.neg(x), flipped)
    return F.neg(y, name=name)


def _spec(t: Any) -> Any:
    """Something with ``shape`` and ``dtype`` for ``setup`` (arrays, Variables, symbols)."""
    return t if hasattr(t, "shape") and hasattr(t, "dtype") else np.asarray(t)
