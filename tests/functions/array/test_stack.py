import re

import numpy as np
import pytest

import nnfunc as nf
from nnfunc.testing import FunctionTestCase, parametrize_class


@parametrize_class(n=[1, 3], axis=[0, 1, -1], dtype=["float32", "float64"])
class TestStack(FunctionTestCase):
    function = staticmethod(nf.stack)
    symbolic_dims = ()

    def inputs(self, rng):
        return tuple(rng.standard_normal((2, 3)).astype(self.dtype) for _ in range(self.n))

    def kwargs(self):
        return {"axis": self.axis}

    def expected(self, *xs):
        axis = self.axis % 3
        out = np.empty((2, 3)[:axis] + (len(xs),) + (2, 3)[axis:], xs[0].dtype)
        for k, x in enumerate(xs):
            for i in range(2):
                for j in range(3):
                    pos = [i, j]
                    pos.insert(axis, k)
                    out[tuple(pos)] = x[i, j]
        return (out,)


def test_stack_nnabla_example_shape():
    assert nf.stack(*[np.zeros((3, 28, 28))] * 4, axis=1).shape == (3, 4, 28, 28)


@pytest.mark.parametrize(
    "call, exc, message",
    [
        (
            lambda: nf.stack(np.ones((2, 3)), np.ones((3, 2))),
            nf.ShapeError,
            "stack: `x` must have one shape; received shapes=[(2, 3), (3, 2)].",
        ),
        (
            lambda: nf.stack(np.ones(2), axis=2),
            nf.ShapeError,
            "stack: `axis` must be in [-2, 2) for an output of rank 2; received axis=2.",
        ),
    ],
)
def test_stack_errors(call, exc, message):
    with pytest.raises(exc, match=re.escape(message)):
        call()
