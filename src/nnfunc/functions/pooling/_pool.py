"""Max, average and sum pooling over sliding windows, and global average pooling."""

from __future__ import annotations

import functools
import numbers
import weakref
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

import nnfunc.functions as F
from nnfunc.core import check, shapes
from nnfunc.core.dtypes import accumulation_dtype, real_dtype
from nnfunc.core.function import Function
from nnfunc.core.spec import TensorSpec
from nnfunc.errors import ArgumentError
from nnfunc.kernels.cpu import pool as K
from nnfunc.kernels.cpu import pool2d
from nnfunc.kernels.cpu.im2col import pad_input

__all__ = ["avg_pool", "global_avg_pool", "max_pool", "sum_pool"]


class Geometry:
    """Resolved window geometry of a pooling call (spatial axes, pads, output sizes)."""

    def __init__(
        self,
        op: str,
        x: Any,
        kernel: Any,
        stride: Any,
        pad: Any,
        ignore_border: Any,
        channel_last: Any,
        dilation: Any = 1,
        min_rank: int | None = None,
        every_window_in_x: bool = False,
    ) -> None:
        nd = len(x.shape)
        self.channel_last = check.boolean(op, "channel_last", channel_last)
        ignore_border = check.boolean(op, "ignore_border", ignore_border)
        if isinstance(kernel, np.ndarray) and kernel.ndim == 0:  # a 0-d array is an int here
            kernel = kernel.item()
        if isinstance(kernel, (numbers.Integral, np.integer)) and not isinstance(kernel, bool):
            check.ndim_at_least(op, "x", x, 3)
            nsp = nd - 2
        elif isinstance(kernel, (Sequence, np.ndarray)) and not isinstance(kernel, str):
            nsp = len(kernel)
            if nsp == 0:
                raise ArgumentError(check.message(op, "kernel", "not be empty", kernel=kernel))
        else:
            raise ArgumentError(
                check.message(op, "kernel", "be an int or a sequence of ints", kernel=kernel)
            )
        check.ndim_at_least(op, "x", x, max(nsp + 1, min_rank or 0))
        self.nd, self.nsp = nd, nsp
        self.kernel = check.int_tuple(op, "kernel", kernel, nsp, min_value=1)
        stride = self.kernel if stride is None else stride
        self.stride = check.int_tuple(op, "stride", stride, nsp, min_value=1)
        self.dilation = check.int_tuple(op, "dilation", dilation, nsp, min_value=1)
        first = nd - nsp - (1 if self.channel_last else 0)
        self.axes = tuple(range(first, first + nsp))
        self.sizes = tuple(x.shape[a] for a in self.axes)
        self.pads = shapes.resolve_padding(
            op, pad, self.sizes, self.kernel, self.stride, self.dilation
        )
        out = []
        for i in range(nsp):
            n = None
            if self.sizes[i] is not None and self.pads[i][0] is not None:
                if ignore_border:
                    n = shapes.conv_out_size(
                        self.sizes[i],
                        self.kernel[i],
                        self.stride[i],
                        self.pads[i],
                        self.dilation[i],
                    )
                else:
                    n = shapes.pool_out_size(
                        self.sizes[i], self.kernel[i], self.stride[i], self.pads[i], False
                    )
            received = {
                "input": self.sizes[i],
                "kernel": self.kernel[i],
                "pad": shapes.show_pad(self.pads[i]),
                "stride": self.stride[i],
            }
            if self.dilation[i] != 1:
                received["dilation"] = self.dilation[i]
            shapes.check_out_size(op, i, n, **received)
            out.append(n)
        self.out = tuple(out)
        self.ignore_border = ignore_border
        if every_window_in_x:
            self._check_windows(op, pad)
        if None not in self.out:
            # The padded input (float64 at worst) is allocated before any output: bound it (per
            # sample while the batch is unknown; setup runs again with the real batch).
            other = tuple(d for j, d in enumerate(x.shape) if j not in self.axes)
            padded = tuple(max(n, s) for n, s in zip(self.needed, self.sizes, strict=True))
            shapes.check_padded_input(
                op, other + padded, kernel=self.kernel, stride=self.stride, pad=pad
            )

    def _check_windows(self, op: str, pad: Any) -> None:
        """Every window holds a cell of ``x`` (a maximum over padding only is undefined).

        The windows are consecutive, so it is enough that the first one ends at or after the
        first cell and the last one starts at or before the last cell. TF/Keras ``"same"`` and
        NNabla's ``ignore_border=False`` sizes never fail this; explicit padding of a kernel
        size or more does (PyTorch rejects padding over half the kernel).
        """
        for i in range(self.nsp):
            n, size, (lo, _) = self.out[i], self.sizes[i], self.pads[i]
            if n is None or size is None or lo is None or n == 0:
                continue
            first_end = (self.kernel[i] - 1) * self.dilation[i] - lo
            last_start = (n - 1) * self.stride[i] - lo
            if first_end < 0 or last_start > size - 1:
                raise ArgumentError(
                    check.message(
                        op,
                        "pad",
                        "leave at least one element of `x` in every window",
                        pad=pad,
                        kernel=self.kernel,
                        stride=self.stride,
                        input=self.sizes,
                    )
                )

    # ---------------------------------------------------------------- helpers
    # (cached: derived from attributes that never change after construction; read on every
    # kernel call of a cached Geometry)
    @functools.cached_property
    def lows(self) -> tuple[int, ...]:
        return tuple(lo for lo, _ in self.pads)

    @functools.cached_property
    def needed(self) -> tuple[int, ...]:
        return tuple(
            (n - 1) * s + d * (k - 1) + 1
            for n, s, d, k in zip(self.out, self.stride, self.dilation, self.kernel, strict=True)
        )

    def out_shape(self, shape: Sequence[Any]) -> tuple:
        shape = list(shape)
        for a, n in zip(self.axes, self.out, strict=True):
            shape[a] = n
        return tuple(shape)

    def in_shape(self, shape: Sequence[Any]) -> tuple:
        shape = list(shape)
        for a, n in zip(self.axes, self.sizes, strict=True):
            shape[a] = n
        return tuple(shape)

    def to_first(self, xp: Any, x: Any) -> Any:
        """Window axes last (a view)."""
        return xp.moveaxis(x, -1, -self.nsp - 1) if self.channel_last else x

    def from_first(self, xp: Any, y: Any) -> Any:
        if not self.channel_last:
            return y
        return xp.ascontiguousarray(xp.moveaxis(y, -self.nsp - 1, -1))

    def pad(self, xp: Any, xf: Any, dtype: Any, value: Any = 0) -> Any:
        return pad_input(xp, xf, self.lows, self.needed, dtype, value)

    def crop(self, buf: Any) -> Any:
        inner = tuple(slice(lo, lo + n) for lo, n in zip(self.lows, self.sizes, strict=True))
        return buf[(Ellipsis, *inner)]

    def divisor(self, including_pad: bool) -> np.ndarray:
        """Number of cells averaged by each window (NNabla's rule), shape ``out``."""
        div = np.ones((), dtype=np.float64)
        for n, k, s, (lo, hi), size in zip(
            self.out, self.kernel, self.stride, self.pads, self.sizes, strict=True
        ):
            start = np.arange(n) * s - lo
            if including_pad:
                cnt = np.minimum(start + k, size + hi) - start
            else:
                cnt = np.minimum(start + k, size) - np.maximum(start, 0)
            div = np.multiply.outer(div, np.maximum(cnt, 1))
        return div


def _plain(v: Any) -> bool:
    """Whether ``v`` is None, a str, an exact int/bool or a tuple of such: its ``repr`` then
    identifies it exactly (``2`` vs ``2.0`` vs ``True``, which compare and hash equal).

    A loop, not ``all()`` over a generator (a frame per element: ~3 us a pooling call)."""
    t = type(v)
    if t is tuple:
        for e in v:
            t = type(e)
            if not (t is int or t is bool or t is str or e is None or (t is tuple and _plain(e))):
                return False
        return True
    return v is None or t is int or t is bool or t is str


#: Geometries already built, by (op, repr of the arguments, input shape): a training loop
#: pools the same shapes on every step, and building one (validation, padding, output sizes)
#: cost ~40 us, about the pooling kernel's own time on small batches. A Geometry is never
#: written after it is built; only successfully built ones are kept.
_GEOMETRIES: dict[tuple, Geometry] = {}
_GEOMETRIES_MAX = 256


def _geometry(
    op: str, x: Any, args: tuple, dilation: Any = 1, every_window_in_x: bool = False
) -> Geometry:
    """``Geometry(op, x, *args, ...)``, reused for plain arguments and a known shape."""
    shape = tuple(x.shape)
    if not (_plain(args) and _plain(dilation) and (type(x) is np.ndarray or _plain(shape))):
        return Geometry(op, x, *args, dilation=dilation, every_window_in_x=every_window_in_x)
    key = (op, repr(args), repr(dilation), every_window_in_x, shape)
    g = _GEOMETRIES.get(key)
    if g is None:
        g = Geometry(op, x, *args, dilation=dilation, every_window_in_x=every_window_in_x)
        if len(_GEOMETRIES) >= _GEOMETRIES_MAX:
            _GEOMETRIES.clear()
        _GEOMETRIES[key] = g
    return g


class GeomSpec(NamedTuple):
    """How to build a :class:`Geometry` for any input shape.

    Gradient nodes keep this rather than a Geometry: in a graph, sizes unknown when the node is
    built become known when it runs, and ``setup`` builds the Geometry again from them.
    """

    op: str
    args: tuple
    dilation: Any = 1
    every_window_in_x: bool = False

    def build(self, x: Any) -> Geometry:
        return _geometry(self.op, x, self.args, self.dilation, self.every_window_in_x)


def _min_value(dtype: np.dtype) -> Any:
    if dtype.kind == "f":
        return -np.inf
    if dtype.kind == "b":
        return False
    return np.iinfo(dtype).min


class _Argmax:
    """The argmax a 2-D max pooling forward computed (:func:`pool2d.max_pool2d_arg`), with a
    weak reference to the input it belongs to (the gradients check it is the same array)."""

    def __init__(self, x: Any, idx: Any) -> None:
        try:
            self.x = weakref.ref(x)
        except TypeError:  # an array type without weak references: hold it
            self.x = lambda: x
        self.idx = idx

    def of(self, x: Any) -> Any:
        return self.idx if self.x() is x else None


def _uses_kernel(g: Geometry, *arrays: Any) -> bool:
    """Whether the 2-D kernels of :mod:`pool2d` take this call (float NumPy, one dtype)."""
    a = arrays[0]
    if not pool2d.applies(a, g.kernel):
        return False
    for d in g.dilation:  # (loops: a generator is a frame, per pooling call)
        if d != 1:
            return False
    for b in arrays[1:]:  # noqa: SIM110
        if type(b) is not np.ndarray or b.dtype != a.dtype:
            return False
    return True


def _inside(g: Geometry, xp: Any, xf: Any) -> Any:
    """True on the cells of ``xf`` (window axes last), False on the padding: the NumPy path's
    mask that keeps padding from winning a maximum."""
    ones = xp.ones((1,) * (xf.ndim - g.nsp) + tuple(xf.shape[xf.ndim - g.nsp :]), dtype=bool)
    return g.pad(xp, ones, bool, False)


def _work(x: Any) -> Any:
    """float16 runs the 2-D kernels in float32 (a maximum, a gather: exact)."""
    return x.astype(np.float32) if type(x) is np.ndarray and x.dtype == np.float16 else x


def _argmax(g: Geometry, xp: Any, x: Any, y: Any, saved: _Argmax | None) -> Any:
    """The argmax of ``x``'s windows: the forward's, or found from ``x`` and its maxima ``y``
    (geometries whose forward keeps none, graph mode)."""
    idx = None if saved is None else saved.of(x)
    if idx is None:
        xf, yf = _work(g.to_first(xp, x)), _work(g.to_first(xp, y))
        idx = pool2d.max_pool2d_match(xf, yf, g.kernel, g.stride, g.lows)
    return idx


class MaxPool(Function):
    """Function node of :func:`max_pool`.

    2-D float pooling on NumPy: 2x2 windows of stride 2 run :func:`pool2d.max_pool2d_arg`,
    which also gives each window's argmax, kept (``_arg``) for the first-order gradient, a
    gather from it; other 2-D geometries run the plain maximum (the argmax kernel is slower
    there, and inference does not need it) and the gradient computes the argmax. Other ranks
    and dtypes run the NumPy window kernels of :mod:`nnfunc.kernels.cpu.pool`.
    """

    op_name = "max_pool"
    retain_in = (0,)
    retain_out = (0,)
    _arg: _Argmax | None = None

    def __init__(self, kernel, stride=None, pad=0, ignore_border=True, channel_last=False):
        self._args = (kernel, stride, pad, ignore_border, channel_last)

    def setup(self, x: Any) -> tuple[TensorSpec, ...]:
        self.geom = _geometry(self.op_name, x, self._args, every_window_in_x=True)
        return (TensorSpec(self.geom.out_shape(x.shape), np.dtype(x.dtype)),)

    def forward(self, xp: Any, x: Any) -> tuple[Any, ...]:
        g = self.geom
        if _uses_kernel(g, _work(x)):
            xf = _work(g.to_first(xp, x))
            if pool2d.tiles22(g.kernel, g.stride, g.lows, g.out, g.sizes):
                # the argmax costs nothing more here: kept for the gradient (a gather)
                y, idx = pool2d.max_pool2d_arg(xf, g.kernel, g.stride, g.lows, g.out)
                self._arg = _Argmax(x, idx)
            else:  # the plain maximum; the gradient computes the argmax when it runs
                xpad = g.pad(xp, xf, xf.dtype, _min_value(xf.dtype))
                y = pool2d.max_pool2d(xpad, g.kernel, g.stride, g.out)
            return (g.from_first(xp, y.astype(x.dtype, copy=False)),)
        xpad = g.pad(xp, g.to_first(xp, x), x.dtype, _min_value(x.dtype))
        y = K.window_max(xp, xpad, g.kernel, g.stride, g.dilation, g.out)
        return (g.from_first(xp, y),)

    def _free(self) -> None:
        super()._free()
        self._arg = None

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        (x,) = self.retained_inputs()
        (y,) = self.retained_outputs()
        spec = GeomSpec(self.op_name, self._args, every_window_in_x=True)
        return (MaxPoolGrad(spec, self._arg).apply1(x, y, grad_outputs[0]),)


class MaxPoolGrad(Function):
    """``(x, y, gy) -> gx``: ``gy`` routed to the first maximum of each window (accumulated).

    2-D float NumPy: a gather from the argmax (:func:`pool2d.max_pool2d_arg_grad`), the
    forward's when ``saved`` belongs to ``x``; otherwise the NumPy scatter of
    :func:`nnfunc.kernels.cpu.pool.max_scatter`. Its backward is :class:`MaxPoolTake`.
    """

    op_name = "max_pool_grad"
    input_names = ("x", "y", "gy")
    retain_in = (0, 1)

    def __init__(self, spec: GeomSpec, saved: _Argmax | None = None) -> None:
        self.spec = spec
        self.saved = saved

    def setup(self, x: Any, y: Any, gy: Any) -> tuple[TensorSpec, ...]:
        self.geom = self.spec.build(x)
        return (TensorSpec(tuple(x.shape), np.dtype(gy.dtype)),)

    def forward(self, xp: Any, x: Any, y: Any, gy: Any) -> tuple[Any, ...]:
        g = self.geom
        if _uses_kernel(g, _work(x), _work(gy)):
            idx = _argmax(g, xp, x, y, self.saved)
            gf = _work(g.to_first(xp, gy))
            gx = pool2d.max_pool2d_arg_grad(idx, gf, g.sizes, g.kernel, g.stride, g.lows)
            return (g.from_first(xp, gx.astype(gy.dtype, copy=False)),)
        xf = g.to_first(xp, x)
        xpad = g.pad(xp, xf, x.dtype, _min_value(x.dtype))
        yf, gyf = g.to_first(xp, y), g.to_first(xp, gy)
        buf, _ = K.max_scatter(
            xp, xpad, yf, gyf, g.kernel, g.stride, g.dilation, g.out, None, _inside(g, xp, xf)
        )
        return (g.from_first(xp, xp.ascontiguousarray(g.crop(buf))),)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        x, y = self.retained_inputs()
        return (None, None, MaxPoolTake(self.spec, self.saved).apply1(x, y, grad_outputs[0]))


class MaxPoolTake(Function):
    """``(x, y, g) -> gy``: ``g`` read at the first maximum of each window (adjoint of
    :class:`MaxPoolGrad`; 2-D float NumPy: :func:`pool2d.max_pool2d_arg_take`)."""

    op_name = "max_pool_grad_grad"
    input_names = ("x", "y", "g")
    retain_in = (0, 1)

    def __init__(self, spec: GeomSpec, saved: _Argmax | None = None) -> None:
        self.spec = spec
        self.saved = saved

    def setup(self, x: Any, y: Any, g: Any) -> tuple[TensorSpec, ...]:
        self.geom = self.spec.build(x)
        return (TensorSpec(tuple(y.shape), np.dtype(g.dtype)),)

    def forward(self, xp: Any, x: Any, y: Any, g: Any) -> tuple[Any, ...]:
        geo = self.geom
        if _uses_kernel(geo, _work(x), _work(g)):
            idx = _argmax(geo, xp, x, y, self.saved)
            gf = _work(geo.to_first(xp, g))
            gy = pool2d.max_pool2d_arg_take(gf, idx, geo.kernel, geo.stride, geo.lows)
            return (geo.from_first(xp, gy.astype(g.dtype, copy=False)),)
        xf = geo.to_first(xp, x)
        xpad = geo.pad(xp, xf, x.dtype, _min_value(x.dtype))
        gpad = geo.pad(xp, geo.to_first(xp, g), g.dtype, 0)
        gy = K.max_gather(
            xp,
            xpad,
            geo.to_first(xp, y),
            gpad,
            None,
            geo.kernel,
            geo.stride,
            geo.dilation,
            geo.out,
            None,
            _inside(geo, xp, xf),
        )
        return (geo.from_first(xp, gy),)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        x, y = self.retained_inputs()
        return (None, None, MaxPoolGrad(self.spec, self.saved).apply1(x, y, grad_outputs[0]))


class WindowSum(Function):
    """Sum (``mode="sum"``) or mean (``mode="avg"``) over each window."""

    def __init__(self, args: tuple, mode: str, including_pad: Any = True) -> None:
        self.op_name = "sum_pool" if mode == "sum" else "avg_pool"
        self._args = args
        self.mode = mode
        self._including_pad = including_pad

    def setup(self, x: Any) -> tuple[TensorSpec, ...]:
        self.geom = _geometry(self.op_name, x, self._args)
        self.scale = _scale(self.geom, self.mode, self.op_name, self._including_pad)
        dtype = np.dtype(x.dtype)
        if self.mode == "avg":
            dtype = real_dtype(dtype)
        elif dtype.kind == "b":
            dtype = np.dtype(np.int64)
        self.out_dtype = dtype
        return (TensorSpec(self.geom.out_shape(x.shape), dtype),)

    def forward(self, xp: Any, x: Any) -> tuple[Any, ...]:
        g = self.geom
        acc = accumulation_dtype(self.out_dtype)
        if _uses_kernel(g, x) and x.dtype == acc:
            y = pool2d.sum_pool2d(g.to_first(xp, x), g.kernel, g.stride, g.lows, g.out, self.scale)
            return (g.from_first(xp, y),)
        xpad = g.pad(xp, g.to_first(xp, x), acc, 0)
        y = K.window_sum(xp, xpad, g.kernel, g.stride, g.out, acc)
        if self.scale is not None:
            y *= xp.asarray(self.scale, dtype=acc)
        return (g.from_first(xp, y.astype(self.out_dtype, copy=False)),)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        # the input's shape: a tuple when known, else the input itself (read when the graph runs)
        like = self._shape_target(0)
        fn = WindowSumTranspose(self._args, self.mode, self._including_pad, like)
        return (fn.apply1(grad_outputs[0], None if isinstance(like, tuple) else like),)


def _scale(geom: Geometry, mode: str, op: str, including_pad: Any) -> np.ndarray | None:
    """``1 / divisor`` of an average pooling (None for a sum, or while sizes are unknown)."""
    if mode != "avg":
        return None
    inc = check.boolean(op, "including_pad", including_pad)
    return None if None in geom.out else 1.0 / geom.divisor(inc)


class WindowSumTranspose(Function):
    """Adjoint of :class:`WindowSum`: each output cell's value added to its window.

    The pooled input's shape is a tuple (``like``) or, in a graph with unknown sizes, the shape
    of a second input read when the graph runs.
    """

    op_name = "sum_pool_grad"
    input_names = ("gy", "like")

    def __init__(self, args: tuple, mode: str, including_pad: Any, like: Any) -> None:
        self._args = args
        self.mode = mode
        self._including_pad = including_pad
        self._shape = like if isinstance(like, tuple) else None

    def setup(self, gy: Any, like: Any = None) -> tuple[TensorSpec, ...]:
        dtype = real_dtype(gy.dtype)
        x = like if like is not None else TensorSpec(self._shape, dtype)
        op = "sum_pool" if self.mode == "sum" else "avg_pool"
        self.geom = Geometry(op, x, *self._args)
        self.scale = _scale(self.geom, self.mode, op, self._including_pad)
        return (TensorSpec(self.geom.in_shape(gy.shape), dtype),)

    def forward(self, xp: Any, gy: Any, like: Any = None) -> tuple[Any, ...]:
        g = self.geom
        dtype = real_dtype(gy.dtype)
        acc = accumulation_dtype(dtype)
        if _uses_kernel(g, gy) and gy.dtype == acc:
            gf = g.to_first(xp, gy)
            gx = pool2d.sum_pool2d_adjoint(gf, g.sizes, g.kernel, g.stride, g.lows, self.scale)
            return (g.from_first(xp, gx),)
        gf = g.to_first(xp, gy).astype(acc)
        if self.scale is not None:
            gf = gf * xp.asarray(self.scale, dtype=acc)
        padded = gf.shape[: gf.ndim - g.nsp] + tuple(
            max(lo + n, e) for lo, n, e in zip(g.lows, g.sizes, g.needed, strict=True)
        )
        buf = K.window_sum_transpose(xp, gf, g.kernel, g.stride, g.out, padded)
        gx = xp.ascontiguousarray(g.crop(buf)).astype(dtype, copy=False)
        return (g.from_first(xp, gx),)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        fn = WindowSum(self._args, self.mode, self._including_pad)
        return (fn.apply1(grad_outputs[0]), None)


def max_pool(
    x: Any,
    kernel: int | Sequence[int],
    *,
    stride: int | Sequence[int] | None = None,
    pad: Any = 0,
    ignore_border: bool = True,
    channel_last: bool = False,
    name: str | None = None,
) -> Any:
    """Max pooling over sliding windows of the last ``len(kernel)`` spatial axes.

    .. math::
        y[\\ldots, \\mathbf{p}] = \\max_{\\mathbf{k}} x_{pad}[\\ldots, \\mathbf{s} \\odot
            \\mathbf{p} + \\mathbf{k}]

    Args:
        x (array, Variable or SymbolicVariable): ``(..., C, *L)`` (``channel_last``:
            ``(..., *L, C)``); an int ``kernel`` pools ``x.ndim - 2`` axes.
        kernel (int or tuple): Window size per pooled axis.
        stride (int or tuple, optional): Window step; default ``kernel``.
        pad: int, per-axis ints, per-axis ``(low, high)`` pairs, ``"valid"`` or ``"same"``
            (TensorFlow's rule). Padded cells never win the max.
        ignore_border (bool): ``False``: NNabla's partial windows at the end also give outputs
            (output size ``floor((L + pad_low - 1)/s) + 1``).
        channel_last (bool): Channels on the last axis.
        name (str, optional): Node name in graph mode.

    Returns:
        Pooled array, dtype of ``x`` (integers kept).

    Raises:
        ShapeError: rank too small, empty output (window larger than the padded input).
        ArgumentError: bad kernel, stride, pad or flags; padding that leaves a window with no
            element of ``x`` (its maximum is undefined; PyTorch rejects padding over half the
            kernel, TF/Keras ``"same"`` and NNabla's sizes never produce such a window).

    Notes:
        Gradient: each output's gradient goes to the FIRST maximum of its window among the
        elements of ``x`` (offsets in C order; ties to the lowest index; padding never gets it,
        also when every element is -inf), accumulated over overlapping windows. NaN windows
        give NaN and no gradient. 2-D float pooling keeps each window's argmax, and the
        gradient is a gather from it (:mod:`nnfunc.kernels.cpu.pool2d`). Equivalents:
        ``tf.nn.max_pool/max_pool3d`` (NHWC, full-rank ``ksize``), ``keras.ops.max_pool``,
        ``nnabla.functions.max_pooling``.
        No ``dilation`` (none of the four dialects' max pools has one); PyTorch's dilated max pools
        have no equivalent.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> x = np.arange(16.0).reshape(1, 1, 4, 4)
        >>> nf.max_pool(x, 2)
        array([[[[ 5.,  7.],
                 [13., 15.]]]])
        >>> nf.max_pool(x, (3, 3), stride=2, ignore_border=False).shape
        (1, 1, 2, 2)
    """
    return MaxPool(kernel, stride, pad, ignore_border, channel_last).apply1(x, name=name)


def avg_pool(
    x: Any,
    kernel: int | Sequence[int],
    *,
    stride: int | Sequence[int] | None = None,
    pad: Any = 0,
    ignore_border: bool = True,
    including_pad: bool = True,
    channel_last: bool = False,
    name: str | None = None,
) -> Any:
    """Average pooling over sliding windows (NNabla's divisor rule).

    .. math::
        y[\\ldots, \\mathbf{p}] = \\frac{1}{|W_\\mathbf{p}|} \\sum_{\\mathbf{k}}
            x_{pad}[\\ldots, \\mathbf{s} \\odot \\mathbf{p} + \\mathbf{k}]

    Args:
        x, kernel, stride, pad, ignore_border, channel_last, name: as :func:`max_pool`.
        including_pad (bool): ``True`` (NNabla default): the divisor counts padded cells (the
            window clipped to the padded input); ``False`` (TF/Keras ``"same"``): only cells of
            ``x``.

    Returns:
        Pooled array; integer inputs give float32.

    Raises:
        ShapeError, ArgumentError: as :func:`max_pool`.

    Notes:
        Gradient: ``gy / divisor`` spread over each window (the same divisor as the forward).
        Equivalents: ``tf.nn.avg_pool/avg_pool3d`` and ``keras.ops.average_pool``
        (``including_pad=False``), ``nnabla.functions.average_pooling``.
        PyTorch's ``divisor_override`` has no equivalent, nor its ``ceil_mode``
        (``ignore_border=False`` is NNabla's rule); extra high padding gives ``ceil_mode``'s
        windows, but with ``including_pad=True`` that padding counts in the divisor, where
        PyTorch's leaves the overhang out.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> x = np.arange(4.0).reshape(1, 1, 4)
        >>> nf.avg_pool(x, 3, stride=1, pad=1)
        array([[[0.33333333, 1.        , 2.        , 1.66666667]]])
        >>> nf.avg_pool(x, 3, stride=1, pad=1, including_pad=False)
        array([[[0.5, 1. , 2. , 2.5]]])
    """
    fn = WindowSum((kernel, stride, pad, ignore_border, channel_last), "avg", including_pad)
    return fn.apply1(x, name=name)


def sum_pool(
    x: Any,
    kernel: int | Sequence[int],
    *,
    stride: int | Sequence[int] | None = None,
    pad: Any = 0,
    ignore_border: bool = True,
    channel_last: bool = False,
    name: str | None = None,
) -> Any:
    """Sum pooling over sliding windows (zero padding).

    .. math::
        y[\\ldots, \\mathbf{p}] = \\sum_{\\mathbf{k}} x_{pad}[\\ldots, \\mathbf{s} \\odot
            \\mathbf{p} + \\mathbf{k}]

    Args:
        x, kernel, stride, pad, ignore_border, channel_last, name: as :func:`max_pool`.

    Returns:
        Pooled array, dtype of ``x`` (bool gives int64).

    Raises:
        ShapeError, ArgumentError: as :func:`max_pool`.

    Notes:
        Gradient: ``gy`` spread over each window. Equivalent: ``nnabla.functions.sum_pooling``.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.sum_pool(np.arange(5.0).reshape(1, 1, 5), 2, ignore_border=False)
        array([[[1., 5., 4.]]])
    """
    fn = WindowSum((kernel, stride, pad, ignore_border, channel_last), "sum")
    return fn.apply1(x, name=name)


def global_avg_pool(
    x: Any, *, channel_last: bool = False, keepdims: bool = True, name: str | None = None
) -> Any:
    """Mean over every spatial position of each channel.

    .. math::
        y[n, c] = \\frac{1}{\\prod L} \\sum_{\\mathbf{p}} x[n, c, \\mathbf{p}]

    Args:
        x: ``(N, C, *L)`` (``channel_last``: ``(N, *L, C)``), rank >= 3.
        channel_last (bool): Channels on the last axis.
        keepdims (bool): Keep the spatial axes with size 1 (NNabla's output ``(N, C, 1, 1)``).
        name (str, optional): Node name in graph mode.

    Returns:
        ``(N, C, 1, ..., 1)`` (or ``(N, C)`` without ``keepdims``); integers give float32.

    Raises:
        ShapeError: rank below 3.

    Notes:
        A composite of :func:`nnfunc.mean`. Equivalent: ``nnabla.functions.
        global_average_pooling``.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.global_avg_pool(np.arange(8.0).reshape(1, 2, 2, 2))
        array([[[[1.5]],
        <BLANKLINE>
                [[5.5]]]])
    """
    return GlobalAvgPool(channel_last, keepdims).apply1(x, name=name)


class GlobalAvgPool(Function):
    """Function node of :func:`global_avg_pool`."""

    op_name = "global_avg_pool"

    def __init__(self, channel_last: Any, keepdims: Any) -> None:
        self._channel_last = channel_last
        self._keepdims = keepdims

    def setup(self, x: Any) -> tuple[TensorSpec, ...]:
        op = self.op_name
        nd = check.ndim_at_least(op, "x", x, 3)
        channel_last = check.boolean(op, "channel_last", self._channel_last)
        self.keepdims = check.boolean(op, "keepdims", self._keepdims)
        self.axes = tuple(range(1, nd - 1)) if channel_last else tuple(range(2, nd))
        sizes = [x.shape[a] for a in self.axes]
        self.count = None if None in sizes else int(np.prod(sizes))
        self.out_dtype = real_dtype(x.dtype)
        if self.keepdims:
            shape = tuple(1 if i in self.axes else d for i, d in enumerate(x.shape))
        else:
            shape = tuple(d for i, d in enumerate(x.shape) if i not in self.axes)
        return (TensorSpec(shape, self.out_dtype),)

    def forward(self, xp: Any, x: Any) -> tuple[Any, ...]:
        acc = accumulation_dtype(self.out_dtype)
        y = x.mean(axis=self.axes, keepdims=self.keepdims, dtype=acc)
        return (xp.asarray(y, dtype=self.out_dtype),)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        (gy,) = grad_outputs
        if not self.keepdims:
            gy = F.expand_dims(gy, self.axes)
        g = self.broadcast_to_input(gy, 0)
        if self.count is not None:
            return (g * (1.0 / self.count),)
        return (_PerCount(self.axes).apply1(g),)


class _PerCount(Function):
    """``g / prod(g.shape[axes])``: the mean's scale, read from the shape when the graph runs."""

    op_name = "global_avg_pool_grad"

    def __init__(self, axes: tuple[int, ...]) -> None:
        self.axes = axes

    def setup(self, g: Any) -> tuple[TensorSpec, ...]:
        return (TensorSpec(tuple(g.shape), np.dtype(g.dtype)),)

    def forward(self, xp: Any, g: Any) -> tuple[Any, ...]:
        count = int(np.prod([g.shape[a] for a in self.axes]))
        return ((g * g.dtype.type(1.0 / count)).astype(g.dtype, copy=False),)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        return (_PerCount(self.axes).apply1(grad_outputs[0]),)
