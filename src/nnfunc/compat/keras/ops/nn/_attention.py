"""keras.ops.nn entries of the attention family (Keras 3)."""

from __future__ import annotations

from typing import Any

import nnfunc.functions as F
from nnfunc.core import check
from nnfunc.errors import UnsupportedError

__all__ = ["dot_product_attention"]


def dot_product_attention(
    query: Any,
    key: Any,
    value: Any,
    bias: Any = None,
    mask: Any = None,
    scale: float | None = None,
    is_causal: bool = False,
    flash_attention: bool | None = None,
    attn_logits_soft_cap: float | None = None,
    *,
    name: str | None = None,
) -> Any:
    """Scaled dot-product attention, ``softmax(Q K^T * scale + bias) V``, Keras layout.

    Query ``(B, T, N, H)``, key and value ``(B, S, K, H)``: K == N multi-head, N a multiple
    of K grouped-query, K == 1 multi-query attention. ``bias`` is added to the logits and
    ``mask`` is BOOLEAN (True = the element takes part; an additive mask goes to ``bias``),
    both broadcastable to ``(B, N, T, S)``. ``scale`` defaults to ``1 / sqrt(H)``;
    ``is_causal`` keeps the lower triangle ``tril(ones(T, S))``. float16 inputs are computed
    with a float32 softmax. See :func:`nnfunc.dot_product_attention` (the same function, with
    ``layout="BTNH"``).

    Args:
        query: ``(B, T, N, H)``.
        key: ``(B, S, K, H)``.
        value: ``(B, S, K, H)``.
        bias (optional): Additive, broadcastable to ``(B, N, T, S)``.
        mask (optional): Boolean, broadcastable to ``(B, N, T, S)``.
        scale (float, optional): Logit scale. Default ``1 / sqrt(H)``.
        is_causal (bool): Apply the causal mask.
        flash_attention (bool, optional): Accepted as Keras 3.15 does (after the page's
            arguments); nnfunc always runs its memory-bounded blocked kernel, whatever the value.
        attn_logits_soft_cap (float, optional): Keras 3.15's logit soft cap; only None is
            supported (UnsupportedError otherwise).
        name (str, optional): Node name in graph mode.

    Returns:
        The attention output, shape and dtype of ``query``.

    Raises:
        ShapeError: mismatched shapes, N not a multiple of K, ``bias``/``mask`` not
            broadcastable. DTypeError: a non-boolean ``mask``.
        UnsupportedError: ``attn_logits_soft_cap`` is not None.

    Notes:
        A query whose every key is masked gives 0 (and gradient 0); Keras' backends fill
        masked logits with a large negative number, which gives such a row the uniform
        average of the values instead (DESIGN: masked softmax rows are 0, never a guess).

    Examples:
        >>> rng = np.random.default_rng(0)
        >>> query = rng.standard_normal((2, 4, 8, 16)).astype("float32")
        >>> key = rng.standard_normal((2, 6, 8, 16)).astype("float32")
        >>> value = rng.standard_normal((2, 6, 8, 16)).astype("float32")
        >>> keras.ops.nn.dot_product_attention(query, key, value).shape
        (2, 4, 8, 16)
    """
    if attn_logits_soft_cap is not None:
        raise UnsupportedError(
            check.message(
                "dot_product_attention",
                "attn_logits_soft_cap",
                "be None (nnfunc has no logit soft cap)",
                attn_logits_soft_cap=attn_logits_soft_cap,
            )
        )
    return F.dot_product_attention(
        query, key, value, bias, mask, scale, is_causal, layout="BTNH", name=name
    )
