"""softmax and log_softmax along an axis, max-shifted.

Unmasked float32 (and float16) data along the last axis of a NumPy array go through the row
kernels of :mod:`nnfunc.kernels.cpu.softmax` (numba: one read of each row, vectorised ``exp``);
everything else, and rows whose maximum is not finite, through the NumPy code here.

The backward pass is one gradient Function (``_SoftmaxGrad``) whose forward is one fused
kernel from the output (:func:`nnfunc.kernels.cpu.softmax.softmax_grad`: numba for float32
along any axis, the NumPy twin otherwise) and whose own backward is written with nnfunc
functions. A masked softmax takes it too (its masked outputs are 0); a masked log_softmax keeps
the composite gradient (its masked outputs are 0, not ``-inf``, so ``exp(y)`` needs the mask).
"""

from __future__ import annotations

from typing import Any

import numpy as np

import nnfunc.functions as F
from nnfunc.core import check
from nnfunc.core.dtypes import accumulation_dtype, real_dtype
from nnfunc.core.function import Function
from nnfunc.core.spec import TensorSpec
from nnfunc.errors import DTypeError, ShapeError
from nnfunc.kernels.cpu.softmax import softmax_grad, softmax_rows

__all__ = ["log_softmax", "softmax"]


class _AxisSoftmax(Function):
    input_names = ("x", "where")
    retain_out = (0,)

    def __init__(self, axis: Any) -> None:
        self.axis = axis

    def setup(self, x: Any, mask: Any = None) -> tuple[TensorSpec, ...]:
        self.ax = check.axis(self.op_name, "axis", self.axis, max(len(x.shape), 1))
        if len(x.shape) == 0:
            self.ax = None
        self.out_dtype = real_dtype(check.numeric(self.op_name, "x", x))
        self.masked = mask is not None
        if self.masked:
            if np.dtype(mask.dtype) != np.bool_:
                raise DTypeError(
                    check.message(
                        self.op_name, "where", "have dtype bool", **{"where.dtype": mask.dtype}
                    )
                )
            xs, ms = tuple(x.shape), tuple(mask.shape)
            fits = len(ms) <= len(xs) and all(
                m in (1, d) or m is None or d is None
                for m, d in zip(ms[::-1], xs[::-1], strict=False)
            )
            if not fits:
                raise ShapeError(
                    check.message(
                        self.op_name,
                        "where",
                        "broadcast to the shape of `x`",
                        **{"where.shape": ms, "x.shape": xs},
                    )
                )
            self.retain_inputs(1)
        return (TensorSpec(tuple(x.shape), self.out_dtype),)

    def _rows(self, x: Any, mask: Any, log: bool) -> Any:
        """The row kernel's result (unmasked, last axis, float32 work), or None."""
        if mask is not None or type(x) is not np.ndarray or x.size == 0:
            return None
        if self.ax != x.ndim - 1 or accumulation_dtype(self.out_dtype) != np.float32:
            return None
        k = x.shape[-1]
        y = softmax_rows(x.reshape(-1, k).astype(np.float32, copy=False), log)
        return None if y is None else y.reshape(x.shape).astype(self.out_dtype, copy=False)

    def _shifted(self, xp: Any, x: Any, mask: Any) -> Any:
        """``x - max(x)`` over the kept entries, in the accumulation dtype (a new array)."""
        acc = accumulation_dtype(self.out_dtype)
        if mask is not None:
            x = xp.where(mask, x, xp.asarray(-np.inf, acc))
        x = x.astype(acc, copy=False)
        if x.size == 0:
            return x.copy()
        m = x.max(axis=self.ax, keepdims=True)
        if not xp.isfinite(m).all():
            top = m == np.inf
            if top.any():
                # The limit: the +inf entries share the whole mass, the others get none.
                x = xp.where(top, xp.where(x == np.inf, 0, -np.inf), x).astype(acc, copy=False)
                m = xp.where(top, 0, m)
            # An all -inf (or fully masked) slice keeps a finite shift: then -inf - 0 = -inf.
            m = xp.where(xp.isfinite(m), m, 0)
        return xp.subtract(x, m, dtype=acc)


class Softmax(_AxisSoftmax):
    """``exp(x) / sum(exp(x))`` along an axis, optionally over the entries where a mask holds."""

    op_name = "softmax"

    def forward(self, xp: Any, x: Any, mask: Any = None) -> tuple[Any, ...]:
        if x.ndim == 0:
            m1 = None if mask is None else mask.reshape(1)
            return (self.forward(xp, x.reshape(1), m1)[0].reshape(()),)
        y = self._rows(x, mask, log=False)
        if y is not None:
            return (y,)
        e = self._shifted(xp, x, mask)
        xp.exp(e, out=e)
        s = e.sum(axis=self.ax, keepdims=True)
        s[s == 0] = 1  # a fully masked or all -inf slice: 0 / 1 = 0, never 0 / 0
        e /= s
        return (e.astype(self.out_dtype, copy=False),)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        (y,) = self.retained_outputs()
        # Masked entries have y == 0, so their gradient is 0 without another mask.
        return (_SoftmaxGrad(self.ax, log=False).apply1(y, grad_outputs[0]), None)


class LogSoftmax(_AxisSoftmax):
    """``x - log(sum(exp(x)))`` along an axis; masked entries give 0."""

    op_name = "log_softmax"

    def forward(self, xp: Any, x: Any, mask: Any = None) -> tuple[Any, ...]:
        if x.ndim == 0:
            m1 = None if mask is None else mask.reshape(1)
            return (self.forward(xp, x.reshape(1), m1)[0].reshape(()),)
        y = self._rows(x, mask, log=True)
        if y is not None:
            return (y,)
        z = self._shifted(xp, x, mask)
        s = xp.exp(z).sum(axis=self.ax, keepdims=True)
        s[s == 0] = 1  # all -inf: -inf - log(1), never -inf + inf
        z -= xp.log(s)
        if mask is not None:
            z = xp.where(mask, z, 0)
        return (z.astype(self.out_dtype, copy=False),)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        (y,) = self.retained_outputs()
        (gy,) = grad_outputs
        if not self.masked:
            return (_SoftmaxGrad(self.ax, log=True).apply1(y, gy), None)
        # Masked: y is 0 (not -inf) where the mask is false, so exp(y) needs the mask too.
        (mask,) = self.retained_inputs()
        gy = F.where(mask, gy, 0)
        p = F.where(mask, F.exp(y), 0)
        return (F.where(mask, gy - p * F.sum(gy, axis=self.ax, keepdims=True), 0), None)


class _SoftmaxGrad(Function):
    """The input gradient of softmax or log-softmax from the output, fused in one kernel.

    Forward: ``y * (gy - sum(gy * y))`` (softmax) or ``gy - exp(y) * sum(gy)`` (log-softmax),
    the sums along ``ax`` (None: a 0-d input, the whole array), by
    :func:`nnfunc.kernels.cpu.softmax.softmax_grad`. Its own backward is written with nnfunc
    functions, so higher orders and graph mode differentiate it again.
    """

    op_name = "softmax_grad"
    input_names = ("y", "gy")
    retain_in = (0, 1)

    def __init__(self, ax: int | None, log: bool) -> None:
        self.ax = ax
        self.log = log

    def setup(self, y: Any, gy: Any) -> tuple[TensorSpec, ...]:
        self.out_dtype = real_dtype(y.dtype)
        return (TensorSpec(tuple(y.shape), self.out_dtype),)

    def forward(self, xp: Any, y: Any, gy: Any) -> tuple[Any, ...]:
        gy = gy.astype(self.out_dtype, copy=False)
        return (softmax_grad(y, gy, self.ax, self.log),)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        y, gy = self.retained_inputs()
        (ggx,) = grad_outputs
        ax = self.ax
        g_y = g_gy = None
        if self.log:
            # gx = gy - e * sum(gy), e = exp(y)
            e = F.exp(y)
            if 0 in target_indexes:
                g_y = -(ggx * e) * F.sum(gy, axis=ax, keepdims=True)
            if 1 in target_indexes:
                g_gy = ggx - F.sum(ggx * e, axis=ax, keepdims=True)
            return (g_y, g_gy)
        # gx = y * gy - y * sum(gy * y)
        t = ggx - F.sum(ggx * y, axis=ax, keepdims=True)
        if 0 in target_indexes:
            g_y = gy * t - ggx * F.sum(gy * y, axis=ax, keepdims=True)
        if 1 in target_indexes:
            g_gy = y * t
        return (g_y, g_gy)


def softmax(x: Any, axis: int = -1, where: Any = None, *, name: str | None = None) -> Any:
    """Softmax along one axis.

    .. math::
        y_i = \\frac{e^{x_i - m}}{\\sum_j e^{x_j - m}}, \\quad m = \\max_j x_j

    Args:
        x (array, Variable or SymbolicVariable): Input of any shape; integer and bool inputs
            give float32.
        axis (int): Axis to normalise over. Default ``-1`` (the last).
        where (array, Variable or SymbolicVariable, optional): Boolean mask broadcasting to
            ``x``: only entries where it is true take part; the others get probability 0.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as ``x``: shape of ``x``, its floating dtype; each slice along ``axis``
        sums to 1.

    Raises:
        ShapeError: ``axis`` is out of range, or ``where`` does not broadcast to ``x``.
        DTypeError: ``where`` is not boolean.

    Notes:
        Max-shifted (no overflow for large inputs); float16 computed in float32. Gradient:
        ``y * (gy - sum(gy * y))``. The mask is applied with ``where`` (never a large negative
        number): a fully masked slice gives zeros with zero gradient, never NaN. Dialect
        defaults: ``tf.nn.softmax(logits, dim=-1)``,
        ``keras.ops.softmax(x, axis=-1)``, ``nnabla.functions.softmax(x, axis=len(x.shape)-1)``,
        SameDiff ``nn.softmax(x, dimension=-1)``.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.softmax(np.array([0.0, np.log(3.0)]))
        array([0.25, 0.75])
        >>> nf.softmax(np.array([1.0, 2.0, 3.0]), where=np.array([True, False, True]))
        array([0.11920292, 0.        , 0.88079708])
    """
    return Softmax(axis).apply1(x, where, name=name)


def log_softmax(x: Any, axis: int = -1, where: Any = None, *, name: str | None = None) -> Any:
    """Logarithm of the softmax along one axis, computed stably.

    .. math::
        y_i = x_i - m - \\log \\sum_j e^{x_j - m}, \\quad m = \\max_j x_j

    Args:
        x (array, Variable or SymbolicVariable): Input of any shape; integer and bool inputs
            give float32.
        axis (int): Axis to normalise over. Default ``-1``.
        where (array, Variable or SymbolicVariable, optional): Boolean mask broadcasting to
            ``x``: only entries where it is true take part; masked entries give 0 (not
            ``-inf``), so downstream sums such as ``sum(p * log_p)`` stay finite.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as ``x``: shape of ``x``, its floating dtype.

    Raises:
        ShapeError: ``axis`` is out of range, or ``where`` does not broadcast to ``x``.
        DTypeError: ``where`` is not boolean.

    Notes:
        Never ``log(0)``: finite for finite inputs of any magnitude. Gradient:
        ``gy - softmax(x) * sum(gy)`` (over kept entries; 0 on masked ones). A fully masked
        slice gives zeros with zero gradient. Equivalent to ``tf.nn.log_softmax(logits, axis)``
        (the TF page's formula omits the log; the real op is this one),
        ``keras.ops.log_softmax(x, axis=-1)``, ``nnabla.functions.log_softmax(x, axis)`` and
        SameDiff ``nn.logSoftmax(x[, dimension])``.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.log_softmax(np.array([1000.0, 1000.0]))
        array([-0.69314718, -0.69314718])
        >>> nf.log_softmax(np.array([[1.0, 1.0], [2.0, 3.0]]), where=np.array([[True], [False]]))
        array([[-0.69314718, -0.69314718],
               [ 0.        ,  0.        ]])
    """
    return LogSoftmax(axis).apply1(x, where, name=name)
