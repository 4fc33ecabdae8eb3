import numpy as np
import pytest

import nnfunc as nf
from nnfunc.testing import FunctionTestCase, assert_raises_both_modes, parametrize_class


@parametrize_class(shape=[(), (5,), (2, 3, 4)], dtype=["float16", "float32", "float64"])
class TestAbs(FunctionTestCase):
    function = staticmethod(nf.abs)
    kinks = (0.0,)

    def inputs(self, rng):
        return (rng.uniform(-3, 3, self.shape).astype(self.dtype),)

    def expected(self, x):
        x64 = x.astype(np.float64)
        return (np.where(x64 < 0, -x64, x64).astype(x.dtype),)


@parametrize_class(dtype=["int8", "int32", "int64"])
class TestAbsIntegerKeepsDtype(FunctionTestCase):
    function = staticmethod(nf.abs)

    def inputs(self, rng):
        return (rng.integers(-50, 50, (3, 4)).astype(self.dtype),)

    def expected(self, x):
        return (np.array([[v if v >= 0 else -v for v in row] for row in x.tolist()], x.dtype),)


def test_abs_gradient_at_zero_is_zero():
    x = nf.Variable(np.array([0.0, -2.0, 3.0]), requires_grad=True)
    nf.sum(nf.abs(x)).backward()
    np.testing.assert_array_equal(x.grad, [0.0, -1.0, 1.0])


@pytest.mark.parametrize(
    "inputs, kwargs, exc, message",
    [
        (
            (np.array(["a"]),),
            {},
            nf.DTypeError,
            "abs: `x` must have a numeric dtype; received x.dtype=<U1.",
        ),
    ],
)
def test_abs_errors(inputs, kwargs, exc, message):
    assert_raises_both_modes(nf.abs, inputs, kwargs, exc, message)
