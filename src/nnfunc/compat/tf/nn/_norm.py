"""tf.nn entries of the normalization family (TF 1.x semantics)."""

from __future__ import annotations

from typing import Any

import numpy as np

import nnfunc.functions as F
from nnfunc.compat._common import tensor_args
from nnfunc.compat._docs import shares_args
from nnfunc.core import check, shapes
from nnfunc.errors import ShapeError


def _ndim(x: Any) -> int:
    return len(x.shape) if hasattr(x, "shape") else np.ndim(x)


def _rank_of(p: Any, ndim: int) -> Any:
    """``p`` with leading 1s up to rank ``ndim`` (NumPy/TF broadcasting aligns trailing axes).

    A 1-D vector longer than 1 is left as it is: the canonical function reads it as the
    depth (last) axis, and a wrong length is then reported with the shape the caller gave.
    """
    if p is None:
        return None
    if not hasattr(p, "shape"):
        p = np.asarray(p)
    shape = tuple(p.shape)
    k = ndim - len(shape)
    if k <= 0 or (len(shape) == 1 and shape[0] != 1):
        return p
    return F.expand_dims(p, tuple(range(k)))


__all__ = [
    "batch_normalization",
    "l2_normalize",
    "local_response_normalization",
    "moments",
    "normalize_moments",
    "sufficient_statistics",
]


@tensor_args("x", "mean", "variance")
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

    Raises:
        ArgumentError: ``variance_epsilon < 0``. ShapeError: a statistic does not broadcast
            to ``x``.

    Notes:
        Any statistic of lower rank is aligned with the trailing axes of ``x`` as TF's
        broadcasting does (a 1-D vector with the depth axis, a scalar with every element).

    Examples:
        >>> tf.nn.batch_normalization(np.array([[1.0, 4.0]]), np.array([0.0, 2.0]),
        ...                           np.array([1.0, 4.0]), None, None, 0.0)
        array([[1., 1.]])
    """
    op = "batch_normalization"
    with shapes.node_errors(name, x):
        eps = check.real_scalar(op, "variance_epsilon", variance_epsilon, min_value=0.0)
    n = _ndim(x)
    mean, variance, offset, scale = (_rank_of(p, n) for p in (mean, variance, offset, scale))
    return F.batch_normalization(x, mean, variance, offset, scale, axis=-1, eps=eps, name=name)


@tensor_args("x")
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

    Raises:
        ShapeError: ``dim`` out of range. ArgumentError: repeated ``dim``, ``epsilon < 0``.

    Examples:
        >>> tf.nn.l2_normalize(np.array([3.0, 4.0]), 0)
        array([0.6, 0.8])
    """
    op = "normalize"
    with shapes.node_errors(name, x):
        check.axes(op, "dim", dim, _ndim(x))
        eps = check.real_scalar(op, "epsilon", epsilon, min_value=0.0)
    return F.normalize(x, axis=dim, order=2, eps=eps, eps_mode="squared", name=name)


@tensor_args("input")
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

    Raises:
        ShapeError: ``input`` is not 4-D (TF: "4-D"). ArgumentError: ``depth_radius < 0``.

    Examples:
        >>> tf.nn.local_response_normalization(np.array([[[[1.0, 1.0]]]]))
        array([[[[0.57735027, 0.57735027]]]])
    """
    with shapes.node_errors(name, input):
        shape = tuple(input.shape) if hasattr(input, "shape") else np.shape(input)
        if len(shape) != 4:
            raise ShapeError(
                check.message(
                    "local_response_normalization", "input", "have rank 4", **{"input.shape": shape}
                )
            )
    return F.local_response_normalization(
        input,
        5 if depth_radius is None else depth_radius,
        1.0 if bias is None else bias,
        1.0 if alpha is None else alpha,
        0.5 if beta is None else beta,
        axis=-1,
        name=name,
    )


@tensor_args("x")
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
        >>> tf.nn.moments(np.array([[1.0, 2.0], [3.0, 6.0]]), [0])
        (array([2., 4.]), array([1., 4.]))
    """
    with shapes.node_errors(name, x):
        keep_dims = check.boolean("moments", "keep_dims", keep_dims)
    return F.moments(x, axes, keepdims=keep_dims, shift=shift, name=name)


@shares_args(moments)
@tensor_args("x")
def sufficient_statistics(
    x: Any, axes: Any, shift: Any = None, keep_dims: bool = False, name: str | None = None
) -> tuple[Any, Any, Any, Any]:
    """``(count, sum(x - shift), sum((x - shift)**2), shift)`` over ``axes``.

    ``shift`` is returned as given (None if None). See :func:`nnfunc.sufficient_statistics`.

    Args:
        shift: Optional shift.

    Returns:
        tuple: ``(count, mean_ss, variance_ss, shift)``.

    Examples:
        >>> tf.nn.sufficient_statistics(np.array([1.0, 2.0, 4.0]), [0])
        (array(3.), array(7.), array(21.), None)
    """
    c, m, v = F.sufficient_statistics(x, axes, shift, keepdims=keep_dims, name=name)
    return c, m, v, shift


@tensor_args("counts", "mean_ss", "variance_ss")
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
        >>> tf.nn.normalize_moments(np.array(3.0), np.array(7.0), np.array(21.0), None)
        (array(2.33333333), array(1.55555556))
    """
    return F.normalize_moments(counts, mean_ss, variance_ss, shift, name=name)
