import numpy as np
import pytest

import nnfunc as nf
from nnfunc.testing import FunctionTestCase, assert_raises_both_modes, parametrize_class


def depthwise_ref(x, w, b, stride, pad, channel_last):
    """y[n, c*m + j, p] = sum_k w[c*m + j, 0, k] x_pad[n, c, s*p + k] (explicit loops)."""
    x = x.astype(np.float64)
    if channel_last:
        x = np.moveaxis(x, -1, 1)
    n, c, h, wd = x.shape
    m = w.shape[0] // c
    kh, kw = w.shape[2:]
    xp = np.pad(x, [(0, 0), (0, 0), (pad, pad), (pad, pad)])
    oh = (h + 2 * pad - kh) // stride + 1
    ow = (wd + 2 * pad - kw) // stride + 1
    y = np.zeros((n, c * m, oh, ow))
    for ci in range(c):
        for j in range(m):
            for i in range(oh):
                for q in range(ow):
                    win = xp[:, ci, i * stride : i * stride + kh, q * stride : q * stride + kw]
                    y[:, ci * m + j, i, q] = (win * w[ci * m + j, 0]).sum(axis=(1, 2))
    if b is not None:
        y += b[:, None, None]
    return np.moveaxis(y, 1, -1) if channel_last else y


def depthwise_transpose_ref(x, w, divisor, stride):
    """y[n, c // divisor, s*p + k] += w[c, 0, k] x[n, c, p] (explicit loops, no padding)."""
    x = x.astype(np.float64)
    n, c, h, wd = x.shape
    kh, kw = w.shape[2:]
    y = np.zeros((n, c // divisor, (h - 1) * stride + kh, (wd - 1) * stride + kw))
    for ci in range(c):
        for i in range(h):
            for q in range(wd):
                patch = x[:, ci, i, q][:, None, None] * w[ci, 0].astype(np.float64)
                rows = slice(i * stride, i * stride + kh)
                cols = slice(q * stride, q * stride + kw)
                y[:, ci // divisor, rows, cols] += patch
    return y


@parametrize_class(
    case=[
        {"x": (2, 3, 5, 5), "m": 1, "stride": 1, "pad": 1, "cl": False},
        {"x": (1, 2, 6, 5), "m": 2, "stride": 2, "pad": 0, "cl": False},
        {"x": (1, 2, 5, 4), "m": 3, "stride": 1, "pad": 1, "cl": True},
    ],
    dtype=["float32"],
)
class TestDepthwiseConv(FunctionTestCase):
    function = staticmethod(nf.depthwise_conv)

    def inputs(self, rng):
        c = self.case
        xs = c["x"] if not c["cl"] else (c["x"][0], *c["x"][2:], c["x"][1])
        ch = c["x"][1] * c["m"]
        return (
            rng.standard_normal(xs).astype(self.dtype),
            rng.standard_normal((ch, 1, 3, 2)).astype(self.dtype),
            rng.standard_normal(ch).astype(self.dtype),
        )

    def kwargs(self):
        c = self.case
        return {"stride": c["stride"], "pad": c["pad"], "channel_last": c["cl"]}

    def expected(self, x, w, b):
        c = self.case
        return (depthwise_ref(x, w, b, c["stride"], c["pad"], c["cl"]).astype(x.dtype),)


@parametrize_class(divisor=[1, 2], dtype=["float32"])
class TestDepthwiseConvTranspose(FunctionTestCase):
    function = staticmethod(nf.depthwise_conv_transpose)

    def inputs(self, rng):
        return (
            rng.standard_normal((2, 4, 3, 4)).astype(self.dtype),
            rng.standard_normal((4, 1, 2, 3)).astype(self.dtype),
        )

    def kwargs(self):
        return {"divisor": self.divisor, "stride": 2}

    def expected(self, x, w):
        return (depthwise_transpose_ref(x, w, self.divisor, 2).astype(x.dtype),)


@parametrize_class(dtype=["float32"])
class TestSeparableConv(FunctionTestCase):
    function = staticmethod(nf.separable_conv)

    def inputs(self, rng):
        return (
            rng.standard_normal((2, 2, 5, 5)).astype(self.dtype),
            rng.standard_normal((4, 1, 3, 3)).astype(self.dtype),
            rng.standard_normal((3, 4, 1, 1)).astype(self.dtype),
            rng.standard_normal(3).astype(self.dtype),
        )

    def kwargs(self):
        return {"pad": "same"}

    def expected(self, x, dw, pw, b):
        h = depthwise_ref(x, dw, None, 1, 1, False)
        y = np.einsum("nchw,oc->nohw", h, pw[:, :, 0, 0].astype(np.float64)) + b[:, None, None]
        return (y.astype(x.dtype),)


@pytest.mark.parametrize(
    "fn, inputs, kwargs, exc, message",
    [
        (
            nf.depthwise_conv,
            (np.ones((1, 3, 4, 4)), np.ones((3, 2, 3, 3))),
            {},
            nf.ShapeError,
            "depthwise_conv: `weight` must have shape (C * multiplier, 1, *kernel); received "
            "weight.shape=(3, 2, 3, 3), x.shape=(1, 3, 4, 4).",
        ),
        (
            nf.depthwise_conv,
            (np.ones((1, 4, 4, 3)), np.ones((4, 1, 3, 3))),
            {"channel_last": True},
            nf.ShapeError,
            "depthwise_conv: `weight` must have a multiple of the 3 channels of `x` (axis 3) in "
            "weight.shape[0]; received channels=3, weight.shape=(4, 1, 3, 3), "
            "x.shape=(1, 4, 4, 3).",
        ),
        (
            nf.depthwise_conv,
            (np.ones((1, 3, 4, 4)), np.ones((3, 1, 5, 3))),
            {"pad": (0, 1)},
            nf.ShapeError,
            "depthwise_conv: output size must be positive in spatial dim 0; received input=4, "
            "kernel=5, pad=0, stride=1, dilation=1.",
        ),
        (
            nf.depthwise_conv,
            (np.ones((1, 3, 4, 4)), np.ones((3, 1, 3))),
            {},
            nf.ShapeError,
            "depthwise_conv: `weight` must have rank 4 (the rank of `x`); received "
            "weight.shape=(3, 1, 3), x.shape=(1, 3, 4, 4).",
        ),
        (
            nf.depthwise_conv_transpose,
            (np.ones((1, 4, 4)), np.ones((4, 1, 3))),
            {"divisor": 3},
            nf.ArgumentError,
            "depthwise_conv_transpose: `divisor` must divide the input channels; received "
            "divisor=3, channels=4.",
        ),
        (
            nf.depthwise_conv_transpose,
            (np.ones((1, 4, 4)), np.ones((2, 1, 3))),
            {"divisor": 2},
            nf.ShapeError,
            "depthwise_conv_transpose: `x` must have weight.shape[0] = 2 channels on axis 1; "
            "received channels=4, x.shape=(1, 4, 4), weight.shape=(2, 1, 3), groups=2.",
        ),
        (
            nf.separable_conv,
            (np.ones((1, 2, 5, 5)), np.ones((4, 1, 3, 3)), np.ones((3, 5, 1, 1))),
            {},
            nf.ShapeError,
            "conv: `x` must have weight.shape[1] * groups = 5 channels on axis 1; received "
            "channels=4, x.shape=(1, 4, 3, 3), weight.shape=(3, 5, 1, 1), groups=1.",
        ),
    ],
)
def test_depthwise_errors(fn, inputs, kwargs, exc, message):
    assert_raises_both_modes(fn, inputs, kwargs, exc, message)
