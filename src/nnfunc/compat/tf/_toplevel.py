"""Top-level tf functions documented on the tf.nn page (tf.sigmoid, tf.tanh)."""

from __future__ import annotations

from typing import Any

import nnfunc.functions as F
from nnfunc.compat._common import tensor_args

__all__ = ["sigmoid", "tanh"]


@tensor_args("x")
def sigmoid(x: Any, name: str | None = None) -> Any:
    """``1 / (1 + exp(-x))``, element-wise. See :func:`nnfunc.sigmoid`.

    Args:
        x: A tensor; integers give float32 (quantized and complex types are not supported).
        name (str, optional): Node name in graph mode.

    Returns:
        A tensor of the shape of ``x``.

    Examples:
        >>> tf.sigmoid(np.array([0.0], np.float32))
        array([0.5], dtype=float32)
    """
    return F.sigmoid(x, name=name)


@tensor_args("x")
def tanh(x: Any, name: str | None = None) -> Any:
    """Hyperbolic tangent, element-wise. See :func:`nnfunc.tanh`.

    Args:
        x: A dense tensor (SparseTensor is not supported); integers give float32.
        name (str, optional): Node name in graph mode.

    Returns:
        A tensor of the shape of ``x``.

    Examples:
        >>> tf.tanh(np.array([0.0]))
        array([0.])
    """
    return F.tanh(x, name=name)
