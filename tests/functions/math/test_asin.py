import numpy as np
import pytest

import nnfunc as nf
from nnfunc.testing import FunctionTestCase, assert_raises_both_modes, parametrize_class


def asin_ref(x):
    x = x.astype(np.float64)
    return np.arctan2(x, np.sqrt(1 - x * x))


@parametrize_class(shape=[(), (5,), (2, 3, 4)], dtype=["float16", "float32", "float64"])
class TestAsin(FunctionTestCase):
    function = staticmethod(nf.asin)

    def inputs(self, rng):
        return (rng.uniform(-0.9, 0.9, self.shape).astype(self.dtype),)

    def expected(self, x):
        return (asin_ref(x).astype(x.dtype),)


@parametrize_class(dtype=["int32", "bool"])
class TestAsinIntegerPromotes(FunctionTestCase):
    function = staticmethod(nf.asin)

    def inputs(self, rng):
        return (rng.integers(0, 1, (3, 4)).astype(self.dtype),)

    def expected(self, x):
        return (asin_ref(x).astype(np.float32),)


@pytest.mark.parametrize(
    "inputs, kwargs, exc, message",
    [
        (
            (np.array(["a", "b"]),),
            {},
            nf.DTypeError,
            "asin: `x` must have a numeric dtype; received x.dtype=<U1.",
        ),
    ],
)
def test_asin_errors(inputs, kwargs, exc, message):
    assert_raises_both_modes(nf.asin, inputs, kwargs, exc, message)
