import re

import numpy as np
import pytest

import nnfunc as nf
from nnfunc.testing import FunctionTestCase, parametrize_class


def logical_and_ref(a, b):
    return bool(a != 0) and bool(b != 0)


@parametrize_class(shapes=[((6,), (6,)), ((2, 3), (3,))], dtype=["float32", "int64", "bool"])
class TestLogicalAnd(FunctionTestCase):
    function = staticmethod(nf.logical_and)
    differentiable = False
    symbolic_dims = ()

    def inputs(self, rng):
        sa, sb = self.shapes
        return (
            rng.integers(-1, 2, sa).astype(self.dtype),
            rng.integers(-1, 2, sb).astype(self.dtype),
        )

    def expected(self, a, b):
        a, b = np.broadcast_arrays(a, b)
        out = [logical_and_ref(x, y) for x, y in zip(a.ravel().tolist(), b.ravel().tolist())]
        return (np.array(out, bool).reshape(a.shape),)


@parametrize_class(val=[0, 1, 2.5, True])
class TestLogicalAndScalar(FunctionTestCase):
    function = staticmethod(nf.logical_and_scalar)
    differentiable = False

    def inputs(self, rng):
        return (rng.integers(-1, 2, (3, 4)).astype(np.float32),)

    def kwargs(self):
        return {"val": self.val}

    def expected(self, x):
        out = [logical_and_ref(v, self.val) for v in x.ravel().tolist()]
        return (np.array(out, bool).reshape(x.shape),)


@pytest.mark.parametrize(
    "fn, inputs, kwargs, exc, message",
    [
        (
            nf.logical_and,
            (np.ones((2, 3)), np.ones((4,))),
            {},
            nf.ShapeError,
            "logical_and: `x0` and `x1` must have broadcastable shapes; "
            "received x0.shape=(2, 3), x1.shape=(4,).",
        ),
        (
            nf.logical_and_scalar,
            (np.ones(3),),
            {"val": "a"},
            nf.ArgumentError,
            "logical_and_scalar: `val` must be a real number; received val='a'.",
        ),
    ],
)
def test_logical_and_errors(fn, inputs, kwargs, exc, message):
    with pytest.raises(exc, match=re.escape(message)):
        fn(*inputs, **kwargs)
