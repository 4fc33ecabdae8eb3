"""N-D convolution, transposed convolution and their depthwise / separable forms."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

import nnfunc.functions as F
from nnfunc.core import check, shapes
from nnfunc.core import function as _function
from nnfunc.core.dtypes import accumulation_dtype, real_dtype
from nnfunc.core.function import Function
from nnfunc.core.spec import TensorSpec
from nnfunc.errors import ArgumentError, ShapeError, UnsupportedError
from nnfunc.kernels.cpu import conv_dispatch

__all__ = [
    "conv",
    "conv_transpose",
    "depthwise_conv",
    "depthwise_conv_transpose",
    "separable_conv",
]


def _to_first(xp: Any, x: Any, channel_last: bool) -> Any:
    return xp.moveaxis(x, -1, 1) if channel_last else x


def _from_first(xp: Any, y: Any, channel_last: bool) -> Any:
    return xp.ascontiguousarray(xp.moveaxis(y, 1, -1)) if channel_last else y


def _bias_grad(gy: Any, ndim: int, channel_last: bool) -> Any:
    # the batch first (whole planes added: contiguous), then the spatial axes: NumPy's one
    # reduction over (0, 2, 3) of a small-image batch was 5-8x slower
    g = F.sum(gy, axis=0)
    return F.sum(g, axis=tuple(range(ndim - 2)) if channel_last else tuple(range(1, ndim - 1)))


def _plain(v: Any) -> bool:
    """Whether ``v`` is None, a str, an exact int/bool or a tuple of such: its ``repr`` then
    identifies it exactly (``2`` vs ``2.0`` vs ``True``, which compare and hash equal)."""
    t = type(v)
    if t is tuple:
        for e in v:  # noqa: SIM110 (a loop, not all() over a generator: half the cost per call)
            if not _plain(e):
                return False
        return True
    return v is None or t is int or t is bool or t is str


#: Conv setups already done: (class, repr of the plain arguments, array shapes and dtypes) ->
#: (the attributes setup wrote, the output specs). A training loop convolves the same shapes on
#: every step and the validation (int tuples, padding, output sizes, memory bound) cost ~14 us a
#: call, ~10 % of a first-layer convolution (cached: ~2 us). Only successful setups of NumPy
#: arrays are kept; the attribute values are immutable (ints, tuples, dtypes) and never written
#: after setup.
_SETUPS: dict[tuple, tuple[dict[str, Any], tuple[TensorSpec, ...]]] = {}
_SETUPS_MAX = 256
#: What ``Conv.setup`` writes (``_common``, ``_setup_groups`` and its own lines).
_SETUP_ATTRS = (
    "channel_last",
    "stride",
    "dilation",
    "out_dtype",
    "cax",
    "groups",
    "kernel",
    "pads",
    "sizes",
    "out",
)


class _ConvBase(Function):
    input_names = ("x", "weight", "bias")

    def __init__(
        self,
        stride: Any = 1,
        pad: Any = 0,
        dilation: Any = 1,
        groups: Any = 1,
        channel_last: bool = False,
    ) -> None:
        self._stride = stride
        self._pad = pad
        self._dilation = dilation
        self._groups = groups
        self._channel_last = channel_last

    def _common(self, x: Any, w: Any, b: Any) -> tuple[int, int, tuple]:
        op = self.op_name
        nd = check.ndim_at_least(op, "x", x, 3)
        nsp = nd - 2
        if len(check.tensor(op, "weight", w).shape) != nd:
            raise ShapeError(
                check.message(
                    op,
                    "weight",
                    f"have rank {nd} (the rank of `x`)",
                    **{"weight.shape": tuple(w.shape), "x.shape": tuple(x.shape)},
                )
            )
        self.channel_last = check.boolean(op, "channel_last", self._channel_last)
        self.stride = check.int_tuple(op, "stride", self._stride, nsp, min_value=1)
        self.dilation = check.int_tuple(op, "dilation", self._dilation, nsp, min_value=1)
        names = ["x", "weight"] if b is None else ["x", "weight", "bias"]
        specs = [x, w] if b is None else [x, w, b]
        dtype = check.same_dtype(op, names, specs)
        self.out_dtype = real_dtype(dtype)
        self.cax = nd - 1 if self.channel_last else 1
        sizes = tuple(x.shape[2:]) if not self.channel_last else tuple(x.shape[1:-1])
        return nd, nsp, sizes

    def _check_bias(self, b: Any, n_out: int | None) -> None:
        if b is None:
            return
        if len(b.shape) != 1 or (n_out is not None and b.shape[0] not in (None, n_out)):
            raise ShapeError(
                check.message(
                    self.op_name,
                    "bias",
                    f"have shape ({n_out},) (the output channels)",
                    **{"bias.shape": tuple(b.shape)},
                )
            )

    def _out_shape(self, n: Any, ch: int, spatial: Sequence[Any]) -> tuple:
        return (n, *spatial, ch) if self.channel_last else (n, ch, *spatial)


class Conv(_ConvBase):
    """Function node of :func:`conv`; ``groups=None`` means one group per input channel."""

    op_name = "conv"
    retain_in = (0, 1)

    def setup(self, x: Any, w: Any, b: Any = None) -> tuple[TensorSpec, ...]:
        args = (self._stride, self._pad, self._dilation, self._groups, self._channel_last)
        # arrays only (their shapes are exact ints; graph specs with unknown sizes are not kept)
        if not (
            type(x) is np.ndarray
            and type(w) is np.ndarray
            and (b is None or type(b) is np.ndarray)
            and _plain(args)
        ):
            return self._setup(x, w, b)
        bk = None if b is None else (b.shape, b.dtype)
        # (the memory bound is part of what setup checked: a test may lower it)
        key = (
            type(self),
            repr(args),
            x.shape,
            w.shape,
            x.dtype,
            w.dtype,
            bk,
            _function.MEMORY_BYTES,
        )
        hit = _SETUPS.get(key)
        if hit is not None:
            self.__dict__.update(hit[0])
            return hit[1]
        specs = self._setup(x, w, b)
        done = {k: getattr(self, k) for k in _SETUP_ATTRS}
        if len(_SETUPS) >= _SETUPS_MAX:
            _SETUPS.clear()
        _SETUPS[key] = (done, specs)
        return specs

    def _setup(self, x: Any, w: Any, b: Any = None) -> tuple[TensorSpec, ...]:
        op = self.op_name
        _, nsp, sizes = self._common(x, w, b)
        o_ch = self._setup_groups(x, w)
        self._check_bias(b, o_ch)
        self.kernel = tuple(None if k is None else int(k) for k in w.shape[2:])
        self.pads = shapes.resolve_padding(
            op, self._pad, sizes, self.kernel, self.stride, self.dilation
        )
        out = []
        for i in range(nsp):
            n = None
            if sizes[i] is not None and self.kernel[i] is not None:
                n = shapes.conv_out_size(
                    sizes[i], self.kernel[i], self.stride[i], self.pads[i], self.dilation[i]
                )
            shapes.check_out_size(
                op,
                i,
                n,
                input=sizes[i],
                kernel=self.kernel[i],
                pad=shapes.show_pad(self.pads[i]),
                stride=self.stride[i],
                dilation=self.dilation[i],
            )
            out.append(n)
        self.sizes = sizes
        self.out = tuple(out)
        if None not in self.out:
            # the kernels pad the input before any output exists: bound it (per sample while
            # the batch is unknown; setup runs again with the real batch when a graph runs)
            padded = tuple(
                max(lo + s, (n - 1) * st + d * (k - 1) + 1)
                for (lo, _), s, n, k, st, d in zip(
                    self.pads, sizes, out, self.kernel, self.stride, self.dilation, strict=True
                )
            )
            shapes.check_padded_input(
                op,
                (x.shape[0], x.shape[self.cax], *padded),
                np.dtype(accumulation_dtype(self.out_dtype)).itemsize,
                kernel=self.kernel,
                stride=self.stride,
                pad=self._pad,
            )
        return (TensorSpec(self._out_shape(x.shape[0], o_ch, out), self.out_dtype),)

    def _setup_groups(self, x: Any, w: Any) -> int | None:
        """Check the channels against the weight and ``groups``; return the output channels."""
        op = self.op_name
        c = x.shape[self.cax]
        o_ch, cg = w.shape[0], w.shape[1]
        if self._groups is None:
            if c is None:
                raise UnsupportedError(
                    check.message(op, "x", "have a known channel size", **{"x.shape": x.shape})
                )
            groups = c
        else:
            groups = check.positive_int(op, "groups", self._groups)
        self.groups = groups
        if c is not None and c % groups:
            raise ArgumentError(
                check.message(op, "groups", "divide the input channels", groups=groups, channels=c)
            )
        if o_ch is not None and o_ch % groups:
            raise ArgumentError(
                check.message(
                    op,
                    "groups",
                    "divide the output channels (weight.shape[0])",
                    groups=groups,
                    **{"weight.shape": tuple(w.shape)},
                )
            )
        if c is not None and cg is not None and cg * groups != c:
            raise ShapeError(
                check.message(
                    op,
                    "x",
                    f"have weight.shape[1] * groups = {cg * groups} channels on axis {self.cax}",
                    channels=c,
                    **{"x.shape": tuple(x.shape), "weight.shape": tuple(w.shape)},
                    groups=groups,
                )
            )
        return o_ch

    def forward(self, xp: Any, x: Any, w: Any, b: Any = None) -> tuple[Any, ...]:
        acc = accumulation_dtype(self.out_dtype)
        xf = _to_first(xp, x, self.channel_last)
        y = conv_dispatch.conv_forward(
            xp, xf, w, self.stride, self.pads, self.dilation, self.groups, self.out, acc, b
        )
        y = _from_first(xp, y, self.channel_last)
        return (y.astype(self.out_dtype, copy=False),)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        x, w = self.retained_inputs()
        (gy,) = grad_outputs
        # the raw `pad` is passed on: every gradient node resolves it again from the sizes it
        # sees when it runs, so unknown (graph) spatial sizes need no special case
        args = (self.stride, self._pad, self.dilation, self.groups, self.channel_last)
        want = tuple(i for i in (0, 1, 2) if i in target_indexes)
        if len(want) > 1:
            # one node for every gradient asked for (the two passes may run at the same time)
            res = dict(zip(want, ConvGrad(*args, want=want).apply(gy, w, x)))
            return (res.get(0), res.get(1), res.get(2))
        gx = gw = gb = None
        if 0 in target_indexes:
            gx = ConvGradX(*args).apply1(gy, w, x)
        if 1 in target_indexes:
            gw = ConvGradW(self.kernel, *args).apply1(x, gy, _shape_source(self.kernel, w))
        if 2 in target_indexes:
            gb = _bias_grad(gy, len(self.out) + 2, self.channel_last)
        return (gx, gw, gb)


class _ConvGrad(Function):
    """Shared parts of the two gradient nodes of a convolution ``y = conv(x, W)``.

    ``pad`` is the convolution's raw padding argument, resolved in ``setup`` against the size of
    ``x`` (its ``x``-shaped input), so that ``"same"`` and unknown graph sizes work.
    """

    def __init__(self, stride, pad, dilation, groups, channel_last) -> None:
        self.stride = stride
        self._pad = pad
        self.dilation = dilation
        self.groups = groups
        self.channel_last = channel_last

    @property
    def _args(self) -> tuple:
        return (self.stride, self._pad, self.dilation, self.groups, self.channel_last)

    def _resolve(self, x: Any, kernel: Sequence[Any]) -> None:
        self.cax = len(x.shape) - 1 if self.channel_last else 1
        self.sizes = tuple(x.shape[1:-1]) if self.channel_last else tuple(x.shape[2:])
        self.kernel = tuple(kernel)
        self.pads = shapes.resolve_padding(
            self.op_name, self._pad, self.sizes, self.kernel, self.stride, self.dilation
        )


class ConvGradX(_ConvGrad):
    """Input gradient of a convolution, ``(gy, W, x) -> gx``: a transposed convolution whose
    output takes the shape of ``x`` (read at run time; only its shape is used)."""

    op_name = "conv_grad_input"
    input_names = ("gy", "weight", "x")
    retain_in = (0, 1)

    def setup(self, gy: Any, w: Any, x: Any) -> tuple[TensorSpec, ...]:
        self._resolve(x, w.shape[2:])
        self.out_dtype = real_dtype(np.result_type(gy.dtype, w.dtype))
        return (TensorSpec(tuple(x.shape), self.out_dtype),)

    def forward(self, xp: Any, gy: Any, w: Any, x: Any) -> tuple[Any, ...]:
        acc = accumulation_dtype(self.out_dtype)
        g = conv_dispatch.conv_transpose_forward(
            xp,
            _to_first(xp, gy, self.channel_last),
            w,
            self.stride,
            self.pads,
            self.dilation,
            self.groups,
            self.sizes,
            acc,
        )
        g = _from_first(xp, g, self.channel_last)
        return (xp.ascontiguousarray(g, dtype=self.out_dtype),)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        gy, w = self.retained_inputs()
        (h,) = grad_outputs  # shaped like x
        ggy = gw = None
        if 0 in target_indexes:
            ggy = Conv(*self._args).apply1(h, w)
        if 1 in target_indexes:
            gw = ConvGradW(self.kernel, *self._args).apply1(h, gy, _shape_source(self.kernel, w))
        return (ggy, gw, None)


def _shape_source(kernel: Sequence[Any], w: Any) -> Any:
    """The weight, for a weight-gradient node that cannot know the kernel size otherwise (a
    graph whose weight has unknown spatial sizes); None (no input) when the sizes are known."""
    return w if None in kernel else None


class ConvGradW(_ConvGrad):
    """Weight gradient of a convolution, ``(x, gy[, w]) -> gW``; its own backward is two
    convolutions. ``w`` is given only when the kernel size is unknown at build time (a graph
    weight with ``None`` spatial sizes): its shape, read at run time, gives the kernel."""

    op_name = "conv_grad_weight"
    input_names = ("x", "gy", "weight")
    retain_in = (0, 1)

    def __init__(self, kernel, stride, pad, dilation, groups, channel_last) -> None:
        super().__init__(stride, pad, dilation, groups, channel_last)
        self._kernel = tuple(kernel)

    def setup(self, x: Any, gy: Any, w: Any = None) -> tuple[TensorSpec, ...]:
        self._resolve(x, self._kernel if w is None else tuple(w.shape[2:]))
        c, o_ch = x.shape[self.cax], gy.shape[self.cax]
        self.out_dtype = real_dtype(np.result_type(x.dtype, gy.dtype))
        cg = None if c is None else c // self.groups
        return (TensorSpec((o_ch, cg, *self.kernel), self.out_dtype),)

    def forward(self, xp: Any, x: Any, gy: Any, w: Any = None) -> tuple[Any, ...]:
        acc = accumulation_dtype(self.out_dtype)
        gw = conv_dispatch.conv_grad_weight(
            xp,
            _to_first(xp, x, self.channel_last),
            _to_first(xp, gy, self.channel_last),
            self.kernel,
            self.stride,
            self.pads,
            self.dilation,
            self.groups,
            acc,
        )
        return (gw.astype(self.out_dtype, copy=False),)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        x, gy = self.retained_inputs()
        (h,) = grad_outputs
        gx = ggy = None
        if 0 in target_indexes:
            gx = ConvGradX(*self._args).apply1(gy, h, x)
        if 1 in target_indexes:
            ggy = Conv(*self._args).apply1(x, h)
        return (gx, ggy, None)


class ConvGrad(_ConvGrad):
    """The gradients of ``y = conv(x, W) + b`` that a backward pass asks for, in one node:
    ``(gy, W, x) -> (gx, gW, gb)``, the outputs restricted to ``want`` (indexes 0, 1, 2, at least
    two of them; one alone is :class:`ConvGradX`, :class:`ConvGradW` or a sum).

    One node instead of three to five (the two passes and the two sums of the bias gradient);
    the two convolution passes run at the same time where that is faster
    (:func:`nnfunc.kernels.cpu.conv_dispatch.conv_grads`). The outputs are those of the
    separate nodes (a concurrent weight gradient is the one-thread sum: it may differ from a
    split pass's in rounding). Backward: the separate nodes' backward passes, added.
    """

    op_name = "conv_grad"
    input_names = ("gy", "weight", "x")
    retain_in = (0, 1, 2)

    def __init__(self, stride, pad, dilation, groups, channel_last, want) -> None:
        super().__init__(stride, pad, dilation, groups, channel_last)
        self.want = tuple(want)  # (the kernel size comes from the weight, an input here)

    def setup(self, gy: Any, w: Any, x: Any) -> tuple[TensorSpec, ...]:
        self._resolve(x, w.shape[2:])
        o_ch = gy.shape[self.cax]
        cg = None if x.shape[self.cax] is None else x.shape[self.cax] // self.groups
        self.dtypes = (
            real_dtype(np.result_type(gy.dtype, w.dtype)),  # as ConvGradX
            real_dtype(np.result_type(x.dtype, gy.dtype)),  # as ConvGradW
            np.dtype(gy.dtype),  # as the sums of gy
        )
        shapes_ = (tuple(x.shape), (o_ch, cg, *self.kernel), (o_ch,))
        return tuple(TensorSpec(shapes_[i], self.dtypes[i]) for i in self.want)

    def forward(self, xp: Any, gy: Any, w: Any, x: Any) -> tuple[Any, ...]:
        cl, want = self.channel_last, self.want
        gx, gw = conv_dispatch.conv_grads(
            xp,
            _to_first(xp, x, cl),
            w,
            _to_first(xp, gy, cl),
            self.stride,
            self.pads,
            self.dilation,
            self.groups,
            self.sizes,
            (accumulation_dtype(self.dtypes[0]), accumulation_dtype(self.dtypes[1])),
            (0 in want, 1 in want),
        )
        res = {}
        if gx is not None:
            res[0] = xp.ascontiguousarray(_from_first(xp, gx, cl), dtype=self.dtypes[0])
        if gw is not None:
            res[1] = gw.astype(self.dtypes[1], copy=False)
        if 2 in want:  # as _bias_grad's two sums: the batch first, then the spatial axes
            acc, nd = accumulation_dtype(self.dtypes[2]), gy.ndim
            g = xp.asarray(gy.sum(axis=0, dtype=acc), dtype=self.dtypes[2])
            axes = tuple(range(nd - 2)) if cl else tuple(range(1, nd - 1))
            res[2] = xp.asarray(g.sum(axis=axes, dtype=acc), dtype=self.dtypes[2])
        return tuple(res[i] for i in want)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        gy, w, x = self.retained_inputs()
        h = dict(zip(self.want, grad_outputs, strict=True))
        hx, hw, hb = h.get(0), h.get(1), h.get(2)
        args = self._args
        g_gy = g_w = g_x = None
        if 0 in target_indexes:
            terms = []
            if hx is not None:  # gx = conv_transpose(gy, W): linear in gy
                terms.append(Conv(*args).apply1(hx, w))
            if hw is not None:  # gW = correlate(x, gy): linear in gy
                terms.append(Conv(*args).apply1(x, hw))
            if hb is not None:  # gb = sum of gy over all but the channel axis
                nd = len(self.input_spec(0).shape)
                shape = (1,) * (nd - 1) + (-1,) if self.channel_last else (1, -1) + (1,) * (nd - 2)
                terms.append(self.broadcast_to_input(F.reshape(hb, shape), 0))
            for t in terms:
                g_gy = t if g_gy is None else g_gy + t
        if 1 in target_indexes and hx is not None:
            g_w = ConvGradW(self.kernel, *args).apply1(hx, gy, _shape_source(self.kernel, w))
        if 2 in target_indexes and hw is not None:
            g_x = ConvGradX(*args).apply1(gy, hw, x)
        return (g_gy, g_w, g_x)


class ConvTranspose(_ConvBase):
    """Function node of :func:`conv_transpose`; ``groups=None`` means ``channels // divisor``."""

    op_name = "conv_transpose"
    retain_in = (0, 1)

    def __init__(
        self,
        stride: Any = 1,
        pad: Any = 0,
        dilation: Any = 1,
        groups: Any = 1,
        channel_last: bool = False,
        output_padding: Any = None,
        output_shape: Any = None,
        divisor: int = 1,
    ) -> None:
        super().__init__(stride, pad, dilation, groups, channel_last)
        self._output_padding = output_padding
        self._output_shape = output_shape
        self._divisor = divisor

    def setup(self, x: Any, w: Any, b: Any = None) -> tuple[TensorSpec, ...]:
        _, nsp, sizes = self._common(x, w, b)
        o_ch = self._setup_groups(x, w)
        self._check_bias(b, o_ch)
        self.kernel = kernel = tuple(None if k is None else int(k) for k in w.shape[2:])
        self.sizes = sizes
        if None in kernel:
            self.pads, self.out = ((0, 0),) * nsp, (None,) * nsp
        else:
            self.pads, self.out = shapes.conv_transpose_geometry(
                self.op_name,
                self._pad,
                sizes,
                kernel,
                self.stride,
                self.dilation,
                self._output_padding,
                self._output_shape,
            )
        return (TensorSpec(self._out_shape(x.shape[0], o_ch, self.out), self.out_dtype),)

    def _setup_groups(self, x: Any, w: Any) -> int | None:
        """Check the channels against the weight and ``groups`` (or ``divisor``); return the
        output channels (None when unknown)."""
        op = self.op_name
        c = x.shape[self.cax]
        c_in_w, og = w.shape[0], w.shape[1]
        if self._groups is None:
            divisor = check.positive_int(op, "divisor", self._divisor)
            if c is not None and c % divisor:
                raise ArgumentError(
                    check.message(
                        op, "divisor", "divide the input channels", divisor=divisor, channels=c
                    )
                )
            groups = (c if c is not None else c_in_w) // divisor
        else:
            groups = check.positive_int(op, "groups", self._groups)
        self.groups = groups
        if c is not None and c_in_w is not None and c_in_w != c:
            raise ShapeError(
                check.message(
                    op,
                    "x",
                    f"have weight.shape[0] = {c_in_w} channels on axis {self.cax}",
                    channels=c,
                    **{"x.shape": tuple(x.shape), "weight.shape": tuple(w.shape)},
                    groups=groups,
                )
            )
        if c_in_w is not None and c_in_w % groups:
            raise ArgumentError(
                check.message(
                    op, "groups", "divide the input channels", groups=groups, channels=c_in_w
                )
            )
        return None if og is None else og * groups

    def forward(self, xp: Any, x: Any, w: Any, b: Any = None) -> tuple[Any, ...]:
        acc = accumulation_dtype(self.out_dtype)
        y = conv_dispatch.conv_transpose_forward(
            xp,
            _to_first(xp, x, self.channel_last),
            w,
            self.stride,
            self.pads,
            self.dilation,
            self.groups,
            self.out,
            acc,
        )
        if b is not None:
            y += b.astype(acc).reshape((-1,) + (1,) * len(self.out))
        y = _from_first(xp, y, self.channel_last)
        return (xp.ascontiguousarray(y, dtype=self.out_dtype),)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        x, w = self.retained_inputs()
        (gy,) = grad_outputs
        gx = gw = gb = None
        # the convolution this one transposes maps the output back to `x`: with the raw `pad`
        # (resolved against the output size, as setup did) it works with unknown graph sizes
        args = (self.stride, self._pad, self.dilation, self.groups, self.channel_last)
        if 0 in target_indexes:
            gx = Conv(*args).apply1(gy, w)
        if 1 in target_indexes:
            gw = ConvGradW(self.kernel, *args).apply1(gy, x, _shape_source(self.kernel, w))
        if 2 in target_indexes:
            gb = _bias_grad(gy, len(self.out) + 2, self.channel_last)
        return (gx, gw, gb)


def conv(
    x: Any,
    weight: Any,
    bias: Any = None,
    *,
    stride: int | Sequence[int] = 1,
    pad: Any = 0,
    dilation: int | Sequence[int] = 1,
    groups: int = 1,
    channel_last: bool = False,
    name: str | None = None,
) -> Any:
    """N-D convolution (cross-correlation, the kernel is not flipped), with optional bias.

    .. math::
        y[n, o, \\mathbf{p}] = b[o] + \\sum_{c \\in g(o)} \\sum_{\\mathbf{k}}
            W[o, c, \\mathbf{k}]\\, x_{pad}[n, c, \\mathbf{s} \\odot \\mathbf{p}
            + \\mathbf{d} \\odot \\mathbf{k}]

    Output size per spatial dimension: ``floor((L + lo + hi - d*(k-1) - 1) / s) + 1``.

    Args:
        x (array, Variable or SymbolicVariable): ``(N, C, *L)`` (``channel_last``:
            ``(N, *L, C)``), 1 to 3 (or more) spatial dimensions.
        weight: ``(O, C // groups, *k)`` in both layouts.
        bias (optional): ``(O,)``.
        stride (int or tuple): Step of the window per spatial dimension.
        pad: int, per-dimension ints, per-dimension ``(low, high)`` pairs, ``"valid"`` or
            ``"same"`` (TensorFlow's rule: output ``ceil(L/s)``, the odd pad at the end).
        dilation (int or tuple): Spacing of the kernel taps.
        groups (int): Channel groups; ``groups == C`` is a depthwise convolution.
        channel_last (bool): Channels on the last axis.
        name (str, optional): Node name in graph mode.

    Returns:
        ``(N, O, *L')`` (or ``(N, *L', O)``), dtype of ``x`` (integers give float32).

    Raises:
        ShapeError: ranks differ, channels do not match ``weight.shape[1] * groups``, a bias of
            the wrong shape, an empty output (kernel larger than the padded input).
        ArgumentError: bad stride, dilation, pad or groups (not dividing the channels).
        DTypeError: ``x``, ``weight`` and ``bias`` dtypes differ.

    Notes:
        One GEMM over strided patch views, chunked so the patch buffer stays bounded; one input
        channel per group uses shifted products instead. float16 is computed in float32. 2-D
        3x3 stride-1 float32 convolutions with one group and >= 16 channels use Winograd
        F(2x2, 3x3) in all passes (max error / max value ~1e-6 against float64, where the
        patch GEMM gives ~5e-7; float64 always takes the patch GEMM).
        Gradients: ``gx = conv_transpose(gy, W)``, ``gW`` by a dedicated function that is itself
        differentiable (double backward works), ``gb = sum(gy)``.
        Equivalents: ``tf.nn.conv1d/conv2d/conv3d/atrous_conv2d`` (NHWC, filter ``(*k, in,
        out)``, ``"SAME"``/``"VALID"``), ``keras.ops.conv`` (kernel ``(*k, in, out)``,
        channels_last by default), ``nnabla.functions.convolution`` (same weight layout, symmetric
        int pads, ``group``); SameDiff SDNN documents no convolution.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> x = np.arange(16.0).reshape(1, 1, 4, 4)
        >>> nf.conv(x, np.ones((1, 1, 2, 2)), stride=2)
        array([[[[10., 18.],
                 [42., 50.]]]])
        >>> nf.conv(x, np.ones((1, 1, 3, 3)), pad="same").shape
        (1, 1, 4, 4)
    """
    fn = Conv(stride, pad, dilation, groups, channel_last)
    return fn.apply1(x, weight, bias, name=name)


def conv_transpose(
    x: Any,
    weight: Any,
    bias: Any = None,
    *,
    stride: int | Sequence[int] = 1,
    pad: Any = 0,
    dilation: int | Sequence[int] = 1,
    groups: int = 1,
    output_padding: int | Sequence[int] | None = None,
    output_shape: Sequence[int] | None = None,
    channel_last: bool = False,
    name: str | None = None,
) -> Any:
    """N-D transposed convolution (the adjoint of :func:`conv`, "deconvolution").

    ``conv_transpose(x, W)`` is the gradient of ``conv(z, W)`` with respect to ``z``, where ``z``
    has the output's shape; ``W`` is laid out as that convolution's weight.

    Output size: ``s*(L-1) - lo - hi + d*(k-1) + 1 + output_padding``; with ``"same"``,
    ``L*s`` (Keras/TF, pads by TensorFlow's rule on the output size), with ``"valid"``
    ``L*s + max(d*(k-1) + 1 - s, 0)``; ``output_shape`` (spatial sizes) picks any size whose
    convolution gives back ``L``.

    Args:
        x: ``(N, C, *L)`` (``channel_last``: ``(N, *L, C)``).
        weight: ``(C, O // groups, *k)``.
        bias (optional): ``(O,)``.
        stride, pad, dilation, groups, channel_last: as in :func:`conv` (of the forward
            convolution this function transposes).
        output_padding (int or tuple, optional): Cells added at the end of each output
            dimension; each must be smaller than the stride.
        output_shape (tuple, optional): Spatial output sizes (validated against the input and
            ``output_padding``).
        name (str, optional): Node name in graph mode.

    Returns:
        ``(N, O, *L')`` (or channel-last), dtype of ``x``.

    Raises:
        ShapeError: channels differ from ``weight.shape[0]``, an output size that no
            convolution maps back to ``L``, ``output_shape`` disagreeing with ``output_padding``.
        ArgumentError: ``output_padding >= stride``, bad stride/pad/dilation/groups.
        DTypeError: mixed dtypes.

    Notes:
        Computed as one GEMM ``W^T @ x`` followed by a scatter-add of the patches (col2im).
        Gradients: ``gx = conv(gy, W)``, ``gW`` by the convolution weight-gradient function.
        Equivalents: ``tf.nn.conv2d_transpose/conv3d_transpose`` (filter ``(*k, out, in)``,
        required ``output_shape``), ``keras.ops.conv_transpose`` (kernel ``(*k, out, in)``),
        ``nnabla.functions.deconvolution`` (this layout, symmetric pads, ``output_padding``).
        ``output_padding`` must be smaller than ``stride`` (TensorFlow's rule: the output sizes one
        input size can come from differ by less than the stride); PyTorch also accepts
        ``output_padding`` smaller than ``dilation``.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.conv_transpose(np.ones((1, 1, 2, 2)), np.ones((1, 1, 2, 2)), stride=2)
        array([[[[1., 1., 1., 1.],
                 [1., 1., 1., 1.],
                 [1., 1., 1., 1.],
                 [1., 1., 1., 1.]]]])
        >>> nf.conv_transpose(np.ones((1, 1, 3)), np.ones((1, 1, 3)), pad=1)
        array([[[2., 3., 2.]]])
    """
    fn = ConvTranspose(stride, pad, dilation, groups, channel_last, output_padding, output_shape)
    return fn.apply1(x, weight, bias, name=name)


class DepthwiseConv(Conv):
    """Conv with one group per input channel."""

    op_name = "depthwise_conv"

    def setup(self, x: Any, w: Any, b: Any = None) -> tuple[TensorSpec, ...]:
        op = self.op_name
        self._common(x, w, b)  # ranks, layout, stride, dilation, dtypes
        c = x.shape[self.cax]
        shapes_ = {"weight.shape": tuple(w.shape), "x.shape": tuple(x.shape)}
        if w.shape[1] is not None and w.shape[1] != 1:
            raise ShapeError(
                check.message(op, "weight", "have shape (C * multiplier, 1, *kernel)", **shapes_)
            )
        if c == 0:
            raise ShapeError(
                check.message(op, "x", f"have at least one channel (axis {self.cax})", **shapes_)
            )
        if c is not None and w.shape[0] is not None and w.shape[0] % c:
            raise ShapeError(
                check.message(
                    op,
                    "weight",
                    f"have a multiple of the {c} channels of `x` (axis {self.cax}) in "
                    "weight.shape[0]",
                    channels=c,
                    **shapes_,
                )
            )
        return super().setup(x, w, b)


class DepthwiseConvTranspose(ConvTranspose):
    """ConvTranspose with ``channels // divisor`` groups."""

    op_name = "depthwise_conv_transpose"


def depthwise_conv(
    x: Any,
    weight: Any,
    bias: Any = None,
    *,
    stride: int | Sequence[int] = 1,
    pad: Any = 0,
    dilation: int | Sequence[int] = 1,
    channel_last: bool = False,
    name: str | None = None,
) -> Any:
    """Depthwise convolution: each input channel convolved with its own ``m`` filters.

    .. math::
        y[n, c m + j, \\mathbf{p}] = b[c m + j] + \\sum_{\\mathbf{k}} W[c m + j, 0, \\mathbf{k}]
            \\, x_{pad}[n, c, \\mathbf{s} \\odot \\mathbf{p} + \\mathbf{d} \\odot \\mathbf{k}]

    Equal to ``conv(x, weight, groups=C)``; the channel multiplier ``m = weight.shape[0] // C``.

    Args:
        x: ``(N, C, *L)`` (``channel_last``: ``(N, *L, C)``).
        weight: ``(C * m, 1, *k)``; output channel ``c*m + j`` (the TF and NNabla order).
        bias (optional): ``(C * m,)``.
        stride, pad, dilation, channel_last: as in :func:`conv`.
        name (str, optional): Node name in graph mode.

    Returns:
        ``(N, C * m, *L')`` (or channel-last).

    Raises:
        ShapeError: ``weight.shape[1] != 1``, ``weight.shape[0]`` not a multiple of ``C``, ranks,
            empty output.
        ArgumentError: bad stride, pad or dilation.
        DTypeError: mixed dtypes.

    Notes:
        Computed as a sum over kernel offsets of shifted elementwise products (no GEMM, no loop
        over channels). Equivalents: ``tf.nn.depthwise_conv2d(_native)`` and
        ``keras.ops.depthwise_conv`` (filter ``(*k, C, m)``), ``nnabla.functions.
        depthwise_convolution`` (weight ``(C*m, *k)``, ``multiplier``).

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> x = np.array([[[1.0, 2.0, 3.0], [10.0, 20.0, 30.0]]])
        >>> nf.depthwise_conv(x, np.array([[[1.0, 1.0]], [[1.0, -1.0]]]))
        array([[[  3.,   5.],
                [-10., -10.]]])
    """
    fn = DepthwiseConv(stride, pad, dilation, None, channel_last)
    return fn.apply1(x, weight, bias, name=name)


def depthwise_conv_transpose(
    x: Any,
    weight: Any,
    bias: Any = None,
    *,
    stride: int | Sequence[int] = 1,
    pad: Any = 0,
    dilation: int | Sequence[int] = 1,
    divisor: int = 1,
    output_padding: int | Sequence[int] | None = None,
    output_shape: Sequence[int] | None = None,
    channel_last: bool = False,
    name: str | None = None,
) -> Any:
    """Transposed depthwise convolution: ``C`` input maps summed in groups of ``divisor``.

    The adjoint of ``depthwise_conv`` with multiplier ``divisor``: output channel ``c`` receives
    input channels ``c*divisor ... c*divisor + divisor - 1``; equal to
    ``conv_transpose(x, weight, groups=C // divisor)``.

    Args:
        x: ``(N, C, *L)``.
        weight: ``(C, 1, *k)``.
        bias (optional): ``(C // divisor,)``.
        stride, pad, dilation, output_padding, output_shape, channel_last: as in
            :func:`conv_transpose`.
        divisor (int): Input maps per output map (must divide ``C``).
        name (str, optional): Node name in graph mode.

    Returns:
        ``(N, C // divisor, *L')``.

    Raises:
        ArgumentError: ``divisor`` does not divide ``C``; see :func:`conv_transpose`.
        ShapeError: see :func:`conv_transpose`.

    Notes:
        Equivalent to ``nnabla.functions.depthwise_deconvolution`` (weight ``(C, *k)``).

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> x = np.array([[[1.0, 2.0], [10.0, 20.0]]])
        >>> nf.depthwise_conv_transpose(x, np.ones((2, 1, 2)), divisor=2)
        array([[[11., 33., 22.]]])
    """
    fn = DepthwiseConvTranspose(
        stride, pad, dilation, None, channel_last, output_padding, output_shape, divisor
    )
    return fn.apply1(x, weight, bias, name=name)


def separable_conv(
    x: Any,
    depthwise_weight: Any,
    pointwise_weight: Any,
    bias: Any = None,
    *,
    stride: int | Sequence[int] = 1,
    pad: Any = 0,
    dilation: int | Sequence[int] = 1,
    channel_last: bool = False,
    name: str | None = None,
) -> Any:
    """Depthwise convolution followed by a pointwise (1x1) convolution.

    .. math::
        y = \\mathrm{conv}(\\mathrm{depthwise\\_conv}(x, W_d), W_p) + b

    Args:
        x: ``(N, C, *L)`` (or channel-last).
        depthwise_weight: ``(C * m, 1, *k)``.
        pointwise_weight: ``(O, C * m, 1, ..., 1)``.
        bias (optional): ``(O,)``, added after the pointwise step.
        stride, pad, dilation: of the depthwise step.
        channel_last (bool): Channels on the last axis.
        name (str, optional): Node name of the result in graph mode.

    Returns:
        ``(N, O, *L')``.

    Raises:
        ShapeError, ArgumentError, DTypeError: as :func:`depthwise_conv` and :func:`conv`.

    Notes:
        A composite of :func:`depthwise_conv` and :func:`conv`; gradients follow from them.
        TF's ``separable_conv2d`` additionally rejects ``C*m > O`` (dialect check only).
        Equivalents: ``tf.nn.separable_conv2d``, ``keras.ops.separable_conv``.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> x = np.ones((1, 2, 3))
        >>> nf.separable_conv(x, np.ones((2, 1, 2)), np.array([[[1.0], [2.0]]]))
        array([[[6., 6.]]])
    """

    def spec(t: Any) -> Any:
        return t if t is None or (hasattr(t, "shape") and hasattr(t, "dtype")) else np.asarray(t)

    # validate both steps first, so that in a graph their errors name this node
    with shapes.node_errors(name, x, depthwise_weight, pointwise_weight, bias):
        dw = DepthwiseConv(stride, pad, dilation, None, channel_last)
        (h_spec,) = dw.setup(spec(x), spec(depthwise_weight))
        Conv(1, 0, 1, 1, channel_last).setup(h_spec, spec(pointwise_weight), spec(bias))
    h = depthwise_conv(
        x, depthwise_weight, stride=stride, pad=pad, dilation=dilation, channel_last=channel_last
    )
    return conv(h, pointwise_weight, bias, channel_last=channel_last, name=name)
