"""tf.nn convolution, pooling and morphology entries (TensorFlow 1.x layouts and arguments).

Filters are ``(*k, in, out)`` (``(*k, out, in)`` for the transposed convolutions, ``(*k, in,
multiplier)`` for depthwise ones); ``strides``/``ksize`` are full-rank lists in ``data_format``
order whose batch and channel entries must be 1; ``padding`` is ``"SAME"`` or ``"VALID"`` (any
case). Each entry transposes the filter to the canonical ``(out, in, *k)`` layout and calls the
canonical function.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

import nnfunc.functions as F
from nnfunc.compat._common import tensor_args
from nnfunc.compat._docs import shares_args
from nnfunc.compat._layout import (
    check_in_channels,
    depthwise_to_oihw,
    hwio_to_oihw,
    padding_mode,
    tf_channel_last,
    tf_spatial,
)
from nnfunc.core import check, shapes
from nnfunc.errors import ArgumentError, ShapeError

__all__ = [
    "atrous_conv2d",
    "avg_pool",
    "avg_pool3d",
    "conv1d",
    "conv2d",
    "conv2d_transpose",
    "conv3d",
    "conv3d_transpose",
    "depthwise_conv2d",
    "depthwise_conv2d_native",
    "dilation2d",
    "erosion2d",
    "fractional_avg_pool",
    "fractional_max_pool",
    "max_pool",
    "max_pool3d",
    "max_pool_with_argmax",
    "separable_conv2d",
]


def _ranks(op: str, xname: str, x: Any, fname: str, filt: Any, nsp: int) -> None:
    check.ndim(op, xname, x, nsp + 2)
    check.ndim(op, fname, filt, nsp + 2)


def _conv(op, x, filt, strides, padding, data_format, nsp, name, names=("input", "filter")):
    with shapes.node_errors(name, x, filt):
        cl = tf_channel_last(op, data_format, nsp)
        pad = padding_mode(op, padding)
        stride = tf_spatial(op, "strides", strides, nsp, cl)
        _ranks(op, names[0], x, names[1], filt, nsp)
        check_in_channels(op, names[0], x, nsp + 1 if cl else 1, names[1], filt, nsp)
        return F.conv(x, hwio_to_oihw(filt), stride=stride, pad=pad, channel_last=cl, name=name)


@tensor_args("input", "filter")
def conv2d(
    input: Any,
    filter: Any,
    strides: Sequence[int],
    padding: str,
    use_cudnn_on_gpu: Any = None,
    data_format: str | None = None,
    name: str | None = None,
) -> Any:
    """2-D cross-correlation (``tf.nn.conv2d``). See :func:`nnfunc.conv`.

    Args:
        input: ``[batch, h, w, in]`` (NHWC, default) or ``[batch, in, h, w]`` (NCHW).
        filter: ``[fh, fw, in, out]``.
        strides: 4 ints in ``data_format`` order, batch and channel entries 1.
        padding: ``"SAME"`` (output ``ceil(in/stride)``, odd pad at the end) or ``"VALID"``.
        use_cudnn_on_gpu: Ignored.
        data_format: ``"NHWC"`` (default) or ``"NCHW"``.
        name (str, optional): Node name in graph mode.

    Returns:
        ``[batch, out_h, out_w, out]`` (or NCHW), dtype of ``input``.

    Examples:
        >>> x = np.arange(9.0).reshape(1, 3, 3, 1)
        >>> tf.nn.conv2d(x, np.ones((2, 2, 1, 1)), [1, 1, 1, 1], "VALID")[..., 0]
        array([[[ 8., 12.],
                [20., 24.]]])
    """
    return _conv("conv2d", input, filter, strides, padding, data_format, 2, name)


@tensor_args("value", "filters")
def conv1d(
    value: Any,
    filters: Any,
    stride: int,
    padding: str,
    use_cudnn_on_gpu: Any = None,
    data_format: str | None = None,
    name: str | None = None,
) -> Any:
    """1-D convolution (``tf.nn.conv1d``); ``stride`` is one integer. See :func:`nnfunc.conv`.

    Args:
        value: ``[batch, width, in]`` (``"NHWC"``/``"NWC"``) or ``[batch, in, width]``
            (``"NCHW"``/``"NCW"``).
        filters: ``[fw, in, out]``.
        stride (int): Step of the window.
        padding: ``"SAME"`` or ``"VALID"``.
        use_cudnn_on_gpu: Ignored.
        data_format: Default ``"NHWC"``.
        name (str, optional): Node name in graph mode.

    Returns:
        ``[batch, out_w, out]`` (or channels first).

    Examples:
        >>> tf.nn.conv1d(np.ones((1, 5, 1)), np.ones((3, 1, 1)), 2, "SAME")[0, :, 0]
        array([2., 3., 2.])
    """
    op = "conv1d"
    with shapes.node_errors(name, value, filters):
        if not isinstance(stride, (int, np.integer)) or isinstance(stride, bool):
            raise ArgumentError(check.message(op, "stride", "be an integer", stride=stride))
        cl = tf_channel_last(op, data_format, 1)
        _ranks(op, "value", value, "filters", filters, 1)
        check_in_channels(op, "value", value, 2 if cl else 1, "filters", filters, 1)
        return F.conv(
            value,
            hwio_to_oihw(filters),
            stride=int(stride),
            pad=padding_mode(op, padding),
            channel_last=cl,
            name=name,
        )


@tensor_args("input", "filter")
def conv3d(
    input: Any,
    filter: Any,
    strides: Sequence[int],
    padding: str,
    name: str | None = None,
) -> Any:
    """3-D cross-correlation (``tf.nn.conv3d``, NDHWC). See :func:`nnfunc.conv`.

    Args:
        input: ``[batch, d, h, w, in]``.
        filter: ``[fd, fh, fw, in, out]``.
        strides: 5 ints, ``strides[0] = strides[4] = 1``.
        padding: ``"SAME"`` or ``"VALID"``.
        name (str, optional): Node name in graph mode.

    Returns:
        ``[batch, out_d, out_h, out_w, out]``.

    Examples:
        >>> tf.nn.conv3d(np.ones((1, 2, 2, 2, 1)), np.ones((2, 2, 2, 1, 1)), [1] * 5, "VALID")
        array([[[[[8.]]]]])
    """
    return _conv("conv3d", input, filter, strides, padding, "NDHWC", 3, name)


@tensor_args("value", "filters")
def atrous_conv2d(
    value: Any, filters: Any, rate: int, padding: str, name: str | None = None
) -> Any:
    """Dilated 2-D convolution with stride 1 (``tf.nn.atrous_conv2d``, NHWC).

    Args:
        value: ``[batch, h, w, in]``.
        filters: ``[fh, fw, in, out]``.
        rate (int): Positive dilation rate (1 = ordinary convolution).
        padding: ``"SAME"`` or ``"VALID"``.
        name (str, optional): Node name in graph mode.

    Returns:
        ``[batch, out_h, out_w, out]``.

    Examples:
        >>> x = np.arange(5.0).reshape(1, 1, 5, 1)
        >>> tf.nn.atrous_conv2d(x, np.ones((1, 2, 1, 1)), 2, "VALID")[0, 0, :, 0]
        array([2., 4., 6.])
    """
    op = "atrous_conv2d"
    with shapes.node_errors(name, value, filters):
        rate = check.positive_int(op, "rate", rate)
        pad = padding_mode(op, padding)
        _ranks(op, "value", value, "filters", filters, 2)
        check_in_channels(op, "value", value, 3, "filters", filters, 2)
        w = hwio_to_oihw(filters)
        return F.conv(value, w, pad=pad, dilation=rate, channel_last=True, name=name)


def _conv_transpose(op, value, filt, output_shape, strides, padding, nsp, name):
    with shapes.node_errors(name, value, filt):
        return _conv_transpose_checked(op, value, filt, output_shape, strides, padding, nsp, name)


def _output_shape(op: str, output_shape: Any) -> list[int]:
    # Integers only: a float shape was truncated silently before (issue 17).
    try:
        arr = np.asarray(output_shape)
    except (ValueError, TypeError):
        arr = np.asarray(None)
    if arr.ndim != 1 or arr.dtype.kind not in "iu":
        raise ArgumentError(
            check.message(
                op, "output_shape", "be a 1-D sequence of ints", output_shape=output_shape
            )
        )
    return [int(v) for v in arr]


@shapes.register_check("tf.conv_transpose_batch")
def _batch_of_output_shape(value: Any, *, op: str, output_shape: list[int]) -> None:
    if value.shape[0] is not None and output_shape[0] != value.shape[0]:
        raise ShapeError(
            check.message(
                op,
                "output_shape",
                "start with the batch size of `value`",
                output_shape=output_shape,
                **{"value.shape": tuple(value.shape)},
            )
        )


def _conv_transpose_checked(op, value, filt, output_shape, strides, padding, nsp, name):
    pad = padding_mode(op, padding)
    _ranks(op, "value", value, "filter", filt, nsp)
    check_in_channels(op, "value", value, nsp + 1, "filter", filt, nsp + 1)
    stride = tf_spatial(op, "strides", strides, nsp, True)
    shape = _output_shape(op, output_shape)
    if len(shape) != nsp + 2:
        raise ShapeError(
            check.message(op, "output_shape", f"have {nsp + 2} entries", output_shape=shape)
        )
    out_ch = filt.shape[nsp]
    if out_ch is not None and shape[-1] != out_ch:
        raise ShapeError(
            check.message(
                op,
                "output_shape",
                "end with the filter's output channels (filter.shape[-2])",
                output_shape=shape,
                **{"filter.shape": tuple(filt.shape)},
            )
        )
    _batch_of_output_shape(value, op=op, output_shape=shape)
    # an unknown batch is checked when the graph runs
    (value,) = shapes.recheck(op, "tf.conv_transpose_batch", (value,), op=op, output_shape=shape)
    return F.conv_transpose(
        value,
        hwio_to_oihw(filt),
        stride=stride,
        pad=pad,
        output_shape=tuple(shape[1:-1]),
        channel_last=True,
        name=name,
    )


@tensor_args("value", "filter")
def conv2d_transpose(
    value: Any,
    filter: Any,
    output_shape: Any,
    strides: Sequence[int],
    padding: str = "SAME",
    name: str | None = None,
) -> Any:
    """Transpose of conv2d (``tf.nn.conv2d_transpose``, NHWC). See :func:`nnfunc.conv_transpose`.

    Args:
        value: ``[batch, h, w, in]``.
        filter: ``[fh, fw, out, in]`` (output channels before input channels).
        output_shape: ``[batch, out_h, out_w, out]`` (required).
        strides: 4 ints, batch and channel entries 1.
        padding: ``"SAME"`` (default) or ``"VALID"``.
        name (str, optional): Node name in graph mode.

    Returns:
        A tensor of shape ``output_shape``.

    Examples:
        >>> y = tf.nn.conv2d_transpose(np.ones((1, 2, 2, 1)), np.ones((3, 3, 1, 1)),
        ...                            [1, 4, 4, 1], [1, 2, 2, 1])
        >>> y[0, :, :, 0]
        array([[1., 1., 2., 1.],
               [1., 1., 2., 1.],
               [2., 2., 4., 2.],
               [1., 1., 2., 1.]])
    """
    return _conv_transpose(
        "conv2d_transpose", value, filter, output_shape, strides, padding, 2, name
    )


@tensor_args("value", "filter")
def conv3d_transpose(
    value: Any,
    filter: Any,
    output_shape: Any,
    strides: Sequence[int],
    padding: str = "SAME",
    name: str | None = None,
) -> Any:
    """Transpose of conv3d (``tf.nn.conv3d_transpose``, NDHWC).

    Args:
        value: ``[batch, d, h, w, in]``.
        filter: ``[fd, fh, fw, out, in]``.
        output_shape: ``[batch, out_d, out_h, out_w, out]`` (required).
        strides: 5 ints, batch and channel entries 1.
        padding: ``"SAME"`` (default) or ``"VALID"``.
        name (str, optional): Node name in graph mode.

    Returns:
        A tensor of shape ``output_shape``.

    Examples:
        >>> tf.nn.conv3d_transpose(np.ones((1, 1, 1, 1, 1)), np.ones((2, 2, 2, 1, 1)),
        ...                        [1, 2, 2, 2, 1], [1, 2, 2, 2, 1]).sum()
        np.float64(8.0)
    """
    return _conv_transpose(
        "conv3d_transpose", value, filter, output_shape, strides, padding, 3, name
    )


def _depthwise_conv(op, x, filt, strides, padding, name):
    with shapes.node_errors(name, x, filt):
        stride = tf_spatial(op, "strides", strides, 2, True)
        pad = padding_mode(op, padding)
        _ranks(op, "input", x, "filter", filt, 2)
        check_in_channels(op, "input", x, 3, "filter", filt, 2)
        return F.depthwise_conv(
            x, depthwise_to_oihw(filt), stride=stride, pad=pad, channel_last=True, name=name
        )


@tensor_args("input", "filter")
def depthwise_conv2d(
    input: Any,
    filter: Any,
    strides: Sequence[int],
    padding: str,
    name: str | None = None,
) -> Any:
    """Depthwise 2-D convolution (``tf.nn.depthwise_conv2d``, NHWC). See
    :func:`nnfunc.depthwise_conv`.

    Args:
        input: ``[batch, h, w, C]``.
        filter: ``[fh, fw, C, m]``; output channel ``c*m + q``.
        strides: 4 ints, batch and channel entries 1.
        padding: ``"SAME"`` or ``"VALID"``.
        name (str, optional): Node name in graph mode.

    Returns:
        ``[batch, out_h, out_w, C*m]``.

    Examples:
        >>> x = np.array([[[[1.0, 10.0], [2.0, 20.0]]]])  # (1, 1, 2, 2)
        >>> tf.nn.depthwise_conv2d(x, np.ones((1, 2, 2, 1)), [1, 1, 1, 1], "VALID")
        array([[[[ 3., 30.]]]])
    """
    return _depthwise_conv("depthwise_conv2d", input, filter, strides, padding, name)


@shares_args(depthwise_conv2d)
@tensor_args("input", "filter")
def depthwise_conv2d_native(
    input: Any,
    filter: Any,
    strides: Sequence[int],
    padding: str,
    name: str | None = None,
) -> Any:
    """Same as :func:`depthwise_conv2d` (``tf.nn.depthwise_conv2d_native``).

    Args:
        filter: ``[fh, fw, C, m]``.

    Returns:
        ``[batch, out_h, out_w, C*m]``.

    Examples:
        >>> tf.nn.depthwise_conv2d_native(np.ones((1, 3, 3, 1)), np.ones((3, 3, 1, 2)),
        ...                               [1, 1, 1, 1], "VALID")
        array([[[[9., 9.]]]])
    """
    return _depthwise_conv("depthwise_conv2d_native", input, filter, strides, padding, name)


@tensor_args("input", "depthwise_filter", "pointwise_filter")
def separable_conv2d(
    input: Any,
    depthwise_filter: Any,
    pointwise_filter: Any,
    strides: Sequence[int],
    padding: str,
    name: str | None = None,
) -> Any:
    """Depthwise then pointwise convolution (``tf.nn.separable_conv2d``, NHWC).

    Args:
        input: ``[batch, h, w, C]``.
        depthwise_filter: ``[fh, fw, C, m]``.
        pointwise_filter: ``[1, 1, C*m, out]``.
        strides: 4 ints for the depthwise step, batch and channel entries 1.
        padding: ``"SAME"`` or ``"VALID"``.
        name (str, optional): Node name in graph mode.

    Returns:
        ``[batch, out_h, out_w, out]``.

    Raises:
        ValueError (ArgumentError): ``C*m > out`` (TensorFlow's over-parameterization check).

    Examples:
        >>> tf.nn.separable_conv2d(np.ones((1, 2, 2, 1)), np.ones((2, 2, 1, 1)),
        ...                        np.full((1, 1, 1, 2), 0.5), [1, 1, 1, 1], "VALID")
        array([[[[2., 2.]]]])
    """
    op = "separable_conv2d"
    with shapes.node_errors(name, input, depthwise_filter, pointwise_filter):
        stride = tf_spatial(op, "strides", strides, 2, True)
        pad = padding_mode(op, padding)
        _ranks(op, "input", input, "depthwise_filter", depthwise_filter, 2)
        check.ndim(op, "pointwise_filter", pointwise_filter, 4)
        check_in_channels(op, "input", input, 3, "depthwise_filter", depthwise_filter, 2)
        dw, pw = tuple(depthwise_filter.shape), tuple(pointwise_filter.shape)
        cm = None if None in dw[2:] else dw[2] * dw[3]
        if pw[:2] != (1, 1) or (cm is not None and pw[2] not in (None, cm)):
            raise ShapeError(
                check.message(
                    op,
                    "pointwise_filter",
                    f"have shape [1, 1, in_channels * channel_multiplier = {cm}, out_channels]",
                    **{"pointwise_filter.shape": pw, "depthwise_filter.shape": dw},
                )
            )
        out = pw[3]
        if cm is not None and out is not None and cm > out:
            raise ArgumentError(
                check.message(
                    op,
                    "pointwise_filter",
                    "have at least in_channels * channel_multiplier output channels",
                    in_channels_times_multiplier=cm,
                    out_channels=out,
                )
            )
        return F.separable_conv(
            input,
            depthwise_to_oihw(depthwise_filter),
            hwio_to_oihw(pointwise_filter),
            stride=stride,
            pad=pad,
            channel_last=True,
            name=name,
        )


def _pool(op, fn, value, ksize, strides, padding, data_format, nsp, name, arg="value", **kw):
    with shapes.node_errors(name, value):
        cl = tf_channel_last(op, data_format, nsp)
        kernel = tf_spatial(op, "ksize", ksize, nsp, cl)
        stride = tf_spatial(op, "strides", strides, nsp, cl)
        pad = padding_mode(op, padding)
        check.ndim(op, arg, value, nsp + 2)
        return fn(value, kernel, stride=stride, pad=pad, channel_last=cl, name=name, **kw)


@tensor_args("value")
def avg_pool(
    value: Any,
    ksize: Sequence[int],
    strides: Sequence[int],
    padding: str,
    data_format: str = "NHWC",
    name: str | None = None,
) -> Any:
    """Average pooling (``tf.nn.avg_pool``); padded cells are not counted. See
    :func:`nnfunc.avg_pool`.

    Args:
        value: ``[batch, h, w, C]`` (NHWC) or ``[batch, C, h, w]`` (NCHW).
        ksize: 4 ints in ``data_format`` order, batch and channel entries 1.
        strides: 4 ints likewise.
        padding: ``"SAME"`` or ``"VALID"``.
        data_format: ``"NHWC"`` (default) or ``"NCHW"``.
        name (str, optional): Node name in graph mode.

    Returns:
        The pooled tensor.

    Examples:
        >>> x = np.arange(9.0).reshape(1, 3, 3, 1)
        >>> tf.nn.avg_pool(x, [1, 2, 2, 1], [1, 2, 2, 1], "SAME")[..., 0]
        array([[[2. , 3.5],
                [6.5, 8. ]]])
    """
    return _pool(
        "avg_pool",
        F.avg_pool,
        value,
        ksize,
        strides,
        padding,
        data_format,
        2,
        name,
        including_pad=False,
    )


@shares_args(avg_pool)
@tensor_args("value")
def max_pool(
    value: Any,
    ksize: Sequence[int],
    strides: Sequence[int],
    padding: str,
    data_format: str = "NHWC",
    name: str | None = None,
) -> Any:
    """Max pooling (``tf.nn.max_pool``). See :func:`nnfunc.max_pool`.

    Returns:
        The pooled tensor.

    Examples:
        >>> x = np.arange(9.0).reshape(1, 3, 3, 1)
        >>> tf.nn.max_pool(x, [1, 2, 2, 1], [1, 2, 2, 1], "SAME")[..., 0]
        array([[[4., 5.],
                [7., 8.]]])
    """
    return _pool("max_pool", F.max_pool, value, ksize, strides, padding, data_format, 2, name)


@tensor_args("input")
def avg_pool3d(
    input: Any,
    ksize: Sequence[int],
    strides: Sequence[int],
    padding: str,
    name: str | None = None,
) -> Any:
    """3-D average pooling (``tf.nn.avg_pool3d``, NDHWC).

    Args:
        input: ``[batch, d, h, w, C]``.
        ksize: 5 ints, ``ksize[0] = ksize[4] = 1``.
        strides: 5 ints likewise.
        padding: ``"SAME"`` or ``"VALID"``.
        name (str, optional): Node name in graph mode.

    Returns:
        The pooled tensor.

    Examples:
        >>> x = np.arange(8.0).reshape(1, 2, 2, 2, 1)
        >>> tf.nn.avg_pool3d(x, [1, 2, 2, 2, 1], [1, 1, 1, 1, 1], "VALID").ravel()
        array([3.5])
    """
    return _pool(
        "avg_pool3d",
        F.avg_pool,
        input,
        ksize,
        strides,
        padding,
        "NDHWC",
        3,
        name,
        arg="input",
        including_pad=False,
    )


@shares_args(avg_pool3d)
@tensor_args("input")
def max_pool3d(
    input: Any,
    ksize: Sequence[int],
    strides: Sequence[int],
    padding: str,
    name: str | None = None,
) -> Any:
    """3-D max pooling (``tf.nn.max_pool3d``, NDHWC).

    Returns:
        The pooled tensor.

    Examples:
        >>> x = np.arange(8.0).reshape(1, 2, 2, 2, 1)
        >>> tf.nn.max_pool3d(x, [1, 2, 2, 2, 1], [1, 2, 2, 2, 1], "VALID").ravel()
        array([7.])
    """
    return _pool(
        "max_pool3d", F.max_pool, input, ksize, strides, padding, "NDHWC", 3, name, arg="input"
    )


@tensor_args("input")
def max_pool_with_argmax(
    input: Any,
    ksize: Sequence[int],
    strides: Sequence[int],
    padding: str,
    Targmax: Any = None,
    name: str | None = None,
) -> tuple[Any, Any]:
    """Max pooling with flattened argmax ``((b*H + y)*W + x)*C + c`` (TF 1.x, batch included).

    Args:
        input: ``[batch, h, w, C]``.
        ksize: 4 ints, batch and channel entries 1.
        strides: 4 ints likewise.
        padding: ``"SAME"`` or ``"VALID"``.
        Targmax: ``int32`` or ``int64`` (default ``int64``).
        name (str, optional): Node name in graph mode.

    Returns:
        ``(output, argmax)``.

    Examples:
        >>> x = np.array([[[[1.0, 8.0], [5.0, 2.0]], [[7.0, 3.0], [2.0, 4.0]]]])
        >>> y, i = tf.nn.max_pool_with_argmax(x, [1, 2, 2, 1], [1, 2, 2, 1], "VALID")
        >>> y.ravel(), i.ravel()
        (array([7., 8.]), array([4, 1]))
    """
    op = "max_pool_with_argmax"
    with shapes.node_errors(name, input):
        kernel = tf_spatial(op, "ksize", ksize, 2, True)
        stride = tf_spatial(op, "strides", strides, 2, True)
        pad = padding_mode(op, padding)
        check.ndim(op, "input", input, 4)
        dtype = "int64" if Targmax is None else Targmax
        return F.max_pool_with_argmax(
            input,
            kernel,
            stride=stride,
            pad=pad,
            channel_last=True,
            index_dtype=dtype,
            name=name,
        )


def _ratio(op: str, pooling_ratio: Any) -> tuple[float, float]:
    ok = isinstance(pooling_ratio, Sequence) or (
        isinstance(pooling_ratio, np.ndarray) and pooling_ratio.ndim == 1
    )
    if not ok or len(pooling_ratio) != 4 or not all(check._is_real(v) for v in pooling_ratio):
        raise ArgumentError(
            check.message(op, "pooling_ratio", "be a list of 4 floats", pooling_ratio=pooling_ratio)
        )
    r = [float(v) for v in pooling_ratio]
    if r[0] != 1.0 or r[3] != 1.0:
        raise ArgumentError(
            check.message(
                op,
                "pooling_ratio",
                "have 1.0 in the batch and channel entries (0 and 3)",
                pooling_ratio=list(pooling_ratio),
            )
        )
    if r[1] < 1.0 or r[2] < 1.0:
        raise ArgumentError(
            check.message(op, "pooling_ratio", "be >= 1.0", pooling_ratio=list(pooling_ratio))
        )
    return r[1], r[2]


def _flag(op: str, arg: str, value: Any) -> bool:
    # TF takes None for False; an array or a string is an error, not a truth value.
    return False if value is None else check.boolean(op, arg, value)


def _seed(op: str, seed: Any, seed2: Any) -> Any:
    # One int seed, not a Generator built here (graph runs would advance it): the same
    # (seed, seed2) gives the same regions on every call and every graph run.
    s1 = 0 if seed is None else check.integer(op, "seed", seed)
    s2 = 0 if seed2 is None else check.integer(op, "seed2", seed2)
    if s1 == 0 and s2 == 0:
        return None
    words = [s1 & 0xFFFFFFFF, s2 & 0xFFFFFFFF]
    return int(np.random.SeedSequence(words).generate_state(1, np.uint64)[0] >> 1)


def _fractional(op, fn, value, pooling_ratio, pseudo_random, overlapping, seed, seed2, name):
    """The translation of both fractional pools: TF's ratio list, flags and seed pair."""
    with shapes.node_errors(name, value):
        ratio = _ratio(op, pooling_ratio)
        check.ndim(op, "value", value, 4)
        return fn(
            value,
            ratio,
            pseudo_random=_flag(op, "pseudo_random", pseudo_random),
            overlapping=_flag(op, "overlapping", overlapping),
            seed=_seed(op, seed, seed2),
            channel_last=True,
            name=name,
        )


@tensor_args("value")
def fractional_max_pool(
    value: Any,
    pooling_ratio: Sequence[float],
    pseudo_random: bool | None = None,
    overlapping: bool | None = None,
    deterministic: bool | None = None,
    seed: int | None = None,
    seed2: int | None = None,
    name: str | None = None,
) -> tuple[Any, Any, Any]:
    """Fractional max pooling (``tf.nn.fractional_max_pool``, NHWC).

    Args:
        value: ``[batch, h, w, C]``.
        pooling_ratio: 4 floats ``[1.0, rh, rw, 1.0]``, each >= 1.
        pseudo_random (bool): Default False.
        overlapping (bool): Default False.
        deterministic (bool): Accepted; regions depend only on ``seed``/``seed2``.
        seed, seed2 (int): Seed the generator when either is non-zero; else random.
        name (str, optional): Node name in graph mode.

    Returns:
        ``(output, row_pooling_sequence, col_pooling_sequence)``.

    Examples:
        >>> y, r, c = tf.nn.fractional_max_pool(np.ones((1, 5, 5, 1)), [1.0, 1.5, 2.0, 1.0],
        ...                                     seed=1)
        >>> y.shape, r[0], r[-1], len(c)
        ((1, 3, 2, 1), np.int64(0), np.int64(5), 3)
    """
    return _fractional(
        "fractional_max_pool",
        F.fractional_max_pool,
        value,
        pooling_ratio,
        pseudo_random,
        overlapping,
        seed,
        seed2,
        name,
    )


@shares_args(fractional_max_pool)
@tensor_args("value")
def fractional_avg_pool(
    value: Any,
    pooling_ratio: Sequence[float],
    pseudo_random: bool | None = None,
    overlapping: bool | None = None,
    deterministic: bool | None = None,
    seed: int | None = None,
    seed2: int | None = None,
    name: str | None = None,
) -> tuple[Any, Any, Any]:
    """Fractional average pooling (``tf.nn.fractional_avg_pool``, NHWC).

    Returns:
        ``(output, row_pooling_sequence, col_pooling_sequence)``.

    Examples:
        >>> y, r, c = tf.nn.fractional_avg_pool(np.ones((1, 4, 4, 1)), [1.0, 2.0, 2.0, 1.0])
        >>> y.ravel(), r
        (array([1., 1., 1., 1.]), array([0, 2, 4]))
    """
    return _fractional(
        "fractional_avg_pool",
        F.fractional_avg_pool,
        value,
        pooling_ratio,
        pseudo_random,
        overlapping,
        seed,
        seed2,
        name,
    )


def _morph(op, fn, x, filt, strides, rates, padding, name, names=("input", "filter")):
    with shapes.node_errors(name, x, filt):
        stride = tf_spatial(op, "strides", strides, 2, True)
        rate = tf_spatial(op, "rates", rates, 2, True)
        pad = padding_mode(op, padding)
        check.ndim(op, names[0], x, 4)
        check.ndim(op, names[1], filt, 3)
        check_in_channels(op, names[0], x, 3, names[1], filt, 2)
        f = F.transpose(filt, (2, 0, 1))
        return fn(x, f, stride=stride, rate=rate, pad=pad, channel_last=True, name=name)


@tensor_args("input", "filter")
def dilation2d(
    input: Any,
    filter: Any,
    strides: Sequence[int],
    rates: Sequence[int],
    padding: str,
    name: str | None = None,
) -> Any:
    """Grayscale dilation (``tf.nn.dilation2d``, NHWC). See :func:`nnfunc.dilation2d`.

    Args:
        input: ``[batch, h, w, depth]``.
        filter: ``[fh, fw, depth]``.
        strides: ``[1, sh, sw, 1]``.
        rates: ``[1, rh, rw, 1]``.
        padding: ``"SAME"`` or ``"VALID"``.
        name (str, optional): Node name in graph mode.

    Returns:
        ``[batch, out_h, out_w, depth]``.

    Examples:
        >>> x = np.array([1.0, 4.0, 2.0]).reshape(1, 1, 3, 1)
        >>> tf.nn.dilation2d(x, np.zeros((1, 2, 1)), [1, 1, 1, 1], [1, 1, 1, 1], "VALID").ravel()
        array([4., 4.])
    """
    return _morph("dilation2d", F.dilation2d, input, filter, strides, rates, padding, name)


@shares_args(dilation2d)
@tensor_args("value", "kernel")
def erosion2d(
    value: Any,
    kernel: Any,
    strides: Sequence[int],
    rates: Sequence[int],
    padding: str,
    name: str | None = None,
) -> Any:
    """Grayscale erosion (``tf.nn.erosion2d``, NHWC): ``-dilation2d(-value, reversed kernel)``.

    Args:
        value: ``[batch, h, w, depth]``.
        kernel: ``[kh, kw, depth]``.

    Returns:
        ``[batch, out_h, out_w, depth]``.

    Examples:
        >>> x = np.array([1.0, 4.0, 2.0]).reshape(1, 1, 3, 1)
        >>> tf.nn.erosion2d(x, np.zeros((1, 2, 1)), [1, 1, 1, 1], [1, 1, 1, 1], "VALID").ravel()
        array([1., 2.])
    """
    return _morph(
        "erosion2d", F.erosion2d, value, kernel, strides, rates, padding, name, ("value", "kernel")
    )
