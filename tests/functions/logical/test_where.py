import re

import numpy as np
import pytest

import nnfunc as nf
from nnfunc.testing import FunctionTestCase, parametrize_class


@parametrize_class(
    shapes=[((5,), (5,), (5,)), ((2, 3), (3,), (2, 1)), ((2, 3), (), (2, 3))],
    dtype=["float16", "float32", "float64"],
)
class TestWhere(FunctionTestCase):
    function = staticmethod(nf.where)
    symbolic_dims = ()
    grad_inputs = (1, 2)

    def inputs(self, rng):
        sc, sa, sb = self.shapes
        cond = rng.integers(0, 2, sc).astype(bool)
        return (
            cond,
            rng.standard_normal(sa).astype(self.dtype),
            rng.standard_normal(sb).astype(self.dtype),
        )

    def expected(self, c, a, b):
        c, a, b = np.broadcast_arrays(c, a, b)
        out = [x if k else y for k, x, y in zip(c.ravel(), a.ravel(), b.ravel())]
        return (np.array(out, a.dtype).reshape(c.shape),)


class TestWhereNumericCondition(FunctionTestCase):
    function = staticmethod(nf.where)
    grad_inputs = (1, 2)

    def inputs(self, rng):
        return (np.array([0.0, 2.0, -1.0]), np.array([1.0, 2.0, 3.0]), np.array([4.0, 5.0, 6.0]))

    def expected(self, c, a, b):
        return (np.array([4.0, 2.0, 3.0]),)


def test_where_no_gradient_to_condition():
    c = nf.Variable(np.array([1.0, 0.0]), requires_grad=True)
    a = nf.Variable(np.array([1.0, 2.0]), requires_grad=True)
    nf.sum(nf.where(c, a, 0.0)).backward()
    assert c.grad is None
    np.testing.assert_array_equal(a.grad, [1.0, 0.0])


@pytest.mark.parametrize(
    "call, exc, message",
    [
        (
            lambda: nf.where(np.ones(2, bool), np.ones(3), np.ones(3)),
            nf.ShapeError,
            "where: `condition` and `x_true` and `x_false` must have broadcastable shapes",
        ),
    ],
)
def test_where_errors(call, exc, message):
    with pytest.raises(exc, match=re.escape(message)):
        call()
