"""Element-wise math: abs, rounding (round, ceil, floor), identity, trigonometric and hyperbolic
functions with their inverses, and atan2."""

from __future__ import annotations

from typing import Any

import numpy as np

import nnfunc.functions as F
from nnfunc.core import check
from nnfunc.core.elementwise import Elementwise
from nnfunc.core.function import Function
from nnfunc.functions._binary import BinaryElementwise
from nnfunc.kernels.cpu.rounding import round_half_away

__all__ = [
    "abs",
    "acos",
    "acosh",
    "asin",
    "asinh",
    "atan",
    "atan2",
    "atanh",
    "ceil",
    "cos",
    "cosh",
    "floor",
    "identity",
    "round",
    "sin",
    "sinh",
    "tan",
]


def numeric(op: str, arg: str, spec: Any) -> np.dtype:
    """Deprecated alias of :func:`nnfunc.core.check.numeric` (kept for importers not yet moved)."""
    return check.numeric(op, arg, spec)


def _x(f: Function) -> Any:
    return f.retained_inputs()[0]


def _rsqrt(v: Any) -> Any:
    return F.pow(v, -0.5)


class Sin(Elementwise):
    op_name, ufunc, retain_in = "sin", "sin", (0,)

    def derivative(self, x: Any) -> Any:
        return cos(x)


class Cos(Elementwise):
    op_name, ufunc, retain_in = "cos", "cos", (0,)

    def derivative(self, x: Any) -> Any:
        return -sin(x)


class Tan(Elementwise):
    op_name, ufunc, retain_out = "tan", "tan", (0,)

    def derivative_from_output(self, y: Any) -> Any:
        return y * y + 1


class Sinh(Elementwise):
    op_name, ufunc, retain_in = "sinh", "sinh", (0,)

    def derivative(self, x: Any) -> Any:
        return cosh(x)


class Cosh(Elementwise):
    op_name, ufunc, retain_in = "cosh", "cosh", (0,)

    def derivative(self, x: Any) -> Any:
        return sinh(x)


class Asin(Elementwise):
    op_name, ufunc, retain_in = "asin", "arcsin", (0,)

    def derivative(self, x: Any) -> Any:
        return _rsqrt(1 - x * x)


class Acos(Elementwise):
    op_name, ufunc, retain_in = "acos", "arccos", (0,)

    def derivative(self, x: Any) -> Any:
        return -_rsqrt(1 - x * x)


class Atan(Elementwise):
    op_name, ufunc, retain_in = "atan", "arctan", (0,)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        x = _x(self)
        return (grad_outputs[0] / (x * x + 1),)


class Asinh(Elementwise):
    op_name, ufunc, retain_in = "asinh", "arcsinh", (0,)

    def derivative(self, x: Any) -> Any:
        return _rsqrt(x * x + 1)


class Acosh(Elementwise):
    op_name, ufunc, retain_in = "acosh", "arccosh", (0,)

    def derivative(self, x: Any) -> Any:
        return _rsqrt(x * x - 1)


class Atanh(Elementwise):
    op_name, ufunc, retain_in = "atanh", "arctanh", (0,)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        x = _x(self)
        return (grad_outputs[0] / (1 - x * x),)


class Atan2(BinaryElementwise):
    """``arctan2(x0, x1)``: the angle of the point ``(x1, x0)``."""

    op_name = "atan2"
    ufunc = "arctan2"
    retain_in = (0, 1)
    float_result = True

    def forward(self, xp: Any, a: Any, b: Any) -> tuple[Any, ...]:
        if a.dtype != self.out_dtype or b.dtype != self.out_dtype:
            return (xp.arctan2(a, b, dtype=self.out_dtype),)
        return (xp.arctan2(a, b),)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        (gy,) = grad_outputs
        x0, x1 = self.retained_inputs()
        r2 = x0 * x0 + x1 * x1
        g0 = self.sum_to_input(gy * x1 / r2, 0) if 0 in target_indexes else None
        g1 = self.sum_to_input(-(gy * x0) / r2, 1) if 1 in target_indexes else None
        return (g0, g1)


class Abs(Elementwise):
    """``|x|``; integer dtypes are kept."""

    op_name, ufunc, real, retain_in = "abs", "absolute", False, (0,)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        return (grad_outputs[0] * F.sign(_x(self), alpha=0.0, ste=False),)


class _Rounding(Elementwise):
    """round / ceil / floor: straight-through (``ste``) or zero gradient; dtype kept."""

    real = False

    def __init__(self, ste: bool) -> None:
        self.ste = ste

    params = (("ste", "ste", check.boolean),)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        # Without STE the derivative is 0 almost everywhere: a zero gradient, not none.
        return (grad_outputs[0] if self.ste else grad_outputs[0] * 0,)


class Round(_Rounding):
    op_name = "round"

    def forward(self, xp: Any, x: Any) -> tuple[Any, ...]:
        if x.dtype.kind != "f":
            return (x.copy(),)
        # Half away from zero (NNabla, C's round); NumPy's rint sends halves to even.
        return (round_half_away(x),)


class Ceil(_Rounding):
    op_name = "ceil"

    def forward(self, xp: Any, x: Any) -> tuple[Any, ...]:
        return (xp.ceil(x) if x.dtype.kind == "f" else x.copy(),)


class Floor(_Rounding):
    op_name = "floor"

    def forward(self, xp: Any, x: Any) -> tuple[Any, ...]:
        return (xp.floor(x) if x.dtype.kind == "f" else x.copy(),)


class Identity(Elementwise):
    op_name, real = "identity", False

    def forward(self, xp: Any, x: Any) -> tuple[Any, ...]:
        return (x.view(),)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        return (grad_outputs[0],)


# ----------------------------------------------------------------------------- wrappers
_EXAMPLE_X = np.array([0.25, 0.5], np.float32)


def _example(ufunc: str, x: np.ndarray = _EXAMPLE_X) -> str:
    return np.array_repr(getattr(np, ufunc)(x))


def _make_trig(cls: type, formula: str, derivative: str, domain: str, example_x: Any) -> Any:
    op = cls.op_name

    def fn(x: Any, *, name: str | None = None) -> Any:
        return cls().apply1(x, name=name)

    fn.__name__ = fn.__qualname__ = op
    ex = np.array(example_x, np.float32)
    fn.__doc__ = f"""Element-wise {formula}.

    .. math::
        y = \\operatorname{{{op}}}(x)

    Args:
        x (array, Variable or SymbolicVariable): Input of any shape; integer and bool inputs are
            promoted to float32.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as ``x``: shape of ``x``, its floating dtype.

    Raises:
        DTypeError: a tensor argument is not real and numeric (the engine's input checks). {domain}

    Notes:
        Gradient: ``{derivative}``. Computed with ``numpy.{cls.ufunc}`` (float16 inputs are
        evaluated in float32 by NumPy and rounded). Equivalent to ``nnabla.functions.{op}``.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.{op}(np.array({ex.tolist()}, np.float32))
        {_example(cls.ufunc, ex)}
    """
    return fn


_NODOMAIN = ""
sin = _make_trig(Sin, "sine", "gy * cos(x)", _NODOMAIN, [0.25, 0.5])
cos = _make_trig(Cos, "cosine", "-gy * sin(x)", _NODOMAIN, [0.25, 0.5])
tan = _make_trig(Tan, "tangent", "gy * (1 + y**2)", _NODOMAIN, [0.25, 0.5])
sinh = _make_trig(Sinh, "hyperbolic sine", "gy * cosh(x)", _NODOMAIN, [0.25, 0.5])
cosh = _make_trig(Cosh, "hyperbolic cosine", "gy * sinh(x)", _NODOMAIN, [0.25, 0.5])
asin = _make_trig(
    Asin,
    "arcsine",
    "gy / sqrt(1 - x**2)",
    "Outside ``[-1, 1]`` the value is NaN (NumPy warns).",
    [0.25, 0.5],
)
acos = _make_trig(
    Acos,
    "arccosine",
    "-gy / sqrt(1 - x**2)",
    "Outside ``[-1, 1]`` the value is NaN (NumPy warns).",
    [0.25, 0.5],
)
atan = _make_trig(Atan, "arctangent", "gy / (1 + x**2)", _NODOMAIN, [0.25, 0.5])
asinh = _make_trig(Asinh, "inverse hyperbolic sine", "gy / sqrt(x**2 + 1)", _NODOMAIN, [0.25, 0.5])
acosh = _make_trig(
    Acosh,
    "inverse hyperbolic cosine",
    "gy / sqrt(x**2 - 1)",
    "Below 1 the value is NaN (NumPy warns).",
    [1.5, 2.0],
)
atanh = _make_trig(
    Atanh,
    "inverse hyperbolic tangent",
    "gy / (1 - x**2)",
    "Outside ``(-1, 1)`` the value is NaN or inf (NumPy warns).",
    [0.25, 0.5],
)


def atan2(x0: Any, x1: Any, *, name: str | None = None) -> Any:
    """Element-wise two-argument arctangent: the angle of the point ``(x1, x0)``.

    .. math::
        y = \\operatorname{arctan2}(x_0, x_1) \\in [-\\pi, \\pi]

    Args:
        x0 (array, Variable, SymbolicVariable or scalar): The ordinate (``y`` coordinate).
        x1 (array, Variable, SymbolicVariable or scalar): The abscissa (``x`` coordinate);
            shapes broadcast.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as the inputs: the broadcast shape, their floating result dtype (float32
        for integer inputs).

    Raises:
        ShapeError: the shapes do not broadcast.

    Notes:
        Argument order of ``numpy.arctan2``. Gradient: ``gy * x1 / (x0**2 + x1**2)`` for
        ``x0`` and ``-gy * x0 / (x0**2 + x1**2)`` for ``x1`` (NaN at the origin, where the
        function is not differentiable). Equivalent to ``nnabla.functions.atan2(x0, x1)``.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.atan2(np.array([1.0, -1.0]), np.array([0.0, 0.0]))
        array([ 1.57079633, -1.57079633])
    """
    return Atan2().apply1(x0, x1, name=name)


def abs(x: Any, *, name: str | None = None) -> Any:  # noqa: A001
    """Element-wise absolute value.

    .. math::
        y = |x|

    Args:
        x (array, Variable or SymbolicVariable): Input of any shape and numeric dtype.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as ``x``: shape and dtype of ``x`` (integer dtypes are kept).

    Raises:
        DTypeError: a tensor argument is not real and numeric (the engine's input checks).

    Notes:
        Gradient: ``gy * sign(x)``, 0 at ``x == 0`` (the subgradient of smallest norm).
        The most negative integer of a signed dtype stays negative, as in NumPy.
        Equivalent to ``nnabla.functions.abs``.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.abs(np.array([-1.5, 0.0, 2.0], np.float32))
        array([1.5, 0. , 2. ], dtype=float32)
    """
    return Abs().apply1(x, name=name)


def round(x: Any, ste: bool = True, *, name: str | None = None) -> Any:  # noqa: A001
    """Element-wise rounding to the nearest integer, halves away from zero.

    .. math::
        y = \\operatorname{sign}(x) \\lfloor |x| + 1/2 \\rfloor

    Args:
        x (array, Variable or SymbolicVariable): Input of any shape and numeric dtype.
        ste (bool): Straight-through gradient (``gy``) when ``True`` (default, NNabla's rule);
            zero gradient (the exact derivative almost everywhere) when ``False``.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as ``x``: shape and dtype of ``x`` (integer inputs are returned unchanged).

    Raises:
        ArgumentError: ``ste`` is not a bool.

    Notes:
        Halves go away from zero (``round(2.5) = 3``, ``round(-0.5) = -1``) as in NNabla and
        C's ``round``, unlike ``numpy.round`` and PyTorch's ``torch.round`` (halves to
        even). Computed exactly (no ``x + 0.5`` rounding error) in one pass by a numba ufunc
        (its NumPy twin, ``rint`` plus a fix of the exact ties, for float16, CuPy and
        ``NNFUNC_DISABLE_NUMBA=1``).
        Gradient: ``gy`` (straight-through estimator) with ``ste=True``, 0 otherwise; the
        straight-through gradient does not depend on ``x``, so its own derivative is 0.
        Equivalent to ``nnabla.functions.round`` (always straight-through).

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.round(np.array([-1.5, -0.5, 0.4, 2.5], np.float32))
        array([-2., -1.,  0.,  3.], dtype=float32)
    """
    return Round(ste).apply1(x, name=name)


def ceil(x: Any, ste: bool = True, *, name: str | None = None) -> Any:
    """Element-wise ceiling: the smallest integer not less than ``x``.

    .. math::
        y = \\lceil x \\rceil

    Args:
        x (array, Variable or SymbolicVariable): Input of any shape and numeric dtype.
        ste (bool): Straight-through gradient (``gy``) when ``True`` (default, NNabla's rule);
            zero gradient when ``False``.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as ``x``: shape and dtype of ``x``.

    Raises:
        ArgumentError: ``ste`` is not a bool.

    Notes:
        Gradient: ``gy`` (straight-through estimator) with ``ste=True``, 0 otherwise.
        Equivalent to ``nnabla.functions.ceil`` (always straight-through) and ``numpy.ceil``
        for the values.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.ceil(np.array([-1.5, 0.2, 2.0], np.float32))
        array([-1.,  1.,  2.], dtype=float32)
    """
    return Ceil(ste).apply1(x, name=name)


def floor(x: Any, ste: bool = True, *, name: str | None = None) -> Any:
    """Element-wise floor: the largest integer not greater than ``x``.

    .. math::
        y = \\lfloor x \\rfloor

    Args:
        x (array, Variable or SymbolicVariable): Input of any shape and numeric dtype.
        ste (bool): Straight-through gradient (``gy``) when ``True`` (default, NNabla's rule);
            zero gradient when ``False``.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as ``x``: shape and dtype of ``x``.

    Raises:
        ArgumentError: ``ste`` is not a bool.

    Notes:
        Gradient: ``gy`` (straight-through estimator) with ``ste=True``, 0 otherwise.
        Equivalent to ``nnabla.functions.floor`` (always straight-through) and
        ``numpy.floor`` for the values.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.floor(np.array([-1.5, 0.2, 2.0], np.float32))
        array([-2.,  0.,  2.], dtype=float32)
    """
    return Floor(ste).apply1(x, name=name)


def identity(x: Any, *, name: str | None = None) -> Any:
    """The identity function, ``y = x``.

    .. math::
        y = x

    Args:
        x (array, Variable or SymbolicVariable): Input of any shape and dtype.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as ``x``: the same values, shape and dtype (a view in array mode).

    Raises:
        DTypeError: a tensor argument is not real and numeric (the engine's input checks).

    Notes:
        Gradient: ``gy``. Useful to name a node in a graph. Equivalent to
        ``nnabla.functions.identity``.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.identity(np.array([1, 2]))
        array([1, 2])
    """
    return Identity().apply1(x, name=name)
