"""Linear algebra: matrix_diag, matrix_diag_part, batch_matmul, batch_inv, batch_det."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import nnfunc.functions as F
from nnfunc.core import check
from nnfunc.core.dtypes import real_dtype
from nnfunc.core.function import Function, node_errors
from nnfunc.core.spec import TensorSpec
from nnfunc.errors import ArgumentError, ShapeError
from nnfunc.functions.math._exp_log_matmul import matmul

__all__ = ["batch_det", "batch_inv", "batch_matmul", "matrix_diag", "matrix_diag_part"]


def _swap(v: Any) -> Any:
    n = len(v.shape)
    return F.transpose(v, tuple(range(n - 2)) + (n - 1, n - 2))


# ----------------------------------------------------------------------------- diag
class MatrixDiag(Function):
    """``(..., n) -> (..., n, n)`` with the vector on the diagonal."""

    op_name = "matrix_diag"

    def setup(self, x: Any) -> tuple[TensorSpec, ...]:
        check.ndim_at_least(self.op_name, "x", x, 1)
        shape = tuple(x.shape)
        return (TensorSpec((*shape, shape[-1]), np.dtype(x.dtype)),)

    def forward(self, xp: Any, x: Any) -> tuple[Any, ...]:
        n = x.shape[-1]
        y = xp.zeros((*x.shape, n), dtype=x.dtype)
        i = xp.arange(n)
        y[..., i, i] = x
        return (y,)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        return (matrix_diag_part(grad_outputs[0]),)


class MatrixDiagPart(Function):
    """``(..., n, n) -> (..., n)``: the diagonals."""

    op_name = "matrix_diag_part"

    def setup(self, x: Any) -> tuple[TensorSpec, ...]:
        check.ndim_at_least(self.op_name, "x", x, 2)
        shape = tuple(x.shape)
        a, b = shape[-2:]
        if a is not None and b is not None and a != b:
            raise ShapeError(
                check.message(
                    self.op_name, "x", "have square trailing matrices", **{"x.shape": shape}
                )
            )
        return (TensorSpec(shape[:-1], np.dtype(x.dtype)),)

    def forward(self, xp: Any, x: Any) -> tuple[Any, ...]:
        return (xp.diagonal(x, axis1=-2, axis2=-1).copy(),)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        return (matrix_diag(grad_outputs[0]),)


def matrix_diag(x: Any, *, name: str | None = None) -> Any:
    """Diagonal matrices from the last axis.

    .. math::
        y[..., i, j] = \\begin{cases} x[..., i], & i = j \\\\ 0, & i \\ne j \\end{cases}

    Args:
        x (array, Variable or SymbolicVariable): Shape ``(M_0, ..., M_N)``, rank >= 1.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as ``x``: shape ``(M_0, ..., M_N, M_N)``, dtype of ``x``.

    Raises:
        ShapeError: ``x`` is 0-d.

    Notes:
        Gradient: the diagonals of ``gy`` (:func:`matrix_diag_part`). Equivalent to
        ``nnabla.functions.matrix_diag``.
        The main diagonal of two new trailing axes only; PyTorch's ``diag_embed`` also takes an
        ``offset`` and other axes.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.matrix_diag(np.array([1.0, 2.0], np.float32))
        array([[1., 0.],
               [0., 2.]], dtype=float32)
    """
    return MatrixDiag().apply1(x, name=name)


def matrix_diag_part(x: Any, *, name: str | None = None) -> Any:
    """Diagonals of the trailing square matrices.

    .. math::
        y[..., i] = x[..., i, i]

    Args:
        x (array, Variable or SymbolicVariable): Shape ``(M_0, ..., M_N, M_N)``, rank >= 2.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as ``x``: shape ``(M_0, ..., M_N)``, dtype of ``x``.

    Raises:
        ShapeError: ``x`` has rank < 2 or its last two dimensions differ.

    Notes:
        Gradient: ``gy`` on the diagonal of zero matrices (:func:`matrix_diag`).
        Equivalent to ``nnabla.functions.matrix_diag_part``.
        The main diagonal of square trailing matrices only; PyTorch's ``diagonal`` also takes an
        ``offset``, other axes and rectangular matrices.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.matrix_diag_part(np.arange(4.0).reshape(2, 2))
        array([0., 3.])
    """
    return MatrixDiagPart().apply1(x, name=name)


# ----------------------------------------------------------------------------- batch_matmul
def batch_matmul(
    a: Any,
    b: Any,
    transpose_a: bool = False,
    transpose_b: bool = False,
    *,
    name: str | None = None,
) -> Any:
    """Batched matrix product with optional transposition of each operand.

    .. math::
        y[..., p, r] = \\sum_q A[..., p, q]\\, B[..., q, r], \\quad
        A = a^T \\text{ if transpose\\_a}, \\; B = b^T \\text{ if transpose\\_b}

    Args:
        a (array, Variable or SymbolicVariable): Shape ``(..., P, Q)`` (``(..., Q, P)`` with
            ``transpose_a``), rank >= 2.
        b (array, Variable or SymbolicVariable): Shape ``(..., Q, R)`` (``(..., R, Q)`` with
            ``transpose_b``), rank >= 2. Batch dimensions (all but the last two) equal those
            of ``a``, or have the same product (NNabla's rule: ``b`` is read with ``a``'s batch
            shape), or else broadcast with them (NumPy's rule, an extension).
        transpose_a (bool): Transpose the last two axes of ``a``. Default ``False``.
        transpose_b (bool): Transpose the last two axes of ``b``. Default ``False``.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as the inputs: shape ``(..., P, R)``, NumPy's result dtype.

    Raises:
        ShapeError: an input has rank < 2, the inner sizes differ, or the batch dimensions
            neither have the same product nor broadcast.
        ArgumentError: a transpose flag is not a bool.

    Notes:
        The transposes are strided views handed to ``numpy.matmul`` (no copy). Gradient as
        :func:`matmul`. Equivalent to ``nnabla.functions.batch_matmul(a, b, transpose_a,
        transpose_b)``; ``tf.matmul(a, b, transpose_a, transpose_b)``.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> a = np.arange(6.0, dtype=np.float32).reshape(1, 3, 2)
        >>> nf.batch_matmul(a, a, transpose_a=True)
        array([[[20., 26.],
                [26., 35.]]], dtype=float32)
    """
    with node_errors(name, a, b):
        a = check.tensor("batch_matmul", "a", a)
        b = check.tensor("batch_matmul", "b", b)
        transpose_a = check.boolean("batch_matmul", "transpose_a", transpose_a)
        transpose_b = check.boolean("batch_matmul", "transpose_b", transpose_b)
        sa = tuple(a.shape) if hasattr(a, "shape") else np.shape(a)
        sb = tuple(b.shape) if hasattr(b, "shape") else np.shape(b)
        if len(sa) < 2 or len(sb) < 2:
            raise ShapeError(
                check.message(
                    "batch_matmul",
                    "`a` and `b`",
                    "have rank >= 2",
                    **{"a.shape": sa, "b.shape": sb},
                )
            )
        qa = sa[-2] if transpose_a else sa[-1]
        qb = sb[-1] if transpose_b else sb[-2]
        if qa is not None and qb is not None and qa != qb:
            raise ShapeError(
                check.message(
                    "batch_matmul",
                    "`a` and `b`",
                    "have equal inner sizes (the columns of a and the rows of b, after the "
                    "transposes)",
                    **{"a.shape": sa, "b.shape": sb},
                    transpose_a=transpose_a,
                    transpose_b=transpose_b,
                )
            )
    ba, bb = sa[:-2], sb[:-2]
    if ba != bb and None not in ba + bb:
        if math.prod(ba) == math.prod(bb):
            # NNabla's rule: b's batch is read with a's batch shape (same number of samples).
            b = F.reshape(b, ba + sb[-2:])
        else:
            try:
                check.broadcast_shapes("batch_matmul", ("a", "b"), [ba, bb])
            except ShapeError:
                with node_errors(name, a, b):
                    raise ShapeError(
                        check.message(
                            "batch_matmul",
                            "`a` and `b`",
                            "have batch dimensions (all but the last two) with the same "
                            "product or broadcastable",
                            **{"a.shape": sa, "b.shape": sb},
                        )
                    ) from None
    if transpose_a:
        a = _swap(a)
    if transpose_b:
        b = _swap(b)
    return matmul(a, b, name=name)


# ----------------------------------------------------------------------------- inv / det
def _square_spec(op: str, x: Any) -> tuple:
    check.numeric(op, "x", x)
    check.ndim_at_least(op, "x", x, 2)
    shape = tuple(x.shape)
    a, b = shape[-2:]
    if a is not None and b is not None and a != b:
        raise ShapeError(
            check.message(op, "x", "hold square matrices (..., N, N)", **{"x.shape": shape})
        )
    return shape


def _singular(op: str, x: Any, requirement: str = "hold invertible matrices") -> ArgumentError:
    """The error for a singular matrix, naming the first one (only built on failure)."""
    flat = np.asarray(x, dtype=np.float64).reshape(-1, *x.shape[-2:])
    bad = 0
    for i, m in enumerate(flat):
        try:
            np.linalg.inv(m)
        except np.linalg.LinAlgError:
            bad = i
            break
    index = tuple(int(i) for i in np.unravel_index(bad, x.shape[:-2])) if x.ndim > 2 else ()
    return ArgumentError(
        check.message(
            op,
            "x",
            requirement,
            **{"x.shape": tuple(x.shape), "singular_index": index},
        )
    )


class BatchInv(Function):
    op_name = "batch_inv"
    retain_out = (0,)

    def __init__(self, for_det_grad: bool = False) -> None:
        # In the gradient of batch_det the error names batch_det, the function the user called.
        self.for_det_grad = for_det_grad

    def setup(self, x: Any) -> tuple[TensorSpec, ...]:
        shape = _square_spec(self.op_name, x)
        self.out_dtype = real_dtype(x.dtype)
        return (TensorSpec(shape, self.out_dtype),)

    def forward(self, xp: Any, x: Any) -> tuple[Any, ...]:
        work = x if x.dtype != np.float16 and x.dtype.kind == "f" else x.astype(np.float32)
        try:
            y = xp.linalg.inv(work)
        except np.linalg.LinAlgError:
            if self.for_det_grad:
                raise _singular(
                    "batch_det", x, "hold invertible matrices for its gradient (X^-T det X)"
                ) from None
            raise _singular(self.op_name, x) from None
        return (y.astype(self.out_dtype, copy=False),)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        (y,) = self.retained_outputs()
        yt = _swap(y)
        return (-matmul(matmul(yt, grad_outputs[0]), yt),)


class BatchDet(Function):
    op_name = "batch_det"
    retain_in = (0,)
    retain_out = (0,)

    def setup(self, x: Any) -> tuple[TensorSpec, ...]:
        shape = _square_spec(self.op_name, x)
        self.out_dtype = real_dtype(x.dtype)
        return (TensorSpec(shape[:-2], self.out_dtype),)

    def forward(self, xp: Any, x: Any) -> tuple[Any, ...]:
        work = x if x.dtype != np.float16 and x.dtype.kind == "f" else x.astype(np.float32)
        return (xp.asarray(xp.linalg.det(work)).astype(self.out_dtype, copy=False),)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        (x,) = self.retained_inputs()
        (y,) = self.retained_outputs()
        scale = F.expand_dims(grad_outputs[0] * y, (-2, -1))
        return (scale * _swap(BatchInv(for_det_grad=True).apply1(x)),)


def batch_inv(x: Any, *, name: str | None = None) -> Any:
    """Inverse of each square matrix of a batch.

    .. math::
        Y_b = X_b^{-1}

    Args:
        x (array, Variable or SymbolicVariable): Shape ``(..., N, N)`` (NNabla: ``(B, N,
            N)``); integer inputs give float32.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as ``x``: shape of ``x``, its floating dtype (float16 is inverted in
        float32).

    Raises:
        ShapeError: ``x`` has rank < 2 or non-square trailing matrices.
        ArgumentError: a matrix is singular (the message gives the first singular one),
            instead of NumPy's ``LinAlgError``.

    Notes:
        LU factorisation (``numpy.linalg.inv``). Gradient: ``-Y^T gy Y^T``, built from the
        retained output, so it is stable for well-conditioned inputs and differentiable
        again. Equivalent to ``nnabla.functions.batch_inv``.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.batch_inv(np.array([[[2.0, 0.0], [0.0, 4.0]]]))
        array([[[0.5 , 0.  ],
                [0.  , 0.25]]])
    """
    return BatchInv().apply1(x, name=name)


def batch_det(x: Any, *, name: str | None = None) -> Any:
    """Determinant of each square matrix of a batch.

    .. math::
        y_b = \\det X_b

    Args:
        x (array, Variable or SymbolicVariable): Shape ``(..., N, N)`` (NNabla: ``(B, N,
            N)``); integer inputs give float32.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as ``x``: shape ``x.shape[:-2]``, the floating dtype of ``x``.

    Raises:
        ShapeError: ``x`` has rank < 2 or non-square trailing matrices.
        ArgumentError: when differentiated at an exactly singular matrix (see Notes).

    Notes:
        LU factorisation (``numpy.linalg.det``). Gradient: ``gy * det(X) * X^{-T}`` (Jacobi's
        formula, as NNabla computes it); it needs the inverse, so the gradient at an exactly
        singular matrix raises ``ArgumentError`` naming ``batch_det`` (the adjugate, the true
        gradient there, is not computed). Equivalent to ``nnabla.functions.batch_det``.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.batch_det(np.array([[[2.0, 1.0], [1.0, 3.0]]], np.float32))
        array([5.], dtype=float32)
    """
    return BatchDet().apply1(x, name=name)
