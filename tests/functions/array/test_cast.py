import re

import numpy as np
import pytest

import nnfunc as nf
from nnfunc.testing import FunctionTestCase, parametrize_class


@parametrize_class(
    src=["float16", "float32", "float64", "int32", "bool"], dst=["float32", "float64", "int64"]
)
class TestCast(FunctionTestCase):
    function = staticmethod(nf.cast)

    @property
    def differentiable(self):
        # float32 rounding would swamp a float64 finite difference: checked separately below.
        return self.dst == "float64"

    def inputs(self, rng):
        return ((rng.standard_normal((2, 3)) * 3).astype(self.src),)

    def kwargs(self):
        return {"dtype": self.dst}

    def expected(self, *xs):
        (x,) = xs
        conv = float if self.dst.startswith("float") else int
        return (np.array([conv(v) for v in x.ravel().tolist()], self.dst).reshape(x.shape),)


def test_cast_gradient_between_floats():
    x = nf.Variable(np.array([1.5, 2.5], np.float32), requires_grad=True)
    nf.sum(nf.cast(x, np.float64) * 2.0).backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad, [2.0, 2.0])


@pytest.mark.parametrize(
    "call, exc, message",
    [
        (
            lambda: nf.cast(np.ones(2), "not-a-dtype"),
            nf.ArgumentError,
            "cast: `dtype` must be a NumPy dtype; received dtype='not-a-dtype'.",
        ),
        (
            lambda: nf.cast(np.ones(2), np.complex64),
            nf.DTypeError,
            "cast: `dtype` must be a bool, integer or float dtype; received dtype=complex64.",
        ),
    ],
)
def test_cast_errors(call, exc, message):
    with pytest.raises(exc, match=re.escape(message)):
        call()
