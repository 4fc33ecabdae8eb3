"""Data-parallel training helpers: one copy of the parameters per rank, one shard of each batch.

The recipe (see ``python -m nnfunc demo --distributed``)::

    comm = MPICommunicator()
    broadcast_parameters(params, comm)           # every rank starts from rank 0's values
    for batch in batches:                        # the same global batches on every rank
        local = batch[shard(len(batch), comm)]   # this rank's part
        loss = nf.mean(per_example_loss(model(params, local)))
        loss.backward()
        all_reduce_gradients(params, comm, weight=len(local))   # the global mean gradient
        update(params)                           # identical on every rank

With ``weight`` equal to the local batch size, ranks with unequal shards still give exactly the
gradient of the mean over the whole batch, so N ranks take the same step as one process on the
whole batch (to float rounding).

Gradients are packed into one flat buffer per dtype (at most ``bucket_bytes`` each), so a model
with many small parameters costs a handful of collective calls, not one per parameter.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from nnfunc.core import check
from nnfunc.core.variable import Variable
from nnfunc.distributed._comm import check_communicator
from nnfunc.errors import ArgumentError

__all__ = ["all_reduce_gradients", "broadcast_parameters", "shard"]

_DEFAULT_BUCKET = 64 << 20


def _as_list(op: str, params: Any) -> list[Any]:
    if isinstance(params, Mapping):
        params = list(params.values())
    elif isinstance(params, (Variable, np.ndarray)) or not isinstance(params, Iterable):
        raise ArgumentError(
            check.message(
                op, "params", "be a list or dict of Variables", params=type(params).__name__
            )
        )
    items = list(params)
    for i, p in enumerate(items):
        if not isinstance(p, Variable):
            raise ArgumentError(
                check.message(
                    op, "params", "hold only Variables", **{f"params[{i}]": type(p).__name__}
                )
            )
    return items


def _buckets(arrays: list[np.ndarray], bucket_bytes: int) -> list[list[int]]:
    """Indexes of ``arrays`` grouped by dtype, each group cut at ``bucket_bytes``."""
    by_dtype: dict[np.dtype, list[int]] = {}
    for i, a in enumerate(arrays):
        by_dtype.setdefault(a.dtype, []).append(i)
    out = []
    for idx in by_dtype.values():
        current: list[int] = []
        size = 0
        for i in idx:
            if current and size + arrays[i].nbytes > bucket_bytes:
                out.append(current)
                current, size = [], 0
            current.append(i)
            size += arrays[i].nbytes
        out.append(current)
    return out


def broadcast_parameters(params: Any, comm: Any, root: int = 0, group: str = "world") -> None:
    """Copy rank ``root``'s parameter values into every rank's parameters, in place.

    Args:
        params (list or dict of Variable): The parameters (same shapes on every rank).
        comm: A communicator with ``broadcast`` (e.g. :class:`MPICommunicator`).
        root (int): The rank whose values win. Default 0.
        group (str): Communicator group. Default ``"world"``.

    Raises:
        ArgumentError: ``params`` holds something other than Variables, or ``comm`` cannot
            broadcast.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> from nnfunc.distributed import InProcessGroup, run_replicas, broadcast_parameters
        >>> def step(comm):
        ...     p = nf.Variable(np.full(2, float(comm.rank)))
        ...     broadcast_parameters([p], comm)
        ...     return p.data
        >>> run_replicas(step, InProcessGroup(2))
        [array([0., 0.]), array([0., 0.])]
    """
    op = "broadcast_parameters"
    items = _as_list(op, params)
    check_communicator(op, comm, group)
    if not callable(getattr(comm, "broadcast", None)):
        raise ArgumentError(check.message(op, "comm", "have a broadcast method", comm=comm))
    arrays = [np.asarray(p.data) for p in items]
    for bucket in _buckets(arrays, _DEFAULT_BUCKET):
        flat = np.concatenate([arrays[i].reshape(-1) for i in bucket])
        flat = comm.broadcast(flat, root=root, group=group)
        start = 0
        for i in bucket:
            n = arrays[i].size
            items[i].data[...] = flat[start : start + n].reshape(arrays[i].shape)
            start += n


def all_reduce_gradients(
    params: Any,
    comm: Any,
    *,
    weight: float | None = None,
    average: bool = True,
    group: str = "world",
    bucket_bytes: int = _DEFAULT_BUCKET,
) -> None:
    """Combine the ``.grad`` of every parameter across ranks, in place, in few collective calls.

    .. math::
        g \\leftarrow \\frac{\\sum_r w_r g^{(r)}}{\\sum_r w_r}
        \\quad\\text{(or } \\sum_r g^{(r)} \\text{ with ``average=False``)}

    Args:
        params (list or dict of Variable): The parameters; a missing gradient counts as zeros.
        comm: A communicator (``all_reduce``).
        weight (float, optional): This rank's weight, usually its local batch size: with the
            mean loss of each rank's shard, the result is the gradient of the mean over the
            whole batch even when shards differ in size. Default: equal weights (the mean over
            ranks).
        average (bool): False gives the plain sum over ranks (``weight`` must be None).
        group (str): Communicator group. Default ``"world"``.
        bucket_bytes (int): Largest packed buffer; gradients of one dtype are sent together up
            to this size. Default 64 MiB.

    Raises:
        ArgumentError: bad ``params``, ``comm``, ``weight`` (negative, or the weights sum to 0)
            or ``bucket_bytes``; a rank's gradients differ in shape or dtype (raised by the
            communicator on every rank).

    Notes:
        Each bucket is one ``all_reduce``; the weight travels in the first bucket of the first
        dtype, so equal-dtype models cost one call per 64 MiB of gradients.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> from nnfunc.distributed import InProcessGroup, run_replicas, all_reduce_gradients
        >>> def step(comm):
        ...     p = nf.Variable(np.zeros(2), requires_grad=True)
        ...     p.grad = np.full(2, float(comm.rank + 1))
        ...     all_reduce_gradients([p], comm, weight=comm.rank + 1)  # weights 1 and 2
        ...     return p.grad
        >>> run_replicas(step, InProcessGroup(2))  # (1*1 + 2*2) / 3
        [array([1.66666667, 1.66666667]), array([1.66666667, 1.66666667])]
    """
    op = "all_reduce_gradients"
    items = _as_list(op, params)
    check_communicator(op, comm, group)
    average = check.boolean(op, "average", average)
    bucket_bytes = check.positive_int(op, "bucket_bytes", bucket_bytes)
    if weight is not None:
        if not average:
            raise ArgumentError(
                check.message(op, "weight", "be None when average=False", weight=weight)
            )
        weight = check.real_scalar(op, "weight", weight)
        if not (np.isfinite(weight) and weight >= 0):
            raise ArgumentError(check.message(op, "weight", "be finite and >= 0", weight=weight))
    grads = [
        np.zeros_like(p.data) if p.grad is None else np.asarray(p.grad, p.data.dtype) for p in items
    ]
    if not grads:
        return
    for b, bucket in enumerate(_buckets(grads, bucket_bytes)):
        parts = [grads[i].reshape(-1) for i in bucket]
        carry_weight = b == 0 and average
        if carry_weight:
            w = 1.0 if weight is None else weight
            parts = [p * w for p in parts] if weight is not None else parts
            parts.append(np.asarray([w], grads[bucket[0]].dtype))
        total = comm.all_reduce(np.concatenate(parts), group)
        if carry_weight:
            denominator = float(total[-1])
            if denominator <= 0:
                raise ArgumentError(
                    check.message(op, "weight", "sum to a positive total", total=denominator)
                )
            total = total[:-1]
        if average:
            total *= 1.0 / denominator
        start = 0
        for i in bucket:
            n = grads[i].size
            items[i].grad = (
                total[start : start + n].reshape(grads[i].shape).astype(grads[i].dtype, copy=False)
            )
            start += n


def shard(n: int, comm: Any) -> slice:
    """This rank's contiguous part of ``range(n)`` (sizes differ by at most one).

    Args:
        n (int): The number of items (the global batch or the data set size).
        comm: A communicator (``size`` and ``rank``).

    Returns:
        A ``slice`` (use it as ``batch[shard(len(batch), comm)]``).

    Raises:
        ArgumentError: ``n`` is negative or ``comm`` is not a communicator.

    Examples:
        >>> from nnfunc.distributed import InProcessGroup, shard
        >>> [shard(10, c) for c in InProcessGroup(3).communicators]
        [slice(0, 4, None), slice(4, 7, None), slice(7, 10, None)]
    """
    n = check.integer("shard", "n", n, min_value=0)
    check_communicator("shard", comm)
    base, extra = divmod(n, comm.size)
    start = comm.rank * base + min(comm.rank, extra)
    return slice(start, start + base + (comm.rank < extra))
