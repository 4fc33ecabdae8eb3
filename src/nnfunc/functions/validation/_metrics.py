"""Element-wise and signal metrics: binary_error and psnr."""

from __future__ import annotations

import math
from typing import Any

import nnfunc.functions as F
from nnfunc.core import check, shapes
from nnfunc.core.dtypes import real_dtype
from nnfunc.core.function import Function
from nnfunc.core.spec import TensorSpec
from nnfunc.functions._labels import as_tensor, same_shape, to_dtype

__all__ = ["binary_error", "psnr"]


class BinaryError(Function):
    """1 where ``x`` and ``target`` fall on different sides of 0.5."""

    op_name = "binary_error"
    input_names = ("x", "target")

    def setup(self, x: Any, t: Any) -> tuple[TensorSpec, ...]:
        shape = same_shape(self.op_name, ("x", "target"), x, t)
        self.out_dtype = real_dtype(x.dtype)
        return (TensorSpec(shape, self.out_dtype),)

    def forward(self, xp: Any, x: Any, t: Any) -> tuple[Any, ...]:
        return (((x >= 0.5) != (t >= 0.5)).astype(self.out_dtype),)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        return (None, None)


def binary_error(x: Any, target: Any, *, name: str | None = None) -> Any:
    """Element-wise binary classification error at threshold 0.5.

    .. math::
        y = \\begin{cases} 0, & (x \\ge 0.5) = (t \\ge 0.5) \\\\ 1, & \\text{otherwise}
        \\end{cases}

    Args:
        x (array, Variable or SymbolicVariable): Predicted probabilities.
        target (array, Variable or SymbolicVariable): Targets (0/1 or probabilities), same
            shape as ``x``.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as ``x``: 0/1 values in the floating dtype of ``x``, shape of ``x``.

    Raises:
        ShapeError: the shapes differ.

    Notes:
        Not differentiable. Equivalent to ``nnabla.functions.binary_error(x, target)``.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.binary_error(np.array([0.2, 0.5, 0.9]), np.array([0.0, 0.0, 1.0]))
        array([0., 1., 0.])
    """
    return BinaryError().apply1(as_tensor(x), as_tensor(target), name=name)


def psnr(x1: Any, x2: Any, max_val: float, *, name: str | None = None) -> Any:
    """Peak signal-to-noise ratio between two signals, in decibels.

    .. math::
        \\mathrm{PSNR} = 20 \\log_{10}(\\text{max\\_val}) - 10 \\log_{10}
        \\Big(\\frac{1}{N} \\sum_i (x_{1,i} - x_{2,i})^2\\Big)

    Args:
        x1 (array, Variable or SymbolicVariable): First signal.
        x2 (array, Variable or SymbolicVariable): Second signal, same shape as ``x1``.
        max_val (float): Largest possible signal value, ``> 0``.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as ``x1``: a 0-d tensor of the floating dtype of ``x1`` (the mean runs over
        every element).

    Raises:
        ShapeError: the shapes differ (Keras raises ``ValueError``).
        ArgumentError: ``max_val`` is not a positive finite number.

    Notes:
        Identical signals give ``+inf``. Negative when the noise power exceeds
        ``max_val**2``. Gradient w.r.t. ``x1``: ``-(20 / ln 10) (x1 - x2) / (N * MSE)``.
        Equivalent to ``keras.ops.psnr(x1, x2, max_val)``.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.psnr(np.array([0.0, 0.5]), np.array([0.1, 0.4]), 1.0)
        array(20.)
    """

    op = "psnr"
    with shapes.node_errors(name, x1, x2):
        max_val = check.real_scalar(op, "max_val", max_val, min_value=0.0, open_min=True)
        x1, x2 = as_tensor(x1), as_tensor(x2)
        same_shape(op, ("x1", "x2"), x1, x2)
    dt = real_dtype(x1.dtype)
    d = F.sub(to_dtype(x1, dt), to_dtype(x2, dt))
    mse = F.mean(F.mul(d, d))
    return F.sub(20.0 * math.log10(max_val), F.mul(F.log(mse), 10.0 / math.log(10.0)), name=name)
