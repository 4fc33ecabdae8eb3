"""tf.nn activations, softmax, bias_add and dropout (TensorFlow 1.x, ``tf.compat.v1``)."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

import nnfunc.functions as F
from nnfunc.compat._common import tensor_args
from nnfunc.core import check, shapes
from nnfunc.errors import ArgumentError, ShapeError

__all__ = [
    "bias_add",
    "crelu",
    "dropout",
    "elu",
    "log_softmax",
    "relu",
    "relu6",
    "softmax",
    "softplus",
    "softsign",
]


@tensor_args("features")
def relu(features: Any, name: str | None = None) -> Any:
    """Rectified linear ``max(features, 0)``. See :func:`nnfunc.relu`.

    Args:
        features: A tensor (float or integer dtypes).
        name (str, optional): Node name in graph mode.

    Returns:
        A tensor of the same shape and dtype.

    Examples:
        >>> tf.nn.relu(np.array([-1.0, 3.0], np.float32))
        array([0., 3.], dtype=float32)
    """
    return F.relu(features, name=name)


@tensor_args("features")
def relu6(features: Any, name: str | None = None) -> Any:
    """``min(max(features, 0), 6)``. See :func:`nnfunc.relu6`.

    Args:
        features: A tensor (float or integer dtypes).
        name (str, optional): Node name in graph mode.

    Returns:
        A tensor of the same shape and dtype.

    Examples:
        >>> tf.nn.relu6(np.array([-1.0, 3.0, 7.0], np.float32))
        array([0., 3., 6.], dtype=float32)
    """
    return F.relu6(features, name=name)


@tensor_args("features")
def crelu(features: Any, name: str | None = None) -> Any:
    """Concatenated ReLU on the LAST axis (doubles the depth). See :func:`nnfunc.crelu`.

    Args:
        features: A tensor of rank >= 1.
        name (str, optional): Node name in graph mode.

    Returns:
        A tensor whose last dimension is doubled (the page's "same type" is the dtype).

    Examples:
        >>> tf.nn.crelu(np.array([[-1.0, 2.0]], np.float32))
        array([[0., 2., 1., 0.]], dtype=float32)
    """
    return F.crelu(features, axis=-1, name=name)


@tensor_args("features")
def elu(features: Any, name: str | None = None) -> Any:
    """``exp(features) - 1`` if ``< 0``, ``features`` otherwise (alpha 1). See :func:`nnfunc.elu`.

    Args:
        features: A tensor; integers give float32.
        name (str, optional): Node name in graph mode.

    Returns:
        A tensor of the same shape.

    Examples:
        >>> tf.nn.elu(np.array([-1.0, 2.0]))
        array([-0.63212056,  2.        ])
    """
    return F.elu(features, 1.0, name=name)


@tensor_args("features")
def softplus(features: Any, name: str | None = None) -> Any:
    """``log(exp(features) + 1)``, computed stably. See :func:`nnfunc.softplus`.

    Args:
        features: A tensor; integers give float32.
        name (str, optional): Node name in graph mode.

    Returns:
        A tensor of the same shape.

    Examples:
        >>> tf.nn.softplus(np.array([0.0]))
        array([0.69314718])
    """
    return F.softplus(features, name=name)


@tensor_args("features")
def softsign(features: Any, name: str | None = None) -> Any:
    """``features / (abs(features) + 1)``. See :func:`nnfunc.softsign`.

    Args:
        features: A tensor; integers give float32.
        name (str, optional): Node name in graph mode.

    Returns:
        A tensor of the same shape.

    Examples:
        >>> tf.nn.softsign(np.array([1.0, -3.0]))
        array([ 0.5 , -0.75])
    """
    return F.softsign(features, name=name)


@tensor_args("logits")
def softmax(logits: Any, dim: int = -1, name: str | None = None) -> Any:
    """Softmax along ``dim`` (the page's header says "log softmax" by mistake).

    Args:
        logits: A float tensor of rank >= 1 (integers give float32).
        dim (int): The axis. Default ``-1``.
        name (str, optional): Node name in graph mode.

    Returns:
        A tensor of the shape of ``logits``. See :func:`nnfunc.softmax`.

    Raises:
        ShapeError: ``logits`` is 0-d (TF's "if logits is empty": TF needs at least one
            dimension), or ``dim`` is out of range (TF's InvalidArgumentError).
        ArgumentError: ``logits`` has no class along ``dim`` (size 0; TF's
            InvalidArgumentError). An empty batch (a zero-size dimension elsewhere) gives an
            empty result, as in TF.

    Examples:
        >>> tf.nn.softmax(np.array([0.0, np.log(3.0)]))
        array([0.25, 0.75])
    """
    with shapes.node_errors(name, logits):
        _check_classes("softmax", logits, dim)
        (logits,) = shapes.recheck("softmax", "tf.classes", (logits,), op="softmax", dim=dim)
        return F.softmax(logits, dim, name=name)


@tensor_args("logits")
def log_softmax(logits: Any, dim: int = -1, name: str | None = None) -> Any:
    """``logits - log(reduce_sum(exp(logits), dim))`` (the page's formula omits the log).

    Args:
        logits: A float tensor of rank >= 1 (integers give float32).
        dim (int): The axis. Default ``-1``.
        name (str, optional): Node name in graph mode.

    Returns:
        A tensor of the shape of ``logits``. See :func:`nnfunc.log_softmax`.

    Raises:
        ShapeError: ``logits`` is 0-d, or ``dim`` is out of range (as :func:`softmax`).
        ArgumentError: ``logits`` has no class along ``dim`` (as :func:`softmax`).

    Examples:
        >>> tf.nn.log_softmax(np.array([0.0, 0.0]))
        array([-0.69314718, -0.69314718])
    """
    with shapes.node_errors(name, logits):
        _check_classes("log_softmax", logits, dim)
        (logits,) = shapes.recheck(
            "log_softmax", "tf.classes", (logits,), op="log_softmax", dim=dim
        )
        return F.log_softmax(logits, dim, name=name)


@shapes.register_check("tf.classes")
def _recheck_classes(logits: Any, *, op: str, dim: Any) -> None:
    _check_classes(op, logits, dim)  # an unknown class axis, again when the graph runs


def _check_classes(op: str, logits: Any, dim: Any) -> None:
    """TF's checks: rank >= 1, ``dim`` in range, a non-empty class axis (InvalidArgumentError)."""
    if not hasattr(logits, "shape"):
        logits = np.asarray(logits)
    check.ndim_at_least(op, "logits", logits, 1)
    ax = check.axis(op, "dim", dim, len(logits.shape))
    if logits.shape[ax] == 0:
        raise ArgumentError(
            check.message(
                op,
                "logits",
                f"have at least one class along `dim` {dim}",
                **{"logits.shape": tuple(logits.shape)},
            )
        )


@tensor_args("value", "bias")
def bias_add(value: Any, bias: Any, data_format: str | None = None, name: str | None = None) -> Any:
    """Add a 1-D ``bias`` on the channel axis of ``value`` (``"NHWC"``: last, ``"NCHW"``: 1).

    Args:
        value: A tensor of any rank >= 1 (the page: "may have any number of dimensions").
        bias: A 1-D tensor of the dtype of ``value``, one entry per channel.
        data_format (str, optional): ``"NHWC"`` (default when None) or ``"NCHW"`` (channels
            on axis 1; for rank <= 2 the channel axis is the last either way).
        name (str, optional): Node name in graph mode.

    Returns:
        A tensor of the shape and dtype of ``value``. See :func:`nnfunc.bias_add`.

    Raises:
        ShapeError: ``bias`` is not 1-D or does not match the channel dimension.
        DTypeError: ``bias`` and ``value`` differ in dtype (quantized types do not exist here).
        ArgumentError: ``data_format`` is neither ``"NHWC"`` nor ``"NCHW"``.

    Examples:
        >>> tf.nn.bias_add(np.zeros((1, 2)), np.array([1.0, 2.0]))
        array([[1., 2.]])
    """
    with shapes.node_errors(name, value, bias):
        fmt = "NHWC" if data_format is None else data_format
        check.choice("bias_add", "data_format", fmt, ("NHWC", "NCHW"))
        vs = tuple(value.shape)
        check.ndim_at_least("bias_add", "value", value, 1)
        check.ndim("bias_add", "bias", bias, 1)
        check.same_dtype("bias_add", ("value", "bias"), (value, bias))
        ax = 1 if fmt == "NCHW" and len(vs) > 2 else len(vs) - 1
        c, n = vs[ax], bias.shape[0]
        if None not in (c, n) and c != n:
            where = "last dimension" if ax == len(vs) - 1 else f"channel dimension {ax}"
            raise ShapeError(
                check.message(
                    "bias_add",
                    "bias",
                    f"have the size of the {where} of `value`",
                    **{"bias.shape": tuple(bias.shape), "value.shape": vs},
                    data_format=fmt,
                )
            )
        return F.bias_add(value, bias, channel_last=fmt == "NHWC", name=name)


@tensor_args("x")
def dropout(
    x: Any,
    keep_prob: Any,
    noise_shape: Any = None,
    seed: int | None = None,
    name: str | None = None,
) -> Any:
    """Keep each element with probability ``keep_prob`` and scale it by ``1 / keep_prob``.

    Args:
        x: A tensor.
        keep_prob: The probability of KEEPING an element, in ``(0, 1]``: a number (or 0-d
            array), checked at once, or a scalar tensor (a Variable or a graph node such as a
            placeholder fed 0.5 in training and 1.0 at test time), read when the function runs.
        noise_shape (sequence of int, optional): Shape of the keep/drop decisions; it must
            broadcast to ``shape(x)``: only dimensions with ``noise_shape[i] == shape(x)[i]``
            decide independently (e.g. ``[k, 1, 1, n]``).
        seed (int, optional): The same seed gives the same mask at every call and every run
            of a graph (DESIGN's rule; a seeded TF 1 op advances its state between the runs of
            one session); ``None`` draws fresh ones.
        name (str, optional): Node name in graph mode.

    Returns:
        A tensor of the shape of ``x``. See :func:`nnfunc.dropout` (``rate = 1 - keep_prob``).

    Raises:
        ArgumentError: ``keep_prob`` is not in ``(0, 1]`` (a ``ValueError``, as in TF). A
            tensor ``keep_prob`` is checked when its value is known (TF 1 does not check it at
            all); the message then names ``rate = 1 - keep_prob``.
        ShapeError: a tensor ``keep_prob`` is not 0-d, or ``noise_shape`` does not broadcast
            to ``shape(x)``.

    Examples:
        >>> y = tf.nn.dropout(np.ones(6, np.float32), 0.5, seed=1)
        >>> sorted(set(y.tolist()))
        [0.0, 2.0]
    """
    number = isinstance(keep_prob, (numbers.Number, np.generic)) or (
        isinstance(keep_prob, np.ndarray) and keep_prob.ndim == 0
    )
    if number or not hasattr(keep_prob, "shape"):
        keep = check.real_scalar(
            "dropout", "keep_prob", keep_prob, min_value=0.0, max_value=1.0, open_min=True
        )
        return F.dropout(x, 1.0 - keep, noise_shape=noise_shape, seed=seed, name=name)
    with shapes.node_errors(name, x, keep_prob):
        if tuple(keep_prob.shape) != ():
            raise ShapeError(
                check.message(
                    "dropout",
                    "keep_prob",
                    "be a scalar tensor (0-d)",
                    **{"keep_prob.shape": tuple(keep_prob.shape)},
                )
            )
    # A tensor keep_prob (TF 1's placeholder idiom) is read when the function runs.
    return F.dropout(x, 1.0 - keep_prob, noise_shape=noise_shape, seed=seed, name=name)
