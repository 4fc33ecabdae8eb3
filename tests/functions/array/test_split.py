import re

import numpy as np
import pytest

import nnfunc as nf
from nnfunc.testing import FunctionTestCase, assert_raises_both_modes, parametrize_class


@parametrize_class(axis=[0, 1, -1], dtype=["float32", "float64", "int32"])
class TestSplit(FunctionTestCase):
    function = staticmethod(nf.split)
    symbolic_dims = ()

    def inputs(self, rng):
        return ((rng.standard_normal((2, 3, 2)) * 3).astype(self.dtype),)

    def kwargs(self):
        return {"axis": self.axis}

    def expected(self, x):
        axis = self.axis % 3
        n = x.shape[axis]
        outs = []
        for k in range(n):
            idx = [slice(None)] * 3
            idx[axis] = k
            outs.append(np.array(x[tuple(idx)]))
        return tuple(outs)


def test_split_unused_outputs_get_zero_gradient():
    x = nf.Variable(np.arange(6.0).reshape(3, 2), requires_grad=True)
    parts = nf.split(x)
    nf.sum(parts[1]).backward()
    np.testing.assert_array_equal(x.grad, [[0, 0], [1, 1], [0, 0]])


@pytest.mark.parametrize(
    "inputs, kwargs, exc, message",
    [
        (
            (np.ones((0, 3)),),
            {},
            nf.ShapeError,
            "split: `x` must not be empty along `axis`; received x.shape=(0, 3), axis=0.",
        ),
        (
            (np.ones((2, 3)),),
            {"axis": 2},
            nf.ShapeError,
            "split: `axis` must be in [-2, 2) for an input of rank 2; received axis=2.",
        ),
        ((np.ones(()),), {}, nf.ShapeError, "split: `x` must have rank >= 1; received x.shape=()."),
    ],
)
def test_split_errors(inputs, kwargs, exc, message):
    assert_raises_both_modes(nf.split, inputs, kwargs, exc, message)


def test_split_unknown_size_is_an_error_in_graph():
    g = nf.Graph()
    with pytest.raises(
        nf.ShapeError, match=re.escape("split (node 's'): `x` must have a known size along `axis`")
    ):
        nf.split(g.placeholder("x", (None, 2)), name="s")
