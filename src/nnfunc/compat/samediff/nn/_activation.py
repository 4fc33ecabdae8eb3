"""samediff.nn activations, softmax, dense layers and dropout (DL4J SameDiff ``SDNN``).

Each op takes SameDiff's argument names and order; the ``String name`` overload is the keyword
``name``. Required SameDiff arguments have no defaults here either.
"""

from __future__ import annotations

from typing import Any

import nnfunc.functions as F
from nnfunc.core import check

__all__ = [
    "biasAdd",
    "dropout",
    "elu",
    "gelu",
    "hardSigmoid",
    "hardTanh",
    "hardTanhDerivative",
    "leakyRelu",
    "leakyReluDerivative",
    "linear",
    "logSigmoid",
    "logSoftmax",
    "prelu",
    "relu6",
    "reluLayer",
    "selu",
    "sigmoid",
    "sigmoidDerivative",
    "softmax",
    "softmaxDerivative",
    "softplus",
    "softsign",
    "softsignDerivative",
    "swish",
    "tanh",
]


def elu(x: Any, *, name: str | None = None) -> Any:
    """``x`` if ``x > 0`` else ``exp(x) - 1`` (alpha fixed at 1). See :func:`nnfunc.elu`.

    Args:
        x: Input variable.
        name (str, optional): Node name (SameDiff's ``String name`` overload).

    Returns:
        A variable of the shape of ``x``.

    Examples:
        >>> import numpy as np
        >>> from nnfunc.compat import samediff
        >>> samediff.nn.elu(np.array([-1.0, 1.0]))
        array([-0.63212056,  1.        ])
    """
    return F.elu(x, 1.0, name=name)


def gelu(x: Any, *, name: str | None = None) -> Any:
    """GELU by the sigmoid approximation ``x * sigmoid(1.702 x)``. See :func:`nnfunc.gelu`.

    Args:
        x: Input variable.
        name (str, optional): Node name (SameDiff's ``String name`` overload).

    Returns:
        A variable of the shape of ``x``.

    Examples:
        >>> import numpy as np
        >>> from nnfunc.compat import samediff
        >>> samediff.nn.gelu(np.array([0.0, 1.0]))
        array([0.        , 0.84579577])
    """
    return F.gelu(x, "sigmoid", name=name)


def hardSigmoid(x: Any, *, name: str | None = None) -> Any:
    """``clip(0.2 x + 0.5, 0, 1)``. See :func:`nnfunc.hard_sigmoid`.

    Args:
        x: Input variable.
        name (str, optional): Node name (SameDiff's ``String name`` overload).

    Returns:
        A variable of the shape of ``x``.

    Examples:
        >>> import numpy as np
        >>> from nnfunc.compat import samediff
        >>> samediff.nn.hardSigmoid(np.array([-3.0, 1.0]))
        array([0. , 0.7])
    """
    return F.hard_sigmoid(x, 0.2, 0.5, name=name)


def hardTanh(x: Any, *, name: str | None = None) -> Any:
    """``clip(x, -1, 1)``. See :func:`nnfunc.hard_tanh`.

    Args:
        x: Input variable.
        name (str, optional): Node name (SameDiff's ``String name`` overload).

    Returns:
        A variable of the shape of ``x``.

    Examples:
        >>> import numpy as np
        >>> from nnfunc.compat import samediff
        >>> samediff.nn.hardTanh(np.array([-3.0, 0.5]))
        array([-1. ,  0.5])
    """
    return F.hard_tanh(x, name=name)


def hardTanhDerivative(x: Any, *, name: str | None = None) -> Any:
    """``dOut/dIn`` of hardTanh: 1 on ``(-1, 1)``, else 0. See :func:`nnfunc.hard_tanh_derivative`.

    Args:
        x: Input variable.
        name (str, optional): Node name (SameDiff's ``String name`` overload).

    Returns:
        A variable of the shape of ``x``.

    Examples:
        >>> import numpy as np
        >>> from nnfunc.compat import samediff
        >>> samediff.nn.hardTanhDerivative(np.array([-3.0, 0.5]))
        array([0., 1.])
    """
    return F.hard_tanh_derivative(x, name=name)


def logSigmoid(x: Any, *, name: str | None = None) -> Any:
    """``log(sigmoid(x))``, stable (titled "sigmoid" on the page). See :func:`nnfunc.log_sigmoid`.

    Args:
        x: Input variable.
        name (str, optional): Node name (SameDiff's ``String name`` overload).

    Returns:
        A variable of the shape of ``x``.

    Examples:
        >>> import numpy as np
        >>> from nnfunc.compat import samediff
        >>> samediff.nn.logSigmoid(np.array([0.0]))
        array([-0.69314718])
    """
    return F.log_sigmoid(x, name=name)


def selu(x: Any, *, name: str | None = None) -> Any:
    """SELU: ``scale * x`` for ``x > 0``, ``scale * alpha * (exp(x) - 1)`` otherwise.

    CORRECTION: the page says ``scale*alpha*(exp(x)-1)`` for ``x > 0`` and 0 otherwise, which is
    not SELU; this computes the SELU of the paper (scale 1.0507..., alpha 1.6733...). See
    :func:`nnfunc.selu`.

    Args:
        x: Input variable.
        name (str, optional): Node name (SameDiff's ``String name`` overload).

    Returns:
        A variable of the shape of ``x``.

    Examples:
        >>> import numpy as np
        >>> from nnfunc.compat import samediff
        >>> samediff.nn.selu(np.array([-1.0, 1.0]))
        array([-1.11133074,  1.05070099])
    """
    return F.selu(x, name=name)


def sigmoid(x: Any, *, name: str | None = None) -> Any:
    """``1 / (1 + exp(-x))``. See :func:`nnfunc.sigmoid`.

    Args:
        x: Input variable.
        name (str, optional): Node name (SameDiff's ``String name`` overload).

    Returns:
        A variable of the shape of ``x``.

    Examples:
        >>> import numpy as np
        >>> from nnfunc.compat import samediff
        >>> samediff.nn.sigmoid(np.array([0.0]))
        array([0.5])
    """
    return F.sigmoid(x, name=name)


def softplus(x: Any, *, name: str | None = None) -> Any:
    """``log(exp(x) + 1)``, stable. See :func:`nnfunc.softplus`.

    Args:
        x: Input variable.
        name (str, optional): Node name (SameDiff's ``String name`` overload).

    Returns:
        A variable of the shape of ``x``.

    Examples:
        >>> import numpy as np
        >>> from nnfunc.compat import samediff
        >>> samediff.nn.softplus(np.array([0.0]))
        array([0.69314718])
    """
    return F.softplus(x, name=name)


def softsign(x: Any, *, name: str | None = None) -> Any:
    """``x / (|x| + 1)``. See :func:`nnfunc.softsign`.

    Args:
        x: Input variable.
        name (str, optional): Node name (SameDiff's ``String name`` overload).

    Returns:
        A variable of the shape of ``x``.

    Examples:
        >>> import numpy as np
        >>> from nnfunc.compat import samediff
        >>> samediff.nn.softsign(np.array([1.0]))
        array([0.5])
    """
    return F.softsign(x, name=name)


def softsignDerivative(x: Any, *, name: str | None = None) -> Any:
    """``dOut/dIn`` of softsign: ``1 / (1 + |x|)**2``. See :func:`nnfunc.softsign_derivative`.

    Args:
        x: Input variable.
        name (str, optional): Node name (SameDiff's ``String name`` overload).

    Returns:
        A variable of the shape of ``x``.

    Examples:
        >>> import numpy as np
        >>> from nnfunc.compat import samediff
        >>> samediff.nn.softsignDerivative(np.array([1.0]))
        array([0.25])
    """
    return F.softsign_derivative(x, name=name)


def swish(x: Any, *, name: str | None = None) -> Any:
    """``x * sigmoid(x)``. See :func:`nnfunc.silu`.

    Args:
        x: Input variable.
        name (str, optional): Node name (SameDiff's ``String name`` overload).

    Returns:
        A variable of the shape of ``x``.

    Examples:
        >>> import numpy as np
        >>> from nnfunc.compat import samediff
        >>> samediff.nn.swish(np.array([0.0]))
        array([0.])
    """
    return F.silu(x, name=name)


def tanh(x: Any, *, name: str | None = None) -> Any:
    """Hyperbolic tangent. See :func:`nnfunc.tanh`.

    Args:
        x: Input variable.
        name (str, optional): Node name (SameDiff's ``String name`` overload).

    Returns:
        A variable of the shape of ``x``.

    Examples:
        >>> import numpy as np
        >>> from nnfunc.compat import samediff
        >>> samediff.nn.tanh(np.array([0.0]))
        array([0.])
    """
    return F.tanh(x, name=name)


def relu6(x: Any, cutoff: float, *, name: str | None = None) -> Any:
    """``min(max(x, cutoff), 6)``: values below ``cutoff`` are CLAMPED to it (not zeroed).

    Args:
        x: Input variable.
        cutoff (float): Lower clamp ("usually 0"), required.
        name (str, optional): Node name.

    Returns:
        A variable of the shape of ``x``. See :func:`nnfunc.relu6`.

    Examples:
        >>> import numpy as np
        >>> from nnfunc.compat import samediff
        >>> samediff.nn.relu6(np.array([-1.0, 3.0, 7.0]), 0.5)
        array([0.5, 3. , 6. ])
    """
    return F.relu6(x, cutoff, name=name)


def leakyRelu(x: Any, alpha: float, *, name: str | None = None) -> Any:
    """``x`` for ``x >= 0``, ``alpha * x`` otherwise (the page writes ``x < cutoff``: it is 0).

    Args:
        x: Input variable.
        alpha (float): Negative slope, required ("commonly 0.01").
        name (str, optional): Node name.

    Returns:
        A variable of the shape of ``x``. See :func:`nnfunc.leaky_relu`.

    Examples:
        >>> import numpy as np
        >>> from nnfunc.compat import samediff
        >>> samediff.nn.leakyRelu(np.array([-1.0, 2.0]), 0.01)
        array([-0.01,  2.  ])
    """
    return F.leaky_relu(x, alpha, name=name)


def leakyReluDerivative(x: Any, alpha: float, *, name: str | None = None) -> Any:
    """``dOut/dIn`` of leakyRelu: 1 for ``x >= 0``, ``alpha`` otherwise.

    Args:
        x: Input variable.
        alpha (float): Negative slope, required.
        name (str, optional): Node name.

    Returns:
        A variable of the shape of ``x``. See :func:`nnfunc.leaky_relu_derivative`.

    Examples:
        >>> import numpy as np
        >>> from nnfunc.compat import samediff
        >>> samediff.nn.leakyReluDerivative(np.array([-1.0, 2.0]), 0.01)
        array([0.01, 1.  ])
    """
    return F.leaky_relu_derivative(x, alpha, name=name)


def sigmoidDerivative(x: Any, wrt: Any, *, name: str | None = None) -> Any:
    """Vector-Jacobian product of sigmoid: ``wrt * s * (1 - s)``, ``wrt = dL/dOut``.

    Args:
        x: The sigmoid's input.
        wrt: Gradient at the sigmoid's output, the shape of ``x``.
        name (str, optional): Node name.

    Returns:
        ``dL/dx``. See :func:`nnfunc.sigmoid_derivative`.

    Examples:
        >>> import numpy as np
        >>> from nnfunc.compat import samediff
        >>> samediff.nn.sigmoidDerivative(np.array([0.0]), np.array([2.0]))
        array([0.5])
    """
    return F.sigmoid_derivative(x, wrt, name=name)


def softmax(x: Any, dimension: int = -1, *, name: str | None = None) -> Any:
    """Softmax along ``dimension`` (default -1; both overloads). See :func:`nnfunc.softmax`.

    Args:
        x: Input variable.
        dimension (int): The axis. Default ``-1``.
        name (str, optional): Node name.

    Returns:
        A variable of the shape of ``x``.

    Examples:
        >>> import numpy as np
        >>> from nnfunc.compat import samediff
        >>> samediff.nn.softmax(np.array([0.0, np.log(3.0)]))
        array([0.25, 0.75])
    """
    return F.softmax(x, dimension, name=name)


def logSoftmax(x: Any, dimension: int = -1, *, name: str | None = None) -> Any:
    """Log-softmax along ``dimension`` (the no-dimension overload uses the last axis).

    Args:
        x: Input variable.
        dimension (int): The axis. Default ``-1``.
        name (str, optional): Node name.

    Returns:
        A variable of the shape of ``x``. See :func:`nnfunc.log_softmax`.

    Examples:
        >>> import numpy as np
        >>> from nnfunc.compat import samediff
        >>> samediff.nn.logSoftmax(np.array([0.0, 0.0]))
        array([-0.69314718, -0.69314718])
    """
    return F.log_softmax(x, dimension, name=name)


def softmaxDerivative(x: Any, wrt: Any, dimension: int, *, name: str | None = None) -> Any:
    """Vector-Jacobian product of softmax: ``y * (wrt - sum(wrt * y))``, ``wrt = dL/dOut``.

    Args:
        x: The softmax's input.
        wrt: Gradient at the softmax's OUTPUT (the page says dL/dx by mistake).
        dimension (int): The softmax axis, required.
        name (str, optional): Node name.

    Returns:
        ``dL/dx``. See :func:`nnfunc.softmax_derivative`.

    Examples:
        >>> import numpy as np
        >>> from nnfunc.compat import samediff
        >>> samediff.nn.softmaxDerivative(np.array([0.0, 0.0]), np.array([1.0, 0.0]), -1)
        array([ 0.25, -0.25])
    """
    return F.softmax_derivative(x, wrt, dimension, name=name)


def prelu(input: Any, alpha: Any, sharedAxes: Any, *, name: str | None = None) -> Any:
    """``x`` for ``x >= 0``, ``alpha * x`` otherwise, ``alpha`` shared along ``sharedAxes``.

    Args:
        input: Input ``[batch, ...]``.
        alpha: Slopes without the batch axis: the sizes of the non-shared axes (e.g.
            ``[channels]`` with ``sharedAxes=[2, 3]`` for NCHW) or ``input.shape[1:]`` with 1
            on the shared axes.
        sharedAxes (sequence of int): Axes (>= 1) sharing one slope; at least one.
        name (str, optional): Node name.

    Returns:
        A variable of the shape of ``input``. See :func:`nnfunc.prelu`.

    Examples:
        >>> import numpy as np
        >>> from nnfunc.compat import samediff
        >>> samediff.nn.prelu(-np.ones((1, 2, 2)), np.array([0.1, 0.5]), [2])
        array([[[-0.1, -0.1],
                [-0.5, -0.5]]])
    """
    return F.prelu(input, alpha, shared_axes=sharedAxes, name=name)


def linear(input: Any, weights: Any, bias: Any = None, *, name: str | None = None) -> Any:
    """``mmul(input, weights) + bias`` with ``weights`` ``[nIn, nOut]``; ``bias`` may be None.

    Args:
        input: Input ``[minibatch, nIn]``.
        weights: ``[nIn, nOut]``.
        bias (optional): ``[nOut]``.
        name (str, optional): Node name.

    Returns:
        ``[minibatch, nOut]``. See :func:`nnfunc.linear`.

    Examples:
        >>> import numpy as np
        >>> from nnfunc.compat import samediff
        >>> samediff.nn.linear(np.array([[1.0, 2.0]]), np.ones((2, 1)), np.array([0.5]))
        array([[3.5]])
    """
    return F.linear(input, weights, bias, name=name)


def reluLayer(input: Any, weights: Any, bias: Any = None, *, name: str | None = None) -> Any:
    """``relu(mmul(input, weights) + bias)``; ``bias`` may be None.

    Args:
        input: Input ``[minibatch, nIn]``.
        weights: ``[nIn, nOut]``.
        bias (optional): ``[nOut]``.
        name (str, optional): Node name.

    Returns:
        ``[minibatch, nOut]``. See :func:`nnfunc.relu_layer`.

    Examples:
        >>> import numpy as np
        >>> from nnfunc.compat import samediff
        >>> samediff.nn.reluLayer(np.array([[1.0, -2.0]]), np.eye(2))
        array([[1., 0.]])
    """
    return F.relu_layer(input, weights, bias, name=name)


def biasAdd(input: Any, bias: Any, nchw: bool, *, name: str | None = None) -> Any:
    """Add a 1-D ``bias`` on axis 1 (``nchw=True``) or the last axis (2-D inputs: last axis).

    Args:
        input: Input, e.g. ``[minibatch, channels, height, width]``.
        bias: 1-D, one entry per channel.
        nchw (bool): Channels first (required).
        name (str, optional): Node name.

    Returns:
        A variable of the shape of ``input``. See :func:`nnfunc.bias_add`.

    Examples:
        >>> import numpy as np
        >>> from nnfunc.compat import samediff
        >>> samediff.nn.biasAdd(np.zeros((1, 2, 1, 1)), np.array([1.0, 2.0]), True)[0, :, 0, 0]
        array([1., 2.])
    """
    return F.bias_add(input, bias, channel_last=not nchw, name=name)


def dropout(input: Any, inputRetainProbability: float, *, name: str | None = None) -> Any:
    """Inverted dropout: keep each element with probability ``p`` and scale it by ``1/p``.

    The page does not say whether kept values are scaled; they are (inverted dropout, as TF).
    A fresh mask is drawn at every call (SameDiff takes no seed).

    Args:
        input: Input variable.
        inputRetainProbability (float): KEEP probability ``p`` in ``(0, 1]``.
        name (str, optional): Node name.

    Returns:
        A variable of the shape of ``input``. See :func:`nnfunc.dropout`.

    Raises:
        ArgumentError: ``inputRetainProbability`` is not in ``(0, 1]``.

    Examples:
        >>> import numpy as np
        >>> from nnfunc.compat import samediff
        >>> samediff.nn.dropout(np.ones(3), 1.0)
        array([1., 1., 1.])
    """
    p = check.real_scalar(
        "dropout",
        "inputRetainProbability",
        inputRetainProbability,
        min_value=0.0,
        max_value=1.0,
        open_min=True,
    )
    return F.dropout(input, 1.0 - p, name=name)
