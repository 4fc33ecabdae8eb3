"""keras.ops.nn activations, softmax and encodings (Keras 3)."""

from __future__ import annotations

from typing import Any

import numpy as np

import nnfunc.functions as F
from nnfunc.compat._common import same_as, tensor_args
from nnfunc.compat._docs import shares_args
from nnfunc.compat.tf._sparse import SparseTensor
from nnfunc.core import check, shapes
from nnfunc.core.graph import SymbolicVariable
from nnfunc.core.variable import Variable
from nnfunc.errors import UnsupportedError

__all__ = [
    "elu",
    "gelu",
    "hard_sigmoid",
    "hard_silu",
    "hard_swish",
    "leaky_relu",
    "log_sigmoid",
    "log_softmax",
    "multi_hot",
    "one_hot",
    "relu",
    "relu6",
    "selu",
    "sigmoid",
    "silu",
    "softmax",
    "softplus",
    "softsign",
    "swish",
]


@tensor_args("x")
def relu(x: Any, *, name: str | None = None) -> Any:
    """Rectified linear unit ``max(x, 0)``. See :func:`nnfunc.relu`.

    Args:
        x: Input tensor.
        name (str, optional): Node name in graph mode.

    Returns:
        A tensor of the same shape and dtype.

    Examples:
        >>> keras.ops.relu(np.array([-1.0, 0.0, 1.0], np.float32))
        array([0., 0., 1.], dtype=float32)
    """
    return F.relu(x, name=name)


@tensor_args("x")
def relu6(x: Any, *, name: str | None = None) -> Any:
    """``clip(x, 0, 6)``. See :func:`nnfunc.relu6`.

    Args:
        x: Input tensor; integer dtypes are kept.
        name (str, optional): Node name in graph mode.

    Returns:
        A tensor with the same shape as ``x``.

    Examples:
        >>> keras.ops.relu6(np.array([-3.0, -2.0, 0.1, 0.2, 6.0, 8.0], np.float32))
        array([0. , 0. , 0.1, 0.2, 6. , 6. ], dtype=float32)
    """
    return F.relu6(x, name=name)


sigmoid = same_as(
    F.sigmoid,
    """``1 / (1 + exp(-x))``. See :func:`nnfunc.sigmoid`.

    Returns:
        A tensor with the same shape as ``x``.

    Examples:
        >>> keras.ops.sigmoid(np.array([0.0], np.float32))
        array([0.5], dtype=float32)
    """,
)


softplus = same_as(
    F.softplus,
    """``log(exp(x) + 1)``, stable. See :func:`nnfunc.softplus`.

    Returns:
        A tensor with the same shape as ``x``.

    Examples:
        >>> keras.ops.softplus(np.array([0.0], np.float32))
        array([0.6931472], dtype=float32)
    """,
)


softsign = same_as(
    F.softsign,
    """``x / (abs(x) + 1)``. See :func:`nnfunc.softsign`.

    Returns:
        A tensor with the same shape as ``x``.

    Examples:
        >>> keras.ops.softsign(np.array([1.0], np.float32))
        array([0.5], dtype=float32)
    """,
)


silu = same_as(
    F.silu,
    """``x * sigmoid(x)``. See :func:`nnfunc.silu`.

    Returns:
        A tensor with the same shape as ``x``.

    Examples:
        >>> keras.ops.silu(np.array([0.0], np.float32))
        array([0.], dtype=float32)
    """,
)


swish = same_as(
    F.silu,
    """Alias of :func:`silu`: ``x * sigmoid(x)``.

    Returns:
        A tensor with the same shape as ``x``.

    Examples:
        >>> keras.ops.swish(np.array([0.0], np.float32))
        array([0.], dtype=float32)
    """,
    op="swish",
)


hard_silu = same_as(
    F.hard_silu,
    """``x * relu6(x + 3) / 6``. See :func:`nnfunc.hard_silu`.

    Returns:
        A tensor with the same shape as ``x``.

    Examples:
        >>> keras.ops.hard_silu(np.array([1.0], np.float32))
        array([0.6666667], dtype=float32)
    """,
)


hard_swish = same_as(
    F.hard_silu,
    """Alias of :func:`hard_silu`: ``x * relu6(x + 3) / 6``.

    Returns:
        A tensor with the same shape as ``x``.

    Examples:
        >>> keras.ops.hard_swish(np.array([1.0], np.float32))
        array([0.6666667], dtype=float32)
    """,
    op="hard_swish",
)


log_sigmoid = same_as(
    F.log_sigmoid,
    """``log(1 / (1 + exp(-x)))``, stable. See :func:`nnfunc.log_sigmoid`.

    Returns:
        A tensor with the same shape as ``x``.

    Examples:
        >>> keras.ops.log_sigmoid(np.array([0.0], np.float32))
        array([-0.6931472], dtype=float32)
    """,
)


@tensor_args("x")
def selu(x: Any, *, name: str | None = None) -> Any:
    """SELU with scale 1.05070098 and alpha 1.67326324. See :func:`nnfunc.selu`.

    Args:
        x: Input tensor; integers give float32.
        name (str, optional): Node name in graph mode.

    Returns:
        A tensor with the same shape as ``x``.

    Examples:
        >>> keras.ops.selu(np.array([1.0]))
        array([1.05070099])
    """
    return F.selu(x, name=name)


@tensor_args("x")
def hard_sigmoid(x: Any, *, name: str | None = None) -> Any:
    """``clip(0.2 * x + 0.5, 0, 1)`` as the page documents. See :func:`nnfunc.hard_sigmoid`.

    DECISION: the page's formula and example (slope 0.2) are followed; Keras 3 itself computes
    ``relu6(x + 3) / 6`` (slope 1/6), available as ``nnfunc.hard_sigmoid(x, 1/6, 0.5)``.

    Args:
        x: Input tensor; integers give float32.
        name (str, optional): Node name in graph mode.

    Returns:
        A tensor with the same shape as ``x``.

    Examples:
        >>> keras.ops.hard_sigmoid(np.array([-1.0, 0.0, 1.0]))
        array([0.3, 0.5, 0.7])
    """
    return F.hard_sigmoid(x, 0.2, 0.5, name=name)


elu = same_as(
    F.elu,
    """``alpha * (exp(x) - 1)`` for ``x < 0``, ``x`` otherwise. See :func:`nnfunc.elu`.

    Returns:
        A tensor with the same shape as ``x``.

    Examples:
        >>> keras.ops.elu(np.array([-1.0, 0.0, 1.0]))
        array([-0.63212056,  0.        ,  1.        ])
    """,
)


@tensor_args("x")
def gelu(x: Any, approximate: bool = True, *, name: str | None = None) -> Any:
    """GELU: the tanh approximation when ``approximate`` (default), else the exact erf form.

    ERRATUM: the page's example prints ``[-0.15865525, 0., 0.84134475]``, the EXACT values,
    although its default is ``approximate=True``; here the default computes the documented
    tanh form (``[-0.15880801, 0., 0.84119199]``) and ``approximate=False`` gives the printed
    values. See :func:`nnfunc.gelu`.

    Args:
        x: Input tensor.
        approximate (bool): Tanh approximation (``True``, default) or exact (``False``).
        name (str, optional): Node name in graph mode.

    Returns:
        A tensor with the same shape as ``x``.

    Examples:
        >>> keras.ops.gelu(np.array([-1.0, 0.0, 1.0]), approximate=False)
        array([-0.15865525,  0.        ,  0.84134475])
    """
    approximate = check.boolean("gelu", "approximate", approximate)
    return F.gelu(x, "tanh" if approximate else "none", name=name)


leaky_relu = same_as(
    F.leaky_relu,
    """``negative_slope * x`` for ``x < 0``, ``x`` otherwise. See :func:`nnfunc.leaky_relu`.

    Returns:
        A tensor with the same shape as ``x``.

    Examples:
        >>> keras.ops.leaky_relu(np.array([-1.0, 0.0, 1.0]))
        array([-0.2,  0. ,  1. ])
    """,
    defaults={"negative_slope": 0.2},
)


def _over_axes(op: str, x: Any, axis: Any, log: bool, name: str | None) -> Any:
    """Softmax over several axes (``None``: all of them), as Keras: ``x`` shifted by its
    maximum over ``axis`` (a constant for the gradient), normalised by the sum there."""
    with shapes.node_errors(name, x):
        nd = len(x.shape) if hasattr(x, "shape") else np.ndim(x)
        axes = check.axes(op, "axis", axis, nd)
        shifted = F.sub(x, F.stop_gradient(F.max(x, axes, keepdims=True)))
        total = F.sum(F.exp(shifted), axes, keepdims=True)
        if log:
            return F.sub(shifted, F.log(total), name=name)
        return F.div(F.exp(shifted), total, name=name)


def _single_axis(axis: Any) -> bool:
    return isinstance(axis, (int, np.integer)) and not isinstance(axis, (bool, np.bool_))


@tensor_args("x")
def softmax(x: Any, axis: Any = -1, *, name: str | None = None) -> Any:
    """``exp(x) / sum(exp(x))`` along ``axis``. See :func:`nnfunc.softmax`.

    Args:
        x: Input tensor.
        axis (int, tuple of ints or None): The axis, or several axes normalised together;
            ``None`` normalises over all axes (as Keras). Default ``-1``.
        name (str, optional): Node name in graph mode.

    Returns:
        A tensor with the same shape as ``x``.

    Examples:
        >>> keras.ops.softmax(np.array([-1.0, 0.0, 1.0]))
        array([0.09003057, 0.24472847, 0.66524096])
        >>> keras.ops.softmax(np.array([[0.0, 0.0], [0.0, 0.0]]), axis=None)
        array([[0.25, 0.25],
               [0.25, 0.25]])
    """
    if _single_axis(axis):
        return F.softmax(x, axis, name=name)
    return _over_axes("softmax", x, axis, False, name)


@shares_args(softmax)
@tensor_args("x")
def log_softmax(x: Any, axis: Any = -1, *, name: str | None = None) -> Any:
    """``x - max(x) - log(sum(exp(x - max(x))))`` along ``axis``. See :func:`nnfunc.log_softmax`.

    Returns:
        A tensor with the same shape as ``x``.

    Examples:
        >>> keras.ops.log_softmax(np.array([-1.0, 0.0, 1.0]))
        array([-2.40760596, -1.40760596, -0.40760596])
        >>> keras.ops.log_softmax(np.array([[0.0, 0.0], [0.0, 0.0]]), axis=None)
        array([[-1.38629436, -1.38629436],
               [-1.38629436, -1.38629436]])
    """
    if _single_axis(axis):
        return F.log_softmax(x, axis, name=name)
    return _over_axes("log_softmax", x, axis, True, name)


def _to_sparse(op: str, dense: Any) -> SparseTensor:
    """The eager result as a :class:`nnfunc.compat.tf.SparseTensor` (indices row-major)."""
    if isinstance(dense, SymbolicVariable):
        raise UnsupportedError(
            check.message(
                op, "sparse", "be False in graph mode (a SparseTensor holds values)", sparse=True
            )
        )
    return SparseTensor.from_dense(dense.data if isinstance(dense, Variable) else dense)


def _is_true(flag: Any) -> bool:
    return isinstance(flag, (bool, np.bool_)) and bool(flag)


@tensor_args("x")
def one_hot(
    x: Any,
    num_classes: int,
    axis: int = -1,
    dtype: Any = None,
    sparse: bool = False,
    *,
    name: str | None = None,
) -> Any:
    """One-hot encode integer ``x`` along a new axis of length ``num_classes``.

    Args:
        x: Integer tensor of any shape.
        num_classes (int): Number of classes.
        axis (int): Position of the class axis. Default ``-1``.
        dtype (dtype, optional): Output dtype; default float32 (the page's "Integer tensor"
            return is wrong).
        sparse (bool): ``True`` returns a :class:`nnfunc.compat.tf.SparseTensor` (eager
            mode only; the values are not differentiable). Default ``False``.
        name (str, optional): Node name in graph mode.

    Returns:
        A tensor of shape ``x.shape`` with the class axis inserted. Labels outside
        ``[0, num_classes)`` give all-zero vectors, as with Keras's TensorFlow and JAX backends
        (the canonical :func:`nnfunc.one_hot` raises by default).

    Examples:
        >>> keras.ops.one_hot(np.array([1, 0]), num_classes=2)
        array([[0., 1.],
               [1., 0.]], dtype=float32)
        >>> keras.ops.one_hot(np.array([1, 0]), num_classes=2, sparse=True)
        SparseTensor(indices=[[0, 1], [1, 0]], values=[1.0, 1.0], dense_shape=[2, 2])
    """
    if _is_true(sparse):
        dense = F.one_hot(x, num_classes, axis=axis, dtype=dtype, invalid="zeros", name=name)
        return _to_sparse("one_hot", dense)
    return F.one_hot(
        x, num_classes, axis=axis, dtype=dtype, sparse=sparse, invalid="zeros", name=name
    )


@tensor_args("inputs")
def multi_hot(
    inputs: Any,
    num_classes: int | None = None,
    axis: int = -1,
    dtype: Any = None,
    sparse: bool = False,
    *,
    name: str | None = None,
    **kwargs: Any,
) -> Any:
    """Multi-hot encode integer labels (the label axis is collapsed).

    Args:
        inputs: Integer labels, 1-D (one row) or ``(batch, labels)``.
        num_classes (int): Number of classes (required although the signature says None).
        axis (int): Position of the class axis. Default ``-1``.
        dtype (dtype, optional): Output dtype; default float32.
        sparse (bool): ``True`` returns a :class:`nnfunc.compat.tf.SparseTensor` (eager
            mode only). Default ``False``.
        name (str, optional): Node name in graph mode.
        **kwargs: Accepted and ignored (Keras' legacy arguments).

    Returns:
        A tensor ``inputs.shape[:-1]`` plus the class axis. See :func:`nnfunc.multi_hot`.
        For 1-D and 2-D inputs with the default ``axis`` this is Keras's result; Keras 3
        itself reduces over axis 1 whatever the rank and the ``axis`` (so a 3-D input or
        ``axis=0`` there collapses another axis than the labels): here the labels are always
        the last axis and ``axis`` only places the class axis, as the page describes.

    Examples:
        >>> keras.ops.multi_hot(np.array([0, 4]), num_classes=5)
        array([1., 0., 0., 0., 1.], dtype=float32)
        >>> keras.ops.multi_hot(np.array([0, 4]), num_classes=5, sparse=True)
        SparseTensor(indices=[[0], [4]], values=[1.0, 1.0], dense_shape=[5])
    """
    if _is_true(sparse):
        dense = F.multi_hot(inputs, num_classes, axis=axis, dtype=dtype, name=name)
        return _to_sparse("multi_hot", dense)
    return F.multi_hot(inputs, num_classes, axis=axis, dtype=dtype, sparse=sparse, name=name)
