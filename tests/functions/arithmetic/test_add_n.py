import re

import numpy as np
import pytest

import nnfunc as nf
from nnfunc.testing import FunctionTestCase, parametrize_class


@parametrize_class(
    shapes=[((4,), (4,), (4,)), ((2, 3), (3,), (2, 1)), ((2, 2),), ((3,), (3,))],
    dtype=["float16", "float32", "float64"],
)
class TestAddN(FunctionTestCase):
    function = staticmethod(nf.add_n)
    symbolic_dims = ()

    def inputs(self, rng):
        return tuple(rng.uniform(-2, 2, s).astype(self.dtype) for s in self.shapes)

    def expected(self, *xs):
        total = xs[0].astype(np.float64)
        for x in xs[1:]:
            total = total + x.astype(np.float64)
        return (total.astype(xs[0].dtype),)


class TestAddNInteger(FunctionTestCase):
    function = staticmethod(nf.add_n)

    def inputs(self, rng):
        return tuple(rng.integers(-3, 4, (2, 3)).astype(np.int32) for _ in range(3))

    def expected(self, a, b, c):
        return ((a.astype(np.int64) + b + c).astype(np.int32),)


def test_add_n_one_node():
    g = nf.Graph()
    xs = [g.placeholder(f"x{i}", (2,)) for i in range(4)]
    y = nf.add_n(*xs, name="y")
    assert y.op == "add_n"


@pytest.mark.parametrize(
    "call, exc, message",
    [
        (
            lambda: nf.add_n(),
            nf.ArgumentError,
            "add_n: `x` must hold at least one tensor; received n=0.",
        ),
        (
            lambda: nf.add_n(np.ones(2), np.ones(3)),
            nf.ShapeError,
            "add_n: `x[0]` and `x[1]` must have broadcastable shapes; "
            "received x[0].shape=(2,), x[1].shape=(3,).",
        ),
    ],
)
def test_add_n_errors(call, exc, message):
    with pytest.raises(exc, match=re.escape(message)):
        call()
