"""embedding_lookup_sparse: weighted sum / mean / sqrtn of the embeddings of sparse ids per row."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from nnfunc.core import check
from nnfunc.core.function import Function
from nnfunc.core.shapes import node_errors
from nnfunc.core.spec import TensorSpec
from nnfunc.errors import ArgumentError, DTypeError, ShapeError
from nnfunc.functions.arithmetic import div
from nnfunc.functions.array._shape_ops import cast, reshape
from nnfunc.functions.embedding._lookup import (
    STRATEGIES,
    EmbeddingLookup,
    embedding_lookup,
    shard_list,
)
from nnfunc.functions.logical import where
from nnfunc.functions.math._sqrt import sqrt
from nnfunc.kernels.cpu.scatter_nd import scatter_add_rows

__all__ = ["SegmentSum", "embedding_lookup_sparse", "is_sparse"]

OP = "embedding_lookup_sparse"
COMBINERS = ("sum", "mean", "sqrtn")


def is_sparse(x: Any) -> bool:
    """Whether ``x`` is a COO sparse tensor (``indices``, ``values``, ``dense_shape``)."""
    return all(hasattr(x, a) for a in ("indices", "values", "dense_shape"))


class SegmentSum(Function):
    """``out[s] = sum of data[i] over i with segment_ids[i] == s`` for ``s < num_segments``."""

    op_name = "segment_sum"
    input_names = ("data", "segment_ids")
    retain_in = (1,)

    def __init__(self, num_segments: int) -> None:
        self.num = num_segments

    def setup(self, data: Any, seg: Any) -> tuple[TensorSpec, ...]:
        return (TensorSpec((self.num, *data.shape[1:]), np.dtype(data.dtype)),)

    def forward(self, xp: Any, data: Any, seg: Any) -> tuple[Any, ...]:
        width = math.prod(data.shape[1:])
        out = xp.zeros((self.num, width), dtype=data.dtype)
        if seg.size:
            scatter_add_rows(out, seg, data.reshape(-1, width))
        return (out.reshape((self.num, *data.shape[1:])),)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        (seg,) = self.retained_inputs()
        return (EmbeddingLookup(1, "mod").apply1(seg, grad_outputs[0]), None)


def _sparse_parts(sp: Any, arg: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if not is_sparse(sp):
        raise DTypeError(check.message(OP, arg, "be a SparseTensor", **{arg: type(sp)}))
    indices = np.asarray(sp.indices)
    shape = np.asarray(sp.dense_shape)
    values = np.asarray(sp.values)
    if indices.dtype.kind not in "iu" or shape.dtype.kind not in "iu":
        raise DTypeError(
            check.message(
                OP, arg, "have integer indices", **{f"{arg}.indices.dtype": indices.dtype}
            )
        )
    return indices.astype(np.int64, copy=False), values, shape.astype(np.int64, copy=False)


def embedding_lookup_sparse(
    params: Any,
    sp_ids: Any,
    sp_weights: Any = None,
    *,
    partition_strategy: str = "mod",
    combiner: str = "mean",
    max_norm: float | None = None,
    name: str | None = None,
) -> Any:
    """Combine the embeddings of the sparse ids of each row: weighted sum, mean or sqrt-n.

    .. math::
        \\text{sum: } y_r = \\sum_{k \\in r} w_k W[\\mathrm{id}_k], \\quad
        \\text{mean: } \\frac{\\sum_k w_k W[\\mathrm{id}_k]}{\\sum_k w_k}, \\quad
        \\text{sqrtn: } \\frac{\\sum_k w_k W[\\mathrm{id}_k]}{\\sqrt{\\sum_k w_k^2}}

    A row ``r`` is a position of ``sp_ids.dense_shape[:-1]``; its entries are the stored values
    whose indices start with ``r``.

    Args:
        params (array, Variable, SymbolicVariable, or a list of them): The floating table
            ``(n, d_1, ..., d_m)`` or its shards (see :func:`nnfunc.embedding_lookup`).
        sp_ids (SparseTensor): Integer ids in ``[0, n)``, dense shape ``(D_0, ..., D_k)``, rank
            >= 2 (``nnfunc.compat.tf.SparseTensor`` or any object with ``indices``, ``values``
            and ``dense_shape``).
        sp_weights (SparseTensor, tensor or None): Weights with exactly the indices and dense
            shape of ``sp_ids``; or the tensor of their values (shape ``(nnz,)``, differentiable);
            ``None`` (default): all weights 1. Cast to the dtype of ``params``.
        partition_strategy (str): ``"mod"`` (default) or ``"div"`` (several shards).
        combiner (str): ``"sum"``, ``"mean"`` (default) or ``"sqrtn"``.
        max_norm (float, optional): Clip each embedding to this L2 norm before combining.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as ``params``: shape ``(D_0, ..., D_{k-1}, d_1, ..., d_m)``, dtype of
        ``params``. A row without entries gives zeros.

    Raises:
        DTypeError: ``sp_ids`` (or ``sp_weights``) is not a sparse tensor, the ids are not
            integer, ``params`` is not floating.
        ShapeError: ``sp_ids`` has rank < 2; weight values of the wrong shape.
        ArgumentError: ``sp_weights`` has other indices or dense shape than ``sp_ids``;
            ``combiner`` is not one of the three; an id is out of range (see
            :func:`nnfunc.embedding_lookup`).

    Notes:
        Gradients reach ``params`` (a scatter-add into the rows used) and weight values passed as
        a tensor; a SparseTensor's values are plain data. A row whose weights sum to 0 divides
        by 0 under "mean" (as in TensorFlow). Equivalent to
        ``tf.nn.embedding_lookup_sparse(params, sp_ids, sp_weights, partition_strategy, name,
        combiner)``, whose ``combiner=None`` means "mean"; TensorFlow 1.x returns
        ``max(row id) + 1`` rows (rank 2 only), here the documented ``D_0`` rows, empty rows 0.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> from nnfunc.compat.tf import SparseTensor
        >>> params = np.arange(10.0)[:, None] * np.ones((1, 2))
        >>> ids = SparseTensor([[0, 0], [0, 1], [1, 0], [2, 3]], [1, 3, 0, 1], [3, 4])
        >>> w = SparseTensor([[0, 0], [0, 1], [1, 0], [2, 3]], [2.0, 0.5, 1.0, 3.0], [3, 4])
        >>> nf.embedding_lookup_sparse(params, ids, w, combiner="mean")
        array([[1.4, 1.4],
               [0. , 0. ],
               [1. , 1. ]])
    """
    shards_in = params if isinstance(params, (list, tuple)) else [params]
    tensors = [*shards_in] + ([] if sp_weights is None or is_sparse(sp_weights) else [sp_weights])
    with node_errors(name, *tensors):
        shards = shard_list(OP, params)
        combiner = check.choice(OP, "combiner", combiner, COMBINERS)
        # checked here too (embedding_lookup, called below without the name, checks them again)
        check.choice(OP, "partition_strategy", partition_strategy, STRATEGIES)
        if max_norm is not None:
            max_norm = check.real_scalar(OP, "max_norm", max_norm, min_value=0, open_min=True)
        indices, ids, dense_shape = _sparse_parts(sp_ids, "sp_ids")
        if indices.ndim != 2 or indices.shape[1] < 2:
            raise ShapeError(
                check.message(OP, "sp_ids", "have rank >= 2", **{"sp_ids.dense_shape": dense_shape})
            )
        if ids.dtype.kind not in "iu":
            raise DTypeError(
                check.message(
                    OP, "sp_ids", "hold integer ids", **{"sp_ids.values.dtype": ids.dtype}
                )
            )
        for i, s in enumerate(shards):
            dt = np.dtype(getattr(s, "dtype", np.asarray(s).dtype))
            if dt.kind != "f":
                nm = "params" if len(shards) == 1 else f"params[{i}]"
                raise DTypeError(
                    check.message(OP, nm, "have a floating dtype", **{f"{nm}.dtype": dt})
                )
        dtype = np.dtype(getattr(shards[0], "dtype", np.asarray(shards[0]).dtype))
        weights = None
        if is_sparse(sp_weights):
            w_idx, weights, w_shape = _sparse_parts(sp_weights, "sp_weights")
            if w_idx.shape != indices.shape or not (
                np.array_equal(w_idx, indices) and np.array_equal(w_shape, dense_shape)
            ):
                raise ArgumentError(
                    check.message(
                        OP,
                        "sp_weights",
                        "have the indices and dense_shape of `sp_ids`",
                        **{
                            "sp_weights.dense_shape": w_shape,
                            "sp_ids.dense_shape": dense_shape,
                            "sp_weights.indices.shape": w_idx.shape,
                            "sp_ids.indices.shape": indices.shape,
                        },
                    )
                )
            if weights.dtype.kind not in "biuf":
                raise DTypeError(
                    check.message(
                        OP,
                        "sp_weights",
                        "hold real weights",
                        **{"sp_weights.values.dtype": weights.dtype},
                    )
                )
            weights = weights.astype(dtype, copy=False)
        elif sp_weights is not None:
            weights = sp_weights if hasattr(sp_weights, "shape") else np.asarray(sp_weights)
            if tuple(weights.shape) not in ((ids.shape[0],), (None,)):
                raise ShapeError(
                    check.message(
                        OP,
                        "sp_weights",
                        "be a SparseTensor or hold one weight per id",
                        **{"sp_weights.shape": tuple(weights.shape), "nnz": ids.shape[0]},
                    )
                )
            if np.dtype(weights.dtype).kind not in "biuf":
                raise DTypeError(
                    check.message(
                        OP, "sp_weights", "hold real weights", **{"sp_weights.dtype": weights.dtype}
                    )
                )
            if np.dtype(weights.dtype) != dtype:
                weights = cast(weights, dtype)
        lead = tuple(int(d) for d in dense_shape[:-1])
        rows = math.prod(lead)
        seg = (
            np.ravel_multi_index(tuple(indices[:, :-1].T), lead)
            if indices.shape[0]
            else np.zeros(0, np.int64)
        ).astype(np.int64)
    emb = embedding_lookup(shards, ids, partition_strategy=partition_strategy, max_norm=max_norm)
    extra = (1,) * (len(emb.shape) - 1)
    if weights is not None:
        emb = emb * reshape(weights, (-1, *extra))
    last = name if len(lead) == 1 else None
    if combiner == "sum":
        total = SegmentSum(rows).apply1(emb, seg, name=last)
    else:
        total = SegmentSum(rows).apply1(emb, seg)
        count = np.bincount(seg, minlength=rows)
        if weights is None:
            den = count.astype(dtype) if combiner == "mean" else np.sqrt(count).astype(dtype)
            den = np.where(count > 0, den, 1).astype(dtype)
        else:
            w = weights if combiner == "mean" else weights * weights
            # empty rows divide by 1 (before the sqrt: its gradient at 0 would be inf)
            den = where(count > 0, SegmentSum(rows).apply1(w, seg), np.ones((), dtype))
            if combiner == "sqrtn":
                den = sqrt(den)
        total = div(total, reshape(den, (rows, *extra)), name=last)
    if len(lead) == 1:
        return total
    row_shape = tuple(-1 if d is None else d for d in emb.shape[1:])
    return reshape(total, lead + row_shape, name=name)
