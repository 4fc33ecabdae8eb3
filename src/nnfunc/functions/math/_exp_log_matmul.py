"""exp, log and matmul."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import nnfunc.functions as F
from nnfunc.core import check
from nnfunc.core.dtypes import result_dtype
from nnfunc.core.elementwise import Elementwise
from nnfunc.core.function import Function
from nnfunc.core.spec import TensorSpec
from nnfunc.errors import ShapeError
from nnfunc.kernels.cpu import _buffers
from nnfunc.kernels.cpu.blas import matmuls

__all__ = ["exp", "log", "matmul"]


class Exp(Elementwise):
    """``exp(x)``."""

    op_name = "exp"
    ufunc = "exp"
    retain_out = (0,)

    def derivative_from_output(self, y: Any) -> Any:
        return y


class Log(Elementwise):
    """``log(x)``."""

    op_name = "log"
    ufunc = "log"
    retain_in = (0,)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        (x,) = self.retained_inputs()
        return (grad_outputs[0] / x,)


def exp(x: Any, *, name: str | None = None) -> Any:
    """Element-wise exponential.

    .. math::
        y = e^x

    Args:
        x (array, Variable or SymbolicVariable): Input of any shape; integer and bool inputs are
            promoted to float32.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as ``x``: shape of ``x``, its floating dtype.

    Raises:
        DTypeError: a tensor argument is not real and numeric (the engine's input checks).

    Notes:
        Overflows to ``inf`` as ``numpy.exp`` does. Gradient: ``gy * y``. Equivalent to
        ``nnabla.functions.exp``.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.exp(np.array([0.0, 1.0], np.float32))
        array([1.      , 2.718282], dtype=float32)
    """
    return Exp().apply1(x, name=name)


def log(x: Any, *, name: str | None = None) -> Any:
    """Element-wise natural logarithm.

    .. math::
        y = \\ln x

    Args:
        x (array, Variable or SymbolicVariable): Input of any shape; integer and bool inputs are
            promoted to float32.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as ``x``: shape of ``x``, its floating dtype.

    Raises:
        DTypeError: a tensor argument is not real and numeric (the engine's input checks).

    Notes:
        ``log(0) = -inf`` and ``log(x < 0) = nan`` as in NumPy. Gradient: ``gy / x``.
        Equivalent to ``nnabla.functions.log``.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.log(np.array([1.0, np.e]))
        array([0., 1.])
    """
    return Log().apply1(x, name=name)


class MatMul(Function):
    """Batched matrix product with NumPy's ``matmul`` rules."""

    op_name = "matmul"
    input_names = ("a", "b")
    retain_in = (0, 1)

    def setup(self, a: Any, b: Any) -> tuple[TensorSpec, ...]:
        check.numeric(self.op_name, "a", a)
        check.numeric(self.op_name, "b", b)
        sa, sb = tuple(a.shape), tuple(b.shape)
        if not sa or not sb:
            raise ShapeError(
                check.message(
                    self.op_name, "`a` and `b`", "have rank >= 1", **{"a.shape": sa, "b.shape": sb}
                )
            )
        ka = sa[-1]
        kb = sb[0] if len(sb) == 1 else sb[-2]
        if ka is not None and kb is not None and ka != kb:
            raise ShapeError(
                f"{self.op_name}: the last dimension of `a` must equal the "
                f"{'first' if len(sb) == 1 else 'second-to-last'} dimension of `b`; "
                f"received a.shape={check.fmt(sa)}, b.shape={check.fmt(sb)}."
            )
        try:
            batch = check.broadcast_shapes(self.op_name, ("a", "b"), [sa[:-2], sb[:-2]])
        except ShapeError:
            raise ShapeError(
                check.message(
                    self.op_name,
                    "`a` and `b`",
                    "have broadcastable batch dimensions (all but the last two)",
                    **{"a.shape": sa, "b.shape": sb},
                )
            ) from None
        shape = batch + sa[-2:-1] + sb[-1:] if len(sb) > 1 else batch + sa[-2:-1]
        self.out_dtype = result_dtype(a.dtype, b.dtype)
        return (TensorSpec(tuple(shape), self.out_dtype),)

    def forward(self, xp: Any, a: Any, b: Any) -> tuple[Any, ...]:
        y = xp.matmul(a, b)
        return (y if y.dtype == self.out_dtype else y.astype(self.out_dtype),)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        (gy,) = grad_outputs
        a, b = self.retained_inputs()

        def swap(v: Any) -> Any:
            n = v.ndim
            return F.transpose(v, tuple(range(n - 2)) + (n - 1, n - 2))

        sa, sb = self.input_spec(0).shape, self.input_spec(1).shape
        if (
            0 in target_indexes
            and 1 in target_indexes
            and len(sa) >= 2
            and len(sb) >= 2
            and (len(sb) == 2 or (sa[:-2] == sb[:-2] and None not in sa[:-2]))
            and self.input_spec(0).dtype == self.input_spec(1).dtype == self.out_dtype
            and self.out_dtype.kind == "f"
        ):
            # both gradients of a product without broadcasting, or of x @ W (W a matrix): one
            # Function (one node instead of two transposes and two products)
            ga, gb = MatMulGrad().apply(a, b, gy)
            return ga, gb
        ga = gb = None
        if a.ndim == 1 and b.ndim == 1:
            ga, gb = gy * b, gy * a
        elif a.ndim == 1:
            gy2 = F.expand_dims(gy, -2)
            if 0 in target_indexes:
                ga = matmul(gy2, swap(b))
            if 1 in target_indexes:
                gb = matmul(swap(F.expand_dims(a, 0)), gy2)
        elif b.ndim == 1:
            gy2 = F.expand_dims(gy, -1)
            if 0 in target_indexes:
                ga = matmul(gy2, F.expand_dims(b, 0))
            if 1 in target_indexes:
                gb = F.squeeze(matmul(swap(a), gy2), -1)
        else:
            if 0 in target_indexes:
                ga = matmul(gy, swap(b))
            if 1 in target_indexes:
                gb = matmul(swap(a), gy)
        return (
            None if ga is None or 0 not in target_indexes else self.sum_to_input(ga, 0),
            None if gb is None or 1 not in target_indexes else self.sum_to_input(gb, 1),
        )


def _swap_last(v: Any) -> Any:
    n = v.ndim
    return F.transpose(v, tuple(range(n - 2)) + (n - 1, n - 2))


class MatMulGrad(Function):
    """Both gradients of :class:`MatMul` (``a`` of rank >= 2 and ``b`` a matrix, or both of
    rank >= 2 with equal batch dimensions; one floating dtype): ``ga = gy @ b^T`` and
    ``gb = a^T @ gy`` (summed over ``a``'s batch when ``b`` is a matrix).

    Forward: the two GEMMs as one job list of :func:`nnfunc.kernels.cpu.blas.matmuls` (one
    after the other on BLAS's threads unless ``blas.CONCURRENT``; transposed operands are
    strided views, never copies). With a matrix ``b`` and a batched ``a``, ``a``
    and ``gy`` are taken as ``(rows, K)`` and ``(rows, N)`` matrices: ``gb`` is ONE GEMM over
    all rows (no per-sample products summed afterwards). Backward: written with
    :func:`matmul`.
    """

    op_name = "matmul_grad"
    input_names = ("a", "b", "gy")
    retain_in = (0, 1, 2)

    def setup(self, a: Any, b: Any, gy: Any) -> tuple[TensorSpec, ...]:
        return (
            TensorSpec(tuple(a.shape), np.dtype(a.dtype)),
            TensorSpec(tuple(b.shape), np.dtype(b.dtype)),
        )

    def forward(self, xp: Any, a: Any, b: Any, gy: Any) -> tuple[Any, ...]:
        gy = gy.astype(a.dtype, copy=False)
        shape = a.shape
        if b.ndim == 2 and a.ndim > 2:  # x @ W: the batch rows as one matrix
            rows = math.prod(shape[:-1])  # not -1: K or N may be 0
            a = a.reshape(rows, shape[-1])
            gy = gy.reshape(rows, gy.shape[-1])
        bt, at = b.swapaxes(-1, -2), a.swapaxes(-1, -2)
        if xp is not np:
            return xp.matmul(gy, bt).reshape(shape), xp.matmul(at, gy)
        # (large outputs from the buffer pool: fresh blocks are page-faulted on first touch)
        ga = _buffers.empty(a.shape, a.dtype)
        gb = _buffers.empty(b.shape, b.dtype)
        matmuls(((gy, bt, ga), (at, gy, gb)))
        return ga.reshape(shape), gb

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        a, b, gy = self.retained_inputs()
        gga, ggb = grad_outputs
        # ga = gy b^T and gb = a^T gy are bilinear: each input's gradient pairs the other
        # factor with the output gradient that the input enters
        g_a = matmul(gy, _swap_last(ggb)) if ggb is not None and 0 in target_indexes else None
        g_b = matmul(_swap_last(gga), gy) if gga is not None and 1 in target_indexes else None
        if g_b is not None and len(self.input_spec(0).shape) > len(self.input_spec(1).shape):
            g_b = self.sum_to_input(g_b, 1)  # over a's batch
        g_gy = None
        if 2 in target_indexes:
            if gga is not None:
                g_gy = matmul(gga, b)
            if ggb is not None:
                t = matmul(a, ggb)
                g_gy = t if g_gy is None else g_gy + t
        return g_a, g_b, g_gy


def matmul(a: Any, b: Any, *, name: str | None = None) -> Any:
    """Matrix product, batched over leading dimensions (NumPy ``matmul`` rules).

    .. math::
        y[..., i, j] = \\sum_k a[..., i, k]\\, b[..., k, j]

    Args:
        a (array, Variable or SymbolicVariable): Shape ``(..., M, K)``, or ``(K,)`` (a vector,
            its dimension removed from the result).
        b (array, Variable or SymbolicVariable): Shape ``(..., K, N)``, or ``(K,)``. Batch
            dimensions broadcast.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as the inputs: shape ``(..., M, N)`` (vector dimensions removed), NumPy's
        result dtype.

    Raises:
        ShapeError: an input is 0-d, the inner dimensions differ, or the batch dimensions do not
            broadcast.

    Notes:
        Gradient: ``gy @ b^T`` and ``a^T @ gy``, summed over broadcast batch dimensions.
        ``a @ b`` on Variables routes here. See ``batch_matmul`` for NNabla's transposing form;
        ``tf.matmul``, ``keras.ops.matmul``, SameDiff ``mmul``.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.matmul(np.ones((2, 3), np.float32), np.ones((3, 1), np.float32))
        array([[3.],
               [3.]], dtype=float32)
    """
    return MatMul().apply1(a, b, name=name)
