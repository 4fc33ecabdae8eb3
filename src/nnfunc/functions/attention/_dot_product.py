"""Scaled dot-product attention: one recorded Function over the blocked kernel.

:class:`DotProductAttention` (query ``(B, N, T, H)``, key ``(B, K, S, H)``, value
``(B, K, S, Hv)``, rank-4 bias and mask) runs :func:`nnfunc.kernels.cpu.attention.attention_forward`
(online softmax over key blocks, never the ``(T, S)`` matrix) and keeps the row log-sum-exp;
its backward is :class:`DotProductAttentionGrad`, whose forward is the blocked FlashAttention
backward that recomputes each tile's probabilities from that log-sum-exp, and whose own
backward (second order) is written with nnfunc functions on the full score matrix (slow, exact).
The public :func:`dot_product_attention` validates, moves the given layout to ``BNTH`` and back.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import nnfunc.functions as F
from nnfunc.core import check, shapes
from nnfunc.core.dtypes import real_dtype
from nnfunc.core.function import Function
from nnfunc.core.spec import TensorSpec
from nnfunc.errors import DTypeError, ShapeError
from nnfunc.functions.attention._common import (
    CausalKeep,
    FoldHeads,
    LengthKeep,
    RepeatHeads,
    check_lengths,
    known,
    parse_layout,
    run_time_scale,
    tensor,
)
from nnfunc.kernels.cpu.attention import attention_backward, attention_forward

__all__ = ["dot_product_attention"]

OP = "dot_product_attention"


class DotProductAttention(Function):
    """``softmax(scale * q k^T + bias, where=mask [and causal]) v`` in the BNTH layout."""

    op_name = OP
    input_names = ("query", "key", "value", "bias", "mask")
    retain_in = (0, 1, 2, 3, 4)
    retain_out = (0,)
    _stats: Any = None

    def __init__(self, scale: float | None, causal: bool) -> None:
        self.scale = scale
        self.causal = causal

    def setup(self, q: Any, k: Any, v: Any, bias: Any = None, mask: Any = None) -> tuple:
        if None not in (*q.shape, *k.shape, *v.shape):
            # the wrapper checked what was known when a graph was built; the sizes it could not
            # see (a placeholder's None) are checked here when the graph runs
            _check_inputs(q, k, v, bias, mask, (0, 1, 2, 3), None)
        b, n, t, _ = q.shape
        hv = v.shape[3]
        self.out_dtype = real_dtype(q.dtype)
        return (TensorSpec((b, n, t, hv), self.out_dtype),)

    def _scale(self, q: Any) -> float:
        if self.scale is not None:
            return self.scale
        h = q.shape[-1]
        return 1.0 / math.sqrt(h) if h else 1.0

    def forward(self, xp: Any, q: Any, k: Any, v: Any, bias: Any = None, mask: Any = None):
        out, lse = attention_forward(q, k, v, bias, mask, self._scale(q), self.causal)
        out = out.astype(self.out_dtype, copy=False)
        self._stats = (out, lse)
        return (out,)

    def _free(self) -> None:
        super()._free()
        self._stats = None

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        q, k, v, bias, mask = self.retained_inputs()
        (out,) = self.retained_outputs()
        grad = DotProductAttentionGrad(self, 3 in target_indexes and bias is not None)
        gs = grad.apply(q, k, v, bias, mask, out, grad_outputs[0])
        gbias = gs[3] if len(gs) > 3 else None
        return (gs[0], gs[1], gs[2], gbias, None)


class DotProductAttentionGrad(Function):
    """Gradients of query, key, value (and bias) of :class:`DotProductAttention`.

    Forward: the blocked kernel, with the log-sum-exp its forward kept when ``out`` is that
    forward's output (else recomputed). Backward: exact second order in nnfunc functions.
    """

    op_name = "dot_product_attention_grad"
    input_names = ("query", "key", "value", "bias", "mask", "out", "gy")
    retain_in = (0, 1, 2, 3, 4, 6)

    def __init__(self, owner: DotProductAttention, bias_grad: bool) -> None:
        self.owner = owner
        self.scale = owner.scale
        self.causal = owner.causal
        self.bias_grad = bias_grad

    def setup(self, q: Any, k: Any, v: Any, bias: Any, mask: Any, out: Any, gy: Any) -> tuple:
        dt = real_dtype(q.dtype)
        specs = [
            TensorSpec(tuple(q.shape), dt),
            TensorSpec(tuple(k.shape), dt),
            TensorSpec(tuple(v.shape), dt),
        ]
        if self.bias_grad:
            specs.append(TensorSpec(tuple(bias.shape), real_dtype(bias.dtype)))
        return tuple(specs)

    def forward(self, xp: Any, q: Any, k: Any, v: Any, bias: Any, mask: Any, out: Any, gy: Any):
        scale = self.owner._scale(q)
        stats = self.owner._stats
        if stats is not None and stats[0] is out:
            lse = stats[1]
            o = out
        else:
            o, lse = attention_forward(q, k, v, bias, mask, scale, self.causal)
        gq, gk, gv, gb = attention_backward(
            q, k, v, bias, mask, scale, self.causal, o, lse, gy, self.bias_grad
        )
        dt = real_dtype(q.dtype)
        outs = [gq.astype(dt, copy=False), gk.astype(dt, copy=False), gv.astype(dt, copy=False)]
        if self.bias_grad:
            outs.append(gb.astype(real_dtype(bias.dtype), copy=False))
        return tuple(outs)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        q, k, v, bias, mask, gy = self.retained_inputs()
        ggq, ggk, ggv = grad_outputs[:3]
        ggb = grad_outputs[3] if self.bias_grad else None
        n, kh = self.input_spec(0).shape[1], self.input_spec(1).shape[1]
        # numbers of heads or H unknown when the graph is built: taken from the run (a guess
        # here once gave scale 1 for an unknown H: wrong second derivatives, silently)
        g = n // kh if known(n, kh) else None
        scale = self.scale
        if scale is None:
            h = self.input_spec(0).shape[3]
            scale = run_time_scale(q) if h is None else 1.0 / math.sqrt(h) if h else 1.0

        def expand(x: Any) -> Any:  # key heads -> query heads (head n reads key head n // g)
            if g is None:
                return RepeatHeads().apply1(x, q)
            return x if g == 1 else F.getitem(x, (slice(None), np.repeat(np.arange(kh), g)))

        def fold(x: Any) -> Any:  # query heads -> key heads (sum over each group)
            if g is None:
                return FoldHeads().apply1(x, k)
            if g == 1:
                return x
            total = None
            for j in range(g):
                part = F.getitem(x, (slice(None), slice(j, None, g)))
                total = part if total is None else total + part
            return total

        def t(x: Any) -> Any:
            return F.transpose(x, (0, 1, 3, 2))

        ke, ve = expand(k), expand(v)
        s = F.matmul(q, t(ke)) * scale
        if bias is not None:
            s = s + bias
        keep = mask
        if self.causal:
            tri = CausalKeep().apply1(q, k)
            keep = tri if keep is None else F.logical_and(keep, tri)
        p = F.softmax(s, axis=-1, where=keep)
        dp = F.matmul(gy, t(ve))
        bsum = F.sum(p * dp, axis=-1, keepdims=True)
        ds = p * (dp - bsum)
        w = F.matmul(ggq, t(ke)) * scale + F.matmul(q, t(expand(ggk))) * scale
        if ggb is not None:
            w = w + ggb
        a = F.sum(p * w, axis=-1, keepdims=True)
        pbar = dp * w - bsum * w - a * dp + F.matmul(gy, t(expand(ggv)))
        dpbar = p * (w - a)
        sbar = p * (pbar - F.sum(p * pbar, axis=-1, keepdims=True))
        gq = (F.matmul(ds, expand(ggk)) + F.matmul(sbar, ke)) * scale
        gk = fold(F.matmul(t(ds), ggq) + F.matmul(t(sbar), q)) * scale
        gv = fold(F.matmul(t(dpbar), gy))
        ggy = F.matmul(p, expand(ggv)) + F.matmul(dpbar, ve)
        gbias = self.sum_to_input(sbar, 3) if bias is not None and 3 in target_indexes else None
        return (gq, gk, gv, gbias, None, None, ggy)


# ---------------------------------------------------------------------------- validation
def _check_inputs(
    q: Any, k: Any, v: Any, bias: Any, mask: Any, axes: tuple[int, ...], scale: Any
) -> tuple[Any, ...]:
    """Validate shapes, dtypes and ``scale``; return ``scale`` (a float or None)."""
    rank = 4 if axes[1] >= 0 else 3
    for arg, x in (("query", q), ("key", k), ("value", v)):
        check.ndim(OP, arg, x, rank)
    check.same_dtype(OP, ("query", "key", "value"), (q, k, v))

    def dims(x: Any) -> tuple[Any, ...]:
        s = tuple(x.shape)
        return tuple(s[a] if a >= 0 else 1 for a in axes)

    (b, n, t, h), (bk, kh, s, hk), (bv, kv, sv, _) = dims(q), dims(k), dims(v)
    qs, ks, vs = tuple(q.shape), tuple(k.shape), tuple(v.shape)
    batches = [x for x in (b, bk, bv) if x is not None]
    if len(set(batches)) > 1:
        raise ShapeError(
            check.message(
                OP,
                "`query`, `key` and `value`",
                "have the same batch size",
                **{"query.shape": qs, "key.shape": ks, "value.shape": vs},
            )
        )
    if known(h, hk) and h != hk:
        raise ShapeError(
            check.message(
                OP,
                "key",
                "have the head dimension H of `query`",
                **{"query.shape": qs, "key.shape": ks},
            )
        )
    if (known(s, sv) and s != sv) or (known(kh, kv) and kh != kv):
        raise ShapeError(
            check.message(
                OP,
                "value",
                "have the length and number of heads of `key`",
                **{"key.shape": ks, "value.shape": vs},
            )
        )
    if known(n, kh) and (kh == 0 or n % kh):
        raise ShapeError(
            check.message(
                OP,
                "the number of query heads N",
                "be a multiple of the number of key/value heads K",
                N=n,
                K=kh,
            )
        )
    check_bias_mask(OP, bias, mask, (b, n, t, s))
    if scale is not None:
        scale = check.real_scalar(OP, "scale", scale)
    return scale


def check_bias_mask(op: str, bias: Any, mask: Any, full: tuple[Any, ...]) -> None:
    """``bias`` floating and ``mask`` boolean, both broadcastable to ``full`` (B, N, T, S)."""
    for arg, x in (("bias", bias), ("mask", mask)):
        if x is None:
            continue
        xs = tuple(x.shape)
        fits = len(xs) <= 4 and all(
            d in (1, f) or d is None or f is None
            for d, f in zip(xs[::-1], full[::-1], strict=False)
        )
        if not fits:
            raise ShapeError(
                check.message(
                    op,
                    arg,
                    "be broadcastable to (B, N, T, S)",
                    **{f"{arg}.shape": xs, "(B, N, T, S)": full},
                )
            )
    if mask is not None and np.dtype(mask.dtype) != np.bool_:
        raise DTypeError(
            check.message(
                op,
                "mask",
                "have dtype bool (True = attend; an additive mask goes to `bias`)",
                **{"mask.dtype": mask.dtype},
            )
        )
    if bias is not None and np.dtype(bias.dtype).kind != "f":
        raise DTypeError(
            check.message(
                op,
                "bias",
                "have a floating dtype (a boolean mask goes to `mask`)",
                **{"bias.dtype": bias.dtype},
            )
        )


def _to_rank4(x: Any) -> Any:
    """Prepend size-1 axes up to rank 4 (bias and mask broadcast from the right)."""
    while len(x.shape) < 4:
        x = F.expand_dims(x, 0)
    return x


def _to_bnth(x: Any, axes: tuple[int, ...]) -> Any:
    if axes[1] < 0:  # one head: add it
        order = (axes[0], axes[2], axes[3])
        if order != (0, 1, 2):
            x = F.transpose(x, order)
        return F.expand_dims(x, 1)
    if axes != (0, 1, 2, 3):
        x = F.transpose(x, axes)
    return x


def _from_bnth(y: Any, axes: tuple[int, ...], name: str | None) -> Any:
    if axes[1] < 0:
        order = (axes[0], axes[2], axes[3])
        inverse = tuple(int(i) for i in np.argsort(order))
        if inverse == (0, 1, 2):
            return F.squeeze(y, 1, name=name)
        return F.transpose(F.squeeze(y, 1), inverse, name=name)
    inverse = tuple(int(i) for i in np.argsort(axes))
    return F.transpose(y, inverse, name=name)


def dot_product_attention(
    query: Any,
    key: Any,
    value: Any,
    bias: Any = None,
    mask: Any = None,
    scale: float | None = None,
    is_causal: bool = False,
    *,
    layout: str = "BTNH",
    key_lengths: Any = None,
    name: str | None = None,
) -> Any:
    """Scaled dot-product attention, memory-bounded, with grouped-query heads and masks.

    .. math::
        y = \\operatorname{softmax}_S\\big(\\text{scale}\\cdot Q K^\\top + \\text{bias},\\;
        \\text{where}=\\text{mask} \\wedge \\text{causal} \\wedge \\text{lengths}\\big)\\, V

    Notation: B batch, T query length, S key/value length, N query heads, K key/value heads
    (N a multiple of K: K == N multi-head, 1 < K < N grouped-query, K == 1 multi-query
    attention; query head n reads key head ``n // (N // K)``), H features per head of query
    and key, Hv of value.

    Args:
        query (array, Variable or SymbolicVariable): ``(B, T, N, H)`` in the default layout.
        key (array, Variable or SymbolicVariable): ``(B, S, K, H)``.
        value (array, Variable or SymbolicVariable): ``(B, S, K, Hv)``.
        bias (array, Variable or SymbolicVariable, optional): Floating, added to the scaled
            scores; broadcastable to ``(B, N, T, S)`` (whatever the layout). ``-inf`` entries
            act as a mask.
        mask (array, Variable or SymbolicVariable, optional): Boolean, True = the key takes
            part; broadcastable to ``(B, N, T, S)``.
        scale (float, optional): Factor of the scores. Default ``1 / sqrt(H)``.
        is_causal (bool): Query ``t`` sees keys ``s <= t`` only (the lower triangle aligned at
            the top left for T != S, as Keras and PyTorch align it).
        layout (str): Axis order of query, key and value: a permutation of ``"BTNH"``
            (``T`` reads S, ``N`` reads K for key and value), or of ``"BTH"`` for one head.
            ``"BTNH"`` (default, Keras), ``"BNTH"`` (PyTorch), ``"BNHT"`` / ``"BHT"``
            (SameDiff feature-major), ``"TBNH"`` (time-major).
        key_lengths (array, Variable or SymbolicVariable, optional): Integer ``(B,)``: keys
            ``s >= key_lengths[b]`` are padding (masked).
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as ``query``: the layout's shape with ``(B, T, N, Hv)``, query's floating
        dtype (integers give float32).

    Raises:
        ShapeError: a rank other than the layout's, batch sizes, head dimensions, key/value
            lengths or heads that differ, N not a multiple of K, ``bias`` or ``mask`` not
            broadcastable to ``(B, N, T, S)``, ``key_lengths`` not ``(B,)``.
        DTypeError: query, key and value of different dtypes, a non-boolean ``mask``, a
            non-floating ``bias``, a non-integer ``key_lengths``, non-tensors.
        ArgumentError: an unknown ``layout``, a non-finite ``scale``, a non-boolean
            ``is_causal``.

    Notes:
        Memory-bounded: the scores are computed tile by tile (key heads x query rows x key
        columns) with an online softmax; only the row log-sum-exp ``(B, N, T)`` is kept for
        the backward pass, which recomputes each tile (FlashAttention). Causal tiles above the
        diagonal are skipped. float16 is computed in float32 (softmax included).
        A row whose every key is masked gives 0 with gradient 0 (never NaN); masks are
        applied with ``where`` (never a large negative number). Gradients: the usual
        ``dV = P^T dY``, ``dS = P (dY V^T - rowsum(dY * Y))``, ``dQ = scale dS K``, ``dK =
        scale dS^T Q``, ``dbias = dS`` summed to its shape; second order exact (slower: it
        builds the full score matrix).
        Dialects: ``keras.ops.nn.dot_product_attention(query, key, value, bias, mask, scale,
        is_causal)`` is this function; SameDiff ``nn.dotProductAttention(queries, keys,
        values, mask, scaled)`` uses ``layout="BHT"`` (or ``"BNHT"``), ``mask [batch, time]``
        with 0 = skip and ``scaled`` -> ``1 / sqrt(featureKeys)`` or 1; NNabla has it inside
        ``multi_head_attention``; tf.nn has no attention.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> rng = np.random.default_rng(0)
        >>> q = rng.standard_normal((2, 4, 8, 16), dtype=np.float32)
        >>> kv = rng.standard_normal((2, 6, 2, 16), dtype=np.float32)
        >>> nf.dot_product_attention(q, kv, kv).shape
        (2, 4, 8, 16)
        >>> v = np.array([[[[1.0]], [[3.0]]]])
        >>> nf.dot_product_attention(np.zeros((1, 1, 1, 1)), np.zeros((1, 2, 1, 1)), v)
        array([[[[2.]]]])
    """
    with shapes.node_errors(name, query, key, value, bias, mask, key_lengths):
        query = tensor(OP, "query", query)
        key = tensor(OP, "key", key)
        value = tensor(OP, "value", value)
        bias = tensor(OP, "bias", bias, optional=True)
        mask = tensor(OP, "mask", mask, optional=True)
        key_lengths = tensor(OP, "key_lengths", key_lengths, optional=True)
        is_causal = check.boolean(OP, "is_causal", is_causal)
        axes = parse_layout(OP, layout)
        scale = _check_inputs(query, key, value, bias, mask, axes, scale)
        q, k, v = (_to_bnth(x, axes) for x in (query, key, value))
        if bias is not None:
            bias = _to_rank4(bias)
        if mask is not None:
            mask = _to_rank4(mask)
        if key_lengths is not None:
            check_lengths(OP, key_lengths, query.shape[axes[0]])
            keep = LengthKeep().apply1(key_lengths, k)
            mask = keep if mask is None else F.logical_and(mask, keep)
    plain = axes == (0, 1, 2, 3)
    y = DotProductAttention(scale, is_causal).apply1(
        q, k, v, bias, mask, name=name if plain else None
    )
    return y if plain else _from_bnth(y, axes, name)
