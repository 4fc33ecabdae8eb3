"""dot_product_attention: the harness (values, gradients, double backward, graph mode with
unknown batch and length), masks, GQA, layouts, the blocked kernel against its NumPy twin, memory,
and PyTorch as an extra oracle."""

from __future__ import annotations

import os
import tracemalloc
from typing import ClassVar

import numpy as np
import pytest

import nnfunc as nf
from nnfunc.kernels.cpu import attention as kernel
from nnfunc.testing import FunctionTestCase, parametrize_class

from ._reference import attention, to_bnth


@parametrize_class(
    dtype=["float32", "float64"],
    causal=[False, True],
    lengths=[(3, 5), (5, 3)],
)
class TestDotProductAttention(FunctionTestCase):
    """GQA (N=4 query heads on K=2 key heads), an additive bias and a boolean mask, T != S."""

    function = staticmethod(nf.dot_product_attention)
    symbolic_dims = (0, 1)  # unknown batch and sequence lengths (bias: its T axis)
    tolerances: ClassVar = {"float32": {"atol": 1e-5, "rtol": 1e-4}}
    grad_inputs = (0, 1, 2, 3)

    def inputs(self, rng):
        t, s = self.lengths
        q = rng.standard_normal((2, t, 4, 3)).astype(self.dtype)
        k = rng.standard_normal((2, s, 2, 3)).astype(self.dtype)
        v = rng.standard_normal((2, s, 2, 2)).astype(self.dtype)
        bias = rng.standard_normal((4, t, s)).astype(self.dtype)
        mask = rng.random((2, 1, t, s)) > 0.3
        mask[0, 0, 1] = False  # a fully masked row
        return q, k, v, bias, mask

    def kwargs(self):
        return {"is_causal": self.causal, "scale": 0.7}

    def expected(self, q, k, v, bias, mask):
        y = attention(q, k, v, bias, mask, 0.7, self.causal)
        return y.astype(self.dtype)


@parametrize_class(layout=["BNTH", "BHT", "BNHT", "TBNH", "BTH"])
class TestLayouts(FunctionTestCase):
    """Every layout against the reference, with the default scale and no bias."""

    function = staticmethod(nf.dot_product_attention)
    dtype = "float64"

    def inputs(self, rng):
        sizes = {"B": 2, "T": 3, "N": 2, "H": 4}
        q = rng.standard_normal([sizes[c] for c in self.layout])
        ksz = {**sizes, "T": 5}
        k = rng.standard_normal([ksz[c] for c in self.layout])
        v = rng.standard_normal([ksz[c] for c in self.layout])
        return q, k, v

    def kwargs(self):
        return {"layout": self.layout}

    def expected(self, q, k, v):
        return attention(q, k, v, layout=self.layout)


def _rand(rng, *shape, dtype=np.float64):
    return rng.standard_normal(shape).astype(dtype)


def test_fully_masked_rows_give_zero_output_and_zero_gradient():
    rng = np.random.default_rng(1)
    q, k, v = _rand(rng, 1, 3, 2, 4), _rand(rng, 1, 4, 2, 4), _rand(rng, 1, 4, 2, 4)
    mask = np.ones((1, 2, 3, 4), bool)
    mask[:, :, 1] = False
    mask[..., 2] = False  # a key nobody attends to
    qv, kv, vv = nf.Variable(q, True), nf.Variable(k, True), nf.Variable(v, True)
    y = nf.dot_product_attention(qv, kv, vv, mask=mask)
    assert np.all(y.data[:, 1] == 0)
    assert np.isfinite(y.data).all()
    gq, gk, gv = nf.grad(nf.sum(y * y), [qv, kv, vv])
    assert np.all(gq.data[:, 1] == 0)
    assert np.isfinite(gq.data).all() and np.isfinite(gv.data).all()
    assert np.all(gv.data[:, 2] == 0) and np.all(gk.data[:, 2] == 0)
    np.testing.assert_allclose(y.data, attention(q, k, v, mask=mask), atol=1e-12)


def test_nan_in_padded_keys_and_values_does_not_leak():
    rng = np.random.default_rng(12)
    q, k, v = _rand(rng, 2, 3, 2, 4), _rand(rng, 2, 5, 2, 4), _rand(rng, 2, 5, 2, 4)
    lengths = np.array([3, 5])
    k[0, 3:] = np.nan
    v[0, 4] = np.inf
    ins = [nf.Variable(x, True) for x in (q, k, v)]
    y = nf.dot_product_attention(*ins, key_lengths=lengths, is_causal=True)
    keep = (np.arange(5)[None, :] < lengths[:, None])[:, None, None, :]
    kc, vc = np.where(np.isfinite(k), k, 0), np.where(np.isfinite(v), v, 0)
    np.testing.assert_allclose(y.data, attention(q, kc, vc, mask=keep, causal=True), atol=1e-12)
    grads = nf.grad(nf.sum(y * y), ins)
    for g in grads:
        assert np.isfinite(g.data).all()
    np.testing.assert_array_equal(grads[1].data[0, 3:], 0)


def test_all_minus_inf_bias_row_is_a_masked_row():
    rng = np.random.default_rng(2)
    q, k, v = _rand(rng, 1, 2, 1, 3), _rand(rng, 1, 3, 1, 3), _rand(rng, 1, 3, 1, 3)
    bias = np.zeros((2, 3))
    bias[0] = -np.inf
    y = nf.dot_product_attention(q, k, v, bias=bias)
    np.testing.assert_array_equal(y[:, 0], 0)
    np.testing.assert_allclose(y, attention(q, k, v, bias=bias), atol=1e-12)


def test_gqa_equals_expanded_heads():
    rng = np.random.default_rng(3)
    q, k, v = _rand(rng, 2, 5, 6, 4), _rand(rng, 2, 7, 2, 4), _rand(rng, 2, 7, 2, 3)
    y = nf.dot_product_attention(q, k, v, is_causal=True)
    ke, ve = np.repeat(k, 3, axis=2), np.repeat(v, 3, axis=2)
    np.testing.assert_allclose(y, nf.dot_product_attention(q, ke, ve, is_causal=True), atol=1e-12)
    # MQA: one key head
    y1 = nf.dot_product_attention(q, k[:, :, :1], v[:, :, :1])
    np.testing.assert_allclose(y1, attention(q, k[:, :, :1], v[:, :, :1]), atol=1e-12)
    # gradients of the shared key heads are the sums over their groups
    kv = nf.Variable(k, True)
    ke_v = nf.Variable(ke, True)
    gy = _rand(rng, 2, 5, 6, 3)
    (g,) = nf.grad(nf.dot_product_attention(q, kv, v), [kv], grad_outputs=[gy])
    (ge,) = nf.grad(nf.dot_product_attention(q, ke_v, ve), [ke_v], grad_outputs=[gy])
    np.testing.assert_allclose(g.data, ge.data.reshape(2, 7, 2, 3, 4).sum(3), atol=1e-12)


@pytest.mark.parametrize("scale", [0.3, -0.3])
def test_scale_sign_with_mask_and_causal(scale):
    """A positive scale goes into the softmax step (no scaled query copy), a negative one
    through the scaled queries: both against the float64 reference, masked and causal."""
    rng = np.random.default_rng(11)
    q, k, v = (_rand(rng, 2, 3, 7, 4) for _ in range(3))
    mask = rng.random((2, 1, 7, 7)) > 0.3
    y = nf.dot_product_attention(
        *(x.astype(np.float32) for x in (q, k, v)), mask=mask, scale=scale, is_causal=True,
        layout="BNTH",
    )  # fmt: skip
    ref = attention(q, k, v, None, mask, scale, True, layout="BNTH")
    np.testing.assert_allclose(y, ref, atol=2e-6, rtol=2e-5)


def test_causal_alignment_for_t_different_from_s():
    """Query t sees keys s <= t (top-left aligned, as Keras' tril(ones(T, S)))."""
    rng = np.random.default_rng(4)
    for t, s in ((2, 5), (5, 2)):
        q, k, v = _rand(rng, 1, t, 1, 2), _rand(rng, 1, s, 1, 2), _rand(rng, 1, s, 1, 2)
        y = nf.dot_product_attention(q, k, v, is_causal=True)
        tri = np.tril(np.ones((t, s), bool))
        np.testing.assert_allclose(y, attention(q, k, v, mask=tri), atol=1e-12)
        # the first query sees the first key only
        np.testing.assert_allclose(y[0, 0, 0], v[0, 0, 0], atol=1e-12)


def test_key_lengths_equal_a_padding_mask():
    rng = np.random.default_rng(5)
    q, k, v = _rand(rng, 3, 4, 2, 3), _rand(rng, 3, 6, 2, 3), _rand(rng, 3, 6, 2, 3)
    lengths = np.array([6, 2, 0])
    keep = np.arange(6)[None, :] < lengths[:, None]
    y = nf.dot_product_attention(q, k, v, key_lengths=lengths)
    np.testing.assert_allclose(y, attention(q, k, v, mask=keep[:, None, None, :]), atol=1e-12)
    np.testing.assert_array_equal(y[2], 0)


def test_float16_is_computed_in_float32():
    rng = np.random.default_rng(6)
    q, k, v = (_rand(rng, 2, 4, 2, 8, dtype=np.float16) for _ in range(3))
    y = nf.dot_product_attention(q, k, v)
    assert y.dtype == np.float16
    np.testing.assert_allclose(y.astype(np.float64), attention(q, k, v), atol=2e-3, rtol=2e-3)
    # every step in float32 (the scaled query included): the float32 call on the same values
    y32 = nf.dot_product_attention(*(x.astype(np.float32) for x in (q, k, v)), scale=0.3)
    np.testing.assert_array_equal(
        nf.dot_product_attention(q, k, v, scale=0.3), y32.astype(np.float16)
    )


@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("numba", [True, False])
def test_many_tiles_float32(causal, numba, monkeypatch):
    """Several tiles of every kind (and threads): forward and every gradient against float64."""
    monkeypatch.setenv("NNFUNC_DISABLE_NUMBA", "0" if numba else "1")
    monkeypatch.setenv("NNFUNC_NUM_THREADS", "2")
    monkeypatch.setattr(kernel, "ROWS", 16)
    monkeypatch.setattr(kernel, "COLS", 8)
    monkeypatch.setattr(kernel, "CAUSAL_TILE", (16, 8))
    monkeypatch.setattr(kernel, "CAUSAL_ROWS", 5)  # diagonal sub-blocks, one shorter
    monkeypatch.setattr(kernel, "TILE_ELEMENTS", 16 * 8 * 2 * 2)  # 2 key heads of G=2 a tile
    rng = np.random.default_rng(7)
    b, t, s, n, kh, h = 3, 37, 45, 4, 2, 8
    q, k, v = _rand(rng, b, n, t, h), _rand(rng, b, kh, s, h), _rand(rng, b, kh, s, h)
    bias = _rand(rng, 1, n, 1, s)
    mask = rng.random((b, 1, t, s)) > 0.2
    ins = [nf.Variable(x.astype(np.float32), True) for x in (q, k, v, bias)]
    # large enough that the kernel splits its tiles over threads
    monkeypatch.setattr(kernel, "_ranges", _force_ranges(kernel._ranges))
    y = nf.dot_product_attention(*ins[:3], ins[3], mask, is_causal=causal, layout="BNTH")
    yr = attention(q, k, v, bias, mask, None, causal, layout="BNTH")
    np.testing.assert_allclose(y.data, yr, atol=2e-5, rtol=1e-4)
    gy = _rand(rng, b, n, t, h)
    grads = nf.grad(y, ins, grad_outputs=[gy.astype(np.float32)])
    ins64 = [nf.Variable(x, True) for x in (q, k, v, bias)]
    y64 = nf.dot_product_attention(*ins64[:3], ins64[3], mask, is_causal=causal, layout="BNTH")
    grads64 = nf.grad(y64, ins64, grad_outputs=[gy])
    for g, g64 in zip(grads, grads64, strict=True):
        assert g.dtype == np.float32
        np.testing.assert_allclose(g.data, g64.data, atol=1e-4, rtol=1e-3)


@pytest.mark.parametrize("layout", ["BTNH", "TBNH"])
def test_outputs_and_gradients_in_the_inputs_memory_order(layout, monkeypatch):
    """For a layout other than BNTH the kernel allocates its output and gradients in the
    memory order of the caller's arrays: the results come back C-contiguous in that layout
    (the transposes back are views) with the values of the BNTH call (threads on, 3 ranges)."""
    monkeypatch.setenv("NNFUNC_NUM_THREADS", "2")
    monkeypatch.setattr(kernel, "_ranges", _force_ranges(kernel._ranges))
    rng = np.random.default_rng(3)
    b, t, n, h = 2, 6, 3, 4
    q, k, v, gy = (rng.standard_normal((b, n, t, h)).astype(np.float32) for _ in range(4))
    perm = (0, 2, 1, 3) if layout == "BTNH" else (2, 0, 1, 3)
    lay = [np.ascontiguousarray(x.transpose(perm)) for x in (q, k, v, gy)]
    ins = [nf.Variable(x, True) for x in lay[:3]]
    y = nf.dot_product_attention(*ins, layout=layout)
    grads = nf.grad(y, ins, grad_outputs=[lay[3]])
    ref_ins = [nf.Variable(x, True) for x in (q, k, v)]
    y_ref = nf.dot_product_attention(*ref_ins, layout="BNTH")
    ref = nf.grad(y_ref, ref_ins, grad_outputs=[gy])
    assert y.data.flags.c_contiguous
    np.testing.assert_array_equal(y.data, y_ref.data.transpose(perm))
    for g, r in zip(grads, ref, strict=True):
        assert g.data.flags.c_contiguous
        np.testing.assert_allclose(g.data, r.data.transpose(perm), rtol=1e-6, atol=1e-6)


def _force_ranges(original):
    def ranges(n, work):
        return [(n * i // 3, n * (i + 1) // 3) for i in range(3)] if n >= 3 else original(n, work)

    return ranges


def test_numba_steps_match_numpy_twins():
    if os.environ.get("NNFUNC_DISABLE_NUMBA", "0") not in ("", "0"):
        pytest.skip("numba disabled in this run")
    pytest.importorskip("numba")
    from nnfunc.kernels.cpu._jit import attention_kernels, attention_scaled_step

    ks = attention_kernels()
    rng = np.random.default_rng(8)
    s = rng.standard_normal((6, 10)).astype(np.float32) * 5
    s[1] = -np.inf
    s[2, :5] = -np.inf
    state = [np.full(6, -np.inf, np.float32), np.zeros(6, np.float32)]
    state += [np.zeros(6, np.float32), np.zeros(6, np.float32)]
    state[0][3] = 2.0
    state[2][3] = 1.5
    a, b = s.copy(), s.copy()
    sa, sb = [x.copy() for x in state], [x.copy() for x in state]
    ks["attn_online_step"](a, *sa)
    kernel.online_step_numpy(b, *sb)
    np.testing.assert_allclose(a, b, rtol=2e-6, atol=1e-30)
    for x, y in zip(sa, sb, strict=True):
        np.testing.assert_allclose(x, y, rtol=2e-6)
    # the step with the scale folded in: the twin, and the unscaled step on scale * s
    scale = np.float32(0.37)
    a, b, c = s.copy(), s.copy(), s * scale
    sa, sb, sc = ([x.copy() for x in state] for _ in range(3))
    attention_scaled_step()(a, scale, *sa)
    kernel.online_step_scaled_numpy(b, scale, *sb)
    ks["attn_online_step"](c, *sc)
    for got in (a, b):
        np.testing.assert_allclose(got, c, rtol=2e-6, atol=1e-30)
    for x, y, z in zip(sa, sb, sc, strict=True):
        np.testing.assert_allclose(x, z, rtol=2e-6)
        np.testing.assert_allclose(y, z, rtol=2e-6)
    lse = np.abs(rng.standard_normal(6)).astype(np.float32) + 20
    a, b = s.copy(), s.copy()
    ks["attn_exp_rows"](a, lse)
    kernel.exp_rows_numpy(b, lse)
    np.testing.assert_allclose(a, b, rtol=2e-6, atol=1e-30)
    p = np.abs(s[3:5])
    d = rng.standard_normal(2).astype(np.float32)
    a, b = s[3:5].copy(), s[3:5].copy()
    ks["attn_ds_rows"](a, p, d)
    kernel.ds_rows_numpy(b, p, d)
    np.testing.assert_allclose(a, b, rtol=1e-6)


def test_memory_stays_below_the_score_matrix():
    """Forward and backward never hold a (B, N, T, S) matrix: peak well below its size."""
    rng = np.random.default_rng(9)
    b, n, t, h = 1, 2, 2048, 16
    q, k, v, gy = (rng.standard_normal((b, n, t, h), dtype=np.float32) for _ in range(4))
    scores = b * n * t * t * 4  # 32 MiB

    def run():
        qv, kv, vv = nf.Variable(q, True), nf.Variable(k, True), nf.Variable(v, True)
        y = nf.dot_product_attention(qv, kv, vv, is_causal=True, layout="BNTH")
        nf.grad(y, [qv, kv, vv], grad_outputs=[gy])

    run()  # numba compilation (or cache loading) allocates too: not the kernel's memory
    tracemalloc.start()
    try:
        run()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < scores / 4, f"peak {peak} bytes vs score matrix {scores} bytes"


def test_graph_unknown_dims_and_graph_grad():
    rng = np.random.default_rng(10)
    q, k, v = _rand(rng, 2, 3, 4, 5), _rand(rng, 2, 3, 6, 5), _rand(rng, 2, 3, 6, 2)
    g = nf.Graph()
    pq = g.placeholder("q", (None, 3, None, 5), np.float64)
    pk = g.placeholder("k", (None, 3, None, 5), np.float64)
    pv = g.placeholder("v", (None, 3, None, 2), np.float64)
    y = nf.dot_product_attention(pq, pk, pv, is_causal=True, layout="BNTH", name="att")
    assert tuple(y.shape) == (None, 3, None, 2)
    grads = g.grad(nf.sum(y * y), [pq, pk, pv])
    feeds = {"q": q, "k": k, "v": v}
    out = g.run([y, *grads], feeds)
    qv, kv, vv = (nf.Variable(x, True) for x in (q, k, v))
    ye = nf.dot_product_attention(qv, kv, vv, is_causal=True, layout="BNTH")
    ge = nf.grad(nf.sum(ye * ye), [qv, kv, vv])
    np.testing.assert_allclose(out[0], ye.data, atol=1e-12)
    for a, e in zip(out[1:], ge, strict=True):
        np.testing.assert_allclose(a, e.data, atol=1e-12)
    # other sizes through the same graph
    q2, k2, v2 = _rand(rng, 1, 3, 2, 5), _rand(rng, 1, 3, 9, 5), _rand(rng, 1, 3, 9, 2)
    (y2,) = g.run([y], {"q": q2, "k": k2, "v": v2})
    np.testing.assert_allclose(y2, attention(q2, k2, v2, causal=True, layout="BNTH"), atol=1e-12)


def test_empty_inputs():
    q, k, v = np.zeros((0, 3, 2, 4)), np.zeros((0, 5, 2, 4)), np.zeros((0, 5, 2, 4))
    assert nf.dot_product_attention(q, k, v).shape == (0, 3, 2, 4)
    q, k, v = np.ones((1, 3, 2, 4)), np.zeros((1, 0, 2, 4)), np.zeros((1, 0, 2, 4))
    qv = nf.Variable(q, True)
    y = nf.dot_product_attention(qv, k, v)
    np.testing.assert_array_equal(y.data, 0)
    (g,) = nf.grad(nf.sum(y), [qv])
    np.testing.assert_array_equal(g.data, 0)


@pytest.mark.oracle
@pytest.mark.parametrize("causal", [False, True])
def test_oracle_torch_sdpa(causal):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(11)
    q, k, v = _rand(rng, 2, 4, 7, 8), _rand(rng, 2, 4, 9, 8), _rand(rng, 2, 4, 9, 8)
    mask = rng.random((2, 1, 7, 9)) > 0.3
    mask[..., 0] = True
    tq, tk, tv = (torch.tensor(x, requires_grad=True) for x in (q, k, v))
    ty = torch.nn.functional.scaled_dot_product_attention(
        tq, tk, tv, attn_mask=torch.tensor(mask), is_causal=False
    )
    if causal:
        tri = torch.tril(torch.ones(7, 9, dtype=torch.bool))
        ty = torch.nn.functional.scaled_dot_product_attention(
            tq, tk, tv, attn_mask=torch.tensor(mask) & tri
        )
    gy = rng.standard_normal(ty.shape)
    ty.backward(torch.tensor(gy))
    ins = [nf.Variable(x, True) for x in (q, k, v)]
    y = nf.dot_product_attention(*ins, mask=mask, is_causal=causal, layout="BNTH")
    np.testing.assert_allclose(y.data, ty.detach().numpy(), atol=1e-10)
    for g, t in zip(nf.grad(y, ins, grad_outputs=[gy]), (tq, tk, tv), strict=True):
        np.testing.assert_allclose(g.data, t.grad.numpy(), atol=1e-10)
    # torch's own is_causal flag agrees for T == S
    q2 = _rand(rng, 1, 2, 6, 4)
    ty2 = torch.nn.functional.scaled_dot_product_attention(
        *(torch.tensor(x) for x in (q2, q2, q2)), is_causal=True
    )
    y2 = nf.dot_product_attention(q2, q2, q2, is_causal=True, layout="BNTH")
    np.testing.assert_allclose(y2, ty2.numpy(), atol=1e-12)


def test_reference_layout_helper_roundtrip():
    x = np.arange(24.0).reshape(2, 3, 4)
    assert to_bnth(x, "BHT").shape == (2, 1, 4, 3)
