"""Comparisons (boolean results, no gradient) and ``where``."""

from __future__ import annotations

from typing import Any

import numpy as np

from nnfunc.core.dtypes import result_dtype
from nnfunc.core.function import Function
from nnfunc.core.spec import TensorSpec
from nnfunc.functions._binary import BinaryElementwise, broadcast_spec

__all__ = ["equal", "greater", "greater_equal", "less", "less_equal", "not_equal", "where"]

_BOOL = np.dtype(bool)


class _Compare(BinaryElementwise):
    def setup(self, a: Any, b: Any) -> tuple[TensorSpec, ...]:
        self.out_dtype = _BOOL
        return (TensorSpec(broadcast_spec(self.op_name, self.input_names, a, b), _BOOL),)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        return (None, None)


_LATEX = {"==": "=", "!=": "\\ne", ">": ">", ">=": "\\ge", "<": "<", "<=": "\\le"}


def _make(op: str, ufunc: str, symbol: str) -> Any:
    cls = type(_Compare)(op.title().replace("_", ""), (_Compare,), {"op_name": op, "ufunc": ufunc})

    def compare(x0: Any, x1: Any, *, name: str | None = None) -> Any:
        return cls().apply1(x0, x1, name=name)

    compare.__name__ = compare.__qualname__ = op
    latex = _LATEX[symbol]
    compare.__doc__ = f"""Element-wise ``x0 {symbol} x1`` of two broadcast tensors, as booleans.

    .. math::
        y = [x_0 {latex} x_1]

    Args:
        x0 (array, Variable, SymbolicVariable or scalar): First operand.
        x1 (array, Variable, SymbolicVariable or scalar): Second operand; shapes broadcast.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as the inputs: the broadcast shape, dtype ``bool`` (the NNabla dialect's
        ``{op}`` returns 0/1 in the input dtype instead).

    Raises:
        ShapeError: the shapes do not broadcast.

    Notes:
        Not differentiable: no gradient flows to either input. ``x0 {symbol} x1`` on Variables
        routes here.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.{op}(np.array([1.0, 2.0, 3.0]), 2.0)
        {np.array_repr(getattr(np, ufunc)(np.array([1.0, 2.0, 3.0]), 2.0))}
    """
    return cls, compare


Equal, equal = _make("equal", "equal", "==")
NotEqual, not_equal = _make("not_equal", "not_equal", "!=")
Greater, greater = _make("greater", "greater", ">")
GreaterEqual, greater_equal = _make("greater_equal", "greater_equal", ">=")
Less, less = _make("less", "less", "<")
LessEqual, less_equal = _make("less_equal", "less_equal", "<=")


class Where(Function):
    """``x_true`` where ``condition`` else ``x_false``."""

    op_name = "where"
    input_names = ("condition", "x_true", "x_false")
    retain_in = (0,)

    def setup(self, c: Any, a: Any, b: Any) -> tuple[TensorSpec, ...]:
        shape = broadcast_spec(self.op_name, self.input_names, c, a, b)
        self.out_dtype = result_dtype(a.dtype, b.dtype)
        return (TensorSpec(shape, self.out_dtype),)

    def forward(self, xp: Any, c: Any, a: Any, b: Any) -> tuple[Any, ...]:
        cond = c if c.dtype == _BOOL else c != 0
        y = xp.where(cond, a, b)
        return (y if y.dtype == self.out_dtype else y.astype(self.out_dtype),)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        (gy,) = grad_outputs
        (c,) = self.retained_inputs()
        ga = self.sum_to_input(where(c, gy, 0), 1) if 1 in target_indexes else None
        gb = self.sum_to_input(where(c, 0, gy), 2) if 2 in target_indexes else None
        return (None, ga, gb)


def where(condition: Any, x_true: Any, x_false: Any, *, name: str | None = None) -> Any:
    """Select element-wise from ``x_true`` where ``condition`` holds, else from ``x_false``.

    .. math::
        y = \\begin{cases} x_{true}, & c \\ne 0 \\\\ x_{false}, & c = 0 \\end{cases}

    Args:
        condition (array, Variable, SymbolicVariable): Boolean or numeric mask (non-zero is
            true); broadcasts with the other two.
        x_true (array, Variable, SymbolicVariable or scalar): Values where the condition holds.
        x_false (array, Variable, SymbolicVariable or scalar): Values elsewhere.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as the inputs: the broadcast shape, the result dtype of ``x_true`` and
        ``x_false``.

    Raises:
        ShapeError: the shapes do not broadcast.

    Notes:
        Gradient: ``gy`` where selected, 0 elsewhere, for ``x_true`` and ``x_false``; none for
        the condition. Equivalent to ``nnabla.functions.where(condition, x_true, x_false)``.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.where(np.array([True, False]), np.array([1.0, 2.0]), 0.0)
        array([1., 0.])
    """
    return Where().apply1(condition, x_true, x_false, name=name)
