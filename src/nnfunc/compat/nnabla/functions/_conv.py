"""nnabla.functions convolution and pooling entries (NNabla 1.39).

Channel-first by default; ``base_axis``: the axes before it are sample axes (flattened into one
batch axis around the canonical call); ``pad`` is symmetric per spatial axis; ``stride`` and
``dilation`` default to 1; pooling ``stride`` defaults to ``kernel``. ``n_outputs`` and ``outputs``:
see :mod:`nnfunc.compat.nnabla.functions`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

import nnfunc.functions as F
from nnfunc.compat._common import tensor_args
from nnfunc.compat._docs import shares_args
from nnfunc.compat.nnabla._imperative import canonical_entry, outputs_in_place
from nnfunc.core import check, shapes
from nnfunc.errors import ArgumentError, ShapeError

__all__ = [
    "adaptive_separable_convolution",
    "average_pooling",
    "convolution",
    "deconvolution",
    "depthwise_convolution",
    "depthwise_deconvolution",
    "global_average_pooling",
    "max_pooling",
    "patch_correlation",
    "sum_pooling",
    "unpooling",
]


def _opt(value: Any, default: int, n: int) -> Any:
    return (default,) * n if value is None else _seq(value)


def _flatten(op: str, x: Any, base_axis: int) -> tuple[Any, tuple]:
    nd = len(x.shape)
    base_axis = check.axis(op, "base_axis", base_axis, nd)
    if base_axis == 1:
        return x, ()
    lead = tuple(x.shape[:base_axis])
    n = -1 if None in lead else math.prod(lead)
    return F.reshape(x, (n, *x.shape[base_axis:])), lead


def _unflatten(y: Any, lead: tuple, name: str | None) -> Any:
    if not lead:
        return y
    return F.reshape(y, (*lead, *y.shape[1:]), name=name)


def _weight_first(w: Any, channel_last: bool) -> Any:
    """NNabla's channel-last weight ``(O, *k, C)`` -> ``(O, C, *k)``."""
    if not channel_last:
        return w
    nd = len(w.shape)
    return F.transpose(w, (0, nd - 1, *range(1, nd - 1)))


def _conv_like(op, fn, x, weight, bias, base_axis, pad, stride, dilation, name, **kw):
    with shapes.node_errors(name, x, weight, bias):
        xf, lead = _flatten(op, x, base_axis)
    return _conv_flat(xf, lead, fn, weight, bias, pad, stride, dilation, name, **kw)


def _conv_flat(xf, lead, fn, weight, bias, pad, stride, dilation, name, **kw):
    nsp = len(xf.shape) - 2
    y = fn(
        xf,
        weight,
        bias,
        stride=_opt(stride, 1, nsp),
        pad=_opt(pad, 0, nsp),
        dilation=_opt(dilation, 1, nsp),
        name=None if lead else name,
        **kw,
    )
    return _unflatten(y, lead, name)


@outputs_in_place
@tensor_args("x", "weight", "bias")
def convolution(
    x: Any,
    weight: Any,
    bias: Any = None,
    base_axis: int = 1,
    pad: Sequence[int] | None = None,
    stride: Sequence[int] | None = None,
    dilation: Sequence[int] | None = None,
    group: int = 1,
    channel_last: bool = False,
    n_outputs: int = 1,
    outputs: Any = None,
    *,
    name: str | None = None,
) -> Any:
    """N-D convolution with bias (``nnabla.functions.convolution``). See :func:`nnfunc.conv`.

    Args:
        x: ``(M_1..M_B, C, L_1..L_N)`` (channel_last: ``(M.., L.., C)``).
        weight: ``(C', C/group, K..)`` (channel_last: ``(C', K.., C/group)``).
        bias: ``(C',)`` or None.
        base_axis (int): First non-sample axis.
        pad, stride, dilation (tuple of int): Per spatial axis (symmetric pads).
        group (int): Channel groups.
        channel_last (bool): Channels on the last axis.
        name (str, optional): Node name in graph mode.

    Returns:
        ``(M.., C', L'..)`` with ``L' = floor((L + 2p - d(k - 1) - 1)/s) + 1``.

    Examples:
        >>> F.convolution(np.ones((1, 1, 3, 3)), np.ones((1, 1, 2, 2)), np.array([0.5]),
        ...               pad=(1, 1), stride=(2, 2))
        array([[[[1.5, 2.5],
                 [2.5, 4.5]]]])
    """
    return _conv_like(
        "convolution",
        F.conv,
        x,
        _weight_first(weight, check.boolean("convolution", "channel_last", channel_last)),
        bias,
        base_axis,
        pad,
        stride,
        dilation,
        name,
        groups=group,
        channel_last=channel_last,
    )


@shares_args(convolution)
@outputs_in_place
@tensor_args("x", "weight")
def deconvolution(
    x: Any,
    weight: Any,
    bias: Any = None,
    base_axis: int = 1,
    pad: Sequence[int] | None = None,
    stride: Sequence[int] | None = None,
    dilation: Sequence[int] | None = None,
    group: int = 1,
    channel_last: bool = False,
    output_padding: Sequence[int] | None = None,
    n_outputs: int = 1,
    outputs: Any = None,
    *,
    name: str | None = None,
) -> Any:
    """Transposed convolution with bias (``nnabla.functions.deconvolution``).

    Args:
        x: ``(M.., C, L..)``.
        weight: ``(C, C'/group, K..)`` (the weight of the convolution it transposes).
        pad, stride, dilation (tuple of int): Per spatial axis.
        output_padding (tuple of int): Added to the output size (default 0).

    Returns:
        ``(M.., C', L'..)`` with ``L' = s(L - 1) - 2p + d(k - 1) + 1 + output_padding``.

    Examples:
        >>> F.deconvolution(np.ones((1, 1, 2)), np.ones((1, 1, 2)), stride=(2,))
        array([[[1., 1., 1., 1.]]])
    """
    nsp = len(x.shape) - check.integer("deconvolution", "base_axis", base_axis) - 1
    return _conv_like(
        "deconvolution",
        F.conv_transpose,
        x,
        _weight_first(weight, check.boolean("deconvolution", "channel_last", channel_last)),
        bias,
        base_axis,
        pad,
        stride,
        dilation,
        name,
        groups=group,
        channel_last=channel_last,
        output_padding=_opt(output_padding, 0, nsp),
    )


def _depthwise_weight(op: str, x: Any, weight: Any, base_axis: int, multiplier: Any) -> Any:
    """NNabla's ``(C * multiplier, K..)`` weight (``multiplier=None``: ``(C, K..)``) checked
    against the channels of ``x`` and given the canonical ``(C', 1, K..)`` layout."""
    nd = len(x.shape)
    base_axis = check.axis(op, "base_axis", base_axis, nd)
    check.ndim(op, "weight", weight, nd - base_axis)
    c = x.shape[base_axis]
    want = None if c is None else c * (multiplier or 1)
    if want is not None and weight.shape[0] is not None and weight.shape[0] != want:
        rule = "" if multiplier is None else " * multiplier"
        extra = {} if multiplier is None else {"multiplier": multiplier}
        raise ShapeError(
            check.message(
                op,
                "weight",
                f"have shape[0] = channels (axis {base_axis}){rule} = {want}",
                channels=c,
                **{"weight.shape": tuple(weight.shape), "x.shape": tuple(x.shape)},
                **extra,
            )
        )
    return F.reshape(weight, (weight.shape[0], 1, *weight.shape[1:]))


@outputs_in_place
@tensor_args("x", "weight")
def depthwise_convolution(
    x: Any,
    weight: Any,
    bias: Any = None,
    base_axis: int = 1,
    pad: Sequence[int] | None = None,
    stride: Sequence[int] | None = None,
    dilation: Sequence[int] | None = None,
    multiplier: int = 1,
    n_outputs: int = 1,
    outputs: Any = None,
    *,
    name: str | None = None,
) -> Any:
    """Depthwise convolution (``nnabla.functions.depthwise_convolution``).

    Args:
        x: ``(M.., C, L..)``.
        weight: ``(C*multiplier, K..)`` (the seed writes ``(C, K..)``, true for multiplier 1).
        bias: ``(C*multiplier,)`` or None.
        base_axis (int): First non-sample axis.
        pad, stride, dilation (tuple of int): Per spatial axis.
        multiplier (int): Output maps per input map; output channel ``c*multiplier + j``.
        name (str, optional): Node name in graph mode.

    Returns:
        ``(M.., C*multiplier, L'..)``.

    Examples:
        >>> F.depthwise_convolution(np.ones((1, 2, 3)), np.array([[1.0, 1.0], [1.0, -1.0]]))
        array([[[2., 2.],
                [0., 0.]]])
    """
    op = "depthwise_convolution"
    with shapes.node_errors(name, x, weight, bias):
        multiplier = check.positive_int(op, "multiplier", multiplier)
        w = _depthwise_weight(op, x, weight, base_axis, multiplier)
    return _conv_like(op, F.depthwise_conv, x, w, bias, base_axis, pad, stride, dilation, name)


@shares_args(depthwise_convolution)
@outputs_in_place
@tensor_args("x", "weight")
def depthwise_deconvolution(
    x: Any,
    weight: Any,
    bias: Any = None,
    base_axis: int = 1,
    pad: Sequence[int] | None = None,
    stride: Sequence[int] | None = None,
    dilation: Sequence[int] | None = None,
    divisor: int = 1,
    n_outputs: int = 1,
    outputs: Any = None,
    *,
    name: str | None = None,
) -> Any:
    """Transposed depthwise convolution (``nnabla.functions.depthwise_deconvolution``).

    Args:
        weight: ``(C, K..)``.
        bias: ``(C/divisor,)`` or None.
        divisor (int): Input maps per output map (``C' = C / divisor``).

    Returns:
        ``(M.., C/divisor, L'..)``.

    Examples:
        >>> F.depthwise_deconvolution(np.ones((1, 2, 2)), np.ones((2, 2)), divisor=2)
        array([[[2., 4., 2.]]])
    """
    op = "depthwise_deconvolution"
    with shapes.node_errors(name, x, weight, bias):
        divisor = check.positive_int(op, "divisor", divisor)
        w = _depthwise_weight(op, x, weight, base_axis, None)
    return _conv_like(
        op,
        F.depthwise_conv_transpose,
        x,
        w,
        bias,
        base_axis,
        pad,
        stride,
        dilation,
        name,
        divisor=divisor,
    )


adaptive_separable_convolution = canonical_entry(
    F.adaptive_separable_convolution,
    """Adaptive separable convolution (``nnabla.functions.adaptive_separable_convolution``).

    Returns:
        ``(B, C, H - Kv + 1, W - Kh + 1)``.

    Examples:
        >>> F.adaptive_separable_convolution(np.ones((1, 1, 2, 2)), np.ones((1, 2, 1, 1)),
        ...                                  np.ones((1, 2, 1, 1)))
        array([[[[4.]]]])
    """,
)


def _seq(value: Any) -> Any:
    """A sequence as a tuple; anything else as is (the canonical checks report it)."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        return value.item()
    return tuple(value) if isinstance(value, (Sequence, np.ndarray)) else value


def _pool(fn, x, kernel, stride, ignore_border, pad, channel_last, name, **kw):
    kernel = _seq(kernel)
    if pad is None:
        pad = (0,) * len(kernel) if isinstance(kernel, tuple) else 0
    return fn(
        x,
        kernel,
        stride=_seq(stride),
        pad=_seq(pad),
        ignore_border=ignore_border,
        channel_last=channel_last,
        name=name,
        **kw,
    )


@outputs_in_place
@tensor_args("x", "kernel")
def max_pooling(
    x: Any,
    kernel: Sequence[int],
    stride: Sequence[int] | None = None,
    ignore_border: bool = True,
    pad: Sequence[int] | None = None,
    channel_last: bool = False,
    n_outputs: int = 1,
    outputs: Any = None,
    *,
    name: str | None = None,
) -> Any:
    """Max pooling (``nnabla.functions.max_pooling``). See :func:`nnfunc.max_pool`.

    Args:
        x: Input; ``kernel`` covers its last ``len(kernel)`` (spatial) axes.
        kernel (tuple of int): Window size.
        stride (tuple of int): Default ``kernel``.
        ignore_border (bool): False: partial windows at the border give outputs too.
        pad (tuple of int): Symmetric padding (default 0).
        channel_last (bool): Channels on the last axis.
        name (str, optional): Node name in graph mode.

    Returns:
        The maxima.

    Examples:
        >>> F.max_pooling(np.arange(25.0).reshape(1, 1, 5, 5), (2, 2), ignore_border=False)[0, 0]
        array([[ 6.,  8.,  9.],
               [16., 18., 19.],
               [21., 23., 24.]])
    """
    return _pool(F.max_pool, x, kernel, stride, ignore_border, pad, channel_last, name)


@shares_args(max_pooling)
@outputs_in_place
@tensor_args("x", "kernel")
def average_pooling(
    x: Any,
    kernel: Sequence[int],
    stride: Sequence[int] | None = None,
    ignore_border: bool = True,
    pad: Sequence[int] | None = None,
    channel_last: bool = False,
    including_pad: bool = True,
    n_outputs: int = 1,
    outputs: Any = None,
    *,
    name: str | None = None,
) -> Any:
    """Average pooling (``nnabla.functions.average_pooling``). See :func:`nnfunc.avg_pool`.

    Args:
        including_pad (bool): Count padded cells in the divisor (default True).

    Returns:
        The averages.

    Examples:
        >>> F.average_pooling(np.ones((1, 1, 2, 2)), (2, 2), pad=(1, 1))[0, 0]
        array([[0.25, 0.25],
               [0.25, 0.25]])
    """
    return _pool(
        F.avg_pool,
        x,
        kernel,
        stride,
        ignore_border,
        pad,
        channel_last,
        name,
        including_pad=including_pad,
    )


@shares_args(max_pooling)
@outputs_in_place
@tensor_args("x", "kernel")
def sum_pooling(
    x: Any,
    kernel: Sequence[int],
    stride: Sequence[int] | None = None,
    ignore_border: bool = True,
    pad: Sequence[int] | None = None,
    channel_last: bool = False,
    n_outputs: int = 1,
    outputs: Any = None,
    *,
    name: str | None = None,
) -> Any:
    """Sum pooling (``nnabla.functions.sum_pooling``). See :func:`nnfunc.sum_pool`.

    Returns:
        The sums.

    Examples:
        >>> F.sum_pooling(np.ones((1, 3, 3)), (2, 2))
        array([[[4.]]])
    """
    return _pool(F.sum_pool, x, kernel, stride, ignore_border, pad, channel_last, name)


@outputs_in_place
@tensor_args("x")
def global_average_pooling(
    x: Any, n_outputs: int = 1, outputs: Any = None, *, name: str | None = None
) -> Any:
    """Global average pooling (``nnabla.functions.global_average_pooling``, NCHW).

    Args:
        x: ``(B, C, *spatial)``, any number (>= 1) of spatial axes.
        name (str, optional): Node name in graph mode.

    Returns:
        ``(B, C, 1, 1)`` for every input rank, as NNabla 1.39 does (its kernel writes the
        result as ``(B, C, 1, 1)`` whatever the number of spatial axes).

    Examples:
        >>> F.global_average_pooling(np.arange(4.0).reshape(1, 1, 2, 2))
        array([[[[1.5]]]])
    """
    nd = len(x.shape) if hasattr(x, "shape") else np.ndim(x)
    if nd == 4 or nd < 3:
        return F.global_avg_pool(x, name=name)
    y = F.global_avg_pool(x)
    if nd == 3:
        return F.expand_dims(y, 3, name=name)
    return F.squeeze(y, tuple(range(4, nd)), name=name)


@outputs_in_place
@tensor_args("x", "kernel")
def unpooling(
    x: Any,
    kernel: Sequence[int],
    channel_last: bool = False,
    n_outputs: int = 1,
    outputs: Any = None,
    *,
    name: str | None = None,
) -> Any:
    """Spreading unpooling (``nnabla.functions.unpooling``). See :func:`nnfunc.unpool`.

    Args:
        x: Input; ``kernel`` covers its last ``len(kernel)`` (spatial) axes.
        kernel (tuple of int): Block size.
        channel_last (bool): Channels on the last axis.
        name (str, optional): Node name in graph mode.

    Returns:
        Spatial sizes multiplied by ``kernel``.

    Examples:
        >>> F.unpooling(np.array([[[1.0, 2.0]]]), (1, 2))
        array([[[1., 1., 2., 2.]]])
    """
    return F.unpool(x, _seq(kernel), channel_last=channel_last, name=name)


def _sides(padding: Any) -> tuple[tuple[int, int], tuple[int, int]]:
    """NNabla's ``padding`` (int, ``(v, h)`` or ``(top, bottom, left, right)``) as pairs."""
    op = "patch_correlation"

    def is_int(v: Any) -> bool:
        return isinstance(v, (int, np.integer)) and not isinstance(v, bool)

    if isinstance(padding, np.ndarray) and padding.ndim == 0:
        padding = padding[()]  # a 0-d array is its scalar (a float one is rejected below)
    if is_int(padding):
        items: tuple = (padding,) * 4
    elif isinstance(padding, (Sequence, np.ndarray)) and not isinstance(padding, str):
        items = tuple(padding)
        if len(items) == 2:
            items = (items[0], items[0], items[1], items[1])
    else:
        items = ()
    if len(items) != 4 or not all(is_int(v) for v in items):
        raise ArgumentError(
            check.message(
                op,
                "padding",
                "be an int, (vertical, horizontal) or (top, bottom, left, right)",
                padding=padding,
            )
        )
    if any(v < 0 for v in items):
        raise ArgumentError(check.message(op, "padding", "be non-negative", padding=padding))
    t, b, left, right = (int(v) for v in items)
    return ((t, b), (left, right))


@tensor_args("x1", "x2")
def patch_correlation(
    x1: Any,
    x2: Any,
    patch: int | Sequence[int] = (1, 1),
    shift: int | Sequence[int] = (0, 0),
    patch_step: int | Sequence[int] = (1, 1),
    shift_step: int | Sequence[int] = (1, 1),
    padding: int | Sequence[int] = (0, 0, 0, 0),
    channel_last: bool = False,
    *,
    name: str | None = None,
) -> Any:
    """FlowNet patch correlation (``nnabla.functions.patch_correlation``).

    See :func:`nnfunc.patch_correlation`; only ``padding`` is translated.

    Args:
        x1: ``(N, C, H, W)`` (channel_last: ``(N, H, W, C)``).
        x2: Same shape as ``x1``.
        patch (int or pair): Patch height and width.
        shift (int or pair): Largest vertical and horizontal displacement.
        patch_step (int or pair): Step between patch positions.
        shift_step (int or pair): Step between displacements.
        padding (int, pair or 4-tuple): ``(top, bottom, left, right)``; a pair pads
            top = bottom and left = right; an int pads every side.
        channel_last (bool): NHWC inputs.
        name (str, optional): Node name in graph mode.

    Returns:
        ``(N, C_y, C_x, H_o, W_o)`` (channel_last: ``(N, H_o, W_o, C_y, C_x)``) with
        ``H_o = (H + top + bottom - patch_v) // patch_step_v + 1`` and
        ``C_y = 2 * shift_v // shift_step_v + 1``.

    Notes:
        The page's examples print float32 because NNabla computes in float32; here the result
        keeps the inputs' floating dtype (float32 inputs give the page's output exactly).

    Examples:
        >>> x = np.ones((1, 2, 3, 4), np.float32)
        >>> F.patch_correlation(x, x, patch=(3, 4), padding=(0, 1, 4, 4))
        array([[[[[ 0.,  6., 12., 18., 24., 18., 12.,  6.,  0.],
                  [ 0.,  4.,  8., 12., 16., 12.,  8.,  4.,  0.]]]]], dtype=float32)
    """
    with shapes.node_errors(name, x1, x2):
        pad = _sides(padding)
    return F.patch_correlation(
        x1,
        x2,
        patch=patch,
        shift=shift,
        patch_step=patch_step,
        shift_step=shift_step,
        pad=pad,
        channel_last=channel_last,
        name=name,
    )
