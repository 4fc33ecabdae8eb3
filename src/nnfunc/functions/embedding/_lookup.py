"""embedding_lookup: rows of one table, or of a table split in shards ("mod" or "div").

The gradient with respect to a shard is a scatter-add of the output gradient into zeros of the
shard's shape, at the rows that were looked up (:class:`ScatterRows`, one fused kernel:
:func:`nnfunc.kernels.cpu.scatter_nd.scatter_add_rows`); no one-hot matrix is ever formed. Its own
gradient is a lookup again, so derivatives of every order come from these two Functions.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from nnfunc.core import check
from nnfunc.core.function import Function
from nnfunc.core.shapes import node_errors
from nnfunc.core.spec import TensorSpec
from nnfunc.errors import ArgumentError, DTypeError, ShapeError
from nnfunc.functions.clipping._clip import clip_by_norm
from nnfunc.kernels.cpu.scatter_nd import scatter_add_rows

__all__ = ["EmbeddingLookup", "ScatterRows", "embedding_lookup", "partition", "shard_list"]

OP = "embedding_lookup"
STRATEGIES = ("mod", "div")


def shard_list(op: str, params: Any) -> list[Any]:
    """``params`` as a list of shards (a single tensor is one shard); at least one."""
    shards = list(params) if isinstance(params, (list, tuple)) else [params]
    if not shards:
        raise ArgumentError(check.message(op, "params", "hold at least one table", params=params))
    for i, s in enumerate(shards):
        if isinstance(s, (bool, int, float, complex)):  # a table is never a Python number
            nm = "params" if len(shards) == 1 else f"params[{i}]"
            raise ShapeError(check.message(op, nm, "have rank >= 1", **{f"{nm}.shape": ()}))
    return shards


def partition(ids: Any, sizes: tuple[int, ...], strategy: str) -> tuple[Any, Any]:
    """``(shard, row)`` of every id, with TensorFlow's assignment (``shard`` None for one shard).

    "mod": shard ``id % P``, row ``id // P``. "div": contiguous blocks over the ``n = sum(sizes)``
    ids, the first ``n % P`` shards one id larger.

    Examples:
        >>> import numpy as np
        >>> shard, row = partition(np.arange(13), (3, 3, 3, 2, 2), "div")
        >>> shard.tolist(), row.tolist()
        ([0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 4, 4], [0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 0, 1])
    """
    p = len(sizes)
    if p == 1:
        return None, ids
    if strategy == "mod":
        return ids % p, ids // p
    per, extras = divmod(sum(sizes), p)
    cut = extras * (per + 1)
    low = ids < cut
    rest = ids - cut
    step = max(per, 1)
    shard = np.where(low, ids // (per + 1), extras + rest // step)
    row = np.where(low, ids % (per + 1), rest % step)
    return shard, row


def _position(ids: np.ndarray, flat: int) -> str:
    where = np.unravel_index(flat, ids.shape)
    return f"ids[{', '.join(str(int(i)) for i in where)}]" if ids.ndim else "ids"


def check_ids(op: str, ids: Any, sizes: tuple[int | None, ...], strategy: str) -> None:
    """Raise naming the first id outside the table, or outside the shard it is assigned to.

    Runs on concrete NumPy ids (eagerly and when a graph runs); specs and unknown sizes pass.
    """
    if type(ids) is not np.ndarray or ids.size == 0 or None in sizes:
        return
    n = int(sum(sizes))
    flat = ids.reshape(-1)
    bad = (flat < 0) | (flat >= n)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ArgumentError(
            check.message(
                op,
                "ids",
                f"be in [0, {n}) for a table of {n} rows",
                **{_position(ids, i): int(flat[i])},
            )
        )
    if len(sizes) == 1:
        return
    shard, row = partition(flat, tuple(sizes), strategy)
    bad = row >= np.asarray(sizes)[shard]
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ArgumentError(
            check.message(
                op,
                "params",
                f"be shards sized for partition_strategy={strategy!r} (every id must fall "
                "inside the shard it is assigned to)",
                **{
                    _position(ids, i): int(flat[i]),
                    "shard": int(shard[i]),
                    "row": int(row[i]),
                    "shard_rows": tuple(int(s) for s in sizes),
                },
            )
        )


def _check_shards(op: str, ids: Any, shards: tuple[Any, ...]) -> tuple[np.dtype, tuple]:
    """Validate ids' dtype and the shards' ranks, widths and dtypes; return (dtype, row shape)."""
    names = [f"params[{i}]" if len(shards) > 1 else "params" for i in range(len(shards))]
    for nm, t in zip(["ids", *names], [ids, *shards], strict=True):
        if t is None:
            raise DTypeError(check.message(op, nm, "be an array", **{nm: None}))
    if np.dtype(ids.dtype).kind not in "iu":
        raise DTypeError(
            check.message(op, "ids", "have an integer dtype", **{"ids.dtype": np.dtype(ids.dtype)})
        )
    for nm, s in zip(names, shards, strict=True):
        if np.dtype(s.dtype).kind not in "biuf":
            raise DTypeError(
                check.message(op, nm, "have a numeric dtype", **{f"{nm}.dtype": s.dtype})
            )
        check.ndim_at_least(op, nm, s, 1)
    dtype = check.same_dtype(op, names, shards) if len(shards) > 1 else np.dtype(shards[0].dtype)
    rows = [tuple(s.shape[1:]) for s in shards]
    for nm, r in zip(names[1:], rows[1:], strict=True):
        ok = len(r) == len(rows[0]) and all(
            a is None or b is None or a == b for a, b in zip(r, rows[0], strict=True)
        )
        if not ok:
            raise ShapeError(
                check.message(
                    op,
                    "params",
                    "be shards of the same shape after dimension 0",
                    **{
                        f"{names[0]}.shape": tuple(shards[0].shape),
                        f"{nm}.shape": tuple(shards[names.index(nm)].shape),
                    },
                )
            )
    row = tuple(next((r[j] for r in rows if r[j] is not None), None) for j in range(len(rows[0])))
    return dtype, row


class EmbeddingLookup(Function):
    """Rows of a (sharded) table at integer ids: inputs ``(ids, *shards)``.

    With ``only=p`` the rows of the other shards are zeros (the gradient of :class:`ScatterRows`
    with respect to its upstream gradient).
    """

    op_name = OP

    def __init__(self, n_shards: int, strategy: str, only: int | None = None) -> None:
        self.n = n_shards
        self.strategy = check.choice(OP, "partition_strategy", strategy, STRATEGIES)
        self.only = only
        self.input_names = ("ids",) + tuple(f"params[{i}]" for i in range(n_shards))
        self.retain_in = tuple(range(n_shards + 1))

    def setup(self, ids: Any, *shards: Any) -> tuple[TensorSpec, ...]:
        dtype, row = _check_shards(OP, ids, shards)
        sizes = tuple(s.shape[0] for s in shards)
        check_ids(OP, ids, sizes, self.strategy)
        return (TensorSpec(tuple(ids.shape) + row, dtype),)

    def forward(self, xp: Any, ids: Any, *shards: Any) -> tuple[Any, ...]:
        if self.n == 1:
            return (xp.take(shards[0], ids, axis=0),)
        sizes = tuple(s.shape[0] for s in shards)
        flat = ids.reshape(-1)
        shard, row = partition(flat, sizes, self.strategy)
        width = shards[0].shape[1:]
        out = xp.zeros((flat.size, *width), dtype=shards[0].dtype)
        for p, s in enumerate(shards):
            if self.only is not None and p != self.only:
                continue
            sel = xp.flatnonzero(shard == p)
            if sel.size:
                out[sel] = xp.take(s, row[sel], axis=0)
        return (out.reshape(ids.shape + width),)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        ids, *shards = self.retained_inputs()
        (gy,) = grad_outputs
        grads: list[Any] = [None]
        for p in range(self.n):
            want = p + 1 in target_indexes and (self.only is None or self.only == p)
            fn = ScatterRows(p, self.n, self.strategy)
            grads.append(fn.apply1(gy, ids, *shards) if want else None)
        return tuple(grads)


class ScatterRows(Function):
    """Zeros of shard ``p``'s shape with the rows of ``gy`` added at the rows ``ids`` select.

    Inputs ``(gy, ids, *shards)``; the shards give the sizes only (their values are not read).
    """

    op_name = "embedding_lookup_grad"

    def __init__(self, p: int, n_shards: int, strategy: str) -> None:
        self.p = p
        self.n = n_shards
        self.strategy = strategy
        self.input_names = ("gy", "ids") + tuple(f"params[{i}]" for i in range(n_shards))
        self.retain_in = tuple(range(1, n_shards + 2))

    def setup(self, gy: Any, ids: Any, *shards: Any) -> tuple[TensorSpec, ...]:
        return (TensorSpec(tuple(shards[self.p].shape), np.dtype(gy.dtype)),)

    def forward(self, xp: Any, gy: Any, ids: Any, *shards: Any) -> tuple[Any, ...]:
        shape = shards[self.p].shape
        width = math.prod(shape[1:])
        src = gy.reshape(-1, width)
        flat = ids.reshape(-1)
        if self.n == 1:
            rows = flat
        else:
            shard, row = partition(flat, tuple(s.shape[0] for s in shards), self.strategy)
            sel = xp.flatnonzero(shard == self.p)
            rows, src = row[sel], src[sel]
        out = xp.zeros((shape[0], width), dtype=gy.dtype)
        if rows.size:
            scatter_add_rows(out, rows, src)
        return (out.reshape(shape),)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        ids, *shards = self.retained_inputs()
        if 0 not in target_indexes:
            return (None,) * (self.n + 2)
        (ggw,) = grad_outputs
        shards[self.p] = ggw
        only = None if self.n == 1 else self.p
        g = EmbeddingLookup(self.n, self.strategy, only).apply1(ids, *shards)
        return (g,) + (None,) * (self.n + 1)


def embedding_lookup(
    params: Any,
    ids: Any,
    *,
    partition_strategy: str = "mod",
    max_norm: float | None = None,
    name: str | None = None,
) -> Any:
    """Rows of an embedding table (one tensor, or a list of shards) at integer ids.

    .. math::
        y[i_0, \\ldots, i_k, :] = W[\\mathrm{ids}[i_0, \\ldots, i_k], :], \\qquad
        y \\leftarrow y \\cdot \\frac{m}{\\max(\\lVert y \\rVert_2, m)} \\text{ with max\\_norm } m

    With ``P > 1`` shards, id ``i`` lives in shard ``i % P`` at row ``i // P`` ("mod"), or
    in contiguous blocks ("div": the ``n = sum of shard rows`` ids split into ``P`` blocks, the
    first ``n % P`` one id larger). 13 ids over 5 shards: "mod" gives
    ``[[0, 5, 10], [1, 6, 11], [2, 7, 12], [3, 8], [4, 9]]``, "div" gives
    ``[[0, 1, 2], [3, 4, 5], [6, 7, 8], [9, 10], [11, 12]]``.

    Args:
        params (array, Variable, SymbolicVariable, or a list of them): The table, shape
            ``(n, d_1, ..., d_m)``, or its shards (same dtype, same shape after dimension 0, each
            sized as ``partition_strategy`` assigns ids). Any numeric dtype.
        ids (array, list, Variable or SymbolicVariable): Integer ids of any shape, each in
            ``[0, n)``.
        partition_strategy (str): ``"mod"`` (default) or ``"div"``; used when there are several
            shards.
        max_norm (float, optional): Each looked-up row (over ``d_1..d_m``) whose L2 norm
            exceeds ``max_norm`` is rescaled to that norm (the table is not modified).
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as the inputs: shape ``ids.shape + (d_1, ..., d_m)``, dtype of ``params``.

    Raises:
        ArgumentError: ``params`` is an empty list; an id is outside ``[0, n)`` (the message names
            the first one and the table size) or outside the shard it is assigned to;
            ``partition_strategy`` is not "mod"/"div"; ``max_norm`` is not a positive number.
        ShapeError: a shard is 0-d, or the shards differ after dimension 0.
        DTypeError: ``ids`` is not integer, or the shards' dtypes differ.

    Notes:
        Gradient: with respect to each shard, the output gradient scatter-added into zeros of the
        shard's shape at the rows used (repeated ids accumulate; one fused kernel, no one-hot);
        none with respect to ``ids``. With ``max_norm`` the rescaling is differentiated too (as
        :func:`nnfunc.clip_by_norm`). In graph mode the id values are checked when the graph
        runs. Equivalent to ``tf.nn.embedding_lookup(params, ids, partition_strategy)`` and
        ``nnabla.functions.embed(x0, w)`` (one table).

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> table = np.arange(13.0)[:, None] * np.ones((1, 2))
        >>> shards = [table[p::5] for p in range(5)]   # "mod" shards of a 13-row table
        >>> nf.embedding_lookup(shards, np.array([[12, 0], [5, 7]]))[..., 0]
        array([[12.,  0.],
               [ 5.,  7.]])
        >>> nf.embedding_lookup(table, [1, 2], max_norm=1.0)
        array([[0.70710678, 0.70710678],
               [0.70710678, 0.70710678]])
    """
    with node_errors(name, ids, *(params if isinstance(params, (list, tuple)) else [params])):
        shards = shard_list(OP, params)
        if max_norm is not None:
            max_norm = check.real_scalar(OP, "max_norm", max_norm, min_value=0, open_min=True)
        fn = EmbeddingLookup(len(shards), partition_strategy)
    if isinstance(ids, (bool, int)):  # NumPy's own dtype (uint64 beyond int64), checked in setup
        ids = np.asarray(ids)
    if max_norm is None:
        return fn.apply1(ids, *shards, name=name)
    with node_errors(name, ids, *shards):  # the unnamed lookup node is part of this one
        y = fn.apply1(ids, *shards)
    k = len(ids.shape) if hasattr(ids, "shape") else np.ndim(ids)
    return clip_by_norm(y, max_norm, axis=tuple(range(k, len(y.shape))), name=name)
