"""nnabla.functions losses and validation functions (NNabla 1.39 signatures and layouts).

``n_outputs`` and ``outputs``: see :mod:`nnfunc.compat.nnabla.functions`. The class-index
functions take ``target`` with the class axis kept as size 1 (the shape without it is accepted
too) and return the class axis kept as size 1; ``axis=None`` means the last axis. Float
targets (NNabla variables are float by default) are read as integers, truncated towards zero,
as NNabla's kernels read them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import nnfunc.functions as F
from nnfunc.compat._common import as_tensor, same_shape, tensor_args
from nnfunc.compat._docs import shares_args
from nnfunc.compat.nnabla._imperative import canonical_entry, outputs_in_place
from nnfunc.core import check, shapes
from nnfunc.functions._labels import label_layout_now_and_at_run

__all__ = [
    "absolute_error",
    "binary_cross_entropy",
    "binary_error",
    "categorical_cross_entropy",
    "confusion_matrix",
    "epsilon_insensitive_loss",
    "huber_loss",
    "kl_multinomial",
    "sigmoid_cross_entropy",
    "softmax_cross_entropy",
    "squared_error",
    "top_n_error",
]

# NNabla's KLMultinomial kernel adds 1e-8 inside both logs.
_KL_EPS = 1e-8


def _axis(axis: int | None) -> int:
    return -1 if axis is None else axis


def _class_indices(target: Any) -> Any:
    """Class-index targets as integers, truncating float labels as NNabla's kernels do."""
    target = as_tensor(target)
    if np.dtype(target.dtype).kind in "iu":
        return target
    return F.cast(target, np.int64)


def _labels(op: str, x: Any, target: Any, axis: int | None, name: str | None) -> tuple:
    """Integer ``target`` checked against ``x`` in NNabla's names; returns them and the axis."""
    with shapes.node_errors(name, x, target):
        x, target = as_tensor(x), _class_indices(target)
        ax = check.axis(op, "axis", _axis(axis), check.ndim_at_least(op, "x", x, 1))
        _, x, target = label_layout_now_and_at_run(op, x, target, ax, "x", "target")
    return x, target, ax


@outputs_in_place
@tensor_args("x", "target")
def sigmoid_cross_entropy(
    x: Any, target: Any, n_outputs: int = 1, outputs: Any = None, *, name: str | None = None
) -> Any:
    """Element-wise cross-entropy of ``sigmoid(x)`` and an integer ``target``, fused and stable.

    BEHAVIOUR (NNabla 1.39): the kernel reads each target as an integer
    (``static_cast<int>``, truncation toward zero, so 0.99 -> 0), as its other class-index
    losses do; the dialect truncates the target the same way. Soft targets (0.3, 0.7, ...)
    need the canonical :func:`nnfunc.sigmoid_cross_entropy_with_logits`, which keeps them.
    No gradient reaches ``target``.

    Args:
        x: Logits.
        target: Targets 0 or 1 (truncated to integers), same shape.
        name (str, optional): Node name in graph mode.

    Returns:
        Element-wise losses, shape of ``x``.

    Examples:
        >>> F.sigmoid_cross_entropy(np.array([0.0], np.float32), np.array([1.0], np.float32))
        array([0.6931472], dtype=float32)
        >>> F.sigmoid_cross_entropy(np.array([0.0, 0.0]), np.array([0.99, 1.0]))  # 0.99 -> 0
        array([0.69314718, 0.69314718])
    """
    with shapes.node_errors(name, x, target):
        x, target = as_tensor(x), as_tensor(target)
        same_shape("sigmoid_cross_entropy", ("x", "target"), x, target)
        if np.dtype(target.dtype).kind == "f":
            target = F.cast(F.cast(target, np.int64), target.dtype)
    return F.sigmoid_cross_entropy_with_logits(x, target, name=name)


@outputs_in_place
@tensor_args("x", "target")
def binary_cross_entropy(
    x: Any, target: Any, n_outputs: int = 1, outputs: Any = None, *, name: str | None = None
) -> Any:
    """Element-wise ``-(t ln x + (1 - t) ln(1 - x))`` on probabilities.

    No clipping; each log's argument is clamped at the dtype's smallest normal number, as
    NNabla's kernel does. See :func:`nnfunc.binary_cross_entropy` (``eps=None``).

    Args:
        x: Probabilities.
        target: Targets, same shape.
        name (str, optional): Node name in graph mode.

    Returns:
        Element-wise losses, shape of ``x``.

    Examples:
        >>> F.binary_cross_entropy(np.array([0.5, 0.25]), np.array([1.0, 0.0]))
        array([0.69314718, 0.28768207])
    """
    return F.binary_cross_entropy(x, target, eps=None, name=name)


@outputs_in_place
@tensor_args("x", "target")
def softmax_cross_entropy(
    x: Any,
    target: Any,
    axis: int | None = None,
    n_outputs: int = 1,
    outputs: Any = None,
    *,
    name: str | None = None,
) -> Any:
    """Cross-entropy of ``softmax(x)`` against integer class indices (class axis kept).

    See :func:`nnfunc.sparse_softmax_cross_entropy_with_logits`. Computed exactly from the
    logits through a max-shifted log-softmax, as NNabla's current kernel does (its early
    versions took ``log(max(softmax, tiny))``, which capped the loss near 87 in float32).
    Labels outside ``[0, classes)`` raise an :class:`nnfunc.ArgumentError` naming the first
    one and its position (NNabla's kernel reads out of bounds).

    Args:
        x: Logits.
        target: Integer class indices, shape of ``x`` with ``axis`` of size 1.
        axis (int, optional): Class axis; ``None``: the last.
        name (str, optional): Node name in graph mode.

    Returns:
        Losses of shape ``(D_1, ..., 1, ..., D_N)``.

    Examples:
        >>> F.softmax_cross_entropy(np.zeros((2, 4)), np.array([[1], [3]]))
        array([[1.38629436],
               [1.38629436]])
    """
    x, target, ax = _labels("softmax_cross_entropy", x, target, axis, name)
    return F.sparse_softmax_cross_entropy_with_logits(x, target, axis=ax, keepdims=True, name=name)


@outputs_in_place
@tensor_args("x", "target")
def categorical_cross_entropy(
    x: Any,
    target: Any,
    axis: int | None = None,
    n_outputs: int = 1,
    outputs: Any = None,
    *,
    name: str | None = None,
) -> Any:
    """``-ln(x[t])`` for probabilities ``x`` and integer class indices (class axis kept).

    NNabla's name for :func:`nnfunc.sparse_categorical_cross_entropy` (``eps=None``: the
    probability is only clamped at the smallest normal number). Keras's
    ``categorical_crossentropy`` takes one-hot targets instead. NNabla's kernel gives loss 0
    and no gradient for a negative label (an undocumented "ignore" value); here every label
    outside ``[0, classes)`` raises an :class:`nnfunc.ArgumentError` naming the first one and
    its position, as for every class-index function of nnfunc (mask ignored samples instead).

    Args:
        x: Probabilities.
        target: Integer class indices, shape of ``x`` with ``axis`` of size 1.
        axis (int, optional): Class axis; ``None``: the last.
        name (str, optional): Node name in graph mode.

    Returns:
        Losses of shape ``(D_1, ..., 1, ..., D_N)``.

    Examples:
        >>> F.categorical_cross_entropy(np.array([[0.5, 0.25, 0.25]]), np.array([[1]]))
        array([[1.38629436]])
    """
    x, target, ax = _labels("categorical_cross_entropy", x, target, axis, name)
    return F.sparse_categorical_cross_entropy(
        x, target, axis=ax, eps=None, keepdims=True, name=name
    )


squared_error = canonical_entry(
    F.squared_error,
    """Element-wise ``(x0 - x1)^2``. See :func:`nnfunc.squared_error`.

    Returns:
        Element-wise squared errors.

    Examples:
        >>> F.squared_error(np.array([1.0, 2.0]), np.array([3.0, 2.0]))
        array([4., 0.])
    """,
)


absolute_error = canonical_entry(
    F.absolute_error,
    """Element-wise ``|x0 - x1|``. See :func:`nnfunc.absolute_error`.

    Returns:
        Element-wise absolute errors.

    Examples:
        >>> F.absolute_error(np.array([1.0, 2.0]), np.array([3.0, 2.0]))
        array([2., 0.])
    """,
)


huber_loss = canonical_entry(
    F.huber_loss,
    """Element-wise Huber loss, NNabla scaling: ``d^2`` or ``delta (2|d| - delta)``.

    See :func:`nnfunc.huber_loss`.

    Returns:
        Element-wise losses.

    Examples:
        >>> F.huber_loss(np.array([0.5, 3.0]), np.array([0.0, 0.0]))
        array([0.25, 5.  ])
    """,
)


epsilon_insensitive_loss = canonical_entry(
    F.epsilon_insensitive_loss,
    """Element-wise ``max(|x0 - x1| - epsilon, 0)``. See :func:`nnfunc.epsilon_insensitive_loss`.

    Returns:
        Element-wise losses.

    Examples:
        >>> F.epsilon_insensitive_loss(np.array([0.5, 3.0]), np.array([0.0, 0.0]), 1.0)
        array([0., 2.])
    """,
    tensors=("x0", "x1"),
)


@outputs_in_place
@tensor_args("p", "q")
def kl_multinomial(
    p: Any,
    q: Any,
    base_axis: int = 1,
    n_outputs: int = 1,
    outputs: Any = None,
    *,
    name: str | None = None,
) -> Any:
    """KL divergence of multinomial distributions, per sample. See :func:`nnfunc.kl_multinomial`.

    Uses NNabla's kernel's ``1e-8`` inside the logs and keeps a trailing axis of size 1.

    Args:
        p: First distribution.
        q: Second distribution, same shape.
        base_axis (int): First category axis. Default 1.
        name (str, optional): Node name in graph mode.

    Returns:
        Shape ``p.shape[:base_axis] + (1,)``.

    Examples:
        >>> F.kl_multinomial(np.array([[0.5, 0.5]]), np.array([[0.5, 0.5]]))
        array([[0.]])
    """
    with shapes.node_errors(name, p, q):
        kl = F.kl_multinomial(p, q, base_axis, eps=_KL_EPS)
    return F.expand_dims(kl, -1, name=name)


@outputs_in_place
@tensor_args("x", "target")
def top_n_error(
    x: Any,
    target: Any,
    axis: int | None = None,
    n: int = 1,
    n_outputs: int = 1,
    outputs: Any = None,
    *,
    name: str | None = None,
) -> Any:
    """1 where the target's score is not within the top ``n`` (class axis kept).

    See :func:`nnfunc.top_n_error` (ties count against the target, as in NNabla's kernel).

    Args:
        x: Scores.
        target: Integer class indices, shape of ``x`` with ``axis`` of size 1.
        axis (int, optional): Class axis; ``None``: the last.
        n (int): Number of top places. Default 1.
        name (str, optional): Node name in graph mode.

    Returns:
        0/1 errors of shape ``(D_1, ..., 1, ..., D_N)``.

    Examples:
        >>> F.top_n_error(np.array([[0.1, 0.7, 0.2]]), np.array([[2]]), n=2)
        array([[0.]])
    """
    return F.top_n_error(x, _class_indices(target), axis=_axis(axis), n=n, keepdims=True, name=name)


binary_error = canonical_entry(
    F.binary_error,
    """Element-wise ``(x >= 0.5) != (target >= 0.5)``. See :func:`nnfunc.binary_error`.

    Returns:
        0/1 errors in the dtype of ``x``.

    Examples:
        >>> F.binary_error(np.array([0.2, 0.7]), np.array([1.0, 1.0]))
        array([1., 0.])
    """,
)


@shares_args(top_n_error)
@outputs_in_place
@tensor_args("x", "target")
def confusion_matrix(
    x: Any,
    target: Any,
    axis: int | None = None,
    n_outputs: int = 1,
    outputs: Any = None,
    *,
    name: str | None = None,
) -> Any:
    """Confusion matrix summed over samples (rows: labels, columns: predictions).

    See :func:`nnfunc.confusion_matrix`.

    Returns:
        int32 matrix of shape ``(classes, classes)``.

    Examples:
        >>> F.confusion_matrix(np.array([[0.9, 0.1], [0.2, 0.8]]), np.array([[0], [0]]))
        array([[1, 1],
               [0, 0]], dtype=int32)
    """
    return F.confusion_matrix(
        x, _class_indices(target), axis=_axis(axis), dtype=np.int32, name=name
    )
