"""Shape primitives: reshape, transpose, broadcast_to, expand_dims, squeeze, cast, sum_to.

``sum_to``, ``broadcast_to_like`` and ``reshape_like`` are the engine's gradient helpers (see
:meth:`nnfunc.core.function.Function.sum_to_input`): their target is a static shape, or, in graph
mode when some dimension is unknown, a symbolic variable whose run-time shape is used.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from nnfunc.core import check
from nnfunc.core.dtypes import accumulation_dtype, is_float
from nnfunc.core.function import Function
from nnfunc.core.spec import TensorSpec
from nnfunc.errors import ArgumentError, DTypeError, ShapeError

__all__ = [
    "broadcast_to",
    "broadcast_to_like",
    "cast",
    "expand_dims",
    "reshape",
    "reshape_like",
    "squeeze",
    "sum_to",
    "transpose",
]


def _target(target: Any) -> tuple[tuple[int | None, ...], Any]:
    """Split a shape-or-reference target into (shape, reference input or None)."""
    if getattr(target, "_is_symbolic", False):
        return tuple(target.shape), target
    return tuple(target), None


# ---------------------------------------------------------------------------- sum_to
class SumTo(Function):
    """Sum a broadcast array back to ``shape`` (the gradient of broadcasting)."""

    op_name = "sum_to"
    input_names = ("x", "ref")

    def __init__(self, shape: tuple[int | None, ...], dtype: Any = None) -> None:
        self.shape = shape
        self.dtype = dtype

    def setup(self, x: Any, ref: Any = None) -> tuple[TensorSpec, ...]:
        shape = tuple(ref.shape) if ref is not None else self.shape
        if ref is None and None in tuple(shape):
            # a graph size unknown when it is built can only come from a reference input; a
            # bare None would reach forward as a size (a raw TypeError when the graph runs)
            raise ShapeError(
                check.message(
                    self.op_name,
                    "shape",
                    "hold known sizes, or be given as a variable of the graph",
                    shape=tuple(shape),
                )
            )
        dtype = np.dtype(x.dtype if self.dtype is None else self.dtype)
        return (TensorSpec(shape, dtype),)

    def forward(self, xp: Any, x: Any, ref: Any = None) -> tuple[Any, ...]:
        shape = ref.shape if ref is not None else self.shape
        dtype = x.dtype if self.dtype is None else np.dtype(self.dtype)
        if x.shape != shape:
            lead = x.ndim - len(shape)
            axes = tuple(range(lead)) + tuple(
                i + lead for i, s in enumerate(shape) if s == 1 and x.shape[i + lead] != 1
            )
            acc = accumulation_dtype(x.dtype) if is_float(x.dtype) else x.dtype
            x = x.sum(axis=axes, keepdims=True, dtype=acc)
            if lead:
                x = x.reshape(shape)
        return (x.astype(dtype, copy=False),)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        (gy,) = grad_outputs
        gx = self.broadcast_to_input(gy, 0)
        if gx.dtype != self._in_specs[0].dtype:
            gx = cast(gx, self._in_specs[0].dtype)
        return (gx, None)


def sum_to(x: Any, target: Any, dtype: Any = None) -> Any:
    """Sum ``x`` over broadcast dimensions down to ``target`` (a shape or a symbolic variable)."""
    shape, ref = _target(target)
    if ref is None and tuple(x.shape) == shape and (dtype is None or x.dtype == dtype):
        return x
    return SumTo(shape, dtype).apply1(x, ref)


# ---------------------------------------------------------------------------- broadcast
class BroadcastTo(Function):
    """Broadcast ``x`` to a shape (NumPy rules)."""

    op_name = "broadcast_to"
    input_names = ("x", "ref")

    def __init__(self, shape: Any) -> None:
        self.shape = shape

    def setup(self, x: Any, ref: Any = None) -> tuple[TensorSpec, ...]:
        if ref is not None:
            shape = tuple(ref.shape)
        else:
            shape = self.shape
            if not isinstance(shape, (tuple, list)) or not all(
                isinstance(d, (int, np.integer)) and d >= 0 for d in shape
            ):
                raise ArgumentError(
                    check.message(
                        self.op_name, "shape", "be a sequence of non-negative ints", shape=shape
                    )
                )
            shape = tuple(int(d) for d in shape)
        xs = tuple(x.shape)
        ok = len(xs) <= len(shape) and all(
            a is None or b is None or a in (1, b)
            for a, b in zip(xs, shape[len(shape) - len(xs) :], strict=True)
        )
        if not ok:
            raise ShapeError(
                check.message(
                    self.op_name,
                    "x",
                    "be broadcastable to `shape`",
                    **{"x.shape": xs, "shape": shape},
                )
            )
        return (TensorSpec(shape, np.dtype(x.dtype)),)

    def forward(self, xp: Any, x: Any, ref: Any = None) -> tuple[Any, ...]:
        shape = ref.shape if ref is not None else self.shape
        return (xp.broadcast_to(x, shape),)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        return (self.sum_to_input(grad_outputs[0], 0), None)


def broadcast_to(x: Any, shape: Any, *, name: str | None = None) -> Any:
    """Broadcast an array to a new shape, NumPy rules.

    .. math::
        y[i_1, \\ldots, i_n] = x[j_1, \\ldots, j_m], \\quad j_k = 0 \\text{ where } x
        \\text{ has size 1, else } i_{k + n - m}

    Args:
        x (array, Variable or SymbolicVariable): Input; its shape must be broadcastable to
            ``shape`` (trailing dimensions aligned, each 1 or equal).
        shape (tuple of int, or a tensor): Target shape, or a tensor whose shape is taken.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as ``x``: shape ``shape``, dtype of ``x`` (a read-only view in array mode).

    Raises:
        ArgumentError: ``shape`` is not a sequence of non-negative ints.
        ShapeError: ``x`` cannot be broadcast to ``shape``.

    Notes:
        Gradient: the upstream gradient summed over the broadcast dimensions.
        Equivalent to ``nnabla.functions.broadcast(x, shape)`` and, with a tensor target,
        ``nnabla.functions.broadcast_to(x, y)``; ``numpy.broadcast_to``.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.broadcast_to(np.array([1.0, 2.0], np.float32), (2, 2))
        array([[1., 2.],
               [1., 2.]], dtype=float32)
    """
    if hasattr(shape, "shape") and not isinstance(shape, (tuple, list)):
        if getattr(shape, "_is_symbolic", False):
            return BroadcastTo(None).apply1(x, shape, name=name)
        shape = tuple(shape.shape)
    return BroadcastTo(shape).apply1(x, name=name)


def _to_target(fn: type[Function], x: Any, target: Any) -> Any:
    """``x`` through ``fn`` (BroadcastTo, Reshape) to ``target`` (a shape or a symbolic
    variable); ``x`` itself when its known shape is that shape already."""
    shape, ref = _target(target)
    if ref is None:
        if tuple(x.shape) == shape:
            return x
        return fn(shape).apply1(x)
    return fn(None).apply1(x, ref)


def broadcast_to_like(x: Any, target: Any) -> Any:
    """Broadcast ``x`` to ``target`` (a shape or a symbolic variable)."""
    return _to_target(BroadcastTo, x, target)


# ---------------------------------------------------------------------------- reshape
class Reshape(Function):
    """Change the shape, keeping the elements in C order."""

    op_name = "reshape"
    input_names = ("x", "ref")

    def __init__(self, shape: Any) -> None:
        self.shape = shape

    def setup(self, x: Any, ref: Any = None) -> tuple[TensorSpec, ...]:
        if ref is not None:
            return (TensorSpec(tuple(ref.shape), np.dtype(x.dtype)),)
        shape = self.shape
        if isinstance(shape, (int, np.integer)):
            shape = (shape,)
        if not isinstance(shape, (tuple, list)) or not all(
            isinstance(d, (int, np.integer)) and d >= -1 for d in shape
        ):
            raise ArgumentError(
                check.message(
                    self.op_name, "shape", "be a sequence of ints >= -1", shape=self.shape
                )
            )
        shape = tuple(int(d) for d in shape)
        if shape.count(-1) > 1:
            raise ArgumentError(
                check.message(self.op_name, "shape", "contain at most one -1", shape=shape)
            )
        xs = tuple(x.shape)
        if None in xs:
            out = tuple(None if d == -1 else d for d in shape)
            self.shape = shape
            return (TensorSpec(out, np.dtype(x.dtype)),)
        size = math.prod(xs)
        known = math.prod(d for d in shape if d != -1)
        if -1 in shape:
            if known == 0 or size % known:
                raise ShapeError(
                    check.message(
                        self.op_name,
                        "shape",
                        "fit the input's size",
                        shape=shape,
                        **{"x.shape": xs},
                    )
                )
            shape = tuple(size // known if d == -1 else d for d in shape)
        elif known != size:
            raise ShapeError(
                check.message(
                    self.op_name, "shape", "fit the input's size", shape=shape, **{"x.shape": xs}
                )
            )
        self.shape = shape
        return (TensorSpec(shape, np.dtype(x.dtype)),)

    def forward(self, xp: Any, x: Any, ref: Any = None) -> tuple[Any, ...]:
        return (x.reshape(ref.shape if ref is not None else self.shape),)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        return (self.reshape_to_input(grad_outputs[0], 0), None)


def reshape(x: Any, shape: Any, *, name: str | None = None) -> Any:
    """Give an array a new shape without changing its elements (C order).

    .. math::
        \\operatorname{ravel}(y) = \\operatorname{ravel}(x)

    Args:
        x (array, Variable or SymbolicVariable): Input of any shape and dtype.
        shape (int or tuple of int): New shape; one entry may be ``-1`` (inferred).
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as ``x``: shape ``shape``, dtype of ``x``.

    Raises:
        ArgumentError: ``shape`` holds something other than ints >= -1, or several ``-1``.
        ShapeError: the sizes differ.

    Notes:
        Gradient: the upstream gradient reshaped back. Equivalent to
        ``nnabla.functions.reshape(x, shape)`` (``inplace`` has no meaning here) and
        ``numpy.reshape``.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.reshape(np.arange(6.0), (2, -1))
        array([[0., 1., 2.],
               [3., 4., 5.]])
    """
    return Reshape(shape).apply1(x, name=name)


def reshape_like(x: Any, target: Any) -> Any:
    """Reshape ``x`` to ``target`` (a shape or a symbolic variable)."""
    return _to_target(Reshape, x, target)


# ---------------------------------------------------------------------------- transpose
class Transpose(Function):
    """Permute the axes."""

    op_name = "transpose"

    def __init__(self, axes: Any) -> None:
        self.axes = axes

    def setup(self, x: Any) -> tuple[TensorSpec, ...]:
        n = len(x.shape)
        if self.axes is None:
            axes = tuple(range(n - 1, -1, -1))
        else:
            raw = self.axes
            if not isinstance(raw, (tuple, list)) or not all(
                isinstance(a, (int, np.integer)) for a in raw
            ):
                raise ArgumentError(
                    check.message(self.op_name, "axes", "be a sequence of ints", axes=raw)
                )
            axes = tuple(int(a) % n if -n <= a < n else n for a in raw)
            if len(axes) != n or sorted(axes) != list(range(n)):
                raise ArgumentError(
                    check.message(
                        self.op_name,
                        "axes",
                        f"be a permutation of the {n} axes",
                        axes=tuple(raw),
                        **{"x.shape": tuple(x.shape)},
                    )
                )
        self.axes = axes
        return (TensorSpec(tuple(x.shape[a] for a in axes), np.dtype(x.dtype)),)

    def forward(self, xp: Any, x: Any) -> tuple[Any, ...]:
        return (x.transpose(self.axes),)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        inverse = tuple(int(i) for i in np.argsort(self.axes))
        return (Transpose(inverse).apply1(grad_outputs[0]),)


def transpose(x: Any, axes: Any = None, *, name: str | None = None) -> Any:
    """Permute the axes of an array.

    .. math::
        y[i_0, \\ldots, i_{n-1}] = x[j_0, \\ldots, j_{n-1}], \\quad j_{a_k} = i_k

    Args:
        x (array, Variable or SymbolicVariable): Input of any shape and dtype.
        axes (tuple of int, optional): Permutation: output axis ``i`` is input axis
            ``axes[i]``; negative values count from the end. Default: reverse the axes.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as ``x``: shape ``tuple(x.shape[a] for a in axes)``, dtype of ``x``.

    Raises:
        ArgumentError: ``axes`` is not a permutation of the input's axes.

    Notes:
        Gradient: the upstream gradient transposed by the inverse permutation. Equivalent to
        ``nnabla.functions.transpose(x, axes)`` and ``numpy.transpose``.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.transpose(np.arange(6).reshape(2, 3), (1, 0)).shape
        (3, 2)
    """
    return Transpose(axes).apply1(x, name=name)


# ---------------------------------------------------------------------------- expand/squeeze
class ExpandDims(Function):
    """Insert axes of size 1."""

    op_name = "expand_dims"

    def __init__(self, axis: Any) -> None:
        self.axis = axis

    def setup(self, x: Any) -> tuple[TensorSpec, ...]:
        raw = self.axis if isinstance(self.axis, (tuple, list)) else (self.axis,)
        n = len(x.shape) + len(raw)
        try:
            axes = check.axes(self.op_name, "axis", raw, n)
        except ShapeError:
            raise ShapeError(
                check.message(
                    self.op_name,
                    "axis",
                    f"be in [-{n}, {n}) for an output of rank {n}",
                    axis=self.axis,
                )
            ) from None
        self.axis = axes
        dims = iter(x.shape)
        shape = tuple(1 if i in axes else next(dims) for i in range(n))
        return (TensorSpec(shape, np.dtype(x.dtype)),)

    def forward(self, xp: Any, x: Any) -> tuple[Any, ...]:
        return (xp.expand_dims(x, self.axis),)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        return (Squeeze(self.axis).apply1(grad_outputs[0]),)


def expand_dims(x: Any, axis: Any, *, name: str | None = None) -> Any:
    """Insert axes of size 1.

    .. math::
        \\operatorname{ravel}(y) = \\operatorname{ravel}(x), \\quad
        y.\\text{shape} = x.\\text{shape} \\text{ with 1s inserted at axis}

    Args:
        x (array, Variable or SymbolicVariable): Input of any shape and dtype.
        axis (int or tuple of int): Positions of the new axes in the output.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as ``x``: rank ``x.ndim + len(axis)``, dtype of ``x``.

    Raises:
        ShapeError: an axis is out of range for the output rank.
        ArgumentError: an axis is repeated or not an int.

    Notes:
        Gradient: the upstream gradient with those axes squeezed. ``numpy.expand_dims``.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.expand_dims(np.zeros((2, 3)), (0, -1)).shape
        (1, 2, 3, 1)
    """
    return ExpandDims(axis).apply1(x, name=name)


class Squeeze(Function):
    """Remove axes of size 1."""

    op_name = "squeeze"
    _unknown: tuple[int, ...] = ()  # axis=None in a graph: the axes of unknown size then

    def __init__(self, axis: Any) -> None:
        self.axis = axis

    def setup(self, x: Any) -> tuple[TensorSpec, ...]:
        n = len(x.shape)
        for i in self._unknown:
            # a graph built with axis=None removed the axes of size 1 it knew; one unknown then
            # that has size 1 now would be removed by eager squeeze: refuse rather than differ
            if x.shape[i] == 1:
                raise ShapeError(
                    check.message(
                        self.op_name,
                        "axis",
                        f"be given when an axis of unknown size (axis {i} when the graph was "
                        "built) has size 1 when it runs",
                        axis=None,
                        **{"x.shape": tuple(x.shape)},
                    )
                )
        if self.axis is None:
            self._unknown = tuple(i for i, d in enumerate(x.shape) if d is None)
            axes = tuple(i for i, d in enumerate(x.shape) if d == 1)
        else:
            axes = check.axes(self.op_name, "axis", self.axis, n)
            for a in axes:
                if x.shape[a] not in (1, None):
                    raise ShapeError(
                        check.message(
                            self.op_name,
                            "axis",
                            "name axes of size 1",
                            axis=self.axis,
                            **{"x.shape": tuple(x.shape)},
                        )
                    )
        self.axis = axes
        return (
            TensorSpec(tuple(d for i, d in enumerate(x.shape) if i not in axes), np.dtype(x.dtype)),
        )

    def forward(self, xp: Any, x: Any) -> tuple[Any, ...]:
        return (x.reshape(tuple(d for i, d in enumerate(x.shape) if i not in self.axis)),)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        return (ExpandDims(self.axis).apply1(grad_outputs[0]),)


def squeeze(x: Any, axis: Any = None, *, name: str | None = None) -> Any:
    """Remove axes of size 1.

    .. math::
        \\operatorname{ravel}(y) = \\operatorname{ravel}(x), \\quad
        y.\\text{shape} = x.\\text{shape} \\text{ without the size-1 axes}

    Args:
        x (array, Variable or SymbolicVariable): Input of any shape and dtype.
        axis (int or tuple of int, optional): Axes to remove; each must have size 1. Default:
            every axis of size 1.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as ``x``: the shape without those axes, dtype of ``x``.

    Raises:
        ShapeError: an axis is out of range or does not have size 1; in a graph built with
            ``axis=None`` (which removes the axes known to have size 1), an axis of unknown size
            has size 1 when the graph runs (eager would remove it: give ``axis``).

    Notes:
        Gradient: the upstream gradient with the axes re-inserted. ``numpy.squeeze``.
        An ``axis`` whose size is not 1, or any axis of a 0-d input, raises ShapeError
        (``numpy.squeeze``; a silent no-op hides shape bugs); PyTorch's ``squeeze(dim)`` is a no-op
        there.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.squeeze(np.zeros((1, 2, 1)), axis=0).shape
        (2, 1)
    """
    return Squeeze(axis).apply1(x, name=name)


# ---------------------------------------------------------------------------- cast
class Cast(Function):
    """Convert to another dtype."""

    op_name = "cast"

    def __init__(self, dtype: Any) -> None:
        self.dtype = dtype

    def setup(self, x: Any) -> tuple[TensorSpec, ...]:
        try:
            self.dtype = np.dtype(self.dtype)
        except TypeError:
            raise ArgumentError(
                check.message(self.op_name, "dtype", "be a NumPy dtype", dtype=self.dtype)
            ) from None
        if self.dtype.kind not in "biuf":
            raise DTypeError(
                check.message(
                    self.op_name, "dtype", "be a bool, integer or float dtype", dtype=self.dtype
                )
            )
        return (TensorSpec(tuple(x.shape), self.dtype),)

    def forward(self, xp: Any, x: Any) -> tuple[Any, ...]:
        return (x.astype(self.dtype),)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        if self.dtype.kind != "f":
            return (None,)
        return (Cast(self._in_specs[0].dtype).apply1(grad_outputs[0]),)


def cast(x: Any, dtype: Any, *, name: str | None = None) -> Any:
    """Convert an array to another dtype.

    .. math::
        y = \\operatorname{dtype}(x) \\text{ (truncation towards 0 for float to int)}

    Args:
        x (array, Variable or SymbolicVariable): Input of any shape and dtype.
        dtype: Target dtype (bool, integer or floating).
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as ``x``: shape of ``x``, dtype ``dtype``.

    Raises:
        ArgumentError: ``dtype`` is not a dtype.
        DTypeError: ``dtype`` is not bool, integer or floating.

    Notes:
        Gradient: cast back to the input dtype between floating dtypes; none through an
        integer or bool result. ``numpy.ndarray.astype``.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.cast(np.array([1.7, -1.7]), np.int32)
        array([ 1, -1], dtype=int32)
    """
    return Cast(dtype).apply1(x, name=name)
