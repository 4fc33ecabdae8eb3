"""Scalar comparisons, logical operations, NaN/inf tests and replacement, and ``sign``."""

from __future__ import annotations

from typing import Any

import numpy as np

from nnfunc.core import check
from nnfunc.core.elementwise import input_spec
from nnfunc.core.function import Function, node_errors
from nnfunc.core.spec import TensorSpec
from nnfunc.errors import ArgumentError, DTypeError
from nnfunc.functions._binary import BinaryElementwise, broadcast_spec
from nnfunc.functions.logical._compare import (
    equal,
    greater,
    greater_equal,
    less,
    less_equal,
    not_equal,
    where,
)

__all__ = [
    "equal_scalar",
    "greater_equal_scalar",
    "greater_scalar",
    "isinf",
    "isnan",
    "less_equal_scalar",
    "less_scalar",
    "logical_and",
    "logical_and_scalar",
    "logical_not",
    "logical_or",
    "logical_or_scalar",
    "logical_xor",
    "logical_xor_scalar",
    "not_equal_scalar",
    "reset_inf",
    "reset_nan",
    "sign",
]

_BOOL = np.dtype(bool)


def _scalar(op: str, val: Any) -> Any:
    """A comparison scalar: a real number (bools and NumPy scalars accepted)."""
    if isinstance(val, (bool, np.bool_)):
        return bool(val)
    if isinstance(val, np.ndarray) and val.ndim == 0:
        val = val.item()
    if isinstance(val, (int, np.integer)):
        return int(val)
    return check.real_scalar(op, "val", val, finite=False)


# ----------------------------------------------------------------------------- scalar comparisons
def _make_scalar_compare(op: str, base: Any, symbol: str, default: Any) -> Any:
    def compare(x: Any, val: float = default, *, name: str | None = None) -> Any:
        with node_errors(name, x):
            val = _scalar(op, val)
        return base(x, val, name=name)

    compare.__name__ = compare.__qualname__ = op
    latex = {"==": "=", "!=": "\\ne", ">": ">", ">=": "\\ge", "<": "<", "<=": "\\le"}[symbol]
    example = np.array([0.0, 1.0, 2.0])
    ufunc = {"==": np.equal, "!=": np.not_equal, ">": np.greater, ">=": np.greater_equal}
    ufunc.update({"<": np.less, "<=": np.less_equal})
    compare.__doc__ = f"""Element-wise ``x {symbol} val`` against a scalar, as booleans.

    .. math::
        y = [x {latex} v]

    Args:
        x (array, Variable or SymbolicVariable): Input of any shape and numeric dtype.
        val (float): The scalar. Default ``{default}`` (NNabla's default).
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as ``x``: shape of ``x``, dtype ``bool`` (the NNabla dialect's ``{op}``
        returns 0/1 in the input dtype instead).

    Raises:
        ArgumentError: ``val`` is not a real number.

    Notes:
        Not differentiable. The same as :func:`nnfunc.{base.__name__}` with a scalar operand;
        the scalar does not change the comparison dtype.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.{op}(np.array([0.0, 1.0, 2.0]), 1.0)
        {np.array_repr(ufunc[symbol](example, 1.0))}
    """
    return compare


equal_scalar = _make_scalar_compare("equal_scalar", equal, "==", 1)
not_equal_scalar = _make_scalar_compare("not_equal_scalar", not_equal, "!=", 1)
greater_scalar = _make_scalar_compare("greater_scalar", greater, ">", 1)
greater_equal_scalar = _make_scalar_compare("greater_equal_scalar", greater_equal, ">=", 1)
less_scalar = _make_scalar_compare("less_scalar", less, "<", 1)
less_equal_scalar = _make_scalar_compare("less_equal_scalar", less_equal, "<=", 1)


# ----------------------------------------------------------------------------- logical
class _Logical(BinaryElementwise):
    def setup(self, a: Any, b: Any) -> tuple[TensorSpec, ...]:
        self.out_dtype = _BOOL
        return (TensorSpec(broadcast_spec(self.op_name, self.input_names, a, b), _BOOL),)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        return (None, None)


class LogicalAnd(_Logical):
    op_name, ufunc = "logical_and", "logical_and"


class LogicalOr(_Logical):
    op_name, ufunc = "logical_or", "logical_or"


class LogicalXor(_Logical):
    op_name, ufunc = "logical_xor", "logical_xor"


class _UnaryBool(Function):
    ufunc = ""

    def setup(self, x: Any) -> tuple[TensorSpec, ...]:
        check.numeric(self.op_name, "x", x)
        return (TensorSpec(tuple(x.shape), _BOOL),)

    def forward(self, xp: Any, x: Any) -> tuple[Any, ...]:
        return (getattr(xp, self.ufunc)(x),)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        return (None,)


class LogicalNot(_UnaryBool):
    op_name, ufunc = "logical_not", "logical_not"


class IsNaN(_UnaryBool):
    op_name, ufunc = "isnan", "isnan"


class IsInf(_UnaryBool):
    op_name, ufunc = "isinf", "isinf"


_LOGICAL_DOC = """Element-wise logical {what} of two broadcast tensors (non-zero is true), as bools.

    .. math::
        y = (x_0 \\ne 0) {sym} (x_1 \\ne 0)

    Args:
        x0 (array, Variable, SymbolicVariable or scalar): First operand, any numeric or bool
            dtype.
        x1 (array, Variable, SymbolicVariable or scalar): Second operand; shapes broadcast.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as the inputs: the broadcast shape, dtype ``bool`` (the NNabla dialect's
        ``{op}`` returns 0/1 in the input dtype).

    Raises:
        ShapeError: the shapes do not broadcast.

    Notes:
        Not differentiable. {note}Equivalent to ``nnabla.functions.{op}`` and
        ``numpy.{op}``.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.{op}(np.array([0.0, 0.0, 2.0, 3.0]), np.array([0.0, 1.0, 0.0, -1.0]))
        {example}
    """


def logical_and(x0: Any, x1: Any, *, name: str | None = None) -> Any:
    return LogicalAnd().apply1(x0, x1, name=name)


def logical_or(x0: Any, x1: Any, *, name: str | None = None) -> Any:
    return LogicalOr().apply1(x0, x1, name=name)


def logical_xor(x0: Any, x1: Any, *, name: str | None = None) -> Any:
    return LogicalXor().apply1(x0, x1, name=name)


_a = np.array([0.0, 0.0, 2.0, 3.0])
_b = np.array([0.0, 1.0, 0.0, -1.0])
for _fn, _what, _sym, _note in (
    (logical_and, "AND", "\\land", ""),
    (logical_or, "OR", "\\lor", ""),
    (
        logical_xor,
        "XOR",
        "\\oplus",
        "NNabla's documentation prints the XNOR table; NNabla computes XOR, as here. ",
    ),
):
    _fn.__doc__ = _LOGICAL_DOC.format(
        what=_what,
        sym=_sym,
        op=_fn.__name__,
        note=_note,
        example=np.array_repr(getattr(np, _fn.__name__)(_a, _b)),
    )


def _make_logical_scalar(op: str, base: Any, sym: str) -> Any:
    def fn(x: Any, val: Any, *, name: str | None = None) -> Any:
        with node_errors(name, x):
            val = bool(_scalar(op, val))
        return base(x, val, name=name)

    fn.__name__ = fn.__qualname__ = op
    fn.__doc__ = f"""Element-wise :func:`nnfunc.{base.__name__}` of ``x`` and a scalar ``val``.

    .. math::
        y = (x \\ne 0) {sym} (v \\ne 0)

    Args:
        x (array, Variable or SymbolicVariable): Input of any numeric or bool dtype (non-zero
            is true).
        val (float or bool): The scalar (required, as in NNabla).
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as ``x``: shape of ``x``, dtype ``bool``.

    Raises:
        ArgumentError: ``val`` is not a real number or bool.

    Notes:
        Not differentiable. Equivalent to ``nnabla.functions.{op}`` (which returns 0/1 in the
        input dtype).

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.{op}(np.array([0.0, 2.0]), 1)
        {np.array_repr(getattr(np, base.__name__)(np.array([0.0, 2.0]), True))}
    """
    return fn


logical_and_scalar = _make_logical_scalar("logical_and_scalar", logical_and, "\\land")
logical_or_scalar = _make_logical_scalar("logical_or_scalar", logical_or, "\\lor")
logical_xor_scalar = _make_logical_scalar("logical_xor_scalar", logical_xor, "\\oplus")


def logical_not(x: Any, *, name: str | None = None) -> Any:
    """Element-wise logical NOT (zero is false), as booleans.

    .. math::
        y = (x = 0)

    Args:
        x (array, Variable or SymbolicVariable): Input of any numeric or bool dtype.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as ``x``: shape of ``x``, dtype ``bool``.

    Raises:
        DTypeError: a tensor argument is not real and numeric (the engine's input checks).

    Notes:
        Not differentiable. Equivalent to ``nnabla.functions.logical_not`` (0/1 in the input
        dtype there) and ``numpy.logical_not``.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.logical_not(np.array([0.0, 2.0]))
        array([ True, False])
    """
    return LogicalNot().apply1(x, name=name)


def isnan(x: Any, *, name: str | None = None) -> Any:
    """Element-wise test for NaN, as booleans.

    .. math::
        y = [x \\text{ is NaN}]

    Args:
        x (array, Variable or SymbolicVariable): Input of any numeric dtype.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as ``x``: shape of ``x``, dtype ``bool`` (all false for integers).

    Raises:
        DTypeError: a tensor argument is not real and numeric (the engine's input checks).

    Notes:
        Not differentiable. Equivalent to ``nnabla.functions.isnan`` (0/1 in the input dtype
        there) and ``numpy.isnan``.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.isnan(np.array([1.0, np.nan, np.inf]))
        array([False,  True, False])
    """
    return IsNaN().apply1(x, name=name)


def isinf(x: Any, *, name: str | None = None) -> Any:
    """Element-wise test for ``+inf`` or ``-inf``, as booleans.

    .. math::
        y = [|x| = \\infty]

    Args:
        x (array, Variable or SymbolicVariable): Input of any numeric dtype.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as ``x``: shape of ``x``, dtype ``bool``.

    Raises:
        DTypeError: a tensor argument is not real and numeric (the engine's input checks).

    Notes:
        Not differentiable. Equivalent to ``nnabla.functions.isinf`` (0/1 in the input dtype
        there) and ``numpy.isinf``.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.isinf(np.array([1.0, np.nan, -np.inf]))
        array([False, False,  True])
    """
    return IsInf().apply1(x, name=name)


def reset_nan(x: Any, val: float = 0, *, name: str | None = None) -> Any:
    """Replace NaN elements by a scalar.

    .. math::
        y = \\begin{cases} v, & x \\text{ is NaN} \\\\ x, & \\text{otherwise} \\end{cases}

    Args:
        x (array, Variable or SymbolicVariable): Input of any numeric dtype.
        val (float): Replacement value. Default ``0``.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as ``x``: shape and dtype of ``x``.

    Raises:
        ArgumentError: ``val`` is not a real number.

    Notes:
        Gradient: ``gy`` where ``x`` is not NaN, 0 at the replaced elements. Equivalent to
        ``nnabla.functions.reset_nan(x0, val)``.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.reset_nan(np.array([1.0, np.nan], np.float32), -1.0)
        array([ 1., -1.], dtype=float32)
    """
    with node_errors(name, x):
        v = _fill("reset_nan", input_spec("reset_nan", x), _scalar("reset_nan", val))
    return where(isnan(x), v, x, name=name)


def reset_inf(x: Any, val: float = 0, *, name: str | None = None) -> Any:
    """Replace ``+inf`` and ``-inf`` elements by a scalar.

    .. math::
        y = \\begin{cases} v, & |x| = \\infty \\\\ x, & \\text{otherwise} \\end{cases}

    Args:
        x (array, Variable or SymbolicVariable): Input of any numeric dtype.
        val (float): Replacement value. Default ``0``.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as ``x``: shape and dtype of ``x``.

    Raises:
        ArgumentError: ``val`` is not a real number.

    Notes:
        Gradient: ``gy`` where ``x`` is finite or NaN, 0 at the replaced elements.
        Equivalent to ``nnabla.functions.reset_inf(x0, val)``.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.reset_inf(np.array([1.0, np.inf, -np.inf], np.float32))
        array([1., 0., 0.], dtype=float32)
    """
    with node_errors(name, x):
        v = _fill("reset_inf", input_spec("reset_inf", x), _scalar("reset_inf", val))
    return where(isinf(x), v, x, name=name)


def _fill(op: str, spec: TensorSpec, v: Any) -> Any:
    """``v`` as a 0-d array of the input's dtype (so that ``where`` keeps that dtype).

    The value must be representable in that dtype: an integer dtype takes only integers in its
    range (NumPy would raise OverflowError or wrap them, and truncate a fraction), a float dtype
    only values that stay finite (1e10 in float16 would become inf)."""
    dtype = np.dtype(spec.dtype)
    fits = True
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        fits = (isinstance(v, int) or float(v).is_integer()) and info.min <= v <= info.max
    elif dtype.kind == "f" and np.isfinite(v):
        fits = abs(v) <= float(np.finfo(dtype).max)
    if not fits:
        raise ArgumentError(check.message(op, "val", f"fit in {dtype} (the dtype of `x`)", val=v))
    return np.asarray(v, dtype=dtype)


# ----------------------------------------------------------------------------- sign
class Sign(Function):
    """``sign(x)`` with ``sign(0) = alpha``; straight-through or zero gradient."""

    op_name = "sign"

    def __init__(self, alpha: float, ste: bool) -> None:
        self.alpha = alpha
        self.ste = ste

    def setup(self, x: Any) -> tuple[TensorSpec, ...]:
        self.alpha = check.real_scalar(self.op_name, "alpha", self.alpha)
        self.ste = check.boolean(self.op_name, "ste", self.ste)
        dtype = check.numeric(self.op_name, "x", x)
        if dtype.kind == "b":  # numpy.sign has no boolean loop
            raise DTypeError(
                check.message(
                    self.op_name, "x", "have an integer or floating dtype", **{"x.dtype": dtype}
                )
            )
        return (TensorSpec(tuple(x.shape), dtype),)

    def forward(self, xp: Any, x: Any) -> tuple[Any, ...]:
        y = xp.asarray(xp.sign(x))
        if self.alpha != 0:
            # Zeros are usually few: find them, then write alpha only there (cheaper than a
            # full where()).
            zero = xp.asarray(x == 0)
            if zero.any():
                y[zero] = xp.asarray(self.alpha).astype(x.dtype)
        return (y.astype(x.dtype, copy=False),)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        # Without STE the derivative is 0 almost everywhere: a zero gradient, not none.
        return (grad_outputs[0] if self.ste else grad_outputs[0] * 0,)


def sign(x: Any, alpha: float = 1.0, ste: bool = True, *, name: str | None = None) -> Any:
    """Element-wise sign, with a chosen value at zero and a straight-through gradient.

    .. math::
        y = \\begin{cases} 1, & x > 0 \\\\ -1, & x < 0 \\\\ \\alpha, & x = 0 \\end{cases}

    Args:
        x (array, Variable or SymbolicVariable): Input of any shape and numeric dtype.
        alpha (float): Value at ``x == 0``. Default ``1.0`` (NNabla's; ``numpy.sign`` uses 0).
        ste (bool): Straight-through gradient ``gy`` (default, NNabla's rule) or the exact
            derivative 0 (``False``).
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as ``x``: shape and dtype of ``x`` (``alpha`` is cast to an integer dtype).

    Raises:
        ArgumentError: ``alpha`` is not a finite real number, or ``ste`` is not a bool.
        DTypeError: ``x`` is bool or not numeric.

    Notes:
        NaN stays NaN. Equivalent to ``nnabla.functions.sign(x, alpha)``;
        ``sign(x, alpha=0.0, ste=False)`` is ``numpy.sign`` with a zero gradient.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.sign(np.array([-2.0, 0.0, 3.0], np.float32))
        array([-1.,  1.,  1.], dtype=float32)
        >>> nf.sign(np.array([-2.0, 0.0, 3.0], np.float32), alpha=0.0)
        array([-1.,  0.,  1.], dtype=float32)
    """
    return Sign(alpha, ste).apply1(x, name=name)
