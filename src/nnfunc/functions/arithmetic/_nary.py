"""Variadic sums and products (add_n, mul_n) and the scalar forms of the binary arithmetic."""

from __future__ import annotations

from typing import Any

import numpy as np

import nnfunc.functions as F
from nnfunc.core import check
from nnfunc.core.function import Function, node_errors
from nnfunc.core.spec import TensorSpec
from nnfunc.errors import ArgumentError
from nnfunc.functions._binary import broadcast_spec
from nnfunc.functions.arithmetic._operators import add, div, maximum, minimum, mul, pow, sub

__all__ = [
    "add_n",
    "add_scalar",
    "maximum_scalar",
    "minimum_scalar",
    "mul_n",
    "mul_scalar",
    "pow_scalar",
    "r_div_scalar",
    "r_pow_scalar",
    "r_sub_scalar",
]


class _NAry(Function):
    """Element-wise reduction of ``n`` broadcast tensors with one ufunc."""

    ufunc = ""

    def __init__(self, n: int) -> None:
        self.input_names = tuple(f"x[{i}]" for i in range(n))

    def setup(self, *xs: Any) -> tuple[TensorSpec, ...]:
        for name, x in zip(self.input_names, xs, strict=True):
            check.numeric(self.op_name, name, x)
        shape = broadcast_spec(self.op_name, self.input_names, *xs)
        self.out_dtype = np.result_type(*(x.dtype for x in xs))
        return (TensorSpec(shape, self.out_dtype),)

    def forward(self, xp: Any, *xs: Any) -> tuple[Any, ...]:
        f = getattr(xp, self.ufunc)
        y = f(xs[0], xs[1], dtype=self.out_dtype)
        for x in xs[2:]:
            if np.broadcast_shapes(y.shape, x.shape) == y.shape:
                f(y, x, out=y)  # in place: y is a fresh array
            else:
                y = f(y, x, dtype=self.out_dtype)
        return (y,)


class AddN(_NAry):
    op_name, ufunc = "add_n", "add"

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        (gy,) = grad_outputs
        return tuple(
            self.sum_to_input(gy, i) if i in target_indexes else None
            for i in range(len(self.input_names))
        )


class MulN(_NAry):
    op_name, ufunc = "mul_n", "multiply"

    def setup(self, *xs: Any) -> tuple[TensorSpec, ...]:
        self.retain_inputs(*range(len(xs)))
        return super().setup(*xs)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        (gy,) = grad_outputs
        xs = self.retained_inputs()
        out = []
        for i in range(len(xs)):
            if i not in target_indexes:
                out.append(None)
                continue
            # The product of the others (no division: exact with zeros).
            g = gy
            for j, x in enumerate(xs):
                if j != i:
                    g = g * x
            out.append(self.sum_to_input(g, i))
        return tuple(out)


def _check_n(op: str, xs: tuple[Any, ...]) -> None:
    if len(xs) < 1:
        raise ArgumentError(check.message(op, "x", "hold at least one tensor", n=len(xs)))


def add_n(*x: Any, name: str | None = None) -> Any:
    """Element-wise sum of any number of broadcast tensors.

    .. math::
        y = x^{(0)} + x^{(1)} + \\cdots + x^{(n-1)}

    Args:
        *x (arrays, Variables, SymbolicVariables or scalars): One or more operands; shapes
            broadcast.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as the inputs: the broadcast shape, NumPy's result dtype. One input is
        returned through :func:`nnfunc.identity`.

    Raises:
        ArgumentError: no input is given.
        ShapeError: the shapes do not broadcast.

    Notes:
        One node for the whole sum (no chain of ``add`` nodes). Gradient: ``gy`` to every
        input, summed over its broadcast dimensions. Equivalent to
        ``nnabla.functions.add_n(*x)``.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.add_n(np.array([1.0, 2.0]), np.array([3.0, 4.0]), np.array([5.0, 6.0]))
        array([ 9., 12.])
    """
    _check_n("add_n", x)
    if len(x) == 1:
        return F.identity(x[0], name=name)
    return AddN(len(x)).apply1(*x, name=name)


def mul_n(*x: Any, name: str | None = None) -> Any:
    """Element-wise product of any number of broadcast tensors.

    .. math::
        y = x^{(0)} x^{(1)} \\cdots x^{(n-1)}

    Args:
        *x (arrays, Variables, SymbolicVariables or scalars): One or more operands; shapes
            broadcast.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as the inputs: the broadcast shape, NumPy's result dtype.

    Raises:
        ArgumentError: no input is given.
        ShapeError: the shapes do not broadcast.

    Notes:
        Gradient: ``gy`` times the product of the other inputs (computed without division,
        so exact when an input is zero). Equivalent to ``nnabla.functions.mul_n(*x)``.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.mul_n(np.array([1.0, 2.0]), np.array([3.0, 4.0]), np.array([5.0, 6.0]))
        array([15., 48.])
    """
    _check_n("mul_n", x)
    if len(x) == 1:
        return F.identity(x[0], name=name)
    return MulN(len(x)).apply1(*x, name=name)


def _val(op: str, val: Any) -> Any:
    """Deprecated: use :func:`nnfunc.core.check.number` (kept for the NNabla dialect)."""
    return check.number(op, "val", val)


def _make_scalar(
    op: str, formula: str, call: Any, default: Any, canonical: str, ex: str, note: str = ""
) -> Any:
    def fn(x: Any, val: float = default, *, name: str | None = None) -> Any:
        with node_errors(name, x):
            val = check.number(op, "val", val)
        return call(x, val, name)

    fn.__name__ = fn.__qualname__ = op
    fn.__doc__ = f"""Element-wise ``{formula}`` with a scalar ``val``.

    .. math::
        y = {formula}

    Args:
        x (array, Variable or SymbolicVariable): Input of any shape and numeric dtype.
        val (float): The scalar. Default ``{default}`` (NNabla's default).
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as ``x``: shape of ``x``; its dtype (a float scalar with an integer ``x``
        gives float32).

    Raises:
        ArgumentError: ``val`` is not a real number.

    Notes:
        The scalar form of :func:`nnfunc.{canonical}` (which accepts scalars directly; this
        name exists for NNabla's ``{op}``). The gradient flows to ``x`` only.{note}

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.{op}(np.array([1.0, 2.0], np.float32), 2.0)
        {ex}
    """
    return fn


_TIES = """
        At ``x == val`` all of it goes to ``x`` (NNabla's kernel gives ``x`` none there; the
        NNabla dialect follows NNabla)."""

add_scalar = _make_scalar(
    "add_scalar",
    "x + v",
    lambda x, v, n: add(x, v, name=n),
    1,
    "add",
    "array([3., 4.], dtype=float32)",
)
mul_scalar = _make_scalar(
    "mul_scalar",
    "v x",
    lambda x, v, n: mul(x, v, name=n),
    1,
    "mul",
    "array([2., 4.], dtype=float32)",
)
pow_scalar = _make_scalar(
    "pow_scalar",
    "x^v",
    lambda x, v, n: pow(x, v, name=n),
    1,
    "pow",
    "array([1., 4.], dtype=float32)",
)
r_sub_scalar = _make_scalar(
    "r_sub_scalar",
    "v - x",
    lambda x, v, n: sub(v, x, name=n),
    1,
    "sub",
    "array([1., 0.], dtype=float32)",
)
r_div_scalar = _make_scalar(
    "r_div_scalar",
    "v / x",
    lambda x, v, n: div(v, x, name=n),
    1,
    "div",
    "array([2., 1.], dtype=float32)",
)
r_pow_scalar = _make_scalar(
    "r_pow_scalar",
    "v^x",
    lambda x, v, n: pow(v, x, name=n),
    1,
    "pow",
    "array([2., 4.], dtype=float32)",
)
maximum_scalar = _make_scalar(
    "maximum_scalar",
    "\\max(x, v)",
    lambda x, v, n: maximum(x, v, name=n),
    1.0,
    "maximum",
    "array([2., 2.], dtype=float32)",
    _TIES,
)
minimum_scalar = _make_scalar(
    "minimum_scalar",
    "\\min(x, v)",
    lambda x, v, n: minimum(x, v, name=n),
    1.0,
    "minimum",
    "array([1., 2.], dtype=float32)",
    _TIES,
)
