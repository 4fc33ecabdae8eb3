"""multi_head_attention: the harness over every tensor argument (projection weights and biases,
attn_bias_k/v, bias and mask), both attention paths, time-major; dropout; PyTorch's
nn.MultiheadAttention as an extra oracle."""

from __future__ import annotations

import numpy as np
import pytest

import nnfunc as nf
from nnfunc.testing import FunctionTestCase, parametrize_class

from ._reference import attention

B, T, S, D, E, EV, EO, N = 2, 3, 4, 5, 4, 6, 3, 2


def reference(q, k, v, wq, wk, wv, wo, bq, bk, bv, bo, ak, av, bias, mask, time_major):
    """Float64 NumPy multi-head attention (batch-major inside), output and mean weights."""
    if time_major:
        q, k, v = (np.swapaxes(x, 0, 1) for x in (q, k, v))
    qp, kp, vp = q @ wq + bq, k @ wk + bk, v @ wv + bv
    b = qp.shape[0]
    if ak is not None:
        kp = np.concatenate([kp, np.broadcast_to(ak, (b, 1, ak.shape[0]))], axis=1)
        vp = np.concatenate([vp, np.broadcast_to(av, (b, 1, av.shape[0]))], axis=1)
        bias = np.concatenate([bias, np.zeros(bias.shape[:-1] + (1,))], axis=-1)
        mask = np.concatenate([mask, np.ones(mask.shape[:-1] + (1,), bool)], axis=-1)

    def heads(x):
        return x.reshape(x.shape[0], x.shape[1], N, -1)

    o, p = attention(heads(qp), heads(kp), heads(vp), bias, mask, weights=True)
    y = o.reshape(o.shape[0], o.shape[1], -1) @ wo + bo
    if time_major:
        y = np.swapaxes(y, 0, 1)
    return y, p.mean(axis=1)


@parametrize_class(time_major=[False, True], need_weights=[False, True], extra_kv=[False, True])
class TestMultiHeadAttention(FunctionTestCase):
    dtype = "float64"
    symbolic_dims = (0,)

    @staticmethod
    def function(q, k, v, wq, wk, wv, wo, bq, bk, bv, bo, ak, av, bias, mask, **kw):
        if len(ak.shape) != 1:  # the placeholders of "no attn_bias_k/v"
            ak = av = None
        return nf.multi_head_attention(
            q, k, v, N, wq, wk, wv, wo, bq, bk, bv, bo, ak, av, bias=bias, mask=mask, **kw
        )

    def inputs(self, rng):
        lead = (lambda n: (n, B)) if self.time_major else (lambda n: (B, n))
        q = rng.standard_normal((*lead(T), D))
        k = rng.standard_normal((*lead(S), D + 1))
        v = rng.standard_normal((*lead(S), D + 2))
        ws = [
            rng.standard_normal(s) * 0.5
            for s in ((D, E), (D + 1, E), (D + 2, EV), (EV, EO), (E,), (E,), (EV,), (EO,))
        ]
        ak = rng.standard_normal(E) if self.extra_kv else np.zeros((1, 1))
        av = rng.standard_normal(EV) if self.extra_kv else np.zeros((1, 1))
        bias = rng.standard_normal((N, T, S))
        mask = rng.random((B, 1, 1, S)) > 0.3
        mask[1, ..., :] = False  # every key of batch 1 is padding (S + 1 keys: one is left)
        return (q, k, v, *ws, ak, av, bias, mask)

    def kwargs(self):
        return {"time_major": self.time_major, "need_weights": self.need_weights}

    def expected(self, q, k, v, wq, wk, wv, wo, bq, bk, bv, bo, ak, av, bias, mask):
        extra = (ak, av) if self.extra_kv else (None, None)
        y, w = reference(
            q, k, v, wq, wk, wv, wo, bq, bk, bv, bo, *extra, bias, mask, self.time_major
        )
        return (y, w) if self.need_weights else y

    def _grad_indexes(self, inputs):
        idx = tuple(range(11)) + (13,)
        return idx if self.extra_kv else tuple(i for i in idx if i not in (11, 12))


def test_kernel_and_explicit_paths_agree_with_every_mask():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 6, 8))
    w = [rng.standard_normal((8, 8)) for _ in range(4)]
    mask = rng.random((2, 1, 6, 6)) > 0.4
    for causal in (False, True):
        y1 = nf.multi_head_attention(x, x, x, 4, *w, mask=mask, is_causal=causal)
        y2, _ = nf.multi_head_attention(
            x, x, x, 4, *w, mask=mask, is_causal=causal, need_weights=True
        )
        y3 = nf.multi_head_attention(x, x, x, 4, *w, mask=mask, is_causal=causal, dropout=0.0)
        np.testing.assert_allclose(y1, y2, atol=1e-12)
        np.testing.assert_allclose(y1, y3, atol=1e-12)


def test_dropout_is_seeded_and_scales_the_kept_weights():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 5, 4))
    w = [np.eye(4) * 0.1 for _ in range(4)]
    kw = {"dropout": 0.5, "need_weights": True, "seed": 7}
    y1, a1 = nf.multi_head_attention(x, x, x, 2, *w, **kw)
    y2, a2 = nf.multi_head_attention(x, x, x, 2, *w, **kw)
    np.testing.assert_array_equal(a1, a2)
    np.testing.assert_array_equal(y1, y2)
    _, full = nf.multi_head_attention(x, x, x, 2, *w, need_weights=True)
    # each head's weight is 0 or doubled: the head average is 0, p / 2 ... or p
    assert np.any(a1 == 0) or not np.allclose(a1, full)
    # the mask is nnfunc.dropout's: the same seed gives the same kept entries
    p = nf.softmax(np.zeros((2, 2, 5, 5)), where=None)
    kept = nf.dropout(p, 0.5, seed=7) != 0
    assert np.array_equal((a1 != 0), kept.any(axis=1)) or kept.all()


@pytest.mark.oracle
def test_oracle_torch_multihead_attention():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    mha = torch.nn.MultiheadAttention(8, 2, bias=True, add_bias_kv=True, dtype=torch.float64)
    rng = np.random.default_rng(2)
    q, k, v = (rng.standard_normal((4, 3, 8)) for _ in range(3))  # (L, B, E)
    pad = np.zeros((3, 4), bool)
    pad[1, 2:] = True
    ty, tw = mha(*(torch.tensor(x) for x in (q, k, v)), key_padding_mask=torch.tensor(pad))
    wq, wk, wv = (x.detach().numpy().T for x in mha.in_proj_weight.chunk(3))
    bq, bk, bv = (x.detach().numpy() for x in mha.in_proj_bias.chunk(3))
    wo, bo = mha.out_proj.weight.detach().numpy().T, mha.out_proj.bias.detach().numpy()
    ak, av = mha.bias_k.detach().numpy().reshape(-1), mha.bias_v.detach().numpy().reshape(-1)
    y, w = nf.multi_head_attention(
        q,
        k,
        v,
        2,
        wq,
        wk,
        wv,
        wo,
        bq,
        bk,
        bv,
        bo,
        ak,
        av,
        mask=~pad[:, None, None, :],
        time_major=True,
        need_weights=True,
    )
    np.testing.assert_allclose(y, ty.detach().numpy(), atol=1e-10)
    np.testing.assert_allclose(w, tw.detach().numpy(), atol=1e-10)
