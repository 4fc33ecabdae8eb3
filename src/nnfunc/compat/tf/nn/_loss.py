"""tf.nn losses, classification and evaluation ops (TensorFlow 1.x signatures).

The page asks for ``targets``/``labels`` "of the same type" as ``logits``: TensorFlow never
promotes dtypes, so a mismatch is a ``TypeError`` there. Here the targets are cast to the
dtype of the logits instead, as every nnfunc dialect mixes dtypes by the project's rule (the
result always has the logits' dtype). Integer logits, which TensorFlow rejects, give float32.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import nnfunc.functions as F
from nnfunc.compat._common import as_tensor, positional_name, tensor_args
from nnfunc.core import check, shapes
from nnfunc.errors import ShapeError

__all__ = [
    "in_top_k",
    "l2_loss",
    "log_poisson_loss",
    "sigmoid_cross_entropy_with_logits",
    "softmax_cross_entropy_with_logits",
    "sparse_softmax_cross_entropy_with_logits",
    "top_k",
    "weighted_cross_entropy_with_logits",
]


sigmoid_cross_entropy_with_logits = positional_name(
    F.sigmoid_cross_entropy_with_logits,
    """Element-wise logistic loss on logits.

    See :func:`nnfunc.sigmoid_cross_entropy_with_logits`. Computed as
    ``max(x, 0) - x * z + log(1 + exp(-abs(x)))`` (rearranged so that infinite
    logits give their finite limits).

    Returns:
        The component-wise logistic losses, shape of ``logits``.

    Raises:
        ValueError: (:class:`nnfunc.ShapeError`) the shapes differ.

    Examples:
        >>> tf.nn.sigmoid_cross_entropy_with_logits(np.array([0.0, 100.0]), np.array([1.0, 0.0]))
        array([  0.69314718, 100.        ])
    """,
)


weighted_cross_entropy_with_logits = positional_name(
    F.weighted_cross_entropy_with_logits,
    """Logistic loss with weighted positives.

    See :func:`nnfunc.weighted_cross_entropy_with_logits`.

    Returns:
        ``(1 - z) * x + (1 + (q - 1) * z) * (log(1 + exp(-abs(x))) + max(-x, 0))``.

    Raises:
        ValueError: (:class:`nnfunc.ShapeError`) the shapes differ.

    Examples:
        >>> tf.nn.weighted_cross_entropy_with_logits(np.array([0.0]), np.array([1.0]), 2.0)
        array([1.38629436])
    """,
    tensors=("logits", "targets"),
)


@tensor_args("logits", "labels")
def softmax_cross_entropy_with_logits(
    logits: Any, labels: Any, dim: int = -1, name: str | None = None
) -> Any:
    """Softmax cross-entropy with dense labels.

    See :func:`nnfunc.softmax_cross_entropy_with_logits`.

    Args:
        logits: Unscaled log probabilities.
        labels: Label distributions, same shape as ``logits`` (cast to its dtype).
        dim (int): The class dimension. Default -1.
        name (str, optional): Node name in graph mode.

    Returns:
        The losses, shape of ``logits`` without ``dim``.

    Examples:
        >>> tf.nn.softmax_cross_entropy_with_logits(np.zeros((1, 4)), np.array([[0.0, 1, 0, 0]]))
        array([1.38629436])
    """
    op = "softmax_cross_entropy_with_logits"
    with shapes.node_errors(name, logits, labels):
        logits = as_tensor(logits)
        dim = check.axis(op, "dim", dim, check.ndim_at_least(op, "logits", logits, 1))
    return F.softmax_cross_entropy_with_logits(logits, labels, axis=dim, name=name)


@tensor_args("logits", "labels")
def sparse_softmax_cross_entropy_with_logits(
    logits: Any, labels: Any, name: str | None = None
) -> Any:
    """Softmax cross-entropy with integer labels.

    See :func:`nnfunc.sparse_softmax_cross_entropy_with_logits`.

    Args:
        logits: Unscaled log probabilities ``[d_0, ..., d_{r-2}, num_classes]``.
        labels: Integer class indices ``[d_0, ..., d_{r-2}]`` in ``[0, num_classes)``.
        name (str, optional): Node name in graph mode.

    Returns:
        The losses, shape of ``labels``, dtype of ``logits``.

    Raises:
        ValueError: (:class:`nnfunc.ShapeError`) ``logits`` is a scalar, the rank of
            ``labels`` is not the rank of ``logits`` minus one (the page's "rank of the labels
            minus one" is a typo), or ``labels`` differs from ``logits`` without its last axis.
        ArgumentError: a label is out of range, naming the first one and its position (TF
            raises on CPU and gives NaN on GPU; here it raises on every backend).

    Examples:
        >>> tf.nn.sparse_softmax_cross_entropy_with_logits(np.zeros((2, 4)), np.array([1, 3]))
        array([1.38629436, 1.38629436])
    """
    op = "sparse_softmax_cross_entropy_with_logits"
    with shapes.node_errors(name, logits, labels):
        logits, labels = as_tensor(logits), as_tensor(labels)
        check.ndim_at_least(op, "logits", logits, 1)
        xs, ls = tuple(logits.shape), tuple(labels.shape)
        received = {"labels.shape": ls, "logits.shape": xs}
        if len(ls) != len(xs) - 1:
            requirement = f"have rank {len(xs) - 1} (the rank of `logits` minus one)"
            raise ShapeError(check.message(op, "labels", requirement, **received))
        if any(a is not None and b is not None and a != b for a, b in zip(ls, xs)):
            requirement = "have the shape of `logits` without its last axis"
            raise ShapeError(check.message(op, "labels", requirement, **received))
    return F.sparse_softmax_cross_entropy_with_logits(logits, labels, name=name)


l2_loss = positional_name(
    F.l2_loss,
    """``sum(t ** 2) / 2``. See :func:`nnfunc.l2_loss`.

    Returns:
        A 0-D tensor of the dtype of ``t``. The page lists integer dtypes (the op's
        definition), but TensorFlow has ``L2Loss`` kernels for half, float and double only;
        integer inputs give float32 here.

    Examples:
        >>> tf.nn.l2_loss(np.array([1.0, 2.0], np.float32))
        array(2.5, dtype=float32)
    """,
)


@tensor_args("log_input", "targets")
def log_poisson_loss(
    log_input: Any, targets: Any, compute_full_loss: bool = False, name: str | None = None
) -> Any:
    """Poisson loss given the log rate. See :func:`nnfunc.log_poisson_loss`.

    Args:
        log_input: ``c = log(x)``, float32 or float64.
        targets: ``z``, same shape as ``log_input`` (cast to its dtype).
        compute_full_loss (bool): Add the Stirling term where ``z > 1`` (0 within ``[0, 1]``,
            NaN for a negative count, as TensorFlow computes it). Default False.
        name (str, optional): Node name in graph mode.

    Returns:
        ``exp(c) - z * c [+ z * log(z) - z + 0.5 * log(2 * pi * z)]``, shape of ``log_input``.

    Raises:
        ValueError: (:class:`nnfunc.ShapeError`) the shapes differ.

    Examples:
        >>> tf.nn.log_poisson_loss(np.array([0.0]), np.array([2.0]))
        array([1.])
    """
    return F.log_poisson_loss(log_input, targets, compute_full_loss=compute_full_loss, name=name)


@tensor_args("input")
def top_k(input: Any, k: int = 1, sorted: bool = True, name: str | None = None) -> Any:
    """Values and indices of the ``k`` largest entries of the last dimension.

    See :func:`nnfunc.top_k`.

    Args:
        input: 1-D or higher tensor with last dimension at least ``k``.
        k (int): Number of top elements. Default 1.
        sorted (bool): Sort the values in descending order. Default True. ``False``: the
            same entries in increasing index order (TensorFlow leaves that order unspecified;
            its CPU kernel emits its heap's order).
        name (str, optional): Node name in graph mode.

    Returns:
        tuple: ``(values, indices)``; indices are int32. Ties: the lower index first.

    Raises:
        ValueError: (:class:`nnfunc.ShapeError`) ``input`` is 0-d or its last dimension is
            smaller than ``k``; (:class:`nnfunc.ArgumentError`) ``k`` is negative.

    Examples:
        >>> tf.nn.top_k(np.array([1.0, 3.0, 3.0]), k=2)
        (array([3., 3.]), array([1, 2], dtype=int32))
    """
    values, indices = F.top_k(input, k, sorted=sorted, name=name)
    return values, F.cast(indices, np.int32)


@tensor_args("predictions", "targets")
def in_top_k(predictions: Any, targets: Any, k: int, name: str | None = None) -> Any:
    """Whether the targets are in the top ``k`` predictions, ties included.

    See :func:`nnfunc.in_top_k`.

    Args:
        predictions: ``batch_size x classes`` scores (rank 2).
        targets: ``batch_size`` class ids (int32 or int64, rank 1).
        k (int): Number of top elements to look at.
        name (str, optional): Node name in graph mode.

    Returns:
        A ``batch_size`` bool tensor; a row holding a non-finite prediction is False.

    Raises:
        ValueError: (:class:`nnfunc.ShapeError`) ``predictions`` is not 2-D, ``targets`` is
            not 1-D, or their batch sizes differ.
        ArgumentError: a target is outside ``[0, classes)`` or ``k`` is negative. TensorFlow
            1.x raised ``targets[i] is out of range`` too; later versions return False for it.

    Examples:
        >>> tf.nn.in_top_k(np.array([[0.1, 0.5, 0.5]]), np.array([2]), 1)
        array([ True])
    """
    op = "in_top_k"
    with shapes.node_errors(name, predictions, targets):
        check.ndim(op, "predictions", as_tensor(predictions), 2)
        check.ndim(op, "targets", as_tensor(targets), 1)
    return F.in_top_k(predictions, targets, k, name=name)
