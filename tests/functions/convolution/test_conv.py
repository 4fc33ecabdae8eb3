import itertools
import math
import re

import numpy as np
import pytest

import nnfunc as nf
from nnfunc.testing import FunctionTestCase, assert_raises_both_modes, parametrize_class


def tf_same(size, k, s, d):
    out = math.ceil(size / s)
    total = max(0, (out - 1) * s + d * (k - 1) + 1 - size)
    return total // 2, total - total // 2


def conv_ref(x, w, b, stride, pad, dilation, groups, channel_last=False):
    """Direct float64 definition: y[n,o,p] = sum_{c in group, k} w[o,c,k] x_pad[n,c,s*p + d*k]."""
    x = x.astype(np.float64)
    w = w.astype(np.float64)
    if channel_last:
        x = np.moveaxis(x, -1, 1)
    nsp = x.ndim - 2
    ks = w.shape[2:]
    st = (stride,) * nsp if np.isscalar(stride) else tuple(stride)
    dl = (dilation,) * nsp if np.isscalar(dilation) else tuple(dilation)
    if isinstance(pad, str):
        pads = [
            tf_same(x.shape[2 + i], ks[i], st[i], dl[i]) if pad.lower() == "same" else (0, 0)
            for i in range(nsp)
        ]
    elif np.isscalar(pad):
        pads = [(pad, pad)] * nsp
    elif nsp == 1 and len(pad) == 2 and all(np.isscalar(p) for p in pad):
        pads = [tuple(pad)]
    else:
        pads = [(p, p) if np.isscalar(p) else tuple(p) for p in pad]
    xp = np.pad(x, [(0, 0), (0, 0), *pads])
    out = [(xp.shape[2 + i] - dl[i] * (ks[i] - 1) - 1) // st[i] + 1 for i in range(nsp)]
    n, c = x.shape[:2]
    o = w.shape[0]
    cg, og = c // groups, o // groups
    y = np.zeros((n, o, *out))
    for idx in itertools.product(*(range(v) for v in out)):
        for kk in itertools.product(*(range(v) for v in ks)):
            pos = tuple(idx[i] * st[i] + kk[i] * dl[i] for i in range(nsp))
            patch = xp[(slice(None), slice(None), *pos)]
            for g in range(groups):
                y[(slice(None), slice(g * og, (g + 1) * og), *idx)] += (
                    patch[:, g * cg : (g + 1) * cg]
                    @ w[(slice(g * og, (g + 1) * og), slice(None), *kk)].T
                )
    if b is not None:
        y += b.astype(np.float64).reshape((-1,) + (1,) * nsp)
    if channel_last:
        y = np.moveaxis(y, 1, -1)
    return y


CASES = [
    # 1-D / 2-D / 3-D, strides 1-3, dilation 1-2, groups 1 / 2 / C, every pad form
    {"x": (2, 4, 7), "w": (6, 4, 3), "stride": 1, "pad": 0, "dilation": 1, "groups": 1},
    {
        "x": (2, 4, 7),
        "w": (4, 2, 2),
        "stride": 3,
        "pad": (1, 2),
        "dilation": 2,
        "groups": 2,
        "bias": False,
    },
    {"x": (1, 4, 5, 6), "w": (4, 1, 3, 3), "stride": 2, "pad": 1, "dilation": 1, "groups": 4},
    {
        "x": (2, 2, 5, 5),
        "w": (3, 2, 3, 2),
        "stride": (1, 2),
        "pad": "same",
        "dilation": (2, 1),
        "groups": 1,
    },
    {"x": (1, 3, 6, 5), "w": (2, 3, 2, 3), "stride": 2, "pad": "VALID", "dilation": 1, "groups": 1},
    {
        "x": (2, 2, 5, 4),
        "w": (4, 2, 3, 3),
        "stride": 1,
        "pad": [(0, 1), (2, 0)],
        "dilation": 1,
        "groups": 1,
        "channel_last": True,
    },
    {
        "x": (1, 4, 4, 5),
        "w": (8, 1, 3, 2),
        "stride": 1,
        "pad": "same",
        "dilation": 1,
        "groups": 4,
        "channel_last": True,
    },
    {
        "x": (1, 2, 4, 3, 4),
        "w": (2, 2, 2, 2, 3),
        "stride": (1, 2, 1),
        "pad": 1,
        "dilation": 1,
        "groups": 1,
    },
    {"x": (1, 2, 3, 3), "w": (2, 2, 1, 1), "stride": 1, "pad": 0, "dilation": 1, "groups": 1},
]


@parametrize_class(case=CASES, dtype=["float32"])
class TestConv(FunctionTestCase):
    function = staticmethod(nf.conv)
    tolerances = {"float32": {"atol": 1e-5, "rtol": 1e-5}}  # noqa: RUF012

    def inputs(self, rng):
        c = self.case
        xs = c["x"]
        if c.get("channel_last"):
            xs = (xs[0], *xs[2:], xs[1])
        x = rng.standard_normal(xs).astype(self.dtype)
        w = rng.standard_normal(c["w"]).astype(self.dtype)
        if c.get("bias", True):
            return x, w, rng.standard_normal(c["w"][0]).astype(self.dtype)
        return x, w

    def kwargs(self):
        c = self.case
        return {
            "stride": c["stride"],
            "pad": c["pad"],
            "dilation": c["dilation"],
            "groups": c["groups"],
            "channel_last": c.get("channel_last", False),
        }

    def expected(self, x, w, b=None):
        c = self.case
        y = conv_ref(
            x, w, b, c["stride"], c["pad"], c["dilation"], c["groups"], c.get("channel_last", False)
        )
        return (y.astype(x.dtype),)


@parametrize_class(dtype=["float16", "float64"])
class TestConvDtypes(FunctionTestCase):
    function = staticmethod(nf.conv)
    tolerances = {"float16": {"atol": 1e-2, "rtol": 1e-2}}  # noqa: RUF012

    def inputs(self, rng):
        return (
            rng.standard_normal((2, 3, 5, 5)).astype(self.dtype),
            rng.standard_normal((4, 3, 3, 3)).astype(self.dtype),
        )

    def kwargs(self):
        return {"pad": 1}

    def expected(self, x, w):
        return (conv_ref(x, w, None, 1, 1, 1, 1).astype(x.dtype),)


def test_conv_integer_inputs_give_float32():
    x = np.arange(16).reshape(1, 1, 4, 4)
    y = nf.conv(x, np.ones((1, 1, 2, 2), dtype=x.dtype))
    assert y.dtype == np.float32
    np.testing.assert_array_equal(y, conv_ref(x, np.ones((1, 1, 2, 2)), None, 1, 0, 1, 1))


def test_conv_chunking_matches_unchunked(monkeypatch):
    from nnfunc.kernels.cpu import im2col

    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 2, 6, 5))
    w = rng.standard_normal((4, 2, 3, 3))
    full = nf.conv(x, w, pad=1, stride=(2, 1))
    gw_full = nf.grad(
        nf.sum(
            nf.conv(nf.Variable(x), wv := nf.Variable(w, requires_grad=True), pad=1, stride=(2, 1))
            ** 2
        ),
        [wv],
    )[0]
    # a budget below one sample forces chunks of single output rows
    monkeypatch.setattr(im2col, "PATCH_BUDGET", 200)
    np.testing.assert_allclose(nf.conv(x, w, pad=1, stride=(2, 1)), full, rtol=1e-12)
    wv2 = nf.Variable(w, requires_grad=True)
    gw = nf.grad(nf.sum(nf.conv(nf.Variable(x), wv2, pad=1, stride=(2, 1)) ** 2), [wv2])[0]
    np.testing.assert_allclose(gw.data, gw_full.data, rtol=1e-10)
    xv = nf.Variable(x, requires_grad=True)
    gx = nf.grad(nf.sum(nf.conv_transpose(xv, np.ones((2, 3, 3, 3)), stride=2) ** 2), [xv])[0]
    monkeypatch.setattr(im2col, "PATCH_BUDGET", 2**30)
    xv = nf.Variable(x, requires_grad=True)
    gx2 = nf.grad(nf.sum(nf.conv_transpose(xv, np.ones((2, 3, 3, 3)), stride=2) ** 2), [xv])[0]
    np.testing.assert_allclose(gx.data, gx2.data, rtol=1e-10)


X = np.zeros((2, 4, 5, 5), np.float32)
W = np.zeros((6, 2, 3, 3), np.float32)


@pytest.mark.parametrize(
    "inputs, kwargs, exc, message",
    [
        (
            (X, np.zeros((6, 3, 3, 3), np.float32)),
            {"groups": 2},
            nf.ShapeError,
            "conv: `x` must have weight.shape[1] * groups = 6 channels on axis 1; received "
            "channels=4, x.shape=(2, 4, 5, 5), weight.shape=(6, 3, 3, 3), groups=2.",
        ),
        (
            (np.zeros((2, 5, 5, 6), np.float32), W),
            {"groups": 2, "channel_last": True},
            nf.ShapeError,
            "conv: `x` must have weight.shape[1] * groups = 4 channels on axis 3; received "
            "channels=6, x.shape=(2, 5, 5, 6), weight.shape=(6, 2, 3, 3), groups=2.",
        ),
        (
            (X, np.zeros((6, 4, 3, 3), np.float32)),
            {"groups": 3},
            nf.ArgumentError,
            "conv: `groups` must divide the input channels; received groups=3, channels=4.",
        ),
        (
            (X, np.zeros((5, 2, 3, 3), np.float32)),
            {"groups": 2},
            nf.ArgumentError,
            "conv: `groups` must divide the output channels (weight.shape[0]); received "
            "groups=2, weight.shape=(5, 2, 3, 3).",
        ),
        (
            (X, np.zeros((6, 4, 7, 3), np.float32)),
            {},
            nf.ShapeError,
            "conv: output size must be positive in spatial dim 0; received input=5, kernel=7, "
            "pad=0, stride=1, dilation=1.",
        ),
        (
            (X, np.zeros((6, 4, 3, 7), np.float32)),
            {},
            nf.ShapeError,
            # DESIGN.md's example, word for word
            "conv: output size must be positive in spatial dim 1; received input=5, kernel=7, "
            "pad=0, stride=1, dilation=1.",
        ),
        (
            (X, np.zeros((6, 4, 3, 3), np.float32)),
            {"dilation": 3, "pad": (1, 0)},
            nf.ShapeError,
            "conv: output size must be positive in spatial dim 1; received input=5, kernel=3, "
            "pad=0, stride=1, dilation=3.",
        ),
        (
            (X, np.zeros((6, 4, 3), np.float32)),
            {},
            nf.ShapeError,
            "conv: `weight` must have rank 4 (the rank of `x`); received "
            "weight.shape=(6, 4, 3), x.shape=(2, 4, 5, 5).",
        ),
        (
            (np.zeros((2, 4), np.float32), W),
            {},
            nf.ShapeError,
            "conv: `x` must have rank >= 3; received x.shape=(2, 4).",
        ),
        (
            (X, np.zeros((6, 4, 3, 3), np.float32), np.zeros(5, np.float32)),
            {},
            nf.ShapeError,
            "conv: `bias` must have shape (6,) (the output channels); received bias.shape=(5,).",
        ),
        (
            (X, np.zeros((6, 4, 3, 3), np.float64)),
            {},
            nf.DTypeError,
            "conv: `x` and `weight` must have the same dtype; received x.dtype=float32, "
            "weight.dtype=float64.",
        ),
        (
            (X, np.zeros((6, 4, 3, 3), np.float32)),
            {"pad": "full"},
            nf.ArgumentError,
            "conv: `pad` must be an int, a sequence of 2 ints, a sequence of 2 (low, high) pairs "
            "of non-negative ints, 'valid' or 'same'; received pad='full'.",
        ),
        (
            (X, np.zeros((6, 4, 3, 3), np.float32)),
            {"stride": 0},
            nf.ArgumentError,
            "conv: `stride` must be positive in every dimension; received stride=0.",
        ),
        (
            (X, np.zeros((6, 4, 3, 3), np.float32)),
            {"dilation": (1, 2, 3)},
            nf.ArgumentError,
            "conv: `dilation` must be an int or a sequence of 2 ints; received dilation=(1, 2, 3).",
        ),
    ],
)
def test_conv_errors(inputs, kwargs, exc, message):
    assert_raises_both_modes(nf.conv, inputs, kwargs, exc, message)


def test_conv_double_backward_through_weight_gradient():
    # d/dx of (dL/dW) exercises the weight-gradient function's own backward
    rng = np.random.default_rng(1)
    x = nf.Variable(rng.standard_normal((1, 2, 4, 4)), requires_grad=True)
    w = nf.Variable(rng.standard_normal((3, 2, 2, 2)), requires_grad=True)
    (gw,) = nf.grad(nf.sum(nf.conv(x, w, stride=2) ** 2), [w], create_graph=True)
    (gx,) = nf.grad(nf.sum(gw * gw), [x])
    eps = 1e-6
    d = rng.standard_normal(x.shape)

    def f(xx):
        xv = nf.Variable(xx, requires_grad=True)
        wv = nf.Variable(w.data, requires_grad=True)
        (g,) = nf.grad(nf.sum(nf.conv(xv, wv, stride=2) ** 2), [wv])
        return float((g.data**2).sum())

    num = (f(x.data + eps * d) - f(x.data - eps * d)) / (2 * eps)
    np.testing.assert_allclose((gx.data * d).sum(), num, rtol=1e-6)


def test_conv_docstring_message_example():
    with pytest.raises(nf.ShapeError, match=re.escape("received input=5, kernel=7")):
        nf.conv(np.zeros((1, 1, 5)), np.zeros((1, 1, 7)))


@pytest.mark.parametrize(
    "fn, x_shape, w_shape, kwargs",
    [
        (nf.conv, (2, 3, 7, 6), (4, 3, 3, 2), {"stride": 2, "pad": "same", "dilation": (1, 2)}),
        (nf.conv, (2, 6, 4), (3, 4, 3), {"pad": [(1, 2)], "channel_last": True}),
        (nf.conv, (1, 4, 6, 5), (4, 2, 3, 3), {"stride": (2, 1), "pad": 1, "groups": 2}),
        (nf.depthwise_conv, (2, 3, 5, 6), (6, 1, 3, 3), {"stride": 2, "pad": "SAME"}),
        (nf.conv_transpose, (2, 3, 4, 3), (3, 2, 3, 3), {"stride": 2, "pad": "same"}),
        (nf.conv_transpose, (1, 2, 3, 4), (2, 3, 2, 3), {"stride": (2, 1), "pad": 1}),
    ],
)
def test_graph_gradients_with_unknown_spatial_sizes(fn, x_shape, w_shape, kwargs):
    # placeholders of unknown batch and spatial sizes: first and second order graph gradients
    rng = np.random.default_rng(7)
    x = rng.standard_normal(x_shape)
    w = rng.standard_normal(w_shape)
    cl = kwargs.get("channel_last", False)
    unknown = tuple(
        d if (i == len(x_shape) - 1 if cl else i == 1) else None for i, d in enumerate(x_shape)
    )
    graph = nf.Graph()
    px = graph.placeholder("x", unknown, np.float64)
    pw = graph.placeholder("w", w.shape, np.float64)
    loss = nf.sum(fn(px, pw, **kwargs) ** 2)
    gx, gw = graph.grad(loss, [px, pw])
    (ggw,) = graph.grad(nf.sum(gx * gx) + nf.sum(gw), [pw])
    got = graph.run([gx, gw, ggw], {"x": x, "w": w})
    vx, vw = nf.Variable(x, requires_grad=True), nf.Variable(w, requires_grad=True)
    ex, ew = nf.grad(nf.sum(fn(vx, vw, **kwargs) ** 2), [vx, vw], create_graph=True)
    (eggw,) = nf.grad(nf.sum(ex * ex) + nf.sum(ew), [vw])
    for g, e in zip(got, (ex, ew, eggw), strict=True):
        np.testing.assert_allclose(g, e.data, rtol=1e-10, atol=1e-12)
