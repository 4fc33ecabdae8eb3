import numpy as np
import pytest

import nnfunc as nf
from nnfunc.testing import FunctionTestCase, assert_raises_both_modes, parametrize_class


@parametrize_class(dtype=["float32", "int32", "bool"])
class TestLogicalNot(FunctionTestCase):
    function = staticmethod(nf.logical_not)
    differentiable = False

    def inputs(self, rng):
        return (rng.integers(-1, 2, (3, 4)).astype(self.dtype),)

    def expected(self, x):
        return (np.array([v == 0 for v in x.ravel().tolist()]).reshape(x.shape),)


@pytest.mark.parametrize(
    "inputs, kwargs, exc, message",
    [
        (
            (np.array(["a"]),),
            {},
            nf.DTypeError,
            "logical_not: `x` must have a numeric dtype; received x.dtype=<U1.",
        ),
    ],
)
def test_logical_not_errors(inputs, kwargs, exc, message):
    assert_raises_both_modes(nf.logical_not, inputs, kwargs, exc, message)
