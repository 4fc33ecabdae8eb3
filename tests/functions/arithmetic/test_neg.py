import re

import numpy as np
import pytest

import nnfunc as nf
from nnfunc.testing import FunctionTestCase, parametrize_class


@parametrize_class(shape=[(), (5,), (2, 3)], dtype=["float16", "float32", "float64", "int32"])
class TestNeg(FunctionTestCase):
    function = staticmethod(nf.neg)

    def inputs(self, rng):
        return ((rng.standard_normal(self.shape) * 4).astype(self.dtype),)

    def expected(self, x):
        return ((0 - x.astype(np.float64)).astype(x.dtype),)


def test_neg_operator_routes_here():
    x = nf.Variable(np.array([1.0, -2.0]), requires_grad=True)
    y = -x
    assert y.creator.op_name == "neg"
    nf.sum(y).backward()
    np.testing.assert_array_equal(x.grad, [-1.0, -1.0])


@pytest.mark.parametrize(
    "call, exc, message",
    [
        (
            lambda: nf.neg(object()),
            nf.DTypeError,
            "neg: `x` must have a numeric dtype; received x.dtype=object.",
        ),
        (
            lambda: nf.neg(np.array([True, False])),
            nf.DTypeError,
            "neg: `x` must have an integer or floating dtype; received x.dtype=bool.",
        ),
    ],
)
def test_neg_errors(call, exc, message):
    with pytest.raises(exc, match=re.escape(message)):
        call()
