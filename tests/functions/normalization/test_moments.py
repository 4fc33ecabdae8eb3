from typing import ClassVar

import numpy as np
import pytest

import nnfunc as nf
from nnfunc.testing import FunctionTestCase, assert_raises_both_modes, parametrize_class


@parametrize_class(
    dtype=["float16", "float32", "float64"], axis=[None, 0, (0, 2)], keepdims=[False, True]
)
class TestMoments(FunctionTestCase):
    tolerances: ClassVar = {"float16": {"atol": 5e-3, "rtol": 5e-3}}

    @staticmethod
    def function(x, **kw):
        return nf.moments(x, **kw)

    def kwargs(self):
        return {"axis": self.axis, "keepdims": self.keepdims}

    def inputs(self, rng):
        return (rng.standard_normal((3, 4, 2)).astype(self.dtype),)

    def expected(self, x):
        x64 = x.astype(np.float64)
        m = x64.mean(axis=self.axis, keepdims=self.keepdims)
        v = x64.var(axis=self.axis, keepdims=self.keepdims)
        return (np.asarray(m, x.dtype), np.asarray(v, x.dtype))


def test_documented_example():
    m, v = nf.moments(np.array([0, 1, 2, 3, 100], np.float32), axis=[0])
    assert m.dtype == v.dtype == np.float32 and m.shape == v.shape == ()
    np.testing.assert_allclose(m, 21.2, rtol=1e-7)
    np.testing.assert_allclose(v, 1553.3601, rtol=1e-6)
    assert v == np.float32(1553.3601)  # the page's float32 value exactly


def test_large_magnitude_small_spread():
    rng = np.random.default_rng(0)
    x = (1e4 + 1e-2 * rng.standard_normal(4096)).astype(np.float32)
    _, v = nf.moments(x, axis=0)
    np.testing.assert_allclose(v, x.astype(np.float64).var(), rtol=1e-2)
    assert v >= 0


def test_integer_input_promoted():
    m, v = nf.moments(np.array([1, 2, 3]), axis=0)
    assert m.dtype == np.float32 and float(v) == pytest.approx(2 / 3)


def test_bad_axes():
    assert_raises_both_modes(
        nf.moments,
        (np.zeros((2, 3), np.float32),),
        {"axis": (0, 0)},
        nf.ArgumentError,
        "moments: `axes` must not repeat an axis; received axes=(0, 0).",
    )
    assert_raises_both_modes(
        nf.moments,
        (np.zeros((2, 3), np.float32),),
        {"axis": 2},
        nf.ShapeError,
        "moments: `axes` must be in [-2, 2) for an input of rank 2; received axes=2.",
    )
