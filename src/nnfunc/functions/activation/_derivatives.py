"""SameDiff's activation-derivative ops (catalog family 2).

Two conventions, as SameDiff documents them: ``hard_tanh_derivative``, ``leaky_relu_derivative``
and ``softsign_derivative`` return the element-wise derivative ``dOut/dIn`` at ``x``;
``sigmoid_derivative`` and ``softmax_derivative`` return the vector-Jacobian product given the
upstream gradient ``wrt = dL/dOut``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import nnfunc.functions as F
from nnfunc.core import check
from nnfunc.core.dtypes import real_dtype
from nnfunc.core.elementwise import Elementwise, input_spec
from nnfunc.core.function import Function, node_errors
from nnfunc.core.spec import TensorSpec
from nnfunc.functions._labels import require_shape
from nnfunc.functions.activation._sigmoid_tanh_softplus import sigmoid
from nnfunc.functions.activation._softmax import softmax
from nnfunc.functions.math import abs as abs_
from nnfunc.functions.math._reciprocal import recip

__all__ = [
    "hard_tanh_derivative",
    "leaky_relu_derivative",
    "sigmoid_derivative",
    "softmax_derivative",
    "softsign_derivative",
]


class _PiecewiseConstant(Elementwise):
    """A derivative that is piecewise constant in ``x``: its own gradient is 0 (None)."""

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        return (None,)


class HardTanhDerivative(_PiecewiseConstant):
    op_name = "hard_tanh_derivative"

    def forward(self, xp: Any, x: Any) -> tuple[Any, ...]:
        inside = (x > -1) & (x < 1)
        return (inside.astype(self.out_dtype),)


class LeakyReLUDerivative(_PiecewiseConstant):
    op_name = "leaky_relu_derivative"

    def __init__(self, alpha: Any) -> None:
        self.alpha = alpha

    params = (("alpha", "alpha", check.real_scalar),)

    def forward(self, xp: Any, x: Any) -> tuple[Any, ...]:
        one = xp.ones((), self.out_dtype)
        return (xp.where(x >= 0, one, self.out_dtype.type(self.alpha)),)


def hard_tanh_derivative(x: Any, *, name: str | None = None) -> Any:
    """Derivative of :func:`hard_tanh` at ``x``, element-wise: 1 on ``(-1, 1)``, else 0.

    .. math::
        y = \\begin{cases} 1, & -1 < x < 1 \\\\ 0, & \\text{otherwise} \\end{cases}

    Args:
        x (array, Variable or SymbolicVariable): Input of any shape; integer and bool inputs
            give float32.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as ``x``: shape of ``x``, its floating dtype.

    Raises:
        DTypeError: a tensor argument is not real and numeric (the engine's input checks).

    Notes:
        ``dOut/dIn`` itself, not a vector-Jacobian product; 0 at ``|x| = 1``, matching the
        gradient of :func:`hard_tanh`. Piecewise constant: its own gradient is 0. SameDiff
        ``nn.hardTanhDerivative(x)``.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.hard_tanh_derivative(np.array([-2.0, -1.0, 0.5, 1.0], np.float32))
        array([0., 0., 1., 0.], dtype=float32)
    """
    return HardTanhDerivative().apply1(x, name=name)


def leaky_relu_derivative(x: Any, alpha: float = 0.01, *, name: str | None = None) -> Any:
    """Derivative of :func:`leaky_relu` at ``x``, element-wise: 1 for ``x >= 0``, else alpha.

    .. math::
        y = \\begin{cases} 1, & x \\ge 0 \\\\ \\alpha, & x < 0 \\end{cases}

    Args:
        x (array, Variable or SymbolicVariable): Input of any shape; integer and bool inputs
            give float32.
        alpha (float): The negative slope. Default ``0.01``.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as ``x``: shape of ``x``, its floating dtype.

    Raises:
        ArgumentError: ``alpha`` is not a finite real number.

    Notes:
        ``dOut/dIn``, not a vector-Jacobian product; matches the gradient of
        :func:`leaky_relu` (1 at 0). Its own gradient is 0. SameDiff
        ``nn.leakyReluDerivative(x, alpha)`` (no default there).

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.leaky_relu_derivative(np.array([-2.0, 0.0, 3.0], np.float32), 0.1)
        array([0.1, 1. , 1. ], dtype=float32)
    """
    return LeakyReLUDerivative(alpha).apply1(x, name=name)


class _VJP(Function):
    """Base of the vector-Jacobian forms: inputs ``x`` and ``wrt`` of one shape."""

    input_names = ("x", "wrt")
    retain_in = (0, 1)

    def setup(self, x: Any, wrt: Any) -> tuple[TensorSpec, ...]:
        xs, ws = tuple(x.shape), tuple(wrt.shape)
        received = {"wrt.shape": ws, "x.shape": xs}
        require_shape(self.op_name, "wrt", ws, xs, "have the shape of `x`", received)
        self.out_dtype = np.result_type(
            real_dtype(check.numeric(self.op_name, "x", x)),
            real_dtype(check.numeric(self.op_name, "wrt", wrt)),
        )
        return (
            TensorSpec(tuple(a if a is not None else b for a, b in zip(xs, ws)), self.out_dtype),
        )


class SigmoidDerivative(_VJP):
    op_name = "sigmoid_derivative"

    def forward(self, xp: Any, x: Any, wrt: Any) -> tuple[Any, ...]:
        x = x.astype(self.out_dtype, copy=False)
        s = xp.exp(-xp.abs(x))
        s = xp.where(x >= 0, 1 / (1 + s), s / (1 + s))
        return ((wrt * (s * (1 - s))).astype(self.out_dtype, copy=False),)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        x, wrt = self.retained_inputs()
        (u,) = grad_outputs
        s = sigmoid(x)
        ds = s * (1 - s)
        gx = u * wrt * ds * (1 - 2 * s) if 0 in target_indexes else None
        gw = u * ds if 1 in target_indexes else None
        return (gx, gw)


class SoftmaxDerivative(_VJP):
    op_name = "softmax_derivative"

    def __init__(self, axis: Any) -> None:
        self.axis = axis

    def setup(self, x: Any, wrt: Any) -> tuple[TensorSpec, ...]:
        self.ax = check.axis(self.op_name, "axis", self.axis, max(len(x.shape), 1))
        return super().setup(x, wrt)

    def forward(self, xp: Any, x: Any, wrt: Any) -> tuple[Any, ...]:
        ax = self.ax if x.ndim else None
        x = x.astype(self.out_dtype, copy=False)
        e = xp.exp(x - x.max(axis=ax, keepdims=True))
        y = e / e.sum(axis=ax, keepdims=True)
        return ((y * (wrt - (wrt * y).sum(axis=ax, keepdims=True))).astype(self.out_dtype),)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        x, w = self.retained_inputs()
        (u,) = grad_outputs
        ax = self.ax if len(x.shape) else None
        y = softmax(x, self.axis)
        uy = F.sum(u * y, axis=ax, keepdims=True)
        gx = gw = None
        if 0 in target_indexes:
            s = F.sum(w * y, axis=ax, keepdims=True)
            gy = u * w - s * u - w * uy
            gx = y * (gy - F.sum(gy * y, axis=ax, keepdims=True))
        if 1 in target_indexes:
            gw = y * (u - uy)
        return (gx, gw)


def sigmoid_derivative(x: Any, wrt: Any, *, name: str | None = None) -> Any:
    """Vector-Jacobian product of :func:`sigmoid`: ``wrt * s * (1 - s)``, ``s = sigmoid(x)``.

    .. math::
        y = w \\odot \\sigma(x)\\,(1 - \\sigma(x))

    Args:
        x (array, Variable or SymbolicVariable): The sigmoid's input.
        wrt (array, Variable or SymbolicVariable): Gradient at the sigmoid's output
            (``dL/dOut``), the shape of ``x``.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as the inputs: ``dL/dx``, the shape of ``x``.

    Raises:
        ShapeError: ``wrt`` does not have the shape of ``x``.

    Notes:
        Differentiable in both inputs. SameDiff ``nn.sigmoidDerivative(x, wrt)``.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.sigmoid_derivative(np.array([0.0, 0.0]), np.array([1.0, 2.0]))
        array([0.25, 0.5 ])
    """
    return SigmoidDerivative().apply1(x, wrt, name=name)


def softmax_derivative(x: Any, wrt: Any, axis: int = -1, *, name: str | None = None) -> Any:
    """Vector-Jacobian product of :func:`softmax`: ``y * (wrt - sum(wrt * y))``.

    .. math::
        g_i = y_i \\left(w_i - \\sum_j w_j y_j\\right), \\quad y = \\operatorname{softmax}(x)

    Args:
        x (array, Variable or SymbolicVariable): The softmax's input.
        wrt (array, Variable or SymbolicVariable): Gradient at the softmax's output
            (``dL/dOut``; SameDiff's page calls it dL/dx by mistake), the shape of ``x``.
        axis (int): The softmax axis. Default ``-1``.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as the inputs: ``dL/dx``, the shape of ``x``.

    Raises:
        ShapeError: ``wrt`` does not have the shape of ``x``, or ``axis`` is out of range.

    Notes:
        Differentiable in both inputs. SameDiff ``nn.softmaxDerivative(x, wrt, dimension)``.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.softmax_derivative(np.array([0.0, 0.0]), np.array([1.0, 0.0]))
        array([ 0.25, -0.25])
    """
    return SoftmaxDerivative(axis).apply1(x, wrt, name=name)


def softsign_derivative(x: Any, *, name: str | None = None) -> Any:
    """Derivative of :func:`softsign` at ``x``, element-wise: ``1 / (1 + |x|)**2``.

    .. math::
        y = \\frac{1}{(1 + |x|)^2}

    Args:
        x (array, Variable or SymbolicVariable): Input of any shape; integer and bool inputs
            give float32.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as ``x``: shape of ``x``, its floating dtype, values in ``(0, 1]``.

    Raises:
        DTypeError: a tensor argument is not real and numeric (the engine's input checks).

    Notes:
        ``dOut/dIn``, not a vector-Jacobian product; computed as the square of
        ``1 / (1 + |x|)`` (no overflow). Differentiable (its gradient at 0 is taken as 0).
        SameDiff ``nn.softsignDerivative(x)``.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.softsign_derivative(np.array([-1.0, 0.0, 3.0], np.float32))
        array([0.25  , 1.    , 0.0625], dtype=float32)
    """
    with node_errors(name, x):
        if input_spec("softsign_derivative", x).dtype.kind != "f":
            x = F.cast(x, np.float32)
    r = recip(1 + abs_(x))  # its gradient -r*r never squares 1 + |x| (no overflow)
    return F.mul(r, r, name=name)
