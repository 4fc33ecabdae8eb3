"""samediff.nn entries of the normalization family (DL4J SameDiff SDNN)."""

from __future__ import annotations

from typing import Any

import nnfunc.functions as F

__all__ = ["batchNorm", "layerNorm"]


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

    Examples:
        >>> import numpy as np
        >>> from nnfunc.compat import samediff
        >>> samediff.nn.batchNorm(np.array([[1.0, 4.0]]), np.array([0.0, 2.0]),
        ...                       np.array([1.0, 4.0]), np.array([2.0, 1.0]),
        ...                       np.array([0.0, 1.0]), 0.0, [1])
        array([[2., 2.]])
    """
    ax = tuple(axis) if isinstance(axis, (list, tuple)) else axis
    return F.batch_normalization(
        input, mean, variance, beta, gamma, axis=ax, eps=epsilon, name=name
    )


def layerNorm(
    input: Any,
    gain: Any,
    *args: Any,
    name: str | None = None,
) -> Any:
    """Layer normalization: ``gain * standardize(input over dimensions) + bias``.

    Two overloads: ``layerNorm(input, gain, bias, channelsFirst, dimensions)`` and
    ``layerNorm(input, gain, channelsFirst, dimensions)`` (no bias). ``gain``/``bias`` are
    per channel, broadcast along axis 1 (``channelsFirst=True``) or the last axis
    (``channelsFirst=False``; 2-D input uses the last axis). The page documents no epsilon:
    the standardization is exactly ``(x - mean) / std`` (eps = 0; a constant slice gives NaN).

    Args:
        input: Input tensor.
        gain: Per-channel gain.
        *args: ``bias, channelsFirst, dimensions`` or ``channelsFirst, dimensions``.
        name (str, optional): Node name.

    Returns:
        The normalized tensor.

    Examples:
        >>> import numpy as np
        >>> from nnfunc.compat import samediff
        >>> samediff.nn.layerNorm(np.array([[1.0, 3.0]]), np.array([1.0, 2.0]), True, [1])
        array([[-1.,  2.]])
    """
    if len(args) == 3:
        bias, channels_first, dimensions = args
    elif len(args) == 2:
        bias = None
        channels_first, dimensions = args
    else:
        raise TypeError(
            "layerNorm: expected (input, gain, bias, channelsFirst, dimensions) or "
            f"(input, gain, channelsFirst, dimensions); received {2 + len(args)} arguments."
        )
    ndim = len(input.shape) if hasattr(input, "shape") else __import__("numpy").ndim(input)
    dims = tuple(dimensions) if isinstance(dimensions, (list, tuple)) else (dimensions,)
    c = 1 if (channels_first and ndim > 2) else ndim - 1
    shape = [1] * ndim
    shape[c] = -1
    g = F.reshape(gain, tuple(shape))
    b = None if bias is None else F.reshape(bias, tuple(shape))
    return F.layer_normalization(input, g, b, axis=dims, eps=0.0, name=name)
