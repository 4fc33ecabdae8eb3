"""keras.ops.nn entries of the normalization family (Keras 3)."""

from __future__ import annotations

from typing import Any

import numpy as np

import nnfunc.functions as F
from nnfunc.compat._common import tensor_args
from nnfunc.core import check, shapes


def _epsilon(op: str, epsilon: Any, x: Any, name: Any) -> float:
    """Keras' ``epsilon`` (>= 0), checked under its own name."""
    with shapes.node_errors(name, x):
        return check.real_scalar(op, "epsilon", epsilon, min_value=0.0)


__all__ = ["batch_normalization", "moments", "normalize"]


@tensor_args("x")
def batch_normalization(
    x: Any,
    mean: Any,
    variance: Any,
    axis: int,
    offset: Any = None,
    scale: Any = None,
    epsilon: float = 1e-3,
    *,
    name: str | None = None,
) -> Any:
    """Normalize ``x`` by ``mean`` and ``variance`` along the kept feature ``axis``.

    ``(x - mean) / sqrt(variance + epsilon) * scale + offset``; the vectors have the length of
    ``x.shape[axis]``. See :func:`nnfunc.batch_normalization` (given statistics).

    Args:
        x: Input tensor.
        mean: Mean vector.
        variance: Variance vector.
        axis (int): The feature axis (required).
        offset: Optional offset vector.
        scale: Optional scale vector.
        epsilon (float): Added to the variance. Default 1e-3.
        name (str, optional): Node name.

    Returns:
        The normalized tensor.

    Raises:
        ArgumentError: ``epsilon < 0``. ShapeError: a vector's length is not
            ``x.shape[axis]`` or ``axis`` is out of range.

    Notes:
        The page's example prints ``-4.6445e-09`` and ``-1.8578e-08`` in its middle row where
        ``x == mean``: float32 rounding of ``x * inv + (-mean * inv)`` evaluated as one fused
        multiply-add by the backend. nnfunc computes that form with two roundings and gives 0
        there; the other printed values agree to every printed digit.

    Examples:
        >>> x = np.array([[0.1, 0.2, 0.3], [0.4, 0.5, 0.6], [0.7, 0.8, 0.9]], np.float32)
        >>> keras.ops.batch_normalization(x, mean=[0.4, 0.5, 0.6],
        ...                               variance=[0.67, 0.67, 0.67], axis=-1).round(5)
        array([[-0.36624, -0.36624, -0.36624],
               [ 0.     ,  0.     ,  0.     ],
               [ 0.36624,  0.36624,  0.36624]], dtype=float32)
    """
    eps = _epsilon("batch_normalization", epsilon, x, name)
    return F.batch_normalization(x, mean, variance, offset, scale, axis=axis, eps=eps, name=name)


def _is_float16(x: Any) -> bool:
    """float16 data (anything else, bad input included, takes the canonical path)."""
    try:
        dtype = x.dtype if hasattr(x, "dtype") else np.asarray(x).dtype
        return np.dtype(dtype) == np.float16
    except (TypeError, ValueError):
        return False


@tensor_args("x")
def moments(
    x: Any,
    axes: Any,
    keepdims: bool = False,
    synchronized: bool = False,
    *,
    name: str | None = None,
) -> tuple[Any, Any]:
    """Mean and variance of ``x`` over ``axes``.

    ``synchronized`` is accepted and has no effect: in Keras it only acts with the TensorFlow
    backend under a distribution strategy (cross-replica statistics); a single process has
    nothing to synchronize (use :func:`nnfunc.sync_batch_normalization` with a communicator
    for cross-replica statistics). See :func:`nnfunc.moments`.

    Args:
        x: Input tensor.
        axes: List of axes.
        keepdims (bool): Keep reduced axes. Default False.
        synchronized (bool): Ignored (see above).
        name (str, optional): Node name.

    Returns:
        tuple: ``(mean, variance)``. float16 data are reduced in float32 and the results
        clipped to the float16 range before the cast back, as Keras does (a variance beyond
        65504 saturates there instead of overflowing to inf).

    Notes:
        The page's example reproduces bit for bit: ``1553.3601`` is one float32 ulp above the
        exact variance 1553.36, the rounding of float32 accumulation that nnfunc's float32
        two-pass computation shares.

    Examples:
        >>> x = np.array([0, 1, 2, 3, 100], np.float32)
        >>> keras.ops.moments(x, axes=[0])
        (array(21.2, dtype=float32), array(1553.3601, dtype=float32))
        >>> mean, var = keras.ops.moments(np.array([-1000.0, 1000.0], np.float16), axes=[0])
        >>> float(mean), float(var), var.dtype
        (0.0, 65504.0, dtype('float16'))
    """
    if _is_float16(x):
        with shapes.node_errors(name, x):
            top = float(np.finfo(np.float16).max)
            mean, var = F.moments(F.cast(x, np.float32), axes, keepdims=keepdims)
            return (
                F.cast(F.clip_by_value(mean, -top, top), np.float16),
                F.cast(F.clip_by_value(var, -top, top), np.float16, name=name),
            )
    return F.moments(x, axes, keepdims=keepdims, name=name)


@tensor_args("x")
def normalize(
    x: Any, axis: Any = -1, order: int = 2, epsilon: float | None = None, *, name: str | None = None
) -> Any:
    """``x / max(norm(x, ord=order, axis), epsilon)`` (epsilon bounds the norm).

    ``epsilon=None`` means ``keras.backend.epsilon()`` = 1e-7. The page's example calls
    ``keras.ops.math.normalize``, a wrong namespace (catalog erratum). See
    :func:`nnfunc.normalize`.

    Args:
        x: Input tensor.
        axis: Axis or axes. Default -1.
        order (int): p >= 1. Default 2.
        epsilon (float, optional): Lower bound of the norm.
        name (str, optional): Node name.

    Returns:
        The normalized tensor.

    Examples:
        >>> keras.ops.normalize(np.array([[1, 2, 3], [4, 5, 6]], np.float32))
        array([[0.26726124, 0.5345225 , 0.8017837 ],
               [0.45584232, 0.5698029 , 0.68376344]], dtype=float32)
    """
    eps = 1e-7 if epsilon is None else _epsilon("normalize", epsilon, x, name)
    return F.normalize(x, axis=axis, order=order, eps=eps, eps_mode="norm", name=name)
