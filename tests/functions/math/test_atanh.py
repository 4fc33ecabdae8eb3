import numpy as np
import pytest

import nnfunc as nf
from nnfunc.testing import FunctionTestCase, assert_raises_both_modes, parametrize_class


def atanh_ref(x):
    x = x.astype(np.float64)
    return 0.5 * np.log((1 + x) / (1 - x))


@parametrize_class(shape=[(), (5,), (2, 3, 4)], dtype=["float16", "float32", "float64"])
class TestAtanh(FunctionTestCase):
    function = staticmethod(nf.atanh)

    def inputs(self, rng):
        return (rng.uniform(-0.9, 0.9, self.shape).astype(self.dtype),)

    def expected(self, x):
        return (atanh_ref(x).astype(x.dtype),)


@parametrize_class(dtype=["int32", "bool"])
class TestAtanhIntegerPromotes(FunctionTestCase):
    function = staticmethod(nf.atanh)

    def inputs(self, rng):
        return (rng.integers(0, 1, (3, 4)).astype(self.dtype),)

    def expected(self, x):
        return (atanh_ref(x).astype(np.float32),)


@pytest.mark.parametrize(
    "inputs, kwargs, exc, message",
    [
        (
            (np.array(["a", "b"]),),
            {},
            nf.DTypeError,
            "atanh: `x` must have a numeric dtype; received x.dtype=<U1.",
        ),
    ],
)
def test_atanh_errors(inputs, kwargs, exc, message):
    assert_raises_both_modes(nf.atanh, inputs, kwargs, exc, message)
