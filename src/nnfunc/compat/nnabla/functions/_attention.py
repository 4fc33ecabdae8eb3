"""nnabla.functions entries of the attention family (NNabla 1.39)."""

from __future__ import annotations

from typing import Any

import nnfunc.functions as F
from nnfunc.core import check, shapes
from nnfunc.functions.attention._common import tensor

__all__ = ["multi_head_attention"]

_OP = "multi_head_attention"


def multi_head_attention(
    query: Any,
    key: Any,
    value: Any,
    num_heads: int,
    q_weight: Any,
    k_weight: Any,
    v_weight: Any,
    out_weight: Any,
    q_bias: Any = None,
    k_bias: Any = None,
    v_bias: Any = None,
    out_bias: Any = None,
    attn_bias_k: Any = None,
    attn_bias_v: Any = None,
    dropout: float = 0.0,
    additive_mask: Any = None,
    key_padding_mask: Any = None,
    *,
    name: str | None = None,
) -> tuple[Any, Any]:
    """MultiHeadAttention, time-major: returns the output and the attention weights.

    query ``(L_T, B, D_q)``, key ``(L_S, B, D_k)``, value ``(L_S, B, D_v)``; weights
    ``q_weight (D_q, E)``, ``k_weight (D_k, E)``, ``v_weight (D_v, E_v)``, ``out_weight
    (E_v, E_out)`` (the page writes ``(D_v, E_out)``: its rows meet the ``E_v`` attention
    features); optional biases ``(E,)``, ``(E,)``, ``(E_v,)``, ``(E_out,)``. ``attn_bias_k``
    ``(E,)`` and ``attn_bias_v`` ``(E_v,)`` append one more key and value (masks get a
    column that attends). ``num_heads`` divides E (the page's "Default is 12" is not in the
    signature: it is required). Logits are scaled by ``(E / num_heads) ** -0.5``.
    ``dropout`` drops attention weights (drop rate, global random stream).
    ``additive_mask (L_T, L_S)`` is added to the logits; ``key_padding_mask (B, L_S)`` holds
    1 (padding, ignored) or 0. See :func:`nnfunc.multi_head_attention`.

    Args:
        query: ``(L_T, B, D_q)``.
        key: ``(L_S, B, D_k)``.
        value: ``(L_S, B, D_v)``.
        num_heads (int): Number of heads H.
        q_weight: ``(D_q, E)``.
        k_weight: ``(D_k, E)``.
        v_weight: ``(D_v, E_v)``.
        out_weight: ``(E_v, E_out)``.
        q_bias, k_bias, v_bias, out_bias (optional): ``(E,)``, ``(E,)``, ``(E_v,)``,
            ``(E_out,)``.
        attn_bias_k, attn_bias_v (optional): ``(E,)``, ``(E_v,)``.
        dropout (float): Drop rate of the attention weights. Default 0.
        additive_mask (optional): ``(L_T, L_S)``, added to the logits.
        key_padding_mask (optional): ``(B, L_S)``, 1 = padding.
        name (str, optional): Node name in graph mode (outputs ``name:0``, ``name:1``).

    Returns:
        ``(y, attention_weights)``: ``y (L_T, B, E_out)`` and the weights averaged over the
        heads ``(B, L_T, L_S)`` (``L_S + 1`` with ``attn_bias_k``; the page calls it
        ``h_n``), after dropout.

    Raises:
        ShapeError: inputs not rank 3, weights or biases of the wrong shape, E not a multiple
            of ``num_heads``, masks of the wrong shape. ArgumentError: ``dropout`` outside
            ``[0, 1)``, ``num_heads`` not positive.

    Notes:
        A query whose every key is padding gives output 0 and weights 0 (NNabla's softmax of
        an all ``-inf`` row gives NaN).

    Examples:
        >>> from nnfunc.compat import nnabla
        >>> F = nnabla.functions
        >>> rng = np.random.default_rng(0)
        >>> x = rng.standard_normal((5, 2, 8)).astype("float32")    # (L, B, D)
        >>> w = [rng.standard_normal((8, 8)).astype("float32") for _ in range(4)]
        >>> y, h = F.multi_head_attention(x, x, x, 2, *w)
        >>> y.shape, h.shape
        ((5, 2, 8), (2, 5, 5))
    """
    with shapes.node_errors(name, query, key, value, additive_mask, key_padding_mask):
        query = tensor(_OP, "query", query)
        additive_mask = tensor(_OP, "additive_mask", additive_mask, optional=True)
        key_padding_mask = tensor(_OP, "key_padding_mask", key_padding_mask, optional=True)
        mask = None
        if key_padding_mask is not None:
            check.ndim(_OP, "key_padding_mask", key_padding_mask, 2)
            pad = key_padding_mask
            keep = F.logical_not(pad) if pad.dtype == bool else F.equal(pad, 0)
            mask = F.expand_dims(F.expand_dims(keep, 1), 1)
        if additive_mask is not None:
            check.ndim(_OP, "additive_mask", additive_mask, 2)
            if additive_mask.dtype.kind != "f":
                additive_mask = F.cast(additive_mask, query.dtype)
    return F.multi_head_attention(
        query,
        key,
        value,
        num_heads,
        q_weight,
        k_weight,
        v_weight,
        out_weight,
        q_bias,
        k_bias,
        v_bias,
        out_bias,
        attn_bias_k,
        attn_bias_v,
        dropout,
        bias=additive_mask,
        mask=mask,
        time_major=True,
        need_weights=True,
        name=name,
    )
