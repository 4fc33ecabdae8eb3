"""one_hot and multi_hot encodings of integer labels."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from nnfunc.core import check
from nnfunc.core.function import Function
from nnfunc.core.spec import TensorSpec
from nnfunc.errors import ArgumentError, DTypeError, ShapeError, UnsupportedError

__all__ = ["multi_hot", "one_hot"]


def _dtype(op: str, dtype: Any) -> np.dtype:
    if dtype is None:
        return np.dtype(np.float32)
    try:
        return np.dtype(dtype)
    except TypeError:
        raise ArgumentError(check.message(op, "dtype", "be a NumPy dtype", dtype=dtype)) from None


def _check_labels(op: str, x: Any, name: str) -> None:
    if np.dtype(x.dtype).kind not in "iu":
        raise DTypeError(
            check.message(op, name, "have an integer dtype", **{f"{name}.dtype": x.dtype})
        )


def _check_sparse(op: str, sparse: Any) -> None:
    if sparse is not False:
        raise UnsupportedError(
            check.message(
                op, "sparse", "be False (sparse tensors are not supported)", sparse=sparse
            )
        )


class OneHot(Function):
    op_name = "one_hot"

    def __init__(self, num_classes: Any, axis: Any, dtype: Any, invalid: Any = "raise") -> None:
        self.num_classes = num_classes
        self.axis = axis
        self.dtype = dtype
        self.invalid = invalid

    def _check_options(self) -> None:
        op, num_classes, axis = self.op_name, self.num_classes, self.axis
        self.invalid = check.choice(op, "invalid", self.invalid, ("raise", "zeros"))
        if isinstance(num_classes, (tuple, list)):
            self.classes = tuple(check.positive_int(op, "num_classes", n) for n in num_classes)
            if not self.classes:
                raise ArgumentError(
                    check.message(op, "num_classes", "not be empty", num_classes=num_classes)
                )
            self.multi = True
            if axis != -1:
                raise ArgumentError(
                    check.message(op, "axis", "be -1 when `num_classes` is a tuple", axis=axis)
                )
        else:
            self.classes = (check.positive_int(op, "num_classes", num_classes),)
            self.multi = False
        self.dtype = _dtype(op, self.dtype)

    def setup(self, x: Any) -> tuple[TensorSpec, ...]:
        self._check_options()
        op = self.op_name
        _check_labels(op, x, "x")
        xs = tuple(x.shape)
        if self.multi:
            k = len(self.classes)
            if not xs or (xs[-1] is not None and xs[-1] != k):
                raise ShapeError(
                    check.message(
                        op,
                        "x",
                        f"have a last axis of length {k} (one index per one-hot axis)",
                        **{"x.shape": xs},
                        num_classes=self.classes,
                    )
                )
            return (TensorSpec(xs[:-1] + self.classes, self.dtype),)
        self.ax = check.axis(op, "axis", self.axis, len(xs) + 1)
        return (TensorSpec(xs[: self.ax] + self.classes + xs[self.ax :], self.dtype),)

    def forward(self, xp: Any, x: Any) -> tuple[Any, ...]:
        if self.multi:
            lead = x.shape[:-1]
            idx = x.reshape(-1, len(self.classes))
            valid = xp.all((idx >= 0) & (idx < xp.asarray(self.classes)), axis=1)
            self._check_valid(xp, valid, x, lead)
            flat = xp.zeros(idx.shape[:1], np.int64)
            for j, n in enumerate(self.classes):
                flat = flat * n + xp.where(valid, idx[:, j], 0)
            out = _encode(xp, flat, valid, math.prod(self.classes), self.dtype)
            return (out.reshape(lead + self.classes),)
        n = self.classes[0]
        flat = x.reshape(-1)
        valid = (flat >= 0) & (flat < n)
        self._check_valid(xp, valid, x, x.shape)
        out = _encode(xp, xp.where(valid, flat, 0), valid, n, self.dtype)
        out = out.reshape(x.shape + (n,))
        if self.ax != x.ndim:
            out = xp.moveaxis(out, -1, self.ax)
        return (xp.ascontiguousarray(out),)

    def _check_valid(self, xp: Any, valid: Any, x: Any, lead: tuple[int, ...]) -> None:
        if self.invalid == "zeros" or bool(valid.all()):
            return
        first = int(xp.argmin(valid))  # the first False
        pos = np.unravel_index(first, lead) if lead else ()
        where = ", ".join(str(int(i)) for i in pos)
        if self.multi:
            value = tuple(int(v) for v in x.reshape(-1, len(self.classes))[first])
            req = f"hold indices below num_classes={self.classes} (and >= 0)"
            key = f"x[{where}]" if where else "x"
        else:
            value = int(x.reshape(-1)[first])
            req = f"hold labels in [0, {self.classes[0]})"
            key = f"x[{where}]" if where else "x"
        raise ArgumentError(check.message(self.op_name, "x", req, **{key: value}))

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        return (None,)


def _encode(xp: Any, idx: Any, valid: Any, n: int, dtype: Any) -> Any:
    out = xp.zeros((idx.shape[0], n), dtype)
    rows = xp.arange(idx.shape[0])
    out[rows[valid], idx[valid]] = 1
    return out


def one_hot(
    x: Any,
    num_classes: Any,
    axis: int = -1,
    dtype: Any = None,
    sparse: bool = False,
    *,
    invalid: str = "raise",
    name: str | None = None,
) -> Any:
    """One-hot encoding of integer labels along a new axis.

    .. math::
        y_{\\ldots, c, \\ldots} = [\\,x_{\\ldots} = c\\,]

    Args:
        x (array, Variable or SymbolicVariable): Integer labels of any shape.
        num_classes (int or tuple of int): Number of classes ``C``. A tuple
            ``(C_0, ..., C_{k-1})`` selects NNabla's multi-dimensional form: ``x`` then has a
            last axis of length ``k`` holding one index per one-hot axis, and that axis is
            replaced by axes of sizes ``C_0 ... C_{k-1}``.
        axis (int): Where the new axis goes in the output (``-1``, the default, appends it).
            Must be ``-1`` with a tuple ``num_classes``.
        dtype (dtype, optional): Output dtype. Default float32.
        sparse (bool): Must be ``False``: sparse outputs are not supported.
        invalid (str): What a label outside ``[0, C)`` gives: ``"raise"`` (default) an
            :class:`~nnfunc.ArgumentError` naming the first bad label and its position, or
            ``"zeros"`` an all-zero vector (TensorFlow's and JAX's behaviour, used by the Keras
            dialect).
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as ``x``: ``x.shape`` with a new axis of length ``C`` at ``axis`` (or the
        last axis replaced by ``num_classes``), dtype ``dtype``.

    Raises:
        ArgumentError: ``num_classes <= 0`` or not an integer; a tuple with ``axis != -1``;
            a bad ``dtype``; a label out of range with ``invalid="raise"`` (checked when the
            values are known: eagerly, or when a graph runs).
        DTypeError: ``x`` is not integer.
        ShapeError: ``axis`` is out of range, or (tuple form) ``x``'s last axis has the wrong
            length.
        UnsupportedError: ``sparse=True``.

    Notes:
        Not differentiable. Equivalent to ``keras.ops.one_hot(x, num_classes, axis, dtype)`` and
        ``nnabla.functions.one_hot(x, shape)`` (``num_classes=shape``).

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.one_hot(np.array([1, 0, 5]), 3, invalid="zeros")
        array([[0., 1., 0.],
               [1., 0., 0.],
               [0., 0., 0.]], dtype=float32)
        >>> nf.one_hot(np.array([[1, 0]]), (2, 2))
        array([[[0., 0.],
                [1., 0.]]], dtype=float32)
    """
    _check_sparse("one_hot", sparse)
    return OneHot(num_classes, axis, dtype, invalid).apply1(x, name=name)


class MultiHot(Function):
    op_name = "multi_hot"
    input_names = ("inputs",)

    def __init__(self, num_classes: Any, axis: Any, dtype: Any) -> None:
        self.n = num_classes
        self.axis = axis
        self.dtype = dtype

    def setup(self, x: Any) -> tuple[TensorSpec, ...]:
        op = self.op_name
        self.n = check.positive_int(op, "num_classes", self.n)
        self.dtype = _dtype(op, self.dtype)
        _check_labels(op, x, "inputs")
        xs = tuple(x.shape)
        if not xs:
            raise ShapeError(check.message(op, "inputs", "have rank >= 1", **{"inputs.shape": xs}))
        lead = xs[:-1]
        self.ax = check.axis(op, "axis", self.axis, len(lead) + 1)
        return (TensorSpec(lead[: self.ax] + (self.n,) + lead[self.ax :], self.dtype),)

    def forward(self, xp: Any, x: Any) -> tuple[Any, ...]:
        lead = x.shape[:-1]
        idx = x.reshape(int(np.prod(lead)), x.shape[-1])  # -1 is ambiguous for an empty x
        valid = (idx >= 0) & (idx < self.n)
        out = xp.zeros((idx.shape[0], self.n), self.dtype)
        rows = xp.broadcast_to(xp.arange(idx.shape[0])[:, None], idx.shape)
        out[rows[valid], idx[valid]] = 1
        out = out.reshape(lead + (self.n,))
        if self.ax != len(lead):
            out = xp.ascontiguousarray(xp.moveaxis(out, -1, self.ax))
        return (out,)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        return (None,)


def multi_hot(
    inputs: Any,
    num_classes: int,
    axis: int = -1,
    dtype: Any = None,
    sparse: bool = False,
    *,
    name: str | None = None,
) -> Any:
    """Multi-hot encoding: 1 for every class that appears among a row's labels.

    .. math::
        y_{\\ldots, c} = [\\,c \\in \\{x_{\\ldots, j}\\}_j\\,]

    Args:
        inputs (array, Variable or SymbolicVariable): Integer labels; the last axis holds the
            labels of one row (a 1-D input is one row).
        num_classes (int): Number of classes ``C`` (required).
        axis (int): Where the class axis goes in the output. Default ``-1``.
        dtype (dtype, optional): Output dtype. Default float32.
        sparse (bool): Must be ``False``.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as ``inputs``: ``inputs.shape[:-1]`` with a class axis of length ``C`` at
        ``axis``, dtype ``dtype``.

    Raises:
        ArgumentError: ``num_classes`` is not a positive integer.
        DTypeError: ``inputs`` is not integer.
        ShapeError: ``inputs`` is 0-d, or ``axis`` is out of range.
        UnsupportedError: ``sparse=True``.

    Notes:
        Labels out of ``[0, C)`` are ignored. Equivalent to ``keras.ops.multi_hot`` for 1-D
        and 2-D inputs; for higher ranks Keras reduces over axis 1 whatever the rank, here the
        labels are always the last axis.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.multi_hot(np.array([[0, 4], [1, 1]]), 5)
        array([[1., 0., 0., 0., 1.],
               [0., 1., 0., 0., 0.]], dtype=float32)
    """
    _check_sparse("multi_hot", sparse)
    return MultiHot(num_classes, axis, dtype).apply1(inputs, name=name)
