"""tf.nn entries of the normalization family (TF 1.x semantics)."""

from __future__ import annotations

from typing import Any

import nnfunc.functions as F

__all__ = [
    "batch_normalization",
    "l2_normalize",
    "local_response_normalization",
    "moments",
    "normalize_moments",
    "sufficient_statistics",
]


def batch_normalization(
    x: Any,
    mean: Any,
    variance: Any,
    offset: Any,
    scale: Any,
    variance_epsilon: float,
    name: str | None = None,
) -> Any:
    """``scale * (x - mean) / sqrt(variance + variance_epsilon) + offset``.

    The statistics broadcast against ``x`` by rank: 1-D of the size of the last ("depth")
    dimension, or of x's rank (e.g. from ``moments(..., keep_dims=True)``). ``offset`` and
    ``scale`` may be None. ``variance_epsilon`` has no default. See
    :func:`nnfunc.batch_normalization` (given-statistics form, ``axis=-1``).

    Args:
        x: Input tensor.
        mean: Mean.
        variance: Variance.
        offset: ``beta`` or None.
        scale: ``gamma`` or None.
        variance_epsilon (float): Added to the variance inside the square root.
        name (str, optional): Node name.

    Returns:
        The normalized tensor.

    Examples:
        >>> import numpy as np
        >>> from nnfunc.compat import tf
        >>> tf.nn.batch_normalization(np.array([[1.0, 4.0]]), np.array([0.0, 2.0]),
        ...                           np.array([1.0, 4.0]), None, None, 0.0)
        array([[1., 1.]])
    """
    return F.batch_normalization(
        x, mean, variance, offset, scale, axis=-1, eps=variance_epsilon, name=name
    )


def l2_normalize(x: Any, dim: Any, epsilon: float = 1e-12, name: str | None = None) -> Any:
    """``x / sqrt(max(sum(x**2, dim), epsilon))``: epsilon bounds the SQUARED norm.

    See :func:`nnfunc.normalize` with ``eps_mode="squared"``.

    Args:
        x: Input tensor.
        dim: Axis or axes (no default).
        epsilon (float): Lower bound of the squared norm. Default 1e-12.
        name (str, optional): Node name.

    Returns:
        A tensor of x's shape.

    Examples:
        >>> import numpy as np
        >>> from nnfunc.compat import tf
        >>> tf.nn.l2_normalize(np.array([3.0, 4.0]), 0)
        array([0.6, 0.8])
    """
    return F.normalize(x, axis=dim, order=2, eps=epsilon, eps_mode="squared", name=name)


def local_response_normalization(
    input: Any,
    depth_radius: int | None = None,
    bias: float | None = None,
    alpha: float | None = None,
    beta: float | None = None,
    name: str | None = None,
) -> Any:
    """Local response normalization along the last axis (TF: 4-D NHWC input).

    ``sqr_sum[..., d] = sum(input[..., d - r : d + r + 1] ** 2)``; ``output = input / (bias +
    alpha * sqr_sum) ** beta``. None means the TF defaults: depth_radius 5, bias 1, alpha 1,
    beta 0.5 (alpha is not divided by the window size).

    Args:
        input: Input tensor.
        depth_radius (int, optional): Half-width ``r``.
        bias (float, optional): Offset.
        alpha (float, optional): Scale.
        beta (float, optional): Exponent.
        name (str, optional): Node name.

    Returns:
        A tensor of input's shape.

    Examples:
        >>> import numpy as np
        >>> from nnfunc.compat import tf
        >>> tf.nn.local_response_normalization(np.array([[[[1.0, 1.0]]]]))
        array([[[[0.57735027, 0.57735027]]]])
    """
    return F.local_response_normalization(
        input,
        5 if depth_radius is None else depth_radius,
        1.0 if bias is None else bias,
        1.0 if alpha is None else alpha,
        0.5 if beta is None else beta,
        axis=-1,
        name=name,
    )


def moments(
    x: Any, axes: Any, shift: Any = None, name: str | None = None, keep_dims: bool = False
) -> tuple[Any, Any]:
    """Mean and (biased) variance over ``axes`` (``name`` comes before ``keep_dims``).

    ``shift`` is accepted and not used (as in TF's implementation). See :func:`nnfunc.moments`.

    Args:
        x: Input tensor.
        axes: Axes to reduce.
        shift: Ignored.
        name (str, optional): Node name.
        keep_dims (bool): Keep reduced axes.

    Returns:
        tuple: ``(mean, variance)``.

    Examples:
        >>> import numpy as np
        >>> from nnfunc.compat import tf
        >>> tf.nn.moments(np.array([[1.0, 2.0], [3.0, 6.0]]), [0])
        (array([2., 4.]), array([1., 4.]))
    """
    return F.moments(x, axes, keepdims=keep_dims, shift=shift, name=name)


def sufficient_statistics(
    x: Any, axes: Any, shift: Any = None, keep_dims: bool = False, name: str | None = None
) -> tuple[Any, Any, Any, Any]:
    """``(count, sum(x - shift), sum((x - shift)**2), shift)`` over ``axes``.

    ``shift`` is returned as given (None if None). See :func:`nnfunc.sufficient_statistics`.

    Args:
        x: Input tensor.
        axes: Axes to reduce.
        shift: Optional shift.
        keep_dims (bool): Keep reduced axes.
        name (str, optional): Node name.

    Returns:
        tuple: ``(count, mean_ss, variance_ss, shift)``.

    Examples:
        >>> import numpy as np
        >>> from nnfunc.compat import tf
        >>> tf.nn.sufficient_statistics(np.array([1.0, 2.0, 4.0]), [0])
        (array(3.), array(7.), array(21.), None)
    """
    c, m, v = F.sufficient_statistics(x, axes, shift, keepdims=keep_dims, name=name)
    return c, m, v, shift


def normalize_moments(
    counts: Any, mean_ss: Any, variance_ss: Any, shift: Any, name: str | None = None
) -> tuple[Any, Any]:
    """Mean and variance from sufficient statistics (``shift`` may be None).

    ``mean = mean_ss / counts + shift``; ``variance = variance_ss / counts - (mean_ss /
    counts)**2``. See :func:`nnfunc.normalize_moments`.

    Args:
        counts: Element counts.
        mean_ss: Shifted sums.
        variance_ss: Shifted sums of squares.
        shift: Shift or None.
        name (str, optional): Node name.

    Returns:
        tuple: ``(mean, variance)``.

    Examples:
        >>> import numpy as np
        >>> from nnfunc.compat import tf
        >>> tf.nn.normalize_moments(np.array(3.0), np.array(7.0), np.array(21.0), None)
        (array(2.33333333), array(1.55555556))
    """
    return F.normalize_moments(counts, mean_ss, variance_ss, shift, name=name)
