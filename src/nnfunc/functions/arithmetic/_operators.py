"""Element-wise arithmetic primitives: add, sub, mul, div, pow, neg, maximum, minimum."""

from __future__ import annotations

from typing import Any

import numpy as np

import nnfunc.functions as F
from nnfunc.core import check
from nnfunc.core.function import Function
from nnfunc.core.spec import TensorSpec
from nnfunc.errors import ArgumentError, DTypeError
from nnfunc.functions._binary import BinaryElementwise

__all__ = ["add", "div", "maximum", "minimum", "mul", "neg", "pow", "sub"]

# The wrappers' fast path (the per-call overhead, benchmarks/bench_overhead.py): two plain NumPy
# arrays of one floating dtype and one shape give exactly what the Function computes (the
# ufunc, dtype kept, nothing to broadcast, an output no larger than an input), so the ufunc is
# called directly (not for 0-d arrays: a ufunc makes those a NumPy scalar). Anything else
# (Variables, symbolic variables, scalars, lists, broadcasting, integers, bools, mixed dtypes,
# ndarray subclasses) goes through the engine.
_ND = np.ndarray


def _apply(ufunc: Any, cls: type, x0: Any, x1: Any, name: str | None) -> Any:
    """``cls`` applied to ``x0, x1``, or ``ufunc`` directly on the fast path above."""
    if (
        type(x0) is _ND is type(x1)
        and x0.dtype is x1.dtype
        and x0.dtype.kind == "f"
        and x0.ndim
        and x0.shape == x1.shape
    ):
        return ufunc(x0, x1)
    return cls().apply1(x0, x1, name=name)


class Add(BinaryElementwise):
    """``x0 + x1``."""

    op_name = "add"
    ufunc = "add"

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        (gy,) = grad_outputs
        g0 = self.sum_to_input(gy, 0) if 0 in target_indexes else None
        g1 = self.sum_to_input(gy, 1) if 1 in target_indexes else None
        return (g0, g1)


class Sub(BinaryElementwise):
    """``x0 - x1``."""

    op_name = "sub"
    ufunc = "subtract"

    def setup(self, a: Any, b: Any) -> tuple[Any, ...]:
        specs = super().setup(a, b)
        if self.out_dtype.kind == "b":  # NumPy refuses boolean subtraction
            raise DTypeError(
                check.message(
                    self.op_name,
                    "`x0` and `x1`",
                    "not both be bool (use logical_xor)",
                    **{"x0.dtype": np.dtype(a.dtype), "x1.dtype": np.dtype(b.dtype)},
                )
            )
        return specs

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        (gy,) = grad_outputs
        g0 = self.sum_to_input(gy, 0) if 0 in target_indexes else None
        g1 = self.sum_to_input(neg(gy), 1) if 1 in target_indexes else None
        return (g0, g1)


class Mul(BinaryElementwise):
    """``x0 * x1``."""

    op_name = "mul"
    ufunc = "multiply"
    retain_in = (0, 1)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        (gy,) = grad_outputs
        x0, x1 = self.retained_inputs()
        g0 = self.sum_to_input(mul(gy, x1), 0) if 0 in target_indexes else None
        g1 = self.sum_to_input(mul(gy, x0), 1) if 1 in target_indexes else None
        return (g0, g1)


class Div(BinaryElementwise):
    """``x0 / x1`` (true division)."""

    op_name = "div"
    ufunc = "true_divide"
    retain_in = (0, 1)
    float_result = True

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        (gy,) = grad_outputs
        x0, x1 = self.retained_inputs()
        g0 = self.sum_to_input(div(gy, x1), 0) if 0 in target_indexes else None
        g1 = None
        if 1 in target_indexes:
            g1 = self.sum_to_input(neg(div(div(mul(gy, x0), x1), x1)), 1)
        return (g0, g1)


class Pow(BinaryElementwise):
    """``x0 ** x1``."""

    op_name = "pow"
    ufunc = "power"
    retain_in = (0, 1)

    def forward(self, xp: Any, a: Any, b: Any) -> tuple[Any, ...]:
        # Small integer powers as products: float32 power() is ~90x slower on negative bases.
        if b.ndim == 0 and a.dtype == self.out_dtype and a.dtype.kind == "f":
            v = b.item()
            if v == 2:
                return (a * a,)
            if v == 3:
                return (a * a * a,)
            if v == 1:
                return (a.copy(),)
        try:
            return super().forward(xp, a, b)
        except ValueError:  # NumPy: "Integers to negative integer powers are not allowed."
            raise ArgumentError(
                check.message(
                    self.op_name,
                    "x1",
                    "not hold negative values when both operands are integers (cast to float)",
                    **{"x0.dtype": a.dtype, "x1.dtype": b.dtype},
                )
            ) from None

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        (gy,) = grad_outputs
        x0, x1 = self.retained_inputs()
        g0 = g1 = None
        if 0 in target_indexes:
            g0 = self.sum_to_input(mul(mul(gy, x1), pow(x0, sub(x1, 1))), 0)
        if 1 in target_indexes:
            # d/dx1 x0**x1 = x0**x1 * log(x0); 0 at x0 == 0 (the limit for x1 > 0).
            safe = F.where(F.equal(x0, 0), 1, x0)
            g1 = self.sum_to_input(mul(mul(gy, pow(x0, x1)), F.log(safe)), 1)
        return (g0, g1)


class _Extreme(BinaryElementwise):
    """``max`` / ``min`` of two tensors; at ties the gradient goes to ``x0``."""

    retain_in = (0, 1)
    #: the comparison that selects ``x0`` (ties included)
    x0_wins = ""

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        (gy,) = grad_outputs
        x0, x1 = self.retained_inputs()
        first = getattr(F, self.x0_wins)(x0, x1)
        g0 = self.sum_to_input(F.where(first, gy, 0), 0) if 0 in target_indexes else None
        g1 = self.sum_to_input(F.where(first, 0, gy), 1) if 1 in target_indexes else None
        return (g0, g1)


class Maximum(_Extreme):
    """``max(x0, x1)``; at ties the gradient goes to ``x0``."""

    op_name = ufunc = "maximum"
    x0_wins = "greater_equal"


class Minimum(_Extreme):
    """``min(x0, x1)``; at ties the gradient goes to ``x0``."""

    op_name = ufunc = "minimum"
    x0_wins = "less_equal"


class Neg(Function):
    """``-x``."""

    op_name = "neg"

    def setup(self, x: Any) -> tuple[TensorSpec, ...]:
        dtype = np.dtype(x.dtype)
        if dtype.kind not in "iuf":  # NumPy refuses to negate bools
            raise DTypeError(
                check.message(
                    self.op_name, "x", "have an integer or floating dtype", **{"x.dtype": dtype}
                )
            )
        return (TensorSpec(tuple(x.shape), dtype),)

    def forward(self, xp: Any, x: Any) -> tuple[Any, ...]:
        return (xp.negative(x),)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        return (neg(grad_outputs[0]),)


def add(x0: Any, x1: Any, *, name: str | None = None) -> Any:
    """Element-wise sum of two broadcast tensors.

    .. math::
        y = x_0 + x_1

    Args:
        x0 (array, Variable, SymbolicVariable or scalar): First operand.
        x1 (array, Variable, SymbolicVariable or scalar): Second operand; the shapes broadcast
            (NumPy rules).
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Variable if an input is one (SymbolicVariable in graph mode), else an array: the
        broadcast shape, NumPy's result dtype.

    Raises:
        ShapeError: the shapes do not broadcast.

    Notes:
        Gradient: the upstream gradient, summed over each input's broadcast dimensions.
        Equivalent to ``nnabla.functions.add2(x0, x1)`` and, for a scalar,
        ``nnabla.functions.add_scalar(x, val)``; ``x0 + x1`` on Variables. Python scalars take
        the dtype of the tensor operand (a float scalar with an integer tensor gives float32).

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.add(np.array([1.0, 2.0], np.float32), 1)
        array([2., 3.], dtype=float32)
    """
    return _apply(np.add, Add, x0, x1, name)


def sub(x0: Any, x1: Any, *, name: str | None = None) -> Any:
    """Element-wise difference of two broadcast tensors.

    .. math::
        y = x_0 - x_1

    Args:
        x0 (array, Variable, SymbolicVariable or scalar): Minuend.
        x1 (array, Variable, SymbolicVariable or scalar): Subtrahend; shapes broadcast.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as the inputs: the broadcast shape, NumPy's result dtype.

    Raises:
        ShapeError: the shapes do not broadcast.
        DTypeError: both operands are bool (NumPy has no boolean subtraction).

    Notes:
        Gradient: ``gy`` for ``x0`` and ``-gy`` for ``x1``, summed over broadcast dimensions.
        Equivalent to ``nnabla.functions.sub2``; ``r_sub_scalar(x, v)`` is ``sub(v, x)``.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.sub(np.array([3, 4]), np.array([1, 1]))
        array([2, 3])
    """
    return _apply(np.subtract, Sub, x0, x1, name)


def mul(x0: Any, x1: Any, *, name: str | None = None) -> Any:
    """Element-wise product of two broadcast tensors.

    .. math::
        y = x_0 x_1

    Args:
        x0 (array, Variable, SymbolicVariable or scalar): First factor.
        x1 (array, Variable, SymbolicVariable or scalar): Second factor; shapes broadcast.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as the inputs: the broadcast shape, NumPy's result dtype.

    Raises:
        ShapeError: the shapes do not broadcast.

    Notes:
        Gradient: ``gy * x1`` for ``x0`` and ``gy * x0`` for ``x1``, summed over broadcast
        dimensions. Equivalent to ``nnabla.functions.mul2`` and ``mul_scalar``.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.mul(np.array([1.0, 2.0]), np.array([[1.0], [3.0]]))
        array([[1., 2.],
               [3., 6.]])
    """
    return _apply(np.multiply, Mul, x0, x1, name)


def div(x0: Any, x1: Any, *, name: str | None = None) -> Any:
    """Element-wise true division of two broadcast tensors.

    .. math::
        y = x_0 / x_1

    Args:
        x0 (array, Variable, SymbolicVariable or scalar): Dividend.
        x1 (array, Variable, SymbolicVariable or scalar): Divisor; shapes broadcast.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as the inputs: the broadcast shape; NumPy's result dtype, float32 for two
        integer inputs.

    Raises:
        ShapeError: the shapes do not broadcast.

    Notes:
        Division by zero follows IEEE (inf or NaN), as NumPy does. Gradient: ``gy / x1`` for
        ``x0`` and ``-gy * x0 / x1**2`` for ``x1``. Equivalent to ``nnabla.functions.div2``;
        ``r_div_scalar(x, v)`` is ``div(v, x)``.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.div(np.array([1, 3]), 2)
        array([0.5, 1.5], dtype=float32)
    """
    return _apply(np.true_divide, Div, x0, x1, name)


def pow(x0: Any, x1: Any, *, name: str | None = None) -> Any:  # noqa: A001
    """Element-wise power of two broadcast tensors.

    .. math::
        y = x_0^{x_1}

    Args:
        x0 (array, Variable, SymbolicVariable or scalar): Base.
        x1 (array, Variable, SymbolicVariable or scalar): Exponent; shapes broadcast.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as the inputs: the broadcast shape, NumPy's result dtype.

    Raises:
        ShapeError: the shapes do not broadcast.
        ArgumentError: both operands are integers and an exponent is negative (NumPy has no
            integer result for it; cast to float).

    Notes:
        Gradient: ``gy * x1 * x0**(x1 - 1)`` for the base and ``gy * y * log(x0)`` for the
        exponent, taken as 0 where ``x0 == 0`` (NaN for negative bases, where the real power
        is not differentiable in the exponent). Exponents 1, 2 and 3 given as scalars are
        computed as products (exact, and much faster for float32). Equivalent to
        ``nnabla.functions.pow2``, ``pow_scalar`` and ``r_pow_scalar`` (``pow(v, x)``).

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.pow(np.array([2.0, 3.0], np.float32), 2)
        array([4., 9.], dtype=float32)
    """
    return Pow().apply1(x0, x1, name=name)


def maximum(x0: Any, x1: Any, *, name: str | None = None) -> Any:
    """Element-wise maximum of two broadcast tensors.

    .. math::
        y = \\max(x_0, x_1)

    Args:
        x0 (array, Variable, SymbolicVariable or scalar): First operand.
        x1 (array, Variable, SymbolicVariable or scalar): Second operand; shapes broadcast.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as the inputs: the broadcast shape, NumPy's result dtype.

    Raises:
        ShapeError: the shapes do not broadcast.

    Notes:
        Gradient: to the larger input; at ties (``x0 == x1``) all of it goes to ``x0``.
        NaN propagates as in ``numpy.maximum``. Equivalent to ``nnabla.functions.maximum2``
        and ``maximum_scalar``.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.maximum(np.array([1.0, 5.0]), 3.0)
        array([3., 5.])
    """
    return _apply(np.maximum, Maximum, x0, x1, name)


def minimum(x0: Any, x1: Any, *, name: str | None = None) -> Any:
    """Element-wise minimum of two broadcast tensors.

    .. math::
        y = \\min(x_0, x_1)

    Args:
        x0 (array, Variable, SymbolicVariable or scalar): First operand.
        x1 (array, Variable, SymbolicVariable or scalar): Second operand; shapes broadcast.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as the inputs: the broadcast shape, NumPy's result dtype.

    Raises:
        ShapeError: the shapes do not broadcast.

    Notes:
        Gradient: to the smaller input; at ties (``x0 == x1``) all of it goes to ``x0``.
        Equivalent to ``nnabla.functions.minimum2`` and ``minimum_scalar``.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.minimum(np.array([1.0, 5.0]), 3.0)
        array([1., 3.])
    """
    return _apply(np.minimum, Minimum, x0, x1, name)


def neg(x: Any, *, name: str | None = None) -> Any:
    """Element-wise negation.

    .. math::
        y = -x

    Args:
        x (array, Variable or SymbolicVariable): Input of any shape and numeric dtype.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as ``x``: shape and dtype of ``x``.

    Raises:
        DTypeError: ``x`` is bool or not numeric.

    Notes:
        Gradient: ``-gy``. ``-x`` on Variables routes here; NNabla spells it
        ``mul_scalar(x, -1)``.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.neg(np.array([1.0, -2.0]))
        array([-1.,  2.])
    """
    if type(x) is _ND and x.dtype.kind == "f" and x.ndim:  # array mode (see _ND)
        return np.negative(x)
    return Neg().apply1(x, name=name)
