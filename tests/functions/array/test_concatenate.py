import re

import numpy as np
import pytest

import nnfunc as nf
from nnfunc.testing import FunctionTestCase, parametrize_class


@parametrize_class(
    case=[([(2, 3), (2, 1)], -1), ([(2, 3), (1, 3), (3, 3)], 0), ([(4,)], 0)],
    dtype=["float32", "float64", "int32"],
)
class TestConcatenate(FunctionTestCase):
    function = staticmethod(nf.concatenate)
    symbolic_dims = ()

    def inputs(self, rng):
        return tuple((rng.standard_normal(s) * 3).astype(self.dtype) for s in self.case[0])

    def kwargs(self):
        return {"axis": self.case[1]}

    def expected(self, *xs):
        axis = self.case[1] % xs[0].ndim
        parts = [np.moveaxis(x, axis, 0) for x in xs]
        rows = [row for p in parts for row in p]
        return (np.moveaxis(np.stack(rows), 0, axis),)


def test_concatenate_accepts_a_list_and_defaults_to_the_last_axis():
    out = nf.concatenate([np.zeros((2, 1)), np.ones((2, 2))])
    assert out.shape == (2, 3)


def test_concatenate_unknown_axis_size_in_graph():
    g = nf.Graph()
    a = g.placeholder("a", (None, 2))
    b = g.placeholder("b", (3, 2))
    y = nf.concatenate(a, b, axis=0)
    assert y.shape == (None, 2)
    (ga,) = g.grad(nf.sum(y * 2.0), [a])
    np.testing.assert_array_equal(
        g.run(ga, {"a": np.ones((4, 2), np.float32), "b": np.ones((3, 2), np.float32)}),
        np.full((4, 2), 2.0),
    )


@pytest.mark.parametrize(
    "call, exc, message",
    [
        (
            lambda: nf.concatenate(),
            nf.ArgumentError,
            "concatenate: `x` must hold at least one tensor; received n=0.",
        ),
        (
            lambda: nf.concatenate(np.ones((2, 3)), np.ones((3, 3)), axis=1),
            nf.ShapeError,
            "concatenate: `x` must have equal sizes except along axis 1; received shapes=[(2, "
            "3), (3, 3)].",
        ),
        (
            lambda: nf.concatenate(np.ones((2, 3)), np.ones(3)),
            nf.ShapeError,
            "concatenate: `x` must hold tensors of one rank >= 1; received shapes=[(2, 3), (3,)].",
        ),
        (
            lambda: nf.concatenate(np.ones((2, 3)), axis=2),
            nf.ShapeError,
            "concatenate: `axis` must be in [-2, 2) for an input of rank 2; received axis=2.",
        ),
    ],
)
def test_concatenate_errors(call, exc, message):
    with pytest.raises(exc, match=re.escape(message)):
        call()
