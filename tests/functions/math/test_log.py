import numpy as np
import pytest

import nnfunc as nf
from nnfunc.testing import FunctionTestCase, assert_raises_both_modes, parametrize_class


def log_ref(x):
    x = x.astype(np.float64)
    return np.log(x)


@parametrize_class(shape=[(), (5,), (2, 3, 4)], dtype=["float16", "float32", "float64"])
class TestLog(FunctionTestCase):
    function = staticmethod(nf.log)

    def inputs(self, rng):
        return (rng.uniform(0.2, 4, self.shape).astype(self.dtype),)

    def expected(self, x):
        return (log_ref(x).astype(x.dtype),)


@parametrize_class(dtype=["int32", "int64"])
class TestLogIntegerPromotes(FunctionTestCase):
    function = staticmethod(nf.log)

    def inputs(self, rng):
        return (rng.integers(1, 5, (3, 4)).astype(self.dtype),)

    def expected(self, x):
        return (log_ref(x).astype(np.float32),)


@pytest.mark.parametrize(
    "inputs, kwargs, exc, message",
    [
        (
            (np.array(["a", "b"]),),
            {},
            nf.DTypeError,
            "log: `x` must have a numeric dtype; received x.dtype=<U1.",
        ),
    ],
)
def test_log_errors(inputs, kwargs, exc, message):
    assert_raises_both_modes(nf.log, inputs, kwargs, exc, message)
