"""Ranking-based evaluation: top_k, in_top_k, top_n_error and confusion_matrix."""

from __future__ import annotations

from typing import Any

import numpy as np

from nnfunc.core import check, shapes
from nnfunc.core.dtypes import real_dtype
from nnfunc.core.function import Function
from nnfunc.core.spec import TensorSpec
from nnfunc.errors import ArgumentError, ShapeError
from nnfunc.functions._labels import (
    as_tensor,
    check_labels,
    label_dtype,
    label_layout,
    put_along_axis,
    shapes_match,
)
from nnfunc.kernels.cpu.top_k import top_k_indices

__all__ = ["confusion_matrix", "in_top_k", "top_k", "top_n_error"]

_INT = np.dtype(np.int64)
_BOOL = np.dtype(bool)


def _check_k(op: str, k: Any, arg: str = "k") -> int:
    if isinstance(k, np.ndarray) and k.ndim == 0:
        k = k.item()
    if isinstance(k, (bool, np.bool_)) or not isinstance(k, (int, np.integer)):
        raise ArgumentError(check.message(op, arg, "be an integer", **{arg: k}))
    if k < 0:
        raise ArgumentError(check.message(op, arg, "be >= 0", **{arg: int(k)}))
    return int(k)


class TopK(Function):
    """The ``k`` largest entries along the last axis and their indices."""

    op_name = "top_k"
    input_names = ("input",)
    retain_out = (1,)

    def __init__(self, k: Any, sorted: bool) -> None:  # noqa: A002
        self.k = k
        self.sorted = sorted

    def setup(self, x: Any) -> tuple[TensorSpec, ...]:
        self.k = _check_k(self.op_name, self.k)
        self.sorted = check.boolean(self.op_name, "sorted", self.sorted)
        check.ndim_at_least(self.op_name, "input", x, 1)
        n = x.shape[-1]
        if n is not None and n < self.k:
            raise ShapeError(
                check.message(
                    self.op_name,
                    "input",
                    f"have a last dimension of at least k={self.k}",
                    **{"input.shape": tuple(x.shape)},
                )
            )
        shape = tuple(x.shape[:-1]) + (self.k,)
        return (TensorSpec(shape, np.dtype(x.dtype)), TensorSpec(shape, _INT))

    def forward(self, xp: Any, x: Any) -> tuple[Any, ...]:
        n = x.shape[-1]
        flat = x.reshape(-1, n)
        idx = top_k_indices(flat, self.k)
        if not self.sorted:
            idx = xp.sort(idx, axis=-1)
        vals = xp.take_along_axis(flat, idx, axis=-1)
        shape = x.shape[:-1] + (self.k,)
        return (vals.reshape(shape), idx.reshape(shape))

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        (idx,) = self.retained_outputs()
        nd = len(self._in_specs[0].shape)
        return (put_along_axis(grad_outputs[0], idx, nd - 1, self._shape_target(0)),)


def top_k(x: Any, k: int = 1, *, sorted: bool = True, name: str | None = None) -> Any:  # noqa: A002
    """The ``k`` largest entries along the last axis, and their indices.

    .. math::
        \\text{values}[..., j] = x[..., \\text{indices}[..., j]], \\quad
        x[..., \\text{indices}[..., 0]] \\ge x[..., \\text{indices}[..., 1]] \\ge \\dots

    Args:
        x (array, Variable or SymbolicVariable): Input of rank >= 1 whose last dimension is at
            least ``k``; any real dtype.
        k (int): Number of entries to keep, ``>= 0``. Default 1.
        sorted (bool): ``True``: descending order of value; ``False``: the same entries in
            increasing index order. Default ``True``.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        tuple: ``(values, indices)``, both of shape ``x.shape[:-1] + (k,)``; ``values`` has the
        dtype of ``x``, ``indices`` is int64.

    Raises:
        ArgumentError: ``k`` is not an integer ``>= 0``, or ``sorted`` is not a bool.
        ShapeError: ``x`` is 0-d or its last dimension is smaller than ``k``.

    Notes:
        Ties go to the lower index (it appears first and wins at the k-th place). NaN entries
        are not ordered. The values are differentiable: their gradient is scattered back to the
        selected positions (0 elsewhere); the indices have none. A numba kernel (one pass per
        row) is used on CPU when available, a NumPy partition otherwise. Equivalent to
        ``tf.nn.top_k(input, k, sorted)``, which returns int32 indices.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> values, indices = nf.top_k(np.array([1.0, 3.0, 2.0, 3.0]), k=2)
        >>> values, indices
        (array([3., 3.]), array([1, 3]))
    """
    with shapes.node_errors(name, x):
        fn = TopK(k, sorted)
    return fn.apply(as_tensor(x), name=name)


class InTopK(Function):
    """Whether each target's prediction is among the top ``k`` of its row (ties included)."""

    op_name = "in_top_k"
    input_names = ("predictions", "targets")

    def __init__(self, k: Any) -> None:
        self.k = k

    def setup(self, p: Any, t: Any) -> tuple[TensorSpec, ...]:
        self.k = _check_k(self.op_name, self.k)
        check.ndim_at_least(self.op_name, "predictions", p, 1)
        label_dtype(self.op_name, t, "targets")
        if not shapes_match(tuple(t.shape), tuple(p.shape[:-1])):
            raise ShapeError(
                check.message(
                    self.op_name,
                    "targets",
                    "have the shape of `predictions` without its last axis",
                    **{"targets.shape": tuple(t.shape), "predictions.shape": tuple(p.shape)},
                )
            )
        check_labels(self.op_name, t, p.shape[-1], "targets")
        return (TensorSpec(tuple(p.shape[:-1]), _BOOL),)

    def forward(self, xp: Any, p: Any, t: Any) -> tuple[Any, ...]:
        tp = xp.take_along_axis(p, t.astype(np.intp)[..., None], axis=-1)
        count = (p > tp).sum(axis=-1)
        out = count < self.k
        if p.dtype.kind == "f":
            out &= xp.isfinite(p).all(axis=-1)
        return (out,)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        return (None, None)


def in_top_k(predictions: Any, targets: Any, k: int, *, name: str | None = None) -> Any:
    """Whether each target class is within the top ``k`` predictions, ties included.

    .. math::
        \\text{out}_i = \\#\\{j : p_{ij} > p_{i, t_i}\\} < k

    Args:
        predictions (array, Variable or SymbolicVariable): Scores, rank >= 1, classes on the
            last axis (TF: ``(batch, classes)``).
        targets (array, Variable or SymbolicVariable): Integer class indices, shape of
            ``predictions`` without its last axis.
        k (int): Number of top places, ``>= 0``.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as ``predictions``: bool tensor of shape ``predictions.shape[:-1]``.

    Raises:
        ArgumentError: ``k`` is not an integer ``>= 0``, or a target is outside
            ``[0, classes)`` (first bad value and its position).
        ShapeError: ``predictions`` is 0-d or ``targets`` has the wrong shape.
        DTypeError: ``targets`` is not integer.

    Notes:
        Unlike :func:`top_k`, classes tied with the target at the k-th place all count as in
        the top k. A row holding a non-finite prediction gives ``False`` (TensorFlow's kernel
        does the same). Not differentiable. Equivalent to
        ``tf.nn.in_top_k(predictions, targets, k)`` (2-D predictions there). An out-of-range
        target raises, as in TensorFlow 1.x (``targets[i] is out of range``); later
        TensorFlow versions return ``False`` for it instead.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.in_top_k(np.array([[0.1, 0.5, 0.5, 0.2]]), np.array([2]), 1)
        array([ True])
    """
    with shapes.node_errors(name, predictions, targets):
        fn = InTopK(k)
    return fn.apply1(as_tensor(predictions), as_tensor(targets), name=name)


class TopNError(Function):
    """1 where the target's score is not within the top ``n`` (ties counted against it)."""

    op_name = "top_n_error"
    input_names = ("x", "target")

    def __init__(self, axis: Any, n: Any, keepdims: bool) -> None:
        self.axis = axis
        self.n = n
        self.keepdims = keepdims

    def setup(self, x: Any, t: Any) -> tuple[TensorSpec, ...]:
        self.n = check.positive_int(self.op_name, "n", self.n)
        self.keepdims = check.boolean(self.op_name, "keepdims", self.keepdims)
        nd = check.ndim_at_least(self.op_name, "x", x, 1)
        self.ax = ax = check.axis(self.op_name, "axis", self.axis, nd)
        self.kept = label_layout(self.op_name, x, t, ax, "x", "target")
        check_labels(self.op_name, t, x.shape[ax], "target")
        self.out_dtype = real_dtype(x.dtype)
        shape = tuple(x.shape)
        out = shape[:ax] + ((1,) if self.keepdims else ()) + shape[ax + 1 :]
        return (TensorSpec(out, self.out_dtype),)

    def forward(self, xp: Any, x: Any, t: Any) -> tuple[Any, ...]:
        tk = t.astype(np.intp, copy=False)
        if not self.kept:
            tk = xp.expand_dims(tk, self.ax)
        xt = xp.take_along_axis(x, tk, axis=self.ax)
        count = (x >= xt).sum(axis=self.ax, keepdims=self.keepdims)
        return ((count > self.n).astype(self.out_dtype),)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        return (None, None)


def top_n_error(
    x: Any,
    target: Any,
    *,
    axis: int = -1,
    n: int = 1,
    keepdims: bool = False,
    name: str | None = None,
) -> Any:
    """Top-n error per sample: 1 where the target class is not within the ``n`` best scores.

    .. math::
        y = \\begin{cases} 1, & \\#\\{i : x_i \\ge x_t\\} > n \\\\ 0, & \\text{otherwise}
        \\end{cases}

    Args:
        x (array, Variable or SymbolicVariable): Scores, rank >= 1, classes on ``axis``.
        target (array, Variable or SymbolicVariable): Integer class indices: shape of ``x``
            without ``axis``, or with ``axis`` of size 1.
        axis (int): Class axis. Default ``-1``.
        n (int): Number of top places, ``>= 1``. Default 1.
        keepdims (bool): Keep the class axis with size 1 (NNabla). Default ``False``.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as ``x``: 0/1 values in the floating dtype of ``x`` (so that ``mean`` gives
        the error rate), shape of ``x`` without ``axis`` (size 1 with ``keepdims``).

    Raises:
        ArgumentError: ``n`` is not a positive integer, or a target is outside
            ``[0, classes)``.
        ShapeError: ``x`` is 0-d, ``axis`` is out of range or ``target`` has the wrong shape.
        DTypeError: ``target`` is not integer.

    Notes:
        Classes tied with the target count against it (NNabla's kernel counts scores
        ``>= x_t``), the opposite of :func:`in_top_k`'s tie rule. Not differentiable.
        Equivalent to ``nnabla.functions.top_n_error(x, target, axis, n)`` with
        ``keepdims=True``.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.top_n_error(np.array([[0.1, 0.7, 0.2], [0.3, 0.3, 0.4]]), np.array([1, 0]))
        array([0., 1.])
    """
    with shapes.node_errors(name, x, target):
        fn = TopNError(axis, n, keepdims)
    return fn.apply1(as_tensor(x), as_tensor(target), name=name)


class ConfusionMatrix(Function):
    """Counts of (label, predicted class) pairs over all samples."""

    op_name = "confusion_matrix"
    input_names = ("x", "target")

    def __init__(self, axis: Any, dtype: Any) -> None:
        self.axis = axis
        self.dtype = dtype

    def setup(self, x: Any, t: Any) -> tuple[TensorSpec, ...]:
        try:
            name = None if self.dtype is None else np.dtype(self.dtype).name
        except TypeError:
            name = None
        check.choice(self.op_name, "dtype", name if name else self.dtype, ("int32", "int64"))
        self.dtype = np.dtype(name)
        nd = check.ndim_at_least(self.op_name, "x", x, 1)
        self.ax = ax = check.axis(self.op_name, "axis", self.axis, nd)
        self.kept = label_layout(self.op_name, x, t, ax, "x", "target")
        c = x.shape[ax]
        check_labels(self.op_name, t, c, "target")
        return (TensorSpec((c, c), self.dtype),)

    def forward(self, xp: Any, x: Any, t: Any) -> tuple[Any, ...]:
        c = x.shape[self.ax]
        pred = x.argmax(axis=self.ax)
        label = xp.squeeze(t, self.ax) if self.kept else t
        flat = label.astype(np.int64).ravel() * c + pred.ravel()
        counts = xp.bincount(flat, minlength=c * c)
        return (counts.reshape(c, c).astype(self.dtype, copy=False),)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        return (None, None)


def confusion_matrix(
    x: Any, target: Any, *, axis: int = -1, dtype: Any = np.int64, name: str | None = None
) -> Any:
    """Confusion matrix summed over samples: rows are label classes, columns predicted ones.

    .. math::
        M_{ab} = \\#\\{j : t_j = a,\\ \\arg\\max_i x_{j,i} = b\\}

    Args:
        x (array, Variable or SymbolicVariable): Scores, rank >= 1, classes on ``axis``.
        target (array, Variable or SymbolicVariable): Integer class indices: shape of ``x``
            without ``axis``, or with ``axis`` of size 1.
        axis (int): Class axis. Default ``-1``.
        dtype: Integer dtype of the counts, ``int64`` (default) or ``int32`` (NNabla's).
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as ``x``: a ``dtype`` tensor of shape ``(classes, classes)``.

    Raises:
        ShapeError: ``x`` is 0-d, ``axis`` is out of range or ``target`` has the wrong shape.
        DTypeError: ``target`` is not integer.
        ArgumentError: a target is outside ``[0, classes)`` (first bad value and its
            position), or ``dtype`` is not int32/int64.

    Notes:
        The predicted class is the arg-max of ``x`` along ``axis``, ties to the lowest index.
        Not differentiable. Equivalent to ``nnabla.functions.confusion_matrix(x, target,
        axis)`` with ``dtype=numpy.int32``.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.confusion_matrix(np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]]), np.array([0, 1, 1]))
        array([[1, 0],
               [1, 1]])
    """
    with shapes.node_errors(name, x, target):
        fn = ConfusionMatrix(axis, dtype)
    return fn.apply1(as_tensor(x), as_tensor(target), name=name)
