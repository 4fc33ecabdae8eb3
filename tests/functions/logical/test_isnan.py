import numpy as np
import pytest

import nnfunc as nf
from nnfunc.testing import FunctionTestCase, assert_raises_both_modes, parametrize_class


@parametrize_class(shape=[(6,), (2, 3)], dtype=["float16", "float32", "float64"])
class TestIsnan(FunctionTestCase):
    function = staticmethod(nf.isnan)
    differentiable = False

    def inputs(self, rng):
        x = rng.standard_normal(self.shape).astype(self.dtype)
        x.ravel()[0] = np.nan
        x.ravel()[1] = np.inf
        x.ravel()[2] = -np.inf
        return (x,)

    def expected(self, x):
        return (np.array([v != v for v in x.ravel().tolist()], bool).reshape(x.shape),)


class TestIsnanInteger(FunctionTestCase):
    function = staticmethod(nf.isnan)

    def inputs(self, rng):
        return (np.array([1, 2, 3]),)

    def expected(self, x):
        return (np.zeros(3, bool),)


@pytest.mark.parametrize(
    "inputs, kwargs, exc, message",
    [
        (
            (np.array(["a"]),),
            {},
            nf.DTypeError,
            "isnan: `x` must have a numeric dtype; received x.dtype=<U1.",
        ),
    ],
)
def test_isnan_errors(inputs, kwargs, exc, message):
    assert_raises_both_modes(nf.isnan, inputs, kwargs, exc, message)
