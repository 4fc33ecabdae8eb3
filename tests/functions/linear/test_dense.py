import numpy as np
import pytest

import nnfunc as nf
from nnfunc.testing import FunctionTestCase, assert_raises_both_modes, parametrize_class


def linear_ref(x, w, b=None):
    x64, w64 = x.astype(np.float64), w.astype(np.float64)
    out = np.zeros(x.shape[:-1] + w.shape[1:])
    for idx in np.ndindex(x.shape[:-1]):
        for o in np.ndindex(w.shape[1:]):
            out[idx + o] = sum(x64[idx + (i,)] * w64[(i, *o)] for i in range(x.shape[-1]))
    if b is not None:
        out = out + b.astype(np.float64)
    return out


@parametrize_class(case=["2d", "3d_bias", "multi_out", "1d"], dtype=["float32", "float64"])
class TestLinear(FunctionTestCase):
    function = staticmethod(nf.linear)

    def inputs(self, rng):
        xs, ws, bias = {
            "2d": ((3, 4), (4, 5), False),
            "3d_bias": ((2, 3, 4), (4, 2), True),
            "multi_out": ((3, 4), (4, 2, 3), True),
            "1d": ((4,), (4, 3), True),
        }[self.case]
        out = [
            rng.standard_normal(xs).astype(self.dtype),
            rng.standard_normal(ws).astype(self.dtype),
        ]
        if bias:
            out.append(rng.standard_normal(ws[1:]).astype(self.dtype))
        return tuple(out)

    @property
    def symbolic_dims(self):
        return (0,) if self.case != "1d" else ()

    def expected(self, x, w, b=None):
        return (linear_ref(x, w, b).astype(x.dtype),)


@parametrize_class(base_axis=[1, -2, 2], dtype=["float32", "float64"])
class TestLinearBaseAxis(FunctionTestCase):
    """NNabla's affine: the axes from base_axis on are flattened into nIn."""

    function = staticmethod(nf.linear)
    symbolic_dims = (0, 1)  # with base_axis=2, two unknown sample axes

    def inputs(self, rng):
        n_in = {1: 12, -2: 12, 2: 4}[self.base_axis]
        return (
            rng.standard_normal((2, 3, 4)).astype(self.dtype),
            rng.standard_normal((n_in, 2, 3)).astype(self.dtype),
            rng.standard_normal((2, 3)).astype(self.dtype),
        )

    def kwargs(self):
        return {"base_axis": self.base_axis}

    def expected(self, x, w, b):
        ba = self.base_axis % x.ndim
        x2 = x.reshape(x.shape[:ba] + (-1,))
        return (linear_ref(x2, w, b).astype(x.dtype),)


@parametrize_class(dtype=["float64"])
class TestReluLayer(FunctionTestCase):
    function = staticmethod(nf.relu_layer)
    grad_atol = 1e-5

    def inputs(self, rng):
        return (
            rng.standard_normal((3, 4)),
            rng.standard_normal((4, 5)),
            rng.standard_normal((5,)),
        )

    def expected(self, x, w, b):
        return (np.maximum(linear_ref(x, w, b), 0),)


@parametrize_class(case=["nchw4", "nhwc4", "rank2", "rank1", "nchw3"], dtype=["float32", "float64"])
class TestBiasAdd(FunctionTestCase):
    function = staticmethod(nf.bias_add)

    def inputs(self, rng):
        shape, c = {
            "nchw4": ((2, 3, 2, 2), 3),
            "nhwc4": ((2, 2, 2, 3), 3),
            "rank2": ((2, 3), 3),
            "rank1": ((3,), 3),
            "nchw3": ((2, 3, 4), 3),
        }[self.case]
        return (
            rng.standard_normal(shape).astype(self.dtype),
            rng.standard_normal(c).astype(self.dtype),
        )

    def kwargs(self):
        return {"channel_last": self.case == "nhwc4"}

    @property
    def symbolic_dims(self):
        return () if self.case == "rank1" else (0,)

    def expected(self, x, b):
        out = x.astype(np.float64).copy()
        ax = {"nchw4": 1, "nhwc4": 3, "rank2": 1, "rank1": 0, "nchw3": 1}[self.case]
        for c in range(b.shape[0]):
            idx = [slice(None)] * x.ndim
            idx[ax] = c
            out[tuple(idx)] += b[c]
        return (out.astype(x.dtype),)


BAD = [
    (
        nf.linear,
        (np.ones((2, 3)), np.ones((4, 5))),
        nf.ShapeError,
        "linear: `weight` must have as many rows (nIn) as `x` has features (its last axis); "
        "received weight.shape=(4, 5), x.shape=(2, 3).",
    ),
    (
        nf.linear,
        (np.ones((2, 3)), np.ones((3, 5)), np.ones((4,))),
        nf.ShapeError,
        "linear: `bias` must have the shape weight.shape[1:]; received bias.shape=(4,), "
        "weight.shape=(3, 5).",
    ),
    (
        nf.linear,
        (np.ones((2, 3)), np.ones((3,))),
        nf.ShapeError,
        "linear: `weight` must have rank >= 2; received weight.shape=(3,).",
    ),
    (
        lambda x, w, **k: nf.linear(x, w, base_axis=1, **k),
        (np.ones((2, 3, 4)), np.ones((4, 5))),
        nf.ShapeError,
        "linear: `weight` must have as many rows (nIn) as `x` has features (the product of its "
        "axes from base_axis on); received weight.shape=(4, 5), x.shape=(2, 3, 4), base_axis=1.",
    ),
    (
        lambda x, w, **k: nf.linear(x, w, base_axis=3, **k),
        (np.ones((2, 3, 4)), np.ones((4, 5))),
        nf.ShapeError,
        "linear: `base_axis` must be in [-3, 3) for an input of rank 3; received base_axis=3.",
    ),
    (
        nf.relu_layer,
        (np.ones((2, 3)), np.ones((4, 5))),
        nf.ShapeError,
        "relu_layer: `weight` must have as many rows (nIn) as `x` has features (its last "
        "axis); received weight.shape=(4, 5), x.shape=(2, 3).",
    ),
    (
        nf.bias_add,
        (np.ones((2, 3)), np.ones((3, 1))),
        nf.ShapeError,
        "bias_add: `bias` must have rank 1; received bias.shape=(3, 1).",
    ),
    (
        nf.bias_add,
        (np.ones((2, 3, 4)), np.ones((4,))),
        nf.ShapeError,
        "bias_add: `bias` must have the size of the channel axis 1 of `x`; received "
        "bias.shape=(4,), x.shape=(2, 3, 4).",
    ),
    (
        nf.bias_add,
        (np.ones((2, 3)), np.ones((3,), np.float32)),
        nf.DTypeError,
        "bias_add: `x` and `bias` must have the same dtype; received x.dtype=float64, "
        "bias.dtype=float32.",
    ),
]


@pytest.mark.parametrize("fn, inputs, exc, message", BAD)
def test_bad_input(fn, inputs, exc, message):
    if fn is nf.relu_layer:
        with pytest.raises(exc, match=__import__("re").escape(message)):
            fn(*inputs)
        return
    assert_raises_both_modes(fn, inputs, {}, exc, message)


def test_linear_integer_input_promotes():
    y = nf.linear(np.array([[1, 2]]), np.ones((2, 2), np.int64))
    assert y.dtype == np.float32
    np.testing.assert_array_equal(y, [[3.0, 3.0]])
