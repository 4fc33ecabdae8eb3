"""keras.ops.nn losses and metrics (Keras 3 signatures and semantics).

Python data is converted as ``keras.ops.convert_to_tensor`` does (floats to float32, ints to
int32) and integer targets take the dtype of ``output``, so the page's examples give float32.
Probabilities are clipped to ``[epsilon, 1 - epsilon]`` with ``epsilon = 1e-7`` after the
categorical forms divide them by their sum, as every Keras backend does. ``from_logits=True`` is
computed exactly from the logits (as the TensorFlow and JAX backends do; the NumPy backend's
``binary_crossentropy`` applies the sigmoid and then the same clipping, which caps its loss
near 16).
The page's printed values are matched to float32 rounding: its backend's ``log`` differs from
NumPy's by one unit in the last place on some of them (0.10536054 here is 0.10536055).
"""

from __future__ import annotations

from typing import Any

import numpy as np

import nnfunc.functions as F
from nnfunc.compat._common import keras_tensor, label_layout, same_shape
from nnfunc.core import check, shapes

__all__ = [
    "binary_crossentropy",
    "categorical_crossentropy",
    "psnr",
    "sparse_categorical_crossentropy",
]

# keras.config.epsilon(): probabilities are clipped to [EPSILON, 1 - EPSILON] before the log.
EPSILON = 1e-7


def _same_shape(op: str, target: Any, output: Any, name: str | None) -> tuple[Any, Any]:
    """Keras's own check, in its words: ``target`` and ``output`` have the same shape."""
    with shapes.node_errors(name, target, output):
        target, output = keras_tensor(target), keras_tensor(output)
        same_shape(op, ("target", "output"), target, output)
    return target, output


def _class_indices(target: Any) -> Any:
    """Sparse targets as integers: Keras casts them to int (truncating floats), so do we.

    Python integers keep NumPy's integer dtype (int64): ``keras_tensor``'s int32 would wrap a label
    of 2**31 or more into the class range, where the range check could no longer see it."""
    if not (hasattr(target, "shape") and hasattr(target, "dtype")) or isinstance(
        target, np.generic
    ):
        target = check.tensor("sparse_categorical_crossentropy", "target", target)
        if target.dtype.kind in "iu":
            return target
    target = keras_tensor(target)
    if np.dtype(target.dtype).kind in "iu":
        return target
    return F.cast(target, np.int64)


def binary_crossentropy(
    target: Any, output: Any, from_logits: bool = False, *, name: str | None = None
) -> Any:
    """Element-wise binary cross-entropy. See :func:`nnfunc.binary_cross_entropy`.

    ``output`` probabilities are clipped to ``[1e-7, 1 - 1e-7]`` as Keras does; with
    ``from_logits=True`` the loss is computed exactly and stably from the logits.

    Args:
        target: Binary labels, same shape as ``output``.
        output: Probabilities, or logits with ``from_logits=True``.
        from_logits (bool): Whether ``output`` holds logits. Default False.
        name (str, optional): Node name in graph mode.

    Returns:
        The element-wise losses, in the floating dtype of ``output`` (the page's "Integer
        tensor" is a typo).

    Raises:
        ValueError: (:class:`nnfunc.ShapeError`) the shapes differ.

    Examples:
        >>> keras.ops.binary_crossentropy([0, 1, 1, 0], [0.1, 0.9, 0.8, 0.2])
        array([0.10536055, 0.10536055, 0.22314353, 0.22314353], dtype=float32)
    """
    target, output = _same_shape("binary_crossentropy", target, output, name)
    return F.binary_cross_entropy(output, target, from_logits=from_logits, eps=EPSILON, name=name)


def categorical_crossentropy(
    target: Any, output: Any, from_logits: bool = False, axis: int = -1, *, name: str | None = None
) -> Any:
    """Categorical cross-entropy with dense targets. See :func:`nnfunc.categorical_cross_entropy`.

    Probabilities are first divided by their sum along ``axis``, then clipped to
    ``[1e-7, 1 - 1e-7]`` (Keras); ``from_logits=True`` uses the exact softmax form.

    Args:
        target: One-hot or soft targets, same shape as ``output`` (the page's "except for the
            last dimension" is a copy error).
        output: Probabilities, or logits with ``from_logits=True``.
        from_logits (bool): Whether ``output`` holds logits. Default False.
        axis (int): Class axis. Default -1.
        name (str, optional): Node name in graph mode.

    Returns:
        The losses, shape of ``output`` without ``axis``, floating dtype.

    Examples:
        >>> keras.ops.categorical_crossentropy([[0, 1]], [[0.25, 0.75]])
        array([0.2876821], dtype=float32)
    """
    target, output = _same_shape("categorical_crossentropy", target, output, name)
    return F.categorical_cross_entropy(
        output,
        target,
        axis=axis,
        from_logits=from_logits,
        eps=EPSILON,
        normalize=True,
        name=name,
    )


def sparse_categorical_crossentropy(
    target: Any, output: Any, from_logits: bool = False, axis: int = -1, *, name: str | None = None
) -> Any:
    """Categorical cross-entropy with integer targets.

    See :func:`nnfunc.sparse_categorical_cross_entropy`.

    Args:
        target: Integer class labels, shape of ``output`` without ``axis`` (a trailing axis of
            size 1 is accepted, as Keras squeezes it). Float or bool labels are cast to
            integers first, truncating towards zero, as Keras does.
        output: Probabilities (normalised along ``axis`` and clipped to ``[1e-7, 1 - 1e-7]``),
            or logits with ``from_logits=True``.
        from_logits (bool): Whether ``output`` holds logits. Default False.
        axis (int): Class axis. Default -1.
        name (str, optional): Node name in graph mode.

    Returns:
        The losses, shape of ``target``, floating dtype.

    Raises:
        ArgumentError: a label is outside ``[0, classes)``; the message names the first one
            and its position. (Keras's NumPy and JAX backends one-hot a negative label to a
            zero row, so its loss is silently 0.)
        ValueError: (:class:`nnfunc.ShapeError`) ``target`` does not have the shape of
            ``output`` without ``axis``.

    Examples:
        >>> keras.ops.sparse_categorical_crossentropy([1], [[0.25, 0.75]])
        array([0.2876821], dtype=float32)
    """
    op = "sparse_categorical_crossentropy"
    with shapes.node_errors(name, target, output):
        target, output = _class_indices(target), keras_tensor(output)
        nd = check.ndim_at_least(op, "output", output, 1)
        label_layout(op, output, target, check.axis(op, "axis", axis, nd), "output", "target")
    return F.sparse_categorical_cross_entropy(
        output,
        target,
        axis=axis,
        from_logits=from_logits,
        eps=EPSILON,
        normalize=True,
        name=name,
    )


def psnr(x1: Any, x2: Any, max_val: float, *, name: str | None = None) -> Any:
    """Peak signal-to-noise ratio. See :func:`nnfunc.psnr`.

    Args:
        x1: First signal.
        x2: Second signal, same shape as ``x1``.
        max_val (float): Maximum possible signal value.
        name (str, optional): Node name in graph mode.

    Returns:
        A 0-d float tensor: ``20 log10(max_val) - 10 log10(mean((x1 - x2)**2))``.

    Raises:
        ValueError: (:class:`nnfunc.ShapeError`) the shapes differ.

    Examples:
        >>> keras.ops.psnr([0.0, 0.5], [0.1, 0.4], 1.0)
        array(20., dtype=float32)
    """
    return F.psnr(keras_tensor(x1), keras_tensor(x2), max_val, name=name)
