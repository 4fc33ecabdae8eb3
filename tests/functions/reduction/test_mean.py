import numpy as np
import pytest

import nnfunc as nf
from nnfunc.testing import FunctionTestCase, assert_raises_both_modes, parametrize_class


@parametrize_class(
    axis=[None, 1, (0, 2)], keepdims=[False, True], dtype=["float16", "float32", "float64"]
)
class TestMean(FunctionTestCase):
    function = staticmethod(nf.mean)
    symbolic_dims = (0, 1)

    def inputs(self, rng):
        return (rng.uniform(-2, 2, (2, 3, 4)).astype(self.dtype),)

    def kwargs(self):
        return {"axis": self.axis, "keepdims": self.keepdims}

    def expected(self, x):
        x64 = x.astype(np.float64)
        axes = tuple(range(3)) if self.axis is None else np.atleast_1d(self.axis).tolist()
        n = np.prod([x.shape[a] for a in axes])
        return ((np.add.reduce(x64, axis=self.axis, keepdims=self.keepdims) / n).astype(x.dtype),)


class TestMeanInteger(FunctionTestCase):
    function = staticmethod(nf.mean)

    def inputs(self, rng):
        return (rng.integers(0, 5, (3, 4)).astype(np.int32),)

    def expected(self, x):
        return (np.asarray(x.astype(np.float64).sum() / x.size, np.float32),)


@pytest.mark.parametrize(
    "inputs, kwargs, exc, message",
    [
        (
            (np.ones((2, 3)),),
            {"axis": -3},
            nf.ShapeError,
            "mean: `axis` must be in [-2, 2) for an input of rank 2; received axis=-3.",
        ),
        (
            (np.ones((2, 3)),),
            {"axis": 0.5},
            nf.ArgumentError,
            "mean: `axis` must be None, an int or a sequence of ints; received axis=0.5.",
        ),
    ],
)
def test_mean_errors(inputs, kwargs, exc, message):
    assert_raises_both_modes(nf.mean, inputs, kwargs, exc, message)
