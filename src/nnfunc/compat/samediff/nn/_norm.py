"""samediff.nn entries of the normalization family (DL4J SameDiff SDNN)."""

from __future__ import annotations

from typing import Any

import numpy as np

import nnfunc.functions as F
from nnfunc.compat._common import tensor_args
from nnfunc.compat.samediff._overload import UNSET, overload
from nnfunc.core import check, shapes
from nnfunc.errors import ArgumentError, ShapeError

__all__ = ["batchNorm", "layerNorm"]


@tensor_args("input", "mean", "variance", "gamma?", "beta?")
def batchNorm(
    input: Any,
    mean: Any,
    variance: Any,
    gamma: Any,
    beta: Any,
    epsilon: float,
    axis: Any,
    *,
    name: str | None = None,
) -> Any:
    """Batch normalization with SUPPLIED statistics (no batch statistics, no running update).

    ``(input - mean) / sqrt(variance + epsilon) * gamma + beta``; ``axis`` (int or int[]) is
    the channel axis: 1 for NCHW/NCW/NCDHW, the last for NHWC/NWC/NDHWC. ``epsilon`` has no
    default. See :func:`nnfunc.batch_normalization`.

    Args:
        input: Input tensor.
        mean: Mean, size ``input.shape[axis]``.
        variance: Variance.
        gamma: Scale.
        beta: Offset.
        epsilon (float): Added to the variance inside the square root.
        axis: Channel axis (int or sequence of one int).
        name (str, optional): Node name (SameDiff's ``String name`` overload).

    Returns:
        The normalized tensor.

    Raises:
        ArgumentError: ``epsilon < 0``. ShapeError: a vector's length is not
            ``input.shape[axis]``, ``axis`` out of range.

    Examples:
        >>> samediff.nn.batchNorm(np.array([[1.0, 4.0]]), np.array([0.0, 2.0]),
        ...                       np.array([1.0, 4.0]), np.array([2.0, 1.0]),
        ...                       np.array([0.0, 1.0]), 0.0, [1])
        array([[2., 2.]])
    """
    with shapes.node_errors(name, input):
        eps = check.real_scalar("batch_normalization", "epsilon", epsilon, min_value=0.0)
    ax = tuple(axis) if isinstance(axis, (list, tuple)) else axis
    return F.batch_normalization(input, mean, variance, beta, gamma, axis=ax, eps=eps, name=name)


@tensor_args("input", "gain")
def layerNorm(
    input: Any,
    gain: Any,
    *args: Any,
    bias: Any = UNSET,
    channelsFirst: Any = UNSET,
    dimensions: Any = UNSET,
    name: str | None = None,
) -> Any:
    """Layer normalization: ``gain * standardize(input over dimensions) + bias``.

    Two overloads: ``layerNorm(input, gain, bias, channelsFirst, dimensions)`` and
    ``layerNorm(input, gain, channelsFirst, dimensions)`` (no bias). ``gain``/``bias`` are 1-D
    of the channel size, broadcast along axis 1 (``channelsFirst=True``) or the last axis
    (``channelsFirst=False``; 2-D input uses axis 1 = the last either way).

    BEHAVIOUR (DL4J's published implementation, libnd4j ``layer_norm`` -> ``standardize``):
    ``standardize(x) = (x - mean) / std`` with the population (biased) standard deviation and
    NO epsilon (the page documents none and the released op adds none), then NaN replaced by
    0 (``ReplaceNans``) before the gain and bias are applied: a constant slice gives ``bias``
    rather than NaN. The dialect does the same (eps = 0, NaN -> 0).

    Args:
        input: Input tensor.
        gain: Per-channel gain, shape ``(C,)``.
        *args: ``bias, channelsFirst, dimensions`` or ``channelsFirst, dimensions``; each may
            also be passed by its name (``layerNorm(x, g, channelsFirst=True,
            dimensions=(1,))``).
        name (str, optional): Node name.

    Returns:
        The normalized tensor.

    Raises:
        TypeError: another number of arguments. ShapeError: ``gain``/``bias`` not of shape
            ``(C,)``; a dimension out of range. ArgumentError: repeated or no ``dimensions``.

    Notes:
        Gradients: where a slice is constant the gradient with respect to ``input`` is NaN
        (``1/std`` is infinite; DL4J's backward replaces such NaNs by 0 and may give inf);
        gain and bias get finite gradients. Elsewhere the usual layer-norm gradient.

    Examples:
        >>> samediff.nn.layerNorm(np.array([[1.0, 3.0]]), np.array([1.0, 2.0]), True, [1])
        array([[-1.,  2.]])
        >>> samediff.nn.layerNorm(np.array([[2.0, 2.0]]), np.array([1.0, 1.0]),
        ...                       np.array([0.5, 0.0]), True, [1])
        array([[0.5, 0. ]])
        >>> samediff.nn.layerNorm(np.array([[1.0, 3.0]]), np.array([1.0, 2.0]),
        ...                       channelsFirst=True, dimensions=(1,))
        array([[-1.,  2.]])
    """
    bias, channels_first, dimensions = overload(
        "layerNorm",
        args,
        {"bias": bias, "channelsFirst": channelsFirst, "dimensions": dimensions},
        (("bias", "channelsFirst", "dimensions"), ("channelsFirst", "dimensions")),
    )
    op = "layer_normalization"
    ishape = tuple(input.shape) if hasattr(input, "shape") else np.shape(input)
    ndim = len(ishape)
    with shapes.node_errors(name, input):
        channels_first = check.boolean(op, "channelsFirst", channels_first)
        if isinstance(dimensions, (list, tuple)) and len(dimensions) == 0:
            raise ArgumentError(
                check.message(op, "dimensions", "name at least one axis", dimensions=dimensions)
            )
        dims = check.axes(op, "dimensions", dimensions, ndim)
        # libnd4j: dimC = isNCHW ? 1 : rank - 1 (the same axis for 2-D input)
        c = 1 if (channels_first and ndim > 2) else max(ndim - 1, 0)
        size = ishape[c] if ndim else None
        for arg, p in (("gain", gain), ("bias", bias)):
            if p is None:
                continue
            pshape = tuple(p.shape) if hasattr(p, "shape") else np.shape(p)
            if len(pshape) != 1 or (None not in (pshape[0], size) and pshape[0] != size):
                raise ShapeError(
                    check.message(
                        op,
                        arg,
                        f"have shape ({size},) (the size of `input` along axis {c})",
                        **{f"{arg}.shape": pshape, "input.shape": ishape},
                    )
                )
    with np.errstate(divide="ignore", invalid="ignore"):  # a constant slice: 0/0, then 0
        y = F.layer_normalization(input, axis=dims, eps=0.0)
    y = F.where(F.isnan(y), 0.0, y)
    shape = [1] * ndim
    shape[c] = -1
    y = F.mul(y, F.reshape(gain, tuple(shape)), name=None if bias is not None else name)
    if bias is not None:
        y = F.add(y, F.reshape(bias, tuple(shape)), name=name)
    return y
