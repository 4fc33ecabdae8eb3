"""samediff.nn activations, softmax, dense layers and dropout (DL4J SameDiff ``SDNN``).

Each op takes SameDiff's argument names and order; the ``String name`` overload is the keyword
``name``. Required SameDiff arguments have no defaults here either.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import nnfunc.functions as F
from nnfunc.compat._common import same_as, tensor_args
from nnfunc.core import check, shapes
from nnfunc.errors import ArgumentError, ShapeError

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


@tensor_args("x")
def elu(x: Any, *, name: str | None = None) -> Any:
    """``x`` if ``x > 0`` else ``exp(x) - 1`` (alpha fixed at 1). See :func:`nnfunc.elu`.

    Args:
        x: Input variable.
        name (str, optional): Node name (SameDiff's ``String name`` overload).

    Returns:
        A variable of the shape of ``x``.

    Examples:
        >>> samediff.nn.elu(np.array([-1.0, 1.0]))
        array([-0.63212056,  1.        ])
    """
    return F.elu(x, 1.0, name=name)


@tensor_args("x")
def gelu(x: Any, *, name: str | None = None) -> Any:
    """GELU by the sigmoid approximation ``x * sigmoid(1.702 x)``. See :func:`nnfunc.gelu`.

    Args:
        x: Input variable.
        name (str, optional): Node name (SameDiff's ``String name`` overload).

    Returns:
        A variable of the shape of ``x``.

    Examples:
        >>> samediff.nn.gelu(np.array([0.0, 1.0]))
        array([0.        , 0.84579577])
    """
    return F.gelu(x, "sigmoid", name=name)


@tensor_args("x")
def hardSigmoid(x: Any, *, name: str | None = None) -> Any:
    """``clip(0.2 x + 0.5, 0, 1)``. See :func:`nnfunc.hard_sigmoid`.

    The page's middle case reads ``out[1]`` for ``out[i]`` (a typo). Gradient 0.2 strictly
    inside ``(-2.5, 2.5)``, 0 at and beyond.

    Args:
        x: Input variable.
        name (str, optional): Node name (SameDiff's ``String name`` overload).

    Returns:
        A variable of the shape of ``x``.

    Examples:
        >>> samediff.nn.hardSigmoid(np.array([-3.0, 1.0]))
        array([0. , 0.7])
    """
    return F.hard_sigmoid(x, 0.2, 0.5, name=name)


hardTanh = same_as(
    F.hard_tanh,
    """``clip(x, -1, 1)``. See :func:`nnfunc.hard_tanh`.

    The page's middle case reads ``out[1]`` for ``out[i]`` (a typo). Gradient 1 strictly
    inside ``(-1, 1)``, 0 at and beyond (as :func:`hardTanhDerivative`).

    Returns:
        A variable of the shape of ``x``.

    Examples:
        >>> samediff.nn.hardTanh(np.array([-3.0, 0.5]))
        array([-1. ,  0.5])
    """,
    op="hardTanh",
)


hardTanhDerivative = same_as(
    F.hard_tanh_derivative,
    """``dOut/dIn`` of hardTanh: 1 on ``(-1, 1)``, else 0. See :func:`nnfunc.hard_tanh_derivative`.

    Returns:
        A variable of the shape of ``x``.

    Examples:
        >>> samediff.nn.hardTanhDerivative(np.array([-3.0, 0.5]))
        array([0., 1.])
    """,
    op="hardTanhDerivative",
)


logSigmoid = same_as(
    F.log_sigmoid,
    """``log(sigmoid(x))``, stable (titled "sigmoid" on the page). See :func:`nnfunc.log_sigmoid`.

    Returns:
        A variable of the shape of ``x``.

    Examples:
        >>> samediff.nn.logSigmoid(np.array([0.0]))
        array([-0.69314718])
    """,
    op="logSigmoid",
)


@tensor_args("x")
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
        >>> samediff.nn.selu(np.array([-1.0, 1.0]))
        array([-1.11133074,  1.05070099])
    """
    return F.selu(x, name=name)


sigmoid = same_as(
    F.sigmoid,
    """``1 / (1 + exp(-x))``. See :func:`nnfunc.sigmoid`.

    Returns:
        A variable of the shape of ``x``.

    Examples:
        >>> samediff.nn.sigmoid(np.array([0.0]))
        array([0.5])
    """,
)


softplus = same_as(
    F.softplus,
    """``log(exp(x) + 1)``, stable. See :func:`nnfunc.softplus`.

    Returns:
        A variable of the shape of ``x``.

    Examples:
        >>> samediff.nn.softplus(np.array([0.0]))
        array([0.69314718])
    """,
)


softsign = same_as(
    F.softsign,
    """``x / (|x| + 1)``. See :func:`nnfunc.softsign`.

    Returns:
        A variable of the shape of ``x``.

    Examples:
        >>> samediff.nn.softsign(np.array([1.0]))
        array([0.5])
    """,
)


softsignDerivative = same_as(
    F.softsign_derivative,
    """``dOut/dIn`` of softsign: ``1 / (1 + |x|)**2``. See :func:`nnfunc.softsign_derivative`.

    Returns:
        A variable of the shape of ``x``.

    Examples:
        >>> samediff.nn.softsignDerivative(np.array([1.0]))
        array([0.25])
    """,
    op="softsignDerivative",
)


swish = same_as(
    F.silu,
    """``x * sigmoid(b * x)`` with ``b = 1`` (the page's ``x _sigmoid(b_x)`` lost its ``*``).

    See :func:`nnfunc.silu`.

    Returns:
        A variable of the shape of ``x``.

    Examples:
        >>> samediff.nn.swish(np.array([0.0]))
        array([0.])
    """,
    op="swish",
)


tanh = same_as(
    F.tanh,
    """Hyperbolic tangent. See :func:`nnfunc.tanh`.

    Returns:
        A variable of the shape of ``x``.

    Examples:
        >>> samediff.nn.tanh(np.array([0.0]))
        array([0.])
    """,
)


@tensor_args("x")
def relu6(x: Any, cutoff: float, *, name: str | None = None) -> Any:
    """``min(max(x, cutoff), 6)``: values below ``cutoff`` are CLAMPED to it (not zeroed).

    Args:
        x: Input variable.
        cutoff (float): Lower clamp ("usually 0"), required.
        name (str, optional): Node name.

    Returns:
        A variable of the shape of ``x``. See :func:`nnfunc.relu6`.

    Raises:
        ArgumentError: ``cutoff`` is not a finite real number ``<= 6``.

    Examples:
        >>> samediff.nn.relu6(np.array([-1.0, 3.0, 7.0]), 0.5)
        array([0.5, 3. , 6. ])
    """
    cutoff = check.real_scalar("relu6", "cutoff", cutoff, max_value=6.0)
    return F.relu6(x, cutoff, name=name)


@tensor_args("x")
def leakyRelu(x: Any, alpha: float, *, name: str | None = None) -> Any:
    """``x`` for ``x >= 0``, ``alpha * x`` otherwise (the page writes ``x < cutoff``: it is 0).

    Args:
        x: Input variable.
        alpha (float): Negative slope, required ("commonly 0.01").
        name (str, optional): Node name.

    Returns:
        A variable of the shape of ``x``. See :func:`nnfunc.leaky_relu`.

    Raises:
        ArgumentError: ``alpha`` is not a finite real number.

    Examples:
        >>> samediff.nn.leakyRelu(np.array([-1.0, 2.0]), 0.01)
        array([-0.01,  2.  ])
    """
    alpha = check.real_scalar("leaky_relu", "alpha", alpha)
    return F.leaky_relu(x, alpha, name=name)


@tensor_args("x")
def leakyReluDerivative(x: Any, alpha: float, *, name: str | None = None) -> Any:
    """``dOut/dIn`` of leakyRelu: 1 for ``x >= 0``, ``alpha`` otherwise.

    Args:
        x: Input variable.
        alpha (float): Negative slope, required.
        name (str, optional): Node name.

    Returns:
        A variable of the shape of ``x``. See :func:`nnfunc.leaky_relu_derivative`.

    Examples:
        >>> samediff.nn.leakyReluDerivative(np.array([-1.0, 2.0]), 0.01)
        array([0.01, 1.  ])
    """
    return F.leaky_relu_derivative(x, alpha, name=name)


sigmoidDerivative = same_as(
    F.sigmoid_derivative,
    """Vector-Jacobian product of sigmoid: ``wrt * s * (1 - s)``, ``wrt = dL/dOut``.

    Returns:
        ``dL/dx``. See :func:`nnfunc.sigmoid_derivative`.

    Examples:
        >>> samediff.nn.sigmoidDerivative(np.array([0.0]), np.array([2.0]))
        array([0.5])
    """,
    op="sigmoidDerivative",
)


@tensor_args("x")
def softmax(x: Any, dimension: int = -1, *, name: str | None = None) -> Any:
    """Softmax along ``dimension`` (default -1; both overloads). See :func:`nnfunc.softmax`.

    Args:
        x: Input variable.
        dimension (int): The axis. Default ``-1``.
        name (str, optional): Node name.

    Returns:
        A variable of the shape of ``x``.

    Examples:
        >>> samediff.nn.softmax(np.array([0.0, np.log(3.0)]))
        array([0.25, 0.75])
    """
    with shapes.node_errors(name, x):
        check.axis("softmax", "dimension", dimension, max(len(x.shape), 1))
        return F.softmax(x, dimension, name=name)


@tensor_args("x")
def logSoftmax(x: Any, dimension: int = -1, *, name: str | None = None) -> Any:
    """Log-softmax along ``dimension`` (the no-dimension overload uses the last axis).

    Args:
        x: Input variable.
        dimension (int): The axis. Default ``-1``.
        name (str, optional): Node name.

    Returns:
        A variable of the shape of ``x``. See :func:`nnfunc.log_softmax`.

    Examples:
        >>> samediff.nn.logSoftmax(np.array([0.0, 0.0]))
        array([-0.69314718, -0.69314718])
    """
    with shapes.node_errors(name, x):
        check.axis("log_softmax", "dimension", dimension, max(len(x.shape), 1))
        return F.log_softmax(x, dimension, name=name)


@tensor_args("x", "wrt")
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
        >>> samediff.nn.softmaxDerivative(np.array([0.0, 0.0]), np.array([1.0, 0.0]), -1)
        array([ 0.25, -0.25])
    """
    with shapes.node_errors(name, x, wrt):
        check.axis("softmax_derivative", "dimension", dimension, max(len(x.shape), 1))
        return F.softmax_derivative(x, wrt, dimension, name=name)


@tensor_args("input", "alpha")
def prelu(input: Any, alpha: Any, sharedAxes: Any, *, name: str | None = None) -> Any:
    """``x`` for ``x >= 0``, ``alpha * x`` otherwise, ``alpha`` shared along ``sharedAxes``.

    Args:
        input: Input ``[batch, ...]``.
        alpha: Slopes without the batch axis: the sizes of the non-shared axes (e.g.
            ``[channels]`` with ``sharedAxes=[2, 3]`` for NCHW) or ``input.shape[1:]`` with 1
            on the shared axes.
        sharedAxes (sequence of int): Axes (>= 1) sharing one slope; at least one (the page's
            ``Size AtLeast(min=1)``).
        name (str, optional): Node name.

    Returns:
        A variable of the shape of ``input``. See :func:`nnfunc.prelu`.

    Raises:
        ArgumentError: ``sharedAxes`` is not a non-empty sequence of ints.
        ShapeError: an axis of ``sharedAxes`` is outside ``[1, rank)`` or repeated, or
            ``alpha`` fits neither form.

    Examples:
        >>> samediff.nn.prelu(-np.ones((1, 2, 2)), np.array([0.1, 0.5]), [2])
        array([[[-0.1, -0.1],
                [-0.5, -0.5]]])
    """
    with shapes.node_errors(name, input, alpha):
        xs, a_shape = tuple(input.shape), tuple(alpha.shape)
        shared = _shared_axes(sharedAxes, xs)
        full = tuple(1 if a in shared else xs[a] for a in range(1, len(xs)))
        compact = tuple(xs[a] for a in range(1, len(xs)) if a not in shared)

        def fits(form: tuple) -> bool:
            return len(form) == len(a_shape) and all(
                None in (p, q) or p == q for p, q in zip(a_shape, form, strict=True)
            )

        if not (fits(full) or fits(compact)):
            raise ShapeError(
                check.message(
                    "prelu",
                    "alpha",
                    "have the sizes of the axes of `input` not in sharedAxes (or "
                    "input.shape[1:] with 1 on the shared axes)",
                    **{"alpha.shape": a_shape, "input.shape": xs},
                    sharedAxes=sharedAxes,
                )
            )
        return F.prelu(input, alpha, shared_axes=shared, name=name)


def _shared_axes(value: Any, xs: tuple) -> tuple[int, ...]:
    """SameDiff's ``sharedAxes``: a non-empty sequence of distinct axes in ``[1, rank)``."""
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if not isinstance(value, (list, tuple)) or not all(
        isinstance(a, (int, np.integer)) and not isinstance(a, bool) for a in value
    ):
        raise ArgumentError(
            check.message("prelu", "sharedAxes", "be a sequence of ints", sharedAxes=value)
        )
    if not value:
        raise ArgumentError(
            check.message("prelu", "sharedAxes", "hold at least one axis", sharedAxes=value)
        )
    axes = tuple(int(a) for a in value)
    if any(not 1 <= a < len(xs) for a in axes) or len(set(axes)) != len(axes):
        raise ShapeError(
            check.message(
                "prelu",
                "sharedAxes",
                f"hold distinct axes in [1, {len(xs)}) (axis 0 is the batch axis)",
                sharedAxes=value,
                **{"input.shape": xs},
            )
        )
    return axes


@tensor_args("input", "weights", "bias")
def linear(input: Any, weights: Any, bias: Any = None, *, name: str | None = None) -> Any:
    """``mmul(input, weights) + bias`` with ``weights`` ``[nIn, nOut]``; ``bias`` may be None.

    Args:
        input: Input ``[minibatch, nIn]``.
        weights: ``[nIn, nOut]``.
        bias (optional): ``[nOut]``.
        name (str, optional): Node name.

    Returns:
        ``[minibatch, nOut]``. See :func:`nnfunc.linear`.

    Raises:
        ShapeError: ``weights`` is not 2-D, its ``nIn`` differs from the columns of ``input``,
            or ``bias`` is not ``[nOut]``.

    Examples:
        >>> samediff.nn.linear(np.array([[1.0, 2.0]]), np.ones((2, 1)), np.array([0.5]))
        array([[3.5]])
    """
    with shapes.node_errors(name, input, weights, bias):
        _dense_shapes("linear", input, weights, bias)
        return F.linear(input, weights, bias, name=name)


@tensor_args("input", "weights", "bias")
def reluLayer(input: Any, weights: Any, bias: Any = None, *, name: str | None = None) -> Any:
    """``relu(mmul(input, weights) + bias)``; ``bias`` may be None.

    Args:
        input: Input ``[minibatch, nIn]``.
        weights: ``[nIn, nOut]`` (the page does not state the layout; as ``linear``).
        bias (optional): ``[nOut]``.
        name (str, optional): Node name.

    Returns:
        ``[minibatch, nOut]``. See :func:`nnfunc.relu_layer` (gradient 0 where the
        pre-activation is 0).

    Raises:
        ShapeError: as :func:`linear`.

    Examples:
        >>> samediff.nn.reluLayer(np.array([[1.0, -2.0]]), np.eye(2))
        array([[1., 0.]])
    """
    with shapes.node_errors(name, input, weights, bias):
        _dense_shapes("relu_layer", input, weights, bias)
        return F.relu_layer(input, weights, bias, name=name)


def _dense_shapes(op: str, input: Any, weights: Any, bias: Any) -> None:
    """``input [..., nIn]``, ``weights [nIn, nOut]``, ``bias [nOut]`` (SameDiff's names)."""
    check.ndim_at_least(op, "input", input, 1)
    check.ndim(op, "weights", weights, 2)
    n_in, w_in = input.shape[-1], weights.shape[0]
    if None not in (n_in, w_in) and n_in != w_in:
        raise ShapeError(
            check.message(
                op,
                "weights",
                "have as many rows (nIn) as `input` has columns",
                **{"weights.shape": tuple(weights.shape), "input.shape": tuple(input.shape)},
            )
        )
    if bias is not None:
        n_out, b = weights.shape[1], tuple(bias.shape)
        if len(b) != 1 or (None not in (b[0], n_out) and b[0] != n_out):
            raise ShapeError(
                check.message(
                    op,
                    "bias",
                    "have shape [nOut] (weights.shape[1])",
                    **{"bias.shape": b, "weights.shape": tuple(weights.shape)},
                )
            )


@tensor_args("input", "bias")
def biasAdd(input: Any, bias: Any, nchw: bool, *, name: str | None = None) -> Any:
    """Add a 1-D ``bias`` on axis 1 (``nchw=True``) or the last axis (2-D inputs: last axis).

    Args:
        input: Input, e.g. ``[minibatch, channels, height, width]``.
        bias: 1-D, one entry per channel.
        nchw (bool): Channels first (required); unused for 2-D inputs (bias on the last axis).
        name (str, optional): Node name.

    Returns:
        A variable of the shape of ``input``. See :func:`nnfunc.bias_add`.

    Raises:
        ShapeError: ``bias`` is not 1-D or its size differs from the channel axis.
        ArgumentError: ``nchw`` is not a bool.
        DTypeError: ``bias`` and ``input`` differ in dtype.

    Examples:
        >>> samediff.nn.biasAdd(np.zeros((1, 2, 1, 1)), np.array([1.0, 2.0]), True)[0, :, 0, 0]
        array([1., 2.])
    """
    with shapes.node_errors(name, input, bias):
        nchw = check.boolean("bias_add", "nchw", nchw)
        xs = tuple(input.shape)
        ax = 1 if nchw and len(xs) > 2 else len(xs) - 1
        _bias_shape("input", input, bias, ax)
        return F.bias_add(input, bias, channel_last=not nchw, name=name)


def _bias_shape(xname: str, x: Any, bias: Any, ax: int) -> None:
    """A 1-D ``bias`` with one entry per channel (axis ``ax`` of ``x``)."""
    check.ndim_at_least("bias_add", xname, x, 1)
    check.ndim("bias_add", "bias", bias, 1)
    check.same_dtype("bias_add", (xname, "bias"), (x, bias))
    xs = tuple(x.shape)
    c, n = xs[ax], bias.shape[0]
    if None not in (c, n) and c != n:
        raise ShapeError(
            check.message(
                "bias_add",
                "bias",
                f"have the size of the channel axis {ax} of `{xname}`",
                **{"bias.shape": tuple(bias.shape), f"{xname}.shape": xs},
            )
        )


@tensor_args("input")
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
