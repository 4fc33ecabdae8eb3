"""Extra oracle: forward and gradients against torch.nn.functional on random shapes."""

import numpy as np
import pytest

import nnfunc as nf

pytestmark = pytest.mark.oracle
torch = pytest.importorskip("torch")
TF = torch.nn.functional


def _grads(fn_ours, fn_torch, arrays, rng):
    vs = [nf.Variable(a, requires_grad=True) for a in arrays]
    y = fn_ours(*vs)
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    yt = fn_torch(*ts)
    np.testing.assert_allclose(y.data, yt.detach().numpy(), rtol=1e-10, atol=1e-10)
    g = rng.standard_normal(yt.shape)
    nf.sum(y * g).backward()
    yt.backward(torch.tensor(g))
    for v, t in zip(vs, ts, strict=True):
        np.testing.assert_allclose(v.grad, t.grad.numpy(), rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize("seed", range(6))
def test_conv_and_transpose_match_torch(seed):
    rng = np.random.default_rng(seed)
    nsp = int(rng.integers(1, 4))
    g = int(rng.choice([1, 2]))
    c, o = 2 * g, 2 * g
    s, p, d = int(rng.integers(1, 4)), int(rng.integers(0, 3)), int(rng.integers(1, 3))
    k = tuple(int(v) for v in rng.integers(1, 4, nsp))
    size = tuple(int(v) for v in rng.integers(6, 9, nsp))
    x = rng.standard_normal((2, c, *size))
    w = rng.standard_normal((o, c // g, *k))
    b = rng.standard_normal(o)
    conv_t = getattr(TF, f"conv{nsp}d")
    _grads(
        lambda x, w, b: nf.conv(x, w, b, stride=s, pad=p, dilation=d, groups=g),
        lambda x, w, b: conv_t(x, w, b, stride=s, padding=p, dilation=d, groups=g),
        [x, w, b],
        rng,
    )
    wt = rng.standard_normal((c, o // g, *k))
    op = int(rng.integers(0, s))
    tr_t = getattr(TF, f"conv_transpose{nsp}d")
    _grads(
        lambda x, w: nf.conv_transpose(
            x, w, stride=s, pad=p, dilation=d, groups=g, output_padding=op
        ),
        lambda x, w: tr_t(x, w, stride=s, padding=p, dilation=d, groups=g, output_padding=op),
        [x, wt],
        rng,
    )


@pytest.mark.parametrize("m", [1, 2])
def test_depthwise_matches_torch(m):
    rng = np.random.default_rng(m)
    x = rng.standard_normal((2, 3, 7, 6))
    w = rng.standard_normal((3 * m, 1, 3, 2))
    _grads(
        lambda x, w: nf.depthwise_conv(x, w, stride=(2, 1), pad=1, dilation=(1, 2)),
        lambda x, w: TF.conv2d(x, w, stride=(2, 1), padding=1, dilation=(1, 2), groups=3),
        [x, w],
        rng,
    )


@pytest.mark.parametrize("seed", range(4))
def test_pools_match_torch(seed):
    rng = np.random.default_rng(seed)
    nsp = int(rng.integers(1, 4))
    k = int(rng.integers(2, 4))
    s = int(rng.integers(1, 3))
    p = int(rng.integers(0, k // 2 + 1))
    x = rng.standard_normal((2, 3, *(7,) * nsp))
    _grads(
        lambda x: nf.max_pool(x, (k,) * nsp, stride=s, pad=p),
        lambda x: getattr(TF, f"max_pool{nsp}d")(x, k, s, p),
        [x],
        rng,
    )
    for inc in (True, False):
        _grads(
            lambda x, inc=inc: nf.avg_pool(x, (k,) * nsp, stride=s, pad=p, including_pad=inc),
            lambda x, inc=inc: getattr(TF, f"avg_pool{nsp}d")(x, k, s, p, count_include_pad=inc),
            [x],
            rng,
        )
