"""samediff.nn entries of the attention family (DL4J SameDiff SDNN)."""

from __future__ import annotations

from typing import Any

import nnfunc.functions as F
from nnfunc.compat._docs import shares_args
from nnfunc.core import check, shapes
from nnfunc.errors import ShapeError
from nnfunc.functions.attention._common import MergeHeads, tensor

__all__ = ["dotProductAttention", "multiHeadDotProductAttention"]

_DPA = "dot_product_attention"
_MHA = "multi_head_attention"


def _time_mask(op: str, mask: Any) -> Any:
    """SameDiff's ``[batch, timesteps]`` mask (0 = skip) as a boolean ``(B, 1, 1, S)``."""
    if mask is None:
        return None
    check.ndim(op, "mask", mask, 2)
    keep = mask if mask.dtype == bool else F.not_equal(mask, 0)
    return F.expand_dims(F.expand_dims(keep, 1), 1)


def dotProductAttention(
    queries: Any,
    keys: Any,
    values: Any,
    mask: Any,
    scaled: bool,
    *,
    name: str | None = None,
) -> Any:
    """Dot-product attention on feature-major time series: ``out = sum_i softmax_i(k_i . q) v_i``.

    Rank 3: queries ``[batchSize, featureKeys, queryCount]``, keys ``[batchSize, featureKeys,
    timesteps]``, values ``[batchSize, featureValues, timesteps]``; rank 4 adds the heads as
    dimension 1 (``[batchSize, numHeads, features, time]``). All three have the same rank.
    ``mask`` (may be None) is ``[batchSize, timesteps]``: 0 skips that timestep. ``scaled``
    divides the logits by ``sqrt(featureKeys)``. One query still needs a rank-3 ``queries``
    (queryCount = 1). See :func:`nnfunc.dot_product_attention` (``layout="BHT"`` or
    ``"BNHT"``).

    Args:
        queries: ``[batchSize, featureKeys, queryCount]`` (or rank 4 with heads).
        keys: ``[batchSize, featureKeys, timesteps]``.
        values: ``[batchSize, featureValues, timesteps]``.
        mask: ``[batchSize, timesteps]`` or None; 0 = skip.
        scaled (bool): Divide the logits by ``sqrt(featureKeys)``.
        name (str, optional): Node name (SameDiff's ``String name`` overload).

    Returns:
        ``[batchSize, featureValues, queryCount]`` (rank 4: ``[batchSize, numHeads,
        featureValues, queryCount]``).

    Raises:
        ShapeError: ranks other than 3 or 4, or rank 3 mixed with rank 4; mismatched shapes.
        ArgumentError: ``scaled`` is not a boolean.

    Notes:
        A query whose every timestep is masked gives 0 (the page does not say).

    Examples:
        >>> q = np.array([[[1.0], [0.0]]])           # [1, 2 features, 1 query]
        >>> k = np.array([[[1.0, 0.0], [0.0, 1.0]]])  # [1, 2 features, 2 steps]
        >>> v = np.array([[[10.0, 20.0]]])            # [1, 1 feature, 2 steps]
        >>> samediff.nn.dotProductAttention(q, k, v, None, False).round(4)
        array([[[12.6894]]])
        >>> samediff.nn.dotProductAttention(q, k, v, np.array([[1, 0]]), True)
        array([[[10.]]])
    """
    with shapes.node_errors(name, queries, keys, values, mask):
        queries = tensor(_DPA, "queries", queries)
        keys = tensor(_DPA, "keys", keys)
        values = tensor(_DPA, "values", values)
        mask = tensor(_DPA, "mask", mask, optional=True)
        scaled = check.boolean(_DPA, "scaled", scaled)
        ranks = tuple(len(x.shape) for x in (queries, keys, values))
        if ranks not in ((3, 3, 3), (4, 4, 4)):
            raise ShapeError(
                check.message(
                    _DPA,
                    "`queries`, `keys` and `values`",
                    "all have rank 3 or all rank 4 (mixing is an error)",
                    **{
                        "queries.shape": tuple(queries.shape),
                        "keys.shape": tuple(keys.shape),
                        "values.shape": tuple(values.shape),
                    },
                )
            )
        keep = _time_mask(_DPA, mask)
    layout = "BHT" if ranks[0] == 3 else "BNHT"
    scale = None if scaled else 1.0  # None: 1 / sqrt(H) = 1 / sqrt(featureKeys)
    return F.dot_product_attention(
        queries, keys, values, None, keep, scale, layout=layout, name=name
    )


def _head_weight(arg: str, w: Any, features: Any) -> Any:
    """``[numHeads, projected, features]`` as the ``(features, numHeads * projected)`` matrix."""
    ws = tuple(w.shape)
    if len(ws) != 3 or not (features is None or ws[2] is None or ws[2] == features):
        raise ShapeError(
            check.message(
                _MHA,
                arg,
                f"have shape [numHeads, projected, {features}]",
                **{f"{arg}.shape": ws},
            )
        )
    return MergeHeads().apply1(F.transpose(w, (2, 0, 1)))


@shares_args(dotProductAttention)
def multiHeadDotProductAttention(
    queries: Any,
    keys: Any,
    values: Any,
    Wq: Any,
    Wk: Any,
    Wv: Any,
    Wo: Any,
    mask: Any,
    scaled: bool,
    *,
    name: str | None = None,
) -> Any:
    """Multi-head dot-product attention: ``out = concat(head_1, ..., head_n) Wo`` with
    ``head_i = dotProductAttention(Wq_i q, Wk_i k, Wv_i v)``.

    Feature-major inputs: queries ``[batchSize, featureKeys, queryCount]``, keys
    ``[batchSize, featureKeys, timesteps]``, values ``[batchSize, featureValues, timesteps]``;
    per-head weights Wq, Wk ``[numHeads, projectedKeys, featureKeys]``, Wv ``[numHeads,
    projectedValues, featureValues]``, Wo ``[numHeads * projectedValues, outSize]``. ``mask``
    (may be None) ``[batchSize, timesteps]``, 0 = skip. ``scaled`` divides each head's logits
    by ``sqrt(projectedKeys)``. No biases, no dropout; one output. See
    :func:`nnfunc.multi_head_attention`.

    Args:
        queries: ``[batchSize, featureKeys, queryCount]``.
        Wq: ``[numHeads, projectedKeys, featureKeys]``.
        Wk: ``[numHeads, projectedKeys, featureKeys]``.
        Wv: ``[numHeads, projectedValues, featureValues]``.
        Wo: ``[numHeads * projectedValues, outSize]``.
        scaled (bool): Divide the logits by ``sqrt(projectedKeys)``.

    Returns:
        ``[batchSize, outSize, queryCount]``.

    Raises:
        ShapeError: inputs not rank 3, weights of the wrong shape, mismatched sizes.
        ArgumentError: ``scaled`` is not a boolean.

    Examples:
        >>> rng = np.random.default_rng(0)
        >>> q = rng.standard_normal((2, 4, 3))     # [batch, featureKeys, queryCount]
        >>> kv = rng.standard_normal((2, 4, 5))    # [batch, features, timesteps]
        >>> Wq = rng.standard_normal((2, 3, 4))    # [numHeads, projectedKeys, featureKeys]
        >>> Wv = rng.standard_normal((2, 6, 4))    # [numHeads, projectedValues, featureValues]
        >>> Wo = rng.standard_normal((12, 7))      # [numHeads * projectedValues, outSize]
        >>> samediff.nn.multiHeadDotProductAttention(q, kv, kv, Wq, Wq, Wv, Wo, None, True).shape
        (2, 7, 3)
    """
    args = (queries, keys, values, Wq, Wk, Wv, Wo, mask)
    with shapes.node_errors(name, *args):
        names = ("queries", "keys", "values", "Wq", "Wk", "Wv", "Wo")
        queries, keys, values, Wq, Wk, Wv, Wo = (
            tensor(_MHA, n, x) for n, x in zip(names, args[:7], strict=True)
        )
        mask = tensor(_MHA, "mask", mask, optional=True)
        scaled = check.boolean(_MHA, "scaled", scaled)
        for arg, x in (("queries", queries), ("keys", keys), ("values", values)):
            check.ndim(_MHA, arg, x, 3)
        heads = next(iter(Wq.shape)) if len(Wq.shape) == 3 else None
        if heads is None:
            check.ndim(_MHA, "Wq", Wq, 3)
        wq = _head_weight("Wq", Wq, queries.shape[1])
        wk = _head_weight("Wk", Wk, keys.shape[1])
        wv = _head_weight("Wv", Wv, values.shape[1])
        for arg, w in (("Wk", Wk), ("Wv", Wv)):
            if w.shape[0] is not None and w.shape[0] != heads:
                raise ShapeError(
                    check.message(
                        _MHA,
                        arg,
                        "have numHeads (its first dimension) equal to that of `Wq`",
                        **{"Wq.shape": tuple(Wq.shape), f"{arg}.shape": tuple(w.shape)},
                    )
                )
        keep = _time_mask(_MHA, mask)
        q, k, v = (F.transpose(x, (0, 2, 1)) for x in (queries, keys, values))
        y = F.multi_head_attention(
            q, k, v, heads, wq, wk, wv, Wo, mask=keep, scale=None if scaled else 1.0
        )
    return F.transpose(y, (0, 2, 1), name=name)
