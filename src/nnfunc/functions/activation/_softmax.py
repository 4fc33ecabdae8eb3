"""softmax and log_softmax along an axis, max-shifted."""

from __future__ import annotations

from typing import Any

from nnfunc.core import check
from nnfunc.core.dtypes import accumulation_dtype, real_dtype
from nnfunc.core.function import Function
from nnfunc.core.spec import TensorSpec

__all__ = ["log_softmax", "softmax"]


class _AxisSoftmax(Function):
    def __init__(self, axis: Any) -> None:
        self.axis = axis

    def setup(self, x: Any) -> tuple[TensorSpec, ...]:
        self.ax = check.axis(self.op_name, "axis", self.axis, max(len(x.shape), 1))
        if len(x.shape) == 0:
            self.ax = None
        self.out_dtype = real_dtype(x.dtype)
        self.retain_outputs(0)
        return (TensorSpec(tuple(x.shape), self.out_dtype),)

    def _shifted(self, xp: Any, x: Any) -> tuple[Any, Any]:
        acc = accumulation_dtype(self.out_dtype)
        x = x.astype(acc, copy=False)
        m = x.max(axis=self.ax, keepdims=True) if x.size else xp.zeros_like(x)
        # An all -inf slice gives NaN in NumPy too; keep its shift finite (then -inf - 0 = -inf).
        m = xp.where(xp.isfinite(m), m, 0)
        return x - m, acc


class Softmax(_AxisSoftmax):
    """``exp(x) / sum(exp(x))`` along an axis."""

    op_name = "softmax"

    def forward(self, xp: Any, x: Any) -> tuple[Any, ...]:
        z, _ = self._shifted(xp, x)
        e = xp.exp(z)
        y = e / e.sum(axis=self.ax, keepdims=True)
        return (y.astype(self.out_dtype, copy=False),)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        from nnfunc.functions.reduction import sum

        (y,) = self.retained_outputs()
        (gy,) = grad_outputs
        gyy = gy * y
        return (gyy - y * sum(gyy, axis=self.ax, keepdims=True),)


class LogSoftmax(_AxisSoftmax):
    """``x - log(sum(exp(x)))`` along an axis."""

    op_name = "log_softmax"

    def forward(self, xp: Any, x: Any) -> tuple[Any, ...]:
        z, _ = self._shifted(xp, x)
        y = z - xp.log(xp.exp(z).sum(axis=self.ax, keepdims=True))
        return (y.astype(self.out_dtype, copy=False),)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        from nnfunc.functions.math import exp
        from nnfunc.functions.reduction import sum

        (y,) = self.retained_outputs()
        (gy,) = grad_outputs
        return (gy - exp(y) * sum(gy, axis=self.ax, keepdims=True),)


def softmax(x: Any, axis: int = -1, *, name: str | None = None) -> Any:
    """Softmax along one axis.

    .. math::
        y_i = \\frac{e^{x_i - m}}{\\sum_j e^{x_j - m}}, \\quad m = \\max_j x_j

    Args:
        x (array, Variable or SymbolicVariable): Input of any shape; integer and bool inputs
            give float32.
        axis (int): Axis to normalise over. Default ``-1`` (the last).
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as ``x``: shape of ``x``, its floating dtype; each slice along ``axis``
        sums to 1.

    Raises:
        ShapeError: ``axis`` is out of range.

    Notes:
        Max-shifted (no overflow for large inputs); float16 computed in float32. Gradient:
        ``y * (gy - sum(gy * y))``. Dialect defaults differ: ``tf.nn.softmax(logits, axis=-1)``,
        ``keras.ops.softmax(x, axis=-1)``, ``nnabla.functions.softmax(x, axis=len(x.shape)-1)``,
        SameDiff ``nn.softmax(x, dimension=-1)``.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.softmax(np.array([0.0, np.log(3.0)]))
        array([0.25, 0.75])
    """
    return Softmax(axis).apply1(x, name=name)


def log_softmax(x: Any, axis: int = -1, *, name: str | None = None) -> Any:
    """Logarithm of the softmax along one axis, computed stably.

    .. math::
        y_i = x_i - m - \\log \\sum_j e^{x_j - m}, \\quad m = \\max_j x_j

    Args:
        x (array, Variable or SymbolicVariable): Input of any shape; integer and bool inputs
            give float32.
        axis (int): Axis to normalise over. Default ``-1``.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as ``x``: shape of ``x``, its floating dtype.

    Raises:
        ShapeError: ``axis`` is out of range.

    Notes:
        Never ``log(0)``: finite for finite inputs of any magnitude. Gradient:
        ``gy - softmax(x) * sum(gy)``. Equivalent to ``tf.nn.log_softmax(logits, axis)``
        (the TF page's formula omits the log; the real op is this one),
        ``keras.ops.log_softmax(x, axis=-1)``, ``nnabla.functions.log_softmax(x, axis)`` and
        SameDiff ``nn.logSoftmax(x[, dimension])``.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.log_softmax(np.array([1000.0, 1000.0]))
        array([-0.69314718, -0.69314718])
    """
    return LogSoftmax(axis).apply1(x, name=name)
