"""Multi-head attention: projections, heads, attention, output projection (a composite)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import nnfunc.functions as F
import nnfunc.random
from nnfunc.core import check, shapes
from nnfunc.core.function import Function
from nnfunc.core.spec import TensorSpec
from nnfunc.errors import ArgumentError, ShapeError
from nnfunc.functions.array._shape_ops import broadcast_to_like
from nnfunc.functions.attention._common import (
    CausalKeep,
    MergeHeads,
    SplitHeads,
    known,
    run_time_scale,
    tensor,
)
from nnfunc.functions.attention._dot_product import check_bias_mask, dot_product_attention

__all__ = ["multi_head_attention"]

OP = "multi_head_attention"


class _Outputs(Function):
    """The identity on several tensors: one graph node named ``name`` (``name:0``, ...)."""

    op_name = OP

    def setup(self, *xs: Any) -> tuple[TensorSpec, ...]:
        self.input_names = tuple(f"x{i}" for i in range(len(xs)))
        return tuple(TensorSpec(tuple(x.shape), np.dtype(x.dtype)) for x in xs)

    def forward(self, xp: Any, *xs: Any) -> tuple[Any, ...]:
        return xs

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        return tuple(grad_outputs)


def _shape_error(arg: str, requirement: str, **received: Any) -> ShapeError:
    return ShapeError(check.message(OP, arg, requirement, **received))


def _check_weight(arg: str, w: Any, rows: Any, cols: Any = None) -> Any:
    """A projection weight (rows, cols): rank 2, ``rows`` features in; returns its columns."""
    ws = tuple(w.shape)
    if len(ws) != 2 or not (rows is None or ws[0] is None or ws[0] == rows):
        raise _shape_error(
            arg, f"have shape ({rows}, E)", **{f"{arg}.shape": ws, "input features": rows}
        )
    if cols is not None and ws[1] is not None and ws[1] != cols:
        raise _shape_error(arg, f"have shape ({rows}, {cols})", **{f"{arg}.shape": ws})
    return ws[1]


def _check_vector(arg: str, b: Any, size: Any) -> None:
    if b is None:
        return
    bs = tuple(b.shape)
    if len(bs) != 1 or not (size is None or bs[0] is None or bs[0] == size):
        raise _shape_error(arg, f"have shape ({size},)", **{f"{arg}.shape": bs})


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
    bias: Any = None,
    mask: Any = None,
    is_causal: bool = False,
    scale: float | None = None,
    *,
    time_major: bool = False,
    need_weights: bool = False,
    seed: Any = None,
    name: str | None = None,
) -> Any:
    """Multi-head attention with input and output projections.

    .. math::
        y = \\operatorname{concat}_n\\big(\\operatorname{attention}(Q W_q^{(n)} + b_q,\\,
        K W_k^{(n)} + b_k,\\, V W_v^{(n)} + b_v)\\big)\\, W_o + b_o

    Each head ``n`` takes columns ``[n E/N, (n+1) E/N)`` of the projections; the attention is
    :func:`dot_product_attention` with scale ``1 / sqrt(E / N)`` unless ``scale`` is given.

    Args:
        query (array, Variable or SymbolicVariable): ``(B, T, Dq)`` (``(T, B, Dq)`` with
            ``time_major``).
        key (array, Variable or SymbolicVariable): ``(B, S, Dk)``.
        value (array, Variable or SymbolicVariable): ``(B, S, Dv)``.
        num_heads (int): N, a divisor of E and Ev.
        q_weight, k_weight (array, Variable or SymbolicVariable): ``(Dq, E)``, ``(Dk, E)``.
        v_weight (array, Variable or SymbolicVariable): ``(Dv, Ev)``.
        out_weight (array, Variable or SymbolicVariable): ``(Ev, Eo)``.
        q_bias, k_bias, v_bias, out_bias (optional): ``(E,)``, ``(E,)``, ``(Ev,)``, ``(Eo,)``.
        attn_bias_k, attn_bias_v (optional, together): ``(E,)``, ``(Ev,)``: one more key and
            value (the same for every batch entry) appended after the projections (S + 1
            keys; masks and biases are extended with an attending, zero-bias column).
        dropout (float): Drop rate of the attention weights, in ``[0, 1)``; inverted dropout
            (:func:`nnfunc.dropout`), so apply it in training only.
        bias (optional): Floating, added to the scores, broadcastable to ``(B, N, T, S)``.
        mask (optional): Boolean, True = attend, broadcastable to ``(B, N, T, S)``.
        is_causal (bool): Query ``t`` sees keys ``s <= t``.
        scale (float, optional): Score factor; default ``1 / sqrt(E / N)``.
        time_major (bool): Sequence-first ``(L, B, D)`` inputs and output (NNabla, PyTorch).
        need_weights (bool): Also return the attention weights averaged over heads,
            ``(B, T, S)`` (S + 1 with ``attn_bias_k``), after dropout.
        seed (int or numpy.random.Generator, optional): Seed of the dropout mask.
        name (str, optional): Node name in graph mode (with ``need_weights``: the node of
            both outputs, ``name:0`` and ``name:1``).

    Returns:
        ``y`` ``(B, T, Eo)`` (``(T, B, Eo)`` time-major), or ``(y, weights)`` with
        ``need_weights``; the floating dtype of the inputs.

    Raises:
        ShapeError: inputs not rank 3, batch sizes or key/value lengths that differ, weights
            or biases of the wrong shape, E or Ev not a multiple of ``num_heads``, masks or
            biases not broadcastable to ``(B, N, T, S)``.
        ArgumentError: ``num_heads`` not a positive int, ``dropout`` outside ``[0, 1)``, one
            of ``attn_bias_k``/``attn_bias_v`` without the other, a bad ``seed``.
        DTypeError: a non-boolean ``mask`` or non-floating ``bias``; non-tensor inputs.

    Notes:
        Without ``need_weights`` and dropout, the attention runs the memory-bounded kernel of
        :func:`dot_product_attention`; returning the weights (or dropping some) needs the
        ``(B, N, T, S)`` probabilities, computed with :func:`nnfunc.softmax` (the same masks:
        causal, ``mask``, rows with no key left give 0). Gradients flow to every tensor
        argument. Dialects: ``nnabla.functions.multi_head_attention`` (time-major, returns
        both outputs; ``additive_mask`` -> ``bias``, ``key_padding_mask`` 1 -> ``mask``
        False); SameDiff ``nn.multiHeadDotProductAttention`` (feature-major, per-head weights
        ``[numHeads, projected, features]`` reshaped to ``(features, N * projected)``, no
        biases). keras.ops and tf.nn document no multi-head attention. PyTorch's
        ``nn.MultiheadAttention`` is this with its weights transposed and ``key_padding_mask``
        inverted (``mask = ~key_padding_mask[:, None, None, :]``).

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> rng = np.random.default_rng(0)
        >>> x = rng.standard_normal((2, 5, 8))
        >>> w = [rng.standard_normal((8, 8)) for _ in range(4)]
        >>> y, a = nf.multi_head_attention(x, x, x, 2, *w, need_weights=True)
        >>> y.shape, a.shape
        ((2, 5, 8), (2, 5, 5))
        >>> bool(np.allclose(a.sum(-1), 1))
        True
    """
    tensors = (query, key, value, q_weight, k_weight, v_weight, out_weight)
    optional = (q_bias, k_bias, v_bias, out_bias, attn_bias_k, attn_bias_v, bias, mask)
    with shapes.node_errors(name, *tensors, *optional):
        names = ("query", "key", "value", "q_weight", "k_weight", "v_weight", "out_weight")
        query, key, value, q_weight, k_weight, v_weight, out_weight = (
            tensor(OP, n, x) for n, x in zip(names, tensors, strict=True)
        )
        onames = ("q_bias", "k_bias", "v_bias", "out_bias", "attn_bias_k", "attn_bias_v")
        q_bias, k_bias, v_bias, out_bias, attn_bias_k, attn_bias_v = (
            tensor(OP, n, x, optional=True) for n, x in zip(onames, optional[:6], strict=True)
        )
        bias = tensor(OP, "bias", bias, optional=True)
        mask = tensor(OP, "mask", mask, optional=True)
        heads = check.positive_int(OP, "num_heads", num_heads)
        time_major = check.boolean(OP, "time_major", time_major)
        need_weights = check.boolean(OP, "need_weights", need_weights)
        is_causal = check.boolean(OP, "is_causal", is_causal)
        rate = check.real_scalar(
            OP, "dropout", dropout, min_value=0.0, max_value=1.0, open_max=True
        )
        seed = nnfunc.random.validate_seed(OP, seed)
        if (attn_bias_k is None) != (attn_bias_v is None):
            raise ArgumentError(
                check.message(
                    OP,
                    "attn_bias_k and attn_bias_v",
                    "be given together",
                    attn_bias_k=None if attn_bias_k is None else "given",
                    attn_bias_v=None if attn_bias_v is None else "given",
                )
            )
        for arg, x in (("query", query), ("key", key), ("value", value)):
            check.ndim(OP, arg, x, 3)
        bt = 1 if time_major else 0
        qs, ks, vs = tuple(query.shape), tuple(key.shape), tuple(value.shape)
        batches = {x[bt] for x in (qs, ks, vs) if x[bt] is not None}
        if len(batches) > 1:
            raise _shape_error(
                "`query`, `key` and `value`",
                "have the same batch size",
                **{"query.shape": qs, "key.shape": ks, "value.shape": vs},
            )
        if known(ks[1 - bt], vs[1 - bt]) and ks[1 - bt] != vs[1 - bt]:
            raise _shape_error(
                "value", "have the length of `key`", **{"key.shape": ks, "value.shape": vs}
            )
        e = _check_weight("q_weight", q_weight, qs[2])
        e = (
            _check_weight("k_weight", k_weight, ks[2], e)
            if e is not None
            else (_check_weight("k_weight", k_weight, ks[2]))
        )
        ev = _check_weight("v_weight", v_weight, vs[2])
        _check_weight("out_weight", out_weight, ev)
        eo = tuple(out_weight.shape)[1]
        for arg, size in (("E", e), ("Ev", ev)):
            if size is not None and size % heads:
                raise _shape_error(
                    "embedding dimension " + arg,
                    "be a multiple of num_heads",
                    **{arg: size, "num_heads": heads},
                )
        for arg, b, size in (
            ("q_bias", q_bias, e),
            ("k_bias", k_bias, e),
            ("v_bias", v_bias, ev),
            ("out_bias", out_bias, eo),
            ("attn_bias_k", attn_bias_k, e),
            ("attn_bias_v", attn_bias_v, ev),
        ):
            _check_vector(arg, b, size)
        b = qs[bt]
        t, s = qs[1 - bt], ks[1 - bt]
        check_bias_mask(OP, bias, mask, (b, heads, t, s))
        if scale is None and e is not None:
            scale = 1.0 / math.sqrt(e // heads) if e else 1.0
        elif scale is not None:
            scale = check.real_scalar(OP, "scale", scale)
        if time_major:
            query, key, value = (F.transpose(x, (1, 0, 2)) for x in (query, key, value))
        q = F.linear(query, q_weight, q_bias)
        k = F.linear(key, k_weight, k_bias)
        v = F.linear(value, v_weight, v_bias)
        if attn_bias_k is not None:
            k = _append(k, attn_bias_k)
            v = _append(v, attn_bias_v)
            if bias is not None and len(bias.shape) and bias.shape[-1] != 1:
                bias = F.pad(bias, [(0, 0)] * (len(bias.shape) - 1) + [(0, 1)])
            if mask is not None and len(mask.shape) and mask.shape[-1] != 1:
                mask = F.pad(mask, [(0, 0)] * (len(mask.shape) - 1) + [(0, 1)], constant_value=1)
        qh, kh, vh = (SplitHeads(heads).apply1(x) for x in (q, k, v))
        if need_weights or rate > 0:
            # E unknown when the graph is built: 1 / sqrt(E / N) from the run
            sc = run_time_scale(qh) if scale is None else scale
            o, w = _explicit(qh, kh, vh, bias, mask, sc, is_causal, rate, seed)
        else:
            o = dot_product_attention(qh, kh, vh, bias, mask, scale, is_causal)
            w = None
        y = F.linear(MergeHeads().apply1(o), out_weight, out_bias)
        if time_major:
            y = F.transpose(y, (1, 0, 2))
    if not need_weights:
        return F.identity(y, name=name) if name is not None else y
    return _Outputs().apply(y, w, name=name)


def _append(x: Any, extra: Any) -> Any:
    """``x`` (B, S, E) with ``extra`` (E,) appended as position S for every batch entry."""
    first = F.getitem(x, (slice(None), slice(0, 1)))
    target = first if getattr(first, "_is_symbolic", False) else tuple(first.shape)
    return F.concatenate(x, broadcast_to_like(extra, target), axis=1)


def _explicit(
    q: Any, k: Any, v: Any, bias: Any, mask: Any, scale: float, causal: bool, rate: float, seed
) -> tuple[Any, Any]:
    """Attention through the full probabilities: output (B, T, N, Hv), weights (B, T, S)."""
    qb, kb, vb = (F.transpose(x, (0, 2, 1, 3)) for x in (q, k, v))
    s = F.matmul(qb, F.transpose(kb, (0, 1, 3, 2))) * scale
    if bias is not None:
        s = s + bias
    keep = mask
    if causal:
        tri = CausalKeep().apply1(qb, kb)
        keep = tri if keep is None else F.logical_and(keep, tri)
    p = F.softmax(s, axis=-1, where=keep)
    if rate > 0:
        p = F.dropout(p, rate, seed=seed)
    o = F.transpose(F.matmul(p, vb), (0, 2, 1, 3))
    return o, F.mean(p, axis=1)
