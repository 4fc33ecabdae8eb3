import numpy as np
import pytest

import nnfunc as nf
from nnfunc.testing import FunctionTestCase, assert_raises_both_modes, parametrize_class


def tan_ref(x):
    x = x.astype(np.float64)
    return np.sin(x) / np.cos(x)


@parametrize_class(shape=[(), (5,), (2, 3, 4)], dtype=["float16", "float32", "float64"])
class TestTan(FunctionTestCase):
    function = staticmethod(nf.tan)

    def inputs(self, rng):
        return (rng.uniform(-1.2, 1.2, self.shape).astype(self.dtype),)

    def expected(self, x):
        return (tan_ref(x).astype(x.dtype),)


@parametrize_class(dtype=["int32", "int64", "bool"])
class TestTanIntegerPromotes(FunctionTestCase):
    function = staticmethod(nf.tan)

    def inputs(self, rng):
        return (rng.integers(-1, 2, (3, 4)).astype(self.dtype),)

    def expected(self, x):
        return (tan_ref(x).astype(np.float32),)


@pytest.mark.parametrize(
    "inputs, kwargs, exc, message",
    [
        (
            (np.array(["a", "b"]),),
            {},
            nf.DTypeError,
            "tan: `x` must have a numeric dtype; received x.dtype=<U1.",
        ),
    ],
)
def test_tan_errors(inputs, kwargs, exc, message):
    assert_raises_both_modes(nf.tan, inputs, kwargs, exc, message)
