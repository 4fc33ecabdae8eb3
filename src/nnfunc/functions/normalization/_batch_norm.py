"""batch_normalization, fused_batch_normalization, sync_batch_normalization."""

from __future__ import annotations

from typing import Any

import numpy as np

import nnfunc.functions as F
from nnfunc.core import check, shapes
from nnfunc.distributed import check_communicator
from nnfunc.errors import ArgumentError, ShapeError
from nnfunc.functions.normalization._apply_statistics import ApplyStatistics
from nnfunc.functions.normalization._normalize import BatchNormalize

__all__ = ["batch_normalization", "fused_batch_normalization", "sync_batch_normalization"]


def _check_same_shape(op: str, arg: str, t: Any, x: Any) -> None:
    """``t`` has the shape of ``x`` (unknown graph dimensions match anything)."""
    ts = tuple(t.shape) if hasattr(t, "shape") else np.shape(t)
    xs = tuple(x.shape) if hasattr(x, "shape") else np.shape(x)
    same = len(ts) == len(xs) and all(
        a is None or b is None or a == b for a, b in zip(ts, xs, strict=True)
    )
    if not same:
        raise ShapeError(
            check.message(op, arg, "have the shape of `x`", **{f"{arg}.shape": ts, "x.shape": xs})
        )


def _bn_node(
    op: str,
    x: Any,
    mean: Any,
    variance: Any,
    offset: Any,
    scale: Any,
    *,
    axis: Any,
    eps: Any,
    training: Any,
    decay: Any,
    output_stat: Any,
    comm: Any,
    group: str,
    name: str | None,
) -> tuple[Any, tuple, bool]:
    """The Function of a batch normalization call, its inputs, and whether it returns the
    statistics too (options checked; errors named after node ``name`` in graph mode)."""
    with shapes.node_errors(name, x):
        training = check.boolean(op, "training", training)
        output_stat = check.boolean(op, "output_stat", output_stat)
        for arg, r in (("mean", mean), ("variance", variance)):
            # Updated in place while training: a list would be converted and the update lost.
            if training and r is not None and not hasattr(r, "shape"):
                raise ArgumentError(
                    check.message(
                        op, arg, "be an array or a Variable (updated in place)", **{arg: r}
                    )
                )
        if not training:
            if mean is None or variance is None:
                missing = "mean" if mean is None else "variance"
                raise ArgumentError(
                    check.message(
                        op,
                        missing,
                        "be given when training=False (the running statistics are used)",
                        **{missing: None, "training": False},
                    )
                )
            if output_stat:
                raise ArgumentError(
                    check.message(
                        op,
                        "output_stat",
                        "be False when training=False (no batch statistics are computed)",
                        output_stat=True,
                        training=False,
                    )
                )
    if not training:
        return ApplyStatistics(op, axis, eps), (x, mean, variance, offset, scale), False
    f = BatchNormalize(
        op, eps=eps, axis=axis, decay=decay, output_stat=output_stat, comm=comm, group=group
    )
    return f, (x, scale, offset, mean, variance), output_stat


def _bn(op: str, x: Any, *args: Any, name: str | None, **options: Any) -> Any:
    f, inputs, output_stat = _bn_node(op, x, *args, name=name, **options)
    outs = f.apply(*inputs, name=name)
    return outs if output_stat else outs[0]


def batch_normalization(
    x: Any,
    mean: Any = None,
    variance: Any = None,
    offset: Any = None,
    scale: Any = None,
    *,
    axis: Any = 1,
    eps: float = 1e-5,
    training: bool = False,
    decay: float = 0.9,
    output_stat: bool = False,
    name: str | None = None,
) -> Any:
    """Batch normalization, with given statistics or with the statistics of the batch.

    .. math::
        y = \\frac{x - \\mu}{\\sqrt{\\sigma^2 + \\epsilon}} \\gamma + \\beta

    ``training=False`` (default): ``mu = mean`` and ``sigma^2 = variance`` are given (the
    inference form of Keras, TF and SameDiff). ``training=True``: ``mu`` and ``sigma^2`` are the
    mean and biased (1/M) variance of ``x`` over every axis except ``axis`` (NNabla's
    ``batch_stat=True``); ``mean`` and ``variance``, when given, are running statistics updated
    IN PLACE (see Notes).

    Args:
        x (array, Variable or SymbolicVariable): Input, e.g. ``(N, C, H, W)``; integers are
            promoted to float32.
        mean, variance: Per-channel statistics: shape ``tuple(x.shape[a] for a in axis)``
            (``(C,)``), or x's rank (with 1 on the reduced axes; with ``training=False`` any
            shape of x's rank that broadcasts to ``x``). Required when ``training=False``; with
            ``training=True`` optional running statistics (floating arrays or Variables).
        offset (optional): ``beta``, same shapes as ``mean``; ``None`` omits the term.
        scale (optional): ``gamma``, same shapes; ``None`` omits the term.
        axis (int or tuple of int): The kept channel axis (or axes). Default 1 (channels
            first); Keras and TF use -1.
        eps (float): Added to the variance inside the square root, ``>= 0``. Default 1e-5.
        training (bool): Use the batch statistics and update running ones. Default False.
        decay (float): Running-statistics decay in [0, 1] (NNabla ``decay_rate``, Keras
            ``momentum``; PyTorch's momentum is ``1 - decay``). Default 0.9.
        output_stat (bool): Also return the batch mean and variance (``training=True`` only);
            they are differentiable.
        name (str, optional): Node name in graph mode.

    Returns:
        ``y`` (shape of ``x``, x's floating dtype), or ``(y, batch_mean, batch_variance)`` with
        statistics of x's rank and 1 on the reduced axes.

    Raises:
        ShapeError: a statistic or parameter does not match ``x`` along ``axis``; ``axis`` out
            of range.
        ArgumentError: ``mean``/``variance`` missing with ``training=False``; ``eps < 0``;
            ``decay`` outside [0, 1]; repeated axes; ``output_stat`` without ``training``.

    Notes:
        Running statistics (``training=True``): ``mean <- decay * mean + (1 - decay) *
        batch_mean`` and ``variance <- decay * variance + (1 - decay) * batch_var * M / (M - 1)``
        (the UNBIASED batch variance, as NNabla's kernel; ``M`` = elements per channel,
        ``M - 1`` replaced by 1 when ``M == 1``, where NNabla divides by zero), written in
        place into the given arrays (a Variable's ``data``). In a :class:`~nnfunc.Graph`,
        give them as ``parameter`` (or fed) nodes: the update happens each time the graph
        runs the node, on the value the graph holds. Without running statistics nothing is
        updated.

        Numerics: float16 inputs are normalized with float32 statistics; the variance is a
        corrected two-pass estimate (never negative), so inputs of magnitude 1e4 with a spread
        of 1e-2 normalize correctly in float32.

        Gradients: with respect to ``x``, ``offset`` and ``scale`` (and ``mean``/``variance``
        in the given-statistics form); with ``training=True`` the gradient flows through the
        batch statistics (the usual BN backward, fused in NumPy for first-order eager
        gradients, written with nnfunc functions otherwise), so double backward works.

        Dialects: Keras ``batch_normalization(x, mean, variance, axis, offset, scale,
        epsilon=1e-3)``; TF ``batch_normalization(x, mean, variance, offset, scale,
        variance_epsilon)`` (broadcasting by rank); SameDiff ``batchNorm(input, mean,
        variance, gamma, beta, epsilon, axis)``; NNabla ``batch_normalization(x, beta, gamma,
        mean, variance, axes=[1], decay_rate=0.9, eps=1e-5, batch_stat=True, ...)``.
        ``decay`` must be in [0, 1] and ``axis`` an axis of ``x``; PyTorch accepts any ``momentum``
        (``1 - decay``) and a rank-1 input.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> x = np.array([[0.1, 0.2, 0.3], [0.4, 0.5, 0.6], [0.7, 0.8, 0.9]], np.float32)
        >>> m = np.array([0.4, 0.5, 0.6], np.float32)
        >>> v = np.array([0.67, 0.67, 0.67], np.float32)
        >>> nf.batch_normalization(x, m, v, axis=-1, eps=1e-3).round(5)
        array([[-0.36624, -0.36624, -0.36624],
               [ 0.     ,  0.     ,  0.     ],
               [ 0.36624,  0.36624,  0.36624]], dtype=float32)
        >>> rm, rv = np.zeros(2), np.ones(2)
        >>> y = nf.batch_normalization(np.array([[1.0, 2.0], [3.0, 6.0]]), rm, rv,
        ...                            axis=1, training=True)
        >>> y.round(4)
        array([[-1., -1.],
               [ 1.,  1.]])
        >>> rm, rv
        (array([0.2, 0.4]), array([1.1, 1.7]))
    """
    return _bn(
        "batch_normalization",
        x,
        mean,
        variance,
        offset,
        scale,
        axis=axis,
        eps=eps,
        training=training,
        decay=decay,
        output_stat=output_stat,
        comm=None,
        group="world",
        name=name,
    )


def fused_batch_normalization(
    x: Any,
    mean: Any = None,
    variance: Any = None,
    offset: Any = None,
    scale: Any = None,
    z: Any = None,
    *,
    axis: Any = 1,
    eps: float = 1e-5,
    training: bool = False,
    decay: float = 0.9,
    nonlinearity: str = "relu",
    output_stat: bool = False,
    name: str | None = None,
) -> Any:
    """Batch normalization, plus an optional residual ``z``, then an activation.

    .. math::
        y = \\mathrm{relu}(\\mathrm{BN}(x) + z)

    Args:
        x, mean, variance, offset, scale: As :func:`batch_normalization`.
        z (optional): Residual added before the activation, shape of ``x``.
        axis, eps, training, decay, output_stat: As :func:`batch_normalization`.
        nonlinearity (str): Only ``"relu"`` (NNabla's only choice).
        name (str, optional): Node name of the activation in graph mode.

    Returns:
        ``y``, or ``(y, batch_mean, batch_variance)`` with ``output_stat=True``.

    Raises:
        As :func:`batch_normalization`; ArgumentError for another ``nonlinearity``;
        ShapeError: ``z`` does not have the shape of ``x``.

    Notes:
        Running statistics are updated as in :func:`batch_normalization`. Gradient of relu at
        0 is 0. NNabla ``fused_batch_normalization(x, beta, gamma, mean, variance, z, ...)``.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> x = np.array([[1.0, 2.0], [3.0, 6.0]])
        >>> nf.fused_batch_normalization(x, z=np.array([[0.5, 2.0], [0.5, 0.0]]),
        ...                              training=True).round(4)
        array([[0. , 1. ],
               [1.5, 1. ]])
    """
    op = "fused_batch_normalization"
    with shapes.node_errors(name, x):
        check.choice(op, "nonlinearity", nonlinearity, ("relu",))
        if z is not None:
            _check_same_shape(op, "z", z, x)
        f, inputs, output_stat = _bn_node(
            op,
            x,
            mean,
            variance,
            offset,
            scale,
            axis=axis,
            eps=eps,
            training=training,
            decay=decay,
            output_stat=output_stat,
            comm=None,
            group="world",
            name=None,
        )
        if any(getattr(a, "_is_symbolic", False) for a in inputs):
            # The user's name goes to the last node (relu): check the inner node's inputs now,
            # so that a graph-mode error names the user's node rather than the inner one.
            f.setup(*(a if a is None or hasattr(a, "dtype") else np.asarray(a) for a in inputs))
    outs = f.apply(*inputs)
    out = outs if output_stat else outs[0]
    y = out[0] if output_stat else out
    if z is not None:
        y = y + z
    y = F.relu(y, name=name)
    return (y, out[1], out[2]) if output_stat else y


def sync_batch_normalization(
    x: Any,
    mean: Any = None,
    variance: Any = None,
    offset: Any = None,
    scale: Any = None,
    *,
    comm: Any,
    group: str = "world",
    axis: Any = 1,
    eps: float = 1e-5,
    training: bool = False,
    decay: float = 0.9,
    output_stat: bool = False,
    name: str | None = None,
) -> Any:
    """Batch normalization whose batch statistics are combined over every replica of ``comm``.

    .. math::
        \\mu = \\frac{1}{M} \\sum_{r} \\sum_i x^{(r)}_i, \\quad
        \\sigma^2 = \\frac{1}{M} \\sum_{r} \\sum_i (x^{(r)}_i - \\mu)^2, \\quad
        y = \\frac{x - \\mu}{\\sqrt{\\sigma^2 + \\epsilon}} \\gamma + \\beta

    where ``M`` is the total count over replicas. Each replica passes its own (possibly
    differently sized) batch; outputs, gradients and running statistics equal those of
    :func:`batch_normalization` on the concatenated batch.

    Args:
        x, mean, variance, offset, scale: As :func:`batch_normalization` (this replica's batch;
            parameters identical on every replica).
        comm (Communicator): See :mod:`nnfunc.distributed` (``size``, ``rank``,
            ``all_reduce``).
        group (str): Communicator group. Default ``"world"``.
        axis, eps, training, decay, output_stat: As :func:`batch_normalization`.
        name (str, optional): Node name in graph mode.

    Returns:
        As :func:`batch_normalization` (statistics are the global ones).

    Raises:
        As :func:`batch_normalization`; ArgumentError: ``comm`` has size < 1, a rank outside
            ``[0, size)``, or ``group`` is unknown.

    Notes:
        Statistics are combined as (count, sum) then (sum of squared deviations from the
        global mean), each with one sum all-reduce (two-pass, exact for unequal batch sizes);
        the backward pass all-reduces the per-channel sums of ``gy`` and ``gy * x_hat``. Every
        replica must call the function (and its backward) in the same order. With
        ``training=False`` there is no communication (running statistics are used). The
        catalog records that NNabla's page misplaces a parenthesis in the variance formula;
        the usual ``(1/M) sum (x_i - mu)^2`` is implemented. NNabla
        ``sync_batch_normalization(x, beta, gamma, mean, variance, comm, group, axes, ...)``.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> from nnfunc.distributed import SingleProcessCommunicator
        >>> x = np.array([[1.0, 2.0], [3.0, 6.0]])
        >>> nf.sync_batch_normalization(x, comm=SingleProcessCommunicator(), training=True,
        ...                             eps=0.0)
        array([[-1., -1.],
               [ 1.,  1.]])
    """
    op = "sync_batch_normalization"
    with shapes.node_errors(name, x):
        check_communicator(op, comm, group)
    return _bn(
        op,
        x,
        mean,
        variance,
        offset,
        scale,
        axis=axis,
        eps=eps,
        training=training,
        decay=decay,
        output_stat=output_stat,
        comm=comm if check.boolean("sync_batch_normalization", "training", training) else None,
        group=group,
        name=name,
    )
