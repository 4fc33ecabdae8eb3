"""Joining and splitting: concatenate, stack, split (NNabla's unstack)."""

from __future__ import annotations

from typing import Any

import numpy as np

import nnfunc.functions as F
from nnfunc.core import check
from nnfunc.core.function import Function
from nnfunc.core.spec import TensorSpec
from nnfunc.errors import ArgumentError, ShapeError

__all__ = ["concatenate", "split", "stack"]


def _tensors(op: str, x: tuple[Any, ...]) -> tuple[Any, ...]:
    if len(x) == 1 and isinstance(x[0], (list, tuple)):
        x = tuple(x[0])
    if not x:
        raise ArgumentError(check.message(op, "x", "hold at least one tensor", n=0))
    return x


def _out_axis(op: str, axis: Any, rank: int) -> int:
    """An axis of the OUTPUT (of rank ``rank``), normalised into ``[0, rank)``."""
    try:
        return check.axis(op, "axis", axis, rank)
    except ShapeError:
        raise ShapeError(
            check.message(
                op, "axis", f"be in [-{rank}, {rank}) for an output of rank {rank}", axis=axis
            )
        ) from None


def _names(n: int) -> tuple[str, ...]:
    return tuple(f"x[{i}]" for i in range(n))


class _Join(Function):
    """``n`` tensors joined along ``axis`` by the array function ``joiner`` (NumPy's result
    dtype, the shape from ``_joined_shape``); the gradient is ``gy`` split back into its
    parts, each in its input's dtype."""

    joiner: str

    def __init__(self, n: int, axis: Any, op: str | None = None) -> None:
        self.input_names = _names(n)
        self.axis = axis
        if op is not None:  # a function built on it (crelu on concatenate): errors carry its name
            self.op_name = op

    def _joined_shape(self, shapes: list[tuple]) -> tuple:
        """The output shape from the input shapes (and ``self.axis`` normalised)."""
        raise NotImplementedError

    def setup(self, *xs: Any) -> tuple[TensorSpec, ...]:
        shape = self._joined_shape([tuple(x.shape) for x in xs])
        self.out_dtype = np.result_type(*(x.dtype for x in xs))
        return (TensorSpec(shape, self.out_dtype),)

    def forward(self, xp: Any, *xs: Any) -> tuple[Any, ...]:
        return (getattr(xp, self.joiner)(xs, axis=self.axis, dtype=self.out_dtype),)

    def _input_grads(self, target_indexes: Any, parts: Any) -> tuple[Any, ...]:
        out: list[Any] = []
        for i, g in enumerate(parts):
            dtype = self._in_specs[i].dtype
            out.append(
                None if i not in target_indexes else g if g.dtype == dtype else F.cast(g, dtype)
            )
        return tuple(out)


class Concatenate(_Join):
    op_name = "concatenate"
    joiner = "concatenate"

    def _joined_shape(self, shapes: list[tuple]) -> tuple:
        rank = len(shapes[0])
        if rank == 0 or any(len(s) != rank for s in shapes):
            raise ShapeError(
                check.message(
                    self.op_name,
                    "x",
                    "hold tensors of one rank >= 1",
                    shapes=shapes,
                )
            )
        axis = check.axis(self.op_name, "axis", self.axis, rank)
        self.axis = axis
        out = []
        for d in range(rank):
            dims = [s[d] for s in shapes]
            if d == axis:
                out.append(None if None in dims else sum(dims))
                continue
            known = {v for v in dims if v is not None}
            if len(known) > 1:
                raise ShapeError(
                    check.message(
                        self.op_name,
                        "x",
                        f"have equal sizes except along axis {axis}",
                        shapes=shapes,
                    )
                )
            out.append(known.pop() if known else None)
        self.sizes = tuple(s[axis] for s in shapes)
        return tuple(out)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        (gy,) = grad_outputs
        if None in self.sizes:
            parts = _ConcatSplit(self.axis).apply(gy, *self.inputs)
        else:
            parts, start = [], 0
            for size in self.sizes:
                key = (slice(None),) * self.axis + (slice(start, start + size),)
                parts.append(F.getitem(gy, key))
                start += size
        return self._input_grads(target_indexes, parts)


class _ConcatSplit(Function):
    """Split ``gy`` along ``axis`` into the sizes of the reference inputs (run-time sizes)."""

    op_name = "concatenate_grad"

    def __init__(self, axis: int) -> None:
        self.axis = axis

    def setup(self, gy: Any, *refs: Any) -> tuple[TensorSpec, ...]:
        self.input_names = ("gy",) + _names(len(refs))
        out = []
        for r in refs:
            shape = list(gy.shape)
            shape[self.axis] = r.shape[self.axis]
            out.append(TensorSpec(tuple(shape), np.dtype(gy.dtype)))
        return tuple(out)

    def forward(self, xp: Any, gy: Any, *refs: Any) -> tuple[Any, ...]:
        bounds = np.cumsum([r.shape[self.axis] for r in refs])[:-1]
        return tuple(xp.split(gy, bounds, axis=self.axis))

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        return (Concatenate(len(grad_outputs), self.axis).apply1(*grad_outputs),) + (None,) * (
            len(grad_outputs)
        )


def concatenate(*x: Any, axis: int = -1, name: str | None = None) -> Any:
    """Join tensors along an existing axis.

    .. math::
        y = [x^{(0)}, x^{(1)}, \\ldots] \\text{ along } \\text{axis}

    Args:
        *x (arrays, Variables or SymbolicVariables): One or more tensors of one rank (>= 1)
            whose sizes agree except along ``axis``; a single list or tuple of tensors is
            accepted too.
        axis (int): The joining axis; negative counts from the end. Default ``-1`` (the last
            axis, NNabla's default; ``numpy.concatenate`` uses 0).
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as the inputs: the joined shape, NumPy's result dtype of the inputs.

    Raises:
        ArgumentError: no tensor is given.
        ShapeError: the ranks differ, a tensor is 0-d, the other sizes differ, or ``axis``
            is out of range.

    Notes:
        Gradient: the matching slice of ``gy`` for each input. Equivalent to
        ``nnabla.functions.concatenate(*x, axis=...)``.
        The inputs must have one rank (``numpy.concatenate``); PyTorch's ``cat`` skips 1-D empty
        tensors whatever the other ranks.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.concatenate(np.zeros((2, 1)), np.ones((2, 2)))
        array([[0., 1., 1.],
               [0., 1., 1.]])
    """
    xs = _tensors("concatenate", x)
    return Concatenate(len(xs), axis).apply1(*xs, name=name)


class Stack(_Join):
    op_name = "stack"
    joiner = "stack"

    def _joined_shape(self, shapes: list[tuple]) -> tuple:
        rank = len(shapes[0])
        ok = all(len(s) == rank for s in shapes) and all(
            len({v for v in dims if v is not None}) <= 1 for dims in zip(*shapes)
        )
        if not ok:
            raise ShapeError(check.message(self.op_name, "x", "have one shape", shapes=shapes))
        self.axis = _out_axis(self.op_name, self.axis, rank + 1)
        common = tuple(next((v for v in dims if v is not None), None) for dims in zip(*shapes))
        return common[: self.axis] + (len(shapes),) + common[self.axis :]

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        return self._input_grads(target_indexes, Split(self.axis).apply(grad_outputs[0]))


def stack(*x: Any, axis: int = 0, name: str | None = None) -> Any:
    """Join tensors of one shape along a new axis.

    .. math::
        y[\\ldots, i, \\ldots] = x^{(i)} \\text{ (} i \\text{ at position axis)}

    Args:
        *x (arrays, Variables or SymbolicVariables): One or more tensors of the same shape;
            a single list or tuple of tensors is accepted too.
        axis (int): Position of the new axis in the output, in ``[-(r + 1), r]`` for inputs
            of rank ``r``. Default ``0``.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as the inputs: rank ``r + 1`` with ``len(x)`` at ``axis``; NumPy's result
        dtype of the inputs.

    Raises:
        ArgumentError: no tensor is given.
        ShapeError: the shapes differ, or ``axis`` is out of range.

    Notes:
        Gradient: ``gy`` split along ``axis``. Equivalent to
        ``nnabla.functions.stack(*x, axis=...)`` (four ``(3, 28, 28)`` inputs with
        ``axis=1`` give ``(3, 4, 28, 28)``) and ``numpy.stack``.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> [nf.stack(*[np.zeros((3, 28, 28))] * 4, axis=1).shape]
        [(3, 4, 28, 28)]
    """
    xs = _tensors("stack", x)
    return Stack(len(xs), axis).apply1(*xs, name=name)


class Split(Function):
    op_name = "split"

    def __init__(self, axis: Any) -> None:
        self.axis = axis

    def setup(self, x: Any) -> tuple[TensorSpec, ...]:
        shape = tuple(x.shape)
        rank = check.ndim_at_least(self.op_name, "x", x, 1)
        self.axis = check.axis(self.op_name, "axis", self.axis, rank)
        n = shape[self.axis]
        if n is None or n == 0:
            req = "have a known size along `axis`" if n is None else "not be empty along `axis`"
            raise ShapeError(
                check.message(self.op_name, "x", req, **{"x.shape": shape}, axis=self.axis)
            )
        rest = shape[: self.axis] + shape[self.axis + 1 :]
        return tuple(TensorSpec(rest, np.dtype(x.dtype)) for _ in range(n))

    def forward(self, xp: Any, x: Any) -> tuple[Any, ...]:
        moved = xp.moveaxis(x, self.axis, 0)
        return tuple(moved[i] for i in range(moved.shape[0]))

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        return (Stack(len(grad_outputs), self.axis).apply1(*grad_outputs),)


def split(x: Any, axis: int = 0, *, name: str | None = None) -> tuple[Any, ...]:
    """Unstack a tensor along an axis into ``x.shape[axis]`` tensors (NNabla's ``split``).

    .. math::
        y^{(i)} = x[\\ldots, i, \\ldots] \\text{ (} i \\text{ at position axis)}

    Args:
        x (array, Variable or SymbolicVariable): Input of rank >= 1.
        axis (int): The axis to unstack (removed from every output). Default ``0``.
        name (str, optional): Node name in graph mode (outputs are ``name:0``, ``name:1``, ...).

    Returns:
        tuple: ``x.shape[axis]`` tensors of the same kind as ``x``, each of shape ``x.shape``
        without ``axis`` (views in array mode).

    Raises:
        ShapeError: ``x`` is 0-d, ``axis`` is out of range, or the axis is empty or of unknown
            size.

    Notes:
        Unlike ``numpy.split`` (sections), this is an unstack: the inverse of :func:`stack`.
        Gradient: the output gradients stacked along ``axis`` (zeros for unused outputs).
        Equivalent to ``nnabla.functions.split(x, axis)``.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.split(np.arange(6).reshape(2, 3), axis=1)
        (array([0, 3]), array([1, 4]), array([2, 5]))
    """
    return Split(axis).apply(x, name=name)
