"""sum and mean over axes."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import nnfunc.functions as F
from nnfunc.core import check
from nnfunc.core.dtypes import accumulation_dtype, real_dtype
from nnfunc.core.function import Function
from nnfunc.core.spec import TensorSpec

__all__ = ["mean", "sum"]


def _integer_accumulator(dtype: np.dtype) -> np.dtype:
    """NumPy's (and PyTorch's) result dtype of an integer sum or product: a 64-bit integer,
    so that small integer dtypes do not wrap around (``sum`` of 200 int8 ones is 200)."""
    if dtype.kind in "bi":
        return np.dtype(np.int64)
    if dtype.kind == "u":
        return np.dtype(np.uint64)
    return dtype


def _reduced_shape(shape: tuple, axes: tuple[int, ...], keepdims: bool) -> tuple:
    if keepdims:
        return tuple(1 if i in axes else d for i, d in enumerate(shape))
    return tuple(d for i, d in enumerate(shape) if i not in axes)


class _Reduce(Function):
    def __init__(self, axis: Any, keepdims: bool) -> None:
        self.axis = axis
        self.keepdims = keepdims

    def _setup_axes(self, x: Any) -> tuple:
        check.numeric(self.op_name, "x", x)
        self.keepdims = check.boolean(self.op_name, "keepdims", self.keepdims)
        self.axes = check.axes(self.op_name, "axis", self.axis, len(x.shape))
        return _reduced_shape(tuple(x.shape), self.axes, self.keepdims)

    def _grad_to_input(self, gy: Any) -> Any:
        # reduced leading axes broadcast back without size-1 axes (a full reduction's 0-d
        # gradient, the mean of a loss: one node less)
        if not self.keepdims and self.axes and self.axes != tuple(range(len(self.axes))):
            gy = F.expand_dims(gy, self.axes)
        return self.broadcast_to_input(gy, 0)


class _Accumulate(_Reduce):
    """sum / prod: the array method ``reducer``, integers accumulated in 64 bits, floats in
    their accumulation dtype, the result in the output dtype."""

    reducer = "sum"

    def setup(self, x: Any) -> tuple[TensorSpec, ...]:
        shape = self._setup_axes(x)
        dtype = np.dtype(x.dtype)
        self.out_dtype = _integer_accumulator(dtype)
        return (TensorSpec(shape, self.out_dtype),)

    def forward(self, xp: Any, x: Any) -> tuple[Any, ...]:
        acc = accumulation_dtype(self.out_dtype)
        y = getattr(x, self.reducer)(axis=self.axes, keepdims=self.keepdims, dtype=acc)
        return (xp.asarray(y, dtype=self.out_dtype),)


class Sum(_Accumulate):
    """Sum over axes."""

    op_name = "sum"

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        return (self._grad_to_input(grad_outputs[0]),)


class _CountOf(Function):
    """Number of elements of ``x`` over ``axes``, as a 0-d array (run-time sizes in graphs)."""

    op_name = "count"

    def __init__(self, axes: tuple[int, ...], dtype: Any) -> None:
        self.axes = axes
        self.dtype = np.dtype(dtype)

    def setup(self, x: Any) -> tuple[TensorSpec, ...]:
        return (TensorSpec((), self.dtype),)

    def forward(self, xp: Any, x: Any) -> tuple[Any, ...]:
        return (xp.asarray(math.prod(x.shape[a] for a in self.axes), dtype=self.dtype),)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        return (None,)


class Mean(_Reduce):
    """Mean over axes."""

    op_name = "mean"

    def setup(self, x: Any) -> tuple[TensorSpec, ...]:
        shape = self._setup_axes(x)
        self.out_dtype = real_dtype(x.dtype)
        return (TensorSpec(shape, self.out_dtype),)

    def forward(self, xp: Any, x: Any) -> tuple[Any, ...]:
        acc = accumulation_dtype(self.out_dtype)
        y = x.mean(axis=self.axes, keepdims=self.keepdims, dtype=acc)
        return (xp.asarray(y, dtype=self.out_dtype),)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        g = self._grad_to_input(grad_outputs[0])
        shape = self._in_specs[0].shape
        sizes = [shape[a] for a in self.axes]
        if None in sizes:
            return (g / _CountOf(self.axes, self.out_dtype).apply1(self.inputs[0]),)
        n = math.prod(sizes)
        # n == 0: x is empty, so is g (already broadcast to x's shape): nothing to scale.
        return (g * (1.0 / n) if n > 1 else g,)


def sum(  # noqa: A001
    x: Any, axis: Any = None, keepdims: bool = False, *, name: str | None = None
) -> Any:
    """Sum of elements over the given axes.

    .. math::
        y = \\sum_{i \\in \\text{axis}} x_i

    Args:
        x (array, Variable or SymbolicVariable): Input of any shape.
        axis (int or tuple of int, optional): Axes to reduce; negative values count from the
            end. Default ``None``: every axis.
        keepdims (bool): Keep the reduced axes with size 1. Default ``False``.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as ``x``: the reduced shape (a 0-d array for a full reduction); the floating
        dtype of ``x``, or for bool and integer inputs int64 (uint64 for unsigned ones), as
        NumPy and PyTorch do, so that small integer dtypes do not wrap around. float16 is
        accumulated in float32.

    Raises:
        ShapeError: an axis is out of range.
        ArgumentError: an axis is repeated, or ``keepdims`` is not a bool.

    Notes:
        Gradient: the upstream gradient broadcast back over the reduced axes. Equivalent to
        ``nnabla.functions.sum(x, axis, keepdims)`` and ``reduce_sum(x)`` (all axes).
        A 0-d input has no axis 0 (NumPy's rule, ShapeError); PyTorch accepts ``dim`` 0 or -1
        there.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.sum(np.array([[1.0, 2.0], [3.0, 4.0]], np.float32), axis=1)
        array([3., 7.], dtype=float32)
    """
    return Sum(axis, keepdims).apply1(x, name=name)


def mean(x: Any, axis: Any = None, keepdims: bool = False, *, name: str | None = None) -> Any:
    """Arithmetic mean over the given axes.

    .. math::
        y = \\frac{1}{n} \\sum_{i \\in \\text{axis}} x_i

    Args:
        x (array, Variable or SymbolicVariable): Input of any shape; integer and bool inputs
            give float32.
        axis (int or tuple of int, optional): Axes to reduce. Default ``None``: every axis.
        keepdims (bool): Keep the reduced axes with size 1. Default ``False``.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as ``x``: the reduced shape, the floating dtype of ``x``. float16 is
        accumulated in float32. The mean of an empty axis is NaN (NumPy warns).

    Raises:
        ShapeError: an axis is out of range.
        ArgumentError: an axis is repeated, or ``keepdims`` is not a bool.

    Notes:
        Gradient: the upstream gradient divided by ``n``, broadcast back over the reduced axes.
        Equivalent to ``nnabla.functions.mean(x, axis, keepdims)`` and ``reduce_mean(x)``.
        A 0-d input has no axis 0 (NumPy's rule, ShapeError); PyTorch accepts ``dim`` 0 or -1
        there.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.mean(np.array([[1.0, 2.0], [3.0, 4.0]]), axis=0)
        array([2., 3.])
    """
    return Mean(axis, keepdims).apply1(x, name=name)
