"""nnabla.functions activations, softmax, affine, clipping, one_hot and dropout (NNabla 1.39).

``inplace`` is accepted and has no effect; ``n_outputs`` and ``outputs``: see the package note.
The seed page lost its minus signs and ``|.|`` bars (``exp(x)`` for ``exp(-x)`` in swish and
log_sigmoid, ``1`` for ``-1`` in hard_tanh, ``2.5`` for ``-2.5`` in hard_sigmoid, ``seed=1``
for ``seed=-1`` in dropout...): the formulas and defaults here are the restored ones.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import nnfunc.functions as F
from nnfunc.compat._common import same_as, tensor_args
from nnfunc.compat.nnabla._imperative import canonical_entry, outputs_in_place
from nnfunc.core import check, shapes
from nnfunc.errors import ArgumentError, ShapeError

__all__ = [
    "affine",
    "celu",
    "clip_by_norm",
    "clip_by_value",
    "clip_grad_by_norm",
    "clip_grad_by_value",
    "crelu",
    "dropout",
    "elu",
    "gelu",
    "hard_sigmoid",
    "hard_tanh",
    "leaky_relu",
    "log_sigmoid",
    "log_softmax",
    "one_hot",
    "prelu",
    "relu6",
    "selu",
    "sigmoid",
    "sinc",
    "softmax",
    "softplus",
    "softsign",
    "swish",
    "tanh",
    "tanh_shrink",
    "top_k_grad",
    "unlink",
]


sigmoid = canonical_entry(
    F.sigmoid,
    """``1 / (1 + exp(-x))``. See :func:`nnfunc.sigmoid`.

    Returns:
        An array of the shape of ``x``.

    Examples:
        >>> F.sigmoid(np.array([0.0]))
        array([0.5])
    """,
)


swish = canonical_entry(
    F.silu,
    """``x / (1 + exp(-x))``. See :func:`nnfunc.silu`.

    Returns:
        An array of the shape of ``x``.

    Examples:
        >>> F.swish(np.array([0.0]))
        array([0.])
    """,
    op="swish",
)


tanh = canonical_entry(
    F.tanh,
    """Hyperbolic tangent (documented in the Activation and Math sections). See :func:`nnfunc.tanh`.

    Returns:
        An array of the shape of ``x``.

    Examples:
        >>> F.tanh(np.array([0.0]))
        array([0.])
    """,
)


@outputs_in_place
@tensor_args("x")
def gelu(x: Any, n_outputs: int = 1, outputs: Any = None, *, name: str | None = None) -> Any:
    """GELU, tanh approximation (NNabla's form). See :func:`nnfunc.gelu`.

    Args:
        x: Input variable.
        name (str, optional): Node name in graph mode.

    Returns:
        An array of the shape of ``x``.

    Examples:
        >>> F.gelu(np.array([1.0]))
        array([0.84119199])
    """
    return F.gelu(x, "tanh", name=name)


@outputs_in_place
@tensor_args("x")
def relu6(x: Any, n_outputs: int = 1, outputs: Any = None, *, name: str | None = None) -> Any:
    """``min(max(0, x), 6)``. See :func:`nnfunc.relu6`.

    Args:
        x: Input variable.
        name (str, optional): Node name in graph mode.

    Returns:
        An array of the shape of ``x``.

    Examples:
        >>> F.relu6(np.array([-1.0, 7.0]))
        array([0., 6.])
    """
    return F.relu6(x, name=name)


@outputs_in_place
@tensor_args("x")
def hard_sigmoid(
    x: Any, n_outputs: int = 1, outputs: Any = None, *, name: str | None = None
) -> Any:
    """``clip(0.2 x + 0.5, 0, 1)``. See :func:`nnfunc.hard_sigmoid`.

    Args:
        x: Input variable.
        name (str, optional): Node name in graph mode.

    Returns:
        An array of the shape of ``x``.

    Examples:
        >>> F.hard_sigmoid(np.array([-3.0, 1.0]))
        array([0. , 0.7])
    """
    return F.hard_sigmoid(x, 0.2, 0.5, name=name)


hard_tanh = canonical_entry(
    F.hard_tanh,
    """``clip(x, -1, 1)``. See :func:`nnfunc.hard_tanh`.

    Returns:
        An array of the shape of ``x``.

    Examples:
        >>> F.hard_tanh(np.array([-3.0, 0.5]))
        array([-1. ,  0.5])
    """,
)


log_sigmoid = canonical_entry(
    F.log_sigmoid,
    """``log(1 / (1 + exp(-x)))``, stable. See :func:`nnfunc.log_sigmoid`.

    Returns:
        An array of the shape of ``x``.

    Examples:
        >>> F.log_sigmoid(np.array([0.0]))
        array([-0.69314718])
    """,
)


softplus = canonical_entry(
    F.softplus,
    """``log(1 + exp(x))``, stable. See :func:`nnfunc.softplus`.

    Returns:
        An array of the shape of ``x``.

    Examples:
        >>> F.softplus(np.array([0.0]))
        array([0.69314718])
    """,
)


softsign = canonical_entry(
    F.softsign,
    """``x / (1 + |x|)``. See :func:`nnfunc.softsign`.

    Returns:
        An array of the shape of ``x``.

    Examples:
        >>> F.softsign(np.array([1.0]))
        array([0.5])
    """,
)


tanh_shrink = canonical_entry(
    F.tanh_shrink,
    """``x - tanh(x)``. See :func:`nnfunc.tanh_shrink`.

    Returns:
        An array of the shape of ``x``.

    Examples:
        >>> F.tanh_shrink(np.array([0.0]))
        array([0.])
    """,
)


sinc = canonical_entry(
    F.sinc,
    """``sin(x) / x``, 1 at 0 (unnormalised). See :func:`nnfunc.sinc`.

    Returns:
        An array of the shape of ``x``.

    Examples:
        >>> F.sinc(np.array([0.0]))
        array([1.])
    """,
)


unlink = canonical_entry(
    F.stop_gradient,
    """Identity forward, no gradient backward. See :func:`nnfunc.stop_gradient`.

    Returns:
        An array of the shape of ``x``.

    Examples:
        >>> F.unlink(np.array([2.0]))
        array([2.])
    """,
    op="unlink",
)


def _axis(x: Any, axis: Any) -> int:
    return -1 if axis is None else axis


@outputs_in_place
@tensor_args("x")
def softmax(
    x: Any,
    axis: int | None = None,
    n_outputs: int = 1,
    outputs: Any = None,
    *,
    name: str | None = None,
) -> Any:
    """Softmax along ``axis`` (``None``: the last axis). See :func:`nnfunc.softmax`.

    Args:
        x: Input variable.
        axis (int, optional): The axis; ``None`` means ``len(x.shape) - 1``.
        name (str, optional): Node name in graph mode.

    Returns:
        An array of the shape of ``x``.

    Examples:
        >>> F.softmax(np.array([0.0, np.log(3.0)]))
        array([0.25, 0.75])
    """
    return F.softmax(x, _axis(x, axis), name=name)


@outputs_in_place
@tensor_args("x")
def log_softmax(
    x: Any,
    axis: int | None = None,
    n_outputs: int = 1,
    outputs: Any = None,
    *,
    name: str | None = None,
) -> Any:
    """Fused log-softmax along ``axis`` (``None``: last); backward ``dy - exp(y) sum(dy)``.

    The page swaps the words input and output once ("``y_i`` is the input"); ``x`` is the
    input, ``y`` the output, and its backward's ``y_i * sum`` means the softmax ``exp(y_i)``.

    Args:
        x: Input variable.
        axis (int, optional): The axis; ``None`` means the last.
        name (str, optional): Node name in graph mode.

    Returns:
        An array of the shape of ``x``. See :func:`nnfunc.log_softmax`.

    Examples:
        >>> F.log_softmax(np.array([0.0, 0.0]))
        array([-0.69314718, -0.69314718])
    """
    return F.log_softmax(x, _axis(x, axis), name=name)


elu = canonical_entry(
    F.elu,
    """``x`` if ``x > 0`` else ``alpha (exp(x) - 1)``. See :func:`nnfunc.elu`.

    Returns:
        An array of the shape of ``x``.

    Examples:
        >>> F.elu(np.array([-1.0, 1.0]))
        array([-0.63212056,  1.        ])
    """,
)


selu = canonical_entry(
    F.selu,
    """``scale * x`` if ``x > 0`` else ``scale * alpha * (exp(x) - 1)``. See :func:`nnfunc.selu`.

    Returns:
        An array of the shape of ``x``.

    Examples:
        >>> F.selu(np.array([1.0]))
        array([1.05070099])
    """,
    defaults={"scale": 1.05070098735548, "alpha": 1.673263242354377},
)


crelu = canonical_entry(
    F.crelu,
    """Concatenated ReLU along ``axis`` (default 1, the channel axis). See :func:`nnfunc.crelu`.

    Args:
        axis (int): The axis that doubles. Default ``1``.

    Returns:
        An array with ``axis`` doubled.

    Examples:
        >>> F.crelu(np.array([[-1.0, 2.0]]))
        array([[0., 2., 1., 0.]])
    """,
    defaults={"axis": 1},
)


celu = canonical_entry(
    F.concat_elu,
    """Concatenated ELU (NOT the continuously differentiable ELU). See :func:`nnfunc.concat_elu`.

    Args:
        axis (int): The axis that doubles. Default ``1``.

    Returns:
        An array with ``axis`` doubled.

    Examples:
        >>> F.celu(np.array([[-1.0, 2.0]]))
        array([[-0.63212056,  2.        ,  1.        , -0.86466472]])
    """,
    op="celu",
    defaults={"axis": 1},
)


@outputs_in_place
@tensor_args("x0", "x1")
def prelu(
    x0: Any,
    x1: Any,
    base_axis: int = 1,
    n_outputs: int = 1,
    outputs: Any = None,
    *,
    name: str | None = None,
) -> Any:
    """``max(0, x) + w min(0, x)`` with a scalar or per-channel (``base_axis``) slope ``w``.

    Args:
        x0: Input variable.
        x1: Slope: one value (any shape of size 1, shared) or shape
            ``(x0.shape[base_axis],)`` (per channel), as NNabla's setup requires.
        base_axis (int): The channel axis. Default ``1``.
        name (str, optional): Node name in graph mode.

    Returns:
        An array of the shape of ``x0``. See :func:`nnfunc.prelu`.

    Raises:
        ShapeError: ``x1`` is neither of size 1 nor a vector of size ``x0.shape[base_axis]``,
            or ``base_axis`` is out of range.

    Examples:
        >>> F.prelu(np.array([[-1.0, -1.0]]), np.array([0.1, 0.5]))
        array([[-0.1, -0.5]])
    """
    with shapes.node_errors(name, x0, x1):
        xs, ws = tuple(x0.shape), tuple(x1.shape)
        ax = check.axis("prelu", "base_axis", base_axis, max(len(xs), 1))
        if None not in ws and math.prod(ws) == 1:
            x1 = F.reshape(x1, ())  # single slope mode
        elif len(ws) == 1 and (None in (ws[0], xs[ax]) or ws[0] == xs[ax]):
            x1 = F.reshape(x1, (-1,) + (1,) * (len(xs) - ax - 1))  # one slope per channel
        else:
            raise ShapeError(
                check.message(
                    "prelu",
                    "x1",
                    "have size 1 or the shape (x0.shape[base_axis],)",
                    **{"x1.shape": ws, "x0.shape": xs},
                    base_axis=base_axis,
                )
            )
        return F.prelu(x0, x1, name=name)


@outputs_in_place
@tensor_args("x")
def leaky_relu(
    x: Any,
    alpha: float = 0.1,
    inplace: bool = False,
    n_outputs: int = 1,
    outputs: Any = None,
    *,
    name: str | None = None,
) -> Any:
    """``alpha * min(0, x) + max(0, x)``. See :func:`nnfunc.leaky_relu`.

    Args:
        x: Input variable.
        alpha (float): Negative slope. Default ``0.1``.
        inplace (bool): Ignored.
        name (str, optional): Node name in graph mode.

    Returns:
        An array of the shape of ``x``.

    Examples:
        >>> F.leaky_relu(np.array([-1.0, 2.0]))
        array([-0.1,  2. ])
    """
    alpha = check.real_scalar("leaky_relu", "alpha", alpha)
    return F.leaky_relu(x, alpha, name=name)


clip_by_value = same_as(
    F.clip_by_value,
    """Clip ``x`` into ``[min, max]`` (floats or Variables of the shape of ``x``).

    Variables of another shape are accepted where they broadcast with ``x`` (NNabla requires the
    shape of ``x``). The gradient passes at the bounds (see :func:`nnfunc.clip_by_value`).

    Returns:
        An array of the shape of ``x``. See :func:`nnfunc.clip_by_value`.

    Examples:
        >>> F.clip_by_value(np.array([-2.0, 0.5, 3.0]), -1.0, 1.0)
        array([-1. ,  0.5,  1. ])
    """,
    tensors=("x",),
)


clip_grad_by_value = canonical_entry(
    F.clip_grad_by_value,
    """Identity forward; the gradient is clipped into ``[min, max]`` (no gradient to them).

    Returns:
        An array equal to ``x``. See :func:`nnfunc.clip_grad_by_value`.

    Examples:
        >>> F.clip_grad_by_value(np.array([1.0]), np.array([-1.0]), np.array([1.0]))
        array([1.])
    """,
)


clip_by_norm = same_as(
    F.clip_by_norm,
    """Rescale ``x`` to L2 norm ``clip_norm`` where its norm (over ``axis``) is larger.

    Returns:
        An array of the shape of ``x``. See :func:`nnfunc.clip_by_norm`.

    Examples:
        >>> F.clip_by_norm(np.array([3.0, 4.0]), 1.0)
        array([0.6, 0.8])
    """,
    tensors=("x",),
)


@outputs_in_place
@tensor_args("x")
def clip_grad_by_norm(
    x: Any,
    clip_norm: float | None = None,
    axes: Any = None,
    n_outputs: int = 1,
    outputs: Any = None,
    *,
    name: str | None = None,
) -> Any:
    """Identity forward; the gradient is rescaled to L2 norm ``clip_norm`` (over ``axes``).

    Args:
        x: Input variable.
        clip_norm (float, optional): Target norm; ``None`` means 1.0 (NNabla's default).
        axes (int or tuple, optional): Axes of the norm; ``None`` means all.
        name (str, optional): Node name in graph mode.

    Returns:
        An array equal to ``x``. See :func:`nnfunc.clip_grad_by_norm`.

    Examples:
        >>> F.clip_grad_by_norm(np.array([1.0]))
        array([1.])
    """
    return F.clip_grad_by_norm(x, 1.0 if clip_norm is None else clip_norm, axes, name=name)


affine = canonical_entry(
    F.linear,
    """Fully connected layer on ``x`` flattened from ``base_axis``: ``x_flat . weight + bias``.

    The page writes ``y = A x + b``; with the documented shapes (``weight`` is
    ``(D_B * ... * D_N, L...)``, input features first) that is ``x_flat . A + b``.

    Args:
        base_axis (int): First axis of the features. Default ``1``.

    Returns:
        An array ``(M_0, ..., M_{B-1}, L_0, ..., L_I)``. See :func:`nnfunc.linear`.

    Examples:
        >>> F.affine(np.ones((2, 2, 3)), np.ones((6, 4))).shape
        (2, 4)
    """,
    op="affine",
    defaults={"base_axis": 1},
)


@outputs_in_place
@tensor_args("x")
def one_hot(
    x: Any, shape: Any, n_outputs: int = 1, outputs: Any = None, *, name: str | None = None
) -> Any:
    """One-hot vectors: ``x``'s last axis (``len(shape)`` indices) is replaced by ``shape``.

    Args:
        x: Integer labels ``(..., len(shape))``.
        shape (tuple of int): Number of classes per one-hot axis.
        name (str, optional): Node name in graph mode.

    Returns:
        A float32 array ``x.shape[:-1] + shape``. See :func:`nnfunc.one_hot` (the tuple form).

    Raises:
        ArgumentError: an index outside ``[0, shape[i])`` (checked when the values are known:
            eagerly, or when a graph runs), or ``shape`` not a non-empty tuple of positive
            ints. NNabla itself
            does not check indices ("this function doesn't check if the input is valid"; its
            kernel then writes out of place): an error is the safe reading.
        ShapeError: ``x``'s last axis is not of length ``len(shape)``.

    Examples:
        >>> F.one_hot(np.array([[2], [0]]), (3,))
        array([[0., 0., 1.],
               [1., 0., 0.]], dtype=float32)
    """
    classes = tuple(shape) if isinstance(shape, (tuple, list)) else (shape,)
    if not classes or not all(
        isinstance(n, (int, np.integer)) and not isinstance(n, bool) and n > 0 for n in classes
    ):
        raise ArgumentError(
            check.message("one_hot", "shape", "be a non-empty tuple of positive ints", shape=shape)
        )
    return F.one_hot(x, classes, name=name)


top_k_grad = canonical_entry(
    F.top_k_grad,
    """Identity forward; backward keeps the ``k`` largest gradients per sample.

    Returns:
        An array equal to ``x``. See :func:`nnfunc.top_k_grad`.

    Examples:
        >>> F.top_k_grad(np.array([[1.0, 2.0]]), 1)
        array([[1., 2.]])
    """,
    tensors=("x",),
)


@outputs_in_place
@tensor_args("x")
def dropout(
    x: Any,
    p: float = 0.5,
    seed: int = -1,
    n_outputs: int = 1,
    outputs: Any = None,
    *,
    name: str | None = None,
) -> Any:
    """Dropout with DROP probability ``p``: ``x / (1 - p)`` where ``u > p``, else 0.

    The page shows ``seed=1`` (its minus sign lost): the default is ``-1``. Here an element is
    kept where ``u >= p`` (the page: ``u > p``; the two differ with probability 0).

    Args:
        x: Input variable.
        p (float): Drop probability in ``[0, 1)``. Default ``0.5``.
        seed (int): ``-1`` (default) draws a fresh mask at every call; another value gives
            the same mask at every call.
        name (str, optional): Node name in graph mode.

    Returns:
        An array of the shape of ``x``. See :func:`nnfunc.dropout`.

    Raises:
        ArgumentError: ``p`` is not in ``[0, 1)``.

    Examples:
        >>> y = F.dropout(np.ones(6), 0.5, seed=3)
        >>> sorted(set(y.tolist()))
        [0.0, 2.0]
    """
    rate = check.real_scalar("dropout", "p", p, min_value=0.0, max_value=1.0, open_max=True)
    seed = None if isinstance(seed, (int, np.integer)) and seed == -1 else seed
    return F.dropout(x, rate, seed=seed, name=name)
