import numpy as np
import pytest

import nnfunc as nf
from nnfunc.testing import FunctionTestCase, assert_raises_both_modes, parametrize_class


def acosh_ref(x):
    x = x.astype(np.float64)
    return np.log(x + np.sqrt(x * x - 1))


@parametrize_class(shape=[(), (5,), (2, 3, 4)], dtype=["float16", "float32", "float64"])
class TestAcosh(FunctionTestCase):
    function = staticmethod(nf.acosh)

    def inputs(self, rng):
        return (rng.uniform(1.2, 3, self.shape).astype(self.dtype),)

    def expected(self, x):
        return (acosh_ref(x).astype(x.dtype),)


@parametrize_class(dtype=["int32", "int64"])
class TestAcoshIntegerPromotes(FunctionTestCase):
    function = staticmethod(nf.acosh)

    def inputs(self, rng):
        return (rng.integers(1, 4, (3, 4)).astype(self.dtype),)

    def expected(self, x):
        return (acosh_ref(x).astype(np.float32),)


@pytest.mark.parametrize(
    "inputs, kwargs, exc, message",
    [
        (
            (np.array(["a", "b"]),),
            {},
            nf.DTypeError,
            "acosh: `x` must have a numeric dtype; received x.dtype=<U1.",
        ),
    ],
)
def test_acosh_errors(inputs, kwargs, exc, message):
    assert_raises_both_modes(nf.acosh, inputs, kwargs, exc, message)
