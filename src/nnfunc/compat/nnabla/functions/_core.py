"""nnabla.functions entries of the engine primitives (arithmetic, exp/log, sum/mean, shapes).

NNabla's ``inplace`` argument is accepted and has no effect (a memory option of NNabla's C++
engine); ``n_outputs`` and ``outputs``: see :mod:`nnfunc.compat.nnabla.functions`.
"""

from __future__ import annotations

from typing import Any

import nnfunc.functions as F
from nnfunc.compat._common import same_as, scalar_value, tensor_args
from nnfunc.compat.nnabla._imperative import canonical_entry, outputs_in_place

__all__ = [
    "add2",
    "add_scalar",
    "broadcast",
    "div2",
    "exp",
    "log",
    "maximum2",
    "maximum_scalar",
    "mean",
    "minimum2",
    "minimum_scalar",
    "mul2",
    "mul_scalar",
    "pow2",
    "pow_scalar",
    "r_div_scalar",
    "r_pow_scalar",
    "r_sub_scalar",
    "reduce_mean",
    "reduce_sum",
    "relu",
    "reshape",
    "sub2",
    "sum",
    "transpose",
    "where",
]


@outputs_in_place
@tensor_args("x0", "x1")
def add2(
    x0: Any,
    x1: Any,
    inplace: bool = False,
    n_outputs: int = 1,
    outputs: Any = None,
    *,
    name: str | None = None,
) -> Any:
    """``x0 + x1`` (broadcasting). See :func:`nnfunc.add`.

    Args:
        x0: First operand.
        x1: Second operand.
        inplace (bool): Ignored (NNabla memory option).
        name (str, optional): Node name in graph mode.

    Returns:
        The sum, as :func:`nnfunc.add`.

    Examples:
        >>> F.add2(np.array([1.0, 2.0]), np.array([3.0, 4.0]))
        array([4., 6.])
    """
    return F.add(x0, x1, name=name)


sub2 = canonical_entry(
    F.sub,
    """``x0 - x1`` (broadcasting). See :func:`nnfunc.sub`.

    Returns:
        The difference, as :func:`nnfunc.sub`.

    Examples:
        >>> F.sub2(np.array([1.0, 2.0]), np.array([3.0, 4.0]))
        array([-2., -2.])
    """,
    op="sub2",
)


mul2 = canonical_entry(
    F.mul,
    """``x0 * x1`` (broadcasting). See :func:`nnfunc.mul`.

    Returns:
        The product, as :func:`nnfunc.mul`.

    Examples:
        >>> F.mul2(np.array([1.0, 2.0]), np.array([3.0, 4.0]))
        array([3., 8.])
    """,
    op="mul2",
)


div2 = canonical_entry(
    F.div,
    """``x0 / x1`` (broadcasting). See :func:`nnfunc.div`.

    Returns:
        The quotient, as :func:`nnfunc.div`.

    Examples:
        >>> F.div2(np.array([1.0, 2.0]), np.array([4.0, 4.0]))
        array([0.25, 0.5 ])
    """,
    op="div2",
)


pow2 = canonical_entry(
    F.pow,
    """``x0 ** x1`` (broadcasting). See :func:`nnfunc.pow`.

    Returns:
        The power, as :func:`nnfunc.pow`.

    Examples:
        >>> F.pow2(np.array([2.0, 3.0]), np.array([3.0, 2.0]))
        array([8., 9.])
    """,
    op="pow2",
)


@outputs_in_place
@tensor_args("x0", "x1")
def maximum2(
    x0: Any, x1: Any, n_outputs: int = 1, outputs: Any = None, *, name: str | None = None
) -> Any:
    """Element-wise ``max(x0, x1)``. See :func:`nnfunc.maximum`.

    At ties the gradient goes to ``x1`` (NNabla's kernel: ``(x0 > x1) * dy`` for ``x0``),
    where the canonical :func:`nnfunc.maximum` gives it to ``x0``; the values are the same.

    Args:
        x0: First operand.
        x1: Second operand.
        name (str, optional): Node name in graph mode.

    Returns:
        As :func:`nnfunc.maximum`.

    Examples:
        >>> F.maximum2(np.array([1.0, 5.0]), np.array([3.0, 4.0]))
        array([3., 5.])
    """
    return F.maximum(x1, x0, name=name)  # ties (and their gradient) go to the first operand


@outputs_in_place
@tensor_args("x0", "x1")
def minimum2(
    x0: Any, x1: Any, n_outputs: int = 1, outputs: Any = None, *, name: str | None = None
) -> Any:
    """Element-wise ``min(x0, x1)``. See :func:`nnfunc.minimum`.

    At ties the gradient goes to ``x1`` (NNabla's kernel: ``(x0 < x1) * dy`` for ``x0``),
    where the canonical :func:`nnfunc.minimum` gives it to ``x0``; the values are the same.

    Args:
        x0: First operand.
        x1: Second operand.
        name (str, optional): Node name in graph mode.

    Returns:
        As :func:`nnfunc.minimum`.

    Examples:
        >>> F.minimum2(np.array([1.0, 5.0]), np.array([3.0, 4.0]))
        array([1., 4.])
    """
    return F.minimum(x1, x0, name=name)  # ties (and their gradient) go to the first operand


def _scalar_doc(
    fn: Any, formula: str, canonical: str, default: str, example: str, note: str = ""
) -> Any:
    fn.__doc__ = f"""``{formula}`` for a scalar ``val`` (default ``{default}``).

    See :func:`nnfunc.{canonical}`.{note}

    Args:
        x: Input tensor.
        val (float): The scalar. Default ``{default}``.
        name (str, optional): Node name in graph mode.

    Returns:
        Shape and dtype of ``x`` (the scalar never upcasts ``x``).

    Raises:
        ArgumentError: ``val`` is not a real number.

    Examples:
        >>> F.{fn.__name__}(np.array([1.0, 2.0], np.float32), 2)
        {example}
    """
    return fn


@outputs_in_place
@tensor_args("x")
def add_scalar(
    x: Any, val: float = 1, n_outputs: int = 1, outputs: Any = None, *, name: str | None = None
) -> Any:
    return F.add(x, scalar_value("add_scalar", val), name=name)


@outputs_in_place
@tensor_args("x")
def mul_scalar(
    x: Any, val: float = 1, n_outputs: int = 1, outputs: Any = None, *, name: str | None = None
) -> Any:
    return F.mul(x, scalar_value("mul_scalar", val), name=name)


@outputs_in_place
@tensor_args("x")
def pow_scalar(
    x: Any, val: float = 1, n_outputs: int = 1, outputs: Any = None, *, name: str | None = None
) -> Any:
    return F.pow(x, scalar_value("pow_scalar", val), name=name)


@outputs_in_place
@tensor_args("x")
def r_sub_scalar(
    x: Any, val: float = 1, n_outputs: int = 1, outputs: Any = None, *, name: str | None = None
) -> Any:
    return F.sub(scalar_value("r_sub_scalar", val), x, name=name)


@outputs_in_place
@tensor_args("x")
def r_div_scalar(
    x: Any, val: float = 1, n_outputs: int = 1, outputs: Any = None, *, name: str | None = None
) -> Any:
    return F.div(scalar_value("r_div_scalar", val), x, name=name)


@outputs_in_place
@tensor_args("x")
def r_pow_scalar(
    x: Any, val: float = 1, n_outputs: int = 1, outputs: Any = None, *, name: str | None = None
) -> Any:
    return F.pow(scalar_value("r_pow_scalar", val), x, name=name)


@outputs_in_place
@tensor_args("x")
def maximum_scalar(
    x: Any, val: float = 1.0, n_outputs: int = 1, outputs: Any = None, *, name: str | None = None
) -> Any:
    # NNabla: (x > val) * dy, so at ties the gradient goes to the constant, not to x.
    return F.maximum(scalar_value("maximum_scalar", val), x, name=name)


@outputs_in_place
@tensor_args("x")
def minimum_scalar(
    x: Any, val: float = 1.0, n_outputs: int = 1, outputs: Any = None, *, name: str | None = None
) -> Any:
    return F.minimum(scalar_value("minimum_scalar", val), x, name=name)


_TIE = """

    At ``x == val`` the gradient to ``x`` is 0 (NNabla's kernel), where the canonical
    :func:`nnfunc.{c}_scalar` passes it to ``x``; the values are the same."""
_scalar_doc(add_scalar, "x + val", "add", "1", "array([3., 4.], dtype=float32)")
_scalar_doc(mul_scalar, "val * x", "mul", "1", "array([2., 4.], dtype=float32)")
_scalar_doc(pow_scalar, "x ** val", "pow", "1", "array([1., 4.], dtype=float32)")
_scalar_doc(r_sub_scalar, "val - x", "sub", "1", "array([1., 0.], dtype=float32)")
_scalar_doc(r_div_scalar, "val / x", "div", "1", "array([2., 1.], dtype=float32)")
_scalar_doc(r_pow_scalar, "val ** x", "pow", "1", "array([2., 4.], dtype=float32)")
_scalar_doc(
    maximum_scalar,
    "max(x, val)",
    "maximum",
    "1.0",
    "array([2., 2.], dtype=float32)",
    _TIE.format(c="maximum"),
)
_scalar_doc(
    minimum_scalar,
    "min(x, val)",
    "minimum",
    "1.0",
    "array([1., 2.], dtype=float32)",
    _TIE.format(c="minimum"),
)


exp = canonical_entry(
    F.exp,
    """``exp(x)``. See :func:`nnfunc.exp`.

    Returns:
        As :func:`nnfunc.exp`.

    Examples:
        >>> F.exp(np.array([0.0]))
        array([1.])
    """,
)


log = canonical_entry(
    F.log,
    """Natural logarithm. See :func:`nnfunc.log`.

    Returns:
        As :func:`nnfunc.log`.

    Examples:
        >>> F.log(np.array([1.0]))
        array([0.])
    """,
)


sum = same_as(  # noqa: A001
    F.sum,
    """Sum over ``axis`` (``None``: all axes). See :func:`nnfunc.sum`.

    Returns:
        As :func:`nnfunc.sum`.

    Examples:
        >>> F.sum(np.ones((2, 3)), axis=1)
        array([3., 3.])
    """,
)


mean = same_as(
    F.mean,
    """Mean over ``axis`` (``None``: all axes). See :func:`nnfunc.mean`.

    Returns:
        As :func:`nnfunc.mean`.

    Examples:
        >>> F.mean(np.arange(4.0), keepdims=True)
        array([1.5])
    """,
)


@outputs_in_place
@tensor_args("x")
def reduce_sum(x: Any, n_outputs: int = 1, outputs: Any = None, *, name: str | None = None) -> Any:
    """Sum of all elements (deprecated in NNabla in favour of ``sum``).

    Args:
        x: Input tensor.
        name (str, optional): Node name in graph mode.

    Returns:
        A 0-d tensor.

    Examples:
        >>> F.reduce_sum(np.ones((2, 3)))
        array(6.)
    """
    return F.sum(x, name=name)


@outputs_in_place
@tensor_args("x")
def reduce_mean(x: Any, n_outputs: int = 1, outputs: Any = None, *, name: str | None = None) -> Any:
    """Mean of all elements (deprecated in NNabla in favour of ``mean``).

    Args:
        x: Input tensor.
        name (str, optional): Node name in graph mode.

    Returns:
        A 0-d tensor.

    Examples:
        >>> F.reduce_mean(np.arange(4.0))
        array(1.5)
    """
    return F.mean(x, name=name)


@outputs_in_place
@tensor_args("x")
def reshape(
    x: Any,
    shape: Any,
    inplace: bool = True,
    n_outputs: int = 1,
    outputs: Any = None,
    *,
    name: str | None = None,
) -> Any:
    """Reshape (one entry may be -1). See :func:`nnfunc.reshape`.

    Args:
        x: Input tensor.
        shape (tuple of int): New shape.
        inplace (bool): Ignored: NumPy already returns a view where it can.
        name (str, optional): Node name in graph mode.

    Returns:
        As :func:`nnfunc.reshape`.

    Examples:
        >>> F.reshape(np.arange(6.0), (3, 2)).shape
        (3, 2)
    """
    return F.reshape(x, shape, name=name)


@outputs_in_place
@tensor_args("x")
def transpose(
    x: Any, axes: Any, n_outputs: int = 1, outputs: Any = None, *, name: str | None = None
) -> Any:
    """Permute axes (``axes`` required). See :func:`nnfunc.transpose`.

    Args:
        x: Input tensor.
        axes (tuple of int): Source axis of each output axis.
        name (str, optional): Node name in graph mode.

    Returns:
        As :func:`nnfunc.transpose`.

    Examples:
        >>> F.transpose(np.zeros((2, 3, 4)), (2, 0, 1)).shape
        (4, 2, 3)
    """
    return F.transpose(x, axes, name=name)


broadcast = canonical_entry(
    F.broadcast_to,
    """Broadcast to ``shape`` (NumPy rules). See :func:`nnfunc.broadcast_to`.

    Returns:
        As :func:`nnfunc.broadcast_to`.

    Examples:
        >>> F.broadcast(np.ones((1, 3)), (2, 3)).shape
        (2, 3)
    """,
    op="broadcast",
    tensors=("x",),
)


@outputs_in_place
@tensor_args("condition", "x_true", "x_false")
def where(
    condition: Any,
    x_true: Any,
    x_false: Any,
    n_outputs: int = 1,
    outputs: Any = None,
    *,
    name: str | None = None,
) -> Any:
    """``x_true`` where ``condition`` is non-zero, else ``x_false``.

    NNabla aligns a ``condition`` of lower rank with the LEADING dimensions of ``x_true``
    (its example: condition ``(2, 3)`` with values ``(2, 3, 4)``); trailing axes are added to
    the condition accordingly before NumPy broadcasting.

    Args:
        condition: Mask; its shape equals the leading dimensions of ``x_true``.
        x_true: Values where the mask holds.
        x_false: Values elsewhere (same shape as ``x_true``).
        name (str, optional): Node name in graph mode.

    Returns:
        As :func:`nnfunc.where`.

    Examples:
        >>> F.where(np.array([1, 0]), np.ones((2, 2)), np.zeros((2, 2)))
        array([[1., 1.],
               [0., 0.]])
    """
    rank = max((len(v.shape) for v in (x_true, x_false) if hasattr(v, "shape")), default=0)
    extra = rank - len(condition.shape) if hasattr(condition, "shape") else 0
    if extra > 0:
        n = len(condition.shape)
        condition = F.expand_dims(condition, tuple(range(n, n + extra)))
    return F.where(condition, x_true, x_false, name=name)


@outputs_in_place
@tensor_args("x")
def relu(
    x: Any,
    inplace: bool = False,
    n_outputs: int = 1,
    outputs: Any = None,
    *,
    name: str | None = None,
) -> Any:
    """Rectified linear unit ``max(0, x)``. See :func:`nnfunc.relu`.

    Args:
        x: Input tensor.
        inplace (bool): Ignored (NNabla memory option).
        name (str, optional): Node name in graph mode.

    Returns:
        As :func:`nnfunc.relu`.

    Examples:
        >>> F.relu(np.array([-1.0, 2.0]))
        array([0., 2.])
    """
    return F.relu(x, name=name)
