import numpy as np

import nnfunc as nf
from nnfunc.testing import FunctionTestCase, assert_raises_both_modes, parametrize_class


@parametrize_class(dtype=["float32", "float64"], channel_axis=[0, 1])
class TestWeightStandardization(FunctionTestCase):
    tolerances = {"float32": {"atol": 1e-5}}  # noqa: RUF012

    @staticmethod
    def function(w, **kw):
        return nf.weight_standardization(w, **kw)

    def kwargs(self):
        return {"channel_axis": self.channel_axis, "eps": 1e-3, "output_stat": True}

    def inputs(self, rng):
        return (rng.standard_normal((4, 3, 2, 2)).astype(self.dtype),)

    def expected(self, w):
        red = tuple(j for j in range(4) if j != self.channel_axis)
        w64 = w.astype(np.float64)
        mu = w64.mean(axis=red, keepdims=True)
        var = ((w64 - mu) ** 2).mean(axis=red, keepdims=True)
        y = (w64 - mu) / np.sqrt(var + 1e-3)
        return tuple(a.astype(w.dtype) for a in (y, mu, var))


def test_bad_channel_axis():
    assert_raises_both_modes(
        nf.weight_standardization,
        (np.zeros((2, 3), np.float32),),
        {"channel_axis": 2},
        nf.ShapeError,
        "weight_standardization: `channel_axis` must be in [-2, 2) for an input of rank 2; "
        "received channel_axis=2.",
    )


def test_bad_eps():
    assert_raises_both_modes(
        nf.weight_standardization,
        (np.zeros((2, 3), np.float32),),
        {"eps": -1.0},
        nf.ArgumentError,
        "weight_standardization: `eps` must be in [0, inf); received eps=-1.0.",
    )
