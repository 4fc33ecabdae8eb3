import numpy as np
import pytest

import nnfunc as nf
from nnfunc.testing import FunctionTestCase, assert_raises_both_modes, parametrize_class


def cosh_ref(x):
    x = x.astype(np.float64)
    return (np.exp(x) + np.exp(-x)) / 2


@parametrize_class(shape=[(), (5,), (2, 3, 4)], dtype=["float16", "float32", "float64"])
class TestCosh(FunctionTestCase):
    function = staticmethod(nf.cosh)

    def inputs(self, rng):
        return (rng.uniform(-2, 2, self.shape).astype(self.dtype),)

    def expected(self, x):
        return (cosh_ref(x).astype(x.dtype),)


@parametrize_class(dtype=["int32", "int64", "bool"])
class TestCoshIntegerPromotes(FunctionTestCase):
    function = staticmethod(nf.cosh)

    def inputs(self, rng):
        return (rng.integers(-2, 3, (3, 4)).astype(self.dtype),)

    def expected(self, x):
        return (cosh_ref(x).astype(np.float32),)


@pytest.mark.parametrize(
    "inputs, kwargs, exc, message",
    [
        (
            (np.array(["a", "b"]),),
            {},
            nf.DTypeError,
            "cosh: `x` must have a numeric dtype; received x.dtype=<U1.",
        ),
    ],
)
def test_cosh_errors(inputs, kwargs, exc, message):
    assert_raises_both_modes(nf.cosh, inputs, kwargs, exc, message)
