"""sigmoid, tanh and softplus: the smooth activations other families build on."""

from __future__ import annotations

from typing import Any

from nnfunc.core.elementwise import Elementwise
from nnfunc.functions.activation._fused import ActivationGrad
from nnfunc.kernels.cpu import activation as _kernels

__all__ = ["sigmoid", "softplus", "tanh"]


class Sigmoid(Elementwise):
    """Logistic sigmoid."""

    op_name = "sigmoid"
    retain_out = (0,)

    def forward(self, xp: Any, x: Any) -> tuple[Any, ...]:
        # exp of a non-positive number only: no overflow for any finite or infinite x.
        return (_kernels.forward("sigmoid", x.astype(self.out_dtype, copy=False)),)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        (y,) = self.retained_outputs()
        return (ActivationGrad("sigmoid", op=self.op_name).apply1(y, grad_outputs[0]),)


class Tanh(Elementwise):
    """Hyperbolic tangent."""

    op_name = "tanh"
    ufunc = "tanh"
    retain_out = (0,)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        (y,) = self.retained_outputs()
        return (ActivationGrad("tanh", op=self.op_name).apply1(y, grad_outputs[0]),)


class Softplus(Elementwise):
    """``log(1 + exp(x))``, computed stably."""

    op_name = "softplus"
    retain_in = (0,)

    def forward(self, xp: Any, x: Any) -> tuple[Any, ...]:
        return (_kernels.softplus(x.astype(self.out_dtype, copy=False)),)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        (x,) = self.retained_inputs()
        return (ActivationGrad("softplus", op=self.op_name).apply1(x, grad_outputs[0]),)


def sigmoid(x: Any, *, name: str | None = None) -> Any:
    """Logistic sigmoid, element-wise.

    .. math::
        y = \\frac{1}{1 + e^{-x}}

    Args:
        x (array, Variable or SymbolicVariable): Input of any shape; integer and bool inputs
            give float32.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as ``x``: shape of ``x``, its floating dtype, values in ``[0, 1]``.

    Raises:
        DTypeError: a tensor argument is not real and numeric (the engine's input checks).

    Notes:
        Computed from ``exp(-|x|)`` only, so no overflow for any input (``sigmoid(±inf)`` is
        1 or 0). Gradient: ``gy * y * (1 - y)``. Equivalent to ``tf.sigmoid(x)``,
        ``keras.ops.sigmoid(x)``, ``nnabla.functions.sigmoid(x)`` and SameDiff
        ``nn.sigmoid(x)``.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.sigmoid(np.array([-1000.0, 0.0, 1000.0], np.float32))
        array([0. , 0.5, 1. ], dtype=float32)
    """
    return Sigmoid().apply1(x, name=name)


def tanh(x: Any, *, name: str | None = None) -> Any:
    """Hyperbolic tangent, element-wise.

    .. math::
        y = \\tanh x

    Args:
        x (array, Variable or SymbolicVariable): Input of any shape; integer and bool inputs
            give float32.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as ``x``: shape of ``x``, its floating dtype.

    Raises:
        DTypeError: a tensor argument is not real and numeric (the engine's input checks).

    Notes:
        Gradient: ``gy * (1 - y**2)``. Equivalent to ``tf.tanh(x)``, ``keras.ops.tanh(x)``,
        ``nnabla.functions.tanh(x)`` and SameDiff ``nn.tanh(x)``.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.tanh(np.array([0.0, 100.0]))
        array([0., 1.])
    """
    return Tanh().apply1(x, name=name)


def softplus(x: Any, *, name: str | None = None) -> Any:
    """Softplus, element-wise, computed without overflow.

    .. math::
        y = \\log(1 + e^{x}) = \\max(x, 0) + \\log(1 + e^{-|x|})

    Args:
        x (array, Variable or SymbolicVariable): Input of any shape; integer and bool inputs
            give float32.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as ``x``: shape of ``x``, its floating dtype.

    Raises:
        DTypeError: a tensor argument is not real and numeric (the engine's input checks).

    Notes:
        The right-hand form is used: exact for large ``|x|`` (``softplus(1e30) = 1e30``).
        Gradient: ``gy * sigmoid(x)``. Equivalent to ``tf.nn.softplus(features)``,
        ``keras.ops.softplus(x)``, ``nnabla.functions.softplus(x, beta=1)`` and SameDiff
        ``nn.softplus(x)``.
        PyTorch's ``threshold`` shortcut (``x`` itself where ``beta * x > threshold``) is not
        taken: the result is exact everywhere.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.softplus(np.array([-1e30, 0.0, 1e30], np.float32))
        array([0.000000e+00, 6.931472e-01, 1.000000e+30], dtype=float32)
    """
    return Softplus().apply1(x, name=name)
