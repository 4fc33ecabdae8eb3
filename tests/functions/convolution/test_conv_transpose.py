import itertools
import math

import numpy as np
import pytest

import nnfunc as nf
from nnfunc.testing import FunctionTestCase, assert_raises_both_modes, parametrize_class


def conv_transpose_ref(x, w, b, stride, pads, dilation, groups, out_sizes, channel_last=False):
    """Scatter definition: x[n, c, p] adds x * W[c, j, k] to y[n, g*Og + j, s*p + d*k - lo]."""
    x = x.astype(np.float64)
    w = w.astype(np.float64)
    if channel_last:
        x = np.moveaxis(x, -1, 1)
    n, c = x.shape[:2]
    nsp = x.ndim - 2
    ks = w.shape[2:]
    og = w.shape[1]
    cg = c // groups
    big = [
        max(
            pads[i][0] + out_sizes[i],
            (x.shape[2 + i] - 1) * stride[i] + dilation[i] * (ks[i] - 1) + 1,
        )
        for i in range(nsp)
    ]
    y = np.zeros((n, og * groups, *big))
    for p in itertools.product(*(range(v) for v in x.shape[2:])):
        for k in itertools.product(*(range(v) for v in ks)):
            q = tuple(p[i] * stride[i] + k[i] * dilation[i] for i in range(nsp))
            for ci in range(c):
                g = ci // cg
                y[(slice(None), slice(g * og, (g + 1) * og), *q)] += (
                    x[(slice(None), ci, *p)][:, None] * w[(ci, slice(None), *k)][None, :]
                )
    y = y[
        (
            slice(None),
            slice(None),
            *(slice(pads[i][0], pads[i][0] + out_sizes[i]) for i in range(nsp)),
        )
    ]
    if b is not None:
        y = y + b.reshape((-1,) + (1,) * nsp)
    return np.moveaxis(y, 1, -1) if channel_last else y


CASES = [
    # kwargs, resolved (stride, pads, dilation, groups, out sizes)
    {"x": (2, 3, 4), "w": (3, 2, 3), "kw": {}, "res": ((1,), [(0, 0)], (1,), 1, (6,))},
    {
        "x": (1, 4, 3),
        "w": (4, 1, 3),
        "kw": {"stride": 2, "pad": 1, "groups": 2, "output_padding": 1},
        "res": ((2,), [(1, 1)], (1,), 2, (6,)),
    },
    {
        "x": (1, 2, 3, 3),
        "w": (2, 3, 2, 3),
        "kw": {"stride": (2, 3), "pad": [(1, 0), 1], "dilation": (1, 2)},
        "res": ((2, 3), [(1, 0), (1, 1)], (1, 2), 1, (5, 9)),
    },
    {
        "x": (2, 2, 3, 2),
        "w": (2, 2, 3, 3),
        "kw": {"stride": 2, "pad": "same"},
        "res": ((2, 2), [(0, 1), (0, 1)], (1, 1), 1, (6, 4)),
    },
    {
        "x": (1, 2, 3, 3),
        "w": (2, 1, 2, 2),
        "kw": {"stride": 3, "pad": "valid", "channel_last": True},
        "res": ((3, 3), [(0, 0), (0, 0)], (1, 1), 1, (9, 9)),
    },
    {
        "x": (1, 2, 3, 3),
        "w": (2, 1, 3, 3),
        "kw": {"stride": 2, "pad": "same", "output_shape": (5, 6), "groups": 2},
        "res": ((2, 2), [(1, 1), (0, 1)], (1, 1), 2, (5, 6)),
    },
    {
        "x": (1, 2, 2, 2, 2),
        "w": (2, 2, 2, 1, 2),
        "kw": {"stride": (1, 2, 1), "pad": 0},
        "res": ((1, 2, 1), [(0, 0)] * 3, (1, 1, 1), 1, (3, 3, 3)),
    },
]


@parametrize_class(case=CASES, dtype=["float32"])
class TestConvTranspose(FunctionTestCase):
    function = staticmethod(nf.conv_transpose)
    tolerances = {"float32": {"atol": 1e-5, "rtol": 1e-5}}  # noqa: RUF012

    def inputs(self, rng):
        c = self.case
        xs = c["x"]
        if c["kw"].get("channel_last"):
            xs = (xs[0], *xs[2:], xs[1])
        x = rng.standard_normal(xs).astype(self.dtype)
        w = rng.standard_normal(c["w"]).astype(self.dtype)
        b = rng.standard_normal(c["w"][1] * c["res"][3]).astype(self.dtype)
        return x, w, b

    def kwargs(self):
        return self.case["kw"]

    def expected(self, x, w, b):
        s, pads, d, g, out = self.case["res"]
        cl = self.case["kw"].get("channel_last", False)
        return (conv_transpose_ref(x, w, b, s, pads, d, g, out, cl).astype(x.dtype),)


def test_conv_transpose_is_adjoint_of_conv():
    rng = np.random.default_rng(0)
    z = rng.standard_normal((2, 4, 7, 6))
    w = rng.standard_normal((6, 2, 3, 2))
    y = nf.conv(z, w, stride=(2, 1), pad=[(1, 0), 1], dilation=(1, 2), groups=2)
    u = rng.standard_normal(y.shape)
    back = nf.conv_transpose(
        u, w, stride=(2, 1), pad=[(1, 0), 1], dilation=(1, 2), groups=2, output_shape=(7, 6)
    )
    np.testing.assert_allclose((y * u).sum(), (z * back).sum(), rtol=1e-12)


def test_keras_same_default_output_is_input_times_stride():
    y = nf.conv_transpose(np.ones((1, 1, 5)), np.ones((1, 1, 4)), stride=3, pad="same")
    assert y.shape == (1, 1, 15)
    y = nf.conv_transpose(np.ones((1, 1, 5)), np.ones((1, 1, 4)), stride=3, pad="valid")
    assert y.shape == (1, 1, 5 * 3 + max(4 - 3, 0))


X = np.zeros((1, 2, 3, 3), np.float32)
W = np.zeros((2, 3, 3, 3), np.float32)


@pytest.mark.parametrize(
    "inputs, kwargs, exc, message",
    [
        (
            (X, W),
            {"stride": 2, "output_padding": 2},
            nf.ArgumentError,
            "conv_transpose: `output_padding` must be smaller than `stride` in every dimension; "
            "received output_padding=(2, 2), stride=(2, 2).",
        ),
        (
            (X, W),
            {"stride": 2, "output_shape": (9, 7)},
            nf.ShapeError,
            "conv_transpose: output size must be one whose convolution gives the input size in "
            "spatial dim 0; received output=9, input=3, kernel=3, pad=0, stride=2, dilation=1.",
        ),
        (
            (X, W),
            {"stride": 2, "output_shape": (7, 7), "output_padding": 1},
            nf.ShapeError,
            "conv_transpose: `output_shape` must agree with `output_padding`; received "
            "output_shape=(7, 7), output_padding=(1, 1).",
        ),
        (
            (X, np.zeros((3, 3, 3, 3), np.float32)),
            {},
            nf.ShapeError,
            "conv_transpose: `x` must have weight.shape[0] = 3 channels on axis 1; received "
            "channels=2, x.shape=(1, 2, 3, 3), weight.shape=(3, 3, 3, 3), groups=1.",
        ),
        (
            (X, W),
            {"groups": 3},
            nf.ArgumentError,
            "conv_transpose: `groups` must divide the input channels; received groups=3, "
            "channels=2.",
        ),
        (
            (X, W),
            {"pad": 3},
            nf.ShapeError,
            "conv_transpose: output size must be positive in spatial dim 0; received input=3, "
            "kernel=3, pad=3, stride=1, dilation=1.",
        ),
        (
            (X, W),
            {"stride": 2, "output_shape": (7,)},
            nf.ArgumentError,
            "conv_transpose: `output_shape` must be an int or a sequence of 2 ints; received "
            "output_shape=(7,).",
        ),
        (
            (X, np.zeros((2, 3, 3), np.float32)),
            {},
            nf.ShapeError,
            "conv_transpose: `weight` must have rank 4 (the rank of `x`); received "
            "weight.shape=(2, 3, 3), x.shape=(1, 2, 3, 3).",
        ),
        (
            (X, W, np.zeros(2, np.float32)),
            {},
            nf.ShapeError,
            "conv_transpose: `bias` must have shape (3,) (the output channels); received "
            "bias.shape=(2,).",
        ),
        (
            (X, W),
            {"pad": "Full"},
            nf.ArgumentError,
            "conv_transpose: `pad` must be an int, a sequence of 2 ints, a sequence of 2 (low, "
            "high) pairs of non-negative ints, 'valid' or 'same'; received pad='Full'.",
        ),
    ],
)
def test_conv_transpose_errors(inputs, kwargs, exc, message):
    assert_raises_both_modes(nf.conv_transpose, inputs, kwargs, exc, message)


def test_output_shape_range_for_stride():
    # every size whose strided convolution maps back to the input is accepted
    for size in (5, 6):
        y = nf.conv_transpose(
            np.ones((1, 1, 3)), np.ones((1, 1, 1)), stride=2, output_shape=(size,)
        )
        assert y.shape == (1, 1, size)
    assert math.isclose(float(y.sum()), 3.0)
