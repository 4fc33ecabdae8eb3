from typing import ClassVar

import numpy as np
import pytest

import nnfunc as nf
from nnfunc.testing import FunctionTestCase, assert_raises_both_modes, parametrize_class


def ref(x, s, o, red, c_axis, eps):
    x64 = x.astype(np.float64)
    mu = x64.mean(axis=red, keepdims=True)
    var = ((x64 - mu) ** 2).mean(axis=red, keepdims=True)
    y = (x64 - mu) / np.sqrt(var + eps)
    shape = [1] * x.ndim
    shape[c_axis] = x.shape[c_axis]
    if s is not None:
        y = y * s.astype(np.float64).reshape(shape)
    if o is not None:
        y = y + o.astype(np.float64).reshape(shape)
    return y, mu, var


@parametrize_class(dtype=["float16", "float32", "float64"], channel_axis=[1, -1])
class TestInstanceNormalization(FunctionTestCase):
    tolerances: ClassVar = {"float16": {"atol": 5e-3, "rtol": 5e-3}, "float32": {"atol": 1e-5}}

    @staticmethod
    def function(x, scale, offset, **kw):
        return nf.instance_normalization(x, scale, offset, **kw)

    def kwargs(self):
        return {"channel_axis": self.channel_axis, "eps": 1e-3}

    def inputs(self, rng):
        x = rng.standard_normal((2, 3, 4, 3)).astype(self.dtype)
        c = x.shape[self.channel_axis]
        return (
            x,
            rng.uniform(0.5, 1.5, c).astype(self.dtype),
            rng.standard_normal(c).astype(self.dtype),
        )

    def expected(self, x, s, o):
        c = self.channel_axis % 4
        red = tuple(j for j in range(1, 4) if j != c)
        return (ref(x, s, o, red, c, 1e-3)[0].astype(x.dtype),)


@parametrize_class(dtype=["float64"])
class TestInstanceNormalizationOutputStat(FunctionTestCase):
    @staticmethod
    def function(x, **kw):
        return nf.instance_normalization(x, **kw)

    def kwargs(self):
        return {"output_stat": True, "batch_axis": (0,), "eps": 1e-2}

    def inputs(self, rng):
        return (rng.standard_normal((2, 3, 5)),)

    def expected(self, x):
        return ref(x, None, None, (2,), 1, 1e-2)


X = np.zeros((2, 3, 4), np.float32)


@pytest.mark.parametrize(
    "inputs, kwargs, exc, message",
    [
        (
            (X, np.ones(4, np.float32)),
            {},
            nf.ShapeError,
            "instance_normalization: `scale` must have shape (3,) (the size of `x` along axis "
            "1) or a shape of x's rank that broadcasts to `x`; received scale.shape=(4,), "
            "x.shape=(2, 3, 4).",
        ),
        (
            (X,),
            {"channel_axis": 0},
            nf.ArgumentError,
            "instance_normalization: `channel_axis` must differ from every `batch_axis`; "
            "received channel_axis=0, batch_axis=0.",
        ),
        (
            (X,),
            {"channel_axis": 3},
            nf.ShapeError,
            "instance_normalization: `channel_axis` must be in [-3, 3) for an input of rank 3; "
            "received channel_axis=3.",
        ),
    ],
)
def test_bad_input(inputs, kwargs, exc, message):
    assert_raises_both_modes(nf.instance_normalization, inputs, kwargs, exc, message)
