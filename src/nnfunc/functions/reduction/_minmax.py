"""max and min (optionally with their indices) and prod over axes."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import nnfunc.functions as F
from nnfunc.core import check
from nnfunc.core.dtypes import accumulation_dtype
from nnfunc.core.function import Function
from nnfunc.core.spec import TensorSpec
from nnfunc.errors import ShapeError
from nnfunc.functions.reduction._sum import _Accumulate, _reduced_shape

__all__ = ["max", "min", "prod"]

_INDEX = np.dtype(np.int64)


def _to_last(xp: Any, x: Any, axes: tuple[int, ...]) -> Any:
    """``x`` with ``axes`` moved to the end and flattened into one: shape ``(kept..., K)``."""
    kept = tuple(d for i, d in enumerate(x.shape) if i not in axes)
    k = math.prod(x.shape[a] for a in axes)
    if axes and axes != tuple(range(x.ndim - len(axes), x.ndim)):
        x = xp.moveaxis(x, axes, tuple(range(x.ndim - len(axes), x.ndim)))
    return x.reshape(kept + (k,))


def _from_last(xp: Any, y: Any, shape: tuple[int, ...], axes: tuple[int, ...]) -> Any:
    """Inverse of :func:`_to_last` for an array of the flattened shape."""
    n = len(shape)
    moved = tuple(d for i, d in enumerate(shape) if i not in axes) + tuple(shape[a] for a in axes)
    y = y.reshape(moved)
    if axes and axes != tuple(range(n - len(axes), n)):
        y = xp.moveaxis(y, tuple(range(n - len(axes), n)), axes)
    return y


def _arg(xp: Any, flat: Any, mode: str) -> Any:
    return flat.argmax(axis=-1) if mode == "max" else flat.argmin(axis=-1)


class _ArgMask(Function):
    """Boolean mask of ``x``'s shape, true at the first maximum (minimum) over ``axes``."""

    op_name = "arg_mask"

    def __init__(self, axes: tuple[int, ...], mode: str) -> None:
        self.axes = axes
        self.mode = mode

    def setup(self, x: Any) -> tuple[TensorSpec, ...]:
        return (TensorSpec(tuple(x.shape), np.dtype(bool)),)

    def forward(self, xp: Any, x: Any) -> tuple[Any, ...]:
        flat = _to_last(xp, x, self.axes)
        idx = _arg(xp, flat, self.mode)
        mask = xp.zeros(flat.shape, dtype=bool)
        xp.put_along_axis(mask, idx[..., None], True, axis=-1)
        return (_from_last(xp, mask, x.shape, self.axes),)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        return (None,)


class _Extremum(Function):
    retain_in = (0,)
    mode = "max"

    def __init__(self, axis: Any, keepdims: bool, with_index: bool) -> None:
        self.axis = axis
        self.keepdims = keepdims
        self.with_index = with_index

    def setup(self, x: Any) -> tuple[TensorSpec, ...]:
        check.numeric(self.op_name, "x", x)
        self.keepdims = check.boolean(self.op_name, "keepdims", self.keepdims)
        self.axes = check.axes(self.op_name, "axis", self.axis, len(x.shape))
        if any(x.shape[a] == 0 for a in self.axes):
            raise ShapeError(
                check.message(
                    self.op_name,
                    "x",
                    "not be empty along the reduced axes",
                    **{"x.shape": tuple(x.shape)},
                    axis=self.axis,
                )
            )
        shape = _reduced_shape(tuple(x.shape), self.axes, self.keepdims)
        specs = [TensorSpec(shape, np.dtype(x.dtype))]
        if self.with_index:
            specs.append(TensorSpec(shape, _INDEX))
        return tuple(specs)

    def forward(self, xp: Any, x: Any) -> tuple[Any, ...]:
        if not self.with_index:
            f = x.max if self.mode == "max" else x.min
            return (xp.asarray(f(axis=self.axes, keepdims=self.keepdims)),)
        flat = _to_last(xp, x, self.axes)
        idx = _arg(xp, flat, self.mode)
        values = xp.take_along_axis(flat, idx[..., None], axis=-1)[..., 0]
        if self.keepdims:
            shape = _reduced_shape(x.shape, self.axes, True)
            values, idx = values.reshape(shape), idx.reshape(shape)
        return (values, idx.astype(_INDEX, copy=False))

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        gy = grad_outputs[0]
        (x,) = self.retained_inputs()
        mask = _ArgMask(self.axes, self.mode).apply1(x)
        if not self.keepdims and self.axes:
            gy = F.expand_dims(gy, self.axes)
        return (F.where(mask, gy, 0),)


class IndicesOnly:
    """Mixin (before the base) for a Function of outputs ``(values, indices)`` with
    ``with_index``: only the indices (one output, no gradient)."""

    retain_in = ()

    def setup(self, x: Any) -> tuple[TensorSpec, ...]:
        self.with_index = True
        specs = super().setup(x)  # type: ignore[misc]
        return specs[1:]

    def forward(self, xp: Any, x: Any) -> tuple[Any, ...]:
        return super().forward(xp, x)[1:]  # type: ignore[misc]

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        return (None,)


class _ExtremumIndex(IndicesOnly, _Extremum):
    """Only the indices of the extremum (one output, no gradient)."""


class Max(_Extremum):
    op_name, mode = "max", "max"


class Min(_Extremum):
    op_name, mode = "min", "min"


class MaxIndex(_ExtremumIndex):
    op_name, mode = "max", "max"


class MinIndex(_ExtremumIndex):
    op_name, mode = "min", "min"


def _extremum(
    cls: type, x: Any, axis: Any, keepdims: bool, with_index: bool, only_index: bool, name: Any
) -> Any:
    with_index = check.boolean(cls.op_name, "with_index", with_index)
    only_index = check.boolean(cls.op_name, "only_index", only_index)
    if only_index:
        index_cls = MaxIndex if cls is Max else MinIndex
        return index_cls(axis, keepdims, True).apply1(x, name=name)
    if not with_index:
        return cls(axis, keepdims, False).apply1(x, name=name)
    return cls(axis, keepdims, True).apply(x, name=name)


def max(  # noqa: A001
    x: Any,
    axis: Any = None,
    keepdims: bool = False,
    with_index: bool = False,
    only_index: bool = False,
    *,
    name: str | None = None,
) -> Any:
    """Maximum over the given axes, optionally with the position of the maximum.

    .. math::
        y = \\max_{i \\in \\text{axis}} x_i

    Args:
        x (array, Variable or SymbolicVariable): Input of any shape and numeric dtype.
        axis (int or tuple of int, optional): Axes to reduce. Default ``None``: every axis.
        keepdims (bool): Keep the reduced axes with size 1. Default ``False``.
        with_index (bool): Also return the indices: ``(values, indices)``. Default ``False``.
        only_index (bool): Return only the indices (implies ``with_index``). Default
            ``False``.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        The values (dtype of ``x``), ``(values, indices)``, or the indices (int64), all with
        the reduced shape. An index is the position of the maximum in the reduced axes
        flattened in C order (for one axis, ``numpy.argmax(x, axis)``).

    Raises:
        ShapeError: an axis is out of range, or a reduced axis is empty.
        ArgumentError: an axis is repeated, or a flag is not a bool.

    Notes:
        Ties go to the lowest index, for the indices and for the gradient (all of ``gy``
        goes to the first maximum). NaN propagates as in ``numpy.max``. No gradient flows
        through the indices. Equivalent to ``nnabla.functions.max(x, axis, keepdims,
        with_index, only_index)`` (whose documentation calls the pair ``(sorted, indices)``).
        A 0-d input has no axis 0 (NumPy's rule, ShapeError); PyTorch accepts ``dim`` 0 or -1
        there.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> x = np.array([[1.0, 5.0, 5.0], [7.0, 2.0, 0.0]], np.float32)
        >>> nf.max(x, axis=1)
        array([5., 7.], dtype=float32)
        >>> nf.max(x, axis=1, only_index=True)
        array([1, 0])
    """
    return _extremum(Max, x, axis, keepdims, with_index, only_index, name)


def min(  # noqa: A001
    x: Any,
    axis: Any = None,
    keepdims: bool = False,
    with_index: bool = False,
    only_index: bool = False,
    *,
    name: str | None = None,
) -> Any:
    """Minimum over the given axes, optionally with the position of the minimum.

    .. math::
        y = \\min_{i \\in \\text{axis}} x_i

    Args:
        x (array, Variable or SymbolicVariable): Input of any shape and numeric dtype.
        axis (int or tuple of int, optional): Axes to reduce. Default ``None``: every axis.
        keepdims (bool): Keep the reduced axes with size 1. Default ``False``.
        with_index (bool): Also return the indices: ``(values, indices)``. Default ``False``.
        only_index (bool): Return only the indices (implies ``with_index``). Default
            ``False``.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        The values (dtype of ``x``), ``(values, indices)``, or the indices (int64), all with
        the reduced shape (indices into the reduced axes flattened in C order).

    Raises:
        ShapeError: an axis is out of range, or a reduced axis is empty.
        ArgumentError: an axis is repeated, or a flag is not a bool.

    Notes:
        Ties go to the lowest index, for the indices and for the gradient. Equivalent to
        ``nnabla.functions.min(x, axis, keepdims, with_index, only_index)``.
        A 0-d input has no axis 0 (NumPy's rule, ShapeError); PyTorch accepts ``dim`` 0 or -1
        there.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> x = np.array([[1.0, 5.0, 1.0], [7.0, 2.0, 0.0]], np.float32)
        >>> values, index = nf.min(x, axis=1, with_index=True)
        >>> values, index
        (array([1., 0.], dtype=float32), array([0, 2]))
    """
    return _extremum(Min, x, axis, keepdims, with_index, only_index, name)


# ----------------------------------------------------------------------------- prod
class _ProdExcl(Function):
    """For each element, the product of the OTHER elements over ``axes`` (no division)."""

    op_name = "prod_exclusive"
    retain_in = (0,)
    retain_out = (0,)

    def __init__(self, axes: tuple[int, ...]) -> None:
        self.axes = axes

    def setup(self, x: Any) -> tuple[TensorSpec, ...]:
        return (TensorSpec(tuple(x.shape), np.dtype(x.dtype)),)

    def forward(self, xp: Any, x: Any) -> tuple[Any, ...]:
        flat = _to_last(xp, x, self.axes)
        acc = accumulation_dtype(x.dtype)
        left = xp.ones(flat.shape, dtype=acc)
        right = xp.ones(flat.shape, dtype=acc)
        if flat.shape[-1] > 1:
            xp.cumprod(flat[..., :-1], axis=-1, dtype=acc, out=left[..., 1:])
            rev = xp.cumprod(flat[..., :0:-1], axis=-1, dtype=acc)
            right[..., :-1] = rev[..., ::-1]
        out = (left * right).astype(x.dtype, copy=False)
        return (_from_last(xp, out, x.shape, self.axes),)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        # d e_i / d x_j = prod_{k != i, j} x_k, so the VJP at x_j is
        # v_j = sum_{i != j} g_i prod_{k != i, j} x_k.
        # * x_j != 0: v_j = (sum_i g_i e_i - g_j e_j) / x_j (exact for any number of zeros
        #   elsewhere: every e_i holding a zero factor vanishes on both sides).
        # * x_j == 0: with P the product of the non-zero x_k of the slice and n0 its number of
        #   zeros, v_j = P * sum_{x_i != 0} g_i / x_i if n0 == 1, P * g_z for the other zero z
        #   if n0 == 2, and 0 if n0 >= 3.
        (g,) = grad_outputs
        (x,) = self.retained_inputs()
        (e,) = self.retained_outputs()
        axes = self.axes
        zero = F.equal(x, 0)
        safe = F.where(zero, 1, x)
        ge = g * e
        total = F.sum(ge, axis=axes, keepdims=True)
        at_nonzero = (total - ge) / safe
        n0 = F.sum(F.cast(zero, x.dtype), axis=axes, keepdims=True)
        p = prod(safe, axis=axes, keepdims=True)
        one_zero = F.sum(F.where(zero, 0, g / safe), axis=axes, keepdims=True)
        two_zeros = F.sum(F.where(zero, g, 0), axis=axes, keepdims=True) - g
        at_zero = p * (F.where(F.equal(n0, 1), one_zero, 0) + F.where(F.equal(n0, 2), two_zeros, 0))
        return (F.where(zero, at_zero, at_nonzero),)


class Prod(_Accumulate):
    """Product over axes."""

    op_name = "prod"
    reducer = "prod"
    retain_in = (0,)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        (x,) = self.retained_inputs()
        return (self._grad_to_input(grad_outputs[0]) * _ProdExcl(self.axes).apply1(x),)


def prod(x: Any, axis: Any = None, keepdims: bool = False, *, name: str | None = None) -> Any:
    """Product of elements over the given axes.

    .. math::
        y = \\prod_{i \\in \\text{axis}} x_i

    Args:
        x (array, Variable or SymbolicVariable): Input of any shape and numeric dtype.
        axis (int or tuple of int, optional): Axes to reduce. Default ``None``: every axis.
        keepdims (bool): Keep the reduced axes with size 1. Default ``False``.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as ``x``: the reduced shape; the floating dtype of ``x``, or int64 for bool
        and integer inputs (uint64 for unsigned ones), as NumPy does. float16 is accumulated
        in float32. The product of an empty axis is 1.

    Raises:
        ShapeError: an axis is out of range.
        ArgumentError: an axis is repeated, or ``keepdims`` is not a bool.

    Notes:
        Gradient: ``gy`` times the product of the other elements, computed with prefix and
        suffix products (no division), so it is exact when inputs are zero (NNabla's own
        backward divides and is inaccurate there, as its documentation notes). The second
        derivative is exact too: it divides by ``x`` only at non-zero inputs and counts the
        zeros of the slice at the others. Equivalent to ``nnabla.functions.prod(x, axis,
        keepdims)``.
        A 0-d input has no axis 0 (NumPy's rule, ShapeError); PyTorch accepts ``dim`` 0 or -1
        there.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> x = nf.Variable(np.array([2.0, 0.0, 3.0]), requires_grad=True)
        >>> nf.prod(x).backward()
        >>> x.grad
        array([0., 6., 0.])
    """
    return Prod(axis, keepdims).apply1(x, name=name)
