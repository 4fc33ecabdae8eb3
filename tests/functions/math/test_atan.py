import numpy as np
import pytest

import nnfunc as nf
from nnfunc.testing import FunctionTestCase, assert_raises_both_modes, parametrize_class


def atan_ref(x):
    x = x.astype(np.float64)
    return np.arctan(x)


@parametrize_class(shape=[(), (5,), (2, 3, 4)], dtype=["float16", "float32", "float64"])
class TestAtan(FunctionTestCase):
    function = staticmethod(nf.atan)

    def inputs(self, rng):
        return (rng.uniform(-3, 3, self.shape).astype(self.dtype),)

    def expected(self, x):
        return (atan_ref(x).astype(x.dtype),)


@parametrize_class(dtype=["int32", "int64", "bool"])
class TestAtanIntegerPromotes(FunctionTestCase):
    function = staticmethod(nf.atan)

    def inputs(self, rng):
        return (rng.integers(-3, 4, (3, 4)).astype(self.dtype),)

    def expected(self, x):
        return (atan_ref(x).astype(np.float32),)


@pytest.mark.parametrize(
    "inputs, kwargs, exc, message",
    [
        (
            (np.array(["a", "b"]),),
            {},
            nf.DTypeError,
            "atan: `x` must have a numeric dtype; received x.dtype=<U1.",
        ),
    ],
)
def test_atan_errors(inputs, kwargs, exc, message):
    assert_raises_both_modes(nf.atan, inputs, kwargs, exc, message)
