"""The attention dialects: Keras dot_product_attention, SameDiff dotProductAttention and
multiHeadDotProductAttention, NNabla multi_head_attention, against float64 NumPy references, in
eager and graph mode; and the bad-input table (class and exact message, both modes)."""

from __future__ import annotations

import importlib.util
import pathlib

import numpy as np
import pytest

import nnfunc as nf
from nnfunc.compat import keras, nnabla, samediff
from nnfunc.testing import assert_raises_both_modes

_spec = importlib.util.spec_from_file_location(
    "_attention_reference",
    pathlib.Path(__file__).parents[1] / "functions" / "attention" / "_reference.py",
)
ref = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ref)

RNG = np.random.default_rng(0)


def _r(*shape, dtype=np.float64):
    return RNG.standard_normal(shape).astype(dtype)


# ---------------------------------------------------------------------------- Keras
def test_keras_page_example_shape():
    query, key, value = _r(2, 4, 8, 16), _r(2, 6, 8, 16), _r(2, 6, 8, 16)
    y = keras.ops.nn.dot_product_attention(query, key, value)
    assert y.shape == (2, 4, 8, 16)
    np.testing.assert_allclose(y, ref.attention(query, key, value), atol=1e-12)
    assert keras.ops.dot_product_attention is keras.ops.nn.dot_product_attention


def test_keras_bias_mask_scale_causal_gqa():
    q, k, v = _r(2, 5, 4, 3), _r(2, 7, 2, 3), _r(2, 7, 2, 3)
    bias, mask = _r(4, 5, 7), RNG.random((2, 1, 5, 7)) > 0.3
    y = keras.ops.nn.dot_product_attention(q, k, v, bias, mask, 0.5, True)
    np.testing.assert_allclose(y, ref.attention(q, k, v, bias, mask, 0.5, True), atol=1e-12)


def test_keras_float16_uses_a_float32_softmax():
    q, k, v = (_r(1, 3, 2, 8, dtype=np.float16) * 4 for _ in range(3))
    y = keras.ops.nn.dot_product_attention(q, k, v)
    assert y.dtype == np.float16
    np.testing.assert_allclose(y.astype(np.float64), ref.attention(q, k, v), atol=3e-3, rtol=3e-3)


def test_keras_graph_mode():
    q, k, v = _r(2, 3, 2, 4), _r(2, 5, 2, 4), _r(2, 5, 2, 4)
    g = nf.Graph()
    ph = [g.placeholder(n, (None, None, 2, 4), np.float64) for n in "qkv"]
    y = keras.ops.nn.dot_product_attention(*ph, is_causal=True, name="att")
    assert g["att"] is y
    (out,) = g.run([y], dict(zip("qkv", (q, k, v), strict=True)))
    np.testing.assert_allclose(out, ref.attention(q, k, v, causal=True), atol=1e-12)


# ---------------------------------------------------------------------------- SameDiff
def _samediff_ref(q, k, v, mask, scaled):
    """Feature-major [batch, features, time] (rank 4: heads at 1) reference."""
    layout = "BHT" if q.ndim == 3 else "BNHT"
    keep = None if mask is None else (np.asarray(mask) != 0)[:, None, None, :]
    return ref.attention(q, k, v, mask=keep, scale=None if scaled else 1.0, layout=layout)


@pytest.mark.parametrize("rank", [3, 4])
@pytest.mark.parametrize("scaled", [False, True])
def test_samediff_dot_product_attention(rank, scaled):
    heads = (2,) if rank == 4 else ()
    q, k, v = _r(2, *heads, 4, 3), _r(2, *heads, 4, 5), _r(2, *heads, 6, 5)
    mask = np.array([[1, 1, 0, 1, 0], [0, 0, 0, 0, 0]])  # batch 1: every step skipped
    y = samediff.nn.dotProductAttention(q, k, v, mask, scaled)
    assert y.shape == (2, *heads, 6, 3)
    np.testing.assert_allclose(y, _samediff_ref(q, k, v, mask, scaled), atol=1e-12)
    np.testing.assert_array_equal(y[1], 0)
    y0 = samediff.nn.dotProductAttention(q, k, v, None, scaled)
    np.testing.assert_allclose(y0, _samediff_ref(q, k, v, None, scaled), atol=1e-12)


def test_samediff_dot_product_attention_gradients_and_graph():
    q, k = _r(2, 4, 3), _r(2, 4, 5)
    qv, kv = nf.Variable(q, True), nf.Variable(k, True)
    y = samediff.nn.dotProductAttention(qv, kv, kv, np.ones((2, 5)), True)
    gq, gk = nf.grad(nf.sum(y * y), [qv, kv])
    eps = 1e-6
    d = _r(2, 4, 3)

    def f(x):
        return float((_samediff_ref(x, k, k, None, True) ** 2).sum())

    num = (f(q + eps * d) - f(q - eps * d)) / (2 * eps)
    np.testing.assert_allclose((gq.data * d).sum(), num, rtol=1e-6)
    assert gk.shape == k.shape
    g = nf.Graph()
    pq = g.placeholder("q", (None, 4, None), np.float64)
    pk = g.placeholder("k", (None, 4, None), np.float64)
    ys = samediff.nn.dotProductAttention(pq, pk, pk, None, True, name="dpa")
    (out,) = g.run([ys], {"q": q, "k": k})
    np.testing.assert_allclose(out, _samediff_ref(q, k, k, None, True), atol=1e-12)


def _mhdpa_ref(q, k, v, wq, wk, wv, wo, mask, scaled):
    n = wq.shape[0]
    heads = []
    for i in range(n):
        qi = np.einsum("pf,bft->bpt", wq[i], q)
        ki = np.einsum("pf,bft->bpt", wk[i], k)
        vi = np.einsum("pf,bft->bpt", wv[i], v)
        heads.append(_samediff_ref(qi, ki, vi, mask, scaled))  # [b, pv, t]
    cat = np.concatenate(heads, axis=1)  # [b, n * pv, t]
    return np.einsum("bct,co->bot", cat, wo)


@pytest.mark.parametrize("scaled", [False, True])
def test_samediff_multi_head_dot_product_attention(scaled):
    q, k, v = _r(2, 4, 3), _r(2, 4, 5), _r(2, 6, 5)
    wq, wk, wv, wo = _r(2, 3, 4), _r(2, 3, 4), _r(2, 2, 6), _r(4, 7)
    mask = np.array([[1, 0, 1, 1, 1], [1, 1, 1, 0, 0]])
    y = samediff.nn.multiHeadDotProductAttention(q, k, v, wq, wk, wv, wo, mask, scaled)
    assert y.shape == (2, 7, 3)
    np.testing.assert_allclose(y, _mhdpa_ref(q, k, v, wq, wk, wv, wo, mask, scaled), atol=1e-12)
    # gradient of a projection weight against central differences
    wv_v = nf.Variable(wq, True)
    yv = samediff.nn.multiHeadDotProductAttention(q, k, v, wv_v, wk, wv, wo, mask, scaled)
    (g,) = nf.grad(nf.sum(yv * yv), [wv_v])
    d = _r(2, 3, 4)

    def f(w):
        return float((_mhdpa_ref(q, k, v, w, wk, wv, wo, mask, scaled) ** 2).sum())

    num = (f(wq + 1e-6 * d) - f(wq - 1e-6 * d)) / 2e-6
    np.testing.assert_allclose((g.data * d).sum(), num, rtol=1e-6)


# ---------------------------------------------------------------------------- NNabla
def test_nnabla_every_argument_and_both_outputs():
    lt, ls, b, d, e, ev, eo, h = 3, 4, 2, 5, 4, 6, 3, 2
    q, k, v = _r(lt, b, d), _r(ls, b, d + 1), _r(ls, b, d + 2)
    wq, wk, wv, wo = _r(d, e), _r(d + 1, e), _r(d + 2, ev), _r(ev, eo)
    bq, bk, bv, bo, ak, av = _r(e), _r(e), _r(ev), _r(eo), _r(e), _r(ev)
    additive = _r(lt, ls)
    pad = np.array([[0, 0, 1, 0], [0, 1, 1, 1]])
    y, w = nnabla.functions.multi_head_attention(
        q, k, v, h, wq, wk, wv, wo, bq, bk, bv, bo, ak, av, 0.0, additive, pad
    )
    assert y.shape == (lt, b, eo) and w.shape == (b, lt, ls + 1)
    # reference: PyTorch-style time-major multi-head attention in NumPy
    qb, kb, vb = (np.swapaxes(x, 0, 1) for x in (q, k, v))
    qp, kp, vp = qb @ wq + bq, kb @ wk + bk, vb @ wv + bv
    kp = np.concatenate([kp, np.broadcast_to(ak, (b, 1, e))], axis=1)
    vp = np.concatenate([vp, np.broadcast_to(av, (b, 1, ev))], axis=1)
    bias = np.concatenate([additive, np.zeros((lt, 1))], axis=1)
    keep = np.concatenate([pad == 0, np.ones((b, 1), bool)], axis=1)[:, None, None, :]
    o, p = ref.attention(
        qp.reshape(b, lt, h, -1),
        kp.reshape(b, ls + 1, h, -1),
        vp.reshape(b, ls + 1, h, -1),
        bias,
        keep,
        weights=True,
    )
    yr = np.swapaxes(o.reshape(b, lt, ev) @ wo + bo, 0, 1)
    np.testing.assert_allclose(y, yr, atol=1e-12)
    np.testing.assert_allclose(w, p.mean(axis=1), atol=1e-12)


def test_nnabla_minimal_call_graph_and_dropout():
    x = _r(5, 2, 8)
    ws = [_r(8, 8) * 0.3 for _ in range(4)]
    y, w = nnabla.functions.multi_head_attention(x, x, x, 2, *ws)
    np.testing.assert_allclose(w.sum(-1), 1, atol=1e-12)
    g = nf.Graph()
    px = g.placeholder("x", (None, None, 8), np.float64)
    yg, wg = nnabla.functions.multi_head_attention(px, px, px, 2, *ws, name="mha")
    assert g["mha:0"] is yg and g["mha:1"] is wg
    outs = g.run([yg, wg], {"x": x})
    np.testing.assert_allclose(outs[0], y, atol=1e-12)
    np.testing.assert_allclose(outs[1], w, atol=1e-12)
    yd, wd = nnabla.functions.multi_head_attention(x, x, x, 2, *ws, dropout=0.5)
    assert yd.shape == y.shape and np.any(wd != w)


def test_nnabla_fully_padded_batch_entry_gives_zeros_not_nan():
    x = _r(3, 2, 4)
    ws = [_r(4, 4) for _ in range(4)]
    pad = np.array([[0, 0, 0], [1, 1, 1]])
    y, w = nnabla.functions.multi_head_attention(x, x, x, 2, *ws, key_padding_mask=pad)
    assert np.isfinite(y).all()
    np.testing.assert_array_equal(w[1], 0)


# ---------------------------------------------------------------------------- bad input
Q, K, V = np.zeros((2, 3, 4, 8)), np.zeros((2, 5, 2, 8)), np.zeros((2, 5, 2, 8))
DPA = "dot_product_attention"
MHA = "multi_head_attention"
X = np.zeros((2, 3, 8))
W8 = np.zeros((8, 8))

TABLE = [
    (
        nf.dot_product_attention,
        (Q, np.zeros((2, 5, 3, 8)), np.zeros((2, 5, 3, 8))),
        {},
        nf.ShapeError,
        f"{DPA}: the number of query heads N must be a multiple of the number of key/value heads K;"
        " received N=4, K=3.",
    ),
    (
        nf.dot_product_attention,
        (Q, np.zeros((2, 5, 2, 7)), V),
        {},
        nf.ShapeError,
        f"{DPA}: `key` must have the head dimension H of `query`; received "
        "query.shape=(2, 3, 4, 8), key.shape=(2, 5, 2, 7).",
    ),
    (
        nf.dot_product_attention,
        (Q, K, np.zeros((2, 6, 2, 8))),
        {},
        nf.ShapeError,
        f"{DPA}: `value` must have the length and number of heads of `key`; received "
        "key.shape=(2, 5, 2, 8), value.shape=(2, 6, 2, 8).",
    ),
    (
        nf.dot_product_attention,
        (Q, np.zeros((3, 5, 2, 8)), np.zeros((3, 5, 2, 8))),
        {},
        nf.ShapeError,
        f"{DPA}: `query`, `key` and `value` must have the same batch size; received "
        "query.shape=(2, 3, 4, 8), key.shape=(3, 5, 2, 8), value.shape=(3, 5, 2, 8).",
    ),
    (
        nf.dot_product_attention,
        (Q, K, V, np.zeros((4, 5))),
        {},
        nf.ShapeError,
        f"{DPA}: `bias` must be broadcastable to (B, N, T, S); received bias.shape=(4, 5), "
        "(B, N, T, S)=(2, 4, 3, 5).",
    ),
    (
        nf.dot_product_attention,
        (Q, K, V, None, np.ones((2, 1, 1, 4), bool)),
        {},
        nf.ShapeError,
        f"{DPA}: `mask` must be broadcastable to (B, N, T, S); received mask.shape=(2, 1, 1, 4), "
        "(B, N, T, S)=(2, 4, 3, 5).",
    ),
    (
        nf.dot_product_attention,
        (Q, K, V, None, np.ones((3, 5))),
        {},
        nf.DTypeError,
        f"{DPA}: `mask` must have dtype bool (True = attend; an additive mask goes to `bias`); "
        "received mask.dtype=float64.",
    ),
    (
        nf.dot_product_attention,
        (Q, K, V, np.ones((3, 5), bool)),
        {},
        nf.DTypeError,
        f"{DPA}: `bias` must have a floating dtype (a boolean mask goes to `mask`); "
        "received bias.dtype=bool.",
    ),
    (
        nf.dot_product_attention,
        (Q, K, V),
        {"layout": "BXNH"},
        nf.ArgumentError,
        f"{DPA}: `layout` must be a permutation of 'BTNH' (or of 'BTH' for one head), e.g. "
        "'BTNH' (Keras), 'BNTH', 'BNHT' or 'BHT' (SameDiff), 'TBNH'; received layout='BXNH'.",
    ),
    (
        nf.dot_product_attention,
        (Q[0], K, V),
        {},
        nf.ShapeError,
        f"{DPA}: `query` must have rank 4; received query.shape=(3, 4, 8).",
    ),
    (
        nf.dot_product_attention,
        (Q, K.astype(np.float32), V),
        {},
        nf.DTypeError,
        f"{DPA}: `query` and `key` and `value` must have the same dtype; received "
        "query.dtype=float64, key.dtype=float32, value.dtype=float64.",
    ),
    (
        nf.dot_product_attention,
        (Q, K, V),
        {"key_lengths": np.array([1.0, 2.0])},
        nf.DTypeError,
        f"{DPA}: `key_lengths` must have an integer dtype; received key_lengths.dtype=float64.",
    ),
    (
        keras.ops.nn.dot_product_attention,
        (Q, K, V, None, np.ones((1, 5), np.int32)),
        {},
        nf.DTypeError,
        f"{DPA}: `mask` must have dtype bool (True = attend; an additive mask goes to `bias`); "
        "received mask.dtype=int32.",
    ),
    (
        keras.ops.nn.dot_product_attention,
        (Q, np.zeros((2, 5, 3, 8)), np.zeros((2, 5, 3, 8))),
        {},
        nf.ShapeError,
        f"{DPA}: the number of query heads N must be a multiple of the number of key/value heads K;"
        " received N=4, K=3.",
    ),
    (
        samediff.nn.dotProductAttention,
        (X, np.zeros((2, 1, 3, 8)), np.zeros((2, 1, 3, 8)), None, True),
        {},
        nf.ShapeError,
        f"{DPA}: `queries`, `keys` and `values` must all have rank 3 or all rank 4 (mixing is an "
        "error); received queries.shape=(2, 3, 8), keys.shape=(2, 1, 3, 8), "
        "values.shape=(2, 1, 3, 8).",
    ),
    (
        samediff.nn.dotProductAttention,
        (X, X, X, np.ones((2, 9)), True),
        {},
        nf.ShapeError,
        f"{DPA}: `mask` must be broadcastable to (B, N, T, S); received mask.shape=(2, 1, 1, 9), "
        "(B, N, T, S)=(2, 1, 8, 8).",
    ),
    (
        samediff.nn.dotProductAttention,
        (X, X, X, None, 1),
        {},
        nf.ArgumentError,
        f"{DPA}: `scaled` must be a bool; received scaled=1.",
    ),
    (
        samediff.nn.multiHeadDotProductAttention,
        (X, X, X, np.zeros((2, 4, 5)), np.zeros((2, 4, 3)), np.zeros((2, 4, 3)), W8, None, True),
        {},
        nf.ShapeError,
        f"{MHA}: `Wq` must have shape [numHeads, projected, 3]; received Wq.shape=(2, 4, 5).",
    ),
    (
        samediff.nn.multiHeadDotProductAttention,
        (X, X, X, np.zeros((2, 4, 3)), np.zeros((3, 4, 3)), np.zeros((2, 4, 3)), W8, None, True),
        {},
        nf.ShapeError,
        f"{MHA}: `Wk` must have numHeads (its first dimension) equal to that of `Wq`; received "
        "Wq.shape=(2, 4, 3), Wk.shape=(3, 4, 3).",
    ),
    (
        nf.multi_head_attention,
        (X, X, X, 3, W8, W8, W8, W8),
        {},
        nf.ShapeError,
        f"{MHA}: embedding dimension E must be a multiple of num_heads; received E=8, num_heads=3.",
    ),
    (
        nf.multi_head_attention,
        (X, X, X, 2, np.zeros((7, 8)), W8, W8, W8),
        {},
        nf.ShapeError,
        f"{MHA}: `q_weight` must have shape (8, E); received q_weight.shape=(7, 8), "
        "input features=8.",
    ),
    (
        nf.multi_head_attention,
        (X, X, X, 2, W8, np.zeros((8, 6)), W8, W8),
        {},
        nf.ShapeError,
        f"{MHA}: `k_weight` must have shape (8, 8); received k_weight.shape=(8, 6).",
    ),
    (
        nf.multi_head_attention,
        (X, X, X, 2, W8, W8, W8, np.zeros((6, 8))),
        {},
        nf.ShapeError,
        f"{MHA}: `out_weight` must have shape (8, E); received out_weight.shape=(6, 8), "
        "input features=8.",
    ),
    (
        nf.multi_head_attention,
        (X, X, X, 2, W8, W8, W8, W8, np.zeros(3)),
        {},
        nf.ShapeError,
        f"{MHA}: `q_bias` must have shape (8,); received q_bias.shape=(3,).",
    ),
    (
        nf.multi_head_attention,
        (X, X, X, 0, W8, W8, W8, W8),
        {},
        nf.ArgumentError,
        f"{MHA}: `num_heads` must be positive; received num_heads=0.",
    ),
    (
        nf.multi_head_attention,
        (X, X, X, 2, W8, W8, W8, W8),
        {"dropout": 1.0},
        nf.ArgumentError,
        f"{MHA}: `dropout` must be in [0, 1); received dropout=1.0.",
    ),
    (
        nf.multi_head_attention,
        (X, X, X, 2, W8, W8, W8, W8, None, None, None, None, np.zeros(8)),
        {},
        nf.ArgumentError,
        f"{MHA}: attn_bias_k and attn_bias_v must be given together; received "
        "attn_bias_k='given', attn_bias_v=None.",
    ),
    (
        nnabla.functions.multi_head_attention,
        (X, X, X, 3, W8, W8, W8, W8),
        {},
        nf.ShapeError,
        f"{MHA}: embedding dimension E must be a multiple of num_heads; received E=8, num_heads=3.",
    ),
    (
        nnabla.functions.multi_head_attention,
        (
            X,
            X,
            X,
            2,
            W8,
            W8,
            W8,
            W8,
            None,
            None,
            None,
            None,
            None,
            None,
            0.0,
            None,
            np.zeros((3, 4)),
        ),
        {},
        nf.ShapeError,
        f"{MHA}: `mask` must be broadcastable to (B, N, T, S); received mask.shape=(3, 1, 1, 4), "
        "(B, N, T, S)=(3, 2, 2, 2).",
    ),
]


@pytest.mark.parametrize(("function", "inputs", "kwargs", "exc", "message"), TABLE)
def test_bad_inputs(function, inputs, kwargs, exc, message):
    assert_raises_both_modes(function, inputs, kwargs, exc, message)
