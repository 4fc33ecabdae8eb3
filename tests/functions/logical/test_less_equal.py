import re

import numpy as np
import pytest

import nnfunc as nf
from nnfunc.testing import FunctionTestCase, parametrize_class


@parametrize_class(
    shapes=[((5,), (5,)), ((2, 3), (3,)), ((), ())], dtype=["float16", "float32", "int32"]
)
class TestLessEqual(FunctionTestCase):
    function = staticmethod(nf.less_equal)
    differentiable = False
    symbolic_dims = ()

    def inputs(self, rng):
        sa, sb = self.shapes
        a = rng.integers(-2, 3, sa).astype(self.dtype)
        b = rng.integers(-2, 3, sb).astype(self.dtype)
        return (a, b)

    def expected(self, a, b):
        a, b = np.broadcast_arrays(a.astype(np.float64), b.astype(np.float64))
        out = [x <= y for x, y in zip(a.ravel().tolist(), b.ravel().tolist())]
        return (np.array(out, bool).reshape(a.shape),)


@parametrize_class(val=[1, 0.5, -2])
class TestLessEqualScalar(FunctionTestCase):
    function = staticmethod(nf.less_equal_scalar)
    differentiable = False

    def inputs(self, rng):
        return (rng.integers(-2, 3, (3, 4)).astype(np.float32),)

    def kwargs(self):
        return {"val": self.val}

    def expected(self, x):
        out = [v <= self.val for v in x.ravel().tolist()]
        return (np.array(out, bool).reshape(x.shape),)


def test_less_equal_scalar_default_val_is_one():
    x = np.array([0.0, 1.0, 2.0])
    np.testing.assert_array_equal(nf.less_equal_scalar(x), [v <= 1 for v in x])


def test_less_equal_operator_routes_here():
    x = nf.Variable(np.array([1.0, 2.0]), requires_grad=True)
    y = x <= 1.5
    assert isinstance(y, nf.Variable) and y.dtype == np.dtype(bool) and not y.requires_grad
    np.testing.assert_array_equal(y.data, [1.0 <= 1.5, 2.0 <= 1.5])


@pytest.mark.parametrize(
    "fn, inputs, kwargs, exc, message",
    [
        (
            nf.less_equal,
            (np.ones((2, 3)), np.ones((4,))),
            {},
            nf.ShapeError,
            "less_equal: `x0` and `x1` must have broadcastable shapes; "
            "received x0.shape=(2, 3), x1.shape=(4,).",
        ),
        (
            nf.less_equal_scalar,
            (np.ones(3),),
            {"val": "a"},
            nf.ArgumentError,
            "less_equal_scalar: `val` must be a real number; received val='a'.",
        ),
    ],
)
def test_less_equal_errors(fn, inputs, kwargs, exc, message):
    with pytest.raises(exc, match=re.escape(message)):
        fn(*inputs, **kwargs)
