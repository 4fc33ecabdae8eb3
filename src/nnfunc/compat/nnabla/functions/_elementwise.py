"""nnabla.functions entries of the Arithmetic, Logical, Math, Reduction and Array Manipulation
sections (those of the engine primitives are in ``_core.py``).

Conventions of this dialect (NNabla 1.39):

* comparisons, logical functions, ``isnan`` and ``isinf`` return 0/1 in the input's dtype (the
  result dtype of the operands), not booleans;
* ``sign``, ``round``, ``ceil`` and ``floor`` use straight-through gradients;
* ``inplace`` is accepted and ignored; ``n_outputs`` and ``outputs``: see
  :mod:`nnfunc.compat.nnabla.functions`.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import numpy as np

import nnfunc.functions as F
from nnfunc.compat._common import same_as, tensor_args
from nnfunc.compat.nnabla._imperative import canonical_entry, outputs_in_place
from nnfunc.core import check
from nnfunc.errors import ArgumentError, ShapeError

__all__ = [
    "abs",
    "acos",
    "acosh",
    "add_n",
    "arange",
    "asin",
    "asinh",
    "assign",
    "atan",
    "atan2",
    "atanh",
    "batch_det",
    "batch_inv",
    "batch_matmul",
    "broadcast_to",
    "ceil",
    "concatenate",
    "constant",
    "cos",
    "cosh",
    "equal",
    "equal_scalar",
    "flip",
    "floor",
    "gather_nd",
    "greater",
    "greater_equal",
    "greater_equal_scalar",
    "greater_scalar",
    "identity",
    "isinf",
    "isnan",
    "less",
    "less_equal",
    "less_equal_scalar",
    "less_scalar",
    "logical_and",
    "logical_and_scalar",
    "logical_not",
    "logical_or",
    "logical_or_scalar",
    "logical_xor",
    "logical_xor_scalar",
    "matrix_diag",
    "matrix_diag_part",
    "max",
    "min",
    "mul_n",
    "not_equal",
    "not_equal_scalar",
    "pad",
    "prod",
    "reset_inf",
    "reset_nan",
    "round",
    "scatter_nd",
    "shift",
    "sign",
    "sin",
    "sinh",
    "slice",
    "sort",
    "split",
    "stack",
    "tan",
    "tile",
    "top_k_data",
]


def _dtype(*xs: Any) -> np.dtype:
    """Result dtype of the tensor operands (Python scalars do not take part)."""
    dts = [
        np.dtype(x.dtype) if hasattr(x, "dtype") else np.asarray(x).dtype
        for x in xs
        if not isinstance(x, (bool, int, float))
    ]
    return np.result_type(*dts) if dts else np.dtype(np.float32)


def _as01(y: Any, dtype: np.dtype, name: str | None) -> Any:
    return F.cast(y, dtype, name=name)


def _zero_one(canonical: Callable[..., Any]) -> Callable[..., Any]:
    """NNabla's form of a comparison or logical function: ``canonical``'s result as 0/1 in the
    dtype of the tensor operands (``x0``, and ``x1`` where there is one; a scalar ``val`` takes
    no part), with the seed's argument names (``x0`` where the canonical says ``x``). The
    entries are :func:`canonical_entry` of it (their own docstrings describe every argument)."""
    sig = inspect.signature(canonical)
    params = [p.replace(name="x0") if p.name == "x" else p for p in sig.parameters.values()]
    names = [p.name for p in params if p.kind is p.POSITIONAL_OR_KEYWORD]
    operands = [n for n in names if n in ("x0", "x1")]

    def translated(*args: Any, name: str | None = None, **kwargs: Any) -> Any:
        if not kwargs.keys().isdisjoint(names[: len(args)]):
            raise TypeError(f"{canonical.__name__}() got multiple values for an argument")
        given = dict(zip(names, args), **kwargs)
        y = canonical(*(given[n] for n in names if n in given))
        return _as01(y, _dtype(*(given[n] for n in operands)), name)

    translated.__name__ = translated.__qualname__ = canonical.__name__
    translated.__signature__ = sig.replace(parameters=params)  # type: ignore[attr-defined]
    return translated


equal = canonical_entry(
    _zero_one(F.equal),
    """1 where ``x0 == x1``, else 0 (broadcasting), in the operands' dtype.

    See :func:`nnfunc.equal`.

    Args:
        x0: First operand.
        x1: Second operand.
        name (str, optional): Node name in graph mode.

    Returns:
        0/1 values in the result dtype of the operands.

    Examples:
        >>> F.equal(np.array([0.0, 1.0, 2.0], np.float32), np.array([1.0], np.float32))
        array([0., 1., 0.], dtype=float32)
    """,
)


equal_scalar = canonical_entry(
    _zero_one(F.equal_scalar),
    """1 where ``x0 == val``, else 0, in the dtype of ``x0``.

    See :func:`nnfunc.equal_scalar`.

    Args:
        x0: Input tensor.
        val (float): The scalar. Default ``1``.
        name (str, optional): Node name in graph mode.

    Returns:
        0/1 values in the dtype of ``x0``.

    Examples:
        >>> F.equal_scalar(np.array([0.0, 1.0, 2.0], np.float32))
        array([0., 1., 0.], dtype=float32)
    """,
)


not_equal = canonical_entry(
    _zero_one(F.not_equal),
    """1 where ``x0 != x1``, else 0 (broadcasting), in the operands' dtype.

    See :func:`nnfunc.not_equal`.

    Args:
        x0: First operand.
        x1: Second operand.
        name (str, optional): Node name in graph mode.

    Returns:
        0/1 values in the result dtype of the operands.

    Examples:
        >>> F.not_equal(np.array([0.0, 1.0, 2.0], np.float32), np.array([1.0], np.float32))
        array([1., 0., 1.], dtype=float32)
    """,
)


not_equal_scalar = canonical_entry(
    _zero_one(F.not_equal_scalar),
    """1 where ``x0 != val``, else 0, in the dtype of ``x0``.

    See :func:`nnfunc.not_equal_scalar`.

    Args:
        x0: Input tensor.
        val (float): The scalar. Default ``1``.
        name (str, optional): Node name in graph mode.

    Returns:
        0/1 values in the dtype of ``x0``.

    Examples:
        >>> F.not_equal_scalar(np.array([0.0, 1.0, 2.0], np.float32))
        array([1., 0., 1.], dtype=float32)
    """,
)


greater = canonical_entry(
    _zero_one(F.greater),
    """1 where ``x0 > x1``, else 0 (broadcasting), in the operands' dtype.

    See :func:`nnfunc.greater`.

    Args:
        x0: First operand.
        x1: Second operand.
        name (str, optional): Node name in graph mode.

    Returns:
        0/1 values in the result dtype of the operands.

    Examples:
        >>> F.greater(np.array([0.0, 1.0, 2.0], np.float32), np.array([1.0], np.float32))
        array([0., 0., 1.], dtype=float32)
    """,
)


greater_scalar = canonical_entry(
    _zero_one(F.greater_scalar),
    """1 where ``x0 > val``, else 0, in the dtype of ``x0``.

    See :func:`nnfunc.greater_scalar`.

    Args:
        x0: Input tensor.
        val (float): The scalar. Default ``1``.
        name (str, optional): Node name in graph mode.

    Returns:
        0/1 values in the dtype of ``x0``.

    Examples:
        >>> F.greater_scalar(np.array([0.0, 1.0, 2.0], np.float32))
        array([0., 0., 1.], dtype=float32)
    """,
)


greater_equal = canonical_entry(
    _zero_one(F.greater_equal),
    """1 where ``x0 >= x1``, else 0 (broadcasting), in the operands' dtype.

    See :func:`nnfunc.greater_equal`.

    Args:
        x0: First operand.
        x1: Second operand.
        name (str, optional): Node name in graph mode.

    Returns:
        0/1 values in the result dtype of the operands.

    Examples:
        >>> F.greater_equal(np.array([0.0, 1.0, 2.0], np.float32), np.array([1.0], np.float32))
        array([0., 1., 1.], dtype=float32)
    """,
)


greater_equal_scalar = canonical_entry(
    _zero_one(F.greater_equal_scalar),
    """1 where ``x0 >= val``, else 0, in the dtype of ``x0``.

    See :func:`nnfunc.greater_equal_scalar`.

    Args:
        x0: Input tensor.
        val (float): The scalar. Default ``1``.
        name (str, optional): Node name in graph mode.

    Returns:
        0/1 values in the dtype of ``x0``.

    Examples:
        >>> F.greater_equal_scalar(np.array([0.0, 1.0, 2.0], np.float32))
        array([0., 1., 1.], dtype=float32)
    """,
)


less = canonical_entry(
    _zero_one(F.less),
    """1 where ``x0 < x1``, else 0 (broadcasting), in the operands' dtype.

    See :func:`nnfunc.less`.

    Args:
        x0: First operand.
        x1: Second operand.
        name (str, optional): Node name in graph mode.

    Returns:
        0/1 values in the result dtype of the operands.

    Examples:
        >>> F.less(np.array([0.0, 1.0, 2.0], np.float32), np.array([1.0], np.float32))
        array([1., 0., 0.], dtype=float32)
    """,
)


less_scalar = canonical_entry(
    _zero_one(F.less_scalar),
    """1 where ``x0 < val``, else 0, in the dtype of ``x0``.

    See :func:`nnfunc.less_scalar`.

    Args:
        x0: Input tensor.
        val (float): The scalar. Default ``1``.
        name (str, optional): Node name in graph mode.

    Returns:
        0/1 values in the dtype of ``x0``.

    Examples:
        >>> F.less_scalar(np.array([0.0, 1.0, 2.0], np.float32))
        array([1., 0., 0.], dtype=float32)
    """,
)


less_equal = canonical_entry(
    _zero_one(F.less_equal),
    """1 where ``x0 <= x1``, else 0 (broadcasting), in the operands' dtype.

    See :func:`nnfunc.less_equal`.

    Args:
        x0: First operand.
        x1: Second operand.
        name (str, optional): Node name in graph mode.

    Returns:
        0/1 values in the result dtype of the operands.

    Examples:
        >>> F.less_equal(np.array([0.0, 1.0, 2.0], np.float32), np.array([1.0], np.float32))
        array([1., 1., 0.], dtype=float32)
    """,
)


less_equal_scalar = canonical_entry(
    _zero_one(F.less_equal_scalar),
    """1 where ``x0 <= val``, else 0, in the dtype of ``x0``.

    See :func:`nnfunc.less_equal_scalar`.

    Args:
        x0: Input tensor.
        val (float): The scalar. Default ``1``.
        name (str, optional): Node name in graph mode.

    Returns:
        0/1 values in the dtype of ``x0``.

    Examples:
        >>> F.less_equal_scalar(np.array([0.0, 1.0, 2.0], np.float32))
        array([1., 1., 0.], dtype=float32)
    """,
)


logical_and = canonical_entry(
    _zero_one(F.logical_and),
    """Element-wise logical AND (non-zero is true) as 0/1 in the operands' dtype.

    See :func:`nnfunc.logical_and`.

    Args:
        x0: First operand.
        x1: Second operand.
        name (str, optional): Node name in graph mode.

    Returns:
        0/1 values in the result dtype of the operands.

    Examples:
        >>> a = np.array([0.0, 0.0, 2.0, 3.0], np.float32)
        >>> F.logical_and(a, np.array([0.0, 1.0, 0.0, -1.0], np.float32))
        array([0., 0., 0., 1.], dtype=float32)
    """,
)


logical_and_scalar = canonical_entry(
    _zero_one(F.logical_and_scalar),
    """Element-wise logical AND of ``x0`` and a scalar ``val`` (required), as 0/1.

    See :func:`nnfunc.logical_and_scalar`.

    Args:
        x0: Input tensor.
        val (float or bool): The scalar (no default, as in NNabla).
        name (str, optional): Node name in graph mode.

    Returns:
        0/1 values in the dtype of ``x0``.

    Examples:
        >>> F.logical_and_scalar(np.array([0.0, 2.0], np.float32), 1)
        array([0., 1.], dtype=float32)
    """,
    tensors=("x0",),
)


logical_or = canonical_entry(
    _zero_one(F.logical_or),
    """Element-wise logical OR (non-zero is true) as 0/1 in the operands' dtype.

    See :func:`nnfunc.logical_or`.

    Args:
        x0: First operand.
        x1: Second operand.
        name (str, optional): Node name in graph mode.

    Returns:
        0/1 values in the result dtype of the operands.

    Examples:
        >>> a = np.array([0.0, 0.0, 2.0, 3.0], np.float32)
        >>> F.logical_or(a, np.array([0.0, 1.0, 0.0, -1.0], np.float32))
        array([0., 1., 1., 1.], dtype=float32)
    """,
)


logical_or_scalar = canonical_entry(
    _zero_one(F.logical_or_scalar),
    """Element-wise logical OR of ``x0`` and a scalar ``val`` (required), as 0/1.

    See :func:`nnfunc.logical_or_scalar`.

    Args:
        x0: Input tensor.
        val (float or bool): The scalar (no default, as in NNabla).
        name (str, optional): Node name in graph mode.

    Returns:
        0/1 values in the dtype of ``x0``.

    Examples:
        >>> F.logical_or_scalar(np.array([0.0, 2.0], np.float32), 1)
        array([1., 1.], dtype=float32)
    """,
    tensors=("x0",),
)


logical_xor = canonical_entry(
    _zero_one(F.logical_xor),
    """Element-wise logical XOR (non-zero is true) as 0/1 in the operands' dtype. NNabla's page
    prints the XNOR table; NNabla (and this function) compute XOR.

    See :func:`nnfunc.logical_xor`.

    Args:
        x0: First operand.
        x1: Second operand.
        name (str, optional): Node name in graph mode.

    Returns:
        0/1 values in the result dtype of the operands.

    Examples:
        >>> a = np.array([0.0, 0.0, 2.0, 3.0], np.float32)
        >>> F.logical_xor(a, np.array([0.0, 1.0, 0.0, -1.0], np.float32))
        array([0., 1., 1., 0.], dtype=float32)
    """,
)


logical_xor_scalar = canonical_entry(
    _zero_one(F.logical_xor_scalar),
    """Element-wise logical XOR of ``x0`` and a scalar ``val`` (required), as 0/1.

    See :func:`nnfunc.logical_xor_scalar`.

    Args:
        x0: Input tensor.
        val (float or bool): The scalar (no default, as in NNabla).
        name (str, optional): Node name in graph mode.

    Returns:
        0/1 values in the dtype of ``x0``.

    Examples:
        >>> F.logical_xor_scalar(np.array([0.0, 2.0], np.float32), 1)
        array([1., 0.], dtype=float32)
    """,
    tensors=("x0",),
)


logical_not = canonical_entry(
    _zero_one(F.logical_not),
    """``logical_not`` as 0/1 in the dtype of ``x0``.

    See :func:`nnfunc.logical_not`.

    Args:
        x0: Input tensor.
        name (str, optional): Node name in graph mode.

    Returns:
        0/1 values in the dtype of ``x0``.

    Examples:
        >>> F.logical_not(np.array([0.0, 2.0], np.float32))
        array([1., 0.], dtype=float32)
    """,
)


isnan = canonical_entry(
    _zero_one(F.isnan),
    """``isnan`` as 0/1 in the dtype of ``x0``.

    See :func:`nnfunc.isnan`.

    Args:
        x0: Input tensor.
        name (str, optional): Node name in graph mode.

    Returns:
        0/1 values in the dtype of ``x0``.

    Examples:
        >>> F.isnan(np.array([1.0, np.nan], np.float32))
        array([0., 1.], dtype=float32)
    """,
)


isinf = canonical_entry(
    _zero_one(F.isinf),
    """``isinf`` as 0/1 in the dtype of ``x0``.

    See :func:`nnfunc.isinf`.

    Args:
        x0: Input tensor.
        name (str, optional): Node name in graph mode.

    Returns:
        0/1 values in the dtype of ``x0``.

    Examples:
        >>> F.isinf(np.array([1.0, -np.inf], np.float32))
        array([0., 1.], dtype=float32)
    """,
)


@outputs_in_place
@tensor_args("x0")
def reset_nan(
    x0: Any, val: float = 0, n_outputs: int = 1, outputs: Any = None, *, name: str | None = None
) -> Any:
    """Replace the NaN elements by ``val``.

    See :func:`nnfunc.reset_nan`.

    Args:
        x0: Input tensor.
        val (float): Replacement. Default ``0``.
        name (str, optional): Node name in graph mode.

    Returns:
        Shape and dtype of ``x0``.

    Examples:
        >>> F.reset_nan(np.array([1.0, np.nan], np.float32), 5)
        array([1., 5.], dtype=float32)
    """
    return F.reset_nan(x0, val, name=name)


@outputs_in_place
@tensor_args("x0")
def reset_inf(
    x0: Any, val: float = 0, n_outputs: int = 1, outputs: Any = None, *, name: str | None = None
) -> Any:
    """Replace the infinite elements by ``val``.

    See :func:`nnfunc.reset_inf`.

    Args:
        x0: Input tensor.
        val (float): Replacement. Default ``0``.
        name (str, optional): Node name in graph mode.

    Returns:
        Shape and dtype of ``x0``.

    Examples:
        >>> F.reset_inf(np.array([np.inf, 2.0], np.float32))
        array([0., 2.], dtype=float32)
    """
    return F.reset_inf(x0, val, name=name)


@outputs_in_place
@tensor_args("x")
def sign(
    x: Any, alpha: float = 1.0, n_outputs: int = 1, outputs: Any = None, *, name: str | None = None
) -> Any:
    """Sign with ``sign(0) = alpha`` and a straight-through (identity) gradient.

    See :func:`nnfunc.sign`.

    Args:
        x: Input tensor.
        alpha (float): Value at 0. Default ``1.0``.
        name (str, optional): Node name in graph mode.

    Returns:
        Shape and dtype of ``x``.

    Examples:
        >>> F.sign(np.array([-2.0, 0.0, 3.0], np.float32))
        array([-1.,  1.,  1.], dtype=float32)
    """
    return F.sign(x, alpha=alpha, ste=True, name=name)


@outputs_in_place
def add_n(*x: Any, **kw: Any) -> Any:
    """Element-wise sum of any number of tensors.

    See :func:`nnfunc.add_n`.

    Args:
        *x: Tensors (shapes broadcast).
        **kw: ``name`` (node name), ``n_outputs``, ``outputs`` (see the package note).

    Returns:
        The broadcast result.

    Examples:
        >>> F.add_n(np.array([1.0, 2.0]), np.array([3.0, 4.0]))
        array([4., 6.])
    """
    return F.add_n(*x, name=_kw_name("add_n", kw))


@outputs_in_place
def mul_n(*x: Any, **kw: Any) -> Any:
    """Element-wise product of any number of tensors.

    See :func:`nnfunc.mul_n`.

    Args:
        *x: Tensors (shapes broadcast).
        **kw: ``name`` (node name), ``n_outputs``, ``outputs`` (see the package note).

    Returns:
        The broadcast result.

    Examples:
        >>> F.mul_n(np.array([1.0, 2.0]), np.array([3.0, 4.0]))
        array([3., 8.])
    """
    return F.mul_n(*x, name=_kw_name("mul_n", kw))


abs = canonical_entry(  # noqa: A001
    F.abs,
    """Absolute value.

    See :func:`nnfunc.abs`. Its gradient at ``x == 0`` is 0 (the canonical convention);
    NNabla's kernel gives ``+gy`` there (``x < 0 ? -gy : gy``). Elsewhere they agree.

    Returns:
        As the canonical function.

    Examples:
        >>> F.abs(np.array([-1.5, 2.0], np.float32))
        array([1.5, 2. ], dtype=float32)
    """,
)


@outputs_in_place
@tensor_args("x")
def round(x: Any, n_outputs: int = 1, outputs: Any = None, *, name: str | None = None) -> Any:  # noqa: A001
    """Round half away from zero; straight-through gradient.

    See :func:`nnfunc.round`.

    Args:
        x: Input tensor.
        name (str, optional): Node name in graph mode.

    Returns:
        As the canonical function.

    Examples:
        >>> F.round(np.array([-0.5, 1.5, 2.4], np.float32))
        array([-1.,  2.,  2.], dtype=float32)
    """
    return F.round(x, ste=True, name=name)


@outputs_in_place
@tensor_args("x")
def ceil(x: Any, n_outputs: int = 1, outputs: Any = None, *, name: str | None = None) -> Any:
    """Ceiling; straight-through gradient.

    See :func:`nnfunc.ceil`.

    Args:
        x: Input tensor.
        name (str, optional): Node name in graph mode.

    Returns:
        As the canonical function.

    Examples:
        >>> F.ceil(np.array([-0.5, 1.2], np.float32))
        array([-0.,  2.], dtype=float32)
    """
    return F.ceil(x, ste=True, name=name)


@outputs_in_place
@tensor_args("x")
def floor(x: Any, n_outputs: int = 1, outputs: Any = None, *, name: str | None = None) -> Any:
    """Floor; straight-through gradient.

    See :func:`nnfunc.floor`.

    Args:
        x: Input tensor.
        name (str, optional): Node name in graph mode.

    Returns:
        As the canonical function.

    Examples:
        >>> F.floor(np.array([-0.5, 1.2], np.float32))
        array([-1.,  1.], dtype=float32)
    """
    return F.floor(x, ste=True, name=name)


identity = canonical_entry(
    F.identity,
    """Identity ``y = x``.

    See :func:`nnfunc.identity`.

    Returns:
        As the canonical function.

    Examples:
        >>> F.identity(np.array([1.0, 2.0], np.float32))
        array([1., 2.], dtype=float32)
    """,
)


matrix_diag = canonical_entry(
    F.matrix_diag,
    """Last axis to diagonal matrices: ``(..., M) -> (..., M, M)``.

    See :func:`nnfunc.matrix_diag`.

    Returns:
        As the canonical function.

    Examples:
        >>> F.matrix_diag(np.array([1.0, 2.0], np.float32))
        array([[1., 0.],
               [0., 2.]], dtype=float32)
    """,
)


matrix_diag_part = canonical_entry(
    F.matrix_diag_part,
    """Diagonals of the trailing square matrices.

    See :func:`nnfunc.matrix_diag_part`.

    Returns:
        As the canonical function.

    Examples:
        >>> F.matrix_diag_part(np.array([[1.0, 5.0], [6.0, 2.0]], np.float32))
        array([1., 2.], dtype=float32)
    """,
)


batch_inv = canonical_entry(
    F.batch_inv,
    """Inverse of each matrix of a batch ``(B, N, N)``.

    See :func:`nnfunc.batch_inv`.

    Returns:
        As the canonical function.

    Examples:
        >>> F.batch_inv(np.array([[[2.0, 0.0], [0.0, 4.0]]], np.float32))
        array([[[0.5 , 0.  ],
                [0.  , 0.25]]], dtype=float32)
    """,
)


batch_det = canonical_entry(
    F.batch_det,
    """Determinant of each matrix of a batch ``(B, N, N)``.

    See :func:`nnfunc.batch_det`.

    Returns:
        As the canonical function.

    Examples:
        >>> F.batch_det(np.array([[[2.0, 1.0], [1.0, 3.0]]], np.float32))
        array([5.], dtype=float32)
    """,
)


sin = canonical_entry(
    F.sin,
    """Element-wise ``sin``.

    See :func:`nnfunc.sin`.

    Returns:
        As the canonical function.

    Examples:
        >>> F.sin(np.array([0.25, 0.5], np.float32))
        array([0.24740396, 0.47942555], dtype=float32)
    """,
)


cos = canonical_entry(
    F.cos,
    """Element-wise ``cos``.

    See :func:`nnfunc.cos`.

    Returns:
        As the canonical function.

    Examples:
        >>> F.cos(np.array([0.25, 0.5], np.float32))
        array([0.9689124 , 0.87758255], dtype=float32)
    """,
)


tan = canonical_entry(
    F.tan,
    """Element-wise ``tan``.

    See :func:`nnfunc.tan`.

    Returns:
        As the canonical function.

    Examples:
        >>> F.tan(np.array([0.25, 0.5], np.float32))
        array([0.25534192, 0.5463025 ], dtype=float32)
    """,
)


sinh = canonical_entry(
    F.sinh,
    """Element-wise ``sinh``.

    See :func:`nnfunc.sinh`.

    Returns:
        As the canonical function.

    Examples:
        >>> F.sinh(np.array([0.25, 0.5], np.float32))
        array([0.25261232, 0.5210953 ], dtype=float32)
    """,
)


cosh = canonical_entry(
    F.cosh,
    """Element-wise ``cosh``.

    See :func:`nnfunc.cosh`.

    Returns:
        As the canonical function.

    Examples:
        >>> F.cosh(np.array([0.25, 0.5], np.float32))
        array([1.0314132, 1.1276261], dtype=float32)
    """,
)


asin = canonical_entry(
    F.asin,
    """Element-wise ``asin``.

    See :func:`nnfunc.asin`.

    Returns:
        As the canonical function.

    Examples:
        >>> F.asin(np.array([0.25, 0.5], np.float32))
        array([0.25268024, 0.5235988 ], dtype=float32)
    """,
)


acos = canonical_entry(
    F.acos,
    """Element-wise ``acos``.

    See :func:`nnfunc.acos`.

    Returns:
        As the canonical function.

    Examples:
        >>> F.acos(np.array([0.25, 0.5], np.float32))
        array([1.3181162, 1.0471976], dtype=float32)
    """,
)


atan = canonical_entry(
    F.atan,
    """Element-wise ``atan``.

    See :func:`nnfunc.atan`.

    Returns:
        As the canonical function.

    Examples:
        >>> F.atan(np.array([0.25, 0.5], np.float32))
        array([0.24497867, 0.4636476 ], dtype=float32)
    """,
)


asinh = canonical_entry(
    F.asinh,
    """Element-wise ``asinh``.

    See :func:`nnfunc.asinh`.

    Returns:
        As the canonical function.

    Examples:
        >>> F.asinh(np.array([0.25, 0.5], np.float32))
        array([0.24746646, 0.4812118 ], dtype=float32)
    """,
)


acosh = canonical_entry(
    F.acosh,
    """Element-wise ``acosh``.

    See :func:`nnfunc.acosh`.

    Returns:
        As the canonical function.

    Examples:
        >>> F.acosh(np.array([1.5, 2.0], np.float32))
        array([0.9624236, 1.316958 ], dtype=float32)
    """,
)


atanh = canonical_entry(
    F.atanh,
    """Element-wise ``atanh``.

    See :func:`nnfunc.atanh`.

    Returns:
        As the canonical function.

    Examples:
        >>> F.atanh(np.array([0.25, 0.5], np.float32))
        array([0.25541282, 0.54930615], dtype=float32)
    """,
)


atan2 = canonical_entry(
    F.atan2,
    """``arctan2(x0, x1)``: the angle of the point ``(x1, x0)``.

    See :func:`nnfunc.atan2`.

    Returns:
        The broadcast angles.

    Examples:
        >>> F.atan2(np.array([1.0]), np.array([1.0]))
        array([0.78539816])
    """,
)


batch_matmul = canonical_entry(
    F.batch_matmul,
    """Batched matrix product with optional transposes of the last two axes.

    See :func:`nnfunc.batch_matmul`.

    Returns:
        ``(..., P, R)``.

    Examples:
        >>> F.batch_matmul(np.ones((2, 1, 3)), np.ones((2, 3, 2))).shape
        (2, 1, 2)
    """,
)


@outputs_in_place
def constant(
    val: float = 0,
    shape: Any = (),
    n_outputs: int = 1,
    outputs: Any = None,
    *,
    name: str | None = None,
) -> Any:
    """An array of ``shape`` filled with ``val`` (float32).

    See :func:`nnfunc.constant`.

    Args:
        val (float): The value. Default ``0``.
        shape (sequence of int): Shape. Default ``[]`` (0-d).
        name (str, optional): Node name in graph mode.

    Returns:
        A float32 array (a constant node inside ``with Graph():``).

    Examples:
        >>> F.constant(1.5, (2,))
        array([1.5, 1.5], dtype=float32)
    """
    return F.constant(val, shape, name=name)


@outputs_in_place
def arange(
    start: float,
    stop: float,
    step: float = 1,
    n_outputs: int = 1,
    outputs: Any = None,
    *,
    name: str | None = None,
) -> Any:
    """Values of ``[start, stop)`` with increment ``step`` (float32).

    See :func:`nnfunc.arange`.

    Args:
        start (float): First value.
        stop (float): Excluded end.
        step (float): Increment (not 0). Default ``1``.
        name (str, optional): Node name in graph mode.

    Returns:
        A 1-D float32 array.

    Examples:
        >>> F.arange(1, 11).reshape(2, 5)
        array([[ 1.,  2.,  3.,  4.,  5.],
               [ 6.,  7.,  8.,  9., 10.]], dtype=float32)
    """
    return F.arange(start, stop, step, name=name)


max = same_as(  # noqa: A001
    F.max,
    """Maximum over ``axis``, optionally with indices (the page's ``(sorted, indices)`` means
    ``(values, indices)``).

    See :func:`nnfunc.max`.

    Returns:
        Values, ``(values, indices)`` or indices (int64).

    Examples:
        >>> F.max(np.array([[1.0, 3.0], [4.0, 2.0]]), axis=1, only_index=True)
        array([1, 0])
    """,
)


min = same_as(  # noqa: A001
    F.min,
    """Minimum over ``axis``, optionally with indices (the page's ``(sorted, indices)`` means
    ``(values, indices)``).

    See :func:`nnfunc.min`.

    Returns:
        Values, ``(values, indices)`` or indices (int64).

    Examples:
        >>> F.min(np.array([[1.0, 3.0], [4.0, 2.0]]), axis=1, only_index=True)
        array([0, 1])
    """,
)


prod = same_as(
    F.prod,
    """Product over ``axis`` (its gradient is exact with zero inputs, unlike NNabla's).

    See :func:`nnfunc.prod`.

    Returns:
        The reduced product.

    Examples:
        >>> F.prod(np.array([[1.0, 2.0], [3.0, 4.0]]), axis=0)
        array([3., 8.])
    """,
)


def _kw_name(op: str, kw: dict[str, Any], allowed: tuple[str, ...] = ()) -> Any:
    extra = set(kw) - {"name", "n_outputs", "outputs", *allowed}
    if extra:
        raise ArgumentError(
            check.message(op, "kw", "hold only the documented keywords", kw=sorted(extra))
        )
    return kw.get("name")


@outputs_in_place
def concatenate(*x: Any, **kw: Any) -> Any:
    """Join tensors along an existing axis (keyword ``axis``, default the last axis).

    See :func:`nnfunc.concatenate`.

    Args:
        *x: Tensors.
        **kw: ``axis`` (int, default ``len(x[0].shape) - 1``), ``name``, ``n_outputs``,
            ``outputs`` (see the package note).

    Returns:
        The joined tensor.

    Examples:
        >>> F.concatenate(np.zeros((2, 1)), np.ones((2, 2))).shape
        (2, 3)
    """
    name = _kw_name("concatenate", kw, ("axis",))
    return F.concatenate(*x, axis=kw.get("axis", -1), name=name)


@outputs_in_place
def stack(*x: Any, **kw: Any) -> Any:
    """Join same-shape tensors along a new axis (keyword ``axis``, default 0).

    See :func:`nnfunc.stack`.

    Args:
        *x: Tensors of one shape.
        **kw: ``axis`` (int, default ``0``), ``name``, ``n_outputs``, ``outputs`` (package note).

    Returns:
        The stacked tensor.

    Examples:
        >>> F.stack(*[np.zeros((3, 28, 28))] * 4, axis=1).shape
        (3, 4, 28, 28)
    """
    name = _kw_name("stack", kw, ("axis",))
    return F.stack(*x, axis=kw.get("axis", 0), name=name)


split = same_as(
    F.split,
    """Unstack ``x`` along ``axis`` into ``x.shape[axis]`` tensors (not numpy's sections).

    See :func:`nnfunc.split`.

    Returns:
        A tuple of ``x.shape[axis]`` tensors.

    Examples:
        >>> len(F.split(np.zeros((3, 2))))
        3
    """,
)


slice = canonical_entry(  # noqa: A001
    F.slice,
    """Python-style slicing of the trailing axes.

    See :func:`nnfunc.slice`.

    Returns:
        The slice.

    Examples:
        >>> F.slice(np.arange(5), (None,), (None,), (-1,))
        array([4, 3, 2, 1, 0])
    """,
)


gather_nd = same_as(
    F.gather_nd,
    """Gather at index tuples laid along the FIRST axis of ``indices``.

    See :func:`nnfunc.gather_nd`.

    Returns:
        ``(Y_0, ..., Y_{K-1}, X_M, ..., X_{N-1})``.

    Examples:
        >>> data = F.arange(1, 11).reshape(2, 5)
        >>> F.gather_nd(data, [[1, 1, 0], [0, 1, 0]])
        array([6., 7., 1.], dtype=float32)
    """,
    tensors=("data",),
)


@tensor_args("data", "indices")
def scatter_nd(
    data: Any, indices: Any, shape: Any = None, out: Any = None, *, name: str | None = None
) -> Any:
    """Scatter ``data`` at index tuples into zeros of ``shape`` or into a copy of ``out`` (``out``
    itself is not modified, unlike NNabla).

    See :func:`nnfunc.scatter_nd`.

    Args:
        data: ``(Y_0, ..., X_M, ...)``.
        indices: ``(M, Y_0, ...)`` integers.
        shape (sequence of int): Output shape (exactly one of ``shape`` and ``out``).
        out: Tensor whose values fill the other positions.
        name (str, optional): Node name in graph mode.

    Returns:
        The scattered tensor.

    Examples:
        >>> F.scatter_nd(np.array([9, 10, 11, 12]), np.array([[4, 3, 1, 7]]), shape=(8,))
        array([ 0, 11,  0, 10,  9,  0,  0, 12])
    """
    return F.scatter_nd(data, indices, shape, out, name=name)


pad = canonical_entry(
    F.pad,
    """Pad the innermost ``len(pad_width) // 2`` axes.

    See :func:`nnfunc.pad`.

    Returns:
        The padded tensor (same rank).

    Examples:
        >>> F.pad(np.array([1, 2, 3, 4]), (3, 3), 'reflect')
        array([4, 3, 2, 1, 2, 3, 4, 3, 2, 1])
    """,
    tensors=("x",),
)


@outputs_in_place
@tensor_args("x", "y")
def broadcast_to(
    x: Any,
    y: Any,
    axis: Any = None,
    n_outputs: int = 1,
    outputs: Any = None,
    *,
    name: str | None = None,
) -> Any:
    """NNabla's experimental ``broadcast_to``: ``y`` fitted to the SHAPE of ``x``.

    NNabla 1.39 BEHAVIOUR (checked against the library): the output has ``x``'s shape and holds
    ``y``'s values, ``y``'s dimensions aligned with those of ``x`` starting at ``axis`` (at the
    end when ``axis`` is ``None``) and repeated along the others; ``x`` only gives the shape.
    The numpy-style ``broadcast_to(x, shape)`` is NNabla's ``broadcast``. NNabla has no backward
    for this function; here the gradient flows to ``y`` (summed), none to ``x``.

    Args:
        x: Tensor giving the output shape.
        y: Values, rank <= ``x``'s, dimensions equal to those of ``x`` at the aligned axes.
        axis (int, optional): First axis of ``x`` that ``y``'s first axis aligns with.
        name (str, optional): Node name in graph mode.

    Returns:
        A tensor of ``x``'s shape and ``y``'s dtype.

    Raises:
        ShapeError: ``y`` has a higher rank than ``x``, ``axis`` is out of range, or the
            aligned dimensions differ.

    Examples:
        >>> F.broadcast_to(np.zeros((2, 3)), np.array([1.0, 2.0]), axis=0)
        array([[1., 1., 1.],
               [2., 2., 2.]])
    """
    xs, ys = tuple(x.shape), tuple(y.shape) if hasattr(y, "shape") else np.shape(y)
    if len(ys) > len(xs):
        raise ShapeError(
            check.message(
                "broadcast_to", "y", "have a rank <= that of `x`", **{"x.shape": xs, "y.shape": ys}
            )
        )
    start = len(xs) - len(ys) if axis is None else check.axis("broadcast_to", "axis", axis, len(xs))
    if start + len(ys) > len(xs) or any(
        a is not None and b is not None and a != b for a, b in zip(xs[start:], ys)
    ):
        raise ShapeError(
            check.message(
                "broadcast_to",
                "y",
                "have the dimensions of `x` at the aligned axes",
                **{"x.shape": xs, "y.shape": ys},
                axis=axis,
            )
        )
    trailing = len(xs) - start - len(ys)
    if trailing:
        y = F.expand_dims(y, tuple(range(len(ys), len(ys) + trailing)))
    return F.broadcast_to(
        y, x if getattr(x, "_is_symbolic", False) and None in xs else xs, name=name
    )


tile = same_as(
    F.tile,
    """Repeat ``x`` (``numpy.tile``).

    See :func:`nnfunc.tile`.

    Returns:
        The tiled tensor.

    Examples:
        >>> F.tile(np.array([1, 2, 3]), 3)
        array([1, 2, 3, 1, 2, 3, 1, 2, 3])
    """,
    tensors=("x",),
)


flip = canonical_entry(
    F.flip,
    """Reverse along ``axes`` (default the last axis).

    See :func:`nnfunc.flip`.

    Returns:
        The flipped tensor.

    Examples:
        >>> F.flip(np.array([[1, 2], [3, 4]]), axes=(0, 1))
        array([[4, 3],
               [2, 1]])
    """,
)


shift = canonical_entry(
    F.shift,
    """Shift the trailing axes with ``'nearest'`` or ``'reflect'`` borders (right by 2 and up by 3
    is ``(-3, 2)``; the page lost the minus sign).

    See :func:`nnfunc.shift`.

    Returns:
        The shifted tensor.

    Examples:
        >>> F.shift(np.array([1, 2, 3, 4]), (2,))
        array([1, 1, 1, 2])
    """,
)


sort = same_as(
    F.sort,
    """Sort along ``axis`` (default -1; the page's ``axis=1`` lost its minus sign).

    See :func:`nnfunc.sort`.

    Returns:
        Sorted values, ``(sorted, indices)`` or indices.

    Examples:
        >>> F.sort(np.array([3.0, 1.0, 2.0]), with_index=True)
        (array([1., 2., 3.]), array([1, 2, 0]))
    """,
)


assign = canonical_entry(
    F.assign,
    """Copy ``src`` into ``dst`` in place and return the new value (``g_dst = g_y``).

    See :func:`nnfunc.assign`.

    Returns:
        A copy of the new ``dst``.

    Examples:
        >>> dst = np.zeros(2)
        >>> F.assign(dst, np.array([1.0, 2.0]))
        array([1., 2.])
    """,
)


top_k_data = canonical_entry(
    F.top_k_data,
    """Keep the ``k`` largest values of each sample.

    See :func:`nnfunc.top_k_data`.

    Returns:
        The selected values.

    Examples:
        >>> F.top_k_data(np.zeros((4, 5, 6)), 3).shape
        (4, 3)
    """,
    tensors=("x",),
)
