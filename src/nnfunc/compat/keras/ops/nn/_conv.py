"""keras.ops.nn convolution and pooling entries (Keras 3: channels_last default, kernels
``(*k, in, out)``, ``(*k, out, in)`` for conv_transpose, ``(*k, in, multiplier)`` for depthwise).

``padding`` is ``"valid"`` or ``"same"`` (any case; TensorFlow's rule for ``"same"``); average
pooling does not count padded cells (the TensorFlow backend's behaviour).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import nnfunc.functions as F
from nnfunc.compat._common import tensor_args
from nnfunc.compat._docs import shares_args
from nnfunc.compat._layout import (
    check_in_channels,
    depthwise_to_oihw,
    hwio_to_oihw,
    keras_channel_last,
    padding_mode,
)
from nnfunc.core import check, shapes
from nnfunc.errors import ShapeError

__all__ = ["average_pool", "conv", "conv_transpose", "depthwise_conv", "max_pool", "separable_conv"]


def _check(op: str, inputs: Any, kname: str, kernel: Any, cl: bool, in_axis: int) -> None:
    """Ranks (``kernel`` has the rank of ``inputs``) and the kernel's input-channel entry."""
    nd = check.ndim_at_least(op, "inputs", inputs, 3)
    if len(kernel.shape) != nd:
        raise ShapeError(
            check.message(
                op,
                kname,
                f"have rank {nd} (the rank of `inputs`)",
                **{f"{kname}.shape": tuple(kernel.shape), "inputs.shape": tuple(inputs.shape)},
            )
        )
    check_in_channels(op, "inputs", inputs, nd - 1 if cl else 1, kname, kernel, in_axis)


@tensor_args("inputs", "kernel")
def conv(
    inputs: Any,
    kernel: Any,
    strides: int | Sequence[int] = 1,
    padding: str = "valid",
    data_format: str | None = None,
    dilation_rate: int | Sequence[int] = 1,
    *,
    name: str | None = None,
) -> Any:
    """General N-D convolution (``keras.ops.conv``). See :func:`nnfunc.conv`.

    Args:
        inputs: ``(batch, *spatial, channels)`` (channels_last, default) or channels_first.
        kernel: ``(*k, in // groups, out)``: as in Keras, ``groups = in // kernel.shape[-2]``
            (a grouped convolution when the kernel's input entry divides the channels).
        strides: int or tuple per spatial dimension.
        padding: ``"valid"`` or ``"same"``.
        data_format: ``"channels_last"`` (None) or ``"channels_first"``.
        dilation_rate: int or tuple.
        name (str, optional): Node name in graph mode.

    Returns:
        The convolution, rank ``N + 2``.

    Examples:
        >>> keras.ops.conv(np.ones((1, 4, 1)), np.ones((2, 1, 1)), strides=2)[0, :, 0]
        array([2., 2.])

        Four input channels and a kernel taking two: two groups.

        >>> keras.ops.conv(np.ones((1, 3, 4)), np.ones((1, 2, 6))).shape
        (1, 3, 6)
    """
    op = "conv"
    with shapes.node_errors(name, inputs, kernel):
        pad, cl = padding_mode(op, padding, ("valid", "same")), keras_channel_last(op, data_format)
        groups = _groups(op, inputs, kernel, cl)
        return F.conv(
            inputs,
            hwio_to_oihw(kernel),
            stride=strides,
            pad=pad,
            dilation=dilation_rate,
            groups=groups,
            channel_last=cl,
            name=name,
        )


def _groups(op: str, inputs: Any, kernel: Any, cl: bool) -> int:
    """Keras's rule: ``groups = in_channels // kernel.shape[-2]``; the channels must be a
    multiple of the kernel's input entry and its output entry a multiple of ``groups``."""
    nd = check.ndim_at_least(op, "inputs", inputs, 3)
    if len(kernel.shape) != nd:
        _check(op, inputs, "kernel", kernel, cl, nd - 2)
    c, k, o = inputs.shape[nd - 1 if cl else 1], kernel.shape[-2], kernel.shape[-1]
    if c is None or k is None or k == 0 or c == k or c % k:
        _check(op, inputs, "kernel", kernel, cl, nd - 2)
        return 1
    groups = c // k
    if o is not None and o % groups:
        raise ShapeError(
            check.message(
                op,
                "kernel",
                f"have an output-channel entry kernel.shape[-1] divisible by the {groups} groups "
                "(in_channels // kernel.shape[-2])",
                **{"kernel.shape": tuple(kernel.shape), "inputs.shape": tuple(inputs.shape)},
            )
        )
    return groups


@tensor_args("inputs", "kernel")
def conv_transpose(
    inputs: Any,
    kernel: Any,
    strides: int | Sequence[int],
    padding: str = "valid",
    output_padding: int | Sequence[int] | None = None,
    data_format: str | None = None,
    dilation_rate: int | Sequence[int] = 1,
    *,
    name: str | None = None,
) -> Any:
    """N-D transposed convolution (``keras.ops.conv_transpose``). See
    :func:`nnfunc.conv_transpose`.

    Args:
        inputs: ``(batch, *spatial, in)`` (channels_last) or channels_first.
        kernel: ``(*k, out, in)``.
        strides: int or tuple (required).
        padding: ``"valid"`` or ``"same"``.
        output_padding: None (size inferred: ``in*s`` for same, ``in*s + max(k - s, 0)`` for
            valid) or int/tuple, each smaller than the stride.
        data_format: ``"channels_last"`` (None) or ``"channels_first"``.
        dilation_rate: int or tuple.
        name (str, optional): Node name in graph mode.

    Returns:
        The transposed convolution.

    Examples:
        >>> keras.ops.conv_transpose(np.ones((1, 2, 1)), np.ones((3, 1, 1)), 2)[0, :, 0]
        array([1., 1., 2., 1., 1.])
    """
    op = "conv_transpose"
    with shapes.node_errors(name, inputs, kernel):
        pad, cl = padding_mode(op, padding, ("valid", "same")), keras_channel_last(op, data_format)
        _check(op, inputs, "kernel", kernel, cl, len(kernel.shape) - 1)
        return F.conv_transpose(
            inputs,
            hwio_to_oihw(kernel),
            stride=strides,
            pad=pad,
            dilation=dilation_rate,
            output_padding=output_padding,
            channel_last=cl,
            name=name,
        )


@tensor_args("inputs", "kernel")
def depthwise_conv(
    inputs: Any,
    kernel: Any,
    strides: int | Sequence[int] = 1,
    padding: str = "valid",
    data_format: str | None = None,
    dilation_rate: int | Sequence[int] = 1,
    *,
    name: str | None = None,
) -> Any:
    """Depthwise convolution (``keras.ops.depthwise_conv``). See :func:`nnfunc.depthwise_conv`.

    Args:
        inputs: ``(batch, *spatial, C)`` (channels_last) or channels_first.
        kernel: ``(*k, C, multiplier)``; output channel ``c*multiplier + q``.
        strides: int or tuple.
        padding: ``"valid"`` or ``"same"``.
        data_format: ``"channels_last"`` (None) or ``"channels_first"``.
        dilation_rate: int or tuple.
        name (str, optional): Node name in graph mode.

    Returns:
        ``(batch, *spatial', C*multiplier)``.

    Examples:
        >>> x = np.array([[[1.0, 10.0], [2.0, 20.0], [3.0, 30.0]]])
        >>> keras.ops.depthwise_conv(x, np.ones((2, 2, 1)))
        array([[[ 3., 30.],
                [ 5., 50.]]])
    """
    op = "depthwise_conv"
    with shapes.node_errors(name, inputs, kernel):
        pad, cl = padding_mode(op, padding, ("valid", "same")), keras_channel_last(op, data_format)
        _check(op, inputs, "kernel", kernel, cl, len(kernel.shape) - 2)
        return F.depthwise_conv(
            inputs,
            depthwise_to_oihw(kernel),
            stride=strides,
            pad=pad,
            dilation=dilation_rate,
            channel_last=cl,
            name=name,
        )


@shares_args(depthwise_conv)
@tensor_args("inputs", "depthwise_kernel", "pointwise_kernel")
def separable_conv(
    inputs: Any,
    depthwise_kernel: Any,
    pointwise_kernel: Any,
    strides: int | Sequence[int] = 1,
    padding: str = "valid",
    data_format: str | None = None,
    dilation_rate: int | Sequence[int] = 1,
    *,
    name: str | None = None,
) -> Any:
    """Depthwise then pointwise convolution (``keras.ops.separable_conv``).

    Args:
        depthwise_kernel: ``(*k, C, multiplier)``.
        pointwise_kernel: ``(*ones, C*multiplier, out)``.
        strides: int or tuple (depthwise step).

    Returns:
        ``(batch, *spatial', out)``.

    Examples:
        >>> keras.ops.separable_conv(np.ones((1, 3, 1)), np.ones((2, 1, 1)),
        ...                          np.array([[[1.0, -1.0]]]))[0]
        array([[ 2., -2.],
               [ 2., -2.]])
    """
    op = "separable_conv"
    with shapes.node_errors(name, inputs, depthwise_kernel, pointwise_kernel):
        pad, cl = padding_mode(op, padding, ("valid", "same")), keras_channel_last(op, data_format)
        nd = len(depthwise_kernel.shape)
        _check(op, inputs, "depthwise_kernel", depthwise_kernel, cl, nd - 2)
        dw, pw = tuple(depthwise_kernel.shape), tuple(pointwise_kernel.shape)
        cm = None if None in dw[-2:] else dw[-2] * dw[-1]
        if len(pw) != nd or any(k != 1 for k in pw[:-2]) or pw[-2] not in (None, cm):
            want = ", ".join(["1"] * (nd - 2) + [f"{cm}", "out"])
            raise ShapeError(
                check.message(
                    op,
                    "pointwise_kernel",
                    f"have shape ({want}) (input channels * multiplier = {cm})",
                    **{"pointwise_kernel.shape": pw, "depthwise_kernel.shape": dw},
                )
            )
        return F.separable_conv(
            inputs,
            depthwise_to_oihw(depthwise_kernel),
            hwio_to_oihw(pointwise_kernel),
            stride=strides,
            pad=pad,
            dilation=dilation_rate,
            channel_last=cl,
            name=name,
        )


@tensor_args("inputs")
def max_pool(
    inputs: Any,
    pool_size: int | Sequence[int],
    strides: int | Sequence[int] | None = None,
    padding: str = "valid",
    data_format: str | None = None,
    *,
    name: str | None = None,
) -> Any:
    """Max pooling (``keras.ops.max_pool``). See :func:`nnfunc.max_pool`.

    Args:
        inputs: ``(batch, *spatial, C)`` (channels_last) or channels_first.
        pool_size: int or tuple per spatial dimension.
        strides: int or tuple; None means ``pool_size``.
        padding: ``"valid"`` or ``"same"``.
        data_format: ``"channels_last"`` (None) or ``"channels_first"``.
        name (str, optional): Node name in graph mode.

    Returns:
        The pooled tensor.

    Examples:
        >>> keras.ops.max_pool(np.arange(5.0).reshape(1, 5, 1), 2, padding="same")[0, :, 0]
        array([1., 3., 4.])
    """
    return _pool("max_pool", F.max_pool, inputs, pool_size, strides, padding, data_format, name)


@shares_args(max_pool)
@tensor_args("inputs")
def average_pool(
    inputs: Any,
    pool_size: int | Sequence[int],
    strides: int | Sequence[int] | None = None,
    padding: str = "valid",
    data_format: str | None = None,
    *,
    name: str | None = None,
) -> Any:
    """Average pooling (``keras.ops.average_pool``); padded cells are not counted.

    Returns:
        The pooled tensor.

    Examples:
        >>> keras.ops.average_pool(np.arange(5.0).reshape(1, 5, 1), 2, padding="same")[0, :, 0]
        array([0.5, 2.5, 4. ])
    """
    return _pool(
        "average_pool",
        F.avg_pool,
        inputs,
        pool_size,
        strides,
        padding,
        data_format,
        name,
        including_pad=False,
    )


def _pool(op, fn, inputs, pool_size, strides, padding, data_format, name, **kw):
    with shapes.node_errors(name, inputs):
        cl = keras_channel_last(op, data_format)
        pad = padding_mode(op, padding, ("valid", "same"))
        nsp = check.ndim_at_least(op, "inputs", inputs, 3) - 2
        if isinstance(pool_size, int):
            pool_size = (pool_size,) * nsp
        return fn(
            inputs,
            pool_size,
            stride=strides,
            pad=pad,
            channel_last=cl,
            name=name,
            **kw,
        )
