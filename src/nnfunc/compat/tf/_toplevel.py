"""Top-level tf functions documented on the tf.nn page (tf.sigmoid, tf.tanh)."""

from __future__ import annotations

from typing import Any

import numpy as np

import nnfunc.functions as F
from nnfunc.compat._common import tensor_args
from nnfunc.compat.tf._sparse import SparseTensor
from nnfunc.core import check
from nnfunc.errors import DTypeError
from nnfunc.functions.loss._common import as_tensor

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
        x: A tensor or a :class:`~nnfunc.compat.tf.SparseTensor`; integers give float32.
            complex64 and complex128 arrays, which the page lists, give the complex tangent
            (NumPy's ``tanh``, on arrays only: :func:`nnfunc.tanh` is real, so complex data
            has no gradient).
        name (str, optional): Node name in graph mode.

    Returns:
        A tensor of the shape of ``x``; for a SparseTensor, a SparseTensor with the same
        indices and dense shape and the tangent of its values (``tanh(0) = 0`` keeps the
        implicit zeros zero).

    Examples:
        >>> tf.tanh(np.array([0.0]))
        array([0.])
        >>> tf.tanh(tf.SparseTensor([[0, 1]], np.array([1.0], np.float32), [2, 2]))
        SparseTensor(indices=[[0, 1]], values=[0.7615941762924194], dense_shape=[2, 2])
        >>> tf.tanh(np.array([1j], np.complex64))
        array([0.+1.5574077j], dtype=complex64)
    """
    if isinstance(x, SparseTensor):
        return SparseTensor(x.indices, F.tanh(x.values, name=name), x.dense_shape)
    x = as_tensor(x)
    if np.dtype(x.dtype).kind not in "biufc":
        raise DTypeError(check.message("tanh", "x", "have a numeric dtype", **{"x.dtype": x.dtype}))
    if isinstance(x, np.ndarray) and x.dtype.kind == "c":
        return np.tanh(x)
    return F.tanh(x, name=name)
