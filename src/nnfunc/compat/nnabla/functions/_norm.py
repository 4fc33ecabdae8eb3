"""nnabla.functions entries of the normalization family (NNabla 1.39).

Running statistics (``mean``, ``variance``, and ``mean_subtraction``'s ``mean``/``t``) are
updated in place on the given arrays or Variables, as NNabla does during forward execution.
Parameters have NNabla's "adaptive" shape (x's rank, 1 on the reduced axes, e.g.
``(1, C, 1, 1)``); compact ``(C,)`` vectors are accepted too.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import nnfunc.functions as F
from nnfunc.compat._common import same_as, tensor_args
from nnfunc.compat._docs import shares_args
from nnfunc.core import check, shapes
from nnfunc.errors import ArgumentError

__all__ = [
    "batch_normalization",
    "fused_batch_normalization",
    "group_normalization",
    "instance_normalization",
    "layer_normalization",
    "mean_subtraction",
    "sync_batch_normalization",
    "weight_standardization",
]


class _NNablaCommunicator:
    """NNabla's communicator interface seen through nnfunc's (``groups``, ``all_reduce``).

    NNabla's ``Communicator`` lists its groups with ``list_groups()`` (a dict of name -> ranks)
    and ``find_group(name)``, and its ``all_reduce(data, division=False, inplace=False,
    group='world')`` reduces ``data`` in place and returns None. This adapter gives the
    statistics a copy to reduce and returns it (or what the communicator returned, if any).
    """

    def __init__(self, comm: Any) -> None:
        self.comm = comm
        self.size = comm.size
        self.rank = comm.rank
        self.groups = tuple(comm.list_groups())

    def all_reduce(self, array: Any, group: str = "world") -> Any:
        buf = np.array(array)
        out = self.comm.all_reduce(buf, division=False, inplace=True, group=group)
        return buf if out is None else np.asarray(out)


def _communicator(comm: Any) -> Any:
    """``comm`` itself (nnfunc's interface) or an adapter of NNabla's."""
    if callable(getattr(comm, "list_groups", None)) and not isinstance(
        getattr(comm, "groups", None), (tuple, list, set, frozenset)
    ):
        return _NNablaCommunicator(comm)
    return comm


def _axes(axes: Any) -> Any:
    return tuple(axes) if isinstance(axes, (list, tuple)) else axes


def _ndim(x: Any) -> int:
    return len(x.shape) if hasattr(x, "shape") else np.ndim(x)


def _bn_args(
    op: str,
    x: Any,
    mean: Any,
    variance: Any,
    axes: Any,
    decay_rate: Any,
    batch_stat: Any,
    output_stat: Any,
) -> None:
    """Check the arguments NNabla names differently from the canonical function, by their
    NNabla names (``axes``, ``decay_rate``, ``batch_stat``)."""
    if axes is None or (isinstance(axes, (list, tuple)) and len(axes) == 0):
        raise ArgumentError(check.message(op, "axes", "name at least one axis", axes=axes))
    check.axes(op, "axes", axes, _ndim(x))
    check.real_scalar(op, "decay_rate", decay_rate, min_value=0.0, max_value=1.0)
    if check.boolean(op, "batch_stat", batch_stat):
        return
    # NNabla: "If False, mean and variance must be ~nnabla.Variable. (None is prohibited.)"
    if mean is None or variance is None:
        missing = "mean" if mean is None else "variance"
        raise ArgumentError(
            check.message(
                op,
                missing,
                "not be None when batch_stat=False (the running statistics are used)",
                **{missing: None, "batch_stat": False},
            )
        )
    if check.boolean(op, "output_stat", output_stat):
        raise ArgumentError(
            check.message(
                op,
                "output_stat",
                "be False when batch_stat=False (no batch statistics are computed)",
                output_stat=True,
                batch_stat=False,
            )
        )


def _batch_axes(op: str, x: Any, batch_axis: Any) -> tuple[int, ...]:
    """``batch_axis`` (int or list) checked by its NNabla name, as sorted non-negative axes."""
    ndim = _ndim(x)
    axes = check.axes(op, "batch_axis", batch_axis, ndim)
    if len(axes) == ndim:
        raise ArgumentError(
            check.message(
                op,
                "batch_axis",
                f"leave at least one of the {ndim} axes of `x` to normalize",
                batch_axis=batch_axis,
            )
        )
    return axes


@tensor_args("x")
def batch_normalization(
    x: Any,
    beta: Any,
    gamma: Any,
    mean: Any,
    variance: Any,
    axes: Any = (1,),
    decay_rate: float = 0.9,
    eps: float = 1e-5,
    batch_stat: bool = True,
    output_stat: bool = False,
    n_outputs: Any = None,
    *,
    name: str | None = None,
) -> Any:
    """Batch normalization (training form by default).

    ``batch_stat=True``: normalize with the batch mean and biased variance over every axis but
    ``axes`` (the kept channel axes; the page's wording "calculated along these axes" is
    misleading), and update the running ``mean``/``variance`` IN PLACE:
    ``r = decay_rate * r + (1 - decay_rate) * batch`` with the UNBIASED batch variance
    (``M / (M - 1)``), as NNabla's kernel. ``mean``/``variance`` None: nothing is updated.
    ``batch_stat=False``: use ``mean``/``variance`` (None is prohibited). ``eps`` inside the
    square root. See :func:`nnfunc.batch_normalization`.

    Args:
        x: Input.
        beta: Offset or None.
        gamma: Scale or None.
        mean: Running mean or None.
        variance: Running variance or None.
        axes: Kept axes. Default [1].
        decay_rate (float): Default 0.9.
        eps (float): Default 1e-5.
        batch_stat (bool): Use batch statistics. Default True.
        output_stat (bool): Also return batch mean and variance (differentiable).
        name (str, optional): Node name.

    Returns:
        ``y`` or ``(y, batch_mean, batch_var)``.

    Raises:
        ArgumentError: ``mean``/``variance`` None with ``batch_stat=False`` (the page's
            prohibition), ``output_stat`` with ``batch_stat=False``, ``decay_rate`` outside
            [0, 1], ``eps < 0``, repeated ``axes``. ShapeError: ``axes`` out of range, a
            statistic or parameter not matching the channels.

    Examples:
        >>> rm, rv = np.zeros((1, 2)), np.ones((1, 2))
        >>> F.batch_normalization(np.array([[1.0, 2.0], [3.0, 6.0]]), None, None, rm, rv,
        ...                       eps=0.0)
        array([[-1., -1.],
               [ 1.,  1.]])
        >>> rm, rv
        (array([[0.2, 0.4]]), array([[1.1, 1.7]]))
    """
    op = "batch_normalization"
    with shapes.node_errors(name, x):
        _bn_args(op, x, mean, variance, axes, decay_rate, batch_stat, output_stat)
    return F.batch_normalization(
        x,
        mean,
        variance,
        beta,
        gamma,
        axis=_axes(axes),
        eps=eps,
        training=batch_stat,
        decay=decay_rate,
        output_stat=output_stat,
        name=name,
    )


@shares_args(batch_normalization)
@tensor_args("x")
def fused_batch_normalization(
    x: Any,
    beta: Any,
    gamma: Any,
    mean: Any,
    variance: Any,
    z: Any = None,
    axes: Any = (1,),
    decay_rate: float = 0.9,
    eps: float = 1e-5,
    batch_stat: bool = True,
    nonlinearity: str = "relu",
    output_stat: bool = False,
    n_outputs: Any = None,
    *,
    name: str | None = None,
) -> Any:
    """``relu(batch_normalization(x) + z)``; running statistics as :func:`batch_normalization`.

    Args:
        z: Optional residual.
        batch_stat (bool): Default True.
        nonlinearity (str): Only ``"relu"``.
        output_stat (bool): Also return batch statistics.

    Returns:
        ``y`` or ``(y, batch_mean, batch_var)``.

    Examples:
        >>> F.fused_batch_normalization(np.array([[1.0, 2.0], [3.0, 6.0]]), None, None,
        ...                             None, None, eps=0.0)
        array([[0., 0.],
               [1., 1.]])
    """
    op = "fused_batch_normalization"
    with shapes.node_errors(name, x):
        _bn_args(op, x, mean, variance, axes, decay_rate, batch_stat, output_stat)
    return F.fused_batch_normalization(
        x,
        mean,
        variance,
        beta,
        gamma,
        z,
        axis=_axes(axes),
        eps=eps,
        training=batch_stat,
        decay=decay_rate,
        nonlinearity=nonlinearity,
        output_stat=output_stat,
        name=name,
    )


@shares_args(batch_normalization)
@tensor_args("x")
def sync_batch_normalization(
    x: Any,
    beta: Any,
    gamma: Any,
    mean: Any,
    variance: Any,
    comm: Any,
    group: str = "world",
    axes: Any = (1,),
    decay_rate: float = 0.9,
    eps: float = 1e-5,
    batch_stat: bool = True,
    output_stat: bool = False,
    n_outputs: Any = None,
    *,
    name: str | None = None,
) -> Any:
    """Batch normalization with statistics all-reduced over ``comm`` (see
    :func:`nnfunc.sync_batch_normalization`; ``comm`` from :mod:`nnfunc.distributed`).

    Args:
        x: This replica's input.
        comm: Communicator: nnfunc's (``size``, ``rank``, ``groups``,
            ``all_reduce(array, group)`` returning the sum) or NNabla's (``size``, ``rank``,
            ``list_groups()``, ``find_group()``, ``all_reduce(data, division, inplace,
            group)`` reducing in place).
        group (str): Group name. Default "world".
        batch_stat (bool): Default True (False: no communication).
        output_stat (bool): Also return the global batch statistics.

    Returns:
        ``y`` or ``(y, batch_mean, batch_var)``.

    Examples:
        >>> from nnfunc.distributed import SingleProcessCommunicator
        >>> F.sync_batch_normalization(np.array([[1.0, 2.0], [3.0, 6.0]]), None, None, None,
        ...                            None, SingleProcessCommunicator(), eps=0.0)
        array([[-1., -1.],
               [ 1.,  1.]])
    """
    op = "sync_batch_normalization"
    with shapes.node_errors(name, x):
        _bn_args(op, x, mean, variance, axes, decay_rate, batch_stat, output_stat)
    return F.sync_batch_normalization(
        x,
        mean,
        variance,
        beta,
        gamma,
        comm=_communicator(comm),
        group=group,
        axis=_axes(axes),
        eps=eps,
        training=batch_stat,
        decay=decay_rate,
        output_stat=output_stat,
        name=name,
    )


@tensor_args("x")
def mean_subtraction(
    x: Any,
    mean: Any,
    t: Any,
    base_axis: int = 1,
    update_running_mean: bool = True,
    *,
    name: str | None = None,
) -> Any:
    """Subtract the running mean (updated in place with counter ``t`` while training).

    Backward is NNabla's approximation ``gy * (1 - 1/(t*M))``. See
    :func:`nnfunc.mean_subtraction`.

    Args:
        x: Input.
        mean: Running mean, shape ``x.shape[base_axis:]``.
        t: Iteration counter (one element).
        base_axis (int): Default 1.
        update_running_mean (bool): Default True.
        name (str, optional): Node name.

    Returns:
        ``x - mean``.

    Examples:
        >>> rm, t = np.zeros(2), np.array([0])
        >>> F.mean_subtraction(np.array([[1.0, 2.0], [3.0, 6.0]]), rm, t)
        array([[-1., -2.],
               [ 1.,  2.]])
    """
    return F.mean_subtraction(
        x, mean, t, base_axis=base_axis, update_running_mean=update_running_mean, name=name
    )


@tensor_args("x")
def layer_normalization(
    x: Any,
    beta: Any,
    gamma: Any,
    batch_axis: Any = 0,
    eps: float = 1e-5,
    output_stat: bool = False,
    *,
    name: str | None = None,
) -> Any:
    """Layer normalization over every axis except ``batch_axis``.

    BEHAVIOUR (NNabla 1.39, its published implementation): ``(x - mu) / sqrt(var + eps)``,
    eps inside the square root, although the page writes ``(x - mu) / (sigma + eps)``; with
    ``output_stat`` the second statistic is the VARIANCE (the page says std): NNabla builds
    it on batch normalization and returns its mean and variance. ``beta``/``gamma`` broadcast
    (e.g. ``(1, C, H, W)``). See :func:`nnfunc.layer_normalization`.

    Args:
        x: Input.
        beta: Bias or None.
        gamma: Gain or None.
        batch_axis: Batch axis or axes. Default 0.
        eps (float): Default 1e-5.
        output_stat (bool): Also return mean and variance.
        name (str, optional): Node name.

    Returns:
        ``y`` or ``(y, mean, var)``.

    Raises:
        ShapeError: a ``batch_axis`` out of range. ArgumentError: repeated ``batch_axis``, or
            ``batch_axis`` covering every axis (nothing left to normalize).

    Examples:
        >>> F.layer_normalization(np.array([[1.0, 3.0], [2.0, 6.0]]), None, None, eps=0.0)
        array([[-1.,  1.],
               [-1.,  1.]])
    """
    with shapes.node_errors(name, x):
        kept = _batch_axes("layer_normalization", x, batch_axis)
    return F.layer_normalization(
        x,
        gamma,
        beta,
        axis=tuple(j for j in range(_ndim(x)) if j not in kept),
        eps=eps,
        output_stat=output_stat,
        name=name,
    )


@shares_args(layer_normalization)
@tensor_args("x")
def instance_normalization(
    x: Any,
    beta: Any,
    gamma: Any,
    channel_axis: int = 1,
    batch_axis: Any = 0,
    eps: float = 1e-5,
    output_stat: bool = False,
    *,
    name: str | None = None,
) -> Any:
    """Instance normalization per (batch, channel); eps inside the square root and variance as
    the second statistic (NNabla 1.39 behaviour, see :func:`layer_normalization`).

    Args:
        channel_axis (int): Default 1.
        batch_axis: Default 0.

    Returns:
        ``y`` or ``(y, mean, var)``.

    Examples:
        >>> F.instance_normalization(np.array([[[1.0, 3.0]]]), None, None, eps=0.0)
        array([[[-1.,  1.]]])
    """
    return F.instance_normalization(
        x,
        gamma,
        beta,
        channel_axis=channel_axis,
        batch_axis=_axes(batch_axis),
        eps=eps,
        output_stat=output_stat,
        name=name,
    )


@shares_args(instance_normalization)
@tensor_args("x")
def group_normalization(
    x: Any,
    beta: Any,
    gamma: Any,
    num_groups: int,
    channel_axis: int = 1,
    batch_axis: Any = 0,
    eps: float = 1e-5,
    output_stat: bool = False,
    *,
    name: str | None = None,
) -> Any:
    """Group normalization; eps inside the square root, variance as the second statistic
    (NNabla 1.39 behaviour, see :func:`layer_normalization`); statistics in the grouped
    layout ``(B, G, 1, ...)``.

    Args:
        num_groups (int): Divides the channels.

    Returns:
        ``y`` or ``(y, mean, var)``.

    Examples:
        >>> F.group_normalization(np.array([[1.0, 3.0, 10.0, 30.0]]), None, None, 2, eps=0.0)
        array([[-1.,  1., -1.,  1.]])
    """
    return F.group_normalization(
        x,
        num_groups,
        gamma,
        beta,
        channel_axis=channel_axis,
        batch_axis=_axes(batch_axis),
        eps=eps,
        output_stat=output_stat,
        name=name,
    )


weight_standardization = same_as(
    F.weight_standardization,
    """Standardize a weight per output channel; eps inside the square root, variance as the
    second statistic (NNabla 1.39 behaviour).

    Returns:
        ``w_hat`` or ``(w_hat, mean, var)``.

    Examples:
        >>> F.weight_standardization(np.array([[1.0, 3.0], [0.0, 4.0]]), eps=0.0)
        array([[-1.,  1.],
               [-1.,  1.]])
    """,
    positional=True,
)
