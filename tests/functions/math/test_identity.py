import numpy as np
import pytest

import nnfunc as nf
from nnfunc.testing import FunctionTestCase, assert_raises_both_modes, parametrize_class


@parametrize_class(shape=[(), (2, 3)], dtype=["float16", "float32", "int32", "bool"])
class TestIdentity(FunctionTestCase):
    function = staticmethod(nf.identity)

    def inputs(self, rng):
        return ((rng.standard_normal(self.shape) * 3).astype(self.dtype),)

    def expected(self, x):
        return (np.array(x, copy=True),)


@pytest.mark.parametrize(
    "inputs, kwargs, exc, message",
    [
        (
            (np.array(["a"]),),
            {},
            nf.DTypeError,
            "identity: `x` must have a numeric dtype; received x.dtype=<U1.",
        ),
    ],
)
def test_identity_errors(inputs, kwargs, exc, message):
    assert_raises_both_modes(nf.identity, inputs, kwargs, exc, message)
